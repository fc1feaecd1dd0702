//! Packets out: framing what calls want to send, and one-off packets.
//!
//! Calls say what they want (DATA n, an ACK); this file puts the header on
//! with the connection's serial, runs DATA through the security hook into
//! the caller's buffer (or, for a payload that goes out unchanged, leaves
//! it where it is queued, to be sent from there), and records the
//! transmission. Packets that belong
//! to no live call (final ACK repeats, ABORTs, BUSY, CHALLENGE, RESPONSE,
//! VERSION) are built at once into a small queue and drained first.

use super::addr::TransportAddr;
use super::call::{Call, Tx};
use super::channel::Final;
use super::conn::{Conn, ConnKey};
use super::env::{Env, Map};
use super::event::CallHandle;
use super::local::{Endpoint, Queued, MAX_QUEUED};
use super::peer::{jumbo_len, Peer, ProbeFate, KEEPALIVE, TX_JUMBO_MAX};
use super::security::{PacketIdent, Sealed, Security, WIRE_PAYLOAD};
use super::time::Instant;
use super::tunables::Tunables;
use super::txbuf::ROOM;
use super::wire::{
    self, Ack, AckReason, AckTrailer, Flags, Header, Packet, ACK_BODY_LEN, ACK_PAD_LEN,
    ACK_TRAILER_LEN, HEADER_LEN, JUMBO_DATALEN, JUMBO_HEADER_LEN, JUMBO_SUBPKTLEN, TYPE_DATA,
    USERSTATUS_SERVICE_UPGRADE,
};

/// Largest packet we send or accept (header + 1412 bytes of payload).
pub const MAX_PACKET: usize = 1444;
/// Room past [`MAX_PACKET`] in a transmit buffer that lets a security
/// class seal DATA into it from the queued plaintext without a copy (rxkad
/// stages the sealed header and padding there).
pub const SEAL_ROOM: usize = 16;
/// The version string answered to a VERSION request.
const VERSION_STRING: &[u8] = b"rxrpc-rs";

/// A transmit buffer that takes the largest jumbo we build, with
/// [`SEAL_ROOM`] past its last subpacket.
pub const MAX_DATAGRAM: usize = jumbo_len(TX_JUMBO_MAX) + SUBPACKET_ROOM - JUMBO_DATALEN;
// Gaps hold offsets in a datagram in 16 bits.
const _: () = assert!(MAX_DATAGRAM <= u16::MAX as usize);

/// What a subpacket is sealed into: the room a single packet's payload has.
const SUBPACKET_ROOM: usize = MAX_PACKET - HEADER_LEN + SEAL_ROOM;

/// Pieces enough for any one datagram (the fewest a [`Gather`] may have
/// room for): a header before each payload sent from its queue, and what
/// follows the last.
pub const MAX_PARTS: usize = 2 * TX_JUMBO_MAX + 1;

/// Where [`Endpoint::poll_transmit_burst`] puts the datagrams it frames,
/// each in pieces to be sent one after the other (borrowed for `'a`).
pub trait Gather<'a> {
    /// Room left: for pieces, and for datagrams.
    fn room(&self) -> (usize, usize);
    /// Add `piece` to the datagram being put; false if there is no room.
    fn push(&mut self, piece: &'a [u8]) -> bool;
    /// [`Gather::push`] for a piece of a queued DATA packet's buffer
    /// (made by [`Env::alloc_tx_buf`]): its bytes stay as they are for as
    /// long as the buffer lives, so the caller may send them as they lie
    /// and hold on to them until the network is done with them.
    fn push_data(&mut self, piece: &'a [u8]) -> bool {
        self.push(piece)
    }
    /// The datagram being put is whole; false if there is no room.
    fn end(&mut self) -> bool;
}

/// Datagrams framed in a row by [`Endpoint::poll_transmit_burst`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Burst {
    /// Where they all go.
    pub to: TransportAddr,
    /// How many there are: the first whole ones the [`Gather`] took.
    pub datagrams: usize,
    /// The length of each but the last: they lie one after the other in
    /// the caller's buffer.
    pub seg: usize,
    /// The last is no longer (else they go one at a time).
    pub uniform: bool,
}

/// Most DATA payloads a burst leaves to go as queued (one a datagram).
const BURST_GAPS: usize = 64;

/// The gaps of a burst's datagrams: where each lies in the caller's buffer
/// (32 bits: a burst spans more than 64 KiB), its packet's sequence number
/// and where it starts in that packet's payload.
struct BurstGaps {
    at: [(u32, u32, u16); BURST_GAPS],
    len: usize,
}

impl Default for BurstGaps {
    fn default() -> Self {
        BurstGaps {
            at: [(0, 0, 0); BURST_GAPS],
            len: 0,
        }
    }
}

impl BurstGaps {
    /// Gaps left for more.
    fn room(&self) -> usize {
        BURST_GAPS - self.len
    }

    /// Add those of a datagram at `base` in the buffer.
    fn add(&mut self, gaps: &Gaps, base: usize) -> Option<()> {
        for (at, seq, skip) in gaps.iter() {
            let at = u32::try_from(base + usize::from(at)).ok()?;
            *self.at.get_mut(self.len)? = (at, seq, skip);
            self.len += 1;
        }
        Some(())
    }
}

