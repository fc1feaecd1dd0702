//! Synchronous symmetric ciphers of the kernel crypto API (6.12's `kernel`
//! crate has none).

use core::ffi::CStr;
use core::ptr::NonNull;

use kernel::prelude::*;

use super::bindings;

/// A keyed synchronous skcipher, e.g. `pcbc(fcrypt)`; freed on drop.
///
/// # Invariants
///
/// `tfm` is a live transform made by `kapi_skcipher_new`, owned here.
pub(crate) struct SkCipher {
    tfm: NonNull<bindings::crypto_sync_skcipher>,
}

// SAFETY: A keyed transform may be used from any thread; synchronous
// requests carry their own state on the caller's stack.
unsafe impl Send for SkCipher {}
// SAFETY: As above; the key is only set at creation.
unsafe impl Sync for SkCipher {}

impl SkCipher {
    /// Allocates algorithm `alg` (loading its module if need be) and keys
    /// it with `key`. May sleep.
    pub(crate) fn new(alg: &CStr, key: &[u8]) -> Result<Self> {
        let len = u32::try_from(key.len()).map_err(|_| EINVAL)?;
        // SAFETY: `alg` is a C string and `key` valid for `len` bytes.
        let tfm = unsafe { bindings::kapi_skcipher_new(alg.as_ptr(), key.as_ptr(), len) };
        let tfm = kernel::error::from_err_ptr(tfm)?;
        Ok(Self {
            tfm: NonNull::new(tfm).ok_or(ENOMEM)?,
        })
    }

    fn crypt(&self, iv: &[u8], data: &mut [u8], encrypt: bool) -> Result {
        let (ivlen, len) = (u32::try_from(iv.len()), u32::try_from(data.len()));
        let (Ok(ivlen), Ok(len)) = (ivlen, len) else {
            return Err(EINVAL);
        };
        if len == 0 {
            return Ok(());
        }
        // SAFETY: The transform is live (type invariant); `iv` and `data`
        // are valid for their lengths.
        kernel::error::to_result(unsafe {
            bindings::kapi_skcipher_crypt(
                self.tfm.as_ptr(),
                iv.as_ptr(),
                ivlen,
                data.as_mut_ptr(),
                len,
                encrypt,
            )
        })
    }

    /// Encrypts `data` in place, starting from `iv`.
    pub(crate) fn encrypt(&self, iv: &[u8], data: &mut [u8]) -> Result {
        self.crypt(iv, data, true)
    }

    /// Decrypts `data` in place, starting from `iv`.
    pub(crate) fn decrypt(&self, iv: &[u8], data: &mut [u8]) -> Result {
        self.crypt(iv, data, false)
    }

    /// Encrypts into `dst[..total]`, starting from `iv`, `head`, then
    /// `body`, then zeros to `total` (at most 8 of them), from the pieces
    /// straight into `dst`, which must have 16 bytes past `total` to stage
    /// `head` and the zeros in.
    pub(crate) fn encrypt_gather(
        &self,
        iv: &[u8],
        head: &[u8; 8],
        body: &[u8],
        total: usize,
        dst: &mut [u8],
    ) -> Result {
        let pad = total.checked_sub(8 + body.len()).ok_or(EINVAL)?;
        let (Ok(ivlen), Ok(total32), Ok(body_len)) = (
            u32::try_from(iv.len()),
            u32::try_from(total),
            u32::try_from(body.len()),
        ) else {
            return Err(EINVAL);
        };
        let stage = dst.get_mut(total..total + 16).ok_or(EINVAL)?;
        if pad > 8 {
            return Err(EINVAL);
        }
        stage[..8].copy_from_slice(head);
        stage[8..].fill(0);
        // SAFETY: The transform is live (type invariant); `iv` is valid for
        // its length, `dst` for writing `total + 16` bytes (checked above)
        // and `body` (apart from it, as `dst` is a `&mut`) for reading.
        kernel::error::to_result(unsafe {
            bindings::kapi_skcipher_encrypt_gather(
                self.tfm.as_ptr(),
                iv.as_ptr(),
                ivlen,
                dst.as_mut_ptr(),
                total32,
                body.as_ptr(),
                body_len,
            )
        })
    }

    /// Decrypts `src` into `dst` (as long), starting from `iv`, the
    /// plaintext's first `head` bytes (1 to 16, at most all) going
    /// last: in one pass, not a copy, a decryption in place and a move.
    pub(crate) fn decrypt_split(
        &self,
        iv: &[u8],
        src: &[u8],
        head: usize,
        dst: &mut [u8],
    ) -> Result {
        let (Ok(ivlen), Ok(len), Ok(head)) = (
            u32::try_from(iv.len()),
            u32::try_from(src.len()),
            u32::try_from(head),
        ) else {
            return Err(EINVAL);
        };
        if dst.len() != src.len() {
            return Err(EINVAL);
        }
        // SAFETY: The transform is live (type invariant); `iv` is valid for
        // its length, `src` for reading and `dst` (apart from it, as a
        // `&mut`) for writing `len` bytes.
        kernel::error::to_result(unsafe {
            bindings::kapi_skcipher_decrypt_split(
                self.tfm.as_ptr(),
                iv.as_ptr(),
                ivlen,
                src.as_ptr(),
                dst.as_mut_ptr(),
                len,
                head,
            )
        })
    }
}

impl Drop for SkCipher {
    fn drop(&mut self) {
        // SAFETY: Owned (type invariant); not used after this.
        unsafe { bindings::kapi_skcipher_free(self.tfm.as_ptr()) };
    }
}
