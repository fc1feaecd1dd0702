//! Round-trip time estimation and retransmission timeout (RFC 6298).
//!
//! Samples come from ACKs that name the serial of a packet we timed: a
//! REQUESTED ACK answering a DATA packet sent with REQUEST_ACK, or a
//! PING_RESPONSE answering our PING. One estimator lives in each peer, so
//! all calls to the same address share what they learned.

use core::time::Duration;

use super::time::Instant;

/// RTO before any sample (RFC 6298 section 2.1).
pub(crate) const INITIAL_RTO: Duration = Duration::from_secs(1);
/// Lower bound of the RTO.
pub(crate) const MIN_RTO: Duration = Duration::from_millis(200);
/// Upper bound of the RTO, also the cap of the exponential backoff.
pub(crate) const MAX_RTO: Duration = Duration::from_secs(120);
/// Samples before the estimate counts as known (C's `rxrpc_reqack_more_rtt`).
const KNOWN_AFTER: u32 = 3;
/// How long a known estimate stays fresh without a sample (C's
/// `rxrpc_reqack_old_rtt`).
const FRESH_FOR: Duration = Duration::from_secs(1);
/// How long the smallest sample stands for the path's RTT without a
/// queue, before a newer sample replaces it (a route may change).
const MIN_FOR: Duration = Duration::from_secs(10);

/// Smoothed RTT state of one peer.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RttEstimator {
    srtt: Option<Duration>,
    rttvar: Duration,
    rto: Duration,
    /// Samples taken (saturating), and when the last was.
    samples: u32,
    last: Option<Instant>,
    /// The smallest recent sample, and when it was taken.
    min: Option<(Duration, Instant)>,
}

impl Default for RttEstimator {
    fn default() -> Self {
        RttEstimator {
            srtt: None,
            rttvar: Duration::ZERO,
            rto: INITIAL_RTO,
            samples: 0,
            last: None,
            min: None,
        }
    }
}

impl RttEstimator {
    /// Fold in one RTT measurement, taken at `now`.
    pub(crate) fn sample(&mut self, now: Instant, r: Duration) {
        self.samples = self.samples.saturating_add(1);
        self.last = Some(now);
        if self
            .min
            .map_or(true, |(m, at)| r <= m || now.since(at) > MIN_FOR)
        {
            self.min = Some((r, now));
        }
        match self.srtt {
            None => {
                self.srtt = Some(r);
                self.rttvar = r / 2;
            }
            Some(srtt) => {
                let delta = if srtt > r { srtt - r } else { r - srtt };
                self.rttvar = self.rttvar.saturating_mul(3).saturating_add(delta) / 4;
                self.srtt = Some(srtt.saturating_mul(7).saturating_add(r) / 8);
            }
        }
        let srtt = self.srtt.unwrap_or(r);
        // G (clock granularity) is 1 ns here: the caller's clock is exact.
        let rto = srtt.saturating_add(self.rttvar.saturating_mul(4));
        self.rto = rto.clamp(MIN_RTO, MAX_RTO);
    }

    /// The smoothed RTT, if any sample was taken.
    pub(crate) fn srtt(&self) -> Option<Duration> {
        self.srtt
    }

    /// The smallest RTT sampled lately: the path's RTT with no queue.
    pub(crate) fn min_rtt(&self) -> Option<Duration> {
        self.min.map(|(m, _)| m)
    }

    /// The RTT variation, if any sample was taken.
    pub(crate) fn rttvar(&self) -> Option<Duration> {
        self.srtt.map(|_| self.rttvar)
    }

    /// Whether at least one sample was taken.
    pub(crate) fn has_sample(&self) -> bool {
        self.srtt.is_some()
    }

    /// Whether the estimate is known and recent enough that a packet need
    /// not be timed for it at `now`.
    pub(crate) fn fresh(&self, now: Instant) -> bool {
        self.samples >= KNOWN_AFTER && self.last.is_some_and(|t| now.since(t) < FRESH_FOR)
    }

    /// The current RTO, before any per-call backoff.
    pub(crate) fn rto(&self) -> Duration {
        self.rto
    }
}

/// The RTO after `backoff` consecutive expiries: doubled each time, capped.
pub(crate) fn backed_off(rto: Duration, backoff: u32) -> Duration {
    let factor = 1u32.checked_shl(backoff.min(16)).unwrap_or(u32::MAX);
    rto.saturating_mul(factor).min(MAX_RTO)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_sample_and_clamps() {
        let mut e = RttEstimator::default();
        assert_eq!(e.rto(), INITIAL_RTO);
        assert!(!e.has_sample());
        e.sample(Instant(0), Duration::from_millis(100));
        // srtt 100, rttvar 50: rto = 300 ms.
        assert_eq!(e.srtt(), Some(Duration::from_millis(100)));
        assert_eq!(e.rto(), Duration::from_millis(300));
        for _ in 0..50 {
            e.sample(Instant(0), Duration::from_millis(1));
        }
        assert_eq!(e.rto(), MIN_RTO);
        e.sample(Instant(0), Duration::from_secs(1000));
        assert_eq!(e.rto(), MAX_RTO);
    }

    #[test]
    fn smoothing() {
        let mut e = RttEstimator::default();
        e.sample(Instant(0), Duration::from_millis(80));
        e.sample(Instant(0), Duration::from_millis(160));
        // rttvar = 3/4*40 + 1/4*80 = 50; srtt = 7/8*80 + 1/8*160 = 90.
        assert_eq!(e.srtt(), Some(Duration::from_millis(90)));
        assert_eq!(e.rto(), Duration::from_millis(290));
    }

    #[test]
    fn fresh_after_three_samples_for_a_second() {
        let mut e = RttEstimator::default();
        let ms = |m: u64| Instant(m * 1_000_000);
        for t in [0, 10] {
            e.sample(ms(t), Duration::from_millis(1));
            assert!(!e.fresh(ms(t)));
        }
        e.sample(ms(20), Duration::from_millis(1));
        assert!(e.fresh(ms(20)));
        assert!(e.fresh(ms(1019)));
        assert!(!e.fresh(ms(1020)));
    }

    #[test]
    fn the_smallest_sample_stands_ten_seconds() {
        let mut e = RttEstimator::default();
        let ms = |m: u64| Instant(m * 1_000_000);
        let d = Duration::from_millis;
        assert_eq!(e.min_rtt(), None);
        e.sample(ms(0), d(5));
        e.sample(ms(10), d(2));
        e.sample(ms(20), d(9));
        assert_eq!(e.min_rtt(), Some(d(2)));
        e.sample(ms(10_010), d(9));
        assert_eq!(e.min_rtt(), Some(d(2)), "ten seconds old: still stands");
        e.sample(ms(10_011), d(8));
        assert_eq!(e.min_rtt(), Some(d(8)), "older: the new sample replaces it");
    }

    #[test]
    fn backoff_caps() {
        assert_eq!(
            backed_off(Duration::from_secs(1), 0),
            Duration::from_secs(1)
        );
        assert_eq!(
            backed_off(Duration::from_secs(1), 3),
            Duration::from_secs(8)
        );
        assert_eq!(backed_off(Duration::from_secs(1), 40), MAX_RTO);
    }
}
