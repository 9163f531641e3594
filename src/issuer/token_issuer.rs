//! [`TokenIssuer`]: signs access tokens (RFC 9068 profile: `typ: at+jwt`, `iss`, `aud`, `sub`, `iat`, `nbf`,
//! `exp`, `jti`, `client_id` when configured, a session's `sid` and `auth_time`, `cnf` when DPoP-bound, plus
//! the application's claims).
//!
//! JWT payloads are signed, not encrypted: anyone holding a token can read its claims. Never put secrets,
//! passwords or personal data you would not show the user into claims.

use std::fmt;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::crypto::CryptoProvider;
use serde::Serialize;
use serde_json::{Map, Value};

use super::{AccessToken, IssueError, SessionClaims, RESERVED_CLAIMS};
use crate::clock::SharedClock;
use crate::issuer::ring::KeyRing;
use crate::jose::random::random_id;

/// Signs access tokens for one issuer and audience.
///
/// ```
/// use std::time::Duration;
/// use tower_jwt_auth::{Algorithm, SigningKey, TokenIssuer};
///
/// let issuer = TokenIssuer::builder(SigningKey::hmac(Algorithm::HS256, &[7; 32]).unwrap())
///     .issuer("demo")
///     .audience("demo-api")
///     .ttl(Duration::from_secs(600))
///     .build()
///     .unwrap();
/// let token = issuer.issue("alice", &serde_json::json!({ "scope": "read" })).unwrap();
/// assert_eq!(token.expires_at() - token.issued_at(), 600);
/// ```
#[derive(Clone)]
pub struct TokenIssuer {
    pub(super) inner: Arc<IssuerInner>,
}

pub(super) struct IssuerInner {
    /// The active signing key and the retired keys still published; replaced whole on rotation.
    pub(super) ring: RwLock<Arc<KeyRing>>,
    /// The ring's generation, readable on every request without the lock (the token cache compares it).
    pub(super) generation: AtomicU64,
    pub(super) typ: String,
    pub(super) provider: &'static CryptoProvider,
    pub(super) issuer: String,
    pub(super) audience: Vec<String>,
    pub(super) ttl: i64,
    pub(super) max_ttl: i64,
    pub(super) client_id: Option<String>,
    pub(super) clock: SharedClock,
}

impl fmt::Debug for TokenIssuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenIssuer")
            .field("key", &self.ring().active)
            .field("issuer", &self.inner.issuer)
            .field("audience", &self.inner.audience)
            .field("ttl", &self.inner.ttl)
            .finish_non_exhaustive()
    }
}

impl TokenIssuer {
    /// The lifetime of the tokens it issues.
    pub fn ttl(&self) -> Duration {
        Duration::from_secs(self.inner.ttl as u64)
    }

    /// The longest lifetime (`exp - iat`) any token of this issuer may have
    /// ([`TokenIssuerBuilder::max_ttl`](super::TokenIssuerBuilder::max_ttl)).
    pub fn max_ttl(&self) -> Duration {
        Duration::from_secs(self.inner.max_ttl as u64)
    }

    /// The `client_id` written into tokens whose claims name no client
    /// ([`TokenIssuerBuilder::client_id`](super::TokenIssuerBuilder::client_id)).
    pub fn client_id(&self) -> Option<&str> {
        self.inner.client_id.as_deref()
    }

    /// Issues an access token for `subject` with the application's `claims` (any value that serializes to a
    /// JSON object; `()` for none). Claims the issuer sets itself (`sub`, `iss`, `aud`, `iat`, `nbf`, `exp`,
    /// `jti`, `sid`, `auth_time`, `cnf`) are refused in `claims` with [`IssueError::ReservedClaim`].
    pub fn issue<T: Serialize + ?Sized>(
        &self,
        subject: &str,
        claims: &T,
    ) -> Result<AccessToken, IssueError> {
        self.issue_for_session(subject, claims, SessionClaims::default())
    }

