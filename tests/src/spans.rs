//! The spans the SDK opens, as an in-process subscriber sees them: for the
//! observability tests, which assert each span's name, parent and fields.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::Subscriber;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

/// One span: its name, target, place in the tree, fields as text, and
/// whether it has closed.
#[derive(Clone, Debug)]
pub struct SpanRecord {
    /// The span's static name (`gen_ai`, `tensoras.request`, ...).
    pub name: &'static str,
    /// Its target (`tensoras`, `tensoras::attempt`).
    pub target: String,
    /// Its id while open.
    pub id: u64,
    /// Its parent's id.
    pub parent: Option<u64>,
    /// Every field recorded so far, as text (strings as they are).
    pub fields: BTreeMap<String, String>,
    /// Whether the span has closed (ended).
    pub closed: bool,
}

impl SpanRecord {
    /// A field's value.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.fields.get(field).map(String::as_str)
    }
}

/// The spans seen, in creation order.
#[derive(Clone, Default)]
pub struct Spans(Arc<Mutex<Vec<SpanRecord>>>);

impl Spans {
    /// Starts capturing every span of this thread (until the guard drops).
    pub fn capture() -> (Spans, tracing::subscriber::DefaultGuard) {
        let spans = Spans::default();
        let subscriber = tracing_subscriber::registry().with(spans.clone());
        let guard = tracing::subscriber::set_default(subscriber);
        (spans, guard)
    }

    /// Every span seen so far.
    pub fn all(&self) -> Vec<SpanRecord> {
        self.0.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// The spans of one name.
    pub fn named(&self, name: &str) -> Vec<SpanRecord> {
        self.all().into_iter().filter(|s| s.name == name).collect()
    }

    /// The children of a span.
    pub fn children(&self, parent: &SpanRecord) -> Vec<SpanRecord> {
        self.all()
            .into_iter()
            .filter(|s| s.parent == Some(parent.id))
            .collect()
    }

    fn update(&self, id: &Id, f: impl FnOnce(&mut SpanRecord)) {
        if let Ok(mut spans) = self.0.lock() {
            // The newest span with the id: ids are reused once a span closes.
            if let Some(span) = spans
                .iter_mut()
                .rev()
                .find(|s| s.id == id.into_u64() && !s.closed)
            {
                f(span);
            }
        }
    }
}

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl Visit for Fields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Spans {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut fields = BTreeMap::new();
        attrs.record(&mut Fields(&mut fields));
        let parent = ctx
            .span(id)
            .and_then(|span| span.parent())
            .map(|parent| parent.id().into_u64());
        let record = SpanRecord {
            name: attrs.metadata().name(),
            target: attrs.metadata().target().to_owned(),
            id: id.into_u64(),
            parent,
            fields,
            closed: false,
        };
        if let Ok(mut spans) = self.0.lock() {
            spans.push(record);
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, _ctx: Context<'_, S>) {
        self.update(id, |span| values.record(&mut Fields(&mut span.fields)));
    }

    fn on_close(&self, id: Id, _ctx: Context<'_, S>) {
        self.update(&id, |span| span.closed = true);
    }
}
