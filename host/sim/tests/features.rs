//! Engine features exercised through the simulator: concurrency and
//! bundles, aborts, BUSY, timeouts, ICMP, out-of-memory, service upgrade
//! and a security class driving CHALLENGE/RESPONSE.

use std::time::Duration;

use rxrpc_proto::wire::{RX_CALL_TIMEOUT, RX_INVALID_OPERATION};
use rxrpc_proto::{
    ConnIdent, Error, NullSecurity, Outcome, PacketIdent, Sealed, Security, ServiceConfig, Stats,
    Timeouts,
};
use rxrpc_sim::sim::ServerCall;
use rxrpc_sim::{AcceptMode, CallOpts, LinkConfig, Sim};

const SVC: u16 = 52;
const ETIME: i32 = 62;

fn svc(backlog: u32) -> ServiceConfig {
    ServiceConfig {
        service_ids: [SVC, 0],
        backlog,
        ..ServiceConfig::default()
    }
}

fn pair(link: LinkConfig, server: ServiceConfig, accept: AcceptMode) -> Sim<NullSecurity> {
    let mut sim = Sim::new(42, link);
    sim.add_node(NullSecurity, ServiceConfig::default(), AcceptMode::Never);
    sim.add_node(NullSecurity, server, accept);
    sim
}

fn limit<S: Security>(sim: &Sim<S>, secs: u64) -> rxrpc_proto::Instant {
    sim.now.after(Duration::from_secs(secs))
}

/// Run until idle expiry and check that nothing is left anywhere.
fn assert_no_leaks<S: Security>(sim: &mut Sim<S>) {
    let l = limit(sim, 20 * 60);
    sim.run_until(l, |_| false);
    for (i, n) in sim.nodes.iter().enumerate() {
        assert_eq!(n.ep.stats(), Stats::default(), "node {i}");
    }
}

fn server_calls<S: Security>(sim: &Sim<S>) -> Vec<&ServerCall> {
    sim.nodes[1].servers.values().collect()
}

#[test]
fn forty_concurrent_calls_share_four_connections() {
    let mut sim = pair(LinkConfig::default(), svc(32), AcceptMode::Charge);
    for _ in 0..40 {
        sim.call(0, 1, SVC, 3000, CallOpts::default()).unwrap();
    }
    let mut max_conns = 0;
    let l = limit(&sim, 60);
    let done = sim.run_until(l, |s| {
        max_conns = max_conns.max(s.nodes[0].ep.stats().conns);
        s.all_done()
    });
    assert!(done);
    assert!(
        max_conns <= 4,
        "one bundle holds at most 4 connections, saw {max_conns}"
    );
    assert!(sim.nodes[0]
        .clients
        .iter()
        .all(|c| c.outcome == Some(Outcome::Succeeded) && !c.mismatch));
    assert_eq!(server_calls(&sim).len(), 40);
    assert_no_leaks(&mut sim);
}

#[test]
fn exclusive_calls_get_their_own_connections() {
    let mut sim = pair(LinkConfig::default(), svc(8), AcceptMode::OnEvent);
    for _ in 0..6 {
        sim.call(
            0,
            1,
            SVC,
            10,
            CallOpts {
                exclusive: true,
                ..CallOpts::default()
            },
        )
        .unwrap();
    }
    sim.run_until(sim.now, |_| true);
    assert_eq!(sim.nodes[0].ep.stats().conns, 6);
    assert!(sim.run_calls(limit(&sim, 60)));
    assert_no_leaks(&mut sim);
}

#[test]
fn client_abort_reaches_server() {
    let mut sim = pair(LinkConfig::default(), svc(8), AcceptMode::Charge);
    let opts = CallOpts {
        abort_at: Some(50_000),
        ..CallOpts::default()
    };
    // The request is taken in window-sized steps; the abort follows the
    // first step that reaches 50000 bytes.
    sim.call(0, 1, SVC, 1 << 20, opts).unwrap();
    let l = limit(&sim, 60);
    assert!(sim.run_until(l, |s| s.all_done() && !s.nodes[1].servers.is_empty()));
    let c = &sim.nodes[0].clients[0];
    assert_eq!(
        c.outcome,
        Some(Outcome::LocalAbort {
            code: 0x1234,
            errno: 0
        })
    );
    assert_eq!(
        server_calls(&sim)[0].outcome,
        Some(Outcome::RemoteAbort(0x1234))
    );
    assert_no_leaks(&mut sim);
}

