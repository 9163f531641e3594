//! Browsers: cookie sessions with their CSRF guard, driven by a cookie-keeping HTTPS client against a real TLS
//! server (Secure cookies travel over https only), and WebSocket handshakes' token sources.

#[path = "../common/mod.rs"]
mod common;

// Cookie sessions and WebSockets (h-cookie).
mod browser_fixtures;
mod cookie_sessions;
mod csrf_guard;
mod websocket_sources;
