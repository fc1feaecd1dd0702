//! The 28-byte big-endian header that starts every packet.

use super::bytes::{Reader, Writer};
use super::{Flags, WireError, CHANNEL_MASK, HEADER_LEN};

/// The wire header, minus the type byte (which [`super::Packet`] implies).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Header {
    /// Client boot time or random number; with `cid` names the connection.
    pub epoch: u32,
    /// Connection id shifted left 2, ORed with the channel number.
    pub cid: u32,
    /// Call number on the channel; 0 for connection-level packets.
    pub call_number: u32,
    /// Sequence number of a DATA packet within its call direction.
    pub seq: u32,
    /// Per-connection transmission serial number (new on every resend).
    pub serial: u32,
    /// Packet flags.
    pub flags: Flags,
    /// Application-defined status (service upgrade request on first DATA).
    pub user_status: u8,
    /// Security class of the connection.
    pub security_index: u8,
    /// Security checksum (rxkad), also called spare or `_rsvd`.
    pub cksum: u16,
    /// Service the call is for.
    pub service_id: u16,
}

impl Header {
    /// Splits a packet into its header, raw type byte and body. Callers that
    /// must answer even undecodable packets (with an abort) start here.
    pub fn decode(buf: &[u8]) -> Result<(Header, u8, &[u8]), WireError> {
        // One length check: the fields' own checks then fold away.
        let (head, rest) = buf
            .split_first_chunk::<HEADER_LEN>()
            .ok_or(WireError::Truncated)?;
        let mut r = Reader::new(head);
        let epoch = r.u32()?;
        let cid = r.u32()?;
        let call_number = r.u32()?;
        let seq = r.u32()?;
        let serial = r.u32()?;
        let ptype = r.u8()?;
        let hdr = Header {
            epoch,
            cid,
            call_number,
            seq,
            serial,
            flags: Flags::from_bits(r.u8()?),
            user_status: r.u8()?,
            security_index: r.u8()?,
            cksum: r.u16()?,
            service_id: r.u16()?,
        };
        Ok((hdr, ptype, rest))
    }

    /// Writes this header with packet type `ptype` into `out`; returns
    /// [`super::HEADER_LEN`]. Bodies are then written from that offset.
    pub fn encode(&self, ptype: u8, out: &mut [u8]) -> Result<usize, WireError> {
        let mut w = Writer::new(out);
        self.write(ptype, &mut w)?;
        Ok(w.written())
    }

    pub(super) fn write(&self, ptype: u8, w: &mut Writer<'_>) -> Result<(), WireError> {
        // Built whole and put with one check: each field's own check
        // against the array's fixed length folds away.
        let mut head = [0u8; HEADER_LEN];
        self.fields(ptype, &mut Writer::new(&mut head))?;
        w.put(&head)
    }

    fn fields(&self, ptype: u8, w: &mut Writer<'_>) -> Result<(), WireError> {
        w.u32(self.epoch)?;
        w.u32(self.cid)?;
        w.u32(self.call_number)?;
        w.u32(self.seq)?;
        w.u32(self.serial)?;
        w.u8(ptype)?;
        w.u8(self.flags.bits())?;
        w.u8(self.user_status)?;
        w.u8(self.security_index)?;
        w.u16(self.cksum)?;
        w.u16(self.service_id)?;
        Ok(())
    }

    /// The channel (0..4) the call occupies on its connection.
    pub fn channel(&self) -> u32 {
        self.cid & CHANNEL_MASK
    }

    /// The connection part of `cid`, channel bits cleared.
    pub fn conn_id(&self) -> u32 {
        self.cid & !CHANNEL_MASK
    }
}
