//! Calls that may have something to send or to report.
//!
//! Every entry point notes the calls it touched here, so that draining
//! packets and events visits those calls instead of walking all of them.
//! The queue is small and fixed; when it overflows, the next drain falls
//! back to one walk over every call, so nothing is ever missed.

use super::event::CallHandle;

/// Entries per queue. The endpoint holds three and must stay under 4 KiB
/// (it is built on a kernel stack); a batch touching more calls than this
/// costs one walk over all calls, as an overflow does.
const SIZE: usize = 66;

/// A FIFO of distinct call handles with an overflow flag.
#[derive(Debug)]
pub(crate) struct ReadyQueue {
    ring: [CallHandle; SIZE],
    head: usize,
    len: usize,
    overflowed: bool,
}

impl Default for ReadyQueue {
    fn default() -> Self {
        ReadyQueue {
            ring: [CallHandle(0); SIZE],
            head: 0,
            len: 0,
            overflowed: false,
        }
    }
}

impl ReadyQueue {
    /// Queue `h` unless it is queued already.
    pub(crate) fn push(&mut self, h: CallHandle) {
        // The queued entries as up to two runs of the ring, searched
        // without a modulo per entry (every touch of a call pushes it).
        let end = self.head + self.len;
        let (first, wrapped) = if end <= SIZE {
            (self.ring.get(self.head..end), self.ring.get(..0))
        } else {
            (self.ring.get(self.head..), self.ring.get(..end - SIZE))
        };
        let queued = |run: Option<&[CallHandle]>| run.is_some_and(|r| r.contains(&h));
        if queued(first) || queued(wrapped) {
            return;
        }
        if self.len == SIZE {
            self.overflowed = true;
            return;
        }
        self.ring[(self.head + self.len) % SIZE] = h;
        self.len += 1;
    }

    /// The oldest queued call.
    pub(crate) fn pop(&mut self) -> Option<CallHandle> {
        if self.len == 0 {
            return None;
        }
        let h = self.ring[self.head];
        self.head = (self.head + 1) % SIZE;
        self.len -= 1;
        Some(h)
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
}
