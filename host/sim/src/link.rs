//! A seeded lossy link between simulated endpoints.

use crate::rng::Rng;

/// Impairments of the simulated network, applied per datagram.
#[derive(Clone, Copy, Debug)]
pub struct LinkConfig {
    /// Probability that a datagram is lost.
    pub loss: f64,
    /// Probability that a datagram is delivered twice.
    pub duplicate: f64,
    /// Probability that a datagram is delayed out of order (by up to two
    /// delays); jitter alone keeps datagrams in order, like a queue.
    pub reorder: f64,
    /// Probability that one byte of a datagram is changed. The simulator
    /// only checks termination and leaks when this is non-zero, as UDP's
    /// checksum would normally catch it and RxRPC has none of its own.
    pub corrupt: f64,
    /// One-way delay, nanoseconds.
    pub delay: u64,
    /// Extra random delay up to this, nanoseconds.
    pub jitter: u64,
    /// Largest datagram carried; larger ones are dropped.
    pub mtu: usize,
    /// The route MTU the nodes' environments report (IP packet bytes),
    /// which lets them send jumbo packets; `None` keeps them to single
    /// packets.
    pub route_mtu: Option<u32>,
}

impl Default for LinkConfig {
    fn default() -> Self {
        LinkConfig {
            loss: 0.0,
            duplicate: 0.0,
            reorder: 0.0,
            corrupt: 0.0,
            delay: 5_000_000,
            jitter: 0,
            mtu: 1500,
            route_mtu: None,
        }
    }
}

impl LinkConfig {
    /// The acceptance test's link (`tests/acceptance.rs`): 10 ms one way,
    /// 2 ms of jitter, 5% reordering and 1% duplication, at `loss`.
    pub fn acceptance(loss: f64) -> Self {
        LinkConfig {
            loss,
            reorder: 0.05,
            duplicate: 0.01,
            jitter: 2_000_000,
            delay: 10_000_000,
            ..LinkConfig::default()
        }
    }
}

/// What the link does with one datagram: the delivery delay of each copy,
/// and whether that copy is reordered (may overtake or be overtaken);
/// other copies keep the order they were sent in.
pub fn fate(link: &LinkConfig, rng: &mut Rng, data: &mut [u8]) -> Vec<(u64, bool)> {
    if data.len() > link.mtu || rng.chance(link.loss) {
        return Vec::new();
    }
    if rng.chance(link.corrupt) && !data.is_empty() {
        let i = rng.below(data.len() as u64) as usize;
        data[i] ^= 1 << rng.below(8);
    }
    let one = |rng: &mut Rng| {
        let d = link.delay + rng.below(link.jitter + 1);
        if rng.chance(link.reorder) {
            (d + rng.below(2 * link.delay + 1), true)
        } else {
            (d, false)
        }
    };
    let mut out = vec![one(rng)];
    if rng.chance(link.duplicate) {
        out.push(one(rng));
    }
    out
}
