//! The Tx side of a call: packetised data retained until hard-ACKed.
//!
//! Data handed in by the caller is cut into packets of `max_payload` bytes
//! and kept in a ring indexed by sequence number until the peer hard-ACKs
//! it. A packet that is not full stays open while the caller says more data
//! follows, so small writes do not turn into small packets. The ring grows
//! with the packets held (see [`super::ring`]) and is given back once the
//! peer has hard-ACKed the last packet.
//!
//! A packet's buffer holds [`ROOM`] bytes before its payload, where a
//! jumbo packet's subpacket has its jumbo header when first sent: the
//! subpackets then go out from their buffers as they lie, one after the
//! other, with no copy (see [`super::Gather::push_data`]).

use super::env::Slots;
use super::peer::ProbeFate;
use super::ring;
use super::time::Instant;
use super::wire::JUMBO_HEADER_LEN;
use core::time::Duration;

/// Bytes of a packet's buffer before its payload.
pub(crate) const ROOM: usize = JUMBO_HEADER_LEN;

/// At most `RING - 1` packets are held at once.
pub(crate) const RING: usize = ring::MAX;

/// One queued DATA packet.
#[derive(Debug)]
pub(crate) struct TxPacket<B> {
    pub(crate) buf: B,
    pub(crate) len: usize,
    /// Carries LAST_PACKET.
    pub(crate) last: bool,
    /// No more data will be added (full, or the caller ended the phase).
    sealed: bool,
    /// Time of the latest transmission.
    pub(crate) sent_at: Option<Instant>,
    /// Serial of the latest transmission.
    pub(crate) serial: u32,
    /// The peer holds it (soft-ACK) as of the latest ACK.
    pub(crate) sacked: bool,
    /// Marked for retransmission.
    pub(crate) resend: bool,
    /// Sent more than once.
    retransmitted: bool,
    /// Why it was last marked for resend.
    pub(crate) why: Resend,
}

impl<B: AsRef<[u8]>> TxPacket<B> {
    /// Its buffer from byte `from` to the end of the payload ([`ROOM`]:
    /// the payload alone).
    pub(crate) fn bytes_from(&self, from: usize) -> Option<&[u8]> {
        self.buf.as_ref().get(from..ROOM + self.len)
    }

    /// Its payload.
    pub(crate) fn payload(&self) -> Option<&[u8]> {
        self.bytes_from(ROOM)
    }
}

impl<B: AsMut<[u8]>> TxPacket<B> {
    /// The room before its payload, for its jumbo header. Written only
    /// while the datagram of its first transmission is framed: the caller
    /// may have the buffer on the network from then on.
    pub(crate) fn room_mut(&mut self) -> Option<&mut [u8]> {
        self.buf.as_mut().get_mut(..ROOM)
    }
}

/// Why a packet was marked for retransmission (counted when it is sent).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Resend {
    /// RACK: sent before a packet the peer acknowledged, and overdue.
    Rack,
    /// A probe: a retransmission overdue below data the peer holds, or
    /// the tail loss probe (RFC 8985 section 7: no ACK for two RTTs). One
    /// slot for both keeps the endpoint's counters, and it, under 4 KiB.
    Again,
    /// The retransmission timeout.
    Rto,
    /// Anything else: the connection was secured (a RESPONSE went out).
    Other,
}

/// Slots of the retransmission counters, one per [`Resend`].
pub const RESEND_REASONS: usize = Resend::Other as usize + 1;

/// Result of folding an ACK's acknowledgements into the Tx queue.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AckOutcome {
    /// Packets newly hard- or soft-ACKed.
    pub(crate) newly_acked: u32,
    /// The hard-ACK point moved.
    pub(crate) hard_advanced: bool,
    /// The table reports at least one NACK.
    pub(crate) has_nacks: bool,
    /// A retransmitted packet was acknowledged too soon for the
    /// retransmission to have arrived: the original did, and the loss was
    /// only reordering.
    pub(crate) spurious: bool,
    /// A packet was acknowledged after one sent later than it: the path
    /// reorders.
    pub(crate) reordered: bool,
}

/// Packets of the window (sent, not hard-ACKed) by state, kept up to date
/// as they change, so that the sender does not walk the window for each
/// packet it sends.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Counts {
    /// Not soft-ACKed.
    unsacked: u32,
    /// Not soft-ACKed and not marked for resend: in the network.
    pipe: u32,
    /// Marked for resend.
    resend: u32,
}

impl Counts {
    fn of<B>(p: &TxPacket<B>) -> Counts {
        Counts {
            unsacked: u32::from(!p.sacked),
            pipe: u32::from(!p.sacked && !p.resend),
            resend: u32::from(p.resend),
        }
    }

    fn add(&mut self, o: Counts) {
        self.unsacked = self.unsacked.saturating_add(o.unsacked);
        self.pipe = self.pipe.saturating_add(o.pipe);
        self.resend = self.resend.saturating_add(o.resend);
    }

