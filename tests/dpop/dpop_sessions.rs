//! DPoP-bound sessions (RFC 9449 §5): a login bound to the client's key, refresh tokens only its holder can
//! use, sliding that keeps the binding, and proofs that are used once across instances sharing Redis.

use crate::common;

use std::time::Duration;

use common::dpop_proofs::ProofKey;
use common::sessions::{fixture, Fixture};
use common::*;
use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::{service_fn, Layer, ServiceExt};
use tower_jwt_auth::dpop::{Dpop, DpopPolicy, MemoryReplayCache};
use tower_jwt_auth::{
    session::RefreshEndpoint, sliding::SlidingPolicy, AuthErrorKind, JwtAuthLayer, TokenInfo,
    TokenPair,
};

const ORIGIN: &str = "https://api.example.com";

fn rules(f: &Fixture) -> Dpop {
    Dpop::builder()
        .public_url(ORIGIN)
        .clock(f.clock.clone())
        .build()
        .unwrap()
}

fn proof_headers(proof: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert("dpop", proof.parse().unwrap());
    headers
}

/// A login at `POST /login` with a proof by `key`, bound by `Sessions::login_with`.
async fn bound_login(f: &Fixture, dpop: &Dpop, key: &ProofKey) -> TokenPair {
    let proof = key.proof_at("POST", &format!("{ORIGIN}/login"), None, f.clock.now_secs());
    let checked = dpop
        .check(
            &Method::POST,
            &"/login".parse().unwrap(),
            &proof_headers(&proof),
            None,
        )
        .await
        .unwrap()
        .expect("a proof was sent");
    assert_eq!(checked.thumbprint(), key.thumbprint());
    f.sessions
        .login_with("alice", &json!({ "scope": "read write" }), Some(&checked))
        .await
        .unwrap()
}

/// `POST /refresh` through the endpoint, with a proof when given: status and JSON body.
async fn refresh(
    endpoint: &RefreshEndpoint,
    token: &str,
    proof: Option<&str>,
) -> (StatusCode, Value, HeaderMap) {
    let mut request = Request::post("/refresh").header("content-type", "application/json");
    if let Some(proof) = proof {
        request = request.header("dpop", proof);
    }
    let request = request
        .body(json!({ "refresh_token": token }).to_string())
        .unwrap();
    let response = endpoint.clone().oneshot(request).await.unwrap();
    let (parts, body) = response.into_parts();
    let body = body.collect().await.unwrap().to_bytes();
    (
        parts.status,
        serde_json::from_slice(&body).unwrap_or(Value::Null),
        parts.headers,
    )
}

/// The refresh answered `status` with the OAuth error `error`.
fn refused(answer: &(StatusCode, Value, HeaderMap), status: StatusCode, error: &str) {
    assert_eq!((answer.0, &answer.1["error"]), (status, &json!(error)));
}

fn refresh_proof(f: &Fixture, key: &ProofKey) -> String {
    key.proof_at(
        "POST",
        &format!("{ORIGIN}/refresh"),
        None,
        f.clock.now_secs(),
    )
}

trait Secs {
    fn now_secs(&self) -> i64;
}

impl Secs for tower_jwt_auth::clock::ManualClock {
    fn now_secs(&self) -> i64 {
        use tower_jwt_auth::clock::Clock;
        self.now()
    }
}

