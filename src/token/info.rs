//! What the layer puts into request extensions for handlers: the typed claims and the token's registered facts.

use std::ops::Deref;
use std::sync::Arc;

use crate::token::claims_view::ClaimsView;
use crate::RegisteredClaims;

/// The verified claims of the request's token, as the type the layer was built for.
///
/// Cloning is a pointer copy. With the `axum` feature, `Claims<C>` and `Option<Claims<C>>` are extractors.
///
/// ```
/// use tower_jwt_auth::{Claims, RegisteredClaims};
///
/// fn whoami(request: &http::Request<()>) -> Option<String> {
///     let claims = request.extensions().get::<Claims<RegisteredClaims>>()?;
///     claims.sub.clone()
/// }
/// # assert_eq!(whoami(&http::Request::new(())), None);
/// ```
#[derive(Debug)]
pub struct Claims<C = RegisteredClaims>(Arc<C>);

impl<C> Claims<C> {
    /// Wraps claims (the layer does this; handy in tests).
    pub fn new(claims: C) -> Self {
        Self(Arc::new(claims))
    }

    /// The shared claims.
    pub fn into_arc(self) -> Arc<C> {
        self.0
    }
}

impl<C> Clone for Claims<C> {
    fn clone(&self) -> Self {
        Self(Arc::clone(&self.0))
    }
}

impl<C> Deref for Claims<C> {
    type Target = C;
    fn deref(&self) -> &C {
        &self.0
    }
}

/// The registered facts of the verified token, inserted beside [`Claims`] whatever the claims type is; used by
/// revocation, scope checks and sliding sessions. Cloning is a pointer copy.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenInfo(Arc<Facts>);

#[derive(Debug, Default, PartialEq, Eq)]
struct Facts {
    iss: Option<String>,
    sub: Option<String>,
    jti: Option<String>,
    sid: Option<String>,
    scope: Option<String>,
    iat: Option<i64>,
    nbf: Option<i64>,
    exp: Option<i64>,
    auth_time: Option<i64>,
    client_id: Option<String>,
    jkt: Option<String>,
    /// `cnf["x5t#S256"]`: the thumbprint of the client certificate the token is bound to.
    x5t: Option<String>,
    acr: Option<String>,
    amr: Option<Vec<String>>,
    session_exp: Option<i64>,
    /// Verified by a key of the layer's own session issuer.
    own: bool,
}

impl TokenInfo {
    /// The facts of a token verified with `view`'s claims; `own` when a key of the layer's own session issuer
    /// verified it.
    pub(crate) fn from_view(view: &ClaimsView<'_>, own: bool) -> Self {
        Self(Arc::new(Facts {
            iss: view.iss.as_deref().map(str::to_owned),
            sub: view.sub.as_deref().map(str::to_owned),
            jti: view.jti.as_deref().map(str::to_owned),
            sid: view.sid.as_deref().map(str::to_owned),
            scope: view.scope.as_deref().map(str::to_owned),
            iat: view.iat,
            nbf: view.nbf,
            exp: view.exp,
            auth_time: view.auth_time,
            client_id: view.client_id.as_deref().map(str::to_owned),
            jkt: view.cnf_jkt.as_deref().map(str::to_owned),
            x5t: view.cnf_x5t.as_deref().map(str::to_owned),
            acr: view.acr.as_deref().map(str::to_owned),
            amr: view
                .amr
                .as_ref()
                .map(|amr| amr.0.iter().map(|m| m.to_string()).collect()),
            session_exp: view.session_exp,
            own,
        }))
    }

    /// The facts of some token of session `session_id` (to ask a store whether the session is revoked).
    pub(crate) fn of_session(session_id: &str) -> Self {
        Self(Arc::new(Facts {
            sid: Some(session_id.to_owned()),
            ..Facts::default()
        }))
    }

    /// The facts of the first token of a login: `subject`'s session `session_id` of `issuer`, begun at `at`.
    pub(crate) fn of_login(issuer: &str, subject: &str, session_id: &str, at: i64) -> Self {
        Self(Arc::new(Facts {
            iss: Some(issuer.to_owned()),
            sub: Some(subject.to_owned()),
            sid: Some(session_id.to_owned()),
            iat: Some(at),
            auth_time: Some(at),
            own: true,
            ..Facts::default()
        }))
    }

    #[cfg(test)]
    pub(crate) fn for_tests(
        iss: &str,
        sid: Option<&str>,
        iat: i64,
        exp: i64,
        auth_time: Option<i64>,
    ) -> Self {
        Self(Arc::new(Facts {
            iss: Some(iss.to_owned()),
            sid: sid.map(str::to_owned),
            iat: Some(iat),
            exp: Some(exp),
            auth_time,
            ..Facts::default()
        }))
    }

    /// The issuer (`iss`). With [`trust_issuer`](crate::JwtAuthBuilder::trust_issuer), tells a partner's
    /// `sub: "alice"` from the local one.
    pub fn issuer(&self) -> Option<&str> {
        self.0.iss.as_deref()
    }

