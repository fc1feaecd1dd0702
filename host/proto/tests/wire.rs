//! Hand-written byte vectors for the wire codec, several shaped like what
//! the Linux C implementation sends.

use rxrpc_proto::wire::{
    self, rxkad, Ack, AckReason, AckTrailer, Data, Flags, Header, JumboPart, Packet, Payload,
    Subpacket, Version, WireError, HEADER_LEN, JUMBO_DATALEN, MAX_JUMBO,
};

/// A header as the C client sends it on call 1, channel 1.
fn hdr() -> Header {
    Header {
        epoch: 0x8123_4567,
        cid: 0x0000_0405,
        call_number: 1,
        seq: 1,
        serial: 7,
        flags: Flags::CLIENT_INITIATED,
        user_status: 0,
        security_index: 0,
        cksum: 0,
        service_id: 147,
    }
}

/// The 28 wire bytes of [`hdr`] with the given type, flags, seq and serial.
fn hdr_bytes(ptype: u8, flags: u8, seq: u32, serial: u32) -> Vec<u8> {
    let mut v = vec![0x81, 0x23, 0x45, 0x67, 0, 0, 4, 5, 0, 0, 0, 1];
    v.extend_from_slice(&seq.to_be_bytes());
    v.extend_from_slice(&serial.to_be_bytes());
    v.extend_from_slice(&[ptype, flags, 0, 0, 0, 0, 0, 147]);
    v
}

fn encode(h: &Header, p: &Packet<'_>) -> Vec<u8> {
    let mut buf = vec![0u8; 70_000];
    let n = wire::encode(h, p, &mut buf).unwrap();
    buf.truncate(n);
    buf
}

#[test]
fn header_fields() {
    let b = hdr_bytes(1, 0x05, 1, 7);
    let (h, ptype, body) = Header::decode(&b).unwrap();
    assert_eq!(ptype, 1);
    assert!(body.is_empty());
    assert_eq!(h.flags, Flags::CLIENT_INITIATED | Flags::LAST_PACKET);
    assert_eq!((h.channel(), h.conn_id()), (1, 0x404));
    assert_eq!(h.service_id, 147);
    let mut out = [0u8; HEADER_LEN];
    assert_eq!(h.encode(1, &mut out), Ok(HEADER_LEN));
    assert_eq!(&out[..], &b[..]);
    assert_eq!(h.encode(1, &mut out[..27]), Err(WireError::BufferTooSmall));
}

#[test]
fn short_header_is_truncated() {
    let b = hdr_bytes(1, 0, 1, 1);
    for n in 0..HEADER_LEN {
        assert_eq!(wire::decode(&b[..n]), Err(WireError::Truncated));
    }
}

#[test]
fn bad_types() {
    for t in [0u8, 12, 14, 255] {
        assert_eq!(
            wire::decode(&hdr_bytes(t, 0, 0, 0)),
            Err(WireError::BadType(t))
        );
    }
    let p = Packet::Params {
        ptype: 12,
        body: &[],
    };
    assert_eq!(
        wire::encode(&hdr(), &p, &mut [0; 64]),
        Err(WireError::BadType(12))
    );
}

#[test]
fn plain_data() {
    let mut b = hdr_bytes(1, 0x07, 1, 7);
    b.extend_from_slice(b"hello");
    let (h, p) = wire::decode(&b).unwrap();
    let Packet::Data(d) = p else { panic!("{p:?}") };
    let subs: Vec<_> = d.subpackets(&h).collect();
    let flags = Flags::from_bits(0x07);
    let want = Subpacket {
        seq: 1,
        serial: 7,
        flags,
        cksum: 0,
        payload: Payload::Whole(b"hello"),
    };
    assert_eq!(subs, [want]);
    assert_eq!(encode(&h, &p), b);
}

/// Three subpackets: seq 5..=7, serials 20..=22, the last one LAST_PACKET.
fn jumbo3() -> Vec<u8> {
    let mut b = hdr_bytes(1, 0x21, 5, 20);
    b.extend_from_slice(&[b'a'; JUMBO_DATALEN]);
    b.extend_from_slice(&[0x21, 0, 0x12, 0x34]);
    b.extend_from_slice(&[b'b'; JUMBO_DATALEN]);
    b.extend_from_slice(&[0x05, 0, 0x56, 0x78]);
    b.extend_from_slice(b"tail");
    b
}

