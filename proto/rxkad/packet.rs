//! Per-packet security: the header checksum and the sealing of DATA at
//! levels 1 and 2 (C's `rxkad_secure_packet*` and `rxkad_verify_packet*`).

use super::super::security::{Clear, PacketIdent, Sealed};
use super::super::wire::{RXKADDATALEN, RXKADSEALEDINCON, RX_PROTOCOL_ERROR};
use super::{Cipher, Fcrypt, Secured, ALIGN, LANES, LEVEL_AUTH, LEVEL_ENCRYPT, LEVEL_PLAIN};

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
/// as it is, with only the checksum). At level 2 with `lay`, only lay out
/// the plaintext there, for [`seal_laid`] to seal with the burst's
/// others.
pub(super) fn secure(
    s: &Secured,
    pkt: &PacketIdent,
    plain: &[u8],
    out: &mut [u8],
    lay: bool,
) -> Result<Sealed, u32> {
    let cksum = checksum(&s.session, &s.csum_iv, pkt)?;
    let hdr = match s.level {
        LEVEL_PLAIN => return Ok(Sealed::Plain(cksum)),
        LEVEL_AUTH => 4,
        LEVEL_ENCRYPT => 8,
        _ => return Err(RX_PROTOCOL_ERROR),
    };
    let word = size_word(pkt, plain.len())?;
    if s.level == LEVEL_ENCRYPT {
        let total = (hdr + plain.len()).div_ceil(ALIGN) * ALIGN;
        // The word and 4 zeros, the data, zeros to the end, sealed from
        // the pieces straight into `out`.
        let mut head = [0u8; 8];
        put32(&mut head, 0, word);
        if lay {
            let buf = out.get_mut(..total).ok_or(RX_PROTOCOL_ERROR)?;
            let (first, rest) = buf.split_at_mut(8);
            first.copy_from_slice(&head);
            let (data, pad) = rest.split_at_mut(plain.len());
            data.copy_from_slice(plain);
            pad.fill(0);
            return Ok(Sealed::Laid(total, cksum));
        }
        s.session
            .encrypt_gather(&s.key, &head, plain, total, out)
            .map_err(|_| CRYPTO_FAILED)?;
        return Ok(Sealed::Into(total, cksum));
    }
    // Level 1: the word, the data, zeros to the end of the first block
    // (which is all that is padded: see `max_plain`), and only that block
    // sealed, afresh from a zero IV. Data past it is left for the engine
    // to send from its queue.
    let total = (hdr + plain.len()).max(ALIGN);
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

/// Seal at level 2 in place the payloads [`secure`] laid out: those as
/// long as each other side by side on the caller's vector unit, if it
/// takes them.
pub(super) fn seal_laid<C: Cipher>(
    host: &mut C,
    s: &Secured,
    bodies: &mut [&mut [u8]],
) -> Result<(), u32> {
    if s.level != LEVEL_ENCRYPT {
        return Err(RX_PROTOCOL_ERROR);
    }
    let mut rest = bodies;
    while let Some(len) = rest.first().map(|b| b.len()) {
        let n = rest
            .iter()
            .take(LANES)
            .take_while(|b| b.len() == len)
            .count();
        let (run, after) = rest.split_at_mut(n);
        if n < 2 || !host.fcrypt_encrypt_lanes(&s.session, &s.key, run) {
            for body in run.iter_mut() {
                s.session.encrypt(&s.key, body).map_err(|_| CRYPTO_FAILED)?;
            }
        }
        rest = after;
    }
    Ok(())
}

/// Check the payload of a level that leaves it readable where it lies,
/// and say where its plaintext is: all of it at level 0; at level 1 the
/// first block, the only one sealed, is unsealed here, and its last 4
/// bytes (the data's first) come from it, the rest from the payload. At
/// level 2 `None`, unchecked, for [`verify`] to check and unseal (one
/// checksum per packet).
pub(super) fn verify_clear(
    s: &Secured,
    pkt: &PacketIdent,
    cksum: u16,
    input: &[u8],
) -> Result<Option<Clear>, u32> {
    match s.level {
        LEVEL_PLAIN => {
            check(s, pkt, cksum)?;
            Ok(Some(Clear::whole(input)))
        }
        LEVEL_AUTH => {
            check(s, pkt, cksum)?;
            let mut first = [0u8; 8];
            first.copy_from_slice(input.get(..8).ok_or(RXKADSEALEDINCON)?);
            // Afresh from a zero IV: the word and the first 4 bytes of data.
            s.session
                .decrypt(&[0; 8], &mut first)
                .map_err(|_| RXKADSEALEDINCON)?;
            let data = data_len(pkt, &first, input.len() - 4)?;
            let head = [first[4], first[5], first[6], first[7]];
            Ok(Some(
                Clear::split(head, 8, data, input.len()).ok_or(RXKADDATALEN)?,
            ))
        }
        _ => Ok(None),
    }
}

/// The data length that the sealed word at the start of `head` gives,
/// after checking the word against the packet (at most `room`).
fn data_len(pkt: &PacketIdent, head: &[u8; 8], room: usize) -> Result<usize, u32> {
    let word = u32::from_be_bytes([head[0], head[1], head[2], head[3]]);
    if (word >> 16 ^ pkt.seq ^ pkt.call_number) & 0xffff != 0 {
        return Err(RXKADSEALEDINCON);
    }
    let data = (word & 0xffff) as usize;
    if data > room {
        return Err(RXKADDATALEN);
    }
    Ok(data)
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
pub(super) fn verify<C: Cipher>(
    host: &mut C,
    s: &Secured,
    pkt: &PacketIdent,
    cksum: u16,
    input: &[u8],
    out: &mut [u8],
) -> Result<usize, u32> {
    if s.level != LEVEL_ENCRYPT {
        let clear = verify_clear(s, pkt, cksum, input)?.ok_or(RX_PROTOCOL_ERROR)?;
        return clear.copy(input, out);
    }
    check(s, pkt, cksum)?;
    if input.len() < 8 {
        return Err(RXKADSEALEDINCON);
    }
    let len = input.len() / ALIGN * ALIGN;
    let buf = out.get_mut(..len).ok_or(RX_PROTOCOL_ERROR)?;
    let src = input.get(..len).ok_or(RX_PROTOCOL_ERROR)?;
    // The data goes straight to the front of `out`, the word after it
    // decrypted last and read from where it lands.
    // C aborts a level 2 packet the cipher refuses with RXKADSEALEDINCON.
    let (front, _) = buf.split_at_mut(len - 8);
    let done = if host.fcrypt_decrypt_ecb(&s.session, &src[8..], front) {
        s.session.unchain_split(&s.key, src, 8, buf)
    } else {
        s.session.decrypt_split(&s.key, src, 8, buf)
    };
    done.map_err(|_| RXKADSEALEDINCON)?;
    let mut head = [0u8; 8];
    head.copy_from_slice(&buf[len - 8..]);
    data_len(pkt, &head, len - 8)
}

fn put32(buf: &mut [u8], at: usize, v: u32) {
    if let Some(d) = buf.get_mut(at..at + 4) {
        d.copy_from_slice(&v.to_be_bytes());
    }
}
