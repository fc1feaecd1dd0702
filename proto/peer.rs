//! Peers: what we know about one remote transport address.

use core::time::Duration;

use super::rtt::RttEstimator;
use super::time::Instant;

/// Interval of the keepalive (an empty VERSION) to a peer in use.
pub(crate) const KEEPALIVE: Duration = Duration::from_secs(20);
/// How long a peer with no connections is kept (its RTT is still useful).
pub(crate) const PEER_LINGER: Duration = Duration::from_secs(30);

/// A remote transport address and the state shared by its connections.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Peer {
    pub(crate) rtt: RttEstimator,
    /// Connections to this peer.
    pub(crate) conns: u32,
    /// When to send the next keepalive.
    pub(crate) keepalive: Option<Instant>,
    /// When to discard the peer if it still has no connections.
    pub(crate) expiry: Option<Instant>,
    /// When we last sent it something.
    pub(crate) last_tx: Option<Instant>,
}

impl Peer {
    /// Something was sent to the peer at `now`: push the keepalive back.
    pub(crate) fn sent(&mut self, now: Instant) {
        self.last_tx = Some(now);
        if self.conns > 0 {
            self.keepalive = Some(now.after(KEEPALIVE));
        }
    }

    /// The next deadline of the peer.
    pub(crate) fn next_timeout(&self) -> Option<Instant> {
        super::timer::earliest(self.keepalive, self.expiry)
    }
}
