//! Decodes arbitrary bytes; whatever decodes must re-encode to the same
//! bytes (cut to the decoded extent, ACK pads zeroed) and decode again to
//! the same packet. Also runs the rxkad body decoders and jumbo iteration.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rxrpc_proto::wire::{self, rxkad, Ack, Packet, Version, HEADER_LEN};

fuzz_target!(|b: &[u8]| {
    if let Some(body) = b.get(HEADER_LEN..) {
        if let Ok(c) = rxkad::Challenge::decode(body) {
            let mut out = [0u8; rxkad::CHALLENGE_LEN];
            c.encode(&mut out).unwrap();
            assert_eq!(rxkad::Challenge::decode(&out), Ok(c));
        }
        if let Ok(r) = rxkad::Response::decode(body) {
            let mut out = vec![0u8; body.len()];
            let n = r.encode(&mut out).unwrap();
            assert_eq!(out[8..n], body[8..n]);
            assert_eq!(rxkad::Response::decode(&out[..n]), Ok(r));
        }
    }

    let Ok((h, p)) = wire::decode(b) else { return };
    let mut out = vec![0u8; b.len()];
    let n = wire::encode(&h, &p, &mut out).expect("fits in the bytes it came from");
    let out = &out[..n];
    let mut want = b[..n].to_vec();
    match p {
        Packet::Ack(Ack {
            trailer: Some(_),
            acks,
            ..
        }) => {
            let pad = HEADER_LEN + 18 + acks.len();
            want[pad..pad + 3].fill(0);
        }
        Packet::Ack(_) | Packet::Busy | Packet::AckAll | Packet::Abort(_) => {}
        Packet::Version(Version::Request) => {}
        _ => assert_eq!(n, b.len()),
    }
    assert_eq!(out, &want[..]);
    assert_eq!(wire::decode(out), Ok((h, p)));

    if let Packet::Data(d) = p {
        let mut seq = h.seq;
        let mut len = 0usize;
        for s in d.subpackets(&h) {
            assert_eq!(s.seq, seq);
            seq = seq.wrapping_add(1);
            len += s.payload.len() + 4;
        }
        assert_eq!(len - 4, d.body().len());
    }
});
