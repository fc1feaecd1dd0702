//! recvmsg: data of one call per call, or a call's terminal message, or an
//! incoming call waiting for `RXRPC_ACCEPT`, with MSG_PEEK, MSG_DONTWAIT,
//! partial reads, and MSG_EOR/MSG_MORE as the C module reports them.

use kernel::prelude::*;

use super::addr::{self, RxrpcAddr};
use super::cmsg;
use super::endpoint::{engine_error, now, Core, Notice};
use super::sendmsg::{FAULT_IN, FAULT_RETRIES};
use super::trace;
use super::uapi::cmsg as kind;
use super::SockCtx;
use crate::kapi::errno::EOPNOTSUPP;
use crate::kapi::net::family::{Direction, Wait};
use crate::kapi::net::msg::Msg;
use crate::kapi::net::msg_flags;
use crate::proto::{CallHandle, Error as EngineError, Instant, Outcome};

/// The terminal control message for a call that ended as `outcome`.
fn put_terminal(msg: &mut Msg, outcome: Outcome, service: bool) -> Result {
    match outcome {
        Outcome::Succeeded if service => cmsg::put(msg, kind::ACK, &[]),
        Outcome::Succeeded => Ok(()),
        Outcome::RemoteAbort(code) | Outcome::LocalAbort { code, .. } => {
            cmsg::put(msg, kind::ABORT, &code.to_ne_bytes())
        }
        Outcome::Busy => cmsg::put(msg, kind::BUSY, &[]),
        Outcome::NetError(e) => cmsg::put(msg, kind::NET_ERROR, &e.to_ne_bytes()),
        Outcome::LocalError(e) => cmsg::put(msg, kind::LOCAL_ERROR, &e.to_ne_bytes()),
    }
}

/// How a read of a call's data under the endpoint's lock ended.
enum Read {
    /// As far as it could: `end` of the data phase reached, or
    /// `more_pending` data queued beyond what was read.
    Done { end: bool, more_pending: bool },
    /// Short of a page of the user's buffer that is not in memory (or is
    /// bad).
    Fault,
}

/// Reads up to `len` bytes of `call`'s data into `msg` (`peek`: without
/// consuming them), adding what reached the user to `copied`.
fn read(
    core: &mut Core,
    msg: &mut Msg,
    call: CallHandle,
    now: Instant,
    len: usize,
    peek: bool,
    copied: &mut usize,
) -> Result<Read> {
    let read = if !peek {
        // Straight from the call's packets to the user; only what reached
        // the user is consumed.
        let mut fault = false;
        core.ep
            .recv_with(now, call, len, |chunk| {
                let n = msg.copy_out_nofault(chunk);
                fault |= n < chunk.len();
                n
            })
            .map(|r| (r, r.bytes, fault))
    } else {
        // A peek reads through the bounce buffer and consumes nothing.
        core.make_bounce()?;
        let chunk = len.min(core.bounce.len());
        core.ep
            .recv(now, call, &mut core.bounce[..chunk], true)
            .map(|r| {
                let n = msg.copy_out_nofault(&core.bounce[..r.bytes]);
                (r, n, n < r.bytes)
            })
    };
    match read {
        Ok((_, n, true)) => {
            *copied += n;
            Ok(Read::Fault)
        }
        Ok((r, n, false)) => {
            *copied += n;
            Ok(Read::Done {
                end: r.end_of_data,
                more_pending: r.more_pending,
            })
        }
        Err(EngineError::BadCall) => Ok(Read::Done {
            end: true,
            more_pending: false,
        }),
        Err(e) => Err(engine_error(e)),
    }
}

