//! Layer cost vs. raw `jsonwebtoken::decode`, per algorithm family.
//!
//! `cargo bench --bench verify` — per algorithm, in one run: `raw_decode` (jsonwebtoken alone), `layer_miss`
//! (cache off: every request verifies), `layer_hit` (the token was verified before) and `trivial_service_alone`
//! (the same request without the layer). Requests are built outside the timed part; the layer's own cost is
//! `layer_* - trivial_service_alone`.
//!
//! `cargo bench --features rust-crypto --bench verify -- crypto`: the signature check alone (jsonwebtoken's verifier, made
//! from the key and used once, as the layer does on a miss), per algorithm and crypto backend — aws-lc-rs (the
//! default) and, with the `rust-crypto` feature, RustCrypto — and `aws_lc_rs_parsed_once`, what the layer does
//! with the default backend: the key parsed once when the layer is built, only the check per token. The peer's
//! own (jsonwebtoken 9 on ring) is measured by `benches/http/peer`'s `verify_alone`.

use std::convert::Infallible;

use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion};
use futures::FutureExt;
use http::{Request, Response};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde_json::json;
use tower::{Layer, Service, ServiceExt};
use tower_jwt_auth::{JwtAuthLayer, RegisteredClaims, VerificationKey};

fn pem(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/keys/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn keys(alg: Algorithm) -> (EncodingKey, DecodingKey, VerificationKey) {
    let secret = [7u8; 64];
    match alg {
        Algorithm::HS256 => (
            EncodingKey::from_secret(&secret).unwrap(),
            DecodingKey::from_secret(&secret).unwrap(),
            VerificationKey::hmac(alg, &secret).unwrap(),
        ),
        Algorithm::RS256 => (
            EncodingKey::from_rsa_pem(&pem("rsa_private.pem")).unwrap(),
            DecodingKey::from_rsa_pem(&pem("rsa_public.pem")).unwrap(),
            VerificationKey::from_pem(alg, &pem("rsa_public.pem")).unwrap(),
        ),
        Algorithm::ES256 => (
            EncodingKey::from_ec_pem(&pem("ec256_private.pem")).unwrap(),
            DecodingKey::from_ec_pem(&pem("ec256_public.pem")).unwrap(),
            VerificationKey::from_pem(alg, &pem("ec256_public.pem")).unwrap(),
        ),
        _ => (
            EncodingKey::from_ed_pem(&pem("ed25519_private.pem")).unwrap(),
            DecodingKey::from_ed_pem(&pem("ed25519_public.pem")).unwrap(),
            VerificationKey::from_pem(alg, &pem("ed25519_public.pem")).unwrap(),
        ),
    }
}

/// A request carrying `header` in `Authorization`, built outside the timed part.
fn request(header: &str) -> Request<()> {
    Request::builder()
        .header("authorization", header)
        .body(())
        .unwrap()
}

/// Calls a ready service once and polls its future once: the synchronous path completes on that poll.
fn call_once<S>(service: &mut S, request: Request<()>) -> Response<()>
where
    S: Service<Request<()>, Response = Response<()>, Error = Infallible>,
{
    service
        .call(request)
        .now_or_never()
        .expect("completes synchronously")
        .unwrap()
}

fn trivial(_request: Request<()>) -> std::future::Ready<Result<Response<()>, Infallible>> {
    std::future::ready(Ok(Response::new(())))
}

fn bench(c: &mut Criterion) {
    let _ = jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER.install_default();
    let exp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 3600;
    let claims = json!({
        "iss": "bench", "aud": "bench-api", "sub": "alice", "exp": exp, "iat": exp - 3600,
        "jti": "0123456789abcdef", "scope": "read write", "sid": "s1",
    });
    let mut group = c.benchmark_group("verify");
    for alg in [
        Algorithm::HS256,
        Algorithm::RS256,
        Algorithm::ES256,
        Algorithm::EdDSA,
    ] {
        let (encoding, decoding, verification) = keys(alg);
        let token = jsonwebtoken::encode(&Header::new(alg), &claims, &encoding).unwrap();
        let name = format!("{alg:?}");

        let mut validation = Validation::new(alg);
        validation.set_issuer(&["bench"]);
        validation.set_audience(&["bench-api"]);
        group.bench_with_input(BenchmarkId::new("raw_decode", &name), &token, |b, token| {
            b.iter(|| {
                jsonwebtoken::decode::<RegisteredClaims>(token, &decoding, &validation).unwrap()
            })
        });

        let header = format!("Bearer {token}");
        // The trivial service alone, with the same request: the floor under the layer's numbers.
        let mut bare = tower::service_fn(trivial);
        group.bench_with_input(
            BenchmarkId::new("trivial_service_alone", &name),
            &header,
            |b, header| {
                b.iter_batched(
                    || request(header),
                    |r| call_once(&mut bare, r),
                    BatchSize::SmallInput,
                )
            },
        );
        for (label, cached) in [("layer_miss", false), ("layer_hit", true)] {
            // The token carries a `sid` whose session no store checks here: accepted on purpose.
            let mut builder = JwtAuthLayer::builder()
                .key(verification.clone())
                .issuer("bench")
                .audience("bench-api")
                .allow_unchecked_sessions();
            if !cached {
                builder = builder.disable_token_cache();
            }
            let mut service = builder.build().unwrap().layer(tower::service_fn(trivial));
            assert_eq!(call_once(&mut service, request(&header)).status(), 200);
            if cached {
                // Verification alone on a hit: what `layer_hit` adds besides the extensions and the inner call.
                let layer = JwtAuthLayer::builder()
                    .key(verification.clone())
                    .issuer("bench")
                    .audience("bench-api")
                    .allow_unchecked_sessions()
                    .build()
                    .unwrap();
                layer.verify_token(&token).unwrap();
                group.bench_with_input(
                    BenchmarkId::new("verify_token_hit", &name),
                    &token,
                    |b, token| b.iter(|| layer.verify_token(token).unwrap()),
                );
            }
            group.bench_with_input(BenchmarkId::new(label, &name), &header, |b, header| {
                b.iter_batched(
                    || request(header),
                    |r| call_once(&mut service, r),
                    BatchSize::SmallInput,
                )
            });
        }
    }
    group.finish();
}

/// Sliding sessions: an action whose token is due (verify + reissue + sign) vs. the same token on a
/// non-action route (verify only).
fn sliding(c: &mut Criterion) {
    use std::time::Duration;
    use tower_jwt_auth::{sliding::SlidingPolicy, MemoryStore, Sessions, SigningKey, TokenIssuer};
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let secret = [7u8; 64];
    let issuer = TokenIssuer::builder(SigningKey::hmac(Algorithm::HS256, &secret).unwrap())
        .issuer("bench")
        .audience("bench-api")
        .ttl(Duration::from_secs(900))
        .build()
        .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let claims = json!({
        "iss": "bench", "aud": "bench-api", "sub": "alice", "iat": now - 800, "exp": now + 100,
        "auth_time": now - 800, "jti": "0123456789abcdef", "scope": "read write", "sid": "s1",
    });
    let token = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(&secret).unwrap(),
    )
    .unwrap();
    let sessions = Sessions::builder(issuer, MemoryStore::new())
        .max_session(Duration::from_secs(86_400))
        .build()
        .unwrap();
    let layer = JwtAuthLayer::builder()
        .sessions(&sessions)
        .sliding(SlidingPolicy::new().action(http::Method::POST, "/posts"))
        .build()
        .unwrap();
    let service = layer.layer(tower::service_fn(|_req: Request<()>| async {
        Ok::<_, Infallible>(Response::new(()))
    }));
    let header = format!("Bearer {token}");
    let mut group = c.benchmark_group("sliding");
    for (name, method, renewed) in [
        ("verify_only", http::Method::GET, false),
        ("reissue", http::Method::POST, true),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| {
                let request = Request::builder()
                    .method(method.clone())
                    .uri("/posts")
                    .header("authorization", header.as_str())
                    .body(())
                    .unwrap();
                let response = runtime.block_on(service.clone().oneshot(request)).unwrap();
                assert_eq!(response.headers().contains_key("x-access-token"), renewed);
            })
        });
    }
    group.finish();
}

