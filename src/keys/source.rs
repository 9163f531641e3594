//! Where keys that are not configured statically come from: the [`KeySource`] trait, which remote key sets
//! implement, and what a lookup answers.

use std::fmt;
use std::future::Future;
use std::ops::Deref;
use std::pin::Pin;
use std::sync::Arc;

use jsonwebtoken::Algorithm;

use crate::error::AuthErrorKind;
use crate::keys::verification::VerificationKey;

/// A set of keys that may change while the layer runs (a JWK Set URL, OpenID Connect discovery): looked up per
/// token, possibly asking the caller to wait for one fetch.
pub(crate) trait KeySource: Send + Sync + fmt::Debug {
    /// The keys for `kid` and `alg`, a wait for one fetch (only when `may_wait`), or a refusal.
    fn lookup(&self, kid: Option<&str>, alg: Algorithm, may_wait: bool) -> KeyLookup<'static>;

    /// The version of the keys; a token cached under another version is verified again.
    fn generation(&self) -> u64;
}

/// Waiting for a remote key set to be fetched (only remote key sets ever wait).
pub(crate) type KeyWait = Pin<Box<dyn Future<Output = ()> + Send>>;

/// A key chosen for a token.
pub(crate) enum SelectedKey<'a> {
    Static(&'a VerificationKey),
    Shared(Arc<VerificationKey>),
}

impl Deref for SelectedKey<'_> {
    type Target = VerificationKey;
    fn deref(&self) -> &VerificationKey {
        match self {
            Self::Static(key) => key,
            Self::Shared(key) => key,
        }
    }
}

/// The outcome of looking up a token's key.
pub(crate) enum KeyLookup<'a> {
    /// The candidate keys, all of the token's algorithm (several when keys share a `kid`): any may verify it.
    Found(Vec<SelectedKey<'a>>),
    Refused(AuthErrorKind),
    /// A remote key set may know the key after a fetch: wait, then look again (without waiting a second time).
    #[cfg_attr(not(feature = "jwks"), allow(dead_code))]
    Wait(KeyWait),
}
