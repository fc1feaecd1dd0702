//! What an engine sends in answer to datagrams handed to it by hand, so
//! that exact headers and the batching of the caller (a work item draining
//! a queue) can be shown.

use rxrpc_proto::wire::{decode, encode, AckReason, Flags, Header, Packet, Version};
use rxrpc_proto::{
    CallParams, Config, Endpoint, Instant, NullSecurity, ServiceConfig, Timeouts, TransportAddr, MAX_PACKET,
};
use rxrpc_sim::StdEnv;

const SVC: u16 = 52;
const CLIENT: TransportAddr = TransportAddr::V4([10, 0, 0, 1], 7000);
const SERVER: TransportAddr = TransportAddr::V4([10, 0, 0, 2], 7000);

fn endpoint(epoch: u32) -> Endpoint<StdEnv, NullSecurity> {
    Endpoint::new(StdEnv::default(), NullSecurity, Config { epoch, ..Config::default() })
}

/// Everything `ep` wants to send now.
fn drain(ep: &mut Endpoint<StdEnv, NullSecurity>, now: Instant) -> Vec<Vec<u8>> {
    let mut buf = vec![0; MAX_PACKET];
    let mut out = Vec::new();
    while let Some((_, len)) = ep.poll_transmit(now, &mut buf) {
        out.push(buf[..len].to_vec());
    }
    out
}

fn ack_reasons(pkts: &[Vec<u8>]) -> Vec<AckReason> {
    pkts.iter()
        .filter_map(|p| match decode(p) {
            Ok((_, Packet::Ack(a))) => Some(a.reason),
            _ => None,
        })
        .collect()
}

/// Out-of-sequence DATA handled in one batch still gets an ACK each (up to
/// the three that start a sender's fast retransmission), not one for all.
#[test]
fn batched_out_of_sequence_data_gets_an_ack_each() {
    let now = Instant(1_000_000_000);
    let mut client = endpoint(1);
    let mut server = endpoint(2);
    server.listen(ServiceConfig { service_ids: [SVC, 0], backlog: 4, ..ServiceConfig::default() }).unwrap();
    server.charge(100).unwrap();
    let params = CallParams {
        remote: SERVER,
        service_id: SVC,
        user: 1,
        upgrade: false,
        exclusive: false,
        security: Default::default(),
        timeouts: Timeouts::default(),
    };
    let call = client.begin_call(now, params).unwrap();
    let data = vec![7u8; 6 * 1412];
    assert_eq!(client.send(call, &data, false).unwrap(), data.len());
    let sent = drain(&mut client, now);
    let datas: Vec<&Vec<u8>> = sent.iter().filter(|p| matches!(decode(p), Ok((_, Packet::Data(_))))).collect();
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
    let oos = reasons.iter().filter(|r| **r == AckReason::OUT_OF_SEQUENCE).count();
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
    assert_eq!((h.epoch, h.cid, h.call_number, h.serial), (0x1234, 0x40, 7, 0));
    assert!(h.flags.contains(Flags::LAST_PACKET));
    assert!(!h.flags.contains(Flags::CLIENT_INITIATED));
    let Packet::Version(Version::Reply(s)) = p else { panic!("{p:?}") };
    assert!(s.starts_with(b"rxrpc-rs\0"));
}
