//! Shared helpers for the integration tests: keys, hand-made tokens, and a one-shot call through a layer.
#![allow(dead_code, unreachable_pub)]

use std::convert::Infallible;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use http::{Request, Response, StatusCode};
use jsonwebtoken::crypto::CryptoProvider;
use jsonwebtoken::{Algorithm, EncodingKey};
use serde_json::{json, Value};
use tower::{service_fn, Layer, ServiceExt};
use tower_jwt_auth::{Claims, RegisteredClaims, TokenInfo, VerificationKey};

pub const SECRET: &[u8] = tower_jwt_auth::testing::TEST_SECRET;
pub const ISSUER: &str = tower_jwt_auth::testing::TEST_ISSUER;
pub const AUDIENCE: &str = tower_jwt_auth::testing::TEST_AUDIENCE;

pub fn provider() -> &'static CryptoProvider {
    &jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER
}

/// jsonwebtoken's own JWK helpers use the process-wide provider, which is ambiguous with `--all-features`.
pub fn install_provider() {
    let _ = provider().install_default();
}

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

pub mod counting_provider;
pub mod demo;
pub mod dpop_proofs;
pub mod introspection_server;
pub mod jwks_server;
pub mod missing;
pub mod observed_store;
pub mod postgres_server;
pub mod redis_cluster;
pub mod redis_server;
pub mod sessions;
pub mod tls;
pub mod trace_recorder;

