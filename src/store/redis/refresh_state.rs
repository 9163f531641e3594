//! The Redis store's read of a refresh token's state (for introspection): one `HMGET` of its session's hash,
//! judged by the refresh decision of `store/presented.rs` (read only: nothing is rotated or written).

use crate::store::presented::StoredTokens;
use crate::store::redis::store::{parse_hash, parse_i64, parse_u64, RedisStore};
use crate::store::{RefreshGrant, RefreshTokenState, StoreFuture};

impl RedisStore {
    /// The state of the refresh token `generation`/`secret_hash` of `session_id`, when it is the session's live
    /// current token.
    pub(super) fn read_refresh_token_state(
        &self,
        session_id: &str,
        generation: u64,
        secret_hash: [u8; 32],
        now: i64,
    ) -> StoreFuture<Option<RefreshTokenState>> {
        let store = self.clone();
        let session_key = self.layout.session(session_id);
        self.boxed(async move {
            let fields: Vec<Option<String>> = store
                .run(|mut connection, _| async move {
                    redis::cmd("HMGET")
                        .arg(&session_key)
                        .arg(&["sub", "auth_time", "exp", "claims", "gen", "cur", "texp"])
                        .query_async(&mut connection)
                        .await
                })
                .await?;
            let [Some(subject), auth_time, session_end, claims, current, hash, expiry] =
                <[Option<String>; 7]>::try_from(fields).unwrap_or_default()
            else {
                return Ok(None);
            };
            let tokens = StoredTokens {
                current: RefreshGrant::new(
                    parse_u64(current.as_ref())?,
                    parse_hash(hash.as_ref())?,
                    parse_i64(expiry.as_ref())?,
                ),
                previous_hash: None,
                rotated_at: 0,
            };
            let session_end = parse_i64(session_end.as_ref())?;
            if !tokens.is_live(generation, &secret_hash, now, session_end) {
                return Ok(None);
            }
            let auth_time = parse_i64(auth_time.as_ref())?;
            Ok(Some(RefreshTokenState::new(
                subject,
                auth_time,
                tokens.current.expires_at,
                claims.unwrap_or_default(),
            )))
        })
    }
}
