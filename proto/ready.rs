//! Calls that may have something to send or to report.
//!
//! Every entry point notes the calls it touched here, so that draining
//! packets and events visits those calls instead of walking all of them.
//! The queue is small and fixed; when it overflows, the next drain falls
//! back to one walk over every call, so nothing is ever missed.

use super::event::CallHandle;

/// Entries per queue (at most 255: counted in a `u8`). The endpoint holds
/// three and must stay under 4 KiB (it is built on a kernel stack); a
/// batch touching more calls than this costs one walk over all calls, as
/// an overflow does.
const SIZE: usize = 66;

/// A FIFO of distinct call handles with an overflow flag.
#[derive(Debug)]
pub(crate) struct ReadyQueue {
    ring: [CallHandle; SIZE],
    head: u8,
    len: u8,
    overflowed: bool,
    /// Bit `h % 64` is set for every queued `h` (and perhaps for some
    /// that were popped, until the queue empties): a handle whose bit is
    /// clear is not queued, and is pushed without a search. Handles are
    /// handed out in sequence, so those queued at once mostly have
    /// different bits.
    maybe: u64,
}

impl Default for ReadyQueue {
    fn default() -> Self {
        ReadyQueue {
            ring: [CallHandle(0); SIZE],
            head: 0,
            len: 0,
            overflowed: false,
            maybe: 0,
        }
    }
}

impl ReadyQueue {
    /// Queue `h` unless it is queued already.
    pub(crate) fn push(&mut self, h: CallHandle) {
        let (head, len) = (usize::from(self.head), usize::from(self.len));
        let bit = 1u64 << (h.0 % 64);
        if self.maybe & bit != 0 && self.queued(h, head, len) {
            return;
        }
        if len == SIZE {
            self.overflowed = true;
            return;
        }
        if let Some(slot) = self.ring.get_mut((head + len) % SIZE) {
            *slot = h;
        }
        self.len += 1;
        self.maybe |= bit;
    }

    /// Whether `h` is among the `len` entries from `head`: the last one
    /// pushed first (a call is mostly touched several times in a row),
    /// then the rest as up to two runs of the ring, without a modulo per
    /// entry.
    fn queued(&self, h: CallHandle, head: usize, len: usize) -> bool {
        if len == 0 {
            return false;
        }
        let end = head + len;
        if self.ring.get((end - 1) % SIZE) == Some(&h) {
            return true;
        }
        let (first, wrapped) = if end <= SIZE {
            (self.ring.get(head..end), self.ring.get(..0))
        } else {
            (self.ring.get(head..), self.ring.get(..end - SIZE))
        };
        let has = |run: Option<&[CallHandle]>| run.is_some_and(|r| r.contains(&h));
        has(first) || has(wrapped)
    }

    /// The oldest queued call.
    pub(crate) fn pop(&mut self) -> Option<CallHandle> {
        if self.len == 0 {
            self.maybe = 0;
            return None;
        }
        let head = usize::from(self.head);
        let h = self.ring.get(head).copied();
        self.head = ((head + 1) % SIZE) as u8;
        self.len -= 1;
        if self.len == 0 {
            self.maybe = 0;
        }
        h
    }

    /// Whether calls were dropped since the last full walk; clears the flag.
    pub(crate) fn take_overflow(&mut self) -> bool {
        core::mem::take(&mut self.overflowed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifo_distinct_and_overflow() {
        let mut q = ReadyQueue::default();
        q.push(CallHandle(3));
        q.push(CallHandle(1));
        q.push(CallHandle(3));
        assert_eq!(q.pop(), Some(CallHandle(3)));
        assert_eq!(q.pop(), Some(CallHandle(1)));
        assert_eq!(q.pop(), None);
        for i in 0..=SIZE as u64 {
            q.push(CallHandle(i));
        }
        assert!(q.take_overflow());
        assert!(!q.take_overflow());
        assert_eq!(q.pop(), Some(CallHandle(0)));
    }

    #[test]
    fn handles_sharing_a_filter_bit_stay_distinct() {
        let mut q = ReadyQueue::default();
        for h in [1, 65, 2, 1, 65, 129] {
            q.push(CallHandle(h));
        }
        assert_eq!(q.pop(), Some(CallHandle(1)));
        // 1's bit stays set while 65 and 129 are queued.
        q.push(CallHandle(65));
        q.push(CallHandle(1));
        for h in [65, 2, 129, 1] {
            assert_eq!(q.pop(), Some(CallHandle(h)));
        }
        assert_eq!(q.pop(), None);
    }
}
