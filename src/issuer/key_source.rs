//! The keys of the layer's own issuer, as a key source: a layer wired to sessions accepts what their issuer
//! signs with, before and after a rotation, with no restart and no key given twice.

use std::fmt;

use jsonwebtoken::crypto::CryptoProvider;
use jsonwebtoken::Algorithm;

use crate::error::AuthErrorKind;
use crate::issuer::TokenIssuer;
use crate::keys::source::{KeyLookup, KeySource, SelectedKey};
use crate::keys::verification::VerificationKey;

/// The signing keys of a [`TokenIssuer`], looked up by `kid` among those still published.
pub(crate) struct IssuerKeys(pub(crate) TokenIssuer);

impl fmt::Debug for IssuerKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("IssuerKeys").finish_non_exhaustive()
    }
}

impl IssuerKeys {
    /// Whether any of `keys` is a key of the issuer's ring (active, staged, or retired and still kept), compared
    /// by key material: such a static copy would stay trusted after the ring drops the key.
    pub(crate) fn holds_any<'k>(
        &self,
        keys: impl IntoIterator<Item = &'k VerificationKey>,
        provider: &CryptoProvider,
    ) -> bool {
        let ring = self.0.ring();
        keys.into_iter().any(|key| {
            ring.keys
                .iter()
                .any(|own| own.verification.same_material(key, provider))
        })
    }
}

impl KeySource for IssuerKeys {
    fn lookup(&self, kid: Option<&str>, alg: Algorithm, _may_wait: bool) -> KeyLookup<'static> {
        let now = self.0.clock().now();
        let ring = self.0.ring();
        // The staged key signs nothing yet: published for other verifiers, not trusted here.
        let named: Vec<_> = ring
            .live(now)
            .filter(|key| !ring.is_staged(key))
            .filter(|key| match kid {
                Some(kid) => key.verification.kid() == Some(kid),
                // A token without `kid` can only be the active key's.
                None => std::ptr::eq(*key, &ring.keys[0]),
            })
            .collect();
        if named.is_empty() {
            return KeyLookup::Refused(AuthErrorKind::UnknownKey);
        }
        let found: Vec<_> = named
            .into_iter()
            .filter(|key| key.verification.algorithm() == alg)
            .map(|key| SelectedKey::Shared(key.verification.clone()))
            .collect();
        match found.is_empty() {
            true => KeyLookup::Refused(AuthErrorKind::UnsupportedAlgorithm),
            false => KeyLookup::Found(found),
        }
    }

    fn generation(&self) -> u64 {
        self.0.key_generation()
    }
}
