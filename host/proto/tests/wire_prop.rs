//! Property tests for the wire codec: round trips for every packet type,
//! and no panic (and a canonical re-encoding) for arbitrary or cut bytes.

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::Index;
use rxrpc_proto::wire::{
    self, rxkad, Ack, AckReason, AckTrailer, Data, Flags, Header, JumboPart, Packet, Payload,
    Subpacket, Version, HEADER_LEN, JUMBO_DATALEN,
};

/// An owned description of a packet, from which a borrowing one is built.
#[derive(Clone, Debug)]
enum Spec {
    /// First payload, then (flags, cksum, payload) for each later subpacket.
    Data(Vec<u8>, Vec<(u8, u16, Vec<u8>)>),
    Ack([u16; 2], [u32; 3], u8, Vec<u8>, Option<[u32; 4]>),
    Busy,
    Abort(u32),
    AckAll,
    Challenge(Vec<u8>),
    Response(Vec<u8>),
    Debug(Vec<u8>),
    Params(u8, Vec<u8>),
    VersionRequest,
    VersionReply(Vec<u8>),
}

fn header() -> impl Strategy<Value = Header> {
    (any::<[u32; 5]>(), any::<[u8; 3]>(), any::<[u16; 2]>()).prop_map(|(w, b, h)| Header {
        epoch: w[0],
        cid: w[1],
        call_number: w[2],
        seq: w[3],
        serial: w[4],
        flags: Flags::from_bits(b[0]),
        user_status: b[1],
        security_index: b[2],
        cksum: h[0],
        service_id: h[1],
    })
}

fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    vec(any::<u8>(), 0..max)
}

/// A full-size jumbo payload, cheap to generate: one byte repeated.
fn full() -> impl Strategy<Value = Vec<u8>> {
    any::<u8>().prop_map(|b| vec![b; JUMBO_DATALEN])
}

fn spec() -> impl Strategy<Value = Spec> {
    let data_plain = bytes(200).prop_map(|p| Spec::Data(p, vec![]));
    // LAST_PACKET (0x04) is illegal on all but the final subpacket.
    let middle = (any::<u8>().prop_map(|f| f & !0x04), any::<u16>(), full());
    let last = (any::<u8>(), any::<u16>(), bytes(200));
    let data_jumbo = (full(), vec(middle, 0..4), last).prop_map(|(first, mut rest, last)| {
        rest.push(last);
        Spec::Data(first, rest)
    });
    let ack = (
        any::<[u16; 2]>(),
        any::<[u32; 3]>(),
        any::<u8>(),
        bytes(256),
        any::<Option<[u32; 4]>>(),
    )
        .prop_map(|(a, b, r, acks, t)| Spec::Ack(a, b, r, acks, t));
    prop_oneof![
        data_plain,
        data_jumbo,
        ack,
        Just(Spec::Busy),
        any::<u32>().prop_map(Spec::Abort),
        Just(Spec::AckAll),
        bytes(64).prop_map(Spec::Challenge),
        bytes(200).prop_map(Spec::Response),
        bytes(64).prop_map(Spec::Debug),
        (9u8..=11, bytes(64)).prop_map(|(t, b)| Spec::Params(t, b)),
        Just(Spec::VersionRequest),
        (1u8.., bytes(80)).prop_map(|(first, mut s)| {
            s.insert(0, first);
            Spec::VersionReply(s)
        }),
    ]
}

/// Encodes a spec; DATA goes through `encode_jumbo`, the rest through
/// `encode`. Returns the header used: a jumbo's first part cannot be LAST.
fn encode_spec(h: &Header, s: &Spec) -> (Header, Vec<u8>) {
    let mut h = *h;
    let mut out = vec![0u8; 70_000];
    let n = match s {
        Spec::Data(first, rest) => {
            if !rest.is_empty() {
                h.flags = h.flags.with(Flags::LAST_PACKET, false);
            }
            let parts: Vec<_> = rest
                .iter()
                .map(|(f, c, p)| JumboPart {
                    flags: Flags::from_bits(*f),
                    cksum: *c,
                    payload: p,
                })
                .collect();
            wire::encode_jumbo(&h, first, &parts, &mut out).unwrap()
        }
        _ => wire::encode(&h, &packet(s), &mut out).unwrap(),
    };
    out.truncate(n);
    (h, out)
}

