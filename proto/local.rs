//! The local endpoint: one UDP socket's worth of RxRPC.
//!
//! It owns the peers, connections, bundles and calls reached through one
//! transport address, and is the single object the caller drives (see the
//! module docs of `proto`). The data path is split over `input.rs` (packets
//! in), `output.rs` (packets out), `ready.rs` (which calls to look at),
//! `conn_client.rs` (client channel allocation), `accept.rs` (incoming
//! calls) and `reap.rs` (timers and lifetimes); this file holds the state
//! and the user-facing calls.

use core::alloc::Layout;
use core::time::Duration;

use super::aborted::AbortedConns;
use super::accept::{Charges, Service};
use super::addr::TransportAddr;
use super::bundle::{Bundle, BundleKey};
use super::call::{new_rings, Call, RxRing, Side, Timeouts, TxRing};
use super::calls::CallTable;
use super::conn::{Conn, ConnKey};
use super::conns::{ConnTable, IndexKey};
use super::counters::Counters;
use super::env::{Env, Map};
use super::error::Error;
use super::event::{CallHandle, Event, Outcome};
use super::output::Replies;
use super::peer::Peer;
use super::ready::{ReadyQueue, EV, TM, TX};
use super::rxbuf::{RecvResult, MAX_RX_WINDOW};
use super::security::{Security, WIRE_PAYLOAD};
use super::time::Instant;
use super::tunables::Tunables;
use super::txbuf::TxError;
use super::wire::{RANDOM_EPOCH, RX_USER_ABORT};

/// Endpoint-wide settings.
#[derive(Clone, Copy, Debug)]
pub struct Config {
    /// Random epoch from the caller; bit 0x80000000 is forced on.
    pub epoch: u32,
    /// Random first client connection id (1..0x40000000; out of range: 1).
    pub first_conn_id: u32,
    /// Receive window advertised to peers, in packets (1..=255).
    pub rx_window: u32,
    /// Idle service connections are discarded after this.
    pub service_conn_idle: Duration,
    /// Most bytes of received DATA held for all calls together (the
    /// sockets' receive buffers); see [`Endpoint::set_rx_buffer_limit`].
    pub rx_buffer_limit: usize,
    /// An incoming call waiting in the accept queue this long is aborted
    /// (`RX_CALL_TIMEOUT`): a client that keeps it alive cannot hold a
    /// backlog slot forever.
    pub accept_wait: Duration,
    /// Settings that may change later (`Endpoint::set_tunables`).
    pub tunables: Tunables,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            epoch: RANDOM_EPOCH,
            first_conn_id: 1,
            rx_window: MAX_RX_WINDOW,
            service_conn_idle: Duration::from_secs(600),
            rx_buffer_limit: usize::MAX,
            accept_wait: Duration::from_secs(60),
            tunables: Tunables::default(),
        }
    }
}

/// Security of a client call: class, level and the caller's key tag.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CallSecurity {
    /// Security index (0: none, 2: rxkad).
    pub index: u8,
    /// Level within the class.
    pub level: u32,
    /// The caller's tag for the key (shared connections need equal tags).
    pub key: u64,
}

/// Parameters of a new client call.
#[derive(Clone, Copy, Debug)]
pub struct CallParams {
    /// Where to send the call.
    pub remote: TransportAddr,
    /// Service id to call.
    pub service_id: u16,
    /// The caller's tag, reported with every event of the call.
    pub user: u64,
    /// Ask the server to upgrade the service (RXRPC_UPGRADE_SERVICE).
    pub upgrade: bool,
    /// Use a connection of its own (RXRPC_EXCLUSIVE_CALL).
    pub exclusive: bool,
    /// Security to use.
    pub security: CallSecurity,
    /// Timeouts of the call.
    pub timeouts: Timeouts,
}

/// Object counts, for observability and leak checks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Calls held, complete or not.
    pub calls: usize,
    /// Connections held.
    pub conns: usize,
    /// Peers held.
    pub peers: usize,
    /// Client bundles held.
    pub bundles: usize,
    /// Ready-made packets waiting to be sent.
    pub queued: usize,
    /// Bytes of received DATA held for the calls.
    pub rx_bytes: usize,
}

/// A snapshot of one call, for listings such as /proc/net/rxrpc/calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CallInfo {
    /// The caller's tag, once the call has one.
    pub user: Option<u64>,
    /// The peer.
    pub peer: TransportAddr,
    /// Service id (after any upgrade).
    pub service_id: u16,
    /// We are the client.
    pub client: bool,
    /// Connection id and channel (0 before the call has a channel).
    pub cid: u32,
    /// Call number on the channel.
    pub call_number: u32,
    /// State name.
    pub state: &'static str,
    /// How it ended, if it did.
    pub outcome: Option<Outcome>,
    /// Tx: highest sequence hard-ACKed by the peer, and highest sent.
    pub tx: (u32, u32),
    /// Tx: highest sequence queued (sent or not).
    pub tx_top: u32,
    /// Congestion window, in packets.
    pub cwnd: u32,
    /// Rx: the hard-ACK point (every packet up to it received) and the
    /// highest received.
    pub rx: (u32, u32),
}

