//! Congestion control per RFC 5681, counted in packets.
//!
//! Slow start below `ssthresh`, congestion avoidance above it, one halving
//! per window of data when packets are found lost (by RACK in the Tx
//! queue, not by counting duplicate ACKs, which reordering also makes), a
//! collapse to the minimum window on retransmission timeout, and a quarter
//! off (down to a floor) while RTT samples show a queue standing before
//! the receiver, so that the window stops short of overflowing it. The
//! usable Tx window is the congestion window clamped by the peer's
//! advertised receive window and our own maximum.

use core::time::Duration;

/// Smallest congestion window, in packets.
pub(crate) const MIN_CWND: u32 = 4;
/// Initial slow-start threshold, in packets.
pub(crate) const INITIAL_SSTHRESH: u32 = 128;
/// Largest Tx window we ever use, in packets.
pub(crate) const MAX_TX_WINDOW: u32 = 128;
/// Queueing delay a path may add to its smallest RTT (or that RTT again,
/// if longer) before the window shrinks for it.
const QUEUE_ALLOWANCE: Duration = Duration::from_millis(1);
/// The window a queueing delay alone never takes the window below.
const DELAY_FLOOR: u32 = 64;

/// Congestion state of one call's Tx phase.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Congestion {
    cwnd: u32,
    ssthresh: u32,
    /// Packets acknowledged toward the next +1 in congestion avoidance.
    ca_acked: u32,
    /// Highest sequence sent when fast recovery began; recovery ends when
    /// the hard-ACK point passes it.
    recovery_until: Option<u32>,
    /// The window and threshold before the loss that began the recovery,
    /// restored if the loss turns out to have been reordering.
    before_loss: (u32, u32),
    peer_rwind: u32,
}

impl Default for Congestion {
    fn default() -> Self {
        Congestion {
            cwnd: MIN_CWND,
            ssthresh: INITIAL_SSTHRESH,
            ca_acked: 0,
            recovery_until: None,
            before_loss: (MIN_CWND, INITIAL_SSTHRESH),
            peer_rwind: MAX_TX_WINDOW,
        }
    }
}

impl Congestion {
    /// How many packets may be in the network (the congestion window),
    /// and how far above the hard-ACK point they may reach (the peer's
    /// receive window, and our own maximum).
    pub(crate) fn limits(&self) -> (u32, u32) {
        (self.cwnd.clamp(1, MAX_TX_WINDOW), self.peer_rwind)
    }

    /// The congestion window alone.
    pub(crate) fn cwnd(&self) -> u32 {
        self.cwnd
    }

    /// Record the receive window from an ACK trailer. A peer that hard-ACKs
    /// what it received before its reader takes it (the C module, OpenAFS,
    /// ours) shuts its window with 0: new data then waits for the ACK that
    /// reopens it, or for the answer to a probe PING.
    pub(crate) fn set_peer_rwind(&mut self, rwind: u32) {
        self.peer_rwind = rwind.min(MAX_TX_WINDOW);
    }

    /// Whether the peer's receive window is shut.
    pub(crate) fn window_shut(&self) -> bool {
        self.peer_rwind == 0
    }

    /// Fold in one ACK. `newly_acked` counts packets newly hard- or
    /// soft-ACKed by it and `hard_ack` is its hard-ACK point. The window
    /// does not grow while recovering from a loss.
    pub(crate) fn on_ack(&mut self, newly_acked: u32, hard_ack: u32) {
        if let Some(until) = self.recovery_until {
            if hard_ack.wrapping_sub(until) as i32 >= 0 {
                // Full recovery: deflate to the threshold (RFC 5681 3.2 step 6).
                self.recovery_until = None;
                self.cwnd = self.ssthresh.max(MIN_CWND);
            }
            return;
        }
        if self.cwnd < self.ssthresh {
            self.cwnd = self
                .cwnd
                .saturating_add(newly_acked)
                .min(self.ssthresh.max(MIN_CWND));
        } else {
            self.ca_acked = self.ca_acked.saturating_add(newly_acked);
            if self.ca_acked >= self.cwnd {
                self.ca_acked -= self.cwnd;
                self.cwnd = self.cwnd.saturating_add(1);
            }
        }
        self.cwnd = self.cwnd.min(MAX_TX_WINDOW * 2);
    }

    /// Packets were found lost from the SACK table: enter fast recovery
    /// unless already recovering (one reduction per window of data).
    pub(crate) fn on_loss(&mut self, top: u32, flight: u32) {
        if self.recovery_until.is_some() {
            return;
        }
        self.before_loss = (self.cwnd, self.ssthresh);
        self.ssthresh = (flight / 2).max(2);
        self.cwnd = self.ssthresh.max(MIN_CWND);
        self.recovery_until = Some(top);
    }

