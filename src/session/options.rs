//! What a login or a refresh request tells about its client: [`LoginOptions`] and [`RefreshOptions`].

use crate::certificate::ClientCertificate;
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
    pub(crate) certificate: Option<ClientCertificate>,
    pub(crate) acr: Option<String>,
    pub(crate) amr: Option<Vec<String>>,
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

    /// Binds the pair to the client certificate of the login's TLS connection (RFC 8705 §3): the access tokens
    /// carry `cnf["x5t#S256"]`, the refresh token is bound the same way (refreshing needs the certificate), and
    /// `token_type` stays `Bearer`. A [`dpop`](Self::dpop) proof given too wins: a pair is bound to one or the
    /// other, and a client that sends a DPoP proof asked for DPoP.
    pub fn client_certificate(mut self, certificate: &ClientCertificate) -> Self {
        self.certificate = Some(certificate.clone());
        self
    }

    /// How the user authenticated: the authentication context class (`acr`, e.g. `urn:example:mfa`), written
    /// into every access token of the session, kept by refresh and sliding, and raised by
    /// [`Sessions::reauthenticate`](crate::Sessions::reauthenticate). The application's claims may then not
    /// name `acr` themselves.
    pub fn acr(mut self, acr: &str) -> Self {
        self.acr = Some(acr.to_owned());
        self
    }

    /// The authentication methods used (`amr`, RFC 8176: `["pwd", "otp"]`), kept like [`acr`](Self::acr).
    pub fn amr<I, S>(mut self, methods: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.amr = Some(methods.into_iter().map(Into::into).collect());
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
    pub(crate) certificate: Option<ClientCertificate>,
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

    /// The client certificate of the refresh request's TLS connection. A certificate-bound refresh token needs
    /// its own certificate: without it, or with another, the refresh is
    /// [`SessionError::InvalidGrant`](crate::session::SessionError::InvalidGrant) and nothing rotates. An
    /// unbound token refreshed with a certificate (and no DPoP proof, which wins) gets a pair bound to it from
    /// then on.
    pub fn client_certificate(mut self, certificate: &ClientCertificate) -> Self {
        self.certificate = Some(certificate.clone());
        self
    }
}

impl RefreshOptions {
    /// The options of a refresh request with this (checked) DPoP proof and client certificate.
    pub(crate) fn of(proof: Option<&DpopProof>, certificate: Option<&ClientCertificate>) -> Self {
        Self {
            dpop: proof.cloned(),
            certificate: certificate.cloned(),
            ..Self::default()
        }
    }
}