    /// Whether a "log out everywhere" at `not_before` (whole seconds) covers this token.
    ///
    /// - A token of a session (`sid` and `auth_time`) is covered when its session began in an earlier second
    ///   (`auth_time < not_before`), whatever its `iat`: every token of a session that existed before the
    ///   logout-all is refused, including tokens sliding reissued in the same second or while the logout ran,
    ///   and whether or not the store still holds the session (a session that only slides may have been swept
    ///   when its refresh token idled out). A session that began in the same second is decided by its own
    ///   marker: a logout-all revokes every session that exists when it runs, and a login right after it starts
    ///   a session that is not revoked.
    /// - Any other token is covered when it was issued in that second or earlier (`iat <= not_before`); a token
    ///   without `iat` is always covered.
    pub fn is_logged_out_by(&self, not_before: i64) -> bool {
        let Some(iat) = self.0.iat else {
            return true;
        };
        match (&self.0.sid, self.0.auth_time) {
            (Some(_), Some(auth_time)) => auth_time < not_before || iat < not_before,
            _ => iat <= not_before,
        }
    }

    /// Whether a key of the layer's own session issuer (the [`Sessions`](crate::Sessions) it is wired to)
    /// verified the token, rather than a static, remote or partner key. Only such tokens slide, end a local
    /// session on [`Sessions::logout`](crate::Sessions::logout), or are held to the issuer's
    /// [`max_ttl`](crate::issuer::TokenIssuerBuilder::max_ttl).
    pub fn is_own_token(&self) -> bool {
        self.0.own
    }

    /// The OAuth client the token was issued to (`client_id`, RFC 9068 §2.2).
    pub fn client_id(&self) -> Option<&str> {
        self.0.client_id.as_deref()
    }

    /// The subject (`sub`).
    pub fn subject(&self) -> Option<&str> {
        self.0.sub.as_deref()
    }

    /// The token id (`jti`).
    pub fn token_id(&self) -> Option<&str> {
        self.0.jti.as_deref()
    }

    /// The session id (`sid`).
    pub fn session_id(&self) -> Option<&str> {
        self.0.sid.as_deref()
    }

    /// The space-separated `scope` claim.
    pub fn scope(&self) -> Option<&str> {
        self.0.scope.as_deref()
    }

    /// Whether the `scope` claim lists `wanted`.
    pub fn has_scope(&self, wanted: &str) -> bool {
        self.0
            .scope
            .as_deref()
            .is_some_and(|s| s.split(' ').any(|s| s == wanted))
    }

    /// Issued-at time (`iat`).
    pub fn issued_at(&self) -> Option<i64> {
        self.0.iat
    }

    /// Not-before time (`nbf`).
    pub fn not_before(&self) -> Option<i64> {
        self.0.nbf
    }

    /// Expiry time (`exp`).
    pub fn expires_at(&self) -> Option<i64> {
        self.0.exp
    }

    /// When the user last authenticated (`auth_time`): the session start, or its latest step-up
    /// ([`Sessions::reauthenticate`](crate::Sessions::reauthenticate)).
    pub fn auth_time(&self) -> Option<i64> {
        self.0.auth_time
    }

    /// The absolute end of the token's session (`session_exp`), written by this crate's sessions once a
    /// step-up has moved `auth_time` past the session's start: sliding never renews a token beyond it.
    pub fn session_expires_at(&self) -> Option<i64> {
        self.0.session_exp
    }

    /// The authentication context class the user authenticated with (`acr`, OIDC Core §2), as step-up
    /// requirements (`authorize::StepUp`) compare it.
    pub fn acr(&self) -> Option<&str> {
        self.0.acr.as_deref()
    }

    /// The authentication methods used (`amr`, RFC 8176), such as `["pwd", "otp"]`; empty without the claim.
    pub fn amr(&self) -> &[String] {
        self.0.amr.as_deref().unwrap_or_default()
    }

    /// The thumbprint of the client certificate the token is bound to (`cnf["x5t#S256"]`, RFC 8705 §3.1). A
    /// layer admits such a token only on a request with that certificate, so in a handler `Some` means the
    /// request came with it.
    pub fn certificate_thumbprint(&self) -> Option<&str> {
        self.0.x5t.as_deref()
    }

    /// The thumbprint of the DPoP key the token is bound to (`cnf.jkt`, RFC 9449 §6.1). A layer admits such a
    /// token only with a valid proof signed by that key, so in a handler `Some` means the request was
    /// sender-constrained, by this key.
    pub fn dpop_thumbprint(&self) -> Option<&str> {
        self.0.jkt.as_deref()
    }

    /// Whether the token is sender-constrained — DPoP-bound, or bound to a client certificate — so the request
    /// that carried it proved possession of the key or came with the certificate.
    pub fn is_sender_constrained(&self) -> bool {
        self.0.jkt.is_some() || self.0.x5t.is_some()
    }
}
