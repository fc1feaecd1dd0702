//! fcrypt: the 56-bit, 16-round Feistel cipher of rxkad's session keys
//! (Transarc's, as in the kernel's crypto/fcrypt.c and OpenAFS's rxkad).
//!
//! Words are big-endian: a block is two BE32 halves (L, R), and each round
//! mixes one half into the other through four S-boxes indexed by the bytes
//! of `sched[i] ^ half`, most significant first.

use crate::sboxes::SBOX;

/// S-boxes with each raw byte moved to the bits its round output uses.
struct Tables([[u32; 256]; 4]);

const fn tables() -> Tables {
    let mut t = [[0u32; 256]; 4];
    let mut i = 0;
    while i < 256 {
        let (a, b, c, d) = (
            SBOX[0][i] as u32,
            SBOX[1][i] as u32,
            SBOX[2][i] as u32,
            SBOX[3][i] as u32,
        );
        t[0][i] = a << 3;
        t[1][i] = ((b & 0x1f) << 27) | (b >> 5);
        t[2][i] = c << 11;
        t[3][i] = d << 19;
        i += 1;
    }
    Tables(t)
}

static T: Tables = tables();

/// A key schedule: 16 round keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fcrypt {
    sched: [u32; 16],
}

impl Fcrypt {
    /// The schedule of `key`: drop each byte's parity bit (the low one),
    /// then take the low 32 of the 56 bits, rotating right by 11 per round.
    pub fn new(key: &[u8; 8]) -> Self {
        let mut k: u64 = 0;
        for b in key {
            k = (k << 7) | u64::from(b >> 1);
        }
        let mut sched = [0u32; 16];
        for s in sched.iter_mut() {
            *s = k as u32;
            k = (k >> 11) | ((k & 0x7ff) << 45);
        }
        Fcrypt { sched }
    }

    fn f(&self, round: usize, half: u32) -> u32 {
        let u = (self.sched[round] ^ half).to_be_bytes();
        T.0[0][usize::from(u[0])]
            ^ T.0[1][usize::from(u[1])]
            ^ T.0[2][usize::from(u[2])]
            ^ T.0[3][usize::from(u[3])]
    }

    /// Encrypt one block (ECB).
    pub fn encrypt_block(&self, block: &mut [u8; 8]) {
        let (mut l, mut r) = halves(block);
        for round in (0..16).step_by(2) {
            l ^= self.f(round, r);
            r ^= self.f(round + 1, l);
        }
        join(block, l, r);
    }

    /// Decrypt one block (ECB).
    pub fn decrypt_block(&self, block: &mut [u8; 8]) {
        let (mut l, mut r) = halves(block);
        for round in (0..16).step_by(2).rev() {
            r ^= self.f(round + 1, l);
            l ^= self.f(round, r);
        }
        join(block, l, r);
    }
}

fn halves(b: &[u8; 8]) -> (u32, u32) {
    (
        u32::from_be_bytes([b[0], b[1], b[2], b[3]]),
        u32::from_be_bytes([b[4], b[5], b[6], b[7]]),
    )
}

fn join(b: &mut [u8; 8], l: u32, r: u32) {
    b[..4].copy_from_slice(&l.to_be_bytes());
    b[4..].copy_from_slice(&r.to_be_bytes());
}
