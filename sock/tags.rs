//! The calls of an endpoint's sockets by tag: a slab whose tag names a
//! slot and that slot's generation, so that finding a call from an event
//! or a notice costs the same beside a thousand calls as beside one.

use kernel::prelude::*;

use super::endpoint::Tag;

/// One slot: a call's tag, or a link in the free list.
struct Slot {
    /// Bumped each time the slot is emptied, so that an old tag names
    /// nothing once its call is gone.
    gen: u32,
    tag: Option<Tag>,
    /// The next free slot, while this one is free.
    next_free: Option<u32>,
}

/// Slots kept once every call is gone; beyond these the slab is freed.
const KEEP: usize = 64;

/// Calls by tag.
pub(crate) struct Tags {
    slots: KVec<Slot>,
    free: Option<u32>,
    /// Slots in use.
    len: usize,
    /// The generation a new slot starts at: above every generation of
    /// the slots freed with the slab, so that no old tag names a new
    /// call.
    floor: u32,
}

/// The tag of slot `index` at generation `gen`.
fn tag_of(index: u32, gen: u32) -> u64 {
    (u64::from(gen) << 32) | u64::from(index)
}

impl Tags {
    pub(crate) fn new() -> Self {
        Tags {
            slots: KVec::new(),
            free: None,
            len: 0,
            floor: 1,
        }
    }

    /// Makes sure that a slot is free.
    fn reserve(&mut self) -> Result {
        if self.free.is_some() {
            return Ok(());
        }
        let index = u32::try_from(self.slots.len()).map_err(|_| ENOMEM)?;
        self.slots.push(
            Slot {
                gen: self.floor,
                tag: None,
                next_free: None,
            },
            GFP_KERNEL,
        )?;
        self.free = Some(index);
        Ok(())
    }

    /// Files `t` in a free slot (a new one if none is); its tag.
    pub(crate) fn insert(&mut self, t: Tag) -> Result<u64> {
        self.reserve()?;
        let index = self.free.ok_or(ENOMEM)?;
        let slot = self.slots.get_mut(index as usize).ok_or(ENOMEM)?;
        self.free = slot.next_free.take();
        slot.tag = Some(t);
        self.len += 1;
        Ok(tag_of(index, slot.gen))
    }

    /// The slot `tag` names, if it still holds that generation.
    fn slot(&self, tag: u64) -> Option<&Slot> {
        let slot = self.slots.get(tag as u32 as usize)?;
        (u64::from(slot.gen) == tag >> 32).then_some(slot)
    }

    fn slot_mut(&mut self, tag: u64) -> Option<&mut Slot> {
        let slot = self.slots.get_mut(tag as u32 as usize)?;
        (u64::from(slot.gen) == tag >> 32).then_some(slot)
    }

    pub(crate) fn get(&self, tag: &u64) -> Option<&Tag> {
        self.slot(*tag)?.tag.as_ref()
    }

    pub(crate) fn get_mut(&mut self, tag: &u64) -> Option<&mut Tag> {
        self.slot_mut(*tag)?.tag.as_mut()
    }

    /// Takes the call out of its slot, which a later call reuses under a
    /// new generation.
    pub(crate) fn remove(&mut self, tag: &u64) -> Option<Tag> {
        let free = self.free;
        let slot = self.slot_mut(*tag)?;
        let t = slot.tag.take()?;
        // Generation 0 is never handed out, so no tag is 0. A tag comes
        // back only after 2^32 calls in one slot.
        slot.gen = slot.gen.checked_add(1).unwrap_or(1);
        slot.next_free = free;
        self.free = Some(*tag as u32);
        self.len = self.len.saturating_sub(1);
        if self.len == 0 && self.slots.len() > KEEP {
            // As many slots as calls were open at once are not kept for
            // the life of the endpoint.
            let top = self.slots.iter().map(|s| s.gen).max().unwrap_or(0);
            self.floor = top.checked_add(1).unwrap_or(1);
            self.slots = KVec::new();
            self.free = None;
        }
        Some(t)
    }
}
