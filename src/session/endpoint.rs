//! Ready-made HTTP endpoints over [`Sessions`]: token refresh (RFC 6749 §6) and revocation (RFC 7009).
//!
//! Both are plain tower services over any request body, so they mount on axum (`route_service`), hyper or
//! tonic alike. Bodies are read up to 8 KiB.

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Method, Request, Response, StatusCode};
use http_body::Body;
use http_body_util::{BodyExt, Full, Limited};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use tower_service::Service;

use crate::audit::AuditEventKind;
use crate::certificate::ClientCertificates;
use crate::dpop::{Dpop, DpopPolicy};
use crate::error::{AuthError, AuthErrorKind};
use crate::session::options::user_agent_of;
use crate::session::refresh_proof::refresh_proof;
use crate::session::{RefreshOptions, SessionError, Sessions};
use crate::well_known::document::{json_response, oauth_error};
use crate::TokenInfo;

/// Largest request body the endpoints read.
const MAX_BODY: usize = 8 * 1024;

pub(super) type BoxError = Box<dyn std::error::Error + Send + Sync>;
pub(super) type EndpointFuture =
    Pin<Box<dyn Future<Output = Result<Response<Full<Bytes>>, Infallible>> + Send>>;

/// `POST` endpoint that rotates a refresh token and answers with a new pair.
///
/// Accepts JSON `{"refresh_token":"…"}` or the RFC 6749 form `grant_type=refresh_token&refresh_token=…`.
/// Answers 200 with the pair and `Cache-Control: no-store`; 400 `invalid_grant` for a bad, expired or reused
/// token (reuse revokes the session); 400 `invalid_request` for a malformed body; 400
/// `unsupported_grant_type` for another grant; 405 for other methods; 503 when the store is down.
///
/// ```
/// # fn sessions() -> tower_jwt_auth::Sessions { unimplemented!() }
/// use axum::Router;
/// use tower_jwt_auth::session::RefreshEndpoint;
///
/// # fn app() -> Router {
/// Router::new().route_service("/refresh", RefreshEndpoint::new(sessions()))
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct RefreshEndpoint {
    sessions: Sessions,
    dpop: Option<(Dpop, DpopPolicy)>,
    pub(super) certificates: Option<ClientCertificates>,
}

impl RefreshEndpoint {
    /// The refresh endpoint of `sessions`.
    pub fn new(sessions: Sessions) -> Self {
        Self {
            sessions,
            dpop: None,
            certificates: None,
        }
    }

    /// Reads the `DPoP` proof of refresh requests (RFC 9449 §5) with the rules of `dpop` (share the layer's, so
    /// they share a replay cache): a bound refresh token needs a proof by its key, or the answer is 400
    /// `invalid_grant` and nothing changes; a proof binds the new pair (`"token_type":"DPoP"`). A proof that
    /// fails is 400 `invalid_dpop_proof` (a replay too: it rotates nothing; RFC 9449 §5, RFC 6749 §5.2, no
    /// `WWW-Authenticate`); a missing nonce 400 `use_dpop_nonce` with a `DPoP-Nonce` header. With
    /// [`DpopPolicy::Required`] a request without a proof is 400 `invalid_dpop_proof`; with
    /// [`DpopPolicy::Off`] the header is ignored.
    ///
    /// The proof is recorded (and takes room in the replay cache) only after the refresh token is judged
    /// genuine without the store: well formed, bound to the proof's key if bound, and tagged under the
    /// sessions' [`successor_key`](crate::SessionsBuilder::successor_key) — so every instance sharing a store
    /// needs the same one — otherwise 400 `invalid_grant`. Each session has at most 8 live refresh proofs
    /// (503 beyond), so neither forged tokens nor one real one can fill the token-endpoint capacity
    /// ([`DpopBuilder::token_endpoint_capacity`](crate::dpop::DpopBuilder::token_endpoint_capacity)).
    pub fn dpop(mut self, dpop: &Dpop, policy: DpopPolicy) -> Self {
        self.dpop = (policy != DpopPolicy::Off).then(|| (dpop.clone(), policy));
        self
    }
}

