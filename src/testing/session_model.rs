//! The reference model the session lifecycle model test checks every store against: what each session and
//! access token should be (live, revoked, logged out, swept) under the test's lifetimes.

use std::collections::{HashMap, HashSet};

use super::harness::claims_of;
use crate::TokenPair;

pub(super) const TTL: i64 = 600;
/// Refresh tokens idle out long before the session ends: a session that only slides outlives its refresh row.
pub(super) const REFRESH_TTL: i64 = 900;
pub(super) const MAX_SESSION: i64 = 3000;
pub(super) const LEEWAY: i64 = 30;

/// What the model knows of one session.
pub(super) struct ModelSession {
    pub(super) user: usize,
    /// Refresh tokens by generation.
    pub(super) refresh: Vec<String>,
    pub(super) end: i64,
    /// When the current refresh token idles out (never after `end`).
    pub(super) refresh_end: i64,
    pub(super) auth_time: i64,
    pub(super) revoked: bool,
    /// The store has deleted the session's row (its refresh token idled out and a sweep ran).
    pub(super) swept: bool,
}

impl ModelSession {
    /// Whether the store still holds the session's row: it does until a sweep after its refresh token idled
    /// out (or it was revoked, which the model tracks separately).
    pub(super) fn stored(&self) -> bool {
        !self.swept
    }

    /// The session's id: the first part of its refresh tokens (`rt_<session>.<generation>.<secret>`).
    pub(super) fn session_id(&self) -> String {
        let first = self.refresh[0].strip_prefix("rt_").unwrap_or_default();
        first.split('.').next().unwrap_or_default().to_owned()
    }

    /// Whether its current refresh token may still be used (and the device list shows it).
    pub(super) fn refreshable(&self, now: i64) -> bool {
        !self.revoked && now < self.refresh_end
    }
}

pub(super) struct ModelAccess {
    pub(super) token: String,
    pub(super) session: usize,
    pub(super) iat: i64,
    pub(super) exp: i64,
    pub(super) jti: String,
}

#[derive(Default)]
pub(super) struct Model {
    pub(super) sessions: Vec<ModelSession>,
    pub(super) access: Vec<ModelAccess>,
    pub(super) revoked_jti: HashSet<String>,
    pub(super) not_before: HashMap<usize, i64>,
    pub(super) logins: usize,
}

impl Model {
    pub(super) fn accepted(&self, token: &ModelAccess, now: i64) -> bool {
        let session = &self.sessions[token.session];
        let alive = token.exp > now - LEEWAY && token.iat <= now + LEEWAY;
        let logged_out = self
            .not_before
            .get(&session.user)
            .is_some_and(|nb| token.iat < *nb);
        alive && !session.revoked && !self.revoked_jti.contains(&token.jti) && !logged_out
    }

    pub(super) fn issue(&mut self, session: usize, token: &str) {
        let claims = claims_of(token);
        self.access.push(ModelAccess {
            token: token.to_owned(),
            session,
            iat: claims["iat"].as_i64().unwrap(),
            exp: claims["exp"].as_i64().unwrap(),
            jti: claims["jti"].as_str().unwrap().to_owned(),
        });
    }
}

/// Applies a refresh outcome to the model: success issues a token and a generation, and moves the idle expiry.
pub(super) fn refreshed(model: &mut Model, session: usize, pair: &TokenPair, now: i64) {
    let s = &mut model.sessions[session];
    s.refresh.push(pair.refresh_token().to_owned());
    s.refresh_end = (now + REFRESH_TTL).min(s.end);
    model.issue(session, pair.access_token());
}