    fn sub(&mut self, o: Counts) {
        self.unsacked = self.unsacked.saturating_sub(o.unsacked);
        self.pipe = self.pipe.saturating_sub(o.pipe);
        self.resend = self.resend.saturating_sub(o.resend);
    }
}

/// Why data could not be queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TxError {
    /// No buffer could be allocated.
    NoMemory,
}

/// The Tx queue of one phase. `V` is the ring's storage, from the caller's
/// memory: empty until data is queued, then as many slots as packets held
/// (a power of two, up to [`RING`]).
#[derive(Debug)]
pub(crate) struct TxBuf<B, V> {
    ring: V,
    _buf: core::marker::PhantomData<B>,
    /// Highest sequence hard-ACKed (0: none).
    hard_ack: u32,
    /// Highest sequence queued, sealed or open.
    top: u32,
    /// Highest sequence transmitted at least once.
    sent_top: u32,
    /// LAST_PACKET has been queued.
    ended: bool,
    max_payload: usize,
    /// When the newest packet the peer acknowledged was (last) sent, and
    /// its sequence: RACK's reference for which packets should have
    /// arrived by now.
    delivered_sent: Option<(Instant, u32)>,
    /// The latest transmission's time: no later one is stamped earlier.
    last_sent: Option<Instant>,
    /// The window's packets by state.
    counts: Counts,
}

impl<B: AsRef<[u8]> + AsMut<[u8]>, V: Slots<TxPacket<B>>> TxBuf<B, V> {
    /// An empty queue cutting packets of `max_payload` bytes, stored in
    /// `ring` (with no packets; it grows as packets are queued).
    pub(crate) fn new(max_payload: usize, ring: V) -> Self {
        TxBuf {
            ring,
            _buf: core::marker::PhantomData,
            hard_ack: 0,
            top: 0,
            sent_top: 0,
            ended: false,
            max_payload: max_payload.max(1),
            delivered_sent: None,
            last_sent: None,
            counts: Counts::default(),
        }
    }

    /// The bytes of data in a full packet.
    pub(crate) fn max_payload(&self) -> usize {
        self.max_payload
    }

    /// Cut packets of `n` bytes from now on; only before any is queued.
    pub(crate) fn set_max_payload(&mut self, n: usize) {
        if self.top == 0 && n > 0 {
            self.max_payload = n;
        }
    }

    /// Change packet `seq` with `f`, keeping the window's counts.
    fn change(&mut self, seq: u32, f: impl FnOnce(&mut TxPacket<B>)) {
        let counted = seq_lt(self.hard_ack, seq) && seq_le(seq, self.sent_top);
        let Some(p) = self.pkt_mut(seq) else {
            return;
        };
        let before = Counts::of(p);
        f(p);
        let after = Counts::of(p);
        if counted {
            self.counts.sub(before);
            self.counts.add(after);
        }
    }

    /// The window's counts, walked (for checks).
    #[cfg(any(test, debug_assertions))]
    fn recount(&self) -> Counts {
        let mut c = Counts::default();
        let mut seq = self.hard_ack.wrapping_add(1);
        while seq_le(seq, self.sent_top) {
            if let Some(p) = self.pkt(seq) {
                c.add(Counts::of(p));
            }
            seq = seq.wrapping_add(1);
        }
        c
    }

    /// Check the kept counts against the window (tests and debug builds).
    fn check(&self) {
        #[cfg(any(test, debug_assertions))]
        assert_eq!(self.counts, self.recount(), "Tx window counts");
    }

    // The queue looks up only packets `hard_ack ..= top`, which the ring
    // spans (`hard_ack` itself only when nothing is held), so a slot needs
    // no range check.
    fn cell(&mut self, seq: u32) -> Option<&mut Option<TxPacket<B>>> {
        let len = self.ring.as_ref().len();
        debug_assert!(seq.wrapping_sub(self.hard_ack) as usize <= len);
        self.ring.as_mut().get_mut(ring::slot(len, seq))
    }

    fn pkt(&self, seq: u32) -> Option<&TxPacket<B>> {
        let len = self.ring.as_ref().len();
        debug_assert!(seq.wrapping_sub(self.hard_ack) as usize <= len);
        self.ring
            .as_ref()
            .get(ring::slot(len, seq))
            .and_then(Option::as_ref)
    }

    fn pkt_mut(&mut self, seq: u32) -> Option<&mut TxPacket<B>> {
        self.cell(seq).and_then(Option::as_mut)
    }

    fn set(&mut self, seq: u32, p: Option<TxPacket<B>>) {
        if let Some(c) = self.cell(seq) {
            *c = p;
        }
    }

    /// Whether a packet can be opened after the top one: the window has
    /// room and the ring a slot for it (grown if need be; a ring that
    /// cannot grow counts as a full window).
    fn room_for_next(&mut self) -> bool {
        let need = self.top.wrapping_sub(self.hard_ack).wrapping_add(1);
        self.has_space() && ring::reserve(&mut self.ring, self.hard_ack, need)
    }

