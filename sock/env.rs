//! The engine's memory in the kernel: `RBTree` maps, `KVec` buffers and
//! rings, and slab caches for connections and calls.

use kernel::prelude::*;
use kernel::rbtree::{RBTree, RBTreeNodeReservation};

use core::ops::Range;

use super::addr::to_socket;
use super::endpoint::Engine;
use crate::kapi::net::tx_pages::{TxPage, TxPages};
use crate::kapi::net::udp_tunnel::{Datagram, Packet};
use crate::kapi::net::NetNs;
use crate::kapi::slab::{self, Cache, SlabBox};
use crate::proto::{ConnInfo, Env, Map, Received, Slots, TransportAddr};

/// Connections and calls at their own size: kmalloc would round them up
/// to 512 and 1,024 bytes. The module makes the caches when it loads.
static CONNS: Cache = Cache::new(c"rxrpc_rs_conn", Engine::CONN_LAYOUT);
static CALLS: Cache = Cache::new(c"rxrpc_rs_call", Engine::CALL_LAYOUT);
pub(crate) static CACHES: [&Cache; 2] = [&CONNS, &CALLS];

/// Memory for one local endpoint's engine; all allocation is `GFP_KERNEL`
/// because the engine only runs in process context. `net` is the
/// endpoint's namespace, whose routes bound its jumbo packets; DATA to
/// send is cut from `tx_pages`, one packet after another.
pub(crate) struct KernelEnv {
    pub(crate) net: NetNs,
    pub(crate) tx_pages: TxPages,
}

/// A packet or data buffer of a fixed length.
pub(crate) enum KBuf {
    /// Of the heap.
    Heap(KVec<u8>),
    /// DATA to send, which goes as it lies (see [`TxPages`]).
    Tx(TxPage),
}

impl AsRef<[u8]> for KBuf {
    fn as_ref(&self) -> &[u8] {
        match self {
            KBuf::Heap(v) => v,
            KBuf::Tx(p) => p.as_ref(),
        }
    }
}

impl AsMut<[u8]> for KBuf {
    fn as_mut(&mut self) -> &mut [u8] {
        match self {
            KBuf::Heap(v) => v,
            KBuf::Tx(p) => p.as_mut(),
        }
    }
}

/// A received DATA payload: unsealed or copied into a buffer, or kept in
/// its packet, which recvmsg then copies from (once, as C does).
pub(crate) enum KRxBuf {
    /// In a buffer of its own.
    Copied(KBuf),
    /// In the received packet.
    Kept(Packet),
}

impl AsRef<[u8]> for KRxBuf {
    fn as_ref(&self) -> &[u8] {
        match self {
            KRxBuf::Copied(b) => b.as_ref(),
            KRxBuf::Kept(p) => p.bytes(),
        }
    }
}

impl From<KBuf> for KRxBuf {
    fn from(b: KBuf) -> Self {
        KRxBuf::Copied(b)
    }
}

/// A received packet, handed over whole in the pieces it lies in: each
/// DATA payload the engine keeps takes a reference to it, so that a jumbo
/// packet's subpackets are kept (and read, and freed) each on its own.
impl Received<KRxBuf> for Datagram {
    fn bytes(&self) -> &[u8] {
        Datagram::bytes(self)
    }

    fn pieces(&self) -> usize {
        Datagram::pieces(self)
    }

    fn more<'s>(&'s self, out: &mut [&'s [u8]]) -> usize {
        out.iter_mut()
            .zip(Datagram::more(self))
            .map(|(o, piece)| *o = piece)
            .count()
    }

    fn adopt(&self, piece: usize, range: Range<usize>) -> Option<KRxBuf> {
        self.share(piece, range).map(KRxBuf::Kept)
    }
}

/// A call's ring: a `KVec` of optional slots, grown by the engine.
pub(crate) struct KSlots<T>(KVec<Option<T>>);

impl<T> AsRef<[Option<T>]> for KSlots<T> {
    fn as_ref(&self) -> &[Option<T>] {
        &self.0
    }
}

impl<T> AsMut<[Option<T>]> for KSlots<T> {
    fn as_mut(&mut self) -> &mut [Option<T>] {
        &mut self.0
    }
}

impl<T> Slots<T> for KSlots<T> {
    fn grow(&mut self, n: usize) -> bool {
        // One reallocation to exactly `n` (the engine asks for twice the
        // length or more; `reserve` never takes less than that), which
        // moves the slots held; the pushes then cannot fail.
        let add = n.saturating_sub(self.0.len());
        if self.0.reserve(add, GFP_KERNEL).is_err() {
            return false;
        }
        while self.0.len() < n {
            if self.0.push(None, GFP_KERNEL).is_err() {
                return false;
            }
        }
        true
    }

    fn free(&mut self) {
        self.0 = KVec::new();
    }
}

/// Tree nodes of entries removed, kept for the next inserts: a map's
/// entries come and go in bursts (the timers of a round of calls, their
/// user tags), which then cost no allocation. Up to [`NodePool::MAX`].
pub(crate) struct NodePool<K, V> {
    /// The nodes kept are the first `len`.
    nodes: KVec<Option<RBTreeNodeReservation<K, V>>>,
    len: usize,
}

