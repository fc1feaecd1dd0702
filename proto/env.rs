//! What the caller supplies: memory, the MTU of its routes, and an ear for
//! connections made and discarded (for tracing).
//!
//! The engine never allocates. Everything it keeps that can grow (peers,
//! connections, calls, packet buffers) comes from an [`Env`] the caller
//! implements: the kernel glue with `KVec`/`RBTree` and slab caches for
//! connections and calls, the host crate with `Vec`/`BTreeMap`. Every
//! allocation is fallible; the engine answers a failure with a clean local
//! error or BUSY, never a panic.

use super::addr::TransportAddr;
use super::info::ConnInfo;

/// An ordered map with fallible insertion.
///
/// Contract: `insert` on a present key replaces the value; `next_after(None)`
/// yields the smallest key and `next_after(Some(k))` the smallest key
/// greater than `k` (which need not be present), so the engine can walk the
/// map while changing it. The engine walks its maps on every poll, so
/// `next_after` should be a lower-bound search (O(log n)), not a scan; it
/// takes `&mut self` so that a tree whose cursors need it (the kernel's
/// `RBTree::cursor_lower_bound`) can provide one.
pub trait Map<K, V> {
    /// Insert `value` under `key`. On allocation failure hand `value` back.
    fn insert(&mut self, key: K, value: V) -> Result<(), V>;
    /// The value under `key`.
    fn get(&self, key: &K) -> Option<&V>;
    /// The value under `key`, mutably.
    fn get_mut(&mut self, key: &K) -> Option<&mut V>;
    /// Remove and return the value under `key`.
    fn remove(&mut self, key: &K) -> Option<V>;
    /// The smallest key after `key` (or the first key if `None`).
    fn next_after(&mut self, key: Option<&K>) -> Option<K>;
    /// Number of entries.
    fn len(&self) -> usize;
    /// Whether the map is empty.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A ring of optional slots that grows on demand (each call's Tx and Rx
/// rings): it starts empty, and the engine grows it to what the call holds
/// at once, so that a small call costs a few slots and a bulk one its
/// window.
///
/// Contract: `grow(n)` (with `n` above the present length) leaves exactly
/// `n` slots, the old ones as they were and the new ones `None`, or on
/// allocation failure changes nothing and returns false; `free` drops
/// every slot and gives its memory back (the length is then 0).
pub trait Slots<T>: AsRef<[Option<T>]> + AsMut<[Option<T>]> {
    /// Grow to `n` slots. False, unchanged, if memory is short.
    fn grow(&mut self, n: usize) -> bool;
    /// Drop every slot and its memory.
    fn free(&mut self);
}

/// The caller's memory for one local endpoint.
pub trait Env {
    /// A packet or data buffer. Its length is the length asked for.
    type Buf: AsRef<[u8]> + AsMut<[u8]>;
    /// A received DATA payload held for the reader: a [`Env::Buf`] it was
    /// unsealed or copied into, or a part of the received datagram kept
    /// as it is (see [`super::Received`]). Its length is the payload's.
    type RxBuf: AsRef<[u8]> + From<Self::Buf>;
    /// The map type used for peers, bundles, timers and indexes.
    type Map<K: Ord + Copy, V>: Map<K, V>;
    /// The ring type of each call's Tx and Rx queues, the ready queues and
    /// the slots of calls and connections.
    type Slots<T>: Slots<T>;
    /// A value in memory of its own (each call and connection), so that
    /// what holds it holds a pointer.
    type Boxed<T>: core::ops::DerefMut<Target = T>;
    /// An empty map (must not allocate).
    fn new_map<K: Ord + Copy, V>(&mut self) -> Self::Map<K, V>;
    /// An empty ring, of no slots (must not allocate).
    fn new_slots<T>(&mut self) -> Self::Slots<T>;
    /// `value` in memory of its own; handed back if memory is short.
    fn boxed<T>(&mut self, value: T) -> Result<Self::Boxed<T>, T>;
    /// A buffer of exactly `len` bytes (contents unspecified), or `None` if
    /// memory is short.
    fn alloc_buf(&mut self, len: usize) -> Option<Self::Buf>;
    /// A buffer of `len` bytes for a DATA packet to send, as
    /// [`Env::alloc_buf`]. The engine writes a packet's buffer only until
    /// the datagram of its first transmission is framed, and never reuses
    /// one: once sent, its bytes stay as they are until it is dropped, so
    /// that the caller may hand them to the network without a copy (see
    /// [`super::Gather::push_data`]).
    fn alloc_tx_buf(&mut self, len: usize) -> Option<Self::Buf> {
        self.alloc_buf(len)
    }
    /// DATA buffer `buf` is framed for its first transmission, and the
    /// engine writes it no more: a caller that sends it by reference may
    /// refuse writes from now on. The default does nothing.
    fn lend(_buf: &mut Self::Buf) {}
    /// The MTU of the route to `to` (IP packet bytes), if known: it bounds
    /// the jumbo packets sent there. The default knows none, and the
    /// engine then sends single packets.
    fn path_mtu(&mut self, _to: &TransportAddr) -> Option<u32> {
        None
    }
    /// A connection was made (`new`), or is about to be discarded; for
    /// the caller's tracing. The default does nothing.
    fn conn_changed(&mut self, _conn: &ConnInfo, _new: bool) {}
}

/// Rings for the engine's unit tests: a `Vec` that grows up to `limit`
/// slots (`usize::MAX`: always) and fails beyond.
#[cfg(test)]
pub(crate) mod test_slots {
    extern crate std;
    use std::vec::Vec;

    /// A ring on a `Vec`, its growth capped.
    #[derive(Debug)]
    pub(crate) struct VecSlots<T> {
        pub(crate) v: Vec<Option<T>>,
        pub(crate) limit: usize,
    }

    impl<T> VecSlots<T> {
        /// An empty ring that grows without limit.
        pub(crate) fn new() -> Self {
            Self::capped(usize::MAX)
        }

        /// An empty ring that cannot grow beyond `limit` slots.
        pub(crate) fn capped(limit: usize) -> Self {
            VecSlots {
                v: Vec::new(),
                limit,
            }
        }
    }

    impl<T> AsRef<[Option<T>]> for VecSlots<T> {
        fn as_ref(&self) -> &[Option<T>] {
            &self.v
        }
    }

    impl<T> AsMut<[Option<T>]> for VecSlots<T> {
        fn as_mut(&mut self) -> &mut [Option<T>] {
            &mut self.v
        }
    }

    impl<T> super::Slots<T> for VecSlots<T> {
        fn grow(&mut self, n: usize) -> bool {
            if n > self.limit {
                return false;
            }
            self.v.resize_with(n, || None);
            true
        }

        fn free(&mut self) {
            self.v = Vec::new();
        }
    }
}
