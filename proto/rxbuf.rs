//! The Rx side of a call: in-order delivery through a receive window.
//!
//! Received DATA is held in a ring indexed by sequence number. The caller
//! reads it in order; a packet is hard-ACKable once fully read, which also
//! moves the window. Packets beyond the window, below it or repeated are
//! reported so that the ACK policy can answer them.

use super::txbuf::{seq_le, seq_lt};

/// Ring size; the window is at most `RING - 1` packets.
const RING: usize = 256;
/// Largest receive window, in packets.
pub(crate) const MAX_RX_WINDOW: u32 = 255;

/// How a received DATA packet fitted in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RxInsert {
    /// Accepted, and it was the next expected packet.
    InOrder,
    /// Accepted, with a gap before it.
    OutOfSequence,
    /// Already held or already read.
    Duplicate,
    /// Beyond the window; dropped.
    ExceedsWindow,
    /// Contradicts LAST_PACKET (data past the end, or a second end).
    Protocol,
}

#[derive(Debug)]
struct RxPacket<B> {
    buf: B,
    len: usize,
}

/// Result of a read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RecvResult {
    /// Bytes copied.
    pub bytes: usize,
    /// More data of this phase remains queued after this read.
    pub more_pending: bool,
    /// The last byte of the phase was read (or would be, when peeking).
    pub end_of_data: bool,
}

/// The Rx queue of one phase.
#[derive(Debug)]
pub(crate) struct RxBuf<B> {
    ring: [Option<RxPacket<B>>; RING],
    /// Highest sequence fully read by the caller.
    consumed: u32,
    /// Bytes of packet `consumed + 1` already read.
    offset: usize,
    /// Highest sequence received.
    top: u32,
    /// Sequence of the packet that carried LAST_PACKET.
    last: Option<u32>,
    window: u32,
}

fn slot(seq: u32) -> usize {
    seq as usize % RING
}

impl<B: AsRef<[u8]>> RxBuf<B> {
    /// An empty queue with a window of `window` packets (clamped 1..=255).
    pub(crate) fn new(window: u32) -> Self {
        RxBuf {
            ring: core::array::from_fn(|_| None),
            consumed: 0,
            offset: 0,
            top: 0,
            last: None,
            window: window.clamp(1, MAX_RX_WINDOW),
        }
    }

    /// Hard-ACK point: the highest sequence fully read.
    pub(crate) fn hard_ack(&self) -> u32 {
        self.consumed
    }

    /// Highest sequence received.
    pub(crate) fn top(&self) -> u32 {
        self.top
    }

    /// The advertised window.
    pub(crate) fn window(&self) -> u32 {
        self.window
    }

    /// Whether every packet up to LAST_PACKET has arrived.
    pub(crate) fn all_received(&self) -> bool {
        match self.last {
            Some(l) => self.contiguous_top() == l,
            None => false,
        }
    }

    /// Whether the caller has read everything up to LAST_PACKET.
    pub(crate) fn all_consumed(&self) -> bool {
        self.last == Some(self.consumed)
    }

    /// Highest sequence such that all packets up to it arrived.
    pub(crate) fn contiguous_top(&self) -> u32 {
        let mut seq = self.consumed;
        while seq_lt(seq, self.top) && self.ring[slot(seq.wrapping_add(1))].is_some() {
            seq = seq.wrapping_add(1);
        }
        seq
    }

    /// Whether data can be read now.
    pub(crate) fn readable(&self) -> bool {
        self.ring[slot(self.consumed.wrapping_add(1))].is_some()
    }

    /// Whether `seq` lies in the window and is not yet held.
    pub(crate) fn wants(&self, seq: u32) -> RxInsert {
        if seq == 0 || seq_le(seq, self.consumed) {
            return RxInsert::Duplicate;
        }
        if seq_lt(self.consumed.wrapping_add(self.window), seq) {
            return RxInsert::ExceedsWindow;
        }
        if self.ring[slot(seq)].is_some() {
            return RxInsert::Duplicate;
        }
        if self.last.is_some_and(|l| seq_lt(l, seq)) {
            return RxInsert::Protocol;
        }
        if seq == self.contiguous_top().wrapping_add(1) {
            RxInsert::InOrder
        } else {
            RxInsert::OutOfSequence
        }
    }

    /// Store packet `seq` (after [`RxBuf::wants`] accepted it).
    pub(crate) fn insert(&mut self, seq: u32, last: bool, buf: B, len: usize) -> RxInsert {
        let verdict = self.wants(seq);
        if !matches!(verdict, RxInsert::InOrder | RxInsert::OutOfSequence) {
            return verdict;
        }
        if last {
            if self.last.is_some() || seq_lt(seq, self.top) {
                return RxInsert::Protocol;
            }
            self.last = Some(seq);
        }
        self.ring[slot(seq)] = Some(RxPacket { buf, len });
        if seq_lt(self.top, seq) {
            self.top = seq;
        }
        verdict
    }

