//! The `WWW-Authenticate` challenges of a realm (RFC 6750 §3, RFC 9449 §7.1, RFC 9728 §5.1), prepared once.

use std::fmt::{self, Write as _};
use std::sync::Arc;

use http::header::{self, HeaderValue};
use http::Response;

use super::{observe, Refused, Rejection, Responder};
use crate::error::{AuthError, AuthErrorKind};

/// The realm of `WWW-Authenticate` challenges unless configured.
pub(crate) const DEFAULT_REALM: &str = "api";

/// The `WWW-Authenticate` challenges of one realm, prepared once per error kind and scheme (and for the one
/// scope text a set of requirements names), so a flood of bad tokens formats nothing. Cloning is cheap.
#[derive(Clone)]
pub(crate) struct Challenges {
    realm: Arc<str>,
    /// RFC 9728 §5.1: the URL of the protected resource metadata, named in every challenge.
    resource_metadata: Option<Arc<str>>,
    /// The DPoP challenge, when the layer takes DPoP-bound tokens.
    dpop: Option<DpopChallenge>,
    /// Per kind: the challenge for a bearer request, then (after all kinds) for a DPoP request.
    by_kind: Arc<[Option<HeaderValue>]>,
    /// The scope text, and its `insufficient_scope` challenges for a bearer and a DPoP request.
    scope: Option<(Arc<str>, [Option<HeaderValue>; 2])>,
}

/// The `DPoP` challenge of a layer (RFC 9449 §7.1): the accepted algorithms, and whether bearer tokens are
/// refused (then no `Bearer` challenge is offered).
#[derive(Debug, Clone)]
pub(crate) struct DpopChallenge {
    pub(crate) algs: Arc<str>,
    pub(crate) required: bool,
}

impl fmt::Debug for Challenges {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Challenges")
            .field("realm", &self.realm)
            .field("dpop", &self.dpop)
            .finish_non_exhaustive()
    }
}

impl Challenges {
    /// The challenges of `realm`, naming the `resource_metadata` URL when given, with a `DPoP` challenge when
    /// `dpop` is given; all must already be header-safe (the builders check it).
    pub(crate) fn new(
        realm: &str,
        resource_metadata: Option<&str>,
        dpop: Option<DpopChallenge>,
    ) -> Self {
        let mut challenges = Self {
            realm: realm.into(),
            resource_metadata: resource_metadata.map(Into::into),
            dpop,
            by_kind: Arc::from(Vec::new()),
            scope: None,
        };
        let bearer = AuthErrorKind::ALL
            .iter()
            .map(|kind| challenges.format(&AuthError::new(*kind)));
        let dpop = AuthErrorKind::ALL
            .iter()
            .map(|kind| challenges.format(&AuthError::new(*kind).with_dpop()));
        challenges.by_kind = bearer.chain(dpop).collect();
        challenges
    }

    /// The same challenges, plus the `insufficient_scope` ones naming `scope_text` (the required scopes).
    pub(crate) fn with_scope(&self, scope_text: &str) -> Self {
        let error = AuthError::insufficient_scope(scope_text);
        let scope = (!scope_text.is_empty()).then(|| {
            let prepared = [self.format(&error), self.format(&error.clone().with_dpop())];
            (scope_text.into(), prepared)
        });
        Self {
            scope,
            ..self.clone()
        }
    }

