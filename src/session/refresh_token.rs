//! Opaque refresh tokens: making, parsing and authenticating them (the format is described in the
//! [`session`](crate::session) module).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::jose::random::{random_bytes, random_id};

const PREFIX: &str = "rt_";
/// Longest decimal generation accepted (u64::MAX has 20 digits).
const MAX_GENERATION_DIGITS: usize = 20;

/// A parsed refresh token.
pub(crate) struct RefreshToken {
    session_id: String,
    generation: u64,
    secret: [u8; 32],
    /// What the token is bound to: written after the secret, covered by the tag and by the stored hash, so it
    /// can be neither removed nor changed.
    binding: Option<Binding>,
}

/// What a refresh token (and its pair's access tokens) is bound to: one DPoP key or one client certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Binding {
    /// The thumbprint of a DPoP key (RFC 9449 §5), written as a fourth part: `.<jkt>`.
    Dpop(String),
    /// The SHA-256 thumbprint of a client certificate (RFC 8705 §3), written as `.x5t.<thumbprint>`.
    Certificate(String),
}

impl Binding {
    /// What the tag and the stored hash cover besides the secret (none for an unbound token, so unbound tokens
    /// minted before certificate binding existed stay valid).
    fn covered(binding: Option<&Self>) -> Vec<u8> {
        match binding {
            None => Vec::new(),
            Some(Self::Dpop(jkt)) => [b"\0jkt\0".as_slice(), jkt.as_bytes()].concat(),
            Some(Self::Certificate(x5t)) => [b"\0x5t\0".as_slice(), x5t.as_bytes()].concat(),
        }
    }
}

/// Longest thumbprint a bound token carries (a SHA-256 thumbprint is 43 characters).
const MAX_JKT_LEN: usize = 128;
/// The part naming a certificate binding.
const CERTIFICATE_PART: &str = "x5t";

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
        binding: Option<Binding>,
    ) -> Self {
        let mut tagged = entropy.to_vec();
        tagged.extend_from_slice(&Binding::covered(binding.as_ref()));
        let tag = mac(
            key,
            b"tower-jwt-auth refresh tag\0",
            &session_id,
            generation,
            &tagged,
        );
        let mut secret = [0u8; 32];
        secret[..16].copy_from_slice(&entropy);
        secret[16..].copy_from_slice(&tag[..16]);
        Self {
            session_id,
            generation,
            secret,
            binding,
        }
    }

    /// The first token of a new session (with a fresh session id), bound to `binding` when given.
    pub(crate) fn generate(key: &[u8; 32], binding: Option<Binding>) -> Self {
        Self::with_entropy(random_id(), 0, random_bytes::<16>(), key, binding)
    }

    /// The next generation of this token, derived from this one's secret under `key`, bound to `binding` when
    /// given (this one's binding, or a first one for an unbound token).
    pub(crate) fn successor(&self, key: &[u8; 32], binding: Option<Binding>) -> Self {
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
        Self::with_entropy(self.session_id.clone(), generation, entropy, key, binding)
    }

    /// Whether this token was minted under `key` (its tag verifies), whatever its generation.
    pub(crate) fn is_authentic(&self, key: &[u8; 32]) -> bool {
        let mut entropy = [0u8; 16];
        entropy.copy_from_slice(&self.secret[..16]);
        let expected = Self::with_entropy(
            self.session_id.clone(),
            self.generation,
            entropy,
            key,
            self.binding.clone(),
        );
        subtle::ConstantTimeEq::ct_eq(&expected.secret[..], &self.secret[..]).into()
    }

    /// Parses `rt_<session>.<generation>.<secret>[.<jkt> | .x5t.<thumbprint>]` strictly (canonical base64url,
    /// no leading zeros).
    pub(crate) fn parse(token: &str) -> Option<Self> {
        let mut parts = token.strip_prefix(PREFIX)?.split('.');
        let (Some(session_id), Some(generation), Some(secret)) =
            (parts.next(), parts.next(), parts.next())
        else {
            return None;
        };
        let binding = match (parts.next(), parts.next(), parts.next()) {
            (None, _, _) => None,
            (Some(CERTIFICATE_PART), Some(x5t), None) => {
                Some(Binding::Certificate(thumbprint(x5t)?))
            }
            (Some(jkt), None, _) => Some(Binding::Dpop(thumbprint(jkt)?)),
            _ => return None,
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
            binding,
        })
    }

    /// What the token is bound to.
    pub(crate) fn binding(&self) -> Option<&Binding> {
        self.binding.as_ref()
    }

    /// The thumbprint of the DPoP key the token is bound to.
    pub(crate) fn jkt(&self) -> Option<&str> {
        match &self.binding {
            Some(Binding::Dpop(jkt)) => Some(jkt),
            _ => None,
        }
    }

    pub(crate) fn session_id(&self) -> &str {
        &self.session_id
    }

    pub(crate) fn generation(&self) -> u64 {
        self.generation
    }

    /// The hash the store keeps: of the secret, and of the key binding, so a token stripped of its binding
    /// matches nothing.
    pub(crate) fn secret_hash(&self) -> [u8; 32] {
        Sha256::new()
            .chain_update(self.secret)
            .chain_update(Binding::covered(self.binding.as_ref()))
            .finalize()
            .into()
    }

    pub(crate) fn encode(&self) -> String {
        let mut text = format!(
            "{PREFIX}{}.{}.{}",
            self.session_id,
            self.generation,
            URL_SAFE_NO_PAD.encode(self.secret)
        );
        match &self.binding {
            None => {}
            Some(Binding::Dpop(jkt)) => {
                text.push('.');
                text.push_str(jkt);
            }
            Some(Binding::Certificate(x5t)) => {
                text.push_str(&format!(".{CERTIFICATE_PART}.{x5t}"));
            }
        }
        text
    }
}