/// What a flood of bad requests costs: a token that is not a JWS (401 `invalid_token`), a bad signature (401),
/// no token (401, bare challenge), and a missing scope (403 with `scope="…"`), with the default and the JSON
/// responder. The challenges are prepared when the layer is built.
fn rejections(c: &mut Criterion) {
    let _ = jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER.install_default();
    let (encoding, _, verification) = keys(Algorithm::HS256);
    let exp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 3600;
    let claims =
        json!({ "iss": "bench", "aud": "bench-api", "sub": "alice", "exp": exp, "scope": "read" });
    let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &encoding).unwrap();
    let (head, _) = token.rsplit_once('.').unwrap();
    let forged = format!("Bearer {head}.{}", "A".repeat(43));
    let valid = format!("Bearer {token}");
    let base = || {
        JwtAuthLayer::builder()
            .key(verification.clone())
            .issuer("bench")
            .audience("bench-api")
            .require_scopes(["admin"])
    };
    let mut plain = base().build().unwrap().layer(tower::service_fn(trivial));
    let mut json = base()
        .responder(tower_jwt_auth::rejection::JsonResponder)
        .build()
        .unwrap()
        .layer(tower::service_fn(|_: Request<()>| {
            std::future::ready(Ok::<_, Infallible>(Response::new(String::new())))
        }));
    let mut group = c.benchmark_group("reject");
    for (name, header, status) in [
        ("not_a_jws", Some("Bearer not.a.token"), 401),
        ("bad_signature", Some(forged.as_str()), 401),
        ("no_token", None, 401),
        ("missing_scope", Some(valid.as_str()), 403),
    ] {
        let make = || match header {
            Some(header) => request(header),
            None => Request::new(()),
        };
        assert_eq!(call_once(&mut plain, make()).status(), status);
        group.bench_function(BenchmarkId::new("empty_body", name), |b| {
            b.iter_batched(make, |r| call_once(&mut plain, r), BatchSize::SmallInput)
        });
        group.bench_function(BenchmarkId::new("json_body", name), |b| {
            b.iter_batched(
                make,
                |r| {
                    json.call(r)
                        .now_or_never()
                        .expect("completes synchronously")
                        .unwrap()
                },
                BatchSize::SmallInput,
            )
        });
    }
    group.finish();
}

