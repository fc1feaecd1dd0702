//! Local endpoints: one UDP tunnel socket and one engine, shared by every
//! AF_RXRPC socket bound to the same transport address in the same
//! namespace (as in the C module, where a UDP port may serve several client
//! sockets but only one service socket).

use core::net::SocketAddr;

use kernel::new_mutex;
use kernel::prelude::*;
use kernel::rbtree::{RBTree, RBTreeNodeReservation};
use kernel::sync::lock::{mutex::MutexBackend, Guard};
use kernel::sync::{Arc, Mutex};

use super::addr::{from_socket, to_socket};
use super::env::{KernelEnv, NodePool};
use super::kernel_api::{self, KernelCall, KernelPeer};
use super::tags::Tags;
use super::trace;
use super::uapi::UDP_ENCAP_RXRPC;
use super::{sysctl, RxrpcFamily, SockRef};
use crate::kapi::errno::EMSGSIZE;
use crate::kapi::net::af_rxrpc::{AppOps, Notify};
use crate::kapi::net::tx_pages::TxPages;
use crate::kapi::net::udp_tunnel::{
    Arrived, Gathered, Handler, RxLimits, UdpTunnel, MAX_DATAGRAMS, MAX_PARTS, MAX_PIECES,
    MAX_SEGMENTS_LEN,
};
use crate::kapi::net::NetNs;
use crate::kapi::{now_ns, random_u32};
use crate::proto::wire::{Header, RX_CALL_DEAD, TYPE_DATA};
use crate::proto::{
    Burst, CallHandle, Config, Event, Gather, Instant, RxDrops, ServiceConfig, TransportAddr,
    MAX_DATAGRAM, MAX_PACKET, SEAL_ROOM,
};
use crate::security::rxkad::{KernelHost, KernelRxkad};

// A burst's pieces (see [`crate::proto::Endpoint::poll_transmit_burst`])
// hold any one datagram's.
const _: () = assert!(MAX_PARTS >= crate::proto::MAX_PARTS);
// The engine takes every piece a received packet is handed out in.
const _: () = assert!(MAX_PIECES <= crate::proto::MAX_PIECES);
/// Most bytes of a burst: as many datagrams as a [`Gathered`] takes, of
/// single packets, which is what bursts are made of.
const BURST_LEN: usize = MAX_DATAGRAMS * MAX_PACKET;
const _: () = assert!(BURST_LEN <= MAX_SEGMENTS_LEN);
/// The transmit buffer: a burst, and past its limit the room the engine
/// frames its last datagram in.
const TX_BUF: usize = BURST_LEN + MAX_DATAGRAM + SEAL_ROOM;

/// The engine puts a burst's pieces straight into the socket's vector.
impl<'a> Gather<'a> for Gathered<'a> {
    fn room(&self) -> (usize, usize) {
        Gathered::room(self)
    }

    fn push(&mut self, piece: &'a [u8]) -> bool {
        Gathered::push(self, piece)
    }

    fn push_data(&mut self, piece: &'a [u8]) -> bool {
        Gathered::push_data(self, piece)
    }

    fn end(&mut self) -> bool {
        Gathered::end(self)
    }
}

/// The current time, as the engine counts it.
pub(crate) fn now() -> Instant {
    Instant(now_ns())
}

/// The errno of an engine error.
pub(crate) fn engine_error(e: crate::proto::Error) -> Error {
    Error::from_errno(-e.errno())
}

/// The engine of one local endpoint.
pub(crate) type Engine = crate::proto::Endpoint<KernelEnv, KernelRxkad>;

/// Most bytes a peek reads per step.
const BOUNCE: usize = 65536;

/// Largest UDP payload taken in; larger datagrams are dropped.
const MAX_RX_DATAGRAM: usize = 65536;

/// Received packets waiting for the work item beyond these (a count, and
/// bytes of skb truesize) are dropped, as by a full UDP socket.
const RX_QUEUE: RxLimits = RxLimits {
    packets: 4096,
    bytes: 8 << 20,
};

