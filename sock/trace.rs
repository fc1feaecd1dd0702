//! What the glue shows in the `rxrpc` trace events (`kapi::trace`): the
//! packets the engine takes in and sends, why it dropped one, calls made,
//! accepted and ended, aborts, and connections made and discarded.
//!
//! Event names, fields and printed lines follow the C module's where it
//! has the event. A call's debug id is its engine handle, as
//! /proc/net/rxrpc/calls shows it; a connection's is its cid. The packet
//! events decode a header only while one of them is on ([`trace::on`],
//! asked once per batch of packets).

use crate::kapi::errno::{
    ECONNABORTED, ECONNRESET, EKEYEXPIRED, EKEYREJECTED, ENOKEY, EPROTO, ESHUTDOWN,
};
use crate::kapi::trace::{self, Completion, On, PacketHeader};
use crate::proto::wire::{
    Header, CHANNEL_MASK, RX_CALL_TIMEOUT, TYPE_ABORT, TYPE_ACK, TYPE_BUSY, TYPE_CHALLENGE,
    TYPE_DATA, TYPE_DEBUG, TYPE_RESPONSE, TYPE_VERSION,
};
use crate::proto::{CallHandle, ConnInfo, Outcome, RxDrop, TransportAddr, RX_DROP_NAMES};
use kernel::error::code::EBUSY;
use kernel::error::Result;

use super::endpoint::Engine;

pub(crate) use crate::kapi::trace::on;

/// The debug id a call is shown with.
pub(crate) fn debug_id(call: CallHandle) -> u32 {
    call.serial() as u32
}

fn fields(h: &Header, ptype: u8) -> PacketHeader {
    PacketHeader {
        epoch: h.epoch,
        cid: h.cid,
        call_number: h.call_number,
        seq: h.seq,
        serial: h.serial,
        ptype,
        flags: h.flags.bits(),
        user_status: h.user_status,
        security_index: h.security_index,
        service_id: h.service_id,
    }
}

/// What the events of a received packet need once the engine took it.
pub(crate) struct Rx {
    hdr: PacketHeader,
    /// An ABORT's code.
    abort_code: Option<u32>,
    /// The call the ABORT is for.
    call: Option<CallHandle>,
}

/// A packet arrived from `from`: `rxrpc_rx_packet`, before the engine
/// takes it; what [`rx_done`] needs if any receive event is on.
pub(crate) fn rx_packet(on: On, ep: &Engine, from: TransportAddr, pkt: &[u8]) -> Option<Rx> {
    if !on.any_rx() {
        return None;
    }
    let mut rx = Rx {
        hdr: PacketHeader::default(),
        abort_code: None,
        call: None,
    };
    if let Ok((h, ptype, body)) = Header::decode(pkt) {
        rx.hdr = fields(&h, ptype);
        if ptype == TYPE_ABORT {
            rx.abort_code = body
                .get(..4)
                .and_then(|b| b.try_into().ok())
                .map(u32::from_be_bytes);
            rx.call = ep.packet_call(from, &h, false);
        }
    }
    if on.rx_packet {
        trace::rx_packet(&rx.hdr);
    }
    Some(rx)
}

/// The engine took the packet of `rx`, or dropped it for `dropped`:
/// `rxrpc_rx_drop`, or `rxrpc_rx_abort`/`rxrpc_rx_conn_abort` for an ABORT
/// it took.
pub(crate) fn rx_done(on: On, rx: Option<Rx>, dropped: Option<RxDrop>) {
    let Some(rx) = rx else {
        return;
    };
    match (dropped, rx.abort_code) {
        (Some(why), _) if on.rx_drop => {
            let name = RX_DROP_NAMES.get(why as usize).copied().unwrap_or("?");
            trace::rx_drop(&rx.hdr, name);
        }
        (None, Some(code)) if rx.hdr.call_number == 0 && on.rx_conn_abort => {
            trace::rx_conn_abort(rx.hdr.cid & !CHANNEL_MASK, rx.hdr.serial, code);
        }
        (None, Some(code)) if on.rx_abort => {
            if let Some(call) = rx.call {
                trace::rx_abort(debug_id(call), rx.hdr.serial, code);
            }
        }
        _ => {}
    }
}

/// What kind of transmission a packet is, in the C module's words.
fn place(ptype: u8, call_number: u32) -> &'static str {
    match ptype {
        TYPE_DATA => "CallDataNofrag",
        TYPE_ACK => "CallAck",
        TYPE_ABORT if call_number != 0 => "CallAbort",
        TYPE_ABORT => "ConnAbort",
        TYPE_BUSY => "Reject",
        TYPE_CHALLENGE => "RxkadChall",
        TYPE_RESPONSE => "RxkadResp",
        TYPE_VERSION => "VerReply",
        TYPE_DEBUG => "DebugReply",
        _ => "Other",
    }
}