/// The DATA payloads of a datagram that go out as they are queued: each
/// leaves a gap at its place in the caller's buffer, filled only by the
/// copying [`Endpoint::poll_transmit`]. A jumbo's subpackets lie one
/// subpacket apart and are numbered one after another, each secured alike,
/// so the first gap and how many there are say where each is: a datagram
/// framed is small however many it holds, as it is moved about.
#[derive(Clone, Copy, Debug, Default)]
struct Gaps {
    /// The call whose packets they are.
    call: Option<CallHandle>,
    /// Where the first starts in the buffer, its packet's sequence number,
    /// and where it starts in that packet's payload (16 bits each way: a
    /// datagram is at most [`MAX_DATAGRAM`] bytes).
    first: (u16, u32, u16),
    len: usize,
    /// Each gap after the first starts [`ROOM`] bytes earlier, with its
    /// packet's room, which holds the subpacket's jumbo header: the
    /// payloads go out as they lie, one after another in their buffers.
    /// (The first's header stays whole in the caller's buffer, where a
    /// receiver finds it in one piece.)
    roomy: bool,
}

impl Gaps {
    fn of(call: CallHandle) -> Self {
        Gaps {
            call: Some(call),
            ..Gaps::default()
        }
    }

    /// Record packet `seq`'s payload from byte `from` on at `at`; `None`
    /// if it does not follow the one before as a jumbo's subpacket does.
    fn push(&mut self, at: usize, seq: u32, from: usize) -> Option<()> {
        let entry = (u16::try_from(at).ok()?, seq, u16::try_from(from).ok()?);
        if self.len == 0 {
            self.first = entry;
        } else if self.nth(self.len) != Some(entry) {
            return None;
        }
        self.len += 1;
        Some(())
    }

    /// Gap `k`: a subpacket after the first.
    fn nth(&self, k: usize) -> Option<(u16, u32, u16)> {
        let (at, seq, skip) = self.first;
        let at = u16::try_from(usize::from(at) + k * JUMBO_SUBPKTLEN).ok()?;
        Some((at, seq.wrapping_add(k as u32), skip))
    }

    /// Whether the only gap is all of packet `seq`'s payload at `at`.
    fn whole_first(&self, at: usize, seq: u32) -> bool {
        self.len == 1 && self.first == (at as u16, seq, 0)
    }

    /// Every gap, in order: where it lies in the datagram, its packet's
    /// sequence number and where it starts in that packet's buffer.
    fn iter(&self) -> impl Iterator<Item = (u16, u32, u16)> + '_ {
        const R: u16 = ROOM as u16;
        (0..self.len).map_while(|k| match self.nth(k)? {
            (at, seq, _) if self.roomy && k > 0 => Some((at.checked_sub(R)?, seq, 0)),
            (at, seq, from) => Some((at, seq, from.checked_add(R)?)),
        })
    }
}

/// Most payloads laid out to seal ([`Sealed::Laid`]) in one burst.
const BURST_LAID: usize = 64;
/// Most a class is given to seal at once (a vector unit's lanes, twice).
const SEAL_GROUP: usize = 16;

/// The payloads laid out as plaintext in the caller's buffer to seal
/// together ([`Sealed::Laid`]): where each starts (32 bits: a burst spans
/// more than 64 KiB) and how long it is, in order, none overlapping.
struct Laid {
    at: [(u32, u16); BURST_LAID],
    len: usize,
}

impl Laid {
    fn new() -> Self {
        Laid {
            at: [(0, 0); BURST_LAID],
            len: 0,
        }
    }

    fn is_full(&self) -> bool {
        self.len == BURST_LAID
    }

    /// Add a datagram's, framed at `base` in the buffer.
    fn add(&mut self, f: &Framed, base: usize) -> Option<()> {
        if let Some((at, n)) = f.laid {
            let at = u32::try_from(base + usize::from(at)).ok()?;
            *self.at.get_mut(self.len)? = (at, n);
            self.len += 1;
        }
        Some(())
    }

    /// Have `sec` seal them in `out` for `conn`, [`SEAL_GROUP`] at a time.
    fn seal<S: Security>(&self, sec: &mut S, conn: &S::Conn, out: &mut [u8]) -> Result<(), u32> {
        let (mut rest, mut base) = (out, 0);
        for group in self.at[..self.len].chunks(SEAL_GROUP) {
            let mut bodies: [&mut [u8]; SEAL_GROUP] = Default::default();
            for (body, &(at, n)) in bodies.iter_mut().zip(group) {
                let (at, n) = (at as usize, usize::from(n));
                let tail = core::mem::take(&mut rest);
                let skip = at.checked_sub(base);
                let Some(tail) = skip
                    .and_then(|k| tail.get_mut(k..))
                    .filter(|t| t.len() >= n)
                else {
                    return Err(wire::RX_PROTOCOL_ERROR);
                };
                (*body, rest) = tail.split_at_mut(n);
                base = at + n;
            }
            sec.seal_laid(conn, &mut bodies[..group.len()])?;
        }
        Ok(())
    }
}

/// A datagram framed into the caller's buffer, but for its [`Gaps`].
struct Framed {
    to: TransportAddr,
    len: usize,
    gaps: Gaps,
    /// It is one DATA packet (not a jumbo) of its call's full size.
    full_single: bool,
    /// The payload its class laid out, to seal before it goes (where and
    /// how long): a datagram has one at most.
    laid: Option<(u16, u16)>,
}

impl Framed {
    fn whole(to: TransportAddr, len: usize) -> Self {
        Framed {
            to,
            len,
            gaps: Gaps::default(),
            full_single: false,
            laid: None,
        }
    }
}