/// A ready-made packet waiting for `poll_transmit`.
pub(crate) struct Queued<B> {
    pub(crate) to: TransportAddr,
    pub(crate) buf: B,
    pub(crate) len: usize,
}

/// What the engine keeps of a group of calls (a socket of the caller's).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Group {
    /// Tx bytes its calls hold until hard-ACKed.
    held: usize,
    /// A `TxSpace` event is wanted when any of its calls frees some.
    watched: bool,
}

/// Most ready-made packets kept; more are dropped (the peer will retry).
pub(crate) const MAX_QUEUED: usize = 256;

/// A ready queue, in the caller's memory.
pub(crate) type Ready<E> = ReadyQueue<<E as Env>::Slots<CallHandle>>;

/// The endpoint's connections, each boxed in the caller's memory.
pub(crate) type Conns<E, S> = ConnTable<
    <E as Env>::Boxed<Conn<<S as Security>::Conn>>,
    <E as Env>::Slots<<E as Env>::Boxed<Conn<<S as Security>::Conn>>>,
    <E as Env>::Map<IndexKey, u32>,
>;

/// The endpoint's calls, each boxed in the caller's memory.
pub(crate) type Calls<E> = CallTable<
    <E as Env>::Boxed<Call<E>>,
    <E as Env>::Slots<(CallHandle, <E as Env>::Boxed<Call<E>>)>,
>;

/// A local endpoint: the engine for one UDP socket.
pub struct Endpoint<E: Env, S: Security> {
    pub(crate) env: E,
    pub(crate) sec: S,
    pub(crate) config: Config,
    pub(crate) service: Service,
    pub(crate) charges: Charges,
    pub(crate) peers: E::Map<TransportAddr, Peer>,
    pub(crate) conns: Conns<E, S>,
    pub(crate) bundles: E::Map<BundleKey, Bundle>,
    pub(crate) calls: Calls<E>,
    pub(crate) queue: E::Map<u64, Queued<E::Buf>>,
    /// The buffer of the ready-made packet last sent, for the next one (a
    /// small call's final ACK): no allocation each.
    pub(crate) spare_buf: Option<E::Buf>,
    pub(crate) replies: Replies,
    /// Service connections aborted lately, which answer with their abort.
    pub(crate) aborted: AbortedConns,
    pub(crate) queue_seq: u64,
    pub(crate) next_handle: u64,
    pub(crate) next_conn_id: u32,
    /// Serial for packets sent outside any connection (BUSY, ABORT, ...).
    pub(crate) loose_serial: u32,
    /// Bundles with waiting calls where a channel was freed or a probe
    /// ended: their calls try again before the entry point returns
    /// (C's `rxrpc_activate_channels`).
    pub(crate) activate: E::Map<BundleKey, ()>,
    /// An insertion into `activate` failed for lack of memory: try every
    /// bundle with waiting calls.
    pub(crate) activate_all: bool,
    /// Calls that may want to transmit.
    pub(crate) tx_ready: Ready<E>,
    /// Calls that may have an event.
    pub(crate) ev_ready: Ready<E>,
    /// Position of a walk over all calls after `tx_ready` overflowed.
    pub(crate) tx_scan: Option<Option<CallHandle>>,
    /// Position of a walk over all calls after `ev_ready` overflowed.
    pub(crate) ev_scan: Option<Option<CallHandle>>,
    /// Bytes of received DATA held, against `config.rx_buffer_limit`.
    pub(crate) rx_buffered: usize,
    /// Tx bytes all calls hold until hard-ACKed (the sum of their
    /// `call_tx_held`), brought up to date whenever a call is touched.
    pub(crate) tx_buffered: usize,
    /// Packet counters, for /proc/net/rxrpc/stats.
    pub(crate) counters: Counters,
    /// Calls by their next deadline, so that finding the next deadline and
    /// the calls due does not walk every call (see `reap.rs`).
    pub(crate) call_timers: E::Map<(Instant, CallHandle), ()>,
    /// Calls whose deadlines may have moved since they were indexed.
    pub(crate) tm_ready: Ready<E>,
    /// An index insertion failed for lack of memory: walk all calls until
    /// a full re-index succeeds.
    pub(crate) timers_incomplete: bool,
    /// No later than the earliest peer deadline (`None`: not known, walk
    /// them). Deadlines that are set note themselves here and ones that
    /// move later leave it, so it is walked for again only once it passes.
    /// (Connections have `conn_timers`.)
    pub(crate) conn_peer_deadline: Option<Option<Instant>>,
    /// Connections by their expiry, so that a connection coming due does
    /// not walk every connection (see `reap.rs`).
    pub(crate) conn_timers: E::Map<(Instant, ConnKey), ()>,
    /// An insertion into `conn_timers` failed for lack of memory: walk
    /// all connections until a full re-index succeeds.
    pub(crate) conn_timers_incomplete: bool,
    /// Client connections held (for `reap_client_conns`).
    pub(crate) client_conns: u32,
    /// Idle client connections by when they went idle, oldest first (C's
    /// `idle_client_conns`): the first is due at that time plus the idle
    /// time the count gives now, so a change of count or settings retimes
    /// none of them (see `reap.rs`).
    pub(crate) idle_client_conns: E::Map<(Instant, ConnKey), ()>,
    /// Incoming calls waiting for `accept_next`, oldest first.
    pub(crate) accept_queue: E::Map<CallHandle, ()>,
    /// Charged service calls begun by DATA of a later sequence than the
    /// first, oldest first (handles grow): each may have to give its
    /// charge to a call that has its first packet (`reclaim_charge`).
    pub(crate) unstarted: E::Map<CallHandle, ()>,
    /// Tx bytes held by the calls of each group the caller named (its
    /// sockets), so that a socket's send buffer is checked without
    /// walking its calls.
    pub(crate) groups: E::Map<u64, Group>,
    /// An insertion into `groups` failed for lack of memory: the totals
    /// are not known (the caller walks the calls instead).
    pub(crate) groups_incomplete: bool,
    /// Client connection ids have wrapped round: a new one may clash with
    /// one still in use.
    pub(crate) conn_ids_wrapped: bool,
    /// Rings of calls gone, emptied, for new calls, the first
    /// `spare_count` of them: a small call then allocates none. Up to
    /// `SPARE_RINGS` slots, grown when a call first goes.
    pub(crate) spare_rings: E::Slots<(TxRing<E>, RxRing<E>)>,
    pub(crate) spare_count: usize,
}

