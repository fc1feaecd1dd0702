//! Packets in: demultiplexing to connections, channels and calls.
//!
//! Each datagram is decoded, matched to a connection by (peer, direction,
//! epoch, cid), then to the call on its channel by call number. A DATA
//! packet with a new call number makes a new service call (seq 1 only) and
//! implicitly ends the channel's previous call; packets for the channel's
//! finished call get its final ACK or ABORT again; DATA for calls we do not
//! know gets an ABORT. Nothing here trusts the peer: every count and index
//! from the packet is checked and all arithmetic wraps.

use super::accept::Reject;
use super::addr::TransportAddr;
use super::call::{Side, State};
use super::channel::{call_after, Final};
use super::conn::{Conn, ConnKey};
use super::counters::RxDrop;
use super::env::{Env, Map};
use super::error::{EPROTO, ESHUTDOWN};
use super::event::{CallHandle, Outcome};
use super::local::Endpoint;
use super::received::{range_in, Received, MAX_PIECES};
use super::rxbuf::RxPacket;
use super::security::{PacketIdent, Security};
use super::time::Instant;
use super::wire::{
    self, AckReason, Data, Flags, Header, Packet, Payload, Version, RXKADINCONSISTENCY,
    RX_CALL_DEAD, RX_PROTOCOL_ERROR,
};

/// What the header alone says of a packet.
#[derive(Debug, PartialEq, Eq)]
enum Precheck {
    /// Go on to decode it.
    Go,
    /// Drop it silently, for this reason.
    Discard(RxDrop),
    /// Answer it with an ABORT (`RX_PROTOCOL_ERROR`) and drop it.
    Reject,
}

/// The checks the C module makes on a header before it looks for a
/// connection (io_thread.c `rxrpc_input_packet`), with its answers: bad
/// messages get an ABORT, packets sent the wrong way are dropped. DEBUG
/// packets (rxdebug's statistics query) are dropped rather than aborted,
/// so that `rxdebug` times out instead of printing the ABORT as statistics.
fn precheck(hdr: &Header, ptype: u8) -> Precheck {
    let to_server = hdr.flags.contains(Flags::CLIENT_INITIATED);
    let unused = Precheck::Discard(RxDrop::Unused);
    let verdict = match ptype {
        wire::TYPE_VERSION if !to_server => return unused,
        wire::TYPE_VERSION => return Precheck::Go,
        wire::TYPE_BUSY if to_server => unused,
        wire::TYPE_BUSY | wire::TYPE_ACK | wire::TYPE_ACKALL if hdr.call_number == 0 => {
            Precheck::Reject
        }
        wire::TYPE_DATA if hdr.call_number == 0 || hdr.seq == 0 => Precheck::Reject,
        wire::TYPE_CHALLENGE if to_server => unused,
        wire::TYPE_RESPONSE if !to_server => unused,
        wire::TYPE_DEBUG | wire::TYPE_PARAMS..=wire::TYPE_PARAMS_11 => unused,
        wire::TYPE_DATA
        | wire::TYPE_ACK
        | wire::TYPE_BUSY
        | wire::TYPE_ABORT
        | wire::TYPE_ACKALL
        | wire::TYPE_CHALLENGE
        | wire::TYPE_RESPONSE => Precheck::Go,
        _ => Precheck::Reject,
    };
    let verdict = match verdict {
        Precheck::Go if hdr.service_id == 0 => Precheck::Reject,
        v => v,
    };
    // Never answer an ABORT with an ABORT.
    if verdict == Precheck::Reject && ptype == wire::TYPE_ABORT {
        return Precheck::Discard(RxDrop::Bad);
    }
    verdict
}

impl<E: Env, S: Security> Endpoint<E, S> {
    /// Process one received UDP payload from `from`. Returns why it was
    /// dropped, if it was (wholly or in part; it may have been answered),
    /// for the caller to count (see [`super::RxDrops`]). The DATA payloads
    /// it delivers are copied out of `buf`.
    pub fn handle_datagram(
        &mut self,
        now: Instant,
        from: TransportAddr,
        buf: &[u8],
    ) -> Option<RxDrop> {
        self.handle_received(now, from, &buf)
    }

