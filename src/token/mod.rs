//! Everything about one token: where it comes from, how it is parsed, which claims it carries.

pub(crate) mod cache;
pub(crate) mod claims;
pub(crate) mod claims_view;
pub(crate) mod info;
pub(crate) mod requirements;
pub(crate) mod source;
pub(crate) mod validation;
pub(crate) mod verifier;
