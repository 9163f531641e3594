//! RFC 7662 token introspection for the sessions' own tokens, so other services (resource servers, gateways)
//! can ask whether a token is live and what it grants.

use std::convert::Infallible;
use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{HeaderMap, Request, Response, StatusCode};
use http_body::Body;
use http_body_util::Full;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use tower_service::Service;

use crate::error::AuthErrorKind;
use crate::session::endpoint::{
    form_field, token_from, AccessVerifier, BodyKind, BoxError, EndpointFuture, Refusal,
};
use crate::session::refresh_token::{Binding, RefreshToken};
use crate::session::Sessions;
use crate::store::{RefreshTokenState, StoreError};
use crate::token::info::TokenInfo;
use crate::well_known::document::{json_response, oauth_error};

/// `POST` endpoint for RFC 7662 token introspection of the sessions' own access and refresh tokens.
///
/// - **Clients authenticate** with HTTP Basic (`client_secret_basic`): the id and secret are each
///   form-urlencoded inside the Basic credentials (RFC 6749 §2.3.1: a client sends `rs%2Dsecret` for
///   `rs-secret`), and the secret is compared in constant time. Anyone else gets 401 `invalid_client` with a
///   `WWW-Authenticate: Basic` challenge, before the body is read.
/// - **The request** is a form with `token` and an optional `token_type_hint` (`access_token`,
///   `refresh_token`); a missing `token` is 400 `invalid_request`.
/// - **An active token** — an access token verified the way the layer verifies it
///   ([`with_access_tokens`](Self::with_access_tokens)), signed by the sessions' own issuer, and not revoked
///   in the sessions' store — is answered `{"active":true,…}` with `scope`, `client_id`, `sub`, `exp`, `iat`,
///   `nbf`, `aud`, `iss`, `jti`, `token_type` (`Bearer`, or `DPoP` for a bound token) and `cnf` for a bound
///   token (those the token has).
/// - **A live refresh token** — tagged by these sessions, its session's current token, not idle past its expiry,
///   in a session neither ended nor revoked ([`SessionStore::refresh_token_state`](crate::SessionStore::refresh_token_state))
///   — is answered with `sub`, `exp` (its own expiry), `iss`, the session's `scope` and `client_id`,
///   `token_type` `refresh_token`, and `cnf` when bound. Nothing is rotated.
/// - **Anything else** — expired, revoked, rotated away, foreign, malformed, unknown — is `{"active":false}` and
///   nothing else. The token's shape says which kind it is; `token_type_hint` only orders a search (RFC 7662
///   §2.1), so a wrong hint changes nothing.
/// - Every answer carries `Cache-Control: no-store`; a store that can't be asked is 503
///   `temporarily_unavailable`.
#[derive(Clone)]
pub struct IntrospectionEndpoint {
    sessions: Sessions,
    clients: Arc<Vec<(String, [u8; 32])>>,
    access: Option<AccessVerifier>,
}

impl fmt::Debug for IntrospectionEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IntrospectionEndpoint")
            .field(
                "clients",
                &self.clients.iter().map(|c| &c.0).collect::<Vec<_>>(),
            )
            .field("access_tokens", &self.access.is_some())
            .finish_non_exhaustive()
    }
}

impl IntrospectionEndpoint {
    /// The introspection endpoint of `sessions`, with no client yet (add them with [`client`](Self::client))
    /// and no access-token verification yet ([`with_access_tokens`](Self::with_access_tokens)): until both are
    /// given, every caller is refused or every token inactive.
    pub fn new(sessions: Sessions) -> Self {
        Self {
            sessions,
            clients: Arc::new(Vec::new()),
            access: None,
        }
    }

    /// Lets client `id` call the endpoint with `secret` (kept as its SHA-256 only).
    pub fn client(mut self, id: impl Into<String>, secret: impl AsRef<[u8]>) -> Self {
        Arc::make_mut(&mut self.clients).push((id.into(), Sha256::digest(secret).into()));
        self
    }

    /// Verifies access tokens with `verify` (what `with_access_tokens` sets: that method belongs to the layer,
    /// which sessions do not depend on).
    pub(crate) fn access_verifier(mut self, verify: AccessVerifier) -> Self {
        self.access = Some(verify);
        self
    }

