//! Calls that may have something to send, to report, or a deadline to file.
//!
//! Every entry point notes the calls it touched here, so that draining
//! packets, events and timers visits those calls instead of walking all of
//! them. A call carries one bit per queue saying that it is queued, so a
//! push is one test, and the queue is a FIFO of distinct calls that grows
//! in the caller's memory. When it cannot grow, the call is left out and
//! the next drain walks every call once, so nothing is ever missed.

use core::ops::DerefMut;

use super::call::Call;
use super::calls::CallTable;
use super::env::{Env, Slots};
use super::event::CallHandle;

/// Bits of a call's [`Queued::queued`]: which queue holds it.
pub(crate) const TX: u8 = 1;
pub(crate) const EV: u8 = 2;
pub(crate) const TM: u8 = 4;

/// Slots a queue takes when it first holds a call; it doubles from there,
/// so the length stays a power of two.
const FIRST: usize = 16;

/// What the queues mark: a call, with its bits of which queue holds it.
pub(crate) trait Queued {
    /// The bits ([`TX`], [`EV`], [`TM`]) of the queues holding it.
    fn queued(&mut self) -> &mut u8;
}

impl<E: Env> Queued for Call<E> {
    fn queued(&mut self) -> &mut u8 {
        &mut self.queued
    }
}

/// Where the queues look their calls up: the endpoint's call table.
pub(crate) trait Lookup<C: ?Sized> {
    /// Call `h`, mutably.
    fn get_mut(&mut self, h: &CallHandle) -> Option<&mut C>;
    /// The call after `h` in a walk over all (the first if `None`).
    fn next_after(&mut self, h: Option<&CallHandle>) -> Option<CallHandle>;
}

impl<B: DerefMut, R: Slots<(CallHandle, B)>> Lookup<B::Target> for CallTable<B, R> {
    fn get_mut(&mut self, h: &CallHandle) -> Option<&mut B::Target> {
        CallTable::get_mut(self, h)
    }

    fn next_after(&mut self, h: Option<&CallHandle>) -> Option<CallHandle> {
        CallTable::next_after(self, h)
    }
}

/// A FIFO of distinct call handles with an overflow flag.
#[derive(Debug)]
pub(crate) struct ReadyQueue<R> {
    ring: R,
    head: u32,
    len: u32,
    /// This queue's bit in the calls' `queued`.
    bit: u8,
    overflowed: bool,
}

impl<R: Slots<CallHandle>> ReadyQueue<R> {
    /// An empty queue on `ring` (of no slots), marking calls with `bit`.
    pub(crate) fn new(ring: R, bit: u8) -> Self {
        ReadyQueue {
            ring,
            head: 0,
            len: 0,
            bit,
            overflowed: false,
        }
    }

    /// Queue call `h`, whose bits are `queued`, unless it is queued already
    /// (most pushes: a call is touched many times between drains).
    #[inline(always)]
    pub(crate) fn push(&mut self, h: CallHandle, queued: &mut u8) {
        if *queued & self.bit == 0 {
            self.append(h, queued);
        }
    }

    /// Queue call `h`, not queued yet.
    #[inline]
    fn append(&mut self, h: CallHandle, queued: &mut u8) {
        if self.len as usize >= self.ring.as_ref().len() && !self.grow() {
            self.overflowed = true;
            return;
        }
        let slots = self.ring.as_mut();
        let at = (self.head + self.len) as usize & slots.len().wrapping_sub(1);
        match slots.get_mut(at) {
            Some(slot) => {
                *slot = Some(h);
                self.len += 1;
                *queued |= self.bit;
            }
            None => self.overflowed = true,
        }
    }

    /// Queue call `h`, looked up in `calls`, unless it is queued already
    /// or gone.
    pub(crate) fn push_in<C: Queued>(&mut self, calls: &mut impl Lookup<C>, h: CallHandle) {
        if let Some(c) = calls.get_mut(&h) {
            self.push(h, c.queued());
        }
    }