/// A call as the sockets see it. The engine knows a call by a tag that
/// is unique in the endpoint, because user call ids are only unique
/// within one socket.
pub(crate) struct Tag {
    /// The socket that owns the call.
    pub(crate) sock: SockRef,
    /// Its `RXRPC_USER_CALL_ID`.
    pub(crate) user_id: u64,
    /// The engine's call, once there is one (a charge has none yet).
    pub(crate) call: Option<CallHandle>,
    /// Whether a notice for it waits in the socket's queue.
    pub(crate) queued: bool,
    /// Whether we serve the call (its success is the final ACK).
    pub(crate) service: bool,
    /// Whether a sendmsg went through: `RXRPC_TX_LENGTH` is too late.
    pub(crate) tx_fixed: bool,
    /// A kernel user's call: notified directly, never queued.
    pub(crate) kernel: Option<KernelTag>,
}

/// What a kernel user's call adds to its tag.
#[derive(Clone)]
pub(crate) struct KernelTag {
    /// The call as the user knows it; this reference is dropped when the
    /// user shuts the call down, or its socket goes.
    pub(crate) call: Arc<KernelCall>,
    /// Called when data or the end of the call arrives.
    pub(crate) notify_rx: Notify,
}

/// A kernel user's charged call that no incoming call took: the user lets
/// go of it.
fn discard(t: &Tag, ops: Option<AppOps>) {
    if let (Some(k), Some(ops)) = (&t.kernel, ops) {
        ops.discard_new_call::<RxrpcFamily>(&k.call, t.user_id);
    }
}

/// Something for recvmsg to report.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Notice {
    /// A call (by tag) has data or has ended.
    Call(u64),
    /// An incoming call waits for `RXRPC_ACCEPT`.
    NewCall,
}

/// A socket attached to the endpoint: its calls and its recvmsg queue.
pub(crate) struct Attached {
    sock: SockRef,
    /// Its `SO_RCVBUF` when it attached (at least a receive window unless
    /// the user set it), its share of the receive budget.
    rcvbuf: usize,
    /// User call id to tag.
    pub(crate) calls: RBTree<u64, u64>,
    queue: RBTree<u64, Notice>,
    /// The nodes of the notices taken, for the next ones.
    spare: NodePool<u64, Notice>,
    queued: usize,
    next_notice: u64,
    /// A kernel user's operations for incoming calls.
    pub(crate) app_ops: Option<AppOps>,
    /// A kernel socket: each call is bounded by its own Tx window only, as
    /// in C, not by the socket's send buffer (see `sendmsg::send_room`).
    pub(crate) kern: bool,
}

impl Attached {
    /// The oldest notice.
    pub(crate) fn front(&mut self) -> Option<Notice> {
        self.queue.cursor_front().map(|c| *c.current().1)
    }

    /// Drops the oldest notice if it is `notice` (a recvmsg that dropped
    /// the lock may find that another took it meanwhile).
    pub(crate) fn pop_if(&mut self, notice: Notice) {
        if self.front() == Some(notice) {
            self.pop();
        }
    }

    /// Drops the oldest notice.
    pub(crate) fn pop(&mut self) {
        let first = self.queue.cursor_front().map(|c| *c.current().0);
        if let Some(k) = first {
            if let Some(n) = self.queue.remove_node(&k) {
                self.spare.keep(n.into_reservation());
            }
            self.queued -= 1;
            self.sock.set_pending(self.queued);
        }
    }

    fn push(&mut self, notice: Notice) -> Result {
        let node = self.spare.take()?;
        self.queue.insert(node.into_node(self.next_notice, notice));
        self.next_notice += 1;
        self.queued += 1;
        self.sock.wake(self.queued);
        Ok(())
    }
}

/// What the endpoint's mutex guards: the engine, its I/O buffers, and
/// which socket each call belongs to.
pub(crate) struct Core {
    /// The protocol engine.
    pub(crate) ep: Engine,
    rx: KVec<u8>,
    tx: KVVec<u8>,
    /// Where a peek copies a call's data before the user gets it (other
    /// reads and writes copy straight between the user and the packets):
    /// one buffer per endpoint, made at its first peek.
    pub(crate) bounce: KVec<u8>,
    /// The engine's next deadline as of the last flush, so that the work
    /// item need not walk the engine's objects again to find it.
    deadline: Option<Instant>,
    /// The deadline the timer was last set for, until the work item runs
    /// (as it does after every expiry): a later one need not touch the
    /// timer, which only moves earlier, and that run sets it anew.
    armed: Option<Instant>,
    /// Calls by tag.
    pub(crate) tags: Tags,
    /// The nodes of the user ids dropped, for the next calls.
    spare_id: NodePool<u64, u64>,
    /// Attached sockets by identity.
    pub(crate) socks: RBTree<usize, Attached>,
    /// The socket that takes incoming calls.
    service: Option<usize>,
    /// Runs of the work item, for /proc/net/rxrpc/stats.
    pub(crate) loops: u64,
    /// DATA packets the UDP socket refused to send.
    pub(crate) tx_data_fail: u64,
    /// Received packets the engine dropped, by why.
    pub(crate) rx_drops: RxDrops,
    /// Received packets dropped unread: longer than the receive buffer or
    /// without a UDP header.
    pub(crate) rx_unread: u64,
    /// Peers handed to kernel users, by address, so that one address is
    /// one peer (kAFS keys its servers on them); at most `MAX_PEERS`.
    pub(crate) peers: RBTree<TransportAddr, Arc<KernelPeer>>,
}

