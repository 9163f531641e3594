//! RFC 9449 through the layer: every check of §4.3 refused alone, with proofs made independently of the crate
//! (`common::dpop_proofs`), the token binding (§6, §7), the policies and their challenges (§7.1), server
//! nonces (§8), and what handlers and the metadata see.

use crate::common;

use std::convert::Infallible;
use std::time::Duration;

use common::dpop_proofs::ProofKey;
use common::*;
use http::{Request, Response, StatusCode};
use jsonwebtoken::Algorithm;
use serde_json::{json, Value};
use tower::{service_fn, Layer, ServiceExt};
use tower_jwt_auth::dpop::{Dpop, DpopPolicy};
use tower_jwt_auth::{AuthError, AuthErrorKind, JwtAuthLayer, TokenInfo};

const ORIGIN: &str = "https://api.example.com";
const PATH: &str = "/orders/7";
const ALGS: &str = "ES256 EdDSA ES384 PS256 RS256";

fn rules() -> Dpop {
    Dpop::builder().public_url(ORIGIN).build().unwrap()
}

fn layer_with(dpop: &Dpop, policy: DpopPolicy) -> JwtAuthLayer {
    builder_for(Algorithm::HS256)
        .dpop(dpop, policy)
        .build()
        .unwrap()
}

fn layer(policy: DpopPolicy) -> JwtAuthLayer {
    layer_with(&rules(), policy)
}

/// A token bound to `key` (`cnf.jkt`), signed by the test issuer.
fn bound_token(key: &ProofKey) -> String {
    hs256(&with_claim(
        claims(),
        "cnf",
        json!({ "jkt": key.thumbprint() }),
    ))
}

/// A DPoP-allowing layer that requires the scope `admin`.
fn admin_only() -> JwtAuthLayer {
    builder_for(Algorithm::HS256)
        .dpop(&rules(), DpopPolicy::Allowed)
        .require_scopes(["admin"])
        .build()
        .unwrap()
}

fn htu() -> String {
    format!("{ORIGIN}{PATH}")
}

/// `POST /orders/7?page=2` with `Authorization: DPoP <token>` and the proof.
fn dpop_request(token: &str, proof: Option<&str>) -> Request<String> {
    let mut request =
        Request::post(format!("{PATH}?page=2")).header("authorization", format!("DPoP {token}"));
    if let Some(proof) = proof {
        request = request.header("dpop", proof);
    }
    request.body(String::new()).unwrap()
}

/// The handler's view: the subject and the thumbprint the request was constrained by.
async fn who(request: Request<String>) -> Result<Response<String>, Infallible> {
    let info = request
        .extensions()
        .get::<TokenInfo>()
        .cloned()
        .unwrap_or_default();
    let text = format!(
        "{} {}",
        info.subject().unwrap_or("anonymous"),
        info.dpop_thumbprint().unwrap_or("bearer")
    );
    Ok(Response::new(text))
}

async fn call(layer: &JwtAuthLayer, request: Request<String>) -> Response<String> {
    layer.layer(service_fn(who)).oneshot(request).await.unwrap()
}

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

