//! The verified-token cache (its semantics are documented on
//! [`JwtAuthBuilder::token_cache_size`](crate::JwtAuthBuilder::token_cache_size)).

use std::fmt;

use quick_cache::sync::Cache;
use quick_cache::Weighter;

use crate::{Claims, TokenInfo};

/// Default bound on the cache's weight: 16 MiB of token text and claims (about 20 000 typical tokens).
pub const DEFAULT_TOKEN_CACHE_BYTES: u64 = 16 * 1024 * 1024;

/// What a hit returns: everything the request extensions need, as pointer copies.
pub(crate) struct CachedToken<C> {
    pub(crate) claims: Claims<C>,
    pub(crate) info: TokenInfo,
    /// The key generation the token was verified under; another one means verify again.
    pub(crate) generation: u64,
}

impl<C> Clone for CachedToken<C> {
    fn clone(&self) -> Self {
        Self {
            claims: self.claims.clone(),
            info: self.info.clone(),
            generation: self.generation,
        }
    }
}

#[derive(Clone)]
struct ByTokenLength;

impl<C> Weighter<Box<str>, CachedToken<C>> for ByTokenLength {
    fn weight(&self, token: &Box<str>, _: &CachedToken<C>) -> u64 {
        // The token text, its decoded claims (shorter than the text), and fixed per-entry overhead.
        2 * token.len() as u64 + 128
    }
}

pub(crate) struct TokenCache<C> {
    cache: Cache<Box<str>, CachedToken<C>, ByTokenLength>,
}

impl<C> fmt::Debug for TokenCache<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenCache")
            .field("entries", &self.cache.len())
            .field("weight", &self.cache.weight())
            .finish()
    }
}

impl<C> TokenCache<C> {
    pub(crate) fn new(max_bytes: u64) -> Self {
        let estimated_items = (max_bytes / 1024).clamp(16, 1 << 20) as usize;
        Self {
            cache: Cache::with_weighter(estimated_items, max_bytes, ByTokenLength),
        }
    }

    pub(crate) fn get(&self, token: &str) -> Option<CachedToken<C>> {
        self.cache.get(token)
    }

    pub(crate) fn insert(&self, token: &str, entry: CachedToken<C>) {
        self.cache.insert(token.into(), entry);
    }

    pub(crate) fn remove(&self, token: &str) {
        self.cache.remove(token);
    }

    pub(crate) fn len(&self) -> usize {
        self.cache.len()
    }

    pub(crate) fn weight(&self) -> u64 {
        self.cache.weight()
    }
}
