//! The demo's password checks: a login takes as long for an unknown user as for a wrong password, and checks
//! beyond the bound get 503 with `Retry-After`.

use crate::fixtures::{login, start_demo};
use http::StatusCode;
use serde_json::json;

/// The median of `samples`.
fn median(mut samples: Vec<std::time::Duration>) -> std::time::Duration {
    samples.sort();
    samples[samples.len() / 2]
}

#[tokio::test]
async fn login_takes_as_long_for_an_unknown_user_as_for_a_wrong_password() {
    let demo = start_demo(&[]);
    // Each kind once before measuring (first connections, the dummy hash made on first use).
    login(&demo, "mallory", "guess").await;
    login(&demo, "alice", "guess").await;
    let (mut known, mut unknown) = (Vec::new(), Vec::new());
    for round in 0..9 {
        for (user, samples) in [
            ("alice", &mut known),
            (&*format!("nobody-{round}"), &mut unknown),
        ] {
            let started = std::time::Instant::now();
            let reply = login(&demo, user, "wrong-password").await;
            samples.push(started.elapsed());
            assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{user}");
            assert_eq!(
                reply.body,
                json!({ "error": "invalid_credentials" }),
                "{user}"
            );
        }
    }
    let (known, unknown) = (median(known), median(unknown));
    eprintln!("median login: wrong password {known:?}, unknown user {unknown:?}");
    // Both pay one argon2 verification; without the dummy hash an unknown user answered ~30 times faster.
    assert!(
        unknown * 3 >= known,
        "an unknown user's login ({unknown:?}) must cost what a wrong password costs ({known:?})"
    );
}

#[tokio::test]
async fn password_checks_beyond_the_bound_get_503_with_retry_after() {
    let demo = std::sync::Arc::new(start_demo(&[]));
    // The demo runs one password check per core at a time and lets a burst wait half a second for its turn;
    // far more logins than that arrive together (about 30 ms of CPU each).
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let logins = (0..40 * cores + 40).map(|_| {
        let demo = demo.clone();
        tokio::spawn(async move { login(&demo, "alice", "wrong-password").await })
    });
    let replies = futures::future::join_all(logins).await;
    let (mut checked, mut busy) = (0, 0);
    for reply in replies {
        let reply = reply.unwrap();
        match reply.status {
            StatusCode::UNAUTHORIZED => checked += 1,
            StatusCode::SERVICE_UNAVAILABLE => {
                busy += 1;
                assert_eq!(reply.body, json!({ "error": "temporarily_unavailable" }));
                assert_eq!(reply.headers["retry-after"], "1");
            }
            other => panic!("a login answered {other}"),
        }
    }
    eprintln!("{checked} logins checked, {busy} refused as busy");
    assert!(
        checked >= 1 && busy >= 1,
        "{checked} checked, {busy} refused as busy"
    );
    // The permits come back: a login works afterwards.
    assert_eq!(
        login(&demo, "alice", "alice-pass").await.status,
        StatusCode::OK
    );
}
