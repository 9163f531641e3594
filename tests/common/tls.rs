//! Real TLS for the certificate-bound token tests: a throwaway CA, server and client certificates made with
//! rcgen at run time, a rustls server that asks for (optional) client certificates and puts the peer's into
//! each request's extensions, and an HTTPS client that presents one.
#![allow(dead_code, unreachable_pub)]

use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use rcgen::{BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair};
use serde_json::Value;
use tokio_rustls::rustls::pki_types::{
    CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName,
};
use tokio_rustls::rustls::server::WebPkiClientVerifier;
use tokio_rustls::rustls::{ClientConfig, RootCertStore, ServerConfig};
use tokio_rustls::{TlsAcceptor, TlsConnector};
use tower::ServiceExt;
use tower_jwt_auth::certificate::ClientCertificate;

/// A certificate and its private key.
pub struct Issued {
    pub der: CertificateDer<'static>,
    pub pem: String,
    pub key_pem: String,
    key_der: Vec<u8>,
}

impl Issued {
    /// The certificate as the layer sees it (its RFC 8705 thumbprint).
    pub fn certificate(&self) -> ClientCertificate {
        ClientCertificate::from_der(&self.der)
    }

    fn key(&self) -> PrivateKeyDer<'static> {
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key_der.clone()))
    }
}

/// A throwaway CA with a server certificate for `localhost` and 127.0.0.1.
pub struct Pki {
    ca: rcgen::Certificate,
    ca_key: KeyPair,
    pub ca_pem: String,
    pub server: Issued,
}

impl Pki {
    pub fn new() -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, "tower-jwt-auth test CA");
        let ca_key = KeyPair::generate().unwrap();
        let ca = params.self_signed(&ca_key).unwrap();
        let ca_pem = ca.pem();
        let mut pki = Self {
            ca,
            ca_key,
            ca_pem,
            server: placeholder(),
        };
        pki.server = pki.issue(
            &["localhost", "127.0.0.1"],
            "localhost",
            ExtendedKeyUsagePurpose::ServerAuth,
        );
        pki
    }

    /// A client certificate for `name`, signed by this CA.
    pub fn client(&self, name: &str) -> Issued {
        self.issue(&[], name, ExtendedKeyUsagePurpose::ClientAuth)
    }

    fn issue(&self, names: &[&str], cn: &str, usage: ExtendedKeyUsagePurpose) -> Issued {
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let mut params = CertificateParams::new(names).unwrap();
        params.distinguished_name.push(DnType::CommonName, cn);
        params.extended_key_usages = vec![usage];
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.ca, &self.ca_key).unwrap();
        Issued {
            der: cert.der().clone(),
            pem: cert.pem(),
            key_pem: key.serialize_pem(),
            key_der: key.serialize_der(),
        }
    }

    /// Writes the server certificate, its key and the CA as PEM files into a fresh directory:
    /// `(TLS_CERT, TLS_KEY, TLS_CLIENT_CA)`.
    pub fn write_files(&self) -> (String, String, String) {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("tja-tls-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let write = |name: &str, text: &str| {
            let path = dir.join(name);
            std::fs::write(&path, text).unwrap();
            path.to_string_lossy().into_owned()
        };
        (
            write("server.pem", &self.server.pem),
            write("server-key.pem", &self.server.key_pem),
            write("ca.pem", &self.ca_pem),
        )
    }

    fn roots(&self) -> RootCertStore {
        let mut roots = RootCertStore::empty();
        roots.add(self.ca.der().clone()).unwrap();
        roots
    }

    /// A rustls server configuration asking for an optional client certificate from this CA.
    pub fn server_config(&self) -> Arc<ServerConfig> {
        let verifier = WebPkiClientVerifier::builder(Arc::new(self.roots()))
            .allow_unauthenticated()
            .build()
            .unwrap();
        let config = ServerConfig::builder()
            .with_client_cert_verifier(verifier)
            .with_single_cert(vec![self.server.der.clone()], self.server.key())
            .unwrap();
        Arc::new(config)
    }

    /// A TLS client trusting this CA, presenting `client` when given.
    pub fn connector(&self, client: Option<&Issued>) -> TlsConnector {
        let builder = ClientConfig::builder().with_root_certificates(self.roots());
        let config = match client {
            Some(client) => builder
                .with_client_auth_cert(vec![client.der.clone()], client.key())
                .unwrap(),
            None => builder.with_no_client_auth(),
        };
        TlsConnector::from(Arc::new(config))
    }
}

fn placeholder() -> Issued {
    Issued {
        der: CertificateDer::from(Vec::new()),
        pem: String::new(),
        key_pem: String::new(),
        key_der: Vec::new(),
    }
}

/// Serves `app` over TLS on a free 127.0.0.1 port (the README's set-up: the peer's end-entity certificate
/// becomes a `ClientCertificate` extension of every request of its connection); returns the address.
pub async fn serve(pki: &Pki, app: axum::Router) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let acceptor = TlsAcceptor::from(pki.server_config());
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let (acceptor, app) = (acceptor.clone(), app.clone());
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let certificate = tls
                    .get_ref()
                    .1
                    .peer_certificates()
                    .and_then(|chain| chain.first())
                    .map(|der| ClientCertificate::from_der(der));
                let service =
                    app.map_request(move |mut request: hyper::Request<hyper::body::Incoming>| {
                        if let Some(certificate) = &certificate {
                            request.extensions_mut().insert(certificate.clone());
                        }
                        request
                    });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(tls), TowerToHyperService::new(service))
                    .await;
            });
        }
    });
    address
}

/// One HTTPS request to `address` (`host:port`, or an `https://` base), presenting `client` when given:
/// status, JSON body (`Null` when not JSON), headers.
pub async fn request(
    pki: &Pki,
    address: &str,
    client: Option<&Issued>,
    request: Request<Full<Bytes>>,
) -> (StatusCode, Value, HeaderMap) {
    let address = address.trim_start_matches("https://");
    let tcp = tokio::net::TcpStream::connect(address).await.unwrap();
    let name = ServerName::try_from("localhost").unwrap();
    let tls = pki.connector(client).connect(name, tcp).await.unwrap();
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
        .await
        .unwrap();
    tokio::spawn(connection);
    let response = sender.send_request(request).await.unwrap();
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes();
    (
        parts.status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        parts.headers,
    )
}

/// A request to `path` with these headers, and a JSON body when given.
pub fn build(
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> Request<Full<Bytes>> {
    let mut request = Request::builder()
        .method(method)
        .uri(path)
        .header("host", "localhost");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    if body.is_some() {
        request = request.header("content-type", "application/json");
    }
    request
        .body(Full::new(Bytes::from(body.unwrap_or("").to_owned())))
        .unwrap()
}
