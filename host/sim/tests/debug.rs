//! rxdebug's statistics queries (DEBUG packets, type 8) and the answers an
//! engine gives, checked against OpenAFS's layouts (rx.h: `rx_debugIn`,
//! `rx_debugStats` 56 bytes, `rx_debugConn` 176, `rx_debugPeer` 132,
//! `rx_statistics` 284) and what `rx_packet.c` `rxi_ReceiveDebugPacket`
//! answers.

mod common;
use common::{endpoint, Ep};
use rxrpc_proto::wire::{decode, Flags, Header, Packet};
use rxrpc_proto::{
    CallParams, Instant, RxDrop, ServiceConfig, Timeouts, TransportAddr, MAX_PACKET,
};

const SVC: u16 = 52;
const CLIENT: TransportAddr = TransportAddr::V4([10, 0, 0, 1], 7000);
const SERVER: TransportAddr = TransportAddr::V4([10, 0, 0, 2], 7001);
const RXDEBUG: TransportAddr = TransportAddr::V4([10, 0, 0, 9], 40000);
const NOW: Instant = Instant(1_000_000_000);

const GETSTATS: i32 = 1;
const GETCONN: i32 = 2;
const GETALLCONN: i32 = 3;
const RXSTATS: i32 = 4;
const GETPEER: i32 = 5;

fn drain(ep: &mut Ep) -> Vec<Vec<u8>> {
    let mut buf = vec![0; MAX_PACKET];
    let mut out = Vec::new();
    while let Some((to, len)) = ep.poll_transmit(NOW, &mut buf) {
        if to == RXDEBUG {
            out.push(buf[..len].to_vec());
        }
    }
    out
}

/// A DEBUG packet as rxdebug's `MakeDebugCall` sends it: epoch 999, cid 0,
/// call number `counter`, serial 0, CLIENT_INITIATED | LAST_PACKET,
/// service 0, then `body`.
fn query_bytes(counter: u32, flags: u8, body: &[u8]) -> Vec<u8> {
    let mut b = Vec::new();
    for w in [999u32, 0, counter, 0, 0] {
        b.extend_from_slice(&w.to_be_bytes());
    }
    b.extend_from_slice(&[8, flags, 0, 0, 0, 0, 0, 0]);
    b.extend_from_slice(body);
    b
}

fn debug_in(kind: i32, index: i32) -> Vec<u8> {
    let mut b = kind.to_be_bytes().to_vec();
    b.extend_from_slice(&index.to_be_bytes());
    b
}

/// Sends rxdebug's query `kind`/`index` and returns the answer's header
/// and body (exactly one answer expected).
fn ask(ep: &mut Ep, kind: i32, index: i32) -> (Header, Vec<u8>) {
    let q = query_bytes(101, 0x05, &debug_in(kind, index));
    assert_eq!(ep.handle_datagram(NOW, RXDEBUG, &q), None);
    let out = drain(ep);
    assert_eq!(out.len(), 1, "one answer to type {kind}");
    let (h, p) = decode(&out[0]).unwrap();
    let Packet::Debug(body) = p else {
        panic!("answered with {p:?}")
    };
    (h, body.to_vec())
}

fn be32(b: &[u8], off: usize) -> u32 {
    u32::from_be_bytes(b[off..off + 4].try_into().unwrap())
}

fn be16(b: &[u8], off: usize) -> u16 {
    u16::from_be_bytes(b[off..off + 2].try_into().unwrap())
}

fn listen(ep: &mut Ep) {
    ep.listen(ServiceConfig {
        service_ids: [SVC, 0],
        backlog: 4,
        ..ServiceConfig::default()
    })
    .unwrap();
}

/// A client call to a listening server, its request delivered, so the
/// server holds one service connection with a call receiving.
fn server_with_call(charge: bool) -> (Ep, Ep) {
    let mut client = endpoint(0x8000_0001);
    let mut server = endpoint(0x8000_0002);
    listen(&mut server);
    if charge {
        server.charge(NOW, 100).unwrap();
    }
    let params = CallParams {
        remote: SERVER,
        service_id: SVC,
        user: 1,
        upgrade: false,
        exclusive: false,
        security: Default::default(),
        timeouts: Timeouts::default(),
    };
    let call = client.begin_call(NOW, params).unwrap();
    client.send(call, b"request", false).unwrap();
    let mut buf = vec![0; MAX_PACKET];
    while let Some((_, len)) = client.poll_transmit(NOW, &mut buf) {
        server.handle_datagram(NOW, CLIENT, &buf[..len]);
    }
    (client, server)
}

