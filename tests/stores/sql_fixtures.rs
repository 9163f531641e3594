//! What the SQL store files share: a harness on a store, waiting for a change, a logout, and whether a token is
//! revoked.
#![cfg(any(feature = "postgres", feature = "sqlite"))]

use std::sync::Arc;
use std::time::{Duration, Instant};

use tower_jwt_auth::testing::{Harness, StoreUnderTest};
use tower_jwt_auth::{SqlStore, TokenInfo};

pub(crate) fn harness(store: SqlStore) -> Harness {
    Harness::new(StoreUnderTest::new(Arc::new(store)), Duration::ZERO)
}

/// Polls `check` every 5 ms for at most `limit`; returns how long it took to hold.
pub(crate) async fn within(limit: Duration, mut check: impl FnMut() -> bool) -> Duration {
    let started = Instant::now();
    while !check() {
        assert!(started.elapsed() < limit, "not within {limit:?}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    started.elapsed()
}

/// Logs out the session of `token`, as the demo's `/logout` does.
pub(crate) async fn logout(h: &Harness, token: &str) {
    let info = h.token_info(token).await.expect("a valid token");
    h.sessions.logout(&info).await.unwrap();
}

pub(crate) fn revoked(store: &SqlStore, token: &str) -> Option<bool> {
    let info: TokenInfo =
        tower_jwt_auth::testing::token_info(&tower_jwt_auth::testing::claims_of(token));
    match tower_jwt_auth::store::RevocationCheck::is_revoked(store, &info) {
        tower_jwt_auth::store::Lookup::Ready(result) => result.ok(),
        tower_jwt_auth::store::Lookup::Pending(_) => {
            panic!("the SQL store answers from its mirror")
        }
    }
}
