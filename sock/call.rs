//! sendmsg and recvmsg: calls on the engine, with AF_RXRPC's control
//! messages and flags (MSG_MORE, MSG_EOR, MSG_PEEK, MSG_DONTWAIT,
//! MSG_WAITALL).

use kernel::prelude::*;
use kernel::sync::Arc;

use super::addr::{self, RxrpcAddr};
use super::cmsg::{self, kind, CallTimeouts, Command};
use super::local::{engine_error, Core, Local, Notice};
use crate::ffi::io::now;
use crate::ffi::msg::Msg;
use crate::ffi::socket::{SockCtx, Wait};
use crate::ffi::{bindings, errno};
use crate::proto::{CallHandle, CallParams, CallSecurity, Error as EngineError, Outcome, WIRE_PAYLOAD};

/// What a failed wait means for the syscall, given what it already did.
fn partial(done: usize, e: Error) -> Result<usize> {
    if done > 0 {
        Ok(done)
    } else {
        Err(e)
    }
}

/// How long a `MSG_WAITALL` sendmsg waits, at the least, for the peer to
/// make progress before a pending signal ends it. The C module waits twice
/// the RTT; ours waits no less than a minimum retransmission timeout, as a
/// receiver may ACK what its reader consumed only after a delay.
const WAITALL_PATIENCE: core::time::Duration = core::time::Duration::from_millis(200);

/// `sendmsg()`: data for a call (starting a client call for a new user
/// id), an abort, or an accept command.
pub(crate) fn sendmsg(ctx: &SockCtx, msg: &mut Msg, _len: usize) -> Result<usize> {
    let flags = msg.flags();
    if flags & bindings::MSG_OOB != 0 {
        return Err(errno(bindings::EOPNOTSUPP));
    }
    let p = cmsg::parse(msg)?;
    let (local, family, connected, exclusive) = {
        let mut sk = ctx.lock();
        let net = sk.net();
        let sock = sk.sock_ref();
        sk.state().prepare_send(net, sock, p.command)?
    };
    let sock = ctx.sock_ref();
    match p.command {
        Command::ChargeAccept | Command::Accept => local.with_core(|core, _| {
            // A full backlog is reported before a duplicate id, as in C.
            if p.command == Command::ChargeAccept && !core.ep.charge_room() {
                return Err(engine_error(EngineError::NoBuffers));
            }
            let in_use = core.socks.get(&sock.id()).is_some_and(|a| a.calls.get(&p.user_id).is_some());
            if in_use {
                return Err(errno(bindings::EBADSLT));
            }
            let tag = core.add_tag(sock, p.user_id, true)?;
            let r = if p.command == Command::Accept {
                core.ep.accept_next(tag).map(|call| {
                    if let Some(t) = core.tags.get_mut(&tag) {
                        t.call = Some(call);
                    }
                })
            } else {
                core.ep.charge(tag)
            };
            r.map(|()| 0).map_err(|e| {
                core.drop_tag(tag);
                engine_error(e)
            })
        }),
        Command::Abort(code) => local.with_core(|core, now| {
            let tag = core.socks.get(&sock.id()).and_then(|a| a.calls.get(&p.user_id).copied());
            let tag = tag.ok_or(errno(bindings::EBADSLT))?;
            let call = core.tags.get(&tag).and_then(|t| t.call).ok_or(EBUSY)?;
            core.ep.abort(now, call, code).map(|()| 0).map_err(engine_error)
        }),
        Command::SendData => {
            // Checked now, but only an error if the call is new.
            let named = msg.name().map(|raw| RxrpcAddr::parse(raw, family));
            let dest = move || match named {
                Some(parsed) => parsed,
                None => connected.ok_or(errno(bindings::EDESTADDRREQ)),
            };
            let params = |dest: RxrpcAddr, tag| CallParams {
                remote: dest.transport,
                service_id: dest.service,
                user: tag,
                upgrade: p.upgrade,
                exclusive: p.exclusive || exclusive,
                security: CallSecurity::default(),
                timeouts: CallTimeouts::for_new_call(p.timeouts),
            };
            send_data(ctx, msg, &local, &p, flags, dest, params)
        }
    }
}

