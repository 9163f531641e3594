//! Proofs are used once across instances sharing a replay cache: Redis, SQLite, PostgreSQL, and a bound refresh
//! replayed to another instance.

use crate::common;

use crate::session_fixtures::{proof_headers, refresh, Secs, ORIGIN};
use common::dpop_proofs::ProofKey;
use common::*;
use http::{Method, Request, StatusCode};
use serde_json::json;
use tower_jwt_auth::dpop::{Dpop, DpopPolicy};
use tower_jwt_auth::{session::RefreshEndpoint, AuthErrorKind};

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
