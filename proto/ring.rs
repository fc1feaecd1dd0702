//! A call's ring of packets, indexed by sequence number, that grows with
//! what the call holds.
//!
//! A Tx or Rx queue holds the packets after a base sequence (the hard-ACK
//! point, or the last packet read). The ring starts empty, costing nothing
//! until the call has a packet to hold; it then takes a power-of-two
//! number of slots and doubles (re-slotting what it holds) whenever a
//! packet falls beyond them, up to [`MAX`] slots. A queue whose ring cannot
//! grow for lack of memory treats the packet as beyond its window. Packet
//! `seq` lives in slot `seq % len`.

use super::env::Slots;

/// Most slots a ring grows to: a window of up to `MAX - 1` packets.
pub(crate) const MAX: usize = 256;
/// Fewest slots a ring takes when it first holds a packet.
const FIRST: usize = 2;
/// Most slots of a ring that a queue done with it keeps, emptied, for the
/// endpoint to hand to a new call (see [`recycle`]): what a small call's
/// queue takes, so that the next small call costs no allocation for it.
const KEEP: usize = FIRST;

/// Slot of packet `seq` in a ring of `len` slots holding packets
/// `base + 1 ..= base + len`; `None` for a packet outside them.
#[inline(always)]
pub(crate) fn index(len: usize, base: u32, seq: u32) -> Option<usize> {
    let k = seq.wrapping_sub(base).wrapping_sub(1) as usize;
    if k < len {
        Some(seq as usize & (len - 1))
    } else {
        None
    }
}

/// Slot of packet `seq` in a ring of `len` slots, unchecked: for a queue
/// that looks up only the packets it holds, which lie within `len` of each
/// other (with no slots, an index past the end).
#[inline(always)]
pub(crate) fn slot(len: usize, seq: u32) -> usize {
    seq as usize & len.wrapping_sub(1)
}

/// Make room in `ring`, which holds packets after `base`, for packets
/// `base + 1 ..= base + need`: grow it to a power of two of at least
/// `need` slots (at most [`MAX`]) and move each packet held to its slot in
/// the larger ring. Returns false, changing nothing, if `need` exceeds
/// [`MAX`] or memory is short.
#[inline(always)]
pub(crate) fn reserve<T, V: Slots<T>>(ring: &mut V, base: u32, need: u32) -> bool {
    need as usize <= ring.as_ref().len() || grow(ring, base, need as usize)
}

/// A queue is done with `ring`: a ring of up to [`KEEP`] slots is
/// emptied and kept for [`recycle`], a larger one freed.
pub(crate) fn release<T, V: Slots<T>>(ring: &mut V) {
    if ring.as_ref().len() > KEEP {
        ring.free();
    } else {
        ring.as_mut().fill_with(|| None);
    }
}

/// `ring`, emptied, for a new call's queue, and `empty` in its place; or
/// `empty` itself if `ring` has no slots or more than [`KEEP`].
pub(crate) fn recycle<T, V: Slots<T>>(ring: &mut V, empty: V) -> V {
    let len = ring.as_ref().len();
    if len == 0 || len > KEEP {
        return empty;
    }
    ring.as_mut().fill_with(|| None);
    core::mem::replace(ring, empty)
}

/// [`reserve`] for a ring too small: once per doubling, so out of line.
#[cold]
#[inline(never)]
fn grow<T, V: Slots<T>>(ring: &mut V, base: u32, need: usize) -> bool {
    let len = ring.as_ref().len();
    if need > MAX {
        return false;
    }
    let new = need.next_power_of_two().clamp(FIRST, MAX);
    if !ring.grow(new) {
        return false;
    }
    // A packet's slot in the larger ring is its old one plus a multiple
    // of the old length: a slot past the old ones, empty until then, and
    // one per packet, as those held lie within `len` of each other.
    let slots = ring.as_mut();
    for k in 1..=len as u32 {
        let seq = base.wrapping_add(k);
        let (from, to) = (seq as usize & (len - 1), seq as usize & (new - 1));
        if from != to {
            slots.swap(from, to);
        }
    }
    true
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::super::env::test_slots::VecSlots;
    use super::*;
    use std::vec::Vec;

    fn held(ring: &VecSlots<u32>, base: u32) -> Vec<u32> {
        let len = ring.v.len();
        (1..=len as u32)
            .map(|k| base.wrapping_add(k))
            .filter(|&s| index(len, base, s).and_then(|i| ring.v[i]) == Some(s))
            .collect()
    }

    #[test]
    fn grows_by_powers_of_two_and_keeps_what_it_holds() {
        let mut r = VecSlots::new();
        assert_eq!(index(0, 0, 1), None);
        let base = u32::MAX - 2;
        assert!(reserve(&mut r, base, 1));
        assert_eq!(r.v.len(), FIRST);
        for seq in [base.wrapping_add(1), base.wrapping_add(2)] {
            let i = index(r.v.len(), base, seq).unwrap();
            r.v[i] = Some(seq);
        }
        // A packet beyond the ring's slots has none.
        assert_eq!(index(r.v.len(), base, base.wrapping_add(3)), None);
        assert!(reserve(&mut r, base, 7));
        assert_eq!(r.v.len(), 8);
        assert_eq!(held(&r, base), [base.wrapping_add(1), base.wrapping_add(2)]);
        for k in 3..=8 {
            let seq = base.wrapping_add(k);
            let i = index(8, base, seq).unwrap();
            assert_eq!(r.v[i], None);
            r.v[i] = Some(seq);
        }
        // Across the wrap of the sequence space, each packet to its slot.
        assert!(reserve(&mut r, base, 9));
        assert_eq!(r.v.len(), 16);
        let all: Vec<u32> = (1..=8).map(|k| base.wrapping_add(k)).collect();
        assert_eq!(held(&r, base), all);
        assert!(reserve(&mut r, base, MAX as u32));
        assert_eq!(r.v.len(), MAX);
        assert_eq!(held(&r, base), all);
        assert!(!reserve(&mut r, base, MAX as u32 + 1));
    }

    #[test]
    fn a_small_ring_is_kept_emptied_for_another_queue() {
        let mut r = VecSlots::new();
        assert!(reserve(&mut r, 0, 1));
        r.v[index(2, 0, 1).unwrap()] = Some(1);
        release(&mut r);
        assert_eq!(r.v, [None, None]);
        let taken = recycle(&mut r, VecSlots::new());
        assert_eq!((taken.v.len(), r.v.len()), (2, 0));
        // A larger one is freed, and not handed on.
        let mut big = VecSlots::<u32>::new();
        assert!(reserve(&mut big, 0, 5));
        assert!(recycle(&mut big, VecSlots::new()).v.is_empty());
        release(&mut big);
        assert!(big.v.is_empty());
    }

    #[test]
    fn a_failed_growth_changes_nothing() {
        let mut r = VecSlots::capped(4);
        assert!(reserve(&mut r, 10, 3));
        r.v[index(4, 10, 11).unwrap()] = Some(11);
        assert!(!reserve(&mut r, 10, 5));
        assert_eq!(r.v.len(), 4);
        assert_eq!(held(&r, 10), [11]);
    }
}