#[test]
fn server_abort_reaches_client() {
    let mut sim = pair(
        LinkConfig {
            loss: 0.1,
            ..LinkConfig::default()
        },
        svc(8),
        AcceptMode::OnEvent,
    );
    sim.nodes[1].server_abort = Some(77);
    sim.call(0, 1, SVC, 5000, CallOpts::default()).unwrap();
    assert!(sim.run_calls(limit(&sim, 120)));
    assert_eq!(
        sim.nodes[0].clients[0].outcome,
        Some(Outcome::RemoteAbort(77))
    );
    assert_eq!(
        server_calls(&sim)[0].outcome,
        Some(Outcome::LocalAbort { code: 77, errno: 0 })
    );
    assert_no_leaks(&mut sim);
}

#[test]
fn not_listening_gives_busy() {
    let mut sim = pair(LinkConfig::default(), svc(0), AcceptMode::Never);
    sim.call(0, 1, SVC, 100, CallOpts::default()).unwrap();
    assert!(sim.run_calls(limit(&sim, 10)));
    assert_eq!(sim.nodes[0].clients[0].outcome, Some(Outcome::Busy));
    // The server kept no connection for the call it turned away.
    assert_eq!(sim.nodes[1].ep.stats().conns, 0);
    assert_no_leaks(&mut sim);
}

#[test]
fn full_backlog_gives_busy_and_hard_timeout_ends_waiters() {
    let mut sim = pair(LinkConfig::default(), svc(2), AcceptMode::Never);
    let hard = Timeouts {
        hard: Some(Duration::from_secs(3)),
        ..Timeouts::default()
    };
    for _ in 0..4 {
        sim.call(
            0,
            1,
            SVC,
            100,
            CallOpts {
                timeouts: hard,
                ..CallOpts::default()
            },
        )
        .unwrap();
    }
    assert!(sim.run_calls(limit(&sim, 30)));
    let outcomes: Vec<_> = sim.nodes[0]
        .clients
        .iter()
        .map(|c| c.outcome.unwrap())
        .collect();
    let busy = outcomes.iter().filter(|o| **o == Outcome::Busy).count();
    let timed_out = outcomes
        .iter()
        .filter(|o| {
            **o == Outcome::LocalAbort {
                code: RX_CALL_TIMEOUT,
                errno: ETIME,
            }
        })
        .count();
    assert_eq!((busy, timed_out), (2, 2), "{outcomes:?}");
    assert_no_leaks(&mut sim);
}

#[test]
fn unknown_service_is_aborted() {
    let mut sim = pair(LinkConfig::default(), svc(4), AcceptMode::Charge);
    sim.call(0, 1, SVC + 1, 100, CallOpts::default()).unwrap();
    assert!(sim.run_calls(limit(&sim, 10)));
    assert_eq!(
        sim.nodes[0].clients[0].outcome,
        Some(Outcome::RemoteAbort(RX_INVALID_OPERATION))
    );
    assert_no_leaks(&mut sim);
}

#[test]
fn dead_peer_hits_idle_timeout() {
    let mut sim = pair(
        LinkConfig {
            loss: 1.0,
            ..LinkConfig::default()
        },
        svc(4),
        AcceptMode::Charge,
    );
    sim.call(0, 1, SVC, 100, CallOpts::default()).unwrap();
    let start = sim.now;
    assert!(sim.run_calls(limit(&sim, 120)));
    assert_eq!(
        sim.nodes[0].clients[0].outcome,
        Some(Outcome::LocalAbort {
            code: RX_CALL_TIMEOUT,
            errno: ETIME
        })
    );
    let took = sim.now.since(start);
    assert!(
        took >= Duration::from_secs(20) && took < Duration::from_secs(21),
        "{took:?}"
    );
    assert_no_leaks(&mut sim);
}

#[test]
fn icmp_error_ends_calls_to_that_peer() {
    let mut sim = pair(
        LinkConfig {
            loss: 1.0,
            ..LinkConfig::default()
        },
        svc(4),
        AcceptMode::Charge,
    );
    sim.call(0, 1, SVC, 100, CallOpts::default()).unwrap();
    let (now, to) = (sim.now, sim.nodes[1].addr);
    sim.nodes[0].ep.handle_icmp(now, to, 111);
    assert!(sim.run_calls(limit(&sim, 1)));
    assert_eq!(
        sim.nodes[0].clients[0].outcome,
        Some(Outcome::NetError(111))
    );
    assert_no_leaks(&mut sim);
}