    /// Take hard-ACKed packet `hard_ack + 1` out of the ring and move the
    /// hard-ACK point past it.
    fn pop(&mut self) -> Option<TxPacket<B>> {
        let p = self
            .cell(self.hard_ack.wrapping_add(1))
            .and_then(Option::take);
        self.hard_ack = self.hard_ack.wrapping_add(1);
        p
    }

    /// Give the ring back once the peer holds the whole phase.
    fn free_if_done(&mut self) {
        if self.all_hard_acked() {
            ring::release(&mut self.ring);
        }
    }

    /// The ring, for another call (see [`ring::recycle`]), `empty` left in
    /// its place; this queue's call is going.
    pub(crate) fn take_ring(&mut self, empty: V) -> V {
        ring::recycle(&mut self.ring, empty)
    }

    /// Open a new, empty packet after the top one (which
    /// [`TxBuf::room_for_next`] made room for).
    fn push_open(&mut self, buf: B) {
        self.top = self.top.wrapping_add(1);
        let p = TxPacket {
            buf,
            len: 0,
            last: false,
            sealed: false,
            sent_at: None,
            serial: 0,
            sacked: false,
            resend: false,
            retransmitted: false,
            why: Resend::Other,
        };
        self.set(self.top, Some(p));
    }

    /// Highest hard-ACKed sequence.
    pub(crate) fn hard_ack(&self) -> u32 {
        self.hard_ack
    }

    /// Whether packets are queued after `seq`.
    pub(crate) fn queued_after(&self, seq: u32) -> bool {
        seq_lt(seq, self.top)
    }

    /// Highest sequence transmitted.
    pub(crate) fn sent_top(&self) -> u32 {
        self.sent_top
    }

    /// Highest sequence queued (sent or not).
    pub(crate) fn top(&self) -> u32 {
        self.top
    }

    /// Whether LAST_PACKET is queued.
    pub(crate) fn ended(&self) -> bool {
        self.ended
    }

    /// Whether everything up to the last packet was hard-ACKed.
    pub(crate) fn all_hard_acked(&self) -> bool {
        self.ended && self.hard_ack == self.top
    }

    /// Whether the last packet has been transmitted at least once.
    pub(crate) fn all_sent(&self) -> bool {
        self.ended && self.sent_top == self.top
    }

    /// Packets sent and neither hard- nor soft-ACKed.
    pub(crate) fn in_flight(&self) -> u32 {
        self.counts.unsacked
    }

    /// Bytes of the packet buffers held: queued and not yet hard-ACKed.
    pub(crate) fn held_bytes(&self) -> usize {
        self.top.wrapping_sub(self.hard_ack) as usize * self.max_payload
    }

    /// Whether the window has room for a new packet now.
    pub(crate) fn has_space(&self) -> bool {
        self.top.wrapping_sub(self.hard_ack) < RING as u32 - 1
    }

    /// Slots of the ring (for tests of its growth).
    #[cfg(test)]
    pub(crate) fn ring_len(&self) -> usize {
        self.ring.as_ref().len()
    }

    /// [`TxBuf::write_with`] from `data`.
    #[cfg(test)]
    pub(crate) fn write<F>(&mut self, data: &[u8], more: bool, alloc: F) -> Result<usize, TxError>
    where
        F: FnMut(usize) -> Option<B>,
    {
        let mut at = 0;
        self.write_with(data.len(), more, alloc, |dst| {
            if let Some(s) = data.get(at..at + dst.len()) {
                dst.copy_from_slice(s);
            }
            at += dst.len();
            dst.len()
        })
    }

    /// Queue as much of `len` bytes as fits, written straight into the
    /// packets by `src`, which returns how many bytes it wrote into the
    /// slice it is given: fewer (a fault in the caller's buffer) stops
    /// there. `more` says whether the caller will add data after this.
    /// Returns the bytes accepted; the phase ends once all of a `more ==
    /// false` write was accepted.
    pub(crate) fn write_with<F, S>(
        &mut self,
        len: usize,
        more: bool,
        mut alloc: F,
        mut src: S,
    ) -> Result<usize, TxError>
    where
        F: FnMut(usize) -> Option<B>,
        S: FnMut(&mut [u8]) -> usize,
    {
        if self.ended {
            return Ok(0);
        }
        let mut done = 0;
        while done < len {
            if self.open_packet_room() == 0 {
                if !self.room_for_next() {
                    return Ok(done);
                }
                let top = self.top;
                if top != 0 {
                    if let Some(p) = self.pkt_mut(top) {
                        p.sealed = true;
                    }
                }
                let Some(buf) = alloc(ROOM + self.max_payload) else {
                    return if done == 0 {
                        Err(TxError::NoMemory)
                    } else {
                        Ok(done)
                    };
                };
                self.push_open(buf);
            }
            // The top packet is open (it had room, or was just opened).
            let max = self.max_payload;
            let Some(p) = self.pkt_mut(self.top) else {
                break;
            };
            let n = max.saturating_sub(p.len).min(len - done);
            let at = ROOM + p.len;
            let k = match p.buf.as_mut().get_mut(at..at + n) {
                Some(d) => src(d).min(n),
                None => 0,
            };
            p.len += k;
            done += k;
            if k < n {
                return Ok(done);
            }
        }
        if !more {
            // End of phase: seal the open packet as the last, or queue an
            // empty last packet if there is none open (an empty phase).
            let open_exists = self.top != 0 && self.pkt(self.top).is_some_and(|p| !p.sealed);
            if !open_exists {
                if !self.room_for_next() {
                    return Ok(done);
                }
                let Some(buf) = alloc(ROOM + self.max_payload) else {
                    return if done == 0 {
                        Err(TxError::NoMemory)
                    } else {
                        Ok(done)
                    };
                };
                self.push_open(buf);
            }
            if let Some(p) = self.pkt_mut(self.top) {
                p.sealed = true;
                p.last = true;
            }
            self.ended = true;
        }
        Ok(done)
    }

