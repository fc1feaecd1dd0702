//! Per-packet security: the header checksum and the sealing of DATA at
//! levels 1 and 2 (C's `rxkad_secure_packet*` and `rxkad_verify_packet*`).

use super::super::security::{PacketIdent, Sealed};
use super::super::wire::{RXKADDATALEN, RXKADSEALEDINCON, RX_PROTOCOL_ERROR};
use super::{Fcrypt, Secured, ALIGN, LEVEL_AUTH, LEVEL_ENCRYPT, LEVEL_PLAIN};

/// A cipher failure while securing: C passes the crypto error up and the
/// call fails; ours aborts it.
const CRYPTO_FAILED: u32 = RX_PROTOCOL_ERROR;

/// The checksum IV of a connection: {epoch, cid, 0, index} encrypted with
/// the session key as IV, of which the last block is kept (C's
/// `rxkad_prime_packet_security`).
pub fn csum_iv(s: &Fcrypt, key: &[u8; 8], epoch: u32, cid: u32, index: u8) -> Result<[u8; 8], u32> {
    let mut buf = [0u8; 16];
    put32(&mut buf, 0, epoch);
    put32(&mut buf, 4, cid);
    put32(&mut buf, 12, u32::from(index));
    s.encrypt(key, &mut buf).map_err(|_| CRYPTO_FAILED)?;
    let mut iv = [0u8; 8];
    iv.copy_from_slice(&buf[8..]);
    Ok(iv)
}

/// The header checksum of a packet: {call, channel << 30 | seq} encrypted
/// from the checksum IV; the top 16 bits of the second word, never 0.
pub fn checksum(s: &Fcrypt, csum_iv: &[u8; 8], pkt: &PacketIdent) -> Result<u16, u32> {
    let mut buf = [0u8; 8];
    put32(&mut buf, 0, pkt.call_number);
    put32(&mut buf, 4, (pkt.cid & 3) << 30 | (pkt.seq & 0x3fff_ffff));
    s.encrypt(csum_iv, &mut buf).map_err(|_| CRYPTO_FAILED)?;
    let y = u16::from_be_bytes([buf[4], buf[5]]);
    Ok(if y == 0 { 1 } else { y })
}

/// The word in front of sealed data: a check of (seq ^ call) in the top
/// half, the true data length in the bottom.
fn size_word(pkt: &PacketIdent, len: usize) -> Result<u32, u32> {
    let len = u16::try_from(len).map_err(|_| RXKADDATALEN)?;
    let check = (pkt.seq ^ pkt.call_number) & 0xffff;
    Ok(check << 16 | u32::from(len))
}

/// Secure `plain` into `out` at the connection's level (level 0 sends it
/// as it is, with only the checksum).
pub(super) fn secure(
    s: &Secured,
    pkt: &PacketIdent,
    plain: &[u8],
    out: &mut [u8],
) -> Result<Sealed, u32> {
    let cksum = checksum(&s.session, &s.csum_iv, pkt)?;
    let hdr = match s.level {
        LEVEL_PLAIN => return Ok(Sealed::Plain(cksum)),
        LEVEL_AUTH => 4,
        LEVEL_ENCRYPT => 8,
        _ => return Err(RX_PROTOCOL_ERROR),
    };
    let total = (hdr + plain.len()).div_ceil(ALIGN) * ALIGN;
    let word = size_word(pkt, plain.len())?;
    if s.level == LEVEL_ENCRYPT {
        // The word and 4 zeros, the data, zeros to the end, sealed from
        // the pieces straight into `out`.
        let mut head = [0u8; 8];
        put32(&mut head, 0, word);
        s.session
            .encrypt_gather(&s.key, &head, plain, total, out)
            .map_err(|_| CRYPTO_FAILED)?;
        return Ok(Sealed::Into(total, cksum));
    }
    // Level 1: the word, the data, zeros to the end, and only the first
    // block sealed, afresh from a zero IV. Data past that block is left
    // for the engine to send from its queue.
    let buf = out.get_mut(..total).ok_or(RX_PROTOCOL_ERROR)?;
    put32(buf, 0, word);
    let head = plain.len().min(ALIGN - hdr);
    buf[hdr..hdr + head].copy_from_slice(&plain[..head]);
    buf[hdr + plain.len()..].fill(0);
    s.session
        .encrypt(&[0; 8], &mut buf[..ALIGN])
        .map_err(|_| CRYPTO_FAILED)?;
    if head == plain.len() {
        return Ok(Sealed::Into(total, cksum));
    }
    Ok(Sealed::Around {
        len: total,
        cksum,
        at: ALIGN,
        from: head,
    })
}

