// SPDX-License-Identifier: GPL-2.0

//! AF_RXRPC in Rust: the RxRPC protocol as a socket family.
//!
//! `proto/` is the sans-IO protocol engine, shared with the host crates.
//! `sock/` is the socket API and `security/` the key types and rxkad, both
//! built on `kapi/`, the kernel abstractions (and all the `unsafe` code).
//! This root only wires the registrations together.

use kernel::prelude::*;
use kernel::sync::Arc;

mod kapi;
pub mod proto;
pub mod security;
mod sock;

use kapi::net::{af_rxrpc, family};
use kapi::{key_type, proc, slab, sysctl};
use security::key::{RxrpcKey, RxrpcServerKey};
use sock::proc::RxrpcProc;
use sock::registry::Registry;
use sock::RxrpcFamily;

module! {
    type: RxrpcRs,
    name: "rxrpc_rs",
    author: "rxrpc-rs developers",
    description: "RxRPC session sockets (AF_RXRPC), in Rust",
    license: "GPL",
    alias: ["net-pf-33"],
}

/// The loaded module: everything it registered, released on unload in the
/// order of the fields' declaration. The in-kernel interface goes first
/// (its users are gone: they depend on this module). The /proc files are
/// registered before the family and removed before it, so that their
/// readers never see a registry the family no longer serves. The slab
/// caches go last, after every endpoint and its objects.
struct RxrpcRs {
    _kernel_api: af_rxrpc::Registration<RxrpcFamily>,
    _proc: proc::Registration<RxrpcProc>,
    family: family::Registration<RxrpcFamily>,
    _client_keys: key_type::Registration<RxrpcKey>,
    _server_keys: key_type::Registration<RxrpcServerKey>,
    _sysctl: sysctl::Registration,
    _caches: slab::Registration,
}

impl kernel::Module for RxrpcRs {
    fn init(module: &'static ThisModule) -> Result<Self> {
        let caches = slab::Registration::new(&sock::env::CACHES)?;
        let sysctl = sock::sysctl::register()?;
        let server_keys = key_type::Registration::new()?;
        let client_keys = af_rxrpc::register_key_type()?;
        let registry = Arc::pin_init(Registry::new(), GFP_KERNEL)?;
        let proc = proc::Registration::new(registry.clone())?;
        let family = family::Registration::new(module, registry)?;
        let kernel_api = af_rxrpc::Registration::new()?;
        security::rxkad::start_fcrypt_simd();
        pr_info!("AF_RXRPC (Rust) registered\n");
        Ok(Self {
            _kernel_api: kernel_api,
            _proc: proc,
            family,
            _client_keys: client_keys,
            _server_keys: server_keys,
            _sysctl: sysctl,
            _caches: caches,
        })
    }
}

impl Drop for RxrpcRs {
    fn drop(&mut self) {
        // Sockets hold the module, so by now every endpoint should be gone;
        // the test runner fails a run that prints this.
        let left = self.family.shared().len();
        if left != 0 {
            pr_err!(
                "rxrpc_rs: {} local endpoints still in use at unload\n",
                left
            );
        }
    }
}
