//! ACK packets: window position, SACK table and the optional trailer.

use super::bytes::{Reader, Writer};
use super::{WireError, ACK_PAD_LEN, ACK_TRAILER_LEN};

/// Why an ACK was sent. Kept raw: the C code still processes ACKs with
/// unknown reasons (it counts them as reason 10, "invalid").
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct AckReason(pub u8);

impl AckReason {
    /// The peer set REQUEST_ACK on a packet.
    pub const REQUESTED: AckReason = AckReason(1);
    /// A duplicate packet arrived.
    pub const DUPLICATE: AckReason = AckReason(2);
    /// A packet arrived out of sequence.
    pub const OUT_OF_SEQUENCE: AckReason = AckReason(3);
    /// A packet arrived beyond the receive window.
    pub const EXCEEDS_WINDOW: AckReason = AckReason(4);
    /// A packet was dropped for lack of buffer space.
    pub const NOSPACE: AckReason = AckReason(5);
    /// Keepalive or RTT probe; asks for a PING_RESPONSE.
    pub const PING: AckReason = AckReason(6);
    /// Answer to a PING.
    pub const PING_RESPONSE: AckReason = AckReason(7);
    /// Delayed ACK: nothing else happened since the last packet.
    pub const DELAY: AckReason = AckReason(8);
    /// The whole receive window has been received.
    pub const IDLE: AckReason = AckReason(9);

    /// Whether this is one of the reasons 1..=9 defined by the protocol.
    pub fn is_known(self) -> bool {
        (Self::REQUESTED.0..=Self::IDLE.0).contains(&self.0)
    }
}

/// The optional ACK trailer: the sender's receive limits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct AckTrailer {
    /// Largest packet the sender will accept (AFS 3.3).
    pub max_mtu: u32,
    /// Sender's interface MTU (AFS 3.3).
    pub if_mtu: u32,
    /// Sender's receive window in packets (AFS 3.4).
    pub rwind: u32,
    /// Most subpackets the sender accepts in a jumbo (AFS 3.5).
    pub jumbo_max: u32,
}

/// An ACK body. Everything below `first_packet` is hard-ACKed; `acks`
/// soft-ACKs `first_packet..first_packet + acks.len()`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Ack<'a> {
    /// Packet buffers available at the sender (0 from Linux).
    pub buffer_space: u16,
    /// Serial skew (0 from Linux).
    pub max_skew: u16,
    /// Sequence number of the first entry in `acks`.
    pub first_packet: u32,
    /// Highest sequence number received.
    pub previous_packet: u32,
    /// Serial of the packet that prompted this ACK.
    pub serial: u32,
    /// Why the ACK was sent.
    pub reason: AckReason,
    /// SACK table: [`super::ACK_TYPE_ACK`] or NACK per packet, at most 255.
    pub acks: &'a [u8],
    /// Receive limits, present when the packet is long enough to hold them.
    pub trailer: Option<AckTrailer>,
}

impl<'a> Ack<'a> {
    /// Decodes an ACK body. Like the C code, the trailer is read only if the
    /// 3 pad bytes and all 16 trailer bytes are there; bytes past it and the
    /// pad values are ignored.
    pub(super) fn decode(body: &'a [u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(body);
        let mut ack = Ack {
            buffer_space: r.u16()?,
            max_skew: r.u16()?,
            first_packet: r.u32()?,
            previous_packet: r.u32()?,
            serial: r.u32()?,
            reason: AckReason(r.u8()?),
            ..Ack::default()
        };
        let n_acks = r.u8()?;
        ack.acks = r.take(usize::from(n_acks))?;
        if r.rest().len() >= ACK_PAD_LEN + ACK_TRAILER_LEN {
            r.take(ACK_PAD_LEN)?;
            ack.trailer = Some(AckTrailer {
                max_mtu: r.u32()?,
                if_mtu: r.u32()?,
                rwind: r.u32()?,
                jumbo_max: r.u32()?,
            });
        }
        Ok(ack)
    }

    /// Writes the body; the pad is written (as zeros) only with a trailer.
    pub(super) fn write(&self, w: &mut Writer<'_>) -> Result<(), WireError> {
        // MAX_ACKS (255) is u8::MAX: the count must fit the nAcks byte.
        let n_acks = u8::try_from(self.acks.len()).map_err(|_| WireError::TooManyAcks)?;
        w.u16(self.buffer_space)?;
        w.u16(self.max_skew)?;
        w.u32(self.first_packet)?;
        w.u32(self.previous_packet)?;
        w.u32(self.serial)?;
        w.u8(self.reason.0)?;
        w.u8(n_acks)?;
        w.put(self.acks)?;
        if let Some(t) = &self.trailer {
            w.zeros(ACK_PAD_LEN)?;
            w.u32(t.max_mtu)?;
            w.u32(t.if_mtu)?;
            w.u32(t.rwind)?;
            w.u32(t.jumbo_max)?;
        }
        Ok(())
    }
}
