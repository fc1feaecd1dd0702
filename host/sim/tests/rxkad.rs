//! rxkad through the engine: a client and a server of ours completing
//! calls at each level, on clean and impaired links, and every refusal
//! ending the calls on both sides with the C module's abort code.

use std::time::Duration;

use rxrpc_crypto::{HostToken, ServerKey, TestHost};
use rxrpc_proto::rxkad::{Rxkad, LEVEL_AUTH, LEVEL_ENCRYPT, LEVEL_PLAIN};
use rxrpc_proto::wire::{
    RXKADBADTICKET, RXKADEXPIRED, RXKADLEVELFAIL, RXKADNOAUTH, RXKADUNKNOWNKEY,
};
use rxrpc_proto::{CallSecurity, Outcome, Security, ServiceConfig, Stats};
use rxrpc_sim::{AcceptMode, CallOpts, LinkConfig, Sim};

const SVC: u16 = 52;
const NOW: i64 = 1_700_000_000;
const SERVER_KEY: [u8; 8] = *b"\x8a\x1c\x3e\x5d\x70\x92\xb4\xd6";
const SESSION_KEY: [u8; 8] = *b"\x13\x57\x9b\xdf\x02\x46\x8a\xce";
const KEYRING: u64 = 77;
const CLIENT_KEY: u64 = 5;
const KVNO: u32 = 3;
const CLIENT_ADDR: rxrpc_proto::TransportAddr = rxrpc_proto::TransportAddr::V4([10, 0, 0, 1], 7000);
const SERVICE_ADDR: rxrpc_proto::TransportAddr =
    rxrpc_proto::TransportAddr::V4([10, 0, 0, 2], 7000);

type Class = Rxkad<TestHost>;

/// How a scenario differs from the good case.
#[derive(Clone, Copy, Default)]
struct Setup {
    level: u32,
    min_level: u32,
    /// The server's secret differs from the one that sealed the ticket.
    wrong_server_key: bool,
    /// The server knows its key under another kvno only.
    server_kvno: Option<u32>,
    /// The server has no key for the service.
    no_server_key: bool,
    /// The service has no keyring at all.
    no_keyring: bool,
    /// Seconds the server's clock is ahead of the ticket's issue.
    server_clock_ahead: i64,
    link: Option<LinkConfig>,
    calls: usize,
    len: u64,
    /// Both ends seal level 2 packets many at once (a vector unit's).
    lanes: bool,
}

fn sim(s: Setup) -> Sim<Class> {
    let mut client = TestHost::at(NOW);
    let issue = NOW - 60;
    client.tokens.push((
        CLIENT_KEY,
        HostToken::mint(SESSION_KEY, &SERVER_KEY, KVNO, issue, 8 * 3600),
    ));
    client.lanes = s.lanes;
    let mut server = TestHost::at(NOW + s.server_clock_ahead);
    server.lanes = s.lanes;
    let mut key = SERVER_KEY;
    if s.wrong_server_key {
        key[3] ^= 0x40;
    }
    if !s.no_server_key {
        server.server_keys.push(ServerKey {
            keyring: KEYRING,
            service: SVC,
            kvno: s.server_kvno,
            key,
        });
    }
    let mut sim = Sim::new(11, s.link.unwrap_or_default());
    sim.add_node(
        Rxkad::new(client),
        ServiceConfig::default(),
        AcceptMode::Never,
    );
    let cfg = ServiceConfig {
        service_ids: [SVC, 0],
        backlog: 16,
        min_security_index: 2,
        min_security_level: s.min_level,
        keyring: if s.no_keyring { 0 } else { KEYRING },
        ..ServiceConfig::default()
    };
    sim.add_node(Rxkad::new(server), cfg, AcceptMode::Charge);
    let sec = CallSecurity {
        index: 2,
        level: s.level,
        key: CLIENT_KEY,
    };
    for _ in 0..s.calls.max(1) {
        sim.call(
            0,
            1,
            SVC,
            s.len,
            CallOpts {
                security: sec,
                ..CallOpts::default()
            },
        )
        .unwrap();
    }
    let l = sim.now.after(Duration::from_secs(300));
    assert!(sim.run_calls(l), "calls did not finish");
    // Let the last ABORT reach the server too.
    let l = sim.now.after(Duration::from_secs(1));
    sim.run_until(l, |_| false);
    sim
}