    /// As [`Endpoint::handle_datagram`], for a datagram handed over whole,
    /// in one piece or several (see [`Received`]): DATA payloads that the security class leaves readable (see
    /// [`Security::verify_clear`]) are kept where they lie, if `dgram` can
    /// adopt them, and copied only to the reader.
    pub fn handle_received(
        &mut self,
        now: Instant,
        from: TransportAddr,
        dgram: &dyn Received<E::RxBuf>,
    ) -> Option<RxDrop> {
        let r = self.input(now, from, dgram);
        self.settle(now);
        r.err()
    }

    /// A datagram's pieces, `first` then `more`, copied into one buffer.
    fn gather(&mut self, first: &[u8], more: &[&[u8]]) -> Option<E::Buf> {
        let len = more.iter().fold(first.len(), |n, m| n + m.len());
        let mut buf = self.env.alloc_buf(len)?;
        wire::copy_pieces(first, more, buf.as_mut()).then_some(buf)
    }

    /// One datagram; `Err` says why it was dropped.
    fn input(
        &mut self,
        now: Instant,
        from: TransportAddr,
        dgram: &dyn Received<E::RxBuf>,
    ) -> Result<(), RxDrop> {
        let first = dgram.bytes();
        // Made only for a datagram in pieces: most lie in one.
        let mut pieces;
        let more: &[&[u8]] = if dgram.pieces() > 1 {
            pieces = [&[][..]; MAX_PIECES - 1];
            let n = dgram.more(&mut pieces);
            pieces.get(..n).unwrap_or_default()
        } else {
            &[]
        };
        // DATA is read across the pieces it lies in (bulk data in a paged
        // skb); any other packet, or a header they split, is gathered.
        let gathered;
        let (buf, more) =
            if more.is_empty() || matches!(Header::decode(first), Ok((_, wire::TYPE_DATA, _))) {
                (first, more)
            } else {
                gathered = self.gather(first, more).ok_or(RxDrop::NoMem)?;
                (gathered.as_ref(), &[][..])
            };
        let Ok((hdr, ptype, body)) = Header::decode(buf) else {
            return Err(RxDrop::Short);
        };
        if ptype == wire::TYPE_DEBUG {
            return self.answer_debug(from, &hdr, body);
        }
        match precheck(&hdr, ptype) {
            Precheck::Go => {}
            Precheck::Discard(why) => return Err(why),
            Precheck::Reject => {
                self.queue_abort_reply(from, &hdr, RX_PROTOCOL_ERROR);
                return Err(RxDrop::Bad);
            }
        }
        // A body that does not decode is dropped (an ABORT's, as in C).
        let pkt = match more {
            [] => Packet::decode(&hdr, ptype, body),
            _ => Data::decode(&hdr, body, more).map(Packet::Data),
        };
        let Ok(pkt) = pkt else {
            return Err(RxDrop::Short);
        };
        self.counters.count_received(&pkt);
        match pkt {
            Packet::Version(Version::Request) => {
                self.queue_version_reply(from, &hdr);
                return Ok(());
            }
            Packet::Version(_) | Packet::Params { .. } | Packet::Debug(_) => {
                return Err(RxDrop::Unused)
            }
            _ => {}
        }
        let client = !hdr.flags.contains(Flags::CLIENT_INITIATED);
        if client && hdr.epoch != self.config.epoch {
            return Err(RxDrop::Epoch);
        }
        let key = ConnKey::new(from, client, hdr.epoch, hdr.conn_id());
        let is_data = matches!(pkt, Packet::Data(_));
        let answerable = !matches!(pkt, Packet::Abort(_) | Packet::Busy);
        let ch = hdr.channel() as usize;
        let mut fresh = false;
        // What the packet needs of its connection, in one search.
        let mut found = self.conns.find(&key).map(|c| conn_view(c, ch));
        if found.is_none() {
            if client {
                if answerable {
                    self.queue_abort_reply(from, &hdr, RX_PROTOCOL_ERROR);
                }
                return Err(RxDrop::NoConn);
            }
            // A connection we aborted lately answers with its abort.
            if let Some(code) = self.aborted.code(&key, now) {
                if answerable {
                    self.queue_abort_reply(from, &hdr, code);
                }
                return Err(RxDrop::Aborted);
            }
            // Any DATA may open a service connection: the first packet of
            // a call can be overtaken by later ones.
            if !is_data || hdr.call_number == 0 {
                return Err(RxDrop::NoConn);
            }
            if let Err(r) = self.service_conn(key, &hdr, now) {
                return Err(self.reject(from, &hdr, r));
            }
            fresh = true;
            found = self.conns.find(&key).map(|c| conn_view(c, ch));
        }
        if hdr.call_number == 0 {
            return self.conn_packet(now, key, &pkt);
        }
        let Some(ConnView {
            key,
            security_index,
            secured,
            chan,
        }) = found
        else {
            return Err(RxDrop::NoConn);
        };
        if hdr.security_index != security_index {
            if answerable {
                self.queue_abort_reply(from, &hdr, RXKADINCONSISTENCY);
            }
            return Err(RxDrop::SecIndex);
        }
        let Some((number, current)) = chan else {
            return Err(RxDrop::BadCall);
        };
        if call_after(number, hdr.call_number) {
            // A call older than the channel's latest: long gone.
            return Err(RxDrop::OldCall);
        }
        let h = if hdr.call_number == number && number != 0 {
            match current {
                Some(h) => h,
                None => {
                    // The channel's finished call: repeat how it ended.
                    if answerable {
                        self.queue_final(key, ch, AckReason::DUPLICATE, false);
                    }
                    return Err(RxDrop::OldCall);
                }
            }
        } else {
            // A later call than the channel has seen.
            if client {
                if answerable {
                    self.queue_abort_reply(from, &hdr, RX_PROTOCOL_ERROR);
                }
                return Err(RxDrop::BadCall);
            }
            if let Some(old) = current {
                self.implicit_end(old, now);
            }
            if !is_data {
                return Err(RxDrop::BadCall);
            }
            match self.new_incoming_call(key, &hdr, now) {
                Ok(h) => h,
                Err(r) => {
                    if fresh {
                        // Keep nothing for a call turned away: a flood of
                        // new connections must not pile up.
                        self.discard_conn(key, now);
                    }
                    return Err(self.reject(from, &hdr, r));
                }
            }
        };
        let r = self.call_packet(now, key, secured, h, &hdr, &pkt, dgram);
        self.touch(h);
        r
    }

