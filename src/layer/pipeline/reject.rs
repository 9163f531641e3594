//! Step 7: a refusal becomes the responder's response, with the rejection contract enforced and one tracing
//! event (both in [`Challenges::respond`](crate::layer::rejection::Challenges::respond)).

use http::Response;

use crate::error::AuthError;
use crate::layer::pipeline::config::AuthConfig;
use crate::layer::rejection::{Refused, Reject, Responder};

impl<C, R, B> Reject<B> for AuthConfig<C, R>
where
    C: Send + Sync,
    R: Responder<B>,
{
    fn reject(&self, error: AuthError, request: Refused) -> Response<B> {
        self.challenges.respond(&self.responder, error, request)
    }
}
