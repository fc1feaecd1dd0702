//! The endpoint's connections, in a [`Slab`] and indexed by key.
//!
//! A key handed out by the table (the one a call, a bundle's walk or a
//! timer holds) carries its connection's slot, and finds it by index; a
//! key made from a packet's header searches the index, once per packet:
//! the connection's own key serves from there.

use core::ops::DerefMut;

use super::addr::TransportAddr;
use super::conn::{Conn, ConnKey, NO_SLOT};
use super::env::{Map, Slots};
use super::slab::Slab;

/// What the index files a connection under: its key less the slot (which
/// the index holds as the value), in the key's order. Four bytes fewer
/// make an index node, with its 24-byte `rb_node` and the slot, 64
/// bytes: a kmalloc of 64 per connection where `ConnKey` took one of 96.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct IndexKey {
    cid: u32,
    epoch: u32,
    client: bool,
    peer: TransportAddr,
}

impl From<&ConnKey> for IndexKey {
    #[inline]
    fn from(k: &ConnKey) -> Self {
        IndexKey {
            cid: k.cid,
            epoch: k.epoch,
            client: k.client,
            peer: k.peer,
        }
    }
}

/// Boxed connections `B` in slots `R`, indexed by `M`.
pub(crate) struct ConnTable<B, R, M> {
    slab: Slab<B, R>,
    index: M,
    /// The slot [`ConnTable::find`] found last: a packet is most likely
    /// for the connection of the one before, which then takes no search.
    last: u32,
}

