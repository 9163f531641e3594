//! What a DPoP proof costs per request, beside the same request with a bearer token: the layer with the
//! token in its cache and a fresh ES256 or EdDSA proof each time (the proof is verified on every request; the
//! token is not), and `Dpop::check` alone (parse, signature, claims, replay cache).
//!
//! `cargo bench --bench dpop`

use std::convert::Infallible;

use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion};
use http::{Method, Request, Response};
use serde_json::json;
use tower::{Service, ServiceExt};
use tower_jwt_auth::dpop::{Dpop, DpopPolicy};

#[path = "../tests/common/mod.rs"]
mod common;

use common::dpop_proofs::ProofKey;

const ORIGIN: &str = "https://api.example.com";

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let dpop = Dpop::builder().public_url(ORIGIN).build().unwrap();
    let layer = common::builder_for(jsonwebtoken::Algorithm::HS256)
        .dpop(&dpop, DpopPolicy::Allowed)
        .build()
        .unwrap();
    let mut service = tower::ServiceBuilder::new()
        .layer(layer)
        .service_fn(|_: Request<()>| async { Ok::<_, Infallible>(Response::new(())) });
    let mut call = |request: Request<()>| {
        runtime.block_on(async {
            let response = service.ready().await.unwrap().call(request).await.unwrap();
            assert_eq!(response.status(), 200);
        })
    };

    let mut group = c.benchmark_group("dpop");
    let bearer = common::hs256(&common::claims());
    group.bench_function("bearer_cached", |b| {
        b.iter(|| {
            call(
                Request::get("/me")
                    .header("authorization", format!("Bearer {bearer}"))
                    .body(())
                    .unwrap(),
            )
        })
    });
    for key in [ProofKey::es256(), ProofKey::ed25519()] {
        let name = common::alg_name(key.alg);
        let token = common::hs256(&common::with_claim(
            common::claims(),
            "cnf",
            json!({ "jkt": key.thumbprint() }),
        ));
        let htu = format!("{ORIGIN}/me");
        // A fresh proof per request (made outside the measured time): each proof is accepted once.
        group.bench_with_input(
            BenchmarkId::new("layer_cached_token", &name),
            &key,
            |b, key| {
                b.iter_batched(
                    || {
                        Request::get("/me")
                            .header("authorization", format!("DPoP {token}"))
                            .header("dpop", key.proof("GET", &htu, Some(&token)))
                            .body(())
                            .unwrap()
                    },
                    &mut call,
                    BatchSize::SmallInput,
                )
            },
        );
        let uri: http::Uri = "/me".parse().unwrap();
        group.bench_with_input(BenchmarkId::new("check", &name), &key, |b, key| {
            b.iter_batched(
                || {
                    let mut headers = http::HeaderMap::new();
                    headers.insert(
                        "dpop",
                        key.proof("GET", &htu, Some(&token)).parse().unwrap(),
                    );
                    headers
                },
                |headers| {
                    runtime.block_on(async {
                        let proof = dpop.check(&Method::GET, &uri, &headers, Some(&token)).await;
                        assert!(proof.unwrap().is_some());
                    })
                },
                BatchSize::SmallInput,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
