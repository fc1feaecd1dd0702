//! A local endpoint's kernel I/O: its UDP tunnel socket, the queue that the
//! socket's softirq receive path fills, the work item that drains it in
//! process context, and the timer that runs the engine's deadlines.

use kernel::prelude::*;
use kernel::types::Opaque;

use super::bindings;
use crate::proto::TransportAddr;
use crate::sock::local::Local;

/// The network namespace a socket lives in, as an identity and a handle.
///
/// # Invariants
///
/// Points to a live `struct net` for as long as the AF_RXRPC sockets that
/// carry it live: each holds a reference on its namespace.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct NetNs(*mut bindings::net);

// SAFETY: A `struct net` is shared by the whole kernel and internally locked;
// the pointer is only passed back to kernel functions.
unsafe impl Send for NetNs {}
// SAFETY: As above.
unsafe impl Sync for NetNs {}

impl NetNs {
    /// The namespace of `sk`.
    ///
    /// # Safety
    ///
    /// `sk` must be a live sock.
    pub(crate) unsafe fn of(sk: *const bindings::sock) -> Self {
        // SAFETY: Per the contract.
        Self(unsafe { bindings::rxrpc_rs_sock_net(sk) })
    }

    /// A namespace the kernel handed us.
    ///
    /// # Safety
    ///
    /// `net` must be a live `struct net` for as long as the result is used
    /// for more than comparing identities.
    pub(crate) unsafe fn from_raw(net: *mut bindings::net) -> Self {
        Self(net)
    }

    /// The pointer, for kernel calls.
    pub(crate) fn as_raw(self) -> *mut bindings::net {
        self.0
    }
}

/// A random number from the kernel's generator.
pub(crate) fn random_u32() -> u32 {
    // SAFETY: Always safe to call.
    unsafe { bindings::rxrpc_rs_random_u32() }
}

/// The current monotonic time.
pub(crate) fn now() -> crate::proto::Instant {
    // SAFETY: Always safe to call.
    crate::proto::Instant(unsafe { bindings::rxrpc_rs_now_ns() })
}

/// An engine address as the C glue takes it.
pub(crate) fn to_c(a: &TransportAddr) -> bindings::rxrpc_rs_addr {
    let mut c = bindings::rxrpc_rs_addr::default();
    match *a {
        TransportAddr::V4(ip, port) => {
            c.family = bindings::AF_INET as u16;
            c.port = port;
            c.addr[..4].copy_from_slice(&ip);
        }
        TransportAddr::V6(ip, port) => {
            c.family = bindings::AF_INET6 as u16;
            c.port = port;
            c.addr = ip;
        }
    }
    c
}

fn from_c(c: &bindings::rxrpc_rs_addr) -> TransportAddr {
    if u32::from(c.family) == bindings::AF_INET {
        TransportAddr::V4([c.addr[0], c.addr[1], c.addr[2], c.addr[3]], c.port)
    } else {
        TransportAddr::V6(c.addr, c.port)
    }
}

/// What /proc/net/rxrpc shows of an endpoint's kernel side.
pub(crate) struct IoInfo {
    /// The address the UDP socket is bound to.
    pub(crate) local: TransportAddr,
    /// Received packets waiting for the work item.
    pub(crate) rx_queued: u32,
    /// Received packets dropped because the queue was full.
    pub(crate) rx_dropped: u64,
    /// DATA packets the UDP socket refused to send.
    pub(crate) tx_data_fail: u64,
}

/// The kernel objects of one local endpoint.
///
/// # Invariants
///
/// `inner` was set up by `rxrpc_rs_io_init`; `inner.udp` is null or an open
/// tunnel socket whose receive callback uses `inner`, closed on drop.
#[repr(C)]
#[pin_data(PinnedDrop)]
pub(crate) struct Io {
    #[pin]
    inner: Opaque<bindings::rxrpc_rs_io>,
}

// SAFETY: The C side is internally locked (skb queue lock, workqueue and
// timer core); the UDP socket pointer is only written while the `Local`
// that owns this is being set up, before it is shared.
unsafe impl Send for Io {}
// SAFETY: As above.
unsafe impl Sync for Io {}

