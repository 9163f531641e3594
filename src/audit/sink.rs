//! Where audit events go: the [`AuditSink`] contract, and [`AuditChannel`], a bounded queue to a consumer of
//! your own.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::Arc;

use super::AuditEvent;

/// Receives the audit events of [`Sessions`](crate::Sessions) and of the layers wired to them
/// ([`SessionsBuilder::audit`](crate::SessionsBuilder::audit)).
///
/// `record` is called on the request path, inside the operation that caused the event (a login handler, a
/// refresh, the layer deciding a request): it **must not block** and should return in microseconds — no file or
/// network I/O, no lock held for long. Hand the event to a queue and write it elsewhere: [`AuditChannel`] does that
/// with a bounded queue and a receiver you drain on a thread of your own, and a tokio user writes the same in a
/// few lines with `tokio::sync::mpsc::Sender::try_send`. A sink that can't keep up should drop (and count)
/// events rather than slow requests down. Closures `Fn(AuditEvent)` are sinks.
///
/// ```
/// use tower_jwt_auth::audit::{AuditEvent, AuditSink};
///
/// struct TokioSink(tokio::sync::mpsc::Sender<AuditEvent>);
///
/// impl AuditSink for TokioSink {
///     fn record(&self, event: AuditEvent) {
///         // Never `.send(..).await` here: a full queue drops the event instead of holding the request.
///         let _ = self.0.try_send(event);
///     }
/// }
/// # let (sender, _receiver) = tokio::sync::mpsc::channel(1024);
/// # let _ = TokioSink(sender);
/// ```
pub trait AuditSink: Send + Sync + 'static {
    /// Takes one event, without blocking.
    fn record(&self, event: AuditEvent);
}

impl<F: Fn(AuditEvent) + Send + Sync + 'static> AuditSink for F {
    fn record(&self, event: AuditEvent) {
        self(event)
    }
}

/// A bounded queue of audit events: the sink half ([`SessionsBuilder::audit`](crate::SessionsBuilder::audit)
/// takes it) never blocks, and drops an event when the queue is full or its receiver is gone, counting it in
/// [`dropped`](Self::dropped) (and, with the `metrics` feature, `jwt_auth_audit_dropped_total`). The receiver is a
/// `std::sync::mpsc::Receiver`: drain it on a thread of your own (blocking `recv`), where writing a file or
/// sending to a log service may take as long as it needs.
///
/// ```
/// use tower_jwt_auth::audit::AuditChannel;
///
/// let (sink, events) = AuditChannel::bounded(4096);
/// std::thread::spawn(move || {
///     for event in events {
///         println!("{}", serde_json::to_string(&event).unwrap());
///     }
/// });
/// # let _ = sink;
/// ```
#[derive(Clone)]
pub struct AuditChannel {
    sender: SyncSender<AuditEvent>,
    dropped: Arc<AtomicU64>,
}

impl fmt::Debug for AuditChannel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuditChannel")
            .field("dropped", &self.dropped())
            .finish_non_exhaustive()
    }
}

impl AuditChannel {
    /// A queue of at most `capacity` events (at least one), and its receiver.
    pub fn bounded(capacity: usize) -> (Self, Receiver<AuditEvent>) {
        let (sender, receiver) = sync_channel(capacity.max(1));
        let channel = Self {
            sender,
            dropped: Arc::new(AtomicU64::new(0)),
        };
        (channel, receiver)
    }

    /// How many events were dropped because the queue was full or its receiver gone.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

impl AuditSink for AuditChannel {
    fn record(&self, event: AuditEvent) {
        match self.sender.try_send(event) {
            Ok(()) => {}
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                self.dropped.fetch_add(1, Ordering::Relaxed);
                crate::stats::audit_dropped();
            }
        }
    }
}
