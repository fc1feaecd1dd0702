//! A small table of named timers per object.
//!
//! Each engine object (call, connection, peer) keeps one `Option<Instant>`
//! per named timer; its next deadline is the earliest armed one. The local
//! endpoint folds these into one deadline for the caller.

use super::time::Instant;

/// A fixed set of `N` timers indexed by a small enum converted to `usize`.
/// An unarmed timer holds [`OFF`], so that the earliest is a plain
/// minimum (every call's is looked for after every packet); a deadline at
/// the end of time (what `Instant::after` saturates to) is as none.
#[derive(Clone, Copy, Debug)]
pub(crate) struct TimerTable<const N: usize> {
    at: [Instant; N],
}

/// An unarmed timer.
const OFF: Instant = Instant(u64::MAX);

impl<const N: usize> Default for TimerTable<N> {
    fn default() -> Self {
        TimerTable { at: [OFF; N] }
    }
}

impl<const N: usize> TimerTable<N> {
    /// Arm timer `t` for `when`, replacing any earlier setting.
    pub(crate) fn set(&mut self, t: usize, when: Instant) {
        if let Some(slot) = self.at.get_mut(t) {
            *slot = when;
        }
    }

    /// Arm timer `t` unless it is already armed for an earlier time.
    pub(crate) fn set_earliest(&mut self, t: usize, when: Instant) {
        if let Some(slot) = self.at.get_mut(t) {
            *slot = (*slot).min(when);
        }
    }

    /// Disarm timer `t`.
    pub(crate) fn stop(&mut self, t: usize) {
        if let Some(slot) = self.at.get_mut(t) {
            *slot = OFF;
        }
    }

    /// The deadline of timer `t`, if armed.
    pub(crate) fn get(&self, t: usize) -> Option<Instant> {
        self.at.get(t).copied().filter(|&w| w != OFF)
    }

    /// Whether timer `t` is armed and due at `now`; disarms it if so.
    pub(crate) fn expire(&mut self, t: usize, now: Instant) -> bool {
        match self.at.get_mut(t) {
            Some(slot) if *slot != OFF && *slot <= now => {
                *slot = OFF;
                true
            }
            _ => false,
        }
    }

    /// The earliest armed deadline.
    pub(crate) fn next(&self) -> Option<Instant> {
        let first = self.at.iter().fold(OFF, |a, &b| a.min(b));
        (first != OFF).then_some(first)
    }

    /// Disarm all timers.
    pub(crate) fn clear(&mut self) {
        self.at = [OFF; N];
    }
}

/// Earliest of two optional deadlines.
pub(crate) fn earliest(a: Option<Instant>, b: Option<Instant>) -> Option<Instant> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_is_min_and_expire_disarms() {
        let mut t = TimerTable::<3>::default();
        assert_eq!(t.next(), None);
        t.set(0, Instant(50));
        t.set(2, Instant(20));
        t.set_earliest(2, Instant(30));
        assert_eq!(t.next(), Some(Instant(20)));
        assert!(!t.expire(2, Instant(19)));
        assert!(t.expire(2, Instant(20)));
        assert_eq!(t.next(), Some(Instant(50)));
        t.set(9, Instant(1));
        assert_eq!(t.next(), Some(Instant(50)));
        t.clear();
        assert_eq!(t.get(0), None);
        assert_eq!(earliest(Some(Instant(3)), None), Some(Instant(3)));
    }
}