fn assert_no_leaks<S: Security>(sim: &mut Sim<S>) {
    let l = sim.now.after(Duration::from_secs(20 * 60));
    sim.run_until(l, |_| false);
    for (i, n) in sim.nodes.iter().enumerate() {
        assert_eq!(n.ep.stats(), Stats::default(), "node {i}");
    }
}

fn assert_succeeded(sim: &Sim<Class>, len: u64) {
    for c in &sim.nodes[0].clients {
        assert_eq!(c.outcome, Some(Outcome::Succeeded));
        assert!(!c.mismatch && c.end_seen && c.received == len);
    }
    for s in sim.nodes[1].servers.values() {
        assert_eq!(s.outcome, Some(Outcome::Succeeded));
    }
}

/// Every call ended with `code`: sent by the server (a RESPONSE it
/// refused) or by the client (a CHALLENGE it refused).
fn assert_aborted(sim: &Sim<Class>, code: u32, by_server: bool) {
    assert!(!sim.nodes[0].clients.is_empty());
    for c in &sim.nodes[0].clients {
        let want = if by_server {
            Outcome::RemoteAbort(code)
        } else {
            Outcome::LocalAbort { code, errno: 71 }
        };
        assert_eq!(c.outcome, Some(want), "client");
    }
    // Each server call ends with the code, and there is one per client
    // call: DATA the client resent behind its RESPONSE gets the aborted
    // connection's ABORT, and opens no other connection.
    let servers = &sim.nodes[1].servers;
    assert_eq!(servers.len(), sim.nodes[0].clients.len());
    for s in servers.values() {
        match s.outcome {
            Some(Outcome::LocalAbort { code: c, .. }) if by_server => assert_eq!(c, code),
            Some(Outcome::RemoteAbort(c)) if !by_server => assert_eq!(c, code),
            o => panic!("server call ended {o:?}"),
        }
    }
}

#[test]
fn calls_complete_at_each_level() {
    for level in [LEVEL_PLAIN, LEVEL_AUTH, LEVEL_ENCRYPT] {
        for len in [0, 1, 1399, 1400, 1404, 1412, 20_000] {
            let mut sim = sim(Setup {
                level,
                calls: 2,
                len,
                ..Setup::default()
            });
            assert_succeeded(&sim, len);
            assert_no_leaks(&mut sim);
        }
    }
}

/// `calls` calls of `len` bytes each way at `level`, over a link that
/// carries datagrams of up to `mtu` bytes and whose route says so; all
/// succeeded.
fn calls_over(mtu: u32, level: u32, calls: usize, len: u64) -> Sim<Class> {
    let link = LinkConfig {
        mtu: mtu as usize,
        route_mtu: Some(mtu),
        ..LinkConfig::default()
    };
    let sim = sim(Setup {
        level,
        calls,
        len,
        link: Some(link),
        ..Setup::default()
    });
    assert_succeeded(&sim, len);
    sim
}

#[test]
fn plain_and_auth_level_data_go_in_jumbos_both_ways() {
    // A service call's reply is sized by the level its connection's
    // RESPONSE gave, so full packets pack as a request's do. Auth's are
    // 1412 bytes as a jumbo needs (its 4-byte header and 1408 of data);
    // encrypt pads its to a whole number of blocks, 1408.
    for (level, jumbos) in [
        (LEVEL_PLAIN, true),
        (LEVEL_AUTH, true),
        (LEVEL_ENCRYPT, false),
    ] {
        let mut sim = calls_over(65535, level, 1, 200_000);
        for (i, n) in sim.nodes.iter().enumerate() {
            let got = n.ep.counters().rx_data_jumbo;
            assert_eq!(got > 20, jumbos, "level {level}, node {i}: {got} in jumbos");
        }
        assert_no_leaks(&mut sim);
    }
}

