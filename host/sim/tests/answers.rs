//! What an engine sends in answer to datagrams handed to it by hand, so
//! that exact headers and the batching of the caller (a work item draining
//! a queue) can be shown.

mod common;
use common::*;
use rxrpc_proto::wire::{decode, encode, AckReason, Flags, Header, Packet, Version};
use rxrpc_proto::{Config, Endpoint, Instant, NullSecurity, ServiceConfig, TransportAddr};
use rxrpc_sim::StdEnv;

fn ack_reasons(pkts: &[Vec<u8>]) -> Vec<AckReason> {
    pkts.iter()
        .filter_map(|p| match decode(p) {
            Ok((_, Packet::Ack(a))) => Some(a.reason),
            _ => None,
        })
        .collect()
}

/// The DATA packets among `pkts`, with their headers.
fn data_packets(pkts: Vec<Vec<u8>>) -> Vec<(Header, Vec<u8>)> {
    pkts.into_iter()
        .filter_map(|p| match decode(&p) {
            Ok((h, Packet::Data(_))) => Some((h, p)),
            _ => None,
        })
        .collect()
}

/// A call's six DATA packets of one batch, and the server they go to.
fn batch_of_six(now: Instant) -> (Ep, Vec<(Header, Vec<u8>)>) {
    let (mut client, server, call) = pair_with_call(now);
    client.send(call, &[7u8; 6 * 1412], false).unwrap();
    let datas = data_packets(drain(&mut client, now));
    assert!(datas.len() >= 4, "{} DATA packets", datas.len());
    (server, datas)
}

/// The ACKs (but PINGs) `server` answers the batch `datas` with.
fn answer_batch(
    server: &mut Ep,
    now: Instant,
    datas: &[(Header, Vec<u8>)],
) -> Vec<(AckReason, u32)> {
    for (_, p) in datas {
        server.handle_datagram(now, CLIENT, p);
    }
    acks_answering(&drain(server, now))
}

/// Set or clear REQUEST_ACK in the header of datagram `p` (no checksum
/// covers the flags byte on a plain call).
fn set_request_ack(p: &mut [u8], on: bool) {
    let bit = Flags::REQUEST_ACK.bits();
    p[21] = if on { p[21] | bit } else { p[21] & !bit };
}

/// The reasons and serials of the ACKs among `pkts` but PINGs.
fn acks_answering(pkts: &[Vec<u8>]) -> Vec<(AckReason, u32)> {
    pkts.iter()
        .filter_map(|p| match decode(p) {
            Ok((_, Packet::Ack(a))) if a.reason != AckReason::PING => Some((a.reason, a.serial)),
            _ => None,
        })
        .collect()
}

/// Out-of-sequence DATA handled in one batch still gets an ACK each (up to
/// the three that start a sender's fast retransmission), not one for all.
#[test]
fn batched_out_of_sequence_data_gets_an_ack_each() {
    let now = Instant(1_000_000_000);
    let (mut client, mut server, call) = pair_with_call(now);
    let data = vec![7u8; 6 * 1412];
    assert_eq!(client.send(call, &data, false).unwrap(), data.len());
    let sent = drain(&mut client, now);
    let datas: Vec<&Vec<u8>> = sent
        .iter()
        .filter(|p| matches!(decode(p), Ok((_, Packet::Data(_)))))
        .collect();
    // More DATA is queued behind the first packet, and it says so.
    let (h, _) = decode(datas[0]).unwrap();
    assert!(h.flags.contains(Flags::MORE_PACKETS) && !h.flags.contains(Flags::LAST_PACKET));
    // The initial window: at least 4 packets.
    let n = datas.len().min(6);
    assert!(n >= 4, "{n} DATA packets");

    // Packet 1 arrives alone; 2 is lost; the rest arrive in one batch.
    server.handle_datagram(now, CLIENT, datas[0]);
    drain(&mut server, now);
    for p in &datas[2..n] {
        server.handle_datagram(now, CLIENT, p);
    }
    let reasons = ack_reasons(&drain(&mut server, now));
    let oos = reasons
        .iter()
        .filter(|r| **r == AckReason::OUT_OF_SEQUENCE)
        .count();
    assert_eq!(oos, n - 2, "ACK reasons: {reasons:?}");
}

