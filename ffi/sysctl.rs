//! `sysctl net.rxrpc`: the tunables shared with the C module.

use kernel::prelude::*;

use super::bindings;

/// The registered table; unregistered on drop.
pub(crate) struct Sysctl;

impl Sysctl {
    /// Registers `net.rxrpc.*`.
    pub(crate) fn new() -> Result<Self> {
        // SAFETY: Registers a static table, once, at module load.
        kernel::error::to_result(unsafe { bindings::rxrpc_rs_sysctl_register() })?;
        Ok(Self)
    }
}

impl Drop for Sysctl {
    fn drop(&mut self) {
        // SAFETY: Registered in `new`.
        unsafe { bindings::rxrpc_rs_sysctl_unregister() };
    }
}

/// `net.rxrpc.max_backlog`: the most calls `listen()` lets wait.
pub(crate) fn max_backlog() -> u32 {
    // SAFETY: Reads a static with `READ_ONCE`.
    unsafe { bindings::rxrpc_rs_max_backlog() }
}

/// `net.rxrpc.rx_window_size`: the receive window new endpoints offer.
pub(crate) fn rx_window_size() -> u32 {
    // SAFETY: Reads a static with `READ_ONCE`.
    unsafe { bindings::rxrpc_rs_rx_window_size() }
}
