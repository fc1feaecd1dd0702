//! Server side: the CHALLENGE and the check of the RESPONSE (C's
//! `rxkad_issue_challenge` and `rxkad_verify_response`).

use super::super::wire::rxkad::ResponseSecret;
use super::super::wire::rxkad::{abort_code, Challenge, Response, RESPONSE_LEN, SECRET_LEN};
use super::super::wire::{
    RXKADBADTICKET, RXKADLEVELFAIL, RXKADOUTOFSEQUENCE, RXKADSEALEDINCON, RX_PROTOCOL_ERROR,
};
use super::client::response_checksum;
use super::packet::csum_iv;
use super::{
    server_key_abort, ticket, Cipher, Fcrypt, Keys, Random, Secured, ServerConn, WallClock,
    LEVEL_ENCRYPT,
};

/// Write a CHALLENGE into `out`. The nonce is drawn once per connection;
/// the minimum level is the service's (C always sends 0, its default).
pub(super) fn issue_challenge<H: Random>(
    h: &mut H,
    s: &mut ServerConn,
    out: &mut [u8],
) -> Result<usize, u32> {
    let nonce = *s.nonce.get_or_insert_with(|| h.nonce());
    Challenge {
        nonce,
        min_level: s.ident.level,
    }
    .encode(out)
    .map_err(|_| RX_PROTOCOL_ERROR)
}

/// Check `body`, a RESPONSE, in C's order, and key the connection from
/// its ticket. `calls` and `busy` are the channels' call numbers and
/// whether a call is on each; `scratch` (at least `body.len()` bytes) takes
/// the ticket to decrypt, since `body` may be shared.
pub(super) fn verify_response<H: Cipher + Keys + WallClock>(
    h: &mut H,
    s: &mut ServerConn,
    body: &[u8],
    calls: [u32; 4],
    busy: [bool; 4],
    scratch: &mut [u8],
) -> Result<(), u32> {
    let id = s.ident;
    // C looks the key up before it looks at the packet.
    let kvno_hint = body
        .get(48..52)
        .map_or(0, |b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
    let server_key = h
        .server_key(id.key, id.service_id, kvno_hint)
        .map_err(server_key_abort)?;
    let resp = Response::decode(body).map_err(abort_code)?;

    let tkt = scratch
        .get_mut(..resp.ticket.len())
        .ok_or(RX_PROTOCOL_ERROR)?;
    tkt.copy_from_slice(resp.ticket);
    // pcbc(des) refuses a partial block: C's "ticket short".
    if tkt.len() % 8 != 0 {
        return Err(RXKADBADTICKET);
    }
    h.decrypt_ticket(&server_key, &server_key, tkt)
        .map_err(|_| RXKADBADTICKET)?;
    let t = ticket::parse(tkt, h.real_seconds())?;
    let key = t.session_key;
    let expiry = t.expiry();

    let session = Fcrypt::new(&key);
    let mut secret = resp.encrypted;
    session
        .decrypt(&key, &mut secret)
        .map_err(|_| RXKADSEALEDINCON)?;
    let r = ResponseSecret::decode(&secret);
    if r.epoch != id.epoch || r.cid != id.cid || r.security_index != u32::from(id.index) {
        return Err(RXKADSEALEDINCON);
    }
    // The checksum covers the fixed part as received, its own field zero.
    let mut fixed = [0u8; RESPONSE_LEN];
    let head = body.get(..RESPONSE_LEN).ok_or(RX_PROTOCOL_ERROR)?;
    fixed.copy_from_slice(head);
    fixed[8..8 + SECRET_LEN].copy_from_slice(&secret);
    fixed[16..20].fill(0);
    if response_checksum(&fixed) != r.checksum {
        return Err(RXKADSEALEDINCON);
    }
    for ((&call_id, &counter), &active) in r.call_id.iter().zip(&calls).zip(&busy) {
        if call_id > i32::MAX as u32 || call_id < counter || (call_id > counter && active) {
            return Err(RXKADSEALEDINCON);
        }
    }
    if Some(r.inc_nonce) != s.nonce.map(|n| n.wrapping_add(1)) {
        return Err(RXKADOUTOFSEQUENCE);
    }
    // C checks only the upper bound; the service's minimum is ours.
    if r.level > LEVEL_ENCRYPT || r.level < id.level {
        return Err(RXKADLEVELFAIL);
    }
    let iv = csum_iv(&session, &key, id.epoch, id.cid, id.index)?;
    s.secured = Some(Secured {
        session,
        key,
        csum_iv: iv,
        level: r.level,
    });
    s.expiry = expiry;
    s.calls = Some(r.call_id);
    Ok(())
}