/// Sends the payload of `msg` on the call `user_id`, made with `params`
/// towards `dest()` if it does not exist yet. Blocks for window space
/// unless `MSG_DONTWAIT`; what was not taken is left in the message.
fn send_data(
    ctx: &SockCtx,
    msg: &mut Msg,
    local: &Arc<Local>,
    p: &cmsg::SendParams,
    flags: u32,
    dest: impl FnOnce() -> Result<RxrpcAddr>,
    params: impl FnOnce(RxrpcAddr, u64) -> CallParams,
) -> Result<usize> {
    let (user_id, tx_length) = (p.user_id, p.tx_length);
    let sock = ctx.sock_ref();
    let more = flags & bindings::MSG_MORE != 0;
    let mut timeo = ctx.timeout(true, flags & bindings::MSG_DONTWAIT != 0);

    let mut guard = local.lock();
    let now = now();
    let existing = guard.socks.get(&sock.id()).and_then(|a| a.calls.get(&user_id).copied());
    let call = match existing {
        Some(tag) => {
            let call = guard.tags.get(&tag).and_then(|t| t.call).ok_or(EBUSY)?;
            if !guard.ep.call_can_take_data(call) {
                return Err(EBUSY);
            }
            if let Some(n) = tx_length {
                // Only before anything was sent, and only once.
                if guard.tags.get(&tag).is_some_and(|t| t.tx_fixed) {
                    return Err(EINVAL);
                }
                guard.ep.set_tx_length(call, n).map_err(|_| EINVAL)?;
            }
            if let Some(t) = p.timeouts {
                guard.ep.set_call_timeouts(now, call, t.hard, t.idle, t.normal).map_err(engine_error)?;
            }
            call
        }
        None => {
            let dest = dest()?;
            let tag = guard.add_tag(sock, user_id, false)?;
            let call = match guard.ep.begin_call(now, params(dest, tag)) {
                Ok(call) => call,
                Err(e) => {
                    guard.drop_tag(tag);
                    return Err(engine_error(e));
                }
            };
            if let Some(t) = guard.tags.get_mut(&tag) {
                t.call = Some(call);
            }
            if let Some(n) = tx_length {
                guard.ep.set_tx_length(call, n).map_err(engine_error)?;
            }
            call
        }
    };
    if let Some(tag) = guard.socks.get(&sock.id()).and_then(|a| a.calls.get(&user_id).copied()) {
        if let Some(t) = guard.tags.get_mut(&tag) {
            t.tx_fixed = true;
        }
    }
    if guard.ep.call_outcome(call).is_some() {
        return Err(errno(bindings::ESHUTDOWN));
    }

    // Data is copied into the endpoint's bounce buffer under its lock;
    // what was not taken goes back to the message before any sleep.
    let mut sent = 0;
    'copy: loop {
        let n = msg.left().min(guard.bounce.len());
        let core = &mut *guard;
        if msg.copy_in(&mut core.bounce[..n]) != n {
            return partial(sent, EFAULT);
        }
        let last = msg.left() == 0;
        let mut off = 0;
        loop {
            let offer = send_room(&guard, ctx, call).min(n - off);
            // An empty write (the end of the phase) takes no room.
            let k = if offer == 0 && n > off {
                guard.watch_tx(sock.id());
                0
            } else {
                // A part of the data is not the end of the phase.
                let more = more || !last || off + offer < n;
                let core = &mut *guard;
                match core.ep.send(call, &core.bounce[off..off + offer], more) {
                    Ok(k) => k,
                    Err(e) => {
                        msg.revert(n - off);
                        local.flush(&mut guard, now);
                        return partial(sent, engine_error(e));
                    }
                }
            };
            off += k;
            sent += k;
            if off == n {
                break;
            }
            if k == offer && k > 0 {
                // Taken in full: see what room is left.
                continue;
            }
            // The call's window or the socket's send buffer is full: sleep
            // until the engine reports freed space.
            msg.revert(n - off);
            local.flush(&mut guard, now);
            let seen = ctx.gen();
            // MSG_WAITALL sleeps through signals (and SO_SNDTIMEO) while the
            // peer makes progress: hard-ACKs more of the call.
            let waitall = flags & bindings::MSG_WAITALL != 0 && timeo != 0;
            let acked = guard.ep.call_info(call).map(|i| i.tx.0);
            let rtt = guard.ep.call_peer(call).and_then(|p| guard.ep.peer_srtt(p)).unwrap_or_default();
            drop(guard);
            let woke = if timeo == 0 {
                Wait::TimedOut
            } else if waitall {
                ctx.wait_all(seen, (rtt * 2).max(WAITALL_PATIENCE))
            } else {
                ctx.wait(seen, timeo)
            };
            guard = local.lock();
            let progress = || guard.ep.call_info(call).map(|i| i.tx.0) != acked;
            let failed = match woke {
                Wait::Woken(_) if waitall => None,
                Wait::Woken(left) => {
                    timeo = left;
                    None
                }
                Wait::TimedOut if waitall => None,
                Wait::Interrupted if waitall && progress() => None,
                Wait::Interrupted if waitall => Some(EINTR),
                Wait::TimedOut => Some(EAGAIN),
                Wait::Interrupted => Some(ERESTARTSYS),
            };
            if let Some(e) = failed {
                return partial(sent, e);
            }
            if guard.ep.call_outcome(call).is_some() {
                return partial(sent, errno(bindings::ESHUTDOWN));
            }
            // Another syscall may have used the bounce buffer meanwhile.
            continue 'copy;
        }
        if last {
            break;
        }
    }
    local.flush(&mut guard, now);
    Ok(sent)
}