#[test]
fn client_out_of_memory_is_a_clean_error() {
    let mut sim = pair(LinkConfig::default(), svc(4), AcceptMode::Charge);
    sim.nodes[0].env.budget.set(Some(0));
    assert!(sim.call(0, 1, SVC, 100, CallOpts::default()).is_none());
    sim.nodes[0].env.budget.set(None);
    assert_no_leaks(&mut sim);
    let e = Error::NoMemory;
    assert_eq!(e.errno(), 12);
}

#[test]
fn server_out_of_memory_answers_busy() {
    let mut sim = pair(LinkConfig::default(), svc(4), AcceptMode::OnEvent);
    sim.nodes[1].env.budget.set(Some(0));
    sim.call(0, 1, SVC, 100, CallOpts::default()).unwrap();
    assert!(sim.run_calls(limit(&sim, 10)));
    assert_eq!(sim.nodes[0].clients[0].outcome, Some(Outcome::Busy));
    sim.nodes[1].env.budget.set(None);
    assert_no_leaks(&mut sim);
}

fn upgrade_sim(server_upgrades: bool) -> Sim<NullSecurity> {
    let cfg = ServiceConfig {
        service_ids: [100, 200],
        upgrade: server_upgrades.then_some((100, 200)),
        backlog: 8,
        ..ServiceConfig::default()
    };
    let mut sim = pair(
        LinkConfig {
            loss: 0.05,
            reorder: 0.05,
            ..LinkConfig::default()
        },
        cfg,
        AcceptMode::OnEvent,
    );
    for _ in 0..3 {
        sim.call(
            0,
            1,
            100,
            3000,
            CallOpts {
                upgrade: true,
                ..CallOpts::default()
            },
        )
        .unwrap();
    }
    assert!(sim.run_calls(limit(&sim, 120)));
    sim
}

#[test]
fn upgrade_accepted_moves_all_calls_to_the_new_service() {
    let mut sim = upgrade_sim(true);
    for c in &sim.nodes[0].clients {
        assert_eq!((c.outcome, c.service_id), (Some(Outcome::Succeeded), 200));
    }
    assert!(server_calls(&sim).iter().all(|s| s.service_id == 200));
    // The calls waited for the probe and then shared its connection.
    assert_no_leaks(&mut sim);
}

#[test]
fn upgrade_ignored_keeps_the_service() {
    let mut sim = upgrade_sim(false);
    for c in &sim.nodes[0].clients {
        assert_eq!((c.outcome, c.service_id), (Some(Outcome::Succeeded), 100));
    }
    assert!(server_calls(&sim).iter().all(|s| s.service_id == 100));
    assert_no_leaks(&mut sim);
}

/// A toy security class (index 7): payloads XORed with a key byte and
/// summed into the checksum; the CHALLENGE nonce must come back plus one,
/// XORed with the key.
#[derive(Clone, Copy)]
struct Toy {
    key: u8,
}

const TOY_BAD: u32 = 0xbad;

impl Security for Toy {
    type Conn = u32;

    fn new_conn(&mut self, _client: bool, id: &ConnIdent) -> Result<u32, u32> {
        Ok(id.cid ^ 0x5555)
    }

    fn max_plain(&self, _index: u8, _level: u32, space: usize) -> usize {
        space - 4
    }

    fn secure(
        &mut self,
        _c: &u32,
        pkt: &PacketIdent,
        plain: &[u8],
        out: &mut [u8],
    ) -> Result<Sealed, u32> {
        out[..4].copy_from_slice(&pkt.seq.to_be_bytes());
        let mut sum = 0u16;
        for (d, s) in out[4..4 + plain.len()].iter_mut().zip(plain) {
            *d = s ^ self.key;
            sum = sum.wrapping_add(u16::from(*s));
        }
        Ok(Sealed::Into(plain.len() + 4, sum))
    }