/// The signature check alone, per backend jsonwebtoken offers.
fn crypto(c: &mut Criterion) {
    let mut backends = vec![("aws_lc_rs", &jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER)];
    #[cfg(feature = "rust-crypto")]
    backends.push((
        "rust_crypto",
        &jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER,
    ));
    let mut group = c.benchmark_group("crypto");
    for alg in [
        Algorithm::HS256,
        Algorithm::ES256,
        Algorithm::RS256,
        Algorithm::EdDSA,
    ] {
        let (encoding, decoding, _) = keys(alg);
        let signer =
            (jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER.signer_factory)(&alg, &encoding);
        let message =
            b"eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJiZW5jaCIsImF1ZCI6ImJlbmNoLWFwaSIsInN1YiI6ImFsaWNlIn0";
        let signature = signer.unwrap().try_sign(message).unwrap();
        for (name, provider) in &backends {
            group.bench_function(BenchmarkId::new(*name, format!("{alg:?}")), |b| {
                b.iter(|| {
                    let verifier = (provider.verifier_factory)(&alg, &decoding).unwrap();
                    verifier.verify(message, &signature).unwrap();
                })
            });
        }
        // What the layer does with the default backend: the key parsed once (when the layer is built), then
        // only the check per token.
        #[cfg(feature = "aws-lc-rs")]
        {
            use aws_lc_rs::{hmac, signature as sig};
            let bytes = decoding.try_get_as_bytes().ok().map(<[u8]>::to_vec);
            let parsed_check: Box<dyn Fn() -> bool> = match (alg, bytes) {
                (Algorithm::HS256, Some(secret)) => {
                    let key = hmac::Key::new(hmac::HMAC_SHA256, &secret);
                    Box::new(move || hmac::verify(&key, message, &signature).is_ok())
                }
                (Algorithm::RS256, _) => {
                    let jsonwebtoken::DecodingKeyKind::SecretOrDer(der) = decoding.kind() else {
                        unreachable!("the bench's RSA key is a PEM")
                    };
                    let key =
                        sig::ParsedPublicKey::new(&sig::RSA_PKCS1_2048_8192_SHA256, der).unwrap();
                    Box::new(move || key.verify_sig(message, &signature).is_ok())
                }
                (_, Some(point)) => {
                    let algorithm: &'static dyn sig::VerificationAlgorithm = match alg {
                        Algorithm::ES256 => &sig::ECDSA_P256_SHA256_FIXED,
                        _ => &sig::ED25519,
                    };
                    let key = sig::ParsedPublicKey::new(algorithm, point).unwrap();
                    Box::new(move || key.verify_sig(message, &signature).is_ok())
                }
                (_, None) => unreachable!("EC and Ed25519 keys are their bytes"),
            };
            assert!(parsed_check());
            group.bench_function(
                BenchmarkId::new("aws_lc_rs_parsed_once", format!("{alg:?}")),
                |b| b.iter(|| assert!(parsed_check())),
            );
        }
    }
    group.finish();
}

criterion_group!(benches, bench, sliding, rejections, crypto);
criterion_main!(benches);
