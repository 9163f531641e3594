//! [`TokenPair`]: an access token and its refresh token, as an OAuth token response.

use std::fmt;

use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};

use crate::issuer::AccessToken;

/// An access token and the refresh token that renews it, as an OAuth token response (RFC 6749 §5.1).
///
/// Serializes as `{"access_token","refresh_token","token_type":"Bearer","expires_in"}`, with `"token_type":
/// "DPoP"` for a pair bound to a DPoP key (RFC 9449 §5). `Debug` redacts both tokens.
///
/// With the `axum` feature it is a response itself — 200, that JSON, `Cache-Control: no-store` and `Pragma:
/// no-cache` (RFC 6749 §5.1) — so a login handler is the password check and one call:
///
/// ```
/// use axum::{routing::post, Json, Router};
/// use serde::Deserialize;
/// use serde_json::json;
/// use tower_jwt_auth::session::SessionError;
/// use tower_jwt_auth::{Sessions, TokenPair};
///
/// #[derive(Deserialize)]
/// struct Credentials {
///     username: String,
///     password: String,
/// }
///
/// async fn login(sessions: Sessions, Json(user): Json<Credentials>) -> Result<TokenPair, SessionError> {
///     // Your password check here (a 401 of yours when it fails).
///     # let _ = user.password;
///     sessions.login(&user.username, &json!({ "scope": "read" })).await
/// }
/// # fn app(sessions: Sessions) -> Router {
/// Router::new().route("/login", post(move |body| login(sessions.clone(), body)))
/// # }
/// ```
#[derive(Clone)]
pub struct TokenPair {
    pub(super) access: AccessToken,
    pub(super) refresh_token: String,
    pub(super) expires_in: i64,
    pub(super) dpop_bound: bool,
}

impl TokenPair {
    /// The access token.
    pub fn access_token(&self) -> &str {
        self.access.as_str()
    }

    /// The access token with its `jti` and times.
    pub fn access(&self) -> &AccessToken {
        &self.access
    }

    /// The opaque refresh token.
    pub fn refresh_token(&self) -> &str {
        &self.refresh_token
    }

    /// Seconds until the access token expires.
    pub fn expires_in(&self) -> i64 {
        self.expires_in
    }

    /// `DPoP` for a pair bound to a DPoP key, `Bearer` otherwise.
    pub fn token_type(&self) -> &'static str {
        match self.dpop_bound {
            true => "DPoP",
            false => "Bearer",
        }
    }
}

impl fmt::Debug for TokenPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenPair")
            .field("access_token", &"[redacted]")
            .field("refresh_token", &"[redacted]")
            .field("expires_in", &self.expires_in)
            .field("token_type", &self.token_type())
            .finish()
    }
}

impl Serialize for TokenPair {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("TokenPair", 4)?;
        s.serialize_field("access_token", self.access.as_str())?;
        s.serialize_field("refresh_token", &self.refresh_token)?;
        s.serialize_field("token_type", self.token_type())?;
        s.serialize_field("expires_in", &self.expires_in)?;
        s.end()
    }
}

/// 200 with the pair as JSON, `Cache-Control: no-store` and `Pragma: no-cache` (RFC 6749 §5.1).
#[cfg(feature = "axum")]
impl axum_core::response::IntoResponse for TokenPair {
    fn into_response(self) -> axum_core::response::Response {
        let body = serde_json::to_string(&self).expect("a token pair serializes");
        crate::well_known::document::json_response(http::StatusCode::OK, body)
            .map(axum_core::body::Body::new)
    }
}
