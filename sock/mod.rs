//! The AF_RXRPC socket API: the safe side of `proto_ops`.
//!
//! `ffi::socket` owns the kernel objects and calls in here with plain Rust
//! values and a locked socket.

use kernel::prelude::*;

use crate::ffi::socket::Locked;
use crate::ffi::{bindings, errno};

/// Checks `socket(AF_RXRPC, type, protocol)` as the C module does: the
/// transport protocol is checked before the socket type.
pub(crate) fn check_create(sock_type: i16, protocol: i32) -> Result {
    match u32::try_from(protocol) {
        Ok(bindings::PF_INET | bindings::PF_INET6) => {}
        _ => return Err(errno(bindings::EPROTONOSUPPORT)),
    }
    if i32::from(sock_type) != bindings::sock_type_SOCK_DGRAM as i32 {
        return Err(errno(bindings::ESOCKTNOSUPPORT));
    }
    Ok(())
}

/// Where a socket is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Open,
    Closed,
}

/// The Rust part of every AF_RXRPC socket.
pub(crate) struct SockState {
    phase: Phase,
}

impl SockState {
    /// A fresh socket.
    pub(crate) fn new() -> Self {
        Self { phase: Phase::Open }
    }

    /// `close()`: the socket takes no more operations.
    pub(crate) fn release(&mut self) {
        self.phase = Phase::Closed;
    }
}

/// `shutdown()`: only both directions at once, and only once.
pub(crate) fn shutdown(sk: &mut Locked, how: i32) -> Result {
    if u32::try_from(how) != Ok(bindings::sock_shutdown_cmd_SHUT_RDWR) {
        return Err(errno(bindings::EOPNOTSUPP));
    }
    if sk.state().phase == Phase::Closed {
        return Err(errno(bindings::ESHUTDOWN));
    }
    sk.state().phase = Phase::Closed;
    sk.set_shutdown_all();
    Ok(())
}
