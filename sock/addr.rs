//! `struct sockaddr_rxrpc`: parsing and checking, as the C module does.
//!
//! Layout (36 bytes): `u16 srx_family, u16 srx_service, u16 transport_type,
//! u16 transport_len`, then a `sockaddr_in` or `sockaddr_in6`, all in host
//! order except the transport address itself.

use core::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

use kernel::prelude::*;

use super::uapi::AF_RXRPC;
use crate::kapi::errno::{EAFNOSUPPORT, ESOCKTNOSUPPORT};
use crate::kapi::net::{AF_INET, AF_INET6, SOCK_DGRAM};
use crate::proto::TransportAddr;

/// Size of `struct sockaddr_rxrpc`.
pub(crate) const SOCKADDR_LEN: usize = 36;
const TRANSPORT_OFFSET: usize = 8;

/// The transport family of an AF_RXRPC socket, fixed at `socket()`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TransportFamily {
    /// UDP over IPv4 only.
    Inet,
    /// UDP over IPv6, which also reaches IPv4 peers through mapped addresses.
    Inet6,
}

/// A checked `sockaddr_rxrpc`: a service id and a UDP address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RxrpcAddr {
    /// `srx_service`: 0 for a client.
    pub(crate) service: u16,
    /// The transport address.
    pub(crate) transport: TransportAddr,
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_ne_bytes([b[at], b[at + 1]])
}

impl RxrpcAddr {
    /// Checks `len` bytes of a sockaddr from the user for a socket of
    /// `family`, with the C module's errnos: `EINVAL` for a short or
    /// inconsistent address, `EAFNOSUPPORT` for a wrong family,
    /// `ESOCKTNOSUPPORT` for a transport that is not `SOCK_DGRAM`.
    pub(crate) fn parse(b: &[u8], family: TransportFamily) -> Result<Self> {
        if b.len() < SOCKADDR_LEN {
            return Err(EINVAL);
        }
        if u16_at(b, 0) != AF_RXRPC {
            return Err(EAFNOSUPPORT.into());
        }
        if u16_at(b, 4) != SOCK_DGRAM {
            return Err(ESOCKTNOSUPPORT.into());
        }
        let transport_len = usize::from(u16_at(b, 6));
        if transport_len < 2 || transport_len > b.len() - TRANSPORT_OFFSET {
            return Err(EINVAL);
        }
        let t = &b[TRANSPORT_OFFSET..];
        let port = u16::from_be_bytes([t[2], t[3]]);
        let transport = match u16_at(t, 0) {
            AF_INET => {
                if transport_len < 16 {
                    return Err(EINVAL);
                }
                TransportAddr::V4([t[4], t[5], t[6], t[7]], port)
            }
            AF_INET6 => {
                if family != TransportFamily::Inet6 {
                    return Err(EAFNOSUPPORT.into());
                }
                if transport_len < 28 {
                    return Err(EINVAL);
                }
                let mut a = [0; 16];
                a.copy_from_slice(&t[8..24]);
                TransportAddr::V6(a, port)
            }
            _ => return Err(EAFNOSUPPORT.into()),
        };
        Ok(Self {
            service: u16_at(b, 2),
            transport,
        })
    }

    /// The transport address as a peer: an IPv4-mapped IPv6 address is
    /// the IPv4 one, as packets from that peer arrive (the UDP socket
    /// reports them so).
    pub(crate) fn peer(&self) -> TransportAddr {
        match self.transport {
            TransportAddr::V6(a, port) if a[..12] == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff] => {
                TransportAddr::V4([a[12], a[13], a[14], a[15]], port)
            }
            t => t,
        }
    }

    /// Writes this address as a `sockaddr_rxrpc`, for `msg_name`.
    pub(crate) fn write(&self, out: &mut [u8; SOCKADDR_LEN]) {
        out.fill(0);
        out[0..2].copy_from_slice(&AF_RXRPC.to_ne_bytes());
        out[2..4].copy_from_slice(&self.service.to_ne_bytes());
        out[4..6].copy_from_slice(&SOCK_DGRAM.to_ne_bytes());
        let t = &mut out[TRANSPORT_OFFSET..];
        let len: u16 = match self.transport {
            TransportAddr::V4(a, port) => {
                t[0..2].copy_from_slice(&AF_INET.to_ne_bytes());
                t[2..4].copy_from_slice(&port.to_be_bytes());
                t[4..8].copy_from_slice(&a);
                16
            }
            TransportAddr::V6(a, port) => {
                t[0..2].copy_from_slice(&AF_INET6.to_ne_bytes());
                t[2..4].copy_from_slice(&port.to_be_bytes());
                t[8..24].copy_from_slice(&a);
                28
            }
        };
        out[6..8].copy_from_slice(&len.to_ne_bytes());
    }
}

/// An engine address as the kernel's socket address.
pub(crate) fn to_socket(a: &TransportAddr) -> SocketAddr {
    match *a {
        TransportAddr::V4(ip, port) => SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::from(ip), port)),
        TransportAddr::V6(ip, port) => {
            SocketAddr::V6(SocketAddrV6::new(Ipv6Addr::from(ip), port, 0, 0))
        }
    }
}

/// A kernel socket address as the engine's.
pub(crate) fn from_socket(a: &SocketAddr) -> TransportAddr {
    match a {
        SocketAddr::V4(a) => TransportAddr::V4(a.ip().octets(), a.port()),
        SocketAddr::V6(a) => TransportAddr::V6(a.ip().octets(), a.port()),
    }
}