impl Core {
    /// Records a call (or a charge) of `sock` under a fresh tag.
    pub(crate) fn add_tag(&mut self, sock: SockRef, user_id: u64, service: bool) -> Result<u64> {
        let id_node = self.spare_id.take()?;
        let Some(attached) = self.socks.get_mut(&sock.id()) else {
            self.spare_id.keep(id_node);
            return Err(EINVAL);
        };
        let t = Tag {
            sock,
            user_id,
            call: None,
            queued: false,
            service,
            tx_fixed: false,
            kernel: None,
        };
        let tag = match self.tags.insert(t) {
            Ok(tag) => tag,
            Err(e) => {
                self.spare_id.keep(id_node);
                return Err(e);
            }
        };
        attached.calls.insert(id_node.into_node(user_id, tag));
        Ok(tag)
    }

    /// Forgets a call: its tag and its user id, whose node is kept for
    /// the next [`Core::add_tag`].
    pub(crate) fn drop_tag(&mut self, tag: u64) {
        let Some((sock, user_id)) = self.tags.get(&tag).map(|t| (t.sock.id(), t.user_id)) else {
            return;
        };
        let id_node = self
            .socks
            .get_mut(&sock)
            .and_then(|a| a.calls.remove_node(&user_id));
        if let Some(node) = id_node {
            self.spare_id.keep(node.into_reservation());
        }
        self.tags.remove(&tag);
    }

    /// Queues a notice for a call's socket, once.
    fn notify_call(&mut self, tag: u64, call: CallHandle, complete: bool) {
        let Some(t) = self.tags.get_mut(&tag) else {
            return;
        };
        let new = t.call.replace(call).is_none();
        if new {
            // A socket's send buffer bounds its calls' Tx data together.
            self.ep.set_call_group(call, t.sock.id() as u64);
            if t.service {
                trace::call_accepted(call, t.user_id);
            }
        }
        if let Some(k) = &t.kernel {
            // A kernel user is called back instead; it reads with
            // rxrpc_kernel_recv_data.
            let (k, sock, user) = (k.clone(), t.sock.clone(), t.user_id);
            kernel_api::notify(self, k, &sock, user, call, new, complete);
            return;
        }
        if t.queued {
            return;
        }
        if let Some(a) = self.socks.get_mut(&t.sock.id()) {
            // On allocation failure the notice is retried with the next
            // event; the call itself is kept by the engine.
            t.queued = a.push(Notice::Call(tag)).is_ok();
        }
    }

    /// Hands one engine event to the socket it concerns.
    fn dispatch(&mut self, event: Event) {
        match event {
            Event::NewCall { .. } => {
                if let Some(a) = self.service.and_then(|s| self.socks.get_mut(&s)) {
                    let _ = a.push(Notice::NewCall);
                }
            }
            Event::DataReady { call, user } => self.notify_call(user, call, false),
            Event::Complete {
                call,
                user,
                outcome,
            } => {
                trace::call_complete(&self.ep, call, outcome);
                self.notify_call(user, call, true)
            }
            Event::TxSpace { user, .. } => {
                if let Some(t) = self.tags.get(&user) {
                    t.sock.wake_writer();
                }
            }
        }
    }
}

impl Core {
    /// Tx bytes that the calls of socket `sock` hold until the peer
    /// hard-ACKs them: what its send buffer is measured against.
    pub(crate) fn tx_held(&self, sock: usize) -> usize {
        if let Some(n) = self.ep.group_tx_held(sock as u64) {
            return n;
        }
        // Memory was short to keep the total: walk the socket's calls.
        let Some(a) = self.socks.get(&sock) else {
            return 0;
        };
        a.calls
            .values()
            .filter_map(|tag| self.tags.get(tag)?.call)
            .map(|call| self.ep.call_tx_held(call))
            .sum()
    }

