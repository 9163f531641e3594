//! Certificate-bound access tokens (RFC 8705): where the layer takes a request's client certificate from.

use super::JwtAuthBuilder;
use crate::certificate::ClientCertificates;

impl<C, R> JwtAuthBuilder<C, R> {
    /// Accepts certificate-bound tokens (`cnf["x5t#S256"]`, RFC 8705 §3) on requests whose client certificate,
    /// taken from `source`, has that thumbprint; any other such request — no certificate, another one — is 401
    /// `invalid_token` ([`AuthErrorKind::CertificateMismatch`](crate::AuthErrorKind::CertificateMismatch)).
    /// Without this setting no certificate nor header is ever read, and every certificate-bound token is
    /// refused (401 `invalid_token`, [`AuthErrorKind::InvalidClaim`](crate::AuthErrorKind::InvalidClaim) for its
    /// `cnf`: a binding the layer can't check). Tokens without the binding are unaffected; the RFC 9728 metadata then says
    /// `tls_client_certificate_bound_access_tokens: true`.
    ///
    /// A token is bound either to a DPoP key or to a certificate, never both (such a token is refused).
    ///
    /// ```
    /// use tower_jwt_auth::certificate::{CertificateHeader, ClientCertificates};
    /// use tower_jwt_auth::{Algorithm, JwtAuthLayer, VerificationKey};
    ///
    /// // Behind nginx: `proxy_set_header X-SSL-Client-Cert $ssl_client_escaped_cert;`
    /// let behind_nginx = JwtAuthLayer::builder()
    ///     .key(VerificationKey::hmac(Algorithm::HS256, &[7; 32]).unwrap())
    ///     .issuer("https://auth.example.com")
    ///     .audience("api")
    ///     .client_certificates(ClientCertificates::trusted_header(
    ///         CertificateHeader::escaped_pem("x-ssl-client-cert").unwrap(),
    ///     ))
    ///     .build()
    ///     .unwrap();
    /// # let _ = behind_nginx;
    /// ```
    pub fn client_certificates(mut self, source: ClientCertificates) -> Self {
        self.settings.certificates = Some(source);
        self
    }
}