impl<E: Env, S: Security> Endpoint<E, S> {
    /// The layout of each connection [`Env::boxed`] holds, for an
    /// environment that keeps memory of that size at hand.
    pub const CONN_LAYOUT: Layout = Layout::new::<Conn<S::Conn>>();
    /// The layout of each call [`Env::boxed`] holds.
    pub const CALL_LAYOUT: Layout = Layout::new::<Call<E>>();

    /// A local endpoint with no calls, using `env` for memory and `sec` for
    /// security classes.
    pub fn new(mut env: E, sec: S, mut config: Config) -> Self {
        config.epoch |= RANDOM_EPOCH;
        if config.first_conn_id == 0 || config.first_conn_id >= super::conn_client::MAX_CONN_ID {
            config.first_conn_id = 1;
        }
        config.rx_window = config.rx_window.clamp(1, MAX_RX_WINDOW);
        Endpoint {
            peers: env.new_map(),
            conns: ConnTable::new(env.new_slots(), env.new_map()),
            bundles: env.new_map(),
            calls: CallTable::new(env.new_slots()),
            queue: env.new_map(),
            call_timers: env.new_map(),
            conn_timers: env.new_map(),
            idle_client_conns: env.new_map(),
            unstarted: env.new_map(),
            groups: env.new_map(),
            accept_queue: env.new_map(),
            activate: env.new_map(),
            spare_rings: env.new_slots(),
            tx_ready: ReadyQueue::new(env.new_slots(), TX),
            ev_ready: ReadyQueue::new(env.new_slots(), EV),
            tm_ready: ReadyQueue::new(env.new_slots(), TM),
            replies: Replies::default(),
            aborted: AbortedConns::default(),
            env,
            sec,
            next_conn_id: config.first_conn_id,
            config,
            service: Service::default(),
            charges: Charges::default(),
            spare_buf: None,
            queue_seq: 0,
            next_handle: 1,
            loose_serial: 0,
            activate_all: false,
            tx_scan: None,
            ev_scan: None,
            rx_buffered: 0,
            tx_buffered: 0,
            counters: Counters::default(),
            timers_incomplete: false,
            conn_peer_deadline: None,
            conn_timers_incomplete: false,
            client_conns: 0,
            groups_incomplete: false,
            conn_ids_wrapped: false,
            spare_count: 0,
        }
    }

    /// The epoch of client connections made here.
    pub fn epoch(&self) -> u32 {
        self.config.epoch
    }

