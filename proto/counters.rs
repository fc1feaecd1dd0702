//! Packet counters of one endpoint, for /proc/net/rxrpc/stats.
//!
//! Plain counters, bumped by one-line hooks where packets are framed
//! (`output.rs`) and decoded (`input.rs`). They wrap rather than saturate,
//! as the C module's `atomic_t` statistics do. Why a received packet was
//! dropped ([`RxDrop`]) is returned by `handle_datagram` for the caller to
//! count in [`RxDrops`] (with its own drops), which keeps the endpoint
//! small.

use super::call::{Call, Tx};
use super::env::Env;
use super::txbuf::RESEND_REASONS;
use super::wire::{AckReason, Packet};

/// Slots of the per-reason ACK tables: index = reason code (1..=9), 0 for
/// any other code.
pub const ACK_REASONS: usize = 10;

/// Why a received packet was dropped (not, or not all of it, used). A
/// packet dropped with an answer (an ABORT, BUSY, a repeated final ACK or
/// a DUPLICATE ACK) counts too.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum RxDrop {
    /// The header or body does not decode (too short, bad counts).
    Short,
    /// Header fields that are never valid (call 0 for DATA or ACK, seq 0,
    /// service 0, an unknown type): answered with an ABORT.
    Bad,
    /// A type we do not take (DEBUG, PARAMS, a VERSION reply) or one sent
    /// the wrong way (BUSY or CHALLENGE to a server, RESPONSE to a client).
    Unused,
    /// For one of our client connections, with another epoch.
    Epoch,
    /// For a connection we do not have (and that it cannot open).
    NoConn,
    /// For a service connection we aborted lately (answered again).
    Aborted,
    /// A new call turned away with BUSY (no charge, backlog full).
    Busy,
    /// A new call or connection refused otherwise (no such service, too
    /// little security, no memory for it).
    Reject,
    /// A security index other than its connection's.
    SecIndex,
    /// For a call older than its channel's, or its finished call (whose
    /// final ACK or ABORT is repeated).
    OldCall,
    /// For a call the channel cannot have: a later call on a client
    /// connection, or one opened by a packet that is not DATA.
    BadCall,
    /// DATA before the connection was secured (a CHALLENGE goes out).
    Unsecured,
    /// DATA that failed the security check (the call is aborted).
    Verify,
    /// No memory to hold or answer it.
    NoMem,
    /// DATA beyond the receive buffer (the sockets' SO_RCVBUF).
    RxFull,
    /// DATA already received (or a RESPONSE on a secured connection).
    Duplicate,
    /// DATA beyond the receive window.
    Window,
    /// Not for the call's state (DATA after the call's receive phase, a
    /// BUSY after the first reply, a handshake packet for a call).
    State,
    /// An ACK overtaken by a later one.
    OldAck,
    /// A protocol violation (the call is aborted).
    Proto,
}

/// Slots of [`Counters::rx_drops`], one per [`RxDrop`].
pub const RX_DROP_REASONS: usize = RxDrop::Proto as usize + 1;

/// Short names of the [`RxDrop`] reasons, by index, as /proc prints them.
pub const RX_DROP_NAMES: [&str; RX_DROP_REASONS] = [
    "short", "bad", "unused", "epoch", "noconn", "aborted", "busy", "reject", "secidx", "oldcall",
    "badcall", "unsec", "verify", "nomem", "rxfull", "dup", "window", "state", "oldack", "proto",
];

/// Packet counters of one endpoint (see [`super::Endpoint::counters`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    /// DATA packets sent for the first time.
    pub tx_data: u64,
    /// DATA packets sent again.
    pub tx_data_retrans: u64,
    /// DATA packets sent again, by why they were marked (index: a
    /// `Resend`: RACK, the probes, the RTO, other).
    /// 32 bits, as C's `atomic_t` statistics, which keeps the endpoint
    /// under 4 KiB.
    pub tx_retrans_why: [u32; RESEND_REASONS],
    /// ACKs sent, by reason.
    pub tx_acks: [u64; ACK_REASONS],
    /// DATA packets received (each subpacket of a jumbo counts).
    pub rx_data: u64,
    /// Received DATA packets with REQUEST_ACK.
    pub rx_data_reqack: u64,
    /// Received DATA subpackets with JUMBO (another one follows).
    pub rx_data_jumbo: u64,
    /// ACKs received, by reason.
    pub rx_acks: [u64; ACK_REASONS],
}

