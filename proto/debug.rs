//! rxdebug's queries: DEBUG packets (type 8), answered as OpenAFS's
//! servers answer them (OpenAFS 1.8 `rx_packet.c` `rxi_ReceiveDebugPacket`;
//! the structures are `rx.h`'s `rx_debugIn`, `rx_debugStats`,
//! `rx_debugConn`, `rx_debugPeer` and `rx_statistics`). The C module does
//! not answer them.
//!
//! A query is an `rx_debugIn` (type and index, network-order `int32`s)
//! from a client (CLIENT_INITIATED); the answer goes back with the query's
//! header, that flag cleared, and a body of exactly the structure's size:
//!
//! - `GETSTATS`: `rx_debugStats`, version [`DEBUGI_VERSION`];
//! - `GETCONN`/`GETALLCONN`: the index-th connection (with a live call, or
//!   any), as `rx_debugConn`; past the end, cid `0xffffffff`;
//! - `GETPEER`: the index-th peer as `rx_debugPeer`; past the end, host
//!   `0xffffffff`;
//! - `RXSTATS`: `rx_statistics`, from the endpoint's packet counters;
//! - any other type: `rx_debugIn` with both fields `RX_DEBUGI_BADTYPE`.
//!
//! Figures we do not keep (packet pools, file descriptors, per-peer byte
//! counts) are 0. A body shorter than an `rx_debugIn` is dropped (OpenAFS
//! reads whatever its packet buffer held before); bytes after it are
//! ignored. Each answer is built in a fixed buffer on the stack and queued
//! as one packet, as a VERSION reply is; a connection or peer query looks
//! at no more than [`DEBUG_WALK_MAX`] entries, so that a flood of queries
//! costs a bounded amount each (a longer list ends there, as at its end).

use super::addr::TransportAddr;
use super::call::{Side, State};
use super::counters::{Counters, RxDrop, ACK_REASONS};
use super::env::{Env, Map};
use super::local::Endpoint;
use super::output::MAX_PACKET;
use super::security::Security;
use super::wire::{AckReason, Flags, Header, Packet};

/// `rx_debugIn.type`: basic statistics.
pub(crate) const DEBUGI_GETSTATS: i32 = 1;
/// `rx_debugIn.type`: the index-th connection with a live call.
pub(crate) const DEBUGI_GETCONN: i32 = 2;
/// `rx_debugIn.type`: the index-th connection.
pub(crate) const DEBUGI_GETALLCONN: i32 = 3;
/// `rx_debugIn.type`: `rx_statistics`.
pub(crate) const DEBUGI_RXSTATS: i32 = 4;
/// `rx_debugIn.type`: the index-th peer.
pub(crate) const DEBUGI_GETPEER: i32 = 5;
/// The answer to an unknown type, in both fields of an `rx_debugIn`.
pub(crate) const DEBUGI_BADTYPE: i32 = -8;
/// `RX_DEBUGI_VERSION` of OpenAFS 1.6 to 1.9 (`'S'`,
/// `RX_DEBUGI_VERSION_W_PACKETS`): rxdebug reads every field of
/// `rx_debugStats` and the aligned `rx_debugConn` for it.
pub(crate) const DEBUGI_VERSION: u8 = b'S';

/// `sizeof(struct rx_debugIn)`.
pub(crate) const DEBUG_IN_LEN: usize = 8;
/// `sizeof(struct rx_debugStats)`.
pub(crate) const DEBUG_STATS_LEN: usize = 56;
/// `sizeof(struct rx_debugConn)`.
pub(crate) const DEBUG_CONN_LEN: usize = 176;
/// `sizeof(struct rx_debugPeer)`.
pub(crate) const DEBUG_PEER_LEN: usize = 132;
/// `sizeof(struct rx_statistics)`: 71 `int32`s.
pub(crate) const RX_STATS_LEN: usize = 284;
/// The largest answer.
const ANSWER_MAX: usize = RX_STATS_LEN;

/// Most connections or peers one query steps over.
pub(crate) const DEBUG_WALK_MAX: usize = 256;

