//! Stronger authentication, one behaviour per file: certificate-bound tokens (RFC 8705) over a real rustls
//! server with client certificates made at run time, the trusted proxy headers (nginx, Envoy), bound sessions
//! through refresh, sliding and revocation, and step-up (RFC 9470): the challenge, re-authentication on every
//! store, gRPC.

#[path = "../common/mod.rs"]
mod common;
mod fixtures;

mod bound_lifecycle;
mod certificate_binding;
mod proxy_headers;
mod reauthentication;
mod step_up_challenges;
