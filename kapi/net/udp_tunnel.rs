//! A kernel UDP socket set up as an encapsulation (tunnel) socket, whose
//! packets are handled in process context.
//!
//! The socket's softirq hooks only queue received packets and ICMP errors
//! and schedule a work item, on the CPU they ran on (`system_wq`); the
//! work item calls [`Handler::run`], which drains them. A process that
//! sleeps for its socket in [`SockCtx::wait_or_rx`] is woken for a packet
//! instead, and runs the handler itself: one wakeup where the work item
//! took two. A timer, armed with [`UdpTunnel::arm`], schedules the same
//! work. The tunnel owns its handler, so the handler outlives every run:
//! dropping the tunnel closes the socket and waits for the work first.
//!
//! [`SockCtx::wait_or_rx`]: super::family::SockCtx::wait_or_rx
//!
//! The work item and timer are the C side's, not `kernel::workqueue`'s:
//! they are queued from softirq and timer context with no reference to
//! take, and cancelled synchronously on drop, while 6.12's
//! `kernel::workqueue` queues only owned pointers (`Arc`, `Pin<KBox>`) and
//! cannot cancel.

use core::cell::Cell;
use core::marker::PhantomData;
use core::mem::MaybeUninit;
use core::net::SocketAddr;
use core::ops::{Deref, Range};
use core::ptr::NonNull;

use kernel::prelude::*;
use kernel::types::Opaque;

use super::{from_c, to_c, NetNs};
use crate::kapi::bindings;
use crate::kapi::errno::EMSGSIZE;

/// Most pieces a [`Gathered`] holds.
pub(crate) const MAX_PARTS: usize = 96;

/// Most datagrams a [`Gathered`] holds.
pub(crate) const MAX_DATAGRAMS: usize = 16;

/// Most bytes [`UdpTunnel::send_segments`] sends in one go: what one UDP
/// GSO packet holds (64 KiB, less the IPv4 and UDP headers, with room to
/// spare for IP options).
pub(crate) const MAX_SEGMENTS_LEN: usize = 65_000;

/// Datagrams to send, each in pieces borrowed for `'a` that are sent one
/// after the other without being copied together first. The pieces go
/// straight into the vector the socket sends from, which is not cleared
/// beforehand: that cost every datagram a memset.
pub(crate) struct Gathered<'a> {
    iov: [MaybeUninit<bindings::kvec>; MAX_PARTS],
    /// Pieces written, the first of `iov`.
    pieces: usize,
    /// Where each datagram ends, in pieces and in bytes, and whether all
    /// its pieces after the first are [`Gathered::push_data`]'s.
    ends: [(u8, u32, bool); MAX_DATAGRAMS],
    datagrams: usize,
    len: usize,
    /// The datagram being gathered has only data after its first piece.
    data_after_first: bool,
    /// Its last piece, if data: where it starts and its length.
    data_run: Option<(*const u8, usize)>,
    _pieces: PhantomData<&'a [u8]>,
}

impl<'a> Gathered<'a> {
    /// No datagrams.
    pub(crate) fn new() -> Self {
        Gathered {
            iov: [const { MaybeUninit::uninit() }; MAX_PARTS],
            pieces: 0,
            ends: [(0, 0, false); MAX_DATAGRAMS],
            datagrams: 0,
            len: 0,
            data_after_first: true,
            data_run: None,
            _pieces: PhantomData,
        }
    }

    /// Room left: pieces, and datagrams.
    pub(crate) fn room(&self) -> (usize, usize) {
        (MAX_PARTS - self.pieces, MAX_DATAGRAMS - self.datagrams)
    }

    /// Pieces of the datagram being gathered.
    fn open_pieces(&self) -> usize {
        let start = self.datagrams.checked_sub(1).and_then(|i| self.ends.get(i));
        self.pieces - start.map_or(0, |e| usize::from(e.0))
    }

    /// Add `piece` to the datagram being gathered; false if full.
    pub(crate) fn push(&mut self, piece: &'a [u8]) -> bool {
        self.data_after_first &= self.open_pieces() == 0;
        self.data_run = None;
        self.put(piece)
    }

