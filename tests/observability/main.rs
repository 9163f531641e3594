//! What the crate reports: tracing events and spans (feature tracing), counters and histograms (feature
//! metrics), each recorded by a subscriber or recorder local to its test.

#[path = "../common/mod.rs"]
mod common;

mod audit_tracing;
mod metrics;
mod tracing_events;