#[test]
fn jumbo_whose_seqs_would_wrap_is_refused() {
    // Subpackets at 2^32 - 1, then 0 and 1: the start of any live call.
    let mut b = jumbo3();
    b[12..16].copy_from_slice(&u32::MAX.to_be_bytes());
    assert_eq!(wire::decode(&b).err(), Some(WireError::BadJumbo));
    // One below, the three fit (2^32 - 3 ..= 2^32 - 1).
    b[12..16].copy_from_slice(&(u32::MAX - 2).to_be_bytes());
    assert!(wire::decode(&b).is_ok());
}

#[test]
fn jumbo_of_three() {
    let b = jumbo3();
    let (h, p) = wire::decode(&b).unwrap();
    let Packet::Data(d) = p else { panic!("{p:?}") };
    let subs: Vec<_> = d.subpackets(&h).collect();
    let cj = Flags::CLIENT_INITIATED | Flags::JUMBO;
    let last = Flags::CLIENT_INITIATED | Flags::LAST_PACKET;
    let a = [b'a'; JUMBO_DATALEN];
    let bb = [b'b'; JUMBO_DATALEN];
    assert_eq!(
        subs,
        [
            Subpacket {
                seq: 5,
                serial: 20,
                flags: cj,
                cksum: 0,
                payload: Payload::Whole(&a)
            },
            Subpacket {
                seq: 6,
                serial: 21,
                flags: cj,
                cksum: 0x1234,
                payload: Payload::Whole(&bb)
            },
            Subpacket {
                seq: 7,
                serial: 22,
                flags: last,
                cksum: 0x5678,
                payload: Payload::Whole(b"tail")
            },
        ]
    );
    assert_eq!(encode(&h, &p), b);

    // Built from parts, with JUMBO left for the encoder to set.
    let mut h = h;
    h.flags = Flags::CLIENT_INITIATED;
    let rest = [
        JumboPart {
            flags: Flags::CLIENT_INITIATED,
            cksum: 0x1234,
            payload: &bb,
        },
        JumboPart {
            flags: last,
            cksum: 0x5678,
            payload: b"tail",
        },
    ];
    let mut out = vec![0u8; b.len()];
    assert_eq!(wire::encode_jumbo(&h, &a, &rest, &mut out), Ok(b.len()));
    assert_eq!(out, b);
    assert_eq!(
        wire::encode_jumbo(&h, &a, &rest, &mut out[..b.len() - 1]),
        Err(WireError::BufferTooSmall)
    );
}

#[test]
fn jumbo_serials_wrap_but_not_seqs() {
    let mut b = jumbo3();
    b[12..16].copy_from_slice(&(u32::MAX - 2).to_be_bytes());
    b[16..20].copy_from_slice(&[0xff; 4]);
    let (h, p) = wire::decode(&b).unwrap();
    let Packet::Data(d) = p else { panic!() };
    let seqs: Vec<_> = d.subpackets(&h).map(|s| (s.seq, s.serial)).collect();
    assert_eq!(
        seqs,
        [(u32::MAX - 2, u32::MAX), (u32::MAX - 1, 0), (u32::MAX, 1)]
    );
}

#[test]
fn malformed_jumbos() {
    // A non-final subpacket one byte short (no room for its secondary header).
    let b = jumbo3();
    let short = HEADER_LEN + JUMBO_DATALEN + 3;
    assert_eq!(wire::decode(&b[..short]), Err(WireError::BadJumbo));
    // A prefix that cuts the third subpacket is still a valid, shorter jumbo.
    assert!(wire::decode(&b[..b.len() - 2]).is_ok());
    // JUMBO together with LAST_PACKET, on the first and on a later subpacket.
    let mut b = jumbo3();
    b[21] = 0x25;
    assert_eq!(wire::decode(&b), Err(WireError::BadJumbo));
    let mut b = jumbo3();
    b[HEADER_LEN + JUMBO_DATALEN] = 0x24 | 0x01;
    assert_eq!(wire::decode(&b), Err(WireError::BadJumbo));
    // A DATA body that does not split under the header is refused on encode.
    let mut h = hdr();
    h.flags = Flags::JUMBO;
    let p = Packet::Data(Data::new(b"short"));
    assert_eq!(wire::encode(&h, &p, &mut [0; 64]), Err(WireError::BadJumbo));
}

