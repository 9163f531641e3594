//! [`AuthErrorKind`]: why a request was rejected, with its status, codes, label and description in one table.

use std::fmt;

use http::StatusCode;

/// Declares [`AuthErrorKind`] from one row per kind and derives every table from those rows: the enum, `ALL`,
/// `index`, and the label, status, gRPC code, error code and description of each kind.
macro_rules! auth_error_kinds {
    ($(
        $(#[doc = $doc:literal])+
        $kind:ident => $label:literal, $status:ident, $grpc:literal, $code:expr, $description:literal;
    )+) => {
        /// Why a request was rejected.
        ///
        /// The kind decides the HTTP status and the RFC 6750 error code; see [`AuthErrorKind::status`].
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum AuthErrorKind {
            $($(#[doc = $doc])+ $kind,)+
        }

        impl AuthErrorKind {
            /// Every kind, in [`index`](Self::index) order.
            pub(crate) const ALL: &'static [Self] = &[$(Self::$kind),+];

            /// The kind's row of the table.
            fn row(self) -> Row {
                match self {
                    $(Self::$kind => Row {
                        label: $label,
                        status: StatusCode::$status,
                        grpc_code: $grpc,
                        error_code: $code,
                        description: $description,
                    },)+
                }
            }
        }
    };
}

/// What the table says about one kind.
struct Row {
    label: &'static str,
    status: StatusCode,
    grpc_code: i32,
    error_code: Option<&'static str>,
    description: &'static str,
}

const INVALID_TOKEN: Option<&str> = Some("invalid_token");

auth_error_kinds! {
    /// No token was sent (401, no error code, per RFC 6750 §3.1).
    Missing => "missing", UNAUTHORIZED, 16, None, "no access token was sent";
    /// The request carried credentials in a malformed way: two `Authorization` headers, a bearer header that
    /// does not follow the `b64token` grammar, a token sent by two methods (400 `invalid_request`).
    Malformed => "malformed", BAD_REQUEST, 16, Some("invalid_request"),
        "the authorization credentials are malformed";
    /// The token is not a well-formed compact JWS: wrong segment count, bad base64url, bad JSON (401).
    InvalidToken => "invalid_token", UNAUTHORIZED, 16, INVALID_TOKEN, "the access token is malformed";
    /// The token is larger than the configured limit (401).
    TooLarge => "too_large", UNAUTHORIZED, 16, INVALID_TOKEN, "the access token is too large";
    /// The token's `alg` is not allowed, or does not match the key's algorithm (401).
    UnsupportedAlgorithm => "unsupported_algorithm", UNAUTHORIZED, 16, INVALID_TOKEN,
        "the token algorithm is not accepted";
    /// The header lists a `crit` extension (none are understood) or a `zip` parameter (401).
    UnsupportedHeader => "unsupported_header", UNAUTHORIZED, 16, INVALID_TOKEN,
        "the token header uses an unsupported parameter";
    /// No configured key matches the token's `kid` (401).
    UnknownKey => "unknown_key", UNAUTHORIZED, 16, INVALID_TOKEN, "the token was signed with an unknown key";
    /// The signature does not verify (401).
    InvalidSignature => "invalid_signature", UNAUTHORIZED, 16, INVALID_TOKEN, "the token signature is invalid";
    /// The token has expired (`exp`) (401).
    Expired => "expired", UNAUTHORIZED, 16, INVALID_TOKEN, "the access token has expired";
    /// The token is not yet valid (`nbf`, or an `iat` in the future) (401).
    NotYetValid => "not_yet_valid", UNAUTHORIZED, 16, INVALID_TOKEN, "the access token is not valid yet";
    /// A required claim is missing (401).
    MissingClaim => "missing_claim", UNAUTHORIZED, 16, INVALID_TOKEN, "the access token lacks a required claim";
    /// A claim has the wrong JSON type or value (401).
    InvalidClaim => "invalid_claim", UNAUTHORIZED, 16, INVALID_TOKEN, "the access token has an invalid claim";
    /// The issuer is not accepted (401).
    InvalidIssuer => "invalid_issuer", UNAUTHORIZED, 16, INVALID_TOKEN, "the token issuer is not accepted";
    /// The audience does not name this service (401).
    InvalidAudience => "invalid_audience", UNAUTHORIZED, 16, INVALID_TOKEN, "the token audience is not accepted";
    /// The `typ` header is not the required one (401).
    InvalidType => "invalid_type", UNAUTHORIZED, 16, INVALID_TOKEN, "the token type is not accepted";
    /// The token, its session or its subject has been revoked (401).
    Revoked => "revoked", UNAUTHORIZED, 16, INVALID_TOKEN, "the access token has been revoked";
    /// The token is valid but lacks a required scope, or a claims check refused it (403 `insufficient_scope`).
    InsufficientScope => "insufficient_scope", FORBIDDEN, 7, Some("insufficient_scope"),
        "the access token lacks the required scope";
    /// The revocation or session store could not be reached (503).
    Unavailable => "unavailable", SERVICE_UNAVAILABLE, 14, None,
        "the authorization service is temporarily unavailable";
    /// The DPoP proof is missing, malformed, replayed, or does not match the request, the key or the token
    /// (401 `invalid_dpop_proof`, RFC 9449 §7.1).
    InvalidDpopProof => "invalid_dpop_proof", UNAUTHORIZED, 16, Some("invalid_dpop_proof"),
        "the DPoP proof is invalid";
    /// The DPoP proof lacks the server's current nonce (401 `use_dpop_nonce`, with a `DPoP-Nonce` header).
    UseDpopNonce => "use_dpop_nonce", UNAUTHORIZED, 16, Some("use_dpop_nonce"),
        "the DPoP proof must carry the server nonce";
    /// A DPoP-bound token (one with `cnf.jkt`) was sent as a bearer token, or the layer requires DPoP (401
    /// `invalid_token`).
    DpopRequired => "dpop_required", UNAUTHORIZED, 16, INVALID_TOKEN,
        "the access token must be sent with the DPoP scheme and a proof";
    /// A token without `cnf.jkt` was sent with the DPoP scheme (401 `invalid_token`).
    NotDpopBound => "not_dpop_bound", UNAUTHORIZED, 16, INVALID_TOKEN,
        "the access token is not bound to a DPoP key";
    /// A request authenticated by a cookie, with a method that changes state (anything but `GET`, `HEAD`,
    /// `OPTIONS`, `TRACE`), lacks a valid CSRF token bound to its session, or says `Sec-Fetch-Site:
    /// cross-site` (403 `invalid_csrf_token`, no `WWW-Authenticate` challenge: the token itself is fine).
    InvalidCsrfToken => "invalid_csrf_token", FORBIDDEN, 7, Some("invalid_csrf_token"),
        "the request lacks a valid CSRF token for its session";
    /// A certificate-bound token (`cnf["x5t#S256"]`, RFC 8705) came without the client certificate it names —
    /// none, or another one — on a layer that reads client certificates (401 `invalid_token`).
    CertificateMismatch => "certificate_mismatch", UNAUTHORIZED, 16, INVALID_TOKEN,
        "the access token is bound to a client certificate the request did not present";
    /// The user's authentication is too weak (`acr`) or too old (`auth_time`) for the resource: step up
    /// (401 `insufficient_user_authentication`, RFC 9470 §3, with `acr_values` and/or `max_age`).
    InsufficientUserAuthentication => "insufficient_user_authentication", UNAUTHORIZED, 16,
        Some("insufficient_user_authentication"),
        "a stronger or more recent authentication is required";
}

impl AuthErrorKind {
    /// The kind's position in [`ALL`](Self::ALL) (its declaration order).
    pub(crate) fn index(self) -> usize {
        self as usize
    }

    /// The kind's name as a metrics label and the request span's `reason` (`snake_case`).
    #[cfg_attr(not(any(feature = "metrics", feature = "tracing")), allow(dead_code))]
    pub(crate) fn label(self) -> &'static str {
        self.row().label
    }

    /// The HTTP status a rejection of this kind gets.
    pub fn status(self) -> StatusCode {
        self.row().status
    }

    /// The gRPC status code a rejection of this kind gets (see [`grpc`](crate::grpc)): `UNAUTHENTICATED` (16)
    /// for every missing, malformed or refused credential, `PERMISSION_DENIED` (7) for a missing scope,
    /// `UNAVAILABLE` (14) when the store cannot answer — never `INTERNAL` (13), which the standard HTTP mapping
    /// would give a 400.
    pub fn grpc_code(self) -> i32 {
        self.row().grpc_code
    }

    /// The RFC 6750 §3.1 error code, or `None` when none must be sent (no token, store unavailable).
    pub fn error_code(self) -> Option<&'static str> {
        self.row().error_code
    }

    /// A short, fixed description that never contains configuration (issuer, audience, key ids) or token data.
    pub fn description(self) -> &'static str {
        self.row().description
    }
}

impl fmt::Display for AuthErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.description())
    }
}

#[cfg(test)]
mod tests {
    use super::AuthErrorKind;

    #[test]
    fn every_kind_is_listed_at_its_index() {
        assert_eq!(AuthErrorKind::ALL.len(), 25);
        for (i, kind) in AuthErrorKind::ALL.iter().enumerate() {
            assert_eq!(kind.index(), i, "{kind:?}");
        }
    }

    #[test]
    fn labels_are_distinct_snake_case() {
        let labels: std::collections::HashSet<_> =
            AuthErrorKind::ALL.iter().map(|k| k.label()).collect();
        assert_eq!(labels.len(), AuthErrorKind::ALL.len());
        assert!(labels
            .iter()
            .all(|l| l.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')));
    }
}