    /// [`Gathered::push`] for a piece of a [`TxPage`], lent: sent by
    /// reference if the datagram's other pieces after the first are too.
    ///
    /// [`TxPage`]: super::tx_pages::TxPage
    pub(crate) fn push_data(&mut self, piece: &'a [u8]) -> bool {
        self.data_after_first &= self.open_pieces() > 0;
        // Data that follows on in memory from the piece before (a jumbo's
        // subpackets, cut in a row) joins it: fewer pieces for the socket
        // to walk. Both are borrowed for `'a`, so their span is too.
        if let Some((start, len)) = self.data_run {
            let last = self.pieces.checked_sub(1).and_then(|i| self.iov.get_mut(i));
            if let (true, Some(v)) = (start.wrapping_add(len) == piece.as_ptr(), last) {
                let len = len + piece.len();
                v.write(bindings::kvec {
                    iov_base: start.cast_mut().cast(),
                    iov_len: len,
                });
                self.data_run = Some((start, len));
                self.len += piece.len();
                return true;
            }
        }
        let put = self.put(piece);
        self.data_run = put.then_some((piece.as_ptr(), piece.len()));
        put
    }

    fn put(&mut self, piece: &'a [u8]) -> bool {
        let Some(v) = self.iov.get_mut(self.pieces) else {
            return false;
        };
        // The socket only reads through `iov_base` (`kernel_sendmsg` sends
        // from an ITER_SOURCE iterator).
        v.write(bindings::kvec {
            iov_base: piece.as_ptr().cast_mut().cast(),
            iov_len: piece.len(),
        });
        self.pieces += 1;
        self.len += piece.len();
        true
    }

    /// The datagram being gathered is whole; false if full.
    pub(crate) fn end(&mut self) -> bool {
        let data = core::mem::replace(&mut self.data_after_first, true);
        self.data_run = None;
        let spliced = data && self.open_pieces() > 1;
        let (Some(end), Ok(pieces), Ok(len)) = (
            self.ends.get_mut(self.datagrams),
            u8::try_from(self.pieces),
            u32::try_from(self.len),
        ) else {
            return false;
        };
        *end = (pieces, len, spliced);
        self.datagrams += 1;
        true
    }

    /// Datagram `i`'s pieces (all whole ones' for `None`): where they
    /// start in `iov`, how many, and their bytes.
    fn span(&self, i: Option<usize>) -> Option<(usize, usize, usize)> {
        let (first, last) = match i {
            Some(i) => (
                i.checked_sub(1).map(|j| self.ends.get(j)),
                self.ends.get(i)?,
            ),
            None => (None, self.ends.get(self.datagrams.checked_sub(1)?)?),
        };
        let (from, start) = first
            .flatten()
            .map_or((0, 0), |&(p, l, _)| (p as usize, l as usize));
        Some((from, last.0 as usize - from, last.1 as usize - start))
    }
}

/// What a tunnel's work item runs.
pub(crate) trait Handler: Send + Sync + Sized {
    /// Handles what arrived and what is due; runs in process context, in
    /// the work item or in a woken reader, so that two runs may overlap.
    fn run(tunnel: &UdpTunnel<Self>);
}

/// Bounds on the packets waiting for the work item.
pub(crate) struct RxLimits {
    /// Most packets queued.
    pub(crate) packets: u32,
    /// Most bytes queued, counted as the skbs' truesize.
    pub(crate) bytes: u32,
}

/// An ICMP error about a packet the tunnel sent.
pub(crate) struct IcmpError {
    /// The destination of that packet.
    pub(crate) peer: SocketAddr,
    /// The errno the ICMP message means.
    pub(crate) errno: i32,
}

/// What the tunnel counts, for /proc.
pub(crate) struct TunnelInfo {
    /// The address the UDP socket is bound to.
    pub(crate) local: SocketAddr,
    /// Received packets waiting for the work item.
    pub(crate) rx_queued: u32,
    /// Received packets dropped because the queue was full.
    pub(crate) rx_dropped: u64,
    /// Datagrams sent with their data by reference.
    pub(crate) tx_by_ref: u64,
    /// Datagrams of 4 KiB or more offered by reference but copied (too
    /// many fragments, too large for the route, or no memory).
    pub(crate) tx_by_copy: u64,
}

