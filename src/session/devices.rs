//! "Your devices": a user's live sessions as a settings page lists them ([`Sessions::sessions_of`]), and ending
//! one of them by id ([`Sessions::end_session_of`]).

use serde::Serialize;

use super::{SessionError, Sessions};
use crate::audit::AuditEventKind;
use crate::store::{ListSessions, SessionCursor, SessionRecord};
use crate::TokenInfo;

/// How many sessions one page of [`Sessions::sessions_of`] lists at most.
pub const DEVICE_PAGE_SIZE: usize = 50;

/// One session of a user, as a "your devices" page shows it. Times are Unix seconds. Serialised (serde) as
/// `{"id","created_at","last_refresh_at","expires_at","user_agent","current"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct DeviceSession {
    /// The session id (the `sid` of its access tokens), which [`Sessions::end_session_of`] takes.
    pub id: String,
    /// When the session started (login).
    pub created_at: i64,
    /// When its refresh token was last used; the login time until the first refresh.
    pub last_refresh_at: i64,
    /// The session's absolute end: no refresh extends it.
    pub expires_at: i64,
    /// The client's `User-Agent` at login, cut to [`MAX_USER_AGENT_LEN`](super::MAX_USER_AGENT_LEN) bytes;
    /// `None` when the login recorded none ([`LoginOptions::user_agent`](super::LoginOptions::user_agent)).
    pub user_agent: Option<String>,
    /// Whether it is the session of the token that asked (the caller's own device).
    pub current: bool,
}

/// A page of a user's sessions ([`Sessions::sessions_of`]).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[non_exhaustive]
pub struct DeviceList {
    /// The live sessions, oldest end first, at most [`DEVICE_PAGE_SIZE`].
    pub sessions: Vec<DeviceSession>,
    /// The next page's cursor, when there may be one: give it to [`Sessions::sessions_of`]. Absent from the
    /// JSON when there is none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

impl DeviceSession {
    fn of(record: SessionRecord, caller: &TokenInfo) -> Self {
        Self {
            current: caller.session_id() == Some(record.session_id.as_str()),
            id: record.session_id,
            created_at: record.created_at,
            last_refresh_at: record.last_refresh_at,
            expires_at: record.expires_at,
            user_agent: record.user_agent,
        }
    }
}

impl Sessions {
    /// The live sessions of the user of `caller` — a token a layer wired to these sessions verified (the
    /// [`TokenInfo`] in the request's extensions) — one page at a time: the first page with `page` `None`,
    /// then the page [`DeviceList::next`] names. The caller's own session is marked
    /// [`current`](DeviceSession::current). Each page is one bounded store call, however many sessions the user
    /// has; a cursor that is not one of ours lists nothing.
    ///
    /// Errors: [`SessionError::NotVerifiedBySessions`] for a token that is not these sessions' own (a
    /// partner's token with the same `sub` can't list the user's sessions), [`SessionError::Unavailable`]
    /// when the store fails (or does not list sessions).
    pub async fn sessions_of(
        &self,
        caller: &TokenInfo,
        page: Option<&str>,
    ) -> Result<DeviceList, SessionError> {
        let subject = self.caller_subject(caller)?;
        let after = match page.map(SessionCursor::parse) {
            Some(None) => return Ok(DeviceList::default()),
            Some(cursor) => cursor,
            None => None,
        };
        let request = ListSessions::new(subject, self.clock().now(), DEVICE_PAGE_SIZE).after(after);
        let page = self.store().list_sessions(request).await?;
        Ok(DeviceList {
            sessions: page
                .sessions
                .into_iter()
                .map(|record| DeviceSession::of(record, caller))
                .collect(),
            next: page.next.map(|cursor| cursor.encode()),
        })
    }

    /// Ends session `session_id` of the user of `caller` (a token of these sessions, as for
    /// [`sessions_of`](Self::sessions_of)): its refresh tokens stop working and, through `sid`, its access
    /// tokens are refused — as [`logout`](Self::logout) does with the session's own token. `Ok(false)` when
    /// `session_id` is not one of the user's live sessions: another user's session and one that does not exist
    /// (or has ended) are answered alike, and nothing is revoked. The caller may end their own session too.
    /// Reported as the audit event `session_ended`, with the ended session's user agent.
    pub async fn end_session_of(
        &self,
        caller: &TokenInfo,
        session_id: &str,
    ) -> Result<bool, SessionError> {
        let subject = self.caller_subject(caller)?;
        let now = self.clock().now();
        let found = self.store().find_session(session_id, now).await?;
        let Some(record) = found.filter(|record| record.subject == subject) else {
            return Ok(false);
        };
        self.end_session(session_id, self.revoked_now_until(now))
            .await?;
        self.auditor().emit(
            self.audit_event(AuditEventKind::SessionEnded)
                .subject(Some(subject))
                .session_id(Some(session_id))
                .user_agent(record.user_agent.as_deref()),
        );
        Ok(true)
    }

    /// The subject of a token these sessions issued and a layer wired to them verified.
    fn caller_subject<'a>(&self, caller: &'a TokenInfo) -> Result<&'a str, SessionError> {
        let own = caller.is_own_token() && caller.issuer() == Some(self.issuer().issuer_name());
        caller
            .subject()
            .filter(|_| own)
            .ok_or(SessionError::NotVerifiedBySessions)
    }
}
