//! sendmsg: data for a call (beginning a client call for a new user id),
//! an abort, or an accept command, with AF_RXRPC's control messages and
//! flags (MSG_MORE, MSG_DONTWAIT, MSG_WAITALL). As in net/rxrpc/sendmsg.c,
//! finding or beginning the call, offering data, and waiting for Tx space
//! are separate steps.

use kernel::prelude::*;
use kernel::sync::lock::{mutex::MutexBackend, Guard};
use kernel::sync::Arc;

use super::addr::RxrpcAddr;
use super::cmsg::{self, CallTimeouts, Command, SendParams};
use super::endpoint::{engine_error, now, Core, Local};
use super::registry::Registry;
use super::trace;
use super::SockCtx;
use crate::kapi::errno::{EBADSLT, EDESTADDRREQ, EOPNOTSUPP, ESHUTDOWN};
use crate::kapi::net::family::{Direction, Wait};
use crate::kapi::net::msg::Msg;
use crate::kapi::net::msg_flags;
use crate::proto::{CallHandle, CallParams, Error as EngineError, Instant, WIRE_PAYLOAD};

/// The endpoint's engine, locked.
pub(crate) type Locked<'a> = Guard<'a, Core, MutexBackend>;

/// What a failed wait means for the syscall, given what it already did.
pub(crate) fn partial(done: usize, e: Error) -> Result<usize> {
    if done > 0 {
        Ok(done)
    } else {
        Err(e)
    }
}

/// How much of a user buffer is brought into memory at a time when a
/// copy under the endpoint's lock found a page missing.
pub(crate) const FAULT_IN: usize = 64 * 1024;
/// Copies in a row that make no progress although their pages were just
/// brought in (each time evicted again under memory pressure) before the
/// syscall gives up with `EFAULT`.
pub(crate) const FAULT_RETRIES: u32 = 8;

/// How long a `MSG_WAITALL` sendmsg waits, at the least, for the peer to
/// make progress before a pending signal ends it. The C module waits twice
/// the RTT; ours waits no less than a minimum retransmission timeout, as a
/// receiver may ACK what its reader consumed only after a delay.
const WAITALL_PATIENCE: core::time::Duration = core::time::Duration::from_millis(200);

/// `sendmsg()`.
pub(crate) fn sendmsg(
    registry: &Registry,
    ctx: &SockCtx<'_>,
    msg: &mut Msg,
    _len: usize,
) -> Result<usize> {
    let flags = msg.flags();
    if flags & msg_flags::OOB != 0 {
        return Err(EOPNOTSUPP.into());
    }
    let p = cmsg::parse(msg)?;
    let ((local, family, connected, exclusive), call_key) = {
        let mut sk = ctx.lock();
        let net = sk.net();
        let r = sk
            .state()
            .prepare_send(registry, net, || ctx.sock_ref(), p.command)?;
        (r, sk.state().call_key())
    };
    let sock = ctx.id();
    match p.command {
        Command::ChargeAccept | Command::Accept => local.with_core(|core, now| {
            // A full backlog is reported before a duplicate id, as in C.
            if p.command == Command::ChargeAccept && !core.ep.charge_room() {
                return Err(engine_error(EngineError::NoBuffers));
            }
            if core
                .socks
                .get(&sock)
                .is_some_and(|a| a.calls.get(&p.user_id).is_some())
            {
                return Err(EBADSLT.into());
            }
            let tag = core.add_tag(ctx.sock_ref(), p.user_id, true)?;
            // A charge may take a call that waited since before it.
            let r = if p.command == Command::Accept {
                core.ep.accept_next(now, tag).map(Some)
            } else {
                core.ep.charge(now, tag)
            };
            match r {
                Ok(call) => {
                    if p.command == Command::ChargeAccept {
                        trace::call_charged(p.user_id);
                    }
                    if let Some(call) = call {
                        trace::call_accepted(call, p.user_id);
                    }
                    if let Some(t) = core.tags.get_mut(&tag) {
                        t.call = call;
                    }
                    Ok(0)
                }
                Err(e) => {
                    core.drop_tag(tag);
                    Err(engine_error(e))
                }
            }
        }),
        Command::Abort(code) => local.with_core(|core, now| {
            let tag = core
                .socks
                .get(&sock)
                .and_then(|a| a.calls.get(&p.user_id).copied());
            let tag = tag.ok_or(EBADSLT)?;
            let call = core.tags.get(&tag).and_then(|t| t.call).ok_or(EBUSY)?;
            core.ep.abort(now, call, code).map_err(engine_error)?;
            trace::abort_by_user(&core.ep, call, code);
            Ok(0)
        }),
        Command::SendData => {
            // Checked now, but only an error if the call is new.
            let named = msg.name().map(|raw| RxrpcAddr::parse(raw, family));
            let new_call = |core: &mut Core| -> Result<CallParams> {
                let dest = match named {
                    Some(parsed) => parsed?,
                    None => connected.ok_or(EDESTADDRREQ)?,
                };
                Ok(CallParams {
                    remote: dest.peer(),
                    service_id: dest.service,
                    user: 0,
                    upgrade: p.upgrade,
                    exclusive: p.exclusive || exclusive,
                    security: call_key.security(core)?,
                    timeouts: CallTimeouts::for_new_call(p.timeouts),
                })
            };
            send_data(ctx, msg, &local, &p, flags, new_call)
        }
    }
}