/// A VERSION request gets the reply the C module and OpenAFS send: serial 0,
/// LAST_PACKET, the request's ids, and our version string.
#[test]
fn version_reply_matches_c_and_openafs() {
    let now = Instant(1_000_000_000);
    let mut ep = endpoint(1);
    let req = Header {
        epoch: 0x1234,
        cid: 0x40,
        call_number: 7,
        seq: 0,
        serial: 9,
        flags: Flags::default().with(Flags::CLIENT_INITIATED, true),
        user_status: 0,
        security_index: 0,
        cksum: 0,
        service_id: 0,
    };
    let mut buf = vec![0; 64];
    let len = encode(&req, &Packet::Version(Version::Request), &mut buf).unwrap();
    ep.handle_datagram(now, CLIENT, &buf[..len]);
    let out = drain(&mut ep, now);
    assert_eq!(out.len(), 1);
    let (h, p) = decode(&out[0]).unwrap();
    assert_eq!(
        (h.epoch, h.cid, h.call_number, h.serial),
        (0x1234, 0x40, 7, 0)
    );
    assert!(h.flags.contains(Flags::LAST_PACKET));
    assert!(!h.flags.contains(Flags::CLIENT_INITIATED));
    let Packet::Version(Version::Reply(s)) = p else {
        panic!("{p:?}")
    };
    assert!(s.starts_with(b"rxrpc-rs\0"));
}

/// A hand-made packet: `ptype` with `body`, call 1, seq 1, service 52, sent
/// by a client (or to one, if `to_client`).
fn raw(
    ptype: u8,
    call_number: u32,
    seq: u32,
    service_id: u16,
    to_client: bool,
    body: &[u8],
) -> Vec<u8> {
    let mut b = Vec::new();
    for w in [0x8000_1234u32, 0x40, call_number, seq, 1] {
        b.extend_from_slice(&w.to_be_bytes());
    }
    let flags: u8 = if to_client { 0 } else { 1 };
    b.extend_from_slice(&[ptype, flags, 0, 0, 0, 0]);
    b.extend_from_slice(&service_id.to_be_bytes());
    b.extend_from_slice(body);
    b
}

/// The abort codes an endpoint answers a datagram with.
fn aborts_for(pkt: &[u8]) -> Vec<u32> {
    let now = Instant(1_000_000_000);
    let mut ep = server(now, 0);
    ep.handle_datagram(now, CLIENT, pkt);
    drain(&mut ep, now)
        .iter()
        .filter_map(|p| match decode(p) {
            Ok((_, Packet::Abort(code))) => Some(code),
            _ => None,
        })
        .collect()
}

/// The header checks of the C module, with its answers: bad messages get
/// ABORT RX_PROTOCOL_ERROR (-5); misdirected and reserved packets nothing.
#[test]
fn bad_headers_are_answered_as_the_c_module_answers() {
    const EPROTO_ABORT: u32 = (-5i32) as u32;
    let data = [0u8; 4];
    let rejected = [
        ("DATA, call 0", raw(1, 0, 1, SVC, false, &data)),
        ("DATA, seq 0", raw(1, 1, 0, SVC, false, &data)),
        ("ACK, call 0", raw(2, 0, 0, SVC, false, &[0; 18])),
        ("ACKALL, call 0", raw(5, 0, 0, SVC, false, &[])),
        ("DATA, service 0", raw(1, 1, 1, 0, false, &data)),
        ("unknown type 12", raw(12, 1, 0, SVC, false, &[])),
        ("unknown type 200", raw(200, 1, 0, SVC, false, &[])),
    ];
    for (what, pkt) in &rejected {
        assert_eq!(aborts_for(pkt), vec![EPROTO_ABORT], "{what}");
    }
    let dropped = [
        ("ABORT, call 0", raw(4, 0, 0, SVC, false, &[0, 0, 0, 1])),
        ("ABORT, service 0", raw(4, 1, 0, 0, false, &[0, 0, 0, 1])),
        ("ABORT, short body", raw(4, 1, 0, SVC, false, &[0, 0])),
        ("BUSY to a server", raw(3, 1, 0, SVC, false, &[])),
        ("CHALLENGE to a server", raw(6, 0, 0, SVC, false, &[0; 16])),
        ("RESPONSE to a client", raw(7, 0, 0, SVC, true, &[0; 16])),
        (
            "DEBUG (rxdebug statistics)",
            raw(8, 1, 0, SVC, false, &[0; 8]),
        ),
        ("PARAMS", raw(9, 1, 0, SVC, false, &[])),
        ("type 11", raw(11, 1, 0, SVC, false, &[])),
        ("VERSION to a client", raw(13, 0, 0, 0, true, &[0])),
    ];
    for (what, pkt) in &dropped {
        assert_eq!(aborts_for(pkt), Vec::<u32>::new(), "{what}");
    }
}

