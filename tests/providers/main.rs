//! Identity providers (one binary), one behaviour per file: the crate's own RFC 7662 introspection endpoint, the
//! layer accepting tokens through a provider's introspection endpoint (cache, single flight, outages),
//! OpenID Connect back-channel logout (every §2.6 rule, replays, issuer scoping), and its propagation to other
//! instances through Redis and SQL.

#[path = "../common/mod.rs"]
mod common;
mod fixtures;

mod backchannel_logout;
mod introspection_endpoint;
mod logout_propagation;
mod remote_introspection;
