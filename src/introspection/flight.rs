//! The introspection answers' cache: bounded, each entry reused until its own deadline, and one call in flight
//! per token however many requests wait for it (single flight).

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex};

use quick_cache::sync::Cache;
use sha2::{Digest, Sha256};
use tokio::sync::OnceCell;

use crate::introspection::client::Failure;

/// A token's key: its SHA-256 (the cache never holds a token).
pub(crate) type TokenKey = [u8; 32];

/// The key of `token`.
pub(crate) fn token_key(token: &str) -> TokenKey {
    Sha256::digest(token.as_bytes()).into()
}

/// One call's outcome, shared by everyone who waited for it: the value and until when it may be reused.
type Shared<V> = Arc<OnceCell<Result<(V, i64), Failure>>>;

/// Answers by token key, and the calls in flight.
pub(crate) struct AnswerCache<V> {
    answers: Cache<TokenKey, (V, i64)>,
    in_flight: Mutex<HashMap<TokenKey, Shared<V>>>,
}

impl<V> fmt::Debug for AnswerCache<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AnswerCache").finish_non_exhaustive()
    }
}

impl<V: Clone> AnswerCache<V> {
    /// A cache of at most `capacity` answers.
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            answers: Cache::new(capacity),
            in_flight: Mutex::new(HashMap::new()),
        }
    }

    /// The cached answer for `key`, if it may still be used at `now`.
    pub(crate) fn get(&self, key: &TokenKey, now: i64) -> Option<V> {
        let (value, until) = self.answers.get(key)?;
        if until > now {
            return Some(value);
        }
        self.answers.remove(key);
        None
    }

    /// How many answers are cached.
    pub(crate) fn len(&self) -> usize {
        self.answers.len()
    }

    /// The answer for `key`: `call` runs once for all the requests waiting for it at the same time (if the
    /// request running it goes away, another waiting one runs it). A success is cached until the deadline it
    /// comes with (when that is after `now`); a failure is shared with the waiters, never cached.
    pub(crate) async fn get_or_call<F, Fut>(
        &self,
        key: TokenKey,
        now: i64,
        call: F,
    ) -> Result<V, Failure>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<(V, i64), Failure>>,
    {
        let shared = {
            let mut in_flight = self.lock();
            // Answers are cached under this lock: one that landed since the caller looked is found here.
            if let Some(value) = self.get(&key, now) {
                return Ok(value);
            }
            Arc::clone(in_flight.entry(key).or_default())
        };
        let outcome = shared.get_or_init(call).await.clone();
        let mut in_flight = self.lock();
        if in_flight
            .get(&key)
            .is_some_and(|current| Arc::ptr_eq(current, &shared))
        {
            in_flight.remove(&key);
            if let Ok((value, until)) = &outcome {
                if *until > now {
                    self.answers.insert(key, (value.clone(), *until));
                }
            }
        }
        outcome.map(|(value, _)| value)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<TokenKey, Shared<V>>> {
        self.in_flight.lock().unwrap_or_else(|e| e.into_inner())
    }
}
