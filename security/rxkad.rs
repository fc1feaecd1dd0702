//! rxkad in the module: the kernel's keys, ticket cipher, randomness and
//! clock behind the engine's rxkad class (`proto::rxkad`), whose own
//! fcrypt secures the packets.
//!
//! The engine names keys by tags; this keeps the keys those tags stand
//! for: client keys (their first rxkad token) and service keyrings, each
//! held for as long as the endpoint lives.

use kernel::prelude::*;
use kernel::rbtree::{RBTree, RBTreeNodeReservation};

use super::key::{ClientKey, RxrpcKey, RxrpcServerKey};
use kernel::fmt;
use kernel::str::CString;

use crate::kapi::crypto::{fcrypt_simd, SkCipher};
use crate::kapi::errno::{EKEYEXPIRED, ENOBUFS, ENOKEY};
use crate::kapi::key_type::{Key, Keyring};
use crate::kapi::{random_u32, real_seconds};
use crate::proto::rxkad::{
    Cipher, ClientToken, CryptoError, Fcrypt, KeyError, Keys, Random, Rxkad, WallClock,
};

/// The engine's security class in the module.
pub(crate) type KernelRxkad = Rxkad<KernelHost>;

/// Most keys and keyrings an endpoint holds for its calls.
const MAX_KEYS: usize = 256;

/// The kernel's side of rxkad for one local endpoint.
pub(crate) struct KernelHost {
    /// Client keys by tag.
    clients: RBTree<u64, Key<RxrpcKey>>,
    /// Service keyrings by tag.
    keyrings: RBTree<u64, Keyring>,
    next_tag: u64,
}

impl KernelHost {
    /// No keys yet.
    pub(crate) fn new() -> KernelRxkad {
        Rxkad::new(Self {
            clients: RBTree::new(),
            keyrings: RBTree::new(),
            next_tag: 1,
        })
    }

    /// The tag of client key `key`, the same for the same key, so that
    /// calls with equal keys share connections.
    pub(crate) fn client_tag(&mut self, key: &Key<RxrpcKey>) -> Result<u64> {
        tag_of(&mut self.clients, &mut self.next_tag, key, Key::id)
    }

    /// The tag of service keyring `keyring`.
    pub(crate) fn keyring_tag(&mut self, keyring: &Keyring) -> Result<u64> {
        tag_of(&mut self.keyrings, &mut self.next_tag, keyring, Keyring::id)
    }

    /// Whether client key `tag` may still secure data (C checks it for
    /// each packet it secures): not once it is revoked or expired.
    pub(crate) fn validate_client(&self, tag: u64) -> Result {
        self.clients.get(&tag).map_or(Ok(()), Key::validate)
    }

    /// The serial of client key `tag` (0: none), for /proc.
    pub(crate) fn client_serial(&self, tag: u64) -> i32 {
        self.clients.get(&tag).map_or(0, Key::serial)
    }

    /// The first rxkad token of client key `tag`.
    fn token(&self, tag: u64) -> Result<&ClientKey, KeyError> {
        let key = self.clients.get(&tag).ok_or(KeyError::NoKey)?;
        key.payload().ok_or(KeyError::Rejected)
    }
}

/// The tag under which `table` holds a reference to the key `key` (by
/// identity `id`), taking one under a new tag if it holds none.
fn tag_of<K: Clone>(
    table: &mut RBTree<u64, K>,
    next: &mut u64,
    key: &K,
    id: fn(&K) -> usize,
) -> Result<u64> {
    if let Some((&tag, _)) = table.iter().find(|(_, k)| id(k) == id(key)) {
        return Ok(tag);
    }
    if table.iter().count() >= MAX_KEYS {
        return Err(ENOBUFS.into());
    }
    let node = RBTreeNodeReservation::new(GFP_KERNEL)?;
    let tag = *next;
    *next += 1;
    table.insert(node.into_node(tag, key.clone()));
    Ok(tag)
}

impl Cipher for KernelHost {
    fn decrypt_ticket(
        &mut self,
        key: &[u8; 8],
        iv: &[u8; 8],
        data: &mut [u8],
    ) -> Result<(), CryptoError> {
        let des = SkCipher::new(c"pcbc(des)", key).map_err(|_| CryptoError)?;
        des.decrypt(iv, data).map_err(|_| CryptoError)
    }

    fn fcrypt_lanes(&self) -> bool {
        fcrypt_simd::enabled()
    }

    fn fcrypt_encrypt_lanes(&mut self, key: &Fcrypt, iv: &[u8; 8], bufs: &mut [&mut [u8]]) -> bool {
        fcrypt_simd::encrypt_lanes(key.schedule(), Fcrypt::tables(), iv, bufs)
    }

