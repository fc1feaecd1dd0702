//! The security hook: what a security class (rxkad, ...) plugs into.
//!
//! The engine knows nothing about keys or ciphers. It hands each DATA
//! payload to [`Security::secure`] on the way out and to
//! [`Security::verify`] on the way in, and drives the CHALLENGE/RESPONSE
//! exchange on connections whose security index is not zero. Received bytes
//! are passed read-only and the result is written into a buffer the engine
//! owns: nothing is ever decrypted in place (CVE-2026-43500).

use super::rxbuf::Head;
use super::wire::HEADER_LEN;

/// Connection identity a security class binds its checksums and tokens to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConnIdent {
    /// Connection epoch.
    pub epoch: u32,
    /// Connection id (channel bits clear).
    pub cid: u32,
    /// Service id of the connection.
    pub service_id: u16,
    /// Security index.
    pub index: u8,
    /// Security level asked for (client) or required minimum (server).
    pub level: u32,
    /// The caller's tag for the key (client) or keyring (server).
    pub key: u64,
}

/// Per-packet inputs to the packet checksum.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PacketIdent {
    /// Full cid including the channel.
    pub cid: u32,
    /// Call number.
    pub call_number: u32,
    /// DATA sequence number.
    pub seq: u32,
}

/// A security class. Errors are RxRPC abort codes (e.g. RXKADSEALEDINCON).
pub trait Security {
    /// What the class keeps per connection (session key, nonce, ...).
    type Conn;

    /// Set up a connection's state: a client connection about to send its
    /// first packet, or a service connection created by a first DATA.
    fn new_conn(&mut self, client: bool, id: &ConnIdent) -> Result<Self::Conn, u32>;

    /// The largest plaintext that fits, secured, in `space` payload bytes.
    fn max_plain(&self, index: u8, level: u32, space: usize) -> usize;

    /// The level a connection's packets are secured at, once known (a
    /// service connection's, from its RESPONSE).
    fn conn_level(&self, _conn: &Self::Conn) -> Option<u32> {
        None
    }

    /// Secure `plain` into `out`, or say that it goes out unchanged, in
    /// whole or past a sealed head (then that part of `out` is not
    /// written: the engine sends it from `plain` itself, which spares a
    /// copy).
    fn secure(
        &mut self,
        conn: &Self::Conn,
        pkt: &PacketIdent,
        plain: &[u8],
        out: &mut [u8],
    ) -> Result<Sealed, u32>;

    /// Seal in place payloads [`Security::secure`] laid out
    /// ([`Sealed::Laid`]) for a burst of `conn`'s datagrams, many at once
    /// (up to 16, in the order they go): a class that lays none out is
    /// never asked.
    fn seal_laid(&mut self, _conn: &Self::Conn, _bodies: &mut [&mut [u8]]) -> Result<(), u32> {
        Err(super::wire::RX_PROTOCOL_ERROR)
    }

    /// Check a received DATA payload (read-only) at a level that leaves
    /// it readable where it lies, a header checksum or a sealed first
    /// block at most: `Ok(Some(..))` says where its plaintext is, which
    /// the engine then delivers from the received packet (kept rather
    /// than copied); `Ok(None)` if the level seals it, for
    /// [`Security::verify`] to check and unseal (so that a sealed packet
    /// is not checked twice).
    fn verify_clear(
        &mut self,
        _conn: &Self::Conn,
        _pkt: &PacketIdent,
        _cksum: u16,
        _input: &[u8],
    ) -> Result<Option<Clear>, u32> {
        Ok(None)
    }

    /// Check and unseal `input` (read-only) into `out`; return the
    /// plaintext length (at most `input.len()`). The engine asks for
    /// payloads that [`Security::verify_clear`] found sealed, and for
    /// clear ones it could not keep where they lie (then this copies).
    fn verify(
        &mut self,
        conn: &Self::Conn,
        pkt: &PacketIdent,
        cksum: u16,
        input: &[u8],
        out: &mut [u8],
    ) -> Result<usize, u32>;

    /// Server: write a CHALLENGE body into `out`.
    fn issue_challenge(&mut self, conn: &mut Self::Conn, out: &mut [u8]) -> Result<usize, u32>;

    /// Client: answer a CHALLENGE body with a RESPONSE body in `out`.
    /// `calls` holds the channels' current call numbers.
    fn respond(
        &mut self,
        conn: &mut Self::Conn,
        challenge: &[u8],
        calls: [u32; 4],
        out: &mut [u8],
    ) -> Result<usize, u32>;

    /// Server: check a RESPONSE body; `Ok` secures the connection.
    /// `calls` holds the channels' call numbers and `busy` whether a call
    /// is on each (a RESPONSE may not move a busy channel on); `scratch`, at
    /// least `response.len()` bytes, is the class's to decrypt into.
    fn verify_response(
        &mut self,
        conn: &mut Self::Conn,
        response: &[u8],
        calls: [u32; 4],
        busy: [bool; 4],
        scratch: &mut [u8],
    ) -> Result<(), u32>;

    /// Server: the channels' call numbers that a verified RESPONSE gave.
    /// Idle channels move on to them, as in C, so that a call numbered
    /// before them is taken for an old one.
    fn response_calls(&self, _conn: &Self::Conn) -> Option<[u32; 4]> {
        None
    }
}

/// The level [`Security::max_plain`] is asked about for a service call,
/// whose level only its connection's RESPONSE tells: answer for the
/// costliest level.
pub const LEVEL_NOT_KNOWN: u32 = u32::MAX;

