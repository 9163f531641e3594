//! Certificate-bound tokens (RFC 8705) over a real rustls server with client authentication: a login over a
//! connection with a client certificate binds the pair; the bound token passes only with that certificate, cache
//! hits included; a bound refresh token refreshes only with it, and from another certificate rotates nothing.

use std::time::Duration;

use http::StatusCode;
use serde_json::json;
use tower_jwt_auth::certificate::ClientCertificates;
use tower_jwt_auth::testing::{claims_of, Harness};
use tower_jwt_auth::AuthErrorKind;

use crate::common::sessions::memory_store_under_test;
use crate::common::tls::{build, request, serve, Issued, Pki};
use crate::fixtures::{app, challenge_params, layer};

async fn login(pki: &Pki, address: &str, client: Option<&Issued>) -> serde_json::Value {
    let (status, pair, _) = request(
        pki,
        address,
        client,
        build("POST", "/login", &[], Some("{}")),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{pair}");
    pair
}

async fn me(
    pki: &Pki,
    address: &str,
    client: Option<&Issued>,
    token: &str,
) -> (StatusCode, serde_json::Value, http::HeaderMap) {
    let bearer = format!("Bearer {token}");
    request(
        pki,
        address,
        client,
        build("GET", "/me", &[("authorization", &bearer)], None),
    )
    .await
}

async fn refresh(
    pki: &Pki,
    address: &str,
    client: Option<&Issued>,
    refresh_token: &str,
) -> (StatusCode, serde_json::Value) {
    let body = json!({ "refresh_token": refresh_token }).to_string();
    let (status, body, _) = request(
        pki,
        address,
        client,
        build("POST", "/refresh", &[], Some(&body)),
    )
    .await;
    (status, body)
}

fn harness() -> Harness {
    Harness::new(memory_store_under_test(), Duration::ZERO)
}

#[tokio::test]
async fn a_login_over_a_client_certificate_binds_the_pair_to_it() {
    let (pki, h) = (Pki::new(), harness());
    let (alice, mallory) = (pki.client("alice"), pki.client("mallory"));
    let address = serve(&pki, app(&h, Some(ClientCertificates::tls())))
        .await
        .to_string();
    let pair = login(&pki, &address, Some(&alice)).await;
    assert_eq!(
        pair["token_type"], "Bearer",
        "a certificate-bound pair stays Bearer"
    );
    let token = pair["access_token"].as_str().unwrap();
    let thumbprint = alice.certificate().thumbprint().to_owned();
    assert_eq!(claims_of(token)["cnf"], json!({ "x5t#S256": thumbprint }));
    assert!(pair["refresh_token"]
        .as_str()
        .unwrap()
        .ends_with(&format!(".x5t.{thumbprint}")));

    let (status, body, _) = me(&pki, &address, Some(&alice), token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["x5t"], thumbprint.as_str());
    for client in [Some(&mallory), None] {
        let (status, _, headers) = me(&pki, &address, client, token).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let (scheme, params) = challenge_params(headers["www-authenticate"].to_str().unwrap());
        assert_eq!(
            (scheme.as_str(), params["error"].as_str()),
            ("Bearer", "invalid_token")
        );
    }
    // A connection without a certificate gets an unbound pair.
    let unbound = login(&pki, &address, None).await;
    let unbound_token = unbound["access_token"].as_str().unwrap();
    assert!(claims_of(unbound_token).get("cnf").is_none());
    assert_eq!(
        me(&pki, &address, Some(&mallory), unbound_token).await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_cached_bound_token_is_checked_against_the_certificate_of_every_request() {
    let (pki, h) = (Pki::new(), harness());
    let (alice, mallory) = (pki.client("alice"), pki.client("mallory"));
    let auth = layer(&h, Some(ClientCertificates::tls()));
    let address = serve(&pki, app(&h, Some(ClientCertificates::tls())))
        .await
        .to_string();
    let pair = login(&pki, &address, Some(&alice)).await;
    let token = pair["access_token"].as_str().unwrap().to_owned();
    // The app's layer verified it once (and cached it): every later request is judged on its certificate.
    for (client, expected) in [
        (Some(&alice), StatusCode::OK),
        (Some(&mallory), StatusCode::UNAUTHORIZED),
        (None, StatusCode::UNAUTHORIZED),
        (Some(&alice), StatusCode::OK),
        (Some(&mallory), StatusCode::UNAUTHORIZED),
    ] {
        assert_eq!(me(&pki, &address, client, &token).await.0, expected);
    }
    // verify_token has no certificate: a bound token is refused there too, cached or not.
    for _ in 0..2 {
        let error = auth.verify_token(&token).unwrap_err();
        assert_eq!(error.kind(), AuthErrorKind::CertificateMismatch);
    }
}

#[tokio::test]
async fn a_layer_that_reads_no_certificates_refuses_every_bound_token() {
    let (pki, h) = (Pki::new(), harness());
    let alice = pki.client("alice");
    let issuing = serve(&pki, app(&h, Some(ClientCertificates::tls())))
        .await
        .to_string();
    let token = login(&pki, &issuing, Some(&alice)).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    // The acceptor still puts the certificate into the extensions; the layer was not told to read it.
    let blind = serve(&pki, app(&h, None)).await.to_string();
    let (status, _, headers) = me(&pki, &blind, Some(&alice), &token).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(headers["www-authenticate"]
        .to_str()
        .unwrap()
        .contains("invalid_token"));
    let metadata =
        layer(&h, Some(ClientCertificates::tls())).resource_metadata("https://api.example");
    let metadata = serde_json::to_value(metadata).unwrap();
    assert_eq!(metadata["tls_client_certificate_bound_access_tokens"], true);
    let blind_metadata =
        serde_json::to_value(layer(&h, None).resource_metadata("https://api.example")).unwrap();
    assert!(blind_metadata
        .get("tls_client_certificate_bound_access_tokens")
        .is_none());
}

#[tokio::test]
async fn a_bound_refresh_token_refreshes_only_with_its_certificate_and_another_rotates_nothing() {
    let (pki, h) = (Pki::new(), harness());
    let (alice, mallory) = (pki.client("alice"), pki.client("mallory"));
    let address = serve(&pki, app(&h, Some(ClientCertificates::tls())))
        .await
        .to_string();
    let pair = login(&pki, &address, Some(&alice)).await;
    let refresh_token = pair["refresh_token"].as_str().unwrap();
    for client in [Some(&mallory), None] {
        let (status, body) = refresh(&pki, &address, client, refresh_token).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalid_grant"))
        );
    }
    // Nothing rotated nor revoked: the holder refreshes with the same token, and the pair stays bound.
    let (status, next) = refresh(&pki, &address, Some(&alice), refresh_token).await;
    assert_eq!(status, StatusCode::OK, "{next}");
    assert_eq!(next["token_type"], "Bearer");
    let access = next["access_token"].as_str().unwrap();
    assert_eq!(
        claims_of(access)["cnf"]["x5t#S256"],
        alice.certificate().thumbprint()
    );
    assert_eq!(
        me(&pki, &address, Some(&alice), access).await.0,
        StatusCode::OK
    );
    assert_eq!(
        me(&pki, &address, Some(&mallory), access).await.0,
        StatusCode::UNAUTHORIZED
    );
    // The old token is now reuse: the session ends, for the holder too.
    assert_eq!(
        refresh(&pki, &address, Some(&alice), refresh_token).await.0,
        StatusCode::BAD_REQUEST
    );
    let next_token = next["refresh_token"].as_str().unwrap();
    assert_eq!(
        refresh(&pki, &address, Some(&alice), next_token).await.0,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn an_unbound_pair_refreshed_with_a_certificate_is_bound_from_then_on() {
    let (pki, h) = (Pki::new(), harness());
    let (alice, mallory) = (pki.client("alice"), pki.client("mallory"));
    let address = serve(&pki, app(&h, Some(ClientCertificates::tls())))
        .await
        .to_string();
    let pair = login(&pki, &address, None).await;
    let (status, bound) = refresh(
        &pki,
        &address,
        Some(&alice),
        pair["refresh_token"].as_str().unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let access = bound["access_token"].as_str().unwrap();
    assert_eq!(
        claims_of(access)["cnf"]["x5t#S256"],
        alice.certificate().thumbprint()
    );
    let next = bound["refresh_token"].as_str().unwrap();
    assert_eq!(
        refresh(&pki, &address, Some(&mallory), next).await.0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        refresh(&pki, &address, Some(&alice), next).await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_dpop_proof_wins_over_the_connection_certificate() {
    use tower_jwt_auth::dpop::Dpop;
    use tower_jwt_auth::session::{LoginOptions, RefreshOptions};

    let (pki, h) = (Pki::new(), harness());
    let alice = pki.client("alice").certificate();
    let dpop = Dpop::builder()
        .public_url("https://api.example")
        .clock(h.clock.clone())
        .build()
        .unwrap();
    let key = crate::common::dpop_proofs::ProofKey::ed25519();
    let mut headers = http::HeaderMap::new();
    let text = key.proof_at(
        "POST",
        "https://api.example/login",
        None,
        tower_jwt_auth::testing::T0,
    );
    headers.insert("dpop", text.parse().unwrap());
    let uri: http::Uri = "/login".parse().unwrap();
    let verified = dpop
        .verify(&http::Method::POST, &uri, &headers, None)
        .unwrap()
        .unwrap();
    let proof = dpop.record(verified).await.unwrap();
    let both = LoginOptions::new().dpop(&proof).client_certificate(&alice);
    let pair = h
        .sessions
        .login_with_options("alice", &json!({}), both)
        .await
        .unwrap();
    let claims = claims_of(pair.access_token());
    assert_eq!(
        claims["cnf"],
        json!({ "jkt": key.thumbprint() }),
        "bound to the key only"
    );
    assert_eq!(serde_json::to_value(&pair).unwrap()["token_type"], "DPoP");
    // The pair stays bound to the key: the certificate alone refreshes nothing.
    let with_certificate = RefreshOptions::new().client_certificate(&alice);
    let refused = h
        .sessions
        .refresh_with_options(pair.refresh_token(), with_certificate)
        .await;
    assert!(matches!(
        refused,
        Err(tower_jwt_auth::session::SessionError::InvalidGrant)
    ));
}