    /// Room left in the open packet (0 if none is open).
    fn open_packet_room(&self) -> usize {
        if self.top == 0 || self.top == self.hard_ack {
            return 0;
        }
        match self.pkt(self.top) {
            Some(p) if !p.sealed => self.max_payload.saturating_sub(p.len),
            _ => 0,
        }
    }

    /// Packets in the network as far as we know: sent and neither
    /// acknowledged nor found lost (RFC 6675's pipe).
    pub(crate) fn pipe(&self) -> u32 {
        self.counts.pipe
    }

    /// The next packet to transmit while fewer than `cwnd` are in the
    /// network, within `window` packets above the hard-ACK point (the
    /// peer's receive window): the lowest one marked for resend, else the
    /// next never-sent sealed one. Packets the peer holds above a hole do
    /// not count against `cwnd`, so a loss does not stall the flow.
    pub(crate) fn next_to_send(&self, cwnd: u32, window: u32) -> Option<u32> {
        if self.pipe() >= cwnd {
            return None;
        }
        let limit = self.hard_ack.wrapping_add(window);
        let mut seq = self.hard_ack.wrapping_add(1);
        while self.counts.resend > 0 && seq_le(seq, self.sent_top) && seq_le(seq, limit) {
            if self.pkt(seq).is_some_and(|p| p.resend) {
                return Some(seq);
            }
            seq = seq.wrapping_add(1);
        }
        let next = self.sent_top.wrapping_add(1);
        if seq_le(next, self.top) && seq_le(next, limit) {
            if let Some(p) = self.pkt(next) {
                if p.sealed {
                    return Some(next);
                }
            }
        }
        None
    }

    /// What became of packet `seq`, the first of a jumbo probe: delivered
    /// once the peer holds it, lost once marked for resend or resent.
    pub(crate) fn probe_fate(&self, seq: u32) -> ProbeFate {
        if seq_le(seq, self.hard_ack) {
            return ProbeFate::Delivered;
        }
        match self.get(seq) {
            Some(p) if p.sacked => ProbeFate::Delivered,
            Some(p) if p.resend || p.retransmitted => ProbeFate::Lost,
            Some(_) => ProbeFate::Out,
            None => ProbeFate::Gone,
        }
    }

    /// Whether packet `seq` is held: queued and not hard-ACKed.
    fn holds(&self, seq: u32) -> bool {
        !seq_le(seq, self.hard_ack) && seq_le(seq, self.top)
    }

    /// The packet with sequence `seq`, if held.
    pub(crate) fn get(&self, seq: u32) -> Option<&TxPacket<B>> {
        if !self.holds(seq) {
            return None;
        }
        self.pkt(seq)
    }

    pub(crate) fn get_mut(&mut self, seq: u32) -> Option<&mut TxPacket<B>> {
        if !self.holds(seq) {
            return None;
        }
        self.pkt_mut(seq)
    }

    /// Record a transmission of `seq` with `serial` at `now`, or at the
    /// previous transmission's time if that is later: RACK takes a packet
    /// sent before one the peer acknowledged for lost, so a transmission
    /// must never look older than one that went out before it (a caller's
    /// clock read before it slept did that). Returns the time recorded, and
    /// whether it was the packet's first transmission (false for a packet
    /// not held). One lookup of the packet, as it runs for each sent.
    pub(crate) fn mark_sent(&mut self, seq: u32, serial: u32, now: Instant) -> (Instant, bool) {
        let now = self.last_sent.map_or(now, |t| t.max(now));
        let Some(p) = self.get_mut(seq) else {
            return (now, false);
        };
        let before = Counts::of(p);
        let first = p.sent_at.is_none();
        p.retransmitted |= !first;
        p.sent_at = Some(now);
        p.serial = serial;
        p.resend = false;
        let after = Counts::of(p);
        self.last_sent = Some(now);
        if seq_le(seq, self.sent_top) {
            self.counts.sub(before);
            self.counts.add(after);
        } else {
            // The window grows to take it in, and any packets queued before
            // it that were not sent yet.
            while seq_lt(self.sent_top.wrapping_add(1), seq) {
                self.sent_top = self.sent_top.wrapping_add(1);
                if let Some(p) = self.pkt(self.sent_top) {
                    let c = Counts::of(p);
                    self.counts.add(c);
                }
            }
            self.sent_top = seq;
            self.counts.add(after);
        }
        self.check();
        (now, first)
    }

