//! The engine's listings (what /proc/net/rxrpc prints): calls,
//! connections, bundles and peers of both ends of a call in progress, and
//! the packet counters.

use std::time::Duration;

use rxrpc_proto::wire::RX_CALL_DEAD;
use rxrpc_proto::{Counters, NullSecurity, Outcome, ServiceConfig, MAX_PACKET};
use rxrpc_sim::sim::addr;
use rxrpc_sim::{AcceptMode, CallOpts, LinkConfig, Sim};

const SVC: u16 = 0x709;

fn pair(link: LinkConfig, accept: AcceptMode) -> Sim<NullSecurity> {
    let mut sim = Sim::new(7, link);
    sim.add_node(NullSecurity, ServiceConfig::default(), AcceptMode::Never);
    let svc = ServiceConfig {
        service_ids: [SVC, 0],
        backlog: 8,
        ..ServiceConfig::default()
    };
    sim.add_node(NullSecurity, svc, accept);
    sim
}

fn limit(sim: &Sim<NullSecurity>, secs: u64) -> rxrpc_proto::Instant {
    sim.now.after(Duration::from_secs(secs))
}

#[test]
fn a_call_in_progress_is_listed_on_both_sides() {
    // The server never accepts: the call stays in progress with its
    // request received and acknowledged.
    let mut sim = pair(LinkConfig::default(), AcceptMode::Never);
    sim.call(0, 1, SVC, 3000, CallOpts::default()).unwrap();
    let l = limit(&sim, 5);
    assert!(sim.run_until(l, |s| {
        let ep = &s.nodes[0].ep;
        s.nodes[0].clients[0].sent == 3000
            && ep.counters().rx_acks.iter().sum::<u64>() > 0
            && s.nodes[1].ep.stats().rx_bytes == 3000
    }));

    // Client side.
    let ep = &mut sim.nodes[0].ep;
    let call = ep.next_call(None).unwrap();
    assert_eq!(ep.next_call(Some(call)), None);
    let ci = ep.call_info(call).unwrap();
    assert!(ci.client);
    assert_eq!((ci.service_id, ci.peer, ci.call_number), (SVC, addr(1), 1));
    assert_eq!(ci.state, "ClAwtRpl");
    assert_eq!((ci.tx.1, ci.tx_top), (3, 3));
    assert!(ci.cwnd >= 1);
    assert_ne!(ci.cid, 0);

    let conn = ep.next_conn(None).unwrap();
    assert_eq!(ep.next_conn(Some(conn)), None);
    let co = ep.conn_info(conn).unwrap();
    assert!(co.client && co.secured);
    assert_eq!(
        (co.peer, co.service_id, co.security_index, co.epoch),
        (addr(1), SVC, 0, ep.epoch())
    );
    assert_eq!(co.cid, ci.cid & !3);
    let ch = (ci.cid & 3) as usize;
    assert_eq!((co.calls[ch], co.call_numbers[ch]), (Some(call), 1));
    assert_eq!(co.calls.iter().flatten().count(), 1);
    assert!(co.serial >= 3, "three DATA packets at least: {}", co.serial);

    let bundle = ep.next_bundle(None).unwrap();
    assert_eq!(ep.next_bundle(Some(bundle)), None);
    let bi = ep.bundle_info(bundle).unwrap();
    assert_eq!(
        (
            bi.peer,
            bi.service_id,
            bi.security,
            bi.exclusive,
            bi.upgrade
        ),
        (addr(1), SVC, (0, 0), false, false)
    );
    assert_eq!(bi.conns.iter().flatten().collect::<Vec<_>>(), [&co.cid]);

    let peer = ep.next_peer(None).unwrap();
    assert_eq!(ep.next_peer(Some(peer)), None);
    let pi = ep.peer_info(peer).unwrap();
    assert_eq!(
        (pi.addr, pi.conns, pi.mtu, pi.ssthresh),
        (addr(1), 1, MAX_PACKET as u32, 128)
    );
    assert!(pi.last_tx.is_some_and(|t| t <= sim.now));
    assert!(
        pi.srtt.is_some(),
        "the last DATA asked for an ACK, which timed the RTT"
    );
    assert!(pi.rto >= Duration::from_millis(200));
    let client_epoch = ep.epoch();
    let client_cid = ci.cid;

    // Server side: the same connection and call, seen from the other end.
    let ep = &mut sim.nodes[1].ep;
    let call = ep.next_call(None).unwrap();
    let si = ep.call_info(call).unwrap();
    assert!(!si.client);
    assert_eq!(
        (si.user, si.service_id, si.peer, si.cid, si.call_number),
        (None, SVC, addr(0), client_cid, 1)
    );
    assert_eq!(
        si.rx,
        (3, 3),
        "3 packets received and hard-ACKed, none read"
    );
    let conn = ep.next_conn(None).unwrap();
    let co = ep.conn_info(conn).unwrap();
    assert!(!co.client);
    assert_eq!(
        (co.peer, co.epoch, co.cid, co.service_id),
        (addr(0), client_epoch, client_cid & !3, SVC)
    );
    assert_eq!(ep.next_bundle(None), None, "a server has no bundles");
    assert_eq!(ep.next_peer(None), Some(addr(0)));

    let c = sim.nodes[0].ep.counters();
    let s = sim.nodes[1].ep.counters();
    assert_eq!((c.tx_data, s.rx_data), (3, 3));
    assert!(
        (1..3).contains(&s.rx_data_reqack),
        "the first (RTT probe) and last ask for ACKs: {}",
        s.rx_data_reqack
    );
    assert!(s.tx_acks[1] >= 1, "the REQUESTED ACK: {:?}", s.tx_acks);
    assert_eq!(c.rx_acks, s.tx_acks, "every ACK arrived");
}

