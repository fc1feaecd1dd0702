//! One call: the two-phase state machine and its Tx/Rx data paths.
//!
//! A client call sends its request, then receives the reply; a service call
//! receives the request, then sends the reply. Either side may abort at any
//! time before completion. The call decides what it wants to transmit
//! (ABORT, ACK, PING, DATA) and when; the local endpoint frames it on the
//! call's connection, which owns serial numbers and security.

use core::time::Duration;

use super::addr::TransportAddr;
use super::bundle::{BundleKey, WaitLink};
use super::congestion::Congestion;
use super::conn::ConnKey;
use super::counters::RxDrop;
use super::env::Env;
use super::error::{EPROTO, ETIME};
use super::event::Outcome;
use super::rtt::{backed_off, RttEstimator};
use super::rxbuf::{RecvResult, RxBuf, RxInsert, RxPacket};
use super::time::{nanos, Instant};
use super::timer::TimerTable;
use super::tunables::Tunables;
use super::txbuf::{seq_lt, Resend, TxBuf, TxError, TxPacket};
use super::wire::{Ack, AckReason, RX_CALL_TIMEOUT, RX_PROTOCOL_ERROR};

/// Delay before an ACK for in-order DATA that did not ask for one.
const DELAYED_ACK: Duration = Duration::from_millis(20);
/// Delay before telling the sender about window space the reader freed.
const IDLE_ACK: Duration = Duration::from_millis(20);
/// In-order packets that force an ACK without waiting for the delay.
const ACK_EVERY: u32 = 2;
/// Most extra ACKs owed for out-of-sequence DATA handled in one batch: the
/// three duplicate ACKs that start a sender's fast retransmission.
const MAX_ACKS_OWED: u8 = 3;
/// Longest a service call waits for the first packet of its request (the
/// one that tells the user of it) before it gives up with RX_CALL_TIMEOUT,
/// so that a call begun by forged or stray DATA of a later sequence frees
/// its charge even if the peer answers its pings. C gives every gap in a
/// request a second (in fact HZ ms: 250 ms on a HZ=250 kernel), which ends
/// live but slow requests too; once the user knows of the call, its own
/// timeouts apply.
const REQUEST_START: Duration = Duration::from_secs(10);
/// Packets read by the user after which the freed window is ACKed at once
/// rather than after `IDLE_ACK` (the C module's threshold), if the window
/// last offered was under half the whole.
const CONSUMED_ACK: u32 = 8;

/// How long a packet sent before one the peer acknowledged may stay
/// unacknowledged before it counts as lost (RACK, RFC 8985): an RTT and a
/// reordering window of `quarters` quarters of it; the RTO before any RTT
/// sample.
fn rack_wait(rtt: &RttEstimator, quarters: u32) -> Duration {
    rtt.srtt()
        .map_or_else(|| rtt.rto(), |s| s.saturating_add(s / 4 * quarters))
}

/// How long a retransmission may stay unacknowledged below acknowledged
/// data before it counts as lost again: two RTTs and a millisecond of
/// slack. In nanoseconds, as it is reckoned for every DATA packet sent.
fn probe_delay(srtt: Duration) -> u64 {
    nanos(srtt).saturating_mul(2).saturating_add(1_000_000)
}

/// How long the sender waits for an ACK before a tail loss probe (RFC
/// 8985 7.2): `pto`, the `probe_delay`, and the peer's ACK delay as well
/// when one packet alone is in flight, as nothing then makes the ACK go at
/// once. In nanoseconds.
fn tlp_delay(pto: u64, flight: u32) -> u64 {
    if flight > 1 {
        pto
    } else {
        pto.saturating_add(nanos(DELAYED_ACK))
    }
}

/// Per-call timeouts; `None` disables one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// Total life of the call.
    pub hard: Option<Duration>,
    /// Longest time without receiving any packet for the call, or with
    /// data outstanding and none of it acknowledged.
    pub idle: Option<Duration>,
    /// Longest time without progress (new data received or acknowledged).
    pub normal: Option<Duration>,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            hard: None,
            // C's next_rx_timo. (C reads its 20 * HZ as ms: 5 s at HZ=250.)
            idle: Some(Duration::from_secs(20)),
            normal: None,
        }
    }
}

/// Which end of the call we are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Side {
    Client,
    Server,
}

/// Where the call is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum State {
    /// Client: waiting for a channel on a connection of its bundle.
    AwaitConn,
    /// Client: sending the request.
    SendRequest,
    /// Client: request fully sent, waiting for the first reply packet.
    AwaitReply,
    /// Client: receiving the reply.
    RecvReply,
    /// Service: receiving the request.
    RecvRequest,
    /// Service: request complete, the user sends the reply.
    SendReply,
    /// Service: reply fully sent, waiting for the final ACK.
    AwaitFinalAck,
    /// Over; see the outcome.
    Complete,
}

impl State {
    /// The state's name, as /proc/net/rxrpc/calls prints it.
    pub(crate) fn name(self) -> &'static str {
        match self {
            State::AwaitConn => "ClWtConn",
            State::SendRequest => "ClSndReq",
            State::AwaitReply => "ClAwtRpl",
            State::RecvReply => "ClRcvRpl",
            State::RecvRequest => "SvRcvReq",
            State::SendReply => "SvSndRpl",
            State::AwaitFinalAck => "SvAwtACK",
            State::Complete => "Complete",
        }
    }
}

