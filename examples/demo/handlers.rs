//! The protected routes' handlers (`/me`, `/posts`, `/logout`, `/logout-all`) and the JSON error body.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use tower_jwt_auth::{Claims, TokenInfo};

use crate::app::AppState;

pub(crate) fn error_response(status: StatusCode, code: &str) -> Response {
    (
        status,
        [(header::CACHE_CONTROL, "no-store")],
        Json(json!({ "error": code })),
    )
        .into_response()
}

pub(crate) async fn me(claims: Claims<Value>) -> Json<Value> {
    Json((*claims).clone())
}

pub(crate) async fn create_post(info: TokenInfo) -> Response {
    let author = info.subject().unwrap_or_default().to_owned();
    (
        StatusCode::CREATED,
        Json(json!({ "created": true, "author": author })),
    )
        .into_response()
}

pub(crate) async fn logout(State(state): State<AppState>, info: TokenInfo) -> Response {
    match state.sessions.logout(&info).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(tower_jwt_auth::session::SessionError::Unavailable(_)) => {
            error_response(StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable")
        }
        Err(_) => error_response(StatusCode::BAD_REQUEST, "invalid_request"),
    }
}

pub(crate) async fn logout_all(State(state): State<AppState>, info: TokenInfo) -> Response {
    let Some(subject) = info.subject() else {
        return error_response(StatusCode::BAD_REQUEST, "invalid_request");
    };
    match state.sessions.logout_all(subject).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(tower_jwt_auth::session::SessionError::Unavailable(_)) => {
            error_response(StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable")
        }
        Err(_) => error_response(StatusCode::BAD_REQUEST, "invalid_request"),
    }
}
