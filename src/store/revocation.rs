//! The revocation check the verifying layer consults when a store is configured.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use crate::token::info::TokenInfo;

/// How long a revocation outlives the latest expiry (`exp`) of the tokens it covers: the largest leeway a layer
/// accepts (300 s, [`JwtAuthBuilder::leeway`](crate::JwtAuthBuilder::leeway)) plus 60 s for requests in flight.
///
/// A layer accepts a token until `exp + leeway`; a revocation marker that disappeared at `exp` would let a
/// logged-out token work again inside the leeway. [`Sessions`](crate::Sessions) computes every marker's
/// lifetime as *covered expiry + this margin*, so stores never pick lifetimes of their own:
///
/// | revocation | covers tokens until | marker kept until |
/// |---|---|---|
/// | a token's `jti` (logout, `/revoke`) | its `exp` | `exp` + margin |
/// | a session (logout, refresh-token reuse, `/revoke`) | tokens issued before now: now + access TTL | now + TTL + margin |
/// | a subject ("log out everywhere") | tokens issued before now: now + access TTL | now + TTL + margin |
/// | an identity provider's session or subject (back-channel logout) | the provider's tokens issued before now | now + the provider's longest token lifetime + margin ([`BackchannelLogout::max_token_lifetime`](crate::session::BackchannelLogout::max_token_lifetime)) |
pub const REVOCATION_MARGIN: Duration = Duration::from_secs(360);

/// A store call that did not succeed; the layer answers 503 and never accepts the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreError {
    message: String,
}

impl StoreError {
    /// A store failure described by `message` (never include tokens or secrets).
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "store unavailable: {}", self.message)
    }
}

impl std::error::Error for StoreError {}

/// A boxed, `'static` store future.
pub type StoreFuture<T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'static>>;

/// The answer to a store query: already known (an in-process store) or on its way (a network store).
///
/// Stores that can answer without waiting return [`Lookup::Ready`], which keeps the layer's fast path free of
/// boxing and of cloning the inner service.
pub enum Lookup<T> {
    /// The answer, available now.
    Ready(Result<T, StoreError>),
    /// The answer, once the future resolves.
    Pending(StoreFuture<T>),
}

impl<T> fmt::Debug for Lookup<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Ready(_) => "Lookup::Ready",
            Self::Pending(_) => "Lookup::Pending",
        })
    }
}

impl<T: Send + 'static> Lookup<T> {
    /// Waits for the answer, whichever form it has.
    pub async fn resolve(self) -> Result<T, StoreError> {
        match self {
            Self::Ready(result) => result,
            Self::Pending(future) => future.await,
        }
    }
}

/// Tells whether a verified access token has been revoked: its `jti`, its session (`sid`), or every token its
/// subject (`sub`) received before a "log out everywhere" time ([`TokenInfo::is_logged_out_by`]).
///
/// `jti` and `sid` revocations match those ids whatever the token's issuer (this crate's ids are 128-bit
/// random values). Subject revocations ("log out everywhere") are per issuer: they match the `sub` of tokens
/// whose `iss` is the [`Sessions`](crate::Sessions)' issuer, whose lifetimes the marker is sized for; a
/// partner issuer's or an identity provider's `alice` is not logged out by the local `alice`'s logout-all.
/// An identity provider's revocations (its back-channel logout:
/// [`SessionStore::revoke_issuer_session`](crate::SessionStore::revoke_issuer_session) and
/// [`revoke_issuer_subject`](crate::SessionStore::revoke_issuer_subject)) are per issuer too: they match only
/// tokens whose `iss` is that provider, never the local issuer's nor another provider's.
///
/// Implemented by [`MemoryStore`](crate::MemoryStore); implement it for your own store to share revocations
/// between processes.
pub trait RevocationCheck: Send + Sync + 'static {
    /// Whether the token is revoked. Errors make the layer answer 503.
    fn is_revoked(&self, token: &TokenInfo) -> Lookup<bool>;
}
