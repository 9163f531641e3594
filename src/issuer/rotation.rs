//! Rotating an issuer's signing keys: [`TokenIssuer::rotate`], [`stage`](TokenIssuer::stage),
//! [`retire`](TokenIssuer::retire) and the published JWK Set.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use jsonwebtoken::jwk::JwkSet;

use super::builder::check_signs;
use super::TokenIssuer;
use crate::error::ConfigError;
use crate::issuer::ring::KeyRing;
use crate::issuer::signing::SigningKey;

impl TokenIssuer {
    /// Replaces the ring with `change(ring)`, under the lock (so concurrent changes apply one after the other).
    pub(super) fn replace_ring(
        &self,
        change: impl FnOnce(&KeyRing) -> Result<KeyRing, ConfigError>,
    ) -> Result<(), ConfigError> {
        let mut ring = self.inner.ring.write().unwrap_or_else(|e| e.into_inner());
        let changed = change(&ring)?;
        self.inner
            .generation
            .store(changed.generation, Ordering::Release);
        *ring = Arc::new(changed);
        Ok(())
    }

    /// The version of the signing keys: it changes with every rotation, staging and retirement.
    pub(crate) fn key_generation(&self) -> u64 {
        self.inner.generation.load(Ordering::Acquire)
    }

    /// The signing keys now: the active one, and the retired ones still published.
    pub(crate) fn ring(&self) -> Arc<KeyRing> {
        Arc::clone(&self.inner.ring.read().unwrap_or_else(|e| e.into_inner()))
    }

    /// Rotates to a new signing key, without a restart: new tokens are signed with `key` from now on, and the
    /// key it replaces stays published in [`jwks`](Self::jwks) — and accepted by every layer wired to sessions
    /// on this issuer — until every token it signed has expired (its lifetime plus
    /// [`REVOCATION_MARGIN`](crate::store::REVOCATION_MARGIN), which covers any layer's leeway). Keys retired longer
    /// ago are dropped.
    ///
    /// Both keys need `kid`s ([`SigningKey::with_kid`]), distinct from every key still published (except the
    /// key [`stage`](Self::stage)d for this rotation): tokens name the key that signed them, and verifiers pick
    /// it by that name. The new key must be able to sign. A verifier that caches the JWK Set meets the new
    /// `kid` before it refetches unless the key was staged first; this crate's `Jwks` (feature `jwks`)
    /// refetches on an unknown `kid`, at most once per `unknown_kid_interval` (10 s by default).
    ///
    /// ```
    /// use tower_jwt_auth::{Algorithm, SigningKey, TokenIssuer};
    ///
    /// let key = |kid: &str, byte| SigningKey::hmac(Algorithm::HS256, &[byte; 32]).unwrap().with_kid(kid).unwrap();
    /// let issuer = TokenIssuer::builder(key("2026-11", 1)).issuer("demo").audience("api").build().unwrap();
    /// issuer.rotate(key("2026-12", 2)).unwrap();
    /// assert_eq!(issuer.active_kid().as_deref(), Some("2026-12"));
    /// assert!(issuer.rotate(key("2026-12", 3)).is_err(), "a kid still in use");
    /// ```
    pub fn rotate(&self, key: SigningKey) -> Result<(), ConfigError> {
        let inner = &*self.inner;
        check_signs(&key, inner.provider)?;
        let now = inner.clock.now();
        let retire_at = now
            .saturating_add(inner.ttl)
            .saturating_add(crate::store::REVOCATION_MARGIN.as_secs() as i64);
        self.replace_ring(|ring| ring.rotate(key, &inner.typ, retire_at, now, inner.provider))
    }

    /// Publishes `key` ahead of its use: it joins [`jwks`](Self::jwks) (and the keys layers wired to these
    /// sessions trust) now, but signs nothing until [`rotate`](Self::rotate) activates it. Stage the next key
    /// at least as long before the rotation as verifiers cache the JWK Set
    /// ([`JwksEndpoint`](crate::issuer::JwksEndpoint) lets them keep it 300 s), and no verifier ever meets a `kid` it has not fetched. Staging another key
    /// withdraws the one staged before. The key needs a `kid` no published key has.
    pub fn stage(&self, key: SigningKey) -> Result<(), ConfigError> {
        let inner = &*self.inner;
        check_signs(&key, inner.provider)?;
        let now = inner.clock.now();
        self.replace_ring(|ring| ring.stage(&key, now, inner.provider))
    }

    /// Drops the retired (or staged) key `kid` at once, before its tokens expire — for a key that may be
    /// compromised: it leaves [`jwks`](Self::jwks), and layers wired to these sessions refuse its tokens from
    /// now on (so sliding can't re-sign a forged one with the active key). Other verifiers stop accepting it
    /// when they refetch the set. The active key can't be retired: [`rotate`](Self::rotate) away from it
    /// first.
    pub fn retire(&self, kid: &str) -> Result<(), ConfigError> {
        self.replace_ring(|ring| ring.retire(kid))
    }

    /// The `kid` of the key that signs new tokens.
    pub fn active_kid(&self) -> Option<String> {
        self.ring().active.kid.clone()
    }

    /// The public keys of this issuer as a JWK Set (RFC 7517 §5): the active key and the retired keys still
    /// published, each with its `kid`, `alg` and `use: sig`. HMAC secrets are never published (the set is then
    /// empty). Serve it with [`JwksEndpoint`](crate::issuer::JwksEndpoint).
    pub fn jwks(&self) -> JwkSet {
        let now = self.inner.clock.now();
        JwkSet {
            keys: self
                .ring()
                .live(now)
                .filter_map(|key| key.jwk.clone())
                .collect(),
        }
    }
}
