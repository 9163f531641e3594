//! What a DPoP proof costs per request, beside the same request with a bearer token: the layer with the
//! token in its cache and a fresh ES256 or EdDSA proof each time (the proof is verified on every request; the
//! token is not), and `Dpop::check` alone (parse, signature, claims, replay cache).
//!
//! Group `dpop_reject`: what a refused proof costs the server, through the layer with the bound token cached —
//! a request with the DPoP scheme and no proof, a replayed proof, an hour-old proof by an RSA-4096 key, a
//! proof for another URL by that key, a proof by an RSA-8192 key (over the cap) — beside the most an
//! accepted proof can cost (RSA-4096, PS256: the key-size cap), measured with a replay cache that accepts
//! every proof so the same one can be sent again.
//!
//! `cargo bench --bench dpop`

use std::convert::Infallible;

use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion};
use http::{Method, Request, Response};
use serde_json::json;
use tower::{Service, ServiceExt};
use tower_jwt_auth::dpop::{Dpop, DpopPolicy, ReplayCache};
use tower_jwt_auth::store::Lookup;

#[path = "../tests/common/mod.rs"]
mod common;

use common::dpop_proofs::ProofKey;

const ORIGIN: &str = "https://api.example.com";

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    // `check` records token-endpoint proofs: room for every one the benchmark makes in a proof window.
    let dpop = Dpop::builder()
        .public_url(ORIGIN)
        .token_endpoint_capacity(tower_jwt_auth::dpop::DEFAULT_REPLAY_CAPACITY)
        .build()
        .unwrap();
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

/// A replay cache that takes every proof as new: the accepted-proof row sends one proof again and again (an
/// RSA-4096 signature costs the client milliseconds, too slow to make one per iteration).
struct AcceptsAll;

impl ReplayCache for AcceptsAll {
    fn first_use(&self, _: &[u8; 32], _: i64, _: i64) -> Lookup<bool> {
        Lookup::Ready(Ok(true))
    }
}

/// One request through `service`, answered with `status`.
fn send<S, B>(runtime: &tokio::runtime::Runtime, service: &mut S, request: Request<()>, status: u16)
where
    S: Service<Request<()>, Response = Response<B>>,
    S::Error: std::fmt::Debug,
{
    runtime.block_on(async {
        let response = service.ready().await.unwrap().call(request).await.unwrap();
        assert_eq!(response.status(), status);
    })
}

fn reject(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let service = |dpop: &Dpop| {
        let layer = common::builder_for(jsonwebtoken::Algorithm::HS256)
            .dpop(dpop, DpopPolicy::Allowed)
            .build()
            .unwrap();
        tower::ServiceBuilder::new()
            .layer(layer)
            .service_fn(|_: Request<()>| async { Ok::<_, Infallible>(Response::new(())) })
    };
    let dpop = Dpop::builder().public_url(ORIGIN).build().unwrap();
    let mut layer = service(&dpop);
    let mut accepting = service(
        &Dpop::builder()
            .public_url(ORIGIN)
            .replay_cache(AcceptsAll)
            .build()
            .unwrap(),
    );
    let htu = format!("{ORIGIN}/me");
    let bound = |key: &ProofKey| {
        common::hs256(&common::with_claim(
            common::claims(),
            "cnf",
            json!({ "jkt": key.thumbprint() }),
        ))
    };
    let request = |token: &str, proof: Option<&str>| {
        let mut request = Request::get("/me").header("authorization", format!("DPoP {token}"));
        if let Some(proof) = proof {
            request = request.header("dpop", proof);
        }
        request.body(()).unwrap()
    };
    let es256 = ProofKey::es256();
    let es256_token = bound(&es256);
    let rsa4096 = ProofKey::rsa_file(jsonwebtoken::Algorithm::PS256, "rsa4096_private.pem");
    let rsa4096_token = bound(&rsa4096);
    let rsa8192 = ProofKey::rsa_file(jsonwebtoken::Algorithm::PS256, "rsa8192_private.pem");
    let rsa8192_token = bound(&rsa8192);
    let replayed = es256.proof("GET", &htu, Some(&es256_token));
    // Each token verified once, so every row below finds it in the token cache; the replayed proof used once.
    send(
        &runtime,
        &mut layer,
        request(&es256_token, Some(&replayed)),
        200,
    );
    send(&runtime, &mut layer, request(&rsa4096_token, None), 401);
    send(&runtime, &mut layer, request(&rsa8192_token, None), 401);
    let cap = rsa4096.proof("GET", &htu, Some(&rsa4096_token));
    send(
        &runtime,
        &mut accepting,
        request(&rsa4096_token, Some(&cap)),
        200,
    );
    let stale = rsa4096.proof_at("GET", &htu, Some(&rsa4096_token), common::now() - 3600);
    let elsewhere = rsa4096.proof("GET", &format!("{ORIGIN}/elsewhere"), Some(&rsa4096_token));
    let oversized = rsa8192.proof("GET", &htu, Some(&rsa8192_token));

    let mut group = c.benchmark_group("dpop_reject");
    let rows: [(&str, &str, Option<&str>); 5] = [
        ("no_proof", &es256_token, None),
        ("replayed_es256", &es256_token, Some(&replayed)),
        ("stale_rsa4096", &rsa4096_token, Some(&stale)),
        ("wrong_htu_rsa4096", &rsa4096_token, Some(&elsewhere)),
        ("over_cap_rsa8192", &rsa8192_token, Some(&oversized)),
    ];
    for (name, token, proof) in rows {
        group.bench_function(name, |b| {
            b.iter_batched(
                || request(token, proof),
                |request| send(&runtime, &mut layer, request, 401),
                BatchSize::SmallInput,
            )
        });
    }
    group.bench_function("accepted_rsa4096_cap", |b| {
        b.iter_batched(
            || request(&rsa4096_token, Some(&cap)),
            |request| send(&runtime, &mut accepting, request, 200),
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

criterion_group!(benches, bench, reject);
criterion_main!(benches);
