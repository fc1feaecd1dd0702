//! Client side: keying a connection from its token and answering the
//! server's CHALLENGE (C's `rxkad_init_connection_security` and
//! `rxkad_respond_to_challenge`).

use super::super::security::ConnIdent;
use super::super::wire::rxkad::{
    abort_code, Challenge, ResponseSecret, MAX_TICKET_LEN, RESPONSE_LEN, SECRET_LEN, VERSION,
};
use super::super::wire::{RXKADEXPIRED, RXKADLEVELFAIL, RX_PROTOCOL_ERROR};
use super::packet::csum_iv;
use super::{Fcrypt, KeyError, Keys, RxkadConn, Secured, WallClock, LEVEL_ENCRYPT};

/// A client connection keyed with its token's session key. C refuses a
/// level above 2 here with EKEYREJECTED.
pub(super) fn new_conn<H: Keys>(h: &mut H, id: &ConnIdent) -> Result<RxkadConn, u32> {
    if id.level > LEVEL_ENCRYPT {
        return Err(RXKADLEVELFAIL);
    }
    let token = h.client_token(id.key).map_err(|_| RX_PROTOCOL_ERROR)?;
    let session = Fcrypt::new(&token.session_key);
    let iv = csum_iv(&session, &token.session_key, id.epoch, id.cid, id.index)?;
    Ok(RxkadConn::Client(
        Secured {
            session,
            key: token.session_key,
            csum_iv: iv,
            level: id.level,
        },
        *id,
    ))
}

/// The checksum over a RESPONSE's fixed 56 bytes, taken with the checksum
/// field zero (C's `rxkad_calc_response_checksum`).
pub fn response_checksum(fixed: &[u8; RESPONSE_LEN]) -> u32 {
    fixed.iter().fold(1_000_003u32, |csum, b| {
        csum.wrapping_mul(0x1020_4081).wrapping_add(u32::from(*b))
    })
}

/// Answer `challenge` into `out`, in C's order of checks: key present and
/// in date, body length, version, level.
pub(super) fn respond<H: Keys + WallClock>(
    h: &mut H,
    s: &Secured,
    id: &ConnIdent,
    challenge: &[u8],
    calls: [u32; 4],
    out: &mut [u8],
) -> Result<usize, u32> {
    let token = h.client_token(id.key).map_err(|e| match e {
        KeyError::NoKey => RX_PROTOCOL_ERROR,
        KeyError::Expired | KeyError::Rejected => RXKADEXPIRED,
    })?;
    if token.expiry != 0 && h.real_seconds() >= token.expiry {
        return Err(RXKADEXPIRED);
    }
    let ch = Challenge::decode(challenge).map_err(abort_code)?;
    if s.level < ch.min_level {
        return Err(RXKADLEVELFAIL);
    }
    let secret = ResponseSecret {
        epoch: id.epoch,
        cid: id.cid,
        checksum: 0,
        security_index: u32::from(id.index),
        call_id: calls,
        inc_nonce: ch.nonce.wrapping_add(1),
        level: s.level,
    };
    let (fixed, rest) = out
        .split_first_chunk_mut::<RESPONSE_LEN>()
        .ok_or(RX_PROTOCOL_ERROR)?;
    let room = rest.len().min(MAX_TICKET_LEN);
    let ticket_len = h
        .client_ticket(id.key, &mut rest[..room])
        .map_err(|_| RX_PROTOCOL_ERROR)?;
    if ticket_len > room {
        return Err(RX_PROTOCOL_ERROR);
    }
    let tlen = u32::try_from(ticket_len).map_err(|_| RX_PROTOCOL_ERROR)?;
    seal_response(s, fixed, &secret, token.kvno, tlen)?;
    Ok(RESPONSE_LEN + ticket_len)
}

/// Fill the fixed part of a RESPONSE: checksum over it, then encrypt the
/// secret with the session key as IV.
pub(super) fn seal_response(
    s: &Secured,
    fixed: &mut [u8; RESPONSE_LEN],
    secret: &ResponseSecret,
    kvno: u32,
    ticket_len: u32,
) -> Result<(), u32> {
    fixed.fill(0);
    fixed[..4].copy_from_slice(&VERSION.to_be_bytes());
    fixed[8..8 + SECRET_LEN].copy_from_slice(&secret.encode());
    fixed[48..52].copy_from_slice(&kvno.to_be_bytes());
    fixed[52..56].copy_from_slice(&ticket_len.to_be_bytes());
    let sum = response_checksum(fixed);
    fixed[16..20].copy_from_slice(&sum.to_be_bytes());
    s.session
        .encrypt(&s.key, &mut fixed[8..8 + SECRET_LEN])
        .map_err(|_| RX_PROTOCOL_ERROR)
}
