//! The local Tensoras-compatible server as a binary: `tensoras-mock-server [ADDR]`.

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8000".into());
    let server = tensoras_tests::Server::start_on(&addr).await?;
    println!(
        "Tensoras-compatible server on {} (API key {})",
        server.base_url,
        tensoras_tests::API_KEY
    );
    tokio::signal::ctrl_c().await?;
    Ok(())
}