/// How much the socket may queue on `call` now: what its send buffer has
/// left, counting the Tx data all its calls hold until hard-ACKed. A call
/// holding nothing may always queue a packet's worth, so that one busy
/// call cannot starve the others.
fn send_room(core: &Core, ctx: &SockCtx, call: CallHandle) -> usize {
    let room = ctx.sndbuf().saturating_sub(core.tx_held(ctx.sock_ref().id()));
    if core.ep.call_tx_held(call) == 0 {
        room.max(WIRE_PAYLOAD)
    } else {
        room
    }
}

/// Whether `poll` reports the socket writable: its send buffer has room.
/// If not, a wake is asked for when its calls free some.
pub(crate) fn writable(ctx: &SockCtx) -> bool {
    let local = ctx.lock().state().local();
    let Some(local) = local else { return true };
    let mut core = local.lock();
    let id = ctx.sock_ref().id();
    if core.tx_held(id) < ctx.sndbuf() {
        return true;
    }
    core.watch_tx(id);
    false
}

/// The terminal control message for a call that ended as `outcome`.
fn put_terminal(msg: &mut Msg, outcome: Outcome, service: bool) -> Result {
    match outcome {
        Outcome::Succeeded if service => msg.put_cmsg(kind::ACK, &[]),
        Outcome::Succeeded => Ok(()),
        Outcome::RemoteAbort(code) | Outcome::LocalAbort { code, .. } => {
            msg.put_cmsg(kind::ABORT, &code.to_ne_bytes())
        }
        Outcome::Busy => msg.put_cmsg(kind::BUSY, &[]),
        Outcome::NetError(e) => msg.put_cmsg(kind::NET_ERROR, &e.to_ne_bytes()),
        Outcome::LocalError(e) => msg.put_cmsg(kind::LOCAL_ERROR, &e.to_ne_bytes()),
    }
}

