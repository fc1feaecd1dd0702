//! DATA packets, including jumbo packets that pack several subpackets.
//!
//! A jumbo is laid out as: header, payload 0, {flags, pad, cksum}, payload 1,
//! ... Each secondary header describes the subpacket after it, which also
//! has seq and serial one higher than the one before. Every subpacket that
//! is followed by another has JUMBO set and exactly [`JUMBO_DATALEN`] bytes.

use super::bytes::{Payload, Pieces, Writer};
use super::{Flags, Header, WireError, JUMBO_DATALEN, JUMBO_HEADER_LEN, MAX_JUMBO, TYPE_DATA};

/// The body of a DATA packet: one or more subpackets, kept as raw bytes so
/// that re-encoding is exact. Use [`Data::subpackets`] to read it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Data<'a> {
    body: &'a [u8],
    /// The pieces the body goes on in, if the datagram lay in several.
    more: &'a [&'a [u8]],
    /// Its subpackets, as decoding counted them, so that the receive
    /// counters need not walk a jumbo again (none for a body made to
    /// encode).
    tally: Tally,
}

/// The subpackets of a DATA packet, and those of them that ask for an ACK.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// Subpackets.
    pub subpackets: u8,
    /// Subpackets with REQUEST_ACK.
    pub request_acks: u8,
}

/// One subpacket of a DATA packet, with the header fields that apply to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Subpacket<'a> {
    /// Sequence number of this subpacket.
    pub seq: u32,
    /// Serial number of this subpacket.
    pub serial: u32,
    /// Flags of this subpacket (JUMBO if another one follows).
    pub flags: Flags,
    /// Security checksum of this subpacket.
    pub cksum: u16,
    /// Payload, still secured if the connection uses security.
    pub payload: Payload<'a>,
}

/// A subpacket after the first, for [`encode_jumbo`]: the fields its
/// secondary header carries, and its payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JumboPart<'a> {
    /// Flags for this subpacket; the encoder sets JUMBO as needed.
    pub flags: Flags,
    /// Security checksum for this subpacket.
    pub cksum: u16,
    /// Payload: [`JUMBO_DATALEN`] bytes unless this is the last part.
    pub payload: &'a [u8],
}

impl<'a> Data<'a> {
    /// Wraps a DATA body for [`super::encode`], which checks it against the
    /// header's JUMBO flag.
    pub fn new(body: &'a [u8]) -> Self {
        Self {
            body,
            more: &[],
            tally: Tally::default(),
        }
    }

    /// Decodes a DATA body under `hdr`: `body`, then the pieces `more` if
    /// the datagram lay in several (a paged skb's data taken in place).
    pub fn decode(hdr: &Header, body: &'a [u8], more: &'a [&'a [u8]]) -> Result<Self, WireError> {
        let mut data = Self {
            body,
            more,
            tally: Tally::default(),
        };
        data.tally = data.check(hdr)?;
        Ok(data)
    }

    /// Fails with `BadJumbo` unless the body splits cleanly under `hdr`;
    /// counts its subpackets.
    pub(super) fn check(&self, hdr: &Header) -> Result<Tally, WireError> {
        // A packet that is not a jumbo is one subpacket, whatever its length.
        if !hdr.flags.contains(Flags::JUMBO) {
            return Ok(Tally {
                subpackets: 1,
                request_acks: u8::from(hdr.flags.contains(Flags::REQUEST_ACK)),
            });
        }
        let mut tally = Tally::default();
        let mut parts = self.subpackets(hdr);
        while let Some(sub) = parts.step()? {
            // At most MAX_JUMBO: `step` refuses more.
            tally.subpackets = tally.subpackets.saturating_add(1);
            if sub.flags.contains(Flags::REQUEST_ACK) {
                tally.request_acks = tally.request_acks.saturating_add(1);
            }
        }
        Ok(tally)
    }

    /// Its subpackets as decoded (none if it was made to encode).
    pub fn tally(&self) -> Tally {
        self.tally
    }

    /// The raw body: every subpacket with its secondary headers, as far
    /// as the first piece holds it (see [`Data::more`]).
    pub fn body(&self) -> &'a [u8] {
        self.body
    }

