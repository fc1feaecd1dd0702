//! The user API numbers of AF_RXRPC (`include/uapi/linux/rxrpc.h`,
//! `linux/socket.h`, `uapi/linux/udp.h`): a stable ABI, written out here
//! so that the kernel layer below need not know RxRPC.

/// `AF_RXRPC` and `PF_RXRPC`.
pub(crate) const AF_RXRPC: u16 = 33;
/// `SOL_RXRPC`, the level of AF_RXRPC's options and control messages.
pub(crate) const SOL_RXRPC: i32 = 272;
/// `UDP_ENCAP_RXRPC`: how the UDP socket of a local endpoint is marked.
pub(crate) const UDP_ENCAP_RXRPC: u8 = 6;

/// `setsockopt`/`getsockopt` names at `SOL_RXRPC`.
pub(crate) mod opt {
    /// Client security key (a "rxrpc" key's description).
    pub(crate) const SECURITY_KEY: i32 = 1;
    /// Keyring of server keys.
    pub(crate) const SECURITY_KEYRING: i32 = 2;
    /// Every call on a connection of its own (deprecated).
    pub(crate) const EXCLUSIVE_CONNECTION: i32 = 3;
    /// Lowest security level accepted.
    pub(crate) const MIN_SECURITY_LEVEL: i32 = 4;
    /// A pair of services, the first upgradeable to the second.
    pub(crate) const UPGRADEABLE_SERVICE: i32 = 5;
    /// The highest control message type supported (get only).
    pub(crate) const SUPPORTED_CMSG: i32 = 6;
}

/// Control message types (`enum rxrpc_cmsg_type`).
pub(crate) mod cmsg {
    /// The application's id of a call.
    pub(crate) const USER_CALL_ID: u32 = 1;
    /// An abort, sent or received.
    pub(crate) const ABORT: u32 = 2;
    /// The final ACK of a served call arrived.
    pub(crate) const ACK: u32 = 3;
    /// A network error ended the call.
    pub(crate) const NET_ERROR: u32 = 5;
    /// The server was busy.
    pub(crate) const BUSY: u32 = 6;
    /// A local error ended the call.
    pub(crate) const LOCAL_ERROR: u32 = 7;
    /// An incoming call waits to be accepted.
    pub(crate) const NEW_CALL: u32 = 8;
    /// Accept the oldest waiting call: the AF_RXRPC document's accept
    /// model. Linux dropped it from the uapi header (about 5.10).
    pub(crate) const ACCEPT: u32 = 9;
    /// The call wants a connection of its own.
    pub(crate) const EXCLUSIVE_CALL: u32 = 10;
    /// The call probes for a service upgrade.
    pub(crate) const UPGRADE_SERVICE: u32 = 11;
    /// The exact total the call will send.
    pub(crate) const TX_LENGTH: u32 = 12;
    /// Timeouts of the call.
    pub(crate) const SET_CALL_TIMEOUT: u32 = 13;
    /// Charge the accept pool with a user call id.
    pub(crate) const CHARGE_ACCEPT: u32 = 14;
}

/// Highest `RXRPC_MIN_SECURITY_LEVEL` (`RXRPC_SECURITY_ENCRYPT`).
pub(crate) const SECURITY_ENCRYPT: u32 = 2;
