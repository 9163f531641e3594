//! [`LogoutEndpoint`]: [`Sessions::logout`] (or [`Sessions::logout_all`]) as a tower service behind the layer.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::header::{HeaderValue, ALLOW, CACHE_CONTROL};
use http::{Method, Request, Response, StatusCode};
use http_body_util::Full;
use tower_service::Service;

use crate::session::{SessionError, Sessions};
use crate::well_known::document::oauth_error;
use crate::TokenInfo;

/// What the application is told (the error event, feature `tracing`) when no verified token reached the
/// endpoint; never sent to the client.
#[cfg_attr(not(feature = "tracing"), allow(dead_code))]
const UNPROTECTED: &str =
    "a LogoutEndpoint received a request without a verified token: mount it behind the JwtAuthLayer wired to \
     its sessions (in axum, .route_service(\"/logout\", LogoutEndpoint::new(sessions)) on a router that has \
     .route_layer(auth) or .layer(auth)), and not behind an .optional() layer";

/// `POST` endpoint that ends the session of the access token that authenticated the request: its refresh
/// tokens stop working and its access tokens (and every token sliding derived from them) are refused
/// ([`Sessions::logout`]); with [`everywhere`](Self::everywhere), every session of the token's subject ends
/// ([`Sessions::logout_all`]).
///
/// Mount it behind the [`JwtAuthLayer`](crate::JwtAuthLayer) wired to the same sessions: the layer verifies the
/// token (a missing or bad one is the layer's 401) and hands the endpoint its [`TokenInfo`]. Answers 204 with
/// `Cache-Control: no-store`; 400 `unsupported_token_type` for a token the sessions can't end (no session and
/// no `jti`, or another issuer's token for `everywhere`); 503 `temporarily_unavailable` when the store is
/// down; 405 for other methods. Without a verified token (mounted in front of the layer, or behind an
/// `.optional()` one) it answers 500 with an empty body and an error event naming the fix: a wiring mistake,
/// never a logout that did not happen.
///
/// ```
/// use axum::Router;
/// use tower_jwt_auth::session::LogoutEndpoint;
/// use tower_jwt_auth::{Algorithm, JwtAuthLayer, MemoryStore, Sessions, SigningKey, TokenIssuer};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let issuer = TokenIssuer::builder(SigningKey::hmac(Algorithm::HS256, &[42u8; 32])?)
///     .issuer("https://auth.example.com")
///     .audience("my-api")
///     .build()?;
/// let sessions = Sessions::builder(issuer, MemoryStore::new()).build()?;
/// let auth = JwtAuthLayer::for_sessions(&sessions).build()?;
/// let app: Router = Router::new()
///     .route_service("/logout", LogoutEndpoint::new(sessions.clone()))
///     .route_service("/logout-all", LogoutEndpoint::new(sessions).everywhere())
///     .route_layer(auth);
/// # let _ = app; Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct LogoutEndpoint {
    sessions: Sessions,
    everywhere: bool,
}

impl LogoutEndpoint {
    /// Ends the session of the request's token.
    pub fn new(sessions: Sessions) -> Self {
        Self {
            sessions,
            everywhere: false,
        }
    }

    /// Ends every session of the token's subject instead ("log out everywhere"): only for the sessions' own
    /// tokens, so a partner's or an identity provider's `alice` never logs the local `alice` out.
    pub fn everywhere(mut self) -> Self {
        self.everywhere = true;
        self
    }

    async fn end(self, token: TokenInfo) -> Result<(), SessionError> {
        if !self.everywhere {
            return self.sessions.logout(&token).await;
        }
        let own =
            token.is_own_token() && token.issuer() == Some(self.sessions.issuer().issuer_name());
        match token.subject() {
            Some(subject) if own => self.sessions.logout_all(subject).await,
            _ => Err(SessionError::NotVerifiedBySessions),
        }
    }
}

/// An empty answer with `Cache-Control: no-store`.
fn empty(status: StatusCode) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

impl<B> Service<Request<B>> for LogoutEndpoint {
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        if request.method() != Method::POST {
            let mut refused = empty(StatusCode::METHOD_NOT_ALLOWED);
            refused
                .headers_mut()
                .insert(ALLOW, HeaderValue::from_static("POST"));
            return Box::pin(async move { Ok(refused) });
        }
        let Some(token) = request.extensions().get::<TokenInfo>().cloned() else {
            #[cfg(feature = "tracing")]
            tracing::error!(
                error = UNPROTECTED,
                "LogoutEndpoint without a verified token"
            );
            return Box::pin(async { Ok(empty(StatusCode::INTERNAL_SERVER_ERROR)) });
        };
        let endpoint = self.clone();
        Box::pin(async move {
            Ok(match endpoint.end(token).await {
                Ok(()) => empty(StatusCode::NO_CONTENT),
                Err(error) => {
                    let (status, code) = error.oauth_status();
                    oauth_error(status, code)
                }
            })
        })
    }
}
