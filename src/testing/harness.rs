//! What every case runs on: a store under test, sessions over it on a manual clock, and a layer wired to them.

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use http::{Request, Response, StatusCode};
use tower_layer::Layer;
use tower_service::Service;

use crate::{
    clock::ManualClock, sliding::SlidingPolicy, Algorithm, AuthError, JwtAuthLayer, SessionStore,
    Sessions, SigningKey, TokenInfo, TokenIssuer,
};

/// The time every case starts at (2030-03-17), far from any real clock.
pub const T0: i64 = 1_900_000_000;
/// The HS256 secret of the harness's issuer and layer (64 bytes, so it is long enough for HS512 too).
pub const TEST_SECRET: &[u8] = b"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
/// The `iss` of the harness's tokens.
pub const TEST_ISSUER: &str = "https://issuer.test";
/// The `aud` of the harness's tokens.
pub const TEST_AUDIENCE: &str = "test-api";

type SizeFn = Box<dyn Fn() -> Pin<Box<dyn Future<Output = usize> + Send>> + Send + Sync>;
type SweepFn = Box<dyn Fn() -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

/// A fresh, empty store for one case: the store, optionally how to count its entries (for the checks that
/// storage is bounded by the sessions, not the rotations), and anything that must live as long as the case
/// (a server process, a temporary database).
pub struct StoreUnderTest {
    pub(crate) store: Arc<dyn SessionStore>,
    pub(crate) size: Option<SizeFn>,
    pub(crate) sweep: Option<SweepFn>,
    _guard: Option<Box<dyn Send + Sync>>,
}

impl fmt::Debug for StoreUnderTest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreUnderTest")
            .field("size", &self.size.is_some())
            .finish_non_exhaustive()
    }
}

impl StoreUnderTest {
    /// A store to test (fresh and empty).
    pub fn new(store: Arc<dyn SessionStore>) -> Self {
        Self {
            store,
            size: None,
            sweep: None,
            _guard: None,
        }
    }

    /// How many entries the store holds now.
    pub fn with_size<F, Fut>(mut self, size: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = usize> + Send + 'static,
    {
        self.size = Some(Box::new(move || Box::pin(size())));
        self
    }

    /// How to make the store remove what has expired now, as of the latest time a caller gave it (for stores
    /// that delete expired sessions themselves: the model test then checks that nothing a sweep removes lets a
    /// revoked or logged-out token back in).
    pub fn with_sweep<F, Fut>(mut self, sweep: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.sweep = Some(Box::new(move || Box::pin(sweep())));
        self
    }

    /// Keeps `guard` alive until the case ends (say the server the store talks to).
    pub fn keep_alive(mut self, guard: impl Send + Sync + 'static) -> Self {
        self._guard = Some(Box::new(guard));
        self
    }
}

/// Sessions over a store under test (10 min access tokens, 1 h idle, 4 h absolute, a manual clock at [`T0`]),
/// and layers wired to them: [`layer`](Self::layer), and [`sliding`](Self::sliding) with sliding on
/// `POST /posts`.
pub struct Harness {
    /// The one clock of the sessions and layers: move it instead of sleeping.
    pub clock: ManualClock,
    /// The sessions over the store.
    pub sessions: Sessions,
    /// A layer wired to the sessions.
    pub layer: JwtAuthLayer,
    /// The same layer, sliding on `POST /posts`.
    pub sliding: JwtAuthLayer,
    store: StoreUnderTest,
}

impl fmt::Debug for Harness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Harness")
            .field("clock", &self.clock)
            .field("sessions", &self.sessions)
            .finish_non_exhaustive()
    }
}

impl Harness {
    /// The harness over `store`, with this refresh grace period.
    pub fn new(store: StoreUnderTest, grace: Duration) -> Self {
        Self::with_lifetimes(
            store,
            grace,
            Duration::from_secs(600),
            Duration::from_secs(3600),
            Duration::from_secs(4 * 3600),
            Duration::from_secs(30),
        )
    }

