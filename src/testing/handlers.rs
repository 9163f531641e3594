//! For unit tests of your own handlers: the extensions a verified request carries, without a layer.

use http::Request;
use serde::de::DeserializeOwned;

use crate::jose::json::JsonLimits;
use crate::token::claims_view::parse_claims;
use crate::token::info::{Claims, TokenInfo};

/// The [`TokenInfo`] the layer would insert for a token with these claims (a JSON object: `sub`, `scope`,
/// `sid`, `exp`, …), for handler tests that take `TokenInfo` (or read it from the extensions).
///
/// # Panics
///
/// When `claims` is not a JSON object the layer could read (a test's mistake, not a runtime condition).
pub fn token_info(claims: &serde_json::Value) -> TokenInfo {
    let json = serde_json::to_vec(claims).expect("claims serialize");
    let view = parse_claims(&json, JsonLimits::default())
        .unwrap_or_else(|error| panic!("claims the layer would refuse: {error}"));
    TokenInfo::from_view(&view, false)
}

/// Makes `request` look verified, as the layer leaves it for the handler: `Claims<C>` and the
/// [`TokenInfo`] of `claims_json` in its extensions.
///
/// ```
/// use tower_jwt_auth::testing::authenticate;
/// use tower_jwt_auth::{Claims, TokenInfo};
///
/// let mut request = http::Request::new(());
/// authenticate(&mut request, &serde_json::json!({ "sub": "alice", "scope": "read write" }));
/// assert_eq!(request.extensions().get::<TokenInfo>().unwrap().subject(), Some("alice"));
/// let claims = request.extensions().get::<Claims<serde_json::Value>>().unwrap();
/// assert_eq!(claims["scope"], "read write");
/// ```
pub fn authenticate<B>(request: &mut Request<B>, claims_json: &serde_json::Value) {
    authenticate_as::<serde_json::Value>(request, claims_json);
}

/// [`authenticate`] with claims of your own type `C` (the one your layer is built for with `.claims::<C>()`):
/// `claims_json` deserialised into `C` as `Claims<C>`, beside its [`TokenInfo`], so a handler taking
/// `Claims<C>` gets them as it would behind the layer.
///
/// ```
/// use serde::Deserialize;
/// use tower_jwt_auth::testing::authenticate_as;
/// use tower_jwt_auth::{Claims, TokenInfo};
///
/// #[derive(Deserialize)]
/// struct MyClaims {
///     sub: String,
///     role: String,
/// }
///
/// let mut request = http::Request::new(());
/// authenticate_as::<MyClaims>(&mut request, &serde_json::json!({ "sub": "alice", "role": "admin" }));
/// let claims = request.extensions().get::<Claims<MyClaims>>().unwrap();
/// assert_eq!((claims.sub.as_str(), claims.role.as_str()), ("alice", "admin"));
/// assert_eq!(request.extensions().get::<TokenInfo>().unwrap().subject(), Some("alice"));
/// ```
///
/// # Panics
///
/// When `claims_json` does not deserialise into `C` (naming `C` and serde's reason), or is not a claims
/// object the layer could read: a test's mistake, not a runtime condition.
pub fn authenticate_as<C: DeserializeOwned + Send + Sync + 'static>(
    request: &mut Request<impl Sized>,
    claims_json: &serde_json::Value,
) {
    let claims = C::deserialize(claims_json).unwrap_or_else(|error| {
        panic!(
            "testing::authenticate_as: the claims JSON does not fit {}: {error}",
            std::any::type_name::<C>()
        )
    });
    let extensions = request.extensions_mut();
    extensions.insert(token_info(claims_json));
    extensions.insert(Claims::new(claims));
}