    fn verify(
        &mut self,
        _c: &u32,
        pkt: &PacketIdent,
        cksum: u16,
        input: &[u8],
        out: &mut [u8],
    ) -> Result<usize, u32> {
        if input.len() < 4 || input[..4] != pkt.seq.to_be_bytes() {
            return Err(TOY_BAD);
        }
        let mut sum = 0u16;
        for (d, s) in out.iter_mut().zip(&input[4..]) {
            *d = s ^ self.key;
            sum = sum.wrapping_add(u16::from(*d));
        }
        if sum != cksum {
            return Err(TOY_BAD);
        }
        Ok(input.len() - 4)
    }

    fn issue_challenge(&mut self, conn: &mut u32, out: &mut [u8]) -> Result<usize, u32> {
        out[..4].copy_from_slice(&conn.to_be_bytes());
        Ok(4)
    }

    fn respond(
        &mut self,
        _c: &mut u32,
        challenge: &[u8],
        _calls: [u32; 4],
        out: &mut [u8],
    ) -> Result<usize, u32> {
        let nonce = u32::from_be_bytes(challenge.try_into().map_err(|_| TOY_BAD)?);
        out[..4].copy_from_slice(&(nonce.wrapping_add(1) ^ u32::from(self.key)).to_be_bytes());
        Ok(4)
    }

    fn verify_response(
        &mut self,
        conn: &mut u32,
        response: &[u8],
        _calls: [u32; 4],
        _busy: [bool; 4],
        _scratch: &mut [u8],
    ) -> Result<(), u32> {
        let got = u32::from_be_bytes(response.try_into().map_err(|_| TOY_BAD)?);
        if got == conn.wrapping_add(1) ^ u32::from(self.key) {
            Ok(())
        } else {
            Err(TOY_BAD)
        }
    }
}

fn toy_sim(client_key: u8) -> Sim<Toy> {
    let mut sim = Sim::new(
        9,
        LinkConfig {
            loss: 0.05,
            ..LinkConfig::default()
        },
    );
    sim.add_node(
        Toy { key: client_key },
        ServiceConfig::default(),
        AcceptMode::Never,
    );
    let cfg = ServiceConfig {
        min_security_index: 7,
        ..svc(8)
    };
    sim.add_node(Toy { key: 0x3c }, cfg, AcceptMode::Charge);
    let sec = rxrpc_proto::CallSecurity {
        index: 7,
        level: 1,
        key: 1,
    };
    for _ in 0..3 {
        sim.call(
            0,
            1,
            SVC,
            20_000,
            CallOpts {
                security: sec,
                ..CallOpts::default()
            },
        )
        .unwrap();
    }
    assert!(sim.run_calls(limit(&sim, 120)));
    sim
}

#[test]
fn security_class_challenge_response_and_data() {
    let mut sim = toy_sim(0x3c);
    for c in &sim.nodes[0].clients {
        assert_eq!(c.outcome, Some(Outcome::Succeeded));
        assert!(!c.mismatch && c.received == 20_000);
    }
    assert_no_leaks(&mut sim);
}

#[test]
fn security_class_rejects_wrong_key() {
    let mut sim = toy_sim(0x3d);
    for c in &sim.nodes[0].clients {
        assert_eq!(c.outcome, Some(Outcome::RemoteAbort(TOY_BAD)));
    }
    assert_no_leaks(&mut sim);
}

#[test]
fn unsecured_call_to_secured_service_is_aborted() {
    let mut sim = Sim::new(3, LinkConfig::default());
    sim.add_node(Toy { key: 1 }, ServiceConfig::default(), AcceptMode::Never);
    sim.add_node(
        Toy { key: 1 },
        ServiceConfig {
            min_security_index: 7,
            ..svc(8)
        },
        AcceptMode::Charge,
    );
    sim.call(0, 1, SVC, 10, CallOpts::default()).unwrap();
    assert!(sim.run_calls(limit(&sim, 10)));
    assert_eq!(
        sim.nodes[0].clients[0].outcome,
        Some(Outcome::RemoteAbort(RX_INVALID_OPERATION))
    );
}

#[test]
fn objects_are_small_enough_for_a_kernel_stack() {
    // The kernel glue builds these on a 16 KiB stack before moving them
    // into the heap; the packet rings live in the caller's memory.
    let ep = std::mem::size_of::<rxrpc_proto::Endpoint<rxrpc_sim::StdEnv, NullSecurity>>();
    assert!(ep < 4096, "endpoint is {ep} bytes");
}

