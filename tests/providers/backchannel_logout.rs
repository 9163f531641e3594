//! OpenID Connect Back-Channel Logout 1.0 at one instance (memory store): a logout by `sid` or by `sub` refuses
//! the provider's tokens it names and nothing else — never the local issuer's sessions — every rule of §2.6
//! broken once is 400 with nothing revoked, replays are refused, and logout and access tokens never pass for
//! each other.

use std::sync::Arc;

use http::StatusCode;
use serde_json::{json, Value};
use tower_jwt_auth::{ConfigError, MemoryStore};

use crate::common;
use crate::fixtures::*;

fn memory_instance(idp: &IdP) -> Instance {
    instance(idp, Arc::new(MemoryStore::new()))
}

/// The local session's access token (and its refresh token) for `subject`.
async fn local_login(instance: &Instance, subject: &str) -> (String, String) {
    let pair = instance.sessions.login(subject, &json!({})).await.unwrap();
    (
        pair.access_token().to_owned(),
        pair.refresh_token().to_owned(),
    )
}

fn assert_refused(answer: &Answer, case: &str) {
    assert_eq!(
        answer.status,
        StatusCode::BAD_REQUEST,
        "{case}: {}",
        answer.body
    );
    assert_eq!(
        serde_json::from_str::<Value>(&answer.body).unwrap(),
        json!({ "error": "invalid_request" }),
        "{case}"
    );
}

