//! RFC 9449 §4.3 through the layer: a valid proof of each algorithm, each check of the proof refused alone
//! (with proofs made independently of the crate, `common::dpop_proofs`), `htu` normalisation, public URLs and
//! nested routers, dot segments, the `typ` media type, the algorithm allow-list.

use crate::common;

use crate::fixtures::{
    assert_admits_the_holder, assert_invalid_proof, bound_token, call, dpop_request, htu, layer,
    layer_with, ORIGIN,
};
use common::dpop_proofs::ProofKey;
use common::*;
use http::{Request, Response, StatusCode};
use jsonwebtoken::Algorithm;
use serde_json::{json, Value};
use tower::ServiceExt;
use tower_jwt_auth::dpop::{Dpop, DpopPolicy};
use tower_jwt_auth::{AuthError, AuthErrorKind, TokenInfo};

/// A change to a proof before it is signed: to its header, then to its claims.
type Edit = Box<dyn Fn(&mut serde_json::Map<String, Value>, &mut serde_json::Map<String, Value>)>;

/// Sets and removes members of a JSON object.
fn edit_object(
    object: &mut serde_json::Map<String, Value>,
    set: &[(&str, Value)],
    remove: &[&str],
) {
    for (name, value) in set {
        object.insert((*name).to_owned(), value.clone());
    }
    for name in remove {
        object.remove(*name);
    }
}