#[test]
fn version_request_is_answered_and_keepalives_flow() {
    use rxrpc_proto::wire::{decode, encode, Flags, Header, Packet, Version};
    let mut sim = pair(LinkConfig::default(), svc(4), AcceptMode::Charge);
    // rxdebug sends its request as a client; one to a client is dropped.
    let flags = Flags::default().with(Flags::CLIENT_INITIATED, true);
    let hdr = Header {
        epoch: 0x8000_1234,
        serial: 9,
        flags,
        ..Header::default()
    };
    let mut buf = [0u8; 64];
    let n = encode(&hdr, &Packet::Version(Version::Request), &mut buf).unwrap();
    let (now, from) = (sim.now, sim.nodes[0].addr);
    sim.nodes[1].ep.handle_datagram(now, from, &buf[..n]);
    let mut out = vec![0u8; rxrpc_proto::MAX_PACKET];
    let (to, len) = sim.nodes[1]
        .ep
        .poll_transmit(now, &mut out)
        .expect("a reply");
    assert_eq!(to, from);
    let (h, p) = decode(&out[..len]).unwrap();
    assert_eq!(h.epoch, hdr.epoch);
    match p {
        Packet::Version(Version::Reply(s)) => assert!(s.starts_with(b"rxrpc-rs") && s.len() == 65),
        other => panic!("{other:?}"),
    }
    // A reply or keepalive gets no answer.
    let n = encode(&hdr, &Packet::Version(Version::Reply(&[])), &mut buf).unwrap();
    sim.nodes[1].ep.handle_datagram(now, from, &buf[..n]);
    assert!(sim.nodes[1].ep.poll_transmit(now, &mut out).is_none());

    // While a connection lives, each end sends an empty VERSION every 20 s.
    sim.call(0, 1, SVC, 10, CallOpts::default()).unwrap();
    assert!(sim.run_calls(limit(&sim, 10)));
    let before = sim.stats.sent;
    let l = limit(&sim, 61);
    sim.run_until(l, |_| false);
    let keepalives = sim.stats.sent - before;
    assert!(
        (5..=8).contains(&keepalives),
        "{keepalives} packets in 61 s"
    );
    assert_no_leaks(&mut sim);
}

#[test]
fn garbage_never_panics() {
    let mut sim = pair(LinkConfig::default(), svc(4), AcceptMode::Charge);
    let mut rng = rxrpc_sim::Rng::new(5);
    let mut out = vec![0u8; rxrpc_proto::MAX_PACKET];
    for i in 0..20_000u32 {
        let len = rng.below(120) as usize;
        let mut pkt: Vec<u8> = (0..len).map(|_| rng.next_u64() as u8).collect();
        if pkt.len() > 28 && i % 2 == 0 {
            // Mostly valid headers: known type, client-initiated, small ids.
            pkt[20] = 1 + (rng.below(13) as u8);
            pkt[21] &= 0x2f;
            pkt[8..11].fill(0);
        }
        let (now, from) = (sim.now, sim.nodes[0].addr);
        sim.nodes[1].ep.handle_datagram(now, from, &pkt);
        while sim.nodes[1].ep.poll_transmit(now, &mut out).is_some() {}
        while sim.nodes[1].ep.poll_event().is_some() {}
    }
    let l = limit(&sim, 30 * 60);
    sim.run_until(l, |_| false);
}

#[test]
fn jumbo_data_is_received() {
    use rxrpc_proto::wire::{encode_jumbo, Flags, Header, JumboPart, JUMBO_DATALEN};
    let mut sim = pair(LinkConfig::default(), svc(4), AcceptMode::Charge);
    sim.run_until(sim.now, |_| true);
    let first: Vec<u8> = (0..JUMBO_DATALEN).map(|i| i as u8).collect();
    let second: Vec<u8> = (0..100u8).collect();
    let hdr = Header {
        epoch: 0x8000_0042,
        cid: 8,
        call_number: 1,
        seq: 1,
        serial: 1,
        flags: Flags::CLIENT_INITIATED,
        service_id: SVC,
        ..Header::default()
    };
    let part = JumboPart {
        flags: Flags::LAST_PACKET,
        cksum: 0,
        payload: &second,
    };
    let mut buf = vec![0u8; 2000];
    let n = encode_jumbo(&hdr, &first, &[part], &mut buf).unwrap();
    let (now, from) = (sim.now, sim.nodes[0].addr);
    sim.nodes[1].ep.handle_datagram(now, from, &buf[..n]);
    let l = limit(&sim, 1);
    sim.run_until(l, |s| s.nodes[1].servers.values().any(|c| c.request_done));
    let call = sim.nodes[1]
        .servers
        .values()
        .next()
        .expect("a service call");
    let mut want = first.clone();
    want.extend_from_slice(&second);
    assert_eq!(call.request, want);
}

