//! The Redis store's step-up: one script replacing a live session's claims and `auth_time`.

use std::sync::LazyLock;

use redis::Script;

use crate::store::redis::store::RedisStore;
use crate::store::{Reauthentication, StoreError};

/// KEYS: session. ARGV: sub, auth_time, claims, now. 1 when the session exists, is the subject's and has not
/// ended at `now`, and was updated; 0 otherwise (nothing written).
const REAUTHENTICATE: &str = r"
local s = redis.call('HMGET', KEYS[1], 'sub', 'exp')
if not s[1] or s[1] ~= ARGV[1] or tonumber(s[2]) <= tonumber(ARGV[4]) then return 0 end
redis.call('HSET', KEYS[1], 'auth_time', ARGV[2], 'claims', ARGV[3])
return 1
";

static SCRIPT: LazyLock<Script> = LazyLock::new(|| Script::new(REAUTHENTICATE));

impl RedisStore {
    /// Replaces the claims and `auth_time` of the live session `request` names; whether it did.
    pub(crate) async fn reauthenticate_session(
        &self,
        request: Reauthentication,
    ) -> Result<bool, StoreError> {
        let session_key = self.layout.session(&request.session_id);
        let updated: i64 = self
            .run(|mut connection, _| async move {
                SCRIPT
                    .key(&session_key)
                    .arg(&request.subject)
                    .arg(request.auth_time)
                    .arg(&request.claims)
                    .arg(request.now)
                    .invoke_async(&mut connection)
                    .await
            })
            .await?;
        Ok(updated == 1)
    }
}
