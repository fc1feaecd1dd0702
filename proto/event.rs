//! What the engine reports to the caller.

/// Names a call inside one local endpoint; never reused by it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CallHandle(pub u64);

/// How a call ended. Each maps to one terminal control message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Client: the whole reply arrived. Server: the final ACK arrived.
    Succeeded,
    /// The peer aborted the call with this code (RXRPC_ABORT).
    RemoteAbort(u32),
    /// We aborted the call with this code, by request or on an error
    /// (RXRPC_ABORT); `errno` says why for a local reason (0: by request).
    LocalAbort {
        /// The abort code sent to the peer.
        code: u32,
        /// Local error number (positive errno), 0 if the user asked.
        errno: i32,
    },
    /// The server rejected the call as busy (RXRPC_BUSY).
    Busy,
    /// A network error (ICMP) ended the call (RXRPC_NET_ERROR, errno).
    NetError(i32),
    /// A local error (no memory, ...) ended the call (RXRPC_LOCAL_ERROR).
    LocalError(i32),
}

/// An event for the caller, drained with `Endpoint::poll_event`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// An incoming call waits in a service's accept queue (RXRPC_NEW_CALL);
    /// take it with `Endpoint::accept_next`.
    NewCall {
        /// Service id the call arrived on (after any upgrade).
        service_id: u16,
    },
    /// Data can be read from the call with `Endpoint::recv`.
    DataReady {
        /// The call.
        call: CallHandle,
        /// The caller's tag of the call.
        user: u64,
    },
    /// The call can take more Tx data after a short `Endpoint::send`.
    TxSpace {
        /// The call.
        call: CallHandle,
        /// The caller's tag of the call.
        user: u64,
    },
    /// The call ended. Data already received stays readable; the caller
    /// then calls `Endpoint::release`.
    Complete {
        /// The call.
        call: CallHandle,
        /// The caller's tag of the call.
        user: u64,
        /// How it ended.
        outcome: Outcome,
    },
}