    /// The channel's previous call ends because a later one started.
    fn implicit_end(&mut self, h: CallHandle, now: Instant) {
        let Some(c) = self.calls.get(&h) else { return };
        if c.is_complete() {
            return;
        }
        if c.state == State::AwaitFinalAck {
            self.end_call(h, Outcome::Succeeded, now);
        } else {
            self.abort_call(h, RX_CALL_DEAD, ESHUTDOWN, now);
        }
    }

    /// Turn a new call or connection away; returns the drop reason.
    fn reject(&mut self, from: TransportAddr, hdr: &Header, r: Reject) -> RxDrop {
        match r {
            Reject::Busy => {
                self.queue_busy(from, hdr);
                RxDrop::Busy
            }
            Reject::Abort(code) => {
                self.queue_abort_reply(from, hdr, code);
                RxDrop::Reject
            }
            Reject::Drop => RxDrop::Reject,
        }
    }

    /// Connection-level packets (call number 0).
    fn conn_packet(&mut self, now: Instant, key: ConnKey, pkt: &Packet<'_>) -> Result<(), RxDrop> {
        match *pkt {
            Packet::Abort(code) => self.abort_conn(now, key, Outcome::RemoteAbort(code), None),
            Packet::Challenge(body) if key.client => {
                let Self {
                    conns, sec, env, ..
                } = self;
                let Some(conn) = conns.get_mut(&key) else {
                    return Err(RxDrop::NoConn);
                };
                let calls = conn.call_numbers();
                let Some(mut buf) = env.alloc_buf(super::output::MAX_PACKET) else {
                    return Err(RxDrop::NoMem);
                };
                match sec.respond(&mut conn.sec, body, calls, buf.as_mut()) {
                    Ok(n) => {
                        let Some(h) = self.conn_header(key, 0, 0) else {
                            return Err(RxDrop::NoConn);
                        };
                        let resp = buf.as_ref().get(..n).unwrap_or(&[]);
                        self.queue_packet(key.peer, &h, &Packet::Response(resp));
                        // A server may have dropped what we sent before it
                        // was secured: send it again right behind the
                        // RESPONSE rather than after a timeout.
                        for h in calls_on(self.conns.get(&key)).into_iter().flatten() {
                            if let Some(c) = self.calls.get_mut(&h) {
                                c.resend_unacked();
                            }
                            self.touch(h);
                        }
                    }
                    Err(code) => {
                        self.abort_conn(
                            now,
                            key,
                            Outcome::LocalAbort {
                                code,
                                errno: EPROTO,
                            },
                            Some(code),
                        );
                        return Err(RxDrop::Verify);
                    }
                }
            }
            Packet::Response(body) if !key.client => {
                let Self {
                    conns, sec, env, ..
                } = self;
                let Some(conn) = conns.get_mut(&key) else {
                    return Err(RxDrop::NoConn);
                };
                if conn.secured {
                    return Err(RxDrop::Duplicate);
                }
                let Some(mut scratch) = env.alloc_buf(body.len()) else {
                    return Err(RxDrop::NoMem);
                };
                let calls = conn.call_numbers();
                let busy = conn.channels.map(|c| c.call.is_some());
                match sec.verify_response(&mut conn.sec, body, calls, busy, scratch.as_mut()) {
                    Ok(()) => {
                        conn.secured = true;
                        if let Some(ids) = sec.response_calls(&conn.sec) {
                            conn.adopt_call_numbers(ids);
                        }
                        for h in calls_on(Some(conn)).into_iter().flatten() {
                            self.touch(h);
                        }
                    }
                    Err(code) => {
                        self.abort_conn(
                            now,
                            key,
                            Outcome::LocalAbort {
                                code,
                                errno: EPROTO,
                            },
                            Some(code),
                        );
                        return Err(RxDrop::Verify);
                    }
                }
            }
            // Only these are connection-level; precheck turned away the
            // others with no call number and the wrong-way handshakes.
            _ => return Err(RxDrop::State),
        }
        Ok(())
    }

