//! Synchronous symmetric ciphers of the kernel crypto API (6.12's `kernel`
//! crate has none).

use core::ffi::CStr;
use core::ptr::NonNull;

use kernel::prelude::*;

use super::bindings;

/// A keyed synchronous skcipher, e.g. `pcbc(des)`; freed on drop.
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

    /// Decrypts `data` in place, starting from `iv`.
    pub(crate) fn decrypt(&self, iv: &[u8], data: &mut [u8]) -> Result {
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
                false,
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