/// The ACK trailer we advertise to a peer: `rwind`, its `if_mtu` (see
/// [`Peer::if_mtu`]), and `t`'s `rx_mtu` and `rx_jumbo_max` (as the C
/// module, which takes jumbo packets in).
pub(crate) fn trailer(rwind: u32, if_mtu: u32, t: &Tunables) -> AckTrailer {
    AckTrailer {
        max_mtu: t.rx_mtu,
        if_mtu,
        rwind,
        jumbo_max: t.rx_jumbo_max,
    }
}

/// The ifMTU advertised to `peer`.
fn peer_if_mtu<E: Env>(peers: &E::Map<TransportAddr, Peer>, peer: &TransportAddr) -> u32 {
    peers
        .get(peer)
        .map_or(MAX_PACKET as u32, |p| p.if_mtu(MAX_PACKET as u32))
}

/// A BUSY or ABORT answering a packet: kept without allocation, as it is
/// what the engine says when memory is short.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Reply {
    to: TransportAddr,
    hdr: Header,
    /// `Some(code)` for ABORT, `None` for BUSY.
    abort: Option<u32>,
}

/// A small ring of [`Reply`]s; when full, new ones are dropped (the peer
/// will retransmit and be answered then).
#[derive(Debug, Default)]
pub(crate) struct Replies {
    ring: [Option<Reply>; 16],
    head: usize,
    len: usize,
}

impl Replies {
    fn push(&mut self, r: Reply) {
        if self.len < self.ring.len() {
            let i = (self.head + self.len) % self.ring.len();
            self.ring[i] = Some(r);
            self.len += 1;
        }
    }

    fn pop(&mut self) -> Option<Reply> {
        if self.len == 0 {
            return None;
        }
        let r = self.ring[self.head].take();
        self.head = (self.head + 1) % self.ring.len();
        self.len -= 1;
        r
    }

    /// Number of replies waiting.
    pub(crate) fn len(&self) -> usize {
        self.len
    }
}

/// Upper bound of an encoded packet's length.
fn encoded_bound(pkt: &Packet<'_>) -> usize {
    HEADER_LEN
        + match pkt {
            Packet::Ack(a) => ACK_BODY_LEN + a.acks.len() + ACK_PAD_LEN + ACK_TRAILER_LEN,
            Packet::Abort(_) => 4,
            Packet::Challenge(b) | Packet::Response(b) | Packet::Debug(b) => b.len(),
            Packet::Version(_) => wire::VERSION_REPLY_LEN,
            Packet::Data(d) => d.body().len(),
            Packet::Params { body, .. } => body.len(),
            Packet::Busy | Packet::AckAll => 0,
        }
}

/// A header answering `hdr` on the same call (direction flipped).
pub(crate) fn reply_header(hdr: &Header, serial: u32) -> Header {
    Header {
        epoch: hdr.epoch,
        cid: hdr.cid,
        call_number: hdr.call_number,
        seq: 0,
        serial,
        flags: Flags::default().with(
            Flags::CLIENT_INITIATED,
            !hdr.flags.contains(Flags::CLIENT_INITIATED),
        ),
        user_status: 0,
        security_index: hdr.security_index,
        cksum: 0,
        service_id: hdr.service_id,
    }
}

impl<E: Env, S: Security> Endpoint<E, S> {
    /// Build `pkt` into the one-off queue. Dropped if memory is short or
    /// the queue is full: every such packet is re-triggered by the peer.
    pub(crate) fn queue_packet(&mut self, to: TransportAddr, hdr: &Header, pkt: &Packet<'_>) {
        if self.queue.len() < MAX_QUEUED {
            self.queue_owed(to, hdr, pkt);
        }
    }

    /// Queue `pkt` whatever the queue holds: what our own calls owe their
    /// peers as they end (a final ACK or ABORT) is bounded by the calls,
    /// and a socket closed on a thousand calls must abort them all now,
    /// not leave the peer to find out by pinging.
    fn queue_owed(&mut self, to: TransportAddr, hdr: &Header, pkt: &Packet<'_>) {
        let need = encoded_bound(pkt);
        let buf = match self.spare_buf.take() {
            Some(b) if b.as_ref().len() >= need => Some(b),
            _ => self.env.alloc_buf(need),
        };
        let Some(mut buf) = buf else {
            return;
        };
        let Ok(len) = wire::encode(hdr, pkt, buf.as_mut()) else {
            return;
        };
        self.counters.count_queued(pkt);
        self.queue_seq += 1;
        let _ = self.queue.insert(self.queue_seq, Queued { to, buf, len });
    }

    /// A serial for a packet sent outside any connection.
    pub(crate) fn loose_serial(&mut self) -> u32 {
        self.loose_serial = self.loose_serial.wrapping_add(1).max(1);
        self.loose_serial
    }

    /// Answer `hdr` from `to` with an ABORT carrying `code`.
    pub(crate) fn queue_abort_reply(&mut self, to: TransportAddr, hdr: &Header, code: u32) {
        let serial = self.loose_serial();
        self.replies.push(Reply {
            to,
            hdr: reply_header(hdr, serial),
            abort: Some(code),
        });
    }

    /// Answer `hdr` from `to` with BUSY.
    pub(crate) fn queue_busy(&mut self, to: TransportAddr, hdr: &Header) {
        let serial = self.loose_serial();
        self.replies.push(Reply {
            to,
            hdr: reply_header(hdr, serial),
            abort: None,
        });
    }

