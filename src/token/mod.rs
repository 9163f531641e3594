//! Everything about one token: where it comes from, how it is parsed, which claims it carries.
//!
//! [`Claims`] and [`TokenInfo`] (both also at the crate root) are what a verified request carries to its handler.
//! [`RegisteredClaims`] (also at the crate root) is the default claims type; [`Audience`] its `aud`. A layer
//! reads the token from the `Authorization: Bearer` header ([`BearerHeader`], the default), a cookie
//! ([`CookieSource`], with [`JwtAuthBuilder::cookie`](crate::JwtAuthBuilder::cookie)), or any
//! [`TokenSource`] of your own ([`token_source_fn`] for a closure), set with
//! [`JwtAuthBuilder::token_source`](crate::JwtAuthBuilder::token_source). WebSocket handshakes can also carry
//! it in the `access_token` query parameter or the `Sec-WebSocket-Protocol` pair ([`ACCESS_TOKEN_PROTOCOL`]),
//! when the layer opts in ([`JwtAuthBuilder::websocket_query_token`](crate::JwtAuthBuilder::websocket_query_token),
//! [`JwtAuthBuilder::websocket_protocol_token`](crate::JwtAuthBuilder::websocket_protocol_token)).

pub(crate) mod cache;
pub(crate) mod claims;
pub(crate) mod claims_view;
pub(crate) mod info;
pub(crate) mod logout_token;
pub(crate) mod requirements;
pub(crate) mod source;
pub(crate) mod step_up;
pub(crate) mod validation;
pub(crate) mod verifier;
pub(crate) mod websocket;

pub use claims::{Audience, RegisteredClaims};
pub use info::{Claims, TokenInfo};
pub use source::{token_source_fn, BearerHeader, CookieSource, TokenSource, TokenSourceFn};
pub use websocket::ACCESS_TOKEN_PROTOCOL;

/// RFC 6749 §3.3: `scope-token = 1*( %x21 / %x23-5B / %x5D-7E )`, the syntax of required scopes and of step-up
/// `acr` values alike (both stand quoted in challenges).
pub(crate) fn is_scope_token(scope: &str) -> bool {
    !scope.is_empty()
        && scope
            .bytes()
            .all(|b| matches!(b, 0x21 | 0x23..=0x5B | 0x5D..=0x7E))
}