/// Level 2 packets, which never fill a jumbo's subpacket, go in bursts
/// where the route takes jumbo packets when they are sealed many at once
/// (as by a vector unit), and are then the packets sealed one by one,
/// which go as they are sealed.
#[test]
fn level_2_goes_in_bursts_sealed_in_lanes() {
    let run = |lanes, link: LinkConfig| {
        let mut sim = sim(Setup {
            level: LEVEL_ENCRYPT,
            calls: 3,
            len: 200_000,
            link: Some(link),
            lanes,
            ..Setup::default()
        });
        assert_succeeded(&sim, 200_000);
        assert_no_leaks(&mut sim);
        sim
    };
    let jumbo_path = LinkConfig {
        mtu: 65535,
        route_mtu: Some(65535),
        ..LinkConfig::default()
    };
    let one = run(false, jumbo_path);
    let many = run(true, jumbo_path);
    assert!(
        many.stats.in_bursts > 200,
        "{} in bursts",
        many.stats.in_bursts
    );
    assert_eq!(one.stats.in_bursts, 0);
    assert_eq!(many.stats.delivered, one.stats.delivered);
    let lossy = LinkConfig {
        loss: 0.1,
        duplicate: 0.05,
        reorder: 0.2,
        jitter: 3_000_000,
        ..LinkConfig::default()
    };
    run(true, lossy);
}

/// On a route narrower than a full packet each level cuts its packets
/// to fit, with its header and padding: nothing is too long to pass.
#[test]
fn each_level_fits_a_narrow_route() {
    for level in [LEVEL_PLAIN, LEVEL_AUTH, LEVEL_ENCRYPT] {
        let mut sim = calls_over(1300, level, 2, 50_000);
        assert_eq!(sim.stats.sent, sim.stats.delivered, "level {level}");
        assert_no_leaks(&mut sim);
    }
}

#[test]
fn calls_complete_under_loss_duplication_and_reordering() {
    for (i, level) in [LEVEL_PLAIN, LEVEL_AUTH, LEVEL_ENCRYPT]
        .into_iter()
        .enumerate()
    {
        let link = LinkConfig {
            loss: 0.1,
            duplicate: 0.05,
            reorder: 0.2,
            jitter: 3_000_000,
            ..LinkConfig::default()
        };
        let mut sim = sim(Setup {
            level,
            calls: 6 + i,
            len: 30_000,
            link: Some(link),
            ..Setup::default()
        });
        assert_succeeded(&sim, 30_000);
        assert_no_leaks(&mut sim);
    }
}

#[test]
fn wrong_server_key_is_a_bad_ticket() {
    let sim = sim(Setup {
        wrong_server_key: true,
        len: 100,
        ..Setup::default()
    });
    assert_aborted(&sim, RXKADBADTICKET, true);
}

#[test]
fn no_server_key_is_an_unknown_key() {
    let sim = sim(Setup {
        no_server_key: true,
        len: 100,
        ..Setup::default()
    });
    assert_aborted(&sim, RXKADUNKNOWNKEY, true);
}

/// A service with no keyring turns a secured call away before the call
/// exists: the client learns RXKADUNKNOWNKEY, the service sees nothing.
#[test]
fn no_keyring_refuses_before_the_call() {
    let sim = sim(Setup {
        no_keyring: true,
        len: 100,
        ..Setup::default()
    });
    for c in &sim.nodes[0].clients {
        assert_eq!(c.outcome, Some(Outcome::RemoteAbort(RXKADUNKNOWNKEY)));
    }
    assert!(sim.nodes[1].servers.is_empty());
}