    /// Counts of the objects held.
    pub fn stats(&self) -> Stats {
        Stats {
            calls: self.calls.len(),
            conns: self.conns.len(),
            peers: self.peers.len(),
            bundles: self.bundles.len(),
            queued: self.queue.len() + self.replies.len(),
            rx_bytes: self.rx_buffered,
        }
    }

    /// Bound the received DATA held for all calls to about `bytes`. Over
    /// the limit, DATA is dropped unacknowledged (the sender retries), so a
    /// peer cannot make the endpoint hold more; but a call with nothing to
    /// read may always take the packet its reader needs next, so that no
    /// reader is starved by other calls or by out-of-sequence data.
    pub fn set_rx_buffer_limit(&mut self, bytes: usize) {
        self.config.rx_buffer_limit = bytes;
    }

    /// Bytes of DATA that one call's full receive window holds.
    pub fn rx_window_bytes(&self) -> usize {
        self.config.rx_window as usize * WIRE_PAYLOAD
    }

    /// Bytes of Tx data a call holds until the peer hard-ACKs it (queued
    /// or in flight), as the socket's send buffer counts it.
    pub fn call_tx_held(&self, call: CallHandle) -> usize {
        self.calls.get(&call).map_or(0, |c| c.tx.held_bytes())
    }

    /// Tx bytes all calls hold until the peer hard-ACKs them: no less
    /// than the sum over any set of calls of [`Endpoint::call_tx_held`].
    pub fn tx_held_total(&self) -> usize {
        self.tx_buffered
    }

    /// Count `call`'s Tx data in `group`'s total (0: in none), which
    /// [`Endpoint::group_tx_held`] gives: the caller's socket, whose send
    /// buffer bounds its calls' Tx data together.
    pub fn set_call_group(&mut self, call: CallHandle, group: u64) {
        let Some(c) = self.calls.get_mut(&call) else {
            return;
        };
        let (old, held) = (c.group, c.tx_charged);
        c.group = group;
        let freed = self.group_charge(old, held, 0);
        self.group_charge(group, 0, held);
        if freed {
            if let Some(c) = self.calls.get_mut(&call) {
                c.pending.tx_space = true;
            }
        }
    }

    /// Tx bytes the calls of `group` hold until hard-ACKed (the sum of
    /// their [`Endpoint::call_tx_held`]), unless memory was short to keep
    /// the total.
    pub fn group_tx_held(&self, group: u64) -> Option<usize> {
        if self.groups_incomplete {
            return None;
        }
        Some(self.groups.get(&group).map_or(0, |g| g.held))
    }

    /// A `TxSpace` event for a call of `group` when the peer next frees
    /// some of its Tx data, for a caller whose send buffer is full; false
    /// (nothing done) if the totals are not kept, and the caller watches
    /// each call with [`Endpoint::watch_tx`].
    pub fn watch_group_tx(&mut self, group: u64) -> bool {
        if self.groups_incomplete {
            return false;
        }
        if let Some(g) = self.groups.get_mut(&group) {
            g.watched = true;
        }
        true
    }

    /// Move `group`'s total from counting `was` bytes of a call to `now`;
    /// true if the group was watched and this freed some (the watch is
    /// then over).
    pub(crate) fn group_charge(&mut self, group: u64, was: usize, now: usize) -> bool {
        if group == 0 || was == now {
            return false;
        }
        let update = |g: &mut Group| {
            g.held = g.held.saturating_sub(was).saturating_add(now);
            let freed = g.watched && now < was;
            g.watched &= !freed;
            freed
        };
        // The entry stays at 0 until the caller forgets the group, so that
        // a call at a time does not allocate and free it.
        if let Some(e) = self.groups.get_mut(&group) {
            return update(e);
        }
        let mut g = Group::default();
        let freed = update(&mut g);
        if g.held > 0 && self.groups.insert(group, g).is_err() {
            self.groups_incomplete = true;
        }
        freed
    }

    /// The caller is done with `group` (its socket is going): its calls
    /// count in no group from now on, and its entry goes.
    pub fn forget_group(&mut self, group: u64, calls: impl Iterator<Item = CallHandle>) {
        for call in calls {
            self.set_call_group(call, 0);
        }
        self.groups.remove(&group);
    }

    /// A `TxSpace` event for `call` when the peer next frees some of its
    /// Tx data, for a caller waiting on a full send buffer.
    pub fn watch_tx(&mut self, call: CallHandle) {
        if let Some(c) = self.calls.get_mut(&call) {
            c.watch_tx();
        }
    }

    /// The security hook, e.g. to install keys.
    pub fn security_mut(&mut self) -> &mut S {
        &mut self.sec
    }

