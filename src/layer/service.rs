//! [`JwtAuth`]: the service that authenticates each request before the inner service sees it.

use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Request, Response};
use serde::de::DeserializeOwned;
use tower_service::Service;

use crate::layer::future::ResponseFuture;
use crate::layer::pipeline::admission::Outcome;
use crate::layer::pipeline::admit::admit;
use crate::layer::pipeline::config::AuthConfig;
use crate::layer::pipeline::handshake::hand_over;
use crate::layer::rejection::{DefaultResponder, Refused, Reject, Rejector, Responder};
use crate::token::claims::RegisteredClaims;
use crate::trace::RequestSpan;

/// The service of [`JwtAuthLayer`](crate::JwtAuthLayer): rejects requests without a valid token, and inserts [`Claims<C>`](crate::Claims) and
/// [`TokenInfo`](crate::TokenInfo) into the extensions of the others.
pub struct JwtAuth<S, C = RegisteredClaims, R = DefaultResponder> {
    inner: S,
    config: Arc<AuthConfig<C, R>>,
}

impl<S, C, R> JwtAuth<S, C, R> {
    pub(crate) fn from_parts(inner: S, config: Arc<AuthConfig<C, R>>) -> Self {
        Self { inner, config }
    }

    inner_service_accessors!();
}

impl<S: Clone, C, R> Clone for JwtAuth<S, C, R> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            config: Arc::clone(&self.config),
        }
    }
}

impl<S: fmt::Debug, C, R> fmt::Debug for JwtAuth<S, C, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtAuth")
            .field("inner", &self.inner)
            .field("config", &self.config)
            .finish()
    }
}

impl<S, C, R, ReqBody, ResBody> Service<Request<ReqBody>> for JwtAuth<S, C, R>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone,
    C: DeserializeOwned + Send + Sync + 'static,
    R: Responder<ResBody>,
    ResBody: 'static,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = ResponseFuture<S, ReqBody, ResBody>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        let span = RequestSpan::new();
        span.in_scope(|| self.admit(request, &span)).in_span(span)
    }
}

impl<S, C, R> JwtAuth<S, C, R> {
    /// Steps 1–5 of the pipeline for one request, then the inner service, a rejection, or the wait.
    fn admit<ReqBody, ResBody>(
        &mut self,
        mut request: Request<ReqBody>,
        span: &RequestSpan,
    ) -> ResponseFuture<S, ReqBody, ResBody>
    where
        S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone,
        C: DeserializeOwned + Send + Sync + 'static,
        R: Responder<ResBody>,
        ResBody: 'static,
    {
        let action_uri = match self.config.sliding.is_some() || self.config.dpop.is_some() {
            true => crate::dpop::request_uri::client_uri(&request),
            false => request.uri(),
        };
        let certificate = self
            .config
            .certificates
            .as_ref()
            .and_then(|source| source.certificate_in(request.extensions(), request.headers()));
        let outcome = admit(
            &self.config,
            request.method(),
            request.headers(),
            request.uri(),
            action_uri,
            certificate.as_ref(),
        );
        let mut select_protocol = false;
        if outcome.is_ok() {
            // Only a request that goes further in is marked: a refused one is dropped here.
            mark_sensitive(request.headers_mut(), &self.config.sensitive_headers);
            span.hand_on(request.extensions_mut());
            if !matches!(outcome, Ok(Outcome::Anonymous)) {
                select_protocol = hand_over(&self.config, &mut request);
            }
        }
        match outcome {
            Ok(Outcome::Anonymous) => {
                // An extractor that needs a token answers as this layer would.
                let rejector: Arc<dyn Reject<ResBody>> = self.config.clone();
                request.extensions_mut().insert(Rejector(rejector));
                ResponseFuture::inner(self.inner.call(request))
            }
            Ok(Outcome::Admitted(admission)) => {
                crate::stats::allowed();
                span.admitted(admission.token.info.subject());
                let reissue = admission.apply(request.extensions_mut());
                ResponseFuture::sliding(self.inner.call(request), reissue)
                    .selecting_protocol(select_protocol)
            }
            Ok(Outcome::Pending(decision)) => {
                // The instance in `self` is the one `poll_ready` readied: move it into the future and keep a
                // fresh clone here (see tower's "Be careful when cloning inner services").
                let clone = self.inner.clone();
                let ready = std::mem::replace(&mut self.inner, clone);
                ResponseFuture::pending(decision, ready, request, self.config.clone())
                    .selecting_protocol(select_protocol)
            }
            Err(error) => {
                span.refused(&error);
                ResponseFuture::rejected(self.config.reject(error, Refused::request(&request)))
            }
        }
    }
}

/// Marks the headers that carry tokens sensitive, so tracing and logging layers further in redact them (those
/// outside saw the request before this layer did).
#[inline]
fn mark_sensitive(headers: &mut http::HeaderMap, names: &[http::HeaderName]) {
    for name in names {
        if let http::header::Entry::Occupied(mut entry) = headers.entry(name) {
            for value in entry.iter_mut() {
                value.set_sensitive(true);
            }
        }
    }
}