    /// Answer a VERSION request: serial 0, LAST_PACKET and security index 0,
    /// as the C module and OpenAFS answer.
    pub(crate) fn queue_version_reply(&mut self, to: TransportAddr, hdr: &Header) {
        let mut s = [0u8; wire::VERSION_REPLY_LEN];
        s[..VERSION_STRING.len()].copy_from_slice(VERSION_STRING);
        let mut h = reply_header(hdr, 0);
        h.flags = h.flags.with(Flags::LAST_PACKET, true);
        h.security_index = 0;
        self.queue_packet(to, &h, &Packet::Version(wire::Version::Reply(&s)));
    }

    /// A header for a packet on connection `key`, channel `ch`.
    pub(crate) fn conn_header(
        &mut self,
        key: ConnKey,
        ch: u32,
        call_number: u32,
    ) -> Option<Header> {
        let conn = self.conns.get_mut(&key)?;
        Some(Header {
            epoch: key.epoch,
            cid: key.cid | ch,
            call_number,
            seq: 0,
            serial: conn.next_serial(),
            flags: Flags::default().with(Flags::CLIENT_INITIATED, key.client),
            user_status: 0,
            security_index: conn.security_index,
            cksum: 0,
            service_id: conn.service_id,
        })
    }

    /// (Re)send what the peer must hear about channel `ch`'s last call:
    /// `owed` as the call ends (always queued), else in answer to the peer
    /// (bounded by [`MAX_QUEUED`]).
    pub(crate) fn queue_final(&mut self, key: ConnKey, ch: usize, reason: AckReason, owed: bool) {
        let Some(conn) = self.conns.get(&key) else {
            return;
        };
        let Some(chan) = conn.channels.get(ch) else {
            return;
        };
        let (number, fin) = match chan.last {
            Some(f) => (chan.call_number, f),
            None => return,
        };
        let Some(hdr) = self.conn_header(key, ch as u32, number) else {
            return;
        };
        let pkt = match fin {
            Final::Ack { last } => Packet::Ack(Ack {
                first_packet: last.wrapping_add(1),
                previous_packet: last,
                reason,
                trailer: Some(trailer(
                    self.config.rx_window,
                    peer_if_mtu::<E>(&self.peers, &key.peer),
                    &self.config.tunables,
                )),
                ..Ack::default()
            }),
            Final::Abort(code) => Packet::Abort(code),
            Final::Quiet => return,
        };
        if owed {
            self.queue_owed(key.peer, &hdr, &pkt);
        } else {
            self.queue_packet(key.peer, &hdr, &pkt);
        }
    }

    /// The next packet to send, written whole into `out` (at least
    /// [`MAX_PACKET`] bytes; [`SEAL_ROOM`] more saves rxkad a copy, and
    /// [`MAX_DATAGRAM`] lets DATA go out in jumbo packets).
    /// Returns the destination and length.
    pub fn poll_transmit(
        &mut self,
        now: Instant,
        out: &mut [u8],
    ) -> Option<(TransportAddr, usize)> {
        let f = loop {
            let f = self.next_datagram(now, out)?;
            if f.laid.is_none() {
                break f;
            }
            let mut laid = Laid::new();
            laid.add(&f, 0)?;
            if self.seal_laid(f.gaps.call, &laid, out, now) {
                break f;
            }
        };
        for g in f.gaps.iter() {
            let (at, payload) = self.gap_payload(&f.gaps, g)?;
            out.get_mut(at..at + payload.len())?
                .copy_from_slice(payload);
        }
        Some((f.to, f.len))
    }

    /// Seal what call `h`'s security class laid out in `out` for the
    /// datagrams just framed; false if it failed, and then the call is
    /// aborted and none of them may go.
    fn seal_laid(
        &mut self,
        h: Option<CallHandle>,
        laid: &Laid,
        out: &mut [u8],
        now: Instant,
    ) -> bool {
        let Self {
            calls, conns, sec, ..
        } = self;
        let conn = h
            .and_then(|h| calls.get(&h))
            .and_then(|c| c.conn)
            .and_then(|key| conns.get(&key));
        let sealed = conn.map_or(Err(wire::RX_PROTOCOL_ERROR), |conn| {
            laid.seal(sec, &conn.sec, out)
        });
        match (sealed, h) {
            (Ok(()), _) => true,
            (Err(code), Some(h)) => {
                self.abort_call(h, code, super::error::EPROTO, now);
                false
            }
            (Err(_), None) => false,
        }
    }

