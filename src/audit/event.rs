//! [`AuditEvent`] and [`AuditEventKind`]: what happened to a session, and to whom — never a token or a secret.

use std::fmt;

use serde::ser::{Serialize, SerializeStruct, Serializer};

/// What an [`AuditEvent`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AuditEventKind {
    /// A session started ([`Sessions::login`](crate::Sessions::login) and its variants).
    Login,
    /// A refresh token was rotated (or a rotation retried inside the grace period).
    Refresh,
    /// A rotated refresh token was presented again: its whole session has been revoked. The event names that
    /// session; its subject is known when the token was the immediately previous one (the store tells), not
    /// when it was older (the session was ended by its id alone).
    ReuseDetected,
    /// A session was logged out with one of its access tokens ([`Sessions::logout`](crate::Sessions::logout)).
    Logout,
    /// A subject was logged out everywhere ([`Sessions::logout_all`](crate::Sessions::logout_all)).
    LogoutAll,
    /// A session was revoked through its refresh token (RFC 7009, [`Sessions::revoke`](crate::Sessions::revoke),
    /// [`RevokeEndpoint`](crate::session::RevokeEndpoint)).
    Revoke,
    /// A user ended one of their sessions from the device list
    /// ([`Sessions::end_session_of`](crate::Sessions::end_session_of)).
    SessionEnded,
    /// A sliding action's response carried a renewed access token.
    SlidingReissue,
    /// A DPoP proof was presented a second time and refused (by the layer or the refresh endpoint).
    DpopReplay,
    /// An identity provider's back-channel logout ended its session here
    /// ([`BackchannelLogout`](crate::session::BackchannelLogout)): the event names the provider (`issuer`), its
    /// `sid` and/or `sub`.
    BackchannelLogout,
}

impl AuditEventKind {
    /// Every kind, in the order above.
    pub const ALL: [Self; 10] = [
        Self::Login,
        Self::Refresh,
        Self::ReuseDetected,
        Self::Logout,
        Self::LogoutAll,
        Self::Revoke,
        Self::SessionEnded,
        Self::SlidingReissue,
        Self::DpopReplay,
        Self::BackchannelLogout,
    ];

    /// The kind's name: `login`, `refresh`, `reuse_detected`, `logout`, `logout_all`, `revoke`,
    /// `session_ended`, `sliding_reissue`, `dpop_replay`, `backchannel_logout` (the `event` field of its JSON,
    /// tracing and metrics).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Login => "login",
            Self::Refresh => "refresh",
            Self::ReuseDetected => "reuse_detected",
            Self::Logout => "logout",
            Self::LogoutAll => "logout_all",
            Self::Revoke => "revoke",
            Self::SessionEnded => "session_ended",
            Self::SlidingReissue => "sliding_reissue",
            Self::DpopReplay => "dpop_replay",
            Self::BackchannelLogout => "backchannel_logout",
        }
    }
}

impl fmt::Display for AuditEventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One audit event: its kind, the subject and session it concerns, the issuer, when (Unix seconds, by the
/// sessions' clock), and the client's `User-Agent` where known. It holds no token, no refresh-token secret and no
/// claim other than the subject, so printing it (`Debug`, its JSON) is safe.
///
/// Serialised (serde) as one flat object, the shape of the demo's `AUDIT_LOG` lines:
/// `{"event":"login","sub":"alice","sid":"…","iss":"demo","at":1700000000,"user_agent":"curl/8"}` (absent values
/// are `null`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AuditEvent {
    /// What happened.
    pub kind: AuditEventKind,
    /// The user (`sub`), when known.
    pub subject: Option<String>,
    /// The session (`sid`), when the event concerns one.
    pub session_id: Option<String>,
    /// The issuer (`iss`) of the session or token.
    pub issuer: Option<String>,
    /// When, in Unix seconds.
    pub at: i64,
    /// The client's `User-Agent`, where known: the request's for a login or a refresh that was given one,
    /// otherwise the one the session recorded at login when the crate has it at hand (a refresh, a session
    /// ended from the device list).
    pub user_agent: Option<String>,
}

impl AuditEvent {
    /// An event of `kind` at `at`, about nobody yet; the setters fill in the rest.
    pub fn new(kind: AuditEventKind, at: i64) -> Self {
        Self {
            kind,
            subject: None,
            session_id: None,
            issuer: None,
            at,
            user_agent: None,
        }
    }

    /// The subject.
    pub fn subject(mut self, subject: Option<&str>) -> Self {
        self.subject = subject.map(str::to_owned);
        self
    }

    /// The session.
    pub fn session_id(mut self, session_id: Option<&str>) -> Self {
        self.session_id = session_id.map(str::to_owned);
        self
    }

    /// The issuer.
    pub fn issuer(mut self, issuer: Option<&str>) -> Self {
        self.issuer = issuer.map(str::to_owned);
        self
    }

    /// The client's user agent.
    pub fn user_agent(mut self, user_agent: Option<&str>) -> Self {
        self.user_agent = user_agent.map(str::to_owned);
        self
    }
}

impl Serialize for AuditEvent {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut event = serializer.serialize_struct("AuditEvent", 6)?;
        event.serialize_field("event", self.kind.as_str())?;
        event.serialize_field("sub", &self.subject)?;
        event.serialize_field("sid", &self.session_id)?;
        event.serialize_field("iss", &self.issuer)?;
        event.serialize_field("at", &self.at)?;
        event.serialize_field("user_agent", &self.user_agent)?;
        event.end()
    }
}
