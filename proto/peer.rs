//! Peers: what we know about one remote transport address.

use core::time::Duration;

use super::addr::TransportAddr;
use super::event::CallHandle;
use super::rtt::RttEstimator;
use super::security::WIRE_PAYLOAD;
use super::time::Instant;
use super::wire::{HEADER_LEN, JUMBO_DATALEN, JUMBO_HEADER_LEN, JUMBO_SUBPKTLEN};

/// Interval of the keepalive (an empty VERSION) to a peer in use.
pub(crate) const KEEPALIVE: Duration = Duration::from_secs(20);
/// How long a peer with no connections is kept (its RTT is still useful).
pub(crate) const PEER_LINGER: Duration = Duration::from_secs(30);
/// Most DATA subpackets we put in one datagram: 60,916 bytes, which the
/// kernel glue sends from the packets' buffers by reference, as 16 page
/// fragments at most and one for the header (an skb's 17, where mainline's
/// 46 would take 18), and our receiver takes where they lie. Only where the
/// route takes that whole (loopback); a peer's ACK trailer may allow
/// fewer: 4 from 6.12's C module.
pub(crate) const TX_JUMBO_MAX: usize = 43;
/// Most subpackets on a route that does not take [`TX_JUMBO_MAX`]: on a
/// virtual link of 9000-byte frames, jumbos of 6 (8,520 bytes) lost three
/// times the packets jumbos of 4 did, and went slower.
const NARROW_JUMBO_MAX: usize = 4;
/// Least DATA payload (with its security header) a packet is cut to for a
/// narrow route: what a 576-byte IPv4 datagram holds, the size every host
/// must reassemble. Routes narrower still get fragments.
const MIN_DATA_SPACE: usize = 576 - 28 - HEADER_LEN;
/// Jumbo probes lost in a row before a peer gets single packets only.
const PROBE_TRIES: u8 = 3;
/// How long a path that lost its jumbo probes gets single packets before
/// they are tried again (RFC 8899's PMTU_RAISE_TIMER).
const JUMBO_RETRY: Duration = Duration::from_secs(600);

/// The length of a DATA datagram of `k` (at least 1) full subpackets.
pub(crate) const fn jumbo_len(k: usize) -> usize {
    HEADER_LEN + k * JUMBO_DATALEN + (k - 1) * JUMBO_HEADER_LEN
}

/// Whether the path to a peer carries our jumbo packets: packetisation
/// layer path-MTU discovery (RFC 8899) whose probe is the first jumbo,
/// carrying data, so that a lost probe costs only a retransmission.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum JumboPath {
    /// Not known: one jumbo at a time is a probe (`probe`: its call and
    /// first sequence number while it is out); `fails` were lost so far.
    Search {
        fails: u8,
        probe: Option<(CallHandle, u32)>,
    },
    /// A jumbo got through.
    Confirmed,
    /// The probes were lost: single packets until then.
    Off(Instant),
}

impl Default for JumboPath {
    fn default() -> Self {
        JumboPath::Search {
            fails: 0,
            probe: None,
        }
    }
}

/// What became of a jumbo probe.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ProbeFate {
    /// Still in the network.
    Out,
    /// Acknowledged: the path carries it.
    Delivered,
    /// Found lost.
    Lost,
    /// Its call went before either was known.
    Gone,
}

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
    /// Largest UDP payload the route to it carries (its MTU less the IP
    /// and UDP headers), if the caller knows it.
    pub(crate) path_max: Option<u32>,
    /// Largest datagram and most subpackets it takes, from its latest ACK
    /// trailer (`min(maxMTU, ifMTU)` and `jumbo_max`).
    pub(crate) accepts: Option<(u32, u32)>,
    /// Whether the path carries jumbo packets.
    pub(crate) jumbo: JumboPath,
}

impl Peer {
    /// Something was sent to the peer at `now`: push the keepalive back.
    pub(crate) fn sent(&mut self, now: Instant) {
        self.last_tx = Some(now);
        if self.conns > 0 {
            self.keepalive = Some(now.after(KEEPALIVE));
        }
    }

    /// The route's MTU to it is `mtu` (IP packet bytes): note its UDP
    /// payload, and search again for jumbo packets if that changed.
    pub(crate) fn set_path_mtu(&mut self, addr: &TransportAddr, mtu: Option<u32>) {
        let ip_udp = match addr {
            TransportAddr::V4(..) => 28,
            TransportAddr::V6(..) => 48,
        };
        let max = mtu.map(|m| m.saturating_sub(ip_udp));
        if max != self.path_max {
            self.path_max = max;
            self.jumbo = JumboPath::default();
        }
    }

    /// DATA payload bytes (security header and padding included) that one
    /// packet to it carries unfragmented, at most [`WIRE_PAYLOAD`]: on a
    /// route narrower than a full packet (a tunnel's, a VPN's) calls cut
    /// their data to fit, where 6.12's C module sends full packets for IP
    /// to fragment: a lost fragment loses the packet, and many paths drop
    /// fragments outright.
    pub(crate) fn data_space(&self) -> usize {
        self.path_max.map_or(WIRE_PAYLOAD, |m| {
            (m as usize)
                .saturating_sub(HEADER_LEN)
                .clamp(MIN_DATA_SPACE, WIRE_PAYLOAD)
        })
    }

    /// Whether a datagram of `len` bytes goes to it unfragmented, as far as
    /// the caller knows its route.
    pub(crate) fn fits(&self, len: usize) -> bool {
        self.path_max.map_or(true, |m| len <= m as usize)
    }