    /// Abort every call on a connection and drop it; send an ABORT for the
    /// whole connection if `send` has a code.
    fn abort_conn(&mut self, now: Instant, key: ConnKey, outcome: Outcome, send: Option<u32>) {
        if let Some(code) = send {
            if let Some(h) = self.conn_header(key, 0, 0) {
                self.queue_packet(key.peer, &h, &Packet::Abort(code));
            }
            if !key.client {
                self.aborted.note(key, code, now);
            }
        }
        let Some(conn) = self.conns.get(&key) else {
            return;
        };
        let calls = conn.channels.map(|c| c.call);
        for h in calls.into_iter().flatten() {
            self.end_call(h, outcome, now);
        }
        self.discard_conn(key, now);
    }

    /// A packet for call `h` on connection `key`, `secured` or not, from
    /// `dgram`.
    #[allow(clippy::too_many_arguments)]
    fn call_packet(
        &mut self,
        now: Instant,
        key: ConnKey,
        secured: bool,
        h: CallHandle,
        hdr: &Header,
        pkt: &Packet<'_>,
        dgram: &dyn Received<E::RxBuf>,
    ) -> Result<(), RxDrop> {
        let result = match *pkt {
            // Security first: challenge, and let the client resend. A
            // client that pings instead (C's does, and resends nothing)
            // lost our CHALLENGE or its RESPONSE: challenge it again.
            Packet::Data(_) | Packet::Ack(_) if !secured => match self.challenge(key) {
                Ok(()) => Ok(Some(RxDrop::Unsecured)),
                Err((code, errno)) => Err((code, errno, RxDrop::Unsecured)),
            },
            Packet::Data(data) => self.call_data(now, key, h, hdr, data, dgram),
            Packet::Ack(ref ack) => {
                let Self { calls, peers, .. } = self;
                let (Some(c), Some(p)) = (calls.get_mut(&h), peers.get_mut(&key.peer)) else {
                    return Err(RxDrop::NoConn);
                };
                if let Some(t) = ack.trailer {
                    p.accepts = Some((t.max_mtu.min(t.if_mtu), t.jumbo_max));
                }
                c.on_ack(now, hdr.serial, ack, &mut p.rtt)
                    .map_err(|(code, errno)| (code, errno, RxDrop::Proto))
            }
            Packet::AckAll => {
                if let Some(c) = self.calls.get_mut(&h) {
                    c.on_ackall(now);
                }
                Ok(None)
            }
            Packet::Abort(code) => {
                self.end_call(h, Outcome::RemoteAbort(code), now);
                Ok(None)
            }
            Packet::Busy => {
                let busy_ok = self.calls.get(&h).is_some_and(|c| {
                    c.side == Side::Client
                        && matches!(c.state, State::SendRequest | State::AwaitReply)
                });
                if busy_ok {
                    self.end_call(h, Outcome::Busy, now);
                    Ok(None)
                } else {
                    Ok(Some(RxDrop::State))
                }
            }
            _ => Ok(Some(RxDrop::State)),
        };
        match result {
            Err((code, errno, why)) => {
                self.abort_call(h, code, errno, now);
                Err(why)
            }
            Ok(dropped) => {
                if self.calls.get(&h).is_some_and(|c| c.is_complete()) {
                    self.call_completed(h, now);
                }
                dropped.map_or(Ok(()), Err)
            }
        }
    }

