//! Key payloads as `add_key(2)` users build them, and what must come back.

use std::vec::Vec;

use crate::token::*;

const SECRET: [u8; 8] = [0xa7, 0x83, 0x8a, 0xcb, 0xc7, 0x83, 0xec, 0x94];

fn v1(kver: u32, sec_ix: u16, tkt_len: u16, ticket: &[u8]) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(&kver.to_ne_bytes());
    b.extend_from_slice(&sec_ix.to_ne_bytes());
    b.extend_from_slice(&tkt_len.to_ne_bytes());
    b.extend_from_slice(&0x7fff_ffffu32.to_ne_bytes());
    b.extend_from_slice(&7u32.to_ne_bytes());
    b.extend_from_slice(&SECRET);
    b.extend_from_slice(ticket);
    b
}

fn xdr(cell: &[u8], tickets: &[&[u8]], sec_ix: u32) -> Vec<u8> {
    let mut b = Vec::new();
    let word = |b: &mut Vec<u8>, v: u32| b.extend_from_slice(&v.to_be_bytes());
    let pad = |b: &mut Vec<u8>| b.resize((b.len() + 3) & !3, 0);
    word(&mut b, 0);
    word(&mut b, cell.len() as u32);
    b.extend_from_slice(cell);
    pad(&mut b);
    word(&mut b, tickets.len() as u32);
    for (i, t) in tickets.iter().enumerate() {
        word(&mut b, (4 + 32 + ((t.len() + 3) & !3)) as u32);
        word(&mut b, sec_ix);
        word(&mut b, 1000 + i as u32);
        word(&mut b, 3);
        b.extend_from_slice(&SECRET);
        word(&mut b, 100);
        word(&mut b, 5000 - i as u32);
        word(&mut b, 1);
        word(&mut b, t.len() as u32);
        b.extend_from_slice(t);
        pad(&mut b);
    }
    b
}

#[test]
fn empty_payload_is_a_no_security_key() {
    let key = parse_client_key(&[]).unwrap();
    assert_eq!(key.tokens().count(), 0);
    assert_eq!(key.expiry(), None);
}

#[test]
fn v1_key() {
    let ticket = [9u8; 16];
    let payload = v1(1, 2, 16, &ticket);
    let key = parse_client_key(&payload).unwrap();
    let t = key.tokens().next().unwrap();
    assert_eq!(
        (t.kvno, t.expiry, t.session_key, t.ticket),
        (7, 0x7fff_ffff, SECRET, &ticket[..])
    );
}

#[test]
fn v1_errors_match_the_c_module() {
    assert_eq!(
        parse_client_key(&v1(2, 2, 16, &[0; 16])),
        Err(TokenError::Rejected)
    );
    assert_eq!(
        parse_client_key(&v1(1, 3, 16, &[0; 16])),
        Err(TokenError::NotSupported)
    );
    assert_eq!(
        parse_client_key(&v1(1, 2, 17, &[0; 16])),
        Err(TokenError::Invalid)
    );
    assert_eq!(parse_client_key(&[1, 0, 0, 0]), Err(TokenError::Invalid));
    assert_eq!(parse_client_key(&[1, 0, 0]), Err(TokenError::Invalid));
    assert_eq!(
        parse_client_key(&v1(1, 2, 12001, &[0; 12001])),
        Err(TokenError::Rejected)
    );
}

#[test]
fn xdr_key_reads_back_byte_exact() {
    let payload = xdr(b"example.org", &[b"0123456789abc", b"tkt2"], 2);
    let key = parse_client_key(&payload).unwrap();
    assert_eq!(key.tokens().count(), 2);
    assert_eq!(key.expiry(), Some(4999));
    let size = encode_xdr(b"example.org", key.tokens().copied(), &mut []);
    assert_eq!(size, payload.len());
    let mut out = std::vec![0xffu8; size];
    encode_xdr(b"example.org", key.tokens().copied(), &mut out);
    assert_eq!(out, payload);
}

#[test]
fn xdr_with_only_unknown_tokens_is_not_supported() {
    assert_eq!(
        parse_client_key(&xdr(b"cell", &[b"ticket-bytes"], 5)),
        Err(TokenError::NotSupported)
    );
}

#[test]
fn xdr_oversized_ticket_is_rejected() {
    let big = std::vec![0u8; 12004];
    assert_eq!(
        parse_client_key(&xdr(b"cell", &[&big], 2)),
        Err(TokenError::Rejected)
    );
}

#[test]
fn malformed_xdr_falls_back_to_v1() {
    // Not XDR (bad cell name byte): parsed as v1, whose version is wrong.
    let mut payload = xdr(b"cell", &[b"ticket-bytes"], 2);
    payload[8] = 0x01;
    assert_eq!(parse_client_key(&payload), Err(TokenError::Rejected));
}

#[test]
fn arbitrary_payloads_never_panic() {
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    for len in 0..600 {
        for _ in 0..20 {
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    (seed >> 24) as u8
                })
                .collect();
            let _ = parse_client_key(&bytes);
            let mut framed = xdr(b"c", &[&bytes], 2);
            let _ = parse_client_key(&framed);
            framed.truncate(framed.len() / 2);
            let _ = parse_client_key(&framed);
        }
    }
}

#[test]
fn server_key_names() {
    let ok = |d: &[u8]| parse_server_key_name(d).map(|n| (n.service, n.security_index));
    assert_eq!(ok(b"52:2"), Ok((52, 2)));
    assert_eq!(ok(b"52:2:extra"), Ok((52, 2)));
    assert_eq!(ok(b":2"), Ok((0, 2)));
    for bad in [
        &b"52"[..],
        b"52:0",
        b"52:256",
        b"65536:2",
        b"x52:2",
        b"52:2x",
        b"99999999999999999999999:2",
    ] {
        assert_eq!(
            parse_server_key_name(bad),
            Err(TokenError::Invalid),
            "{:?}",
            bad
        );
    }
}

#[test]
fn server_key_payloads() {
    let rxkad = parse_server_key_name(b"52:2").unwrap();
    assert_eq!(parse_server_key(&rxkad, &SECRET), Ok(&SECRET));
    assert_eq!(
        parse_server_key(&rxkad, &SECRET[..7]),
        Err(TokenError::Invalid)
    );
    let other = parse_server_key_name(b"52:3").unwrap();
    assert_eq!(
        parse_server_key(&other, &SECRET),
        Err(TokenError::NoPackage)
    );
}
