//! Client connection bundles.
//!
//! Calls with the same peer, service, security and key share up to four
//! connections (sixteen concurrent calls); an exclusive call gets a bundle
//! of its own, and an upgrade-probing bundle is separate from a plain one.

use super::addr::TransportAddr;

/// Connections per bundle.
pub(crate) const MAX_BUNDLE_CONNS: usize = 4;

/// What calls must share to share connections.
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

/// Field by field, as derived, but inline and with the small fields as
/// one word: calls waiting for a channel are kept by bundle, and each step
/// of a search among them compares whole keys, mostly equal ones.
impl Ord for BundleKey {
    #[inline]
    fn cmp(&self, other: &Self) -> core::cmp::Ordering {
        let small = |k: &Self| {
            (u64::from(k.service_id) << 40)
                | (u64::from(k.security_index) << 32)
                | u64::from(k.level)
        };
        self.peer
            .cmp(&other.peer)
            .then_with(|| small(self).cmp(&small(other)))
            .then_with(|| self.key.cmp(&other.key))
            .then_with(|| self.exclusive.cmp(&other.exclusive))
            .then_with(|| self.upgrade.cmp(&other.upgrade))
    }
}

impl PartialOrd for BundleKey {
    fn partial_cmp(&self, other: &Self) -> Option<core::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// A bundle: the cids of its client connections.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Bundle {
    pub(crate) conns: [Option<u32>; MAX_BUNDLE_CONNS],
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

    #[test]
    fn key_order_is_field_by_field() {
        let base = BundleKey {
            peer: TransportAddr::V4([10, 0, 0, 1], 7000),
            service_id: 100,
            security_index: 2,
            level: 1,
            key: 5,
            exclusive: 0,
            upgrade: false,
        };
        let keys = [
            base,
            BundleKey {
                peer: TransportAddr::V4([10, 0, 0, 1], 6999),
                ..base
            },
            BundleKey {
                peer: TransportAddr::V6([0; 16], 1),
                ..base
            },
            BundleKey {
                service_id: 99,
                level: 9,
                ..base
            },
            BundleKey {
                security_index: 0,
                level: u32::MAX,
                ..base
            },
            BundleKey { level: 0, ..base },
            BundleKey {
                key: 4,
                exclusive: 9,
                ..base
            },
            BundleKey {
                exclusive: 1,
                upgrade: false,
                ..base
            },
            BundleKey {
                upgrade: true,
                ..base
            },
        ];
        let fields = |k: &BundleKey| {
            (
                k.peer,
                k.service_id,
                k.security_index,
                k.level,
                k.key,
                k.exclusive,
                k.upgrade,
            )
        };
        for a in &keys {
            for b in &keys {
                assert_eq!(a.cmp(b), fields(a).cmp(&fields(b)));
            }
        }
    }
}