/// The parts of a request an endpoint reads beside its body.
pub(super) struct Head {
    pub(super) method: Method,
    pub(super) uri: http::Uri,
    pub(super) headers: http::HeaderMap,
    pub(super) extensions: http::Extensions,
}

/// `POST` endpoint for RFC 7009 token revocation: `token=…` (form) or `{"token":"…"}` (JSON), with an optional
/// `token_type_hint` (`refresh_token` or `access_token`).
///
/// - A refresh token revokes its whole session.
/// - An access token, when the endpoint verifies them ([`with_access_tokens`](Self::with_access_tokens)), is
///   verified with the layer's keys and rules, then revoked like a logout ([`Sessions::logout`]): its session
///   (its refresh tokens and every token sliding derived from it), or its `jti` when it has none. An access
///   token that names neither can't be revoked, nor can a token of these sessions that the layer did not
///   verify as theirs (a layer not wired to them): 400 `unsupported_token_type`.
/// - Without access-token verification, a JWT (or any token hinted `access_token`) gets 400
///   `unsupported_token_type`, so a client never believes a revocation happened when none did.
///
/// Otherwise it answers 200 with an empty body whether or not the token existed or was valid (so nobody can
/// probe for tokens); 400 `invalid_request` without a `token` or for a body that is not a JSON object or a
/// form; 503 when the store is down.
///
/// RFC 7009 expects confidential clients to authenticate: put your client authentication in front of it.
#[derive(Clone)]
pub struct RevokeEndpoint {
    sessions: Sessions,
    access: Option<AccessVerifier>,
}

/// How the endpoint verifies an access token it is asked to revoke.
pub(crate) type AccessVerifier = Arc<
    dyn Fn(String) -> Pin<Box<dyn Future<Output = Result<TokenInfo, AuthError>> + Send>>
        + Send
        + Sync,
>;

impl fmt::Debug for RevokeEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RevokeEndpoint")
            .field("sessions", &self.sessions)
            .field("access_tokens", &self.access.is_some())
            .finish()
    }
}

impl RevokeEndpoint {
    /// The revocation endpoint of `sessions` (refresh tokens only; see
    /// [`with_access_tokens`](Self::with_access_tokens)).
    pub fn new(sessions: Sessions) -> Self {
        Self {
            sessions,
            access: None,
        }
    }

    /// Verifies access tokens to revoke with `verify` (what
    /// [`with_access_tokens`](Self::with_access_tokens) sets: that method belongs to the layer, which
    /// sessions do not depend on).
    pub(crate) fn access_verifier(mut self, verify: AccessVerifier) -> Self {
        self.access = Some(verify);
        self
    }
}

#[derive(Deserialize)]
struct JsonRefresh {
    refresh_token: String,
}

#[derive(Deserialize)]
struct JsonRevoke {
    token: String,
    #[serde(default)]
    token_type_hint: Option<String>,
}

/// A revocation request: the token and its type hint.
struct RevokeRequest {
    token: String,
    hint: Option<String>,
}

/// A JSON body that must be an object (serde would read a struct from an array too), with unique member names
/// (a repeated field is malformed, as in a form).
fn json_object<T: DeserializeOwned>(body: &[u8]) -> Result<T, Refusal> {
    let object = crate::jose::json::strict_object(body).ok_or(Refusal::INVALID_REQUEST)?;
    serde_json::from_value(serde_json::Value::Object(object)).map_err(|_| Refusal::INVALID_REQUEST)
}

pub(super) enum BodyKind {
    Json,
    Form,
}

fn body_kind(content_type: Option<&HeaderValue>) -> Option<BodyKind> {
    let value = content_type?.to_str().ok()?;
    let essence = value.split(';').next()?.trim();
    if essence.eq_ignore_ascii_case("application/json") {
        Some(BodyKind::Json)
    } else if essence.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        Some(BodyKind::Form)
    } else {
        None
    }
}

