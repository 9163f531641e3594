//! `AUDIT_LOG=path`: every audit event appended to the file as one JSON object per line
//! (`{"event","sub","sid","iss","at","user_agent"}`), written by a thread of its own so requests never wait on
//! the disk.

use std::fs::OpenOptions;
use std::io::{BufWriter, Write};

use tower_jwt_auth::audit::AuditChannel;

use crate::BoxError;

/// Events waiting for the writer at most; beyond, new events are dropped (and counted) rather than wait.
const QUEUE: usize = 10_000;

/// The sink for the sessions, when `AUDIT_LOG` names a file (opened for appending, created if missing).
pub(crate) fn audit_log() -> Result<Option<AuditChannel>, BoxError> {
    let Ok(path) = std::env::var("AUDIT_LOG") else {
        return Ok(None);
    };
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(|e| format!("AUDIT_LOG={path}: {e}"))?;
    let (sink, events) = AuditChannel::bounded(QUEUE);
    std::thread::spawn(move || {
        let mut out = BufWriter::new(file);
        for event in events {
            let line = serde_json::to_string(&event).expect("an audit event serializes");
            // Each line is flushed: a reader sees every event as soon as it is written.
            if writeln!(out, "{line}").and_then(|()| out.flush()).is_err() {
                eprintln!("AUDIT_LOG={path}: write failed; audit events are no longer logged");
                return;
            }
        }
    });
    Ok(Some(sink))
}
