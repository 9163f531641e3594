//! Opaque refresh tokens: making, parsing and authenticating them (the format is described in the
//! [`session`](crate::session) module).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::issue::{random_bytes, random_id};

const PREFIX: &str = "rt_";
/// Longest decimal generation accepted (u64::MAX has 20 digits).
const MAX_GENERATION_DIGITS: usize = 20;

/// A parsed refresh token.
pub(crate) struct RefreshToken {
    session_id: String,
    generation: u64,
    secret: [u8; 32],
}

fn mac(key: &[u8; 32], purpose: &[u8], session_id: &str, generation: u64, data: &[u8]) -> [u8; 32] {
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(purpose);
    mac.update(session_id.as_bytes());
    mac.update(b"\0");
    mac.update(&generation.to_be_bytes());
    mac.update(data);
    mac.finalize().into_bytes().into()
}

impl RefreshToken {
    fn with_entropy(
        session_id: String,
        generation: u64,
        entropy: [u8; 16],
        key: &[u8; 32],
    ) -> Self {
        let tag = mac(
            key,
            b"tower-jwt-auth refresh tag\0",
            &session_id,
            generation,
            &entropy,
        );
        let mut secret = [0u8; 32];
        secret[..16].copy_from_slice(&entropy);
        secret[16..].copy_from_slice(&tag[..16]);
        Self {
            session_id,
            generation,
            secret,
        }
    }

    /// The first token of a new session (with a fresh session id).
    pub(crate) fn generate(key: &[u8; 32]) -> Self {
        Self::with_entropy(random_id(), 0, random_bytes::<16>(), key)
    }

    /// The next generation of this token, derived from this one's secret under `key`.
    pub(crate) fn successor(&self, key: &[u8; 32]) -> Self {
        let generation = self.generation.saturating_add(1);
        let derived = mac(
            key,
            b"tower-jwt-auth refresh successor\0",
            &self.session_id,
            generation,
            &self.secret,
        );
        let mut entropy = [0u8; 16];
        entropy.copy_from_slice(&derived[..16]);
        Self::with_entropy(self.session_id.clone(), generation, entropy, key)
    }

    /// Whether this token was minted under `key` (its tag verifies), whatever its generation.
    pub(crate) fn is_authentic(&self, key: &[u8; 32]) -> bool {
        let mut entropy = [0u8; 16];
        entropy.copy_from_slice(&self.secret[..16]);
        let expected = Self::with_entropy(self.session_id.clone(), self.generation, entropy, key);
        subtle::ConstantTimeEq::ct_eq(&expected.secret[..], &self.secret[..]).into()
    }

    /// Parses `rt_<session>.<generation>.<secret>` strictly (canonical base64url, no leading zeros).
    pub(crate) fn parse(token: &str) -> Option<Self> {
        let mut parts = token.strip_prefix(PREFIX)?.split('.');
        let (Some(session_id), Some(generation), Some(secret), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return None;
        };
        if URL_SAFE_NO_PAD.decode(session_id).ok()?.len() != 16 {
            return None;
        }
        let canonical = !generation.is_empty()
            && generation.len() <= MAX_GENERATION_DIGITS
            && generation.bytes().all(|b| b.is_ascii_digit())
            && (generation == "0" || !generation.starts_with('0'));
        if !canonical {
            return None;
        }
        let generation = generation.parse().ok()?;
        let secret = URL_SAFE_NO_PAD.decode(secret).ok()?.try_into().ok()?;
        Some(Self {
            session_id: session_id.to_owned(),
            generation,
            secret,
        })
    }

    pub(crate) fn session_id(&self) -> &str {
        &self.session_id
    }

    pub(crate) fn generation(&self) -> u64 {
        self.generation
    }

    pub(crate) fn secret_hash(&self) -> [u8; 32] {
        Sha256::digest(self.secret).into()
    }

    pub(crate) fn encode(&self) -> String {
        format!(
            "{PREFIX}{}.{}.{}",
            self.session_id,
            self.generation,
            URL_SAFE_NO_PAD.encode(self.secret)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: [u8; 32] = [1; 32];

    #[test]
    fn round_trip_and_strict_parsing() {
        let token = RefreshToken::generate(&KEY);
        let text = token.encode();
        assert!(text.len() >= 3 + 22 + 1 + 1 + 1 + 43);
        let parsed = RefreshToken::parse(&text).unwrap();
        assert_eq!(parsed.session_id(), token.session_id());
        assert_eq!(parsed.generation(), 0);
        assert_eq!(parsed.secret_hash(), token.secret_hash());
        let next = token.successor(&KEY).encode();
        assert_eq!(RefreshToken::parse(&next).unwrap().generation(), 1);
        assert!(RefreshToken::parse(&text[3..]).is_none());
        assert!(RefreshToken::parse(&format!("{text}x")).is_none());
        assert!(RefreshToken::parse(&format!("{text}.x")).is_none());
        assert!(RefreshToken::parse("rt_abc.0.ghi").is_none());
        let sid = token.session_id();
        let secret = text.rsplit('.').next().unwrap();
        for generation in ["", "01", "+1", "-1", "1a", "123456789012345678901"] {
            let forged = format!("rt_{sid}.{generation}.{secret}");
            assert!(RefreshToken::parse(&forged).is_none(), "{generation:?}");
        }
    }

    #[test]
    fn successors_are_deterministic_per_key_and_every_generation_is_authentic() {
        let token = RefreshToken::generate(&KEY);
        let a = token.successor(&KEY);
        let b = token.successor(&KEY);
        let c = token.successor(&[2; 32]);
        assert_eq!(a.encode(), b.encode());
        assert_ne!(a.encode(), c.encode());
        assert_eq!(a.session_id, token.session_id);
        let mut current = a;
        for _ in 0..9 {
            assert!(current.is_authentic(&KEY));
            current = current.successor(&KEY);
        }
        assert_eq!(current.generation(), 10);
        assert!(token.is_authentic(&KEY) && current.is_authentic(&KEY));
        assert!(!token.is_authentic(&[2; 32]), "another key");
        let mut forged = RefreshToken::parse(&current.encode()).unwrap();
        forged.generation = 3;
        assert!(!forged.is_authentic(&KEY), "the tag binds the generation");
        forged = RefreshToken::parse(&current.encode()).unwrap();
        forged.secret[0] ^= 1;
        assert!(!forged.is_authentic(&KEY), "the tag binds the entropy");
    }
}