/// `recvmsg()`: data of one call per call, or a call's terminal message,
/// or an incoming call waiting for `RXRPC_ACCEPT`.
pub(crate) fn recvmsg(ctx: &SockCtx, msg: &mut Msg, len: usize, flags: u32) -> Result<usize> {
    if flags & (bindings::MSG_OOB | bindings::MSG_TRUNC) != 0 {
        return Err(errno(bindings::EOPNOTSUPP));
    }
    let peek = flags & bindings::MSG_PEEK != 0;
    let mut timeo = ctx.timeout(false, flags & bindings::MSG_DONTWAIT != 0);
    let (local, listening) = {
        let mut sk = ctx.lock();
        (sk.state().local(), sk.state().listening())
    };
    // A socket that never had a call has nothing to wait for.
    let local = local.ok_or(EAGAIN)?;
    let sock = ctx.sock_ref();

    let mut guard = local.lock();
    loop {
        let now = now();
        let core = &mut *guard;
        let attached = core.socks.get_mut(&sock.id()).ok_or(EAGAIN)?;
        let tag = match attached.front() {
            Some(Notice::NewCall) => {
                if !peek {
                    attached.pop();
                }
                msg.put_cmsg(kind::NEW_CALL, &[])?;
                return Ok(0);
            }
            Some(Notice::Call(tag)) => tag,
            None => {
                if attached.calls.iter().next().is_none() && !listening {
                    return Err(EAGAIN);
                }
                let seen = ctx.gen();
                drop(guard);
                match if timeo == 0 { Wait::TimedOut } else { ctx.wait(seen, timeo) } {
                    Wait::Woken(left) => timeo = left,
                    Wait::TimedOut => return Err(EAGAIN),
                    Wait::Interrupted => return Err(ERESTARTSYS),
                }
                guard = local.lock();
                continue;
            }
        };
        let Some((user_id, call, service)) = core.tags.get(&tag).and_then(|t| Some((t.user_id, t.call?, t.service)))
        else {
            attached.pop();
            continue;
        };

        if let (Some(peer), Some(service_id)) = (core.ep.call_peer(call), core.ep.call_service_id(call)) {
            let mut name = [0; addr::SOCKADDR_LEN];
            RxrpcAddr { service: service_id, transport: peer }.write(&mut name);
            msg.set_name(&name);
        }
        msg.put_user_id(user_id)?;

        // Read until the buffer is full or the queued data runs out; one
        // read happens even for an empty buffer, to learn the call's state.
        // Data is peeked, copied out, and only then consumed, so a fault
        // in the user's buffer loses nothing (as in the C module).
        let mut copied = 0;
        let (end, more_pending) = loop {
            let chunk = (len - copied).min(core.bounce.len());
            let seen = match core.ep.recv(now, call, &mut core.bounce[..chunk], true) {
                Ok(r) => r,
                Err(EngineError::BadCall) => break (true, false),
                Err(e) => return Err(engine_error(e)),
            };
            let ok = msg.copy_out(&core.bounce[..seen.bytes]);
            let faulted = ok < seen.bytes;
            let r = if peek {
                seen
            } else {
                // Consume what the peek saw (the lock is held), or on a
                // fault what reached the user.
                core.ep.consume(now, call, if faulted { ok } else { chunk }).map_err(engine_error)?
            };
            copied += ok;
            if faulted {
                if copied == 0 {
                    return Err(EFAULT);
                }
                // What reached the user is reported; the rest stays queued.
                break (false, true);
            }
            if copied == len || r.bytes < chunk || peek || r.end_of_data {
                break (r.end_of_data, r.more_pending);
            }
        };
        // Nothing readable is left (a peek leaves what it read in place).
        let drained = (end || !more_pending) && !(peek && copied > 0);
        let outcome = core.ep.call_outcome(call);
        let attached = core.socks.get_mut(&sock.id()).ok_or(EAGAIN)?;
        match outcome {
            Some(outcome) if drained => {
                put_terminal(msg, outcome, service)?;
                msg.add_flags(bindings::MSG_EOR);
                if !peek {
                    attached.pop();
                    core.ep.release(now, call);
                    core.drop_tag(tag);
                }
            }
            _ => {
                if !end {
                    msg.add_flags(bindings::MSG_MORE);
                }
                if !peek && drained {
                    attached.pop();
                    if let Some(t) = core.tags.get_mut(&tag) {
                        t.queued = false;
                    }
                }
                if copied == 0 && len > 0 && !end && drained {
                    // Nothing to read yet after all: wait for the next event.
                    continue;
                }
            }
        }
        local.flush(&mut guard, now);
        return Ok(copied);
    }
}
