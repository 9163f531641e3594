//! [`AuthError`]: a rejected request, its kind and what the response needs to say about it.

use std::fmt;
use std::sync::Arc;

use http::StatusCode;

use super::AuthErrorKind;

/// A rejected request: its [`AuthErrorKind`] and, for scope failures, the scopes that were required; for a
/// claims set that does not fit the layer's claims type, the deserializer's explanation
/// ([`detail`](Self::detail), for the application's log, never sent to clients).
///
/// It is inserted into the extensions of every rejection response, so outer layers (logging, metrics) can see
/// why a request was refused:
///
/// ```
/// use tower_jwt_auth::{AuthError, AuthErrorKind};
/// # let response = http::Response::builder().extension(AuthError::new(AuthErrorKind::Expired)).body(()).unwrap();
/// if let Some(error) = response.extensions().get::<AuthError>() {
///     assert_eq!(error.kind(), AuthErrorKind::Expired);
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthError {
    kind: AuthErrorKind,
    required_scope: Option<Arc<str>>,
    claim: Option<&'static str>,
    dpop: bool,
    dpop_nonce: Option<Arc<str>>,
    detail: Option<Arc<str>>,
    /// A DPoP proof refused because it was used before (an audit event, `dpop_replay`).
    replayed: bool,
}

impl AuthError {
    /// An error of this kind.
    pub fn new(kind: AuthErrorKind) -> Self {
        Self {
            kind,
            required_scope: None,
            claim: None,
            dpop: false,
            dpop_nonce: None,
            detail: None,
            replayed: false,
        }
    }

    /// The same error, refusing a DPoP proof that was used before.
    pub(crate) fn replayed(mut self) -> Self {
        self.replayed = true;
        self
    }

    /// Whether it refuses a DPoP proof that was used before (a replay, which a login handler checking proofs
    /// itself may report as the audit event `dpop_replay` with [`Sessions::report`](crate::Sessions::report)).
    pub fn is_dpop_replay(&self) -> bool {
        self.replayed
    }

    /// The same error, explained by `detail` (see [`detail`](Self::detail)).
    pub(crate) fn with_detail(mut self, detail: impl fmt::Display) -> Self {
        self.detail = Some(detail.to_string().into());
        self
    }

    /// The same error, for a request that used the DPoP scheme: its challenge is a `DPoP` one.
    pub(crate) fn with_dpop(mut self) -> Self {
        self.dpop = true;
        self
    }

    /// 401 `use_dpop_nonce`, handing out `nonce` (in the `DPoP-Nonce` header of the response).
    pub(crate) fn use_dpop_nonce(nonce: String) -> Self {
        Self {
            dpop_nonce: Some(nonce.into()),
            dpop: true,
            ..Self::of_claim(AuthErrorKind::UseDpopNonce, "nonce")
        }
    }

    /// Whether the refused request used the DPoP scheme (or was refused for not using it): its challenge is
    /// then a `DPoP` one.
    pub fn used_dpop(&self) -> bool {
        self.dpop
            || matches!(
                self.kind,
                AuthErrorKind::DpopRequired
                    | AuthErrorKind::InvalidDpopProof
                    | AuthErrorKind::UseDpopNonce
            )
    }

    /// The server nonce a client must put into its next DPoP proof ([`AuthErrorKind::UseDpopNonce`]); the
    /// layer sends it as `DPoP-Nonce`.
    pub fn dpop_nonce(&self) -> Option<&str> {
        self.dpop_nonce.as_deref()
    }

    /// An error about the registered claim `claim` (`exp`, `iss`, `aud`, …): missing, of the wrong type, or
    /// refused.
    pub(crate) fn of_claim(kind: AuthErrorKind, claim: &'static str) -> Self {
        Self {
            claim: Some(claim),
            ..Self::new(kind)
        }
    }

    /// A 403 `insufficient_scope` error naming the scopes the resource requires (space separated).
    pub fn insufficient_scope(required: impl Into<String>) -> Self {
        Self::insufficient_scope_shared(required.into().into())
    }

    /// [`insufficient_scope`](Self::insufficient_scope) for a scope text prepared once (no copy per rejection).
    pub(crate) fn insufficient_scope_shared(required: Arc<str>) -> Self {
        Self {
            required_scope: Some(required),
            ..Self::new(AuthErrorKind::InsufficientScope)
        }
    }

    /// Why the request was rejected.
    pub fn kind(&self) -> AuthErrorKind {
        self.kind
    }

    /// The HTTP status of the rejection.
    pub fn status(&self) -> StatusCode {
        self.kind.status()
    }

    /// The name of the registered claim the token failed on (`exp`, `nbf`, `iat`, `iss`, `aud`, a required
    /// claim, a registered claim of the wrong type), when the error is about one — its name, never its value.
    /// Not sent to clients (the challenge's description stays fixed); for logs and the `tracing` event.
    pub fn claim(&self) -> Option<&'static str> {
        self.claim
    }

    /// Why the token's claims did not fit the layer's claims type, in the deserializer's words — for example
    /// ``missing field `tenant` at line 1 column 96`` when a field was added to the claims struct while tokens
    /// issued without it are still alive (give such fields `#[serde(default)]` or make them `Option<T>`, see
    /// [`JwtAuthBuilder::claims`](crate::JwtAuthBuilder::claims)). `None` for every other error.
    ///
    /// For the application's log only: it is in the layer's `debug` event (feature `tracing`), never in a
    /// response — the client gets the fixed description of [`AuthErrorKind::InvalidClaim`]. It may quote a
    /// claim's value when that value has the wrong type, as serde's messages do.
    pub fn detail(&self) -> Option<&str> {
        self.detail.as_deref()
    }

    /// The scopes that were required, for `insufficient_scope` rejections.
    pub fn required_scope(&self) -> Option<&str> {
        self.required_scope.as_deref()
    }
}

impl From<AuthErrorKind> for AuthError {
    fn from(kind: AuthErrorKind) -> Self {
        Self::new(kind)
    }
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.kind, f)
    }
}

impl std::error::Error for AuthError {}