/// The single value of form field `name`; a repeated field is malformed (RFC 6749 §3.2).
pub(super) fn form_field(body: &[u8], name: &str) -> Result<Option<String>, ()> {
    let mut found = None;
    for (key, value) in form_urlencoded::parse(body) {
        if key == name {
            if found.is_some() {
                return Err(());
            }
            found = Some(value.into_owned());
        }
    }
    Ok(found)
}

/// An OAuth error to answer with: status and `error` code.
pub(super) struct Refusal(pub(super) StatusCode, pub(super) &'static str);

impl Refusal {
    pub(super) const INVALID_REQUEST: Self = Self(StatusCode::BAD_REQUEST, "invalid_request");

    pub(super) fn into_response(self) -> Response<Full<Bytes>> {
        let mut response = oauth_error(self.0, self.1);
        if self.0 == StatusCode::METHOD_NOT_ALLOWED {
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("POST"));
        }
        response
    }
}

/// Reads the body of a POST request with a JSON or form content type.
async fn read_body<B>(request: Request<B>) -> Result<(BodyKind, Bytes), Refusal>
where
    B: Body,
    B::Error: Into<BoxError>,
{
    if request.method() != Method::POST {
        return Err(Refusal(StatusCode::METHOD_NOT_ALLOWED, "invalid_request"));
    }
    let kind =
        body_kind(request.headers().get(header::CONTENT_TYPE)).ok_or(Refusal::INVALID_REQUEST)?;
    let body = Limited::new(request.into_body(), MAX_BODY)
        .collect()
        .await
        .map_err(|_| Refusal::INVALID_REQUEST)?;
    Ok((kind, body.to_bytes()))
}

pub(super) fn session_error(error: SessionError) -> Response<Full<Bytes>> {
    error.endpoint_response()
}

/// The refresh token of a refresh request body.
fn refresh_token_of(kind: BodyKind, body: &[u8]) -> Result<String, Refusal> {
    match kind {
        BodyKind::Json => json_object::<JsonRefresh>(body).map(|b| b.refresh_token),
        BodyKind::Form => {
            match form_field(body, "grant_type")
                .map_err(|_| Refusal::INVALID_REQUEST)?
                .as_deref()
            {
                Some("refresh_token") => {}
                Some(_) => return Err(Refusal(StatusCode::BAD_REQUEST, "unsupported_grant_type")),
                None => return Err(Refusal::INVALID_REQUEST),
            }
            form_field(body, "refresh_token")
                .ok()
                .flatten()
                .ok_or(Refusal::INVALID_REQUEST)
        }
    }
}

/// The token and type hint of a revocation request body.
fn revoked_token_of(kind: BodyKind, body: &[u8]) -> Result<RevokeRequest, Refusal> {
    match kind {
        BodyKind::Json => json_object::<JsonRevoke>(body).map(|b| RevokeRequest {
            token: b.token,
            hint: b.token_type_hint,
        }),
        BodyKind::Form => Ok(RevokeRequest {
            token: form_field(body, "token")
                .ok()
                .flatten()
                .ok_or(Refusal::INVALID_REQUEST)?,
            hint: form_field(body, "token_type_hint").map_err(|_| Refusal::INVALID_REQUEST)?,
        }),
    }
}

/// What a POST body carries, or the response refusing it.
pub(super) async fn token_from<B, T>(
    request: Request<B>,
    parse: fn(BodyKind, &[u8]) -> Result<T, Refusal>,
) -> Result<T, Response<Full<Bytes>>>
where
    B: Body,
    B::Error: Into<BoxError>,
{
    let unread_body = crate::unread_body::has_body(request.version(), request.headers());
    let (kind, body) = read_body(request).await.map_err(|refusal| {
        // Refused before the body was read, or while reading it (too large): see `unread_body`.
        let mut response = refusal.into_response();
        if unread_body {
            crate::unread_body::announce_close(response.headers_mut());
        }
        response
    })?;
    parse(kind, &body).map_err(Refusal::into_response)
}