fn packet(s: &Spec) -> Packet<'_> {
    match s {
        Spec::Data(first, _) => Packet::Data(Data::new(first)),
        Spec::Ack(a, b, r, acks, t) => Packet::Ack(Ack {
            buffer_space: a[0],
            max_skew: a[1],
            first_packet: b[0],
            previous_packet: b[1],
            serial: b[2],
            reason: AckReason(*r),
            acks: &acks[..acks.len().min(255)],
            trailer: t.map(|t| AckTrailer {
                max_mtu: t[0],
                if_mtu: t[1],
                rwind: t[2],
                jumbo_max: t[3],
            }),
        }),
        Spec::Busy => Packet::Busy,
        Spec::Abort(c) => Packet::Abort(*c),
        Spec::AckAll => Packet::AckAll,
        Spec::Challenge(b) => Packet::Challenge(b),
        Spec::Response(b) => Packet::Response(b),
        Spec::Debug(b) => Packet::Debug(b),
        Spec::Params(t, b) => Packet::Params { ptype: *t, body: b },
        Spec::VersionRequest => Packet::Version(Version::Request),
        Spec::VersionReply(b) => Packet::Version(Version::Reply(b)),
    }
}

/// The subpackets a DATA spec should decode to under header `h`.
fn expected_subpackets<'s>(
    h: &Header,
    first: &'s [u8],
    rest: &'s [(u8, u16, Vec<u8>)],
) -> Vec<Subpacket<'s>> {
    let mut subs = vec![Subpacket {
        seq: h.seq,
        serial: h.serial,
        flags: h.flags,
        cksum: h.cksum,
        payload: Payload::Whole(first),
    }];
    for (i, (f, c, p)) in rest.iter().enumerate() {
        let k = u32::try_from(i + 1).unwrap();
        subs.push(Subpacket {
            seq: h.seq.wrapping_add(k),
            serial: h.serial.wrapping_add(k),
            flags: Flags::from_bits(*f),
            cksum: *c,
            payload: Payload::Whole(p),
        });
    }
    let last = subs.len() - 1;
    for (i, s) in subs.iter_mut().enumerate() {
        s.flags = s.flags.with(Flags::JUMBO, i < last);
    }
    subs
}

/// If `b` decodes, its re-encoding must be `b` cut to the decoded extent
/// with ACK pad bytes zeroed, and must decode to the same packet.
fn check_reencode(b: &[u8]) {
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
        _ => assert_eq!(n, b.len(), "{p:?} keeps every byte"),
    }
    assert_eq!(out, &want[..]);
    assert_eq!(wire::decode(out), Ok((h, p)));
    if let Packet::Data(d) = p {
        // Subpackets tile the body: payloads plus 4-byte secondary headers.
        let total: usize = d.subpackets(&h).map(|s| s.payload.len() + 4).sum();
        assert_eq!(total - 4, d.body().len());
    }
}

/// rxkad bodies: re-encoding keeps everything but pads and trailing bytes.
fn check_rxkad(body: &[u8]) {
    if let Ok(c) = rxkad::Challenge::decode(body) {
        let mut out = [0u8; rxkad::CHALLENGE_LEN];
        c.encode(&mut out).unwrap();
        assert_eq!(out[..12], body[..12]);
        assert_eq!(out[12..], [0; 4]);
    }
    if let Ok(r) = rxkad::Response::decode(body) {
        let mut out = vec![0u8; body.len()];
        let n = r.encode(&mut out).unwrap();
        let mut want = body[..n].to_vec();
        want[4..8].fill(0);
        assert_eq!(out[..n], want[..]);
    }
}

/// `body` cut at `cuts` into pieces, as a paged datagram lies.
fn cut<'b>(body: &'b [u8], cuts: &[Index]) -> Vec<&'b [u8]> {
    let mut at: Vec<usize> = cuts.iter().map(|i| i.index(body.len() + 1)).collect();
    at.sort_unstable();
    let mut pieces = Vec::new();
    let mut from = 0;
    for c in at.into_iter().chain([body.len()]) {
        pieces.push(&body[from..c]);
        from = c;
    }
    pieces
}

/// A subpacket's fields, its payload gathered.
fn flat(s: Subpacket<'_>) -> (u32, u32, Flags, u16, Vec<u8>) {
    let payload = match s.payload {
        Payload::Whole(b) => b.to_vec(),
        Payload::Split(p) => {
            let mut v = vec![0; s.payload.len()];
            assert!(p.copy_to(&mut v));
            v
        }
    };
    (s.seq, s.serial, s.flags, s.cksum, payload)
}