    /// Fold in an ACK: everything before `first` is hard-ACKed and
    /// `acks[i]` (1 ACK, 0 NACK) covers `first + i`. The caller has checked
    /// that `first - 1` does not exceed what was sent. A retransmission
    /// sent after `recent`, or later than the packet of serial `serial`
    /// that prompted the ACK, is not what the ACK acknowledges.
    pub(crate) fn on_ack(
        &mut self,
        first: u32,
        acks: &[u8],
        recent: Instant,
        serial: u32,
    ) -> AckOutcome {
        // Found lost, yet acknowledged before it was sent again, or by an
        // ACK that the retransmission cannot have prompted.
        let early = |p: &TxPacket<B>| {
            p.resend
                || p.retransmitted
                    && (p.sent_at > Some(recent) || (serial != 0 && seq_lt(serial, p.serial)))
        };
        let mut out = AckOutcome::default();
        let new_hard = first.wrapping_sub(1);
        // Kept in locals while the hard-ACK point moves, a packet at a time.
        let (mut gone, mut delivered) = (Counts::default(), self.delivered_sent);
        while seq_lt(self.hard_ack, new_hard) && seq_lt(self.hard_ack, self.sent_top) {
            if let Some(p) = self.pop() {
                gone.add(Counts::of(&p));
                if !p.sacked {
                    out.newly_acked += 1;
                    let spurious = early(&p);
                    out.spurious |= spurious;
                    // `pop` moved the hard-ACK point onto this packet.
                    let sent = p.sent_at.map(|t| (t, self.hard_ack));
                    out.reordered |= !p.retransmitted && sent_before(sent, delivered);
                    if !(spurious && p.retransmitted) {
                        delivered = newer(delivered, sent);
                    }
                }
            }
            out.hard_advanced = true;
        }
        self.counts.sub(gone);
        self.delivered_sent = delivered;
        for (i, a) in acks.iter().enumerate() {
            let seq = first.wrapping_add(i as u32);
            if !seq_le(seq, self.sent_top) || seq_le(seq, self.hard_ack) {
                continue;
            }
            let mut delivered = None;
            let newest = self.delivered_sent;
            let mut delta = None;
            if let Some(p) = self.pkt_mut(seq) {
                let before = Counts::of(p);
                let acked = *a == 1;
                if acked && !p.sacked {
                    out.newly_acked += 1;
                    let spurious = early(p);
                    out.spurious |= spurious;
                    let sent = p.sent_at.map(|t| (t, seq));
                    out.reordered |= !p.retransmitted && sent_before(sent, newest);
                    p.resend = false;
                    // The original of a retransmission acknowledged too
                    // soon was sent at a time no longer known: taking the
                    // retransmission's would find everything sent between
                    // them lost (RFC 8985 6.2, step 2).
                    if !(spurious && p.retransmitted) {
                        delivered = p.sent_at.map(|t| (t, seq));
                    }
                }
                if !acked {
                    out.has_nacks = true;
                }
                p.sacked = acked;
                delta = Some((before, Counts::of(p)));
            }
            if let Some((before, after)) = delta {
                self.counts.sub(before);
                self.counts.add(after);
            }
            self.delivered_sent = newer(self.delivered_sent, delivered);
        }
        self.free_if_done();
        self.check();
        out
    }

    /// Hard-ACK everything sent (reply DATA or ACKALL received).
    pub(crate) fn ack_all(&mut self) {
        let top = self.sent_top;
        while seq_lt(self.hard_ack, top) {
            self.pop();
        }
        self.counts = Counts::default();
        self.free_if_done();
        self.check();
    }

    /// RACK loss detection (RFC 8985): a packet not acknowledged that was
    /// sent before one the peer has acknowledged is lost once `wait` (an
    /// RTT and the reordering window) has passed since it was sent; until
    /// then it may be merely late. Returns how many were marked for resend
    /// and when the next packet still in doubt falls due.
    pub(crate) fn mark_lost(&mut self, now: Instant, wait: Duration) -> (u32, Option<Instant>) {
        let Some(newest) = self.delivered_sent else {
            return (0, None);
        };
        let (mut n, mut next) = (0, None::<Instant>);
        let mut seq = self.hard_ack.wrapping_add(1);
        while seq_le(seq, self.sent_top) {
            let due = match self.pkt(seq) {
                Some(p) if !p.sacked && !p.resend => p
                    .sent_at
                    .filter(|&t| sent_before(Some((t, seq)), Some(newest)))
                    .map(|t| t.after(wait)),
                _ => None,
            };
            match due {
                Some(due) if due <= now => {
                    self.change(seq, |p| {
                        p.resend = true;
                        p.why = Resend::Rack;
                    });
                    n += 1;
                }
                Some(due) => next = Some(next.map_or(due, |d| d.min(due))),
                None => {}
            }
            seq = seq.wrapping_add(1);
        }
        self.check();
        (n, next)
    }