    /// The loss that began the recovery was reordering (the original
    /// packet was acknowledged): undo the reduction (as RFC 4015's Eifel
    /// response does).
    pub(crate) fn undo(&mut self) {
        if self.recovery_until.take().is_some() {
            (self.cwnd, self.ssthresh) = self.before_loss;
        }
    }

    /// An RTT `sample` came in, against the path's smallest `min_rtt`.
    /// Well above it, the window keeps a queue standing before a slow
    /// receiver or link: shrink it by a quarter (at most once an RTT, as
    /// samples come), before the queue overflows and loses a burst of
    /// packets. A loss-based window alone fills any queue it meets.
    pub(crate) fn on_delay(&mut self, sample: Duration, min_rtt: Duration) {
        let allowance = min_rtt.max(QUEUE_ALLOWANCE);
        if self.recovery_until.is_some() || sample <= min_rtt.saturating_add(allowance) {
            return;
        }
        let usable = self.cwnd.min(MAX_TX_WINDOW);
        if usable > DELAY_FLOOR {
            self.cwnd = (usable * 3 / 4).max(DELAY_FLOOR);
            self.ssthresh = self.cwnd;
            self.ca_acked = 0;
        }
    }

    /// The retransmission timer expired with `flight` packets outstanding.
    pub(crate) fn on_rto(&mut self, flight: u32) {
        self.ssthresh = (flight / 2).max(2);
        self.cwnd = MIN_CWND;
        self.ca_acked = 0;
        self.recovery_until = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slow_start_then_avoidance() {
        let mut c = Congestion::default();
        assert_eq!(c.limits(), (MIN_CWND, MAX_TX_WINDOW));
        c.on_ack(4, 4);
        assert_eq!(c.cwnd(), 8);
        c.on_rto(8);
        assert_eq!(c.cwnd(), MIN_CWND);
        // ssthresh is now 4: avoidance adds one per window.
        c.on_ack(2, 6);
        assert_eq!(c.cwnd(), 4);
        c.on_ack(2, 8);
        assert_eq!(c.cwnd(), 5);
    }

    #[test]
    fn a_standing_queue_shrinks_the_window_to_a_floor() {
        let ms = Duration::from_millis;
        let mut c = Congestion::default();
        c.on_ack(200, 200);
        assert_eq!(c.limits().0, MAX_TX_WINDOW);
        // Within the allowance (1 ms, or the RTT itself if longer): no change.
        c.on_delay(
            ms(1) + Duration::from_micros(300),
            Duration::from_micros(300),
        );
        c.on_delay(ms(19), ms(10));
        assert_eq!(c.limits().0, MAX_TX_WINDOW);
        c.on_delay(ms(3), Duration::from_micros(300));
        assert_eq!(c.cwnd(), 96);
        // It stays in avoidance: one packet a window.
        c.on_ack(96, 296);
        assert_eq!(c.cwnd(), 97);
        for _ in 0..10 {
            c.on_delay(ms(3), Duration::from_micros(300));
        }
        assert_eq!(c.cwnd(), DELAY_FLOOR);
        // Nor does it act during a loss recovery.
        c.on_loss(400, 20);
        c.on_delay(ms(3), Duration::from_micros(300));
        assert_eq!(c.cwnd(), 10);
    }

    #[test]
    fn loss_reduces_once_per_window() {
        let mut c = Congestion::default();
        c.on_ack(40, 40);
        c.on_loss(84, 44);
        assert_eq!(c.cwnd(), 22);
        c.on_loss(84, 40);
        assert_eq!(c.cwnd(), 22);
        // No growth until the data sent before the loss is acknowledged.
        c.on_ack(10, 60);
        assert_eq!(c.cwnd(), 22);
        c.on_ack(24, 84);
        assert_eq!(c.cwnd(), 22);
        // Then avoidance: one more per window acknowledged.
        c.on_ack(22, 110);
        assert_eq!(c.cwnd(), 23);
    }

    #[test]
    fn spurious_loss_is_undone() {
        let mut c = Congestion::default();
        c.on_ack(40, 40);
        c.on_loss(84, 44);
        assert_eq!(c.cwnd(), 22);
        c.undo();
        assert_eq!(c.cwnd(), 44);
        c.on_ack(4, 44);
        assert_eq!(c.cwnd(), 48);
        // Nothing to undo outside a recovery.
        c.undo();
        assert_eq!(c.cwnd(), 48);
    }

    #[test]
    fn rwind_clamps() {
        let mut c = Congestion::default();
        for _ in 0..10 {
            c.on_ack(100, 0);
        }
        assert_eq!(c.limits(), (MAX_TX_WINDOW, MAX_TX_WINDOW));
        c.set_peer_rwind(16);
        assert_eq!(c.limits(), (MAX_TX_WINDOW, 16));
        c.set_peer_rwind(0);
        assert_eq!(c.limits(), (MAX_TX_WINDOW, 0));
        assert!(c.window_shut());
    }
}
