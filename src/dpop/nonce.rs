//! RFC 9449 §8 server nonces without server state: a nonce is an HMAC of the current time window under a
//! server key, so every instance that shares the key issues and accepts the same nonces, and they rotate
//! by themselves when the window moves on.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The nonce settings: the key and the window length, in seconds.
#[derive(Clone)]
pub(crate) struct Nonces {
    pub(crate) key: [u8; 32],
    pub(crate) window: i64,
}

impl std::fmt::Debug for Nonces {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Nonces")
            .field("window", &self.window)
            .finish_non_exhaustive()
    }
}

impl Nonces {
    fn nonce_of(&self, window: i64) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key)
            .expect("HMAC takes keys of any length");
        mac.update(b"tower-jwt-auth dpop nonce\0");
        mac.update(&window.to_be_bytes());
        URL_SAFE_NO_PAD.encode(&mac.finalize().into_bytes()[..18])
    }

    /// The nonce clients should use now.
    pub(crate) fn current(&self, now: i64) -> String {
        self.nonce_of(now.div_euclid(self.window))
    }

    /// Whether `nonce` is the current window's or the previous one's (so a nonce handed out just before the
    /// window moved still works for one more window).
    pub(crate) fn accepts(&self, nonce: &str, now: i64) -> bool {
        let window = now.div_euclid(self.window);
        [window, window - 1].iter().any(|w| {
            subtle::ConstantTimeEq::ct_eq(self.nonce_of(*w).as_bytes(), nonce.as_bytes()).into()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonces_rotate_and_overlap_one_window() {
        let nonces = Nonces {
            key: [9; 32],
            window: 300,
        };
        let first = nonces.current(1_000);
        assert_eq!(first, nonces.current(1_199));
        assert!(nonces.accepts(&first, 1_000));
        let second = nonces.current(1_200);
        assert_ne!(first, second);
        assert!(
            nonces.accepts(&first, 1_200),
            "the previous window still counts"
        );
        assert!(
            !nonces.accepts(&first, 1_500),
            "two windows later it does not"
        );
        let other = Nonces {
            key: [8; 32],
            window: 300,
        };
        assert!(!other.accepts(&first, 1_000), "another key");
    }
}