fn jumbo_of(n: usize) -> Vec<u8> {
    let mut b = hdr_bytes(1, 0x20, 1, 1);
    for _ in 1..n {
        b.extend_from_slice(&[0; JUMBO_DATALEN]);
        b.extend_from_slice(&[0x20, 0, 0, 0]);
    }
    let last = b.len() - 4;
    b[last] = 0;
    b
}

#[test]
fn jumbo_subpacket_limit() {
    let b = jumbo_of(MAX_JUMBO);
    let (h, p) = wire::decode(&b).unwrap();
    let Packet::Data(d) = p else { panic!() };
    assert_eq!(d.subpackets(&h).count(), MAX_JUMBO);
    assert_eq!(
        wire::decode(&jumbo_of(MAX_JUMBO + 1)),
        Err(WireError::BadJumbo)
    );

    let full = [0u8; JUMBO_DATALEN];
    let part = JumboPart {
        flags: Flags::default(),
        cksum: 0,
        payload: &full,
    };
    let mut out = vec![0u8; 70_000];
    assert!(wire::encode_jumbo(&hdr(), &full, &[part; MAX_JUMBO - 1], &mut out).is_ok());
    let too_many = [part; MAX_JUMBO];
    assert_eq!(
        wire::encode_jumbo(&hdr(), &full, &too_many, &mut out),
        Err(WireError::BadJumbo)
    );
    // Non-final parts must be exactly JUMBO_DATALEN and must not be LAST.
    assert_eq!(
        wire::encode_jumbo(&hdr(), b"x", &[part], &mut out),
        Err(WireError::BadJumbo)
    );
    let mut last = hdr();
    last.flags = Flags::LAST_PACKET;
    assert_eq!(
        wire::encode_jumbo(&last, &full, &[part], &mut out),
        Err(WireError::BadJumbo)
    );
}

/// A PING ACK as 6.12's rxrpc_fill_out_ack builds it: bufferSpace and
/// maxSkew 0, two SACK entries, 3 zero pad bytes, then the trailer with
/// rx_mtu 5692, if_mtu 1444, rwind 253 and jumbo_max 4.
fn c_ping_ack() -> Vec<u8> {
    let mut b = hdr_bytes(2, 0x23, 0, 9);
    b.extend_from_slice(&[0, 0, 0, 0]);
    b.extend_from_slice(&[0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 8, 6, 2]);
    b.extend_from_slice(&[1, 0, 0, 0, 0]);
    for v in [5692u32, 1444, 253, 4] {
        b.extend_from_slice(&v.to_be_bytes());
    }
    b
}

#[test]
fn ack_with_trailer() {
    let b = c_ping_ack();
    let (h, p) = wire::decode(&b).unwrap();
    assert!(h.flags.contains(Flags::SLOW_START_OK | Flags::REQUEST_ACK));
    let want = Ack {
        buffer_space: 0,
        max_skew: 0,
        first_packet: 3,
        previous_packet: 4,
        serial: 8,
        reason: AckReason::PING,
        acks: &[1, 0],
        trailer: Some(AckTrailer {
            max_mtu: 5692,
            if_mtu: 1444,
            rwind: 253,
            jumbo_max: 4,
        }),
    };
    assert_eq!(p, Packet::Ack(want));
    assert_eq!(encode(&h, &p), b);
}

#[test]
fn ack_without_trailer_and_short_sack() {
    let b = c_ping_ack();
    let sack_end = HEADER_LEN + 18 + 2;
    // Pad and trailer incomplete: no trailer, and those bytes are dropped.
    for n in sack_end..b.len() {
        let (h, p) = wire::decode(&b[..n]).unwrap();
        let Packet::Ack(a) = p else { panic!() };
        assert_eq!(a.trailer, None);
        assert_eq!(encode(&h, &p), &b[..sack_end]);
    }
    for n in HEADER_LEN..sack_end {
        assert_eq!(wire::decode(&b[..n]), Err(WireError::Truncated));
    }
}

#[test]
fn ack_normalises_pad_and_tail() {
    let mut b = c_ping_ack();
    let pad = HEADER_LEN + 18 + 2;
    b[pad..pad + 3].copy_from_slice(&[9, 9, 9]);
    b.extend_from_slice(b"extra");
    let (h, p) = wire::decode(&b).unwrap();
    let want = c_ping_ack();
    assert_eq!(encode(&h, &p), want);
}

