//! Client connection bundles.
//!
//! Calls with the same peer, service, security and key share up to four
//! connections (sixteen concurrent calls); an exclusive call gets a bundle
//! of its own, and an upgrade-probing bundle is separate from a plain one.
//! Calls beyond those wait in their bundle's queue, oldest first, linked
//! through the calls themselves so that queueing takes no memory.

use core::num::NonZeroU32;

use super::addr::TransportAddr;
use super::conn::ConnKey;
use super::event::CallHandle;

/// Connections per bundle.
pub(crate) const MAX_BUNDLE_CONNS: usize = 4;

/// What calls must share to share connections. Ordered by the words that
/// tell bundles apart soonest (see the `Ord` impl).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct BundleKey {
    pub(crate) peer: TransportAddr,
    pub(crate) service_id: u16,
    pub(crate) security_index: u8,
    pub(crate) level: u32,
    /// The caller's key tag.
    pub(crate) key: u64,
    /// Non-zero for an exclusive call: its handle.
    pub(crate) exclusive: u64,
    pub(crate) upgrade: bool,
}

impl PartialOrd for BundleKey {
    fn partial_cmp(&self, other: &Self) -> Option<core::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// The exclusive call's handle and the key tag first, the address last: a
/// socket's exclusive calls each have a bundle to the same peer, and a
/// search among a thousand of them then compares a word per step rather
/// than the whole address.
impl Ord for BundleKey {
    #[inline]
    fn cmp(&self, other: &Self) -> core::cmp::Ordering {
        self.exclusive
            .cmp(&other.exclusive)
            .then(self.key.cmp(&other.key))
            .then(self.service_id.cmp(&other.service_id))
            .then(self.security_index.cmp(&other.security_index))
            .then(self.level.cmp(&other.level))
            .then(self.upgrade.cmp(&other.upgrade))
            .then_with(|| self.peer.cmp(&other.peer))
    }
}

/// A bundle: the cids of its client connections, and the calls waiting
/// for a channel on them.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Bundle {
    /// The cids of its connections (never 0: a client cid is an id of at
    /// least 1 shifted left by 2), so that a bundle and its key fit a
    /// 128-byte tree node.
    pub(crate) conns: [Option<NonZeroU32>; MAX_BUNDLE_CONNS],
    /// Each connection's slot in the connection table, so that a call
    /// looking for a free channel finds them without a search.
    pub(crate) slots: [u32; MAX_BUNDLE_CONNS],
    /// The oldest and the newest waiting call.
    pub(crate) waiting: Option<(CallHandle, CallHandle)>,
}

/// A waiting call's neighbours in its bundle's queue.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct WaitLink {
    pub(crate) prev: Option<CallHandle>,
    pub(crate) next: Option<CallHandle>,
}

impl Bundle {
    /// Record a new connection and its slot; false if the bundle is full.
    pub(crate) fn add(&mut self, cid: u32, slot: u32) -> bool {
        let free = self
            .conns
            .iter_mut()
            .zip(self.slots.iter_mut())
            .find(|(c, _)| c.is_none());
        match (free, NonZeroU32::new(cid)) {
            (Some((c, s)), Some(cid)) => {
                *c = Some(cid);
                *s = slot;
                true
            }
            _ => false,
        }
    }

    /// The keys of its connections, slots included, given the bundle's
    /// peer and our epoch.
    pub(crate) fn keys(
        &self,
        peer: TransportAddr,
        epoch: u32,
    ) -> impl Iterator<Item = ConnKey> + '_ {
        self.conns
            .iter()
            .zip(self.slots)
            .filter_map(move |(cid, slot)| {
                let mut key = ConnKey::new(peer, true, epoch, (*cid)?.get());
                key.slot = slot;
                Some(key)
            })
    }

    /// Forget a connection.
    pub(crate) fn remove(&mut self, cid: u32) {
        for c in self.conns.iter_mut() {
            if c.map(NonZeroU32::get) == Some(cid) {
                *c = None;
            }
        }
    }

    /// Whether the bundle has no connections.
    pub(crate) fn is_empty(&self) -> bool {
        self.conns.iter().all(|c| c.is_none())
    }

    /// Whether another connection may be added.
    pub(crate) fn has_room(&self) -> bool {
        self.conns.iter().any(|c| c.is_none())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn four_conns_max() {
        let mut b = Bundle::default();
        assert!(b.is_empty());
        for i in 0..4 {
            assert!(b.add((i + 1) * 4, i));
        }
        assert!(!b.has_room() && !b.add(99, 9));
        assert!(!Bundle::default().add(0, 0), "no cid is 0");
        b.remove(8);
        assert!(b.has_room());
    }

    #[test]
    fn a_bundle_and_its_key_fit_a_128_byte_tree_node() {
        // The kernel's map keeps an `Option` of the value after a 24-byte
        // `rb_node`: one past 128 bytes is a kmalloc of 192 per bundle.
        let size = core::mem::size_of::<BundleKey>() + core::mem::size_of::<Option<Bundle>>();
        assert!(24 + size <= 128, "{size}");
    }
}
