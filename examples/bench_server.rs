//! The server `benches/http/run.sh` measures: `GET /` answers "ok", behind the layer or not.
//!
//! Environment: `BIND` (127.0.0.1:4000), `MODE` (`layer` or `none`), `JWT_ALG` (HS256, RS256, ES256, EdDSA),
//! `JWT_SECRET` (HS256, 32+ bytes), `KEYS` (folder of the PEM test keys), `TOKEN_CACHE` (`0` turns the
//! verified-token cache off). It prints `token <jwt>` on stdout: a token its layer (and the peer) accepts.
//! Runs on one thread, so the script can pin it to one core.

use std::time::Duration;

use axum::{routing::get, Router};
use tower_jwt_auth::{Algorithm, JwtAuthLayer, SigningKey, TokenIssuer, VerificationKey};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn keys(alg: &str) -> Result<(Algorithm, SigningKey, VerificationKey), BoxError> {
    let folder = std::env::var("KEYS").unwrap_or_else(|_| "tests/keys".into());
    let read = |name: &str| std::fs::read(format!("{folder}/{name}"));
    let (alg, private, public) = match alg {
        "HS256" => {
            let secret = std::env::var("JWT_SECRET")?.into_bytes();
            let alg = Algorithm::HS256;
            return Ok((
                alg,
                SigningKey::hmac(alg, &secret)?,
                VerificationKey::hmac(alg, &secret)?,
            ));
        }
        "RS256" => (Algorithm::RS256, "rsa_private.pem", "rsa_public.pem"),
        "ES256" => (Algorithm::ES256, "ec256_private.pem", "ec256_public.pem"),
        "EdDSA" => (
            Algorithm::EdDSA,
            "ed25519_private.pem",
            "ed25519_public.pem",
        ),
        other => return Err(format!("unsupported JWT_ALG {other}").into()),
    };
    Ok((
        alg,
        SigningKey::from_pem(alg, &read(private)?)?,
        VerificationKey::from_pem(alg, &read(public)?)?,
    ))
}

fn main() -> Result<(), BoxError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(serve())
}

async fn serve() -> Result<(), BoxError> {
    let alg = std::env::var("JWT_ALG").unwrap_or_else(|_| "HS256".into());
    let (_, signing, verification) = keys(&alg)?;
    let issuer = TokenIssuer::builder(signing)
        .issuer("bench")
        .audience("bench-api")
        .ttl(Duration::from_secs(3600))
        .build()?;
    println!(
        "token {}",
        issuer
            .issue("alice", &serde_json::json!({ "scope": "read" }))?
            .as_str()
    );
    let mut app = Router::new().route("/", get(|| async { "ok" }));
    if std::env::var("MODE").as_deref() != Ok("none") {
        let mut auth = JwtAuthLayer::builder()
            .key(verification)
            .issuer("bench")
            .audience("bench-api");
        if std::env::var("TOKEN_CACHE").as_deref() == Ok("0") {
            auth = auth.disable_token_cache();
        }
        app = app.layer(auth.build()?);
    }
    let bind = std::env::var("BIND").unwrap_or_else(|_| "127.0.0.1:4000".into());
    let listener = tokio::net::TcpListener::bind(&bind).await?;
    eprintln!("bench server listening on {bind}");
    axum::serve(listener, app).await?;
    Ok(())
}
