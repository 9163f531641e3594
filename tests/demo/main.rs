//! The demo example driven over HTTP as its clients do, one behaviour per file: its contract, its keys, its
//! sessions, its password checks, its metrics, and its DPoP contract.

#[path = "../common/mod.rs"]
mod common;
mod fixtures;

mod demo_audit_log;
mod demo_browser;
mod demo_contract;
mod demo_devices;
mod demo_dpop;
mod demo_keys;
mod demo_metrics;
mod demo_passwords;
mod demo_providers;
mod demo_redis_warnings;
mod demo_sessions;
mod demo_strong_auth;
mod demo_websocket;