#[test]
fn secured_connection_does_not_wait_for_a_timeout() {
    let mut sim = Sim::new(4, LinkConfig::default());
    sim.add_node(Toy { key: 9 }, ServiceConfig::default(), AcceptMode::Never);
    sim.add_node(
        Toy { key: 9 },
        ServiceConfig {
            min_security_index: 7,
            ..svc(8)
        },
        AcceptMode::Charge,
    );
    let sec = rxrpc_proto::CallSecurity {
        index: 7,
        level: 1,
        key: 1,
    };
    sim.call(
        0,
        1,
        SVC,
        5000,
        CallOpts {
            security: sec,
            ..CallOpts::default()
        },
    )
    .unwrap();
    let start = sim.now;
    assert!(sim.run_calls(limit(&sim, 10)));
    assert_eq!(sim.nodes[0].clients[0].outcome, Some(Outcome::Succeeded));
    // DATA, CHALLENGE, RESPONSE + DATA again, reply, final ACK: about four
    // one-way delays of 5 ms, far below the 1 s initial RTO.
    assert!(
        sim.now.since(start) < Duration::from_millis(200),
        "{:?}",
        sim.now.since(start)
    );
}

#[test]
fn tx_length_is_enforced_and_calls_can_be_listed() {
    use rxrpc_proto::{CallParams, Endpoint};
    let mut ep = Endpoint::new(
        rxrpc_sim::StdEnv::default(),
        NullSecurity,
        rxrpc_proto::Config::default(),
    );
    let now = rxrpc_proto::Instant(5);
    let params = CallParams {
        remote: rxrpc_sim::sim::addr(1),
        service_id: SVC,
        user: 77,
        upgrade: false,
        exclusive: false,
        security: Default::default(),
        timeouts: Default::default(),
    };
    let call = ep.begin_call(now, params).unwrap();
    ep.set_tx_length(call, 10).unwrap();
    assert_eq!(ep.send(call, &[0; 11], true), Err(Error::MessageSize));
    assert_eq!(ep.send(call, &[0; 4], false), Err(Error::MessageSize));
    assert_eq!(ep.send(call, &[0; 4], true), Ok(4));
    assert_eq!(ep.set_tx_length(call, 20), Err(Error::WrongState));
    assert_eq!(ep.send(call, &[0; 6], false), Ok(6));
    assert_eq!(ep.send(call, &[0; 1], false), Err(Error::WrongState));
    assert_eq!(ep.next_call(None), Some(call));
    let info = ep.call_info(call).unwrap();
    assert_eq!(
        (info.user, info.client, info.service_id, info.call_number),
        (Some(77), true, SVC, 1)
    );
    assert_eq!(info.state, "ClSndReq");
    assert_eq!(ep.next_call(Some(call)), None);
    ep.abort(now, call, 5).unwrap();
    assert_eq!(ep.abort(now, call, 5), Err(Error::Completed));
    ep.release(now, call);
    assert_eq!(ep.call_info(call), None);
    assert_eq!(ep.send(call, &[0; 1], false), Err(Error::BadCall));
}

#[test]
fn both_ends_measure_the_rtt() {
    // 5 ms each way: both the client (REQUEST_ACK on DATA) and the server
    // (PING on the first DATA it gets) should see about 10 ms.
    let mut sim = pair(LinkConfig::default(), svc(4), AcceptMode::Charge);
    sim.call(0, 1, SVC, 100, CallOpts::default()).unwrap();
    assert!(sim.run_calls(limit(&sim, 10)));
    let (a, b) = (sim.nodes[0].addr, sim.nodes[1].addr);
    for (n, peer) in [(0, b), (1, a)] {
        let srtt = sim.nodes[n].ep.peer_srtt(peer).expect("an RTT sample");
        assert!(
            srtt >= Duration::from_millis(10) && srtt < Duration::from_millis(12),
            "node {n}: {srtt:?}"
        );
    }
}