    /// The harness with other lifetimes: access tokens, refresh idle time, absolute session, layer leeway.
    pub fn with_lifetimes(
        store: StoreUnderTest,
        grace: Duration,
        access_ttl: Duration,
        refresh_ttl: Duration,
        max_session: Duration,
        leeway: Duration,
    ) -> Self {
        let clock = ManualClock::new(T0);
        let key = SigningKey::hmac(Algorithm::HS256, TEST_SECRET).expect("a 32-byte secret");
        let issuer = TokenIssuer::builder(key)
            .issuer(TEST_ISSUER)
            .audience(TEST_AUDIENCE)
            .ttl(access_ttl)
            .clock(clock.clone())
            .build()
            .expect("the test issuer");
        let sessions = Sessions::builder(issuer, Arc::clone(&store.store))
            .refresh_ttl(refresh_ttl)
            .max_session(max_session)
            .grace_period(grace)
            // A fixed key: the stores under test may be shared (Redis, SQL), which requires one.
            .successor_key([0x5a; 32])
            .build()
            .expect("the test sessions");
        // The sessions bring their issuer's keys: the layer is given none of its own.
        let builder = || JwtAuthLayer::builder().leeway(leeway).sessions(&sessions);
        let layer = builder().build().expect("the test layer");
        let sliding = builder()
            .sliding(SlidingPolicy::new().action(http::Method::POST, "/posts"))
            .build()
            .expect("the sliding test layer");
        Self {
            clock,
            sessions,
            layer,
            sliding,
            store,
        }
    }

    /// The store under test.
    pub fn store(&self) -> &Arc<dyn SessionStore> {
        &self.store.store
    }

    /// How many entries the store holds, when the [`StoreUnderTest`] can tell.
    pub async fn store_size(&self) -> Option<usize> {
        match &self.store.size {
            Some(size) => Some(size().await),
            None => None,
        }
    }

    /// Makes the store sweep what has expired, when the [`StoreUnderTest`] can; returns whether it could.
    pub async fn sweep(&self) -> bool {
        match &self.store.sweep {
            Some(sweep) => {
                sweep().await;
                true
            }
            None => false,
        }
    }

    /// `GET /` with `token` through [`layer`](Self::layer): the response (its extensions hold the
    /// [`AuthError`] of a rejection, or the [`TokenInfo`] the handler saw).
    pub async fn send(&self, token: &str) -> Response<String> {
        send(&self.layer, bearer(Request::get("/"), token)).await
    }

    /// The status `GET /` with `token` gets.
    pub async fn status(&self, token: &str) -> StatusCode {
        self.send(token).await.status()
    }

    /// Why `token` is refused, if it is.
    pub async fn rejection(&self, token: &str) -> Option<AuthError> {
        self.send(token)
            .await
            .extensions()
            .get::<AuthError>()
            .cloned()
    }

    /// The [`TokenInfo`] a handler behind the layer sees for `token` (`None` when it is refused).
    pub async fn token_info(&self, token: &str) -> Option<TokenInfo> {
        self.send(token)
            .await
            .extensions()
            .get::<TokenInfo>()
            .cloned()
    }

    /// `POST /posts` with `token` through [`sliding`](Self::sliding): the status and the reissued token, if any.
    pub async fn act(&self, token: &str) -> (StatusCode, Option<String>) {
        let response = send(&self.sliding, bearer(Request::post("/posts"), token)).await;
        let renewed = response
            .headers()
            .get(crate::session::sliding::DEFAULT_SLIDING_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        (response.status(), renewed)
    }
}

/// The claims of a JWT, decoded without verification (tests read what a token says).
pub fn claims_of(token: &str) -> serde_json::Value {
    let payload = token.split('.').nth(1).expect("a compact JWS");
    let bytes = URL_SAFE_NO_PAD.decode(payload).expect("base64url claims");
    serde_json::from_slice(&bytes).expect("JSON claims")
}

/// A request carrying `token` in its `Authorization: Bearer` header.
fn bearer(request: http::request::Builder, token: &str) -> Request<String> {
    request
        .header("authorization", format!("Bearer {token}"))
        .body(String::new())
        .expect("a valid request")
}

/// The inner service: 200, with the [`TokenInfo`] the layer inserted copied into the response.
#[derive(Clone, Copy)]
struct Handler;

impl Service<Request<String>> for Handler {
    type Response = Response<String>;
    type Error = Infallible;
    type Future = std::future::Ready<Result<Response<String>, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<String>) -> Self::Future {
        let mut response = Response::new(String::new());
        if let Some(info) = request.extensions().get::<TokenInfo>() {
            response.extensions_mut().insert(info.clone());
        }
        std::future::ready(Ok(response))
    }
}

async fn send(layer: &JwtAuthLayer, request: Request<String>) -> Response<String> {
    let mut service = layer.layer(Handler);
    std::future::poll_fn(|cx| service.poll_ready(cx))
        .await
        .unwrap_or_else(|never| match never {});
    service
        .call(request)
        .await
        .unwrap_or_else(|never| match never {})
}
