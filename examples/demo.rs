//! The demo server: login, /me, /posts, refresh, logout, logout-all and revoke over tower-jwt-auth, with
//! DPoP-bound tokens beside bearer ones, configured from the environment.
//!
//! ```text
//! cargo run --example demo
//! ```
//! See README.md ("The demo server") for the environment variables and a curl session.

use std::net::SocketAddr;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};
use axum::body::Bytes;
use axum::extract::OriginalUri;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::{header, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::sync::Semaphore;
use tower_jwt_auth::dpop::{jwk_thumbprint, Dpop, DpopPolicy, ReplayCache};
use tower_jwt_auth::{
    issuer::JwksEndpoint, issuer::JWKS_PATH, rejection::JsonResponder, session::RefreshEndpoint,
    session::RevokeEndpoint, sliding::SlidingPolicy, well_known::ProtectedResourceMetadata,
    Algorithm, Claims, JwtAuthLayer, MemoryStore, SessionStore, Sessions, SigningKey, TokenInfo,
    TokenIssuer,
};

/// Demo users: name, argon2id hash of the password, and granted scopes. Passwords: alice-pass, bob-pass.
const USERS: &[(&str, &str, &str)] = &[
    (
        "alice",
        "$argon2id$v=19$m=19456,t=2,p=1$rODYfOoAXMRjjbROLHatNQ$YBCMPB8xfP3Q+i80caFEchVTmfKvR4gMvqGSXfNmjuA",
        "read write",
    ),
    (
        "bob",
        "$argon2id$v=19$m=19456,t=2,p=1$RzDQB2JNkMPez4fi2SoF+A$j0HcKqS3u5EfVCBH4nb/H9gH5XxNp8dM6Q1ZjXLidss",
        "read",
    ),
];

type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

fn env_secs(name: &str, default: u64) -> Result<Duration, BoxError> {
    let value = env_or(name, &default.to_string());
    Ok(Duration::from_secs(value.parse().map_err(|_| {
        format!("{name} must be a whole number of seconds")
    })?))
}

fn algorithm(name: &str) -> Result<Algorithm, BoxError> {
    let quoted = serde_json::Value::String(name.to_owned());
    serde_json::from_value(quoted).map_err(|_| format!("JWT_ALG {name} is not supported").into())
}

/// The signing key and the refresh-token server key (derived from the signing key material, so every demo process
/// sharing a store and a key recognises every refresh-token generation, across restarts too). The layer trusts
/// the issuer's keys through the sessions: no verification key is configured a second time.
fn keys(alg: Algorithm) -> Result<(SigningKey, [u8; 32]), BoxError> {
    if matches!(alg, Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512) {
        let secret = match std::env::var("JWT_SECRET") {
            Ok(secret) => secret.into_bytes(),
            Err(_) => {
                eprintln!("warning: JWT_SECRET is not set; using a random secret, so tokens die with this process");
                let mut secret = vec![0u8; 64];
                getrandom::fill(&mut secret).map_err(|e| e.to_string())?;
                secret
            }
        };
        return Ok((SigningKey::hmac(alg, &secret)?, refresh_key(&secret)));
    }
    let read = |var: &str| -> Result<Vec<u8>, BoxError> {
        let path = std::env::var(var)
            .map_err(|_| format!("{var} must name a PEM file for JWT_ALG {alg:?}"))?;
        Ok(std::fs::read(&path).map_err(|e| format!("{var}={path}: {e}"))?)
    };
    let private = read("JWT_PRIVATE_KEY")?;
    Ok((SigningKey::from_pem(alg, &private)?, refresh_key(&private)))
}

/// `JWT_PUBLIC_KEY`, when set, must be the public half of `JWT_PRIVATE_KEY`: the demo verifies a token of its
/// issuer with it and refuses to start otherwise. (Layers wired to the sessions trust the issuer's key ring
/// itself, so the public key is never given to them a second time.)
fn check_public_key(alg: Algorithm, issuer: &TokenIssuer, name: &str) -> Result<(), BoxError> {
    let Ok(path) = std::env::var("JWT_PUBLIC_KEY") else {
        return Ok(());
    };
    let pem = std::fs::read(&path).map_err(|e| format!("JWT_PUBLIC_KEY={path}: {e}"))?;
    let mut public = tower_jwt_auth::VerificationKey::from_pem(alg, &pem)?;
    if let Some(kid) = issuer.active_kid() {
        public = public.with_kid(kid)?;
    }
    let token = issuer.issue("startup-check", &())?;
    let verifier = JwtAuthLayer::builder()
        .key(public)
        .issuer(name)
        .allow_any_audience()
        .build()?;
    verifier
        .verify_token(token.as_str())
        .map(drop)
        .map_err(|_| "JWT_PUBLIC_KEY is not the public half of JWT_PRIVATE_KEY".into())
}

fn refresh_key(material: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::new()
        .chain_update(b"tower-jwt-auth demo refresh key\0")
        .chain_update(material)
        .finalize()
        .into()
}

#[derive(Clone)]
struct AppState {
    sessions: Sessions,
    dpop: Dpop,
    policy: DpopPolicy,
}

/// `DPOP`: `allowed` (default), `required` or `off`.
fn dpop_policy() -> Result<DpopPolicy, BoxError> {
    match env_or("DPOP", "allowed").as_str() {
        "allowed" => Ok(DpopPolicy::Allowed),
        "required" => Ok(DpopPolicy::Required),
        "off" => Ok(DpopPolicy::Off),
        other => Err(format!("DPOP must be allowed, required or off, not {other}").into()),
    }
}

fn error_response(status: StatusCode, code: &str) -> Response {
    (
        status,
        [(header::CACHE_CONTROL, "no-store")],
        Json(json!({ "error": code })),
    )
        .into_response()
}

#[derive(Deserialize)]
struct Login {
    username: String,
    password: String,
    /// The OAuth client the tokens are for (RFC 9068 `client_id`); `demo` when the login names none.
    #[serde(default)]
    client_id: Option<String>,
}

/// A JSON body that is an object (serde alone would also read the struct from an array).
fn json_object<T: serde::de::DeserializeOwned>(body: &[u8]) -> Option<T> {
    let object: serde_json::Map<String, Value> = serde_json::from_slice(body).ok()?;
    serde_json::from_value(Value::Object(object)).ok()
}

/// How many password checks run at once: one per core. A login waits up to [`PASSWORD_QUEUE_WAIT`] for its turn
/// (a burst of users is served), then `/login` answers 503 `temporarily_unavailable` with `Retry-After: 1`, so a
/// flood of logins never costs more than this many argon2 verifications (each about 19 MiB and tens of
/// milliseconds of CPU) at a time.
/// How long a login waits for a password check to be free before it is refused as busy.
const PASSWORD_QUEUE_WAIT: Duration = Duration::from_millis(500);

static PASSWORD_CHECKS: LazyLock<Semaphore> = LazyLock::new(|| {
    Semaphore::new(std::thread::available_parallelism().map_or(1, std::num::NonZero::get))
});

/// A hash of a password nobody has, with the parameters of the users' hashes: an unknown username is checked
/// against it, so `/login` takes as long for a name that does not exist as for a wrong password.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    let model = PasswordHash::new(USERS[0].1).expect("the demo users' hashes are argon2 hashes");
    let params = argon2::Params::try_from(&model).expect("argon2 parameters");
    let salt =
        argon2::password_hash::SaltString::encode_b64(b"demo: no such user").expect("a valid salt");
    Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
        .hash_password(b"nobody has this password", &salt)
        .expect("the dummy password hashes")
        .to_string()
});