    /// Mark for resend every retransmitted packet below a soft-ACKed one
    /// that was last sent before `before` and is still not held by the
    /// peer: its retransmission, too, was lost (RACK finds lost first
    /// transmissions, with a reordering window). Returns how many were
    /// marked.
    pub(crate) fn mark_overdue(&mut self, before: Instant) -> u32 {
        let mut highest_sacked = None;
        let mut seq = self.hard_ack.wrapping_add(1);
        while seq_le(seq, self.sent_top) {
            if self.pkt(seq).is_some_and(|p| p.sacked) {
                highest_sacked = Some(seq);
            }
            seq = seq.wrapping_add(1);
        }
        let Some(hi) = highest_sacked else { return 0 };
        let mut n = 0;
        let mut seq = self.hard_ack.wrapping_add(1);
        while seq_lt(seq, hi) {
            let overdue = self.pkt(seq).is_some_and(|p| {
                p.retransmitted && !p.sacked && !p.resend && p.sent_at.is_some_and(|t| t < before)
            });
            if overdue {
                self.change(seq, |p| {
                    p.resend = true;
                    p.why = Resend::Again;
                });
                n += 1;
            }
            seq = seq.wrapping_add(1);
        }
        self.check();
        n
    }

    /// Mark the newest packet sent for resend as a tail loss probe, if
    /// neither the peer holds it nor a resend is already due: its ACK
    /// reports the state of the whole window, which lets RACK find a lost
    /// tail that no later packet would reveal. Returns whether it was.
    pub(crate) fn mark_tail_probe(&mut self) -> bool {
        let top = self.sent_top;
        let idle = self.counts.resend == 0
            && seq_lt(self.hard_ack, top)
            && self.pkt(top).is_some_and(|p| !p.sacked);
        if idle {
            self.change(top, |p| {
                p.resend = true;
                p.why = Resend::Again;
            });
            self.check();
        }
        idle
    }

    /// Mark packet `seq` for resend if it is held and was sent.
    #[cfg(test)]
    pub(crate) fn mark_resend(&mut self, seq: u32, why: Resend) {
        if seq_le(seq, self.sent_top) && self.get(seq).is_some() {
            self.change(seq, |p| {
                p.resend = true;
                p.why = why;
            });
        }
        self.check();
    }

    /// Mark every sent, unacknowledged packet for resend (a retransmission
    /// timeout, or the connection was secured). Returns whether any was.
    pub(crate) fn mark_all_unacked(&mut self, why: Resend) -> bool {
        let mut any = false;
        let mut seq = self.hard_ack.wrapping_add(1);
        while seq_le(seq, self.sent_top) {
            if self.pkt(seq).is_some_and(|p| !p.sacked) {
                self.change(seq, |p| {
                    p.resend = true;
                    p.why = why;
                });
                any = true;
            }
            seq = seq.wrapping_add(1);
        }
        self.check();
        any
    }

    /// Drop every buffer and the ring (the call completed).
    pub(crate) fn clear(&mut self) {
        ring::release(&mut self.ring);
        self.hard_ack = self.top;
        self.counts = Counts::default();
    }
}

/// Whether transmission `a` (time, sequence) went out before `b`: at an
/// earlier time, or in the same instant with a lower sequence, as a burst
/// sends them (RFC 8985 6.2's tie-break; a burst's packets share one
/// timestamp where the clock is coarse, and the simulator's always).
fn sent_before(a: Option<(Instant, u32)>, b: Option<(Instant, u32)>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a.0 < b.0 || a.0 == b.0 && seq_lt(a.1, b.1),
        (None, Some(_)) => true,
        _ => false,
    }
}

/// The later of two transmissions (see [`sent_before`]).
fn newer(a: Option<(Instant, u32)>, b: Option<(Instant, u32)>) -> Option<(Instant, u32)> {
    if sent_before(a, b) {
        b
    } else {
        a
    }
}

/// `a <= b` in sequence space.
pub(crate) fn seq_le(a: u32, b: u32) -> bool {
    b.wrapping_sub(a) as i32 >= 0
}

