//! PCBC over any 8-byte block cipher, as the kernel's `pcbc()` template:
//! C[i] = E(P[i] ^ V), then V = P[i] ^ C[i]; V starts as the IV.

/// A block cipher with 8-byte blocks.
pub trait Block8 {
    /// Encrypt one block in place.
    fn enc(&self, b: &mut [u8; 8]);
    /// Decrypt one block in place.
    fn dec(&self, b: &mut [u8; 8]);
}

/// Why a PCBC operation was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NotBlocks;

fn xor(a: &mut [u8; 8], b: &[u8; 8]) {
    for (x, y) in a.iter_mut().zip(b) {
        *x ^= y;
    }
}

/// Encrypt `data` (a whole number of blocks) in place.
pub fn encrypt(c: &impl Block8, iv: &[u8; 8], data: &mut [u8]) -> Result<(), NotBlocks> {
    if data.len() % 8 != 0 {
        return Err(NotBlocks);
    }
    let mut v = *iv;
    for chunk in data.chunks_exact_mut(8) {
        let mut p = [0u8; 8];
        p.copy_from_slice(chunk);
        let mut b = p;
        xor(&mut b, &v);
        c.enc(&mut b);
        chunk.copy_from_slice(&b);
        v = p;
        xor(&mut v, &b);
    }
    Ok(())
}

/// Decrypt `data` (a whole number of blocks) in place.
pub fn decrypt(c: &impl Block8, iv: &[u8; 8], data: &mut [u8]) -> Result<(), NotBlocks> {
    if data.len() % 8 != 0 {
        return Err(NotBlocks);
    }
    let mut v = *iv;
    for chunk in data.chunks_exact_mut(8) {
        let mut ct = [0u8; 8];
        ct.copy_from_slice(chunk);
        let mut p = ct;
        c.dec(&mut p);
        xor(&mut p, &v);
        chunk.copy_from_slice(&p);
        v = p;
        xor(&mut v, &ct);
    }
    Ok(())
}
