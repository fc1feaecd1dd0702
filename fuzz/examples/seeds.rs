//! Writes the checked-in seed corpus, fuzz/corpus/<target>/: valid inputs
//! that take each target deep at once (calls that complete both ways,
//! rxkad handshakes, tokens that parse), for the fuzzer to mutate.
//! Deterministic; run `cargo run --example seeds` in fuzz/ after changing a
//! script format, and commit what changes.

use std::fs;
use std::path::Path;

use rxrpc_proto::rxkad::ticket::{self, Ticket};
use rxrpc_proto::Security;
use rxrpc_proto_fuzz::endpoint::{body, op, wild, Harness};
use rxrpc_proto_fuzz::rxkad;
use rxrpc_proto_fuzz::script::{Reader, Writer};
use rxrpc_sim::sim::describe;

/// LAST_PACKET, REQUEST_ACK: flag toggles of the packet op.
const LAST: u8 = 0x04;
const REQUEST_ACK: u8 = 0x02;
/// `base` of the packet op: reply to the last packet sent, or a client's
/// packet from scratch on peer 0.
const REPLY: u8 = 0;
const CLIENT: u8 = 0x80;

/// Builders for the endpoint script's operations.
trait Script {
    fn call(&mut self, security: u8, opts: u8) -> &mut Self;
    fn send(&mut self, call: u8, len: u16) -> &mut Self;
    fn recv(&mut self, call: u8) -> &mut Self;
    fn advance(&mut self, ms: u16) -> &mut Self;
    fn op(&mut self, code: u8) -> &mut Self;
    fn packet(&mut self, base: u8, flags: u8, seq: u32, wild: u8) -> &mut Self;
    fn data(&mut self, len: u16, shape: u8) -> &mut Self;
    fn ack(&mut self, first: u32, prev: u32, reason: u8, acks: &[u8]) -> &mut Self;
}

impl Script for Writer {
    fn call(&mut self, security: u8, opts: u8) -> &mut Self {
        self.u8(op::CALL).u8(0).u8(0).u8(security).u8(opts)
    }
    fn send(&mut self, call: u8, len: u16) -> &mut Self {
        self.u8(op::SEND).u8(call).u16(len).u8(0)
    }
    fn recv(&mut self, call: u8) -> &mut Self {
        self.u8(op::RECV).u8(call).u16(65535).u8(0)
    }
    fn advance(&mut self, ms: u16) -> &mut Self {
        self.u8(op::ADVANCE).u16(ms)
    }
    fn op(&mut self, code: u8) -> &mut Self {
        self.u8(code)
    }
    /// The header part; the wild fields and the body follow.
    fn packet(&mut self, base: u8, flags: u8, seq: u32, wild: u8) -> &mut Self {
        self.u8(op::PACKET)
            .u8(base)
            .u8(flags)
            .u32(seq)
            .u32(0)
            .u8(wild)
    }
    fn data(&mut self, len: u16, shape: u8) -> &mut Self {
        self.u8(body::DATA).u16(len).u8(shape)
    }
    fn ack(&mut self, first: u32, prev: u32, reason: u8, acks: &[u8]) -> &mut Self {
        self.u8(body::ACK).u32(first).u32(prev).u32(0).u8(reason);
        self.bytes(acks).u8(1).u8(32).u8(4).u16(1444)
    }
}

fn script(f: impl FnOnce(&mut Writer)) -> Vec<u8> {
    let mut w = Writer::default();
    w.u8(0);
    f(&mut w);
    w.out
}

