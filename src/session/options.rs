//! What a login or a refresh request tells about its client: [`LoginOptions`] and [`RefreshOptions`].

use crate::dpop::DpopProof;

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

    /// The client's `User-Agent` header, recorded with the session.
    pub fn user_agent(mut self, user_agent: &str) -> Self {
        self.user_agent = Some(user_agent.to_owned());
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

    /// The client's `User-Agent` header.
    pub fn user_agent(mut self, user_agent: &str) -> Self {
        self.user_agent = Some(user_agent.to_owned());
        self
    }
}
