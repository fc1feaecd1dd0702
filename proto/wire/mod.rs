//! The RxRPC wire codec: packets to and from bytes, zero-copy, no heap.
//!
//! Decoding checks only what is needed to split a packet safely (lengths,
//! jumbo layout); meaning (zero call numbers and service ids, windows) is
//! left to the engine, as in the C input path. Encoding writes into a caller's
//! buffer and inverts decoding exactly, except for bytes that receivers
//! ignore: pads are written as zero and bytes after a fixed-size body are
//! not kept (see [`Packet`]). On error, `out` holds unspecified bytes.

mod ack;
mod bytes;
mod consts;
mod data;
mod header;
pub mod rxkad;

pub use ack::{Ack, AckReason, AckTrailer};
pub use bytes::{copy_pieces, Payload, Split};
pub use consts::*;
pub use data::{encode_jumbo, jumbo_header, Data, JumboPart, Subpacket, Subpackets, Tally};
pub use header::Header;

use bytes::Writer;

/// Why bytes could not be decoded, or a packet could not be encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WireError {
    /// The packet ends before its layout does.
    Truncated,
    /// The output buffer is too small for the packet.
    BufferTooSmall,
    /// Unknown packet type (0, 12, 14..=255), or a PARAMS type out of 9..=11.
    BadType(u8),
    /// A jumbo DATA packet that the C receive path would reject.
    BadJumbo,
    /// More than [`MAX_ACKS`] SACK entries to encode.
    TooManyAcks,
    /// An rxkad CHALLENGE or RESPONSE whose version is not 2.
    BadRxkadVersion(u32),
    /// An rxkad ticket length outside 4..=1024.
    BadTicketLen(u32),
    /// An rxkad key version number for a Kerberos 5 ticket (256 and up).
    BadKvno(u32),
    /// A VERSION reply starting with a zero byte (that means a request).
    BadVersion,
}

/// A VERSION packet body: the first byte tells a request from a reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version<'a> {
    /// First byte 0: asks for a reply; sent as that single byte (which is
    /// also the C keepalive), bytes after it are ignored.
    Request,
    /// Anything else: a version string (65 NUL-padded bytes from Linux),
    /// or empty.
    Reply(&'a [u8]),
}

/// A decoded packet body, borrowing from the received bytes.
///
/// Re-encoding a decoded packet gives back the received bytes except that
/// BUSY and ACKALL bodies, bytes after an ABORT code, after an ACK's SACK
/// table or trailer, and after a VERSION request's zero byte are dropped,
/// and ACK pad bytes become zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Packet<'a> {
    /// Call data, perhaps several subpackets (jumbo).
    Data(Data<'a>),
    /// Acknowledgement.
    Ack(Ack<'a>),
    /// The server declines the call for now.
    Busy,
    /// Call or connection abort with its code.
    Abort(u32),
    /// Everything sent on the call is acknowledged.
    AckAll,
    /// Security challenge; see [`rxkad::Challenge`].
    Challenge(&'a [u8]),
    /// Security response; see [`rxkad::Response`].
    Response(&'a [u8]),
    /// Debug request, kept raw (the C code rejects it).
    Debug(&'a [u8]),
    /// PARAMS (type 9, 10 or 11), kept raw for the engine to drop.
    Params {
        /// The packet type, 9..=11.
        ptype: u8,
        /// The body, unparsed.
        body: &'a [u8],
    },
    /// Version request or reply.
    Version(Version<'a>),
}

impl<'a> Packet<'a> {
    /// Decodes the body of a packet of type `ptype` with header `hdr`
    /// (the parts [`Header::decode`] returns).
    pub fn decode(hdr: &Header, ptype: u8, body: &'a [u8]) -> Result<Self, WireError> {
        Ok(match ptype {
            TYPE_DATA => Packet::Data(Data::decode(hdr, body, &[])?),
            TYPE_ACK => Packet::Ack(Ack::decode(body)?),
            TYPE_BUSY => Packet::Busy,
            TYPE_ABORT => Packet::Abort(bytes::Reader::new(body).u32()?),
            TYPE_ACKALL => Packet::AckAll,
            TYPE_CHALLENGE => Packet::Challenge(body),
            TYPE_RESPONSE => Packet::Response(body),
            TYPE_DEBUG => Packet::Debug(body),
            TYPE_PARAMS..=TYPE_PARAMS_11 => Packet::Params { ptype, body },
            TYPE_VERSION => Packet::Version(match body.first() {
                Some(0) => Version::Request,
                _ => Version::Reply(body),
            }),
            _ => return Err(WireError::BadType(ptype)),
        })
    }

    /// The packet type byte this body goes with.
    pub fn packet_type(&self) -> u8 {
        match self {
            Packet::Data(_) => TYPE_DATA,
            Packet::Ack(_) => TYPE_ACK,
            Packet::Busy => TYPE_BUSY,
            Packet::Abort(_) => TYPE_ABORT,
            Packet::AckAll => TYPE_ACKALL,
            Packet::Challenge(_) => TYPE_CHALLENGE,
            Packet::Response(_) => TYPE_RESPONSE,
            Packet::Debug(_) => TYPE_DEBUG,
            Packet::Params { ptype, .. } => *ptype,
            Packet::Version(_) => TYPE_VERSION,
        }
    }

    fn write_body(&self, hdr: &Header, w: &mut Writer<'_>) -> Result<(), WireError> {
        match self {
            Packet::Data(data) => {
                data.check(hdr)?;
                w.put(data.body())?;
                data.more().iter().try_for_each(|m| w.put(m))
            }
            Packet::Ack(ack) => ack.write(w),
            Packet::Busy | Packet::AckAll => Ok(()),
            Packet::Abort(code) => w.u32(*code),
            Packet::Challenge(body) | Packet::Response(body) | Packet::Debug(body) => w.put(body),
            Packet::Params { ptype, body } => match ptype {
                TYPE_PARAMS..=TYPE_PARAMS_11 => w.put(body),
                _ => Err(WireError::BadType(*ptype)),
            },
            Packet::Version(Version::Request) => w.u8(0),
            Packet::Version(Version::Reply(s)) => match s.first() {
                Some(0) => Err(WireError::BadVersion),
                _ => w.put(s),
            },
        }
    }
}

/// Decodes a whole received packet.
pub fn decode(buf: &[u8]) -> Result<(Header, Packet<'_>), WireError> {
    let (hdr, ptype, body) = Header::decode(buf)?;
    Ok((hdr, Packet::decode(&hdr, ptype, body)?))
}

/// Encodes `hdr` and `pkt` into `out`; returns the length written. DATA
/// bodies are checked against `hdr.flags` as on receipt (`BadJumbo`).
pub fn encode(hdr: &Header, pkt: &Packet<'_>, out: &mut [u8]) -> Result<usize, WireError> {
    let mut w = Writer::new(out);
    hdr.write(pkt.packet_type(), &mut w)?;
    pkt.write_body(hdr, &mut w)?;
    Ok(w.written())
}