/// Whether the payload is its own plaintext (level 0), its header
/// checksum then checked; at the sealing levels false, unchecked, for
/// [`verify`] to check and unseal (one checksum per packet).
pub(super) fn verify_plain(s: &Secured, pkt: &PacketIdent, cksum: u16) -> Result<bool, u32> {
    if s.level != LEVEL_PLAIN {
        return Ok(false);
    }
    check(s, pkt, cksum)?;
    Ok(true)
}

/// Check the header checksum.
fn check(s: &Secured, pkt: &PacketIdent, cksum: u16) -> Result<(), u32> {
    if checksum(&s.session, &s.csum_iv, pkt)? != cksum {
        return Err(RXKADSEALEDINCON);
    }
    Ok(())
}

/// Check `input` and unseal it into `out` (never in place: `input` may be
/// shared); returns the data length.
pub(super) fn verify(
    s: &Secured,
    pkt: &PacketIdent,
    cksum: u16,
    input: &[u8],
    out: &mut [u8],
) -> Result<usize, u32> {
    check(s, pkt, cksum)?;
    if s.level == LEVEL_PLAIN {
        let dst = out.get_mut(..input.len()).ok_or(RX_PROTOCOL_ERROR)?;
        dst.copy_from_slice(input);
        return Ok(input.len());
    }
    if input.len() < 8 {
        return Err(RXKADSEALEDINCON);
    }
    let (hdr, len) = match s.level {
        LEVEL_AUTH => (4, input.len()),
        LEVEL_ENCRYPT => (8, input.len() / ALIGN * ALIGN),
        _ => return Err(RX_PROTOCOL_ERROR),
    };
    let buf = out.get_mut(..len).ok_or(RX_PROTOCOL_ERROR)?;
    let src = input.get(..len).ok_or(RX_PROTOCOL_ERROR)?;
    // The data goes straight to the front of `out`, the word before it
    // (decrypted last, or kept aside) read from where it lands.
    let mut head = [0u8; 8];
    if s.level == LEVEL_AUTH {
        // Only the first block, afresh from a zero IV: the word and the
        // first 4 bytes of data; the rest is in clear.
        let first = &mut buf[..8];
        first.copy_from_slice(&src[..8]);
        s.session
            .decrypt(&[0; 8], first)
            .map_err(|_| RXKADSEALEDINCON)?;
        head.copy_from_slice(first);
        buf[..4].copy_from_slice(&head[4..]);
        buf[4..len - 4].copy_from_slice(&src[8..]);
    } else {
        // C aborts a level 2 packet the cipher refuses with RXKADSEALEDINCON.
        s.session
            .decrypt_split(&s.key, src, 8, buf)
            .map_err(|_| RXKADSEALEDINCON)?;
        head.copy_from_slice(&buf[len - 8..]);
    }
    let word = u32::from_be_bytes([head[0], head[1], head[2], head[3]]);
    if (word >> 16 ^ pkt.seq ^ pkt.call_number) & 0xffff != 0 {
        return Err(RXKADSEALEDINCON);
    }
    let data = (word & 0xffff) as usize;
    if data > len - hdr {
        return Err(RXKADDATALEN);
    }
    Ok(data)
}

fn put32(buf: &mut [u8], at: usize, v: u32) {
    if let Some(d) = buf.get_mut(at..at + 4) {
        d.copy_from_slice(&v.to_be_bytes());
    }
}