/// A 401 `invalid_dpop_proof` in a `DPoP` challenge, naming `member` as the failing check.
fn assert_invalid_proof(response: &Response<String>, member: &str) {
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{member}");
    let error = response.extensions().get::<AuthError>().unwrap();
    assert_eq!(
        (error.kind(), error.claim()),
        (AuthErrorKind::InvalidDpopProof, Some(member)),
        "{member}"
    );
    let challenge = challenge(response);
    assert!(
        challenge.contains(&format!(
            "DPoP realm=\"api\", error=\"invalid_dpop_proof\", error_description=\"the DPoP proof is invalid\", algs=\"{ALGS}\""
        )),
        "{member}: {challenge}"
    );
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

/// A fresh proof by `key` admits `token`, and the handler sees the request constrained by that key.
async fn assert_admits_the_holder(layer: &JwtAuthLayer, key: &ProofKey, token: &str) {
    let proof = key.proof("POST", &htu(), Some(token));
    let response = call(layer, dpop_request(token, Some(&proof))).await;
    assert_eq!(response.status(), StatusCode::OK, "{:?}", key.alg);
    assert_eq!(response.body(), &format!("alice {}", key.thumbprint()));
}

/// RFC 9700 §2.2.1: a sender-constrained token works only for the holder of its key.
#[tokio::test]
async fn item_57_rfc9700_2_2_1_sender_constrained_tokens() {
    let layer = layer(DpopPolicy::Allowed);
    let holder = ProofKey::es256();
    let token = bound_token(&holder);
    assert_eq!(
        call(&layer, bearer(&token)).await.status(),
        StatusCode::UNAUTHORIZED,
        "stolen, as bearer"
    );
    let thief = ProofKey::ed25519();
    let stolen = thief.proof("POST", &htu(), Some(&token));
    assert_eq!(
        call(&layer, dpop_request(&token, Some(&stolen)))
            .await
            .status(),
        StatusCode::UNAUTHORIZED,
        "stolen, another key"
    );
    assert_admits_the_holder(&layer, &holder, &token).await;
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
async fn a_proof_is_accepted_once_and_the_token_stays_cached() {
    let layer = layer(DpopPolicy::Allowed);
    let key = ProofKey::ed25519();
    let token = bound_token(&key);
    let proof = key.proof("POST", &htu(), Some(&token));
    assert_eq!(
        call(&layer, dpop_request(&token, Some(&proof)))
            .await
            .status(),
        StatusCode::OK
    );
    assert_invalid_proof(
        &call(&layer, dpop_request(&token, Some(&proof))).await,
        "jti",
    );
    // The token itself is a cache hit from now on; every request still needs a fresh proof.
    assert_eq!(layer.cached_tokens(), 1);
    for _ in 0..3 {
        let fresh = key.proof("POST", &htu(), Some(&token));
        assert_eq!(
            call(&layer, dpop_request(&token, Some(&fresh)))
                .await
                .status(),
            StatusCode::OK
        );
    }
    assert_eq!(layer.cached_tokens(), 1);
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
async fn a_bound_token_is_never_a_bearer_token() {
    let key = ProofKey::es256();
    let token = bound_token(&key);
    for policy in [DpopPolicy::Off, DpopPolicy::Allowed] {
        let response = call(&layer(policy), bearer(&token)).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{policy:?}");
        assert_eq!(rejection_kind(&response), Some(AuthErrorKind::DpopRequired));
        assert!(
            challenge(&response).contains("error=\"invalid_token\""),
            "{}",
            challenge(&response)
        );
    }
    // Nor through verify_token, which no proof accompanies.
    let error = layer(DpopPolicy::Allowed).verify_token(&token).unwrap_err();
    assert_eq!(error.kind(), AuthErrorKind::DpopRequired);
}

#[tokio::test]
async fn an_unbound_token_with_the_dpop_scheme_is_refused() {
    let key = ProofKey::es256();
    let token = hs256(&claims());
    let proof = key.proof("POST", &htu(), Some(&token));
    let response = call(
        &layer(DpopPolicy::Allowed),
        dpop_request(&token, Some(&proof)),
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(rejection_kind(&response), Some(AuthErrorKind::NotDpopBound));
    assert!(challenge(&response).contains("DPoP realm=\"api\", error=\"invalid_token\""));
}

#[tokio::test]
async fn policies_and_their_challenges() {
    let plain = hs256(&claims());
    // Allowed: bearer tokens pass, both schemes are offered.
    let allowed = layer(DpopPolicy::Allowed);
    assert_eq!(call(&allowed, bearer(&plain)).await.body(), "alice bearer");
    let anonymous = call(&allowed, request_with("/", &[])).await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        challenge(&anonymous),
        format!("Bearer realm=\"api\", DPoP realm=\"api\", algs=\"{ALGS}\"")
    );
    let expired = hs256(&with_claim(claims(), "exp", json!(now() - 3600)));
    assert!(challenge(&call(&allowed, bearer(&expired)).await)
        .starts_with("Bearer realm=\"api\", error=\"invalid_token\", error_description=\"the access token has expired\", DPoP realm=\"api\", algs="));
    // Required: bearer tokens are refused, only DPoP is offered.
    let required = layer(DpopPolicy::Required);
    let refused = call(&required, bearer(&plain)).await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(rejection_kind(&refused), Some(AuthErrorKind::DpopRequired));
    assert!(challenge(&refused).starts_with("DPoP realm=\"api\", error=\"invalid_token\""));
    assert_eq!(
        challenge(&call(&required, request_with("/", &[])).await),
        format!("DPoP realm=\"api\", algs=\"{ALGS}\"")
    );
    let key = ProofKey::es256();
    let token = bound_token(&key);
    let proof = key.proof("POST", &htu(), Some(&token));
    assert_eq!(
        call(&required, dpop_request(&token, Some(&proof)))
            .await
            .status(),
        StatusCode::OK
    );
    // Off: the DPoP scheme is not a credential at all.
    let off = layer(DpopPolicy::Off);
    let proof = key.proof("POST", &htu(), Some(&token));
    let response = call(&off, dpop_request(&token, Some(&proof))).await;
    assert_rejected(&response, StatusCode::UNAUTHORIZED, None);
    assert_eq!(challenge(&response), "Bearer realm=\"api\"");
}

#[tokio::test]
async fn a_missing_scope_of_a_dpop_request_is_a_dpop_challenge() {
    let layer = admin_only();
    let key = ProofKey::es256();
    let token = bound_token(&key);
    let proof = key.proof("POST", &htu(), Some(&token));
    let response = call(&layer, dpop_request(&token, Some(&proof))).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(
        challenge(&response).contains("DPoP realm=\"api\", error=\"insufficient_scope\""),
        "{}",
        challenge(&response)
    );
}

#[tokio::test]
async fn server_nonces_are_handed_out_and_then_required() {
    let dpop = Dpop::builder()
        .public_url(ORIGIN)
        .require_nonce(Duration::from_secs(300))
        .build()
        .unwrap();
    let layer = layer_with(&dpop, DpopPolicy::Allowed);
    let key = ProofKey::es256();
    let token = bound_token(&key);
    let proof = key.proof("POST", &htu(), Some(&token));
    let first = call(&layer, dpop_request(&token, Some(&proof))).await;
    assert_eq!(first.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(rejection_kind(&first), Some(AuthErrorKind::UseDpopNonce));
    assert!(
        challenge(&first).contains("DPoP realm=\"api\", error=\"use_dpop_nonce\""),
        "{}",
        challenge(&first)
    );
    let nonce = first.headers()["dpop-nonce"].to_str().unwrap().to_owned();
    assert_eq!(Some(nonce.clone()), dpop.current_nonce());
    let wrong = key.proof_with("POST", &htu(), Some(&token), |_, c| {
        c.insert("nonce".into(), "made-up".into());
    });
    assert_eq!(
        rejection_kind(&call(&layer, dpop_request(&token, Some(&wrong))).await),
        Some(AuthErrorKind::UseDpopNonce)
    );
    let with_nonce = key.proof_with("POST", &htu(), Some(&token), |_, c| {
        c.insert("nonce".into(), nonce.clone().into());
    });
    assert_eq!(
        call(&layer, dpop_request(&token, Some(&with_nonce)))
            .await
            .status(),
        StatusCode::OK
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
async fn the_metadata_advertises_the_proof_algorithms() {
    for (policy, required) in [(DpopPolicy::Allowed, false), (DpopPolicy::Required, true)] {
        let json = serde_json::to_value(layer(policy).resource_metadata(ORIGIN)).unwrap();
        assert_eq!(
            json["dpop_signing_alg_values_supported"],
            json!(ALGS.split(' ').collect::<Vec<_>>())
        );
        assert_eq!(json["dpop_bound_access_tokens_required"], json!(required));
    }
    let json = serde_json::to_value(layer(DpopPolicy::Off).resource_metadata(ORIGIN)).unwrap();
    assert!(json.get("dpop_signing_alg_values_supported").is_none());
}

/// Counts how often the replay cache is asked.
#[derive(Clone, Default)]
struct CountingCache(std::sync::Arc<std::sync::atomic::AtomicUsize>);

impl tower_jwt_auth::dpop::ReplayCache for CountingCache {
    fn first_use(&self, _: &[u8; 32], _: i64, _: i64) -> tower_jwt_auth::store::Lookup<bool> {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        tower_jwt_auth::store::Lookup::Ready(Ok(true))
    }
}

#[tokio::test]
async fn hostile_proofs_and_tokens_get_a_precise_4xx_and_never_reach_the_replay_cache() {
    let cache = CountingCache::default();
    let dpop = Dpop::builder()
        .public_url(ORIGIN)
        .replay_cache(cache.clone())
        .build()
        .unwrap();
    let layer = layer_with(&dpop, DpopPolicy::Allowed);
    let key = ProofKey::es256();
    let token = bound_token(&key);
    let valid_proof = key.proof("POST", &htu(), Some(&token));
    let deep = format!(
        "{}.{}.AA",
        b64(format!(
            "{{\"typ\":\"dpop+jwt\",\"x\":{}}}",
            "[".repeat(5000)
        )),
        b64("{}")
    );
    let huge_n = key.proof_with("POST", &htu(), Some(&token), |h, _| {
        h["jwk"] = json!({ "kty": "RSA", "n": "A".repeat(3000), "e": "AQAB" });
        h["alg"] = "RS256".into();
    });
    let proofs = [
        "".to_owned(),
        "a.b.c".to_owned(),
        "..".to_owned(),
        "x".repeat(5000),
        deep,
        huge_n,
        format!(
            "{}.{}.{}",
            b64("{\"typ\":\"dpop+jwt\",\"alg\":\"ES256\",\"jwk\":[]}"),
            b64("{}"),
            "AA"
        ),
    ];
    for proof in &proofs {
        let mut request = dpop_request(&token, None);
        if let Ok(value) = proof.parse() {
            request.headers_mut().insert("dpop", value);
        }
        let response = call(&layer, request).await;
        assert_eq!(
            response.status(),
            StatusCode::UNAUTHORIZED,
            "{}",
            &proof[..proof.len().min(40)]
        );
        assert_eq!(
            rejection_kind(&response),
            Some(AuthErrorKind::InvalidDpopProof)
        );
    }
    // A bad token with a valid proof: refused for the token (in a DPoP challenge), before the proof is used.
    let forged = format!("{}x", &token[..token.len() - 1]);
    let response = call(&layer, dpop_request(&forged, Some(&valid_proof))).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(
        challenge(&response).contains("DPoP realm=\"api\", error=\"invalid_token\""),
        "{}",
        challenge(&response)
    );
    let malformed = call(
        &layer,
        request_with("/", &[("authorization", "DPoP two tokens")]),
    )
    .await;
    assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);
    let twice = call(
        &layer,
        request_with(
            "/",
            &[
                ("authorization", &format!("DPoP {token}")),
                ("authorization", "Bearer x"),
            ],
        ),
    )
    .await;
    assert_eq!(twice.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        cache.0.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "nothing reached the replay cache"
    );
    assert_eq!(
        call(&layer, dpop_request(&token, Some(&valid_proof)))
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(cache.0.load(std::sync::atomic::Ordering::SeqCst), 1);
}

#[tokio::test]
async fn the_binding_is_judged_before_the_scopes() {
    // The binding is judged before the scopes: a stolen bound token learns nothing about them.
    let scoped = admin_only();
    let key = ProofKey::es256();
    let token = bound_token(&key);
    let response = call(&scoped, bearer(&token)).await;
    assert_eq!(
        (response.status(), rejection_kind(&response)),
        (StatusCode::UNAUTHORIZED, Some(AuthErrorKind::DpopRequired))
    );
    let stranger = ProofKey::ed25519().proof("POST", &htu(), Some(&token));
    assert_invalid_proof(
        &call(&scoped, dpop_request(&token, Some(&stranger))).await,
        "jkt",
    );
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

#[tokio::test]
async fn an_rsa_proof_key_with_an_exponent_of_one_is_refused() {
    let layer = layer(DpopPolicy::Allowed);
    // RSA proof keys: an exponent of 1 is no key.
    let rsa = ProofKey::rsa(Algorithm::PS256);
    let token = bound_token(&rsa);
    let weak = rsa.proof_with("POST", &htu(), Some(&token), |h, _| {
        h["jwk"]["e"] = "AQ".into()
    });
    assert_invalid_proof(
        &call(&layer, dpop_request(&token, Some(&weak))).await,
        "jwk",
    );
}

#[tokio::test]
async fn a_token_bound_by_another_method_is_refused_not_taken_as_a_bearer_token() {
    let layer = layer(DpopPolicy::Allowed);
    // A token bound by a method no layer checks (mTLS) is refused, never taken as a bearer token.
    let mtls = hs256(&with_claim(
        claims(),
        "cnf",
        json!({ "x5t#S256": "bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2" }),
    ));
    let response = call(&layer, bearer(&mtls)).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let error = response.extensions().get::<AuthError>().unwrap();
    assert_eq!(
        (error.kind(), error.claim()),
        (AuthErrorKind::InvalidClaim, Some("cnf"))
    );
}

/// RSA proof keys are 2048 to 4096 bits with e = 65537: a proof by an RSA-8192 key or a key with e = 3 is refused
/// though its signature is sound (it only costs the server time, or invites lax verifiers' forgeries).
#[tokio::test]
async fn rsa_proof_keys_are_at_most_4096_bits_with_e_65537() {
    let layer = layer(DpopPolicy::Allowed);
    let at_cap = ProofKey::rsa_file(Algorithm::PS256, "rsa4096_private.pem");
    assert_admits_the_holder(&layer, &at_cap, &bound_token(&at_cap)).await;
    for (file, alg) in [
        ("rsa8192_private.pem", Algorithm::PS256),
        ("rsa8192_private.pem", Algorithm::RS256),
        ("rsa_e3_private.pem", Algorithm::RS256),
    ] {
        let key = ProofKey::rsa_file(alg, file);
        let token = bound_token(&key);
        let proof = key.proof("POST", &htu(), Some(&token));
        let response = call(&layer, dpop_request(&token, Some(&proof))).await;
        assert_invalid_proof(&response, "jwk");
    }
}

/// `proof` with its signature broken (its first character changed).
fn with_broken_signature(proof: &str) -> String {
    let (input, signature) = proof.rsplit_once('.').unwrap();
    let flipped = if signature.starts_with('A') { "B" } else { "A" };
    format!("{input}.{flipped}{}", &signature[1..])
}

/// The cheap checks come before the signature: a stale proof (an hour old, by an RSA-4096 key), one for another
/// URL or method, one by another key than the token's, and a replay are refused for that — the claim the
/// rejection names — even with a broken signature, which was never checked. A sound signature changes nothing.
#[tokio::test]
async fn stale_misdirected_foreign_and_replayed_proofs_are_refused_before_their_signature() {
    let layer = layer(DpopPolicy::Allowed);
    let big = ProofKey::rsa_file(Algorithm::PS256, "rsa4096_private.pem");
    let token = bound_token(&big);
    let hour_old = big.proof_at("POST", &htu(), Some(&token), now() - 3600);
    let elsewhere = big.proof("POST", &format!("{ORIGIN}/orders/8"), Some(&token));
    let get = big.proof("GET", &htu(), Some(&token));
    let stranger = ProofKey::ed25519().proof("POST", &htu(), Some(&token));
    for (proof, member) in [
        (hour_old, "iat"),
        (elsewhere, "htu"),
        (get, "htm"),
        (stranger, "jkt"),
    ] {
        for proof in [with_broken_signature(&proof), proof] {
            assert_invalid_proof(
                &call(&layer, dpop_request(&token, Some(&proof))).await,
                member,
            );
        }
    }
    let used = big.proof("POST", &htu(), Some(&token));
    assert_eq!(
        call(&layer, dpop_request(&token, Some(&used)))
            .await
            .status(),
        StatusCode::OK
    );
    for proof in [with_broken_signature(&used), used] {
        assert_invalid_proof(
            &call(&layer, dpop_request(&token, Some(&proof))).await,
            "jti",
        );
    }
    // A fresh proof with a broken signature is refused for its signature (the checks above passed).
    let fresh = with_broken_signature(&big.proof("POST", &htu(), Some(&token)));
    assert_invalid_proof(
        &call(&layer, dpop_request(&token, Some(&fresh))).await,
        "signature",
    );
}

/// Each bad DPoP setting is reported as itself, named `DpopBuilder::…`, with what was expected: a zero proof
/// size is a proof size (not the layer's token size), a bad URL a URL (not a name).
#[test]
fn dpop_builder_errors_name_their_setting() {
    use tower_jwt_auth::ConfigError;
    let zero = Dpop::builder()
        .public_url(ORIGIN)
        .max_proof_size(0)
        .build()
        .unwrap_err();
    assert_eq!(
        zero,
        ConfigError::InvalidSize {
            setting: "DpopBuilder::max_proof_size"
        }
    );
    assert!(
        zero.to_string()
            .starts_with("DpopBuilder::max_proof_size must be positive: pass the largest size"),
        "{zero}"
    );
    let url = Dpop::builder().public_url("not a url").build().unwrap_err();
    assert_eq!(url.setting(), Some("DpopBuilder::public_url"));
    assert!(matches!(url, ConfigError::InvalidUrl { .. }), "{url:?}");
    assert!(
        url.to_string()
            .contains("`not a url` is not an absolute http or https URL"),
        "{url}"
    );
    let hmac = Dpop::builder()
        .public_url(ORIGIN)
        .algorithms([Algorithm::HS256])
        .build()
        .unwrap_err();
    assert_eq!(hmac.setting(), Some("DpopBuilder::algorithms"));
    assert!(
        hmac.to_string().contains("list public-key algorithms"),
        "{hmac}"
    );
    let age = Dpop::builder()
        .public_url(ORIGIN)
        .proof_max_age(Duration::from_secs(301))
        .build()
        .unwrap_err();
    assert_eq!(
        age.to_string(),
        "DpopBuilder::proof_max_age: invalid duration; it must be at most 300 seconds"
    );
}
