//! Logout: a logged-out token stays refused inside the leeway, on every store, with one marker for the session.

use crate::common;
use crate::common::sessions::Fixture;
use crate::fixtures::{every_store, info, scope, LEEWAY};
use http::StatusCode;

async fn a_logged_out_token_stays_refused_inside_the_leeway(f: Fixture) {
    let pair = f.sessions.login("alice", &scope()).await.unwrap();
    let exp = pair.access().expires_at();
    f.sessions
        .logout(&info(&f, pair.access_token()))
        .await
        .unwrap();
    // Past exp, inside the leeway: the layer would still accept the token, so the revocation must hold.
    f.clock.set(exp + 1);
    if f.server.is_none() {
        // Make the memory store sweep what it considers expired: fill it so the next login sweeps.
        for _ in 0..5000 {
            let _ = f.sessions.login("filler", &()).await;
        }
    }
    assert_eq!(
        f.status(pair.access_token()).await,
        StatusCode::UNAUTHORIZED
    );
    let (status, renewed) = f.act(pair.access_token()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(renewed, None, "a revoked token is never renewed");
    f.clock.set(exp + LEEWAY - 1);
    assert_eq!(
        f.status(pair.access_token()).await,
        StatusCode::UNAUTHORIZED
    );
    if let Some(server) = &f.server {
        // Redis prunes markers on its own clock: each must last until exp + the largest leeway, at least.
        let markers = common::redis_server::markers(&server.url(), "tja").await;
        // The session's marker covers the token's `jti` too: logout writes no second marker.
        assert_eq!(
            markers.iter().map(|m| m.kind).collect::<Vec<_>>(),
            ["s"],
            "the session marker alone: {markers:?}"
        );
        for marker in markers {
            assert!(
                marker.until >= exp + 300,
                "{marker:?} lapses before exp {exp} + the largest leeway"
            );
        }
    }
}

every_store! {
    a_logged_out_token_stays_refused_inside_the_leeway,
}