#[test]
fn listings_empty_after_the_calls_end() {
    let mut sim = pair(LinkConfig::default(), AcceptMode::Charge);
    sim.call(0, 1, SVC, 100, CallOpts::default()).unwrap();
    assert!(sim.run_calls(limit(&sim, 10)));
    assert_eq!(sim.nodes[0].clients[0].outcome, Some(Outcome::Succeeded));
    for n in &mut sim.nodes {
        assert_eq!(n.ep.next_call(None), None);
    }
    // Idle connections and peers linger, then expire.
    assert!(sim.nodes[0].ep.next_conn(None).is_some());
    let l = limit(&sim, 20 * 60);
    sim.run_until(l, |_| false);
    for n in &mut sim.nodes {
        assert_eq!(
            (
                n.ep.next_conn(None),
                n.ep.next_bundle(None),
                n.ep.next_peer(None)
            ),
            (None, None, None)
        );
    }
}

#[test]
fn counters_match_across_a_clean_link_and_see_retransmissions_on_a_lossy_one() {
    let mut sim = pair(LinkConfig::default(), AcceptMode::Charge);
    for _ in 0..4 {
        sim.call(0, 1, SVC, 40_000, CallOpts::default()).unwrap();
    }
    assert!(sim.run_calls(limit(&sim, 60)));
    let l = limit(&sim, 20 * 60);
    sim.run_until(l, |_| false);
    let (c, s) = (sim.nodes[0].ep.counters(), sim.nodes[1].ep.counters());
    // Nothing lost, duplicated or jumbo: every packet sent arrived once.
    assert_eq!(s.rx_data, c.tx_data + c.tx_data_retrans);
    assert_eq!(c.rx_data, s.tx_data + s.tx_data_retrans);
    assert_eq!((c.rx_acks, s.rx_acks), (s.tx_acks, c.tx_acks));
    assert_eq!(
        (c.tx_data_retrans, s.tx_data_retrans, c.rx_data_jumbo),
        (0, 0, 0)
    );
    assert!(c.tx_data >= 4 * 29, "four 40 kB requests: {}", c.tx_data);

    let mut sim = pair(
        LinkConfig {
            loss: 0.1,
            ..LinkConfig::default()
        },
        AcceptMode::Charge,
    );
    for _ in 0..4 {
        sim.call(0, 1, SVC, 40_000, CallOpts::default()).unwrap();
    }
    assert!(sim.run_calls(limit(&sim, 600)));
    let (c, s) = (sim.nodes[0].ep.counters(), sim.nodes[1].ep.counters());
    assert!(c.tx_data_retrans > 0, "{c:?}");
    assert!(s.rx_data < c.tx_data + c.tx_data_retrans);
    assert!(c.rx_acks.iter().sum::<u64>() < s.tx_acks_total());

    let mut total = Counters::default();
    total.add(&c);
    total.add(&s);
    assert_eq!(total.tx_data, c.tx_data + s.tx_data);
    assert_eq!(total.tx_acks_total(), c.tx_acks_total() + s.tx_acks_total());
}

#[test]
fn an_aborted_call_is_listed_until_released() {
    let mut sim = pair(LinkConfig::default(), AcceptMode::Never);
    sim.call(0, 1, SVC, 10, CallOpts::default()).unwrap();
    let l = limit(&sim, 5);
    assert!(sim.run_until(l, |s| s.nodes[1].ep.stats().calls == 1));
    let now = sim.now;
    let h = sim.nodes[0].clients[0].handle;
    let ep = &mut sim.nodes[0].ep;
    ep.abort(now, h, RX_CALL_DEAD).unwrap();
    let info = ep.call_info(h).unwrap();
    assert_eq!(info.state, "Complete");
    assert_eq!(
        info.outcome,
        Some(Outcome::LocalAbort {
            code: RX_CALL_DEAD,
            errno: 0
        })
    );
    ep.release(now, h);
    assert_eq!(ep.next_call(None), None);
}
