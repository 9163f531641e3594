//! The crate's own RFC 7662 endpoint: clients authenticate with `client_secret_basic` (form-urlencoded inside
//! Basic), live own access tokens are described, anything else is exactly `{"active":false}`, never cached.

use std::sync::Arc;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use http::StatusCode;
use serde_json::{json, Value};
use tower_jwt_auth::session::IntrospectionEndpoint;
use tower_jwt_auth::{JwtAuthLayer, MemoryStore, SessionStore, Sessions};

use crate::common;
use crate::fixtures::*;

struct Server {
    sessions: Sessions,
    layer: JwtAuthLayer,
    endpoint: IntrospectionEndpoint,
}

fn server() -> Server {
    server_on(Arc::new(MemoryStore::new()))
}

fn server_on(store: Arc<dyn SessionStore>) -> Server {
    let sessions = Sessions::builder(
        common::sessions::issuer_builder()
            .client_id("web-app")
            .build()
            .unwrap(),
        store,
    )
    .successor_key([5; 32])
    .build()
    .unwrap();
    let layer = JwtAuthLayer::builder().sessions(&sessions).build().unwrap();
    let endpoint = IntrospectionEndpoint::new(sessions.clone())
        .client("rs", "rs-secret")
        .client("gateway", "g@te way:secret")
        .with_access_tokens(layer.clone());
    Server {
        sessions,
        layer,
        endpoint,
    }
}

/// `Authorization: Basic` for `id` and `secret` written as given (the caller encodes them).
fn basic(id: &str, secret: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")))
}

/// RFC 6749 §2.3.1: each part form-urlencoded first.
fn client_secret_basic(id: &str, secret: &str) -> String {
    let encode = |part: &str| form_urlencoded::byte_serialize(part.as_bytes()).collect::<String>();
    basic(&encode(id), &encode(secret))
}

async fn introspect(server: &Server, authorization: &str, body: &str) -> Answer {
    post_form(
        server.endpoint.clone(),
        body,
        &[("authorization", authorization)],
    )
    .await
}

fn json_of(answer: &Answer) -> Value {
    serde_json::from_str(&answer.body).unwrap()
}