/// The last packet of a reply asks for no ACK, as in the C module: OpenAFS
/// answers such a request with soft-ACKs only and never hard-ACKs the
/// reply, so the service call would wait for its final ACK until it timed
/// out. The last packet of a request still asks for one.
#[test]
fn last_reply_packet_requests_no_ack() {
    let now = Instant(1_000_000_000);
    let (mut client, mut server, call) = pair_with_call(now);
    client.send(call, b"request", false).unwrap();
    let last_data = |pkts: &[Vec<u8>]| -> Header {
        pkts.iter()
            .filter_map(|p| match decode(p) {
                Ok((h, Packet::Data(_))) if h.flags.contains(Flags::LAST_PACKET) => Some(h),
                _ => None,
            })
            .next()
            .expect("a last DATA packet")
    };
    let request = drain(&mut client, now);
    assert!(last_data(&request).flags.contains(Flags::REQUEST_ACK));
    answer(&mut server, now, &request);
    let reply = drain(&mut server, now);
    assert!(!last_data(&reply).flags.contains(Flags::REQUEST_ACK));
}

/// A service call's epoch is its client's, not the server endpoint's: kAFS
/// asks it (`rxrpc_kernel_get_epoch`) to tell a rebooted client.
#[test]
fn service_call_epoch_is_the_clients() {
    let now = Instant(1_000_000_000);
    let (mut client, mut server, call) = pair_with_call(now);
    client.send(call, b"request", false).unwrap();
    let served = receive(&mut server, now, &drain(&mut client, now));
    // As on the wire, with the bit that says the epoch is random.
    assert_eq!(server.call_epoch(served), Some(0x8000_0001));
    assert_eq!(server.epoch(), 0x8000_0002);
    assert_eq!(client.call_epoch(call), Some(0x8000_0001));
}

/// A server with an accept queue, `charges` calls charged, and a client
/// whose `n` calls have each sent their whole request to it.
fn service_with_requests(
    now: Instant,
    accept_wait: std::time::Duration,
    n: usize,
) -> (
    Endpoint<StdEnv, NullSecurity>,
    Endpoint<StdEnv, NullSecurity>,
    Vec<rxrpc_proto::CallHandle>,
) {
    let mut client = endpoint(1);
    let server = listening(Config {
        accept_wait,
        ..Config::default()
    });
    let calls = (0..n)
        .map(|i| {
            let call = client.begin_call(now, params(i as u64 + 1)).unwrap();
            client.send(call, b"request", false).unwrap();
            call
        })
        .collect();
    (client, server, calls)
}

/// A server of `config` (but its epoch, 2) listening on `SVC`, backlog 4.
fn listening(config: Config) -> Ep {
    let mut server = Endpoint::new(
        StdEnv::default(),
        NullSecurity,
        Config { epoch: 2, ..config },
    );
    server
        .listen(ServiceConfig {
            service_ids: [SVC, 0],
            backlog: 4,
            ..ServiceConfig::default()
        })
        .unwrap();
    server
}

