//! Networking: protocol families, their messages, UDP tunnel sockets, and
//! network namespaces.

pub(crate) mod af_rxrpc;
pub(crate) mod family;
pub(crate) mod msg;
pub(crate) mod tx_pages;
pub(crate) mod udp_tunnel;

use core::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

use super::bindings;

/// `AF_INET`.
pub(crate) const AF_INET: u16 = bindings::AF_INET as u16;
/// `AF_INET6`.
pub(crate) const AF_INET6: u16 = bindings::AF_INET6 as u16;
/// `SOCK_DGRAM`.
pub(crate) const SOCK_DGRAM: u16 = bindings::sock_type_SOCK_DGRAM as u16;
/// `SHUT_RDWR`, the `how` of `shutdown(2)` for both directions.
pub(crate) const SHUT_RDWR: i32 = bindings::sock_shutdown_cmd_SHUT_RDWR as i32;

/// `msg_flags` bits of sendmsg and recvmsg.
pub(crate) mod msg_flags {
    use super::bindings as b;

    /// `MSG_OOB`.
    pub(crate) const OOB: u32 = b::MSG_OOB;
    /// `MSG_PEEK`.
    pub(crate) const PEEK: u32 = b::MSG_PEEK;
    /// `MSG_TRUNC`.
    pub(crate) const TRUNC: u32 = b::MSG_TRUNC;
    /// `MSG_DONTWAIT`.
    pub(crate) const DONTWAIT: u32 = b::MSG_DONTWAIT;
    /// `MSG_EOR`.
    pub(crate) const EOR: u32 = b::MSG_EOR;
    /// `MSG_WAITALL`.
    pub(crate) const WAITALL: u32 = b::MSG_WAITALL;
    /// `MSG_MORE`.
    pub(crate) const MORE: u32 = b::MSG_MORE;
}

/// `poll(2)` event bits (uapi/linux/eventpoll.h; bindgen cannot read
/// their `__poll_t` casts).
pub(crate) mod poll {
    /// `EPOLLIN`.
    pub(crate) const IN: u32 = 0x1;
    /// `EPOLLOUT`.
    pub(crate) const OUT: u32 = 0x4;
    /// `EPOLLRDNORM`.
    pub(crate) const RDNORM: u32 = 0x40;
    /// `EPOLLWRNORM`.
    pub(crate) const WRNORM: u32 = 0x100;
}

/// The network namespace of a socket, as an identity and a handle.
///
/// # Invariants
///
/// Points to a `struct net` that was live when the handle was made. It is
/// passed to the kernel only while a socket of the namespace (which holds
/// a reference on it) or a callback of the namespace's own runs.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct NetNs(pub(in crate::kapi) *mut bindings::net);

// SAFETY: A `struct net` is shared by the whole kernel and internally
// locked; the pointer is only compared or passed back to the kernel.
unsafe impl Send for NetNs {}
// SAFETY: As above.
unsafe impl Sync for NetNs {}

impl NetNs {
    /// The namespace of `sk`.
    ///
    /// # Safety
    ///
    /// `sk` must be a live sock.
    unsafe fn of(sk: *const bindings::sock) -> Self {
        // SAFETY: Per the contract.
        Self(unsafe { bindings::kapi_sock_net(sk) })
    }

    /// The MTU of the route to `to` (IP packet bytes), if there is one.
    pub(crate) fn route_mtu(self, to: &SocketAddr) -> Option<u32> {
        // SAFETY: Per the type's invariants the namespace is live while
        // this handle is used; the address is a valid, initialised value.
        let mtu = unsafe { bindings::kapi_route_mtu(self.0, &to_c(to)) };
        (mtu != 0).then_some(mtu)
    }

    /// The pointer, for kernel calls.
    pub(in crate::kapi) fn as_raw(self) -> *mut bindings::net {
        self.0
    }
}

/// An address as the C glue passes it: family, host-order port, and the
/// address bytes in network order.
fn to_c(a: &SocketAddr) -> bindings::kapi_addr {
    let mut c = bindings::kapi_addr::default();
    match a {
        SocketAddr::V4(a) => {
            c.family = AF_INET;
            c.port = a.port();
            c.addr[..4].copy_from_slice(&a.ip().octets());
        }
        SocketAddr::V6(a) => {
            c.family = AF_INET6;
            c.port = a.port();
            c.addr = a.ip().octets();
        }
    }
    c
}

fn from_c(c: &bindings::kapi_addr) -> SocketAddr {
    if c.family == AF_INET {
        let ip = Ipv4Addr::new(c.addr[0], c.addr[1], c.addr[2], c.addr[3]);
        SocketAddr::V4(SocketAddrV4::new(ip, c.port))
    } else {
        SocketAddr::V6(SocketAddrV6::new(Ipv6Addr::from(c.addr), c.port, 0, 0))
    }
}
