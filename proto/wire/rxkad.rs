//! rxkad CHALLENGE and RESPONSE bodies (security index 2).
//!
//! [`super::Packet`] keeps these bodies raw because their layout depends on
//! the security class; the rxkad code decodes them here. Decoding makes the
//! structural checks of the C code in the same order, so [`abort_code`]
//! gives the code it would abort the connection with.

use super::bytes::{Reader, Writer};
use super::{
    WireError, RXKADINCONSISTENCY, RXKADPACKETSHORT, RXKADTICKETLEN, RXKADUNKNOWNKEY,
    RX_PROTOCOL_ERROR,
};

/// The only rxkad challenge/response version.
pub const VERSION: u32 = 2;
/// Length of a CHALLENGE body.
pub const CHALLENGE_LEN: usize = 16;
/// Length of a RESPONSE body before the ticket.
pub const RESPONSE_LEN: usize = 56;
/// Length of the encrypted part of a RESPONSE.
pub const SECRET_LEN: usize = 40;
/// Shortest ticket the C server accepts.
pub const MIN_TICKET_LEN: usize = 4;
/// Longest ticket the C server accepts (MAXKRB5TICKETLEN).
pub const MAX_TICKET_LEN: usize = 1024;
/// Key version numbers from here on denote Kerberos 5 tickets, which the C
/// server refuses.
pub const KVNO_KERBEROS_V5: u32 = 256;

/// The abort code the C code sends when decoding fails with `err`.
pub fn abort_code(err: WireError) -> u32 {
    match err {
        WireError::Truncated => RXKADPACKETSHORT,
        WireError::BadRxkadVersion(_) => RXKADINCONSISTENCY,
        WireError::BadTicketLen(_) => RXKADTICKETLEN,
        WireError::BadKvno(_) => RXKADUNKNOWNKEY,
        _ => RX_PROTOCOL_ERROR,
    }
}

fn check_version(version: u32) -> Result<(), WireError> {
    match version {
        VERSION => Ok(()),
        v => Err(WireError::BadRxkadVersion(v)),
    }
}

/// A CHALLENGE body: {version 2, nonce, min_level, pad}, all BE32. The pad
/// is written as zero and ignored on decode, as are bytes after it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Challenge {
    /// Random nonce; the response returns it plus one, encrypted.
    pub nonce: u32,
    /// Lowest security level the server accepts.
    pub min_level: u32,
}

impl Challenge {
    /// Decodes a CHALLENGE body: `Truncated`, then `BadRxkadVersion`.
    pub fn decode(body: &[u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(body);
        let version = r.u32()?;
        let ch = Challenge {
            nonce: r.u32()?,
            min_level: r.u32()?,
        };
        r.u32()?;
        check_version(version)?;
        Ok(ch)
    }

    /// Writes the body into `out`; returns [`CHALLENGE_LEN`].
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, WireError> {
        let mut w = Writer::new(out);
        w.u32(VERSION)?;
        w.u32(self.nonce)?;
        w.u32(self.min_level)?;
        w.u32(0)?;
        Ok(w.written())
    }
}

/// A RESPONSE body: {version 2, pad, 40 encrypted bytes, kvno, ticket_len},
/// then the ticket. The pad is written as zero and ignored on decode, as
/// are bytes after the ticket.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Response<'a> {
    /// The [`ResponseSecret`], encrypted with the session key. A copy, so
    /// that decryption never touches the received buffer.
    pub encrypted: [u8; SECRET_LEN],
    /// Key version number of the ticket, below [`KVNO_KERBEROS_V5`].
    pub kvno: u32,
    /// The Kerberos ticket, [`MIN_TICKET_LEN`]..=[`MAX_TICKET_LEN`] bytes.
    pub ticket: &'a [u8],
}

impl<'a> Response<'a> {
    /// Decodes a RESPONSE body, failing in the C server's order:
    /// `Truncated` (fixed part), `BadRxkadVersion`, `BadTicketLen`,
    /// `BadKvno`, `Truncated` (ticket).
    pub fn decode(body: &'a [u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(body);
        let version = r.u32()?;
        r.u32()?;
        let encrypted = r.bytes()?;
        let kvno = r.u32()?;
        let ticket_len = r.u32()?;
        check_version(version)?;
        let len = check_ticket(ticket_len, kvno)?;
        Ok(Response {
            encrypted,
            kvno,
            ticket: r.take(len)?,
        })
    }

    /// Writes the body and ticket into `out`; returns the length written.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, WireError> {
        let ticket_len = u32::try_from(self.ticket.len()).unwrap_or(u32::MAX);
        check_ticket(ticket_len, self.kvno)?;
        let mut w = Writer::new(out);
        w.u32(VERSION)?;
        w.u32(0)?;
        w.put(&self.encrypted)?;
        w.u32(self.kvno)?;
        w.u32(ticket_len)?;
        w.put(self.ticket)?;
        Ok(w.written())
    }
}

/// Checks the ticket length and key version as the C server does.
fn check_ticket(ticket_len: u32, kvno: u32) -> Result<usize, WireError> {
    let len = usize::try_from(ticket_len).map_err(|_| WireError::BadTicketLen(ticket_len))?;
    if !(MIN_TICKET_LEN..=MAX_TICKET_LEN).contains(&len) {
        return Err(WireError::BadTicketLen(ticket_len));
    }
    if kvno >= KVNO_KERBEROS_V5 {
        return Err(WireError::BadKvno(kvno));
    }
    Ok(len)
}

/// The plaintext of [`Response::encrypted`], all BE32.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct ResponseSecret {
    /// Connection epoch.
    pub epoch: u32,
    /// Connection id (channel bits clear).
    pub cid: u32,
    /// Checksum over the whole plaintext response, computed with this
    /// field zero.
    pub checksum: u32,
    /// Security index, as a u32.
    pub security_index: u32,
    /// Current call number on each of the four channels.
    pub call_id: [u32; 4],
    /// The challenge nonce plus one.
    pub inc_nonce: u32,
    /// Security level the client wants.
    pub level: u32,
}

impl ResponseSecret {
    /// Decodes the decrypted secret. Cannot fail: every field is a u32.
    pub fn decode(bytes: &[u8; SECRET_LEN]) -> Self {
        let mut words = [0u32; SECRET_LEN / 4];
        for (i, word) in words.iter_mut().enumerate() {
            let b = i * 4;
            *word = u32::from_be_bytes([bytes[b], bytes[b + 1], bytes[b + 2], bytes[b + 3]]);
        }
        let [epoch, cid, checksum, security_index, c0, c1, c2, c3, inc_nonce, level] = words;
        ResponseSecret {
            epoch,
            cid,
            checksum,
            security_index,
            call_id: [c0, c1, c2, c3],
            inc_nonce,
            level,
        }
    }

    /// Encodes the secret, ready to be encrypted.
    pub fn encode(&self) -> [u8; SECRET_LEN] {
        let [c0, c1, c2, c3] = self.call_id;
        let words = [
            self.epoch,
            self.cid,
            self.checksum,
            self.security_index,
            c0,
            c1,
            c2,
            c3,
            self.inc_nonce,
            self.level,
        ];
        let mut out = [0u8; SECRET_LEN];
        for (i, word) in words.iter().enumerate() {
            out[i * 4..i * 4 + 4].copy_from_slice(&word.to_be_bytes());
        }
        out
    }
}
