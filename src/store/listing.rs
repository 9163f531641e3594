//! What a device list asks of a store: a page of one subject's live sessions ([`ListSessions`]), and the
//! position a page ends at ([`SessionCursor`]); the page itself is in the contract
//! ([`SessionPage`](crate::store::SessionPage)).

use std::fmt;

/// The most sessions one page may ask for: a store never reads more than a small multiple of this for one call.
pub const MAX_SESSION_PAGE: usize = 100;

/// A request for one page of a subject's live sessions, in the order every store keeps:
/// by absolute end (`expires_at`), then by session id — oldest sessions first.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ListSessions {
    /// Whose sessions.
    pub subject: String,
    /// The current time: only sessions live at `now` (neither ended nor idled out, not revoked) are listed.
    pub now: i64,
    /// Start after this position (the previous page's [`SessionPage::next`](crate::store::SessionPage::next)); `None` for the first page.
    pub after: Option<SessionCursor>,
    /// At most this many sessions (1 to [`MAX_SESSION_PAGE`]).
    pub limit: usize,
}

impl ListSessions {
    /// The first page of `subject`'s sessions live at `now`, at most `limit` (clamped to 1..=[`MAX_SESSION_PAGE`]).
    pub fn new(subject: impl Into<String>, now: i64, limit: usize) -> Self {
        Self {
            subject: subject.into(),
            now,
            after: None,
            limit: limit.clamp(1, MAX_SESSION_PAGE),
        }
    }

    /// The page after `cursor`.
    pub fn after(mut self, cursor: Option<SessionCursor>) -> Self {
        self.after = cursor;
        self
    }

    /// Whether a session ending at `expires_at` with id `session_id` comes after the cursor (every store's order).
    pub fn is_after_cursor(&self, expires_at: i64, session_id: &str) -> bool {
        self.after.as_ref().is_none_or(|cursor| {
            (expires_at, session_id) > (cursor.expires_at, cursor.session_id.as_str())
        })
    }
}

/// A position in a subject's sessions: the last one a page listed (its end and id).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SessionCursor {
    /// The session's absolute end.
    pub expires_at: i64,
    /// The session's id.
    pub session_id: String,
}

impl SessionCursor {
    /// The position of the session ending at `expires_at` with id `session_id`.
    pub fn new(expires_at: i64, session_id: impl Into<String>) -> Self {
        Self {
            expires_at,
            session_id: session_id.into(),
        }
    }

    /// The cursor as an opaque text for clients (`<expires_at>.<session id>`); [`parse`](Self::parse) reads it.
    pub fn encode(&self) -> String {
        format!("{}.{}", self.expires_at, self.session_id)
    }

    /// A cursor [`encode`](Self::encode) wrote; `None` for anything else.
    pub fn parse(text: &str) -> Option<Self> {
        let (expires_at, session_id) = text.split_once('.')?;
        Some(Self::new(expires_at.parse().ok()?, session_id))
    }
}

impl fmt::Display for SessionCursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.encode())
    }
}
