//! The stores, one behaviour per file: the conformance suite on the crate's stores and on one written outside
//! the crate; Redis outages, persistence, key layout and feed announcements; the Redis revocation mirror; a
//! Redis Cluster; the SQL store's propagation, outages, storage, schema and log order.

#[path = "../common/mod.rs"]
mod common;
mod redis_fixtures;
mod sql_fixtures;

mod custom_store;
mod redis_announcements;
mod redis_cluster;
mod redis_key_layout;
mod redis_mirror;
mod redis_outages;
mod redis_persistence;
mod sql_log_order;
mod sql_outages;
mod sql_propagation;
mod sql_schema;
mod sql_storage;
mod sql_upgrade;
mod store_conformance;
