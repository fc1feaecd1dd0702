//! Transport addresses of peers.

/// A UDP transport address (IPv4 or IPv6 address and port), as the glue
/// hands it in with each datagram and gets it back with each transmit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TransportAddr {
    /// IPv4 address (network order bytes) and port.
    V4([u8; 4], u16),
    /// IPv6 address (network order bytes) and port.
    V6([u8; 16], u16),
}

impl TransportAddr {
    /// The UDP port.
    pub fn port(&self) -> u16 {
        match *self {
            TransportAddr::V4(_, p) | TransportAddr::V6(_, p) => p,
        }
    }
}
