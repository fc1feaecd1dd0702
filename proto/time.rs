//! Time as the caller supplies it.
//!
//! The engine has no clock: every entry point takes `now`, and deadlines come
//! back out as [`Instant`]s for the caller to arm a timer with.

use core::time::Duration;

/// A point in time, in nanoseconds since an origin of the caller's choice.
///
/// The kernel glue uses `ktime_get()`; the simulator uses a counter. Only
/// differences matter, so any monotonic origin works.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Instant(pub u64);

impl Instant {
    /// This instant plus `d`, saturating far in the future instead of wrapping.
    pub fn after(self, d: Duration) -> Instant {
        self.after_ns(nanos(d))
    }

    /// The instant `d` before this one (0 at the earliest).
    pub fn before(self, d: Duration) -> Instant {
        self.before_ns(nanos(d))
    }

    /// This instant plus `ns` nanoseconds, saturating.
    pub(crate) fn after_ns(self, ns: u64) -> Instant {
        Instant(self.0.saturating_add(ns))
    }

    /// The instant `ns` nanoseconds before this one (0 at the earliest).
    pub(crate) fn before_ns(self, ns: u64) -> Instant {
        Instant(self.0.saturating_sub(ns))
    }

    /// Time elapsed from `earlier` to `self`, zero if `earlier` is later.
    pub fn since(self, earlier: Instant) -> Duration {
        Duration::from_nanos(self.0.saturating_sub(earlier.0))
    }
}

/// `d` in nanoseconds, saturating at `u64::MAX`: in 64-bit arithmetic,
/// where `Duration::as_nanos` multiplies in 128 bits (several times a
/// packet, on the receive path).
pub(crate) fn nanos(d: Duration) -> u64 {
    d.as_secs()
        .saturating_mul(1_000_000_000)
        .saturating_add(u64::from(d.subsec_nanos()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saturates() {
        assert_eq!(
            Instant(u64::MAX - 1).after(Duration::from_secs(1)),
            Instant(u64::MAX)
        );
        assert_eq!(Instant(5).since(Instant(9)), Duration::ZERO);
        assert_eq!(Instant(9).since(Instant(5)), Duration::from_nanos(4));
        assert_eq!(Instant(0).after(Duration::MAX), Instant(u64::MAX));
        assert_eq!(Instant(7).before(Duration::MAX), Instant(0));
    }

    #[test]
    fn nanos_is_as_nanos_saturated() {
        for d in [
            Duration::ZERO,
            Duration::new(0, 999_999_999),
            Duration::new(1, 1),
            Duration::new(18_446_744_073, 709_551_615),
            Duration::new(18_446_744_073, 709_551_616),
            Duration::new(u64::MAX / 1_000_000_000 + 1, 0),
            Duration::MAX,
        ] {
            let want = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
            assert_eq!(nanos(d), want, "{d:?}");
        }
    }
}
