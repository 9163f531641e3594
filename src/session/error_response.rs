//! How a [`SessionError`] or an [`IssueError`](crate::issuer::IssueError) answers over HTTP (RFC 6749 §5.2): the status and OAuth `error`
//! code the refresh and revoke endpoints use, and (feature `axum`) `IntoResponse` with an `error_description`.

use http::StatusCode;

use crate::session::SessionError;

/// Seconds a client is asked to wait (`Retry-After`) before retrying when the store is unavailable.
#[cfg(feature = "axum")]
const RETRY_AFTER_SECONDS: &str = "5";

impl SessionError {
    /// The status and OAuth `error` code that answer this error.
    pub(crate) fn oauth_status(&self) -> (StatusCode, &'static str) {
        match self {
            Self::InvalidGrant => (StatusCode::BAD_REQUEST, "invalid_grant"),
            Self::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable"),
            Self::Issue(_) => (StatusCode::INTERNAL_SERVER_ERROR, "server_error"),
            Self::NotASessionToken | Self::NotVerifiedBySessions => {
                (StatusCode::BAD_REQUEST, "unsupported_token_type")
            }
        }
    }

    /// The endpoints' answer to this error: its status and OAuth `error` code (no description).
    pub(crate) fn endpoint_response(&self) -> http::Response<http_body_util::Full<bytes::Bytes>> {
        let (status, code) = self.oauth_status();
        crate::well_known::document::oauth_error(status, code)
    }

    /// The `error_description` told to the client: fixed text, never the store's or signer's internals.
    #[cfg(feature = "axum")]
    fn oauth_description(&self) -> &'static str {
        match self {
            Self::InvalidGrant => "the refresh token is invalid, expired, revoked or was reused",
            Self::Unavailable(_) => "the session store is unavailable; retry later",
            Self::Issue(_) => "the access token could not be issued",
            Self::NotASessionToken => "the token belongs to no session",
            Self::NotVerifiedBySessions => "the token was not verified for these sessions",
        }
    }
}

/// An RFC 6749 error answer: `{"error": "...", "error_description": "..."}` with `Cache-Control: no-store`;
/// [`SessionError::InvalidGrant`] is 400 `invalid_grant`, [`SessionError::Unavailable`] 503
/// `temporarily_unavailable` with `Retry-After`, [`SessionError::Issue`] 500 `server_error`, and a token that
/// belongs to no session (or was not verified for these sessions) 400 `unsupported_token_type`, as
/// [`RevokeEndpoint`](crate::session::RevokeEndpoint) answers it. The store's and signer's messages are not sent.
#[cfg(feature = "axum")]
impl axum_core::response::IntoResponse for SessionError {
    fn into_response(self) -> axum_core::response::Response {
        let (status, code) = self.oauth_status();
        let mut response = crate::well_known::document::described_oauth_error(
            status,
            code,
            self.oauth_description(),
        );
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response.headers_mut().insert(
                http::header::RETRY_AFTER,
                http::HeaderValue::from_static(RETRY_AFTER_SECONDS),
            );
        }
        response.map(axum_core::body::Body::new)
    }
}

/// Answers as the [`SessionError`] it becomes: a passed session cap is 400 `invalid_grant`, every other
/// failure 500 `server_error` without its message (the claims or signer at fault are the server's business).
#[cfg(feature = "axum")]
impl axum_core::response::IntoResponse for crate::issuer::IssueError {
    fn into_response(self) -> axum_core::response::Response {
        SessionError::from(self).into_response()
    }
}
