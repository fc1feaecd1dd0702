//! rxkad (security index 2): Kerberos 4 tickets and fcrypt session keys.
//!
//! The protocol half of the C module's `net/rxrpc/rxkad.c`, with no cipher,
//! key, clock or randomness of its own: the caller supplies them through
//! [`Cipher`], [`Keys`], [`Random`] and [`WallClock`] (the kernel module
//! with the crypto API and keyrings, the host crates in plain Rust).
//! [`Rxkad`] also serves index 0 as [`super::NullSecurity`] does, so one
//! endpoint can carry both.

mod client;
mod fcrypt;
mod packet;
mod sboxes;
mod server;
pub mod ticket;

use super::security::{Clear, ConnIdent, PacketIdent, Sealed, Security, LEVEL_NOT_KNOWN};
use super::wire::{RXKADEXPIRED, RXKADNOAUTH, RXKADUNKNOWNKEY, RX_INVALID_OPERATION};

pub use client::response_checksum;
pub use fcrypt::Fcrypt;
pub use packet::{checksum, csum_iv};

/// The keyring tag of a service that has none.
pub const NO_KEYRING: u64 = 0;

/// Security index of rxkad.
pub const INDEX: u8 = 2;
/// Level 0: a checksum in the header only.
pub const LEVEL_PLAIN: u32 = 0;
/// Level 1: the length and a check word encrypted in front of the data.
pub const LEVEL_AUTH: u32 = 1;
/// Level 2: the whole payload encrypted.
pub const LEVEL_ENCRYPT: u32 = 2;
/// Secured payloads are padded to this (RXKAD_ALIGN).
pub const ALIGN: usize = 8;

/// A cipher operation failed (bad lengths; the kernel crypto API, which
/// decrypts tickets, can fail too).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CryptoError;

/// Most packets [`Cipher::fcrypt_encrypt_lanes`] is given at once.
pub const LANES: usize = 8;

/// The cipher rxkad leaves to the caller: DES-PCBC for tickets (the
/// kernel's `pcbc(des)`), and a vector unit's [`Fcrypt`] if it has one.
/// Packets and RESPONSEs use [`Fcrypt`] otherwise.
pub trait Cipher {
    /// DES-PCBC decrypt a ticket in place with a server key.
    fn decrypt_ticket(
        &mut self,
        key: &[u8; 8],
        iv: &[u8; 8],
        data: &mut [u8],
    ) -> Result<(), CryptoError>;

    /// Whether [`Cipher::fcrypt_encrypt_lanes`] may take many packets at
    /// once: then a burst's level 2 packets are laid out as plaintext and
    /// sealed together ([`super::security::Sealed::Laid`]).
    fn fcrypt_lanes(&self) -> bool {
        false
    }

    /// fcrypt-PCBC-encrypt each of `bufs` in place from `iv` with `key`:
    /// 2 to [`LANES`] buffers, all as long, of whole blocks. False, with
    /// them untouched, if it cannot here and now ([`Fcrypt`] then seals
    /// them one by one): PCBC chains a packet's blocks, so only a vector
    /// unit with packets side by side speeds it up.
    fn fcrypt_encrypt_lanes(
        &mut self,
        _key: &Fcrypt,
        _iv: &[u8; 8],
        _bufs: &mut [&mut [u8]],
    ) -> bool {
        false
    }

    /// fcrypt-ECB-decrypt `input` into `out` (as long, whole blocks) with
    /// `key`. False, with `out` untouched, if it cannot here and now
    /// ([`Fcrypt`] then does it).
    fn fcrypt_decrypt_ecb(&mut self, _key: &Fcrypt, _input: &[u8], _out: &mut [u8]) -> bool {
        false
    }
}

/// Why a key was not found or not usable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyError {
    /// No such key (ENOKEY).
    NoKey,
    /// The key has expired (EKEYEXPIRED).
    Expired,
    /// Any other refusal (revoked, wrong type, ...).
    Rejected,
}

/// What a client connection needs of its key's rxkad token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientToken {
    /// Session key shared with the server through the ticket.
    pub session_key: [u8; 8],
    /// Key version number of the ticket.
    pub kvno: u32,
    /// Expiry, wall-clock seconds (0: never).
    pub expiry: i64,
}