    /// Asks for a wake of socket `sock` when any of its calls frees Tx data.
    pub(crate) fn watch_tx(&mut self, sock: usize) {
        if self.ep.watch_group_tx(sock as u64) {
            return;
        }
        // Memory was short to keep the totals: watch each call.
        let Some(a) = self.socks.get(&sock) else {
            return;
        };
        for tag in a.calls.values() {
            if let Some(call) = self.tags.get(tag).and_then(|t| t.call) {
                self.ep.watch_tx(call);
            }
        }
    }

    /// The receive budget: the receive buffers of the attached sockets.
    fn update_rx_limit(&mut self) {
        let limit = self.socks.values().map(|a| a.rcvbuf).sum();
        self.ep.set_rx_buffer_limit(limit);
    }
}

impl Core {
    /// Makes the peek buffer, at the first peek.
    pub(crate) fn make_bounce(&mut self) -> Result {
        if self.bounce.is_empty() {
            let mut b = KVec::with_capacity(BOUNCE, GFP_KERNEL)?;
            b.extend_with(BOUNCE, 0, GFP_KERNEL)?;
            self.bounce = b;
        }
        Ok(())
    }

    fn new(net: NetNs) -> Result<Self> {
        let mut rx = KVec::with_capacity(MAX_RX_DATAGRAM, GFP_KERNEL)?;
        rx.extend_with(MAX_RX_DATAGRAM, 0, GFP_KERNEL)?;
        let mut tx = KVVec::with_capacity(TX_BUF, GFP_KERNEL)?;
        tx.extend_with(TX_BUF, 0, GFP_KERNEL)?;
        let config = Config {
            epoch: random_u32(),
            // Client connection ids are 1..0x40000000; the engine falls
            // back to 1 for anything else, so fit the random start in.
            first_conn_id: random_u32() % 0x3fff_ffff + 1,
            rx_window: sysctl::RX_WINDOW_SIZE.get(),
            tunables: sysctl::tunables(),
            ..Config::default()
        };
        Ok(Self {
            ep: Engine::new(
                KernelEnv {
                    net,
                    tx_pages: TxPages::new(),
                },
                KernelHost::new(),
                config,
            ),
            rx,
            tx,
            bounce: KVec::new(),
            deadline: None,
            armed: None,
            tags: Tags::new(),
            spare_id: NodePool::new(),
            socks: RBTree::new(),
            service: None,
            loops: 0,
            tx_data_fail: 0,
            rx_drops: RxDrops::default(),
            rx_unread: 0,
            peers: RBTree::new(),
        })
    }
}

/// One local endpoint: the handler of its UDP tunnel socket.
#[pin_data]
pub(crate) struct Endpoint {
    net: NetNs,
    /// The address asked for (port 0: the one the kernel picked).
    addr: TransportAddr,
    #[pin]
    core: Mutex<Core>,
}

/// A local endpoint with its UDP tunnel socket.
pub(crate) type Local = UdpTunnel<Endpoint>;

impl Handler for Endpoint {
    /// The work item: feeds received packets, ICMP errors and expired
    /// timers to the engine, then sends what it wants sent.
    fn run(local: &Local) {
        let mut guard = local.core.lock();
        let core = &mut *guard;
        core.loops = core.loops.wrapping_add(1);
        core.armed = None;
        let (ep, drops) = (&mut core.ep, &mut core.rx_drops);
        // Settings changed since the last run apply to what comes in.
        ep.set_tunables(sysctl::tunables());
        // Each datagram at the time it is taken: verifying or decrypting
        // a long queue of DATA takes a while.
        let on = trace::on();
        let unread = local.drain(&mut core.rx, |from, pkt| {
            let from = from_socket(&from);
            let bytes = match &pkt {
                Arrived::Kept(p) => p.bytes(),
                Arrived::Copied(b) => b,
            };
            let seen = trace::rx_packet(on, ep, from, bytes);
            let dropped = match &pkt {
                Arrived::Kept(p) => ep.handle_received(now(), from, p),
                Arrived::Copied(b) => ep.handle_datagram(now(), from, b),
            };
            trace::rx_done(on, seen, dropped);
            if let Some(why) = dropped {
                drops.count(why);
            }
        });
        core.rx_unread = core.rx_unread.wrapping_add(unread);
        let now = now();
        local.drain_errors(|e| {
            // A path MTU report is no error of the calls: the kernel has
            // noted the new MTU in its route, for the engine to ask.
            if -e.errno == EMSGSIZE.to_errno() {
                ep.path_changed(from_socket(&e.peer));
            } else {
                ep.handle_icmp(now, from_socket(&e.peer), e.errno);
            }
        });
        if core.deadline.is_some_and(|t| t <= now) {
            core.ep.handle_timeout(now);
        }
        local.flush_at(core, now, true);
    }
}