#[test]
fn ack_reasons_and_limits() {
    assert!(AckReason::IDLE.is_known() && AckReason::REQUESTED.is_known());
    assert!(!AckReason(0).is_known() && !AckReason(10).is_known());
    let mut b = c_ping_ack();
    b[HEADER_LEN + 16] = 200;
    let (_, p) = wire::decode(&b).unwrap();
    let Packet::Ack(a) = p else { panic!() };
    assert_eq!(a.reason, AckReason(200));

    let sack = [1u8; 256];
    let mut ack = Ack {
        acks: &sack[..255],
        ..Ack::default()
    };
    let (h, out) = (hdr(), &mut [0u8; 400]);
    assert_eq!(
        wire::encode(&h, &Packet::Ack(ack), out),
        Ok(HEADER_LEN + 18 + 255)
    );
    ack.acks = &sack;
    assert_eq!(
        wire::encode(&h, &Packet::Ack(ack), out),
        Err(WireError::TooManyAcks)
    );
}

#[test]
fn abort_busy_ackall() {
    let mut b = hdr_bytes(4, 0x01, 0, 3);
    b.extend_from_slice(&[0xff, 0xff, 0xff, 0xfa]);
    let (h, p) = wire::decode(&b).unwrap();
    assert_eq!(p, Packet::Abort(wire::RX_USER_ABORT));
    assert_eq!(wire::RX_USER_ABORT as i32, -6);
    assert_eq!(encode(&h, &p), b);
    assert_eq!(
        wire::decode(&b[..HEADER_LEN + 3]),
        Err(WireError::Truncated)
    );
    b.push(0xee);
    assert_eq!(encode(&h, &wire::decode(&b).unwrap().1), &b[..b.len() - 1]);

    for (t, want) in [(3, Packet::Busy), (5, Packet::AckAll)] {
        let mut b = hdr_bytes(t, 0, 0, 0);
        assert_eq!(wire::decode(&b).unwrap().1, want);
        b.extend_from_slice(b"ignored");
        let (h, p) = wire::decode(&b).unwrap();
        assert_eq!(p, want);
        assert_eq!(encode(&h, &p), &b[..HEADER_LEN]);
    }
}

#[test]
fn raw_bodies() {
    for t in [6u8, 7, 8, 9, 10, 11] {
        let mut b = hdr_bytes(t, 0, 0, 0);
        b.extend_from_slice(b"opaque");
        let (h, p) = wire::decode(&b).unwrap();
        assert_eq!(p.packet_type(), t);
        assert_eq!(encode(&h, &p), b);
    }
}

#[test]
fn version_packets() {
    // The C keepalive: not client-initiated, LAST_PACKET, one zero byte.
    let mut b = hdr_bytes(13, 0x04, 0, 0);
    b.push(0);
    let (h, p) = wire::decode(&b).unwrap();
    assert_eq!(p, Packet::Version(Version::Request));
    assert_eq!(encode(&h, &p), b);
    b.extend_from_slice(b"junk");
    assert_eq!(
        encode(&h, &wire::decode(&b).unwrap().1),
        &b[..HEADER_LEN + 1]
    );

    let mut s = [0u8; wire::VERSION_REPLY_LEN];
    s[..23].copy_from_slice(b"linux-6.12.117 AF_RXRPC");
    let mut b = hdr_bytes(13, 0x04, 0, 0);
    b.extend_from_slice(&s);
    let (h, p) = wire::decode(&b).unwrap();
    assert_eq!(p, Packet::Version(Version::Reply(&s)));
    assert_eq!(encode(&h, &p), b);

    let empty = hdr_bytes(13, 0, 0, 0);
    assert_eq!(
        wire::decode(&empty).unwrap().1,
        Packet::Version(Version::Reply(&[]))
    );
    let bad = Packet::Version(Version::Reply(&[0, 1]));
    assert_eq!(
        wire::encode(&h, &bad, &mut [0; 64]),
        Err(WireError::BadVersion)
    );
}

