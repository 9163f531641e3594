//! HTTPS for the demo (`TLS_CERT`, `TLS_KEY`, optional client certificates verified against `TLS_CLIENT_CA`),
//! and where the layer and the refresh endpoint take a request's client certificate from (the TLS connection,
//! or `CLIENT_CERT_HEADER` set by a trusted proxy).
//!
//! The accept loop is the set-up the README's "Certificate-bound tokens" section shows: tokio-rustls accepts,
//! the peer's end-entity certificate becomes a `ClientCertificate` request extension, hyper-util serves axum.

use std::sync::Arc;

use axum::Router;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::server::WebPkiClientVerifier;
use tokio_rustls::rustls::{RootCertStore, ServerConfig};
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;
use tower_jwt_auth::certificate::{CertificateHeader, ClientCertificate, ClientCertificates};

use crate::BoxError;

/// Where client certificates come from: the TLS connection when `TLS_CLIENT_CA` is set, the header named by
/// `CLIENT_CERT_HEADER` (URL-encoded PEM, as nginx's `$ssl_client_escaped_cert`) when that is set, else nowhere
/// (certificate-bound tokens are then refused). Both at once is a start-up error: one source per deployment.
pub(crate) fn certificate_source() -> Result<Option<ClientCertificates>, BoxError> {
    let ca = std::env::var_os("TLS_CLIENT_CA").is_some();
    match (ca, std::env::var("CLIENT_CERT_HEADER")) {
        (true, Ok(_)) => Err("set TLS_CLIENT_CA or CLIENT_CERT_HEADER, not both".into()),
        (true, Err(_)) if std::env::var_os("TLS_CERT").is_none() => Err(
            "TLS_CLIENT_CA needs TLS_CERT and TLS_KEY (the demo must terminate TLS itself)".into(),
        ),
        (true, Err(_)) => Ok(Some(ClientCertificates::tls())),
        (false, Ok(name)) => Ok(Some(ClientCertificates::trusted_header(
            CertificateHeader::escaped_pem(&name)?,
        ))),
        (false, Err(_)) => Ok(None),
    }
}

/// The rustls configuration of `TLS_CERT` and `TLS_KEY` (PEM paths), asking for an optional client
/// certificate verified against `TLS_CLIENT_CA` when set; `None` without `TLS_CERT`.
pub(crate) fn server_config() -> Result<Option<Arc<ServerConfig>>, BoxError> {
    let (Ok(cert), key) = (std::env::var("TLS_CERT"), std::env::var("TLS_KEY")) else {
        return Ok(None);
    };
    let key = key.map_err(|_| "TLS_CERT needs TLS_KEY")?;
    let chain = CertificateDer::pem_file_iter(&cert)
        .and_then(Iterator::collect::<Result<Vec<_>, _>>)
        .map_err(|e| format!("TLS_CERT={cert}: {e}"))?;
    let key = PrivateKeyDer::from_pem_file(&key).map_err(|e| format!("TLS_KEY={key}: {e}"))?;
    let builder = ServerConfig::builder();
    let builder = match std::env::var("TLS_CLIENT_CA") {
        Ok(ca) => {
            let mut roots = RootCertStore::empty();
            for certificate in CertificateDer::pem_file_iter(&ca)
                .map_err(|e| format!("TLS_CLIENT_CA={ca}: {e}"))?
            {
                roots.add(certificate.map_err(|e| format!("TLS_CLIENT_CA={ca}: {e}"))?)?;
            }
            // Optional: clients without a certificate still connect (and get unbound tokens).
            let verifier = WebPkiClientVerifier::builder(Arc::new(roots))
                .allow_unauthenticated()
                .build()?;
            builder.with_client_cert_verifier(verifier)
        }
        Err(_) => builder.with_no_client_auth(),
    };
    let mut config = builder.with_single_cert(chain, key)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Some(Arc::new(config)))
}

/// Serves `app` over TLS on `listener`: each connection's client certificate (if any) is put into the
/// extensions of every request on it. Loops until the process ends; a failed handshake drops that connection.
pub(crate) async fn serve_tls(
    listener: TcpListener,
    app: Router,
    config: Arc<ServerConfig>,
) -> Result<(), BoxError> {
    let acceptor = TlsAcceptor::from(config);
    loop {
        let (tcp, _) = listener.accept().await?;
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
                .with_upgrades()
                .await;
        });
    }
}

/// The client certificate of a request, from the demo's source ([`certificate_source`]); `None` when the
/// request has none or the demo reads none. An extractor for the login handler.
pub(crate) struct RequestCertificate(pub(crate) Option<ClientCertificate>);

impl axum::extract::FromRequestParts<crate::app::AppState> for RequestCertificate {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &crate::app::AppState,
    ) -> Result<Self, Self::Rejection> {
        let source = state.certificates.as_ref();
        Ok(Self(source.and_then(|source| {
            let mut request = axum::http::Request::new(());
            *request.headers_mut() = parts.headers.clone();
            *request.extensions_mut() = parts.extensions.clone();
            source.certificate_of(&request)
        })))
    }
}
