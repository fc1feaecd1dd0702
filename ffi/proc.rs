//! /proc/net/rxrpc: the per-namespace files. `ffi/glue.c` registers them
//! (pernet_operations) and prints the rows with the C module's formats;
//! their show callbacks come here, and `sock/proc.rs` collects the rows.

use core::ffi::c_uint;

use kernel::prelude::*;

use super::bindings;
use super::io::NetNs;

/// The registered files, in every network namespace; removed on drop.
///
/// # Invariants
///
/// Registered from `new` until dropped. Unregistering removes the files of
/// every namespace and waits for show callbacks in progress, so none runs
/// after the drop.
pub(crate) struct ProcFiles;

impl ProcFiles {
    /// Registers the files (made now in every namespace, and in new ones
    /// as they are made).
    pub(crate) fn new() -> Result<Self> {
        // SAFETY: Registers a static pernet_operations, once, at load.
        kernel::error::to_result(unsafe { bindings::rxrpc_rs_proc_register() })?;
        Ok(Self)
    }
}

impl Drop for ProcFiles {
    fn drop(&mut self) {
        // SAFETY: Registered in `new`.
        unsafe { bindings::rxrpc_rs_proc_unregister() };
    }
}

/// The seq_file of a show callback in progress, to print rows into.
///
/// # Invariants
///
/// Points to the live seq_file of the callback that made it.
pub(crate) struct Seq(*mut bindings::seq_file);

impl Seq {
    /// A row of `calls`.
    pub(crate) fn call(&mut self, row: &bindings::rxrpc_rs_proc_call) {
        // SAFETY: Live seq_file (type invariant); `row` is valid.
        unsafe { bindings::rxrpc_rs_proc_call_row(self.0, row) };
    }

    /// A row of `conns`.
    pub(crate) fn conn(&mut self, row: &bindings::rxrpc_rs_proc_conn) {
        // SAFETY: As in `call`.
        unsafe { bindings::rxrpc_rs_proc_conn_row(self.0, row) };
    }

    /// A row of `bundles`.
    pub(crate) fn bundle(&mut self, row: &bindings::rxrpc_rs_proc_bundle) {
        // SAFETY: As in `call`.
        unsafe { bindings::rxrpc_rs_proc_bundle_row(self.0, row) };
    }

    /// A row of `peers`.
    pub(crate) fn peer(&mut self, row: &bindings::rxrpc_rs_proc_peer) {
        // SAFETY: As in `call`.
        unsafe { bindings::rxrpc_rs_proc_peer_row(self.0, row) };
    }

    /// A row of `locals`.
    pub(crate) fn local(&mut self, row: &bindings::rxrpc_rs_proc_local) {
        // SAFETY: As in `call`.
        unsafe { bindings::rxrpc_rs_proc_local_row(self.0, row) };
    }

    /// The whole of `stats`.
    pub(crate) fn stats(&mut self, st: &bindings::rxrpc_rs_proc_stats) {
        // SAFETY: As in `call`.
        unsafe { bindings::rxrpc_rs_proc_stats_show(self.0, st) };
    }
}

/// Adds the counters of a closing endpoint of `net` to the namespace's.
pub(crate) fn retire(net: NetNs, st: &bindings::rxrpc_rs_proc_stats) {
    // SAFETY: An endpoint closes while a socket of `net` (holding the
    // namespace) releases it, so `net` is live, and its pernet storage is
    // there while the files are registered, which outlasts every socket.
    unsafe { bindings::rxrpc_rs_proc_retire(net.as_raw(), st) };
}

/// Adds the counters of `net`'s closed endpoints to `st`.
pub(crate) fn add_retired(net: NetNs, st: &mut bindings::rxrpc_rs_proc_stats) {
    // SAFETY: Called from a show callback, whose seq_file holds `net`; the
    // pernet storage is there while the files are registered.
    unsafe { bindings::rxrpc_rs_proc_retired(net.as_raw(), st) };
}

/// The show callback of every file: prints the rows of `file`
/// (`RXRPC_RS_PROC_*`) for `net`, after the header C printed.
///
/// # Safety
///
/// Called by `ffi/glue.c` from a show callback of a file registered by
/// [`ProcFiles`], with its seq_file and the namespace it holds.
#[no_mangle]
unsafe extern "C" fn rxrpc_rs_proc_show(seq: *mut bindings::seq_file, net: *mut bindings::net, file: c_uint) {
    // SAFETY: Show callbacks end before `ProcFiles` is dropped, and it is
    // dropped before the family's registration (field order of the module).
    let Some(registry) = (unsafe { super::socket::registry() }) else { return };
    // SAFETY: The seq_file holds a reference on `net` while it is open.
    let net = unsafe { NetNs::from_raw(net) };
    crate::sock::proc::show(registry, net, file, &mut Seq(seq));
}