/// Received packets dropped, by [`RxDrop`] (index: `why as usize`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RxDrops(pub [u64; RX_DROP_REASONS]);

impl RxDrops {
    /// A received packet was dropped for `why`.
    pub fn count(&mut self, why: RxDrop) {
        if let Some(n) = self.0.get_mut(why as usize) {
            bump(n);
        }
    }

    /// Adds `other` in, to sum endpoints.
    pub fn add(&mut self, other: &RxDrops) {
        for (a, b) in self.0.iter_mut().zip(other.0.iter()) {
            *a = a.wrapping_add(*b);
        }
    }

    /// Packets dropped for `why`.
    pub fn get(&self, why: RxDrop) -> u64 {
        self.0.get(why as usize).copied().unwrap_or(0)
    }

    /// Packets dropped, all reasons.
    pub fn total(&self) -> u64 {
        self.0.iter().fold(0, |a, b| a.wrapping_add(*b))
    }
}

fn slot(reason: AckReason) -> usize {
    let i = usize::from(reason.0);
    if i < ACK_REASONS {
        i
    } else {
        0
    }
}

fn bump(n: &mut u64) {
    *n = n.wrapping_add(1);
}

impl Counters {
    /// Adds `other` in, to sum endpoints.
    pub fn add(&mut self, other: &Counters) {
        self.tx_data = self.tx_data.wrapping_add(other.tx_data);
        self.tx_data_retrans = self.tx_data_retrans.wrapping_add(other.tx_data_retrans);
        for (a, b) in self
            .tx_retrans_why
            .iter_mut()
            .zip(other.tx_retrans_why.iter())
        {
            *a = a.wrapping_add(*b);
        }
        self.rx_data = self.rx_data.wrapping_add(other.rx_data);
        self.rx_data_reqack = self.rx_data_reqack.wrapping_add(other.rx_data_reqack);
        self.rx_data_jumbo = self.rx_data_jumbo.wrapping_add(other.rx_data_jumbo);
        for (a, b) in self.tx_acks.iter_mut().zip(other.tx_acks.iter()) {
            *a = a.wrapping_add(*b);
        }
        for (a, b) in self.rx_acks.iter_mut().zip(other.rx_acks.iter()) {
            *a = a.wrapping_add(*b);
        }
    }

    /// ACKs sent, all reasons.
    pub fn tx_acks_total(&self) -> u64 {
        self.tx_acks.iter().fold(0, |a, b| a.wrapping_add(*b))
    }

    /// `tx` of `call` was framed and is about to go out (before the call
    /// records it as sent, so that a retransmission can be told apart).
    pub(crate) fn count_sent<E: Env>(&mut self, call: &Call<E>, tx: Tx) {
        match tx {
            Tx::Data { seq, .. } => {
                let p = call.tx.get(seq);
                if let Some(p) = p.filter(|p| p.sent_at.is_some()) {
                    bump(&mut self.tx_data_retrans);
                    if let Some(n) = self.tx_retrans_why.get_mut(p.why as usize) {
                        *n = n.wrapping_add(1);
                    }
                } else {
                    bump(&mut self.tx_data);
                }
            }
            Tx::Ack { reason, .. } => bump(&mut self.tx_acks[slot(reason)]),
        }
    }

    /// A one-off packet (a final ACK repeat, an ABORT, ...) was queued.
    pub(crate) fn count_queued(&mut self, pkt: &Packet<'_>) {
        if let Packet::Ack(ack) = pkt {
            bump(&mut self.tx_acks[slot(ack.reason)]);
        }
    }

