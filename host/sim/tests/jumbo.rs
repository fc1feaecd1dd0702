//! Jumbo packets: sent once the route and the peer allow them, after one
//! probe gets through, and given up on a path that drops them.

use rxrpc_proto::{NullSecurity, Outcome, ServiceConfig};
use rxrpc_sim::{AcceptMode, CallOpts, LinkConfig, Sim};
use std::time::Duration;

const SVC: u16 = 52;
const LEN: u64 = 1 << 20;

/// Two nodes on `link`, node 1 serving.
fn pair(link: LinkConfig) -> Sim<NullSecurity> {
    let mut sim = Sim::new(7, link);
    sim.add_node(NullSecurity, ServiceConfig::default(), AcceptMode::Never);
    let svc = ServiceConfig {
        service_ids: [SVC, 0],
        backlog: 8,
        ..ServiceConfig::default()
    };
    sim.add_node(NullSecurity, svc, AcceptMode::Charge);
    sim
}

/// One call of `LEN` each way; returns the datagrams it took, and how
/// many DATA the two nodes received in jumbos.
fn call(sim: &mut Sim<NullSecurity>) -> (u64, u64) {
    let sent = sim.stats.sent;
    let jumbo = |s: &Sim<NullSecurity>| {
        s.nodes
            .iter()
            .map(|n| n.ep.counters().rx_data_jumbo)
            .sum::<u64>()
    };
    let before = jumbo(sim);
    let c = sim.call(0, 1, SVC, LEN, CallOpts::default()).unwrap();
    let limit = sim.now.after(Duration::from_secs(600));
    assert!(sim.run_calls(limit));
    let cc = &sim.nodes[0].clients[c];
    assert_eq!(cc.outcome, Some(Outcome::Succeeded));
    assert!(!cc.mismatch && cc.received == LEN);
    (sim.stats.sent - sent, jumbo(sim) - before)
}

fn link(mtu: usize, route_mtu: Option<u32>) -> LinkConfig {
    LinkConfig {
        mtu,
        route_mtu,
        ..LinkConfig::default()
    }
}

#[test]
fn a_route_that_carries_them_gets_jumbo_packets() {
    let (single, none) = call(&mut pair(link(65535, None)));
    assert_eq!(none, 0);
    let mut sim = pair(link(65535, Some(65535)));
    let (first, jumbo) = call(&mut sim);
    let (second, _) = call(&mut sim);
    eprintln!("datagrams: {single} single, {first} then {second} with jumbos");
    // 743 packets each way: most go 43 to a datagram.
    assert!(jumbo > 1000, "{jumbo} DATA in jumbos");
    assert!(second * 2 < single, "{second} datagrams against {single}");
}

/// Jumbos of 43 go only where the route takes the whole 60,916 bytes;
/// a 9000-byte route gets 4 to a datagram, not the 6 that would fit.
#[test]
fn most_on_a_wide_route_four_on_a_narrower_one() {
    let datagrams = |mtu: u32| {
        let mut sim = pair(link(mtu as usize, Some(mtu)));
        call(&mut sim);
        call(&mut sim).0
    };
    // 743 packets each way and the ACKs: 744 datagrams with jumbos of 4,
    // 516 with 6, 284 with 11, and 84 with 43 as with 46 (the window, not
    // the jumbo, bounds a datagram then).
    let (narrow, wide) = (datagrams(9000), datagrams(65535));
    eprintln!("datagrams: {narrow} on a 9000-byte route, {wide} on 65535");
    assert!(narrow > 700, "{narrow} datagrams");
    assert!(wide < 120, "{wide} datagrams");
}

/// One call over a route of `mtu` losing 2% of the datagrams, the
/// datagrams taken from the engine one at a time (`copying`) or in
/// bursts: the datagrams it took, the DATA received in jumbos, the digest
/// of all that was sent, and how many went in bursts.
fn lossy_call(mtu: u32, copying: bool) -> (u64, u64, u64, u64) {
    let lossy = LinkConfig {
        loss: 0.02,
        ..link(mtu as usize, Some(mtu))
    };
    let mut sim = pair(lossy);
    sim.copying = copying;
    let (sent, jumbo) = call(&mut sim);
    (sent, jumbo, sim.stats.digest, sim.stats.in_bursts)
}

#[test]
fn datagrams_sent_in_pieces_are_the_copied_ones() {
    // Jumbos, and resends of lost packets alone.
    let (one, pieces) = (lossy_call(65535, true), lossy_call(65535, false));
    assert!(one.1 > 1000, "{} DATA in jumbos", one.1);
    assert_eq!((one.0, one.1, one.2), (pieces.0, pieces.1, pieces.2));
}

/// On a route that takes no jumbo packets, DATA goes in bursts of
/// datagrams (each checked as the kernel's UDP segmentation needs it), the
/// very datagrams a caller taking them one at a time sends.
#[test]
fn bursts_are_the_datagrams_sent_one_at_a_time() {
    let (one, burst) = (lossy_call(1500, true), lossy_call(1500, false));
    assert_eq!(one.1, 0);
    assert_eq!((one.0, one.1, one.2), (burst.0, burst.1, burst.2));
    // 743 DATA each way, most of them sent in bursts.
    assert!(burst.3 > 700, "{} datagrams in bursts", burst.3);
}

#[test]
fn a_route_too_small_gets_single_packets() {
    let mut sim = pair(link(1500, Some(1500)));
    assert_eq!(call(&mut sim).1, 0);
    assert_eq!(sim.stats.sent, sim.stats.delivered);
}

#[test]
fn a_path_that_drops_them_is_given_up_after_three_probes() {
    // The route promises 9000 bytes; a hop beyond it carries 1500.
    let mut sim = pair(link(1500, Some(9000)));
    let lost = |s: &Sim<NullSecurity>| s.stats.sent - s.stats.delivered;
    call(&mut sim);
    // Three probes each way, then nothing more is lost.
    assert_eq!(lost(&sim), 6);
    call(&mut sim);
    assert_eq!(lost(&sim), 6);
}

/// A route narrower than a full packet (a tunnel's 1400 bytes) gets DATA
/// cut to fit it, all of it delivered (the link drops what is longer, as
/// a path that drops fragments does), and still in bursts.
#[test]
fn a_narrow_route_gets_packets_cut_to_fit() {
    let mut sim = pair(link(1400, Some(1400)));
    let (sent, jumbo) = call(&mut sim);
    assert_eq!(jumbo, 0);
    assert_eq!(sim.stats.sent, sim.stats.delivered);
    // 1 MiB each way in packets of 1,344 bytes: 781 DATA.
    assert!(sent > 2 * 781, "{sent} datagrams");
    assert!(
        sim.stats.in_bursts > 700,
        "{} in bursts",
        sim.stats.in_bursts
    );
}
