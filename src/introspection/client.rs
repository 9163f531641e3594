//! One introspection call (RFC 7662 §2): the form POSTed with the client's credentials, the answer read within
//! limits and a timeout.

use std::fmt;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Request, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::{Map, Value};

use crate::introspection::Introspection;
use crate::keys::jwks::fetch::https_connector;

/// Largest answer read.
const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// What the provider said about a token.
#[derive(Debug, Clone)]
pub(crate) enum Answer {
    /// `"active": true`, with every member of the answer.
    Active(Map<String, Value>),
    /// `"active": false` (or nothing the token could be accepted with).
    Inactive,
}

/// A call that brought no usable answer: unreachable, timed out, an error status, a malformed body. The message
/// never holds the token or the secret.
#[derive(Debug, Clone)]
pub(crate) struct Failure(pub(crate) String);

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "introspection failed: {}", self.0)
    }
}

type HttpsClient = Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>;

/// Calls one introspection endpoint.
pub(crate) struct IntrospectionClient {
    pub(crate) settings: Introspection,
    authorization: HeaderValue,
    client: HttpsClient,
}

impl fmt::Debug for IntrospectionClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IntrospectionClient")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

/// `client_secret_basic`: the id and secret each form-urlencoded, then joined and base64-encoded (RFC 6749
/// §2.3.1).
fn basic_authorization(id: &str, secret: &str) -> HeaderValue {
    let encode = |part: &str| form_urlencoded::byte_serialize(part.as_bytes()).collect::<String>();
    let credentials = STANDARD.encode(format!("{}:{}", encode(id), encode(secret)));
    let mut value =
        HeaderValue::from_str(&format!("Basic {credentials}")).expect("base64 is a header value");
    value.set_sensitive(true);
    value
}

impl IntrospectionClient {
    pub(crate) fn new(settings: Introspection) -> Self {
        Self {
            authorization: basic_authorization(&settings.client_id, &settings.client_secret),
            client: Client::builder(TokioExecutor::new()).build(https_connector()),
            settings,
        }
    }

    /// Asks about `token`, within the timeout.
    pub(crate) async fn introspect(&self, token: &str) -> Result<Answer, Failure> {
        match tokio::time::timeout(self.settings.timeout, self.call(token)).await {
            Ok(answer) => answer,
            Err(_) => Err(Failure("timed out".into())),
        }
    }

    async fn call(&self, token: &str) -> Result<Answer, Failure> {
        let form = form_urlencoded::Serializer::new(String::new())
            .append_pair("token", token)
            .append_pair("token_type_hint", "access_token")
            .finish();
        let request = Request::post(self.settings.url.clone())
            .header(header::AUTHORIZATION, self.authorization.clone())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, "application/json")
            .body(Full::new(Bytes::from(form)))
            .map_err(|e| Failure(e.to_string()))?;
        let response = self
            .client
            .request(request)
            .await
            .map_err(|e| Failure(e.to_string()))?;
        let (parts, body) = response.into_parts();
        if parts.status != StatusCode::OK {
            return Err(Failure(format!("status {}", parts.status)));
        }
        let body = Limited::new(body, MAX_ANSWER_BYTES)
            .collect()
            .await
            .map_err(|e| Failure(e.to_string()))?
            .to_bytes();
        answer_of(&body)
    }
}

/// The answer a body holds: a JSON object (unique member names) whose `active` is a boolean.
fn answer_of(body: &[u8]) -> Result<Answer, Failure> {
    let object = crate::jose::json::strict_object(body)
        .ok_or_else(|| Failure("the answer is not a JSON object".into()))?;
    match object.get("active") {
        Some(Value::Bool(true)) => Ok(Answer::Active(object)),
        Some(Value::Bool(false)) => Ok(Answer::Inactive),
        _ => Err(Failure("the answer has no boolean `active`".into())),
    }
}
