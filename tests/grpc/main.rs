//! gRPC, one behaviour per file: the grpc example driven by a tonic client, an in-process tonic server with a
//! store that is down, the wire shape of rejections, and the committed generated code checked against what its
//! proto generates.

#[path = "../common/mod.rs"]
mod common;
mod fixtures;

mod grpc_codegen;
mod grpc_example;
mod grpc_rejections;
mod grpc_store_down;