    /// Double the full ring (out of line: it is rare); false if it cannot.
    #[inline(never)]
    fn grow(&mut self) -> bool {
        let old = self.ring.as_ref().len();
        if !self.ring.grow(old.saturating_mul(2).max(FIRST)) {
            return false;
        }
        // The calls before `head` (the ring was full) continue after the
        // old end.
        let slots = self.ring.as_mut();
        for i in 0..self.head as usize {
            let h = slots.get_mut(i).and_then(Option::take);
            if let Some(slot) = slots.get_mut(old + i) {
                *slot = h;
            }
        }
        true
    }

    /// The oldest queued call. The drain looks it up (a handle whose call
    /// is gone is skipped) and must [`Self::unmark`] it before it can be
    /// queued again: popping does not look it up, as the drain does.
    pub(crate) fn pop(&mut self) -> Option<CallHandle> {
        while self.len > 0 {
            let slots = self.ring.as_mut();
            let h = slots.get_mut(self.head as usize).and_then(Option::take);
            self.head = (self.head + 1) & (slots.len() as u32).wrapping_sub(1);
            self.len -= 1;
            if h.is_some() {
                return h;
            }
        }
        None
    }

    /// Note that a popped call, whose bits are `queued`, is no longer queued.
    #[inline(always)]
    pub(crate) fn unmark(&self, queued: &mut u8) {
        *queued &= !self.bit;
    }

    /// The next call for a drain to visit: the oldest queued (`true`: the
    /// drain unmarks it once it has looked it up), or after an overflow
    /// the next of one walk over every call in `calls`, whose position is
    /// `scan` (`false`: a call the walk finds may be queued still).
    #[inline(always)]
    pub(crate) fn next<C>(
        &mut self,
        scan: &mut Option<Option<CallHandle>>,
        calls: &mut impl Lookup<C>,
    ) -> Option<(CallHandle, bool)> {
        // Every drain ends on an empty queue: answered here, not in a call.
        if !self.may_have_next(scan) {
            return None;
        }
        self.next_queued(scan, calls)
    }

    /// Whether call `h` is all there is to visit: queued alone, with no
    /// walk over the calls to come.
    pub(crate) fn alone(&self, h: CallHandle, scan: &Option<Option<CallHandle>>) -> bool {
        self.len == 1
            && !self.overflowed
            && scan.is_none()
            && self.ring.as_ref().get(self.head as usize) == Some(&Some(h))
    }

    /// Whether [`Self::next`] may give a call: false if it gives none.
    #[inline(always)]
    pub(crate) fn may_have_next(&self, scan: &Option<Option<CallHandle>>) -> bool {
        self.len > 0 || self.overflowed || scan.is_some()
    }

    fn next_queued<C>(
        &mut self,
        scan: &mut Option<Option<CallHandle>>,
        calls: &mut impl Lookup<C>,
    ) -> Option<(CallHandle, bool)> {
        loop {
            if let Some(h) = self.pop() {
                return Some((h, true));
            }
            if scan.is_none() && self.take_overflow() {
                *scan = Some(None);
            }
            let cur = (*scan)?;
            match calls.next_after(cur.as_ref()) {
                Some(h) => {
                    *scan = Some(Some(h));
                    return Some((h, false));
                }
                None => *scan = None,
            }
        }
    }

