//! A store that fails halfway, as a networked one can: a logout that failed after writing its marker is
//! finished by the next one, and a login that raced a logout everywhere is ended at once.

use std::sync::Arc;
use std::time::Duration;

use crate::common;
use crate::common::sessions::T0;
use crate::common::*;
use crate::fixtures::scope;
use http::StatusCode;
use tower_jwt_auth::{
    clock::ManualClock, session::SessionError, JwtAuthLayer, MemoryStore, SessionStore, Sessions,
    TokenInfo,
};

/// A memory store that can misbehave the way a networked store can: `partial` — the first session revocation
/// writes its marker (answered by `is_revoked`) and then fails before the session's row is deleted, like a
/// Redis connection dropped between the two; `race` — a logout everywhere of the user completes between a
/// login's `auth_time` and the storing of its session.
#[derive(Clone)]
struct Flaky {
    inner: MemoryStore,
    clock: ManualClock,
    partial: Arc<std::sync::Mutex<Option<std::collections::HashSet<String>>>>,
    race: Arc<std::sync::atomic::AtomicBool>,
}

impl Flaky {
    /// A well-behaved store (until told otherwise), sessions over it on a manual clock, and a layer wired to them.
    fn sessions() -> (Self, Sessions, JwtAuthLayer) {
        let clock = ManualClock::new(T0);
        let store = Self {
            inner: MemoryStore::new(),
            clock: clock.clone(),
            partial: Arc::default(),
            race: Arc::default(),
        };
        let issuer = common::sessions::test_issuer(&clock, Duration::from_secs(600));
        let sessions = Sessions::builder(issuer, store.clone()).build().unwrap();
        let layer = JwtAuthLayer::builder().sessions(&sessions).build().unwrap();
        (store, sessions, layer)
    }
}

impl tower_jwt_auth::store::RevocationCheck for Flaky {
    fn is_revoked(&self, token: &TokenInfo) -> tower_jwt_auth::store::Lookup<bool> {
        let marked = self
            .partial
            .lock()
            .unwrap()
            .as_ref()
            .is_some_and(|sids| token.session_id().is_some_and(|sid| sids.contains(sid)));
        match marked {
            true => tower_jwt_auth::store::Lookup::Ready(Ok(true)),
            false => self.inner.is_revoked(token),
        }
    }
}

impl SessionStore for Flaky {
    fn create_session(
        &self,
        session: tower_jwt_auth::store::NewSession,
    ) -> tower_jwt_auth::store::StoreFuture<()> {
        if self.race.swap(false, std::sync::atomic::Ordering::SeqCst) {
            self.clock.advance(1);
            let now = tower_jwt_auth::clock::Clock::now(&self.clock);
            let subject = session.session.subject.clone();
            drop(self.inner.revoke_subject(ISSUER, &subject, now, now + 3600));
        }
        self.inner.create_session(session)
    }
    fn rotate(
        &self,
        request: tower_jwt_auth::store::RotateRequest,
    ) -> tower_jwt_auth::store::StoreFuture<tower_jwt_auth::store::RotateOutcome> {
        self.inner.rotate(request)
    }
    fn revoke_session(
        &self,
        session_id: &str,
        until: i64,
    ) -> tower_jwt_auth::store::StoreFuture<()> {
        let mut partial = self.partial.lock().unwrap();
        if let Some(sids) = partial.as_mut() {
            if sids.is_empty() {
                sids.insert(session_id.to_owned());
                return Box::pin(std::future::ready(Err(
                    tower_jwt_auth::store::StoreError::new(
                        "the connection dropped after the marker was written",
                    ),
                )));
            }
        }
        self.inner.revoke_session(session_id, until)
    }
    fn revoke_refresh_token(
        &self,
        session_id: &str,
        generation: u64,
        secret_hash: [u8; 32],
        until: i64,
    ) -> tower_jwt_auth::store::StoreFuture<bool> {
        self.inner
            .revoke_refresh_token(session_id, generation, secret_hash, until)
    }
    fn revoke_token(&self, jti: &str, until: i64) -> tower_jwt_auth::store::StoreFuture<()> {
        self.inner.revoke_token(jti, until)
    }
    fn revoke_subject(
        &self,
        issuer: &str,
        subject: &str,
        not_before: i64,
        until: i64,
    ) -> tower_jwt_auth::store::StoreFuture<()> {
        self.inner
            .revoke_subject(issuer, subject, not_before, until)
    }
    fn is_shared_or_persistent(&self) -> bool {
        false
    }
}

/// A logout whose store wrote the session's marker but failed before deleting the session (503) is finished
/// by the next logout of a token of it, although the token is refused already: the refresh token stops
/// working too, and the session can't come back when the marker lapses.
#[tokio::test]
async fn a_logout_that_failed_halfway_is_finished_by_the_next_one() {
    let (store, sessions, layer) = Flaky::sessions();
    *store.partial.lock().unwrap() = Some(Default::default());
    let pair = sessions.login("alice", &scope()).await.unwrap();
    let (_, info) = layer.verify_token(pair.access_token()).unwrap();
    assert!(matches!(
        sessions.logout(&info).await,
        Err(SessionError::Unavailable(_))
    ));
    assert_eq!(
        send(&layer, bearer(pair.access_token())).await.status(),
        StatusCode::UNAUTHORIZED,
        "the marker was written"
    );
    sessions.logout(&info).await.unwrap();
    assert!(
        sessions.refresh(pair.refresh_token()).await.is_err(),
        "the session's row is gone: its refresh token can't outlive the marker"
    );
}

/// A login that races a logout everywhere of its user — its `auth_time` before the logout-all, its session
/// stored after the logout-all ended the user's sessions — is ended at once and answered as unavailable, so no
/// session of it survives the logout-all's marker; the next login works.
#[tokio::test]
async fn a_login_that_races_a_logout_everywhere_is_ended_at_once() {
    let (store, sessions, layer) = Flaky::sessions();
    store.race.store(true, std::sync::atomic::Ordering::SeqCst);
    let raced = sessions.login("alice", &scope()).await;
    assert!(
        matches!(raced, Err(SessionError::Unavailable(_))),
        "{raced:?}"
    );
    // Nothing of it is left to refresh once the logout-all's marker lapses: the session was ended.
    assert_eq!(
        store.inner.len(),
        2,
        "the subject's and the session's markers, no live session"
    );
    let again = sessions.login("alice", &scope()).await.unwrap();
    assert_eq!(
        send(&layer, bearer(again.access_token())).await.status(),
        StatusCode::OK
    );
}
