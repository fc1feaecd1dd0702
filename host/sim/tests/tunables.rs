//! The run-time settings (`net.rxrpc.*` sysctls in the kernel) and the
//! reasons received packets are dropped for.

mod common;
use common::*;
use std::time::Duration;

use rxrpc_proto::wire::{decode, Ack, AckReason, Flags, Header, Packet};
use rxrpc_proto::{Instant, NullSecurity, RxDrop, ServiceConfig, Tunables, MAX_PACKET};
use rxrpc_sim::{AcceptMode, CallOpts, LinkConfig, Sim};

/// The trailers of the ACKs among `pkts`: (maxMTU, ifMTU, rwind, jumbo_max).
fn trailers(pkts: &[Vec<u8>]) -> Vec<(u32, u32, u32, u32)> {
    pkts.iter()
        .filter_map(|p| match decode(p) {
            Ok((
                _,
                Packet::Ack(Ack {
                    trailer: Some(t), ..
                }),
            )) => Some((t.max_mtu, t.if_mtu, t.rwind, t.jumbo_max)),
            _ => None,
        })
        .collect()
}

/// The ACK trailer says `rx_mtu` and `rx_jumbo_max` (by default a jumbo of
/// 46 subpackets in 65,160 bytes, where C says 4 in 5692), and a change
/// applies to the next ACK of a live call.
#[test]
fn ack_trailer_advertises_rx_mtu_and_jumbo_max() {
    let now = Instant(1_000_000_000);
    let (mut client, mut server, call) = pair_with_call(now);
    assert_eq!(server.tunables(), Tunables::default());
    // Two packets: the server ACKs every second one at once (and PINGs
    // the client, new to it, for an RTT).
    let data = vec![1u8; 3 * 1412];
    client.send(call, &data, false).unwrap();
    let datas = drain(&mut client, now);
    assert!(datas.len() >= 3, "{} packets", datas.len());
    server.handle_datagram(now, CLIENT, &datas[0]);
    server.handle_datagram(now, CLIENT, &datas[1]);
    let acks = trailers(&drain(&mut server, now));
    assert!(!acks.is_empty());
    for t in &acks {
        assert_eq!((t.0, t.1, t.3), (65160, MAX_PACKET as u32, 46));
    }
    server.set_tunables(Tunables {
        rx_mtu: 1444,
        rx_jumbo_max: 1,
        ..Tunables::default()
    });
    // The third is ACKed after a delay.
    server.handle_datagram(now, CLIENT, &datas[2]);
    drain(&mut server, now);
    let t = server.poll_timeout().unwrap();
    server.handle_timeout(t);
    let acks = trailers(&drain(&mut server, t));
    assert!(!acks.is_empty());
    for t in &acks {
        assert_eq!((t.0, t.3), (1444, 1));
    }
}

/// `soft_ack_delay` bounds the delay of the ACK for a lone packet that
/// did not ask for one (our own delay, 20 ms, is shorter than C's default
/// of a second, so only a shorter bound shows).
#[test]
fn soft_ack_delay_bounds_the_delayed_ack() {
    let now = Instant(1_000_000_000);
    let delayed_ack_at = |soft: Option<Duration>| -> Instant {
        let (mut client, mut server, call) = pair_with_call(now);
        if let Some(d) = soft {
            server.set_tunables(Tunables {
                soft_ack_delay: d,
                ..Tunables::default()
            });
        }
        client.send(call, &vec![1u8; 3 * 1412], false).unwrap();
        let datas = drain(&mut client, now);
        // The first packet asks for an ACK; the second does not, and
        // alone gets none at once, but one later.
        let (h, _) = decode(&datas[1]).unwrap();
        assert!(!h.flags.contains(Flags::REQUEST_ACK));
        server.handle_datagram(now, CLIENT, &datas[0]);
        drain(&mut server, now);
        server.handle_datagram(now, CLIENT, &datas[1]);
        assert!(
            trailers(&drain(&mut server, now)).is_empty(),
            "ACKed at once"
        );
        let t = server.poll_timeout().expect("an ACK timer");
        server.handle_timeout(t);
        let reasons: Vec<AckReason> = drain(&mut server, t)
            .iter()
            .filter_map(|p| match decode(p) {
                Ok((_, Packet::Ack(a))) => Some(a.reason),
                _ => None,
            })
            .collect();
        assert_eq!(reasons, vec![AckReason::DELAY]);
        t
    };
    assert_eq!(delayed_ack_at(None), now.after(Duration::from_millis(20)));
    assert_eq!(
        delayed_ack_at(Some(Duration::from_millis(1000))),
        now.after(Duration::from_millis(20))
    );
    assert_eq!(
        delayed_ack_at(Some(Duration::from_millis(3))),
        now.after(Duration::from_millis(3))
    );
}