    /// File `call` under `h`, from [`CallTable::vacant`]; false if memory
    /// is short.
    pub(crate) fn file_call(&mut self, h: CallHandle, call: Call<E>) -> bool {
        let Ok(call) = self.env.boxed(call) else {
            return false;
        };
        self.calls.insert(h, call).is_ok()
    }

    /// File connection `conn`; its key, which finds it without a search,
    /// or `None` if memory is short.
    pub(crate) fn file_conn(&mut self, conn: Conn<S::Conn>) -> Option<ConnKey> {
        let conn = self.env.boxed(conn).ok()?;
        self.conns.insert(conn).ok()
    }

    /// Start a client call. Data follows with [`Endpoint::send`].
    pub fn begin_call(&mut self, now: Instant, p: CallParams) -> Result<CallHandle, Error> {
        if p.service_id == 0 {
            return Err(Error::Invalid);
        }
        let h = self.calls.vacant(self.next_handle).ok_or(Error::NoMemory)?;
        let space = self.ensure_peer(p.remote).map_err(|()| Error::NoMemory)?;
        let max_payload = self
            .sec
            .max_plain(p.security.index, p.security.level, space);
        if max_payload == 0 {
            self.peer_maybe_idle(p.remote, now);
            return Err(Error::Invalid);
        }
        let rings = self.rings();
        let mut call = Call::new(
            Side::Client,
            Some(p.user),
            p.remote,
            p.service_id,
            max_payload,
            self.config.rx_window,
            rings,
            p.timeouts,
            now,
        );
        call.upgrade = p.upgrade;
        let bkey = BundleKey {
            peer: p.remote,
            service_id: p.service_id,
            security_index: p.security.index,
            level: p.security.level,
            key: p.security.key,
            exclusive: if p.exclusive { h.0 } else { 0 },
            upgrade: p.upgrade,
        };
        if self.bundles.get(&bkey).is_none()
            && self.bundles.insert(bkey, Bundle::default()).is_err()
        {
            self.peer_maybe_idle(p.remote, now);
            return Err(Error::NoMemory);
        }
        call.bundle = Some(bkey);
        if !self.file_call(h, call) {
            self.bundle_maybe_free(bkey);
            self.peer_maybe_idle(p.remote, now);
            return Err(Error::NoMemory);
        }
        // With no call of its bundle waiting for a channel, it takes one
        // at once if one is free (as most do), and never queues.
        let tried = self.first_waiting(&bkey).is_none();
        let attached = tried && self.try_attach(h, now);
        if !attached {
            self.queue_waiting(bkey, h);
        }
        self.next_handle += 1;
        self.tm_ready.push_in(&mut self.calls, h);
        if !tried {
            self.try_attach(h, now);
        }
        Ok(h)
    }

    /// Queue Tx data on a call; `more` says whether more data follows this
    /// write. Returns the bytes taken: fewer than given when the Tx queue is
    /// full (a `TxSpace` event follows when it drains).
    pub fn send(&mut self, call: CallHandle, data: &[u8], more: bool) -> Result<usize, Error> {
        let mut at = 0;
        self.send_with(call, data.len(), more, |dst| {
            if let Some(s) = data.get(at..at + dst.len()) {
                dst.copy_from_slice(s);
            }
            at += dst.len();
            dst.len()
        })
    }

    /// Queue up to `len` bytes of a call's data as [`Endpoint::send`]
    /// does, written straight into its packets by `src`, which returns how
    /// many bytes it wrote into the slice it is given: fewer (a fault in
    /// the caller's buffer) stops there, and the phase goes on.
    pub fn send_with(
        &mut self,
        call: CallHandle,
        len: usize,
        more: bool,
        src: impl FnMut(&mut [u8]) -> usize,
    ) -> Result<usize, Error> {
        let Self {
            calls,
            conns,
            peers,
            env,
            sec,
            ..
        } = self;
        let c = calls.get_mut(&call).ok_or(Error::BadCall)?;
        if c.side == Side::Server && c.tx.top() == 0 {
            // A service call's packets were sized for the costliest level;
            // its connection's RESPONSE has told the level by the reply,
            // and full-sized packets can go in jumbos.
            if let Some((k, conn)) = c.conn.and_then(|k| Some((k, conns.get(&k)?))) {
                if let Some(level) = sec.conn_level(&conn.sec) {
                    let space = peers.get(&k.peer).map_or(WIRE_PAYLOAD, Peer::data_space);
                    let n = sec.max_plain(conn.security_index, level, space);
                    c.tx.set_max_payload(n);
                }
            }
        }
        if c.released {
            return Err(Error::BadCall);
        }
        if c.is_complete() {
            return Err(Error::Completed);
        }
        if c.side == Side::Server && !c.reply_allowed() {
            return Err(Error::WrongState);
        }
        if !c.may_send() {
            return Err(Error::WrongState);
        }
        if let Some(total) = c.tx_length {
            // The promised length must be met exactly (RXRPC_TX_LENGTH).
            let after = c.tx_total.saturating_add(len as u64);
            if after > total || (!more && after != total) {
                return Err(Error::MessageSize);
            }
        }
        let alloc = |n| env.alloc_tx_buf(n);
        let r = match c.send_with(len, more, alloc, src) {
            Ok(n) => Ok(n),
            Err(TxError::NoMemory) => Err(Error::NoMemory),
        };
        self.touch(call);
        r
    }