    /// [`Endpoint::poll_transmit`] without copying the DATA payloads sent
    /// as they are, and as many datagrams in a row as a sender may hand
    /// the network in one go (UDP segmentation offload): datagrams to one
    /// destination, each as long as the first but the last, which may be
    /// shorter, that together take at most `limit` bytes. Each datagram is
    /// put in pieces in `g` (of `out`, same size rules, and of the engine's
    /// queues, valid until the engine is next changed; a datagram's first
    /// piece holds its whole wire header). There are as many as `g` has
    /// room for (and none if a call was aborted as its burst was framed).
    /// A burst is one call's DATA packets, one to a datagram, framed as
    /// the call would have sent them one at a time: on a path that takes
    /// no jumbo packets, where each datagram sent alone costs the most (a
    /// jumbo packet holds up to 11), while no other call waits its turn.
    pub fn poll_transmit_burst<'a>(
        &'a mut self,
        now: Instant,
        out: &'a mut [u8],
        limit: usize,
        g: &mut impl Gather<'a>,
    ) -> Option<Burst> {
        let first = self.next_datagram(now, out)?;
        // Those of the datagrams after the first, made only for them.
        let mut more: Option<BurstGaps> = None;
        // Those laid out to seal, the first's too, sealed together.
        let mut laid: Option<Laid> = None;
        if first.laid.is_some() {
            laid.get_or_insert_with(Laid::new).add(&first, 0)?;
        }
        let seg = first.len;
        let (pieces, datagrams) = g.room();
        let mut count = 1;
        let mut len = seg;
        // Only a datagram of one full DATA packet is followed (a path that
        // takes jumbo packets has those; a call of one short packet looks
        // no further), each next framed into room for any one packet: a
        // burst ends with the first of another length (only the call's
        // last packet is shorter), and goes only where the route takes a
        // datagram that long whole.
        let mut uniform = true;
        // Nor before another's turn: no call can be queued, nor any packet
        // of the endpoint's own, while one call's datagrams are framed.
        let burst_of = first
            .gaps
            .call
            .filter(|&h| first.full_single && self.alone(h) && self.fits_path(h, seg));
        if let Some(h) = burst_of {
            while count < datagrams && len + seg <= limit {
                let gaps = more.get_or_insert_with(BurstGaps::default);
                // Each gap takes two pieces, and one more may follow.
                let taken = 2 * (first.gaps.len + gaps.len) + count;
                if gaps.room() == 0 || taken + 3 > pieces {
                    break;
                }
                let Some(room) = out.get_mut(len..len + HEADER_LEN + SUBPACKET_ROOM) else {
                    break;
                };
                // Not where the next would have gone in a jumbo packet (a
                // jumbo probe that was lost and is resent here may settle).
                // Packets laid out to seal together never go in one
                // (rxkad's level 2 pads them to whole blocks), and they
                // go in bursts to be sealed many at once; those sealed
                // one by one go as they are sealed, as they would have:
                // a burst would hold the first back for all the rest.
                let seals_many = first.laid.is_some() && seg != HEADER_LEN + JUMBO_DATALEN;
                if !seals_many && !self.singles_only(h, now) {
                    break;
                }
                if laid.as_ref().is_some_and(Laid::is_full) {
                    break;
                }
                let Some(f) = self.next_from(h, now, room) else {
                    break;
                };
                more.as_mut()?.add(&f.gaps, len)?;
                if f.laid.is_some() {
                    laid.get_or_insert_with(Laid::new).add(&f, len)?;
                }
                len += f.len;
                count += 1;
                if f.len != seg {
                    // None is longer but by a security class's mistake.
                    uniform = f.len < seg;
                    break;
                }
            }
        }
        if let Some(laid) = &laid {
            if !self.seal_laid(first.gaps.call, laid, out, now) {
                return None;
            }
        }
        let (this, out): (&'a Self, &'a [u8]) = (self, out);
        let burst = |datagrams| Burst {
            to: first.to,
            datagrams,
            seg,
            uniform,
        };
        let firsts = first.gaps.iter();
        let firsts = firsts.map(|(at, seq, skip)| (u32::from(at), seq, skip));
        let rest = more.iter().flat_map(|m| m.at.iter().take(m.len).copied());
        let mut next_gap = firsts.chain(rest).peekable();
        // Every gap is the one call's: looked up once, not once a gap.
        let call = first.gaps.call.and_then(|h| this.calls.get(&h));
        // The datagrams lie one after the other in `out`, all but the last
        // `seg` bytes long.
        let mut from = 0;
        for i in 0..count {
            let end = if i + 1 == count { len } else { (i + 1) * seg };
            while let Some(&(at, seq, skip)) = next_gap.peek().filter(|g| (g.0 as usize) < end) {
                next_gap.next();
                // A call that was aborted while the burst was framed holds
                // no DATA: the burst ends before the datagram that lacks it.
                let Some(payload) = call.and_then(|c| c.queued_payload(seq, skip)) else {
                    return Some(burst(i));
                };
                let at = at as usize;
                put(g, out.get(from..at)?)?;
                if !payload.is_empty() && !g.push_data(payload) {
                    return None;
                }
                from = at + payload.len();
            }
            put(g, out.get(from..end)?)?;
            from = end;
            g.end().then_some(())?;
        }
        Some(burst(count))
    }

    /// Whether [`Self::poll_transmit`] may have a datagram: false means it
    /// has none, so that a caller need not read its clock to ask.
    #[inline]
    pub fn may_transmit(&self) -> bool {
        self.replies.len() > 0 || self.queue.len() > 0 || self.tx_ready.may_have_next(&self.tx_scan)
    }

    /// Where gap `(at, seq, skip)` of `gaps` lies in the datagram, and the
    /// queued payload that fills it. Found for every gap: nothing changes
    /// between framing a datagram and sending it.
    fn gap_payload(&self, gaps: &Gaps, (at, seq, skip): (u16, u32, u16)) -> Option<(usize, &[u8])> {
        let payload = self.calls.get(&gaps.call?)?.queued_payload(seq, skip)?;
        Some((usize::from(at), payload))
    }

    /// Frame the next datagram into `out`, but for its gaps.
    fn next_datagram(&mut self, now: Instant, out: &mut [u8]) -> Option<Framed> {
        while let Some(r) = self.replies.pop() {
            let pkt = match r.abort {
                Some(code) => Packet::Abort(code),
                None => Packet::Busy,
            };
            if let Ok(n) = wire::encode(&r.hdr, &pkt, out) {
                return Some(Framed::whole(r.to, n));
            }
        }
        while let Some(k) = self.queue.next_after(None) {
            let Queued { to, buf, len } = self.queue.remove(&k)?;
            if let (Some(dst), Some(src)) = (out.get_mut(..len), buf.as_ref().get(..len)) {
                dst.copy_from_slice(src);
                self.spare_buf = Some(buf);
                if let Some(p) = self.peers.get_mut(&to) {
                    p.sent(now);
                }
                self.note_deadline(now.after(KEEPALIVE));
                return Some(Framed::whole(to, len));
            }
        }
        loop {
            let (h, popped) = self.tx_ready.next(&mut self.tx_scan, &mut self.calls)?;
            let Some(c) = self.calls.get_mut(&h) else {
                continue;
            };
            if popped {
                // No longer queued (one the walk found may be).
                self.tx_ready.unmark(&mut c.queued);
            }
            let peers = &self.peers;
            let fresh = || peers.get(&c.peer).is_some_and(|p| p.rtt.fresh(now));
            let Some(tx) = c.next_tx(fresh) else {
                continue;
            };
            match self.build_call_packet(h, tx, now, out) {
                Ok(Some(n)) => {
                    self.note_deadline(now.after(KEEPALIVE));
                    return Some(n);
                }
                Ok(None) => {}
                Err(code) => self.abort_call(h, code, super::error::EPROTO, now),
            }
        }
    }

    /// Whether call `h`'s peer takes DATA one packet to a datagram at
    /// `now` (its path takes no jumbo packets, or not yet).
    fn singles_only(&self, h: CallHandle, now: Instant) -> bool {
        let peer = self.calls.get(&h).and_then(|c| self.peers.get(&c.peer));
        peer.map_or(true, |p| p.jumbo_count(now, TX_JUMBO_MAX) == 1)
    }

    /// Whether a datagram of `len` bytes goes whole to call `h`'s peer.
    fn fits_path(&self, h: CallHandle, len: usize) -> bool {
        let peer = self.calls.get(&h).and_then(|c| self.peers.get(&c.peer));
        peer.is_some_and(|p| p.fits(len))
    }

    /// Whether call `h` is all that has datagrams to send (if anything
    /// has): no other call, nor any packet of the endpoint's own.
    fn alone(&self, h: CallHandle) -> bool {
        self.replies.len() == 0 && self.queue.len() == 0 && self.tx_ready.alone(h, &self.tx_scan)
    }

    /// Frame call `h`'s next datagram into `out`, if it has one: a burst's
    /// next, which goes before the other calls' turns.
    fn next_from(&mut self, h: CallHandle, now: Instant, out: &mut [u8]) -> Option<Framed> {
        let c = self.calls.get_mut(&h)?;
        let peers = &self.peers;
        let fresh = || peers.get(&c.peer).is_some_and(|p| p.rtt.fresh(now));
        let tx = c.next_tx(fresh)?;
        match self.build_call_packet(h, tx, now, out) {
            Ok(f) => f,
            Err(code) => {
                self.abort_call(h, code, super::error::EPROTO, now);
                None
            }
        }
    }

    /// Frame `tx` for call `h` into `out`, queueing the call to send again
    /// and to file its timers; fails with an abort code if the security
    /// class refuses the data.
    fn build_call_packet(
        &mut self,
        h: CallHandle,
        tx: Tx,
        now: Instant,
        out: &mut [u8],
    ) -> Result<Option<Framed>, u32> {
        let Self {
            calls,
            conns,
            peers,
            sec,
            counters,
            config,
            rx_buffered,
            tx_ready,
            tm_ready,
            ..
        } = self;
        let Some(call) = calls.get_mut(&h) else {
            return Ok(None);
        };
        let Some(key) = call.conn else {
            return Ok(None);
        };
        let Some(conn) = conns.get_mut(&key) else {
            return Ok(None);
        };
        if !conn.secured {
            return Ok(None);
        }
        let Some(peer) = peers.get_mut(&key.peer) else {
            return Ok(None);
        };
        // An ACK offers a window: what the call holds plus what the receive
        // budget has left, so that a sender stops before DATA is dropped.
        let ack_trailer = matches!(tx, Tx::Ack { .. }).then(|| {
            let free = config.rx_buffer_limit.saturating_sub(*rx_buffered) / WIRE_PAYLOAD;
            let room = call.rx.held_bytes() / WIRE_PAYLOAD + free;
            let rwind = call.rx.rwind(u32::try_from(room).unwrap_or(u32::MAX));
            trailer(rwind, peer.if_mtu(MAX_PACKET as u32), &config.tunables)
        });
        // Only new data goes in jumbos: a resend goes alone.
        let fresh = match tx {
            Tx::Data { seq, .. } => call.tx.get(seq).is_some_and(|p| p.sent_at.is_none()),
            Tx::Ack { .. } => false,
        };
        if let Some(t) = &ack_trailer {
            call.offering(t.rwind);
        }
        let mut gaps = Gaps::of(h);
        let mut laid = None;
        let Some((hdr, n)) = frame(call, conn, sec, tx, ack_trailer, out, &mut gaps, &mut laid)?
        else {
            return Ok(None);
        };
        counters.count_sent(call, tx);
        call.on_sent(tx, hdr.serial, now, &peer.rtt);
        // It may have more: its turn comes again after the others.
        tx_ready.push(h, &mut call.queued);
        // Sending arms its retransmission and ACK timers.
        tm_ready.push(h, &mut call.queued);
        let mut len = n;
        let mut full_single = false;
        if let Tx::Data { seq, .. } = tx {
            full_single = call
                .tx
                .get(seq)
                .is_some_and(|p| p.len == call.tx.max_payload());
            if let Some((ph, pseq)) = peer.probe() {
                let fate = if ph == h {
                    call.tx.probe_fate(pseq)
                } else {
                    calls
                        .get(&ph)
                        .map_or(ProbeFate::Gone, |c| c.tx.probe_fate(pseq))
                };
                peer.settle_probe(now, fate);
            }
            let room = (out.len() + JUMBO_DATALEN).saturating_sub(SUBPACKET_ROOM) / JUMBO_SUBPKTLEN;
            let most = peer.jumbo_count(now, room);
            if fresh && most > 1 {
                let Some(call) = calls.get_mut(&h) else {
                    return Ok(None);
                };
                let k;
                (len, k) = add_subpackets(
                    call, conn, sec, counters, out, &mut gaps, &mut laid, hdr, n, most, now,
                    &peer.rtt,
                )?;
                if k > 1 {
                    peer.sent_jumbo(now, h, seq);
                    full_single = false;
                }
            }
        }
        // Its DATA is framed. A subpacket that goes with its room takes its
        // jumbo header there, as framed in `out`; then every buffer goes as
        // it lies.
        if let Some(call) = calls.get_mut(&h) {
            for (at, seq, from) in gaps.iter() {
                let Some(p) = call.tx.get_mut(seq) else {
                    continue;
                };
                let at = usize::from(at);
                if let Some(head) = out.get(at..at + ROOM).filter(|_| from == 0) {
                    if let Some(room) = p.room_mut() {
                        room.copy_from_slice(head);
                    }
                }
                E::lend(&mut p.buf);
            }
        }
        peer.sent(now);
        Ok(Some(Framed {
            to: key.peer,
            len,
            gaps,
            full_single,
            laid,
        }))
    }
}

