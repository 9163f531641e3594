//! Step-up in the demo: how a login authenticated (`acr`, `amr`: a password, or a password and alice's one-time
//! code) and `POST /payments`, which takes a recent multi-factor login (RFC 9470).

use std::time::Duration;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{post, MethodRouter};
use axum::Json;
use serde_json::{json, Value};
use tower_jwt_auth::authorize::StepUp;
use tower_jwt_auth::rejection::JsonResponder;
use tower_jwt_auth::session::LoginOptions;
use tower_jwt_auth::JwtAuthLayer;

use crate::app::AppState;

/// A password and a one-time code.
pub(crate) const MFA: &str = "urn:demo:mfa";
/// A password alone.
pub(crate) const PASSWORD_ONLY: &str = "urn:demo:pwd";
/// How recent the multi-factor login behind a payment must be.
pub(crate) const PAYMENT_MAX_AGE: Duration = Duration::from_secs(300);

/// The users' one-time codes (a real server would check a TOTP): only alice has one.
const OTP_CODES: &[(&str, &str)] = &[("alice", "123456")];

/// How `user` authenticated: with `otp`, the user's one-time code (compared in constant time) makes it
/// multi-factor; a code that is not the user's is `None` (401, like a wrong password).
pub(crate) fn authentication(user: &str, otp: Option<&str>) -> Option<LoginOptions> {
    let Some(otp) = otp else {
        return Some(LoginOptions::new().acr(PASSWORD_ONLY).amr(["pwd"]));
    };
    let code = OTP_CODES.iter().find(|(name, _)| *name == user)?.1;
    let matches: bool = subtle::ConstantTimeEq::ct_eq(code.as_bytes(), otp.as_bytes()).into();
    matches.then(|| LoginOptions::new().acr(MFA).amr(["pwd", "otp"]))
}

/// `POST /payments`: a token with scope `write` (else 403 `insufficient_scope`), then a multi-factor login at
/// most five minutes old (else 401 `insufficient_user_authentication`, `acr_values="urn:demo:mfa"`,
/// `max_age=300`): 201 `{"id"}`.
pub(crate) fn payments_route(auth: &JwtAuthLayer<Value, JsonResponder>) -> MethodRouter<AppState> {
    let recent_mfa = StepUp::new().acr_values([MFA]).max_age(PAYMENT_MAX_AGE);
    // The layer added last runs first: the scope, then the step-up.
    post(create_payment)
        .route_layer(auth.require_authentication(recent_mfa))
        .route_layer(auth.require_scopes(["write"]))
}

async fn create_payment() -> Response {
    let mut id = [0u8; 8];
    if getrandom::fill(&mut id).is_err() {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    let id: String = id.iter().map(|b| format!("{b:02x}")).collect();
    (
        StatusCode::CREATED,
        Json(json!({ "id": format!("pay_{id}") })),
    )
        .into_response()
}