    /// DATA (perhaps jumbo) for call `h`, from `dgram`. Returns why (some
    /// of) it was dropped, if it was, or an abort (code, errno, why
    /// dropped).
    fn call_data(
        &mut self,
        now: Instant,
        key: ConnKey,
        h: CallHandle,
        hdr: &Header,
        data: Data<'_>,
        dgram: &dyn Received<E::RxBuf>,
    ) -> Result<Option<RxDrop>, (u32, i32, RxDrop)> {
        self.note_upgrade(key, h, hdr);
        // The first DATA from a peer we have no RTT for: measure it with a
        // PING before we need a retransmission timeout of our own.
        let ping = hdr.seq == 1
            && !self
                .peers
                .get(&key.peer)
                .is_some_and(|p| p.rtt.has_sample());
        // The connection and the call are looked up once a datagram, not
        // once for each subpacket of a jumbo.
        let Self {
            calls,
            conns,
            sec,
            env,
            config,
            rx_buffered,
            ..
        } = self;
        let Some(conn) = conns.get(&key) else {
            return Ok(Some(RxDrop::NoConn));
        };
        let Some(call) = calls.get_mut(&h) else {
            return Ok(Some(RxDrop::State));
        };
        // The tunables as they are now, once a datagram.
        call.set_ack_delays(&config.tunables);
        if ping {
            call.request_ping();
        }
        // A jumbo packet counts once, for the first of its subpackets
        // that was dropped.
        let mut dropped = None;
        for sub in data.subpackets(hdr) {
            if call.rx_over_budget(*rx_buffered, config.rx_buffer_limit, sub.seq) {
                // As if lost: the sender will resend once the user reads.
                return Ok(Some(RxDrop::RxFull));
            }
            let id = PacketIdent {
                cid: hdr.cid,
                call_number: hdr.call_number,
                seq: sub.seq,
            };
            let verify = |code| (code, EPROTO, RxDrop::Verify);
            let pkt = match sub.payload {
                Payload::Whole(payload) => {
                    let clear = sec
                        .verify_clear(&conn.sec, &id, sub.cksum, payload)
                        .map_err(verify)?;
                    // A payload readable where it lies is kept there if
                    // the datagram lets it be, else copied; a sealed one is
                    // unsealed into a buffer.
                    let kept = clear.and_then(|c| {
                        let (piece, at) = locate(dgram.bytes(), data.more(), payload)?;
                        let rest = c.rest();
                        let buf = dgram.adopt(piece, at + rest.start..at + rest.end)?;
                        Some(RxPacket::with_head(c.head(), buf, rest.len()))
                    });
                    match kept {
                        Some(pkt) => Some(pkt),
                        None => {
                            copied(env, sec, &conn.sec, &id, sub.cksum, payload).map_err(verify)?
                        }
                    }
                }
                // Across pieces: gathered into a buffer, which a readable
                // payload then stays in.
                Payload::Split(split) => {
                    let Some(mut g) = env.alloc_buf(sub.payload.len()) else {
                        return Ok(Some(RxDrop::NoMem));
                    };
                    if !split.copy_to(g.as_mut()) {
                        return Ok(Some(RxDrop::NoMem));
                    }
                    match sec
                        .verify_clear(&conn.sec, &id, sub.cksum, g.as_ref())
                        .map_err(verify)?
                    {
                        Some(c) if g.as_ref().get(c.rest()).is_some() => {
                            let rest = c.rest();
                            if rest.start > 0 {
                                g.as_mut().copy_within(rest.clone(), 0);
                            }
                            let buf = E::RxBuf::from(g);
                            Some(RxPacket::with_head(c.head(), buf, rest.len()))
                        }
                        _ => copied(env, sec, &conn.sec, &id, sub.cksum, g.as_ref())
                            .map_err(verify)?,
                    }
                }
            };
            let Some(pkt) = pkt else {
                // Dropped for lack of memory: the sender will resend.
                return Ok(Some(RxDrop::NoMem));
            };
            let last = sub.flags.contains(Flags::LAST_PACKET);
            let request_ack = sub.flags.contains(Flags::REQUEST_ACK);
            let r = call.on_data(now, sub.seq, sub.serial, last, request_ack, pkt);
            call.recharge_rx(rx_buffered);
            let why = r.map_err(|(code, errno)| (code, errno, RxDrop::Proto))?;
            dropped = dropped.or(why);
            if call.is_complete() {
                break;
            }
        }
        Ok(dropped)
    }