fn pair() -> Sim<NullSecurity> {
    let mut sim = Sim::new(42, LinkConfig::default());
    sim.add_node(NullSecurity, ServiceConfig::default(), AcceptMode::Never);
    sim.add_node(
        NullSecurity,
        ServiceConfig {
            service_ids: [SVC, 0],
            backlog: 16,
            ..ServiceConfig::default()
        },
        AcceptMode::Charge,
    );
    sim
}

fn run_for(sim: &mut Sim<NullSecurity>, d: Duration) {
    let limit = sim.now.after(d);
    sim.run_until(limit, |_| false);
    sim.now = sim.now.max(limit);
}

/// Calls from node 0 to node 1, `exclusive` ones on a connection each,
/// run to completion.
fn calls(sim: &mut Sim<NullSecurity>, n: usize, exclusive: bool) {
    for _ in 0..n {
        let opts = CallOpts {
            exclusive,
            ..CallOpts::default()
        };
        sim.call(0, 1, SVC, 100, opts).unwrap();
    }
    let limit = sim.now.after(Duration::from_secs(10));
    assert!(sim.run_calls(limit));
}

/// An idle client connection is kept `client_conn_idle` (the sysctl
/// `idle_conn_expiry`), and a change applies to connections already idle.
#[test]
fn idle_client_conns_expire_by_the_setting() {
    let mut sim = pair();
    sim.nodes[0].ep.set_tunables(Tunables {
        client_conn_idle: Duration::from_secs(5),
        ..Tunables::default()
    });
    calls(&mut sim, 1, false);
    assert_eq!(sim.nodes[0].ep.client_conns(), 1);
    run_for(&mut sim, Duration::from_secs(4));
    assert_eq!(sim.nodes[0].ep.client_conns(), 1);
    run_for(&mut sim, Duration::from_secs(2));
    assert_eq!(sim.nodes[0].ep.client_conns(), 0);
    assert_eq!(sim.nodes[0].ep.stats().conns, 0);

    // The default keeps it two minutes; lowering it reaps it sooner.
    sim.nodes[0].ep.set_tunables(Tunables::default());
    calls(&mut sim, 1, false);
    run_for(&mut sim, Duration::from_secs(30));
    assert_eq!(sim.nodes[0].ep.client_conns(), 1);
    sim.nodes[0].ep.set_tunables(Tunables {
        client_conn_idle: Duration::from_secs(10),
        ..Tunables::default()
    });
    // It went idle more than 10 s ago: due at once.
    run_for(&mut sim, Duration::from_millis(10));
    assert_eq!(sim.nodes[0].ep.client_conns(), 0);
}

/// Past `reap_client_conns` client connections, idle ones go after the
/// fast expiry until the count is back within the limit; the rest wait
/// out the normal one (the C module's `rxrpc_discard_expired_client_conns`).
#[test]
fn many_client_conns_are_reaped_fast() {
    let mut sim = pair();
    sim.nodes[0].ep.set_tunables(Tunables {
        client_conn_idle: Duration::from_secs(100),
        client_conn_fast_idle: Duration::from_secs(3),
        reap_client_conns: 2,
        ..Tunables::default()
    });
    calls(&mut sim, 5, true);
    assert_eq!(sim.nodes[0].ep.client_conns(), 5);
    run_for(&mut sim, Duration::from_secs(2));
    assert_eq!(sim.nodes[0].ep.client_conns(), 5);
    run_for(&mut sim, Duration::from_secs(2));
    assert_eq!(sim.nodes[0].ep.client_conns(), 2);
    run_for(&mut sim, Duration::from_secs(60));
    assert_eq!(sim.nodes[0].ep.client_conns(), 2);
    run_for(&mut sim, Duration::from_secs(40));
    assert_eq!(sim.nodes[0].ep.client_conns(), 0);

    // Within the limit, the fast expiry does not apply.
    calls(&mut sim, 2, true);
    run_for(&mut sim, Duration::from_secs(10));
    assert_eq!(sim.nodes[0].ep.client_conns(), 2);
}

/// A hand-made packet from (or to, if `to_client`) a client.
fn raw(ptype: u8, epoch: u32, call_number: u32, seq: u32, to_client: bool, body: &[u8]) -> Vec<u8> {
    let hdr = Header {
        epoch,
        cid: 0x40,
        call_number,
        seq,
        serial: 1,
        flags: Flags::default().with(Flags::CLIENT_INITIATED, !to_client),
        user_status: 0,
        security_index: 0,
        cksum: 0,
        service_id: SVC,
    };
    let mut b = vec![0; 64];
    let n = hdr.encode(ptype, &mut b).unwrap();
    b.truncate(n);
    b.extend_from_slice(body);
    b
}

