//! Host ciphers for rxkad and a host for the rxkad class in tests and the
//! simulator.
//!
//! [`Fcrypt`] is the engine's fcrypt (`proto/rxkad/fcrypt.rs`, which the
//! module uses too; crypto/fcrypt.c is the reference it is tested against
//! through known answers, and [`pcbc`] the one for its PCBC); DES is the
//! RustCrypto `des` crate; [`pcbc`] chains either. [`HostCipher`] is the
//! [`rxkad::Cipher`] (tickets' DES-PCBC) as the kernel module's
//! `pcbc(des)`, and [`TestHost`] adds keys, nonces and a settable clock.
#![forbid(unsafe_code)]

pub mod pcbc;

use des::cipher::{BlockDecrypt, BlockEncrypt, KeyInit};
use rxrpc_proto::rxkad::{
    self, ticket, ClientToken, CryptoError, KeyError, Keys, Random, WallClock,
};

pub use rxkad::Fcrypt;

impl pcbc::Block8 for Fcrypt {
    fn enc(&self, b: &mut [u8; 8]) {
        self.encrypt_block(b);
    }
    fn dec(&self, b: &mut [u8; 8]) {
        self.decrypt_block(b);
    }
}

/// Single DES with an 8-byte key (parity bits ignored).
pub struct Des(des::Des);

impl Des {
    /// DES keyed with `key`.
    pub fn new(key: &[u8; 8]) -> Self {
        Des(des::Des::new(key.into()))
    }
}

impl pcbc::Block8 for Des {
    fn enc(&self, b: &mut [u8; 8]) {
        self.0.encrypt_block(b.into());
    }
    fn dec(&self, b: &mut [u8; 8]) {
        self.0.decrypt_block(b.into());
    }
}

/// DES-PCBC in Rust for tickets, as the module's `pcbc(des)`.
#[derive(Clone, Copy, Debug, Default)]
pub struct HostCipher;

impl rxkad::Cipher for HostCipher {
    fn decrypt_ticket(
        &mut self,
        key: &[u8; 8],
        iv: &[u8; 8],
        data: &mut [u8],
    ) -> Result<(), CryptoError> {
        pcbc::decrypt(&Des::new(key), iv, data).map_err(|_| CryptoError)
    }
}

/// Seal a ticket's plaintext with a server key as a kaserver does:
/// DES-PCBC with the key as IV. Returns the length.
pub fn seal_ticket(t: &ticket::Ticket<'_>, server_key: &[u8; 8], out: &mut [u8]) -> usize {
    let n = ticket::encode(t, out).expect("ticket fits");
    pcbc::encrypt(&Des::new(server_key), server_key, &mut out[..n]).expect("whole blocks");
    n
}

/// A client's token: what `keyctl` would hold in an `rxrpc` key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostToken {
    /// Session key, kvno and expiry.
    pub token: ClientToken,
    /// The sealed ticket.
    pub ticket: Vec<u8>,
}

impl HostToken {
    /// A token with a fresh ticket for `session_key`, issued at `issue`
    /// for `life` seconds, sealed with `server_key`.
    pub fn mint(
        session_key: [u8; 8],
        server_key: &[u8; 8],
        kvno: u32,
        issue: i64,
        life: i64,
    ) -> Self {
        let t = ticket::Ticket {
            name: b"alice",
            instance: b"",
            realm: b"RXRPC.TEST",
            addr: [10, 0, 0, 1],
            session_key,
            issue,
            life,
            service: b"afs",
            service_instance: b"",
        };
        let mut buf = [0u8; 256];
        let n = seal_ticket(&t, server_key, &mut buf);
        HostToken {
            token: ClientToken {
                session_key,
                kvno,
                expiry: issue + life,
            },
            ticket: buf[..n].to_vec(),
        }
    }
}

/// A server secret, as an `rxrpc_s` key `"<service>:2"` holds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServerKey {
    /// The keyring tag it is found under.
    pub keyring: u64,
    /// Service id.
    pub service: u16,
    /// Key version; `None` matches any, as the C module's search does.
    pub kvno: Option<u32>,
    /// The DES key.
    pub key: [u8; 8],
}

