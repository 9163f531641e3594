//! What the token, DPoP-proof and key-set readers share: strict compact-JWS parsing and base64url
//! (`jws.rs`), strict JSON with limits (`json.rs`), RFC 7638 thumbprints (`thumbprint.rs`), randomness
//! (`random.rs`), and a bounded cache keyed by a JWS's text (`by_text.rs`).

pub(crate) mod by_text;
pub(crate) mod json;
pub(crate) mod jws;
pub(crate) mod random;
pub(crate) mod thumbprint;