    /// Whether `headers` authenticate one of the clients (`client_secret_basic`).
    fn authenticates(&self, headers: &HeaderMap) -> bool {
        let Some((id, secret)) = basic_credentials(headers) else {
            return false;
        };
        let presented: [u8; 32] = Sha256::digest(secret.as_bytes()).into();
        // Every client is compared, so the time taken tells nothing of which ids exist.
        self.clients.iter().fold(false, |found, (client, hash)| {
            let same = client.as_bytes().ct_eq(id.as_bytes()) & hash.ct_eq(&presented);
            found | bool::from(same)
        })
    }
}

/// The id and secret of `Authorization: Basic …`, each form-urlencoded inside (RFC 6749 §2.3.1).
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let (Some(value), None) = (values.next(), values.next()) else {
        return None;
    };
    let value = value.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let unescape = |part: &str| {
        form_urlencoded::parse(format!("x={part}").as_bytes())
            .next()
            .map(|(_, value)| value.into_owned())
    };
    Some((unescape(id)?, unescape(secret)?))
}

/// The token of an introspection request (a form, RFC 7662 §2.1); the hint is read only to refuse a repeated one.
fn introspected_token_of(kind: BodyKind, body: &[u8]) -> Result<String, Refusal> {
    match kind {
        BodyKind::Form => {
            form_field(body, "token_type_hint").map_err(|_| Refusal::INVALID_REQUEST)?;
            form_field(body, "token")
                .ok()
                .flatten()
                .ok_or(Refusal::INVALID_REQUEST)
        }
        BodyKind::Json => Err(Refusal::INVALID_REQUEST),
    }
}

fn unauthorized(unread_body: bool) -> Response<Full<Bytes>> {
    crate::stats::introspection_served("unauthorized");
    let mut response = oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
    let headers = response.headers_mut();
    headers.insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Basic realm=\"introspection\", charset=\"UTF-8\""),
    );
    if unread_body {
        crate::unread_body::announce_close(headers);
    }
    response
}

