//! The `rxkad` target: rxkad's parsers on arbitrary bytes, the CHALLENGE a
//! client answers, the RESPONSE and ticket a server checks, and the DATA a
//! connection unseals at each level. Nothing may panic; a parsed ticket
//! re-encodes to one that parses the same; refusals are rxkad abort codes.
//!
//! Input: `level: u8, cksum: u16 (BE)`, then the body every parser gets.
//! The client's connection holds a real token, so a DATA body secured
//! with its session key and checksum (as the seeds are) gets through the
//! checks to the unsealing.

use rxrpc_crypto::{HostToken, ServerKey, TestHost};
use rxrpc_proto::rxkad::{ticket, Rxkad};
use rxrpc_proto::{ConnIdent, PacketIdent, Security};

/// Wall-clock seconds of both hosts.
pub const NOW: i64 = 1_700_000_000;
/// The server's secret, which seals tickets.
pub const SERVER_KEY: [u8; 8] = *b"\x8a\x1c\x3e\x5d\x70\x92\xb4\xd6";
/// The session key in the client's token.
pub const SESSION_KEY: [u8; 8] = *b"\x13\x57\x9b\xdf\x02\x46\x8a\xce";
const SERVICE: u16 = 52;

/// The connection both sides see, at `level`.
pub fn ident(level: u32) -> ConnIdent {
    ConnIdent {
        epoch: 1,
        cid: 4,
        service_id: SERVICE,
        index: 2,
        level,
        key: 1,
    }
}

/// The DATA packet the checksum covers, for a given level byte.
pub fn packet(level: u8) -> PacketIdent {
    PacketIdent {
        cid: 5,
        call_number: 1,
        seq: u32::from(level),
    }
}

/// A client holding a token for key tag 1.
pub fn client() -> Rxkad<TestHost> {
    let mut client = Rxkad::new(TestHost::at(NOW));
    client.host.tokens.push((
        1,
        HostToken::mint(SESSION_KEY, &SERVER_KEY, 3, NOW - 10, 3600),
    ));
    client
}

/// A server holding the secret for [`SERVICE`] in keyring 1.
pub fn server() -> Rxkad<TestHost> {
    let mut server = Rxkad::new(TestHost::at(NOW));
    server.host.server_keys.push(ServerKey {
        keyring: 1,
        service: SERVICE,
        kvno: None,
        key: SERVER_KEY,
    });
    server
}

fn is_rxkad(code: u32) -> bool {
    (19270400..=19270412).contains(&code) || code == (-5i32) as u32
}

/// Runs one input.
pub fn run(b: &[u8]) {
    let [sel, c0, c1, body @ ..] = b else {
        return;
    };
    let level = u32::from(sel % 3);

    if let Ok(t) = ticket::parse(body, NOW) {
        let mut out = [0u8; 512];
        let n = ticket::encode(&t, &mut out).expect("a parsed ticket fits");
        assert_eq!(ticket::parse(&out[..n], NOW), Ok(t));
    }

    let mut client = client();
    let mut cconn = client.new_conn(true, &ident(level)).unwrap();
    let mut out = [0u8; 1500];
    if let Err(code) = client.respond(&mut cconn, body, [1, 0, 0, 0], &mut out) {
        assert!(is_rxkad(code), "{code}");
    }

    let mut server = server();
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

    let cksum = u16::from_be_bytes([*c0, *c1]);
    let mut plain = vec![0u8; body.len()];
    match client.verify(&cconn, &packet(*sel), cksum, body, &mut plain) {
        Ok(n) => assert!(n <= body.len()),
        Err(code) => assert!(is_rxkad(code), "{code}"),
    }
}