/// Bytes of a received packet kept where they lie: a reference to its
/// skb, freed on drop, and the bytes of its UDP payload it holds.
/// Read-only: other references (a packet tap's clone, another
/// [`Datagram::share`]) may see the same bytes.
///
/// # Invariants
///
/// `skb` is a reference we own to an skb whose data no one changes while
/// it is shared; `data` points at `len` bytes of its data (in its head or
/// in one of its page fragments).
pub(crate) struct Packet {
    skb: NonNull<bindings::sk_buff>,
    data: NonNull<u8>,
    len: usize,
}

// SAFETY: A reference to an skb may be dropped on any thread (the count is
// atomic), and the bytes are only read.
unsafe impl Send for Packet {}
// SAFETY: `&Packet` only reads the bytes, or takes another reference.
unsafe impl Sync for Packet {}

impl Packet {
    /// The bytes held.
    pub(crate) fn bytes(&self) -> &[u8] {
        // SAFETY: Per the invariants `data` points at `len` bytes that no one
        // changes while our reference lives, as long as `self`.
        unsafe { core::slice::from_raw_parts(self.data.as_ptr(), self.len) }
    }
}

/// Most pieces a received packet is handed out in: its head and page
/// fragments (the kernel's default `MAX_SKB_FRAGS` of them); a packet in
/// more is made linear.
pub(crate) const MAX_PIECES: usize = 18;

/// A received packet whose UDP payload lies where it arrived, in one piece
/// (a linear skb's head) or several (a paged skb's head and fragments):
/// a reference to the skb, freed on drop.
///
/// # Invariants
///
/// `skb` is a reference we own to an skb whose data no one changes while
/// it is shared, whose UDP payload lies in `n` (1 to [`MAX_PIECES`])
/// pieces as `kapi_udp_tunnel_piece` gives them; the first is the
/// `first_len` bytes at `first`, and `last`, if its index is not 0, is
/// another of them.
pub(crate) struct Datagram {
    skb: NonNull<bindings::sk_buff>,
    first: NonNull<u8>,
    first_len: usize,
    n: usize,
    /// The piece after the first looked up last: its index (0: none),
    /// where it is and how long. A jumbo's subpackets are kept in order,
    /// several from each piece.
    last: Cell<(usize, *const u8, usize)>,
}

// SAFETY: As for `Packet`: the reference may be dropped on any thread and
// the bytes are only read.
unsafe impl Send for Datagram {}

impl Datagram {
    /// How many pieces the payload lies in.
    pub(crate) fn pieces(&self) -> usize {
        self.n
    }

    /// Piece `i` of the payload.
    pub(crate) fn piece(&self, i: usize) -> Option<&[u8]> {
        if i == 0 {
            return Some(self.bytes());
        }
        if i >= self.n {
            return None;
        }
        let (at, data, len) = self.last.get();
        if at == i {
            // SAFETY: Per the invariants `last` is piece `i`, bytes of the
            // skb that no one changes while our reference lives, as long as
            // `self`.
            return Some(unsafe { core::slice::from_raw_parts(data, len) });
        }
        let mut data: *const core::ffi::c_void = core::ptr::null();
        // SAFETY: `skb` is live (we hold a reference) and `data` is valid
        // for writing; `MAX_PIECES` is the room the pieces were counted in.
        let len = unsafe {
            bindings::kapi_udp_tunnel_piece(
                self.skb.as_ptr(),
                MAX_PIECES as u32,
                i as u32,
                &mut data,
            )
        };
        let data = NonNull::new(data.cast_mut())?;
        // INVARIANT: Piece `i`, as `kapi_udp_tunnel_piece` gives it.
        self.last.set((i, data.as_ptr().cast::<u8>(), len));
        // SAFETY: Per the invariants the piece, `len` bytes at `data`, is
        // bytes of the skb that no one changes while our reference lives, as
        // long as `self`.
        Some(unsafe { core::slice::from_raw_parts(data.as_ptr().cast::<u8>(), len) })
    }

    /// The first piece of the payload.
    pub(crate) fn bytes(&self) -> &[u8] {
        // SAFETY: Per the invariants `first` points at `first_len` bytes that
        // no one changes while our reference lives, as long as `self`.
        unsafe { core::slice::from_raw_parts(self.first.as_ptr(), self.first_len) }
    }

    /// The pieces after the first.
    pub(crate) fn more(&self) -> impl Iterator<Item = &[u8]> {
        (1..self.n).filter_map(|i| self.piece(i))
    }