    /// The SACK table for an ACK: entry `i` covers `hard_ack + 1 + i`, up
    /// to the highest received packet. Returns the number of entries.
    pub(crate) fn sack_table(&self, out: &mut [u8; 255]) -> usize {
        let n = self.top.wrapping_sub(self.consumed).min(255) as usize;
        for (i, e) in out.iter_mut().take(n).enumerate() {
            let seq = self.consumed.wrapping_add(1).wrapping_add(i as u32);
            *e = u8::from(self.ring[slot(seq)].is_some());
        }
        n
    }

    /// Copy in-order data into `out`. With `peek` nothing is consumed.
    /// Returns what was read and how many packets became fully read.
    pub(crate) fn read(&mut self, out: &mut [u8], peek: bool) -> (RecvResult, u32) {
        let mut copied = 0;
        let mut seq = self.consumed;
        let mut offset = self.offset;
        let mut finished = 0;
        let mut at_end = self.all_consumed();
        while copied < out.len() {
            let next = seq.wrapping_add(1);
            let Some(p) = self.ring[slot(next)].as_ref() else { break };
            let data = p.buf.as_ref().get(..p.len).unwrap_or(&[]);
            let avail = data.get(offset..).unwrap_or(&[]);
            let n = avail.len().min(out.len() - copied);
            if let (Some(d), Some(s)) = (out.get_mut(copied..copied + n), avail.get(..n)) {
                d.copy_from_slice(s);
            }
            copied += n;
            offset += n;
            if offset >= data.len() {
                seq = next;
                offset = 0;
                finished += 1;
                if self.last == Some(seq) {
                    at_end = true;
                    break;
                }
            }
        }
        if !peek {
            let mut s = self.consumed;
            while s != seq {
                s = s.wrapping_add(1);
                self.ring[slot(s)] = None;
            }
            self.consumed = seq;
            self.offset = offset;
        } else {
            finished = 0;
        }
        let more = !at_end && self.ring[slot(seq.wrapping_add(1))].as_ref().is_some();
        (RecvResult { bytes: copied, more_pending: more, end_of_data: at_end }, finished)
    }

    /// Drop every buffer (the call ended).
    pub(crate) fn clear(&mut self) {
        for s in self.ring.iter_mut() {
            *s = None;
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec::Vec;

    fn pkt(b: &[u8]) -> (Vec<u8>, usize) {
        (b.to_vec(), b.len())
    }

    #[test]
    fn in_order_out_of_order_and_duplicates() {
        let mut r = RxBuf::<Vec<u8>>::new(4);
        let (b, l) = pkt(b"ab");
        assert_eq!(r.insert(2, false, b, l), RxInsert::OutOfSequence);
        let (b, l) = pkt(b"xx");
        assert_eq!(r.insert(2, false, b, l), RxInsert::Duplicate);
        assert!(!r.readable());
        assert_eq!(r.wants(5), RxInsert::ExceedsWindow);
        let (b, l) = pkt(b"01");
        assert_eq!(r.insert(1, false, b, l), RxInsert::InOrder);
        let (b, l) = pkt(b"z");
        assert_eq!(r.insert(3, true, b, l), RxInsert::InOrder);
        assert!(r.all_received());
        assert_eq!(r.wants(4), RxInsert::Protocol);
        let mut sack = [9u8; 255];
        assert_eq!(r.sack_table(&mut sack), 3);
        assert_eq!(&sack[..3], &[1, 1, 1]);

        let mut out = [0u8; 3];
        let (res, _) = r.read(&mut out, true);
        assert_eq!(res, RecvResult { bytes: 3, more_pending: true, end_of_data: false });
        let (res, done) = r.read(&mut out, false);
        assert_eq!((&out, done), (b"01a", 1));
        assert!(!res.end_of_data);
        let (res, done) = r.read(&mut out, false);
        assert_eq!((&out[..2], done), (&b"bz"[..], 2));
        assert_eq!(res, RecvResult { bytes: 2, more_pending: false, end_of_data: true });
        assert!(r.all_consumed());
        assert_eq!(r.wants(1), RxInsert::Duplicate);
    }

    #[test]
    fn second_last_is_protocol_error() {
        let mut r = RxBuf::<Vec<u8>>::new(8);
        let (b, l) = pkt(b"a");
        r.insert(3, false, b, l);
        let (b, l) = pkt(b"a");
        assert_eq!(r.insert(2, true, b, l), RxInsert::Protocol);
        assert_eq!(r.wants(0), RxInsert::Duplicate);
    }

    #[test]
    fn empty_last_packet_reads_as_end() {
        let mut r = RxBuf::<Vec<u8>>::new(8);
        r.insert(1, true, Vec::new(), 0);
        let mut out = [0u8; 4];
        let (res, done) = r.read(&mut out, false);
        assert_eq!((res.bytes, res.end_of_data, done), (0, true, 1));
    }
}
