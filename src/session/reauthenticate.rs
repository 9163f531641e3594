//! Step-up on an existing session: [`Sessions::reauthenticate`].

use serde::Serialize;

use super::login::with_authentication;
use super::{LoginOptions, SessionError, Sessions};
use crate::store::Reauthentication;
use crate::TokenInfo;

impl Sessions {
    /// Records that the user of `token`'s session authenticated again (step-up, RFC 9470), now: the session's
    /// `auth_time` becomes now, and its claims become `claims` with the `acr` and `amr` of `options` (the
    /// claims and options a login would take; `options`' DPoP proof, certificate and user agent are not read —
    /// the session keeps its binding). The session's end does not move: refresh and sliding stay capped at
    /// login + [`max_session`](super::SessionsBuilder::max_session).
    ///
    /// The next refresh (or a fresh login) carries the new `acr`, `amr` and `auth_time`; access tokens already
    /// issued keep theirs. `token` is the verified token of the request that re-authenticated (a layer wired to
    /// these sessions put it into the request's extensions).
    ///
    /// Errors: [`NotASessionToken`](SessionError::NotASessionToken) for a token without `sid` and `sub`,
    /// [`NotVerifiedBySessions`](SessionError::NotVerifiedBySessions) for one no layer wired to these sessions
    /// verified, [`InvalidGrant`](SessionError::InvalidGrant) when the session has ended (logged out, revoked,
    /// idled out, past its end), [`Unavailable`](SessionError::Unavailable) when the store is down — or is a
    /// store that does not implement [`SessionStore::reauthenticate`](crate::SessionStore::reauthenticate).
    pub async fn reauthenticate<T: Serialize + ?Sized>(
        &self,
        token: &TokenInfo,
        claims: &T,
        options: LoginOptions,
    ) -> Result<(), SessionError> {
        let (Some(session_id), Some(subject)) = (token.session_id(), token.subject()) else {
            return Err(SessionError::NotASessionToken);
        };
        if !token.is_own_token() {
            return Err(SessionError::NotVerifiedBySessions);
        }
        let claims = with_authentication(claims, options.acr.as_deref(), options.amr.as_deref())?;
        let now = self.inner.clock.now();
        let request = Reauthentication {
            session_id: session_id.to_owned(),
            subject: subject.to_owned(),
            auth_time: now,
            claims,
            now,
        };
        match self.inner.store.reauthenticate(request).await? {
            true => Ok(()),
            false => Err(SessionError::InvalidGrant),
        }
    }
}
