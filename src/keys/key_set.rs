//! The static keys of one trust domain, looked up by `kid`.

use std::collections::HashMap;

use crate::keys::verification::VerificationKey;

/// The trusted keys, looked up by `kid`. Several keys may share a `kid` (a rotation overlap): all of them are
/// tried. A token without `kid` is verified with the keys that have none, or with the keys of the only `kid`
/// there is.
#[derive(Debug, Clone, Default)]
pub(crate) struct KeySet {
    by_kid: HashMap<String, Vec<VerificationKey>>,
    without_kid: Vec<VerificationKey>,
}

impl KeySet {
    pub(crate) fn insert(&mut self, key: VerificationKey) {
        match key.kid.clone() {
            Some(kid) => self.by_kid.entry(kid).or_default().push(key),
            None => self.without_kid.push(key),
        }
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &VerificationKey> {
        self.by_kid
            .values()
            .flatten()
            .chain(self.without_kid.iter())
    }

    /// The keys a token names (empty when none).
    pub(crate) fn select(&self, kid: Option<&str>) -> &[VerificationKey] {
        match kid {
            Some(kid) => self.by_kid.get(kid).map_or(&[], Vec::as_slice),
            None if !self.without_kid.is_empty() => &self.without_kid,
            None if self.by_kid.len() == 1 => {
                self.by_kid.values().next().map_or(&[], Vec::as_slice)
            }
            None => &[],
        }
    }
}
