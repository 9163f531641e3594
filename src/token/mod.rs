//! Everything about one token: where it comes from, how it is parsed, which claims it carries.
//!
//! [`Claims`] and [`TokenInfo`] (both also at the crate root) are what a verified request carries to its handler.
//! [`RegisteredClaims`] (also at the crate root) is the default claims type; [`Audience`] its `aud`. A layer
//! reads the token from the `Authorization: Bearer` header ([`BearerHeader`], the default), a cookie
//! ([`CookieSource`], with [`JwtAuthBuilder::cookie`](crate::JwtAuthBuilder::cookie)), or any
//! [`TokenSource`] of your own ([`token_source_fn`] for a closure), set with
//! [`JwtAuthBuilder::token_source`](crate::JwtAuthBuilder::token_source).

pub(crate) mod cache;
pub(crate) mod claims;
pub(crate) mod claims_view;
pub(crate) mod info;
pub(crate) mod logout_token;
pub(crate) mod requirements;
pub(crate) mod source;
pub(crate) mod validation;
pub(crate) mod verifier;

pub use claims::{Audience, RegisteredClaims};
pub use info::{Claims, TokenInfo};
pub use source::{token_source_fn, BearerHeader, CookieSource, TokenSource, TokenSourceFn};
