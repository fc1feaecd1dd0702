//! One of the four call slots of a connection.
//!
//! A channel runs one call at a time; call numbers count up on it. After a
//! call ends, the channel remembers how, so that a peer retransmitting at
//! the dead call gets the final ACK or ABORT again.

use super::event::CallHandle;

/// What the peer must be told again about the channel's last call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Final {
    /// Client call done: re-send the final ACK hard-ACKing `last`.
    Ack { last: u32 },
    /// We aborted it: re-send the ABORT.
    Abort(u32),
    /// Nothing to repeat (remote abort, service call done, ...).
    Quiet,
}

/// A call slot.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Channel {
    /// The call occupying the channel.
    pub(crate) call: Option<CallHandle>,
    /// Number of the current or last call (0: none yet).
    pub(crate) call_number: u32,
    /// How the last call ended, if it did.
    pub(crate) last: Option<Final>,
}

impl Channel {
    /// Take the channel for a new client call; returns its call number.
    pub(crate) fn take_client(&mut self, h: CallHandle) -> u32 {
        self.call_number = self.call_number.wrapping_add(1);
        if self.call_number == 0 {
            self.call_number = 1;
        }
        self.call = Some(h);
        self.last = None;
        self.call_number
    }

    /// Take the channel for an incoming call numbered `n`.
    pub(crate) fn take_service(&mut self, h: CallHandle, n: u32) {
        self.call_number = n;
        self.call = Some(h);
        self.last = None;
    }

    /// The channel's call `h` ended as `fin`.
    pub(crate) fn release(&mut self, h: CallHandle, fin: Final) {
        if self.call == Some(h) {
            self.call = None;
            self.last = Some(fin);
        }
    }
}

/// Whether call number `a` is later than `b` (serial arithmetic).
pub(crate) fn call_after(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) > 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_count_up_and_final_is_kept() {
        let mut c = Channel::default();
        assert_eq!(c.take_client(CallHandle(1)), 1);
        c.release(CallHandle(2), Final::Quiet);
        assert_eq!(c.call, Some(CallHandle(1)));
        c.release(CallHandle(1), Final::Ack { last: 3 });
        assert_eq!((c.call, c.last), (None, Some(Final::Ack { last: 3 })));
        assert_eq!(c.take_client(CallHandle(3)), 2);
        assert!(call_after(2, 1) && !call_after(1, 1) && call_after(0, u32::MAX));
    }
}