fn deliver(
    from: &mut Endpoint<StdEnv, NullSecurity>,
    to: &mut Endpoint<StdEnv, NullSecurity>,
    now: Instant,
    src: TransportAddr,
) -> Vec<Vec<u8>> {
    let pkts = drain(from, now);
    for p in &pkts {
        to.handle_datagram(now, src, p);
    }
    pkts
}

/// A service that has charged is served as Linux 6.12 serves it: a call
/// beyond its charges gets BUSY and takes no backlog slot, so the next
/// charge still succeeds (the charge model cannot be starved by calls
/// waiting for an ACCEPT it never sends).
#[test]
fn charged_service_answers_busy_and_keeps_charging() {
    let now = Instant(1_000_000_000);
    let (mut client, mut server, calls) =
        service_with_requests(now, std::time::Duration::from_secs(60), 3);
    server.charge(now, 100).unwrap();
    deliver(&mut client, &mut server, now, CLIENT);
    let answers = deliver(&mut server, &mut client, now, SERVER);
    let busy = answers
        .iter()
        .filter(|p| matches!(decode(p), Ok((_, Packet::Busy))))
        .count();
    assert_eq!(busy, 2, "one call charged, two busy");
    while let Some(e) = server.poll_event() {
        assert!(!matches!(e, rxrpc_proto::Event::NewCall { .. }), "{e:?}");
    }
    // Every backlog slot is free again: four charges fit.
    for user in 200..204 {
        server.charge(now, user).unwrap();
    }
    assert!(server.charge(now, 300).is_err());
    let busied = calls
        .iter()
        .filter(|c| client.call_outcome(**c) == Some(rxrpc_proto::Outcome::Busy))
        .count();
    assert_eq!(busied, 2);
}

/// A call that arrived before the service's first charge is taken by it.
#[test]
fn first_charge_takes_a_waiting_call() {
    let now = Instant(1_000_000_000);
    let (mut client, mut server, _) =
        service_with_requests(now, std::time::Duration::from_secs(60), 1);
    deliver(&mut client, &mut server, now, CLIENT);
    assert!(matches!(
        server.poll_event(),
        Some(rxrpc_proto::Event::NewCall { .. })
    ));
    let taken = server.charge(now, 7).unwrap().expect("the waiting call");
    assert_eq!(server.call_user(taken), Some(7));
    // The charge was used up by it: the next call needs another.
    assert_eq!(server.charge(now, 8).unwrap(), None);
}

/// A call nobody accepts is aborted after `accept_wait`, though its
/// client keeps it alive, and frees its backlog slot.
#[test]
fn unaccepted_call_times_out() {
    let wait = std::time::Duration::from_secs(5);
    let mut now = Instant(1_000_000_000);
    let (mut client, mut server, calls) = service_with_requests(now, wait, 1);
    let deadline = Instant(now.0 + wait.as_nanos() as u64);
    while now < deadline {
        deliver(&mut client, &mut server, now, CLIENT);
        deliver(&mut server, &mut client, now, SERVER);
        now = Instant(now.0 + 500_000_000);
        client.handle_timeout(now);
        server.handle_timeout(now);
    }
    deliver(&mut server, &mut client, now, SERVER);
    assert_eq!(
        client.call_outcome(calls[0]),
        Some(rxrpc_proto::Outcome::RemoteAbort(
            rxrpc_proto::wire::RX_CALL_TIMEOUT
        ))
    );
    for user in 1..=4 {
        server.charge(now, user).unwrap();
    }
}

