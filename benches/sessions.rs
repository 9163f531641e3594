//! Session store costs on the memory store: login, refresh (rotation), and the revocation lookup the layer
//! makes, single-threaded and under contention.
//!
//! `cargo bench --bench sessions`

use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use tower_jwt_auth::{
    store::Lookup, store::RevocationCheck, Algorithm, MemoryStore, Sessions, SigningKey, TokenInfo,
    TokenIssuer,
};

fn sessions(store: MemoryStore) -> Sessions {
    let issuer = TokenIssuer::builder(SigningKey::hmac(Algorithm::HS256, &[7; 32]).unwrap())
        .issuer("bench")
        .audience("bench-api")
        .build()
        .unwrap();
    Sessions::builder(issuer, store).build().unwrap()
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    // Large enough that the benchmark never meets the bound (a full store refuses writes).
    let store = MemoryStore::with_capacity(50_000_000);
    let sessions = sessions(store.clone());
    let claims = serde_json::json!({ "scope": "read write" });
    let mut group = c.benchmark_group("sessions");

    group.bench_function("login", |b| {
        b.iter(|| runtime.block_on(sessions.login("alice", &claims)).unwrap())
    });

    let mut current = runtime.block_on(sessions.login("alice", &claims)).unwrap();
    group.bench_function("refresh_rotation", |b| {
        b.iter(|| {
            current = runtime
                .block_on(sessions.refresh(current.refresh_token()))
                .unwrap();
        })
    });

    // A revocation lookup as the layer makes it, with 10k revoked jtis in the store.
    for i in 0..10_000 {
        runtime
            .block_on(sessions.store().revoke_token(&format!("jti-{i}"), i64::MAX))
            .unwrap();
    }
    let info: TokenInfo = {
        let pair = runtime.block_on(sessions.login("bob", &claims)).unwrap();
        info_of(pair.access_token())
    };
    group.bench_function("revocation_lookup", |b| {
        b.iter(|| match store.is_revoked(&info) {
            Lookup::Ready(Ok(revoked)) => assert!(!revoked),
            other => panic!("unexpected {other:?}"),
        })
    });

    // Contention: two threads rotating their own sessions at once; time per rotation.
    group.bench_function("refresh_rotation_2_threads", |b| {
        b.iter_custom(|iterations| {
            let per_thread = iterations.div_ceil(2);
            let start = Instant::now();
            let tasks: Vec<_> = (0..2)
                .map(|_| {
                    let sessions = sessions.clone();
                    let claims = claims.clone();
                    runtime.spawn(async move {
                        let mut pair = sessions.login("carol", &claims).await.unwrap();
                        for _ in 0..per_thread {
                            pair = sessions.refresh(pair.refresh_token()).await.unwrap();
                        }
                    })
                })
                .collect();
            for task in tasks {
                runtime.block_on(task).unwrap();
            }
            start.elapsed() / 2
        })
    });
    group.finish();
}

/// The registered facts of a token we just minted (read back through the layer in real use).
fn info_of(token: &str) -> TokenInfo {
    use tower::{Layer, ServiceExt};
    let layer = tower_jwt_auth::JwtAuthLayer::builder()
        .key(tower_jwt_auth::VerificationKey::hmac(Algorithm::HS256, &[7; 32]).unwrap())
        .issuer("bench")
        .audience("bench-api")
        // Only reads the facts of a session token: its session is checked elsewhere.
        .allow_unchecked_sessions()
        .build()
        .unwrap();
    let service = layer.layer(tower::service_fn(|r: http::Request<()>| async move {
        Ok::<_, std::convert::Infallible>(http::Response::new(
            r.extensions().get::<TokenInfo>().cloned(),
        ))
    }));
    let request = http::Request::builder()
        .header("authorization", format!("Bearer {token}"))
        .body(())
        .unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    runtime
        .block_on(service.oneshot(request))
        .unwrap()
        .into_body()
        .unwrap()
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(3));
    targets = bench
}
criterion_main!(benches);
