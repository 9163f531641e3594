//! What a login or a refresh request tells about its client: [`LoginOptions`] and [`RefreshOptions`].

use crate::dpop::DpopProof;

/// The longest user agent recorded, in bytes: a longer one is cut (at a character boundary) to this.
pub const MAX_USER_AGENT_LEN: usize = 256;

/// `user_agent` cut to [`MAX_USER_AGENT_LEN`] bytes, at a character boundary, without control characters.
pub(crate) fn truncated_user_agent(user_agent: &str) -> String {
    let mut end = user_agent.len().min(MAX_USER_AGENT_LEN);
    while !user_agent.is_char_boundary(end) {
        end -= 1;
    }
    user_agent[..end].replace(char::is_control, " ")
}

/// The request's `User-Agent` header, when it is one readable value.
pub(crate) fn user_agent_of(headers: &http::HeaderMap) -> Option<&str> {
    headers
        .get(http::header::USER_AGENT)
        .and_then(|value| value.to_str().ok())
}

/// Everything [`Sessions::login_with_options`](crate::Sessions::login_with_options) records besides the subject
/// and the claims, from the login request: a verified DPoP proof to bind the pair to, the client's
/// `User-Agent`. Start from [`LoginOptions::new`] and chain the setters; options may be added without breaking
/// callers.
///
/// ```
/// # async fn example(sessions: tower_jwt_auth::Sessions) -> Result<(), tower_jwt_auth::session::SessionError> {
/// use tower_jwt_auth::session::LoginOptions;
///
/// let pair = sessions
///     .login_with_options("alice", &serde_json::json!({ "scope": "read" }), LoginOptions::new())
///     .await?;
/// # let _ = pair; Ok(()) }
/// ```
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct LoginOptions {
    pub(crate) dpop: Option<DpopProof>,
    pub(crate) user_agent: Option<String>,
}

impl LoginOptions {
    /// No options: an unbound bearer pair.
    pub fn new() -> Self {
        Self::default()
    }

    /// Binds the pair to the key of this DPoP proof (checked with [`Dpop::check`](crate::dpop::Dpop::check)):
    /// the access tokens carry `cnf.jkt`, the pair's `token_type` is `DPoP`, and the refresh token is bound to
    /// the same key (RFC 9449 §5), so only its holder can refresh.
    pub fn dpop(mut self, proof: &DpopProof) -> Self {
        self.dpop = Some(proof.clone());
        self
    }

    /// The client's `User-Agent` header, recorded with the session (cut to [`MAX_USER_AGENT_LEN`] bytes) for
    /// the device list ([`Sessions::sessions_of`](crate::Sessions::sessions_of)) and the audit events.
    pub fn user_agent(mut self, user_agent: &str) -> Self {
        self.user_agent = Some(truncated_user_agent(user_agent));
        self
    }
}

/// Everything [`Sessions::refresh_with_options`](crate::Sessions::refresh_with_options) takes from the refresh
/// request besides the refresh token: a verified DPoP proof (a bound refresh token needs one by its key), the
/// client's `User-Agent`. Start from [`RefreshOptions::new`]; options may be added without breaking callers.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct RefreshOptions {
    pub(crate) dpop: Option<DpopProof>,
    pub(crate) user_agent: Option<String>,
}

impl RefreshOptions {
    /// No options: refreshes an unbound refresh token.
    pub fn new() -> Self {
        Self::default()
    }

    /// The DPoP proof sent with the refresh (checked with [`Dpop::check`](crate::dpop::Dpop::check)). A bound
    /// refresh token needs a proof by its key; an unbound one refreshed with a proof gets a pair bound to the
    /// proof's key from then on.
    pub fn dpop(mut self, proof: &DpopProof) -> Self {
        self.dpop = Some(proof.clone());
        self
    }

    /// The client's `User-Agent` header (cut to [`MAX_USER_AGENT_LEN`] bytes), for the refresh's audit event;
    /// the session keeps the one it recorded at login.
    pub fn user_agent(mut self, user_agent: &str) -> Self {
        self.user_agent = Some(truncated_user_agent(user_agent));
        self
    }
}
