//! The Rx side of a call: in-order delivery through a receive window.
//!
//! Received DATA is held in a ring indexed by sequence number. The caller
//! reads it in order. A packet is hard-ACKed once it and all before it
//! arrived, as the C module and OpenAFS do, so that a sender's window does
//! not wait on our reader; reading moves the window. Packets beyond the
//! window, below it or repeated are reported so that the ACK policy can
//! answer them. The ring grows with the packets held (see
//! [`super::ring`]) and is given back once the last packet was read.

use super::env::Slots;
use super::ring;
use super::txbuf::{seq_le, seq_lt};

/// Largest receive window, in packets (one less than the largest ring).
pub(crate) const MAX_RX_WINDOW: u32 = ring::MAX as u32 - 1;

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
    /// In the window, but the ring could not grow to hold it; dropped.
    NoMemory,
}

/// A few bytes of a payload that a security level unsealed while the rest
/// stays where it lies (rxkad level 1's first 4 data bytes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Head {
    bytes: [u8; 4],
    len: u8,
}

impl Head {
    /// The first 4 bytes of `bytes`, or all of them if fewer.
    pub(crate) fn new(bytes: &[u8]) -> Self {
        let mut h = Head::default();
        let n = bytes.len().min(h.bytes.len());
        h.bytes[..n].copy_from_slice(&bytes[..n]);
        h.len = n as u8;
        h
    }

    /// The bytes.
    pub(crate) fn as_slice(&self) -> &[u8] {
        self.bytes.get(..self.len as usize).unwrap_or(&[])
    }
}

/// One received DATA payload, already verified: `head` and then the first
/// `len` bytes of `buf`.
#[derive(Debug)]
pub(crate) struct RxPacket<B> {
    buf: B,
    len: usize,
    head: Head,
}

impl<B: AsRef<[u8]>> RxPacket<B> {
    /// The first `len` bytes of `buf`.
    pub(crate) fn new(buf: B, len: usize) -> Self {
        RxPacket::with_head(Head::default(), buf, len)
    }

    /// `head` and then the first `len` bytes of `buf`.
    pub(crate) fn with_head(head: Head, buf: B, len: usize) -> Self {
        RxPacket { buf, len, head }
    }

    /// Its data's length.
    fn data_len(&self) -> usize {
        self.head.as_slice().len() + self.len
    }

    /// Its data from `offset` on, up to where the head or the buffer ends.
    fn chunk(&self, offset: usize) -> &[u8] {
        let head = self.head.as_slice();
        match offset.checked_sub(head.len()) {
            None => head.get(offset..).unwrap_or(&[]),
            Some(at) => self
                .buf
                .as_ref()
                .get(..self.len)
                .and_then(|d| d.get(at..))
                .unwrap_or(&[]),
        }
    }
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

/// The Rx queue of one phase, in `V`: a ring of the caller's memory, empty
/// until a packet arrives, then as many slots as the packets held span (a
/// power of two, up to the window's).
#[derive(Debug)]
pub(crate) struct RxBuf<B, V> {
    ring: V,
    _buf: core::marker::PhantomData<B>,
    /// Highest sequence fully read by the caller.
    consumed: u32,
    /// Bytes of packet `consumed + 1` already read.
    offset: usize,
    /// Highest sequence received.
    top: u32,
    /// Highest sequence up to which every packet arrived (kept as packets
    /// arrive rather than walked for each).
    contig: u32,
    /// Sequence of the packet that carried LAST_PACKET.
    last: Option<u32>,
    window: u32,
    /// Bytes of the buffers held, for the endpoint's receive budget. A
    /// kept received packet costs its holder more (a kernel skb's
    /// truesize); the budget counts payload bytes all the same.
    bytes: usize,
}

impl<B: AsRef<[u8]>, V: Slots<RxPacket<B>>> RxBuf<B, V> {
    /// An empty queue with a window of `window` packets (clamped 1..=255),
    /// stored in `ring` (with no packets; it grows as packets arrive).
    pub(crate) fn new(window: u32, ring: V) -> Self {
        RxBuf {
            ring,
            _buf: core::marker::PhantomData,
            consumed: 0,
            offset: 0,
            top: 0,
            contig: 0,
            last: None,
            window: window.clamp(1, MAX_RX_WINDOW),
            bytes: 0,
        }
    }