/// Sends the payload of `msg` on the call `p.user_id`, made with the
/// parameters `new_call` gives if there is none yet.
fn send_data(
    ctx: &SockCtx<'_>,
    msg: &mut Msg,
    local: &Arc<Local>,
    p: &SendParams,
    flags: u32,
    new_call: impl FnOnce(&mut Core) -> Result<CallParams>,
) -> Result<usize> {
    let mut guard = local.lock();
    let call = find_or_begin_call(&mut guard, ctx, now(), p, new_call)?;
    send_payload(ctx, msg, local, guard, call, flags, |_| ())
}

/// Sends the payload of `msg` on `call` (`MSG_MORE` in `flags`: the phase
/// goes on after it), with the endpoint locked. Blocks for Tx space unless
/// `MSG_DONTWAIT`; what was not taken is left in the message. Calls
/// `phase_end` once the engine has taken the last of the call's data,
/// before any of it is transmitted.
pub(crate) fn send_payload<'a>(
    ctx: &SockCtx<'_>,
    msg: &mut Msg,
    local: &'a Local,
    mut guard: Locked<'a>,
    call: CallHandle,
    flags: u32,
    phase_end: impl FnOnce(&mut Core),
) -> Result<usize> {
    let more = flags & msg_flags::MORE != 0;
    let mut timeo = ctx.timeout(Direction::Send, flags & msg_flags::DONTWAIT != 0);
    let now = now();

    // Data is copied from the message straight into the call's packets,
    // under the endpoint's lock, as much as the engine takes; the rest
    // stays in the message. The copy never sleeps on a page fault: a page
    // not in memory is brought in with the lock dropped, so that a slow
    // fault (swap, a file mapping on a slow disk or FUSE) stalls no other
    // call or socket of the endpoint.
    let mut sent = 0;
    let mut stuck = 0;
    // Room granted to an offer that a fault cut short: its copy goes on
    // after the fault, whatever the room is then.
    let mut granted = 0;
    loop {
        let left = msg.left();
        let (offered, k, fault) = match offer(&mut guard, ctx, call, msg, left, more, granted) {
            Ok(r) => r,
            Err(e) => {
                local.flush(&mut guard, now);
                return partial(sent, e);
            }
        };
        sent += k;
        granted = 0;
        if fault {
            local.flush(&mut guard, now);
            stuck = if k == 0 { stuck + 1 } else { 0 };
            granted = offered - k;
            drop(guard);
            let ready = msg.fault_in(msg.left().min(FAULT_IN), false);
            guard = local.lock();
            if ready == 0 || stuck > FAULT_RETRIES {
                return partial(sent, EFAULT);
            }
            continue;
        }
        if k == left {
            break;
        }
        if k == offered && k > 0 {
            // Taken in full: see what room is left.
            continue;
        }
        local.flush(&mut guard, now);
        let waitall = flags & msg_flags::WAITALL != 0 && timeo != 0;
        guard = match wait_for_tx_space(local, guard, ctx, call, waitall, &mut timeo) {
            Ok(guard) => guard,
            Err(e) => return partial(sent, e),
        };
    }
    if !more {
        phase_end(&mut guard);
    }
    local.flush(&mut guard, now);
    Ok(sent)
}