    /// A packet was received and decoded.
    pub(crate) fn count_received(&mut self, pkt: &Packet<'_>) {
        match pkt {
            // As decoding counted it: every subpacket but the last of a
            // jumbo has JUMBO.
            Packet::Data(data) => {
                let t = data.tally();
                let n = u64::from(t.subpackets);
                self.rx_data = self.rx_data.wrapping_add(n);
                self.rx_data_reqack = self.rx_data_reqack.wrapping_add(t.request_acks.into());
                self.rx_data_jumbo = self.rx_data_jumbo.wrapping_add(n.saturating_sub(1));
            }
            Packet::Ack(ack) => bump(&mut self.rx_acks[slot(ack.reason)]),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::wire::{Ack, Data, Flags, Header};
    use super::*;

    #[test]
    fn add_and_reasons() {
        let mut a = Counters {
            tx_data: 2,
            ..Counters::default()
        };
        a.tx_acks[slot(AckReason::PING)] = 1;
        a.tx_acks[slot(AckReason(200))] = 1;
        let b = Counters {
            tx_data: u64::MAX,
            rx_data: 3,
            ..a
        };
        a.add(&b);
        assert_eq!((a.tx_data, a.rx_data), (1, 3));
        assert_eq!(a.tx_acks[6], 2);
        assert_eq!(a.tx_acks[0], 2);
        assert_eq!(a.tx_acks_total(), 4);
    }

    /// The header of a client's first DATA packet, with `flags`.
    fn data_header(flags: Flags) -> Header {
        Header {
            epoch: 1,
            cid: 4,
            call_number: 1,
            seq: 1,
            serial: 1,
            flags,
            user_status: 0,
            security_index: 0,
            cksum: 0,
            service_id: 1,
        }
    }

    #[test]
    fn received_data_and_acks() {
        use super::super::wire;
        let hdr = data_header(Flags::REQUEST_ACK);
        let mut buf = [0u8; 64];
        let n = wire::encode(&hdr, &Packet::Data(Data::new(b"abc")), &mut buf).unwrap();
        let (_, data) = wire::decode(&buf[..n]).unwrap();
        let mut c = Counters::default();
        c.count_received(&data);
        let ack = Ack {
            reason: AckReason::DELAY,
            ..Ack::default()
        };
        c.count_received(&Packet::Ack(ack));
        c.count_queued(&Packet::Ack(Ack {
            reason: AckReason::IDLE,
            ..Ack::default()
        }));
        c.count_queued(&Packet::Abort(1));
        assert_eq!((c.rx_data, c.rx_data_reqack, c.rx_data_jumbo), (1, 1, 0));
        assert_eq!((c.rx_acks[8], c.tx_acks[9], c.tx_acks_total()), (1, 1, 1));
    }

    #[test]
    fn a_jumbo_counts_each_subpacket() {
        use super::super::wire::{self, JumboPart, JUMBO_DATALEN};
        let hdr = data_header(Flags::CLIENT_INITIATED);
        let full = [7u8; JUMBO_DATALEN];
        let part = |flags| JumboPart {
            flags,
            cksum: 0,
            payload: &full,
        };
        let rest = [
            part(Flags::REQUEST_ACK),
            JumboPart {
                payload: b"end",
                ..part(Flags::REQUEST_ACK)
            },
        ];
        let mut buf = [0u8; 3 * JUMBO_DATALEN + 64];
        let n = wire::encode_jumbo(&hdr, &full, &rest, &mut buf).unwrap();
        let (_, pkt) = wire::decode(&buf[..n]).unwrap();
        let mut c = Counters::default();
        c.count_received(&pkt);
        assert_eq!((c.rx_data, c.rx_data_reqack, c.rx_data_jumbo), (3, 2, 2));
    }

    #[test]
    fn drops_by_reason() {
        let mut c = RxDrops::default();
        c.count(RxDrop::Short);
        c.count(RxDrop::Proto);
        c.count(RxDrop::Proto);
        let mut d = c;
        d.add(&c);
        assert_eq!((d.get(RxDrop::Short), d.0[RX_DROP_REASONS - 1]), (2, 4));
        assert_eq!(d.total(), 6);
        assert_eq!(RX_DROP_NAMES[RxDrop::Duplicate as usize], "dup");
        assert_eq!(RX_DROP_NAMES[RxDrop::OldAck as usize], "oldack");
    }
}