    /// Bytes `range` of piece `i`, through another reference to the skb;
    /// `None` if they lie beyond it.
    pub(crate) fn share(&self, i: usize, range: Range<usize>) -> Option<Packet> {
        let part = self.piece(i)?.get(range)?;
        // SAFETY: `skb` is live (we hold a reference); this takes another.
        unsafe { bindings::kapi_udp_tunnel_share(self.skb.as_ptr()) };
        // INVARIANT: The new reference is ours; `part` lies in the data.
        Some(Packet {
            skb: self.skb,
            data: NonNull::from(part).cast(),
            len: part.len(),
        })
    }
}

impl Drop for Datagram {
    fn drop(&mut self) {
        // SAFETY: Our reference, given up once; the pieces are not used
        // again.
        unsafe { bindings::kapi_udp_tunnel_consume(self.skb.as_ptr()) };
    }
}

impl Drop for Packet {
    fn drop(&mut self) {
        // SAFETY: Our reference, given up once; `data` is not used again.
        unsafe { bindings::kapi_udp_tunnel_consume(self.skb.as_ptr()) };
    }
}

/// A received UDP payload, as [`UdpTunnel::drain`] hands it out.
pub(crate) enum Arrived<'a> {
    /// In its packet, in the pieces it lies in.
    Kept(Datagram),
    /// Copied out of a packet that could not be made linear (no memory).
    Copied(&'a [u8]),
}

/// A UDP tunnel socket and its handler.
///
/// # Invariants
///
/// `inner` was set up by `kapi_udp_tunnel_init` with [`UdpTunnel::work`];
/// `inner.udp` is null or an open tunnel socket whose hooks use `inner`.
/// Both are closed (and the work waited for) on drop, before `handler` is
/// dropped.
#[repr(C)]
#[pin_data(PinnedDrop)]
pub(crate) struct UdpTunnel<T: Handler> {
    #[pin]
    inner: Opaque<bindings::kapi_udp_tunnel>,
    #[pin]
    handler: T,
}

// SAFETY: The C side is internally locked (skb queue lock, error ring lock,
// workqueue and timer core); the socket pointer is written only by `open`,
// before the tunnel is shared. `T` is `Send + Sync`.
unsafe impl<T: Handler> Send for UdpTunnel<T> {}
// SAFETY: As above.
unsafe impl<T: Handler> Sync for UdpTunnel<T> {}

impl<T: Handler> UdpTunnel<T> {
    /// A tunnel with no socket yet, owning `handler`.
    pub(crate) fn new(handler: impl PinInit<T>) -> impl PinInit<Self> {
        pin_init!(Self {
            // SAFETY: `kapi_udp_tunnel_init` initialises every field in place.
            inner <- Opaque::ffi_init(|slot| unsafe {
                bindings::kapi_udp_tunnel_init(slot, Some(Self::work))
            }),
            handler <- handler,
        })
    }

    pub(super) fn raw(&self) -> *mut bindings::kapi_udp_tunnel {
        self.inner.get()
    }

    /// Runs the handler here if received packets wait, with the kernel's
    /// credentials as in the work item: for a reader that
    /// [`SockCtx::wait_or_rx`] woke, which the packets' softirq counted on
    /// instead of the work item.
    ///
    /// [`SockCtx::wait_or_rx`]: super::family::SockCtx::wait_or_rx
    pub(super) fn take_rx(&self) {
        // SAFETY: `inner` is initialised; its `work_fn` is `Self::work`,
        // called on our own live tunnel, so its contract holds.
        unsafe { bindings::kapi_udp_tunnel_take_rx(self.raw()) };
    }

    /// Opens the UDP socket on `addr` in `net` (port 0: any free port),
    /// marking its packets as `encap_type`. Called once, before the
    /// tunnel is shared.
    pub(crate) fn open(
        &self,
        net: NetNs,
        addr: &SocketAddr,
        encap_type: u8,
        limits: RxLimits,
    ) -> Result {
        let bytes = i32::try_from(limits.bytes).unwrap_or(i32::MAX);
        // SAFETY: `net` is live (its socket is being bound) and `inner` is
        // initialised.
        kernel::error::to_result(unsafe {
            bindings::kapi_udp_tunnel_open(
                self.raw(),
                net.as_raw(),
                &to_c(addr),
                encap_type,
                limits.packets,
                bytes,
            )
        })
    }