/// The call of user id `p.user_id` on the socket, made with the
/// parameters `new_call` gives if there is none yet, checked to take data.
fn find_or_begin_call(
    core: &mut Core,
    ctx: &SockCtx<'_>,
    now: Instant,
    p: &SendParams,
    new_call: impl FnOnce(&mut Core) -> Result<CallParams>,
) -> Result<CallHandle> {
    let existing = core
        .socks
        .get(&ctx.id())
        .and_then(|a| a.calls.get(&p.user_id).copied());
    let (tag, call) = match existing {
        Some(tag) => {
            let call = core.tags.get(&tag).and_then(|t| t.call).ok_or(EBUSY)?;
            if !core.ep.call_can_take_data(call) {
                return Err(EBUSY);
            }
            if let Some(n) = p.tx_length {
                // Only before anything was sent, and only once.
                if core.tags.get(&tag).is_some_and(|t| t.tx_fixed) {
                    return Err(EINVAL);
                }
                core.ep.set_tx_length(call, n).map_err(|_| EINVAL)?;
            }
            if let Some(t) = p.timeouts {
                core.ep
                    .set_call_timeouts(now, call, t.hard, t.idle, t.normal)
                    .map_err(engine_error)?;
            }
            (tag, call)
        }
        None => {
            let mut params = new_call(core)?;
            let tag = core.add_tag(ctx.sock_ref(), p.user_id, false)?;
            params.user = tag;
            let call = match core.ep.begin_call(now, params) {
                Ok(call) => call,
                Err(e) => {
                    core.drop_tag(tag);
                    return Err(engine_error(e));
                }
            };
            if let Some(t) = core.tags.get_mut(&tag) {
                t.call = Some(call);
            }
            core.ep.set_call_group(call, ctx.id() as u64);
            trace::call_new_client(call, p.user_id);
            if let Some(n) = p.tx_length {
                core.ep.set_tx_length(call, n).map_err(engine_error)?;
            }
            (tag, call)
        }
    };
    if let Some(t) = core.tags.get_mut(&tag) {
        t.tx_fixed = true;
    }
    if core.ep.call_outcome(call).is_some() {
        return Err(ESHUTDOWN.into());
    }
    Ok(call)
}

/// Offers the engine up to `left` bytes of `msg` for `call`, as much as
/// the socket's send buffer has room for, or `granted` if more (what an
/// offer cut short by a fault was given); `more` says the phase goes on
/// after them. Returns how much was offered, how much was taken (copied
/// from the message straight into the call's packets), and whether the
/// copy faulted. With no room, asks for a wake when the socket's calls
/// free some.
fn offer(
    core: &mut Core,
    ctx: &SockCtx<'_>,
    call: CallHandle,
    msg: &mut Msg,
    left: usize,
    more: bool,
    granted: usize,
) -> Result<(usize, usize, bool)> {
    let offered = send_room(core, ctx, call, left).max(granted).min(left);
    // An empty write (the end of the phase) takes no room.
    if offered == 0 && left > 0 {
        core.watch_tx(ctx.id());
        return Ok((0, 0, false));
    }
    // A part of the data is not the end of the phase.
    let more = more || offered < left;
    // The key must still be good when data is secured with it, as in C.
    if let Some(key) = core.ep.call_key(call) {
        core.ep.security_mut().host.validate_client(key)?;
    }
    let mut fault = false;
    let taken = core
        .ep
        .send_with(call, offered, more, |dst| {
            let n = msg.copy_in_nofault(dst);
            fault |= n < dst.len();
            n
        })
        .map_err(engine_error)?;
    Ok((offered, taken, fault))
}

