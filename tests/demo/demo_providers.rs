//! The demo with identity providers: `POST /introspect` for its own tokens (`INTROSPECT_CLIENTS`),
//! `INTROSPECTION_*` accepting a provider's opaque tokens and `INTROSPECTION_ISSUER`'s JWTs, and
//! `POST /backchannel-logout` for `JWKS_ISSUER`'s logout tokens, enforced by a second demo sharing Redis.

use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use http::{Method, StatusCode};
use jsonwebtoken::Algorithm;
use serde_json::{json, Value};

use crate::common::{self, demo, introspection_server, jwks_server};
use crate::fixtures::{call, login, start_demo};

const PROVIDER: &str = "https://idp.example.com/realms/main";
const BACKCHANNEL_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

fn basic(id: &str, secret: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")))
}

fn form(name: &str, value: &str) -> String {
    form_urlencoded::Serializer::new(String::new())
        .append_pair(name, value)
        .finish()
}

/// The value of the Prometheus series `series` (`name{labels}` as rendered), 0 when absent.
fn series(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
        .unwrap_or(0.0)
}

#[tokio::test]
async fn introspect_describes_the_demos_own_tokens_to_its_clients() {
    let demo = start_demo(&[]);
    let access = login(&demo, "alice", "alice-pass").await.body["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    // `rs:rs-secret` by default, the secret escaped as RFC 6749 §2.3.1 clients send it.
    let authorization = basic("rs", "rs%2Dsecret");
    let (status, body, headers) = demo::post_form(
        &demo,
        "/introspect",
        &[("authorization", &authorization)],
        &form("token", &access),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(
        (&body["active"], &body["sub"]),
        (&json!(true), &json!("alice"))
    );
    assert_eq!(body["iss"], json!("demo"));
    assert_eq!(body["token_type"], json!("Bearer"));

    for wrong in [
        basic("rs", "wrong"),
        basic("someone", "rs-secret"),
        String::new(),
    ] {
        let (status, body, headers) = demo::post_form(
            &demo,
            "/introspect",
            &[("authorization", &wrong)],
            &form("token", &access),
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(body, json!({ "error": "invalid_client" }));
        assert!(headers.contains_key("www-authenticate"));
    }
    let (_, unknown, _) = demo::post_form(
        &demo,
        "/introspect",
        &[("authorization", &authorization)],
        &form("token", "not-a-token-of-ours"),
    )
    .await;
    assert_eq!(unknown, json!({ "active": false }));

    let logout = call(&demo, Method::POST, "/logout", Some(&access), None).await;
    assert_eq!(logout.status, StatusCode::NO_CONTENT);
    let (_, revoked, _) = demo::post_form(
        &demo,
        "/introspect",
        &[("authorization", &authorization)],
        &form("token", &access),
    )
    .await;
    assert_eq!(revoked, json!({ "active": false }));
}

#[tokio::test]
async fn introspect_clients_come_from_the_environment() {
    let demo = start_demo(&[("INTROSPECT_CLIENTS", "gateway:gw-secret,billing:b-secret")]);
    let access = login(&demo, "bob", "bob-pass").await.body["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    for (authorization, wanted) in [
        (basic("rs", "rs-secret"), StatusCode::UNAUTHORIZED),
        (basic("gateway", "gw-secret"), StatusCode::OK),
        (basic("billing", "b-secret"), StatusCode::OK),
    ] {
        let (status, _, _) = demo::post_form(
            &demo,
            "/introspect",
            &[("authorization", &authorization)],
            &form("token", &access),
        )
        .await;
        assert_eq!(status, wanted, "{authorization}");
    }
}

#[tokio::test]
async fn tokens_are_accepted_through_the_providers_introspection_endpoint() {
    let server = introspection_server::start().await;
    let now = common::now();
    let active = |sub: &str| json!({ "sub": sub, "scope": "read", "aud": "demo-api", "iat": now, "exp": now + 300 });
    server.activate("opaque-carol", active("carol"));
    let (key, _) = common::key_pair(Algorithm::ES256);
    let provider_jwt = common::sign_raw(
        r#"{"alg":"ES256","kid":"idp-1"}"#,
        &json!({ "iss": PROVIDER, "aud": "demo-api", "sub": "dave", "iat": now, "exp": now + 300 })
            .to_string(),
        Algorithm::ES256,
        &key,
    );
    server.activate(&provider_jwt, active("dave"));
    let url = server.url();
    let demo = start_demo(&[
        ("INTROSPECTION_URL", url.as_str()),
        ("INTROSPECTION_CLIENT_ID", introspection_server::CLIENT_ID),
        (
            "INTROSPECTION_CLIENT_SECRET",
            introspection_server::CLIENT_SECRET,
        ),
        ("INTROSPECTION_ISSUER", PROVIDER),
        ("INTROSPECTION_CACHE_SECS", "1"),
    ]);
    let me = call(&demo, Method::GET, "/me", Some("opaque-carol"), None).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(
        (&me.body["sub"], &me.body["iss"]),
        (&json!("carol"), &json!(PROVIDER))
    );
    let me = call(&demo, Method::GET, "/me", Some(&provider_jwt), None).await;
    assert_eq!(
        (me.status, &me.body["sub"]),
        (StatusCode::OK, &json!("dave"))
    );
    let unknown = call(&demo, Method::GET, "/me", Some("opaque-unknown"), None).await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    // The demo's own tokens are still verified locally.
    let calls = server.calls();
    let own = login(&demo, "alice", "alice-pass").await.body["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        call(&demo, Method::GET, "/me", Some(&own), None)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(server.calls(), calls);

    // Deactivated at the provider: refused once the cached answer (1 s) lapses.
    server.deactivate("opaque-carol");
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let me = call(&demo, Method::GET, "/me", Some("opaque-carol"), None).await;
    assert_eq!(me.status, StatusCode::UNAUTHORIZED);
    // The provider down: 503 for a token not cached, never an acceptance.
    server.fail(true);
    server.activate("opaque-erin", active("erin"));
    let me = call(&demo, Method::GET, "/me", Some("opaque-erin"), None).await;
    assert_eq!(me.status, StatusCode::SERVICE_UNAVAILABLE);
    let (_, metrics) = demo::get_text(&demo, "/metrics").await;
    assert!(
        series(&metrics, "jwt_auth_introspection_total{outcome=\"call\"}") >= 4.0,
        "{metrics}"
    );
    assert!(
        series(
            &metrics,
            "jwt_auth_introspection_total{outcome=\"failure\"}"
        ) >= 1.0,
        "{metrics}"
    );
}

/// A provider's logout at one demo is enforced by another sharing Redis; replays and invalid logout tokens are
/// 400 `invalid_request`.
#[tokio::test]
async fn a_backchannel_logout_ends_the_providers_session_at_every_demo() {
    let Some(redis) = common::redis_server::RedisServer::start(&[]) else {
        return; // said loudly; a failure under CI
    };
    let (key, _) = common::key_pair(Algorithm::ES256);
    let jwks = jwks_server::start(vec![jwks_server::jwk(
        Algorithm::ES256,
        &key,
        "idp-1",
        true,
    )])
    .await;
    let sign = |header: Value, claims: Value| {
        common::sign_raw(
            &header.to_string(),
            &claims.to_string(),
            Algorithm::ES256,
            &key,
        )
    };
    let now = common::now();
    let access = |sid: &str| {
        sign(
            json!({ "alg": "ES256", "kid": "idp-1" }),
            json!({ "iss": PROVIDER, "aud": "demo-api", "sub": "frank", "sid": sid, "iat": now - 5, "exp": now + 300 }),
        )
    };
    let (ended, other) = (access("idp-s1"), access("idp-s2"));
    let jwks_url = jwks.jwks_url();
    let env = [
        ("REDIS_URL", redis.url()),
        (
            "JWT_SECRET",
            "a-shared-secret-for-both-demo-processes-0123456789".to_owned(),
        ),
        ("JWKS_URL", jwks_url),
        ("JWKS_ISSUER", PROVIDER.to_owned()),
    ];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (a, b) = (start_demo(&env), start_demo(&env));
    for demo in [&a, &b] {
        for token in [&ended, &other] {
            assert_eq!(
                call(demo, Method::GET, "/me", Some(token), None)
                    .await
                    .status,
                StatusCode::OK
            );
        }
    }
    let logout_token = sign(
        json!({ "alg": "ES256", "kid": "idp-1", "typ": "logout+jwt" }),
        json!({ "iss": PROVIDER, "aud": "demo-api", "iat": now, "exp": now + 120, "jti": "bcl-1",
                "sid": "idp-s1", "events": { BACKCHANNEL_EVENT: {} } }),
    );
    let (status, body, headers) = demo::post_form(
        &a,
        "/backchannel-logout",
        &[],
        &form("logout_token", &logout_token),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(headers["cache-control"], "no-store");

    let start = Instant::now();
    while call(&b, Method::GET, "/me", Some(&ended), None)
        .await
        .status
        != StatusCode::UNAUTHORIZED
    {
        assert!(
            start.elapsed() < Duration::from_secs(3),
            "the other demo refuses the ended session"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        call(&b, Method::GET, "/me", Some(&other), None)
            .await
            .status,
        StatusCode::OK
    );
    let (status, body, _) = demo::post_form(
        &b,
        "/backchannel-logout",
        &[],
        &form("logout_token", &logout_token),
    )
    .await;
    assert_eq!(
        (status, body),
        (
            StatusCode::BAD_REQUEST,
            json!({ "error": "invalid_request" })
        ),
        "a replay"
    );
    let (status, body, _) = demo::post_form(
        &a,
        "/backchannel-logout",
        &[],
        &form("logout_token", &other),
    )
    .await;
    assert_eq!(
        (status, body),
        (
            StatusCode::BAD_REQUEST,
            json!({ "error": "invalid_request" })
        ),
        "an access token"
    );
    let (_, metrics) = demo::get_text(&a, "/metrics").await;
    assert_eq!(
        series(
            &metrics,
            "jwt_auth_backchannel_logout_total{outcome=\"revoked\"}"
        ),
        1.0,
        "{metrics}"
    );
    assert_eq!(
        series(
            &metrics,
            "jwt_auth_backchannel_logout_total{outcome=\"refused\"}"
        ),
        1.0,
        "{metrics}"
    );
}

/// Without a provider issuer of its own, `JWKS_URL`'s keys verify the demo's issuer's tokens (as before), and
/// no back-channel logout is taken: the route refuses every logout token, even one those keys signed, and the
/// demo's sessions never end by another party's word.
#[tokio::test]
async fn without_jwks_issuer_every_backchannel_logout_is_refused() {
    let (key, _) = common::key_pair(Algorithm::ES256);
    let jwks = jwks_server::start(vec![jwks_server::jwk(
        Algorithm::ES256,
        &key,
        "idp-1",
        true,
    )])
    .await;
    let jwks_url = jwks.jwks_url();
    let demo = start_demo(&[("JWKS_URL", jwks_url.as_str())]);
    let session = login(&demo, "alice", "alice-pass").await;
    let access = session.body["access_token"].as_str().unwrap().to_owned();
    let now = common::now();
    let logout_token = common::sign_raw(
        &json!({ "alg": "ES256", "kid": "idp-1", "typ": "logout+jwt" }).to_string(),
        &json!({ "iss": "demo", "aud": "demo-api", "iat": now, "exp": now + 120, "jti": "bcl-own",
                 "sub": "alice", "events": { BACKCHANNEL_EVENT: {} } })
        .to_string(),
        Algorithm::ES256,
        &key,
    );
    let (status, body, _) = demo::post_form(
        &demo,
        "/backchannel-logout",
        &[],
        &form("logout_token", &logout_token),
    )
    .await;
    assert_eq!(
        (status, body),
        (
            StatusCode::BAD_REQUEST,
            json!({ "error": "invalid_request" })
        )
    );
    assert_eq!(
        call(&demo, Method::GET, "/me", Some(&access), None)
            .await
            .status,
        StatusCode::OK,
        "the demo's own session goes on"
    );
}

/// An independent OAuth client library (the `oauth2` crate, with hyper lent as its HTTP client) introspects a
/// demo token: its `client_secret_basic` (id and secret form-urlencoded, RFC 6749 §2.3.1) authenticates, and
/// it reads the answer as RFC 7662 says.
#[tokio::test]
async fn an_oauth2_client_library_introspects_the_demos_tokens() {
    use oauth2::basic::BasicClient;
    use oauth2::{
        AccessToken, ClientId, ClientSecret, IntrospectionUrl, TokenIntrospectionResponse,
    };

    async fn send(request: oauth2::HttpRequest) -> Result<oauth2::HttpResponse, std::io::Error> {
        use http_body_util::BodyExt;
        let client: hyper_util::client::legacy::Client<_, http_body_util::Full<bytes::Bytes>> =
            hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                .build_http();
        let (parts, body) = request.into_parts();
        let request = http::Request::from_parts(parts, http_body_util::Full::new(body.into()));
        let response = client
            .request(request)
            .await
            .map_err(std::io::Error::other)?;
        let (parts, body) = response.into_parts();
        let body = body
            .collect()
            .await
            .map_err(std::io::Error::other)?
            .to_bytes();
        Ok(http::Response::from_parts(parts, body.to_vec()))
    }

    let demo = start_demo(&[("INTROSPECT_CLIENTS", "resource server:p@ss w+rd/=%")]);
    let access = login(&demo, "alice", "alice-pass").await.body["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let client = |secret: &str| {
        BasicClient::new(ClientId::new("resource server".to_owned()))
            .set_client_secret(ClientSecret::new(secret.to_owned()))
            .set_introspection_url(
                IntrospectionUrl::new(format!("{}/introspect", demo.base)).unwrap(),
            )
    };
    let token = AccessToken::new(access);
    let answer = client("p@ss w+rd/=%")
        .introspect(&token)
        .request_async(&send)
        .await
        .unwrap();
    assert!(answer.active());
    assert_eq!(answer.sub(), Some("alice"));
    assert_eq!(answer.iss(), Some("demo"));
    let scopes: Vec<String> = answer
        .scopes()
        .unwrap()
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(scopes, ["read", "write"]);
    assert!(answer.exp().is_some());
    let refused = client("wrong")
        .introspect(&token)
        .request_async(&send)
        .await;
    assert!(refused.is_err(), "401 for a wrong secret");
}
