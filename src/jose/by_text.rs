//! A bounded cache keyed by the text of a compact JWS — an access token, a DPoP proof — for what is known of
//! that exact text: a verification, or a refusal no later request can change.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use quick_cache::sync::Cache;
use quick_cache::{Equivalent, Weighter};

/// How many of a text's last bytes its key hashes.
const HASHED_TAIL: usize = 32;

/// A cached text. Hashed by its length and its last [`HASHED_TAIL`] bytes — a JWS ends in its signature, so
/// those bytes already differ from one to the next — and compared byte for byte. Hashing the whole text would
/// make every lookup cost in proportion to it (an RS256 token is twice an ES256 one); only texts the crate
/// verified or refused enter, and the hasher is seeded per cache, so nobody fills a bucket with chosen collisions.
#[derive(PartialEq, Eq)]
struct TextKey(Arc<str>);

/// A text looked up by its bytes (not yet known to be UTF-8): hashed as [`TextKey`] hashes, equal to the key
/// with the same bytes.
struct Probe<'t>(&'t [u8]);

fn hash_text<H: Hasher>(bytes: &[u8], state: &mut H) {
    state.write_usize(bytes.len());
    state.write(&bytes[bytes.len().saturating_sub(HASHED_TAIL)..]);
}

impl Hash for TextKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        hash_text(self.0.as_bytes(), state);
    }
}

impl Hash for Probe<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        hash_text(self.0, state);
    }
}

impl Equivalent<TextKey> for Probe<'_> {
    fn equivalent(&self, key: &TextKey) -> bool {
        self.0 == key.0.as_bytes()
    }
}

#[derive(Clone)]
struct ByLength;

impl<V> Weighter<TextKey, V> for ByLength {
    fn weight(&self, text: &TextKey, _: &V) -> u64 {
        // The text, what is known of it (at most as long), and fixed per-entry overhead.
        2 * text.0.len() as u64 + 128
    }
}

/// Values by JWS text, bounded to about `max_bytes` (S3-FIFO eviction: a flood of one-off texts passes through
/// without pushing out those in steady use).
pub(crate) struct ByText<V> {
    cache: Cache<TextKey, V, ByLength>,
}

impl<V: Clone> fmt::Debug for ByText<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ByText")
            .field("entries", &self.cache.len())
            .field("weight", &self.cache.weight())
            .finish()
    }
}

impl<V: Clone> ByText<V> {
    pub(crate) fn new(max_bytes: u64) -> Self {
        let estimated_items = (max_bytes / 1024).clamp(16, 1 << 20) as usize;
        Self {
            cache: Cache::with_weighter(estimated_items, max_bytes.max(1), ByLength),
        }
    }

    /// The value for the text of these bytes, if any.
    pub(crate) fn get(&self, text: &[u8]) -> Option<V> {
        self.cache.get(&Probe(text))
    }

    /// Keeps `value` for `text` (shared with the key: a value may hold the same `Arc`).
    pub(crate) fn insert(&self, text: Arc<str>, value: V) {
        self.cache.insert(TextKey(text), value);
    }

    pub(crate) fn remove(&self, text: &[u8]) {
        self.cache.remove(&Probe(text));
    }

    pub(crate) fn len(&self) -> usize {
        self.cache.len()
    }

    pub(crate) fn weight(&self) -> u64 {
        self.cache.weight()
    }
}