/// Give `g` `piece`, unless empty.
fn put<'a>(g: &mut impl Gather<'a>, piece: &'a [u8]) -> Option<()> {
    (piece.is_empty() || g.push(piece)).then_some(())
}

/// Pack the DATA packets that follow the one in `out[..len]` (sent with
/// `first`) into it as jumbo subpackets, up to `most` in all, while the
/// one before each is full and not the last: returns the datagram's
/// length and subpackets. Each subpacket is secured apart and numbered as
/// if sent alone (serial one above the one before), so a receiver that
/// splits it sees the same packets.
#[allow(clippy::too_many_arguments)]
fn add_subpackets<E: Env, S: Security>(
    call: &mut Call<E>,
    conn: &mut Conn<S::Conn>,
    sec: &mut S,
    counters: &mut super::counters::Counters,
    out: &mut [u8],
    gaps: &mut Gaps,
    laid: &mut Option<(u16, u16)>,
    first: Header,
    len: usize,
    most: usize,
    now: Instant,
    rtt: &super::rtt::RttEstimator,
) -> Result<(usize, usize), u32> {
    let (mut len, mut count) = (len, 1);
    // The previous subpacket: where its jumbo header is (none: the first,
    // described by `first`), its flags, and where its payload starts.
    let (mut prev_at, mut prev, mut start) = (None, first.flags, HEADER_LEN);
    while count < most && len - start == JUMBO_DATALEN && !prev.contains(Flags::LAST_PACKET) {
        let Some(tx @ Tx::Data { seq, request_ack }) = call.next_tx(|| rtt.fresh(now)) else {
            break;
        };
        if seq != first.seq.wrapping_add(count as u32) {
            break;
        }
        let Some(p) = call.tx.get(seq).filter(|p| p.sent_at.is_none()) else {
            break;
        };
        let body_at = len + JUMBO_HEADER_LEN;
        let (Some(plain), Some(bounded)) = (p.payload(), out.get_mut(..body_at + SUBPACKET_ROOM))
        else {
            break;
        };
        let id = PacketIdent {
            cid: first.cid,
            call_number: first.call_number,
            seq,
        };
        let flags = data_flags(call, seq, request_ack);
        let Some((n, cksum)) = seal(sec, &conn.sec, &id, plain, bounded, body_at, gaps, laid)?
        else {
            break;
        };
        let serial = conn.next_serial();
        // The subpacket before says that another follows.
        let jumbo = prev.with(Flags::JUMBO, true);
        let marked = match prev_at {
            None => Header {
                flags: jumbo,
                ..first
            }
            .encode(TYPE_DATA, out)
            .is_ok(),
            Some(at) => out.get_mut(at).map(|b| *b = jumbo.bits()).is_some(),
        };
        let head = out.get_mut(len..body_at);
        let (true, Some(head)) = (marked, head) else {
            break;
        };
        head.copy_from_slice(&wire::jumbo_header(flags, cksum));
        counters.count_sent(call, tx);
        call.on_sent(tx, serial, now, rtt);
        (prev_at, prev, start) = (Some(len), flags, body_at);
        len = body_at + n;
        count += 1;
    }
    Ok((len, count))
}