    /// RXRPC_TX_LENGTH: the call will send exactly `len` bytes in all. Only
    /// before its first data; later writes that break it fail with
    /// [`Error::MessageSize`].
    pub fn set_tx_length(&mut self, call: CallHandle, len: u64) -> Result<(), Error> {
        let c = self.calls.get_mut(&call).ok_or(Error::BadCall)?;
        if c.released {
            return Err(Error::BadCall);
        }
        if c.tx_total != 0 || !c.may_send() {
            return Err(Error::WrongState);
        }
        c.tx_length = Some(len);
        Ok(())
    }

    /// Read received data of a call in order.
    pub fn recv(
        &mut self,
        now: Instant,
        call: CallHandle,
        out: &mut [u8],
        peek: bool,
    ) -> Result<RecvResult, Error> {
        self.read_call(call, |c| c.recv(out, peek, now))
    }

    /// Read up to `len` bytes of a call's data as [`Endpoint::recv`] does,
    /// handed to `sink` straight from the received packets, a packet's
    /// worth at a time: `sink` returns how many bytes it took, and fewer
    /// (a fault in the caller's buffer) ends the read. Only what it took is
    /// consumed.
    pub fn recv_with(
        &mut self,
        now: Instant,
        call: CallHandle,
        len: usize,
        sink: impl FnMut(&[u8]) -> usize,
    ) -> Result<RecvResult, Error> {
        self.read_call(call, |c| c.recv_with(len, sink, now))
    }

    /// Consume up to `len` bytes of a call's data without copying them: a
    /// [`Endpoint::recv`] with `peek` already copied them out, and the
    /// caller consumes what it could deliver.
    pub fn consume(
        &mut self,
        now: Instant,
        call: CallHandle,
        len: usize,
    ) -> Result<RecvResult, Error> {
        self.read_call(call, |c| c.skip(len, now))
    }

    fn read_call(
        &mut self,
        call: CallHandle,
        read: impl FnOnce(&mut Call<E>) -> RecvResult,
    ) -> Result<RecvResult, Error> {
        let c = self.calls.get_mut(&call).ok_or(Error::BadCall)?;
        if c.released || c.user.is_none() {
            return Err(Error::BadCall);
        }
        c.set_ack_delays(&self.config.tunables);
        let r = read(c);
        self.recharge_rx(call);
        self.touch(call);
        Ok(r)
    }

    /// Abort a call with `code` (sent to the peer if it knows the call).
    pub fn abort(&mut self, now: Instant, call: CallHandle, code: u32) -> Result<(), Error> {
        let c = self.calls.get(&call).ok_or(Error::BadCall)?;
        if c.released {
            return Err(Error::BadCall);
        }
        if c.is_complete() {
            return Err(Error::Completed);
        }
        self.abort_call(call, code, 0, now);
        Ok(())
    }

    /// The caller is done with a call: it is aborted if still running and
    /// forgotten once over. Its handle is invalid afterwards.
    pub fn release(&mut self, now: Instant, call: CallHandle) {
        let Some(c) = self.calls.get_mut(&call) else {
            return;
        };
        c.released = true;
        c.pending = Default::default();
        if !c.is_complete() {
            self.abort_call(call, RX_USER_ABORT, 0, now);
        }
        if let Some(c) = self.calls.get_mut(&call) {
            c.pending = Default::default();
        }
        self.reap_call(call, now);
        self.settle(now);
    }

    /// The smoothed RTT to a peer, if measured (rxrpc_kernel_get_srtt).
    pub fn peer_srtt(&self, peer: TransportAddr) -> Option<core::time::Duration> {
        self.peers.get(&peer).and_then(|p| p.rtt.srtt())
    }

    /// The call after `after` in handle order (the first if `None`), to
    /// walk all calls.
    pub fn next_call(&mut self, after: Option<CallHandle>) -> Option<CallHandle> {
        self.calls.next_after(after.as_ref())
    }