    /// The ifMTU we advertise to it, as the C module does: the route's
    /// MTU less the IP, UDP and RxRPC headers; without a route, `dflt`.
    pub(crate) fn if_mtu(&self, dflt: u32) -> u32 {
        self.path_max
            .map_or(dflt, |m| m.saturating_sub(HEADER_LEN as u32))
    }

    /// Subpackets a DATA datagram to it may hold at `now`, at most `room`:
    /// as many as it takes and the route carries once the path is known
    /// to carry jumbos; one at a time as a probe while it is searched.
    pub(crate) fn jumbo_count(&self, now: Instant, room: usize) -> usize {
        let (Some(path), Some((size, most))) = (self.path_max, self.accepts) else {
            return 1;
        };
        match self.jumbo {
            JumboPath::Off(until) if now < until => return 1,
            JumboPath::Search { probe: Some(_), .. } => return 1,
            _ => {}
        }
        let limit = path.min(size) as usize;
        let cap = if jumbo_len(TX_JUMBO_MAX) <= path as usize {
            TX_JUMBO_MAX
        } else {
            NARROW_JUMBO_MAX
        };
        // jumbo_len(k) <= limit, solved for k.
        let fit = (limit + JUMBO_HEADER_LEN).saturating_sub(HEADER_LEN) / JUMBO_SUBPKTLEN;
        cap.min(most as usize).min(room).min(fit).max(1)
    }

    /// A jumbo starting at `seq` of call `h` went out: the probe, if the
    /// path is not known yet.
    pub(crate) fn sent_jumbo(&mut self, now: Instant, h: CallHandle, seq: u32) {
        match self.jumbo {
            JumboPath::Off(until) if now >= until => {
                self.jumbo = JumboPath::Search {
                    fails: 0,
                    probe: Some((h, seq)),
                };
            }
            JumboPath::Search { fails, probe: None } => {
                self.jumbo = JumboPath::Search {
                    fails,
                    probe: Some((h, seq)),
                };
            }
            _ => {}
        }
    }

    /// The probe out, if any.
    pub(crate) fn probe(&self) -> Option<(CallHandle, u32)> {
        match self.jumbo {
            JumboPath::Search { probe, .. } => probe,
            _ => None,
        }
    }

    /// The probe out met `fate` (at `now`).
    pub(crate) fn settle_probe(&mut self, now: Instant, fate: ProbeFate) {
        let JumboPath::Search { fails, .. } = self.jumbo else {
            return;
        };
        self.jumbo = match fate {
            ProbeFate::Out => return,
            ProbeFate::Delivered => JumboPath::Confirmed,
            ProbeFate::Gone => JumboPath::Search { fails, probe: None },
            ProbeFate::Lost if fails + 1 >= PROBE_TRIES => JumboPath::Off(now.after(JUMBO_RETRY)),
            ProbeFate::Lost => JumboPath::Search {
                fails: fails + 1,
                probe: None,
            },
        };
    }

    /// The next deadline of the peer.
    pub(crate) fn next_timeout(&self) -> Option<Instant> {
        super::timer::earliest(self.keepalive, self.expiry)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_space_fits_the_route() {
        let v4 = TransportAddr::V4([10, 0, 0, 1], 7000);
        let v6 = TransportAddr::V6([0; 16], 7000);
        let space = |addr: &TransportAddr, mtu: Option<u32>| {
            let mut p = Peer::default();
            p.set_path_mtu(addr, mtu);
            let s = p.data_space();
            // A full packet then goes whole, where the route is that wide.
            assert!(p.fits(HEADER_LEN + s) || s == MIN_DATA_SPACE);
            s
        };
        // No route known, or a wide one: full packets.
        assert_eq!(space(&v4, None), WIRE_PAYLOAD);
        assert_eq!(space(&v4, Some(1500)), WIRE_PAYLOAD);
        assert_eq!(space(&v6, Some(1500)), WIRE_PAYLOAD);
        // The widest route that takes a full packet only just.
        assert_eq!(space(&v4, Some(1468)), WIRE_PAYLOAD);
        assert_eq!(space(&v6, Some(1488)), WIRE_PAYLOAD);
        // Narrower: cut to fit, IPv6's headers 20 bytes longer.
        assert_eq!(space(&v4, Some(1420)), 1364);
        assert_eq!(space(&v6, Some(1420)), 1344);
        assert_eq!(space(&v6, Some(1280)), 1204);
        // Not below what a 576-byte datagram holds.
        assert_eq!(space(&v4, Some(576)), 520);
        assert_eq!(space(&v4, Some(68)), MIN_DATA_SPACE);
    }

    #[test]
    fn jumbo_count_is_the_most_that_fit() {
        let mut p = Peer {
            jumbo: JumboPath::Confirmed,
            accepts: Some((u32::MAX, 46)),
            ..Peer::default()
        };
        for path in 0..20_000u32 {
            p.path_max = Some(path);
            let k = p.jumbo_count(Instant(0), 46);
            let cap = if jumbo_len(TX_JUMBO_MAX) <= path as usize {
                TX_JUMBO_MAX
            } else {
                NARROW_JUMBO_MAX
            };
            assert!(k == 1 || jumbo_len(k) <= path as usize, "{path}");
            assert!(k == cap || jumbo_len(k + 1) > path as usize, "{path}");
        }
    }
}