/// `n` client calls on `ep`, each with a DATA packet queued, to 16 peers
/// each (so that they take many connections); `drain` sends and reports
/// after each.
fn ready_calls(
    ep: &mut rxrpc_proto::Endpoint<rxrpc_sim::StdEnv, NullSecurity>,
    n: u16,
    drain: bool,
) -> Vec<rxrpc_proto::CallHandle> {
    use rxrpc_proto::{CallParams, TransportAddr};
    let now = rxrpc_proto::Instant(5);
    let mut out = vec![0u8; rxrpc_proto::MAX_PACKET];
    (0..n)
        .map(|i| {
            let params = CallParams {
                remote: TransportAddr::V4([10, 1, 0, (i / 16) as u8], 7000),
                service_id: SVC,
                user: u64::from(i),
                upgrade: false,
                exclusive: false,
                security: Default::default(),
                timeouts: Default::default(),
            };
            let c = ep.begin_call(now, params).unwrap();
            assert_eq!(ep.send(c, b"hello", false), Ok(5));
            while drain && ep.poll_transmit(now, &mut out).is_some() {}
            while drain && ep.poll_event().is_some() {}
            c
        })
        .collect()
}

/// Send what `ep` has to send now: how many calls sent DATA (each once),
/// and how many ABORTs went out.
fn sent_by_call(ep: &mut rxrpc_proto::Endpoint<rxrpc_sim::StdEnv, NullSecurity>) -> (usize, usize) {
    use rxrpc_proto::wire::{decode, Packet};
    let now = rxrpc_proto::Instant(5);
    let mut out = vec![0u8; rxrpc_proto::MAX_PACKET];
    let (mut data, mut aborts) = (std::collections::BTreeSet::new(), 0);
    while let Some((to, n)) = ep.poll_transmit(now, &mut out) {
        let (h, p) = decode(&out[..n]).unwrap();
        match p {
            Packet::Data(_) => assert!(data.insert((to, h.cid, h.call_number))),
            Packet::Abort(_) => aborts += 1,
            _ => {}
        }
    }
    (data.len(), aborts)
}

#[test]
fn many_ready_calls_are_each_visited() {
    let mut ep = rxrpc_proto::Endpoint::new(
        rxrpc_sim::StdEnv::default(),
        NullSecurity,
        rxrpc_proto::Config::default(),
    );
    let now = rxrpc_proto::Instant(5);
    let calls = ready_calls(&mut ep, 208, false);
    assert_eq!(sent_by_call(&mut ep), (208, 0));
    // Every call is queued for events too, with nothing to report.
    assert_eq!(ep.poll_event(), None);
    for c in calls.iter().take(150) {
        ep.abort(now, *c, 1).unwrap();
    }
    let completions = std::iter::from_fn(|| ep.poll_event()).count();
    assert_eq!(completions, 150);
    assert_eq!(sent_by_call(&mut ep), (0, 150));
}

#[test]
fn ready_queues_that_cannot_grow_overflow_without_loss() {
    let env = rxrpc_sim::StdEnv::default();
    let budget = env.budget.clone();
    let mut ep = rxrpc_proto::Endpoint::new(env, NullSecurity, rxrpc_proto::Config::default());
    // Drained after each call, the send and event queues stay small, and
    // then cannot grow to take all the calls touched at once: the next
    // drain walks every call instead.
    let calls = ready_calls(&mut ep, 208, true);
    budget.set(Some(0));
    // Their DATA went out together, so their timers come due together,
    // and each sends its DATA again (it holds the packet already).
    let due = ep.poll_timeout().unwrap();
    ep.handle_timeout(due);
    assert_eq!(sent_by_call(&mut ep), (208, 0));
    for c in &calls {
        ep.abort(due, *c, 1).unwrap();
    }
    let completions = std::iter::from_fn(|| ep.poll_event()).count();
    assert_eq!(completions, 208);
}

