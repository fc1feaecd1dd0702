//! Spare Tx buffers: those of hard-ACKed DATA, kept for the next DATA a
//! caller writes, so that a bulk sender does not allocate (and the caller
//! clear) a buffer per packet. What lies in a spare past what is written
//! is never sent: a packet goes out up to its length, and security pads
//! with zeros of its own. An endpoint with no calls left keeps a few.

use super::env::Slots;

/// Most buffers kept (180 KB of 1,412-byte ones), half the largest window:
/// a bulk sender's ACKs free that many at a time, and with 32 the writer
/// refilling the window found too few (24.9 MB/s on loopback against
/// 26.6, and 26.9 with 256).
const MOST: usize = 128;

/// Slots the stack first takes; it doubles up to [`MOST`].
const FIRST: usize = 8;

/// Most buffers kept while the endpoint has no calls: enough for small
/// calls one after another, which a pool emptied (and its ring freed)
/// after each made slower than no pool at all.
const IDLE: usize = 8;

/// A stack of spare buffers on a ring of the caller's.
#[derive(Debug)]
pub(crate) struct BufPool<R> {
    ring: R,
    len: usize,
}

impl<R> BufPool<R> {
    /// An empty pool on `ring` (of no slots).
    pub(crate) fn new(ring: R) -> Self {
        BufPool { ring, len: 0 }
    }

    /// The latest spare, if it is exactly `len` bytes (a caller writes
    /// packets of one size, so the top one fits or none does).
    pub(crate) fn take<B: AsRef<[u8]>>(&mut self, len: usize) -> Option<B>
    where
        R: Slots<B>,
    {
        let top = self.len.checked_sub(1)?;
        let slot = self.ring.as_mut().get_mut(top)?;
        if slot.as_ref()?.as_ref().len() != len {
            return None;
        }
        self.len = top;
        slot.take()
    }

    /// The endpoint has no calls left: keep [`IDLE`] spares at most.
    pub(crate) fn idle<B>(&mut self)
    where
        R: Slots<B>,
    {
        while self.len > IDLE {
            self.len -= 1;
            if let Some(slot) = self.ring.as_mut().get_mut(self.len) {
                *slot = None;
            }
        }
    }

    /// Keep `buf` if there is room; it is dropped if not.
    pub(crate) fn put<B>(&mut self, buf: B)
    where
        R: Slots<B>,
    {
        if self.len >= MOST {
            return;
        }
        if self.len >= self.ring.as_ref().len()
            && !self.ring.grow((self.len * 2).clamp(FIRST, MOST))
        {
            return;
        }
        if let Some(slot) = self.ring.as_mut().get_mut(self.len) {
            *slot = Some(buf);
            self.len += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::super::env::test_slots::VecSlots;
    use super::*;
    use std::vec;
    use std::vec::Vec;

    #[test]
    fn takes_back_the_latest_of_the_size_asked() {
        let mut p = BufPool::new(VecSlots::new());
        assert_eq!(p.take::<Vec<u8>>(4), None);
        p.put(vec![1u8; 4]);
        p.put(vec![2u8; 8]);
        assert_eq!(p.take::<Vec<u8>>(4), None);
        assert_eq!(p.take::<Vec<u8>>(8), Some(vec![2u8; 8]));
        assert_eq!(p.take::<Vec<u8>>(4), Some(vec![1u8; 4]));
        assert_eq!(p.take::<Vec<u8>>(4), None);
    }

    #[test]
    fn keeps_at_most_most() {
        let mut p = BufPool::new(VecSlots::new());
        for i in 0..MOST + 5 {
            p.put(vec![i as u8; 2]);
        }
        let mut n = 0;
        while let Some(b) = p.take::<Vec<u8>>(2) {
            assert_eq!(b[0] as usize, MOST - 1 - n);
            n += 1;
        }
        assert_eq!(n, MOST);
    }

    #[test]
    fn an_idle_pool_keeps_a_few() {
        let mut p = BufPool::new(VecSlots::new());
        for i in 0..20u8 {
            p.put(vec![i; 4]);
        }
        p.idle::<Vec<u8>>();
        assert_eq!(p.ring.v.iter().flatten().count(), IDLE);
        assert_eq!(p.take::<Vec<u8>>(4), Some(vec![IDLE as u8 - 1; 4]));
    }
}