/// Sleeps, with the endpoint unlocked, until the engine reports freed Tx
/// space (the call's window, or the socket's send buffer), and locks it
/// again. `MSG_WAITALL` sleeps through signals (and `SO_SNDTIMEO`) while
/// the peer makes progress: hard-ACKs more of the call.
fn wait_for_tx_space<'a>(
    local: &'a Local,
    guard: Locked<'a>,
    ctx: &SockCtx<'_>,
    call: CallHandle,
    waitall: bool,
    timeo: &mut isize,
) -> Result<Locked<'a>> {
    let seen = ctx.gen();
    let acked = guard.ep.call_info(call).map(|i| i.tx.0);
    let rtt = guard
        .ep
        .call_peer(call)
        .and_then(|p| guard.ep.peer_srtt(p))
        .unwrap_or_default();
    let kern = guard.socks.get(&ctx.id()).is_some_and(|a| a.kern);
    drop(guard);
    let woke = if *timeo == 0 {
        Wait::TimedOut
    } else if waitall {
        ctx.wait_uninterruptible(seen, (rtt * 2).max(WAITALL_PATIENCE))
    } else if kern {
        // A kernel user's callbacks are not to run inside its own send.
        ctx.wait(seen, *timeo)
    } else {
        // ACKs that free the space wake us, to run them here.
        ctx.wait_or_rx(seen, *timeo, local)
    };
    let guard = local.lock();
    let progress = || guard.ep.call_info(call).map(|i| i.tx.0) != acked;
    let failed = match woke {
        Wait::Woken(_) if waitall => None,
        Wait::Woken(left) => {
            *timeo = left;
            None
        }
        Wait::TimedOut if waitall => None,
        Wait::Interrupted if waitall && progress() => None,
        Wait::Interrupted if waitall => Some(EINTR),
        Wait::TimedOut => Some(EAGAIN),
        Wait::Interrupted => Some(ERESTARTSYS),
    };
    if let Some(e) = failed {
        return Err(e);
    }
    if guard.ep.call_outcome(call).is_some() {
        return Err(ESHUTDOWN.into());
    }
    Ok(guard)
}

/// How much the socket may queue on `call` now: what its send buffer has
/// left, counting the Tx data all its calls hold until hard-ACKed. A call
/// holding nothing may always queue a packet's worth, so that one busy
/// call cannot starve the others. With room for `want` bytes against
/// all the endpoint's calls, whose Tx data is counted as it changes, the
/// socket's own calls are not walked: their share is no more than that.
///
/// A kernel socket's calls are bounded by their own Tx windows only, as in
/// C: kAFS runs calls in parallel that a fileserver serves one after the
/// other (StoreData calls to one file), and a send buffer shared between
/// them let a waiting call's queued data block the call being served.
fn send_room(core: &Core, ctx: &SockCtx<'_>, call: CallHandle, want: usize) -> usize {
    if core.socks.get(&ctx.id()).is_some_and(|a| a.kern) {
        return usize::MAX;
    }
    let free = ctx.sndbuf().saturating_sub(core.ep.tx_held_total());
    if free >= want {
        return free;
    }
    let room = ctx.sndbuf().saturating_sub(core.tx_held(ctx.id()));
    if core.ep.call_tx_held(call) == 0 {
        room.max(WIRE_PAYLOAD)
    } else {
        room
    }
}

/// Whether `poll` reports the socket writable: its send buffer has room.
/// If not, a wake is asked for when its calls free some. The socket's
/// calls are walked only when all the endpoint's calls together fill it.
pub(crate) fn writable(ctx: &SockCtx<'_>) -> bool {
    let local = ctx.lock().state().local();
    let Some(local) = local else { return true };
    let mut core = local.lock();
    let id = ctx.id();
    if core.ep.tx_held_total() < ctx.sndbuf() || core.tx_held(id) < ctx.sndbuf() {
        return true;
    }
    core.watch_tx(id);
    false
}
