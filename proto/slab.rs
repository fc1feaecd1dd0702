//! Values in numbered slots, so that finding one is an index: the
//! endpoint's calls and connections, which a tree would find by a descent
//! each, dozens of times per call. The slots hold boxes in the caller's
//! memory, so they stay small and growing them moves pointers.

use core::marker::PhantomData;

use super::env::Slots;

/// Bits of a slot number: the most values a slab holds at once is 2^20.
pub(crate) const SLOT_BITS: u32 = 20;
const MAX_SLOTS: usize = 1 << SLOT_BITS;
/// Slots taken when the first value comes; it doubles from there.
const FIRST: usize = 16;

/// Values `T` in the slots `R`, at most half of them full.
pub(crate) struct Slab<T, R> {
    slots: R,
    len: usize,
    /// Where the search for a free slot starts: after the last one taken.
    hint: usize,
    values: PhantomData<T>,
}

impl<T, R: Slots<T>> Slab<T, R> {
    /// An empty slab on `slots` (of none).
    pub(crate) fn new(slots: R) -> Self {
        Slab {
            slots,
            len: 0,
            hint: 0,
            values: PhantomData,
        }
    }

    /// A free slot for [`Self::put`]; `None` if all are full and cannot
    /// grow. Kept at most half full, the search is short.
    pub(crate) fn vacant(&mut self) -> Option<usize> {
        let cap = self.slots.as_ref().len();
        if self.len >= cap / 2 && cap < MAX_SLOTS {
            // Best effort while a slot is free.
            let grown = self.slots.grow((cap * 2).clamp(FIRST, MAX_SLOTS));
            if !grown && self.len == cap {
                return None;
            }
        }
        let slots = self.slots.as_ref();
        let hint = self.hint.min(slots.len());
        let free = (hint..slots.len())
            .chain(0..hint)
            .find(|&i| slots.get(i).is_some_and(Option::is_none))?;
        self.hint = free + 1;
        Some(free)
    }

    /// Put `value` in free slot `i` (from [`Self::vacant`]); handed back
    /// if the slot is taken.
    pub(crate) fn put(&mut self, i: usize, value: T) -> Result<(), T> {
        match self.slots.as_mut().get_mut(i) {
            Some(slot) if slot.is_none() => {
                *slot = Some(value);
                self.len += 1;
                Ok(())
            }
            _ => Err(value),
        }
    }

    /// The value in slot `i`.
    pub(crate) fn get(&self, i: usize) -> Option<&T> {
        self.slots.as_ref().get(i)?.as_ref()
    }

    /// The value in slot `i`, mutably.
    pub(crate) fn get_mut(&mut self, i: usize) -> Option<&mut T> {
        self.slots.as_mut().get_mut(i)?.as_mut()
    }

    /// Take the value out of slot `i`.
    pub(crate) fn take(&mut self, i: usize) -> Option<T> {
        let value = self.slots.as_mut().get_mut(i)?.take()?;
        self.len -= 1;
        Some(value)
    }

    /// The first full slot from `i` on, and its value: a walk in slot
    /// order visits every value present throughout.
    pub(crate) fn first_from(&self, i: usize) -> Option<(usize, &T)> {
        let slots = self.slots.as_ref().get(i..)?;
        slots
            .iter()
            .enumerate()
            .find_map(|(j, v)| Some((i + j, v.as_ref()?)))
    }

    /// Values held.
    pub(crate) fn len(&self) -> usize {
        self.len
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::super::env::test_slots::VecSlots;
    use super::*;

    fn add(s: &mut Slab<u32, VecSlots<u32>>, v: u32) -> usize {
        let i = s.vacant().unwrap();
        s.put(i, v).unwrap();
        i
    }

    #[test]
    fn walks_every_value_once_and_stays_half_full() {
        let mut s = Slab::new(VecSlots::new());
        let mut live = std::vec::Vec::new();
        for v in 1..=1000u32 {
            live.push(add(&mut s, v));
            if v % 3 == 0 {
                let gone = live.remove(live.len() / 2);
                assert!(s.take(gone).is_some());
            }
            assert!(s.len() <= s.slots.as_ref().len() / 2 + 1);
        }
        assert_eq!(s.put(live[0], 0), Err(0));
        let mut seen = std::vec::Vec::new();
        let mut i = 0;
        while let Some((at, _)) = s.first_from(i) {
            seen.push(at);
            i = at + 1;
        }
        seen.sort();
        live.sort();
        assert_eq!(seen, live);
        assert_eq!(s.len(), live.len());
    }

    #[test]
    fn full_slots_that_cannot_grow_give_none() {
        let mut s = Slab::new(VecSlots::capped(FIRST));
        for v in 0..FIRST as u32 {
            add(&mut s, v);
        }
        assert_eq!(s.vacant(), None);
        assert_eq!(s.take(3), Some(3));
        assert_eq!(s.vacant(), Some(3));
    }
}