/// What an endpoint does with the token its body carries.
async fn refresh(endpoint: RefreshEndpoint, token: String, head: Head) -> Response<Full<Bytes>> {
    let sessions = endpoint.sessions;
    let request = (&head.method, &head.uri, &head.headers);
    let proof = match refresh_proof(&sessions, endpoint.dpop.as_ref(), &token, request).await {
        Ok(proof) => proof,
        Err(refusal) => return refusal,
    };
    let certificate = (endpoint.certificates.as_ref())
        .and_then(|source| source.certificate_in(&head.extensions, &head.headers));
    let mut options = RefreshOptions::of(proof.as_ref(), certificate.as_ref());
    if let Some(user_agent) = user_agent_of(&head.headers) {
        options = options.user_agent(user_agent);
    }
    match sessions.refresh_with_options(&token, options).await {
        Ok(pair) => json_response(
            StatusCode::OK,
            serde_json::to_string(&pair).expect("a pair serializes"),
        ),
        Err(error) => session_error(error),
    }
}

fn revoked() -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::new()));
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn unsupported_token_type() -> Response<Full<Bytes>> {
    oauth_error(StatusCode::BAD_REQUEST, "unsupported_token_type")
}

async fn revoke(
    endpoint: RevokeEndpoint,
    request: RevokeRequest,
    _: Head,
) -> Response<Full<Bytes>> {
    let RevokeRequest { token, hint } = request;
    let sessions = &endpoint.sessions;
    // The hint only orders the search (RFC 7009 §2.1): the token's own shape decides what it is.
    if Sessions::looks_like_refresh_token(&token) {
        return match sessions.revoke(&token).await {
            Ok(_) => revoked(),
            Err(error) => session_error(error),
        };
    }
    let looks_like_jwt = crate::jose::jws::looks_like_jwt(&token);
    let Some(verify) = &endpoint.access else {
        return if looks_like_jwt || hint.as_deref() == Some("access_token") {
            unsupported_token_type()
        } else {
            revoked()
        };
    };
    let info = match verify(token).await {
        Ok(info) => info,
        // The keys to check it with can't be had now: say so rather than pretend it was revoked.
        Err(error) if error.kind() == AuthErrorKind::Unavailable => {
            return oauth_error(StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable")
        }
        // Invalid, expired or foreign: nothing that could be accepted, so nothing to revoke (RFC 7009 §2.2).
        Err(_) => return revoked(),
    };
    match sessions
        .logout_reporting(&info, AuditEventKind::Revoke)
        .await
    {
        Ok(()) => revoked(),
        Err(SessionError::NotASessionToken | SessionError::NotVerifiedBySessions) => {
            unsupported_token_type()
        }
        Err(error) => session_error(error),
    }
}

/// Implements `Service` for an endpoint: read the POST body, take its token with `$parse`, answer with `$run`.
macro_rules! endpoint_service {
    ($endpoint:ident, $parse:ident, $run:ident) => {
        impl<B> Service<Request<B>> for $endpoint
        where
            B: Body + Send + 'static,
            B::Data: Send,
            B::Error: Into<BoxError>,
        {
            type Response = Response<Full<Bytes>>;
            type Error = Infallible;
            type Future = EndpointFuture;

            fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
                Poll::Ready(Ok(()))
            }

            fn call(&mut self, request: Request<B>) -> Self::Future {
                let endpoint = self.clone();
                let head = Head {
                    method: request.method().clone(),
                    uri: crate::dpop::request_uri::client_uri(&request).clone(),
                    headers: request.headers().clone(),
                    extensions: request.extensions().clone(),
                };
                Box::pin(async move {
                    Ok(match token_from(request, $parse).await {
                        Ok(token) => $run(endpoint, token, head).await,
                        Err(response) => response,
                    })
                })
            }
        }
    };
}

pub(super) use endpoint_service;

endpoint_service!(RefreshEndpoint, refresh_token_of, refresh);
endpoint_service!(RevokeEndpoint, revoked_token_of, revoke);
