//! Congestion control per RFC 5681, counted in packets.
//!
//! Slow start below `ssthresh`, congestion avoidance above it, fast
//! retransmit and recovery after three duplicate ACKs, and a collapse to the
//! minimum window on retransmission timeout. The usable Tx window is the
//! congestion window clamped by the peer's advertised receive window and
//! our own maximum.

/// Smallest congestion window, in packets.
pub(crate) const MIN_CWND: u32 = 4;
/// Initial slow-start threshold, in packets.
pub(crate) const INITIAL_SSTHRESH: u32 = 128;
/// Largest Tx window we ever use, in packets.
pub(crate) const MAX_TX_WINDOW: u32 = 128;
/// Duplicate ACKs that trigger a fast retransmit.
const DUP_ACK_THRESHOLD: u32 = 3;

/// Congestion state of one call's Tx phase.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Congestion {
    cwnd: u32,
    ssthresh: u32,
    /// Packets acknowledged toward the next +1 in congestion avoidance.
    ca_acked: u32,
    dup_acks: u32,
    /// Highest sequence sent when fast recovery began; recovery ends when
    /// the hard-ACK point passes it.
    recovery_until: Option<u32>,
    peer_rwind: u32,
}

/// What the caller must do after an ACK was folded in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AckVerdict {
    /// Nothing beyond sending new data if the window allows.
    Proceed,
    /// Three duplicate ACKs seen: retransmit the first NACKed packet now.
    FastRetransmit,
}

impl Default for Congestion {
    fn default() -> Self {
        Congestion {
            cwnd: MIN_CWND,
            ssthresh: INITIAL_SSTHRESH,
            ca_acked: 0,
            dup_acks: 0,
            recovery_until: None,
            peer_rwind: MAX_TX_WINDOW,
        }
    }
}

impl Congestion {
    /// The number of packets that may be in flight now.
    pub(crate) fn window(&self) -> u32 {
        self.cwnd.min(self.peer_rwind).clamp(1, MAX_TX_WINDOW)
    }

    /// The congestion window alone.
    pub(crate) fn cwnd(&self) -> u32 {
        self.cwnd
    }

    /// Record the receive window from an ACK trailer (0 is treated as 1 so
    /// that a probe can still be sent).
    pub(crate) fn set_peer_rwind(&mut self, rwind: u32) {
        self.peer_rwind = rwind.clamp(1, MAX_TX_WINDOW);
    }

    /// Fold in one ACK. `newly_acked` counts packets newly hard- or
    /// soft-ACKed by it, `hard_ack` is its hard-ACK point, `has_nacks`
    /// whether it reports a hole, `top` the highest sequence sent so far and
    /// `flight` the packets in flight before the ACK.
    pub(crate) fn on_ack(
        &mut self,
        newly_acked: u32,
        hard_ack: u32,
        has_nacks: bool,
        top: u32,
        flight: u32,
    ) -> AckVerdict {
        if let Some(until) = self.recovery_until {
            if hard_ack.wrapping_sub(until) as i32 >= 0 {
                // Full recovery: deflate to the threshold (RFC 5681 3.2 step 6).
                self.recovery_until = None;
                self.cwnd = self.ssthresh.max(MIN_CWND);
                self.dup_acks = 0;
                return AckVerdict::Proceed;
            }
        }
        if newly_acked == 0 {
            if !has_nacks {
                return AckVerdict::Proceed;
            }
            self.dup_acks = self.dup_acks.saturating_add(1);
            if self.recovery_until.is_some() {
                // Window inflation while recovering (step 4).
                self.cwnd = self.cwnd.saturating_add(1).min(MAX_TX_WINDOW * 2);
                return AckVerdict::Proceed;
            }
            if self.dup_acks == DUP_ACK_THRESHOLD {
                self.ssthresh = (flight / 2).max(2);
                self.cwnd = self
                    .ssthresh
                    .saturating_add(DUP_ACK_THRESHOLD)
                    .max(MIN_CWND);
                self.recovery_until = Some(top);
                return AckVerdict::FastRetransmit;
            }
            return AckVerdict::Proceed;
        }
        self.dup_acks = 0;
        if self.recovery_until.is_some() {
            // Partial ACK during recovery: retransmit the next hole at once.
            return AckVerdict::FastRetransmit;
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
        AckVerdict::Proceed
    }

    /// Packets were found lost from the SACK table: enter fast recovery
    /// unless already recovering (one reduction per window of data).
    pub(crate) fn on_loss(&mut self, top: u32, flight: u32) {
        if self.recovery_until.is_some() {
            return;
        }
        self.ssthresh = (flight / 2).max(2);
        self.cwnd = self.ssthresh.max(MIN_CWND);
        self.recovery_until = Some(top);
        self.dup_acks = 0;
    }

    /// The retransmission timer expired with `flight` packets outstanding.
    pub(crate) fn on_rto(&mut self, flight: u32) {
        self.ssthresh = (flight / 2).max(2);
        self.cwnd = MIN_CWND;
        self.ca_acked = 0;
        self.dup_acks = 0;
        self.recovery_until = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slow_start_then_avoidance() {
        let mut c = Congestion::default();
        assert_eq!(c.window(), MIN_CWND);
        c.on_ack(4, 4, false, 4, 4);
        assert_eq!(c.cwnd(), 8);
        c.on_rto(8);
        assert_eq!(c.cwnd(), MIN_CWND);
        // ssthresh is now 4: avoidance adds one per window.
        c.on_ack(2, 6, false, 8, 4);
        assert_eq!(c.cwnd(), 4);
        c.on_ack(2, 8, false, 8, 4);
        assert_eq!(c.cwnd(), 5);
    }

    #[test]
    fn three_dup_acks_fast_retransmit() {
        let mut c = Congestion::default();
        c.on_ack(20, 20, false, 20, 20);
        assert_eq!(c.cwnd(), 24);
        assert_eq!(c.on_ack(0, 20, true, 44, 24), AckVerdict::Proceed);
        assert_eq!(c.on_ack(0, 20, true, 44, 24), AckVerdict::Proceed);
        assert_eq!(c.on_ack(0, 20, true, 44, 24), AckVerdict::FastRetransmit);
        assert_eq!(c.cwnd(), 15);
        assert_eq!(c.on_ack(0, 20, true, 44, 24), AckVerdict::Proceed);
        assert_eq!(c.cwnd(), 16);
        assert_eq!(c.on_ack(3, 30, true, 44, 24), AckVerdict::FastRetransmit);
        assert_eq!(c.on_ack(14, 44, false, 44, 24), AckVerdict::Proceed);
        assert_eq!(c.cwnd(), 12);
    }

    #[test]
    fn loss_reduces_once_per_window() {
        let mut c = Congestion::default();
        c.on_ack(40, 40, false, 40, 40);
        c.on_loss(84, 44);
        assert_eq!(c.cwnd(), 22);
        c.on_loss(84, 40);
        assert_eq!(c.cwnd(), 22);
        c.on_ack(44, 84, false, 84, 20);
        assert_eq!(c.cwnd(), 22);
    }

    #[test]
    fn rwind_clamps() {
        let mut c = Congestion::default();
        for _ in 0..10 {
            c.on_ack(100, 0, false, 0, 100);
        }
        assert_eq!(c.window(), MAX_TX_WINDOW);
        c.set_peer_rwind(16);
        assert_eq!(c.window(), 16);
        c.set_peer_rwind(0);
        assert_eq!(c.window(), 1);
    }
}
