//! Test support for store authors and applications (feature `test-util`): the crate's own store conformance
//! suite and session lifecycle model test, runnable against any [`SessionStore`](crate::SessionStore) from outside the crate;
//! and, for unit tests of your handlers, requests that look verified ([`authenticate`], [`token_info`]).
//!
//! The suite drives a store the way production does: through [`Sessions`](crate::Sessions) and a
//! [`JwtAuthLayer`](crate::JwtAuthLayer) wired to them, on a [`ManualClock`](crate::clock::ManualClock), and checks what a user would see (refresh outcomes, 200 or 401 for access tokens). Its
//! cases cover rotation, reuse detection (any older generation revokes the family), concurrent refreshes (exactly
//! one winner), the grace period, idle and absolute lifetimes, logout, logout everywhere, revocation, and the
//! device list (paged, live sessions only, ended by their owner only). One
//! case, [`rotation_follows_the_refresh_decision`], calls the store's `rotate` directly instead: a table of
//! presented-token states, each outcome held to the crate's one statement of the refresh decision. The
//! lifecycle model test runs random sequences of all of these, plus sliding actions and time steps into the
//! leeway, and compares every access token ever issued with a reference model after every step.
//!
//! Each case gets a fresh, empty store from your factory (a [`StoreUnderTest`]). Run the suite inside a tokio
//! runtime (the cases spawn concurrent refreshes):
//!
//! ```
//! use std::sync::Arc;
//! use tower_jwt_auth::testing::{self, StoreUnderTest};
//! use tower_jwt_auth::MemoryStore;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! // Every case, one after another; a failing case panics with its name.
//! testing::run_store_conformance(|| async { StoreUnderTest::new(Arc::new(MemoryStore::new())) }).await;
//! # }
//! ```
//!
//! Or one `#[tokio::test]` per case, in the spirit of tower-sessions' shared store tests:
//!
//! ```
//! # mod store_tests {
//! // In tests/my_store.rs: `my_store::reuse_of_a_rotated_token_revokes_the_family_only` and the other cases.
//! tower_jwt_auth::store_conformance_tests!(async {
//!     // Your store here, fresh for each case.
//!     let store = tower_jwt_auth::MemoryStore::new();
//!     tower_jwt_auth::testing::StoreUnderTest::new(std::sync::Arc::new(store))
//! });
//! # }
//! # fn main() {}
//! ```
//!
//! And the model test, from a plain `#[test]` (it makes its own runtime per case):
//!
//! ```
//! use std::sync::Arc;
//! use tower_jwt_auth::testing::{self, StoreUnderTest};
//! use tower_jwt_auth::MemoryStore;
//!
//! testing::check_lifecycle_model(8, || async {
//!     let store = MemoryStore::new();
//!     let size = store.clone();
//!     // Optional: the entry count, so the model can check that storage is bounded by the sessions.
//!     StoreUnderTest::new(Arc::new(store)).with_size(move || {
//!         let len = size.len();
//!         async move { len }
//!     })
//! });
//! ```

mod conformance;
mod device_list;
mod handlers;
mod harness;
mod lifecycle_model;
mod refresh_decision;
mod session_model;

pub use conformance::*;
pub use device_list::*;
pub use handlers::{authenticate, authenticate_as, token_info};
pub use harness::{
    claims_of, Harness, StoreUnderTest, T0, TEST_AUDIENCE, TEST_ISSUER, TEST_SECRET,
};
pub use lifecycle_model::check_lifecycle_model;
pub use refresh_decision::rotation_follows_the_refresh_decision;

/// One `#[tokio::test]` per conformance case, each with a fresh store from `$make_store` (an expression of type
/// `impl Future<Output = StoreUnderTest>`, evaluated once per case). Needs `tokio` (with `macros` and `rt`) among
/// your dev-dependencies.
///
/// `store_conformance_tests!(optional: $make_store)` takes a future of `Option<StoreUnderTest>` instead, and
/// skips a case when it is `None` (a server that is not installed: say so loudly, and fail under CI).
#[macro_export]
macro_rules! store_conformance_tests {
    (@all $how:tt) => {
        $crate::store_conformance_tests!(@cases $how;
            login_refresh_chain_keeps_the_session,
            reuse_of_a_rotated_token_revokes_the_family_only,
            fifty_concurrent_refreshes_have_exactly_one_winner,
            grace_period_returns_the_same_successor_and_only_for_the_previous_token,
            grace_period_ends,
            a_wrong_secret_for_a_real_id_changes_nothing,
            idle_and_absolute_lifetimes,
            logout_revokes_the_refresh_token_and_the_access_token,
            logout_all_ends_every_session_of_the_subject,
            revoking_a_refresh_token_ends_its_session,
            rotation_follows_the_refresh_decision,
            the_device_list_pages_through_live_sessions_only,
            sessions_are_listed_a_page_at_a_time_and_ended_by_their_owner,
        );
    };
    (@cases $how:tt; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $case() {
                $crate::store_conformance_tests!(@run $how $case)
            }
        )*
    };
    (@run (always $make_store:expr) $case:ident) => {
        $crate::testing::$case($make_store.await).await
    };
    (@run (optional $make_store:expr) $case:ident) => {
        if let Some(store) = $make_store.await {
            $crate::testing::$case(store).await
        }
    };
    (optional: $make_store:expr) => {
        $crate::store_conformance_tests!(@all (optional $make_store));
    };
    ($make_store:expr) => {
        $crate::store_conformance_tests!(@all (always $make_store));
    };
}