/// A service call whose first DATA never arrives (begun by a later one,
/// stray or forged) gives up after ten seconds, though its client answers
/// every ping, and so frees its charge.
#[test]
fn service_call_without_its_first_packet_gives_up() {
    let mut now = Instant(1_000_000_000);
    let (mut client, mut server, call) = pair_with_call(now);
    let data = vec![7u8; 3 * 1412];
    client.send(call, &data, false).unwrap();
    let first = |p: &Vec<u8>| matches!(decode(p), Ok((h, Packet::Data(_))) if h.seq == 1);
    let end = Instant(now.0 + 12_000_000_000);
    while now < end {
        for p in drain(&mut client, now) {
            if !first(&p) {
                server.handle_datagram(now, CLIENT, &p);
            }
        }
        for p in drain(&mut server, now) {
            client.handle_datagram(now, SERVER, &p);
        }
        now = Instant(now.0 + 250_000_000);
        client.handle_timeout(now);
        server.handle_timeout(now);
    }
    for p in drain(&mut server, now) {
        client.handle_datagram(now, SERVER, &p);
    }
    assert_eq!(
        client.call_outcome(call),
        Some(rxrpc_proto::Outcome::RemoteAbort(
            rxrpc_proto::wire::RX_CALL_TIMEOUT
        ))
    );
}

/// A DATA packet that asks for an ACK, handled in one batch with the
/// in-order packets after it, is answered with REQUESTED and its own
/// serial, by which the sender times the RTT, not with a DELAY ACK for the
/// last packet of the batch.
#[test]
fn a_batch_keeps_the_requested_ack() {
    let now = Instant(1_000_000_000);
    let (mut server, datas) = batch_of_six(now);
    let probe = datas[0].0;
    assert!(probe.flags.contains(Flags::REQUEST_ACK));
    let acks = answer_batch(&mut server, now, &datas);
    assert_eq!(acks, [(AckReason::REQUESTED, probe.serial)]);
}

/// A batch in which every DATA packet asks for an ACK (as the C module's
/// sender asks while it has fewer than three RTT samples) is answered with
/// the first one's serial: C times only the first four, and takes an
/// answer to a later serial as their loss.
#[test]
fn a_batch_of_requests_answers_the_first() {
    let now = Instant(1_000_000_000);
    let (mut server, mut datas) = batch_of_six(now);
    for (h, p) in &mut datas {
        set_request_ack(p, true);
        assert!(decode(p).is_ok_and(|(d, _)| d.flags.contains(Flags::REQUEST_ACK)));
        assert_eq!(decode(p).map(|(d, _)| d.serial).ok(), Some(h.serial));
    }
    let acks = answer_batch(&mut server, now, &datas);
    assert_eq!(acks, [(AckReason::REQUESTED, datas[0].0.serial)]);
}

/// A service whose reply begins before its delayed ACK of the request
/// is due sends no such ACK: the reply acknowledges the request, and the
/// client, which may have ended the call on it, would only drop the ACK.
#[test]
fn a_reply_cancels_the_delayed_ack_of_its_request() {
    let now = Instant(1_000_000_000);
    let (mut client, mut server, call) = pair_with_call(now);
    client.send(call, b"request", false).unwrap();
    let mut request = drain(&mut client, now);
    for p in &mut request {
        // As once the client knows the RTT: the request asks for nothing.
        set_request_ack(p, false);
    }
    let served = answer(&mut server, now, &request);
    assert!(
        !data_packets(drain(&mut server, now)).is_empty(),
        "the reply"
    );
    // Well past the delayed ACK's 20 ms, before the client's final ACK.
    let later = Instant(now.0 + 100_000_000);
    server.handle_timeout(later);
    let acks = ack_reasons(&drain(&mut server, later));
    assert!(
        !acks.contains(&AckReason::DELAY) && !acks.contains(&AckReason::IDLE),
        "{acks:?} after the reply of {served:?}"
    );
}