/// GETSTATS: an `rx_debugStats` of 56 bytes, version 'S', under the
/// query's header with CLIENT_INITIATED cleared (all else echoed).
#[test]
fn getstats_answers_rx_debug_stats() {
    let mut ep = endpoint(1);
    let (h, body) = ask(&mut ep, GETSTATS, 0);
    assert_eq!(
        (h.epoch, h.cid, h.call_number, h.seq, h.serial, h.service_id),
        (999, 0, 101, 0, 0, 0)
    );
    assert_eq!(
        h.flags.bits(),
        0x04,
        "LAST_PACKET kept, CLIENT_INITIATED cleared"
    );
    assert_eq!(body.len(), 56);
    assert_eq!(body[14], b'S', "RX_DEBUGI_VERSION");
    assert_eq!(be32(&body, 8), 0, "no calls yet");
    assert!(body[32..].iter().all(|b| *b == 0), "spares are zero");

    // One call taken from the charge, one waiting for an ACCEPT.
    let (_, mut server) = server_with_call(true);
    let (_, body) = ask(&mut server, GETSTATS, 0);
    assert_eq!(be32(&body, 8), 1, "callsExecuted");
    assert_eq!(
        (be32(&body, 16), be32(&body, 20)),
        (0, 0),
        "nWaiting, idleThreads"
    );
    let (_, mut server) = server_with_call(false);
    server.charge(NOW, 5).unwrap_or(None);
    let (_, body) = ask(&mut server, GETSTATS, 0);
    assert_eq!(be32(&body, 8), 1);
    assert_eq!(be32(&body, 24), 1, "nWaited");
}

/// GETCONN lists connections with a live call, GETALLCONN all; past the
/// end, cid 0xffffffff, as OpenAFS ends the list.
#[test]
fn getconn_lists_connections_then_ends() {
    let mut ep = endpoint(1);
    for kind in [GETCONN, GETALLCONN] {
        let (_, body) = ask(&mut ep, kind, 0);
        assert_eq!(body.len(), 176);
        assert_eq!(be32(&body, 4), 0xffff_ffff);
    }

    let (_, mut server) = server_with_call(true);
    for index in [0, -5] {
        let (_, c) = ask(&mut server, GETCONN, index);
        assert_eq!(c.len(), 176);
        assert_eq!(&c[0..4], &[10, 0, 0, 1], "host");
        assert_eq!(be16(&c, 32), 7000, "port");
        assert_ne!(be32(&c, 4), 0xffff_ffff);
        assert_eq!(be32(&c, 4) & 3, 0, "cid without channel bits");
        assert_eq!(be32(&c, 132), 0x8000_0001, "epoch");
        assert_eq!(be32(&c, 12), 1, "channel 0's call number");
        assert_eq!(c[35], 1, "server connection");
        assert_eq!(c[36], 0, "security index");
        assert_eq!(c[56], 1, "RX_SECTYPE_NULL");
        // Channel 0: active; the request is complete, so it sends next.
        assert_eq!((c[40], c[44]), (2, 1));
        assert_eq!(c[48], 32, "RX_CALL_RECEIVE_DONE");
        assert_eq!(c[52] & 1, 1, "has input packets");
        assert_eq!(&c[41..44], &[0, 0, 0], "channels 1-3 not initialized");
        assert_eq!(be32(&c, 136), 1444, "natMTU");
    }
    let (_, c) = ask(&mut server, GETCONN, 1);
    assert_eq!(be32(&c, 4), 0xffff_ffff);
    let (_, c) = ask(&mut server, GETALLCONN, 0);
    assert_ne!(be32(&c, 4), 0xffff_ffff);
}