    /// Packet `seq`, which may lie anywhere (beyond the ring too).
    fn pkt(&self, seq: u32) -> Option<&RxPacket<B>> {
        let i = ring::index(self.ring.as_ref().len(), self.consumed, seq)?;
        self.ring.as_ref().get(i).and_then(Option::as_ref)
    }

    // Packets `consumed + 1 ..= top`, which the ring spans, need no range
    // check.
    fn cell(&mut self, seq: u32) -> Option<&mut Option<RxPacket<B>>> {
        let len = self.ring.as_ref().len();
        debug_assert!(seq.wrapping_sub(self.consumed).wrapping_sub(1) as usize <= len);
        self.ring.as_mut().get_mut(ring::slot(len, seq))
    }

    fn held(&self, seq: u32) -> bool {
        let len = self.ring.as_ref().len();
        debug_assert!(seq.wrapping_sub(self.consumed).wrapping_sub(1) as usize <= len);
        self.ring
            .as_ref()
            .get(ring::slot(len, seq))
            .is_some_and(Option::is_some)
    }

    /// Slots of the ring (for tests of its growth).
    #[cfg(test)]
    pub(crate) fn ring_len(&self) -> usize {
        self.ring.as_ref().len()
    }

    /// The ring, for another call (see [`ring::recycle`]), `empty` left in
    /// its place; this queue's call is going.
    pub(crate) fn take_ring(&mut self, empty: V) -> V {
        ring::recycle(&mut self.ring, empty)
    }

    fn set(&mut self, seq: u32, p: Option<RxPacket<B>>) {
        if let Some(c) = self.cell(seq) {
            *c = p;
        }
    }

    /// Hard-ACK point: the highest sequence up to which every packet
    /// arrived.
    pub(crate) fn hard_ack(&self) -> u32 {
        self.contig
    }

    /// The window to advertise above the hard-ACK point: the packets that
    /// fit within `window` of the read point and within `room` packets of
    /// buffers there (those held included). It shuts (0) only while the
    /// reader has data to take, whose reading reopens it; otherwise at
    /// least one packet may come, to fill a hole or to be read next (which
    /// the receive budget always takes).
    pub(crate) fn rwind(&self, room: u32) -> u32 {
        let queued = self.contig.wrapping_sub(self.consumed);
        let rwind = self.window.min(room).saturating_sub(queued);
        if self.top == self.contig && queued > 0 {
            rwind
        } else {
            rwind.max(1)
        }
    }

    /// The window, in packets.
    pub(crate) fn window(&self) -> u32 {
        self.window
    }

    /// Highest sequence received.
    pub(crate) fn top(&self) -> u32 {
        self.top
    }

    /// Bytes of the buffers held (received and not yet fully read).
    pub(crate) fn held_bytes(&self) -> usize {
        self.bytes
    }

    /// Whether every packet up to LAST_PACKET has arrived.
    pub(crate) fn all_received(&self) -> bool {
        self.last == Some(self.contig)
    }

    /// Whether the caller has read everything up to LAST_PACKET.
    pub(crate) fn all_consumed(&self) -> bool {
        self.last == Some(self.consumed)
    }

    /// Whether data can be read now.
    pub(crate) fn readable(&self) -> bool {
        self.held(self.consumed.wrapping_add(1))
    }