impl Local {
    /// Opens an endpoint on `addr` in `net`.
    pub(crate) fn create(net: NetNs, addr: TransportAddr) -> Result<Arc<Self>> {
        let core = Core::new(net)?;
        let local = Arc::pin_init(
            UdpTunnel::new(pin_init!(Endpoint { net, addr, core <- new_mutex!(core) })),
            GFP_KERNEL,
        )?;
        local.open(net, &to_socket(&addr), UDP_ENCAP_RXRPC, RX_QUEUE)?;
        Ok(local)
    }

    /// Whether this is the endpoint of `addr` in `net`.
    pub(crate) fn is_at(&self, net: NetNs, addr: &TransportAddr) -> bool {
        self.net == net && self.addr == *addr
    }

    /// Sets up the service side of the engine for a listening socket.
    pub(crate) fn listen(&self, config: ServiceConfig) -> Result {
        self.core.lock().ep.listen(config).map_err(engine_error)
    }

    /// Attaches a socket, so that it can own calls (and, for `service`,
    /// take incoming ones).
    pub(crate) fn attach(
        &self,
        sock: SockRef,
        service: bool,
        kern: bool,
        app_ops: Option<AppOps>,
    ) -> Result {
        let node = RBTreeNodeReservation::new(GFP_KERNEL)?;
        let mut core = self.core.lock();
        let id = sock.id();
        let rcvbuf = if sock.rcvbuf_locked() {
            sock.rcvbuf()
        } else {
            // Left to the kernel, the buffer takes at least a full receive
            // window, which C offers whatever its memory: the default
            // (`rmem_default`) holds some 150 packets, too few to keep a
            // sender busy on a link with a longer RTT.
            sock.rcvbuf().max(core.ep.rx_window_bytes())
        };
        let attached = Attached {
            sock,
            rcvbuf,
            calls: RBTree::new(),
            queue: RBTree::new(),
            spare: NodePool::new(),
            queued: 0,
            next_notice: 0,
            app_ops,
            kern,
        };
        core.socks.insert(node.into_node(id, attached));
        core.update_rx_limit();
        if service {
            core.service = Some(id);
        }
        Ok(())
    }

    /// Detaches a socket that is being released: its calls end (with
    /// `RX_CALL_DEAD` to the peer, as in the C module) and are freed.
    pub(crate) fn detach(&self, sock: usize) {
        self.with_core(|core, now| {
            let Some(attached) = core.socks.remove(&sock) else {
                return;
            };
            core.update_rx_limit();
            if core.service == Some(sock) {
                core.service = None;
                let _ = core.ep.listen(ServiceConfig::default());
            }
            let tags = &core.tags;
            let calls = attached.calls.values().filter_map(|t| tags.get(t)?.call);
            core.ep.forget_group(sock as u64, calls);
            for (_, tag) in attached.calls.iter() {
                if let Some(t) = core.tags.remove(tag) {
                    match t.call {
                        Some(call) => {
                            if core.ep.abort(now, call, RX_CALL_DEAD).is_ok() {
                                trace::abort_on_release(&core.ep, call, RX_CALL_DEAD);
                            }
                            core.ep.release(now, call);
                            trace::call_released(call);
                        }
                        None => discard(&t, attached.app_ops),
                    }
                }
            }
        });
    }

    /// Drops the charges of socket `sock` that no call took (`listen(0)`):
    /// a kernel user lets go of each through `discard_new_call`.
    pub(crate) fn discard_charges(&self, sock: usize) {
        let mut core = self.core.lock();
        let Some(a) = core.socks.get(&sock) else {
            return;
        };
        let (ops, mut tags) = (a.app_ops, KVec::new());
        for (_, &tag) in a.calls.iter() {
            if core.tags.get(&tag).is_some_and(|t| t.call.is_none()) {
                // Without memory the charge stays until the socket goes.
                let _ = tags.push(tag, GFP_KERNEL);
            }
        }
        for tag in tags.iter() {
            if let Some(t) = core.tags.get(tag) {
                discard(t, ops);
            }
            core.drop_tag(*tag);
        }
    }

