//! [`RefreshEndpoint::client_certificates`]: certificate-bound refresh tokens at the refresh endpoint.

use super::RefreshEndpoint;
use crate::certificate::ClientCertificates;

impl RefreshEndpoint {
    /// Reads the client certificate of refresh requests from `source` (RFC 8705 §3): a certificate-bound
    /// refresh token needs its own certificate, or the answer is 400 `invalid_grant` and nothing rotates; an
    /// unbound one refreshed with a certificate (and without a DPoP proof, which wins) gets a pair bound to it
    /// (`cnf["x5t#S256"]`, `"token_type":"Bearer"`). Without this setting no certificate is read, so every
    /// certificate-bound refresh token is refused.
    pub fn client_certificates(mut self, source: ClientCertificates) -> Self {
        self.certificates = Some(source);
        self
    }
}
