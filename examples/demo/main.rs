//! The demo server: login, /me, /posts, refresh, logout, logout-all and revoke over tower-jwt-auth, with
//! DPoP-bound tokens beside bearer ones, configured from the environment.
//!
//! ```text
//! cargo run --example demo
//! ```
//! See README.md ("The demo server") for the environment variables and a curl session.

mod accounts;
mod app;
mod audit_log;
mod backchannel;
mod devices;
mod handlers;
mod introspection;
mod read_body;
mod settings;
mod stores;

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
    let public_url = env_or("PUBLIC_URL", &format!("http://{address}"));
    let app = app(public_url.trim_end_matches('/'))
        .await
        .inspect_err(|e| eprintln!("error: {e}"))?;
    eprintln!("demo listening on http://{address}");
    axum::serve(listener, app).await?;
    Ok(())
}
