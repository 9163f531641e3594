//! "Your devices": `GET /sessions` lists the caller's live sessions, `DELETE /sessions/{id}` ends one of them.

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use tower_jwt_auth::session::SessionError;
use tower_jwt_auth::TokenInfo;

use crate::app::AppState;
use crate::handlers::error_response;

/// `GET /sessions`: 200 `{"sessions":[{"id","created_at","last_refresh_at","expires_at","user_agent","current"}]}`,
/// the first page (the 50 sessions that end first).
/// A token of another issuer (a `JWKS_URL` key's) has no sessions here: an empty list.
pub(crate) async fn list_sessions(State(state): State<AppState>, info: TokenInfo) -> Response {
    let sessions = match state.sessions.sessions_of(&info, None).await {
        Ok(list) => json!(list.sessions),
        Err(SessionError::Unavailable(_)) => return unavailable(),
        Err(_) => json!([]),
    };
    (
        [(header::CACHE_CONTROL, "no-store")],
        Json(json!({ "sessions": sessions })),
    )
        .into_response()
}

/// `DELETE /sessions/{id}`: 204 when `id` was one of the caller's live sessions (now revoked), 404 otherwise.
pub(crate) async fn end_session(
    State(state): State<AppState>,
    info: TokenInfo,
    Path(id): Path<String>,
) -> Response {
    match state.sessions.end_session_of(&info, &id).await {
        Ok(true) => StatusCode::NO_CONTENT.into_response(),
        Err(SessionError::Unavailable(_)) => unavailable(),
        // Not one of the caller's sessions: also for a token of another issuer, which has none here.
        Ok(false) | Err(_) => error_response(StatusCode::NOT_FOUND, "not_found"),
    }
}

/// A store that can't answer.
fn unavailable() -> Response {
    error_response(StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable")
}