#[tokio::test]
async fn a_bound_pair_carries_the_key_and_only_its_holder_refreshes() {
    let f = fixture(Duration::ZERO);
    let dpop = rules(&f);
    let key = ProofKey::es256();
    let pair = bound_login(&f, &dpop, &key).await;
    assert_eq!(pair.token_type(), "DPoP");
    assert_eq!(serde_json::to_value(&pair).unwrap()["token_type"], "DPoP");
    assert_eq!(
        payload(pair.access_token())["cnf"],
        json!({ "jkt": key.thumbprint() })
    );
    let endpoint = RefreshEndpoint::new(f.sessions.clone()).dpop(&dpop, DpopPolicy::Allowed);

    // Stolen: without the key, or with a proof by another key, nothing happens.
    refused(
        &refresh(&endpoint, pair.refresh_token(), None).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    );
    let thief = ProofKey::ed25519();
    refused(
        &refresh(
            &endpoint,
            pair.refresh_token(),
            Some(&refresh_proof(&f, &thief)),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    );
    // Tampering with the binding part matches nothing either.
    let (rest, _) = pair.refresh_token().rsplit_once('.').unwrap();
    let rebound = format!("{rest}.{}", thief.thumbprint());
    let (status, _, _) = refresh(&endpoint, &rebound, Some(&refresh_proof(&f, &thief))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _, _) = refresh(&endpoint, rest, None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "stripped of its binding");

    // The holder: the token was never rotated by the attempts above, so it still works.
    let (status, body, headers) = refresh(
        &endpoint,
        pair.refresh_token(),
        Some(&refresh_proof(&f, &key)),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["token_type"], "DPoP");
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(
        payload(body["access_token"].as_str().unwrap())["cnf"]["jkt"],
        key.thumbprint().as_str()
    );
    // The old token again, even with the key: reuse, which ends the session.
    let (status, _, _) = refresh(
        &endpoint,
        pair.refresh_token(),
        Some(&refresh_proof(&f, &key)),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let newest = body["refresh_token"].as_str().unwrap();
    let (status, _, _) = refresh(&endpoint, newest, Some(&refresh_proof(&f, &key))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "the family was revoked");
}

#[tokio::test]
async fn a_replayed_proof_rotates_nothing() {
    let f = fixture(Duration::ZERO);
    let dpop = rules(&f);
    let key = ProofKey::es256();
    let pair = bound_login(&f, &dpop, &key).await;
    let endpoint = RefreshEndpoint::new(f.sessions.clone()).dpop(&dpop, DpopPolicy::Allowed);
    let proof = refresh_proof(&f, &key);
    let (status, body, _) = refresh(&endpoint, pair.refresh_token(), Some(&proof)).await;
    assert_eq!(status, StatusCode::OK);
    let next = body["refresh_token"].as_str().unwrap().to_owned();
    let answer = refresh(&endpoint, &next, Some(&proof)).await;
    refused(&answer, StatusCode::BAD_REQUEST, "invalid_dpop_proof");
    assert!(!answer.2.contains_key("www-authenticate"), "a token error");
    let (status, _, _) = refresh(&endpoint, &next, Some(&refresh_proof(&f, &key))).await;
    assert_eq!(status, StatusCode::OK, "the replay rotated nothing");
}

#[tokio::test]
async fn an_unbound_session_is_bound_by_a_refresh_with_a_proof() {
    let f = fixture(Duration::ZERO);
    let dpop = rules(&f);
    let key = ProofKey::ed25519();
    let pair = f.sessions.login("alice", &json!({})).await.unwrap();
    assert_eq!(serde_json::to_value(&pair).unwrap()["token_type"], "Bearer");
    let endpoint = RefreshEndpoint::new(f.sessions.clone()).dpop(&dpop, DpopPolicy::Allowed);
    let (status, body, _) = refresh(
        &endpoint,
        pair.refresh_token(),
        Some(&refresh_proof(&f, &key)),
    )
    .await;
    assert_eq!(
        (status, &body["token_type"]),
        (StatusCode::OK, &json!("DPoP"))
    );
    let bound = body["refresh_token"].as_str().unwrap();
    let (status, _, _) = refresh(&endpoint, bound, None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "bound from now on");
}

#[tokio::test]
async fn the_endpoint_policies_and_nonces() {
    let f = fixture(Duration::ZERO);
    let key = ProofKey::es256();
    let pair = f.sessions.login("alice", &json!({})).await.unwrap();
    let required = RefreshEndpoint::new(f.sessions.clone()).dpop(&rules(&f), DpopPolicy::Required);
    refused(
        &refresh(&required, pair.refresh_token(), None).await,
        StatusCode::BAD_REQUEST,
        "invalid_dpop_proof",
    );
    let off = RefreshEndpoint::new(f.sessions.clone()).dpop(&rules(&f), DpopPolicy::Off);
    let (status, body, _) =
        refresh(&off, pair.refresh_token(), Some(&refresh_proof(&f, &key))).await;
    assert_eq!(
        (status, &body["token_type"]),
        (StatusCode::OK, &json!("Bearer")),
        "the proof is ignored"
    );

    let with_nonce = Dpop::builder()
        .public_url(ORIGIN)
        .clock(f.clock.clone())
        .require_nonce(Duration::from_secs(60))
        .build()
        .unwrap();
    let endpoint = RefreshEndpoint::new(f.sessions.clone()).dpop(&with_nonce, DpopPolicy::Allowed);
    let current = body["refresh_token"].as_str().unwrap();
    let answer = refresh(&endpoint, current, Some(&refresh_proof(&f, &key))).await;
    refused(&answer, StatusCode::BAD_REQUEST, "use_dpop_nonce");
    let nonce = answer.2["dpop-nonce"].to_str().unwrap().to_owned();
    let proof = key.proof_with("POST", &format!("{ORIGIN}/refresh"), None, |_, c| {
        c.insert("iat".into(), f.clock.now_secs().into());
        c.insert("nonce".into(), nonce.into());
    });
    let (status, _, _) = refresh(&endpoint, current, Some(&proof)).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn sliding_keeps_the_binding_and_reissues_only_to_the_key_holder() {
    let f = fixture(Duration::ZERO);
    let dpop = rules(&f);
    let layer = JwtAuthLayer::builder()
        .sessions(&f.sessions)
        .sliding(SlidingPolicy::new().action(Method::POST, "/posts"))
        .dpop(&dpop, DpopPolicy::Allowed)
        .build()
        .unwrap();
    let key = ProofKey::es256();
    let pair = bound_login(&f, &dpop, &key).await;
    let token = pair.access_token().to_owned();
    // Past the threshold, so the action is due.
    f.clock.advance(400);
    let post = |token: &str, proof: Option<String>| {
        let mut request = Request::post("/posts");
        request = match proof {
            Some(proof) => request
                .header("authorization", format!("DPoP {token}"))
                .header("dpop", proof),
            None => request.header("authorization", format!("Bearer {token}")),
        };
        request.body(String::new()).unwrap()
    };
    let service = layer.layer(service_fn(|request: Request<String>| async move {
        let info = request.extensions().get::<TokenInfo>().cloned().unwrap();
        Ok::<_, std::convert::Infallible>(http::Response::new(
            info.dpop_thumbprint().unwrap_or("").to_owned(),
        ))
    }));
    // As a bearer token the bound token is refused: no reissue to someone without the key.
    let response = service.clone().oneshot(post(&token, None)).await.unwrap();
    assert_eq!(rejection_kind(&response), Some(AuthErrorKind::DpopRequired));
    assert!(response
        .headers()
        .get(tower_jwt_auth::sliding::DEFAULT_SLIDING_HEADER)
        .is_none());
    let proof = key.proof_at(
        "POST",
        &format!("{ORIGIN}/posts"),
        Some(&token),
        f.clock.now_secs(),
    );
    let response = service
        .clone()
        .oneshot(post(&token, Some(proof)))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let reissued = response.headers()[tower_jwt_auth::sliding::DEFAULT_SLIDING_HEADER]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(payload(&reissued)["cnf"]["jkt"], key.thumbprint().as_str());
    assert_eq!(payload(&reissued)["sid"], payload(&token)["sid"]);
    let response = service
        .clone()
        .oneshot(post(&reissued, None))
        .await
        .unwrap();
    assert_eq!(
        rejection_kind(&response),
        Some(AuthErrorKind::DpopRequired),
        "the reissue is bound too"
    );
    let proof = key.proof_at(
        "POST",
        &format!("{ORIGIN}/posts"),
        Some(&reissued),
        f.clock.now_secs(),
    );
    let response = service.oneshot(post(&reissued, Some(proof))).await.unwrap();
    assert_eq!(response.body(), &key.thumbprint());
}

/// A login proof checked at instance `a` is a replay at instance `b`.
async fn used_at_one_refused_at_the_other(a: &Dpop, b: &Dpop, proof: &str) {
    let uri = "/login".parse().unwrap();
    let headers = proof_headers(proof);
    assert!(a
        .check(&Method::POST, &uri, &headers, None)
        .await
        .unwrap()
        .is_some());
    let error = b
        .check(&Method::POST, &uri, &headers, None)
        .await
        .unwrap_err();
    assert_eq!(
        (error.kind(), error.claim()),
        (AuthErrorKind::InvalidDpopProof, Some("jti"))
    );
}

#[tokio::test]
async fn a_proof_used_at_one_instance_is_refused_at_another_sharing_redis() {
    let Some(server) = common::redis_server::RedisServer::start(&[]) else {
        return;
    };
    let instance = |store: tower_jwt_auth::RedisStore| {
        Dpop::builder()
            .public_url(ORIGIN)
            .replay_cache(store)
            .build()
            .unwrap()
    };
    let a = instance(
        tower_jwt_auth::RedisStore::builder(server.url())
            .build()
            .await
            .unwrap(),
    );
    let b = instance(
        tower_jwt_auth::RedisStore::builder(server.url())
            .build()
            .await
            .unwrap(),
    );
    let key = ProofKey::es256();
    let token = hs256(&with_claim(
        claims(),
        "cnf",
        json!({ "jkt": key.thumbprint() }),
    ));
    let layers = [a.clone(), b.clone()].map(|dpop| {
        builder_for(jsonwebtoken::Algorithm::HS256)
            .dpop(&dpop, DpopPolicy::Allowed)
            .build()
            .unwrap()
    });
    let request = |proof: &str| {
        Request::get("/me")
            .header("authorization", format!("DPoP {token}"))
            .header("dpop", proof)
            .body(String::new())
            .unwrap()
    };
    let proof = key.proof("GET", &format!("{ORIGIN}/me"), Some(&token));
    assert_eq!(
        send(&layers[0], request(&proof)).await.status(),
        StatusCode::OK
    );
    let replayed = send(&layers[1], request(&proof)).await;
    assert_eq!(
        rejection_kind(&replayed),
        Some(AuthErrorKind::InvalidDpopProof)
    );
    assert_eq!(
        send(&layers[0], request(&proof)).await.status(),
        StatusCode::UNAUTHORIZED
    );
    // A login proof, too: checked at one instance, it binds nothing at the other.
    let login = key.proof("POST", &format!("{ORIGIN}/login"), None);
    used_at_one_refused_at_the_other(&a, &b, &login).await;
    // Redis down: a proof is never accepted unrecorded.
    drop(server);
    let fresh = key.proof("GET", &format!("{ORIGIN}/me"), Some(&token));
    assert_eq!(
        send(&layers[0], request(&fresh)).await.status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
}

/// Two instances whose replay caches are two `SqlStore`s on one database: a proof used at one is refused at
/// the other, and the sweep removes used proofs once they have expired.
#[cfg(any(feature = "sqlite", feature = "postgres"))]
async fn shared_database_replays(
    first: tower_jwt_auth::SqlStore,
    second: tower_jwt_auth::SqlStore,
) {
    use tower_jwt_auth::dpop::ReplayCache;
    let clock = tower_jwt_auth::clock::ManualClock::new(now());
    let rules = |store: tower_jwt_auth::SqlStore| {
        Dpop::builder()
            .public_url(ORIGIN)
            .clock(clock.clone())
            .replay_cache(store)
            .build()
            .unwrap()
    };
    let (a, b) = (rules(first.clone()), rules(second));
    let key = ProofKey::ed25519();
    let uri = "/login".parse().unwrap();
    let proof = key.proof_at("POST", &format!("{ORIGIN}/login"), None, clock.now_secs());
    used_at_one_refused_at_the_other(&a, &b, &proof).await;
    // Straight through the trait: a key is new once, and again only after it has expired.
    let key = [7u8; 32];
    let first_use = |now, until| first.first_use(&key, now, until).resolve();
    assert_eq!(first_use(100, 160).await, Ok(true));
    assert_eq!(first_use(150, 210).await, Ok(false));
    assert_eq!(first_use(170, 230).await, Ok(true), "expired at 160");
    clock.advance(120);
    let later = key_proof_now(&clock);
    let _ = a
        .check(&Method::POST, &uri, &proof_headers(&later), None)
        .await
        .unwrap();
    assert!(
        first.sweep().await.unwrap() >= 1,
        "the expired proofs are swept"
    );
}

#[cfg(any(feature = "sqlite", feature = "postgres"))]
fn key_proof_now(clock: &tower_jwt_auth::clock::ManualClock) -> String {
    ProofKey::es256().proof_at("POST", &format!("{ORIGIN}/login"), None, clock.now_secs())
}

#[cfg(feature = "sqlite")]
#[tokio::test]
async fn a_proof_used_at_one_instance_is_refused_at_another_sharing_sqlite() {
    let file = common::sessions::SqliteFile::new();
    let first = tower_jwt_auth::SqlStore::connect(&file.url())
        .await
        .unwrap()
        .build()
        .await
        .unwrap();
    let second = tower_jwt_auth::SqlStore::connect(&file.url())
        .await
        .unwrap()
        .build()
        .await
        .unwrap();
    shared_database_replays(first, second).await;
}

#[cfg(feature = "postgres")]
#[tokio::test]
async fn a_proof_used_at_one_instance_is_refused_at_another_sharing_postgres() {
    let Some(server) = common::postgres_server::PostgresServer::shared() else {
        return; // said loudly; a failure under CI
    };
    let store = || async {
        tower_jwt_auth::SqlStore::connect(&server.url())
            .await
            .unwrap()
            .table_prefix("dpop_")
            .build()
            .await
            .unwrap()
    };
    shared_database_replays(store().await, store().await).await;
}

/// Bound refresh across two instances sharing one Redis (sessions and used proofs): the refresh proof used at
/// one is refused at the other and rotates nothing there; the stolen refresh token without the key fails at
/// either; the holder's fresh proof works at the other.
#[tokio::test]
async fn a_bound_refresh_replayed_to_another_instance_on_redis_is_refused() {
    let Some(server) = common::redis_server::RedisServer::start(&[]) else {
        return;
    };
    let instance = || async {
        let store = std::sync::Arc::new(
            tower_jwt_auth::RedisStore::builder(server.url())
                .build()
                .await
                .unwrap(),
        );
        let sessions =
            tower_jwt_auth::Sessions::builder(common::sessions::system_issuer(), store.clone())
                .successor_key([9; 32])
                .build()
                .unwrap();
        let dpop = Dpop::builder()
            .public_url(ORIGIN)
            .replay_cache(store)
            .build()
            .unwrap();
        let endpoint = RefreshEndpoint::new(sessions.clone()).dpop(&dpop, DpopPolicy::Allowed);
        (sessions, dpop, endpoint)
    };
    let (sessions_a, dpop_a, refresh_a) = instance().await;
    let (_, _, refresh_b) = instance().await;
    let key = ProofKey::es256();
    let login = key.proof("POST", &format!("{ORIGIN}/login"), None);
    let uri = "/login".parse().unwrap();
    let checked = dpop_a
        .check(&Method::POST, &uri, &proof_headers(&login), None)
        .await
        .unwrap();
    let pair = sessions_a
        .login_with("alice", &json!({}), checked.as_ref())
        .await
        .unwrap();
    let proof = key.proof("POST", &format!("{ORIGIN}/refresh"), None);
    let (status, body, _) = refresh(&refresh_a, pair.refresh_token(), Some(&proof)).await;
    assert_eq!(status, StatusCode::OK);
    let current = body["refresh_token"].as_str().unwrap().to_owned();
    let (status, body, _) = refresh(&refresh_b, &current, Some(&proof)).await;
    assert_eq!(
        (status, &body["error"]),
        (StatusCode::BAD_REQUEST, &json!("invalid_dpop_proof")),
        "replayed at the other instance"
    );
    let (status, _, _) = refresh(&refresh_b, &current, None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "stolen, without the key");
    let thief = ProofKey::ed25519().proof("POST", &format!("{ORIGIN}/refresh"), None);
    let (status, _, _) = refresh(&refresh_b, &current, Some(&thief)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "stolen, with another key");
    let fresh = key.proof("POST", &format!("{ORIGIN}/refresh"), None);
    let (status, body, _) = refresh(&refresh_b, &current, Some(&fresh)).await;
    assert_eq!(status, StatusCode::OK, "nothing rotated meanwhile: {body}");
    assert_eq!(body["token_type"], "DPoP");
}

/// RFC 9449 §5 with RFC 6749 §5.2: a bad proof at the refresh endpoint is a token error, 400
/// `{"error":"invalid_dpop_proof"}`, not a resource server's 401 challenge (OAuth clients read one as the
/// other); nothing rotates. A missing nonce stays 400 `use_dpop_nonce` with its `DPoP-Nonce`.
#[tokio::test]
async fn a_bad_proof_at_the_refresh_endpoint_is_a_400_token_error() {
    let f = fixture(Duration::ZERO);
    let dpop = rules(&f);
    let key = ProofKey::es256();
    let pair = bound_login(&f, &dpop, &key).await;
    let endpoint = RefreshEndpoint::new(f.sessions.clone()).dpop(&dpop, DpopPolicy::Allowed);
    let elsewhere = key.proof_at(
        "POST",
        &format!("{ORIGIN}/elsewhere"),
        None,
        f.clock.now_secs(),
    );
    let stale = key.proof_at(
        "POST",
        &format!("{ORIGIN}/refresh"),
        None,
        f.clock.now_secs() - 3600,
    );
    for proof in [elsewhere, stale, "not-a-proof".to_owned()] {
        let (status, body, headers) = refresh(&endpoint, pair.refresh_token(), Some(&proof)).await;
        assert_eq!(
            (status, &body),
            (
                StatusCode::BAD_REQUEST,
                &json!({ "error": "invalid_dpop_proof" })
            )
        );
        assert_eq!(headers["cache-control"], "no-store");
        assert!(!headers.contains_key("www-authenticate"), "{headers:?}");
    }
    let (status, _, _) = refresh(
        &endpoint,
        pair.refresh_token(),
        Some(&refresh_proof(&f, &key)),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "nothing rotated before");
}

/// A well-formed refresh token nobody minted: unbound, or bound to the attacker's own key.
fn forged_refresh_token(i: u8, jkt: Option<&str>) -> String {
    let b64 = |bytes: &[u8]| {
        use base64::Engine as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    };
    let token = format!("rt_{}.0.{}", b64(&[i; 16]), b64(&[i; 32]));
    match jkt {
        Some(jkt) => format!("{token}.{jkt}"),
        None => token,
    }
}

/// A `GET /me` with a DPoP-bound access token and a fresh proof of its key, through `layer`.
async fn resource_status(
    f: &Fixture,
    layer: &JwtAuthLayer,
    key: &ProofKey,
    access: &str,
) -> StatusCode {
    let proof = key.proof_at(
        "GET",
        &format!("{ORIGIN}/me"),
        Some(access),
        f.clock.now_secs(),
    );
    let request = Request::get("/me")
        .header("authorization", format!("DPoP {access}"))
        .header("dpop", proof)
        .body(String::new())
        .unwrap();
    let service = layer.layer(service_fn(|_: Request<String>| async {
        Ok::<_, std::convert::Infallible>(http::Response::new(String::new()))
    }));
    service.oneshot(request).await.unwrap().status()
}

/// Issue 22 item 6: unauthenticated DPoP proofs can't starve authenticated ones. Proofs at the token endpoints
/// are recorded only after the credentials checked out, and apart from resource proofs: forged refresh tokens
/// with valid self-signed proofs record nothing; a login that records proofs before checking anything
/// (`Dpop::check`) fills at most `token_endpoint_capacity` (then 503 there, until the flood ages out), and one
/// genuine refresh session at most 8 entries; meanwhile requests with a DPoP-bound access token are served, and
/// the shared replay cache never holds more than the token-endpoint capacity of token proofs.
#[tokio::test]
async fn a_flood_of_self_signed_token_endpoint_proofs_starves_no_resource_request() {
    let f = fixture(Duration::ZERO);
    // A shared cache with room for 64 proofs, of which token endpoints may take 16.
    let shared = std::sync::Arc::new(MemoryReplayCache::new(64));
    let dpop = Dpop::builder()
        .public_url(ORIGIN)
        .clock(f.clock.clone())
        .replay_cache(shared.clone())
        .token_endpoint_capacity(16)
        .build()
        .unwrap();
    let layer = JwtAuthLayer::builder()
        .sessions(&f.sessions)
        .dpop(&dpop, DpopPolicy::Allowed)
        .build()
        .unwrap();
    let endpoint = RefreshEndpoint::new(f.sessions.clone()).dpop(&dpop, DpopPolicy::Allowed);
    let key = ProofKey::es256();
    let pair = bound_login(&f, &dpop, &key).await;
    assert_eq!(shared.len(), 1, "the login's proof");
    let attacker = ProofKey::ed25519();

    // Forged refresh tokens, each with a valid proof by the attacker's key: 200 of them record nothing, and the
    // holder of a bound access token is served after them.
    let mut answers = Vec::new();
    for i in 0..100u8 {
        let bound = forged_refresh_token(i, Some(&attacker.thumbprint()));
        for token in [forged_refresh_token(i, None), bound] {
            let (status, body, _) =
                refresh(&endpoint, &token, Some(&refresh_proof(&f, &attacker))).await;
            answers.push((status, body["error"].clone()));
        }
    }
    assert_eq!(
        resource_status(&f, &layer, &key, pair.access_token()).await,
        StatusCode::OK
    );
    assert!(
        answers
            .iter()
            .all(|answer| *answer == (StatusCode::BAD_REQUEST, json!("invalid_grant"))),
        "{answers:?}"
    );
    assert_eq!(
        shared.len(),
        2,
        "the login's and the resource request's proofs only"
    );

    // A login that records every proof before checking anything: the flood fills the token-endpoint
    // capacity, and no more.
    let uri = "/login".parse().unwrap();
    let mut unavailable = 0;
    for _ in 0..100 {
        let proof = attacker.proof_at("POST", &format!("{ORIGIN}/login"), None, f.clock.now_secs());
        match dpop
            .check(&Method::POST, &uri, &proof_headers(&proof), None)
            .await
        {
            Ok(_) => {}
            Err(error) if error.kind() == AuthErrorKind::Unavailable => unavailable += 1,
            Err(error) => panic!("{error}"),
        }
    }
    assert_eq!(
        unavailable,
        100 - 15,
        "16 token-endpoint proofs live at once"
    );
    assert_eq!(shared.len(), 17, "and one resource proof");
    let (status, body, _) = refresh(
        &endpoint,
        pair.refresh_token(),
        Some(&refresh_proof(&f, &key)),
    )
    .await;
    assert_eq!(
        (status, &body["error"]),
        (
            StatusCode::SERVICE_UNAVAILABLE,
            &json!("temporarily_unavailable")
        ),
        "token requests wait for the flood to age out"
    );
    // The holder of a bound access token is served all along: resource proofs have their own room.
    for _ in 0..39 {
        assert_eq!(
            resource_status(&f, &layer, &key, pair.access_token()).await,
            StatusCode::OK
        );
    }

    // One proof window later (60 + 5 + 30 s) the flood has aged out.
    f.clock.advance(96);
    let (status, body, _) = refresh(
        &endpoint,
        pair.refresh_token(),
        Some(&refresh_proof(&f, &key)),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // One genuine refresh token can't fill it either: its session has at most 8 live proofs (the refresh
    // above is one), whatever the store answers (here, reuse of the rotated token: invalid_grant).
    let mut answers = Vec::new();
    for _ in 0..10 {
        let (status, _, _) = refresh(
            &endpoint,
            pair.refresh_token(),
            Some(&refresh_proof(&f, &key)),
        )
        .await;
        answers.push(status);
    }
    let expected: Vec<_> = [StatusCode::BAD_REQUEST; 7]
        .into_iter()
        .chain([StatusCode::SERVICE_UNAVAILABLE; 3])
        .collect();
    assert_eq!(answers, expected);
    // Another session logs in and refreshes meanwhile.
    let other = bound_login(&f, &dpop, &attacker).await;
    let (status, _, _) = refresh(
        &endpoint,
        other.refresh_token(),
        Some(&refresh_proof(&f, &attacker)),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
}
