//! The endpoint's connections, in a [`Slab`] and indexed by key.
//!
//! A key handed out by the table (the one a call, a bundle's walk or a
//! timer holds) carries its connection's slot, and finds it by index; a
//! key made from a packet's header searches the index, once per packet:
//! the connection's own key serves from there.

use core::ops::DerefMut;

use super::conn::{Conn, ConnKey, NO_SLOT};
use super::env::{Map, Slots};
use super::slab::Slab;

/// Boxed connections `B` in slots `R`, indexed by `M`.
pub(crate) struct ConnTable<B, R, M> {
    slab: Slab<B, R>,
    index: M,
}

impl<C, B, R, M> ConnTable<B, R, M>
where
    B: DerefMut<Target = Conn<C>>,
    R: Slots<B>,
    M: Map<ConnKey, u32>,
{
    /// An empty table on `slots` (of none) and `index` (empty).
    pub(crate) fn new(slots: R, index: M) -> Self {
        ConnTable {
            slab: Slab::new(slots),
            index,
        }
    }

    /// The slot of the connection `key` names: its own, if it still holds
    /// that connection, else the index's.
    fn slot(&self, key: &ConnKey) -> Option<usize> {
        let own = key.slot as usize;
        if self.slab.get(own).is_some_and(|c| c.key == *key) {
            return Some(own);
        }
        self.index.get(key).map(|&slot| slot as usize)
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
        if self.index.insert(key, key.slot).is_err() {
            return Err(conn);
        }
        match self.slab.put(slot, conn) {
            Ok(()) => Ok(key),
            Err(conn) => {
                self.index.remove(&key);
                Err(conn)
            }
        }
    }

    /// Connection `key`.
    pub(crate) fn get(&self, key: &ConnKey) -> Option<&Conn<C>> {
        self.slab.get(self.slot(key)?).map(|c| &**c)
    }

    /// Connection `key`, mutably.
    pub(crate) fn get_mut(&mut self, key: &ConnKey) -> Option<&mut Conn<C>> {
        let slot = self.slot(key)?;
        self.slab.get_mut(slot).map(|c| &mut **c)
    }

    /// Take connection `key` out, still boxed.
    pub(crate) fn remove(&mut self, key: &ConnKey) -> Option<B> {
        let slot = self.slot(key)?;
        self.index.remove(key);
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