#[tokio::test]
async fn a_logout_by_sid_refuses_that_provider_session_and_nothing_else() {
    let idp = idp().await;
    let service = memory_instance(&idp);
    let (local, local_refresh) = local_login(&service, "alice").await;
    let local_sid = common::payload(&local)["sid"].as_str().unwrap().to_owned();
    let now = common::now();
    let ended = idp.access_token("alice", Some("idp-s1"), now);
    let other_session = idp.access_token("alice", Some("idp-s2"), now);
    // The provider's session id equals the local session's: still only the provider's tokens are refused.
    let same_sid = idp.access_token("carol", Some(&local_sid), now);
    for token in [&ended, &other_session, &same_sid, &local] {
        assert_eq!(status(&service.layer, token).await, StatusCode::OK);
    }

    let answer = logout(
        &service,
        &idp.logout_token(&logout_claims(Some("idp-s1"), None)),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.headers["cache-control"], "no-store");
    assert!(answer.body.is_empty());
    let answer = logout(
        &service,
        &idp.logout_token(&logout_claims(Some(&local_sid), Some("carol"))),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);

    assert_eq!(
        status(&service.layer, &ended).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        status(&service.layer, &same_sid).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(status(&service.layer, &other_session).await, StatusCode::OK);
    assert_eq!(
        status(&service.layer, &local).await,
        StatusCode::OK,
        "the local session lives on"
    );
    service.sessions.refresh(&local_refresh).await.unwrap();
    // The provider's next session is accepted as usual.
    let next = idp.access_token("alice", Some("idp-s3"), now);
    assert_eq!(status(&service.layer, &next).await, StatusCode::OK);
}

#[tokio::test]
async fn a_logout_by_sub_alone_refuses_that_subjects_earlier_provider_tokens_only() {
    let idp = idp().await;
    let service = memory_instance(&idp);
    let (local, local_refresh) = local_login(&service, "alice").await;
    let now = common::now();
    let earlier = idp.access_token("alice", None, now - 30);
    let earlier_session = idp.access_token("alice", Some("idp-s1"), now - 30);
    let bob = idp.access_token("bob", None, now - 30);

    let mut claims = logout_claims(None, Some("alice"));
    claims["iat"] = json!(now - 5);
    let answer = logout(&service, &idp.logout_token(&claims)).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);

    assert_eq!(
        status(&service.layer, &earlier).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        status(&service.layer, &earlier_session).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(status(&service.layer, &bob).await, StatusCode::OK);
    // The local `alice` is another person's account: her session is untouched.
    assert_eq!(status(&service.layer, &local).await, StatusCode::OK);
    service.sessions.refresh(&local_refresh).await.unwrap();
    // Tokens the provider issues after the logout are accepted.
    let later = idp.access_token("alice", None, now);
    assert_eq!(status(&service.layer, &later).await, StatusCode::OK);
}

/// Every §2.6 rule broken once (and the request's form): 400 `invalid_request`, and nothing is revoked.
#[tokio::test]
async fn every_rule_of_section_2_6_broken_once_is_refused_and_revokes_nothing() {
    let idp = idp().await;
    let service = memory_instance(&idp);
    let now = common::now();
    let victim = idp.access_token("alice", Some("idp-s1"), now - 10);
    let valid = || logout_claims(Some("idp-s1"), Some("alice"));
    let with = |name: &str, value: Value| {
        let mut claims = valid();
        claims[name] = value;
        claims
    };
    let without = |name: &str| {
        let mut claims = valid();
        claims.as_object_mut().unwrap().remove(name);
        claims
    };
    let header = |typ: Value| json!({ "alg": "ES256", "kid": "idp-1", "typ": typ });
    let signed = idp.logout_token(&valid());
    let (head, rest) = signed.split_once('.').unwrap();
    let (_, signature) = rest.split_once('.').unwrap();
    let forged = format!(
        "{head}.{}.{signature}",
        common::b64(with("sid", json!("idp-s9")).to_string())
    );
    let unsigned = format!(
        "{}.{}.",
        common::b64(r#"{"alg":"none","typ":"logout+jwt"}"#),
        common::b64(valid().to_string())
    );
    let other_key = common::sign_raw(
        &json!({ "alg": "HS256", "kid": "idp-1", "typ": "logout+jwt" }).to_string(),
        &valid().to_string(),
        jsonwebtoken::Algorithm::HS256,
        &jsonwebtoken::EncodingKey::from_secret(common::SECRET).unwrap(),
    );
    let cases: Vec<(&str, String)> = vec![
        ("signature of other claims", forged),
        ("alg none", unsigned),
        ("another key and algorithm", other_key),
        (
            "typ of an access token",
            idp.sign(&header(json!("at+jwt")), &valid()),
        ),
        ("typ JWT", idp.sign(&header(json!("JWT")), &valid())),
        (
            "iss not trusted",
            idp.logout_token(&with("iss", json!("https://evil.example"))),
        ),
        (
            "iss the local issuer",
            idp.logout_token(&with("iss", json!(common::ISSUER))),
        ),
        ("no iss", idp.logout_token(&without("iss"))),
        (
            "aud another client",
            idp.logout_token(&with("aud", json!("someone-else"))),
        ),
        (
            "aud list without this client",
            idp.logout_token(&with("aud", json!(["a", "b"]))),
        ),
        ("no aud", idp.logout_token(&without("aud"))),
        (
            "iat too old",
            idp.logout_token(&with("iat", json!(now - 3600))),
        ),
        (
            "iat in the future",
            idp.logout_token(&with("iat", json!(now + 3600))),
        ),
        (
            "iat not a number",
            idp.logout_token(&with("iat", json!("now"))),
        ),
        ("no iat", idp.logout_token(&without("iat"))),
        (
            "exp passed",
            idp.logout_token(&with("exp", json!(now - 600))),
        ),
        ("no jti", idp.logout_token(&without("jti"))),
        ("empty jti", idp.logout_token(&with("jti", json!("")))),
        ("no events", idp.logout_token(&without("events"))),
        (
            "events without the member",
            idp.logout_token(&with("events", json!({ "other": {} }))),
        ),
        (
            "event not an object",
            idp.logout_token(&with("events", json!({ BACKCHANNEL_EVENT: true }))),
        ),
        (
            "events not an object",
            idp.logout_token(&with("events", json!([BACKCHANNEL_EVENT]))),
        ),
        (
            "neither sid nor sub",
            idp.logout_token(&{
                let mut claims = without("sid");
                claims.as_object_mut().unwrap().remove("sub");
                claims
            }),
        ),
        ("sid not a string", idp.logout_token(&with("sid", json!(7)))),
        (
            "nonce",
            idp.logout_token(&with("nonce", json!("n-0S6_WzA2Mj"))),
        ),
        ("an access token", victim.clone()),
        ("not a JWT", "opaque-logout".to_owned()),
    ];
    for (case, token) in &cases {
        assert_refused(&logout(&service, token).await, case);
    }
    // The form itself: a JSON body, no logout_token, a repeated one.
    let token = idp.logout_token(&valid());
    let json_body = format!(r#"{{"logout_token":"{token}"}}"#);
    let forms = [
        ("JSON body", json_body.clone(), "application/json"),
        (
            "no logout_token",
            form("token", &token),
            "application/x-www-form-urlencoded",
        ),
        (
            "two logout_tokens",
            format!(
                "{}&{}",
                form("logout_token", &token),
                form("logout_token", &token)
            ),
            "application/x-www-form-urlencoded",
        ),
    ];
    for (case, body, content_type) in forms {
        let request = http::Request::post("/")
            .header("content-type", content_type)
            .body(body)
            .unwrap();
        let response = tower::ServiceExt::oneshot(service.logout.clone(), request)
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{case}");
    }
    let get = http::Request::get("/").body(String::new()).unwrap();
    let response = tower::ServiceExt::oneshot(service.logout.clone(), get)
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);

    assert_eq!(
        status(&service.layer, &victim).await,
        StatusCode::OK,
        "nothing was revoked"
    );
    // The valid token, whose jti no refusal recorded, still works.
    assert_eq!(logout(&service, &token).await.status, StatusCode::OK);
    assert_eq!(
        status(&service.layer, &victim).await,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_replayed_logout_token_is_refused() {
    let idp = idp().await;
    let service = memory_instance(&idp);
    let token = idp.logout_token(&logout_claims(None, Some("alice")));
    assert_eq!(logout(&service, &token).await.status, StatusCode::OK);
    assert_refused(&logout(&service, &token).await, "replay");
}

/// A logout token is never an access token — typed `logout+jwt`, or untyped with its `events` claim — even
/// when its `aud` names the service and it has an `exp`.
#[tokio::test]
async fn a_logout_token_is_never_accepted_as_an_access_token() {
    let idp = idp().await;
    let service = memory_instance(&idp);
    let mut claims = logout_claims(Some("idp-s1"), Some("alice"));
    claims["aud"] = json!(common::AUDIENCE);
    let typed = idp.logout_token(&claims);
    let untyped = idp.sign(&json!({ "alg": "ES256", "kid": "idp-1" }), &claims);
    assert_eq!(
        status(&service.layer, &typed).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        status(&service.layer, &untyped).await,
        StatusCode::UNAUTHORIZED
    );
    claims.as_object_mut().unwrap().remove("events");
    let plain = idp.sign(&json!({ "alg": "ES256", "kid": "idp-1" }), &claims);
    assert_eq!(
        status(&service.layer, &plain).await,
        StatusCode::OK,
        "the same claims without events pass"
    );
}

#[tokio::test]
async fn the_local_issuer_is_never_a_provider_whose_logouts_are_taken() {
    let idp = idp().await;
    let service = memory_instance(&idp);
    let error = service
        .layer
        .backchannel_logout(common::ISSUER, CLIENT, service.sessions.store().clone())
        .unwrap_err();
    assert!(
        matches!(error, ConfigError::ProviderIsOwnIssuer(ref issuer) if issuer == common::ISSUER)
    );
    assert!(matches!(
        service
            .layer
            .backchannel_logout(PROVIDER, "", MemoryStore::new()),
        Err(ConfigError::Missing(_))
    ));
}

/// A logout taken is a `backchannel_logout` audit event of the sessions the layer is wired to (the provider,
/// its `sid` and `sub`, never the token); a refused one is none.
#[tokio::test]
async fn a_logout_taken_is_an_audit_event_of_the_sessions() {
    use tower_jwt_auth::audit::{AuditChannel, AuditEvent, AuditEventKind};
    use tower_jwt_auth::keys::{Jwks, TrustedIssuer};
    use tower_jwt_auth::{JwtAuthLayer, Sessions};

    let idp = idp().await;
    let (sink, events) = AuditChannel::bounded(16);
    let sessions = Sessions::builder(common::sessions::system_issuer(), MemoryStore::new())
        .audit(sink)
        .build()
        .unwrap();
    let layer = JwtAuthLayer::builder()
        .sessions(&sessions)
        .trust_issuer(
            PROVIDER,
            TrustedIssuer::new().jwks(Jwks::url(&idp.jwks.jwks_url()).unwrap().allow_http()),
        )
        .build()
        .unwrap();
    let service = Instance {
        logout: layer
            .backchannel_logout(PROVIDER, CLIENT, sessions.store().clone())
            .unwrap(),
        sessions,
        layer,
    };
    let token = idp.logout_token(&logout_claims(Some("idp-s1"), Some("alice")));
    assert_eq!(logout(&service, &token).await.status, StatusCode::OK);
    assert_refused(&logout(&service, &token).await, "replay");
    let received: Vec<AuditEvent> = events.try_iter().collect();
    assert_eq!(received.len(), 1, "{received:?}");
    let event = &received[0];
    assert_eq!(event.kind, AuditEventKind::BackchannelLogout);
    assert_eq!(
        (
            event.issuer.as_deref(),
            event.subject.as_deref(),
            event.session_id.as_deref()
        ),
        (Some(PROVIDER), Some("alice"), Some("idp-s1"))
    );
    assert!(!format!("{event:?}").contains(&token));
}