fn endpoint_seeds() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        (
            "client-call",
            script(|w| {
                w.call(0, 0).send(0, 100);
                w.packet(REPLY, LAST, 1, 0).data(60, 0);
                w.recv(0).advance(1000).op(op::TIMERS).u8(op::RELEASE).u8(0);
            }),
        ),
        (
            "client-window",
            script(|w| {
                w.call(0, 0).send(0, 9000);
                w.packet(REPLY, 0, 0, 0).ack(1, 0, 1, &[]);
                w.packet(REPLY, 0, 0, 0).ack(1, 0, 1, &[1, 0, 1, 1, 0, 7]);
                w.advance(300).send(0, 0);
                w.packet(REPLY, LAST, 1, 0).data(1412, 2);
                w.recv(0);
            }),
        ),
        (
            "client-rxkad",
            script(|w| {
                w.call(2, 0).send(0, 100);
                w.packet(REPLY, 0, 0, 0)
                    .u8(body::CHALLENGE)
                    .u32(0x1234)
                    .u8(1)
                    .u8(0);
                w.advance(10);
                w.packet(REPLY, LAST, 1, 0).data(40, 2 << 2);
            }),
        ),
        (
            "client-busy-abort",
            script(|w| {
                w.call(0, 0).send(0, 10);
                w.packet(REPLY, 0, 0, 0).u8(body::BUSY);
                w.call(0, 2).send(1, 10);
                w.packet(REPLY, 0, 0, 0).u8(body::ABORT).u32(17);
                w.u8(op::ICMP).u8(0).u8(111);
            }),
        ),
        (
            "client-timeout",
            script(|w| {
                w.call(0, 0x14).send(0, 3000);
                w.advance(0x8000 | 20).op(op::TIMERS).op(op::TIMERS);
            }),
        ),
        (
            "server-call",
            script(|w| {
                w.packet(CLIENT, LAST, 1, 0).data(100, 0);
                w.op(op::ACCEPT).recv(0).send(0, 100);
                w.packet(REPLY, 0, 0, 0).ack(1, 0, 1, &[]);
                w.advance(1000).u8(op::RELEASE).u8(0);
            }),
        ),
        (
            "server-charged",
            script(|w| {
                w.op(op::CHARGE).op(op::CHARGE);
                w.packet(CLIENT, REQUEST_ACK, 1, 0).data(1412, 0);
                w.packet(CLIENT, LAST, 2, 0).data(10, 0);
                w.recv(0).send(0, 3000);
                w.packet(REPLY, 0, 0, 0).ack(1, 0, 1, &[1, 1]);
            }),
        ),
        (
            "server-rxkad",
            script(|w| {
                w.packet(CLIENT, LAST, 1, wild::SECURITY)
                    .u8(2)
                    .data(100, 2 << 2);
                w.packet(REPLY, 0, 0, 0).u8(body::RESPONSE).u8(1);
                w.packet(CLIENT, LAST, 1, wild::SECURITY)
                    .u8(2)
                    .data(100, 2 << 2);
                w.op(op::ACCEPT).recv(0).send(0, 50);
            }),
        ),
        (
            "server-jumbo",
            script(|w| {
                w.packet(CLIENT, LAST, 1, 0).data(100, 2);
                w.op(op::ACCEPT).recv(0).send(0, 10);
            }),
        ),
        (
            "server-upgrade",
            script(|w| {
                w.packet(CLIENT, LAST, 1, wild::STATUS).u8(1).data(20, 0);
                w.op(op::ACCEPT).recv(0).send(0, 20);
            }),
        ),
        (
            "server-reorder",
            script(|w| {
                w.packet(CLIENT, 0, 3, 0).data(1412, 0);
                w.packet(CLIENT, LAST, 4, 0).data(5, 0);
                w.packet(CLIENT, 0, 1, 0).data(1412, 0);
                w.packet(CLIENT, 0, 2, 0).data(1412, 0);
                w.op(op::ACCEPT).recv(0);
            }),
        ),
        (
            "out-of-memory",
            script(|w| {
                w.u8(op::BUDGET).u8(4).call(0, 0).send(0, 100);
                w.packet(CLIENT, LAST, 1, 0).data(100, 0);
                w.u8(op::BUDGET).u8(255).op(op::ACCEPT);
            }),
        ),
        (
            "version-raw",
            script(|w| {
                w.packet(CLIENT, 0, 0, 0).u8(body::VERSION).bytes(&[0]);
                w.u8(op::DATAGRAM)
                    .u8(1)
                    .bytes(&[0x80, 0, 0, 1, 0, 0, 0, 4, 0, 0, 0, 1]);
                w.packet(CLIENT, 0, 0, 0)
                    .u8(body::RAW)
                    .u8(8)
                    .bytes(&[1, 2, 3, 4]);
            }),
        ),
    ]
}

