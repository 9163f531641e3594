//! The verified-token cache (its semantics are documented on
//! [`JwtAuthBuilder::token_cache_size`](crate::JwtAuthBuilder::token_cache_size)).

use std::fmt;
use std::sync::Arc;

use crate::error::{AuthError, AuthErrorKind};
use crate::jose::by_text::ByText;
use crate::{Claims, TokenInfo};

/// Default bound on the cache's weight: 16 MiB of token text and claims (about 20 000 typical tokens).
pub const DEFAULT_TOKEN_CACHE_BYTES: u64 = 16 * 1024 * 1024;

/// The share of the bound the refused tokens may take (an eighth: 2 MiB of the default 16; verified tokens
/// have the rest).
const REFUSED_SHARE: u64 = 8;

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

/// A hit: the cached token's text (shared with its key: a request whose token bytes were found needs no
/// UTF-8 check of its own) and its verification.
pub(crate) struct Hit<C> {
    pub(crate) text: Arc<str>,
    pub(crate) token: CachedToken<C>,
}

impl<C> Clone for Hit<C> {
    fn clone(&self) -> Self {
        Self {
            text: Arc::clone(&self.text),
            token: self.token.clone(),
        }
    }
}

/// A refusal that no later request can change while the keys stay the same: the token's structure or encoding
/// is broken, its header names what is never accepted, the signature did not verify, or the signed claims fail
/// a rule that time and the request cannot change (`exp` passed, issuer, audience, type, a required or
/// malformed claim). Kept so a flood of one such token costs a lookup, not a signature
/// check each; a refusal that may change (an unknown key a key-set fetch may bring, `nbf` in the future) is
/// never kept.
#[derive(Clone)]
struct Refusal {
    error: AuthError,
    generation: u64,
}

fn is_lasting(kind: AuthErrorKind) -> bool {
    matches!(
        kind,
        AuthErrorKind::InvalidSignature
            | AuthErrorKind::InvalidToken
            | AuthErrorKind::UnsupportedAlgorithm
            | AuthErrorKind::UnsupportedHeader
            | AuthErrorKind::Expired
            | AuthErrorKind::InvalidIssuer
            | AuthErrorKind::InvalidAudience
            | AuthErrorKind::InvalidType
            | AuthErrorKind::MissingClaim
            | AuthErrorKind::InvalidClaim
    )
}

pub(crate) struct TokenCache<C> {
    cache: ByText<Hit<C>>,
    /// Tokens refused for good under a key generation, in a bound of their own, so a flood of refused tokens
    /// never evicts a verified one.
    refused: ByText<Refusal>,
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
        let refused_bytes = (max_bytes / REFUSED_SHARE).max(1);
        Self {
            cache: ByText::new(max_bytes - refused_bytes.min(max_bytes)),
            refused: ByText::new(refused_bytes),
        }
    }

    /// The refusal kept for `token` under key `generation`, if any.
    pub(crate) fn refusal(&self, token: &[u8], generation: u64) -> Option<AuthError> {
        self.refused
            .get(token)
            .filter(|refusal| refusal.generation == generation)
            .map(|refusal| refusal.error)
    }

    /// Keeps `error` for `token` under key `generation` when no later request can change it.
    pub(crate) fn refuse(&self, token: &str, error: &AuthError, generation: u64) {
        if is_lasting(error.kind()) {
            let refusal = Refusal {
                error: error.clone(),
                generation,
            };
            self.refused.insert(token.into(), refusal);
        }
    }

    /// The entry for the token of these bytes, if any.
    pub(crate) fn get(&self, token: &[u8]) -> Option<Hit<C>> {
        self.cache.get(token)
    }

    pub(crate) fn insert(&self, token: &str, entry: CachedToken<C>) {
        let text: Arc<str> = token.into();
        let hit = Hit {
            text: Arc::clone(&text),
            token: entry,
        };
        self.cache.insert(text, hit);
    }

    pub(crate) fn remove(&self, token: &str) {
        self.cache.remove(token.as_bytes());
    }

    pub(crate) fn len(&self) -> usize {
        self.cache.len()
    }

    /// The weight of verified and refused tokens together (at most the bound the cache was made with).
    pub(crate) fn weight(&self) -> u64 {
        self.cache.weight() + self.refused.weight()
    }
}