#[test]
fn key_under_another_kvno_is_an_unknown_key() {
    let sim = sim(Setup {
        server_kvno: Some(KVNO + 1),
        len: 100,
        ..Setup::default()
    });
    assert_aborted(&sim, RXKADUNKNOWNKEY, true);
    let sim2 = self::sim(Setup {
        server_kvno: Some(KVNO),
        len: 100,
        ..Setup::default()
    });
    assert_succeeded(&sim2, 100);
}

#[test]
fn expired_ticket_is_refused() {
    let sim = sim(Setup {
        server_clock_ahead: 9 * 3600,
        len: 100,
        ..Setup::default()
    });
    assert_aborted(&sim, RXKADEXPIRED, true);
}

#[test]
fn ticket_from_the_future_is_refused() {
    let sim = sim(Setup {
        server_clock_ahead: -3600,
        len: 100,
        ..Setup::default()
    });
    assert_aborted(&sim, RXKADNOAUTH, true);
}

#[test]
fn level_below_the_minimum_fails_at_the_client() {
    // The CHALLENGE carries the service's minimum; the client gives up.
    let sim = sim(Setup {
        level: LEVEL_AUTH,
        min_level: LEVEL_ENCRYPT,
        len: 100,
        ..Setup::default()
    });
    assert_aborted(&sim, RXKADLEVELFAIL, false);
}

#[test]
fn level_at_the_minimum_passes() {
    let sim = sim(Setup {
        level: LEVEL_AUTH,
        min_level: LEVEL_AUTH,
        len: 5000,
        ..Setup::default()
    });
    assert_succeeded(&sim, 5000);
}

#[test]
fn call_refused_before_its_connection_leaves_no_peer() {
    // No token for the key: the call ends before it has a connection,
    // and the peer `begin_call` made for it must expire all the same.
    let mut sim: Sim<Class> = Sim::new(11, LinkConfig::default());
    for _ in 0..2 {
        sim.add_node(
            Rxkad::new(TestHost::at(NOW)),
            ServiceConfig::default(),
            AcceptMode::Never,
        );
    }
    let security = CallSecurity {
        index: 2,
        level: LEVEL_AUTH,
        key: CLIENT_KEY,
    };
    let opts = CallOpts {
        security,
        ..CallOpts::default()
    };
    sim.call(0, 1, SVC, 100, opts).unwrap();
    let l = sim.now.after(Duration::from_secs(1));
    assert!(sim.run_calls(l), "the call did not end");
    assert!(matches!(
        sim.nodes[0].clients[0].outcome,
        Some(Outcome::LocalAbort { .. })
    ));
    assert_no_leaks(&mut sim);
}

type Engine = rxrpc_proto::Endpoint<rxrpc_sim::StdEnv, Rxkad<TestHost>>;

/// A client and an rxkad service (backlog 1, charged) in two engines, and
/// an encrypted call begun from the client with a small request queued.
fn secured_call() -> (
    Engine,
    Engine,
    rxrpc_proto::CallHandle,
    rxrpc_proto::Instant,
) {
    use rxrpc_proto::{CallParams, Config, Endpoint, Instant, Timeouts};
    use rxrpc_sim::StdEnv;

    let mut host = TestHost::at(NOW);
    host.tokens.push((
        CLIENT_KEY,
        HostToken::mint(SESSION_KEY, &SERVER_KEY, KVNO, NOW - 60, 8 * 3600),
    ));
    let mut client = Endpoint::new(StdEnv::default(), Rxkad::new(host), Config::default());
    let mut host = TestHost::at(NOW);
    host.server_keys.push(ServerKey {
        keyring: KEYRING,
        service: SVC,
        kvno: None,
        key: SERVER_KEY,
    });
    let mut server = Endpoint::new(StdEnv::default(), Rxkad::new(host), Config::default());
    server
        .listen(ServiceConfig {
            service_ids: [SVC, 0],
            backlog: 1,
            min_security_index: 2,
            keyring: KEYRING,
            ..ServiceConfig::default()
        })
        .unwrap();
    let now = Instant(1_000_000_000);
    server.charge(now, 100).unwrap();
    let call = client
        .begin_call(
            now,
            CallParams {
                remote: SERVICE_ADDR,
                service_id: SVC,
                user: 1,
                upgrade: false,
                exclusive: false,
                security: CallSecurity {
                    index: 2,
                    level: LEVEL_ENCRYPT,
                    key: CLIENT_KEY,
                },
                timeouts: Timeouts::default(),
            },
        )
        .unwrap();
    client.send(call, b"request", false).unwrap();
    (client, server, call, now)
}