/// The user whose name and password these are: one argon2 verification whether or not the user exists (an
/// unknown one against [`DUMMY_HASH`]), on the blocking pool so it does not stall the async workers, within the
/// [`PASSWORD_CHECKS`] bound (else `Err`, the 503 to answer).
async fn check_password(
    username: String,
    password: String,
) -> Result<Option<&'static (&'static str, &'static str, &'static str)>, Response> {
    // A burst waits briefly for a turn; only a sustained flood beyond the cores is refused.
    let permit = tokio::time::timeout(PASSWORD_QUEUE_WAIT, PASSWORD_CHECKS.acquire()).await;
    let Ok(Ok(permit)) = permit else {
        let mut busy = error_response(StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable");
        busy.headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
        return Err(busy);
    };
    tokio::task::spawn_blocking(move || {
        // The permit goes with the work: a client that hangs up does not free it before the check ends.
        let _permit = permit;
        let user = USERS.iter().find(|(name, _, _)| *name == username);
        let hash = user.map_or(DUMMY_HASH.as_str(), |(_, hash, _)| hash);
        let verified = PasswordHash::new(hash).is_ok_and(|hash| {
            Argon2::default()
                .verify_password(password.as_bytes(), &hash)
                .is_ok()
        });
        user.filter(|_| verified)
    })
    .await
    .map_err(|_| error_response(StatusCode::INTERNAL_SERVER_ERROR, "server_error"))
}

async fn login(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    // The proof is verified first (a bad one costs no password check) and recorded once the password is
    // checked, so self-signed proofs with wrong passwords take no room in the replay cache.
    let proof = match state.policy {
        DpopPolicy::Off => None,
        _ => match state.dpop.verify(&Method::POST, &uri, &headers, None) {
            Ok(proof) => proof,
            // 400 invalid_dpop_proof (a known replay too) or 400 use_dpop_nonce.
            Err(refused) => return state.dpop.token_endpoint_refusal(&refused).into_response(),
        },
    };
    if proof.is_none() && state.policy == DpopPolicy::Required {
        return error_response(StatusCode::BAD_REQUEST, "invalid_dpop_proof");
    }
    let Some(Login {
        username,
        password,
        client_id,
    }) = json_object::<Login>(&body)
    else {
        return error_response(StatusCode::BAD_REQUEST, "invalid_request");
    };
    if client_id.as_deref().is_some_and(|id| {
        id.is_empty() || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_graphic())
    }) {
        return error_response(StatusCode::BAD_REQUEST, "invalid_request");
    }
    let (name, _, scope) = match check_password(username, password).await {
        Ok(Some(user)) => *user,
        Ok(None) => return error_response(StatusCode::UNAUTHORIZED, "invalid_credentials"),
        Err(busy) => return busy,
    };
    // Used up now: a replayed proof binds nothing (400 invalid_dpop_proof), or 503 when it can't be recorded.
    let proof = match proof {
        Some(proof) => match state.dpop.record(proof).await {
            Ok(proof) => Some(proof),
            Err(refused) => return state.dpop.token_endpoint_refusal(&refused).into_response(),
        },
        None => None,
    };
    let mut claims = json!({ "scope": scope });
    if let Some(client_id) = client_id {
        claims["client_id"] = client_id.into();
    }
    match state
        .sessions
        .login_with(name, &claims, proof.as_ref())
        .await
    {
        Ok(pair) => (
            [
                (header::CACHE_CONTROL, "no-store"),
                (header::PRAGMA, "no-cache"),
            ],
            Json(pair),
        )
            .into_response(),
        Err(tower_jwt_auth::session::SessionError::Unavailable(_)) => {
            error_response(StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable")
        }
        Err(_) => error_response(StatusCode::INTERNAL_SERVER_ERROR, "server_error"),
    }
}

/// The largest request body the demo takes, and how long it waits for one.
const MAX_BODY: usize = 64 * 1024;
const BODY_TIMEOUT: Duration = Duration::from_secs(10);

/// Reads every request body (up to [`MAX_BODY`], within [`BODY_TIMEOUT`]) before routing, so the keep-alive
/// connection stays usable whatever answers: a handler that ignores its body (`POST /posts`), routing's 405, a
/// refusal. hyper closes a connection whose request body was dropped unread and had not fully arrived — after a
/// response that did not say so (README, "Where the layer goes"). A larger or slower body gets 413 or 408 with
/// `Connection: close`.
async fn read_body_first(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let (parts, body) = request.into_parts();
    let status = match tokio::time::timeout(BODY_TIMEOUT, axum::body::to_bytes(body, MAX_BODY))
        .await
    {
        Ok(Ok(body)) => {
            let request = axum::extract::Request::from_parts(parts, axum::body::Body::from(body));
            return next.run(request).await;
        }
        Ok(Err(_)) => StatusCode::PAYLOAD_TOO_LARGE,
        Err(_) => StatusCode::REQUEST_TIMEOUT,
    };
    let mut response = error_response(status, "invalid_request");
    response.headers_mut().insert(
        header::CONNECTION,
        header::HeaderValue::from_static("close"),
    );
    response
}

async fn me(claims: Claims<Value>) -> Json<Value> {
    Json((*claims).clone())
}

async fn create_post(info: TokenInfo) -> Response {
    let author = info.subject().unwrap_or_default().to_owned();
    (
        StatusCode::CREATED,
        Json(json!({ "created": true, "author": author })),
    )
        .into_response()
}

async fn logout(State(state): State<AppState>, info: TokenInfo) -> Response {
    match state.sessions.logout(&info).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(tower_jwt_auth::session::SessionError::Unavailable(_)) => {
            error_response(StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable")
        }
        Err(_) => error_response(StatusCode::BAD_REQUEST, "invalid_request"),
    }
}

async fn logout_all(State(state): State<AppState>, info: TokenInfo) -> Response {
    let Some(subject) = info.subject() else {
        return error_response(StatusCode::BAD_REQUEST, "invalid_request");
    };
    match state.sessions.logout_all(subject).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(tower_jwt_auth::session::SessionError::Unavailable(_)) => {
            error_response(StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable")
        }
        Err(_) => error_response(StatusCode::BAD_REQUEST, "invalid_request"),
    }
}

/// The session store, and the DPoP replay cache when the store is shared by several processes.
type Stores = (Arc<dyn SessionStore>, Option<Arc<dyn ReplayCache>>);

/// The SQL store when `DATABASE_URL` is set (`sqlite://path` or `postgres://…`: sessions survive restarts),
/// the Redis store on a cluster when `REDIS_CLUSTER` is set (comma-separated `host:port` seeds), else on one
/// server when `REDIS_URL` is set (sessions, and used DPoP proofs, shared by every demo process in each
/// case), else the memory store.
async fn store() -> Result<Stores, BoxError> {
    let cluster = std::env::var("REDIS_CLUSTER").ok();
    let url = std::env::var("REDIS_URL").ok();
    if let Ok(database) = std::env::var("DATABASE_URL") {
        if cluster.is_some() || url.is_some() {
            return Err(
                "DATABASE_URL and REDIS_URL/REDIS_CLUSTER are both set: choose one store".into(),
            );
        }
        return sql_store(&database).await;
    }
    match (cluster, url) {
        #[cfg(feature = "redis")]
        (Some(seeds), _) => {
            let nodes: Vec<String> = seeds
                .split(',')
                .map(str::trim)
                .filter(|seed| !seed.is_empty())
                .map(|seed| match seed.contains("://") {
                    true => seed.to_owned(),
                    false => format!("redis://{seed}"),
                })
                .collect();
            if nodes.is_empty() {
                return Err("REDIS_CLUSTER must list host:port seeds, separated by commas".into());
            }
            eprintln!("using the Redis store on a cluster ({} seeds)", nodes.len());
            let store = Arc::new(tower_jwt_auth::RedisStore::cluster(nodes).build().await?);
            Ok((store.clone(), Some(store)))
        }
        #[cfg(feature = "redis")]
        (None, Some(url)) => {
            eprintln!("using the Redis store");
            let store = Arc::new(tower_jwt_auth::RedisStore::builder(url).build().await?);
            Ok((store.clone(), Some(store)))
        }
        #[cfg(not(feature = "redis"))]
        (Some(_), _) | (None, Some(_)) => Err(
            "REDIS_URL or REDIS_CLUSTER is set, but the demo was built without the `redis` feature: \
                      cargo run --example demo --features redis"
                .into(),
        ),
        (None, None) => Ok((Arc::new(MemoryStore::new()), None)),
    }
}

/// The SQL store on `url` (tables created if missing), also the DPoP replay cache.
#[cfg(any(feature = "postgres", feature = "sqlite"))]
async fn sql_store(url: &str) -> Result<Stores, BoxError> {
    let kind = if url.starts_with("sqlite:") {
        "SQLite"
    } else {
        "PostgreSQL"
    };
    eprintln!("using the SQL store ({kind})");
    let store = Arc::new(
        tower_jwt_auth::SqlStore::connect(url)
            .await?
            .build()
            .await?,
    );
    Ok((store.clone(), Some(store)))
}

#[cfg(not(any(feature = "postgres", feature = "sqlite")))]
async fn sql_store(_: &str) -> Result<Stores, BoxError> {
    Err(
        "DATABASE_URL is set, but the demo was built without the `postgres`/`sqlite` features"
            .into(),
    )
}

/// The Prometheus recorder the crate's `metrics` feature reports to, installed once per process.
fn prometheus() -> Result<metrics_exporter_prometheus::PrometheusHandle, BoxError> {
    static HANDLE: std::sync::OnceLock<metrics_exporter_prometheus::PrometheusHandle> =
        std::sync::OnceLock::new();
    if let Some(handle) = HANDLE.get() {
        return Ok(handle.clone());
    }
    let handle = metrics_exporter_prometheus::PrometheusBuilder::new().install_recorder()?;
    Ok(HANDLE.get_or_init(|| handle).clone())
}

/// The demo's app; `public_url` is its external origin (`PUBLIC_URL`), the RFC 9728 resource identifier.
async fn app(public_url: &str) -> Result<Router, BoxError> {
    let metrics = prometheus()?;
    let alg = algorithm(&env_or("JWT_ALG", "HS256"))?;
    let issuer_name = env_or("JWT_ISSUER", "demo");
    let audience = env_or("JWT_AUDIENCE", "demo-api");
    let (signing, refresh_key) = keys(alg)?;
    let issuer = |key: SigningKey| {
        TokenIssuer::builder(key)
            .issuer(&issuer_name)
            .audience(&audience)
            .ttl(env_secs("ACCESS_TTL_SECS", 900)?)
            // Tokens minted by other tools with the demo's key may live up to a day: revocation markers are
            // kept that long, and the demo's own tokens that claim longer lives are refused.
            .max_ttl(env_secs("ACCESS_TTL_SECS", 900)?.max(Duration::from_secs(24 * 3600)))
            .client_id("demo")
            .build()
            .map_err(BoxError::from)
    };
    // An asymmetric key is published at /.well-known/jwks.json under its RFC 7638 thumbprint as `kid`, which
    // its tokens name; an HMAC secret is never published.
    let signing = match issuer(signing.clone())?.jwks().keys.first() {
        Some(public) => {
            let kid = jwk_thumbprint(public).ok_or("the public key has no thumbprint")?;
            signing.with_kid(&kid)?
        }
        None => signing,
    };
    let issuer = issuer(signing)?;
    check_public_key(alg, &issuer, &issuer_name)?;
    let (store, replay) = store().await?;
    let policy = dpop_policy()?;
    // DPoP proofs name PUBLIC_URL + path; with a shared store, used proofs are shared too.
    let mut dpop = Dpop::builder().public_url(public_url);
    if let Some(replay) = replay {
        dpop = dpop.replay_cache(replay);
    }
    let dpop = dpop.build()?;
    // One session cap for refresh and sliding: the policy comes from the sessions.
    let sessions = Sessions::builder(issuer, store)
        .refresh_ttl(env_secs("REFRESH_TTL_SECS", 1_209_600)?)
        .max_session(env_secs("MAX_SESSION_SECS", 30 * 24 * 3600)?)
        .successor_key(refresh_key)
        .build()?;
    let mut auth = JwtAuthLayer::builder();
    if std::env::var("TOKEN_CACHE").as_deref() == Ok("0") {
        auth = auth.disable_token_cache();
    }
    if let Ok(url) = std::env::var("JWKS_URL") {
        // Tokens signed by the keys of this JWK Set are accepted too (same issuer and audience rules).
        eprintln!("also trusting the keys of {url}");
        // https, or http on a loopback host (a local identity provider); any other http URL is refused.
        auth = auth.jwks(tower_jwt_auth::keys::Jwks::url(&url)?.allow_http());
    }
    // One call wires the layer to the sessions (issuer, its keys and their rotations, audience, revocation
    // store, clock); the sliding policy names only its actions.
    let auth = auth
        .claims::<Value>()
        .sessions(&sessions)
        .sliding(SlidingPolicy::new().action(Method::POST, "/posts"))
        .realm("demo")
        .dpop(&dpop, policy)
        .responder(JsonResponder)
        // RFC 9728: every challenge points to the metadata document served below.
        .resource_metadata_url(ProtectedResourceMetadata::well_known_url(public_url))
        .build()?;
    let metadata_url: http::Uri = ProtectedResourceMetadata::well_known_url(public_url).parse()?;
    let metadata = auth
        .resource_metadata(public_url)
        .scopes_supported(["read", "write"])
        .resource_name("tower-jwt-auth demo");
    let protected = Router::new()
        .route(
            "/posts",
            // Derived from the layer: same realm, responder and claims type.
            post(create_post).route_layer(auth.require_scopes(["write"])?),
        )
        .route("/me", get(me))
        .route("/logout", post(logout))
        .route("/logout-all", post(logout_all))
        .layer(auth.clone());
    let state = AppState {
        sessions: sessions.clone(),
        dpop: dpop.clone(),
        policy,
    };
    Ok(Router::new()
        .route("/healthz", get(|| async { "ok" }))
        // The crate's counters in the Prometheus text format, unauthenticated like /healthz (keep it on an
        // internal network in production).
        .route(
            "/metrics",
            get(move || {
                let metrics = metrics.clone();
                async move {
                    (
                        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
                        metrics.render(),
                    )
                }
            }),
        )
        .route_service(metadata_url.path(), metadata.into_service())
        .route("/login", post(login))
        .route_service(JWKS_PATH, JwksEndpoint::new(sessions.issuer().clone()))
        .route_service(
            "/refresh",
            RefreshEndpoint::new(sessions.clone()).dpop(&dpop, policy),
        )
        .route_service(
            "/revoke",
            RevokeEndpoint::new(sessions).with_access_tokens(auth),
        )
        .merge(protected)
        .with_state(state)
        .layer(axum::middleware::from_fn(read_body_first)))
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let bind: SocketAddr = env_or("BIND", "127.0.0.1:3000")
        .parse()
        .map_err(|_| "BIND must be host:port")?;
    let listener = tokio::net::TcpListener::bind(bind).await?;
    let address = listener.local_addr()?;
    let public_url = env_or("PUBLIC_URL", &format!("http://{address}"));
    let app = app(public_url.trim_end_matches('/'))
        .await
        .inspect_err(|e| eprintln!("error: {e}"))?;
    eprintln!("demo listening on http://{address}");
    axum::serve(listener, app).await?;
    Ok(())
}
