//! The engine's memory on the host: `Vec` buffers and `BTreeMap` maps, with
//! an optional allocation budget to test the engine's out-of-memory paths.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::ops::{Bound, Range};
use std::rc::Rc;

use rxrpc_proto::{Env, Map, Received, Slots, TransportAddr};

/// Allocations left before they start failing; `None` is unlimited.
pub type Budget = Rc<Cell<Option<u64>>>;

fn take(budget: &Budget) -> bool {
    match budget.get() {
        None => true,
        Some(0) => false,
        Some(n) => {
            budget.set(Some(n - 1));
            true
        }
    }
}

/// Host memory for one endpoint.
#[derive(Clone, Default)]
pub struct StdEnv {
    /// Shared allocation budget (buffers and map insertions).
    pub budget: Budget,
    /// The MTU of every route, if known.
    pub path_mtu: Option<u32>,
}

/// A `BTreeMap` that honours the budget on insertion of new keys.
pub struct StdMap<K, V> {
    map: BTreeMap<K, V>,
    budget: Budget,
}

impl<K: Ord + Copy, V> Map<K, V> for StdMap<K, V> {
    fn insert(&mut self, key: K, value: V) -> Result<(), V> {
        if !self.map.contains_key(&key) && !take(&self.budget) {
            return Err(value);
        }
        self.map.insert(key, value);
        Ok(())
    }

    fn get(&self, key: &K) -> Option<&V> {
        self.map.get(key)
    }

    fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        self.map.get_mut(key)
    }

    fn remove(&mut self, key: &K) -> Option<V> {
        self.map.remove(key)
    }

    fn next_after(&mut self, key: Option<&K>) -> Option<K> {
        match key {
            None => self.map.keys().next().copied(),
            Some(k) => self
                .map
                .range((Bound::Excluded(*k), Bound::Unbounded))
                .next()
                .map(|(k, _)| *k),
        }
    }

    fn len(&self) -> usize {
        self.map.len()
    }
}

/// A call's ring on a `Vec`; each growth takes one allocation of the budget.
pub struct StdSlots<T> {
    slots: Vec<Option<T>>,
    budget: Budget,
}

impl<T> AsRef<[Option<T>]> for StdSlots<T> {
    fn as_ref(&self) -> &[Option<T>] {
        &self.slots
    }
}

impl<T> AsMut<[Option<T>]> for StdSlots<T> {
    fn as_mut(&mut self) -> &mut [Option<T>] {
        &mut self.slots
    }
}

impl<T> Slots<T> for StdSlots<T> {
    fn grow(&mut self, n: usize) -> bool {
        if !take(&self.budget) {
            return false;
        }
        self.slots.resize_with(n, || None);
        true
    }

    fn free(&mut self) {
        self.slots = Vec::new();
    }
}

/// A received DATA payload as the engine holds it: a buffer of its own,
/// or a range of a datagram handed over whole, kept where it lies (as the
/// kernel keeps its skbs).
#[derive(Debug)]
pub enum RxBytes {
    /// Unsealed or copied into a buffer.
    Own(Vec<u8>),
    /// Kept in the datagram.
    Kept(Rc<[u8]>, Range<usize>),
}

impl AsRef<[u8]> for RxBytes {
    fn as_ref(&self) -> &[u8] {
        match self {
            RxBytes::Own(v) => v,
            RxBytes::Kept(d, r) => d.get(r.clone()).unwrap_or(&[]),
        }
    }
}

impl From<SimBuf> for RxBytes {
    fn from(mut b: SimBuf) -> Self {
        RxBytes::Own(std::mem::take(&mut b.bytes))
    }
}

/// A buffer of the engine's. One for DATA to send (made by
/// [`Env::alloc_tx_buf`]) is lent by the engine ([`Env::lend`]) before a
/// piece of it is gathered as data ([`check_lent`]), as the kernel's pages
/// are spliced into its skbs: a piece of one not lent, or the engine
/// writing one after, would change a datagram in flight, and fails the
/// test.
#[derive(Debug, Default)]
pub struct SimBuf {
    bytes: Vec<u8>,
    lent: Option<Lent>,
}

/// Whether a DATA buffer was lent to the network.
type Lent = Rc<Cell<bool>>;

thread_local! {
    /// The DATA buffers alive, by address: their lengths and whether lent.
    static TX_BUFS: RefCell<BTreeMap<usize, (usize, Lent)>> =
        const { RefCell::new(BTreeMap::new()) };
}

impl SimBuf {
    fn tx(len: usize) -> Self {
        let bytes = vec![0; len];
        let lent = Rc::new(Cell::new(false));
        TX_BUFS.with(|m| {
            m.borrow_mut()
                .insert(bytes.as_ptr() as usize, (len, lent.clone()))
        });
        SimBuf {
            bytes,
            lent: Some(lent),
        }
    }
}

impl Drop for SimBuf {
    fn drop(&mut self) {
        if self.lent.is_some() {
            TX_BUFS.with(|m| m.borrow_mut().remove(&(self.bytes.as_ptr() as usize)));
        }
    }
}

impl AsRef<[u8]> for SimBuf {
    fn as_ref(&self) -> &[u8] {
        &self.bytes
    }
}

