//! `GET /ws`: a WebSocket behind the layer (token from `?access_token=`, from `Sec-WebSocket-Protocol:
//! access_token, <token>`, from the access cookie or a bearer header); the first message names the subject.

use axum::extract::ws::{Message, WebSocketUpgrade};
use axum::response::Response;
use serde_json::json;
use tower_jwt_auth::TokenInfo;

/// The most messages one connection gets answered (a bounded loop); then the server closes it.
const MAX_MESSAGES: usize = 1_000;

/// Sends `{"sub":"<subject>"}`, then echoes text messages until the client closes.
pub(crate) async fn websocket(upgrade: WebSocketUpgrade, info: TokenInfo) -> Response {
    let subject = info.subject().unwrap_or_default().to_owned();
    upgrade.on_upgrade(move |mut socket| async move {
        let hello = json!({ "sub": subject }).to_string();
        if socket.send(Message::Text(hello.into())).await.is_err() {
            return;
        }
        for _ in 0..MAX_MESSAGES {
            match socket.recv().await {
                Some(Ok(Message::Text(text))) => {
                    if socket.send(Message::Text(text)).await.is_err() {
                        return;
                    }
                }
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return,
                Some(Ok(_)) => {}
            }
        }
    })
}
