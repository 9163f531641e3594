//! The demo server: login, /me, /posts, /payments (step-up), refresh, logout, logout-all and revoke over
//! tower-jwt-auth, with DPoP-bound and certificate-bound tokens beside bearer ones, over HTTP or HTTPS,
//! configured from the environment.
//!
//! ```text
//! cargo run --example demo
//! ```
//! See README.md ("The demo server") for the environment variables and a curl session.

mod accounts;
mod app;
mod audit_log;
mod backchannel;
mod browser;
mod devices;
mod handlers;
mod introspection;
mod payments;
mod read_body;
mod settings;
mod stores;
mod tls;
mod websocket;

use std::net::SocketAddr;

use crate::app::app;
use crate::settings::env_or;

/// Errors the demo reports at start-up.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let bind: SocketAddr = env_or("BIND", "127.0.0.1:3000")
        .parse()
        .map_err(|_| "BIND must be host:port")?;
    let listener = tokio::net::TcpListener::bind(bind).await?;
    let address = listener.local_addr()?;
    let scheme = match std::env::var_os("TLS_CERT") {
        Some(_) => "https",
        None => "http",
    };
    let public_url = env_or("PUBLIC_URL", &format!("{scheme}://{address}"));
    let app = app(public_url.trim_end_matches('/'))
        .await
        .inspect_err(|e| eprintln!("error: {e}"))?;
    if let Some(tls) = tls::server_config()? {
        eprintln!("demo listening on https://{address}");
        return tls::serve_tls(listener, app, tls).await;
    }
    eprintln!("demo listening on http://{address}");
    axum::serve(listener, app).await?;
    Ok(())
}