// `rx.h` call states and modes, connection types and security stats types.
const RX_STATE_NOTINIT: u8 = 0;
const RX_STATE_PRECALL: u8 = 1;
const RX_STATE_ACTIVE: u8 = 2;
const RX_STATE_DALLY: u8 = 3;
const RX_STATE_HOLD: u8 = 4;
const RX_MODE_SENDING: u8 = 1;
const RX_MODE_RECEIVING: u8 = 2;
const RX_MODE_ERROR: u8 = 3;
const RX_MODE_EOF: u8 = 4;
const RX_CALL_RECEIVE_DONE: u8 = 32;
const RX_OTHER_IN: u8 = 1;
const RX_OTHER_OUT: u8 = 2;
const RX_CLIENT_CONNECTION: u8 = 0;
const RX_SERVER_CONNECTION: u8 = 1;
const RX_SECTYPE_NULL: u8 = 1;
const RX_SECTYPE_KAD: u8 = 3;
/// `rx_securityObjectStats.flags`: the connection is authenticated.
const SECSTATS_AUTHENTICATED: u32 = 2;
/// `rx_securityObjectStats.level` we cannot tell (rxdebug: "unknown").
const SECSTATS_LEVEL_UNKNOWN: u8 = 0xff;

/// A parsed `rx_debugIn`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Query {
    /// `RX_DEBUGI_*`.
    pub(crate) kind: i32,
    /// Which entry of a list (0 first; negative counts as 0, as OpenAFS's
    /// `index-- <= 0`).
    pub(crate) index: i32,
}

impl Query {
    /// The query in a DEBUG body, or `None` if it is too short.
    pub(crate) fn parse(body: &[u8]) -> Option<Query> {
        let (kind, rest) = body.split_first_chunk::<4>()?;
        let (index, _) = rest.split_first_chunk::<4>()?;
        Some(Query {
            kind: i32::from_be_bytes(*kind),
            index: i32::from_be_bytes(*index),
        })
    }

    /// How many matching entries come before the one asked for.
    fn skip(&self) -> usize {
        usize::try_from(self.index).unwrap_or(0)
    }
}

/// Writes network-order fields at fixed offsets of an answer; a field that
/// would not fit is left out (the layouts below always fit).
struct Out {
    buf: [u8; ANSWER_MAX],
}

impl Out {
    fn new() -> Self {
        Out {
            buf: [0; ANSWER_MAX],
        }
    }

    // Byte by byte: `copy_from_slice` has a panic path (lengths that
    // differ) that objtool does not know ends, and warns of every caller
    // it is inlined into as falling through.
    fn put(&mut self, off: usize, bytes: &[u8]) {
        if let Some(d) = self.buf.get_mut(off..off.saturating_add(bytes.len())) {
            for (d, s) in d.iter_mut().zip(bytes) {
                *d = *s;
            }
        }
    }

    fn u8(&mut self, off: usize, v: u8) {
        self.put(off, &[v]);
    }

    fn u16(&mut self, off: usize, v: u16) {
        self.put(off, &v.to_be_bytes());
    }

    fn u32(&mut self, off: usize, v: u32) {
        self.put(off, &v.to_be_bytes());
    }

    /// A counter, as the `int32` OpenAFS keeps it (wrapping).
    fn count(&mut self, off: usize, v: u64) {
        self.u32(off, v as u32);
    }

    fn body(&self, len: usize) -> &[u8] {
        self.buf.get(..len).unwrap_or(&self.buf)
    }
}

/// The IPv4 address and port of `addr` as OpenAFS holds them (network
/// order); an IPv6 address that is not IPv4-mapped has host 0.
fn host_port(addr: TransportAddr) -> ([u8; 4], u16) {
    match addr {
        TransportAddr::V4(a, p) => (a, p),
        TransportAddr::V6(a, p) => match a {
            [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, b0, b1, b2, b3] => ([b0, b1, b2, b3], p),
            _ => ([0; 4], p),
        },
    }
}

