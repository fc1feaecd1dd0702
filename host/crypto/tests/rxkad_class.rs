//! The rxkad class on its own: packet framing, checksums and the RESPONSE
//! against vectors from rxkad_ref.py (an independent Python rendering of
//! the C algorithm), and each refusal with the C module's abort code.

use rxrpc_crypto::{HostToken, ServerKey, TestHost};
use rxrpc_proto::rxkad::{
    self, ticket, ClientToken, Rxkad, RxkadConn, LEVEL_AUTH, LEVEL_ENCRYPT, LEVEL_PLAIN,
};
use rxrpc_proto::wire::rxkad::{Challenge, RESPONSE_LEN};
use rxrpc_proto::wire::{
    RXKADBADTICKET, RXKADDATALEN, RXKADEXPIRED, RXKADINCONSISTENCY, RXKADLEVELFAIL, RXKADNOAUTH,
    RXKADOUTOFSEQUENCE, RXKADPACKETSHORT, RXKADSEALEDINCON, RXKADTICKETLEN, RXKADUNKNOWNKEY,
    RX_PROTOCOL_ERROR,
};
use rxrpc_proto::{ConnIdent, PacketIdent, Sealed, Security};

const KEY: [u8; 8] = [0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef];
const EPOCH: u32 = 0x5f3a_1b2c;
const CID: u32 = 0x1234_5678;
const NOW: i64 = 1_700_000_000;
const SERVER_KEY: [u8; 8] = *b"\x8a\x1c\x3e\x5d\x70\x92\xb4\xd6";
const SVC: u16 = 52;
const KEYRING: u64 = 9;