/// Secure DATA `plain` of packet `id` as the body at `out[at..]`: returns
/// its length and checksum. A body, or the part of one, that goes as it
/// is becomes a gap, and one laid out to seal later goes in `laid`;
/// `None` if there are too many (or would be two laid out).
#[allow(clippy::too_many_arguments)]
fn seal<S: Security>(
    sec: &mut S,
    conn: &S::Conn,
    id: &PacketIdent,
    plain: &[u8],
    out: &mut [u8],
    at: usize,
    gaps: &mut Gaps,
    laid: &mut Option<(u16, u16)>,
) -> Result<Option<(usize, u16)>, u32> {
    let body = out.get_mut(at..).ok_or(wire::RX_PROTOCOL_ERROR)?;
    match sec.secure(conn, id, plain, body)? {
        Sealed::Plain(_) if body.len() < plain.len() => Err(wire::RX_PROTOCOL_ERROR),
        Sealed::Plain(cksum) => Ok(gaps.push(at, id.seq, 0).map(|()| (plain.len(), cksum))),
        Sealed::Into(n, cksum) => Ok(Some((n, cksum))),
        Sealed::Laid(n, _) if body.len() < n => Err(wire::RX_PROTOCOL_ERROR),
        Sealed::Laid(..) if laid.is_some() => Ok(None),
        Sealed::Laid(n, cksum) => {
            let entry = (u16::try_from(at).ok(), u16::try_from(n).ok());
            let (Some(at), Some(len)) = entry else {
                return Ok(None);
            };
            *laid = Some((at, len));
            Ok(Some((n, cksum)))
        }
        Sealed::Around {
            len,
            cksum,
            at: gap,
            from,
        } => {
            let end = plain
                .len()
                .checked_sub(from)
                .and_then(|n| n.checked_add(gap));
            if !end.is_some_and(|end| end <= len && len <= body.len()) {
                return Err(wire::RX_PROTOCOL_ERROR);
            }
            Ok(gaps.push(at + gap, id.seq, from).map(|()| (len, cksum)))
        }
    }
}