async fn assert_inactive(server: &Server, token: &str, case: &str) {
    let answer = introspect(
        server,
        &client_secret_basic("rs", "rs-secret"),
        &form("token", token),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{case}");
    assert_eq!(answer.body, r#"{"active":false}"#, "{case}: nothing else");
    assert_eq!(answer.headers["cache-control"], "no-store", "{case}");
}

#[tokio::test]
async fn a_live_access_token_is_described_to_an_authenticated_client() {
    let server = server();
    let pair = server
        .sessions
        .login("alice", &json!({ "scope": "read write" }))
        .await
        .unwrap();
    let token = pair.access_token();
    let claims = common::payload(token);
    // The secret as real clients send it: escaped (`rs%2Dsecret`: some escape every character but letters and
    // digits), or as it is; and an id and secret that need escaping (RFC 6749 §2.3.1).
    for authorization in [
        basic("rs", "rs%2Dsecret"),
        basic("rs", "rs-secret"),
        client_secret_basic("gateway", "g@te way:secret"),
    ] {
        let body = format!("{}&token_type_hint=access_token", form("token", token));
        let answer = introspect(&server, &authorization, &body).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        assert_eq!(answer.headers["cache-control"], "no-store");
        assert_eq!(
            json_of(&answer),
            json!({
                "active": true, "scope": "read write", "client_id": "web-app", "sub": "alice",
                "exp": claims["exp"], "iat": claims["iat"], "nbf": claims["nbf"], "aud": claims["aud"],
                "iss": common::ISSUER,
                "jti": claims["jti"], "token_type": "Bearer",
            })
        );
    }
    // A wrong hint only orders the search (RFC 7662 §2.1).
    let body = format!("{}&token_type_hint=refresh_token", form("token", token));
    let answer = introspect(&server, &basic("rs", "rs-secret"), &body).await;
    assert_eq!(json_of(&answer)["active"], json!(true));
}

#[tokio::test]
async fn a_bound_token_is_described_with_its_confirmation() {
    let server = server();
    let now = common::now();
    let token = common::hs256(&json!({
        "iss": common::ISSUER, "aud": common::AUDIENCE, "sub": "bob", "iat": now, "nbf": now,
        "exp": now + 300, "jti": "bound-1", "cnf": { "jkt": "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I" },
    }));
    let answer = introspect(&server, &basic("rs", "rs-secret"), &form("token", &token)).await;
    let described = json_of(&answer);
    assert_eq!(described["token_type"], json!("DPoP"));
    assert_eq!(described["nbf"], json!(now));
    assert_eq!(
        described["cnf"],
        json!({ "jkt": "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I" })
    );
}

#[tokio::test]
async fn callers_that_do_not_authenticate_get_401_with_a_basic_challenge() {
    let server = server();
    let pair = server.sessions.login("alice", &json!({})).await.unwrap();
    let body = form("token", pair.access_token());
    for authorization in [
        basic("rs", "wrong-secret"),
        basic("rs", "rs-secret "),
        basic("nobody", "rs-secret"),
        client_secret_basic("gateway", "g@te way:secret!"),
        "Bearer rs-secret".to_owned(),
        "Basic !!!".to_owned(),
        String::new(),
    ] {
        let answer = introspect(&server, &authorization, &body).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{authorization}");
        assert_eq!(json_of(&answer), json!({ "error": "invalid_client" }));
        assert!(answer.headers["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Basic realm="));
    }
}

#[tokio::test]
async fn anything_not_live_is_inactive_and_nothing_else() {
    let server = server();
    let now = common::now();
    let pair = server.sessions.login("alice", &json!({})).await.unwrap();
    let expired = common::hs256(&json!({
        "iss": common::ISSUER, "aud": common::AUDIENCE, "sub": "alice", "iat": now - 4000, "exp": now - 3000,
    }));
    let (other_key, _) = common::key_pair(jsonwebtoken::Algorithm::ES256);
    let foreign = common::sign_raw(
        r#"{"alg":"ES256"}"#,
        &common::claims().to_string(),
        jsonwebtoken::Algorithm::ES256,
        &other_key,
    );
    assert_inactive(&server, &expired, "expired").await;
    assert_inactive(&server, &foreign, "foreign").await;
    assert_inactive(&server, "not.a.jwt", "malformed").await;
    assert_inactive(&server, "opaque-and-unknown", "unknown").await;

    let (_, info) = server.layer.verify_token(pair.access_token()).unwrap();
    server.sessions.logout(&info).await.unwrap();
    assert_inactive(&server, pair.access_token(), "revoked").await;

    let no_token = introspect(
        &server,
        &basic("rs", "rs-secret"),
        "token_type_hint=access_token",
    )
    .await;
    assert_eq!(no_token.status, StatusCode::BAD_REQUEST);
}

/// A refresh token is active while it is its session's current token: not once rotated away, revoked, or forged;
/// on every store (each reads the token's state its own way).
async fn refresh_tokens_are_described_while_live(store: Arc<dyn SessionStore>) {
    let server = server_on(store);
    let pair = server
        .sessions
        .login("alice", &json!({ "scope": "read write" }))
        .await
        .unwrap();
    let body = format!(
        "{}&token_type_hint=refresh_token",
        form("token", pair.refresh_token())
    );
    let answer = introspect(&server, &basic("rs", "rs-secret"), &body).await;
    let described = json_of(&answer);
    assert_eq!(answer.headers["cache-control"], "no-store");
    let exp = described["exp"].as_i64().unwrap();
    assert!(
        exp > common::now() + 3000,
        "its own idle expiry: {described}"
    );
    assert_eq!(
        described,
        json!({ "active": true, "scope": "read write", "client_id": "web-app", "sub": "alice", "exp": exp,
                "iss": common::ISSUER, "token_type": "refresh_token" })
    );
    // Introspection rotates nothing: the token still refreshes, once.
    let next = server.sessions.refresh(pair.refresh_token()).await.unwrap();
    assert_inactive(&server, pair.refresh_token(), "rotated away").await;
    let answer = introspect(
        &server,
        &basic("rs", "rs-secret"),
        &form("token", next.refresh_token()),
    )
    .await;
    assert_eq!(json_of(&answer)["active"], json!(true));
    let mut forged = next.refresh_token().to_owned();
    let last = forged.pop().unwrap();
    forged.push(if last == 'A' { 'B' } else { 'A' });
    assert_inactive(&server, &forged, "forged").await;
    server.sessions.revoke(next.refresh_token()).await.unwrap();
    assert_inactive(&server, next.refresh_token(), "revoked").await;
}

#[tokio::test]
async fn refresh_tokens_are_described_while_live_on_the_memory_store() {
    refresh_tokens_are_described_while_live(Arc::new(MemoryStore::new())).await;
}

#[tokio::test]
async fn refresh_tokens_are_described_while_live_on_redis() {
    let Some(server) = common::redis_server::RedisServer::start(&[]) else {
        return; // said loudly; a failure under CI
    };
    let store = tower_jwt_auth::RedisStore::builder(server.url())
        .build()
        .await
        .unwrap();
    refresh_tokens_are_described_while_live(Arc::new(store)).await;
}

#[cfg(feature = "sqlite")]
#[tokio::test]
async fn refresh_tokens_are_described_while_live_on_sqlite() {
    let file = common::sessions::SqliteFile::new();
    let store = tower_jwt_auth::SqlStore::connect(&file.url())
        .await
        .unwrap()
        .build()
        .await
        .unwrap();
    refresh_tokens_are_described_while_live(Arc::new(store)).await;
}

#[tokio::test]
async fn refresh_tokens_are_described_while_live_on_a_redis_cluster() {
    let Some(cluster) = common::redis_cluster::RedisCluster::start() else {
        return; // said loudly; a failure under CI
    };
    let store = tower_jwt_auth::RedisStore::cluster(cluster.urls())
        .prefix("introspect")
        .build()
        .await
        .unwrap();
    refresh_tokens_are_described_while_live(Arc::new(store)).await;
}

#[cfg(feature = "postgres")]
#[tokio::test]
async fn refresh_tokens_are_described_while_live_on_postgres() {
    let Some(server) = common::postgres_server::PostgresServer::shared() else {
        return; // said loudly; a failure under CI
    };
    let store = tower_jwt_auth::SqlStore::connect(&server.url())
        .await
        .unwrap()
        .table_prefix("introspect_")
        .build()
        .await
        .unwrap();
    refresh_tokens_are_described_while_live(Arc::new(store)).await;
}

/// A certificate-bound pair (RFC 8705) is described with its `cnf["x5t#S256"]`, access and refresh token alike,
/// and stays `Bearer`: a resource server relying on the answer can hold the token to its certificate.
#[tokio::test]
async fn a_certificate_bound_pair_is_described_with_its_thumbprint() {
    let server = server();
    let certificate =
        tower_jwt_auth::certificate::ClientCertificate::from_der(b"a client certificate");
    let options = tower_jwt_auth::session::LoginOptions::new().client_certificate(&certificate);
    let pair = server
        .sessions
        .login_with_options("carol", &json!({ "scope": "read" }), options)
        .await
        .unwrap();
    let x5t = json!({ "x5t#S256": certificate.thumbprint() });
    let answer = introspect(
        &server,
        &basic("rs", "rs-secret"),
        &form("token", pair.access_token()),
    )
    .await;
    let described = json_of(&answer);
    assert_eq!(described["active"], json!(true), "{described}");
    assert_eq!(described["token_type"], json!("Bearer"));
    assert_eq!(described["cnf"], x5t);
    let answer = introspect(
        &server,
        &basic("rs", "rs-secret"),
        &form("token", pair.refresh_token()),
    )
    .await;
    let described = json_of(&answer);
    assert_eq!(
        described["token_type"],
        json!("refresh_token"),
        "{described}"
    );
    assert_eq!(described["cnf"], x5t);
}