    /// Issues an access token that belongs to a session: `sid` and `auth_time` are written, `exp` is capped at
    /// `session.not_after`, and `cnf.jkt` binds it to a DPoP key when `session.dpop_thumbprint` is given, or
    /// else `cnf["x5t#S256"]` to a client certificate when `session.certificate_thumbprint` is.
    pub fn issue_for_session<T: Serialize + ?Sized>(
        &self,
        subject: &str,
        claims: &T,
        session: SessionClaims<'_>,
    ) -> Result<AccessToken, IssueError> {
        let mut payload = match serde_json::to_value(claims).map_err(IssueError::Serialize)? {
            Value::Object(map) => map,
            Value::Null => Map::new(),
            _ => return Err(IssueError::ClaimsNotAnObject),
        };
        if let Some(name) = RESERVED_CLAIMS
            .iter()
            .find(|name| payload.contains_key(**name))
        {
            return Err(IssueError::ReservedClaim(name));
        }
        if payload.get("client_id").is_some_and(|id| !id.is_string()) {
            return Err(IssueError::NotAString("client_id"));
        }
        let inner = &*self.inner;
        let now = inner.clock.now();
        let mut expires_at = now.saturating_add(inner.ttl);
        if let Some(cap) = session.not_after {
            if cap <= now {
                return Err(IssueError::SessionExpired);
            }
            expires_at = expires_at.min(cap);
        }
        payload.insert("sub".into(), subject.into());
        self.stamp_issuer(&mut payload);
        if let Some(sid) = session.session_id {
            payload.insert("sid".into(), sid.into());
        }
        if let Some(auth_time) = session.auth_time {
            payload.insert("auth_time".into(), auth_time.into());
        }
        if let Some(jkt) = session.dpop_thumbprint {
            payload.insert("cnf".into(), serde_json::json!({ "jkt": jkt }));
        } else if let Some(x5t) = session.certificate_thumbprint {
            payload.insert("cnf".into(), serde_json::json!({ "x5t#S256": x5t }));
        }
        if let Some(end) = session.session_expires_at {
            payload.insert("session_exp".into(), end.into());
        }
        self.finish(payload, now, expires_at)
    }

    /// Writes this issuer's `iss` and `aud`, and its default `client_id` where the claims name no client.
    pub(super) fn stamp_issuer(&self, payload: &mut Map<String, Value>) {
        let inner = &*self.inner;
        if let (Some(client_id), false) = (&inner.client_id, payload.contains_key("client_id")) {
            payload.insert("client_id".into(), client_id.clone().into());
        }
        payload.insert("iss".into(), inner.issuer.clone().into());
        let aud = match inner.audience.as_slice() {
            [one] => Value::from(one.clone()),
            many => Value::from(many.to_vec()),
        };
        payload.insert("aud".into(), aud);
    }

    /// Re-signs the claims of a verified token of this issuer with its own `iss` and `aud`, a fresh `jti`,
    /// `iat`, `nbf` and the given `exp`, keeping every other claim (sliding sessions).
    pub(crate) fn reissue(
        &self,
        mut claims: Map<String, Value>,
        expires_at: i64,
    ) -> Result<AccessToken, IssueError> {
        let now = self.inner.clock.now();
        if expires_at <= now {
            return Err(IssueError::SessionExpired);
        }
        self.stamp_issuer(&mut claims);
        self.finish(claims, now, expires_at)
    }

    /// The `iss` this issuer writes.
    pub(crate) fn issuer_name(&self) -> &str {
        &self.inner.issuer
    }

    /// The `aud` values this issuer writes.
    pub(crate) fn audiences(&self) -> &[String] {
        &self.inner.audience
    }

    /// The issuer's clock (also the clock of [`Sessions`](crate::Sessions) built on it).
    pub(crate) fn clock(&self) -> &SharedClock {
        &self.inner.clock
    }

    /// The lifetime of new tokens, in seconds.
    pub(crate) fn ttl_secs(&self) -> i64 {
        self.inner.ttl
    }

    /// The longest lifetime a token of this issuer may have, in seconds
    /// ([`TokenIssuerBuilder::max_ttl`](super::TokenIssuerBuilder::max_ttl)).
    pub(crate) fn max_ttl_secs(&self) -> i64 {
        self.inner.max_ttl
    }

    /// Stamps the time claims and a new `jti`, then signs.
    pub(super) fn finish(
        &self,
        mut payload: Map<String, Value>,
        now: i64,
        expires_at: i64,
    ) -> Result<AccessToken, IssueError> {
        let jti = random_id();
        payload.insert("iat".into(), now.into());
        payload.insert("nbf".into(), now.into());
        payload.insert("exp".into(), expires_at.into());
        payload.insert("jti".into(), jti.clone().into());
        let payload = serde_json::to_vec(&payload).map_err(IssueError::Serialize)?;
        let token = self.sign_payload(&payload)?;
        Ok(AccessToken {
            token,
            jti,
            issued_at: now,
            expires_at,
        })
    }

    pub(super) fn sign_payload(&self, payload: &[u8]) -> Result<String, IssueError> {
        let inner = &*self.inner;
        let ring = self.ring();
        let mut token = String::with_capacity(ring.header_b64.len() + payload.len() * 2 + 400);
        token.push_str(&ring.header_b64);
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(payload, &mut token);
        let signer = (inner.provider.signer_factory)(&ring.active.algorithm, &ring.active.key)
            .map_err(|e| IssueError::Sign(e.to_string()))?;
        let signature = signer
            .try_sign(token.as_bytes())
            .map_err(|e| IssueError::Sign(e.to_string()))?;
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(signature, &mut token);
        Ok(token)
    }
}