/// `a < b` in sequence space.
pub(crate) fn seq_lt(a: u32, b: u32) -> bool {
    (b.wrapping_sub(a) as i32) > 0
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::super::env::test_slots::VecSlots;
    use super::*;
    use std::vec;
    use std::vec::Vec;

    fn alloc(n: usize) -> Option<Vec<u8>> {
        Some(vec![0; n])
    }

    type Ring = VecSlots<TxPacket<Vec<u8>>>;

    fn tx(max_payload: usize) -> TxBuf<Vec<u8>, Ring> {
        TxBuf::new(max_payload, VecSlots::new())
    }

    #[test]
    fn packetises_and_holds_open_packet() {
        let mut t = tx(10);
        assert_eq!(t.write(&[1; 25], true, alloc), Ok(25));
        // Packets 1 and 2 sealed, 3 open with 5 bytes.
        assert_eq!(t.next_to_send(8, 8), Some(1));
        t.mark_sent(1, 1, Instant(0));
        assert_eq!(t.next_to_send(8, 8), Some(2));
        t.mark_sent(2, 2, Instant(0));
        assert_eq!(t.next_to_send(8, 8), None);
        assert_eq!(t.write(&[2; 5], false, alloc), Ok(5));
        let p = t.get(3).unwrap();
        assert_eq!((p.len, p.last), (10, true));
        assert!(t.ended());
        assert_eq!(t.write(&[2; 5], false, alloc), Ok(0));
    }

    #[test]
    fn exact_fill_then_end_adds_no_empty_packet() {
        let mut t = tx(10);
        t.write(&[1; 10], true, alloc).unwrap();
        t.write(&[], false, alloc).unwrap();
        assert!(t.get(1).unwrap().last);
        assert!(t.get(2).is_none());
        let mut e = tx(10);
        e.write(&[], false, alloc).unwrap();
        assert_eq!(e.get(1).map(|p| (p.len, p.last)), Some((0, true)));
    }

    #[test]
    fn window_acks_and_resend() {
        let mut t = tx(1);
        t.write(&[0; 6], false, alloc).unwrap();
        for s in 1..=4 {
            assert_eq!(t.next_to_send(4, 4), Some(s));
            t.mark_sent(s, s, Instant(1));
        }
        assert_eq!(t.next_to_send(4, 4), None);
        assert_eq!(t.in_flight(), 4);
        // Hard-ACK 1, NACK 2, ACK 3..4.
        let o = t.on_ack(2, &[0, 1, 1], Instant(0), 0);
        assert_eq!(
            o,
            AckOutcome {
                newly_acked: 3,
                hard_advanced: true,
                has_nacks: true,
                spurious: false,
                reordered: false
            }
        );
        let wait = Duration::from_nanos(10);
        // 2 went out in the same instant as 3 and 4, before them: maybe
        // only late until 1 + 10.
        assert_eq!(t.mark_lost(Instant(5), wait), (0, Some(Instant(11))));
        assert_eq!(t.mark_lost(Instant(11), wait), (1, None));
        assert_eq!(t.next_to_send(4, 4), Some(2));
        t.mark_sent(2, 5, Instant(3));
        assert_eq!(t.next_to_send(4, 4), Some(5));
        t.mark_sent(5, 6, Instant(3));
        // 6 is beyond the window (hard-ACK 1 + 4).
        assert_eq!(t.next_to_send(4, 4), None);
        t.on_ack(6, &[], Instant(0), 0);
        assert_eq!(t.hard_ack(), 5);
        assert!(!t.mark_all_unacked(Resend::Rto));
        t.mark_sent(6, 7, Instant(4));
        assert!(t.all_sent());
        t.ack_all();
        assert!(t.all_hard_acked());
    }

    #[test]
    fn a_burst_is_ordered_by_sequence() {
        let mut t = tx(1);
        t.write(&[0; 4], false, alloc).unwrap();
        for s in 1..=4 {
            t.mark_sent(s, s, Instant(10));
        }
        // 2 arrived: 1 went out before it, 3 and 4 after.
        t.on_ack(1, &[0, 1, 0, 0], Instant(0), 2);
        assert_eq!(
            t.mark_lost(Instant(100), Duration::from_nanos(5)),
            (1, None)
        );
        assert!(t.get(1).unwrap().resend);
        assert!(!t.get(3).unwrap().resend && !t.get(4).unwrap().resend);
    }

    #[test]
    fn the_tail_probe_resends_the_newest_packet_once() {
        let mut t = tx(1);
        t.write(&[0; 3], false, alloc).unwrap();
        for s in 1..=3 {
            t.mark_sent(s, s, Instant(10));
        }
        t.on_ack(2, &[], Instant(0), 1);
        assert!(t.mark_tail_probe());
        assert_eq!(
            t.get(3).map(|p| (p.resend, p.why)),
            Some((true, Resend::Again))
        );
        assert!(!t.mark_tail_probe(), "a resend is already due");
        assert_eq!(t.next_to_send(4, 4), Some(3));
        t.mark_sent(3, 4, Instant(20));
        // The peer holds the newest packet: RACK's to find what is missing.
        t.on_ack(2, &[0, 1], Instant(0), 4);
        assert!(!t.mark_tail_probe());
    }

    #[test]
    fn an_early_ack_of_a_retransmission_finds_nothing_else_lost() {
        let mut t = tx(1);
        t.write(&[0; 4], false, alloc).unwrap();
        for s in 1..=4 {
            t.mark_sent(s, s, Instant(10));
        }
        // Packet 1 is sent again at 20; the ACK its original prompted
        // (serial 1) comes at once.
        t.mark_resend(1, Resend::Rto);
        t.mark_sent(1, 5, Instant(20));
        let o = t.on_ack(2, &[0, 0, 0], Instant(15), 1);
        assert!(o.spurious);
        // 2..4 were sent with the original, not before the resend.
        let wait = Duration::from_nanos(5);
        assert_eq!(t.mark_lost(Instant(100), wait), (0, None));
    }

    #[test]
    fn a_stale_clock_does_not_date_later_packets_earlier() {
        let mut t = tx(1);
        t.write(&[0; 4], false, alloc).unwrap();
        t.mark_sent(1, 1, Instant(10));
        t.mark_sent(2, 2, Instant(10));
        // 3 and 4 go out later, by a caller whose clock was read before 1
        // and 2 were sent.
        assert_eq!(t.mark_sent(3, 3, Instant(5)), (Instant(10), true));
        assert_eq!(t.mark_sent(4, 4, Instant(20)), (Instant(20), true));
        // 1 and 2 are ACKed; 3 is not yet, and not sent before them.
        t.on_ack(1, &[1, 1], Instant(0), 2);
        let wait = Duration::from_nanos(1);
        assert_eq!(t.mark_lost(Instant(100), wait), (0, None));
    }

    #[test]
    fn overdue_retransmissions_are_marked_again() {
        let mut t = tx(1);
        t.write(&[0; 3], false, alloc).unwrap();
        for s in 1..=3 {
            t.mark_sent(s, s, Instant(10));
        }
        t.on_ack(1, &[0, 1, 0], Instant(0), 0);
        // Packet 1 was resent at 20 and is still missing at 100.
        t.mark_resend(1, Resend::Rto);
        t.mark_sent(1, 4, Instant(20));
        assert_eq!(t.mark_overdue(Instant(15)), 0);
        assert_eq!(t.mark_overdue(Instant(30)), 1);
        assert_eq!(t.next_to_send(4, 4), Some(1));
        // Packet 3 has nothing soft-ACKed above it: not overdue.
        assert!(!t.get(3).unwrap().resend);
    }

    #[test]
    fn queue_limit_and_no_memory() {
        let mut t = tx(1);
        assert_eq!(t.write(&[0; 400], true, alloc), Ok(RING - 1));
        let mut u = tx(1);
        assert_eq!(u.write(&[0; 4], true, |_| None), Err(TxError::NoMemory));
    }

    #[test]
    fn the_ring_grows_with_the_queue_and_is_given_back() {
        let mut t = tx(1);
        assert_eq!(t.ring_len(), 0, "nothing until data is queued");
        t.write(&[7; 3], true, alloc).unwrap();
        assert_eq!(t.ring_len(), 4);
        for s in 1..=3 {
            t.mark_sent(s, s, Instant(s.into()));
        }
        t.on_ack(2, &[0, 1], Instant(0), 0);
        assert_eq!(t.in_flight(), 1);
        // Packets 2 and 3 move to their slots as the ring grows to 8.
        t.write(&[8; 6], false, alloc).unwrap();
        assert_eq!((t.ring_len(), t.top()), (8, 9));
        assert!(t
            .get(2)
            .is_some_and(|p| !p.sacked && p.payload() == Some(&[7][..])));
        assert!(t
            .get(3)
            .is_some_and(|p| p.sacked && p.payload() == Some(&[7][..])));
        assert!(t
            .get(9)
            .is_some_and(|p| p.last && p.payload() == Some(&[8][..])));
        for s in 4..=9 {
            t.mark_sent(s, s, Instant(s.into()));
        }
        t.on_ack(10, &[], Instant(0), 0);
        assert!(t.all_hard_acked());
        assert_eq!(t.ring_len(), 0, "freed with the phase acknowledged");
    }

    #[test]
    fn a_ring_that_cannot_grow_is_a_full_window() {
        let mut t = TxBuf::new(1, VecSlots::capped(4));
        assert_eq!(t.write(&[0; 10], false, alloc), Ok(4));
        assert!(!t.ended());
        for s in 1..=3 {
            t.mark_sent(s, s, Instant(0));
        }
        t.on_ack(3, &[], Instant(0), 0);
        assert_eq!(t.write(&[0; 6], false, alloc), Ok(2));
        assert_eq!(t.top(), 6);
    }

    #[test]
    fn acks_beyond_sent_are_ignored() {
        let mut t = tx(1);
        t.write(&[0; 3], false, alloc).unwrap();
        t.mark_sent(1, 1, Instant(0));
        let o = t.on_ack(3, &[1, 1], Instant(0), 0);
        assert_eq!(t.hard_ack(), 1);
        assert_eq!(o.newly_acked, 1);
    }
}
