//! jwt-authorizer guarding `GET /` with the same keys, issuer and audience as `examples/bench_server.rs`.
//! Environment: BIND (127.0.0.1:4001), JWT_ALG (HS256 | RS256 | ES256 | EdDSA), JWT_SECRET, KEYS (PEM folder).

use axum::{routing::get, Router};
use jwt_authorizer::{Authorizer, IntoLayer, JwtAuthorizer, RegisteredClaims, Validation};

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(serve());
}

async fn serve() {
    let alg = std::env::var("JWT_ALG").unwrap_or_else(|_| "HS256".into());
    let keys = std::env::var("KEYS").unwrap_or_else(|_| "tests/keys".into());
    let builder: jwt_authorizer::AuthorizerBuilder<RegisteredClaims> = match alg.as_str() {
        "HS256" => JwtAuthorizer::from_secret(&std::env::var("JWT_SECRET").expect("JWT_SECRET")),
        "RS256" => JwtAuthorizer::from_rsa_pem(&format!("{keys}/rsa_public.pem")),
        "ES256" => JwtAuthorizer::from_ec_pem(&format!("{keys}/ec256_public.pem")),
        "EdDSA" => JwtAuthorizer::from_ed_pem(&format!("{keys}/ed25519_public.pem")),
        other => panic!("unsupported JWT_ALG {other}"),
    };
    let authorizer: Authorizer<RegisteredClaims> = builder
        .validation(Validation::new().iss(&["bench"]).aud(&["bench-api"]))
        .build()
        .await
        .unwrap();
    let app = Router::new().route("/", get(|| async { "ok" })).layer([authorizer].into_layer());
    let bind = std::env::var("BIND").unwrap_or_else(|_| "127.0.0.1:4001".into());
    let listener = tokio::net::TcpListener::bind(&bind).await.unwrap();
    eprintln!("peer listening on {bind}");
    axum::serve(listener, app).await.unwrap();
}