/// Keys, looked up by the tags the engine passes in [`ConnIdent::key`].
pub trait Keys {
    /// The rxkad token of client key `key`.
    fn client_token(&mut self, key: u64) -> Result<ClientToken, KeyError>;
    /// Write the ticket of client key `key` into `out`; return its length.
    fn client_ticket(&mut self, key: u64, out: &mut [u8]) -> Result<usize, KeyError>;
    /// The 8-byte server secret for `service_id` from keyring `keyring`
    /// (the module: an `rxrpc_s` key `"<service>:2"`). `kvno` is the one
    /// the RESPONSE names, 0 if it is too short to; the C module ignores it.
    fn server_key(&mut self, keyring: u64, service_id: u16, kvno: u32)
        -> Result<[u8; 8], KeyError>;
}

/// Randomness for challenge nonces.
pub trait Random {
    /// A random nonce.
    fn nonce(&mut self) -> u32;
}

/// Wall-clock time, which tickets are dated in (the engine has only
/// monotonic time).
pub trait WallClock {
    /// Seconds since 1970 (ktime_get_real_seconds).
    fn real_seconds(&self) -> i64;
}

/// A session key in use: its fcrypt schedule, the key (also the IV of
/// most operations) and the checksum IV derived from the connection.
pub struct Secured {
    pub(crate) session: Fcrypt,
    pub(crate) key: [u8; 8],
    pub(crate) csum_iv: [u8; 8],
    pub(crate) level: u32,
}

/// A service connection before and after its RESPONSE.
pub struct ServerConn {
    pub(crate) ident: ConnIdent,
    /// The nonce of our CHALLENGEs: one per connection, so that answers to
    /// repeated challenges all match.
    pub(crate) nonce: Option<u32>,
    pub(crate) secured: Option<Secured>,
    /// When the ticket runs out, wall-clock seconds.
    pub(crate) expiry: i64,
    /// The channels' call numbers in the verified RESPONSE.
    pub(crate) calls: Option<[u32; 4]>,
}

/// What rxkad keeps per connection.
pub enum RxkadConn {
    /// Security index 0.
    Null,
    /// Our client connection and its key tag.
    Client(Secured, ConnIdent),
    /// A service connection.
    Server(ServerConn),
}

impl RxkadConn {
    /// The level packets are secured at, once known.
    pub fn level(&self) -> Option<u32> {
        self.secured().map(|s| s.level)
    }

    fn secured(&self) -> Option<&Secured> {
        match self {
            RxkadConn::Null => None,
            RxkadConn::Client(s, _) => Some(s),
            RxkadConn::Server(s) => s.secured.as_ref(),
        }
    }
}

/// The rxkad security class over the caller's providers `H`.
pub struct Rxkad<H> {
    /// Cipher, keys, randomness and clock.
    pub host: H,
}

impl<H> Rxkad<H> {
    /// A class using `host`.
    pub fn new(host: H) -> Self {
        Rxkad { host }
    }
}

/// The abort code for a key refusal, as C's `rxrpc_look_up_server_security`
/// callers map ENOKEY, EKEYEXPIRED and the rest.
fn server_key_abort(e: KeyError) -> u32 {
    match e {
        KeyError::NoKey => RXKADUNKNOWNKEY,
        KeyError::Expired => RXKADEXPIRED,
        KeyError::Rejected => RXKADNOAUTH,
    }
}

/// The plaintext that fits, secured at `level`, in `space` bytes. Level 2
/// pads to [`ALIGN`] after an 8-byte header, as it seals every block.
/// Level 1 seals only the first block and pads only up to it, as
/// OpenAFS's `rxkad_PreparePacket` does (C's `rxkad_alloc_txbuf` pads
/// to [`ALIGN`] there too; both take either): a full packet then has
/// 1,408 bytes of data after its 4-byte header, the 1,412 of a jumbo
/// subpacket, where C's 1,404 padded to 1,408 never go in a jumbo.
pub fn max_plain(level: u32, space: usize) -> usize {
    match level {
        LEVEL_PLAIN => space,
        LEVEL_AUTH if space >= ALIGN => space - 4,
        LEVEL_AUTH => 0,
        LEVEL_ENCRYPT | LEVEL_NOT_KNOWN => (space / ALIGN * ALIGN).saturating_sub(8),
        _ => 0,
    }
}