fn rxkad_seeds() -> Vec<(&'static str, Vec<u8>)> {
    let mut server = rxkad::server();
    let mut sconn = server.new_conn(false, &rxkad::ident(0)).unwrap();
    let mut challenge = [0u8; 16];
    let n = server.issue_challenge(&mut sconn, &mut challenge).unwrap();
    let with = |level: u8, cksum: u16, b: &[u8]| {
        let mut v = vec![level];
        v.extend_from_slice(&cksum.to_be_bytes());
        v.extend_from_slice(b);
        v
    };

    let mut seeds = vec![("challenge", with(1, 0, &challenge[..n]))];
    let mut client = rxkad::client();
    let mut cconn = client.new_conn(true, &rxkad::ident(1)).unwrap();
    let mut response = [0u8; 1500];
    let n = client
        .respond(&mut cconn, &challenge, [1, 0, 0, 0], &mut response)
        .unwrap();
    seeds.push(("response", with(1, 0, &response[..n])));

    let t = Ticket {
        name: b"alice",
        instance: b"admin",
        realm: b"RXRPC.TEST",
        addr: [10, 0, 0, 1],
        session_key: rxkad::SESSION_KEY,
        issue: rxkad::NOW - 10,
        life: 3600,
        service: b"afs",
        service_instance: b"",
    };
    let mut tb = [0u8; 256];
    let n = ticket::encode(&t, &mut tb).unwrap();
    seeds.push(("ticket", with(0, 0, &tb[..n])));

    for (level, name) in [(0u8, "data-plain"), (1, "data-auth"), (2, "data-encrypt")] {
        let mut client = rxkad::client();
        let conn = client
            .new_conn(true, &rxkad::ident(u32::from(level)))
            .unwrap();
        let plain: Vec<u8> = (0..100u8).collect();
        let mut out = [0u8; 256];
        let (n, cksum) = client
            .secure(&conn, &rxkad::packet(level), &plain, &mut out)
            .unwrap()
            .complete(&plain, &mut out)
            .unwrap();
        seeds.push((name, with(level, cksum, &out[..n])));
    }
    seeds
}

fn keys_seeds() -> Vec<(&'static str, Vec<u8>)> {
    let ticket = [0x5au8; 32];
    let mut v1 = vec![0u8];
    v1.extend_from_slice(&1u32.to_ne_bytes());
    v1.extend_from_slice(&2u16.to_ne_bytes());
    v1.extend_from_slice(&(ticket.len() as u16).to_ne_bytes());
    v1.extend_from_slice(&0x7fff_ffffu32.to_ne_bytes());
    v1.extend_from_slice(&3u32.to_ne_bytes());
    v1.extend_from_slice(&rxkad::SESSION_KEY);
    v1.extend_from_slice(&ticket);

    let xdr = |n: u32| {
        let mut b = vec![0u8];
        let word = |b: &mut Vec<u8>, v: u32| b.extend_from_slice(&v.to_be_bytes());
        word(&mut b, 0);
        word(&mut b, 7);
        b.extend_from_slice(b"example\0");
        word(&mut b, n);
        for i in 0..n {
            word(&mut b, 4 + 32 + ticket.len() as u32);
            word(&mut b, 2);
            word(&mut b, 1000 + i);
            word(&mut b, 3);
            b.extend_from_slice(&rxkad::SESSION_KEY);
            word(&mut b, 100);
            word(&mut b, 5000 - i);
            word(&mut b, i);
            word(&mut b, ticket.len() as u32);
            b.extend_from_slice(&ticket);
        }
        b
    };
    let mut server = vec![4u8];
    server.extend_from_slice(b"52:2");
    server.extend_from_slice(&rxkad::SERVER_KEY);
    vec![
        ("v1", v1),
        ("xdr-one", xdr(1)),
        ("xdr-two", xdr(2)),
        ("server-key", server),
        ("empty", vec![0]),
    ]
}

fn write(dir: &Path, seeds: &[(&str, Vec<u8>)]) {
    fs::create_dir_all(dir).unwrap();
    for (name, data) in seeds {
        fs::write(dir.join(name), data).unwrap();
    }
}

fn main() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let endpoint = endpoint_seeds();
    let mut sent = Vec::new();
    for (name, data) in &endpoint {
        let mut r = Reader::new(&data[1..]);
        let mut h = Harness::new(data[0]);
        while !r.is_empty() {
            h.step(&mut r);
        }
        let (packets, completed) = h.reached();
        println!("endpoint/{name}: {completed} calls completed; last packets sent:");
        for p in &packets {
            println!("    {}", describe(p));
        }
        sent.extend(packets.into_iter().take(2).map(|p| (*name, p)));
        h.finish();
    }
    write(&corpus.join("endpoint"), &endpoint);
    write(&corpus.join("rxkad"), &rxkad_seeds());
    write(&corpus.join("keys"), &keys_seeds());
    let decode: Vec<(String, Vec<u8>)> = sent
        .into_iter()
        .enumerate()
        .map(|(i, (name, p))| (format!("{name}-{i}"), p))
        .collect();
    let decode: Vec<(&str, Vec<u8>)> = decode
        .iter()
        .map(|(n, p)| (n.as_str(), p.clone()))
        .collect();
    write(&corpus.join("decode"), &decode);
}
