//! Unauthenticated DPoP proofs at the token endpoints can't starve authenticated ones.

use crate::common;

use std::time::Duration;

use crate::session_fixtures::{bound_login, proof_headers, refresh, refresh_proof, Secs, ORIGIN};
use common::dpop_proofs::ProofKey;
use common::sessions::{fixture, Fixture};
use http::{Method, Request, StatusCode};
use serde_json::json;
use tower::{service_fn, Layer, ServiceExt};
use tower_jwt_auth::dpop::{Dpop, DpopPolicy, MemoryReplayCache};
use tower_jwt_auth::{session::RefreshEndpoint, AuthErrorKind, JwtAuthLayer};

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