    /// Whether calls were left out since the last full walk; clears the flag.
    pub(crate) fn take_overflow(&mut self) -> bool {
        core::mem::take(&mut self.overflowed)
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::super::env::test_slots::VecSlots;
    use super::*;
    use std::collections::BTreeMap;

    impl Queued for u8 {
        fn queued(&mut self) -> &mut u8 {
            self
        }
    }

    /// Calls that are nothing but their bits.
    #[derive(Default)]
    struct Calls(BTreeMap<CallHandle, u8>);

    impl Lookup<u8> for Calls {
        fn get_mut(&mut self, key: &CallHandle) -> Option<&mut u8> {
            self.0.get_mut(key)
        }
        fn next_after(&mut self, key: Option<&CallHandle>) -> Option<CallHandle> {
            let from = key.map_or(0, |k| k.0 + 1);
            self.0.range(CallHandle(from)..).next().map(|(k, _)| *k)
        }
    }

    fn calls(n: u64) -> Calls {
        Calls((0..n).map(|i| (CallHandle(i), 0)).collect())
    }

    /// Pop as a drain does: skip calls gone, unmark the others.
    fn pop(q: &mut ReadyQueue<VecSlots<CallHandle>>, calls: &mut Calls) -> Option<CallHandle> {
        while let Some(h) = q.pop() {
            if let Some(c) = calls.get_mut(&h) {
                q.unmark(c);
                return Some(h);
            }
        }
        None
    }

    fn pop_all(q: &mut ReadyQueue<VecSlots<CallHandle>>, calls: &mut Calls) -> std::vec::Vec<u64> {
        core::iter::from_fn(|| pop(q, calls).map(|h| h.0)).collect()
    }

    #[test]
    fn fifo_of_distinct_calls() {
        let (mut q, mut c) = (ReadyQueue::new(VecSlots::new(), EV), calls(8));
        for h in [3, 1, 3, 5, 1] {
            q.push_in(&mut c, CallHandle(h));
        }
        assert_eq!(c.0[&CallHandle(3)], EV);
        assert_eq!(pop(&mut q, &mut c), Some(CallHandle(3)));
        assert_eq!(c.0[&CallHandle(3)], 0);
        // Popped, it may be queued again, behind the others.
        q.push_in(&mut c, CallHandle(3));
        assert_eq!(pop_all(&mut q, &mut c), [1, 5, 3]);
        assert!(c.0.values().all(|&b| b == 0));
        assert!(!q.take_overflow());
    }

    #[test]
    fn queues_keep_their_own_bits() {
        let mut c = calls(4);
        let mut tx = ReadyQueue::new(VecSlots::new(), TX);
        let mut tm = ReadyQueue::new(VecSlots::new(), TM);
        tx.push_in(&mut c, CallHandle(2));
        tm.push_in(&mut c, CallHandle(2));
        tm.push_in(&mut c, CallHandle(1));
        assert_eq!(c.0[&CallHandle(2)], TX | TM);
        assert_eq!(pop_all(&mut tm, &mut c), [2, 1]);
        assert_eq!(c.0[&CallHandle(2)], TX);
        assert_eq!(pop_all(&mut tx, &mut c), [2]);
    }

    #[test]
    fn calls_gone_are_skipped_and_others_never_queued() {
        let (mut q, mut c) = (ReadyQueue::new(VecSlots::new(), TX), calls(4));
        for h in [0, 1, 9, 2] {
            q.push_in(&mut c, CallHandle(h));
        }
        c.0.remove(&CallHandle(1));
        assert_eq!(pop_all(&mut q, &mut c), [0, 2]);
    }

    #[test]
    fn grows_in_order_across_the_wrap() {
        let (mut q, mut c) = (ReadyQueue::new(VecSlots::new(), TX), calls(100));
        // Move the head along, so that the ring is wrapped when it grows.
        for h in 0..10 {
            q.push_in(&mut c, CallHandle(h));
        }
        assert_eq!(pop_all(&mut q, &mut c).len(), 10);
        for h in 0..100 {
            q.push_in(&mut c, CallHandle(h));
            q.push_in(&mut c, CallHandle(h / 2));
        }
        assert_eq!(
            pop_all(&mut q, &mut c),
            (0..100).collect::<std::vec::Vec<_>>()
        );
        assert!(!q.take_overflow());
    }

    #[test]
    fn a_ring_that_cannot_grow_overflows() {
        let mut q = ReadyQueue::new(VecSlots::capped(FIRST), TX);
        let mut c = calls(FIRST as u64 + 2);
        for h in 0..FIRST as u64 + 2 {
            q.push_in(&mut c, CallHandle(h));
        }
        assert!(q.take_overflow());
        assert!(!q.take_overflow());
        // Those left out are not marked, so they can be queued later.
        assert_eq!(c.0[&CallHandle(FIRST as u64)], 0);
        assert_eq!(pop(&mut q, &mut c), Some(CallHandle(0)));
        q.push_in(&mut c, CallHandle(FIRST as u64));
        assert!(!q.take_overflow());
        assert_eq!(pop_all(&mut q, &mut c).last(), Some(&(FIRST as u64)));
    }
}
