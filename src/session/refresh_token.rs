//! Opaque refresh tokens: `rt_<session>.<token>.<secret>`, two 128-bit ids and a 256-bit secret, base64url.
//! The store is keyed by `<session>.<token>` and keeps only SHA-256(secret). Carrying the session id lets a
//! store keep all of a session's keys together (one Redis Cluster slot) without a lookup.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::issue::{random_bytes, random_id};

const PREFIX: &str = "rt_";

/// A parsed refresh token.
pub(crate) struct RefreshToken {
    session_id: String,
    token_id: String,
    secret: [u8; 32],
}

impl RefreshToken {
    /// The first token of a session.
    pub(crate) fn generate(session_id: &str) -> Self {
        Self {
            session_id: session_id.to_owned(),
            token_id: random_id(),
            secret: random_bytes::<32>(),
        }
    }

    /// The successor of `self`, with a fresh token id in the same session. Its secret is derived from this
    /// token's secret with a server key, so a retry inside the grace period can hand out the same successor
    /// again while the store keeps only hashes, and nobody without the key can compute it.
    pub(crate) fn successor(&self, key: &[u8; 32]) -> Self {
        self.successor_with(random_id(), key)
    }

    /// The successor with a known token id (a retry returns the one stored by the first rotation).
    pub(crate) fn successor_with(&self, token_id: String, key: &[u8; 32]) -> Self {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes keys of any length");
        mac.update(b"tower-jwt-auth refresh successor\0");
        mac.update(&self.secret);
        mac.update(token_id.as_bytes());
        Self {
            session_id: self.session_id.clone(),
            token_id,
            secret: mac.finalize().into_bytes().into(),
        }
    }

    /// Parses `rt_<session>.<token>.<secret>` strictly.
    pub(crate) fn parse(token: &str) -> Option<Self> {
        let mut parts = token.strip_prefix(PREFIX)?.split('.');
        let (Some(session_id), Some(token_id), Some(secret), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return None;
        };
        let id_ok = |id: &str| URL_SAFE_NO_PAD.decode(id).is_ok_and(|b| b.len() == 16);
        if !id_ok(session_id) || !id_ok(token_id) {
            return None;
        }
        let secret = URL_SAFE_NO_PAD.decode(secret).ok()?.try_into().ok()?;
        Some(Self {
            session_id: session_id.to_owned(),
            token_id: token_id.to_owned(),
            secret,
        })
    }

    /// The store key of this token: `<session>.<token>`.
    pub(crate) fn id(&self) -> String {
        format!("{}.{}", self.session_id, self.token_id)
    }

    pub(crate) fn secret_hash(&self) -> [u8; 32] {
        Sha256::digest(self.secret).into()
    }

    pub(crate) fn encode(&self) -> String {
        format!(
            "{PREFIX}{}.{}",
            self.id(),
            URL_SAFE_NO_PAD.encode(self.secret)
        )
    }
}

/// The session and token parts of a store id `<session>.<token>`.
pub(crate) fn split_id(id: &str) -> Option<(&str, &str)> {
    id.split_once('.')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_strict_parsing() {
        let sid = random_id();
        let token = RefreshToken::generate(&sid);
        let text = token.encode();
        assert!(text.len() >= 3 + 22 + 1 + 22 + 1 + 43);
        let parsed = RefreshToken::parse(&text).unwrap();
        assert_eq!(parsed.id(), token.id());
        assert_eq!(split_id(&parsed.id()).unwrap().0, sid);
        assert_eq!(parsed.secret_hash(), token.secret_hash());
        assert!(RefreshToken::parse(&text[3..]).is_none());
        assert!(RefreshToken::parse(&format!("{text}x")).is_none());
        assert!(RefreshToken::parse(&format!("{text}.x")).is_none());
        assert!(RefreshToken::parse("rt_abc.def.ghi").is_none());
    }

    #[test]
    fn successors_are_deterministic_per_key_and_stay_in_the_session() {
        let token = RefreshToken::generate(&random_id());
        let a = token.successor(&[1; 32]);
        let b = token.successor_with(a.token_id.clone(), &[1; 32]);
        let c = token.successor_with(a.token_id.clone(), &[2; 32]);
        assert_eq!(a.encode(), b.encode());
        assert_ne!(a.encode(), c.encode());
        assert_eq!(a.session_id, token.session_id);
    }
}