/// `d` in units of 1/`per_ms` ms, as an `int32` (64-bit arithmetic: the
/// kernel has no 128-bit division).
fn ms_units(d: core::time::Duration, per_ms: u64) -> u32 {
    let us = d
        .as_secs()
        .saturating_mul(1_000_000)
        .saturating_add(u64::from(d.subsec_micros()));
    u32::try_from(us.saturating_mul(per_ms) / 1000).unwrap_or(u32::MAX)
}

/// OpenAFS's state, mode, flags and queues of a call on a channel.
fn call_state<E: Env>(c: &super::call::Call<E>) -> (u8, u8, u8, u8) {
    let (state, mode) = match (c.side, c.state) {
        (_, State::AwaitConn) => (RX_STATE_PRECALL, RX_MODE_SENDING),
        (_, State::SendRequest) | (_, State::SendReply) => (RX_STATE_ACTIVE, RX_MODE_SENDING),
        (Side::Server, State::RecvRequest) if c.user.is_none() => {
            (RX_STATE_PRECALL, RX_MODE_RECEIVING)
        }
        (_, State::AwaitReply) | (_, State::RecvReply) | (_, State::RecvRequest) => {
            (RX_STATE_ACTIVE, RX_MODE_RECEIVING)
        }
        (_, State::AwaitFinalAck) if !c.tx.all_hard_acked() => (RX_STATE_HOLD, RX_MODE_EOF),
        (_, State::AwaitFinalAck) => (RX_STATE_DALLY, RX_MODE_EOF),
        (_, State::Complete) => match c.outcome {
            Some(super::event::Outcome::Succeeded) => (RX_STATE_DALLY, RX_MODE_EOF),
            _ => (RX_STATE_DALLY, RX_MODE_ERROR),
        },
    };
    let flags = if c.rx.all_received() {
        RX_CALL_RECEIVE_DONE
    } else {
        0
    };
    let mut other = 0;
    if c.rx.readable() {
        other |= RX_OTHER_IN;
    }
    if c.tx.held_bytes() > 0 {
        other |= RX_OTHER_OUT;
    }
    (state, mode, flags, other)
}

/// `rx_statistics` from the endpoint's counters.
fn rx_statistics(out: &mut Out, c: &Counters, calls: usize, peers: usize, conns: (u64, u64)) {
    let acks_in = c.rx_acks.iter().fold(0u64, |a, b| a.wrapping_add(*b));
    let acks_out = c.tx_acks_total();
    let ping = usize::from(AckReason::PING.0);
    let pings_out = if ping < ACK_REASONS {
        c.tx_acks.get(ping).copied().unwrap_or(0)
    } else {
        0
    };
    // Offsets (int32 index * 4): 11 ints, packetsRead[13] at 11,
    // dataPacketsRead 24, ackPacketsRead 25, dupPacketsRead 26,
    // spuriousPacketsRead 27, packetsSent[13] at 28, ackPacketsSent 41,
    // pingPacketsSent 42, abortPacketsSent 43, busyPacketsSent 44,
    // dataPacketsSent 45, dataPacketsReSent 46, dataPacketsPushed 47,
    // ignoreAckedPacket 48, three struct clock 49..55, nRttSamples 55,
    // nServerConns 56, nClientConns 57, nPeerStructs 58, nCallStructs 59,
    // nFreeCallStructs 60, ... nBusies 66, spares 67..71.
    let at = |i: usize| i * 4;
    out.count(at(11), c.rx_data);
    out.count(at(12), acks_in);
    out.count(at(24), c.rx_data);
    out.count(at(25), acks_in);
    out.count(at(28), c.tx_data.wrapping_add(c.tx_data_retrans));
    out.count(at(29), acks_out);
    out.count(at(41), acks_out);
    out.count(at(42), pings_out);
    out.count(at(45), c.tx_data);
    out.count(at(46), c.tx_data_retrans);
    out.count(at(56), conns.0);
    out.count(at(57), conns.1);
    out.count(at(58), peers as u64);
    out.count(at(59), calls as u64);
}

