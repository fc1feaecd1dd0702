// SPDX-License-Identifier: GPL-2.0

//! AF_RXRPC in Rust: the RxRPC protocol as a socket family.
//!
//! `proto/` is the sans-IO protocol engine, shared with the host crate.
//! `sock/` is the socket API, `security/` the key types and rxkad, and
//! `ffi/` the one thin layer of `unsafe` glue to the C kernel.

use kernel::prelude::*;

mod ffi;
pub mod proto;
pub mod security;
mod sock;

module! {
    type: RxrpcRs,
    name: "rxrpc_rs",
    author: "rxrpc-rs developers",
    description: "RxRPC session sockets (AF_RXRPC), in Rust",
    license: "GPL",
    alias: ["net-pf-33"],
}

/// The loaded module: everything it registered, released on unload in
/// the order of the fields' declaration. The /proc files are registered
/// before the family (an endpoint closing adds its counters to the files'
/// per-namespace storage) and removed before it (their readers walk the
/// family's registry; until it is there they list nothing).
struct RxrpcRs {
    _proc: ffi::proc::ProcFiles,
    _family: ffi::socket::FamilyRegistration,
    _keys: ffi::key::KeyTypes,
    _sysctl: ffi::sysctl::Sysctl,
}

impl kernel::Module for RxrpcRs {
    fn init(module: &'static ThisModule) -> Result<Self> {
        let sysctl = ffi::sysctl::Sysctl::new()?;
        let keys = ffi::key::KeyTypes::new()?;
        let proc = ffi::proc::ProcFiles::new()?;
        let family = ffi::socket::FamilyRegistration::new(module)?;
        pr_info!("AF_RXRPC (Rust) registered\n");
        Ok(Self { _proc: proc, _family: family, _keys: keys, _sysctl: sysctl })
    }
}
