//! The endpoint's calls by handle, in a [`Slab`]: a lookup is an index.
//!
//! A handle carries its call's serial number above its slot. The serial
//! is never reused, so a stale handle finds no call, and handles still
//! sort in the order the calls were made (the accept queue and the calls
//! waiting for a channel are kept in handle order).

use core::ops::DerefMut;

use super::env::Slots;
use super::event::CallHandle;
use super::slab::{Slab, SLOT_BITS};

/// The calls of one endpoint, by handle: boxed calls `B` in slots `R`.
pub(crate) struct CallTable<B, R> {
    slab: Slab<(CallHandle, B), R>,
}

impl CallHandle {
    /// The call's serial number, unique within its endpoint (its debug id).
    pub fn serial(self) -> u64 {
        self.0 >> SLOT_BITS
    }

    fn slot(self) -> usize {
        (self.0 & ((1 << SLOT_BITS) - 1)) as usize
    }
}

impl<B: DerefMut, R: Slots<(CallHandle, B)>> CallTable<B, R> {
    /// An empty table on `slots` (of none).
    pub(crate) fn new(slots: R) -> Self {
        CallTable {
            slab: Slab::new(slots),
        }
    }

    /// The handle for a call of serial number `serial` in a free slot, to
    /// [`Self::insert`] it under; `None` if the slots are full.
    pub(crate) fn vacant(&mut self, serial: u64) -> Option<CallHandle> {
        let slot = self.slab.vacant()?;
        Some(CallHandle(serial << SLOT_BITS | slot as u64))
    }

    /// File `call` under `h`, from [`Self::vacant`]; handed back if the
    /// slot was taken since.
    pub(crate) fn insert(&mut self, h: CallHandle, call: B) -> Result<(), B> {
        self.slab.put(h.slot(), (h, call)).map_err(|(_, call)| call)
    }

    /// Call `h`.
    pub(crate) fn get(&self, h: &CallHandle) -> Option<&B::Target> {
        let (at, call) = self.slab.get(h.slot())?;
        (at == h).then(|| &**call)
    }

    /// Call `h`, mutably.
    pub(crate) fn get_mut(&mut self, h: &CallHandle) -> Option<&mut B::Target> {
        let (at, call) = self.slab.get_mut(h.slot())?;
        (at == h).then(|| &mut **call)
    }

    /// Take call `h` out, still boxed.
    pub(crate) fn remove(&mut self, h: &CallHandle) -> Option<B> {
        self.get(h)?;
        self.slab.take(h.slot()).map(|(_, call)| call)
    }

    /// The call in the first slot after `h`'s (the first if `None`): a
    /// walk in slot order, which visits every call present throughout.
    pub(crate) fn next_after(&self, h: Option<&CallHandle>) -> Option<CallHandle> {
        let from = h.map_or(0, |h| h.slot() + 1);
        self.slab.first_from(from).map(|(_, (h, _))| *h)
    }

    /// Calls held.
    pub(crate) fn len(&self) -> usize {
        self.slab.len()
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::super::env::test_slots::VecSlots;
    use super::*;
    use std::boxed::Box;

    type Table = CallTable<Box<u32>, VecSlots<(CallHandle, Box<u32>)>>;

    fn add(t: &mut Table, serial: u64, v: u32) -> CallHandle {
        let h = t.vacant(serial).unwrap();
        t.insert(h, Box::new(v)).unwrap();
        h
    }

    #[test]
    fn handles_find_their_own_call_only() {
        let mut t = Table::new(VecSlots::new());
        let a = add(&mut t, 1, 10);
        let b = add(&mut t, 2, 20);
        assert!(a < b);
        assert_eq!((a.serial(), b.serial()), (1, 2));
        assert_eq!(t.remove(&a).map(|b| *b), Some(10));
        // Its slot is taken again under a later serial: the old handle is stale.
        let mut serial = 3;
        let c = loop {
            let h = add(&mut t, serial, 30);
            serial += 1;
            if h.slot() == a.slot() {
                break h;
            }
        };
        assert_eq!(t.get(&a), None);
        assert!(t.remove(&a).is_none());
        assert!(t.insert(a, Box::new(99)).is_err());
        assert_eq!(t.get(&c), Some(&30));
        assert_eq!(t.get(&b), Some(&20));
    }

    #[test]
    fn walks_every_call_once() {
        let mut t = Table::new(VecSlots::new());
        let mut live = std::vec::Vec::new();
        for serial in 1..=1000u64 {
            live.push(add(&mut t, serial, serial as u32));
            if serial % 3 == 0 {
                let gone = live.remove(live.len() / 2);
                assert!(t.remove(&gone).is_some());
            }
        }
        let mut seen = std::vec::Vec::new();
        let mut cur = None;
        while let Some(h) = t.next_after(cur.as_ref()) {
            cur = Some(h);
            seen.push(h);
        }
        seen.sort();
        live.sort();
        assert_eq!(seen, live);
        assert_eq!(t.len(), live.len());
    }
}
