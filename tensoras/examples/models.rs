//! Models (Python SDK: "Models").
//!
//! ```sh
//! TENSORAS_API_KEY=tns_... cargo run -p tensoras --example models
//! ```

use tensoras::blocking::Tensoras;

fn main() -> Result<(), tensoras::Error> {
    let client = Tensoras::new()?;
    let models = client.models().list()?;
    for model in &models.data {
        println!("{}: {}", model.id, model.owned_by.as_deref().unwrap_or("-"));
    }
    if let Some(first) = models.data.first() {
        let model = client.models().retrieve(&first.id)?;
        println!("{} context length: {:?}", model.id, model.context_length);
    }
    Ok(())
}
