//! gRPC: the grpc example driven by a tonic client (store down, rejection wire shape), and its committed
//! generated code checked against what its proto generates.

#[path = "../common/mod.rs"]
mod common;

mod grpc;
mod grpc_codegen;
