//! Client connection bundles.
//!
//! Calls with the same peer, service, security and key share up to four
//! connections (sixteen concurrent calls); an exclusive call gets a bundle
//! of its own, and an upgrade-probing bundle is separate from a plain one.
//! Calls beyond those wait in their bundle's queue, oldest first, linked
//! through the calls themselves so that queueing takes no memory.

use super::addr::TransportAddr;
use super::event::CallHandle;

/// Connections per bundle.
pub(crate) const MAX_BUNDLE_CONNS: usize = 4;

/// What calls must share to share connections.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
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

/// A bundle: the cids of its client connections, and the calls waiting
/// for a channel on them.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Bundle {
    pub(crate) conns: [Option<u32>; MAX_BUNDLE_CONNS],
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
    /// Record a new connection; false if the bundle is full.
    pub(crate) fn add(&mut self, cid: u32) -> bool {
        match self.conns.iter_mut().find(|c| c.is_none()) {
            Some(slot) => {
                *slot = Some(cid);
                true
            }
            None => false,
        }
    }

    /// Forget a connection.
    pub(crate) fn remove(&mut self, cid: u32) {
        for c in self.conns.iter_mut() {
            if *c == Some(cid) {
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
            assert!(b.add(i * 4));
        }
        assert!(!b.has_room() && !b.add(99));
        b.remove(8);
        assert!(b.has_room());
    }
}
