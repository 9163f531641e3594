//! The response future of [`JwtAuth`](crate::layer::JwtAuth).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use http::{Request, Response};
use pin_project_lite::pin_project;
use tower_service::Service;

use crate::layer::pipeline::admission::PendingAdmission;
use crate::layer::pipeline::handshake::select_protocol;
use crate::layer::rejection::{Refused, Reject};
use crate::session::sliding::PendingReissue;
use crate::trace::RequestSpan;

pin_project! {
    /// Response future of the authentication service, [`JwtAuth`](crate::JwtAuth).
    ///
    /// A valid token on the synchronous path polls the inner service's future directly (no boxing); a rejected
    /// request resolves immediately; with a network revocation store, the ready inner service waits here for
    /// the store's answer.
    pub struct ResponseFuture<S, ReqBody, ResBody>
    where
        S: Service<Request<ReqBody>>,
    {
        #[pin]
        state: State<S, ReqBody, ResBody>,
        // The layer's request span (feature `tracing`), entered on every poll.
        span: RequestSpan,
        // The token came in `Sec-WebSocket-Protocol`: a 101 answer selects `access_token`.
        select_protocol: bool,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<S, ReqBody, ResBody>
    where
        S: Service<Request<ReqBody>>,
    {
        Inner { #[pin] future: S::Future, reissue: Option<Box<PendingReissue>> },
        Rejected { response: Option<Response<ResBody>> },
        // Boxed: the synchronous path's future carries nothing the asynchronous path needs.
        Pending { pending: Box<Pending<S, ReqBody, ResBody>> },
    }
}

/// What the asynchronous path holds until its decision arrives.
struct Pending<S, ReqBody, ResBody> {
    decision: PendingAdmission,
    inner: Option<S>,
    request: Option<Request<ReqBody>>,
    reject: Arc<dyn Reject<ResBody>>,
}

impl<S, ReqBody, ResBody> ResponseFuture<S, ReqBody, ResBody>
where
    S: Service<Request<ReqBody>>,
{
    pub(crate) fn inner(future: S::Future) -> Self {
        Self::sliding(future, None)
    }

    /// The same future, polled inside `span` (which also records the outcome of a decision made later).
    pub(crate) fn in_span(mut self, span: RequestSpan) -> Self {
        self.span = span;
        self
    }

    /// The same future; with `select`, a `101` answer selects the `access_token` subprotocol.
    pub(crate) fn selecting_protocol(mut self, select: bool) -> Self {
        self.select_protocol = select;
        self
    }

    /// The inner future, whose 2xx response gets the reissued token.
    pub(crate) fn sliding(future: S::Future, reissue: Option<Box<PendingReissue>>) -> Self {
        Self {
            state: State::Inner { future, reissue },
            span: RequestSpan::default(),
            select_protocol: false,
        }
    }

    pub(crate) fn rejected(response: Response<ResBody>) -> Self {
        Self {
            state: State::Rejected {
                response: Some(response),
            },
            span: RequestSpan::default(),
            select_protocol: false,
        }
    }

    /// Waits for `decision` (a key-set fetch, a store lookup), then calls `inner` — which must be the instance
    /// whose `poll_ready` returned ready.
    pub(crate) fn pending(
        decision: PendingAdmission,
        inner: S,
        request: Request<ReqBody>,
        reject: Arc<dyn Reject<ResBody>>,
    ) -> Self {
        Self {
            state: State::Pending {
                pending: Box::new(Pending {
                    decision,
                    inner: Some(inner),
                    request: Some(request),
                    reject,
                }),
            },
            span: RequestSpan::default(),
            select_protocol: false,
        }
    }
}

impl<S, ReqBody, ResBody> Future for ResponseFuture<S, ReqBody, ResBody>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
{
    type Output = Result<Response<ResBody>, S::Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let span: &RequestSpan = this.span;
        #[cfg(feature = "tracing")]
        let _entered = span.enter();
        let mut state = this.state;
        loop {
            match state.as_mut().project() {
                StateProj::Inner { future, reissue } => {
                    let mut result = ready!(future.poll(cx));
                    if let (Ok(response), Some(reissue)) = (&mut result, reissue.take()) {
                        reissue.apply(response);
                    }
                    if let (Ok(response), true) = (&mut result, *this.select_protocol) {
                        select_protocol(response);
                    }
                    return Poll::Ready(result);
                }
                StateProj::Rejected { response } => {
                    return Poll::Ready(Ok(response
                        .take()
                        .expect("ResponseFuture polled after completion")))
                }
                StateProj::Pending { pending } => {
                    let admission = match ready!(pending.decision.as_mut().poll(cx)) {
                        Ok(admission) => {
                            crate::stats::allowed();
                            admission
                        }
                        Err(error) => {
                            span.refused(&error);
                            let request = pending.request.as_ref().map(Refused::request);
                            return Poll::Ready(Ok(pending
                                .reject
                                .reject(error, request.unwrap_or_default())));
                        }
                    };
                    let mut service = pending
                        .inner
                        .take()
                        .expect("ResponseFuture polled after completion");
                    let mut request = pending
                        .request
                        .take()
                        .expect("ResponseFuture polled after completion");
                    (admission.extend)(request.extensions_mut());
                    // The subject, read from the `TokenInfo` just inserted (no copy).
                    #[cfg(feature = "tracing")]
                    span.admitted(
                        request
                            .extensions()
                            .get::<crate::token::info::TokenInfo>()
                            .and_then(|info| info.subject()),
                    );
                    let future = service.call(request);
                    let reissue = admission.reissue;
                    state.set(State::Inner { future, reissue });
                }
            }
        }
    }
}

impl<S, ReqBody, ResBody> fmt::Debug for ResponseFuture<S, ReqBody, ResBody>
where
    S: Service<Request<ReqBody>>,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}
