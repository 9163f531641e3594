//! The demo's users and `POST /login`: password checks bounded per core, then a session.

use std::sync::LazyLock;
use std::time::Duration;

use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};
use axum::body::Bytes;
use axum::extract::OriginalUri;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::{header, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::sync::Semaphore;
use tower_jwt_auth::audit::AuditEventKind;
use tower_jwt_auth::dpop::DpopPolicy;
use tower_jwt_auth::session::LoginOptions;
use tower_jwt_auth::AuthError;

use crate::app::AppState;
use crate::handlers::error_response;

/// Demo users: name, argon2id hash of the password, and granted scopes. Passwords: alice-pass, bob-pass.
pub(crate) const USERS: &[(&str, &str, &str)] = &[
    (
        "alice",
        "$argon2id$v=19$m=19456,t=2,p=1$rODYfOoAXMRjjbROLHatNQ$YBCMPB8xfP3Q+i80caFEchVTmfKvR4gMvqGSXfNmjuA",
        "read write",
    ),
    (
        "bob",
        "$argon2id$v=19$m=19456,t=2,p=1$RzDQB2JNkMPez4fi2SoF+A$j0HcKqS3u5EfVCBH4nb/H9gH5XxNp8dM6Q1ZjXLidss",
        "read",
    ),
];

#[derive(Deserialize)]
pub(crate) struct Login {
    username: String,
    password: String,
    /// The OAuth client the tokens are for (RFC 9068 `client_id`); `demo` when the login names none.
    #[serde(default)]
    client_id: Option<String>,
}

/// A JSON body that is an object (serde alone would also read the struct from an array).
pub(crate) fn json_object<T: serde::de::DeserializeOwned>(body: &[u8]) -> Option<T> {
    let object: serde_json::Map<String, Value> = serde_json::from_slice(body).ok()?;
    serde_json::from_value(Value::Object(object)).ok()
}

/// How many password checks run at once: one per core. A login waits up to [`PASSWORD_QUEUE_WAIT`] for its turn
/// (a burst of users is served), then `/login` answers 503 `temporarily_unavailable` with `Retry-After: 1`, so a
/// flood of logins never costs more than this many argon2 verifications (each about 19 MiB and tens of
/// milliseconds of CPU) at a time.
/// How long a login waits for a password check to be free before it is refused as busy.
pub(crate) const PASSWORD_QUEUE_WAIT: Duration = Duration::from_millis(500);

pub(crate) static PASSWORD_CHECKS: LazyLock<Semaphore> = LazyLock::new(|| {
    Semaphore::new(std::thread::available_parallelism().map_or(1, std::num::NonZero::get))
});

/// A hash of a password nobody has, with the parameters of the users' hashes: an unknown username is checked
/// against it, so `/login` takes as long for a name that does not exist as for a wrong password.
pub(crate) static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    let model = PasswordHash::new(USERS[0].1).expect("the demo users' hashes are argon2 hashes");
    let params = argon2::Params::try_from(&model).expect("argon2 parameters");
    let salt =
        argon2::password_hash::SaltString::encode_b64(b"demo: no such user").expect("a valid salt");
    Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
        .hash_password(b"nobody has this password", &salt)
        .expect("the dummy password hashes")
        .to_string()
});

