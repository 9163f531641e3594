//! The demo example driven over HTTP as its clients do: its contract, and its DPoP contract.

#[path = "../common/mod.rs"]
mod common;

mod demo_contract;
mod demo_dpop;