    fn fcrypt_decrypt_ecb(&mut self, key: &Fcrypt, input: &[u8], out: &mut [u8]) -> bool {
        fcrypt_simd::decrypt(key.schedule(), Fcrypt::tables(), input, out)
    }
}

/// Seal and unseal packets with fcrypt on the CPU's vector unit if it has
/// one (AVX2) and it gives what [`Fcrypt`] gives, as the crypto API tests
/// an implementation before it is used; else [`Fcrypt`] does it all.
pub(crate) fn start_fcrypt_simd() {
    if !fcrypt_simd::enable(true) {
        return;
    }
    if fcrypt_simd_agrees() {
        pr_info!("fcrypt on AVX2\n");
    } else {
        fcrypt_simd::enable(false);
        pr_warn!("fcrypt on AVX2 failed its self-test, not used\n");
    }
}

/// Whether the vector unit's fcrypt seals 8 and 3 packets at once and
/// unseals a packet of 19 blocks as [`Fcrypt`] does.
fn fcrypt_simd_agrees() -> bool {
    let f = Fcrypt::new(&[0x13, 0x57, 0x9b, 0xdf, 0x02, 0x46, 0x8a, 0xce]);
    let iv = [0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef];
    let fill = |buf: &mut [u8], seed: usize| {
        for (i, b) in buf.iter_mut().enumerate() {
            *b = (i * 31 + seed * 7) as u8;
        }
    };
    let mut want = [[0u8; 24]; 8];
    for (i, w) in want.iter_mut().enumerate() {
        fill(w, i);
        if f.encrypt(&iv, w).is_err() {
            return false;
        }
    }
    for n in [8, 3] {
        let mut lanes = [[0u8; 24]; 8];
        let mut bufs: [&mut [u8]; 8] = Default::default();
        for (i, (b, l)) in bufs.iter_mut().zip(lanes.iter_mut()).enumerate() {
            fill(l, i);
            *b = l;
        }
        if !fcrypt_simd::encrypt_lanes(f.schedule(), Fcrypt::tables(), &iv, &mut bufs[..n])
            || lanes[..n] != want[..n]
        {
            return false;
        }
    }
    let mut input = [0u8; 152];
    fill(&mut input, 5);
    let (mut got, mut want) = ([0u8; 152], [0u8; 152]);
    if !fcrypt_simd::decrypt(f.schedule(), Fcrypt::tables(), &input, &mut got) {
        return false;
    }
    for (c, p) in input.chunks_exact(8).zip(want.chunks_exact_mut(8)) {
        let mut b = [0u8; 8];
        b.copy_from_slice(c);
        f.decrypt_block(&mut b);
        p.copy_from_slice(&b);
    }
    got == want
}

impl Keys for KernelHost {
    fn client_token(&mut self, key: u64) -> Result<ClientToken, KeyError> {
        let t = self
            .token(key)?
            .tokens
            .first()
            .ok_or(KeyError::Rejected)?
            .view();
        Ok(ClientToken {
            session_key: t.session_key,
            kvno: t.kvno,
            expiry: t.expiry.into(),
        })
    }

    fn client_ticket(&mut self, key: u64, out: &mut [u8]) -> Result<usize, KeyError> {
        let t = self
            .token(key)?
            .tokens
            .first()
            .ok_or(KeyError::Rejected)?
            .view();
        let dst = out.get_mut(..t.ticket.len()).ok_or(KeyError::Rejected)?;
        dst.copy_from_slice(t.ticket);
        Ok(t.ticket.len())
    }

    /// An "rxrpc_s" key "<service>:2" in the keyring, as C 6.12 looks it
    /// up (the kvno is not part of the name).
    fn server_key(
        &mut self,
        keyring: u64,
        service_id: u16,
        _kvno: u32,
    ) -> Result<[u8; 8], KeyError> {
        let ring = self.keyrings.get(&keyring).ok_or(KeyError::NoKey)?;
        let desc = CString::try_from_fmt(fmt!("{service_id}:2")).map_err(|_| KeyError::Rejected)?;
        let desc = core::ffi::CStr::from_bytes_with_nul(desc.as_bytes_with_nul())
            .map_err(|_| KeyError::NoKey)?;
        let key = ring
            .search::<RxrpcServerKey>(desc)
            .map_err(|e| match e.to_errno() {
                e if e == EKEYEXPIRED.to_errno() => KeyError::Expired,
                e if e == ENOKEY.to_errno() => KeyError::NoKey,
                _ => KeyError::Rejected,
            })?;
        key.payload().map(|k| k.secret).ok_or(KeyError::Rejected)
    }
}

impl Random for KernelHost {
    fn nonce(&mut self) -> u32 {
        random_u32()
    }
}

impl WallClock for KernelHost {
    fn real_seconds(&self) -> i64 {
        real_seconds()
    }
}