/// Where the plaintext of a received payload lies, at a level that leaves
/// it readable (see [`Security::verify_clear`]): `head` (unsealed from the
/// payload's first block; at most 4 bytes), then the payload from `from`
/// on, `len` bytes in all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Clear {
    head: Head,
    from: usize,
    len: usize,
}

impl Clear {
    /// The whole payload is its plaintext.
    pub fn whole(input: &[u8]) -> Self {
        Clear {
            head: Head::default(),
            from: 0,
            len: input.len(),
        }
    }

    /// `len` bytes: the first of them (up to 4) from `head`, the rest from
    /// `from` on; `None` if the payload of `input_len` bytes is too short.
    pub fn split(head: [u8; 4], from: usize, len: usize, input_len: usize) -> Option<Self> {
        let head = Head::new(&head[..len.min(head.len())]);
        let end = from.checked_add(len - head.as_slice().len())?;
        (end <= input_len).then_some(Clear { head, from, len })
    }

    /// The bytes that precede the rest.
    pub(crate) fn head(&self) -> Head {
        self.head
    }

    /// Where the rest lies in the payload.
    pub(crate) fn rest(&self) -> core::ops::Range<usize> {
        self.from..self.from + (self.len - self.head.as_slice().len())
    }

    /// Copy the plaintext of `input` into `out`; its length.
    pub fn copy(&self, input: &[u8], out: &mut [u8]) -> Result<usize, u32> {
        let (head, rest) = (self.head.as_slice(), input.get(self.rest()));
        let dst = out.get_mut(..self.len);
        let (Some(rest), Some(dst)) = (rest, dst) else {
            return Err(super::wire::RX_PROTOCOL_ERROR);
        };
        let (a, b) = dst.split_at_mut(head.len());
        a.copy_from_slice(head);
        b.copy_from_slice(rest);
        Ok(self.len)
    }
}

/// What [`Security::secure`] made of a DATA payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sealed {
    /// The plaintext as it is, with this header checksum.
    Plain(u16),
    /// Sealed into `out`: its length and the header checksum.
    Into(usize, u16),
    /// Laid out in `out` as plaintext, as long as given here (with the
    /// header checksum), for [`Security::seal_laid`] to seal in place with
    /// the other packets of its burst before any goes.
    Laid(usize, u16),
    /// Sealed into `out` but for a stretch of the plaintext that goes as
    /// it is (not written into `out`: the engine sends it from its queue).
    Around {
        /// The secured payload's length.
        len: usize,
        /// The header checksum.
        cksum: u16,
        /// Where the stretch goes in `out`.
        at: usize,
        /// Where it starts in the plaintext (it runs to the end).
        from: usize,
    },
}

impl Sealed {
    /// Write into `out` what the class left of `plain` for the sender to
    /// send from its queue, as a copying sender does; the payload's
    /// length and header checksum. `None` for [`Sealed::Laid`], which
    /// only the class seals.
    pub fn complete(self, plain: &[u8], out: &mut [u8]) -> Option<(usize, u16)> {
        match self {
            Sealed::Laid(..) => None,
            Sealed::Plain(cksum) => {
                out.get_mut(..plain.len())?.copy_from_slice(plain);
                Some((plain.len(), cksum))
            }
            Sealed::Into(n, cksum) => Some((n, cksum)),
            Sealed::Around {
                len,
                cksum,
                at,
                from,
            } => {
                let rest = plain.get(from..)?;
                out.get_mut(at..at + rest.len())?.copy_from_slice(rest);
                Some((len, cksum))
            }
        }
    }
}

/// Security index 0: no checksum, no encryption, no challenge.
#[derive(Clone, Copy, Debug, Default)]
pub struct NullSecurity;

impl Security for NullSecurity {
    type Conn = ();

    fn new_conn(&mut self, _client: bool, id: &ConnIdent) -> Result<(), u32> {
        if id.index == 0 {
            Ok(())
        } else {
            Err(super::wire::RX_INVALID_OPERATION)
        }
    }

    fn max_plain(&self, _index: u8, _level: u32, space: usize) -> usize {
        space
    }

    fn secure(
        &mut self,
        _conn: &(),
        _pkt: &PacketIdent,
        _plain: &[u8],
        _out: &mut [u8],
    ) -> Result<Sealed, u32> {
        Ok(Sealed::Plain(0))
    }

    fn verify_clear(
        &mut self,
        _conn: &(),
        _pkt: &PacketIdent,
        _cksum: u16,
        input: &[u8],
    ) -> Result<Option<Clear>, u32> {
        Ok(Some(Clear::whole(input)))
    }

    fn verify(
        &mut self,
        _conn: &(),
        _pkt: &PacketIdent,
        _cksum: u16,
        input: &[u8],
        out: &mut [u8],
    ) -> Result<usize, u32> {
        Clear::whole(input).copy(input, out)
    }

    fn issue_challenge(&mut self, _conn: &mut (), _out: &mut [u8]) -> Result<usize, u32> {
        Err(super::wire::RX_INVALID_OPERATION)
    }

    fn respond(
        &mut self,
        _conn: &mut (),
        _challenge: &[u8],
        _calls: [u32; 4],
        _out: &mut [u8],
    ) -> Result<usize, u32> {
        Err(super::wire::RX_INVALID_OPERATION)
    }

    fn verify_response(
        &mut self,
        _conn: &mut (),
        _response: &[u8],
        _calls: [u32; 4],
        _busy: [bool; 4],
        _scratch: &mut [u8],
    ) -> Result<(), u32> {
        Err(super::wire::RX_INVALID_OPERATION)
    }
}

/// Largest DATA payload on the wire before jumbo packets: 1412 bytes.
pub const WIRE_PAYLOAD: usize = 1440 - HEADER_LEN;