fn inactive() -> Response<Full<Bytes>> {
    crate::stats::introspection_served("inactive");
    json_response(StatusCode::OK, r#"{"active":false}"#.to_owned())
}

/// The RFC 7662 members of an active token: its facts, and its `aud` read from its (verified) payload.
fn active(info: &TokenInfo, token: &str) -> Response<Full<Bytes>> {
    crate::stats::introspection_served("active");
    let mut answer = Map::new();
    answer.insert("active".into(), Value::Bool(true));
    let mut text = |name: &str, value: Option<&str>| {
        if let Some(value) = value {
            answer.insert(name.into(), Value::String(value.to_owned()));
        }
    };
    text("scope", info.scope());
    text("client_id", info.client_id());
    text("sub", info.subject());
    text("iss", info.issuer());
    text("jti", info.token_id());
    for (name, value) in [
        ("exp", info.expires_at()),
        ("iat", info.issued_at()),
        ("nbf", info.not_before()),
    ] {
        if let Some(value) = value {
            answer.insert(name.into(), Value::from(value));
        }
    }
    if let Some(aud) = verified_audience(token) {
        answer.insert("aud".into(), aud);
    }
    let token_type = match (info.dpop_thumbprint(), info.certificate_thumbprint()) {
        (Some(jkt), _) => {
            answer.insert("cnf".into(), serde_json::json!({ "jkt": jkt }));
            "DPoP"
        }
        // RFC 8705 §3.2: a certificate-bound token is still a bearer token, with its binding in `cnf`.
        (None, Some(x5t)) => {
            answer.insert("cnf".into(), serde_json::json!({ "x5t#S256": x5t }));
            "Bearer"
        }
        (None, None) => "Bearer",
    };
    answer.insert("token_type".into(), Value::String(token_type.into()));
    json_response(StatusCode::OK, Value::Object(answer).to_string())
}

/// The `aud` of a token already verified (so its payload is well formed).
fn verified_audience(token: &str) -> Option<Value> {
    use crate::jose::jws::{decode_segment, CompactJws};
    let payload = decode_segment(CompactJws::split(token).ok()?.payload).ok()?;
    let mut claims = crate::jose::json::strict_object(&payload)?;
    claims.remove("aud")
}

/// A live refresh token of `sessions`: well formed, tagged under the successor key (a forged one costs no store
/// read), the store's current token of a live session, not revoked; with the key it is bound to.
async fn live_refresh_token(
    sessions: &Sessions,
    token: &str,
) -> Result<Option<(RefreshTokenState, Option<Binding>)>, StoreError> {
    let Some(presented) = RefreshToken::parse(token) else {
        return Ok(None);
    };
    if !presented.is_authentic(&sessions.inner.successor_key) {
        return Ok(None);
    }
    let store = &sessions.inner.store;
    let now = sessions.inner.clock.now();
    let (sid, generation, hash) = (
        presented.session_id(),
        presented.generation(),
        presented.secret_hash(),
    );
    let Some(state) = store
        .refresh_token_state(sid, generation, hash, now)
        .await?
    else {
        return Ok(None);
    };
    let revoked = store
        .is_revoked(&TokenInfo::of_session(sid))
        .resolve()
        .await?;
    Ok((!revoked).then(|| (state, presented.binding().cloned())))
}

/// The RFC 7662 members of a live refresh token: its subject and expiry, the issuer, the session's `scope` and
/// `client_id` (or the issuer's), `token_type` `refresh_token`, and `cnf` when bound.
fn active_refresh(
    sessions: &Sessions,
    state: &RefreshTokenState,
    binding: Option<&Binding>,
) -> Response<Full<Bytes>> {
    crate::stats::introspection_served("active");
    let claims: Map<String, Value> = serde_json::from_str(&state.claims).unwrap_or_default();
    let issuer = sessions.issuer();
    let mut answer = Map::new();
    answer.insert("active".into(), Value::Bool(true));
    if let Some(scope) = claims.get("scope").filter(|s| s.is_string()) {
        answer.insert("scope".into(), scope.clone());
    }
    let client_id = claims
        .get("client_id")
        .and_then(Value::as_str)
        .or(issuer.client_id());
    if let Some(client_id) = client_id {
        answer.insert("client_id".into(), Value::String(client_id.to_owned()));
    }
    answer.insert("sub".into(), Value::String(state.subject.clone()));
    answer.insert("exp".into(), Value::from(state.expires_at));
    answer.insert("iss".into(), Value::String(issuer.issuer_name().to_owned()));
    answer.insert("token_type".into(), Value::String("refresh_token".into()));
    match binding {
        Some(Binding::Dpop(jkt)) => {
            answer.insert("cnf".into(), serde_json::json!({ "jkt": jkt }));
        }
        Some(Binding::Certificate(x5t)) => {
            answer.insert("cnf".into(), serde_json::json!({ "x5t#S256": x5t }));
        }
        None => {}
    }
    json_response(StatusCode::OK, Value::Object(answer).to_string())
}

fn unavailable() -> Response<Full<Bytes>> {
    oauth_error(StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable")
}

async fn introspect(endpoint: IntrospectionEndpoint, token: String) -> Response<Full<Bytes>> {
    // The token's own shape decides what it is; the hint only orders a search (RFC 7662 §2.1).
    if Sessions::looks_like_refresh_token(&token) {
        return match live_refresh_token(&endpoint.sessions, &token).await {
            Ok(Some((state, binding))) => {
                active_refresh(&endpoint.sessions, &state, binding.as_ref())
            }
            Ok(None) => inactive(),
            Err(_) => unavailable(),
        };
    }
    let Some(verify) = &endpoint.access else {
        return inactive();
    };
    let info = match verify(token.clone()).await {
        Ok(info) if info.is_own_token() => info,
        // The keys to check it with can't be had now: say so rather than call a live token inactive.
        Err(error) if error.kind() == AuthErrorKind::Unavailable => return unavailable(),
        _ => return inactive(),
    };
    match endpoint.sessions.store().is_revoked(&info).resolve().await {
        Ok(false) => active(&info, &token),
        Ok(true) => inactive(),
        Err(_) => unavailable(),
    }
}

impl<B> Service<Request<B>> for IntrospectionEndpoint
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
        if request.method() == http::Method::POST && !endpoint.authenticates(request.headers()) {
            let unread_body = crate::unread_body::has_body(request.version(), request.headers());
            return Box::pin(async move { Ok(unauthorized(unread_body)) });
        }
        Box::pin(async move {
            Ok(match token_from(request, introspected_token_of).await {
                Ok(token) => introspect(endpoint, token).await,
                Err(response) => response,
            })
        })
    }
}
