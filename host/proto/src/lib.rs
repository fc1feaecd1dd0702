//! Host build of the RxRPC engine in `proto/`.
//!
//! The kernel module compiles `proto/` as `rxrpc_rs::proto`; this crate
//! compiles the very same files as a `no_std` library so that they can be
//! unit tested, property tested, simulated, fuzzed and benchmarked on the host.
#![no_std]
#![forbid(unsafe_code)]

#[cfg(test)]
extern crate std;

#[path = "../../../proto/mod.rs"]
mod proto;

pub use proto::*;
