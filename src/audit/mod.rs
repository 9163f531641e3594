//! Audit events: what happened to sessions — logins, refreshes, refresh-token reuse, logouts, revocations,
//! sessions ended from the device list, sliding reissues, refused DPoP proof replays — as typed
//! [`AuditEvent`]s, for a security log or alerting.
//!
//! The hook is configured in one place, [`SessionsBuilder::audit`](crate::SessionsBuilder::audit): the sessions
//! report their own events, and a layer wired to them ([`JwtAuthBuilder::sessions`](crate::JwtAuthBuilder::sessions))
//! reports its sliding reissues and the DPoP proof replays it refuses to the same sink (so does a
//! [`RefreshEndpoint`](crate::session::RefreshEndpoint) over them). The sink is called on the request path and must
//! not block ([`AuditSink`]); [`AuditChannel`] is a bounded, never-blocking queue to a consumer thread of yours.
//!
//! Each event carries the subject, the session id, the issuer, the time and the client's user agent where known
//! — never a token, a refresh-token secret, a DPoP proof or a claim other than the subject, in any form
//! (`Debug` and the JSON included). The layer's events (sliding reissue, DPoP replay) carry no user agent.
//!
//! With the `tracing` feature every event is also a structured `tracing` event (target
//! `tower_jwt_auth::audit`; fields `event`, `sub`, `sid`, `iss`, `at`, `user_agent`; `WARN` for
//! `reuse_detected` and `dpop_replay`, `INFO` otherwise), whether or not a sink is configured. With `metrics`,
//! `jwt_auth_audit_events_total{event}` counts them and `jwt_auth_refresh_reuse_detected_total` counts reuse.
//!
//! ```
//! use tower_jwt_auth::audit::{AuditChannel, AuditEventKind};
//! use tower_jwt_auth::{Algorithm, MemoryStore, Sessions, SigningKey, TokenIssuer};
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let issuer = TokenIssuer::builder(SigningKey::hmac(Algorithm::HS256, &[7; 32]).unwrap())
//!     .issuer("demo")
//!     .audience("demo-api")
//!     .build()
//!     .unwrap();
//! let (sink, events) = AuditChannel::bounded(1024);
//! let sessions = Sessions::builder(issuer, MemoryStore::new()).audit(sink).build().unwrap();
//!
//! let pair = sessions.login("alice", &serde_json::json!({})).await.unwrap();
//! let event = events.try_recv().unwrap();
//! assert_eq!(event.kind, AuditEventKind::Login);
//! assert_eq!(event.subject.as_deref(), Some("alice"));
//! assert!(!format!("{event:?}").contains(pair.refresh_token()));
//! # });
//! ```

mod event;
mod sink;

use std::fmt;
use std::sync::Arc;

pub use event::{AuditEvent, AuditEventKind};
pub use sink::{AuditChannel, AuditSink};

/// Where the events of one [`Sessions`](crate::Sessions) go: its sink (if any), tracing and metrics.
#[derive(Clone, Default)]
pub(crate) struct Auditor {
    sink: Option<Arc<dyn AuditSink>>,
}

impl fmt::Debug for Auditor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Auditor")
            .field("sink", &self.sink.is_some())
            .finish()
    }
}

impl Auditor {
    /// Events go to `sink` (and to tracing and metrics).
    pub(crate) fn new(sink: Option<Arc<dyn AuditSink>>) -> Self {
        Self { sink }
    }

    /// Reports `event`: as a tracing event, in the metrics, then to the sink.
    pub(crate) fn emit(&self, event: AuditEvent) {
        trace(&event);
        crate::stats::audit_event(event.kind.as_str());
        if event.kind == AuditEventKind::ReuseDetected {
            crate::stats::reuse_detected();
        }
        if let Some(sink) = &self.sink {
            sink.record(event);
        }
    }
}

/// The event as a structured `tracing` event (feature `tracing`).
fn trace(event: &AuditEvent) {
    #[cfg(feature = "tracing")]
    {
        let (name, sub, sid, iss, at, ua) = (
            event.kind.as_str(),
            event.subject.as_deref(),
            event.session_id.as_deref(),
            event.issuer.as_deref(),
            event.at,
            event.user_agent.as_deref(),
        );
        match event.kind {
            AuditEventKind::ReuseDetected => tracing::warn!(
                event = name,
                sub,
                sid,
                iss,
                at,
                user_agent = ua,
                "refresh token reuse detected; the session has been revoked"
            ),
            AuditEventKind::DpopReplay => tracing::warn!(
                event = name,
                sub,
                sid,
                iss,
                at,
                user_agent = ua,
                "a DPoP proof was replayed and refused"
            ),
            _ => tracing::info!(
                event = name,
                sub,
                sid,
                iss,
                at,
                user_agent = ua,
                "audit event"
            ),
        }
    }
    let _ = event;
}