    /// Runs `f` on the engine and the call tables, then sends what the
    /// engine wants sent.
    pub(crate) fn with_core<R>(&self, f: impl FnOnce(&mut Core, Instant) -> R) -> R {
        let mut guard = self.core.lock();
        let now = now();
        let r = f(&mut guard, now);
        self.flush(&mut guard, now);
        r
    }

    /// The network namespace of the endpoint.
    pub(crate) fn net(&self) -> NetNs {
        self.net
    }

    /// The engine's lock, for code that must sleep with it dropped; call
    /// [`Local::flush`] before dropping it.
    pub(crate) fn lock(&self) -> Guard<'_, Core, MutexBackend> {
        self.core.lock()
    }

    /// Sends queued packets, hands out events and re-arms the timer.
    ///
    /// `now` is when the caller took the lock; each packet is stamped
    /// with the clock as it goes out, as the engine times its RTT samples
    /// and loss detection (RACK) by that. A stale `now` (a caller that
    /// slept for Tx space since it read it, or one that secured a long
    /// burst) stamped packets as sent before ones sent earlier, which
    /// RACK then found lost as soon as the later-sent ones were ACKed.
    pub(crate) fn flush(&self, core: &mut Core, now: Instant) {
        self.flush_at(core, now, false);
    }

    /// Sends burst `b`, the datagrams of `g`, to `to`: in one go if there
    /// are several, else (or if that fails) one by one, with what became
    /// of each in `sent`. A lost datagram is the protocol's to recover,
    /// like one lost on the wire.
    fn send_burst(&self, to: &SocketAddr, g: &mut Gathered<'_>, b: &Burst, sent: &mut [Result]) {
        if b.datagrams > 1 && b.uniform {
            if let Ok(seg) = u16::try_from(b.seg) {
                if self.send_segments(to, g, seg).is_ok() {
                    return;
                }
            }
        }
        for (i, sent) in sent.iter_mut().enumerate().take(b.datagrams) {
            *sent = self.send(to, g, i);
        }
    }

    /// [`Local::flush`]; `fresh`: `now` was read just before, and stamps
    /// the first datagram.
    fn flush_at(&self, core: &mut Core, now: Instant, fresh: bool) {
        // Changed settings apply to what goes out (ACK trailers, delays)
        // and to the deadlines below.
        core.ep.set_tunables(sysctl::tunables());
        let on = trace::on();
        let mut now = now;
        let mut fresh = fresh;
        // Each datagram at the time it goes (a long queue takes a while);
        // the clock is not read when nothing waits to go.
        while core.ep.may_transmit() {
            if !core::mem::take(&mut fresh) {
                now = now.max(self::now());
            }
            let mut g = Gathered::new();
            let tx = &mut core.tx;
            let Some(b) = core.ep.poll_transmit_burst(now, tx, BURST_LEN, &mut g) else {
                break;
            };
            let to = to_socket(&b.to);
            let mut sent = [Ok(()); MAX_DATAGRAMS];
            self.send_burst(&to, &mut g, &b, &mut sent);
            if !on.any_tx() && sent.iter().all(|s| s.is_ok()) {
                continue;
            }
            // Each datagram's first piece, its whole wire header, is at its
            // start in the buffer, `seg` bytes after the one before.
            for (i, sent) in sent.iter().take(b.datagrams).enumerate() {
                let pkt = core.tx.get(i * b.seg..).unwrap_or(&[]);
                trace::tx_packet(on, &core.ep, b.to, pkt, sent);
                if sent.is_err() && matches!(Header::decode(pkt), Ok((_, TYPE_DATA, _))) {
                    core.tx_data_fail = core.tx_data_fail.wrapping_add(1);
                }
            }
        }
        while let Some(event) = core.ep.poll_event() {
            core.dispatch(event);
        }
        core.deadline = core.ep.poll_timeout();
        if let Some(t) = core.deadline {
            if !core.armed.is_some_and(|a| a <= t) {
                self.arm(t.0.saturating_sub(now.0));
                core.armed = Some(t);
            }
        }
    }
}