impl Io {
    /// Kernel objects with no UDP socket yet.
    pub(crate) fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            // SAFETY: `rxrpc_rs_io_init` initialises every field in place.
            inner <- Opaque::ffi_init(|slot| unsafe { bindings::rxrpc_rs_io_init(slot) }),
        })
    }

    fn raw(&self) -> *mut bindings::rxrpc_rs_io {
        self.inner.get()
    }

    /// Opens the UDP socket on `addr` in `net` (port 0: any free port).
    /// Called once, before the endpoint is shared.
    pub(crate) fn open(&self, net: NetNs, addr: &TransportAddr) -> Result {
        // SAFETY: `net` is live (type invariant) and `inner` is initialised.
        kernel::error::to_result(unsafe { bindings::rxrpc_rs_io_open(self.raw(), net.as_raw(), &to_c(addr)) })
    }

    /// Makes the timer fire no later than `delay_ns` from now.
    pub(crate) fn arm(&self, delay_ns: u64) {
        // SAFETY: `inner` is initialised.
        unsafe { bindings::rxrpc_rs_io_arm(self.raw(), delay_ns as _) };
    }

    /// Takes every queued packet, copying each UDP payload into `scratch`
    /// (dropping packets longer than it) and handing it to `f`.
    pub(crate) fn drain(&self, scratch: &mut [u8], mut f: impl FnMut(TransportAddr, &[u8])) {
        loop {
            let mut from = bindings::rxrpc_rs_addr::default();
            // SAFETY: `inner` is initialised; `from` and `scratch` are
            // valid for writing, `scratch` for its whole length.
            let n = unsafe {
                bindings::rxrpc_rs_io_next(self.raw(), &mut from, scratch.as_mut_ptr().cast(), scratch.len())
            };
            match usize::try_from(n) {
                Ok(len) => f(from_c(&from), scratch.get(..len).unwrap_or_default()),
                Err(_) if n == -(bindings::EMSGSIZE as i32) => {}
                Err(_) => return,
            }
        }
    }

    /// Takes every queued ICMP error, handing `f` the peer and the errno.
    pub(crate) fn drain_icmp(&self, mut f: impl FnMut(TransportAddr, i32)) {
        loop {
            let mut peer = bindings::rxrpc_rs_addr::default();
            // SAFETY: `inner` is initialised and `peer` valid for writing.
            let err = unsafe { bindings::rxrpc_rs_io_next_icmp(self.raw(), &mut peer) };
            if err == 0 {
                return;
            }
            f(from_c(&peer), err);
        }
    }

    /// The endpoint's kernel side as /proc/net/rxrpc shows it.
    pub(crate) fn info(&self) -> IoInfo {
        let mut info = bindings::rxrpc_rs_io_info::default();
        // SAFETY: `inner` is initialised and `info` is valid for writing.
        unsafe { bindings::rxrpc_rs_io_info(self.raw(), &mut info) };
        IoInfo {
            local: from_c(&info.local),
            rx_queued: info.rx_queued,
            rx_dropped: info.rx_dropped,
            tx_data_fail: info.tx_data_fail,
        }
    }

    /// Sends one UDP datagram.
    pub(crate) fn send(&self, to: &TransportAddr, data: &[u8]) -> Result {
        // SAFETY: `inner` is initialised and `data` is valid for its length.
        let r = unsafe { bindings::rxrpc_rs_io_send(self.raw(), &to_c(to), data.as_ptr().cast(), data.len()) };
        kernel::error::to_result(r.min(0))
    }
}

/// The work item: runs the engine of the `Local` that owns `raw`.
///
/// # Safety
///
/// Called by the workqueue with the `inner` of the `io` field of a live
/// [`Local`]: a `Local` cancels its work item before it is freed.
#[no_mangle]
unsafe extern "C" fn rxrpc_rs_io_work(raw: *mut bindings::rxrpc_rs_io) {
    // SAFETY: `Io` is `#[repr(C)]` with `inner` its only field, so `raw` is
    // the address of the `Io`, which is the `io` field of a live `Local`.
    let local = unsafe { &*kernel::container_of!(raw.cast::<Io>(), Local, io) };
    local.run();
}

#[pinned_drop]
impl PinnedDrop for Io {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: `inner` is initialised; this closes the socket (waiting
        // out any receive callback), stops the timer and the work item, and
        // frees queued packets. Nothing uses `inner` afterwards.
        unsafe { bindings::rxrpc_rs_io_close(self.raw()) };
    }
}
