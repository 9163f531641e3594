//! How the Redis store reaches Redis: one server (through the reconnecting connection manager) or a Redis Cluster
//! (through the cluster client, which follows the slot map and reconnects by itself), behind one connection type.

use std::time::Duration;

use redis::aio::{
    ConnectionLike, ConnectionManager, ConnectionManagerConfig, MultiplexedConnection,
};
use redis::cluster::{ClusterClient, ClusterConfig};
use redis::cluster_async::ClusterConnection;
use redis::{Cmd, Pipeline, RedisFuture, RedisResult, Value};

use crate::store::StoreError;

/// Where the store's Redis is.
#[derive(Debug, Clone)]
pub(crate) enum Target {
    /// One server (`redis://host:port/db`).
    Single(String),
    /// A Redis Cluster, by some of its nodes (`redis://host:port` each).
    Cluster(Vec<String>),
}

/// A connection to the store's Redis.
#[derive(Clone)]
pub(crate) enum Connection {
    /// The store's calls on one server: reconnects by itself.
    Manager(ConnectionManager),
    /// A plain connection to one server (the feed's blocking reads).
    Multiplexed(MultiplexedConnection),
    /// A Redis Cluster: every command goes to the node of its key's slot.
    Cluster(ClusterConnection),
}

impl ConnectionLike for Connection {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Self::Manager(c) => c.req_packed_command(cmd),
            Self::Multiplexed(c) => c.req_packed_command(cmd),
            Self::Cluster(c) => c.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Self::Manager(c) => c.req_packed_commands(pipeline, offset, count),
            Self::Multiplexed(c) => c.req_packed_commands(pipeline, offset, count),
            Self::Cluster(c) => c.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Self::Manager(c) => c.get_db(),
            Self::Multiplexed(c) => c.get_db(),
            Self::Cluster(c) => c.get_db(),
        }
    }
}

/// Opens the store's connection (lazily: nothing waits for the network) and the client its feed reconnects with.
pub(crate) fn open(target: &Target, timeout: Duration) -> RedisResult<(Connection, FeedClient)> {
    match target {
        Target::Single(url) => {
            let client = redis::Client::open(url.as_str())?;
            let config = ConnectionManagerConfig::new()
                .set_connection_timeout(Some(timeout))
                .set_response_timeout(Some(timeout))
                .set_number_of_retries(1)
                .set_max_delay(Duration::from_millis(500));
            let connection = client.get_connection_manager_lazy(config)?;
            Ok((Connection::Manager(connection), FeedClient::Single(client)))
        }
        Target::Cluster(nodes) => {
            let client = ClusterClient::builder(nodes.iter().map(String::as_str))
                .connection_timeout(timeout)
                .response_timeout(timeout)
                .retries(1)
                .build()?;
            let config = ClusterConfig::new()
                .set_connection_timeout(timeout)
                .set_response_timeout(timeout);
            let connection = client.get_pending_async_connection_with_config(config);
            Ok((
                Connection::Cluster(connection),
                FeedClient::Cluster(Box::new(client)),
            ))
        }
    }
}

/// What the revocation feed connects with: its own connection, since a blocking read holds it.
#[derive(Clone)]
pub(crate) enum FeedClient {
    Single(redis::Client),
    // Boxed: a cluster client is twice the size of a client, and this is built once per store.
    Cluster(Box<ClusterClient>),
}

impl FeedClient {
    /// A connection for the feed's reads, whose calls may take `block` longer than the store's timeout.
    pub(crate) async fn connect(
        &self,
        timeout: Duration,
        block: Duration,
    ) -> RedisResult<Connection> {
        match self {
            Self::Single(client) => {
                let config = redis::AsyncConnectionConfig::new()
                    .set_connection_timeout(Some(timeout))
                    .set_response_timeout(Some(block + timeout));
                Ok(Connection::Multiplexed(
                    client
                        .get_multiplexed_async_connection_with_config(&config)
                        .await?,
                ))
            }
            Self::Cluster(client) => {
                let config = ClusterConfig::new()
                    .set_connection_timeout(timeout)
                    .set_response_timeout(block + timeout);
                Ok(Connection::Cluster(
                    client.get_async_connection_with_config(config).await?,
                ))
            }
        }
    }

    /// Whether this is a cluster (a session's slot is not the markers', see the store docs).
    pub(crate) fn is_cluster(&self) -> bool {
        matches!(self, Self::Cluster(_))
    }
}

/// A Redis error as the store's error: its kind only (never a command, key or value).
pub(super) fn store_error(e: redis::RedisError) -> StoreError {
    StoreError::new(format!("Redis {}", e.kind_str()))
}

/// Short, value-free description of a Redis error (never a key or a value).
pub(super) trait KindStr {
    fn kind_str(&self) -> String;
}

impl KindStr for redis::RedisError {
    fn kind_str(&self) -> String {
        format!("{:?}", self.kind())
    }
}
