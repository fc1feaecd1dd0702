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

/// fcrypt (rxkad's cipher) on the CPU's vector unit, AVX2: eight blocks a
/// round at once. The round keys and S-box tables are the caller's: the
/// 16 keys and 4 tables of 256 entries of its own fcrypt, with a block's
/// halves read as little-endian words and the entries laid out to match.
pub(crate) mod fcrypt_simd {
    use core::sync::atomic::{AtomicBool, Ordering};

    use super::bindings;

    /// Most buffers [`encrypt_lanes`] takes at once.
    pub(crate) const LANES: usize = 8;

    static ON: AtomicBool = AtomicBool::new(false);

    /// Turns the vector unit's fcrypt on (if the CPU has AVX2) or off;
    /// whether it is on.
    pub(crate) fn enable(on: bool) -> bool {
        // SAFETY: Sets a flag; no other state.
        let on = unsafe { bindings::kapi_fcrypt_simd_enable(on) };
        ON.store(on, Ordering::Relaxed);
        on
    }

    /// Whether it is on (it may still be unusable in some contexts).
    pub(crate) fn enabled() -> bool {
        ON.load(Ordering::Relaxed)
    }

    /// ECB-decrypts `input` into `out` (as long, whole blocks): false,
    /// with `out` untouched, if the vector unit is off or not usable in
    /// this context.
    pub(crate) fn decrypt(
        sched: &[u32; 16],
        tables: &[[u32; 256]; 4],
        input: &[u8],
        out: &mut [u8],
    ) -> bool {
        if input.len() != out.len() || input.len() % 8 != 0 {
            return false;
        }
        // SAFETY: The keys and tables are as long as the C side reads;
        // `input` and `out` are valid for the blocks given and distinct
        // (one shared, one exclusive borrow).
        unsafe {
            bindings::kapi_fcrypt_simd_decrypt(
                sched.as_ptr(),
                tables.as_ptr().cast(),
                input.as_ptr(),
                out.as_mut_ptr(),
                input.len() / 8,
            )
        }
    }

    /// PCBC-encrypts each of `bufs` in place from `iv`, all at once: 1 to
    /// [`LANES`] buffers, all as long, of whole blocks. False, with them
    /// untouched, if the vector unit is off or not usable in this context.
    pub(crate) fn encrypt_lanes(
        sched: &[u32; 16],
        tables: &[[u32; 256]; 4],
        iv: &[u8; 8],
        bufs: &mut [&mut [u8]],
    ) -> bool {
        let Some(len) = bufs.first().map(|b| b.len()) else {
            return false;
        };
        if bufs.len() > LANES || len % 8 != 0 || bufs.iter().any(|b| b.len() != len) {
            return false;
        }
        let mut data = [core::ptr::null_mut::<u8>(); LANES];
        for (d, b) in data.iter_mut().zip(bufs.iter_mut()) {
            *d = b.as_mut_ptr();
        }
        // SAFETY: The keys, tables and IV are as long as the C side reads;
        // each of the `bufs.len()` pointers is valid for `len` bytes and
        // exclusively borrowed, so none overlaps another.
        unsafe {
            bindings::kapi_fcrypt_simd_encrypt_lanes(
                sched.as_ptr(),
                tables.as_ptr().cast(),
                iv.as_ptr(),
                data.as_ptr(),
                bufs.len() as u32,
                len / 8,
            )
        }
    }
}
