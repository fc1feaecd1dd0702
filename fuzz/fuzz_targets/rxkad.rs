//! rxkad's parsers on arbitrary bytes: the CHALLENGE a client answers, the
//! RESPONSE and ticket a server checks, and the DATA it unseals at each
//! level. Nothing may panic; a parsed ticket re-encodes to one that parses
//! the same; refusals are rxkad abort codes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rxrpc_crypto::{HostToken, ServerKey, TestHost};
use rxrpc_proto::rxkad::{ticket, Rxkad};
use rxrpc_proto::{ConnIdent, PacketIdent, Security};

const NOW: i64 = 1_700_000_000;
const SERVER_KEY: [u8; 8] = *b"\x8a\x1c\x3e\x5d\x70\x92\xb4\xd6";
const SESSION_KEY: [u8; 8] = *b"\x13\x57\x9b\xdf\x02\x46\x8a\xce";

fn ident(level: u32) -> ConnIdent {
    ConnIdent {
        epoch: 1,
        cid: 4,
        service_id: 52,
        index: 2,
        level,
        key: 1,
    }
}

fn is_rxkad(code: u32) -> bool {
    (19270400..=19270412).contains(&code) || code == (-5i32) as u32
}

fuzz_target!(|b: &[u8]| {
    let Some((&sel, body)) = b.split_first() else {
        return;
    };
    let level = u32::from(sel % 3);

    if let Ok(t) = ticket::parse(body, NOW) {
        let mut out = [0u8; 512];
        let n = ticket::encode(&t, &mut out).expect("a parsed ticket fits");
        assert_eq!(ticket::parse(&out[..n], NOW), Ok(t));
    }

    let mut client = Rxkad::new(TestHost::at(NOW));
    client.host.tokens.push((
        1,
        HostToken::mint(SESSION_KEY, &SERVER_KEY, 3, NOW - 10, 3600),
    ));
    let mut cconn = client.new_conn(true, &ident(level)).unwrap();
    let mut out = [0u8; 1500];
    if let Err(code) = client.respond(&mut cconn, body, [1, 0, 0, 0], &mut out) {
        assert!(is_rxkad(code), "{code}");
    }

    let mut server = Rxkad::new(TestHost::at(NOW));
    server.host.server_keys.push(ServerKey {
        keyring: 1,
        service: 52,
        kvno: None,
        key: SERVER_KEY,
    });
    let mut sconn = server.new_conn(false, &ident(0)).unwrap();
    server.issue_challenge(&mut sconn, &mut [0u8; 16]).unwrap();
    let mut scratch = vec![0u8; body.len()];
    if let Err(code) = server.verify_response(
        &mut sconn,
        body,
        [1, 0, 0, 0],
        [true, false, false, false],
        &mut scratch,
    ) {
        assert!(is_rxkad(code), "{code}");
    }

    let pkt = PacketIdent {
        cid: 5,
        call_number: 1,
        seq: u32::from(sel),
    };
    let cksum = u16::from_be_bytes([sel, sel.wrapping_mul(3)]);
    let mut plain = vec![0u8; body.len()];
    match client.verify(&cconn, &pkt, cksum, body, &mut plain) {
        Ok(n) => assert!(n <= body.len()),
        Err(code) => assert!(is_rxkad(code), "{code}"),
    }
});