/// `recvmsg()`: data of one call per call, or a call's terminal message,
/// or an incoming call waiting for `RXRPC_ACCEPT`.
pub(crate) fn recvmsg(ctx: &SockCtx<'_>, msg: &mut Msg, len: usize, flags: u32) -> Result<usize> {
    if flags & (msg_flags::OOB | msg_flags::TRUNC) != 0 {
        return Err(EOPNOTSUPP.into());
    }
    let peek = flags & msg_flags::PEEK != 0;
    let mut timeo = ctx.timeout(Direction::Receive, flags & msg_flags::DONTWAIT != 0);
    // Nothing queued and no wait: every path below answers EAGAIN, so
    // neither lock is taken (a notice queued meanwhile is as if it came
    // after this call).
    if timeo == 0 && ctx.pending() == 0 {
        return Err(EAGAIN);
    }
    let (local, listening) = {
        let mut sk = ctx.lock();
        (sk.state().local(), sk.state().listening())
    };
    // A socket that never had a call has nothing to wait for.
    let local = local.ok_or(EAGAIN)?;
    let sock = ctx.id();

    let mut guard = local.lock();
    loop {
        let now = now();
        let core = &mut *guard;
        let attached = core.socks.get_mut(&sock).ok_or(EAGAIN)?;
        let tag = match attached.front() {
            Some(Notice::NewCall) => {
                if !peek {
                    attached.pop();
                }
                cmsg::put(msg, kind::NEW_CALL, &[])?;
                return Ok(0);
            }
            Some(Notice::Call(tag)) => tag,
            None => {
                if attached.calls.iter().next().is_none() && !listening {
                    return Err(EAGAIN);
                }
                let seen = ctx.gen();
                drop(guard);
                // The endpoint's packets wake us too, to run them here.
                match if timeo == 0 {
                    Wait::TimedOut
                } else {
                    ctx.wait_or_rx(seen, timeo, &local)
                } {
                    Wait::Woken(left) => timeo = left,
                    Wait::TimedOut => return Err(EAGAIN),
                    Wait::Interrupted => return Err(ERESTARTSYS),
                }
                guard = local.lock();
                continue;
            }
        };
        let Some((user_id, call, service)) = core
            .tags
            .get(&tag)
            .and_then(|t| Some((t.user_id, t.call?, t.service)))
        else {
            attached.pop();
            continue;
        };

        if let (Some(peer), Some(service_id)) =
            (core.ep.call_peer(call), core.ep.call_service_id(call))
        {
            let mut name = [0; addr::SOCKADDR_LEN];
            RxrpcAddr {
                service: service_id,
                transport: peer,
            }
            .write(&mut name);
            msg.set_name(&name);
        }
        cmsg::put_user_id(msg, user_id)?;

        // Read until the buffer is full or the queued data runs out; one
        // read happens even for an empty buffer, to learn the call's state.
        // Only what reached the user is consumed, so a fault in the user's
        // buffer loses nothing (as in the C module). The copy never sleeps
        // on a page fault: a page not in memory is brought in with the
        // lock dropped, so that a slow fault stalls no other call or
        // socket of the endpoint, and the read goes on.
        let (mut copied, mut stuck) = (0, 0);
        let (end, more_pending) = loop {
            let before = copied;
            match read(&mut guard, msg, call, now, len - copied, peek, &mut copied)? {
                Read::Done { end, more_pending } => break (end, more_pending),
                // A peek would read from the start again.
                Read::Fault if peek && copied > 0 => break (false, true),
                Read::Fault => {
                    stuck = if copied == before { stuck + 1 } else { 0 };
                    drop(guard);
                    let ready = msg.fault_in((len - copied).min(FAULT_IN), true);
                    guard = local.lock();
                    if ready == 0 || stuck > FAULT_RETRIES {
                        if copied == 0 {
                            return Err(EFAULT);
                        }
                        // What reached the user is reported; the rest
                        // stays queued.
                        break (false, true);
                    }
                }
            }
        };
        let core = &mut *guard;
        // Nothing readable is left (a peek leaves what it read in place).
        let drained = (end || !more_pending) && !(peek && copied > 0);
        let outcome = core.ep.call_outcome(call);
        let attached = core.socks.get_mut(&sock).ok_or(EAGAIN)?;
        match outcome {
            Some(outcome) if drained => {
                put_terminal(msg, outcome, service)?;
                msg.add_flags(msg_flags::EOR);
                if !peek {
                    attached.pop_if(Notice::Call(tag));
                    core.ep.release(now, call);
                    trace::call_released(call);
                    core.drop_tag(tag);
                }
            }
            _ => {
                if !end {
                    msg.add_flags(msg_flags::MORE);
                }
                if !peek && drained {
                    attached.pop_if(Notice::Call(tag));
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
