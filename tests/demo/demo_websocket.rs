//! The demo's `GET /ws` with a real WebSocket client: the token from `?access_token=`, from
//! `Sec-WebSocket-Protocol: access_token, <token>` (answered with `access_token`), from the access cookie, or
//! a bearer header; the first message names the subject; no or a bad token is a 401 before the upgrade.

use futures::StreamExt;
use http::StatusCode;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{Error, Message};

use crate::common::demo::Demo;
use crate::demo_browser::browser_login;
use crate::fixtures::{login, start_demo};

fn ws_url(demo: &Demo, query: &str) -> String {
    format!("{}/ws{query}", demo.base.replacen("http://", "ws://", 1))
}

/// Opens `/ws` with `query` and these headers; the server's first message and the selected subprotocol.
async fn open(
    demo: &Demo,
    query: &str,
    headers: &[(&str, &str)],
) -> Result<(String, Option<String>), Error> {
    let mut request = ws_url(demo, query).into_client_request().unwrap();
    for (name, value) in headers {
        let name = http::HeaderName::from_bytes(name.as_bytes()).unwrap();
        request.headers_mut().insert(name, value.parse().unwrap());
    }
    let (mut socket, response) = tokio_tungstenite::connect_async(request).await?;
    let protocol = response
        .headers()
        .get("sec-websocket-protocol")
        .map(|v| v.to_str().unwrap().to_owned());
    let first = match socket.next().await.expect("a first message")? {
        Message::Text(text) => text.to_string(),
        other => panic!("a text message, not {other:?}"),
    };
    socket.close(None).await.ok();
    Ok((first, protocol))
}

#[tokio::test]
async fn ws_takes_the_token_four_ways_and_refuses_before_the_upgrade() {
    let demo = start_demo(&[]);
    let access = login(&demo, "alice", "alice-pass").await.body["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let hello = r#"{"sub":"alice"}"#;
    let (first, _) = open(&demo, &format!("?access_token={access}"), &[])
        .await
        .unwrap();
    assert_eq!(first, hello, "query");
    let offer = format!("access_token, {access}");
    let (first, protocol) = open(&demo, "", &[("sec-websocket-protocol", &offer)])
        .await
        .unwrap();
    assert_eq!(first, hello, "subprotocol");
    assert_eq!(protocol.as_deref(), Some("access_token"));
    let bearer = format!("Bearer {access}");
    let (first, _) = open(&demo, "", &[("authorization", &bearer)])
        .await
        .unwrap();
    assert_eq!(first, hello, "bearer header");
    let (_, cookies) = browser_login(&demo, "bob", "bob-pass").await;
    let cookie = format!("__Host-access={}", cookies.get("__Host-access").unwrap());
    let (first, _) = open(&demo, "", &[("cookie", &cookie)]).await.unwrap();
    assert_eq!(first, r#"{"sub":"bob"}"#, "cookie");
    // No token, a bad one: 401 before the upgrade.
    for (query, headers) in [
        ("", vec![]),
        ("?access_token=not.a.token", vec![]),
        (
            "",
            vec![("sec-websocket-protocol", "access_token, bad.token.here")],
        ),
    ] {
        match open(&demo, query, &headers).await {
            Err(Error::Http(response)) => assert_eq!(
                response.status(),
                StatusCode::UNAUTHORIZED,
                "{query} {headers:?}"
            ),
            other => panic!("401 for {query} {headers:?}, got {:?}", other.map(|_| ())),
        }
    }
}
