//! Certificate-bound tokens behind a TLS-terminating proxy: the certificate comes from a header the proxy sets
//! (nginx's URL-encoded PEM, Envoy's `x-forwarded-client-cert` `Hash=`), only when configured, and never from a
//! header a layer was not told to trust.

use std::time::Duration;

use axum::body::Body;
use http::{Request, StatusCode};
use sha2::{Digest, Sha256};
use tower::ServiceExt;
use tower_jwt_auth::certificate::{CertificateHeader, ClientCertificates};
use tower_jwt_auth::session::LoginOptions;
use tower_jwt_auth::testing::Harness;

use crate::common::sessions::memory_store_under_test;
use crate::common::tls::{Issued, Pki};
use crate::fixtures::app;

/// nginx's `$ssl_client_escaped_cert`: the PEM with everything but unreserved characters percent-encoded.
fn escaped_pem(certificate: &Issued) -> String {
    certificate
        .pem
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Envoy's XFCC element for `certificate`: its DER's SHA-256 in hex, beside other fields.
fn xfcc(certificate: &Issued) -> String {
    let hash: String = Sha256::digest(&certificate.der)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("By=spiffe://cluster.local/ns/api;Hash={hash};Subject=\"CN=alice,O=Example, Inc\";URI=spiffe://client")
}

async fn bound_token(h: &Harness, certificate: &Issued) -> String {
    let options = LoginOptions::new().client_certificate(&certificate.certificate());
    let pair = h
        .sessions
        .login_with_options("alice", &serde_json::json!({}), options)
        .await
        .unwrap();
    pair.access_token().to_owned()
}

async fn me(app: &axum::Router, token: &str, header: Option<(&str, &str)>) -> StatusCode {
    let mut request = Request::get("/me").header("authorization", format!("Bearer {token}"));
    if let Some((name, value)) = header {
        request = request.header(name, value);
    }
    let response = app
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    response.status()
}

#[tokio::test]
async fn nginx_escaped_pem_header_when_configured() {
    let (pki, h) = (
        Pki::new(),
        Harness::new(memory_store_under_test(), Duration::ZERO),
    );
    let (alice, mallory) = (pki.client("alice"), pki.client("mallory"));
    let token = bound_token(&h, &alice).await;
    let header = CertificateHeader::escaped_pem("x-ssl-client-cert").unwrap();
    let behind_nginx = app(&h, Some(ClientCertificates::trusted_header(header)));
    let name = "x-ssl-client-cert";
    assert_eq!(
        me(&behind_nginx, &token, Some((name, &escaped_pem(&alice)))).await,
        StatusCode::OK
    );
    assert_eq!(
        me(&behind_nginx, &token, Some((name, &escaped_pem(&mallory)))).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        me(&behind_nginx, &token, None).await,
        StatusCode::UNAUTHORIZED
    );
    // nginx sends an empty value when the client presented no certificate.
    assert_eq!(
        me(&behind_nginx, &token, Some((name, ""))).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        me(&behind_nginx, &token, Some((name, "%ZZ"))).await,
        StatusCode::UNAUTHORIZED
    );
    // The same header means nothing to a layer that reads the TLS connection, or no certificate at all.
    for source in [Some(ClientCertificates::tls()), None] {
        let direct = app(&h, source);
        assert_eq!(
            me(&direct, &token, Some((name, &escaped_pem(&alice)))).await,
            StatusCode::UNAUTHORIZED
        );
    }
}

#[tokio::test]
async fn envoy_forwarded_client_cert_hash_when_configured() {
    let (pki, h) = (
        Pki::new(),
        Harness::new(memory_store_under_test(), Duration::ZERO),
    );
    let (alice, mallory) = (pki.client("alice"), pki.client("mallory"));
    let token = bound_token(&h, &alice).await;
    let behind_envoy = app(
        &h,
        Some(ClientCertificates::trusted_header(
            CertificateHeader::envoy(),
        )),
    );
    let name = "x-forwarded-client-cert";
    assert_eq!(
        me(&behind_envoy, &token, Some((name, &xfcc(&alice)))).await,
        StatusCode::OK
    );
    assert_eq!(
        me(&behind_envoy, &token, Some((name, &xfcc(&mallory)))).await,
        StatusCode::UNAUTHORIZED
    );
    // Two elements (a chain of proxies, or a client's own header appended to): no certificate.
    let chained = format!("{},{}", xfcc(&mallory), xfcc(&alice));
    assert_eq!(
        me(&behind_envoy, &token, Some((name, &chained))).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        me(&behind_envoy, &token, None).await,
        StatusCode::UNAUTHORIZED
    );
    let escaped = app(
        &h,
        Some(ClientCertificates::trusted_header(
            CertificateHeader::escaped_pem("x-ssl-client-cert").unwrap(),
        )),
    );
    assert_eq!(
        me(&escaped, &token, Some((name, &xfcc(&alice)))).await,
        StatusCode::UNAUTHORIZED
    );
}
