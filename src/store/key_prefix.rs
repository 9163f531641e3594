//! What the prefix a shared store puts before its names may hold (SQL table names, Redis keys): one rule, so a
//! prefix is never read as SQL, as a Redis glob pattern or as a Redis Cluster hash tag.

/// Whether `prefix` is 1 to `max_len` ASCII letters, digits, `_` or characters of `punctuation`, starting with a
/// letter or `_`.
pub(crate) fn is_plain_prefix(prefix: &str, max_len: usize, punctuation: &[char]) -> bool {
    let mut chars = prefix.chars();
    prefix.len() <= max_len
        && chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || punctuation.contains(&c))
}