fn h(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn ident(level: u32, key: u64) -> ConnIdent {
    ConnIdent {
        epoch: EPOCH,
        cid: CID,
        service_id: SVC,
        index: 2,
        level,
        key,
    }
}

/// A client class whose key 1 holds the reference token: session key
/// [`KEY`], kvno 5 and a 16-byte dummy ticket 00..0f.
fn ref_client() -> Rxkad<TestHost> {
    let mut host = TestHost::at(NOW);
    host.tokens.push((
        1,
        HostToken {
            token: ClientToken {
                session_key: KEY,
                kvno: 5,
                expiry: 0,
            },
            ticket: (0u8..16).collect(),
        },
    ));
    Rxkad::new(host)
}

fn pkt(call_number: u32, seq: u32) -> PacketIdent {
    PacketIdent {
        cid: CID | 1,
        call_number,
        seq,
    }
}

#[test]
fn checksum_iv_and_checksums_match_the_reference() {
    let mut c = ref_client();
    let conn = c.new_conn(true, &ident(LEVEL_PLAIN, 1)).unwrap();
    let s = rxrpc_crypto::Fcrypt::new(&KEY);
    let iv = rxkad::csum_iv(&s, &KEY, EPOCH, CID, 2).unwrap();
    assert_eq!(iv.to_vec(), h("ceece24cf439be71"));
    for (call, seq, want) in [
        (1, 1, 0xbf10),
        (7, 3, 0xb1b3),
        (0x1234, 0x4000_0001, 0x061e),
    ] {
        assert_eq!(rxkad::checksum(&s, &iv, &pkt(call, seq)), Ok(want));
        // Level 0 sends the plaintext as it is.
        let sealed = c.secure(&conn, &pkt(call, seq), b"abc", &mut [0u8; 64]);
        assert_eq!(sealed, Ok(Sealed::Plain(want)));
    }
}

#[test]
fn secured_data_matches_the_reference_and_unseals() {
    let plain: Vec<u8> = (0u8..13).collect();
    for (level, want) in [
        (
            // C's bytes but for its padding to 24: level 1 pads only up
            // to the first block, as OpenAFS does (see `max_plain`).
            LEVEL_AUTH,
            "20db62a3d04c3b3c0405060708090a0b0c",
        ),
        (
            LEVEL_ENCRYPT,
            "d0e6f258216875d4307d11662fc4b9b42dc1209f4616571a",
        ),
    ] {
        let mut c = ref_client();
        let conn = c.new_conn(true, &ident(level, 1)).unwrap();
        let mut out = [0u8; 64];
        // Level 1 leaves the data past the first block for the engine to
        // send as it is: put it in place as the engine does.
        let (n, ck) = match c.secure(&conn, &pkt(7, 3), &plain, &mut out) {
            Ok(Sealed::Into(n, ck)) if level == LEVEL_ENCRYPT => (n, ck),
            Ok(Sealed::Around {
                len,
                cksum,
                at,
                from,
            }) if level == LEVEL_AUTH => {
                assert_eq!((at, from), (8, 4));
                out[at..at + plain.len() - from].copy_from_slice(&plain[from..]);
                (len, cksum)
            }
            other => panic!("level {level} sealed as {other:?}"),
        };
        assert_eq!((out[..n].to_vec(), ck), (h(want), 0xb1b3), "level {level}");
        let input = out[..n].to_vec();
        let mut back = vec![0u8; n];
        let m = c.verify(&conn, &pkt(7, 3), ck, &input, &mut back).unwrap();
        assert_eq!(back[..m], plain[..]);
        // Refusals, in C's order and with C's codes.
        assert_eq!(
            c.verify(&conn, &pkt(7, 3), ck ^ 1, &input, &mut back),
            Err(RXKADSEALEDINCON)
        );
        assert_eq!(
            c.verify(&conn, &pkt(7, 3), ck, &input[..7], &mut back),
            Err(RXKADSEALEDINCON)
        );
        // Another seq with its own checksum: the sealed check word fails.
        let Ok(Sealed::Into(_, ck4)) = c.secure(&conn, &pkt(7, 4), b"", &mut [0u8; 8]) else {
            panic!("level {level} not sealed");
        };
        assert_eq!(
            c.verify(&conn, &pkt(7, 4), ck4, &input, &mut back),
            Err(RXKADSEALEDINCON)
        );
    }
}

#[test]
fn data_longer_than_the_packet_is_datalen() {
    let mut c = ref_client();
    let conn = c.new_conn(true, &ident(LEVEL_ENCRYPT, 1)).unwrap();
    let mut out = [0u8; 64];
    let Ok(Sealed::Into(n, ck)) = c.secure(&conn, &pkt(7, 3), &[9u8; 20], &mut out) else {
        panic!("not sealed");
    };
    assert_eq!(n, 32);
    // Cut the last block: the sealed length (20) no longer fits in 24 - 8.
    let mut back = [0u8; 64];
    assert_eq!(
        c.verify(&conn, &pkt(7, 3), ck, &out[..24], &mut back),
        Err(RXKADDATALEN)
    );
}

#[test]
fn max_plain_per_level() {
    let c = ref_client();
    assert_eq!(c.max_plain(2, LEVEL_PLAIN, 1412), 1412);
    // OpenAFS's: C's is 1404, padded to 1408.
    assert_eq!(c.max_plain(2, LEVEL_AUTH, 1412), 1408);
    assert_eq!(c.max_plain(2, LEVEL_ENCRYPT, 1412), 1400);
    assert_eq!(c.max_plain(2, rxrpc_proto::LEVEL_NOT_KNOWN, 1412), 1400);
    assert_eq!(c.max_plain(0, LEVEL_ENCRYPT, 1412), 1412);
}

#[test]
fn response_matches_the_reference() {
    let mut c = ref_client();
    let mut conn = c.new_conn(true, &ident(LEVEL_ENCRYPT, 1)).unwrap();
    let mut ch = [0u8; 16];
    Challenge {
        nonce: 0x1234_5678,
        min_level: 0,
    }
    .encode(&mut ch)
    .unwrap();
    let mut out = [0u8; 1500];
    let n = c.respond(&mut conn, &ch, [1, 0, 3, 0], &mut out).unwrap();
    let want = "0000000200000000958a7b70b422815f032418af389b44274c8f08e624770470\
                b4c521dfdedc80ad28d5d349e11126080000000500000010000102030405060708090a0b0c0d0e0f";
    assert_eq!(out[..n].to_vec(), h(want));
}

#[test]
fn challenge_refusals() {
    let mut c = ref_client();
    let mut conn = c.new_conn(true, &ident(LEVEL_AUTH, 1)).unwrap();
    let mut out = [0u8; 1500];
    let good = h("00000002000000070000000100000000");
    let mut r = |body: &[u8]| c.respond(&mut conn, body, [1, 0, 0, 0], &mut out);
    assert_eq!(r(&good[..15]), Err(RXKADPACKETSHORT));
    assert_eq!(
        r(&h("00000001000000070000000000000000")),
        Err(RXKADINCONSISTENCY)
    );
    assert_eq!(
        r(&h("00000002000000070000000200000000")),
        Err(RXKADLEVELFAIL)
    );
    assert!(r(&good).is_ok());

    // The key gone: RX_PROTOCOL_ERROR; expired: RXKADEXPIRED.
    let mut c = ref_client();
    let mut conn = c.new_conn(true, &ident(LEVEL_AUTH, 1)).unwrap();
    c.host.tokens[0].1.token.expiry = NOW;
    assert_eq!(
        c.respond(&mut conn, &good, [1, 0, 0, 0], &mut out),
        Err(RXKADEXPIRED)
    );
    c.host.tokens.clear();
    assert_eq!(
        c.respond(&mut conn, &good, [1, 0, 0, 0], &mut out),
        Err(RX_PROTOCOL_ERROR)
    );
}

/// A client with a real ticket and a server with its key, and a RESPONSE
/// of the client to the server's CHALLENGE.
struct Pair {
    server: Rxkad<TestHost>,
    sconn: RxkadConn,
    response: Vec<u8>,
}

fn pair(level: u32, min_level: u32, calls: [u32; 4]) -> Pair {
    let mut client = Rxkad::new(TestHost::at(NOW));
    client
        .host
        .tokens
        .push((1, HostToken::mint(KEY, &SERVER_KEY, 7, NOW - 10, 3600)));
    let mut server = Rxkad::new(TestHost::at(NOW));
    server.host.server_keys.push(ServerKey {
        keyring: KEYRING,
        service: SVC,
        kvno: None,
        key: SERVER_KEY,
    });
    let mut sconn = server.new_conn(false, &ident(min_level, KEYRING)).unwrap();
    let mut ch = [0u8; 64];
    let n = server.issue_challenge(&mut sconn, &mut ch).unwrap();
    // The nonce stays for the connection's life.
    let mut ch2 = [0u8; 64];
    server.issue_challenge(&mut sconn, &mut ch2).unwrap();
    assert_eq!(ch, ch2);
    // A client that does not heed the minimum the CHALLENGE names.
    ch[8..12].fill(0);
    let mut cconn = client.new_conn(true, &ident(level, 1)).unwrap();
    let mut out = [0u8; 1500];
    let m = client
        .respond(&mut cconn, &ch[..n], calls, &mut out)
        .unwrap();
    Pair {
        server,
        sconn,
        response: out[..m].to_vec(),
    }
}

impl Pair {
    fn check(&mut self, body: &[u8], calls: [u32; 4], busy: [bool; 4]) -> Result<(), u32> {
        let mut scratch = vec![0u8; body.len()];
        self.server
            .verify_response(&mut self.sconn, body, calls, busy, &mut scratch)
    }
}

#[test]
fn response_is_accepted_and_keys_the_connection() {
    for level in [LEVEL_PLAIN, LEVEL_AUTH, LEVEL_ENCRYPT] {
        let mut p = pair(level, 0, [1, 0, 0, 0]);
        let body = p.response.clone();
        assert_eq!(
            p.check(&body, [1, 0, 0, 0], [true, false, false, false]),
            Ok(())
        );
        assert_eq!(p.sconn.level(), Some(level));
    }
}

#[test]
fn response_refusals() {
    let calls = [1, 0, 0, 0];
    let busy = [true, false, false, false];
    let base = pair(LEVEL_AUTH, 0, calls).response;
    let refuse = |f: &dyn Fn(&mut Vec<u8>), min: u32, want: u32| {
        let mut p = pair(LEVEL_AUTH, min, calls);
        let mut body = base.clone();
        f(&mut body);
        assert_eq!(p.check(&body, calls, busy), Err(want));
    };
    refuse(&|b| b.truncate(RESPONSE_LEN - 1), 0, RXKADPACKETSHORT);
    refuse(&|b| b[3] = 1, 0, RXKADINCONSISTENCY);
    refuse(
        &|b| b[52..56].copy_from_slice(&3u32.to_be_bytes()),
        0,
        RXKADTICKETLEN,
    );
    refuse(
        &|b| b[52..56].copy_from_slice(&1025u32.to_be_bytes()),
        0,
        RXKADTICKETLEN,
    );
    refuse(
        &|b| b[48..52].copy_from_slice(&256u32.to_be_bytes()),
        0,
        RXKADUNKNOWNKEY,
    );
    refuse(&|b| b.truncate(b.len() - 1), 0, RXKADPACKETSHORT);
    // A ticket that is not whole blocks, or garbled.
    refuse(
        &|b| {
            b.truncate(b.len() - 1);
            let n = (b.len() - RESPONSE_LEN) as u32;
            b[52..56].copy_from_slice(&n.to_be_bytes());
        },
        0,
        RXKADBADTICKET,
    );
    refuse(&|b| b[RESPONSE_LEN + 2] ^= 0x80, 0, RXKADBADTICKET);
    // The encrypted part garbled: the epoch/cid check or the checksum.
    refuse(&|b| b[8] ^= 1, 0, RXKADSEALEDINCON);
    refuse(&|b| b[47] ^= 1, 0, RXKADSEALEDINCON);
    // The unencrypted pad is covered by the checksum.
    refuse(&|b| b[5] = 1, 0, RXKADSEALEDINCON);
    // Below the service's minimum.
    refuse(&|_| {}, LEVEL_ENCRYPT, RXKADLEVELFAIL);

    // Call numbers: behind the server's, or ahead on a busy channel.
    let mut p = pair(LEVEL_AUTH, 0, calls);
    let body = p.response.clone();
    assert_eq!(p.check(&body, [2, 0, 0, 0], busy), Err(RXKADSEALEDINCON));
    let mut p = pair(LEVEL_AUTH, 0, [2, 0, 0, 0]);
    let body = p.response.clone();
    assert_eq!(p.check(&body, [1, 0, 0, 0], busy), Err(RXKADSEALEDINCON));
    let mut p = pair(LEVEL_AUTH, 0, [1, 5, 0, 0]);
    let body = p.response.clone();
    assert_eq!(p.check(&body, calls, busy), Ok(()));

    // An answer to another nonce.
    let mut p = pair(LEVEL_AUTH, 0, calls);
    p.server.host.next_nonce = 1;
    let mut sconn = p.server.new_conn(false, &ident(0, KEYRING)).unwrap();
    p.server
        .issue_challenge(&mut sconn, &mut [0u8; 16])
        .unwrap();
    let body = p.response.clone();
    let mut scratch = vec![0u8; body.len()];
    assert_eq!(
        p.server
            .verify_response(&mut sconn, &body, calls, busy, &mut scratch),
        Err(RXKADOUTOFSEQUENCE)
    );
    // No challenge issued at all.
    let mut sconn = p.server.new_conn(false, &ident(0, KEYRING)).unwrap();
    assert_eq!(
        p.server
            .verify_response(&mut sconn, &body, calls, busy, &mut scratch),
        Err(RXKADOUTOFSEQUENCE)
    );
}

#[test]
fn server_key_and_clock_refusals() {
    let calls = [1, 0, 0, 0];
    let busy = [true, false, false, false];
    // No key: RXKADUNKNOWNKEY, before the body is looked at.
    let mut p = pair(LEVEL_AUTH, 0, calls);
    p.server.host.server_keys.clear();
    assert_eq!(p.check(&[], calls, busy), Err(RXKADUNKNOWNKEY));
    // An expired key: RXKADEXPIRED.
    let mut p = pair(LEVEL_AUTH, 0, calls);
    p.server.host.expired_server_keys = true;
    let body = p.response.clone();
    assert_eq!(p.check(&body, calls, busy), Err(RXKADEXPIRED));
    // The ticket out of date either way.
    let mut p = pair(LEVEL_AUTH, 0, calls);
    p.server.host.now = NOW + 3600;
    let body = p.response.clone();
    assert_eq!(p.check(&body, calls, busy), Err(RXKADEXPIRED));
    let mut p = pair(LEVEL_AUTH, 0, calls);
    p.server.host.now = NOW - 11;
    assert_eq!(p.check(&body, calls, busy), Err(RXKADNOAUTH));
}

#[test]
fn ticket_parser_follows_c() {
    let t = ticket::Ticket {
        name: b"alice",
        instance: b"admin",
        realm: b"EXAMPLE.ORG",
        addr: [192, 0, 2, 1],
        session_key: KEY,
        issue: NOW,
        life: 255 * 300,
        service: b"afs",
        service_instance: b"cell",
    };
    let mut buf = [0u8; 128];
    let n = ticket::encode(&t, &mut buf).unwrap();
    assert_eq!(n % 8, 0);
    assert_eq!(ticket::parse(&buf[..n], NOW), Ok(t));
    // Little-endian issue time (flag bit 0).
    let mut le = buf;
    le[0] = 1;
    let at = 1 + 6 + 6 + 12 + 4 + 8 + 1;
    le[at..at + 4].copy_from_slice(&(NOW as u32).to_le_bytes());
    assert_eq!(ticket::parse(&le[..n], NOW).map(|t| t.issue), Ok(NOW));
    // A name that is not printable, or too long, or unterminated.
    let mut bad = buf;
    bad[2] = 0x07;
    assert_eq!(ticket::parse(&bad[..n], NOW), Err(RXKADBADTICKET));
    let long = [b'a'; 41];
    let t2 = ticket::Ticket { name: &long, ..t };
    let m = ticket::encode(&t2, &mut buf).unwrap();
    assert_eq!(ticket::parse(&buf[..m], NOW), Err(RXKADBADTICKET));
    let forty = [b'a'; 40];
    let t3 = ticket::Ticket { name: &forty, ..t };
    let m = ticket::encode(&t3, &mut buf).unwrap();
    assert!(ticket::parse(&buf[..m], NOW).is_ok());
    assert_eq!(ticket::parse(&[0, b'a'], NOW), Err(RXKADBADTICKET));
    assert_eq!(ticket::parse(&[], NOW), Err(RXKADBADTICKET));
    // Short after the names: C wants 18 bytes there.
    let short = [&[0u8, 0, 0, 0][..], &[0u8; 17][..]].concat();
    assert_eq!(ticket::parse(&short, NOW), Err(RXKADBADTICKET));
    // Expired and future, checked before the service names.
    assert_eq!(
        ticket::parse(&buf[..m], NOW + 255 * 300 + 1),
        Err(RXKADEXPIRED)
    );
    assert_eq!(ticket::parse(&buf[..m], NOW - 1), Err(RXKADNOAUTH));
}

/// Level 2 packets laid out and sealed many at once (a vector unit's
/// fcrypt) are the bytes sealed one by one, and unseal alike through the
/// vector unit's ECB.
#[test]
fn level_2_sealed_in_lanes_is_sealed_one_by_one() {
    let mut one = ref_client();
    let mut many = ref_client();
    many.host.lanes = true;
    let conn = one.new_conn(true, &ident(LEVEL_ENCRYPT, 1)).unwrap();
    let conn_many = many.new_conn(true, &ident(LEVEL_ENCRYPT, 1)).unwrap();
    // Nine full packets (a run of eight and one alone), then two runs of
    // other lengths, the last of one packet.
    let lens = [1400; 9].into_iter().chain([100, 100, 100, 5]);
    let plains: Vec<Vec<u8>> = lens
        .enumerate()
        .map(|(i, n)| (0..n).map(|b| (b * 7 + i) as u8).collect())
        .collect();
    let mut want = Vec::new();
    let mut laid = Vec::new();
    for (seq, plain) in plains.iter().enumerate() {
        let id = pkt(7, seq as u32 + 1);
        let mut out = [0u8; 1500];
        let Ok(Sealed::Into(n, ck)) = one.secure(&conn, &id, plain, &mut out) else {
            panic!("not sealed");
        };
        want.push((out[..n].to_vec(), ck));
        let mut out = [0u8; 1500];
        let Ok(Sealed::Laid(n, ck)) = many.secure(&conn_many, &id, plain, &mut out) else {
            panic!("not laid out");
        };
        laid.push((out[..n].to_vec(), ck));
    }
    let mut bodies: Vec<&mut [u8]> = laid.iter_mut().map(|(b, _)| &mut b[..]).collect();
    many.seal_laid(&conn_many, &mut bodies).unwrap();
    assert_eq!(laid, want);
    for (seq, ((sealed, ck), plain)) in want.iter().zip(&plains).enumerate() {
        let id = pkt(7, seq as u32 + 1);
        let mut back = vec![0u8; sealed.len()];
        let n = many
            .verify(&conn_many, &id, *ck, sealed, &mut back)
            .unwrap();
        assert_eq!(&back[..n], &plain[..]);
        assert_eq!(
            many.verify(&conn_many, &id, *ck, &sealed[..sealed.len() - 8], &mut back),
            one.verify(&conn, &id, *ck, &sealed[..sealed.len() - 8], &mut back),
        );
    }
}

/// PCBC decryption split into a vector unit's ECB and the chaining pass
/// is the block-by-block one, for any head and length.
#[test]
fn unchained_split_decryption_is_the_block_by_block_one() {
    let f = rxrpc_crypto::Fcrypt::new(&KEY);
    let iv = [9, 8, 7, 6, 5, 4, 3, 2];
    for blocks in 1..40usize {
        let input: Vec<u8> = (0..blocks * 8).map(|b| (b * 13 + blocks) as u8).collect();
        for head in (0..=blocks).map(|b| b * 8) {
            let mut want = vec![0u8; input.len()];
            f.decrypt_split(&iv, &input, head, &mut want).unwrap();
            let mut got = vec![0u8; input.len()];
            let tail = input.len() - head;
            for (c, p) in input[head..].chunks(8).zip(got[..tail].chunks_mut(8)) {
                let mut b: [u8; 8] = c.try_into().unwrap();
                f.decrypt_block(&mut b);
                p.copy_from_slice(&b);
            }
            f.unchain_split(&iv, &input, head, &mut got).unwrap();
            assert_eq!(got, want, "{blocks} blocks, head {head}");
        }
    }
}