/// GETPEER lists peers (132 bytes each), then host 0xffffffff.
#[test]
fn getpeer_lists_peers_then_ends() {
    let (_, mut server) = server_with_call(true);
    let (_, p) = ask(&mut server, GETPEER, 0);
    assert_eq!(p.len(), 132);
    assert_eq!((&p[0..4], be16(&p, 4)), (&[10u8, 0, 0, 1][..], 7000));
    assert_eq!(be16(&p, 6), 1444, "ifMTU");
    assert_eq!(be16(&p, 12), 1, "refCount: one connection");
    let (_, p) = ask(&mut server, GETPEER, 1);
    assert_eq!(p.len(), 132);
    assert_eq!(be32(&p, 0), 0xffff_ffff);
    assert!(p[4..].iter().all(|b| *b == 0));
}

/// RXSTATS: `rx_statistics`, 71 int32s, with our packet counters.
#[test]
fn rxstats_answers_rx_statistics() {
    let (_, mut server) = server_with_call(true);
    let (_, s) = ask(&mut server, RXSTATS, 0);
    assert_eq!(s.len(), 284);
    assert_eq!(be32(&s, 11 * 4), 1, "packetsRead[DATA]");
    assert_eq!(be32(&s, 24 * 4), 1, "dataPacketsRead");
    assert_eq!(be32(&s, 56 * 4), 1, "nServerConns");
    assert_eq!(be32(&s, 57 * 4), 0, "nClientConns");
    assert_eq!(be32(&s, 58 * 4), 1, "nPeerStructs");
    assert_eq!(be32(&s, 59 * 4), 1, "nCallStructs");
}

/// Unknown types get an `rx_debugIn` with both fields RX_DEBUGI_BADTYPE.
#[test]
fn unknown_types_get_badtype() {
    let mut ep = endpoint(1);
    for kind in [0, 6, -8, i32::MAX, i32::MIN] {
        let (_, body) = ask(&mut ep, kind, 3);
        assert_eq!(body, [0xff, 0xff, 0xff, 0xf8, 0xff, 0xff, 0xff, 0xf8]);
    }
}

/// Short bodies are dropped (OpenAFS would read stale buffer bytes), extra
/// bytes ignored, and a query not from a client is not answered, as in
/// OpenAFS; nothing panics, and a flood queues a bounded number.
#[test]
fn malformed_queries_and_floods() {
    let mut ep = endpoint(1);
    let full = debug_in(GETSTATS, 0);
    for n in 0..8 {
        let q = query_bytes(7, 0x01, &full[..n]);
        assert_eq!(ep.handle_datagram(NOW, RXDEBUG, &q), Some(RxDrop::Short));
    }
    let q = query_bytes(7, 0x00, &full);
    assert_eq!(ep.handle_datagram(NOW, RXDEBUG, &q), Some(RxDrop::Unused));
    assert!(drain(&mut ep).is_empty());
    let mut long = full.clone();
    long.extend_from_slice(&[0xee; 1000]);
    let q = query_bytes(7, 0x01, &long);
    assert_eq!(ep.handle_datagram(NOW, RXDEBUG, &q), None);
    let out = drain(&mut ep);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].len(), 28 + 56);

    // Every type and index, undrained: the one-off queue's bound holds.
    let (_, mut server) = server_with_call(true);
    for i in 0..2000i32 {
        let q = query_bytes(7, 0x01, &debug_in(i % 7, i.wrapping_mul(7919)));
        server.handle_datagram(NOW, RXDEBUG, &q);
    }
    let n = drain(&mut server).len();
    assert!((1..=256).contains(&n), "{n} answers queued");
    // Garbage of every length.
    for len in 0..64 {
        let mut q = query_bytes(7, 0x01, &[]);
        q.extend((0..len).map(|i| (i * 37) as u8));
        server.handle_datagram(NOW, RXDEBUG, &q);
        let q = query_bytes(7, (len as u8) | 1, &vec![0xff; len]);
        server.handle_datagram(NOW, RXDEBUG, &q);
    }
    drain(&mut server);
}

/// Flags other than CLIENT_INITIATED come back as sent (OpenAFS clears
/// just that bit).
#[test]
fn answer_echoes_other_flags() {
    let mut ep = endpoint(1);
    let q = query_bytes(42, 0x01 | 0x02, &debug_in(GETSTATS, 0));
    ep.handle_datagram(NOW, RXDEBUG, &q);
    let out = drain(&mut ep);
    let (h, _) = decode(&out[0]).unwrap();
    assert_eq!((h.call_number, h.flags), (42, Flags::REQUEST_ACK));
}