#[test]
fn rxkad_challenge() {
    // As rxkad_issue_challenge sends it: version 2, nonce, min_level, pad 0.
    let body = [0, 0, 0, 2, 0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 1, 0, 0, 0, 0];
    let ch = rxkad::Challenge::decode(&body).unwrap();
    assert_eq!(
        ch,
        rxkad::Challenge {
            nonce: 0xdead_beef,
            min_level: 1
        }
    );
    let mut out = [0u8; rxkad::CHALLENGE_LEN];
    assert_eq!(ch.encode(&mut out), Ok(rxkad::CHALLENGE_LEN));
    assert_eq!(out, body);
    // The pad is ignored on decode and zeroed on encode.
    let mut padded = body;
    padded[15] = 7;
    assert_eq!(rxkad::Challenge::decode(&padded), Ok(ch));
    // Length is checked before the version, as in rxkad_respond_to_challenge.
    let mut v3 = body;
    v3[3] = 3;
    assert_eq!(
        rxkad::Challenge::decode(&v3[..15]),
        Err(WireError::Truncated)
    );
    assert_eq!(
        rxkad::Challenge::decode(&v3),
        Err(WireError::BadRxkadVersion(3))
    );
}

fn response_body(version: u32, kvno: u32, ticket_len: u32, ticket: &[u8]) -> Vec<u8> {
    let mut b = version.to_be_bytes().to_vec();
    b.extend_from_slice(&[0; 4]);
    b.extend(0u8..40);
    b.extend_from_slice(&kvno.to_be_bytes());
    b.extend_from_slice(&ticket_len.to_be_bytes());
    b.extend_from_slice(ticket);
    b
}

#[test]
fn rxkad_response() {
    let ticket = [0x55u8; 8];
    let body = response_body(2, 9, 8, &ticket);
    let r = rxkad::Response::decode(&body).unwrap();
    assert_eq!((r.kvno, r.ticket), (9, &ticket[..]));
    assert_eq!(r.encrypted[39], 39);
    let mut out = [0u8; 100];
    assert_eq!(r.encode(&mut out), Ok(body.len()));
    assert_eq!(&out[..body.len()], &body[..]);
    for bad in [0u32, 3, 1025, u32::MAX] {
        let b = response_body(2, 9, bad, &[0; 1100]);
        assert_eq!(
            rxkad::Response::decode(&b),
            Err(WireError::BadTicketLen(bad))
        );
    }
    let big = [0u8; 1025];
    let r2 = rxkad::Response { ticket: &big, ..r };
    assert_eq!(
        r2.encode(&mut [0; 2000]),
        Err(WireError::BadTicketLen(1025))
    );
    let r2 = rxkad::Response { kvno: 256, ..r };
    assert_eq!(r2.encode(&mut [0; 2000]), Err(WireError::BadKvno(256)));
}

/// rxkad_verify_response checks, in order: fixed part length, version,
/// ticket length range, kvno, ticket presence. Each doubly-bad body must
/// fail with the first, so that the abort code matches the C server's.
#[test]
fn rxkad_response_error_order() {
    let code = |b: &[u8]| rxkad::abort_code(rxkad::Response::decode(b).unwrap_err());
    let bad_all = response_body(3, 300, 2000, &[0; 4]);
    assert_eq!(code(&bad_all[..55]), wire::RXKADPACKETSHORT);
    assert_eq!(code(&bad_all), wire::RXKADINCONSISTENCY);
    assert_eq!(
        code(&response_body(2, 300, 2000, &[])),
        wire::RXKADTICKETLEN
    );
    assert_eq!(code(&response_body(2, 300, 8, &[])), wire::RXKADUNKNOWNKEY);
    assert_eq!(
        code(&response_body(2, 255, 8, &[0; 7])),
        wire::RXKADPACKETSHORT
    );
    assert!(rxkad::Response::decode(&response_body(2, 255, 8, &[0; 8])).is_ok());
}

#[test]
fn rxkad_response_secret() {
    let s = rxkad::ResponseSecret {
        epoch: 1,
        cid: 0x404,
        checksum: 0xdead_beef,
        security_index: 2,
        call_id: [1, 2, 3, 4],
        inc_nonce: 0x1234_5679,
        level: 2,
    };
    let bytes = s.encode();
    assert_eq!(
        &bytes[..12],
        &[0, 0, 0, 1, 0, 0, 4, 4, 0xde, 0xad, 0xbe, 0xef]
    );
    assert_eq!(&bytes[36..], &[0, 0, 0, 2]);
    assert_eq!(rxkad::ResponseSecret::decode(&bytes), s);
}

#[test]
fn abort_code_values() {
    assert_eq!(wire::RX_CALL_DEAD as i32, -1);
    assert_eq!(wire::RX_DEBUGI_BADTYPE as i32, -8);
    assert_eq!(wire::RXGEN_CC_XDRFREE as i32, -457);
    assert_eq!(wire::RXKADILLEGALLEVEL, 19270412);
}