impl AsMut<[u8]> for SimBuf {
    fn as_mut(&mut self) -> &mut [u8] {
        assert!(
            !self.lent.as_ref().is_some_and(|l| l.get()),
            "a DATA buffer written after it was handed to the network"
        );
        &mut self.bytes
    }
}

/// `piece`, gathered as a DATA packet's ([`rxrpc_proto::Gather::push_data`]),
/// goes out as it lies: it must lie in a DATA buffer the engine lent.
pub fn check_lent(piece: &[u8]) {
    let at = piece.as_ptr() as usize;
    TX_BUFS.with(|m| {
        let m = m.borrow();
        let (start, (len, lent)) = m
            .range(..=at)
            .next_back()
            .expect("a piece gathered as DATA that lies in no DATA buffer");
        assert!(
            at + piece.len() <= start + len,
            "a DATA piece beyond its buffer"
        );
        assert!(
            lent.get(),
            "a DATA piece gathered before the engine lent it"
        );
    });
}

/// A datagram handed over whole (see [`rxrpc_proto::Endpoint::handle_received`]):
/// the engine keeps its plain DATA payloads rather than copy them.
pub struct Whole(pub Rc<[u8]>);

impl Received<RxBytes> for Whole {
    fn bytes(&self) -> &[u8] {
        &self.0
    }

    fn adopt(&self, piece: usize, range: Range<usize>) -> Option<RxBytes> {
        (piece == 0 && range.end <= self.0.len()).then(|| RxBytes::Kept(self.0.clone(), range))
    }
}

/// A datagram handed over whole in the pieces it lies in, as a paged
/// skb's data: the engine keeps the plain DATA payloads that lie in one
/// piece, and copies those across two.
pub struct Pieced(pub Vec<Rc<[u8]>>);

impl Pieced {
    /// `data` cut at `cuts` (offsets into it, in order).
    pub fn cut(data: &[u8], cuts: &[usize]) -> Self {
        let mut at = 0;
        let mut pieces = Vec::new();
        for &c in cuts.iter().chain([data.len()].iter()) {
            let c = c.clamp(at, data.len());
            pieces.push(Rc::from(&data[at..c]));
            at = c;
        }
        Pieced(pieces)
    }
}

impl Received<RxBytes> for Pieced {
    fn bytes(&self) -> &[u8] {
        self.0.first().map_or(&[], |p| p)
    }

    fn pieces(&self) -> usize {
        self.0.len().max(1)
    }

    fn more<'s>(&'s self, out: &mut [&'s [u8]]) -> usize {
        let more = self.0.get(1..).unwrap_or_default();
        assert!(more.len() <= out.len(), "more pieces than MAX_PIECES");
        for (o, p) in out.iter_mut().zip(more) {
            *o = p;
        }
        more.len()
    }

    fn adopt(&self, piece: usize, range: Range<usize>) -> Option<RxBytes> {
        let p = self.0.get(piece)?;
        (range.end <= p.len()).then(|| RxBytes::Kept(p.clone(), range))
    }
}

impl Env for StdEnv {
    type Buf = SimBuf;
    type RxBuf = RxBytes;
    type Map<K: Ord + Copy, V> = StdMap<K, V>;
    type Slots<T> = StdSlots<T>;
    type Boxed<T> = Box<T>;

    fn new_map<K: Ord + Copy, V>(&mut self) -> StdMap<K, V> {
        StdMap {
            map: BTreeMap::new(),
            budget: self.budget.clone(),
        }
    }

    fn new_slots<T>(&mut self) -> StdSlots<T> {
        StdSlots {
            slots: Vec::new(),
            budget: self.budget.clone(),
        }
    }

    fn boxed<T>(&mut self, value: T) -> Result<Box<T>, T> {
        if take(&self.budget) {
            Ok(Box::new(value))
        } else {
            Err(value)
        }
    }

    fn alloc_buf(&mut self, len: usize) -> Option<SimBuf> {
        take(&self.budget).then(|| SimBuf {
            bytes: vec![0; len],
            lent: None,
        })
    }

    fn alloc_tx_buf(&mut self, len: usize) -> Option<SimBuf> {
        take(&self.budget).then(|| SimBuf::tx(len))
    }

    fn lend(buf: &mut SimBuf) {
        let lent = buf.lent.as_ref().expect("lent a buffer not made for DATA");
        lent.set(true);
    }

    fn path_mtu(&mut self, _to: &TransportAddr) -> Option<u32> {
        self.path_mtu
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_walk_and_budget() {
        let mut env = StdEnv::default();
        let mut m: StdMap<u32, u32> = env.new_map();
        for k in [5, 1, 3] {
            m.insert(k, k * 10).unwrap();
        }
        assert_eq!(m.next_after(None), Some(1));
        assert_eq!(m.next_after(Some(&2)), Some(3));
        assert_eq!(m.next_after(Some(&5)), None);
        env.budget.set(Some(1));
        assert!(env.alloc_buf(4).is_some());
        assert!(env.alloc_buf(4).is_none());
        assert_eq!(m.insert(9, 0), Err(0));
        assert!(m.insert(5, 0).is_ok());
    }
}