impl<E: Env, S: Security> Endpoint<E, S> {
    /// A DEBUG packet `hdr` with `body` from `from`: queue the answer.
    /// Only a client's query is answered; `Err` says why not.
    pub(crate) fn answer_debug(
        &mut self,
        from: TransportAddr,
        hdr: &Header,
        body: &[u8],
    ) -> Result<(), RxDrop> {
        if !hdr.flags.contains(Flags::CLIENT_INITIATED) {
            return Err(RxDrop::Unused);
        }
        let q = Query::parse(body).ok_or(RxDrop::Short)?;
        let mut out = Out::new();
        let len = match q.kind {
            DEBUGI_GETSTATS => self.debug_stats(&mut out),
            DEBUGI_GETCONN | DEBUGI_GETALLCONN => {
                self.debug_conn(&mut out, q.skip(), q.kind == DEBUGI_GETALLCONN)
            }
            DEBUGI_GETPEER => self.debug_peer(&mut out, q.skip()),
            DEBUGI_RXSTATS => self.debug_rx_stats(&mut out),
            _ => {
                out.u32(0, DEBUGI_BADTYPE as u32);
                out.u32(4, DEBUGI_BADTYPE as u32);
                DEBUG_IN_LEN
            }
        };
        let mut h = *hdr;
        h.flags = h.flags.with(Flags::CLIENT_INITIATED, false);
        self.queue_packet(from, &h, &Packet::Debug(out.body(len)));
        Ok(())
    }

    /// `rx_debugStats`: calls taken by the service, calls waiting to be
    /// accepted (OpenAFS's calls waiting for a thread), charged user ids
    /// (its idle threads: calls the service is ready for) and calls that
    /// have waited; no packet pool, so its counts are 0.
    fn debug_stats(&mut self, out: &mut Out) -> usize {
        out.u32(0, 0); // nFreePackets
        out.u32(4, 0); // packetReclaims
        out.count(8, self.service.calls);
        out.u8(12, 0); // waitingForPackets
        out.u8(13, 0); // usedFDs
        out.u8(14, DEBUGI_VERSION);
        out.u32(16, self.service.queued);
        out.count(20, self.charges.len() as u64);
        out.count(24, self.service.waited);
        out.u32(28, 0); // nPackets
        DEBUG_STATS_LEN
    }

    /// The `skip`-th connection (with a live call unless `all`), or the
    /// end marker.
    fn debug_conn(&mut self, out: &mut Out, skip: usize, all: bool) -> usize {
        let mut left = skip;
        let mut cur = None;
        let mut found = None;
        for _ in 0..DEBUG_WALK_MAX {
            let Some(k) = self.conns.next_after(cur.as_ref()) else {
                break;
            };
            cur = Some(k);
            let Some(c) = self.conns.get(&k) else {
                continue;
            };
            if !all && c.channels.iter().all(|ch| ch.call.is_none()) {
                continue;
            }
            if left == 0 {
                found = Some(k);
                break;
            }
            left -= 1;
        }
        let Some(c) = found.and_then(|k| self.conns.get(&k)) else {
            out.u32(4, 0xffff_ffff);
            return DEBUG_CONN_LEN;
        };
        let (host, port) = host_port(c.key.peer);
        out.put(0, &host);
        out.u32(4, c.key.cid);
        out.u32(8, c.serial());
        for (i, ch) in c.channels.iter().enumerate() {
            out.u32(12 + 4 * i, ch.call_number);
            let (state, mode, flags, other) = ch
                .call
                .and_then(|h| self.calls.get(&h))
                .map_or((RX_STATE_NOTINIT, 0, 0, 0), call_state);
            out.u8(40 + i, state);
            out.u8(44 + i, mode);
            out.u8(48 + i, flags);
            out.u8(52 + i, other);
        }
        out.u32(28, 0); // error: an aborted connection is gone
        out.put(32, &port.to_be_bytes());
        out.u8(34, 0); // flags
        out.u8(
            35,
            if c.key.client {
                RX_CLIENT_CONNECTION
            } else {
                RX_SERVER_CONNECTION
            },
        );
        out.u8(36, c.security_index);
        // secStats (76 bytes at 56): type, level, flags.
        if c.security_index == 0 {
            out.u8(56, RX_SECTYPE_NULL);
        } else {
            let level = c
                .bundle
                .and_then(|b| u8::try_from(b.level).ok())
                .unwrap_or(SECSTATS_LEVEL_UNKNOWN);
            out.u8(56, RX_SECTYPE_KAD);
            out.u8(57, level);
            if c.secured {
                out.u32(68, SECSTATS_AUTHENTICATED);
            }
        }
        out.u32(132, c.key.epoch);
        out.u32(136, MAX_PACKET as u32); // natMTU
        DEBUG_CONN_LEN
    }

