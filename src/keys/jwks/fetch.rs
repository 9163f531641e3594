//! Fetching key sets and discovery documents over HTTP: the [`JwksFetcher`] trait and its hyper + rustls
//! implementation.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, Request, StatusCode, Uri};
use http_body_util::{BodyExt, Empty, Limited};
use hyper_util::client::legacy::connect::{Connect, HttpConnector};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

/// Largest key set or discovery document read.
pub(crate) const MAX_DOCUMENT_BYTES: usize = 1024 * 1024;

/// A fetched document: status, headers (for `Cache-Control`) and body.
#[derive(Debug, Clone)]
pub struct FetchedDocument {
    /// The HTTP status.
    pub status: StatusCode,
    /// The response headers.
    pub headers: HeaderMap,
    /// The body (at most 1 MiB is read).
    pub body: Bytes,
}

/// A failed fetch (connection, TLS, body too large…). The message never contains a key.
#[derive(Debug, Clone)]
pub struct FetchError(pub String);

impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "fetch failed: {}", self.0)
    }
}

impl std::error::Error for FetchError {}

/// The future a [`JwksFetcher`] returns.
pub type FetchFuture = Pin<Box<dyn Future<Output = Result<FetchedDocument, FetchError>> + Send>>;

/// GETs key sets and discovery documents. Implement it to route fetches through your own HTTP client (proxy,
/// custom CA, mTLS); [`HyperFetcher`] is the default. The layer applies its own timeout around every fetch.
pub trait JwksFetcher: Send + Sync + 'static {
    /// Fetches `uri` with a GET.
    fn fetch(&self, uri: &Uri) -> FetchFuture;
}

/// The default fetcher: hyper-util's client over rustls with the webpki root certificates (HTTP/1.1, `https`
/// and `http` URLs). [`HyperFetcher::with_client`] takes a client you built with your own connector.
pub struct HyperFetcher<C = hyper_rustls::HttpsConnector<HttpConnector>> {
    client: Client<C, Empty<Bytes>>,
}

impl<C> fmt::Debug for HyperFetcher<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HyperFetcher").finish_non_exhaustive()
    }
}

impl HyperFetcher {
    /// A client with rustls and the webpki roots.
    pub fn new() -> Self {
        Self::with_client(Client::builder(TokioExecutor::new()).build(https_connector()))
    }
}

impl Default for HyperFetcher {
    fn default() -> Self {
        Self::new()
    }
}

impl<C> HyperFetcher<C> {
    /// Uses a client you configured (connector with a proxy or custom CA, pool settings).
    pub fn with_client(client: Client<C, Empty<Bytes>>) -> Self {
        Self { client }
    }
}

impl<C: Connect + Clone + Send + Sync + 'static> JwksFetcher for HyperFetcher<C> {
    fn fetch(&self, uri: &Uri) -> FetchFuture {
        let client = self.client.clone();
        let request = Request::get(uri.clone())
            .header(http::header::ACCEPT, "application/json")
            .body(Empty::new());
        Box::pin(async move {
            let request = request.map_err(|e| FetchError(e.to_string()))?;
            let response = client
                .request(request)
                .await
                .map_err(|e| FetchError(e.to_string()))?;
            let (parts, body) = response.into_parts();
            let body = Limited::new(body, MAX_DOCUMENT_BYTES)
                .collect()
                .await
                .map_err(|e| FetchError(e.to_string()))?
                .to_bytes();
            Ok(FetchedDocument {
                status: parts.status,
                headers: parts.headers,
                body,
            })
        })
    }
}

/// Closures `Fn(&Uri) -> FetchFuture` are fetchers too (handy for tests and adapters).
impl<F> JwksFetcher for F
where
    F: Fn(&Uri) -> FetchFuture + Send + Sync + 'static,
{
    fn fetch(&self, uri: &Uri) -> FetchFuture {
        self(uri)
    }
}

pub(crate) type SharedFetcher = Arc<dyn JwksFetcher>;

/// The connector of the crate's own HTTP clients: rustls with the webpki roots, HTTP/1.1, `https` and `http`
/// URLs (which URLs may be plain `http` is checked when they are configured).
pub(crate) fn https_connector() -> hyper_rustls::HttpsConnector<HttpConnector> {
    hyper_rustls::HttpsConnectorBuilder::new()
        .with_webpki_roots()
        .https_or_http()
        .enable_http1()
        .build()
}