/// The user whose name and password these are: one argon2 verification whether or not the user exists (an
/// unknown one against [`DUMMY_HASH`]), on the blocking pool so it does not stall the async workers, within the
/// [`PASSWORD_CHECKS`] bound (else `Err`, the 503 to answer).
pub(crate) async fn check_password(
    username: String,
    password: String,
) -> Result<Option<&'static (&'static str, &'static str, &'static str)>, Response> {
    // A burst waits briefly for a turn; only a sustained flood beyond the cores is refused.
    let permit = tokio::time::timeout(PASSWORD_QUEUE_WAIT, PASSWORD_CHECKS.acquire()).await;
    let Ok(Ok(permit)) = permit else {
        let mut busy = error_response(StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable");
        busy.headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
        return Err(busy);
    };
    tokio::task::spawn_blocking(move || {
        // The permit goes with the work: a client that hangs up does not free it before the check ends.
        let _permit = permit;
        let user = USERS.iter().find(|(name, _, _)| *name == username);
        let hash = user.map_or(DUMMY_HASH.as_str(), |(_, hash, _)| hash);
        let verified = PasswordHash::new(hash).is_ok_and(|hash| {
            Argon2::default()
                .verify_password(password.as_bytes(), &hash)
                .is_ok()
        });
        user.filter(|_| verified)
    })
    .await
    .map_err(|_| error_response(StatusCode::INTERNAL_SERVER_ERROR, "server_error"))
}

/// The answer to a login whose proof was refused; a replay is reported first (audit event `dpop_replay`, with
/// the user once the password checked out).
fn refused_proof(
    state: &AppState,
    refused: &AuthError,
    user: Option<&str>,
    headers: &HeaderMap,
) -> Response {
    if refused.is_dpop_replay() {
        let event = state.sessions.audit_event(AuditEventKind::DpopReplay);
        state
            .sessions
            .report(event.subject(user).user_agent(user_agent(headers)));
    }
    state.dpop.token_endpoint_refusal(refused).into_response()
}

/// The request's `User-Agent`, when readable.
fn user_agent(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
}

pub(crate) async fn login(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    // The proof is verified first (a bad one costs no password check) and recorded once the password is
    // checked, so self-signed proofs with wrong passwords take no room in the replay cache.
    let proof = match state.policy {
        DpopPolicy::Off => None,
        _ => match state.dpop.verify(&Method::POST, &uri, &headers, None) {
            Ok(proof) => proof,
            // 400 invalid_dpop_proof (a known replay too) or 400 use_dpop_nonce.
            Err(refused) => return refused_proof(&state, &refused, None, &headers),
        },
    };
    if proof.is_none() && state.policy == DpopPolicy::Required {
        return error_response(StatusCode::BAD_REQUEST, "invalid_dpop_proof");
    }
    let Some(Login {
        username,
        password,
        client_id,
    }) = json_object::<Login>(&body)
    else {
        return error_response(StatusCode::BAD_REQUEST, "invalid_request");
    };
    if client_id.as_deref().is_some_and(|id| {
        id.is_empty() || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_graphic())
    }) {
        return error_response(StatusCode::BAD_REQUEST, "invalid_request");
    }
    let (name, _, scope) = match check_password(username, password).await {
        Ok(Some(user)) => *user,
        Ok(None) => return error_response(StatusCode::UNAUTHORIZED, "invalid_credentials"),
        Err(busy) => return busy,
    };
    // Used up now: a replayed proof binds nothing (400 invalid_dpop_proof), or 503 when it can't be recorded.
    let proof = match proof {
        Some(proof) => match state.dpop.record(proof).await {
            Ok(proof) => Some(proof),
            Err(refused) => return refused_proof(&state, &refused, Some(name), &headers),
        },
        None => None,
    };
    let mut claims = json!({ "scope": scope });
    if let Some(client_id) = client_id {
        claims["client_id"] = client_id.into();
    }
    let mut options = LoginOptions::new();
    if let Some(proof) = &proof {
        options = options.dpop(proof);
    }
    if let Some(user_agent) = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
    {
        options = options.user_agent(user_agent);
    }
    match state
        .sessions
        .login_with_options(name, &claims, options)
        .await
    {
        Ok(pair) => (
            [
                (header::CACHE_CONTROL, "no-store"),
                (header::PRAGMA, "no-cache"),
            ],
            Json(pair),
        )
            .into_response(),
        Err(tower_jwt_auth::session::SessionError::Unavailable(_)) => {
            error_response(StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable")
        }
        Err(_) => error_response(StatusCode::INTERNAL_SERVER_ERROR, "server_error"),
    }
}
