//! The demo's strong-authentication contract: `otp` at `/login` (acr/amr), `POST /payments` behind a step-up,
//! HTTPS with optional client certificates (`TLS_CERT`, `TLS_KEY`, `TLS_CLIENT_CA`) binding logins and refreshes
//! to them, and `CLIENT_CERT_HEADER` for a trusted proxy.

use http::{Method, StatusCode};
use serde_json::{json, Value};
use tower_jwt_auth::testing::claims_of;

use crate::common::demo::Demo;
use crate::common::tls::{build, request, Issued, Pki};
use crate::fixtures::{call, start_demo};

const ALICE: &str = r#"{"username":"alice","password":"alice-pass"}"#;
const ALICE_MFA: &str = r#"{"username":"alice","password":"alice-pass","otp":"123456"}"#;

async fn token_of(demo: &Demo, body: &str) -> String {
    let reply = call(demo, Method::POST, "/login", None, Some(body)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    reply.body["access_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn otp_logins_are_multi_factor_and_payments_need_one() {
    let demo = start_demo(&[]);
    let mfa = token_of(&demo, ALICE_MFA).await;
    assert_eq!(claims_of(&mfa)["acr"], "urn:demo:mfa");
    assert_eq!(claims_of(&mfa)["amr"], json!(["pwd", "otp"]));
    let paid = call(&demo, Method::POST, "/payments", Some(&mfa), None).await;
    assert_eq!(paid.status, StatusCode::CREATED);
    assert!(paid.body["id"].as_str().is_some_and(|id| !id.is_empty()));

    let password = token_of(&demo, ALICE).await;
    assert_eq!(claims_of(&password)["acr"], "urn:demo:pwd");
    assert_eq!(claims_of(&password)["amr"], json!(["pwd"]));
    let refused = call(&demo, Method::POST, "/payments", Some(&password), None).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    let challenge = refused.headers["www-authenticate"].to_str().unwrap();
    for part in [
        "error=\"insufficient_user_authentication\"",
        "acr_values=\"urn:demo:mfa\"",
        "max_age=300",
    ] {
        assert!(challenge.contains(part), "{challenge}");
    }
    for wrong in [
        r#"{"username":"alice","password":"alice-pass","otp":"654321"}"#,
        r#"{"username":"bob","password":"bob-pass","otp":"123456"}"#,
    ] {
        let reply = call(&demo, Method::POST, "/login", None, Some(wrong)).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{wrong}");
    }
    let bob = token_of(&demo, r#"{"username":"bob","password":"bob-pass"}"#).await;
    let forbidden = call(&demo, Method::POST, "/payments", Some(&bob), None).await;
    assert_eq!(
        forbidden.status,
        StatusCode::FORBIDDEN,
        "bob has no write scope"
    );
    let anonymous = call(&demo, Method::POST, "/payments", None, None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    let metadata = call(
        &demo,
        Method::GET,
        "/.well-known/oauth-protected-resource",
        None,
        None,
    )
    .await;
    assert_eq!(
        metadata.body["acr_values_supported"],
        json!(["urn:demo:mfa", "urn:demo:pwd"])
    );
    assert!(metadata
        .body
        .get("tls_client_certificate_bound_access_tokens")
        .is_none());
}

/// One HTTPS call to the demo with `client`'s certificate (or none).
async fn https(
    pki: &Pki,
    demo: &Demo,
    client: Option<&Issued>,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> (StatusCode, Value, http::HeaderMap) {
    let bearer = token.map(|token| format!("Bearer {token}"));
    let headers: Vec<(&str, &str)> = bearer
        .iter()
        .map(|b| ("authorization", b.as_str()))
        .collect();
    request(pki, &demo.base, client, build(method, path, &headers, body)).await
}

#[tokio::test]
async fn over_tls_logins_with_a_client_certificate_are_bound_to_it() {
    let pki = Pki::new();
    let (cert, key, ca) = pki.write_files();
    let demo = start_demo(&[
        ("TLS_CERT", &cert),
        ("TLS_KEY", &key),
        ("TLS_CLIENT_CA", &ca),
    ]);
    assert!(demo.base.starts_with("https://"), "{}", demo.base);
    let (alice, mallory) = (pki.client("alice"), pki.client("mallory"));
    let (status, pair, _) = https(
        &pki,
        &demo,
        Some(&alice),
        "POST",
        "/login",
        None,
        Some(ALICE_MFA),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{pair}");
    assert_eq!(pair["token_type"], "Bearer");
    let token = pair["access_token"].as_str().unwrap();
    assert_eq!(
        claims_of(token)["cnf"]["x5t#S256"],
        alice.certificate().thumbprint()
    );
    for path in ["/me", "/posts", "/payments"] {
        let method = if path == "/me" { "GET" } else { "POST" };
        let ok = https(&pki, &demo, Some(&alice), method, path, Some(token), None).await;
        assert!(ok.0.is_success(), "{path}: {}", ok.0);
        for other in [Some(&mallory), None] {
            let (status, _, headers) =
                https(&pki, &demo, other, method, path, Some(token), None).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}");
            let challenge = headers["www-authenticate"].to_str().unwrap();
            assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
        }
    }
    let body = json!({ "refresh_token": pair["refresh_token"] }).to_string();
    for other in [Some(&mallory), None] {
        let (status, reply, _) =
            https(&pki, &demo, other, "POST", "/refresh", None, Some(&body)).await;
        assert_eq!(
            (status, reply["error"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalid_grant"))
        );
    }
    let (status, next, _) = https(
        &pki,
        &demo,
        Some(&alice),
        "POST",
        "/refresh",
        None,
        Some(&body),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "the refusals rotated nothing");
    assert_eq!(
        claims_of(next["access_token"].as_str().unwrap())["cnf"]["x5t#S256"],
        alice.certificate().thumbprint()
    );

    // Without a client certificate the connection still works, and its tokens are plain bearer tokens.
    let (status, unbound, _) = https(&pki, &demo, None, "POST", "/login", None, Some(ALICE)).await;
    assert_eq!(status, StatusCode::OK);
    let unbound = unbound["access_token"].as_str().unwrap();
    assert!(claims_of(unbound).get("cnf").is_none());
    assert_eq!(
        https(
            &pki,
            &demo,
            Some(&mallory),
            "GET",
            "/me",
            Some(unbound),
            None
        )
        .await
        .0,
        StatusCode::OK
    );
    let (_, metadata, _) = https(
        &pki,
        &demo,
        None,
        "GET",
        "/.well-known/oauth-protected-resource",
        None,
        None,
    )
    .await;
    assert_eq!(metadata["tls_client_certificate_bound_access_tokens"], true);
    assert!(metadata["resource"]
        .as_str()
        .unwrap()
        .starts_with("https://"));
}

#[tokio::test]
async fn behind_a_proxy_the_configured_header_names_the_certificate() {
    let pki = Pki::new();
    let alice = pki.client("alice");
    let escaped: String = alice
        .pem
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    let demo = start_demo(&[("CLIENT_CERT_HEADER", "x-ssl-client-cert")]);
    let with_cert = [("x-ssl-client-cert", escaped.as_str())];
    let (status, pair, _) =
        crate::common::demo::call_with(&demo, "POST", "/login", &with_cert, Some(ALICE)).await;
    assert_eq!(status, StatusCode::OK);
    let token = pair["access_token"].as_str().unwrap();
    assert_eq!(
        claims_of(token)["cnf"]["x5t#S256"],
        alice.certificate().thumbprint()
    );
    let bearer = format!("Bearer {token}");
    let me = |headers: Vec<(&'static str, String)>| {
        let demo = &demo;
        async move {
            let headers: Vec<(&str, &str)> =
                headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
            crate::common::demo::call_with(demo, "GET", "/me", &headers, None)
                .await
                .0
        }
    };
    let ok = me(vec![
        ("authorization", bearer.clone()),
        ("x-ssl-client-cert", escaped.clone()),
    ])
    .await;
    assert_eq!(ok, StatusCode::OK);
    assert_eq!(
        me(vec![("authorization", bearer.clone())]).await,
        StatusCode::UNAUTHORIZED
    );
    // A demo without the setting never reads the header: the bound token is refused there.
    let direct = start_demo(&[]);
    let headers = [
        ("authorization", bearer.as_str()),
        ("x-ssl-client-cert", escaped.as_str()),
    ];
    let status = crate::common::demo::call_with(&direct, "GET", "/me", &headers, None)
        .await
        .0;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}