    /// The challenges of the default realm (`api`), for rejections made where no layer is configured.
    #[cfg(feature = "axum")]
    pub(crate) fn default_realm() -> &'static Self {
        static DEFAULT: std::sync::LazyLock<Challenges> =
            std::sync::LazyLock::new(|| Challenges::new(DEFAULT_REALM, None, None));
        &DEFAULT
    }

    /// The realm the challenges name.
    pub(crate) fn realm(&self) -> &str {
        &self.realm
    }

    /// The challenge for `error`: prepared, unless it names scopes nobody prepared (an error made by hand).
    pub(crate) fn challenge(&self, error: &AuthError) -> Option<HeaderValue> {
        let scheme = usize::from(error.used_dpop());
        if error.acr_values().is_some() || error.max_age().is_some() {
            // A step-up challenge names the route's requirement: formatted for the (valid) token refused.
            return self.format(error);
        }
        match (error.required_scope(), &self.scope) {
            (None, _) => {
                self.by_kind[scheme * AuthErrorKind::ALL.len() + error.kind().index()].clone()
            }
            (Some(scope), Some((text, values))) if **text == *scope => values[scheme].clone(),
            (Some(_), _) => self.format(error),
        }
    }

    /// `Bearer realm="…"[, error="…", error_description="…"][, scope="…"][, acr_values="…"][, max_age=N]
    /// [, resource_metadata="…"]`, and/or
    /// `DPoP realm="…"[, error…], algs="…"[, resource_metadata="…"]`: the error goes into the challenge of
    /// the scheme the request used. None for 503, which is not an authentication failure, nor for a refused
    /// CSRF token (the credentials are fine; sending others would not help).
    fn format(&self, error: &AuthError) -> Option<HeaderValue> {
        let kind = error.kind();
        if matches!(
            kind,
            AuthErrorKind::Unavailable | AuthErrorKind::InvalidCsrfToken
        ) {
            return None;
        }
        let offer_bearer = !self.dpop.as_ref().is_some_and(|d| d.required);
        let error_in_dpop = self.dpop.is_some() && (error.used_dpop() || !offer_bearer);
        let mut value = String::new();
        if offer_bearer {
            value.push_str("Bearer ");
            self.write_params(&mut value, (!error_in_dpop).then_some(error), None);
        }
        if let Some(dpop) = &self.dpop {
            if !value.is_empty() {
                value.push_str(", ");
            }
            value.push_str("DPoP ");
            self.write_params(&mut value, error_in_dpop.then_some(error), Some(&dpop.algs));
        }
        HeaderValue::from_str(&value).ok()
    }

    /// `realm="…"`, the error's parameters, `algs="…"` (DPoP), and `resource_metadata="…"`.
    fn write_params(&self, value: &mut String, error: Option<&AuthError>, algs: Option<&str>) {
        let _ = write!(value, "realm=\"{}\"", self.realm);
        if let Some(error) = error {
            if let Some(code) = error.kind().error_code() {
                let _ = write!(
                    value,
                    ", error=\"{code}\", error_description=\"{}\"",
                    sanitize(error.kind().description())
                );
            }
            if let Some(scope) = error.required_scope() {
                let _ = write!(value, ", scope=\"{}\"", sanitize(scope));
            }
            if let Some(acr_values) = error.acr_values() {
                let _ = write!(value, ", acr_values=\"{}\"", sanitize(acr_values));
            }
            if let Some(max_age) = error.max_age() {
                let _ = write!(value, ", max_age={max_age}");
            }
        }
        if let Some(algs) = algs {
            let _ = write!(value, ", algs=\"{algs}\"");
        }
        if let Some(url) = &self.resource_metadata {
            let _ = write!(value, ", resource_metadata=\"{url}\"");
        }
    }

    /// Answers `error` with `responder`, then enforces the rejection contract whatever the responder built: the
    /// [`AuthError`] is in the response's extensions and, unless the responder set its own, the RFC 6750
    /// `WWW-Authenticate` challenge is in its headers (as tower-http's `Csrf` inserts its error after any
    /// responder), with the `DPoP-Nonce` a `use_dpop_nonce` error hands out. Every rejection — the layer's, a
    /// per-route requirement's, an extractor's — passes here, so each one is also one tracing event (feature
    /// `tracing`: the kind and status, never the token). A gRPC request always gets a `grpc-status`: if the
    /// responder set none, the response becomes the trailers-only gRPC answer (see [`grpc`](crate::grpc)).
    /// A request whose body goes unread gets `Connection: close` (see [`unread_body`](crate::unread_body)).
    pub(crate) fn respond<B, R: Responder<B> + ?Sized>(
        &self,
        responder: &R,
        error: AuthError,
        request: Refused,
    ) -> Response<B> {
        let grpc = request.grpc;
        observe(&error, grpc);
        let challenge = self.challenge(&error);
        let rejection = Rejection {
            error: error.clone(),
            challenge: challenge.clone(),
            grpc,
        };
        let mut response = responder.respond(rejection);
        if grpc && !response.headers().contains_key(crate::grpc::GRPC_STATUS) {
            crate::grpc::answer(&mut response, &error);
        }
        if let Some(challenge) = challenge {
            response
                .headers_mut()
                .entry(header::WWW_AUTHENTICATE)
                .or_insert(challenge);
        }
        crate::dpop::insert_nonce(response.headers_mut(), &error);
        if request.unread_body {
            crate::unread_body::announce_close(response.headers_mut());
        }
        response.extensions_mut().insert(error);
        response
    }
}