    /// RXRPC_SET_CALL_TIMEOUT on an existing call: changes the timeouts
    /// given (`None` keeps one); a hard timeout counts from `now`.
    pub fn set_call_timeouts(
        &mut self,
        now: Instant,
        call: CallHandle,
        hard: Option<Duration>,
        idle: Option<Duration>,
        normal: Option<Duration>,
    ) -> Result<(), Error> {
        let c = self.calls.get_mut(&call).ok_or(Error::BadCall)?;
        c.set_timeouts(now, hard, idle, normal);
        self.tm_ready.push(call, &mut c.queued);
        Ok(())
    }

    /// Whether the call can take data from the user now: not while a
    /// client call waits for a connection, nor while a service call is
    /// still receiving its request (the socket layer answers `EBUSY`).
    pub fn call_can_take_data(&self, call: CallHandle) -> bool {
        self.calls.get(&call).is_some_and(|c| {
            !matches!(
                c.state,
                super::call::State::AwaitConn | super::call::State::RecvRequest
            )
        })
    }

    /// A snapshot of a call.
    pub fn call_info(&self, call: CallHandle) -> Option<CallInfo> {
        let c = self.calls.get(&call)?;
        Some(CallInfo {
            user: c.user,
            peer: c.peer,
            service_id: c.service_id,
            client: c.side == Side::Client,
            cid: c.conn.map_or(0, |k| k.cid | u32::from(c.channel)),
            call_number: c.call_number,
            state: c.state.name(),
            outcome: c.outcome,
            tx: (c.tx.hard_ack(), c.tx.sent_top()),
            tx_top: c.tx.top(),
            cwnd: c.cwnd(),
            rx: (c.rx.hard_ack(), c.rx.top()),
        })
    }

    /// The service id a call ended up with (after a service upgrade).
    pub fn call_service_id(&self, call: CallHandle) -> Option<u16> {
        self.calls.get(&call).map(|c| c.service_id)
    }

    /// The caller's tag of a client call's key (none for a service call
    /// or one without security).
    pub fn call_key(&self, call: CallHandle) -> Option<u64> {
        let key = self.calls.get(&call)?.bundle?.key;
        (key != 0).then_some(key)
    }

    /// The epoch of a call's connection: the client's, which for a
    /// service call is the peer's (kAFS keys its callback state by it).
    pub fn call_epoch(&self, call: CallHandle) -> Option<u32> {
        self.calls.get(&call)?.conn.map(|k| k.epoch)
    }

    /// The peer address of a call.
    pub fn call_peer(&self, call: CallHandle) -> Option<TransportAddr> {
        self.calls.get(&call).map(|c| c.peer)
    }

    /// The caller's tag of a call (none for a call not yet accepted).
    pub fn call_user(&self, call: CallHandle) -> Option<u64> {
        self.calls.get(&call).and_then(|c| c.user)
    }

    /// The outcome of a call, once it ended.
    pub fn call_outcome(&self, call: CallHandle) -> Option<Outcome> {
        self.calls.get(&call).and_then(|c| c.outcome)
    }

    /// An ICMP error about `from`: every call to it fails with `errno`.
    pub fn handle_icmp(&mut self, now: Instant, from: TransportAddr, errno: i32) {
        let mut cur = None;
        while let Some(h) = self.calls.next_after(cur.as_ref()) {
            cur = Some(h);
            let hit = self
                .calls
                .get(&h)
                .is_some_and(|c| c.peer == from && !c.is_complete());
            if hit {
                self.end_call(h, Outcome::NetError(errno), now);
            }
        }
    }

    /// The next event for the caller.
    pub fn poll_event(&mut self) -> Option<Event> {
        loop {
            let (h, popped) = self.ev_ready.next(&mut self.ev_scan, &mut self.calls)?;
            let Some(c) = self.calls.get_mut(&h) else {
                continue;
            };
            if popped {
                // No longer queued (one the walk found may be).
                self.ev_ready.unmark(&mut c.queued);
            }
            if let Some(ev) = Self::take_event(c, h) {
                // It may have more to say: look again after the others.
                self.ev_ready.push(h, &mut c.queued);
                return Some(ev);
            }
        }
    }

    /// Take one pending event of call `c`, whose handle is `h`.
    fn take_event(c: &mut Call<E>, h: CallHandle) -> Option<Event> {
        if c.pending.new_call {
            c.pending.new_call = false;
            return Some(Event::NewCall {
                service_id: c.service_id,
            });
        }
        let user = c.user?;
        if c.released {
            return None;
        }
        if c.pending.data {
            c.pending.data = false;
            Some(Event::DataReady { call: h, user })
        } else if c.pending.tx_space {
            c.pending.tx_space = false;
            Some(Event::TxSpace { call: h, user })
        } else if c.pending.complete {
            c.pending.complete = false;
            c.outcome.map(|outcome| Event::Complete {
                call: h,
                user,
                outcome,
            })
        } else {
            None
        }
    }