/// An edit of the proof's header.
fn in_header(set: &[(&'static str, Value)], remove: &'static [&'static str]) -> Edit {
    let set = set.to_vec();
    Box::new(move |h, _| edit_object(h, &set, remove))
}

/// An edit of the proof's claims.
fn in_claims(set: &[(&'static str, Value)], remove: &'static [&'static str]) -> Edit {
    let set = set.to_vec();
    Box::new(move |_, c| edit_object(c, &set, remove))
}

#[tokio::test]
async fn a_valid_proof_of_each_algorithm_admits_the_bound_token() {
    let layer = layer(DpopPolicy::Allowed);
    for key in [
        ProofKey::es256(),
        ProofKey::ed25519(),
        ProofKey::es384(),
        ProofKey::rsa(Algorithm::PS256),
        ProofKey::rsa(Algorithm::RS256),
    ] {
        assert_admits_the_holder(&layer, &key, &bound_token(&key)).await;
    }
}

#[tokio::test]
async fn each_check_of_the_proof_is_refused_alone() {
    let layer = layer(DpopPolicy::Allowed);
    let key = ProofKey::es256();
    let token = bound_token(&key);
    let now = now();
    let cases: Vec<(&str, Edit)> = vec![
        ("typ", in_header(&[], &["typ"])),
        ("typ", in_header(&[("typ", json!("jwt"))], &[])),
        ("alg", in_header(&[("alg", json!("none"))], &[])),
        ("alg", in_header(&[("alg", json!("HS256"))], &[])),
        ("alg", in_header(&[("alg", json!("ES512"))], &[])),
        ("jwk", in_header(&[], &["jwk"])),
        ("jwk", Box::new(|h, _| h["jwk"]["d"] = "c2VjcmV0".into())),
        ("jwk", Box::new(|h, _| h["jwk"]["crv"] = "P-384".into())),
        ("crit", in_header(&[("crit", json!(["exp"]))], &[])),
        ("htm", in_claims(&[("htm", json!("GET"))], &[])),
        ("htm", in_claims(&[("htm", json!("post"))], &[])),
        ("htm", in_claims(&[], &["htm"])),
        (
            "htu",
            in_claims(&[("htu", json!("https://evil.example.com/orders/7"))], &[]),
        ),
        (
            "htu",
            in_claims(&[("htu", json!("http://api.example.com/orders/7"))], &[]),
        ),
        (
            "htu",
            in_claims(
                &[("htu", json!("https://api.example.com:8443/orders/7"))],
                &[],
            ),
        ),
        (
            "htu",
            in_claims(&[("htu", json!("https://api.example.com/orders/8"))], &[]),
        ),
        ("htu", in_claims(&[("htu", json!("/orders/7"))], &[])),
        ("iat", in_claims(&[("iat", json!(now - 61))], &[])),
        ("iat", in_claims(&[("iat", json!(now + 6))], &[])),
        ("iat", in_claims(&[("iat", json!(now.to_string()))], &[])),
        ("iat", in_claims(&[], &["iat"])),
        ("jti", in_claims(&[], &["jti"])),
        ("jti", in_claims(&[("jti", json!(""))], &[])),
        ("ath", in_claims(&[], &["ath"])),
        (
            "ath",
            in_claims(
                &[("ath", json!("47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU"))],
                &[],
            ),
        ),
    ];
    for (member, edit) in cases {
        let proof = key.proof_with("POST", &htu(), Some(&token), |h, c| edit(h, c));
        let response = call(&layer, dpop_request(&token, Some(&proof))).await;
        assert_invalid_proof(&response, member);
    }
    // The signature: the proof's last segment changed.
    let proof = key.proof("POST", &htu(), Some(&token));
    let (input, signature) = proof.rsplit_once('.').unwrap();
    let flipped = if signature.starts_with('A') { "B" } else { "A" };
    let forged = format!("{input}.{flipped}{}", &signature[1..]);
    assert_invalid_proof(
        &call(&layer, dpop_request(&token, Some(&forged))).await,
        "signature",
    );
    // Signed by another key than the one in its header (the token's).
    let other = ProofKey::es384();
    let other_token = bound_token(&other);
    let mismatched = key.proof_with("POST", &htu(), Some(&other_token), |h, _| {
        h.insert("jwk".into(), Value::Object(other.jwk.clone()));
        h.insert("alg".into(), "ES384".into());
    });
    assert_invalid_proof(
        &call(&layer, dpop_request(&other_token, Some(&mismatched))).await,
        "signature",
    );
    // A valid proof by a key the token is not bound to.
    let stranger = ProofKey::ed25519();
    let proof = stranger.proof("POST", &htu(), Some(&token));
    assert_invalid_proof(
        &call(&layer, dpop_request(&token, Some(&proof))).await,
        "jkt",
    );
    // No proof, two proofs, a proof that is no JWS.
    assert_invalid_proof(&call(&layer, dpop_request(&token, None)).await, "header");
    let proof = key.proof("POST", &htu(), Some(&token));
    let mut twice = dpop_request(&token, Some(&proof));
    twice.headers_mut().append("dpop", proof.parse().unwrap());
    assert_invalid_proof(&call(&layer, twice).await, "header");
    assert_invalid_proof(
        &call(&layer, dpop_request(&token, Some("not-a-jws"))).await,
        "jws",
    );
}

#[tokio::test]
async fn htu_is_compared_after_normalisation_without_query_or_fragment() {
    let layer = layer(DpopPolicy::Allowed);
    let key = ProofKey::es256();
    let token = bound_token(&key);
    for htu in [
        "https://api.example.com/orders/7?page=2",
        "https://api.example.com/orders/7#top",
        "HTTPS://API.Example.COM:443/orders/7",
        "https://api.example.com/orders/%37",
        "https://api.example.com/orders/./x/../7",
    ] {
        let proof = key.proof("POST", htu, Some(&token));
        let response = call(&layer, dpop_request(&token, Some(&proof))).await;
        assert_eq!(response.status(), StatusCode::OK, "{htu}");
    }
    // The Host header never counts: only the configured public URL does.
    let proof = key.proof("POST", "https://internal:8080/orders/7", Some(&token));
    let mut request = dpop_request(&token, Some(&proof));
    request
        .headers_mut()
        .insert("host", "internal:8080".parse().unwrap());
    assert_invalid_proof(&call(&layer, request).await, "htu");
}

#[tokio::test]
async fn a_public_url_with_a_path_prefix_and_several_urls() {
    let dpop = Dpop::builder()
        .public_url("https://edge.example.com/api/")
        .public_url("https://api.example.com")
        .build()
        .unwrap();
    let layer = layer_with(&dpop, DpopPolicy::Allowed);
    let key = ProofKey::es256();
    let token = bound_token(&key);
    for htu in [
        "https://edge.example.com/api/orders/7",
        "https://api.example.com/orders/7",
    ] {
        let proof = key.proof("POST", htu, Some(&token));
        assert_eq!(
            call(&layer, dpop_request(&token, Some(&proof)))
                .await
                .status(),
            StatusCode::OK,
            "{htu}"
        );
    }
    let proof = key.proof("POST", "https://edge.example.com/orders/7", Some(&token));
    assert_invalid_proof(
        &call(&layer, dpop_request(&token, Some(&proof))).await,
        "htu",
    );
}

#[tokio::test]
async fn the_algorithm_allow_list_is_configurable_and_never_symmetric() {
    let only_es256 = Dpop::builder()
        .public_url(ORIGIN)
        .algorithms([Algorithm::ES256])
        .build()
        .unwrap();
    let layer = layer_with(&only_es256, DpopPolicy::Allowed);
    let ed = ProofKey::ed25519();
    let token = bound_token(&ed);
    let proof = ed.proof("POST", &htu(), Some(&token));
    assert_invalid_proof_with_algs(&call(&layer, dpop_request(&token, Some(&proof))).await);
    assert!(Dpop::builder()
        .public_url(ORIGIN)
        .algorithms([Algorithm::HS256])
        .build()
        .is_err());
    assert!(Dpop::builder().build().is_err(), "a public URL is required");
    assert!(Dpop::builder()
        .public_url("api.example.com")
        .build()
        .is_err());
}

fn assert_invalid_proof_with_algs(response: &Response<String>) {
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let error = response.extensions().get::<AuthError>().unwrap();
    assert_eq!(
        (error.kind(), error.claim()),
        (AuthErrorKind::InvalidDpopProof, Some("alg"))
    );
    assert!(
        challenge(response).ends_with("algs=\"ES256\""),
        "{}",
        challenge(response)
    );
}

#[tokio::test]
async fn under_a_nested_router_the_proof_names_the_full_path() {
    use axum::{routing::post, Router};
    let layer = layer(DpopPolicy::Allowed);
    let inner: Router =
        Router::new()
            .route(
                "/orders/7",
                post(|info: TokenInfo| async move {
                    info.dpop_thumbprint().unwrap_or_default().to_owned()
                }),
            )
            .layer(layer);
    let app: Router = Router::new().nest("/v1", inner);
    let key = ProofKey::es256();
    let token = bound_token(&key);
    let proof = key.proof("POST", "https://api.example.com/v1/orders/7", Some(&token));
    let request = Request::post("/v1/orders/7")
        .header("authorization", format!("DPoP {token}"))
        .header("dpop", proof)
        .body(axum::body::Body::empty())
        .unwrap();
    let response = app.oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn request_paths_with_dot_segments_match_no_proof() {
    let key = ProofKey::es256();
    let token = bound_token(&key);
    let layer = layer(DpopPolicy::Allowed);
    // A request path with dot segments matches no proof: the router sees it raw.
    for path in ["/x/../orders/7", "/orders/./7", "/x/%2e%2e/orders/7"] {
        let proof = key.proof("POST", &htu(), Some(&token));
        let request = Request::post(path)
            .header("authorization", format!("DPoP {token}"))
            .header("dpop", proof)
            .body(String::new())
            .unwrap();
        assert_invalid_proof(&call(&layer, request).await, "htu");
    }
}

#[tokio::test]
async fn a_proof_typ_may_spell_out_its_media_type() {
    let key = ProofKey::es256();
    let token = bound_token(&key);
    let layer = layer(DpopPolicy::Allowed);
    // `typ` is a media type: `application/` may be spelled out.
    let proof = key.proof_with("POST", &htu(), Some(&token), |h, _| {
        h.insert("typ".into(), "application/DPoP+JWT".into());
    });
    assert_eq!(
        call(&layer, dpop_request(&token, Some(&proof)))
            .await
            .status(),
        StatusCode::OK
    );
}
