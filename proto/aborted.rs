//! Service connections we aborted, remembered for a while.
//!
//! A client may have sent more packets on a connection before our ABORT
//! reaches it (a DATA retransmitted while its RESPONSE was being refused).
//! They get the same ABORT, rather than opening a new connection whose
//! call the service would see fail a second time, differently; a C
//! connection lingers ABORTED for the same reason.

use core::time::Duration;

use super::conn::ConnKey;
use super::time::Instant;

/// How many aborted connections are remembered (the oldest goes first).
const SLOTS: usize = 4;
/// How long one is remembered.
const LINGER: Duration = Duration::from_secs(10);

/// A small ring of recently aborted service connections.
#[derive(Default)]
pub(crate) struct AbortedConns {
    slots: [Option<(ConnKey, u32, Instant)>; SLOTS],
    next: usize,
}

impl AbortedConns {
    /// Connection `key` was aborted with `code` at `now`.
    pub(crate) fn note(&mut self, key: ConnKey, code: u32, now: Instant) {
        if let Some(slot) = self.slots.get_mut(self.next) {
            *slot = Some((key, code, now.after(LINGER)));
        }
        self.next = (self.next + 1) % SLOTS;
    }

    /// The abort code of connection `key`, if it was aborted lately.
    pub(crate) fn code(&self, key: &ConnKey, now: Instant) -> Option<u32> {
        self.slots
            .iter()
            .flatten()
            .find(|(k, _, until)| k == key && now < *until)
            .map(|&(_, code, _)| code)
    }
}