/// Keeps only the characters RFC 6750 §3 allows in quoted attributes: `%x20-21 / %x23-5B / %x5D-7E`.
pub(crate) fn sanitize(text: &str) -> String {
    text.chars()
        .filter(|c| matches!(*c as u32, 0x20..=0x21 | 0x23..=0x5B | 0x5D..=0x7E))
        .collect()
}

/// Whether `text` may stand inside a quoted challenge attribute unchanged.
pub(crate) fn is_header_safe(text: &str) -> bool {
    sanitize(text) == text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitize_drops_quotes_backslashes_and_controls() {
        assert_eq!(sanitize("a\"b\\c\nd é"), "abcd ");
    }

    #[test]
    fn missing_token_challenge_has_no_error() {
        let challenges = Challenges::new("api", None, None);
        let missing = challenges.challenge(&AuthErrorKind::Missing.into());
        assert_eq!(missing.unwrap(), "Bearer realm=\"api\"");
        let scoped = challenges.challenge(&AuthError::insufficient_scope("read write"));
        let value = scoped.unwrap().to_str().unwrap().to_owned();
        assert!(
            value.contains("error=\"insufficient_scope\"")
                && value.ends_with("scope=\"read write\"")
        );
        assert!(challenges
            .challenge(&AuthErrorKind::Unavailable.into())
            .is_none());
        let prepared = challenges.with_scope("read write");
        assert_eq!(
            prepared.challenge(&AuthError::insufficient_scope("read write")),
            Some(http::HeaderValue::from_str(&value).unwrap())
        );
    }

    #[test]
    fn dpop_challenges_carry_the_error_of_the_scheme_used() {
        let dpop = DpopChallenge {
            algs: "ES256 EdDSA".into(),
            required: false,
        };
        let both = Challenges::new("api", None, Some(dpop.clone()));
        let text =
            |c: &Challenges, e: AuthError| c.challenge(&e).unwrap().to_str().unwrap().to_owned();
        assert_eq!(
            text(&both, AuthErrorKind::Missing.into()),
            "Bearer realm=\"api\", DPoP realm=\"api\", algs=\"ES256 EdDSA\""
        );
        assert_eq!(
            text(&both, AuthError::new(AuthErrorKind::InvalidDpopProof)),
            "Bearer realm=\"api\", DPoP realm=\"api\", error=\"invalid_dpop_proof\", \
             error_description=\"the DPoP proof is invalid\", algs=\"ES256 EdDSA\""
        );
        assert!(text(&both, AuthErrorKind::Expired.into())
            .starts_with("Bearer realm=\"api\", error=\"invalid_token\""));
        let required = Challenges::new(
            "api",
            None,
            Some(DpopChallenge {
                required: true,
                ..dpop
            }),
        );
        assert!(text(&required, AuthErrorKind::Expired.into())
            .starts_with("DPoP realm=\"api\", error=\"invalid_token\""));
    }
}
