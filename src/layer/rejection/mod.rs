//! RFC 6750 §3 rejection responses, and the [`Responder`] trait to shape their bodies.
//!
//! A refused request becomes a [`Rejection`] (its error and `WWW-Authenticate` challenge); a [`Responder`]
//! turns it into a response: [`DefaultResponder`] (empty body), [`JsonResponder`] (OAuth JSON body) or
//! [`GrpcResponder`] (gRPC status).

mod challenges;
mod responders;
mod responses;

pub(crate) use challenges::{is_header_safe, Challenges, DpopChallenge, DEFAULT_REALM};
pub use responders::{DefaultResponder, GrpcResponder, JsonResponder, Responder};
pub use responses::Rejection;
pub(crate) use responses::{observe, Refused, Reject, Rejector};