    /// The `skip`-th peer, or the end marker.
    fn debug_peer(&mut self, out: &mut Out, skip: usize) -> usize {
        let mut cur = None;
        if skip < DEBUG_WALK_MAX {
            for _ in 0..=skip {
                cur = self.peers.next_after(cur.as_ref());
                if cur.is_none() {
                    break;
                }
            }
        }
        let Some((addr, p)) = cur.and_then(|a| self.peers.get(&a).map(|p| (a, p))) else {
            out.u32(0, 0xffff_ffff);
            return DEBUG_PEER_LEN;
        };
        let (host, port) = host_port(addr);
        let mtu = MAX_PACKET as u16;
        out.put(0, &host);
        out.put(4, &port.to_be_bytes());
        // ifMTU, and refCount: its connections.
        out.u16(6, mtu);
        out.u16(12, u16::try_from(p.conns).unwrap_or(u16::MAX));
        // rtt in 1/8 ms and rtt_dev in 1/4 ms, as OpenAFS keeps them.
        out.u32(24, p.rtt.srtt().map_or(0, |d| ms_units(d, 8)));
        out.u32(28, p.rtt.rttvar().map_or(0, |d| ms_units(d, 4)));
        // natMTU, maxMTU, MTU.
        out.u16(60, mtu);
        out.u16(62, mtu);
        out.u16(68, mtu);
        DEBUG_PEER_LEN
    }

    /// `rx_statistics` from the packet counters and object counts.
    fn debug_rx_stats(&mut self, out: &mut Out) -> usize {
        let (mut server, mut client) = (0u64, 0u64);
        let mut cur = None;
        for _ in 0..DEBUG_WALK_MAX {
            let Some(k) = self.conns.next_after(cur.as_ref()) else {
                break;
            };
            cur = Some(k);
            if k.client {
                client += 1;
            } else {
                server += 1;
            }
        }
        let st = self.stats();
        rx_statistics(out, &self.counters, st.calls, st.peers, (server, client));
        RX_STATS_LEN
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_parse_bounded() {
        assert_eq!(Query::parse(&[]), None);
        assert_eq!(Query::parse(&[0, 0, 0, 1, 0, 0, 0]), None);
        let q = Query::parse(&[0, 0, 0, 2, 0xff, 0xff, 0xff, 0xfe, 9]).unwrap();
        assert_eq!((q.kind, q.index, q.skip()), (2, -2, 0));
        let q = Query::parse(&[0, 0, 0, 3, 0, 0, 1, 0]).unwrap();
        assert_eq!(q.skip(), 256);
    }

    #[test]
    fn rtt_units() {
        use core::time::Duration;
        assert_eq!(ms_units(Duration::from_micros(1500), 8), 12);
        assert_eq!(ms_units(Duration::from_micros(999), 4), 3);
        assert_eq!(ms_units(Duration::MAX, 8), u32::MAX);
    }

    #[test]
    fn v4_mapped_peers_show_their_address() {
        let mut a = [0u8; 16];
        a[10] = 0xff;
        a[11] = 0xff;
        a[12..].copy_from_slice(&[192, 0, 2, 1]);
        assert_eq!(host_port(TransportAddr::V6(a, 7)), ([192, 0, 2, 1], 7));
        assert_eq!(host_port(TransportAddr::V6([1; 16], 7)), ([0; 4], 7));
    }
}