    /// The pieces the body goes on in after [`Data::body`] (none unless a
    /// received datagram lay in several).
    pub fn more(&self) -> &'a [&'a [u8]] {
        self.more
    }

    /// Iterates over the subpackets. `hdr` must be the header this body was
    /// decoded with (it gives the first subpacket's seq, serial, flags and
    /// cksum); given another, iteration stops at the first inconsistency.
    pub fn subpackets(&self, hdr: &Header) -> Subpackets<'a> {
        Subpackets {
            seq: hdr.seq,
            serial: hdr.serial,
            flags: hdr.flags,
            cksum: hdr.cksum,
            done: false,
            rest: Pieces::new(self.body, self.more),
            count: 0,
        }
    }
}

/// Iterator over the subpackets of a DATA packet, from [`Data::subpackets`].
/// The next subpacket's header fields are kept apart, not as a
/// [`Subpacket`], so that each step builds one only to hand it out.
#[derive(Clone)]
pub struct Subpackets<'a> {
    seq: u32,
    serial: u32,
    flags: Flags,
    cksum: u16,
    /// No more: the last was handed out, or a bad one found.
    done: bool,
    rest: Pieces<'a>,
    count: usize,
}

impl<'a> Subpackets<'a> {
    /// Yields the next subpacket, rejecting what the C receive path rejects:
    /// a JUMBO subpacket that is short or has LAST_PACKET, or too many; and
    /// what it takes: one at seq 2^32 - 1, whose followers would wrap round
    /// to seq 0, 1, ..., the first packets of a live call.
    #[inline(always)]
    fn step(&mut self) -> Result<Option<Subpacket<'a>>, WireError> {
        if core::mem::replace(&mut self.done, true) {
            return Ok(None);
        }
        let (seq, serial, flags, cksum) = (self.seq, self.serial, self.flags, self.cksum);
        if !flags.contains(Flags::JUMBO) {
            let payload = self.rest.rest();
            return Ok(Some(Subpacket {
                seq,
                serial,
                flags,
                cksum,
                payload,
            }));
        }
        self.count += 1;
        if self.count >= MAX_JUMBO || flags.contains(Flags::LAST_PACKET) {
            return Err(WireError::BadJumbo);
        }
        let bad = |_| WireError::BadJumbo;
        let payload = self.rest.take(JUMBO_DATALEN).map_err(bad)?;
        let [next, _, c0, c1] = self.rest.array().map_err(bad)?;
        self.flags = Flags::from_bits(next);
        self.cksum = u16::from_be_bytes([c0, c1]);
        self.seq = seq.checked_add(1).ok_or(WireError::BadJumbo)?;
        self.serial = serial.wrapping_add(1);
        self.done = false;
        Ok(Some(Subpacket {
            seq,
            serial,
            flags,
            cksum,
            payload,
        }))
    }
}

impl<'a> Iterator for Subpackets<'a> {
    type Item = Subpacket<'a>;

    #[inline(always)]
    fn next(&mut self) -> Option<Subpacket<'a>> {
        self.step().ok().flatten()
    }
}

/// The header before a jumbo's subpacket after the first: its flags, a
/// pad byte and its security checksum.
pub fn jumbo_header(flags: Flags, cksum: u16) -> [u8; JUMBO_HEADER_LEN] {
    let c = cksum.to_be_bytes();
    [flags.bits(), 0, c[0], c[1]]
}

/// Builds a DATA packet from `first` (described by `hdr`) and the subpackets
/// that follow it; returns the length written. JUMBO is set on every
/// subpacket but the last and cleared on the last. Fails with `BadJumbo` on
/// more than [`MAX_JUMBO`] subpackets, a non-final one that is not exactly
/// [`JUMBO_DATALEN`] long or that has LAST_PACKET.
pub fn encode_jumbo(
    hdr: &Header,
    first: &[u8],
    rest: &[JumboPart<'_>],
    out: &mut [u8],
) -> Result<usize, WireError> {
    if rest.len() >= MAX_JUMBO {
        return Err(WireError::BadJumbo);
    }
    let mut w = Writer::new(out);
    let mut head = *hdr;
    head.flags = hdr.flags.with(Flags::JUMBO, !rest.is_empty());
    head.write(TYPE_DATA, &mut w)?;
    let mut prev = (head.flags, first);
    for (i, part) in rest.iter().enumerate() {
        let (flags, payload) = prev;
        if payload.len() != JUMBO_DATALEN || flags.contains(Flags::LAST_PACKET) {
            return Err(WireError::BadJumbo);
        }
        w.put(payload)?;
        let flags = part.flags.with(Flags::JUMBO, i + 1 < rest.len());
        w.put(&jumbo_header(flags, part.cksum))?;
        prev = (flags, part.payload);
    }
    w.put(prev.1)?;
    Ok(w.written())
}