/// A client's one-packet request asks for an ACK while the peer's RTT is
/// being learnt (fewer than three samples, or none for a second), and not
/// once it is known: the reply acknowledges the request, and the ACK would
/// be one datagram more of the three a small call takes.
#[test]
fn lone_request_asks_for_ack_only_to_learn_the_rtt() {
    let mut client = endpoint(1);
    let mut server = server(Instant(0), 4);
    let mut asked = Vec::new();
    let starts = (0..5u64)
        .map(|k| 1_000_000_000 + k * 10_000_000)
        .chain([3_000_000_000]);
    for (k, start) in starts.enumerate() {
        let now = Instant(start);
        let call = client.begin_call(now, params(k as u64 + 1)).unwrap();
        client.send(call, b"request", false).unwrap();
        let request = drain(&mut client, now);
        let data = request
            .iter()
            .find_map(|p| match decode(p) {
                Ok((h, Packet::Data(_))) => Some(h),
                _ => None,
            })
            .expect("the request");
        asked.push(data.flags.contains(Flags::REQUEST_ACK));
        // 1 ms each way: the server answers what it was asked, then
        // replies; the client reads the reply and lets the call go.
        let at_server = Instant(start + 1_000_000);
        let served = answer(&mut server, at_server, &request);
        let mut buf = [0; 64];
        let at_client = Instant(start + 2_000_000);
        for p in drain(&mut server, at_server) {
            client.handle_datagram(at_client, SERVER, &p);
        }
        while client.poll_event().is_some() {}
        client.recv(at_client, call, &mut buf, false).unwrap();
        client.release(at_client, call);
        for p in drain(&mut client, at_client) {
            server.handle_datagram(Instant(start + 3_000_000), CLIENT, &p);
        }
        while server.poll_event().is_some() {}
        server.release(Instant(start + 3_000_000), served);
        server
            .charge(Instant(start + 3_000_000), 200 + k as u64)
            .unwrap();
    }
    // Three samples, then quiet; two seconds later the RTT is stale.
    assert_eq!(asked, [true, true, true, false, false, true]);

    // One that asked for nothing waits for its reply, however long the
    // service takes: no tail loss probe; only the RTO resends it, asking.
    let start = 3_100_000_000;
    let call = client.begin_call(Instant(start), params(99)).unwrap();
    client.send(call, b"request", false).unwrap();
    let flags = |pkts: Vec<Vec<u8>>| -> Vec<Flags> {
        pkts.iter()
            .filter_map(|p| match decode(p) {
                Ok((h, Packet::Data(_))) => Some(h.flags),
                _ => None,
            })
            .collect()
    };
    let sent = flags(drain(&mut client, Instant(start)));
    assert!(sent.len() == 1 && !sent[0].contains(Flags::REQUEST_ACK));
    for ms in [25, 50, 100, 150] {
        let t = Instant(start + ms * 1_000_000);
        client.handle_timeout(t);
        assert!(
            flags(drain(&mut client, t)).is_empty(),
            "sent again at {ms} ms"
        );
    }
    let t = Instant(start + 1_000_000_000);
    client.handle_timeout(t);
    let resent = flags(drain(&mut client, t));
    assert!(resent.len() == 1 && resent[0].contains(Flags::REQUEST_ACK));
}

/// Calls beyond a bundle's sixteen channels wait in order; one that goes
/// while it waits leaves the others their places, and each channel freed
/// goes to the oldest still waiting.
#[test]
fn waiting_calls_keep_their_order_when_one_goes() {
    let now = Instant(1_000_000_000);
    let mut client = endpoint(1);
    let calls: Vec<_> = (1..=20)
        .map(|user| client.begin_call(now, params(user)).unwrap())
        .collect();
    let cid = |c: &mut common::Ep, h| c.call_info(h).unwrap().cid;
    let waiting = |c: &mut common::Ep, of: &[usize]| -> Vec<usize> {
        of.iter()
            .copied()
            .filter(|&i| cid(c, calls[i]) == 0)
            .collect()
    };
    let all: Vec<usize> = (0..20).collect();
    assert_eq!(waiting(&mut client, &all), [16, 17, 18, 19]);
    // The second waiting call goes; then three channels free up.
    client.abort(now, calls[17], 1).unwrap();
    client.release(now, calls[17]);
    assert!(client.call_info(calls[17]).is_none());
    let mut attached = Vec::new();
    for i in 0..3 {
        let freed = cid(&mut client, calls[i]);
        client.abort(now, calls[i], 1).unwrap();
        client.release(now, calls[i]);
        let took: Vec<usize> = [16, 18, 19]
            .into_iter()
            .filter(|&j| cid(&mut client, calls[j]) == freed)
            .collect();
        attached.extend(took);
    }
    assert_eq!(attached, [16, 18, 19]);
    assert!(waiting(&mut client, &[16, 18, 19]).is_empty());
}