/// `handle_datagram` says why it dropped a packet.
#[test]
fn dropped_packets_say_why() {
    let now = Instant(1_000_000_000);
    let (mut client, mut server, call) = pair_with_call(now);
    let ack = [0u8; 18];
    let cases: [(&str, Vec<u8>, Option<RxDrop>); 9] = [
        ("too short", vec![0; 5], Some(RxDrop::Short)),
        (
            "DATA, call 0",
            raw(1, 1, 0, 1, false, b"x"),
            Some(RxDrop::Bad),
        ),
        (
            "DEBUG not from a client (a client's query is answered)",
            raw(8, 1, 1, 0, true, &[0; 8]),
            Some(RxDrop::Unused),
        ),
        (
            "DEBUG, body shorter than rx_debugIn",
            raw(8, 1, 1, 0, false, &[0; 7]),
            Some(RxDrop::Short),
        ),
        (
            "BUSY to a server",
            raw(3, 1, 1, 0, false, &[]),
            Some(RxDrop::Unused),
        ),
        (
            "ACK, unknown connection",
            raw(2, 1, 1, 0, false, &ack),
            Some(RxDrop::NoConn),
        ),
        (
            "ACK, short body",
            raw(2, 1, 1, 0, false, &ack[..4]),
            Some(RxDrop::Short),
        ),
        (
            "to our client, another epoch",
            raw(2, 0x8000_0009, 1, 0, true, &ack),
            Some(RxDrop::Epoch),
        ),
        (
            "to our client, no such connection",
            raw(2, 0x8000_0001, 1, 0, true, &ack),
            Some(RxDrop::NoConn),
        ),
    ];
    for (what, pkt, why) in &cases {
        let ep = if what.starts_with("to our client") {
            &mut client
        } else {
            &mut server
        };
        assert_eq!(ep.handle_datagram(now, CLIENT, pkt), *why, "{what}");
    }

    // (The client answered the packets for its side with ABORTs.)
    drain(&mut client, now);
    // A request packet twice: the copy is a duplicate.
    client.send(call, &vec![1u8; 3 * 1412], false).unwrap();
    let datas = drain(&mut client, now);
    assert_eq!(server.handle_datagram(now, CLIENT, &datas[0]), None);
    assert_eq!(
        server.handle_datagram(now, CLIENT, &datas[0]),
        Some(RxDrop::Duplicate)
    );
    // An ACK older than one the client has seen: the server hard-ACKs
    // each packet as it arrives, the duplicate's ACK only the first.
    let old = drain(&mut server, now)
        .into_iter()
        .find(|p| matches!(decode(p), Ok((_, Packet::Ack(a))) if a.first_packet == 2))
        .expect("an ACK of the first packet");
    for p in &datas[1..] {
        server.handle_datagram(now, CLIENT, p);
    }
    let hard_ack = drain(&mut server, now)
        .into_iter()
        .find(|p| matches!(decode(p), Ok((_, Packet::Ack(a))) if a.first_packet == 4))
        .expect("an ACK of the whole request");
    assert_eq!(client.handle_datagram(now, SERVER, &hard_ack), None);
    assert_eq!(
        client.handle_datagram(now, SERVER, &old),
        Some(RxDrop::OldAck)
    );
}

/// A lossy, duplicating link shows up in the drop counts, and nothing
/// else is dropped on a clean one.
#[test]
fn duplicates_on_the_link_are_counted() {
    let mut sim = pair();
    calls(&mut sim, 4, false);
    assert_eq!(sim.stats.drops.total(), 0, "{:?}", sim.stats.drops);

    let mut sim = Sim::new(
        7,
        LinkConfig {
            duplicate: 0.2,
            ..LinkConfig::default()
        },
    );
    sim.add_node(NullSecurity, ServiceConfig::default(), AcceptMode::Never);
    sim.add_node(
        NullSecurity,
        ServiceConfig {
            service_ids: [SVC, 0],
            backlog: 16,
            ..ServiceConfig::default()
        },
        AcceptMode::Charge,
    );
    for _ in 0..4 {
        sim.call(0, 1, SVC, 64 * 1024, CallOpts::default()).unwrap();
    }
    let limit = sim.now.after(Duration::from_secs(60));
    assert!(sim.run_calls(limit));
    assert!(
        sim.stats.drops.get(RxDrop::Duplicate) > 0,
        "{:?}",
        sim.stats.drops
    );
}