    /// Makes the work item run no later than `delay_ns` from now.
    pub(crate) fn arm(&self, delay_ns: u64) {
        // SAFETY: `inner` is initialised.
        unsafe { bindings::kapi_udp_tunnel_arm(self.raw(), delay_ns) };
    }

    /// Takes every queued packet and hands its UDP payload to `f`: in the
    /// packet (in up to [`MAX_PIECES`] pieces, or made linear), which `f`
    /// may keep, or copied into `scratch` if there was no memory for that.
    /// Returns how many it dropped: to be copied but longer than `scratch`,
    /// or without a UDP header.
    pub(crate) fn drain(
        &self,
        scratch: &mut [u8],
        mut f: impl FnMut(SocketAddr, Arrived<'_>),
    ) -> u64 {
        let mut dropped = 0u64;
        loop {
            let mut from = bindings::kapi_addr::default();
            let mut data: *const core::ffi::c_void = core::ptr::null();
            let mut first_len = 0usize;
            let mut n = MAX_PIECES as u32;
            let mut skb: *mut bindings::sk_buff = core::ptr::null_mut();
            // SAFETY: `inner` is initialised; `from`, `data`, `first_len`,
            // `n`, `skb` and `scratch` are valid for writing, `scratch` for
            // its whole length.
            let len = unsafe {
                bindings::kapi_udp_tunnel_next(
                    self.raw(),
                    &mut from,
                    scratch.as_mut_ptr().cast(),
                    scratch.len(),
                    &mut data,
                    &mut first_len,
                    &mut n,
                    &mut skb,
                )
            };
            match usize::try_from(len) {
                Ok(len) => {
                    let n = n as usize;
                    let pkt = match (NonNull::new(skb), NonNull::new(data.cast_mut())) {
                        // INVARIANT: On success a non-null `skb` is handed
                        // to us, not shared, with its payload in `n` (at
                        // least 1, at most the room) pieces, the first
                        // `first_len` bytes at `data`.
                        (Some(skb), Some(first)) if (1..=MAX_PIECES).contains(&n) => {
                            Arrived::Kept(Datagram {
                                skb,
                                first: first.cast(),
                                first_len,
                                n,
                                last: Cell::new((0, core::ptr::null(), 0)),
                            })
                        }
                        (Some(skb), _) => {
                            // Not so: drop it.
                            // SAFETY: Handed to us; freed once.
                            unsafe { bindings::kapi_udp_tunnel_consume(skb.as_ptr()) };
                            continue;
                        }
                        (None, _) => Arrived::Copied(scratch.get(..len).unwrap_or(&[])),
                    };
                    f(from_c(&from), pkt);
                }
                Err(_)
                    if len == -(bindings::EMSGSIZE as i32)
                        || len == -(bindings::EBADMSG as i32) =>
                {
                    dropped += 1;
                }
                Err(_) => return dropped,
            }
        }
    }

    /// Takes every queued ICMP error.
    pub(crate) fn drain_errors(&self, mut f: impl FnMut(IcmpError)) {
        loop {
            let mut e = bindings::kapi_udp_error::default();
            // SAFETY: `inner` is initialised and `e` valid for writing.
            if unsafe { bindings::kapi_udp_tunnel_next_error(self.raw(), &mut e) } == 0 {
                return;
            }
            f(IcmpError {
                peer: from_c(&e.peer),
                errno: e.err,
            });
        }
    }

    /// Sends datagram `i` of `g`: by reference for its data, if all its
    /// pieces after the first are ([`Self::send_spliced`]).
    pub(crate) fn send(&self, to: &SocketAddr, g: &mut Gathered<'_>, i: usize) -> Result {
        if g.ends.get(i).is_some_and(|e| e.2) {
            return self.send_spliced(to, g, i);
        }
        self.send_span(to, g, Some(i), 0)
    }

    /// Sends datagram `i` of `g` with its pieces after the first, lent
    /// [`TxPage`]s, taken into the skb by reference, and its first copied
    /// into pages that the skb may keep (falling back on a copy of it all
    /// where that cannot be done). The caller serialises sends.
    ///
    /// [`TxPage`]: super::tx_pages::TxPage
    fn send_spliced(&self, to: &SocketAddr, g: &mut Gathered<'_>, i: usize) -> Result {
        let (from, n, len) = g.span(Some(i)).ok_or(EMSGSIZE)?;
        let iov = g.iov.get_mut(from..from + n).ok_or(EMSGSIZE)?;
        // SAFETY: As in `send_span`, but for the first entry, which the C
        // side changes during the call (and puts back), so the slice is
        // lent mutably. The pieces after the first were given by
        // `Gathered::push_data`, so they lie in lent `TxPage`s (per its
        // contract), which no one writes again and whose pages the skb
        // holds on to with references of its own.
        let r = unsafe {
            bindings::kapi_udp_tunnel_send_spliced(
                self.raw(),
                &to_c(to),
                iov.as_mut_ptr().cast(),
                n,
                len,
            )
        };
        kernel::error::to_result(r.min(0))
    }

    /// Sends the datagrams of `g`, each `seg` bytes long but the last
    /// (which may be shorter), at most [`MAX_SEGMENTS_LEN`] bytes in all,
    /// as one packet through the stack (UDP segmentation offload), split
    /// into datagrams by the device or just before it. Fails with
    /// `EMSGSIZE` if the route's MTU takes datagrams of fewer than `seg`
    /// bytes, and then none was sent.
    pub(crate) fn send_segments(&self, to: &SocketAddr, g: &Gathered<'_>, seg: u16) -> Result {
        self.send_span(to, g, None, seg)
    }

    /// [`Self::send`], or for `None` [`Self::send_segments`].
    fn send_span(&self, to: &SocketAddr, g: &Gathered<'_>, i: Option<usize>, seg: u16) -> Result {
        let (from, n, len) = g.span(i).ok_or(EMSGSIZE)?;
        let iov = g.iov.get(from..from + n).ok_or(EMSGSIZE)?;
        // SAFETY: `inner` is initialised; the `n` entries at `iov` are the
        // ones `Gathered::push` wrote, each pointing at a piece valid for
        // reading its length and borrowed for `g`'s life, and `len` is their
        // sum (`Gathered::end`); the C side reads no entry beyond them, and
        // only reads through them.
        let r = unsafe {
            bindings::kapi_udp_tunnel_send(
                self.raw(),
                &to_c(to),
                iov.as_ptr().cast_mut().cast(),
                n,
                len,
                seg,
            )
        };
        kernel::error::to_result(r.min(0))
    }

    /// What the tunnel counts, for /proc.
    pub(crate) fn info(&self) -> TunnelInfo {
        let raw = self.raw();
        // SAFETY: `inner` is initialised; `local` is written only by `open`,
        // before the tunnel is shared, and the rest are read as the C side
        // reads them (`skb_queue_len_lockless`, atomics).
        unsafe {
            TunnelInfo {
                local: from_c(&(*raw).local),
                rx_queued: core::ptr::addr_of!((*raw).rx_queue.qlen).read_volatile(),
                rx_dropped: core::ptr::addr_of!((*raw).rx_dropped.counter).read_volatile() as u64,
                tx_by_ref: core::ptr::addr_of!((*raw).tx_by_ref.counter).read_volatile() as u64,
                tx_by_copy: core::ptr::addr_of!((*raw).tx_by_copy.counter).read_volatile() as u64,
            }
        }
    }

    /// The work item, also run by a woken reader
    /// ([`UdpTunnel::take_rx`]).
    ///
    /// # Safety
    ///
    /// Called with the `inner` of a live `UdpTunnel<T>`: by the workqueue,
    /// which the tunnel's drop waits out, or by a reader that holds the
    /// tunnel.
    unsafe extern "C" fn work(raw: *mut bindings::kapi_udp_tunnel) {
        // SAFETY: `UdpTunnel` is `#[repr(C)]` with `inner` (an `Opaque`,
        // transparent) first, so `raw` is the address of the tunnel, live
        // per the contract.
        let tunnel = unsafe { &*raw.cast::<Self>() };
        T::run(tunnel);
    }
}

impl<T: Handler> Deref for UdpTunnel<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.handler
    }
}

#[pinned_drop]
impl<T: Handler> PinnedDrop for UdpTunnel<T> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: `inner` is initialised; this closes the socket (waiting
        // out its receive hooks), stops the timer and the work item, and
        // frees queued packets. Nothing uses `inner` afterwards, and
        // `handler` is dropped only after this returns.
        unsafe { bindings::kapi_udp_tunnel_close(self.raw()) };
    }
}