/// Named timers of a call.
#[derive(Clone, Copy, Debug)]
#[repr(usize)]
enum T {
    Resend,
    Ack,
    Hard,
    Idle,
    Normal,
    Ping,
    /// Time-based loss detection for retransmissions (see `on_timeout`).
    Probe,
    /// Service: the first DATA of the request is due (see `REQUEST_START`).
    Request,
    /// Tail loss probe: data outstanding and no ACK for it (see `on_timeout`).
    Tlp,
}
const N_TIMERS: usize = 9;

/// Something the call wants transmitted next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tx {
    /// DATA packet `seq`, with REQUEST_ACK if `request_ack`.
    Data { seq: u32, request_ack: bool },
    /// An ACK for the Rx side.
    Ack { reason: AckReason, serial: u32 },
}

/// The user-visible notifications pending on a call.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Pending {
    /// Waiting in the accept queue, not yet announced by a NewCall.
    pub(crate) new_call: bool,
    pub(crate) data: bool,
    pub(crate) tx_space: bool,
    pub(crate) complete: bool,
}

/// The Tx ring storage of a call.
pub(crate) type TxRing<E> = <E as Env>::Slots<TxPacket<<E as Env>::Buf>>;
/// The Rx ring storage of a call.
pub(crate) type RxRing<E> = <E as Env>::Slots<RxPacket<<E as Env>::RxBuf>>;

/// The Tx and Rx rings of a new call: empty, from the caller's memory; each
/// grows as the call queues or receives data.
pub(crate) fn new_rings<E: Env>(env: &mut E) -> (TxRing<E>, RxRing<E>) {
    (env.new_slots(), env.new_slots())
}

/// Most pairs of rings the endpoint keeps from calls gone for new ones.
pub(crate) const SPARE_RINGS: usize = 16;

/// A call and everything it holds.
pub(crate) struct Call<E: Env> {
    pub(crate) side: Side,
    pub(crate) state: State,
    /// The caller's tag; `None` for a service call not yet accepted.
    pub(crate) user: Option<u64>,
    /// A service call counted against its service's backlog.
    pub(crate) awaiting_accept: bool,
    pub(crate) peer: TransportAddr,
    pub(crate) service_id: u16,
    /// Client: the bundle whose connections the call may use.
    pub(crate) bundle: Option<BundleKey>,
    pub(crate) conn: Option<ConnKey>,
    pub(crate) channel: u8,
    pub(crate) call_number: u32,
    /// Client: ask for a service upgrade on the connection's first DATA.
    pub(crate) upgrade: bool,
    /// Client: this call probes for an upgrade; others wait for it.
    pub(crate) probing: bool,
    /// Client: its place in its bundle's queue while it waits for a
    /// channel.
    pub(crate) wait: Option<WaitLink>,
    pub(crate) outcome: Option<Outcome>,
    /// The user gave the call back; reap it once complete.
    pub(crate) released: bool,
    pub(crate) pending: Pending,
    /// Which of the endpoint's ready queues hold the call (`ready::TX`,
    /// `EV`, `TM`), so that queueing it again is one test.
    pub(crate) queued: u8,
    /// The caller waits for Tx space: a short write, or its socket's send
    /// buffer is full (see [`Call::watch_tx`]).
    tx_blocked: bool,
    /// Rx buffer bytes counted in the endpoint's receive budget.
    pub(crate) rx_charged: usize,
    /// Tx bytes held (`tx.held_bytes()`) as last counted in the
    /// endpoint's `tx_buffered`.
    pub(crate) tx_charged: usize,
    /// The caller's group (its socket) whose Tx total counts the call's
    /// (0: none); see [`super::Endpoint::set_call_group`].
    pub(crate) group: u64,
    /// The deadline under which the endpoint's timer index holds the call.
    pub(crate) armed: Option<Instant>,
    /// Bytes the user promised to send in all (RXRPC_TX_LENGTH).
    pub(crate) tx_length: Option<u64>,
    /// Bytes the user has handed over so far.
    pub(crate) tx_total: u64,
    pub(crate) tx: TxBuf<E::Buf, TxRing<E>>,
    pub(crate) rx: RxBuf<E::RxBuf, RxRing<E>>,
    cong: Congestion,
    timers: TimerTable<N_TIMERS>,
    timeouts: Timeouts,
    ack_now: Option<(AckReason, u32)>,
    /// Further copies of `ack_now` owed: out-of-sequence DATA that arrived
    /// while an ACK was pending (handled in one batch) still gets an ACK
    /// each, as the sender counts them to start fast retransmission.
    acks_owed: u8,
    ack_later: Option<(AckReason, u32)>,
    rx_unacked: u32,
    /// Packets the user has read since we last sent an ACK.
    rx_consumed: u32,
    /// The window our last ACK offered (`rwind`).
    rwind_offered: u32,
    ping_now: bool,
    rto_backoff: u32,
    /// A tail loss probe went out and no ACK has acknowledged new data
    /// since: one probe per episode, the RTO covers a lost probe.
    tlp_out: bool,
    /// When retransmissions started without the peer acknowledging
    /// anything since; the call gives up after the idle timeout of that.
    tx_stalled_since: Option<Instant>,
    /// Serial and time of the packet timed for an RTT sample.
    rtt_probe: Option<(u32, Instant)>,
    /// The ping we sent, answered by a PING_RESPONSE.
    ping_probe: Option<(u32, Instant)>,
    /// RACK's reordering window, in quarters of the smoothed RTT (0..=4):
    /// none until the path is seen to reorder, then widened each time a
    /// loss proves to have been reordering.
    reo_quarters: u32,
    /// `DELAYED_ACK`, bounded by `soft_ack_delay`.
    delayed_ack: Duration,
    /// `IDLE_ACK`, bounded by `idle_ack_delay`.
    idle_ack: Duration,
}