/// The flags of DATA packet `seq` of `call`: MORE_PACKETS tells the
/// receiver that more follow at once, as the C module and OpenAFS mark it.
fn data_flags<E: Env>(call: &Call<E>, seq: u32, request_ack: bool) -> Flags {
    let last = call.tx.get(seq).is_some_and(|p| p.last);
    Flags::default()
        .with(Flags::LAST_PACKET, last)
        .with(Flags::REQUEST_ACK, request_ack)
        .with(Flags::MORE_PACKETS, !last && call.tx.queued_after(seq))
}

/// Encode `tx` of `call` on `conn` into `out`, an ACK with `ack_trailer`:
/// returns the header used and the length, `None` if it cannot be framed,
/// or an abort code.
#[allow(clippy::too_many_arguments)]
fn frame<E: Env, S: Security>(
    call: &Call<E>,
    conn: &mut Conn<S::Conn>,
    sec: &mut S,
    tx: Tx,
    ack_trailer: Option<AckTrailer>,
    out: &mut [u8],
    gaps: &mut Gaps,
    laid: &mut Option<(u16, u16)>,
) -> Result<Option<(Header, usize)>, u32> {
    let key = conn.key;
    let mut hdr = Header {
        epoch: key.epoch,
        cid: key.cid | u32::from(call.channel),
        call_number: call.call_number,
        seq: 0,
        serial: 0,
        flags: Flags::default().with(Flags::CLIENT_INITIATED, key.client),
        user_status: 0,
        security_index: conn.security_index,
        cksum: 0,
        service_id: conn.service_id,
    };
    match tx {
        Tx::Data { seq, request_ack } => {
            let Some(p) = call.tx.get(seq) else {
                return Ok(None);
            };
            hdr.seq = seq;
            hdr.flags = hdr.flags | data_flags(call, seq, request_ack);
            // The probe's packets all carry the request, so that the
            // server sees it whichever packet opens the connection.
            if call.probing {
                hdr.user_status = USERSTATUS_SERVICE_UPGRADE;
            }
            let fresh = p.sent_at.is_none();
            let Some(plain) = p.payload() else {
                return Ok(None);
            };
            if out.len() < HEADER_LEN {
                return Ok(None);
            }
            let id = PacketIdent {
                cid: hdr.cid,
                call_number: hdr.call_number,
                seq,
            };
            let Some((n, cksum)) = seal(sec, &conn.sec, &id, plain, out, HEADER_LEN, gaps, laid)?
            else {
                return Ok(None);
            };
            hdr.serial = conn.next_serial();
            hdr.cksum = cksum;
            if hdr.encode(TYPE_DATA, out).is_err() {
                return Ok(None);
            }
            // Its first transmission, of all its payload as it is: the
            // subpackets that may follow go with their jumbo headers in
            // their rooms.
            gaps.roomy = fresh && gaps.whole_first(HEADER_LEN, seq);
            Ok(Some((hdr, HEADER_LEN + n)))
        }
        Tx::Ack { reason, serial } => {
            // The table only when something is out of sequence: zeroing
            // it costs an in-order call's every ACK.
            let mut table;
            let acks: &[u8] = if call.rx.top() == call.rx.hard_ack() {
                &[]
            } else {
                table = [0u8; 255];
                let n = call.rx.sack_table(&mut table);
                table.get(..n).unwrap_or(&[])
            };
            hdr.serial = conn.next_serial();
            let ack = Ack {
                buffer_space: 0,
                max_skew: 0,
                first_packet: call.rx.hard_ack().wrapping_add(1),
                previous_packet: call.rx.top(),
                serial,
                reason,
                acks,
                trailer: ack_trailer,
            };
            match wire::encode(&hdr, &Packet::Ack(ack), out) {
                Ok(len) => Ok(Some((hdr, len))),
                Err(_) => Ok(None),
            }
        }
    }
}