/// A secured service call whose client never answers the CHALLENGE (a
/// forged first DATA, or a client gone) has no data: it gives up after ten
/// seconds with RX_CALL_TIMEOUT and frees its charge, rather than wait for
/// the idle timeout.
#[test]
fn service_call_never_secured_gives_up() {
    use rxrpc_proto::wire::{decode, Packet, RX_CALL_TIMEOUT};
    use rxrpc_proto::{Instant, MAX_PACKET};

    let (mut client, mut server, call, mut now) = secured_call();
    let mut buf = vec![0; MAX_PACKET];
    let end = Instant(now.0 + 12_000_000_000);
    while now < end {
        while let Some((_, n)) = client.poll_transmit(now, &mut buf) {
            server.handle_datagram(now, CLIENT_ADDR, &buf[..n]);
        }
        // Every CHALLENGE is lost; anything else gets through.
        while let Some((_, n)) = server.poll_transmit(now, &mut buf) {
            if !matches!(decode(&buf[..n]), Ok((_, Packet::Challenge(_)))) {
                client.handle_datagram(now, SERVICE_ADDR, &buf[..n]);
            }
        }
        now = Instant(now.0 + 250_000_000);
        client.handle_timeout(now);
        server.handle_timeout(now);
    }
    while let Some((_, n)) = server.poll_transmit(now, &mut buf) {
        client.handle_datagram(now, SERVICE_ADDR, &buf[..n]);
    }
    assert_eq!(
        client.call_outcome(call),
        Some(Outcome::RemoteAbort(RX_CALL_TIMEOUT))
    );
    // Its charge was freed with it: the backlog of one takes a new one.
    while server.poll_event().is_some() {}
    assert!(server.charge(now, 101).is_ok());
}

/// The first CHALLENGE is lost and the client, as C's does, resends no
/// DATA but pings: each PING is challenged again, and the call goes on
/// (C's own server never challenges again; seen in the interop matrix).
#[test]
fn a_client_that_pings_is_challenged_again() {
    use rxrpc_proto::wire::{decode, Packet};
    use rxrpc_proto::{Instant, MAX_PACKET};

    let (mut client, mut server, call, mut now) = secured_call();
    let mut buf = vec![0; MAX_PACKET];
    let (mut data_sent, mut challenges, mut lost_one) = (false, 0, false);
    let end = Instant(now.0 + 8_000_000_000);
    while now < end && client.call_outcome(call).is_none() {
        while let Some((_, n)) = client.poll_transmit(now, &mut buf) {
            let pkt = decode(&buf[..n]).map(|(_, p)| p);
            // Its DATA goes once, until the call is secured; PINGs go.
            if matches!(pkt, Ok(Packet::Data(_))) && data_sent && challenges == 0 {
                continue;
            }
            data_sent |= matches!(pkt, Ok(Packet::Data(_)));
            server.handle_datagram(now, CLIENT_ADDR, &buf[..n]);
        }
        while let Some((_, n)) = server.poll_transmit(now, &mut buf) {
            if matches!(decode(&buf[..n]), Ok((_, Packet::Challenge(_)))) {
                if !lost_one {
                    lost_one = true;
                    continue;
                }
                challenges += 1;
            }
            client.handle_datagram(now, SERVICE_ADDR, &buf[..n]);
        }
        now = Instant(now.0 + 100_000_000);
        client.handle_timeout(now);
        server.handle_timeout(now);
    }
    assert!(lost_one && challenges > 0, "never challenged again");
}
