//! DATA handed over whole: the engine keeps a plain payload in its
//! datagram (one reference for each subpacket of a jumbo) until the
//! reader has it, and copies it out of a datagram only lent to it. A
//! datagram in pieces (a paged skb's data) keeps what lies in one piece.

mod common;

use std::rc::Rc;

use common::{server, CLIENT, SVC};
use rxrpc_proto::{Event, Instant};
use rxrpc_sim::env::{Pieced, Whole};

/// Client DATA from call 1 on connection (1, 4), of `subs` subpackets
/// from seq 1 on, each `(flags, payload)`; all but the last are jumbo
/// subpackets of 1412 bytes.
fn data(subs: &[(u8, Vec<u8>)]) -> Vec<u8> {
    let mut p = Vec::new();
    for w in [1u32, 4, 1, 1, 1] {
        p.extend_from_slice(&w.to_be_bytes());
    }
    // DATA, no security, service SVC.
    p.extend_from_slice(&[1, subs[0].0, 0, 0, 0, 0]);
    p.extend_from_slice(&SVC.to_be_bytes());
    for (i, (_, payload)) in subs.iter().enumerate() {
        p.extend_from_slice(payload);
        if let Some((flags, _)) = subs.get(i + 1) {
            p.extend_from_slice(&[*flags, 0, 0, 0]);
        }
    }
    p
}

const CLIENT_INITIATED: u8 = 0x01;
const LAST: u8 = 0x04 | CLIENT_INITIATED;
const JUMBO: u8 = 0x20 | CLIENT_INITIATED;

/// Reads the call the server's first event says is readable.
fn read_all(s: &mut common::Ep, now: Instant) -> Vec<u8> {
    let Some(Event::DataReady { call, .. }) = s.poll_event() else {
        panic!("no data");
    };
    let mut out = vec![0; 4096];
    let r = s.recv(now, call, &mut out, false).unwrap();
    assert!(r.end_of_data);
    out.truncate(r.bytes);
    out
}

#[test]
fn a_jumbo_is_kept_a_reference_a_subpacket_until_read() {
    let now = Instant(1_000_000_000);
    let mut s = server(now, 1);
    let (a, b) = (vec![b'a'; 1412], b"the rest".to_vec());
    let dgram = Rc::<[u8]>::from(data(&[(JUMBO, a.clone()), (LAST, b.clone())]));
    assert_eq!(s.handle_received(now, CLIENT, &Whole(dgram.clone())), None);
    assert_eq!(Rc::strong_count(&dgram), 3, "both subpackets kept");
    assert_eq!(read_all(&mut s, now), [a, b].concat());
    assert_eq!(Rc::strong_count(&dgram), 1, "given up once read");
}

#[test]
fn a_lent_datagram_is_copied() {
    let now = Instant(1_000_000_000);
    let mut s = server(now, 1);
    let mut dgram = data(&[(LAST, b"request".to_vec())]);
    assert_eq!(s.handle_datagram(now, CLIENT, &dgram), None);
    dgram.fill(0);
    assert_eq!(read_all(&mut s, now), b"request");
}

#[test]
fn a_jumbo_in_pieces_keeps_what_lies_in_one_and_copies_the_rest() {
    let now = Instant(1_000_000_000);
    let mut s = server(now, 1);
    let (a, b, c) = (vec![b'a'; 1412], vec![b'b'; 1412], b"the rest".to_vec());
    let d = data(&[(JUMBO, a.clone()), (JUMBO, b.clone()), (LAST, c.clone())]);
    // Cut inside the second payload: the first lies in the first piece
    // (with the header), the second across both, the third in the second.
    let p = Pieced::cut(&d, &[28 + 1412 + 4 + 700]);
    let (p0, p1) = (p.0[0].clone(), p.0[1].clone());
    assert_eq!(s.handle_received(now, CLIENT, &p), None);
    drop(p);
    assert_eq!(Rc::strong_count(&p0), 2, "the first subpacket kept");
    assert_eq!(Rc::strong_count(&p1), 2, "the third subpacket kept");
    assert_eq!(read_all(&mut s, now), [a, b, c].concat());
    assert_eq!((Rc::strong_count(&p0), Rc::strong_count(&p1)), (1, 1));
}

#[test]
fn a_header_across_pieces_is_gathered() {
    let now = Instant(1_000_000_000);
    let mut s = server(now, 1);
    let d = data(&[(LAST, b"request".to_vec())]);
    let p = Pieced::cut(&d, &[10, 10, 30]);
    assert_eq!(s.handle_received(now, CLIENT, &p), None);
    assert!(
        p.0.iter().all(|piece| Rc::strong_count(piece) == 1),
        "nothing kept"
    );
    assert_eq!(read_all(&mut s, now), b"request");
}