    /// Call `h` changed: it may have packets to send or events to report.
    pub(crate) fn touch(&mut self, h: CallHandle) {
        let Some(c) = self.calls.get_mut(&h) else {
            return;
        };
        self.tx_ready.push(h, &mut c.queued);
        self.ev_ready.push(h, &mut c.queued);
        self.tm_ready.push(h, &mut c.queued);
        let (was, now_held, group) = (c.tx_charged, c.tx.held_bytes(), c.group);
        self.tx_buffered = self
            .tx_buffered
            .saturating_sub(was)
            .saturating_add(now_held);
        c.tx_charged = now_held;
        if self.group_charge(group, was, now_held) {
            if let Some(c) = self.calls.get_mut(&h) {
                c.pending.tx_space = true;
            }
        }
    }

    /// Bring the receive budget up to date with call `h`'s Rx buffers.
    pub(crate) fn recharge_rx(&mut self, h: CallHandle) {
        if let Some(c) = self.calls.get_mut(&h) {
            c.recharge_rx(&mut self.rx_buffered);
        }
    }

    /// Local abort of a running call.
    pub(crate) fn abort_call(&mut self, h: CallHandle, code: u32, errno: i32, now: Instant) {
        self.end_call(h, Outcome::LocalAbort { code, errno }, now);
    }

    /// End a call with `outcome` and hand its channel back.
    pub(crate) fn end_call(&mut self, h: CallHandle, outcome: Outcome, now: Instant) {
        let Some(c) = self.calls.get_mut(&h) else {
            return;
        };
        if !c.complete(outcome) {
            return;
        }
        self.recharge_rx(h);
        self.touch(h);
        self.call_completed(h, now);
    }

    /// Rings for a new call: a spare pair if there is one.
    pub(crate) fn rings(&mut self) -> (TxRing<E>, RxRing<E>) {
        if let Some(n) = self.spare_count.checked_sub(1) {
            if let Some(r) = self.spare_rings.as_mut().get_mut(n).and_then(Option::take) {
                self.spare_count = n;
                return r;
            }
        }
        new_rings(&mut self.env)
    }

    /// DATA payload bytes a packet to `addr` may carry (see
    /// [`Peer::data_space`]).
    pub(crate) fn data_space(&self, addr: &TransportAddr) -> usize {
        self.peers.get(addr).map_or(WIRE_PAYLOAD, Peer::data_space)
    }

    /// Make sure a peer record exists for `addr`; returns its
    /// [`Peer::data_space`].
    pub(crate) fn ensure_peer(&mut self, addr: TransportAddr) -> Result<usize, ()> {
        if let Some(p) = self.peers.get_mut(&addr) {
            p.expiry = None;
            return Ok(p.data_space());
        }
        let mut p = Peer::default();
        p.set_path_mtu(&addr, self.env.path_mtu(&addr));
        let space = p.data_space();
        self.peers.insert(addr, p).map_err(|_| ())?;
        Ok(space)
    }

    /// The route to `peer` may have changed (an ICMP "fragmentation
    /// needed" or "packet too big" came back): ask the caller for its MTU
    /// again, and search again for jumbo packets if it changed.
    pub fn path_changed(&mut self, peer: TransportAddr) {
        let mtu = self.env.path_mtu(&peer);
        if let Some(p) = self.peers.get_mut(&peer) {
            p.set_path_mtu(&peer, mtu);
        }
    }

    /// Give a peer with no connections an expiry time.
    pub(crate) fn peer_maybe_idle(&mut self, addr: TransportAddr, now: Instant) {
        if let Some(p) = self.peers.get_mut(&addr) {
            if p.conns == 0 && p.expiry.is_none() {
                let t = now.after(super::peer::PEER_LINGER);
                p.expiry = Some(t);
                p.keepalive = None;
                self.note_deadline(t);
            }
        }
    }

    /// A peer deadline was set to `t`.
    pub(crate) fn note_deadline(&mut self, t: Instant) {
        if let Some(known) = self.conn_peer_deadline {
            self.conn_peer_deadline = Some(super::timer::earliest(known, Some(t)));
        }
    }

    /// Drop a bundle that has no connections and no calls waiting on it.
    pub(crate) fn bundle_maybe_free(&mut self, key: BundleKey) {
        let empty = self.bundles.get(&key).is_some_and(|b| b.is_empty());
        if empty && self.first_waiting(&key).is_none() {
            self.bundles.remove(&key);
        }
    }
}