    /// Client: a reply on a connection probing for an upgrade tells us the
    /// service id the server chose; the probe is then over.
    fn note_upgrade(&mut self, key: ConnKey, h: CallHandle, hdr: &Header) {
        if !key.client {
            return;
        }
        let Some(conn) = self.conns.get_mut(&key) else {
            return;
        };
        if conn.upgrade_probe != Some(h) {
            return;
        }
        conn.upgrade_probe = None;
        conn.service_id = hdr.service_id;
        let bundle = conn.bundle;
        if let Some(c) = self.calls.get_mut(&h) {
            c.service_id = hdr.service_id;
        }
        if let Some(b) = bundle {
            self.activate_soon(b);
        }
    }

    /// Server: send a CHALLENGE on an unsecured connection.
    fn challenge(&mut self, key: ConnKey) -> Result<(), (u32, i32)> {
        let Self {
            conns, sec, env, ..
        } = self;
        let Some(conn) = conns.get_mut(&key) else {
            return Ok(());
        };
        let Some(mut buf) = env.alloc_buf(super::output::MAX_PACKET) else {
            return Ok(());
        };
        let n = sec
            .issue_challenge(&mut conn.sec, buf.as_mut())
            .map_err(|code| (code, EPROTO))?;
        if let Some(h) = self.conn_header(key, 0, 0) {
            let body = buf.as_ref().get(..n).unwrap_or(&[]);
            self.queue_packet(key.peer, &h, &Packet::Challenge(body));
        }
        Ok(())
    }

