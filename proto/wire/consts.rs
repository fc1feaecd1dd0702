//! Numbers fixed by the protocol (`net/rxrpc/protocol.h` and the uapi
//! header `linux/rxrpc.h`), named as there, minus the `RXRPC_` prefix.

use core::ops::BitOr;

/// Length of the wire header that starts every packet.
pub const HEADER_LEN: usize = 28;
/// Payload length of every non-final subpacket of a jumbo DATA packet.
pub const JUMBO_DATALEN: usize = 1412;
/// Length of the secondary header that follows each non-final subpacket.
pub const JUMBO_HEADER_LEN: usize = 4;
/// Wire length of one non-final subpacket: payload plus secondary header.
pub const JUMBO_SUBPKTLEN: usize = JUMBO_DATALEN + JUMBO_HEADER_LEN;
/// Most subpackets in a jumbo: 46 non-final ones and the final one fill a
/// maximal UDP datagram.
pub const MAX_JUMBO: usize = 47;
/// Most entries in an ACK's SACK table (`nAcks` is one byte).
pub const MAX_ACKS: usize = 255;
/// Length of the fixed part of an ACK body, before the SACK table.
pub const ACK_BODY_LEN: usize = 18;
/// Pad bytes between the SACK table and the ACK trailer.
pub const ACK_PAD_LEN: usize = 3;
/// Length of the optional ACK trailer (four BE32 fields).
pub const ACK_TRAILER_LEN: usize = 16;
/// Length of the VERSION reply string the C code sends (NUL padded).
pub const VERSION_REPLY_LEN: usize = 65;

/// Packet type: a DATA packet (possibly jumbo).
pub const TYPE_DATA: u8 = 1;
/// Packet type: an ACK.
pub const TYPE_ACK: u8 = 2;
/// Packet type: the server is too busy to take the call.
pub const TYPE_BUSY: u8 = 3;
/// Packet type: a call or connection abort carrying a BE32 code.
pub const TYPE_ABORT: u8 = 4;
/// Packet type: ACK everything sent on the call.
pub const TYPE_ACKALL: u8 = 5;
/// Packet type: a security challenge (server to client).
pub const TYPE_CHALLENGE: u8 = 6;
/// Packet type: a security response (client to server).
pub const TYPE_RESPONSE: u8 = 7;
/// Packet type: a debug request (the C code rejects these).
pub const TYPE_DEBUG: u8 = 8;
/// Packet type: parameter negotiation, unspecified; receivers drop it.
pub const TYPE_PARAMS: u8 = 9;
/// Packet type 10: reserved, dropped like PARAMS.
pub const TYPE_PARAMS_10: u8 = 10;
/// Packet type 11: reserved, dropped like PARAMS.
pub const TYPE_PARAMS_11: u8 = 11;
/// Packet type: a version request or reply (and the per-peer keepalive).
pub const TYPE_VERSION: u8 = 13;

/// Epoch bit saying the epoch is random rather than a boot time.
pub const RANDOM_EPOCH: u32 = 0x8000_0000;
/// Calls a connection carries at once; the channel is `cid & CHANNEL_MASK`.
pub const MAXCALLS: u32 = 4;
/// Mask of the channel number in a connection id.
pub const CHANNEL_MASK: u32 = MAXCALLS - 1;
/// userStatus bit on a first DATA packet asking for a service upgrade.
pub const USERSTATUS_SERVICE_UPGRADE: u8 = 0x01;

/// Security index: no security.
pub const SECURITY_NONE: u8 = 0;
/// Security index: rxkad (kaserver / Kerberos 4).
pub const SECURITY_RXKAD: u8 = 2;
/// Security index: rxgk (GSSAPI).
pub const SECURITY_RXGK: u8 = 4;
/// Security index: rxk5 (Kerberos 5).
pub const SECURITY_RXK5: u8 = 5;
/// Security index: YFS-RxGK (Linux 6.16 and later).
pub const SECURITY_YFS_RXGK: u8 = 6;

/// Security level: packets checksummed only.
pub const LEVEL_PLAIN: u32 = 0;
/// Security level: packets authenticated.
pub const LEVEL_AUTH: u32 = 1;
/// Security level: packets encrypted.
pub const LEVEL_ENCRYPT: u32 = 2;

/// SACK table entry: the packet has not been received.
pub const ACK_TYPE_NACK: u8 = 0;
/// SACK table entry: the packet has been received (the C code treats every
/// other value as a NACK).
pub const ACK_TYPE_ACK: u8 = 1;

// Abort codes travel as BE32 on the wire; the Rx ones are negative in C.