    /// Whether `seq` lies in the window and is not yet held.
    pub(crate) fn wants(&self, seq: u32) -> RxInsert {
        if seq == 0 || seq_le(seq, self.consumed) {
            return RxInsert::Duplicate;
        }
        if seq_lt(self.consumed.wrapping_add(self.window), seq) {
            return RxInsert::ExceedsWindow;
        }
        if self.pkt(seq).is_some() {
            return RxInsert::Duplicate;
        }
        if self.last.is_some_and(|l| seq_lt(l, seq)) {
            return RxInsert::Protocol;
        }
        if seq == self.contig.wrapping_add(1) {
            RxInsert::InOrder
        } else {
            RxInsert::OutOfSequence
        }
    }

    /// Store packet `seq` (after [`RxBuf::wants`] accepted it).
    pub(crate) fn insert(&mut self, seq: u32, last: bool, p: RxPacket<B>) -> RxInsert {
        let verdict = self.wants(seq);
        if !matches!(verdict, RxInsert::InOrder | RxInsert::OutOfSequence) {
            return verdict;
        }
        let need = seq.wrapping_sub(self.consumed);
        if !ring::reserve(&mut self.ring, self.consumed, need) {
            return RxInsert::NoMemory;
        }
        if last {
            if self.last.is_some() || seq_lt(seq, self.top) {
                return RxInsert::Protocol;
            }
            self.last = Some(seq);
        }
        self.bytes = self.bytes.saturating_add(p.buf.as_ref().len());
        self.set(seq, Some(p));
        if seq_lt(self.top, seq) {
            self.top = seq;
        }
        while seq_lt(self.contig, self.top) && self.held(self.contig.wrapping_add(1)) {
            self.contig = self.contig.wrapping_add(1);
        }
        verdict
    }

    /// The SACK table for an ACK: entry `i` covers `hard_ack + 1 + i`, up
    /// to the highest received packet. Returns the number of entries.
    pub(crate) fn sack_table(&self, out: &mut [u8; 255]) -> usize {
        let n = self.top.wrapping_sub(self.contig).min(255) as usize;
        for (i, e) in out.iter_mut().take(n).enumerate() {
            let seq = self.contig.wrapping_add(1).wrapping_add(i as u32);
            *e = u8::from(self.held(seq));
        }
        n
    }

    /// Copy in-order data into `out`. With `peek` nothing is consumed.
    /// Returns what was read and how many packets became fully read.
    pub(crate) fn read(&mut self, out: &mut [u8], peek: bool) -> (RecvResult, u32) {
        let mut at = 0;
        self.read_with(
            out.len(),
            |chunk| {
                if let Some(d) = out.get_mut(at..at + chunk.len()) {
                    d.copy_from_slice(chunk);
                }
                at += chunk.len();
                chunk.len()
            },
            peek,
        )
    }

    /// Consume up to `len` bytes of in-order data without copying them (a
    /// peek already did), as [`RxBuf::read`] would.
    pub(crate) fn skip(&mut self, len: usize) -> (RecvResult, u32) {
        self.read_with(len, |chunk| chunk.len(), false)
    }

    /// Read up to `len` bytes of in-order data as [`RxBuf::read`] does,
    /// handing them to `sink` a packet's worth at a time, straight from
    /// the packets: `sink` returns how many bytes it took, and taking fewer
    /// than offered ends the read. Only what it took is consumed.
    pub(crate) fn read_with(
        &mut self,
        len: usize,
        mut sink: impl FnMut(&[u8]) -> usize,
        peek: bool,
    ) -> (RecvResult, u32) {
        let mut copied = 0;
        let mut seq = self.consumed;
        let mut offset = self.offset;
        let mut finished = 0;
        let mut at_end = self.all_consumed();
        while copied < len {
            let next = seq.wrapping_add(1);
            let Some(p) = self.pkt(next) else { break };
            let avail = p.chunk(offset);
            let n = avail.len().min(len - copied);
            let k = match avail.get(..n) {
                Some(s) if n > 0 => sink(s).min(n),
                _ => 0,
            };
            copied += k;
            offset += k;
            // (A buffer shorter than its length reads as empty.)
            if offset >= p.data_len() || n == 0 {
                seq = next;
                offset = 0;
                finished += 1;
                if self.last == Some(seq) {
                    at_end = true;
                    break;
                }
            }
            if k < n {
                break;
            }
        }
        if !peek {
            let mut s = self.consumed;
            while s != seq {
                s = s.wrapping_add(1);
                if let Some(p) = self.cell(s).and_then(Option::take) {
                    self.bytes = self.bytes.saturating_sub(p.buf.as_ref().len());
                }
            }
            self.consumed = seq;
            self.offset = offset;
            if seq_lt(self.contig, seq) {
                self.contig = seq;
            }
            if self.all_consumed() {
                ring::release(&mut self.ring);
            }
        } else {
            finished = 0;
        }
        let more = !at_end && self.pkt(seq.wrapping_add(1)).is_some();
        (
            RecvResult {
                bytes: copied,
                more_pending: more,
                end_of_data: at_end,
            },
            finished,
        )
    }