/// A service that replies at once, before its PING to a new peer is
/// answered, sends the reply with no RTT sample, under the initial
/// one-second RTO. The PING's response brings that in to an RTO of the
/// sample: a lost final ACK costs the reply a resend after 200 ms, not a
/// second, by when a client that got its reply may well have gone (and
/// its ICMP ended the service's call; interop cell 18, C's client
/// lingering a second).
#[test]
fn a_sample_after_the_reply_brings_its_resend_in() {
    let now = Instant(1_000_000_000);
    let (mut client, mut server, call) = pair_with_call(now);
    client.send(call, b"request", false).unwrap();
    let request = drain(&mut client, now);
    answer(&mut server, now, &request);
    let out = drain(&mut server, now);
    assert!(ack_reasons(&out).contains(&AckReason::PING));
    assert!(!data_packets(out.clone()).is_empty(), "the reply");
    // The PING's response comes back; the client's final ACK for the
    // reply is lost.
    let t1 = Instant(now.0 + 2_000_000);
    for p in out
        .iter()
        .filter(|p| data_packets(vec![p.to_vec()]).is_empty())
    {
        client.handle_datagram(t1, SERVER, p);
    }
    let pong = drain(&mut client, t1);
    assert_eq!(ack_reasons(&pong), [AckReason::PING_RESPONSE]);
    let t2 = Instant(now.0 + 4_000_000);
    for p in &pong {
        server.handle_datagram(t2, CLIENT, p);
    }
    drain(&mut server, t2);
    let mut resent = None;
    while let Some(t) = server.poll_timeout() {
        if t.0 > now.0 + 1_500_000_000 {
            break;
        }
        server.handle_timeout(t);
        if !data_packets(drain(&mut server, t)).is_empty() {
            resent = Some(t.0 - now.0);
            break;
        }
    }
    let resent = resent.expect("the reply sent again");
    assert!(resent < 500_000_000, "resent after {resent} ns");
}

/// A 20-packet request sent to a server of receive window `window`, in
/// rounds of DATA and the ACKs for them, and past the delayed ACK: the
/// server and its call, everything received and ACKed, nothing read.
fn request_received(window: u32) -> (Ep, rxrpc_proto::CallHandle) {
    let now = Instant(1_000_000_000);
    let mut client = endpoint(1);
    let mut server = listening(Config {
        rx_window: window,
        ..Config::default()
    });
    server.charge(now, 100).unwrap();
    let call = client.begin_call(now, params(1)).unwrap();
    client.send(call, &[7u8; 20 * 1412], false).unwrap();
    let mut served = None;
    for round in 0..20 {
        let t = Instant(now.0 + round * 1_000_000);
        let datas = drain(&mut client, t);
        for p in &datas {
            server.handle_datagram(t, CLIENT, p);
        }
        while let Some(e) = server.poll_event() {
            if let rxrpc_proto::Event::DataReady { call, .. } = e {
                served = Some(call);
            }
        }
        let later = Instant(t.0 + 100_000_000);
        server.handle_timeout(later);
        for p in drain(&mut server, later) {
            client.handle_datagram(t, SERVER, &p);
        }
    }
    (server, served.expect("the request arrived"))
}

/// Reading frees window. The sender hears of it at once only if the
/// window offered held it back: where it was wide, the sender had all it
/// needed and the ACK would be one more for it to process (a C sender on
/// a narrow path lost a quarter of its rate to them).
#[test]
fn reading_acks_the_freed_window_only_if_it_was_narrow() {
    let read = |window| {
        let (mut server, call) = request_received(window);
        let now = Instant(3_000_000_000);
        let mut buf = vec![0; 20 * 1412];
        let got = server.recv(now, call, &mut buf, false).unwrap();
        assert!(got.bytes > 8 * 1412, "{} bytes read", got.bytes);
        ack_reasons(&drain(&mut server, now))
    };
    assert_eq!(read(255), []);
    assert_eq!(read(16), [AckReason::IDLE]);
}
