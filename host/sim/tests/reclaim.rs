//! Charges held by calls that never had their first packet: forged DATA of
//! a later sequence begins such calls, and a call that has its first
//! packet takes the charge of the oldest of them rather than a BUSY.

mod common;

use common::{drain, server, CLIENT, SVC};
use rxrpc_proto::wire::{decode, Packet, RX_CALL_TIMEOUT};
use rxrpc_proto::{Event, Instant};

/// A raw client DATA packet: call 1 on connection (`epoch`, `cid`).
fn data(epoch: u32, cid: u32, seq: u32) -> Vec<u8> {
    let mut p = Vec::new();
    for w in [epoch, cid, 1, seq, seq] {
        p.extend_from_slice(&w.to_be_bytes());
    }
    // DATA, CLIENT_INITIATED | LAST_PACKET, no security, service SVC.
    p.extend_from_slice(&[1, 0x05, 0, 0, 0, 0]);
    p.extend_from_slice(&SVC.to_be_bytes());
    p.extend_from_slice(b"request");
    p
}

#[test]
fn a_first_packet_takes_the_charge_of_a_call_without_one() {
    let now = Instant(1_000_000_000);
    let mut s = server(now, 2);
    // Two calls begun by their second packet take both charges, unseen.
    s.handle_datagram(now, CLIENT, &data(0x1111, 4 << 2, 2));
    s.handle_datagram(now, CLIENT, &data(0x2222, 8 << 2, 2));
    assert!(s.poll_event().is_none());
    drain(&mut s, now);

    // A call with its first packet is served, with the older one's charge.
    s.handle_datagram(now, CLIENT, &data(0x3333, 12 << 2, 1));
    let mut busy = 0;
    let mut aborted = Vec::new();
    for p in drain(&mut s, now) {
        match decode(&p) {
            Ok((_, Packet::Busy)) => busy += 1,
            Ok((h, Packet::Abort(code))) => aborted.push((h.epoch, code)),
            _ => {}
        }
    }
    assert_eq!(busy, 0);
    assert_eq!(aborted, [(0x1111, RX_CALL_TIMEOUT)]);
    match s.poll_event() {
        Some(Event::DataReady { user, .. }) => assert_eq!(user, 100),
        other => panic!("{other:?}"),
    }
    // The displaced call told its user nothing; the newer one keeps its
    // charge, and the next call with its first packet takes that.
    assert!(s.poll_event().is_none());
    s.handle_datagram(now, CLIENT, &data(0x4444, 16 << 2, 1));
    match s.poll_event() {
        Some(Event::DataReady { user, .. }) => assert_eq!(user, 101),
        other => panic!("{other:?}"),
    }
    // With none left to displace, the next one is BUSY.
    drain(&mut s, now);
    s.handle_datagram(now, CLIENT, &data(0x5555, 20 << 2, 1));
    let out = drain(&mut s, now);
    assert!(out
        .iter()
        .any(|p| matches!(decode(p), Ok((_, Packet::Busy)))));
}

#[test]
fn a_call_whose_first_packet_came_keeps_its_charge() {
    let now = Instant(1_000_000_000);
    let mut s = server(now, 1);
    s.handle_datagram(now, CLIENT, &data(0x1111, 4 << 2, 2));
    // Its first packet comes: it is started, and no longer displaceable.
    let mut first = data(0x1111, 4 << 2, 1);
    first[21] = 0x01; // CLIENT_INITIATED, not the last
    s.handle_datagram(now, CLIENT, &first);
    assert!(matches!(
        s.poll_event(),
        Some(Event::DataReady { user: 100, .. })
    ));
    drain(&mut s, now);
    s.handle_datagram(now, CLIENT, &data(0x2222, 8 << 2, 1));
    let out = drain(&mut s, now);
    assert!(out
        .iter()
        .any(|p| matches!(decode(p), Ok((_, Packet::Busy)))));
}