    /// Drop every buffer and the ring (the call ended).
    pub(crate) fn clear(&mut self) {
        ring::release(&mut self.ring);
        self.bytes = 0;
        self.contig = self.consumed;
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::super::env::test_slots::VecSlots;
    use super::*;
    use std::vec::Vec;

    fn pkt(b: &[u8]) -> (Vec<u8>, usize) {
        (b.to_vec(), b.len())
    }

    type Ring = VecSlots<RxPacket<Vec<u8>>>;

    fn rx(window: u32) -> RxBuf<Vec<u8>, Ring> {
        RxBuf::new(window, VecSlots::new())
    }

    #[test]
    fn in_order_out_of_order_and_duplicates() {
        let mut r = rx(4);
        let (b, l) = pkt(b"ab");
        assert_eq!(
            r.insert(2, false, RxPacket::new(b, l)),
            RxInsert::OutOfSequence
        );
        let (b, l) = pkt(b"xx");
        assert_eq!(r.insert(2, false, RxPacket::new(b, l)), RxInsert::Duplicate);
        assert!(!r.readable());
        let mut sack = [9u8; 255];
        assert_eq!(r.sack_table(&mut sack), 2);
        assert_eq!(&sack[..2], &[0, 1]);
        assert_eq!(r.wants(5), RxInsert::ExceedsWindow);
        let (b, l) = pkt(b"01");
        assert_eq!(r.insert(1, false, RxPacket::new(b, l)), RxInsert::InOrder);
        let (b, l) = pkt(b"z");
        assert_eq!(r.insert(3, true, RxPacket::new(b, l)), RxInsert::InOrder);
        assert!(r.all_received());
        assert_eq!(r.wants(4), RxInsert::Protocol);
        // Hard-ACKed on arrival, before the reader took anything.
        assert_eq!(r.hard_ack(), 3);
        assert_eq!(r.sack_table(&mut sack), 0);

        let mut out = [0u8; 3];
        let (res, _) = r.read(&mut out, true);
        assert_eq!(
            res,
            RecvResult {
                bytes: 3,
                more_pending: true,
                end_of_data: false
            }
        );
        let (res, done) = r.read(&mut out, false);
        assert_eq!((&out, done), (b"01a", 1));
        assert!(!res.end_of_data);
        let (res, done) = r.read(&mut out, false);
        assert_eq!((&out[..2], done), (&b"bz"[..], 2));
        assert_eq!(
            res,
            RecvResult {
                bytes: 2,
                more_pending: false,
                end_of_data: true
            }
        );
        assert!(r.all_consumed());
        assert_eq!(r.wants(1), RxInsert::Duplicate);
        assert_eq!(r.held_bytes(), 0);
    }

    #[test]
    fn the_window_shuts_as_unread_data_queues() {
        let mut r = rx(8);
        for seq in 1..4 {
            r.insert(seq, false, RxPacket::new(std::vec![0; 10], 10));
        }
        assert_eq!(r.hard_ack(), 3);
        assert_eq!(r.rwind(100), 5, "the window less what waits to be read");
        assert_eq!(r.rwind(4), 1, "room for four, three of them held");
        assert_eq!(r.rwind(2), 0, "shut");
        r.insert(5, false, RxPacket::new(std::vec![0; 10], 10));
        assert_eq!(r.rwind(2), 1, "never shut on a hole");
        let mut out = [0u8; 20];
        r.read(&mut out, false);
        assert_eq!(r.rwind(100), 7, "reading reopens it");
        r.read(&mut out, false);
        assert_eq!(r.rwind(0), 1, "one packet for a reader with none");
    }

    #[test]
    fn a_head_is_read_before_its_buffer() {
        let mut r = rx(8);
        let p = RxPacket::with_head(Head::new(b"abcd"), b"efgh".to_vec(), 3);
        assert_eq!(r.insert(1, false, p), RxInsert::InOrder);
        let p = RxPacket::with_head(Head::new(b"ij"), std::vec![], 0);
        assert_eq!(r.insert(2, true, p), RxInsert::InOrder);
        let mut out = [0u8; 3];
        let (res, done) = r.read(&mut out, true);
        assert_eq!((&out, res.bytes, done), (b"abc", 3, 0));
        let (_, done) = r.read(&mut out[..2], false);
        assert_eq!((&out[..2], done), (&b"ab"[..], 0));
        let mut out = [0u8; 16];
        let (res, done) = r.read(&mut out, false);
        assert_eq!((&out[..res.bytes], done), (&b"cdefgij"[..], 2));
        assert!(res.end_of_data);
        assert_eq!(r.held_bytes(), 0);
    }

    #[test]
    fn a_buffer_short_of_its_length_reads_as_empty() {
        let mut r = rx(8);
        r.insert(1, false, RxPacket::new(b"ab".to_vec(), 5));
        r.insert(2, true, RxPacket::new(b"c".to_vec(), 1));
        let mut out = [0u8; 16];
        let (res, done) = r.read(&mut out, false);
        assert_eq!((&out[..res.bytes], done), (&b"c"[..], 2));
    }

    #[test]
    fn held_bytes_follow_inserts_reads_and_clear() {
        let mut r = rx(8);
        r.insert(1, false, RxPacket::new(std::vec![0; 100], 100));
        r.insert(3, false, RxPacket::new(std::vec![0; 50], 50));
        assert_eq!(r.held_bytes(), 150);
        let mut out = [0u8; 60];
        r.read(&mut out, true);
        assert_eq!(r.held_bytes(), 150, "a peek frees nothing");
        r.read(&mut out, false);
        assert_eq!(r.held_bytes(), 150, "a partly read packet stays");
        r.read(&mut out, false);
        assert_eq!(r.held_bytes(), 50);
        r.clear();
        assert_eq!(r.held_bytes(), 0);
    }

    #[test]
    fn skip_consumes_what_a_peek_saw() {
        let mut r = rx(8);
        let (b, l) = pkt(b"abc");
        r.insert(1, false, RxPacket::new(b, l));
        r.insert(2, true, RxPacket::new(Vec::new(), 0));
        let mut out = [0u8; 8];
        let (peeked, _) = r.read(&mut out, true);
        assert_eq!(peeked.bytes, 3);
        // The same length consumes the data and the empty last packet.
        let (res, done) = r.skip(out.len());
        assert_eq!((res.bytes, res.end_of_data, done), (3, true, 2));
        assert!(r.all_consumed());
        assert_eq!(r.held_bytes(), 0);
    }

    #[test]
    fn second_last_is_protocol_error() {
        let mut r = rx(8);
        let (b, l) = pkt(b"a");
        r.insert(3, false, RxPacket::new(b, l));
        let (b, l) = pkt(b"a");
        assert_eq!(r.insert(2, true, RxPacket::new(b, l)), RxInsert::Protocol);
        assert_eq!(r.wants(0), RxInsert::Duplicate);
    }

    #[test]
    fn a_short_sink_consumes_only_what_it_took() {
        let mut r = rx(8);
        let (b, l) = pkt(b"abcd");
        r.insert(1, false, RxPacket::new(b, l));
        let (b, l) = pkt(b"ef");
        r.insert(2, true, RxPacket::new(b, l));
        let mut got = Vec::new();
        // Takes 3 of the first packet's 4 bytes, as a fault would.
        let (res, done) = r.read_with(
            6,
            |c| {
                let k = c.len().min(3);
                got.extend_from_slice(&c[..k]);
                k
            },
            false,
        );
        let seen = (res.bytes, res.end_of_data, res.more_pending, done);
        assert_eq!(seen, (3, false, true, 0));
        assert_eq!(got, b"abc");
        let mut out = [0u8; 8];
        let (res, done) = r.read(&mut out, false);
        assert_eq!(
            (&out[..res.bytes], res.end_of_data, done),
            (&b"def"[..], true, 2)
        );
    }

    #[test]
    fn empty_last_packet_reads_as_end() {
        let mut r = rx(8);
        r.insert(1, true, RxPacket::new(Vec::new(), 0));
        let mut out = [0u8; 4];
        let (res, done) = r.read(&mut out, false);
        assert_eq!((res.bytes, res.end_of_data, done), (0, true, 1));
    }

    #[test]
    fn the_ring_spans_what_is_held_and_is_given_back() {
        let mut r = rx(255);
        assert_eq!(r.ring_len(), 0, "nothing until a packet arrives");
        r.insert(1, false, RxPacket::new(std::vec![1], 1));
        assert_eq!(r.ring_len(), 2);
        // Out of sequence, far ahead: the ring spans it, packet 1 kept.
        r.insert(40, false, RxPacket::new(std::vec![40], 1));
        assert_eq!(r.ring_len(), 64);
        let mut sack = [9u8; 255];
        assert_eq!(r.sack_table(&mut sack), 39);
        assert_eq!((sack[0], sack[37], sack[38]), (0, 0, 1));
        for seq in 2..40 {
            assert_eq!(
                r.insert(seq, false, RxPacket::new(std::vec![seq as u8], 1)),
                RxInsert::InOrder
            );
        }
        assert_eq!(
            r.insert(255, true, RxPacket::new(std::vec![255], 1)),
            RxInsert::OutOfSequence
        );
        assert_eq!(r.ring_len(), 256);
        assert_eq!(r.wants(256), RxInsert::ExceedsWindow);
        let mut out = [0u8; 40];
        assert_eq!(r.read(&mut out, false).1, 40);
        assert_eq!(out[..3], [1, 2, 3]);
        assert_eq!(out[39], 40);
        for seq in 41..255 {
            r.insert(seq, false, RxPacket::new(std::vec![seq as u8], 1));
        }
        let mut out = [0u8; 300];
        let (res, done) = r.read(&mut out, false);
        assert_eq!((res.bytes, res.end_of_data, done), (215, true, 215));
        assert_eq!(out[214], 255);
        assert_eq!(r.ring_len(), 0, "freed with the phase read");
    }

    #[test]
    fn a_ring_that_cannot_grow_drops_the_packet() {
        let mut r = RxBuf::new(255, VecSlots::capped(4));
        assert_eq!(
            r.insert(4, false, RxPacket::new(std::vec![4], 1)),
            RxInsert::OutOfSequence
        );
        assert_eq!(
            r.insert(5, false, RxPacket::new(std::vec![5], 1)),
            RxInsert::NoMemory
        );
        assert_eq!(
            r.insert(5, true, RxPacket::new(std::vec![5], 1)),
            RxInsert::NoMemory
        );
        assert_eq!(r.top(), 4);
        for seq in 1..4 {
            r.insert(seq, false, RxPacket::new(std::vec![seq as u8], 1));
        }
        let mut out = [0u8; 2];
        r.read(&mut out, false);
        assert_eq!(
            r.insert(5, true, RxPacket::new(std::vec![5], 1)),
            RxInsert::InOrder
        );
        assert!(r.all_received());
    }
}