/// A thumbprint part: non-empty base64url of bounded length.
fn thumbprint(part: &str) -> Option<String> {
    let ok = !part.is_empty() && part.len() <= MAX_JKT_LEN && URL_SAFE_NO_PAD.decode(part).is_ok();
    ok.then(|| part.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: [u8; 32] = [1; 32];

    #[test]
    fn round_trip_and_strict_parsing() {
        let token = RefreshToken::generate(&KEY, None);
        let text = token.encode();
        assert!(text.len() >= 3 + 22 + 1 + 1 + 1 + 43);
        let parsed = RefreshToken::parse(&text).unwrap();
        assert_eq!(parsed.session_id(), token.session_id());
        assert_eq!(parsed.generation(), 0);
        assert_eq!(parsed.secret_hash(), token.secret_hash());
        let next = token.successor(&KEY, None).encode();
        assert_eq!(RefreshToken::parse(&next).unwrap().generation(), 1);
        assert!(RefreshToken::parse(&text[3..]).is_none());
        assert!(RefreshToken::parse(&format!("{text}x")).is_none());
        assert!(RefreshToken::parse(&format!("{text}.x.y")).is_none());
        assert!(RefreshToken::parse(&format!("{text}.")).is_none());
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
        let token = RefreshToken::generate(&KEY, None);
        let a = token.successor(&KEY, None);
        let b = token.successor(&KEY, None);
        let c = token.successor(&[2; 32], None);
        assert_eq!(a.encode(), b.encode());
        assert_ne!(a.encode(), c.encode());
        assert_eq!(a.session_id, token.session_id);
        let mut current = a;
        for _ in 0..9 {
            assert!(current.is_authentic(&KEY));
            current = current.successor(&KEY, None);
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

    #[test]
    fn a_binding_can_be_neither_removed_nor_changed() {
        const JKT: &str = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";
        let bound = RefreshToken::generate(&KEY, Some(Binding::Dpop(JKT.into())));
        let text = bound.encode();
        assert!(text.ends_with(&format!(".{JKT}")));
        let parsed = RefreshToken::parse(&text).unwrap();
        assert_eq!(parsed.jkt(), Some(JKT));
        assert!(parsed.is_authentic(&KEY));
        assert_eq!(parsed.secret_hash(), bound.secret_hash());
        let stripped = RefreshToken::parse(text.strip_suffix(&format!(".{JKT}")).unwrap()).unwrap();
        assert!(!stripped.is_authentic(&KEY), "the tag covers the binding");
        assert_ne!(
            stripped.secret_hash(),
            bound.secret_hash(),
            "so does the stored hash"
        );
        let moved =
            RefreshToken::parse(&text.replace(JKT, "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"))
                .unwrap();
        assert!(!moved.is_authentic(&KEY));
        assert_ne!(moved.secret_hash(), bound.secret_hash());
        let next = bound.successor(&KEY, Some(Binding::Dpop(JKT.into())));
        assert_eq!(next.jkt(), Some(JKT));
        assert!(next.is_authentic(&KEY));
    }

    #[test]
    fn a_certificate_binding_can_be_neither_removed_nor_changed_nor_passed_for_a_key() {
        const X5T: &str = "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0";
        let bound = RefreshToken::generate(&KEY, Some(Binding::Certificate(X5T.into())));
        let text = bound.encode();
        assert!(text.ends_with(&format!(".x5t.{X5T}")));
        let parsed = RefreshToken::parse(&text).unwrap();
        assert_eq!(parsed.binding(), Some(&Binding::Certificate(X5T.into())));
        assert_eq!(parsed.jkt(), None);
        assert!(parsed.is_authentic(&KEY));
        let stripped =
            RefreshToken::parse(text.strip_suffix(&format!(".x5t.{X5T}")).unwrap()).unwrap();
        assert!(!stripped.is_authentic(&KEY));
        assert_ne!(stripped.secret_hash(), bound.secret_hash());
        let as_key = RefreshToken::parse(&text.replace(".x5t.", ".")).unwrap();
        assert_eq!(as_key.jkt(), Some(X5T));
        assert!(
            !as_key.is_authentic(&KEY),
            "a certificate binding is not a key binding"
        );
        assert_ne!(as_key.secret_hash(), bound.secret_hash());
        for bad in [
            format!("{text}.x"),
            format!("{text}x=="),
            text.replace(".x5t.", ".x5u."),
        ] {
            let parsed = RefreshToken::parse(&bad);
            assert!(parsed.is_none_or(|p| !p.is_authentic(&KEY)), "{bad}");
        }
        let next = bound.successor(&KEY, Some(Binding::Certificate(X5T.into())));
        assert!(next.is_authentic(&KEY) && next.encode().ends_with(X5T));
    }
}