impl<H: Cipher + Keys + Random + WallClock> Security for Rxkad<H> {
    type Conn = RxkadConn;

    fn new_conn(&mut self, client: bool, id: &ConnIdent) -> Result<Self::Conn, u32> {
        match id.index {
            0 => Ok(RxkadConn::Null),
            INDEX if client => client::new_conn(&mut self.host, id),
            // A service with no keyring cannot check any RESPONSE: turn the
            // call away before it exists.
            INDEX if id.key == NO_KEYRING => Err(RXKADUNKNOWNKEY),
            INDEX => Ok(RxkadConn::Server(ServerConn {
                ident: *id,
                nonce: None,
                secured: None,
                expiry: 0,
                calls: None,
            })),
            _ => Err(RX_INVALID_OPERATION),
        }
    }

    fn max_plain(&self, index: u8, level: u32, space: usize) -> usize {
        match index {
            0 => space,
            INDEX => max_plain(level, space),
            _ => 0,
        }
    }

    fn conn_level(&self, conn: &Self::Conn) -> Option<u32> {
        conn.level()
    }

    fn secure(
        &mut self,
        conn: &Self::Conn,
        pkt: &PacketIdent,
        plain: &[u8],
        out: &mut [u8],
    ) -> Result<Sealed, u32> {
        match conn {
            RxkadConn::Null => super::NullSecurity.secure(&(), pkt, plain, out),
            _ => {
                let s = conn.secured().ok_or(RX_INVALID_OPERATION)?;
                packet::secure(s, pkt, plain, out, self.host.fcrypt_lanes())
            }
        }
    }

    fn seal_laid(&mut self, conn: &Self::Conn, bodies: &mut [&mut [u8]]) -> Result<(), u32> {
        let s = conn.secured().ok_or(RX_INVALID_OPERATION)?;
        packet::seal_laid(&mut self.host, s, bodies)
    }

    fn verify_clear(
        &mut self,
        conn: &Self::Conn,
        pkt: &PacketIdent,
        cksum: u16,
        input: &[u8],
    ) -> Result<Option<Clear>, u32> {
        match conn {
            RxkadConn::Null => super::NullSecurity.verify_clear(&(), pkt, cksum, input),
            _ => {
                let s = conn.secured().ok_or(RX_INVALID_OPERATION)?;
                packet::verify_clear(s, pkt, cksum, input)
            }
        }
    }

    fn verify(
        &mut self,
        conn: &Self::Conn,
        pkt: &PacketIdent,
        cksum: u16,
        input: &[u8],
        out: &mut [u8],
    ) -> Result<usize, u32> {
        match conn {
            RxkadConn::Null => super::NullSecurity.verify(&(), pkt, cksum, input, out),
            _ => {
                let s = conn.secured().ok_or(RX_INVALID_OPERATION)?;
                packet::verify(&mut self.host, s, pkt, cksum, input, out)
            }
        }
    }

    fn issue_challenge(&mut self, conn: &mut Self::Conn, out: &mut [u8]) -> Result<usize, u32> {
        match conn {
            RxkadConn::Server(s) => server::issue_challenge(&mut self.host, s, out),
            _ => Err(RX_INVALID_OPERATION),
        }
    }

    fn respond(
        &mut self,
        conn: &mut Self::Conn,
        challenge: &[u8],
        calls: [u32; 4],
        out: &mut [u8],
    ) -> Result<usize, u32> {
        match conn {
            RxkadConn::Client(s, id) => {
                client::respond(&mut self.host, s, id, challenge, calls, out)
            }
            _ => Err(RX_INVALID_OPERATION),
        }
    }

    fn verify_response(
        &mut self,
        conn: &mut Self::Conn,
        response: &[u8],
        calls: [u32; 4],
        busy: [bool; 4],
        scratch: &mut [u8],
    ) -> Result<(), u32> {
        match conn {
            RxkadConn::Server(s) => {
                server::verify_response(&mut self.host, s, response, calls, busy, scratch)
            }
            _ => Err(RX_INVALID_OPERATION),
        }
    }

    fn response_calls(&self, conn: &Self::Conn) -> Option<[u32; 4]> {
        match conn {
            RxkadConn::Server(s) => s.calls,
            _ => None,
        }
    }
}
