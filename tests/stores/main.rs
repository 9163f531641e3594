//! The stores, one behaviour per file: the conformance suite on the crate's stores and on one written outside
//! the crate, Redis specifics, the Redis revocation mirror, a Redis Cluster, and the SQL store.

#[path = "../common/mod.rs"]
mod common;

mod custom_store;
mod redis_cluster;
mod redis_mirror;
mod redis_store;
mod sql_store;
mod store_conformance;