impl<K, V> NodePool<K, V> {
    /// Most nodes kept.
    const MAX: usize = 64;

    /// An empty pool (no allocation).
    pub(crate) const fn new() -> Self {
        NodePool {
            nodes: KVec::new(),
            len: 0,
        }
    }

    /// A kept node, or a new one.
    pub(crate) fn take(&mut self) -> Result<RBTreeNodeReservation<K, V>> {
        if let Some(n) = self.len.checked_sub(1) {
            if let Some(node) = self.nodes.get_mut(n).and_then(Option::take) {
                self.len = n;
                return Ok(node);
            }
        }
        RBTreeNodeReservation::new(GFP_KERNEL)
    }

    /// Keep `node`, or free it if the pool is full (or cannot grow).
    pub(crate) fn keep(&mut self, node: RBTreeNodeReservation<K, V>) {
        if self.len >= Self::MAX
            || (self.len == self.nodes.len() && self.nodes.push(None, GFP_KERNEL).is_err())
        {
            return;
        }
        if let Some(slot) = self.nodes.get_mut(self.len) {
            *slot = Some(node);
            self.len += 1;
        }
    }
}

/// An ordered map on the kernel's red-black tree, which does not count
/// its own entries. It keeps the nodes of the entries it removed for its
/// next inserts (see [`NodePool`]). Every node in the tree holds `Some`;
/// `None` is only left in a node as its value is taken out.
pub(crate) struct KMap<K, V> {
    tree: RBTree<K, Option<V>>,
    len: usize,
    spare: NodePool<K, Option<V>>,
    /// The first key, once looked up (`Some(None)`: the map is empty),
    /// until it is removed: the engine asks for it at every flush (the
    /// earliest timer), and a tree walks down to it each time.
    first: Option<Option<K>>,
}

impl<K: Ord + Copy, V> Map<K, V> for KMap<K, V> {
    fn insert(&mut self, key: K, value: V) -> Result<(), V> {
        // Reserve first so that an allocation failure can hand `value` back.
        let Ok(node) = self.spare.take() else {
            return Err(value);
        };
        match self.tree.insert(node.into_node(key, Some(value))) {
            None => self.len += 1,
            Some(old) => self.spare.keep(old.into_reservation()),
        }
        if let Some(first) = self.first {
            if first.map_or(true, |f| key < f) {
                self.first = Some(Some(key));
            }
        }
        Ok(())
    }

    fn get(&self, key: &K) -> Option<&V> {
        self.tree.get(key)?.as_ref()
    }

    fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        self.tree.get_mut(key)?.as_mut()
    }

    fn remove(&mut self, key: &K) -> Option<V> {
        let mut entry = self.tree.find_mut(key)?;
        let value = entry.get_mut().take();
        self.spare.keep(entry.remove_node().into_reservation());
        self.len -= 1;
        if self.first == Some(Some(*key)) {
            self.first = None;
        }
        value
    }

    fn next_after(&mut self, key: Option<&K>) -> Option<K> {
        let Some(k) = key else {
            return *self
                .first
                .get_or_insert_with(|| self.tree.cursor_front().map(|c| *c.current().0));
        };
        let mut cursor = self.tree.cursor_lower_bound(k)?;
        if cursor.current().0 == k {
            cursor = cursor.move_next()?;
        }
        Some(*cursor.current().0)
    }

    fn len(&self) -> usize {
        self.len
    }
}

impl Env for KernelEnv {
    type Buf = KBuf;
    type RxBuf = KRxBuf;
    type Map<K: Ord + Copy, V> = KMap<K, V>;
    type Slots<T> = KSlots<T>;
    type Boxed<T> = SlabBox<T>;

    fn new_map<K: Ord + Copy, V>(&mut self) -> KMap<K, V> {
        KMap {
            tree: RBTree::new(),
            len: 0,
            spare: NodePool::new(),
            first: Some(None),
        }
    }

    fn new_slots<T>(&mut self) -> KSlots<T> {
        KSlots(KVec::new())
    }

    fn boxed<T>(&mut self, value: T) -> core::result::Result<SlabBox<T>, T> {
        slab::boxed(&CACHES, value)
    }

    fn alloc_buf(&mut self, len: usize) -> Option<KBuf> {
        let mut v = KVec::with_capacity(len, GFP_KERNEL).ok()?;
        v.extend_with(len, 0, GFP_KERNEL).ok()?;
        Some(KBuf::Heap(v))
    }

    fn alloc_tx_buf(&mut self, len: usize) -> Option<KBuf> {
        self.tx_pages.alloc(len).map(KBuf::Tx)
    }

    fn lend(buf: &mut KBuf) {
        if let KBuf::Tx(p) = buf {
            p.lend();
        }
    }

    fn path_mtu(&mut self, to: &TransportAddr) -> Option<u32> {
        self.net.route_mtu(&to_socket(to))
    }

    fn conn_changed(&mut self, conn: &ConnInfo, new: bool) {
        super::trace::conn(conn, new);
    }
}