impl<C, B, R, M> ConnTable<B, R, M>
where
    B: DerefMut<Target = Conn<C>>,
    R: Slots<B>,
    M: Map<IndexKey, u32>,
{
    /// An empty table on `slots` (of none) and `index` (empty).
    pub(crate) fn new(slots: R, index: M) -> Self {
        ConnTable {
            slab: Slab::new(slots),
            index,
            last: NO_SLOT,
        }
    }

    /// The slot of the connection `key` names: its own, if it still holds
    /// that connection, else the index's.
    fn slot(&self, key: &ConnKey) -> Option<usize> {
        let own = key.slot as usize;
        if self.slab.get(own).is_some_and(|c| c.key == *key) {
            return Some(own);
        }
        self.index.get(&key.into()).map(|&slot| slot as usize)
    }

    /// File `conn` under its key, which must be new; its key, with the
    /// slot, or the connection handed back if memory is short.
    pub(crate) fn insert(&mut self, mut conn: B) -> Result<ConnKey, B> {
        if self.slot(&conn.key).is_some() {
            return Err(conn);
        }
        let Some(slot) = self.slab.vacant() else {
            return Err(conn);
        };
        conn.key.slot = slot as u32;
        let key = conn.key;
        if self.index.insert((&key).into(), key.slot).is_err() {
            return Err(conn);
        }
        match self.slab.put(slot, conn) {
            Ok(()) => Ok(key),
            Err(conn) => {
                self.index.remove(&(&key).into());
                Err(conn)
            }
        }
    }

    /// Connection `key`.
    pub(crate) fn get(&self, key: &ConnKey) -> Option<&Conn<C>> {
        self.slab.get(self.slot(key)?).map(|c| &**c)
    }

    /// Connection `key`, made from a packet's header: as [`Self::get`],
    /// the connection found first looked for where the last one was.
    pub(crate) fn find(&mut self, key: &ConnKey) -> Option<&Conn<C>> {
        let last = self.last as usize;
        let slot = if self.slab.get(last).is_some_and(|c| c.key == *key) {
            last
        } else {
            let slot = self.slot(key)?;
            self.last = slot as u32;
            slot
        };
        self.slab.get(slot).map(|c| &**c)
    }

    /// Connection `key`, mutably.
    pub(crate) fn get_mut(&mut self, key: &ConnKey) -> Option<&mut Conn<C>> {
        let slot = self.slot(key)?;
        self.slab.get_mut(slot).map(|c| &mut **c)
    }

    /// Take connection `key` out, still boxed.
    pub(crate) fn remove(&mut self, key: &ConnKey) -> Option<B> {
        let slot = self.slot(key)?;
        self.index.remove(&key.into());
        self.slab.take(slot)
    }

    /// The key of the connection in the first slot after that of `key`,
    /// one this table handed out (the first if `None`): a walk in slot
    /// order, which visits every connection present throughout.
    pub(crate) fn next_after(&self, key: Option<&ConnKey>) -> Option<ConnKey> {
        let from = match key {
            None => 0,
            Some(k) if k.slot == NO_SLOT => return None,
            Some(k) => k.slot as usize + 1,
        };
        self.slab.first_from(from).map(|(_, c)| c.key)
    }

    /// Connections held.
    pub(crate) fn len(&self) -> usize {
        self.slab.len()
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::super::addr::TransportAddr;
    use super::super::env::test_slots::VecSlots;
    use super::*;
    use std::boxed::Box;
    use std::collections::BTreeMap;

    /// An index on a `BTreeMap`.
    #[derive(Default)]
    struct Index(BTreeMap<IndexKey, u32>);

    impl Map<IndexKey, u32> for Index {
        fn insert(&mut self, key: IndexKey, value: u32) -> Result<(), u32> {
            self.0.insert(key, value);
            Ok(())
        }
        fn get(&self, key: &IndexKey) -> Option<&u32> {
            self.0.get(key)
        }
        fn get_mut(&mut self, key: &IndexKey) -> Option<&mut u32> {
            self.0.get_mut(key)
        }
        fn remove(&mut self, key: &IndexKey) -> Option<u32> {
            self.0.remove(key)
        }
        fn next_after(&mut self, _: Option<&IndexKey>) -> Option<IndexKey> {
            unreachable!("the table walks its slots")
        }
        fn len(&self) -> usize {
            self.0.len()
        }
    }

    type Table = ConnTable<Box<Conn<()>>, VecSlots<Box<Conn<()>>>, Index>;

    fn key(cid: u32) -> ConnKey {
        ConnKey::new(TransportAddr::V4([10, 0, 0, 1], 7000), true, 1, cid)
    }

    fn add(t: &mut Table, cid: u32) -> ConnKey {
        t.insert(Box::new(Conn::new(key(cid), 1, 0, ())))
            .ok()
            .unwrap()
    }

    #[test]
    fn keys_from_the_table_and_from_headers_find_the_same_conn() {
        let mut t = Table::new(VecSlots::new(), Index::default());
        let a = add(&mut t, 4);
        let b = add(&mut t, 8);
        assert!(a.slot != NO_SLOT && a.slot != b.slot);
        // As from a packet: no slot, found through the index.
        assert_eq!(t.get(&key(8)).map(|c| c.key.slot), Some(b.slot));
        assert!(t.insert(Box::new(Conn::new(key(4), 1, 0, ()))).is_err());
        // Gone and made again elsewhere: the old key finds the new conn.
        assert!(t.remove(&a).is_some());
        assert!(t.get(&a).is_none() && t.get(&key(4)).is_none());
        // Made and gone until one takes the slot.
        let c = loop {
            let c = add(&mut t, 12);
            if c.slot == a.slot {
                break c;
            }
            t.remove(&c);
        };
        assert!(t.get(&a).is_none());
        let a2 = add(&mut t, 4);
        assert_eq!(t.get(&a).map(|c| c.key.slot), Some(a2.slot));
        assert_eq!(t.get(&c).map(|k| k.key.cid), Some(c.cid));
    }

    #[test]
    fn walks_every_conn_once() {
        let mut t = Table::new(VecSlots::new(), Index::default());
        let mut live: std::vec::Vec<u32> = (1..=100).map(|i| add(&mut t, i * 4).cid).collect();
        for cid in (8..=400).step_by(12) {
            assert!(t.remove(&key(cid)).is_some());
            live.retain(|&c| c != cid);
        }
        let mut seen = std::vec::Vec::new();
        let mut cur = None;
        while let Some(k) = t.next_after(cur.as_ref()) {
            seen.push(k.cid);
            cur = Some(k);
        }
        seen.sort();
        assert_eq!(seen, live);
        assert_eq!(t.next_after(Some(&key(4))), None);
    }

    #[test]
    fn an_index_node_is_64_bytes() {
        // The kernel's map node: a 24-byte `rb_node`, the key, and the
        // slot as an `Option<u32>`.
        let size = core::mem::size_of::<IndexKey>() + core::mem::size_of::<Option<u32>>();
        assert!(24 + size <= 64, "{size}");
    }
}