#[test]
fn receive_budget_bounds_unread_data_and_loses_none() {
    const LIMIT: usize = 64 * 1024;
    const CALLS: usize = 8;
    let mut sim = pair(LinkConfig::default(), svc(16), AcceptMode::Charge);
    sim.nodes[1].ep.set_rx_buffer_limit(LIMIT);
    sim.nodes[1].reading = false;
    for _ in 0..CALLS {
        sim.call(0, 1, SVC, 200_000, CallOpts::default()).unwrap();
    }
    let mut peak = 0;
    let l = limit(&sim, 5);
    sim.run_until(l, |s| {
        peak = peak.max(s.nodes[1].ep.stats().rx_bytes);
        false
    });
    // Past the limit, each call may still take one packet (so that no
    // reader starves), and the packet that crossed the limit is kept.
    let slack = (CALLS + 1) * rxrpc_proto::MAX_PACKET;
    assert!(peak >= LIMIT, "the budget was never reached: {peak}");
    assert!(peak <= LIMIT + slack, "{peak} bytes held, limit {LIMIT}");

    sim.nodes[1].reading = true;
    let l = limit(&sim, 300);
    assert!(
        sim.run_calls(l),
        "calls did not finish once the server read"
    );
    assert!(sim.nodes[0]
        .clients
        .iter()
        .all(|c| c.outcome == Some(Outcome::Succeeded) && !c.mismatch));
    assert!(server_calls(&sim)
        .iter()
        .all(|c| c.request.len() == 200_000));
    assert_no_leaks(&mut sim);
}

#[test]
fn watched_call_reports_freed_tx_space() {
    let mut sim = pair(LinkConfig::default(), svc(16), AcceptMode::Charge);
    let k = sim.call(0, 1, SVC, 100_000, CallOpts::default()).unwrap();
    let h = sim.nodes[0].clients[k].handle;
    let l = limit(&sim, 10);
    assert!(sim.run_until(l, |s| s.nodes[0].ep.call_tx_held(h) >= 100_000));
    let held = sim.nodes[0].ep.call_tx_held(h);
    let before = sim.nodes[0].tx_space_events;
    sim.nodes[0].ep.watch_tx(h);
    assert!(
        sim.run_until(l, |s| s.nodes[0].tx_space_events > before),
        "no TxSpace after the peer ACKed"
    );
    assert!(sim.nodes[0].ep.call_tx_held(h) < held);
    let l = limit(&sim, 60);
    assert!(sim.run_calls(l));
    assert_eq!(
        sim.nodes[0].ep.call_tx_held(h),
        0,
        "a finished call holds nothing"
    );
    assert_no_leaks(&mut sim);
}

#[test]
fn one_packet_receive_budget_still_completes_over_a_bad_link() {
    let link = LinkConfig {
        loss: 0.05,
        reorder: 0.2,
        ..LinkConfig::default()
    };
    let mut sim = pair(link, svc(16), AcceptMode::Charge);
    sim.nodes[1].ep.set_rx_buffer_limit(1);
    for _ in 0..3 {
        sim.call(0, 1, SVC, 100_000, CallOpts::default()).unwrap();
    }
    let l = limit(&sim, 600);
    assert!(sim.run_calls(l), "calls stalled under a one-packet budget");
    assert!(sim.nodes[0]
        .clients
        .iter()
        .all(|c| c.outcome == Some(Outcome::Succeeded) && !c.mismatch));
    assert!(server_calls(&sim)
        .iter()
        .all(|c| c.request.len() == 100_000));
    assert_no_leaks(&mut sim);
}

#[test]
fn every_call_of_a_closed_socket_is_aborted_at_once() {
    // More calls than the queue of answers to peers holds (256): each one's
    // ABORT goes out as it is released, not after the service's keepalive
    // ping finds the call gone, seconds later.
    let mut sim = pair(LinkConfig::default(), svc(16), AcceptMode::Charge);
    sim.nodes[1].reading = false;
    let exclusive = CallOpts {
        exclusive: true,
        ..CallOpts::default()
    };
    for _ in 0..30 {
        for _ in 0..10 {
            sim.call(0, 1, SVC, 10, exclusive).unwrap();
        }
        let l = sim.now.after(Duration::from_millis(50));
        sim.run_until(l, |_| false);
    }
    assert_eq!(
        sim.nodes[1].servers.len(),
        300,
        "the service holds them all"
    );
    let now = sim.now;
    let handles: Vec<_> = sim.nodes[0].clients.iter().map(|c| c.handle).collect();
    for h in handles {
        sim.nodes[0].ep.release(now, h);
    }
    let l = sim.now.after(Duration::from_millis(500));
    sim.run_until(l, |_| false);
    let ended = sim.nodes[1]
        .servers
        .values()
        .filter(|c| matches!(c.outcome, Some(Outcome::RemoteAbort(_))))
        .count();
    assert_eq!(ended, 300);
}