    /// Bookkeeping once call `h` completed: free its channel, remember how
    /// it ended for repeats, tell the peer if needed.
    pub(crate) fn call_completed(&mut self, h: CallHandle, now: Instant) {
        self.unstarted.remove(&h);
        let Some(c) = self.calls.get_mut(&h) else {
            return;
        };
        if c.awaiting_accept {
            // Died in the accept queue: `accept_next` will not see it.
            c.awaiting_accept = false;
            self.accept_queue.remove(&h);
            c.pending.new_call = false;
            self.service.queued = self.service.queued.saturating_sub(1);
        }
        let Some(c) = self.calls.get(&h) else { return };
        let Some(key) = c.conn else {
            // Never got a channel. `begin_call` made sure of the peer,
            // which no connection may ever hold: let it expire.
            let peer = c.peer;
            if let Some(b) = c.bundle {
                self.unqueue_waiting(b, h);
                self.bundle_maybe_free(b);
            }
            self.peer_maybe_idle(peer, now);
            self.reap_call(h, now);
            return;
        };
        let fin = match (c.side, c.outcome) {
            (Side::Client, Some(Outcome::Succeeded)) => Final::Ack { last: c.rx.top() },
            (_, Some(Outcome::LocalAbort { code, .. })) => Final::Abort(code),
            _ => Final::Quiet,
        };
        let ch = usize::from(c.channel);
        let mut freed = false;
        let mut idle = false;
        let mut bundle = None;
        if let Some(conn) = self.conns.get_mut(&key) {
            bundle = conn.bundle;
            if let Some(chan) = conn.channels.get_mut(ch) {
                if chan.call == Some(h) {
                    chan.release(h, fin);
                    freed = true;
                }
            }
            if conn.upgrade_probe == Some(h) {
                conn.upgrade_probe = None;
            }
            idle = conn.is_idle();
            if idle && !key.client {
                conn.expiry = Some(now.after(self.config.service_conn_idle));
            }
        }
        if idle && key.client {
            self.client_conn_idle(key, now);
        }
        self.arm_conn(key);
        if freed {
            self.queue_final(key, ch, AckReason::IDLE, true);
        }
        if let Some(b) = bundle {
            self.activate_soon(b);
        }
        self.reap_call(h, now);
    }
}

/// The calls on a connection's channels.
/// `payload` copied out of its datagram into a buffer of its own (and
/// unsealed, if sealed); `None` if there is no memory for it.
fn copied<E: Env, S: Security>(
    env: &mut E,
    sec: &mut S,
    conn: &S::Conn,
    id: &PacketIdent,
    cksum: u16,
    payload: &[u8],
) -> Result<Option<RxPacket<E::RxBuf>>, u32> {
    let Some(mut buf) = env.alloc_buf(payload.len()) else {
        return Ok(None);
    };
    // (At a clear level this copies.)
    let len = sec.verify(conn, id, cksum, payload, buf.as_mut())?;
    Ok(Some(RxPacket::new(
        E::RxBuf::from(buf),
        len.min(payload.len()),
    )))
}

/// Which of a datagram's pieces (`first`, then `more`) `part` lies in, and
/// where in it.
fn locate(first: &[u8], more: &[&[u8]], part: &[u8]) -> Option<(usize, usize)> {
    core::iter::once(first)
        .chain(more.iter().copied())
        .enumerate()
        .find_map(|(i, piece)| Some((i, range_in(piece, part)?.start)))
}

fn calls_on<S>(conn: Option<&super::conn::Conn<S>>) -> [Option<CallHandle>; 4] {
    conn.map_or([None; 4], |c| c.channels.map(|ch| ch.call))
}

/// What a call's packet needs of its connection.
struct ConnView {
    /// The connection's own key, which finds it without a search.
    key: ConnKey,
    security_index: u8,
    secured: bool,
    /// The channel's latest call number and call, if there is such a
    /// channel.
    chan: Option<(u32, Option<CallHandle>)>,
}

fn conn_view<S>(c: &Conn<S>, ch: usize) -> ConnView {
    ConnView {
        key: c.key,
        security_index: c.security_index,
        secured: c.secured,
        chan: c.channels.get(ch).map(|chan| (chan.call_number, chan.call)),
    }
}
