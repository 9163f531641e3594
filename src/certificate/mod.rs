//! Client certificates for certificate-bound access tokens (RFC 8705 §3): the certificate of a request
//! ([`ClientCertificate`], put into the request's extensions by the TLS acceptor), where a layer or an endpoint
//! takes it from ([`ClientCertificates`]: that extension, or a header a trusted TLS-terminating proxy sets), and
//! the thumbprint tokens name (`cnf["x5t#S256"]`: base64url of the SHA-256 of the certificate's DER).
//!
//! With axum and `tokio-rustls` (or `axum-server`), the acceptor inserts the peer's end-entity certificate into
//! every request of the connection:
//!
//! ```
//! use tower_jwt_auth::certificate::ClientCertificate;
//!
//! /// What a TLS acceptor does once the handshake is done, for every request of that connection
//! /// (`peer_certificates()` of a `tokio_rustls::server::TlsStream`'s connection, first entry).
//! fn tag<B>(request: &mut http::Request<B>, peer_certificates: Option<&[Vec<u8>]>) {
//!     if let Some(der) = peer_certificates.and_then(|chain| chain.first()) {
//!         request.extensions_mut().insert(ClientCertificate::from_der(der));
//!     }
//! }
//! # let mut request = http::Request::new(());
//! # tag(&mut request, Some(&[vec![1, 2, 3]]));
//! # assert!(request.extensions().get::<ClientCertificate>().is_some());
//! ```
//!
//! The README's "Certificate-bound tokens" section shows the whole server (tokio-rustls, hyper-util and axum)
//! and the proxy set-ups (nginx, Envoy).

mod header;

use std::fmt;
use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use sha2::{Digest, Sha256};

pub use header::CertificateHeader;

/// The client certificate of a request's TLS connection, as its SHA-256 thumbprint (RFC 8705 §3.1). A TLS
/// acceptor inserts it into the request's extensions; a layer configured with [`ClientCertificates::tls`]
/// compares it with the `cnf["x5t#S256"]` of certificate-bound tokens, and handlers may read it. Cloning is a
/// pointer copy.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientCertificate {
    thumbprint: Arc<str>,
}

impl fmt::Debug for ClientCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ClientCertificate")
            .field(&self.thumbprint)
            .finish()
    }
}

impl ClientCertificate {
    /// The certificate whose DER encoding is `der` (the end-entity certificate the client presented; a rustls
    /// `CertificateDer` derefs to these bytes).
    pub fn from_der(der: &[u8]) -> Self {
        Self::from_digest(&Sha256::digest(der).into())
    }

    /// The certificate whose DER encoding has this SHA-256 digest (what Envoy's `Hash=` names, hex-decoded).
    pub(crate) fn from_digest(digest: &[u8; 32]) -> Self {
        Self {
            thumbprint: URL_SAFE_NO_PAD.encode(digest).into(),
        }
    }

    /// The RFC 8705 `x5t#S256` thumbprint: base64url (no padding) of the SHA-256 of the DER encoding.
    pub fn thumbprint(&self) -> &str {
        &self.thumbprint
    }

    /// Whether `thumbprint` (a token's `cnf["x5t#S256"]`) names this certificate, compared in constant time.
    pub fn matches(&self, thumbprint: &str) -> bool {
        subtle::ConstantTimeEq::ct_eq(self.thumbprint.as_bytes(), thumbprint.as_bytes()).into()
    }
}

/// Where a layer ([`JwtAuthBuilder::client_certificates`](crate::JwtAuthBuilder::client_certificates)) or a
/// refresh endpoint ([`RefreshEndpoint::client_certificates`](crate::session::RefreshEndpoint::client_certificates))
/// takes a request's client certificate from: exactly one place, so a deployment never mixes a direct TLS
/// connection with a header a client could have set itself.
///
/// - [`tls`](Self::tls): the [`ClientCertificate`] the TLS acceptor put into the request's extensions (the
///   server terminates TLS itself);
/// - [`trusted_header`](Self::trusted_header): a header a TLS-terminating proxy sets (nginx, Envoy, a cloud load
///   balancer). Only for a server reachable through that proxy alone, which must overwrite the header on every
///   request: whoever can reach the server directly could name any certificate.
///
/// A certificate-bound token is never accepted without the certificate it names, whatever is configured; a
/// layer without `client_certificates` refuses every such token.
#[derive(Debug, Clone)]
pub struct ClientCertificates {
    header: Option<CertificateHeader>,
}

impl ClientCertificates {
    /// The [`ClientCertificate`] request extension the TLS acceptor sets; no header is ever read.
    pub fn tls() -> Self {
        Self { header: None }
    }

    /// The certificate a trusted proxy names in `header`; the request extension is ignored.
    pub fn trusted_header(header: CertificateHeader) -> Self {
        Self {
            header: Some(header),
        }
    }

    /// The header read, if any (for the documentation of the layer's settings).
    pub fn header(&self) -> Option<&CertificateHeader> {
        self.header.as_ref()
    }

    /// The request's certificate: from its extensions or the configured header (a header that is missing,
    /// repeated or unreadable names none).
    pub fn certificate_of<B>(&self, request: &http::Request<B>) -> Option<ClientCertificate> {
        self.certificate_in(request.extensions(), request.headers())
    }

    /// [`certificate_of`](Self::certificate_of) from a request's parts.
    pub(crate) fn certificate_in(
        &self,
        extensions: &http::Extensions,
        headers: &http::HeaderMap,
    ) -> Option<ClientCertificate> {
        match &self.header {
            None => extensions.get::<ClientCertificate>().cloned(),
            Some(header) => header.certificate_in(headers),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thumbprint_is_base64url_of_the_sha256_of_the_der() {
        // SHA-256("abc") = ba7816bf…15ad.
        let certificate = ClientCertificate::from_der(b"abc");
        assert_eq!(
            certificate.thumbprint(),
            "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0"
        );
        assert!(certificate.matches("ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0"));
        assert!(!certificate.matches("ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa1"));
        assert!(!certificate.matches(""));
    }

    #[test]
    fn the_tls_source_never_reads_a_header() {
        let mut request = http::Request::new(());
        request
            .headers_mut()
            .insert("x-forwarded-client-cert", "Hash=00".parse().unwrap());
        assert_eq!(ClientCertificates::tls().certificate_of(&request), None);
        request
            .extensions_mut()
            .insert(ClientCertificate::from_der(b"abc"));
        assert_eq!(
            ClientCertificates::tls().certificate_of(&request),
            Some(ClientCertificate::from_der(b"abc"))
        );
        let envoy = ClientCertificates::trusted_header(CertificateHeader::envoy());
        assert_eq!(
            envoy.certificate_of(&request),
            None,
            "the extension is ignored"
        );
    }
}