impl<E: Env> Call<E> {
    /// A new call, started at `now`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        side: Side,
        user: Option<u64>,
        peer: TransportAddr,
        service_id: u16,
        max_payload: usize,
        rx_window: u32,
        rings: (TxRing<E>, RxRing<E>),
        timeouts: Timeouts,
        now: Instant,
    ) -> Self {
        let mut c = Call {
            side,
            state: if side == Side::Client {
                State::AwaitConn
            } else {
                State::RecvRequest
            },
            user,
            awaiting_accept: false,
            peer,
            service_id,
            bundle: None,
            conn: None,
            channel: 0,
            call_number: 0,
            upgrade: false,
            probing: false,
            wait: None,
            outcome: None,
            released: false,
            pending: Pending::default(),
            queued: 0,
            tx_blocked: false,
            rx_charged: 0,
            tx_charged: 0,
            group: 0,
            armed: None,
            tx_length: None,
            tx_total: 0,
            tx: TxBuf::new(max_payload, rings.0),
            rx: RxBuf::new(rx_window, rings.1),
            cong: Congestion::default(),
            timers: TimerTable::default(),
            timeouts,
            ack_now: None,
            acks_owed: 0,
            ack_later: None,
            rx_unacked: 0,
            rx_consumed: 0,
            rwind_offered: 0,
            ping_now: false,
            rto_backoff: 0,
            tlp_out: false,
            tx_stalled_since: None,
            rtt_probe: None,
            ping_probe: None,
            reo_quarters: 0,
            delayed_ack: DELAYED_ACK,
            idle_ack: IDLE_ACK,
        };
        if let Some(h) = timeouts.hard {
            c.timers.set(T::Hard as usize, now.after(h));
        }
        if side == Side::Server {
            c.timers.set(T::Request as usize, now.after(REQUEST_START));
        }
        c.touch_idle(now);
        c.progress(now);
        c
    }

    /// The call's rings, emptied, for a new call, as the call goes: `None`
    /// if neither is worth keeping (see [`super::ring::recycle`]).
    pub(crate) fn take_rings(&mut self, env: &mut E) -> Option<(TxRing<E>, RxRing<E>)> {
        let tx = self.tx.take_ring(env.new_slots());
        let rx = self.rx.take_ring(env.new_slots());
        (!tx.as_ref().is_empty() || !rx.as_ref().is_empty()).then_some((tx, rx))
    }

    /// Changes the timeouts of a live call; `None` leaves one as it is.
    /// A new hard timeout counts from now; idle and no-progress restart.
    pub(crate) fn set_timeouts(
        &mut self,
        now: Instant,
        hard: Option<Duration>,
        idle: Option<Duration>,
        normal: Option<Duration>,
    ) {
        if self.state == State::Complete {
            return;
        }
        if let Some(h) = hard {
            self.timeouts.hard = Some(h);
            self.timers.set(T::Hard as usize, now.after(h));
        }
        if idle.is_some() {
            self.timeouts.idle = idle;
            self.touch_idle(now);
        }
        if normal.is_some() {
            self.timeouts.normal = normal;
            self.progress(now);
        }
    }

    /// Queued for acceptance until `deadline`, when it times out.
    pub(crate) fn await_accept(&mut self, deadline: Instant) {
        self.awaiting_accept = true;
        self.pending.new_call = true;
        self.timers.set_earliest(T::Hard as usize, deadline);
    }

    /// Taken from the accept queue: only its own timeouts apply again.
    pub(crate) fn accepted(&mut self, now: Instant) {
        self.awaiting_accept = false;
        self.pending.new_call = false;
        match self.timeouts.hard {
            Some(h) => self.timers.set(T::Hard as usize, now.after(h)),
            None => self.timers.stop(T::Hard as usize),
        }
    }

    /// A service call still waiting for the first packet of its request:
    /// its user has not heard of it.
    pub(crate) fn awaiting_first(&self) -> bool {
        self.side == Side::Server
            && self.state == State::RecvRequest
            && self.timers.get(T::Request as usize).is_some()
    }

    /// Whether the call ended.
    pub(crate) fn is_complete(&self) -> bool {
        self.state == State::Complete
    }

    /// The next deadline of this call.
    pub(crate) fn next_timeout(&self) -> Option<Instant> {
        self.timers.next()
    }

    fn touch_idle(&mut self, now: Instant) {
        if let Some(d) = self.timeouts.idle {
            let idle = nanos(d);
            self.timers.set(T::Idle as usize, now.after_ns(idle));
            // Ping after a sixth of the idle time in silence (C's
            // keepalive) so that a live peer that is merely slow, or behind
            // a lossy path, keeps the call alive.
            if self.state != State::Complete {
                self.timers.set(T::Ping as usize, now.after_ns(idle / 6));
            }
        }
    }

    fn progress(&mut self, now: Instant) {
        if let Some(d) = self.timeouts.normal {
            self.timers.set(T::Normal as usize, now.after(d));
        }
    }

    /// End the call with `outcome`. Returns false if it had already ended.
    pub(crate) fn complete(&mut self, outcome: Outcome) -> bool {
        if self.state == State::Complete {
            return false;
        }
        self.state = State::Complete;
        self.outcome = Some(outcome);
        self.timers.clear();
        self.tx.clear();
        self.ack_now = None;
        self.acks_owed = 0;
        self.ack_later = None;
        self.ping_now = false;
        if !matches!(outcome, Outcome::Succeeded) {
            // Data of a failed call is of no use to anyone.
            self.rx.clear();
            self.pending.data = false;
        }
        self.pending.tx_space = false;
        self.pending.complete = true;
        true
    }

    /// Client: the call got channel `channel`, call number `call_number`.
    pub(crate) fn attach(&mut self, conn: ConnKey, channel: u8, call_number: u32) {
        self.conn = Some(conn);
        self.channel = channel;
        self.call_number = call_number;
        if self.state == State::AwaitConn {
            self.state = State::SendRequest;
        }
    }

    /// Queue up to `len` bytes of Tx data that `src` writes straight into
    /// the packets (see [`TxBuf::write_with`]). Returns the bytes accepted
    /// (maybe fewer than offered).
    pub(crate) fn send_with<F, S>(
        &mut self,
        len: usize,
        more: bool,
        alloc: F,
        src: S,
    ) -> Result<usize, TxError>
    where
        F: FnMut(usize) -> Option<E::Buf>,
        S: FnMut(&mut [u8]) -> usize,
    {
        let n = self.tx.write_with(len, more, alloc, src)?;
        self.tx_total = self.tx_total.saturating_add(n as u64);
        self.tx_blocked = n < len || (!more && !self.tx.ended());
        Ok(n)
    }

    /// Ask for a `TxSpace` event when the peer next frees Tx buffers, for a
    /// caller whose send buffer is full.
    pub(crate) fn watch_tx(&mut self) {
        if self.tx.held_bytes() > 0 {
            self.tx_blocked = true;
        }
    }

    /// Whether the Tx phase is open for the user to write.
    pub(crate) fn may_send(&self) -> bool {
        matches!(
            self.state,
            State::AwaitConn | State::SendRequest | State::SendReply
        ) && !self.tx.ended()
    }

    /// DATA packet `seq`'s buffer as queued, from byte `from` on (see
    /// [`TxPacket::bytes_from`]).
    pub(crate) fn queued_payload(&self, seq: u32, from: u16) -> Option<&[u8]> {
        self.tx.get(seq)?.bytes_from(usize::from(from))
    }

    /// Bring the endpoint's count of received bytes held, `buffered`, up
    /// to date with this call's Rx buffers.
    pub(crate) fn recharge_rx(&mut self, buffered: &mut usize) {
        let now_held = self.rx.held_bytes();
        *buffered = buffered
            .saturating_sub(self.rx_charged)
            .saturating_add(now_held);
        self.rx_charged = now_held;
    }

    /// Whether received DATA packet `seq` must be dropped to keep the
    /// endpoint's receive budget (`buffered` bytes held of `limit`). The
    /// packet that the reader needs next is always taken when it has
    /// nothing else to read: otherwise out-of-sequence data could fill
    /// the budget and stall the call.
    pub(crate) fn rx_over_budget(&self, buffered: usize, limit: usize, seq: u32) -> bool {
        buffered >= limit && (self.rx.readable() || seq != self.rx.hard_ack().wrapping_add(1))
    }

    /// Take the ACK delays of `t`: our own, unless its bounds are shorter.
    pub(crate) fn set_ack_delays(&mut self, t: &Tunables) {
        self.delayed_ack = DELAYED_ACK.min(t.soft_ack_delay);
        self.idle_ack = IDLE_ACK.min(t.idle_ack_delay);
    }

    /// Read received data; may arm an ACK telling the sender of the space.
    pub(crate) fn recv(&mut self, out: &mut [u8], peek: bool, now: Instant) -> RecvResult {
        let read = self.rx.read(out, peek);
        self.after_read(read, peek, now)
    }

    /// Read up to `len` bytes into `sink` (see [`RxBuf::read_with`]).
    pub(crate) fn recv_with(
        &mut self,
        len: usize,
        sink: impl FnMut(&[u8]) -> usize,
        now: Instant,
    ) -> RecvResult {
        let read = self.rx.read_with(len, sink, false);
        self.after_read(read, false, now)
    }

    /// Consume up to `len` bytes that a peek already copied out.
    pub(crate) fn skip(&mut self, len: usize, now: Instant) -> RecvResult {
        let read = self.rx.skip(len);
        self.after_read(read, false, now)
    }

    fn after_read(
        &mut self,
        (res, done): (RecvResult, u32),
        peek: bool,
        now: Instant,
    ) -> RecvResult {
        if done > 0 && self.state != State::Complete {
            self.timers
                .set_earliest(T::Ack as usize, now.after(self.idle_ack));
            if self.ack_later.is_none() {
                self.ack_later = Some((AckReason::IDLE, 0));
            }
            // Much of the window was freed: tell the sender now, as the C
            // module does, so that it may send (and free its buffers)
            // sooner; but only if the window we offered last held it back,
            // or if DATA waits for its delayed ACK. Else the sender has
            // room still and has had its ACKs, and the ACKs for the DATA
            // it goes on sending carry the news (C's I/O thread sends its
            // ACKs for reading and for DATA as one): an ACK more for each
            // few packets read cost a C sender on a narrow path a quarter
            // of its rate.
            self.rx_consumed = self.rx_consumed.saturating_add(done);
            if self.rx_consumed > CONSUMED_ACK
                && (self.rwind_offered < self.rx.window() / 2 || self.rx_unacked > 0)
            {
                self.ack_now.get_or_insert((AckReason::IDLE, 0));
            }
        }
        if !peek {
            self.pending.data = self.rx.readable();
        }
        res
    }

    /// A DATA subpacket for this call, already verified, its plaintext in
    /// `pkt` (unsealed or copied into a buffer, or the received one kept).
    /// Returns why it was dropped, if it was, or an abort (code, errno) on
    /// a protocol violation. A reply hard-ACKs the request.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn on_data(
        &mut self,
        now: Instant,
        seq: u32,
        serial: u32,
        last: bool,
        request_ack: bool,
        pkt: RxPacket<E::RxBuf>,
    ) -> Result<Option<RxDrop>, (u32, i32)> {
        self.touch_idle(now);
        match self.state {
            State::AwaitReply | State::SendRequest => {
                // A reply DATA implicitly hard-ACKs the whole request, which
                // therefore must have been sent in full.
                if !self.tx.all_sent() {
                    return Err((RX_PROTOCOL_ERROR, EPROTO));
                }
                self.tx.ack_all();
                self.timers.stop(T::Resend as usize);
                self.state = State::RecvReply;
            }
            State::RecvReply | State::RecvRequest => {}
            State::SendReply | State::AwaitFinalAck => {
                // Request retransmission after the request completed.
                self.ack_now = Some((AckReason::DUPLICATE, serial));
                return Ok(Some(RxDrop::Duplicate));
            }
            State::AwaitConn | State::Complete => return Ok(Some(RxDrop::State)),
        }
        let verdict = self.rx.insert(seq, last, pkt);
        let dropped = match verdict {
            RxInsert::Duplicate => Some(RxDrop::Duplicate),
            RxInsert::ExceedsWindow => Some(RxDrop::Window),
            // As if lost: the sender will resend.
            RxInsert::NoMemory => return Ok(Some(RxDrop::NoMem)),
            _ => None,
        };
        match verdict {
            RxInsert::InOrder => {
                self.timers.stop(T::Request as usize);
                self.progress(now);
                self.rx_unacked = self.rx_unacked.saturating_add(1);
                if request_ack {
                    // The first request of a batch is the one answered: C's
                    // sender times only the first few it sends (four at
                    // once) and takes an answer to a later serial as the
                    // loss of those, so answering the last of a batch in
                    // which every packet asks (as C's does while it learns
                    // the RTT) would leave it with no sample at all.
                    if !matches!(self.ack_now, Some((AckReason::REQUESTED, _))) {
                        self.ack_now = Some((AckReason::REQUESTED, serial));
                    }
                } else if self.rx_unacked >= ACK_EVERY {
                    // An ACK already due (REQUESTED, or OUT_OF_SEQUENCE)
                    // keeps its reason and serial: the sender times its
                    // RTT by them, and a batch of DATA (the module's IO
                    // thread takes several at once) would otherwise hide
                    // the timed packet behind a DELAY for the last one.
                    self.ack_now.get_or_insert((AckReason::DELAY, serial));
                } else {
                    self.ack_later = Some((AckReason::DELAY, serial));
                    self.timers
                        .set_earliest(T::Ack as usize, now.after(self.delayed_ack));
                }
                if self.rx.readable() {
                    self.pending.data = true;
                }
            }
            RxInsert::OutOfSequence => {
                self.progress(now);
                if self.ack_now.is_some() {
                    self.acks_owed = (self.acks_owed + 1).min(MAX_ACKS_OWED);
                }
                self.ack_now = Some((AckReason::OUT_OF_SEQUENCE, serial));
            }
            RxInsert::Duplicate => self.ack_now = Some((AckReason::DUPLICATE, serial)),
            RxInsert::ExceedsWindow => self.ack_now = Some((AckReason::EXCEEDS_WINDOW, serial)),
            RxInsert::Protocol => return Err((RX_PROTOCOL_ERROR, EPROTO)),
            RxInsert::NoMemory => {}
        }
        if self.rx.all_received() {
            match self.state {
                State::RecvReply => {
                    // The final ACK goes out from the channel once complete.
                    self.complete(Outcome::Succeeded);
                }
                State::RecvRequest => self.state = State::SendReply,
                _ => {}
            }
        }
        Ok(dropped)
    }

    /// The first reply packet goes, and acknowledges the whole request:
    /// an ACK still due for it only because of its delay (or of the
    /// window its reading freed) would reach a client that may well have
    /// had its reply and ended (the C module cancels it too).
    fn reply_begins(&mut self) {
        let deferred = |a: Option<(AckReason, u32)>| {
            a.is_some_and(|(r, _)| r == AckReason::DELAY || r == AckReason::IDLE)
        };
        if deferred(self.ack_later) {
            self.ack_later = None;
            self.timers.stop(T::Ack as usize);
        }
        if deferred(self.ack_now) && self.acks_owed == 0 {
            self.ack_now = None;
        }
    }

    /// Whether this call is in a state where ACKs refer to its Tx side.
    fn in_tx_phase(&self) -> bool {
        matches!(
            self.state,
            State::SendRequest | State::AwaitReply | State::SendReply | State::AwaitFinalAck
        )
    }

    /// An ACK for this call. `serial` is the ACK packet's own serial.
    /// Returns why the rest of it was ignored, if it was.
    pub(crate) fn on_ack(
        &mut self,
        now: Instant,
        serial: u32,
        ack: &Ack<'_>,
        rtt: &mut RttEstimator,
    ) -> Result<Option<RxDrop>, (u32, i32)> {
        self.touch_idle(now);
        if ack.reason == AckReason::PING {
            self.ack_now = Some((AckReason::PING_RESPONSE, serial));
        }
        if ack.reason == AckReason::PING_RESPONSE {
            if let Some((s, t)) = self.ping_probe {
                if s == ack.serial {
                    rtt.sample(now, now.since(t));
                    self.ping_probe = None;
                    self.resend_by_sample(now, rtt);
                }
            }
        }
        if !self.in_tx_phase() {
            return Ok(None);
        }
        if let Some((s, t)) = self.rtt_probe {
            // The timed packet asked for an ACK, which the peer sends at
            // once, but as OUT_OF_SEQUENCE (not REQUESTED) while a loss
            // leaves a hole: with 2% loss that is nearly always, and a
            // sender that took only REQUESTED could go a whole call with
            // no sample and its RTO and RACK wait at the initial second.
            // Only the deliberately delayed reasons are no measure.
            if s == ack.serial && ack.reason != AckReason::DELAY && ack.reason != AckReason::IDLE {
                let sample = now.since(t);
                rtt.sample(now, sample);
                if let Some(min) = rtt.min_rtt() {
                    self.cong.on_delay(sample, min);
                }
                self.rtt_probe = None;
                self.resend_by_sample(now, rtt);
            } else if seq_lt(s, ack.serial) {
                // A later packet was answered first: the timed one, or its
                // ACK, was lost. Time another (as C does).
                self.rtt_probe = None;
            }
        }
        if let Some(t) = ack.trailer {
            self.cong.set_peer_rwind(t.rwind);
        }
        let hard = ack.first_packet.wrapping_sub(1);
        let sent = self.tx.sent_top();
        if hard.wrapping_sub(self.tx.hard_ack()) as i32
            > sent.wrapping_sub(self.tx.hard_ack()) as i32
        {
            // Hard-ACKs data we never sent.
            return Err((RX_PROTOCOL_ERROR, EPROTO));
        }
        if (hard.wrapping_sub(self.tx.hard_ack()) as i32) < 0 {
            // An old ACK overtaken by a newer one.
            return Ok(Some(RxDrop::OldAck));
        }
        let flight = self.tx.in_flight();
        // An ACK of a retransmission comes an RTT after it at the soonest.
        let recent = rtt.srtt().map_or(now, |s| now.before(s / 2));
        let out = self
            .tx
            .on_ack(ack.first_packet, ack.acks, recent, ack.serial);
        if out.spurious {
            self.reo_quarters = (self.reo_quarters + 1).min(4);
            self.cong.undo();
        } else if out.reordered {
            self.reo_quarters = self.reo_quarters.max(1);
        }
        self.cong.on_ack(out.newly_acked, self.tx.hard_ack());
        if out.has_nacks {
            self.detect_loss(now, rtt, flight);
        }
        if out.newly_acked > 0 || out.hard_advanced {
            self.rto_backoff = 0;
            self.tlp_out = false;
            self.tx_stalled_since = None;
            self.progress(now);
            if self.tx.sent_top() != self.tx.hard_ack() || self.window_held() {
                self.timers.set(T::Resend as usize, now.after(rtt.rto()));
                if let Some(srtt) = rtt.srtt() {
                    self.timers.set(
                        T::Tlp as usize,
                        now.after_ns(tlp_delay(probe_delay(srtt), self.tx.in_flight())),
                    );
                }
            } else {
                self.timers.stop(T::Resend as usize);
                self.timers.stop(T::Tlp as usize);
            }
        }
        if self.tx_blocked && (out.hard_advanced || self.tx.has_space()) {
            self.tx_blocked = false;
            self.pending.tx_space = true;
        }
        if self.state == State::AwaitFinalAck && self.tx.all_hard_acked() {
            self.complete(Outcome::Succeeded);
        }
        Ok(None)
    }

    /// An RTT sample came in: data sent before the first one waits on the
    /// initial one-second RTO, which the sample may bring in (a service
    /// that replies at once does so before its PING to a new peer is
    /// answered, and a lost final ACK then held the call a second).
    fn resend_by_sample(&mut self, now: Instant, rtt: &RttEstimator) {
        if self.in_tx_phase() && self.tx.sent_top() != self.tx.hard_ack() {
            let rto = self.backed_off_rto(rtt);
            self.timers.set_earliest(T::Resend as usize, now.after(rto));
        }
    }

    /// ACKALL: everything we sent is acknowledged.
    pub(crate) fn on_ackall(&mut self, now: Instant) {
        self.touch_idle(now);
        if !self.in_tx_phase() {
            return;
        }
        self.tx.ack_all();
        self.timers.stop(T::Resend as usize);
        if self.tx_blocked {
            self.tx_blocked = false;
            self.pending.tx_space = true;
        }
        if self.state == State::AwaitFinalAck && self.tx.all_hard_acked() {
            self.complete(Outcome::Succeeded);
        }
    }

    /// Whether the call can put DATA on the wire now.
    fn may_transmit_data(&self) -> bool {
        matches!(
            self.state,
            State::SendRequest | State::AwaitReply | State::SendReply | State::AwaitFinalAck
        )
    }

    /// Whether DATA packet `seq` is the whole of a client's request.
    fn lone_request(&self, seq: u32) -> bool {
        self.side == Side::Client && seq == 1 && self.tx.get(seq).is_some_and(|p| p.last)
    }

    /// What to transmit next, if anything; `rtt_fresh` tells whether the
    /// peer's RTT estimate is fresh ([`RttEstimator::fresh`]), asked only
    /// for a request of one packet.
    pub(crate) fn next_tx(&self, rtt_fresh: impl FnOnce() -> bool) -> Option<Tx> {
        if let Some((reason, serial)) = self.ack_now {
            return Some(Tx::Ack { reason, serial });
        }
        if self.ping_now {
            return Some(Tx::Ack {
                reason: AckReason::PING,
                serial: 0,
            });
        }
        if !self.may_transmit_data() {
            return None;
        }
        let (cwnd, window) = self.cong.limits();
        let seq = self.tx.next_to_send(cwnd, window)?;
        let p = self.tx.get(seq)?;
        let resend = p.sent_at.is_some();
        // Never on the last packet of a reply, as the C module does:
        // OpenAFS answers that request with soft-ACKs and never hard-ACKs
        // the reply, so the call would wait for its final ACK until it
        // times out (kAFS's callback service saw this).
        let reply_end = p.last && self.side == Side::Server;
        // Nor on a request of one packet while the RTT is known and
        // recent: its reply, due about an RTT later, acknowledges it, and
        // the ACK asked for would be one datagram of four in a small call.
        // C asks (its new call is in slow start); a service that takes
        // long sends a delayed ACK, or the request is resent, asking.
        let unasked = self.lone_request(seq) && rtt_fresh();
        let asks = (p.last || self.rtt_probe.is_none()) && !unasked;
        let request_ack =
            !reply_end && (asks || resend || seq == self.tx.hard_ack().wrapping_add(window));
        Some(Tx::Data { seq, request_ack })
    }

    /// An ACK offering a window of `rwind` is framed.
    pub(crate) fn offering(&mut self, rwind: u32) {
        self.rwind_offered = rwind;
    }

    /// Record that `tx` went out with `serial` at `now`.
    pub(crate) fn on_sent(&mut self, tx: Tx, serial: u32, now: Instant, rtt: &RttEstimator) {
        match tx {
            Tx::Ack { reason, .. } => {
                if reason == AckReason::PING {
                    self.ping_now = false;
                    self.ping_probe = Some((serial, now));
                } else if self.acks_owed > 0 {
                    self.acks_owed -= 1;
                } else {
                    self.ack_now = None;
                    self.ack_later = None;
                    self.rx_unacked = 0;
                    self.rx_consumed = 0;
                    self.timers.stop(T::Ack as usize);
                }
            }
            Tx::Data { seq, request_ack } => {
                let (now, first) = self.tx.mark_sent(seq, serial, now);
                if first && seq == 1 && self.side == Side::Server {
                    self.reply_begins();
                }
                if request_ack && self.rtt_probe.is_none() && first {
                    self.rtt_probe = Some((serial, now));
                }
                if self.timers.get(T::Resend as usize).is_none() {
                    let rto = self.backed_off_rto(rtt);
                    self.timers.set(T::Resend as usize, now.after(rto));
                }
                // A request of one packet sent without REQUEST_ACK is
                // acknowledged by its reply, however long the service
                // takes: only the RTO resends it.
                let lone = !request_ack && self.lone_request(seq);
                if let Some(srtt) = rtt.srtt().filter(|_| !lone) {
                    let pto = probe_delay(srtt);
                    self.timers
                        .set_earliest(T::Probe as usize, now.after_ns(pto));
                    if !self.tlp_out {
                        self.timers.set_earliest(
                            T::Tlp as usize,
                            now.after_ns(tlp_delay(pto, self.tx.in_flight())),
                        );
                    }
                }
                if self.tx.all_sent() {
                    match self.state {
                        State::SendRequest => self.state = State::AwaitReply,
                        State::SendReply => self.state = State::AwaitFinalAck,
                        _ => {}
                    }
                }
            }
        }
    }

    /// Send a PING ACK soon, to measure the RTT.
    pub(crate) fn request_ping(&mut self) {
        if self.state != State::Complete && self.ping_probe.is_none() {
            self.ping_now = true;
        }
    }

    /// Send again, now, everything sent and not acknowledged.
    pub(crate) fn resend_unacked(&mut self) {
        if self.in_tx_phase() {
            self.tx.mark_all_unacked(Resend::Other);
        }
    }

    /// Service: the reply may start; the user may now send.
    pub(crate) fn reply_allowed(&self) -> bool {
        self.state == State::SendReply
    }

    /// The congestion window, for listings.
    pub(crate) fn cwnd(&self) -> u32 {
        self.cong.cwnd()
    }

    /// RACK: mark the packets that should have been acknowledged by now,
    /// reduce the window once for them, and look again when the next one
    /// still in doubt falls due.
    fn detect_loss(&mut self, now: Instant, rtt: &RttEstimator, flight: u32) {
        // Before the path is seen to reorder, a quarter RTT of grace unless
        // three packets after the hole arrived (RFC 8985 6.2 step 4, the
        // duplicate-ACK threshold): since RACK orders a burst sent in one
        // instant by sequence, a packet of it merely overtaken was found
        // lost at once.
        let held = self.tx.sent_top().wrapping_sub(self.tx.hard_ack());
        let sacked = held.saturating_sub(self.tx.in_flight());
        let quarters = if self.reo_quarters == 0 && sacked < 3 {
            1
        } else {
            self.reo_quarters
        };
        let (lost, next) = self.tx.mark_lost(now, rack_wait(rtt, quarters));
        if lost > 0 {
            self.cong.on_loss(self.tx.sent_top(), flight);
        }
        if let Some(due) = next {
            self.timers.set_earliest(T::Probe as usize, due);
        }
    }

    /// Run expired timers. Returns an abort (code, errno) if the call must
    /// be aborted locally.
    pub(crate) fn on_timeout(&mut self, now: Instant, rtt: &RttEstimator) -> Option<(u32, i32)> {
        if self.state == State::Complete {
            return None;
        }
        if self.timers.expire(T::Hard as usize, now) || self.timers.expire(T::Normal as usize, now)
        {
            return Some((RX_CALL_TIMEOUT, ETIME));
        }
        if self.timers.expire(T::Idle as usize, now) {
            return Some((RX_CALL_TIMEOUT, ETIME));
        }
        if self.timers.expire(T::Request as usize, now) && self.state == State::RecvRequest {
            return Some((RX_CALL_TIMEOUT, ETIME));
        }
        if self.timers.expire(T::Ack as usize, now) {
            if let Some(a) = self.ack_later.take() {
                self.ack_now.get_or_insert(a);
            }
        }
        if self.timers.expire(T::Ping as usize, now) {
            if self.state != State::AwaitConn {
                self.ping_now = true;
            }
            if let Some(d) = self.timeouts.idle {
                self.timers.set(T::Ping as usize, now.after(d / 6));
            }
        }
        if self.timers.expire(T::Probe as usize, now) && self.in_tx_phase() {
            // A retransmission is answered at once (it asks for an ACK), so
            // one still missing after two RTTs below data the peer holds
            // was lost again: resend it now rather than after an RTO.
            if let Some(srtt) = rtt.srtt() {
                let before = now.before_ns(probe_delay(srtt));
                let flight = self.tx.in_flight();
                if self.tx.mark_overdue(before) > 0 {
                    self.cong.on_loss(self.tx.sent_top(), flight);
                }
                if self.tx.in_flight() > 0 {
                    self.timers
                        .set(T::Probe as usize, now.after_ns(probe_delay(srtt)));
                }
            }
            let flight = self.tx.in_flight();
            self.detect_loss(now, rtt, flight);
        }
        if self.timers.expire(T::Tlp as usize, now) && self.in_tx_phase() && !self.tlp_out {
            if self.tx.mark_tail_probe() {
                // No ACK for two RTTs: the tail of the window, or every ACK
                // for it, may be lost, and nothing sent after it would let
                // RACK see that. Resend the newest packet now rather than
                // wait for the RTO (at least 200 ms, however short the RTT).
                self.tlp_out = true;
            } else if self.window_held() {
                self.ping_now = true;
                self.tlp_out = true;
            }
        }
        if self.timers.expire(T::Resend as usize, now) && self.in_tx_phase() {
            if self.window_held() {
                // Nothing was lost: only the peer's window update may have
                // been. Probe with a PING, backing off, and keep the window.
                self.ping_now = true;
                self.rto_backoff = self.rto_backoff.saturating_add(1);
                let rto = self.backed_off_rto(rtt);
                self.timers.set(T::Resend as usize, now.after(rto));
                return None;
            }
            // A peer that answers pings but never acknowledges data (a
            // path that drops large packets) must not hold the call open.
            let since = *self.tx_stalled_since.get_or_insert(now);
            if self.timeouts.idle.is_some_and(|d| now.since(since) >= d) {
                return Some((RX_CALL_TIMEOUT, ETIME));
            }
            let flight = self.tx.in_flight();
            self.tx.mark_all_unacked(Resend::Rto);
            self.cong.on_rto(flight);
            self.rto_backoff = self.rto_backoff.saturating_add(1);
            self.rtt_probe = None;
            if self.tx.sent_top() != self.tx.hard_ack() {
                let rto = self.backed_off_rto(rtt);
                self.timers.set(T::Resend as usize, now.after(rto));
            }
        }
        None
    }

    /// The RTO after this call's backoff, doubled per expiry but no longer
    /// than the keepalive interval (a sixth of the idle timeout): a call
    /// that hears nothing gives up after its idle time, and a longer
    /// backoff leaves a first packet sent without an RTT sample five tries
    /// in 20 s (at 0, 1, 3, 7 and 15 s: over a 20% loss path 1 call in
    /// 3,125 failed), where this gives seven (1 in 78,000).
    fn backed_off_rto(&self, rtt: &RttEstimator) -> Duration {
        let rto = backed_off(rtt.rto(), self.rto_backoff);
        match self.timeouts.idle {
            Some(d) => rto.min((d / 6).max(rtt.rto())),
            None => rto,
        }
    }

    /// Nothing is in flight and the peer's reader holds the window: it
    /// shut it (rwind 0) with data of ours still to go, or it soft-ACKed
    /// everything sent without hard-ACKing it all (a peer that hard-ACKs
    /// only what its reader took). The ACK that reopens the window, once
    /// the reader takes the data, is sent once: if it is lost, only a probe
    /// (a PING, whose response carries the window) gets the call going
    /// again before the keepalive ping, seconds later.
    fn window_held(&self) -> bool {
        self.tx.in_flight() == 0
            && (self.tx.sent_top() != self.tx.hard_ack()
                || (self.cong.window_shut() && !self.tx.all_sent()))
    }
}
