//! A browser-session app on a real TLS server on 127.0.0.1 (certificate for `localhost` made by rcgen), and a
//! cookie-keeping reqwest client that trusts it.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::routing::{get, post};
use axum::{Json, Router};
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use reqwest::cookie::{CookieStore, Jar};
use serde_json::{json, Value};
use tokio_rustls::rustls;
use tower_jwt_auth::session::{BrowserSessions, LoginOptions};
use tower_jwt_auth::sliding::SlidingPolicy;
use tower_jwt_auth::{
    clock::ManualClock, rejection::JsonResponder, Claims, JwtAuthLayer, MemoryStore, Sessions,
};

use crate::common::sessions::test_issuer;

/// Access tokens live this long; sliding renews them past half.
pub(crate) const TTL: u64 = 600;

/// The app under test: sessions on a manual clock (at the real time, so cookie ages make sense), their browser
/// cookies (refresh cookie on `/auth`), a layer reading bearer headers and the access cookie, sliding on
/// `POST /posts`.
pub(crate) struct BrowserApp {
    pub(crate) clock: ManualClock,
    pub(crate) sessions: Sessions,
    pub(crate) browser: BrowserSessions,
    pub(crate) router: Router,
}

pub(crate) fn browser_app() -> BrowserApp {
    let clock = ManualClock::new(crate::common::now());
    let sessions = Sessions::builder(
        test_issuer(&clock, Duration::from_secs(TTL)),
        MemoryStore::new(),
    )
    .build()
    .unwrap();
    let browser = BrowserSessions::builder(&sessions, "/auth")
        .build()
        .unwrap();
    let auth = JwtAuthLayer::builder()
        .claims::<Value>()
        .sessions(&sessions)
        .browser_sessions(&browser)
        .websocket_query_token()
        .websocket_protocol_token()
        .sliding(SlidingPolicy::new().action(http::Method::POST, "/posts"))
        .responder(JsonResponder)
        .build()
        .unwrap();
    let login_browser = browser.clone();
    let protected = Router::new()
        .route(
            "/me",
            get(|claims: Claims<Value>| async move { Json((*claims).clone()) }),
        )
        .route(
            "/posts",
            post(|| async { (http::StatusCode::CREATED, "created") }),
        )
        .route_service("/auth/logout", browser.logout_endpoint())
        .layer(auth);
    let router = Router::new()
        .route(
            "/auth/login",
            post(move |body: String| {
                let browser = login_browser.clone();
                async move {
                    let user = if body.is_empty() {
                        "alice".to_owned()
                    } else {
                        body
                    };
                    browser
                        .login(
                            &user,
                            &json!({ "scope": "read write" }),
                            LoginOptions::new(),
                        )
                        .await
                        .unwrap()
                }
            }),
        )
        .route_service("/auth/refresh", browser.refresh_endpoint())
        // The logout endpoint outside the layer too: it then takes the refresh cookie.
        .route_service("/auth/end", browser.logout_endpoint())
        .merge(protected);
    BrowserApp {
        clock,
        sessions,
        browser,
        router,
    }
}

/// A TLS server for `router` on 127.0.0.1, with its certificate (for `localhost`) to trust.
pub(crate) struct TlsServer {
    pub(crate) address: SocketAddr,
    pub(crate) certificate: Vec<u8>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub(crate) async fn serve_tls(router: Router) -> TlsServer {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let certificate = certified.cert.der().to_vec();
    let key =
        rustls::pki_types::PrivateKeyDer::try_from(certified.key_pair.serialize_der()).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![certificate.clone().into()], key)
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let (acceptor, router) = (acceptor.clone(), router.clone());
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(stream).await else {
                    return;
                };
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(tls), TowerToHyperService::new(router))
                    .with_upgrades()
                    .await;
            });
        }
    });
    TlsServer {
        address,
        certificate,
        task,
    }
}

/// A browser: a reqwest client with a cookie jar, trusting the server's certificate, `localhost` resolved to
/// it.
pub(crate) struct Browser {
    pub(crate) client: reqwest::Client,
    pub(crate) jar: Arc<Jar>,
    pub(crate) base: String,
}

impl Browser {
    pub(crate) fn new(server: &TlsServer) -> Self {
        let jar = Arc::new(Jar::default());
        let mut roots = rustls::RootCertStore::empty();
        roots.add(server.certificate.clone().into()).unwrap();
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::aws_lc_rs::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
        let client = reqwest::Client::builder()
            .use_preconfigured_tls(tls)
            .resolve("localhost", server.address)
            .cookie_provider(jar.clone())
            .build()
            .unwrap();
        let base = format!("https://localhost:{}", server.address.port());
        Self { client, jar, base }
    }

    pub(crate) fn url(&self, path: &str) -> reqwest::Url {
        format!("{}{path}", self.base).parse().unwrap()
    }

    /// The value of the cookie `name` the jar would send to `path`.
    pub(crate) fn cookie(&self, path: &str, name: &str) -> Option<String> {
        let header = self.jar.cookies(&self.url(path))?;
        header
            .to_str()
            .unwrap()
            .split("; ")
            .find_map(|pair| pair.strip_prefix(&format!("{name}=")).map(str::to_owned))
    }

    /// The CSRF token the page's script reads from `__Host-csrf`.
    pub(crate) fn csrf(&self) -> String {
        self.cookie("/", "__Host-csrf")
            .expect("the CSRF cookie is kept")
    }

    pub(crate) fn post(&self, path: &str) -> reqwest::RequestBuilder {
        self.client.post(self.url(path))
    }

    pub(crate) fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.client.get(self.url(path))
    }

    /// `POST path` with the CSRF header, as the page's script sends it.
    pub(crate) fn post_with_csrf(&self, path: &str) -> reqwest::RequestBuilder {
        self.post(path).header("x-csrf-token", self.csrf())
    }

    /// Logs `user` in; the jar keeps the cookies.
    pub(crate) async fn login(&self, user: &str) -> reqwest::Response {
        let response = self
            .post("/auth/login")
            .body(user.to_owned())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 204);
        response
    }
}

/// A browser logged in as `user` against `server`.
pub(crate) async fn logged_in(server: &TlsServer, user: &str) -> Browser {
    let browser = Browser::new(server);
    browser.login(user).await;
    browser
}

/// The `Set-Cookie` headers of a response, as text.
pub(crate) fn set_cookies(response: &reqwest::Response) -> Vec<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

/// The one `Set-Cookie` for cookie `name`.
pub(crate) fn set_cookie<'a>(cookies: &'a [String], name: &str) -> &'a str {
    let mut found = cookies
        .iter()
        .filter(|c| c.starts_with(&format!("{name}=")));
    let cookie = found
        .next()
        .unwrap_or_else(|| panic!("{name} in {cookies:?}"));
    assert!(found.next().is_none(), "{name} set once: {cookies:?}");
    cookie
}
