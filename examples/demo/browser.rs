//! The browser routes: `POST /browser/login` answers with the session's cookies (access, refresh, CSRF); the
//! refresh and logout endpoints come from the library (`BrowserSessions`).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use tower_jwt_auth::session::LoginOptions;

use crate::accounts::{check_password, json_object};
use crate::app::AppState;
use crate::handlers::error_response;

#[derive(Deserialize)]
pub(crate) struct BrowserLogin {
    username: String,
    password: String,
}

/// `POST /browser/login {"username","password"}`: 204 with the three cookies, 401 on bad credentials.
pub(crate) async fn browser_login(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(BrowserLogin { username, password }) = json_object::<BrowserLogin>(&body) else {
        return error_response(StatusCode::BAD_REQUEST, "invalid_request");
    };
    let (name, _, scope) = match check_password(username, password).await {
        Ok(Some(user)) => *user,
        Ok(None) => return error_response(StatusCode::UNAUTHORIZED, "invalid_credentials"),
        Err(busy) => return busy,
    };
    let mut options = LoginOptions::new();
    if let Some(agent) = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
    {
        options = options.user_agent(agent);
    }
    match state
        .browser
        .login(name, &json!({ "scope": scope }), options)
        .await
    {
        Ok(response) => response.into_response(),
        Err(tower_jwt_auth::session::SessionError::Unavailable(_)) => {
            error_response(StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable")
        }
        Err(_) => error_response(StatusCode::INTERNAL_SERVER_ERROR, "server_error"),
    }
}
