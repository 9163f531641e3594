//! A tracing subscriber that records spans (name and fields, with what is recorded later) and events (fields,
//! and the spans they happened in) as text, for assertions.
#![allow(dead_code, unreachable_pub)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::ThreadId;

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// A recorder for one thread (`tracing::subscriber::with_default` or `set_default`): test binaries run their
/// tests on many threads, and only this thread's events are recorded.
#[derive(Clone)]
pub struct Recorder {
    /// Every event's fields, prefixed with the names of the spans it happened in (`[jwt_auth] kind=… `), and
    /// followed by its level (`level=WARN`).
    pub events: Arc<Mutex<Vec<String>>>,
    /// Every span: its name and fields, then what was recorded into it.
    pub spans: Arc<Mutex<Vec<String>>>,
    next: Arc<AtomicU64>,
    /// The spans each thread has entered, innermost last.
    entered: Arc<Mutex<HashMap<ThreadId, Vec<u64>>>>,
    metadata: Arc<Mutex<Vec<&'static Metadata<'static>>>>,
}

impl Default for Recorder {
    fn default() -> Self {
        keep_every_callsite_interested();
        Self {
            events: Arc::default(),
            spans: Arc::default(),
            next: Arc::default(),
            entered: Arc::default(),
            metadata: Arc::default(),
        }
    }
}

/// Installs [`Discard`] as the process-wide subscriber, once. Callsite interest is process-wide: while a
/// recorder is the only subscriber, a callsite first reached on a thread without one is cached as uninterested
/// (tokio-rs/tracing#3611), and the recorder misses its events. With a process-wide subscriber interested in
/// everything, no callsite is ever cached as uninterested.
fn keep_every_callsite_interested() {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        let _ = tracing::subscriber::set_global_default(Discard);
    });
}

/// Interested in every callsite, records nothing: what threads without a recorder report to.
struct Discard;

impl Subscriber for Discard {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, _: &Event<'_>) {}
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

struct Fields(String);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.push_str(&format!("{}={:?} ", field.name(), value));
    }
}

impl Recorder {
    /// The spans named `name`.
    pub fn spans_named(&self, name: &str) -> Vec<String> {
        let prefix = format!("{name}: ");
        self.spans
            .lock()
            .unwrap()
            .iter()
            .filter(|s| s.starts_with(&prefix))
            .cloned()
            .collect()
    }
}

impl Subscriber for Recorder {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, attributes: &Attributes<'_>) -> Id {
        let mut fields = Fields(format!("{}: ", attributes.metadata().name()));
        attributes.record(&mut fields);
        let mut spans = self.spans.lock().unwrap();
        spans.push(fields.0);
        self.metadata.lock().unwrap().push(attributes.metadata());
        self.next.fetch_add(1, Ordering::Relaxed);
        Id::from_u64(spans.len() as u64)
    }
    fn record(&self, id: &Id, values: &Record<'_>) {
        let mut fields = Fields(String::new());
        values.record(&mut fields);
        self.spans.lock().unwrap()[id.into_u64() as usize - 1].push_str(&fields.0);
    }
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    /// What `Span::current()` answers: the innermost entered span.
    fn current_span(&self) -> tracing_core::span::Current {
        let entered = self.entered.lock().unwrap();
        match entered
            .get(&std::thread::current().id())
            .and_then(|ids| ids.last())
        {
            Some(id) => tracing_core::span::Current::new(
                Id::from_u64(*id),
                self.metadata.lock().unwrap()[*id as usize - 1],
            ),
            None => tracing_core::span::Current::none(),
        }
    }
    fn event(&self, event: &Event<'_>) {
        let spans = self.spans.lock().unwrap();
        let mut fields = Fields(String::new());
        let entered = self.entered.lock().unwrap();
        for id in entered
            .get(&std::thread::current().id())
            .into_iter()
            .flatten()
        {
            let name = spans[*id as usize - 1]
                .split(':')
                .next()
                .unwrap_or_default();
            fields.0.push_str(&format!("[{name}] "));
        }
        event.record(&mut fields);
        fields
            .0
            .push_str(&format!("level={}", event.metadata().level()));
        self.events.lock().unwrap().push(fields.0);
    }
    fn enter(&self, id: &Id) {
        let mut entered = self.entered.lock().unwrap();
        entered
            .entry(std::thread::current().id())
            .or_default()
            .push(id.into_u64());
    }
    fn exit(&self, id: &Id) {
        let mut entered = self.entered.lock().unwrap();
        let ids = entered.entry(std::thread::current().id()).or_default();
        if let Some(position) = ids.iter().rposition(|e| *e == id.into_u64()) {
            ids.remove(position);
        }
    }
}
