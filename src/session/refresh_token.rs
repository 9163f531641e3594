//! Opaque refresh tokens: `rt_<id>.<secret>`, 128-bit id and 256-bit secret, base64url. Only SHA-256(secret)
//! is stored.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::issue::random_bytes;

const PREFIX: &str = "rt_";

/// A parsed refresh token.
pub(crate) struct RefreshToken {
    pub(crate) id: String,
    secret: [u8; 32],
}

impl RefreshToken {
    /// A new random token.
    pub(crate) fn generate() -> Self {
        Self {
            id: URL_SAFE_NO_PAD.encode(random_bytes::<16>()),
            secret: random_bytes::<32>(),
        }
    }

    /// The successor of `self`, with the given id. Its secret is derived from this token's secret with a server
    /// key, so a retry inside the grace period can hand out the same successor again while the store keeps only
    /// hashes, and nobody without the key can compute it.
    pub(crate) fn successor(&self, id: String, key: &[u8; 32]) -> Self {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes keys of any length");
        mac.update(b"tower-jwt-auth refresh successor\0");
        mac.update(&self.secret);
        mac.update(id.as_bytes());
        Self {
            id,
            secret: mac.finalize().into_bytes().into(),
        }
    }

    pub(crate) fn new_id() -> String {
        URL_SAFE_NO_PAD.encode(random_bytes::<16>())
    }

    pub(crate) fn parse(token: &str) -> Option<Self> {
        let rest = token.strip_prefix(PREFIX)?;
        let (id, secret) = rest.split_once('.')?;
        let id_bytes = URL_SAFE_NO_PAD.decode(id).ok()?;
        let secret = URL_SAFE_NO_PAD.decode(secret).ok()?;
        if id_bytes.len() != 16 {
            return None;
        }
        Some(Self {
            id: id.to_owned(),
            secret: secret.try_into().ok()?,
        })
    }

    pub(crate) fn secret_hash(&self) -> [u8; 32] {
        Sha256::digest(self.secret).into()
    }

    pub(crate) fn encode(&self) -> String {
        format!(
            "{PREFIX}{}.{}",
            self.id,
            URL_SAFE_NO_PAD.encode(self.secret)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_strict_parsing() {
        let token = RefreshToken::generate();
        let text = token.encode();
        let parsed = RefreshToken::parse(&text).unwrap();
        assert_eq!(parsed.id, token.id);
        assert_eq!(parsed.secret_hash(), token.secret_hash());
        assert!(RefreshToken::parse(&text[3..]).is_none());
        assert!(RefreshToken::parse(&format!("{text}x")).is_none());
        assert!(RefreshToken::parse("rt_abc.def").is_none());
    }

    #[test]
    fn successors_are_deterministic_per_key() {
        let token = RefreshToken::generate();
        let id = RefreshToken::new_id();
        let a = token.successor(id.clone(), &[1; 32]);
        let b = token.successor(id.clone(), &[1; 32]);
        let c = token.successor(id, &[2; 32]);
        assert_eq!(a.encode(), b.encode());
        assert_ne!(a.encode(), c.encode());
    }
}
