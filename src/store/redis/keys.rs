//! Where the Redis store keeps what: every key of one store, named from its checked prefix (the table is in the
//! [`RedisStore`](crate::RedisStore) docs).

use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

use crate::store::key_prefix::is_plain_prefix;
use crate::store::StoreError;

/// The longest prefix accepted.
const MAX_PREFIX_LEN: usize = 64;
/// The punctuation a prefix may hold besides `_`: none of it means anything to a glob pattern or a hash tag.
const PREFIX_PUNCTUATION: [char; 3] = ['-', '.', ':'];

/// A kind of revocation marker. Each kind is one sorted set (id → until), in the feed's hash slot.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Marker {
    /// Revoked access-token ids.
    Token,
    /// Revoked sessions.
    Session,
    /// Subjects logged out everywhere, per issuer (their not-before times are in a hash beside).
    Subject,
    /// Another issuer's revoked sessions (an identity provider's back-channel logout), members as
    /// [`subject_member`]s of the issuer and the session id.
    IssuerSession,
}

impl Marker {
    /// The kind's code, in key names and feed entries (`k`).
    pub(crate) fn code(self) -> &'static str {
        match self {
            Self::Token => "j",
            Self::Session => "s",
            Self::Subject => "n",
            Self::IssuerSession => "p",
        }
    }
}

/// The key names of one store.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    prefix: Arc<str>,
}

impl Layout {
    /// The layout for `prefix`, or an error naming what a prefix may hold.
    pub(crate) fn new(prefix: &str) -> Result<Self, StoreError> {
        if !is_plain_prefix(prefix, MAX_PREFIX_LEN, &PREFIX_PUNCTUATION) {
            return Err(StoreError::new(format!(
                "invalid Redis key prefix {prefix:?}: use 1 to {MAX_PREFIX_LEN} ASCII letters, digits, `_`, `-`, \
                 `.` or `:`, starting with a letter or `_` (no glob characters such as `*`, `?`, `[`, and no \
                 hash-tag braces)"
            )));
        }
        Ok(Self {
            prefix: prefix.into(),
        })
    }

    pub(crate) fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The revocation feed (a stream).
    pub(crate) fn feed(&self) -> String {
        format!("{}:feed", self.prefix)
    }

    /// The sorted set of one kind of marker. Its hash tag is the feed's name, so it shares the feed's slot on a
    /// cluster (one script marks and announces), and the prefix still starts the key.
    pub(crate) fn markers(&self, kind: Marker) -> String {
        format!("{0}:{{{0}:feed}}:{1}", self.prefix, kind.code())
    }

    /// The not-before times of the subjects in [`Marker::Subject`]'s set (a hash, same members).
    pub(crate) fn not_before(&self) -> String {
        format!("{0}:{{{0}:feed}}:nb", self.prefix)
    }

    /// A session's hash, tagged with the session id.
    pub(crate) fn session(&self, session_id: &str) -> String {
        format!(
            "{}:{{{}}}:s",
            self.prefix,
            URL_SAFE_NO_PAD.encode(session_id)
        )
    }

    /// A subject's session index (a sorted set), tagged with the subject.
    pub(crate) fn subject_sessions(&self, subject: &str) -> String {
        format!(
            "{}:{{u:{}}}:ss",
            self.prefix,
            URL_SAFE_NO_PAD.encode(subject)
        )
    }

    /// A DPoP proof's replay key.
    pub(crate) fn replay(&self, hex: &str) -> String {
        format!("{}:dp:{hex}", self.prefix)
    }
}

/// The member of a subject in the [`Marker::Subject`] set (or of a session in the [`Marker::IssuerSession`] set):
/// base64url of the issuer and of the subject (or session id), joined by `:` (which base64url never holds).
pub(crate) fn subject_member(issuer: &str, subject: &str) -> String {
    format!(
        "{}:{}",
        URL_SAFE_NO_PAD.encode(issuer),
        URL_SAFE_NO_PAD.encode(subject)
    )
}

/// The issuer and subject of a [`subject_member`].
pub(crate) fn subject_of(member: &str) -> Option<(String, String)> {
    let decode = |b64: &str| {
        URL_SAFE_NO_PAD
            .decode(b64)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
    };
    let (issuer, subject) = member.split_once(':')?;
    Some((decode(issuer)?, decode(subject)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_with_glob_or_tag_characters_are_refused() {
        for good in ["tja", "orders-api", "app:auth", "_x.v2", "A1"] {
            assert!(Layout::new(good).is_ok(), "{good}");
        }
        let long = "a".repeat(65);
        for bad in [
            "", "a*", "a?", "a[b]", "a{b}", "a}", "1app", "a b", "a\\b", "é", &long,
        ] {
            assert!(Layout::new(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn marker_sets_share_the_feeds_slot_and_subjects_round_trip() {
        let layout = Layout::new("tja").unwrap();
        assert_eq!(layout.feed(), "tja:feed");
        assert_eq!(layout.markers(Marker::Session), "tja:{tja:feed}:s");
        assert_eq!(layout.not_before(), "tja:{tja:feed}:nb");
        let member = subject_member("https://issuer", "alice:x");
        assert_eq!(
            subject_of(&member),
            Some(("https://issuer".to_owned(), "alice:x".to_owned()))
        );
    }
}