/// Everything the rxkad class asks of its caller, in memory: client tokens
/// by key tag, server keys by (keyring, service, kvno or any), a nonce
/// counter and a clock the test sets.
#[derive(Clone, Debug, Default)]
pub struct TestHost {
    /// The cipher.
    pub cipher: HostCipher,
    /// Client tokens by key tag.
    pub tokens: Vec<(u64, HostToken)>,
    /// Server keys.
    pub server_keys: Vec<ServerKey>,
    /// Server keys that are there but expired.
    pub expired_server_keys: bool,
    /// Next nonce.
    pub next_nonce: u32,
    /// Wall-clock seconds.
    pub now: i64,
    /// Act as a vector unit's fcrypt would (block by block here, checking
    /// what it is given), so that the engine lays out level 2 packets
    /// and seals them many at once.
    pub lanes: bool,
}

impl TestHost {
    /// A host at wall-clock time `now` with nothing in it.
    pub fn at(now: i64) -> Self {
        TestHost {
            next_nonce: 0x1234_5678,
            now,
            ..Default::default()
        }
    }

    fn token(&self, key: u64) -> Result<&HostToken, KeyError> {
        self.tokens
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, t)| t)
            .ok_or(KeyError::NoKey)
    }
}

impl rxkad::Cipher for TestHost {
    fn decrypt_ticket(
        &mut self,
        key: &[u8; 8],
        iv: &[u8; 8],
        data: &mut [u8],
    ) -> Result<(), CryptoError> {
        self.cipher.decrypt_ticket(key, iv, data)
    }

    fn fcrypt_lanes(&self) -> bool {
        self.lanes
    }

    fn fcrypt_encrypt_lanes(&mut self, key: &Fcrypt, iv: &[u8; 8], bufs: &mut [&mut [u8]]) -> bool {
        if !self.lanes {
            return false;
        }
        let len = bufs[0].len();
        assert!(
            (2..=rxkad::LANES).contains(&bufs.len()),
            "{} lanes",
            bufs.len()
        );
        assert!(bufs.iter().all(|b| b.len() == len && len % 8 == 0));
        for b in bufs.iter_mut() {
            key.encrypt(iv, b).expect("whole blocks");
        }
        true
    }

    fn fcrypt_decrypt_ecb(&mut self, key: &Fcrypt, input: &[u8], out: &mut [u8]) -> bool {
        if !self.lanes {
            return false;
        }
        assert!(input.len() == out.len() && input.len() % 8 == 0);
        for (c, p) in input.chunks_exact(8).zip(out.chunks_exact_mut(8)) {
            let mut b: [u8; 8] = c.try_into().expect("a block");
            key.decrypt_block(&mut b);
            p.copy_from_slice(&b);
        }
        true
    }
}

impl Keys for TestHost {
    fn client_token(&mut self, key: u64) -> Result<ClientToken, KeyError> {
        self.token(key).map(|t| t.token)
    }

    fn client_ticket(&mut self, key: u64, out: &mut [u8]) -> Result<usize, KeyError> {
        let t = self.token(key)?;
        let dst = out.get_mut(..t.ticket.len()).ok_or(KeyError::Rejected)?;
        dst.copy_from_slice(&t.ticket);
        Ok(t.ticket.len())
    }

    fn server_key(
        &mut self,
        keyring: u64,
        service_id: u16,
        kvno: u32,
    ) -> Result<[u8; 8], KeyError> {
        let key = self
            .server_keys
            .iter()
            .find(|k| {
                k.keyring == keyring
                    && k.service == service_id
                    && k.kvno.map_or(true, |v| v == kvno)
            })
            .map(|k| k.key)
            .ok_or(KeyError::NoKey)?;
        if self.expired_server_keys {
            return Err(KeyError::Expired);
        }
        Ok(key)
    }
}

impl Random for TestHost {
    fn nonce(&mut self) -> u32 {
        let n = self.next_nonce;
        self.next_nonce = n.wrapping_mul(0x0101_0101).wrapping_add(0x9e37_79b9);
        n
    }
}

impl WallClock for TestHost {
    fn real_seconds(&self) -> i64 {
        self.now
    }
}