/// A DATA body decoded in pieces reads as it does whole: the same
/// verdict, counts and subpackets.
fn check_pieces(h: &Header, body: &[u8], cuts: &[Index]) -> Result<(), TestCaseError> {
    let pieces = cut(body, cuts);
    let (first, more) = pieces.split_first().unwrap();
    let whole = Data::decode(h, body, &[]);
    let pieced = Data::decode(h, first, more);
    prop_assert_eq!(whole.is_ok(), pieced.is_ok());
    if let (Ok(w), Ok(p)) = (whole, pieced) {
        prop_assert_eq!(w.tally(), p.tally());
        let w: Vec<_> = w.subpackets(h).map(flat).collect();
        let p: Vec<_> = p.subpackets(h).map(flat).collect();
        prop_assert_eq!(w, p);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn round_trip(h in header(), s in spec()) {
        let (h, b) = encode_spec(&h, &s);
        let (dh, dp) = wire::decode(&b).unwrap();
        match &s {
            Spec::Data(first, rest) => {
                let Packet::Data(d) = dp else { panic!("{dp:?}") };
                prop_assert_eq!(d.subpackets(&dh).collect::<Vec<_>>(), expected_subpackets(&h, first, rest));
                prop_assert_eq!(dh.flags, h.flags.with(Flags::JUMBO, !rest.is_empty()));
            }
            _ => {
                prop_assert_eq!(dh, h);
                prop_assert_eq!(dp, packet(&s));
            }
        }
        let mut out = vec![0u8; b.len()];
        prop_assert_eq!(wire::encode(&dh, &dp, &mut out), Ok(b.len()));
        prop_assert_eq!(out, b.clone());
        check_reencode(&b);
    }

    #[test]
    fn arbitrary_bytes_never_panic(head in any::<[u8; 28]>(), ptype in 0u8..16, body in bytes(3200)) {
        let mut b = head.to_vec();
        b[20] = ptype;
        b.extend_from_slice(&body);
        check_reencode(&b);
        check_rxkad(&body);
    }

    #[test]
    fn prefixes_of_valid_packets(h in header(), s in spec(), cuts in vec(any::<Index>(), 16)) {
        let (_, b) = encode_spec(&h, &s);
        for cut in cuts {
            let n = cut.index(b.len() + 1);
            if n < HEADER_LEN {
                prop_assert_eq!(wire::decode(&b[..n]), Err(wire::WireError::Truncated));
            }
            check_reencode(&b[..n]);
            check_rxkad(&b[n.min(HEADER_LEN)..n]);
        }
    }

    #[test]
    fn rxkad_round_trip(
        w in any::<[u32; 2]>(),
        kvno in 0u32..256,
        secret in any::<[u32; 10]>(),
        enc in any::<[u8; 40]>(),
        ticket in vec(any::<u8>(), 4..=1024),
    ) {
        let c = rxkad::Challenge { nonce: w[0], min_level: w[1] };
        let mut out = [0u8; 2000];
        let n = c.encode(&mut out).unwrap();
        prop_assert_eq!(rxkad::Challenge::decode(&out[..n]), Ok(c));

        let r = rxkad::Response { encrypted: enc, kvno, ticket: &ticket };
        let n = r.encode(&mut out).unwrap();
        prop_assert_eq!(n, rxkad::RESPONSE_LEN + ticket.len());
        prop_assert_eq!(rxkad::Response::decode(&out[..n]), Ok(r));

        let [a, b, c, d, e, f, g, hh, i, j] = secret;
        let s = rxkad::ResponseSecret {
            epoch: a, cid: b, checksum: c, security_index: d,
            call_id: [e, f, g, hh], inc_nonce: i, level: j,
        };
        prop_assert_eq!(rxkad::ResponseSecret::decode(&s.encode()), s);
    }

    #[test]
    fn small_buffers_fail_cleanly(h in header(), s in spec(), cut in any::<Index>()) {
        let (_, b) = encode_spec(&h, &s);
        let n = cut.index(b.len());
        let (dh, dp) = wire::decode(&b).unwrap();
        let mut out = vec![0u8; n];
        prop_assert_eq!(wire::encode(&dh, &dp, &mut out), Err(wire::WireError::BufferTooSmall));
    }

    #[test]
    fn data_in_pieces_reads_as_whole(h in header(), s in spec(), cuts in vec(any::<Index>(), 0..6)) {
        let (_, b) = encode_spec(&h, &s);
        let (dh, ptype, body) = Header::decode(&b).unwrap();
        if ptype == wire::TYPE_DATA {
            check_pieces(&dh, body, &cuts)?;
        }
    }

    #[test]
    fn jumbo_bytes_in_pieces_read_as_whole(
        h in header(),
        body in vec(any::<u8>(), 0..8000),
        cuts in vec(any::<Index>(), 0..6),
    ) {
        let mut h = h;
        h.flags = h.flags.with(Flags::JUMBO, true);
        check_pieces(&h, &body, &cuts)?;
    }
}