/// The engine's packet `pkt` to `to` was handed to the UDP socket, which
/// took it (`rxrpc_tx_packet`) or refused it with `-errno`
/// (`rxrpc_tx_fail`).
pub(crate) fn tx_packet(on: On, ep: &Engine, to: TransportAddr, pkt: &[u8], sent: &Result) {
    if !on.any_tx() {
        return;
    }
    let Ok((h, ptype, _)) = Header::decode(pkt) else {
        return;
    };
    let call = ep.packet_call(to, &h, true).map_or(0, debug_id);
    let place = place(ptype, h.call_number);
    match sent {
        Ok(()) if on.tx_packet => trace::tx_packet(call, &fields(&h, ptype), place),
        Err(e) if on.tx_fail => trace::tx_fail(call, h.serial, e.to_errno(), place),
        _ => {}
    }
}

/// `rxrpc_call` for a new client call with user call id `user_id`.
pub(crate) fn call_new_client(call: CallHandle, user_id: u64) {
    trace::call(debug_id(call), user_id, "NEW client  ");
}

/// `rxrpc_call` for a charge of user call id `user_id` (no call yet:
/// debug id 0).
pub(crate) fn call_charged(user_id: u64) {
    trace::call(0, user_id, "NEW prealloc");
}

/// `rxrpc_call` for an incoming call given user call id `user_id`.
pub(crate) fn call_accepted(call: CallHandle, user_id: u64) {
    trace::call(debug_id(call), user_id, "SEE accept  ");
}

/// `rxrpc_call` for a call its user let go of.
pub(crate) fn call_released(call: CallHandle) {
    trace::call(debug_id(call), 0, "SEE release ");
}

/// A call ended: `rxrpc_call_complete`, and `rxrpc_abort` first if the
/// engine aborted it itself (the glue's own aborts are traced where made).
pub(crate) fn call_complete(ep: &Engine, call: CallHandle, outcome: Outcome) {
    let conn_aborted = -ECONNABORTED.to_errno();
    let (how, errno, code) = match outcome {
        Outcome::Succeeded => (Completion::Succeeded, 0, 0),
        Outcome::RemoteAbort(code) => (Completion::RemoteAbort, conn_aborted, code),
        Outcome::LocalAbort { code, errno: 0 } => (Completion::LocalAbort, conn_aborted, code),
        Outcome::LocalAbort { code, errno } => {
            abort(ep, call, engine_abort_why(code, errno), code, -errno);
            (Completion::LocalAbort, errno, code)
        }
        Outcome::Busy => (Completion::Busy, -EBUSY.to_errno(), 0),
        Outcome::NetError(e) => (Completion::NetError, e, 0),
        Outcome::LocalError(e) => (Completion::LocalError, e, 0),
    };
    trace::call_complete(debug_id(call), how, -errno, code);
}

/// Why the engine aborted a call, in the C module's words where it has
/// them.
fn engine_abort_why(code: u32, errno: i32) -> &'static str {
    let is = |e: crate::kapi::errno::Errno| errno == -e.to_errno();
    if code == RX_CALL_TIMEOUT {
        "call-timeout"
    } else if is(ESHUTDOWN) {
        "improper-term"
    } else if is(EPROTO) {
        "protocol-error"
    } else if is(EKEYEXPIRED) || is(EKEYREJECTED) || is(ENOKEY) {
        "security"
    } else {
        "local-error"
    }
}

/// `rxrpc_abort`: call `call` is aborted with `code` for reason `why`
/// (`error` is `-errno`).
fn abort(ep: &Engine, call: CallHandle, why: &str, code: u32, error: i32) {
    if !on().abort {
        return;
    }
    let (cid, call_number) = ep
        .call_info(call)
        .map_or((0, 0), |c| (c.cid, c.call_number));
    trace::abort(debug_id(call), why, cid, call_number, code, error);
}

/// `rxrpc_abort` for an abort the user asked for with `RXRPC_ABORT`.
pub(crate) fn abort_by_user(ep: &Engine, call: CallHandle, code: u32) {
    abort(ep, call, "call-sendmsg", code, ECONNABORTED.to_errno());
}

/// `rxrpc_abort` for an abort a kernel user asked for (`error` is
/// `-errno`); its reason is not passed on.
pub(crate) fn abort_by_kernel(ep: &Engine, call: CallHandle, code: u32, error: i32) {
    abort(ep, call, "kernel-abort", code, error);
}

/// `rxrpc_abort` for a kernel user's call it shut down while running.
pub(crate) fn abort_on_shutdown(ep: &Engine, call: CallHandle, code: u32) {
    abort(ep, call, "call-shutdown", code, ECONNABORTED.to_errno());
}

/// `rxrpc_abort` for the calls of a socket being released.
pub(crate) fn abort_on_release(ep: &Engine, call: CallHandle, code: u32) {
    abort(ep, call, "call-sock-rel", code, ECONNRESET.to_errno());
}

/// `rxrpc_conn`: a connection made (`new`) or discarded.
pub(crate) fn conn(info: &ConnInfo, new: bool) {
    let why = match (new, info.client) {
        (true, true) => "NEW client  ",
        (true, false) => "NEW service ",
        (false, _) => "FREE        ",
    };
    trace::conn(info.cid, why);
}
