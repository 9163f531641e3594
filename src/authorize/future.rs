//! The response future of [`Authorize`](super::Authorize): the inner service's future, or a refusal answered at
//! once. Nothing else: no key fetch, store lookup or reissue happens after authentication.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use http::Response;
use pin_project_lite::pin_project;

pin_project! {
    /// Response future of [`Authorize`](super::Authorize): the inner service's future when the requirements
    /// hold, or the refusal, ready at once.
    pub struct AuthorizeFuture<F, ResBody> {
        #[pin]
        state: State<F, ResBody>,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<F, ResBody> {
        Inner { #[pin] future: F },
        Rejected { response: Option<Response<ResBody>> },
    }
}

impl<F, ResBody> AuthorizeFuture<F, ResBody> {
    /// The inner service's future: the requirements hold.
    pub(crate) fn inner(future: F) -> Self {
        Self {
            state: State::Inner { future },
        }
    }

    /// The refusal of a request whose token does not meet the requirements.
    pub(crate) fn rejected(response: Response<ResBody>) -> Self {
        Self {
            state: State::Rejected {
                response: Some(response),
            },
        }
    }
}

impl<F, E, ResBody> Future for AuthorizeFuture<F, ResBody>
where
    F: Future<Output = Result<Response<ResBody>, E>>,
{
    type Output = Result<Response<ResBody>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().state.project() {
            StateProj::Inner { future } => future.poll(cx),
            StateProj::Rejected { response } => Poll::Ready(Ok(response
                .take()
                .expect("AuthorizeFuture polled after completion"))),
        }
    }
}

impl<F, ResBody> fmt::Debug for AuthorizeFuture<F, ResBody> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthorizeFuture").finish_non_exhaustive()
    }
}