pub fn pem(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/keys/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// The private (signing) key and the public (verification) key of an algorithm's test key pair.
pub fn key_pair(alg: Algorithm) -> (EncodingKey, VerificationKey) {
    use Algorithm::*;
    match alg {
        HS256 | HS384 | HS512 => (
            EncodingKey::from_secret(SECRET).unwrap(),
            VerificationKey::hmac(alg, SECRET).unwrap(),
        ),
        RS256 | RS384 | RS512 | PS256 | PS384 | PS512 => (
            EncodingKey::from_rsa_pem(&pem("rsa_private.pem")).unwrap(),
            VerificationKey::from_pem(alg, &pem("rsa_public.pem")).unwrap(),
        ),
        ES256 => (
            EncodingKey::from_ec_pem(&pem("ec256_private.pem")).unwrap(),
            VerificationKey::from_pem(alg, &pem("ec256_public.pem")).unwrap(),
        ),
        ES384 => (
            EncodingKey::from_ec_pem(&pem("ec384_private.pem")).unwrap(),
            VerificationKey::from_pem(alg, &pem("ec384_public.pem")).unwrap(),
        ),
        _ => (
            EncodingKey::from_ed_pem(&pem("ed25519_private.pem")).unwrap(),
            VerificationKey::from_pem(alg, &pem("ed25519_public.pem")).unwrap(),
        ),
    }
}

pub fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Signs exactly the given header and payload JSON texts (so tests can craft any header).
pub fn sign_raw(header: &str, payload: &str, alg: Algorithm, key: &EncodingKey) -> String {
    sign_encoded(&b64(header), &b64(payload), alg, key)
}

/// Signs already-encoded segments (so tests can craft bytes no JSON text spells).
pub fn sign_encoded(header: &str, payload: &str, alg: Algorithm, key: &EncodingKey) -> String {
    let input = format!("{header}.{payload}");
    let signer = (provider().signer_factory)(&alg, key).unwrap();
    let signature = signer.try_sign(input.as_bytes()).unwrap();
    format!("{input}.{}", b64(signature))
}

pub fn alg_name(alg: Algorithm) -> String {
    serde_json::to_value(alg)
        .unwrap()
        .as_str()
        .unwrap()
        .to_owned()
}

/// Valid claims for the test issuer and audience, expiring in ten minutes.
pub fn claims() -> Value {
    let now = now();
    json!({ "iss": ISSUER, "aud": AUDIENCE, "sub": "alice", "iat": now, "exp": now + 600, "scope": "read write", "jti": "j1" })
}

pub fn token_with(alg: Algorithm, header_extra: Value, payload: &Value) -> String {
    let (key, _) = key_pair(alg);
    let mut header = json!({ "alg": alg_name(alg), "typ": "at+jwt" });
    header
        .as_object_mut()
        .unwrap()
        .extend(header_extra.as_object().unwrap().clone());
    sign_raw(&header.to_string(), &payload.to_string(), alg, &key)
}

pub fn hs256(payload: &Value) -> String {
    token_with(Algorithm::HS256, json!({}), payload)
}

/// Exactly this header and payload JSON text, signed HS256 with the test secret.
pub fn hs256_raw(header: &str, payload: &str) -> String {
    sign_raw(
        header,
        payload,
        Algorithm::HS256,
        &key_pair(Algorithm::HS256).0,
    )
}

/// The decoded JSON of a token's segment `index` (0 = header, 1 = payload); no signature check.
fn segment(token: &str, index: usize) -> Value {
    let part = token.split('.').nth(index).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

/// A token's payload (claims) as JSON, read without checking anything.
pub fn payload(token: &str) -> Value {
    segment(token, 1)
}

/// A token's JOSE header as JSON, read without checking anything.
pub fn header(token: &str) -> Value {
    segment(token, 0)
}

/// The claims with `client_id` too, as the RFC 9068 profile requires.
pub fn rfc9068_claims() -> Value {
    with_claim(claims(), "client_id", json!("web"))
}

pub fn builder_for(alg: Algorithm) -> tower_jwt_auth::JwtAuthBuilder {
    tower_jwt_auth::JwtAuthLayer::builder()
        .key(key_pair(alg).1)
        .issuer(ISSUER)
        .audience(AUDIENCE)
}

/// The default layer: the HS256 test key, issuer and audience.
pub fn hs256_layer() -> tower_jwt_auth::JwtAuthLayer {
    builder_for(Algorithm::HS256).build().unwrap()
}

/// A request for `uri` with these headers (repeated names give repeated headers) and an empty body.
pub fn request_with(uri: &str, headers: &[(&str, &str)]) -> Request<String> {
    let mut builder = Request::builder().uri(uri);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.body(String::new()).unwrap()
}

pub fn bearer(token: &str) -> Request<String> {
    Request::builder()
        .uri("/")
        .header("authorization", format!("Bearer {token}"))
        .body(String::new())
        .unwrap()
}

/// A handler that echoes the subject it saw, so tests know the request reached the service with claims.
pub async fn echo(request: Request<String>) -> Result<Response<String>, Infallible> {
    let extensions = request.extensions();
    let sub = extensions
        .get::<TokenInfo>()
        .and_then(|t| t.subject())
        .map(str::to_owned);
    if let Some(claims) = extensions.get::<Claims<RegisteredClaims>>() {
        assert_eq!(claims.sub, sub, "claims and token info agree");
    }
    Ok(Response::new(sub.unwrap_or_else(|| "anonymous".into())))
}

/// Sends one request through `layer` around [`echo`].
pub async fn send<L>(layer: &L, request: Request<String>) -> Response<String>
where
    L: Layer<tower::util::ServiceFn<fn(Request<String>) -> EchoFuture>>,
    L::Service: tower::Service<Request<String>, Response = Response<String>, Error = Infallible>,
{
    let echo_fn: fn(Request<String>) -> EchoFuture = |r| Box::pin(echo(r));
    layer
        .layer(service_fn(echo_fn))
        .oneshot(request)
        .await
        .unwrap()
}

/// The status of a `GET /` with `token` as the bearer token, through `layer` around [`echo`].
pub async fn status_of<L>(layer: &L, token: &str) -> StatusCode
where
    L: Layer<tower::util::ServiceFn<fn(Request<String>) -> EchoFuture>>,
    L::Service: tower::Service<Request<String>, Response = Response<String>, Error = Infallible>,
{
    send(layer, bearer(token)).await.status()
}

pub type EchoFuture = std::pin::Pin<
    Box<dyn std::future::Future<Output = Result<Response<String>, Infallible>> + Send>,
>;

pub fn challenge(response: &Response<String>) -> String {
    response
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

/// Asserts a rejection's status, RFC 6750 error code (or none), and that each attribute appears once.
pub fn assert_rejected(response: &Response<String>, status: StatusCode, error: Option<&str>) {
    assert_eq!(response.status(), status, "body: {}", response.body());
    let challenge = challenge(response);
    assert!(
        challenge.starts_with("Bearer realm=\""),
        "challenge: {challenge}"
    );
    assert_attributes_once(&challenge);
    match error {
        Some(code) => assert!(
            challenge.contains(&format!("error=\"{code}\"")),
            "challenge: {challenge}"
        ),
        None => assert!(!challenge.contains("error"), "challenge: {challenge}"),
    }
    assert!(response
        .extensions()
        .get::<tower_jwt_auth::AuthError>()
        .is_some());
}

/// Asserts a 401 `invalid_token` rejection (see [`assert_rejected`]) of this kind.
pub fn assert_invalid_token(response: &Response<String>, kind: tower_jwt_auth::AuthErrorKind) {
    assert_rejected(response, StatusCode::UNAUTHORIZED, Some("invalid_token"));
    assert_eq!(rejection_kind(response), Some(kind));
}

/// RFC 6750 §3: each attribute of a challenge appears at most once.
pub fn assert_attributes_once(challenge: &str) {
    for attribute in [
        "realm=",
        "error=",
        "error_description=",
        "scope=",
        "error_uri=",
    ] {
        assert!(
            challenge.matches(attribute).count() <= 1,
            "{attribute} twice in {challenge}"
        );
    }
}

/// The claims with `key` set to `value`, or removed when `value` is null.
pub fn with_claim(mut claims: Value, key: &str, value: Value) -> Value {
    if value.is_null() {
        claims.as_object_mut().unwrap().remove(key);
    } else {
        claims[key] = value;
    }
    claims
}

/// The kind of a rejection (from the `AuthError` in the response extensions).
pub fn rejection_kind(response: &Response<String>) -> Option<tower_jwt_auth::AuthErrorKind> {
    response
        .extensions()
        .get::<tower_jwt_auth::AuthError>()
        .map(|e| e.kind())
}