/// Abort: the call or connection went dead (-1).
pub const RX_CALL_DEAD: u32 = -1i32 as u32;
/// Abort: invalid operation (-2).
pub const RX_INVALID_OPERATION: u32 = -2i32 as u32;
/// Abort: call timeout exceeded (-3).
pub const RX_CALL_TIMEOUT: u32 = -3i32 as u32;
/// Abort: unexpected end of data (-4).
pub const RX_EOF: u32 = -4i32 as u32;
/// Abort: low-level protocol error (-5).
pub const RX_PROTOCOL_ERROR: u32 = -5i32 as u32;
/// Abort: generic user abort (-6).
pub const RX_USER_ABORT: u32 = -6i32 as u32;
/// Abort: UDP port in use (-7).
pub const RX_ADDRINUSE: u32 = -7i32 as u32;
/// Abort: bad debug packet type (-8).
pub const RX_DEBUGI_BADTYPE: u32 = -8i32 as u32;

/// Abort: client failed to marshal the request (-450).
pub const RXGEN_CC_MARSHAL: u32 = -450i32 as u32;
/// Abort: client failed to unmarshal the reply (-451).
pub const RXGEN_CC_UNMARSHAL: u32 = -451i32 as u32;
/// Abort: server failed to marshal the reply (-452).
pub const RXGEN_SS_MARSHAL: u32 = -452i32 as u32;
/// Abort: server failed to unmarshal the request (-453).
pub const RXGEN_SS_UNMARSHAL: u32 = -453i32 as u32;
/// Abort: decode error (-454).
pub const RXGEN_DECODE: u32 = -454i32 as u32;
/// Abort: unknown operation id (-455).
pub const RXGEN_OPCODE: u32 = -455i32 as u32;
/// Abort: server failed to free XDR data (-456).
pub const RXGEN_SS_XDRFREE: u32 = -456i32 as u32;
/// Abort: client failed to free XDR data (-457).
pub const RXGEN_CC_XDRFREE: u32 = -457i32 as u32;

/// Abort: rxkad security module structure inconsistent.
pub const RXKADINCONSISTENCY: u32 = 19270400;
/// Abort: packet too short for the rxkad security challenge or response.
pub const RXKADPACKETSHORT: u32 = 19270401;
/// Abort: rxkad security level negotiation failed.
pub const RXKADLEVELFAIL: u32 = 19270402;
/// Abort: rxkad ticket too short or too long.
pub const RXKADTICKETLEN: u32 = 19270403;
/// Abort: rxkad packet had a bad sequence number.
pub const RXKADOUTOFSEQUENCE: u32 = 19270404;
/// Abort: caller not authorised.
pub const RXKADNOAUTH: u32 = 19270405;
/// Abort: illegal key (bad parity or weak).
pub const RXKADBADKEY: u32 = 19270406;
/// Abort: bad rxkad ticket.
pub const RXKADBADTICKET: u32 = 19270407;
/// Abort: ticket contained an unknown key version number.
pub const RXKADUNKNOWNKEY: u32 = 19270408;
/// Abort: rxkad authentication expired.
pub const RXKADEXPIRED: u32 = 19270409;
/// Abort: sealed data inconsistent.
pub const RXKADSEALEDINCON: u32 = 19270410;
/// Abort: user data too long.
pub const RXKADDATALEN: u32 = 19270411;
/// Abort: caller not authorised to use encrypted connections.
pub const RXKADILLEGALLEVEL: u32 = 19270412;

/// The header's flags byte. Unknown bits are kept so that re-encoding is
/// exact; 0x20 means JUMBO on DATA and SLOW_START_OK on ACK.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Flags(u8);

impl Flags {
    /// Sent by the side that started the call or connection.
    pub const CLIENT_INITIATED: Flags = Flags(0x01);
    /// The sender wants this packet ACKed at once.
    pub const REQUEST_ACK: Flags = Flags(0x02);
    /// Last packet from this side of the call.
    pub const LAST_PACKET: Flags = Flags(0x04);
    /// More packets follow (informational).
    pub const MORE_PACKETS: Flags = Flags(0x08);
    /// DATA: another subpacket follows this one in the same datagram.
    pub const JUMBO: Flags = Flags(0x20);
    /// ACK: the sender supports slow start.
    pub const SLOW_START_OK: Flags = Flags(0x20);

    /// Wraps a raw flags byte, unknown bits included.
    pub const fn from_bits(bits: u8) -> Self {
        Self(bits)
    }

    /// The raw flags byte.
    pub const fn bits(self) -> u8 {
        self.0
    }

    /// Whether every bit of `other` is set.
    pub const fn contains(self, other: Flags) -> bool {
        self.0 & other.0 == other.0
    }

    /// These flags with the bits of `other` set or cleared.
    pub const fn with(self, other: Flags, on: bool) -> Self {
        if on {
            Self(self.0 | other.0)
        } else {
            Self(self.0 & !other.0)
        }
    }
}

impl BitOr for Flags {
    type Output = Flags;

    fn bitor(self, rhs: Flags) -> Flags {
        Flags(self.0 | rhs.0)
    }
}
