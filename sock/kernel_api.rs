//! The in-kernel interface (`net/af_rxrpc.h`) for kAFS and rxperf: calls
//! on kernel sockets, driven by the user's notifications rather than by
//! recvmsg, with the semantics (and errnos) of the C module.

use core::sync::atomic::{AtomicBool, AtomicI32, AtomicU32, AtomicUsize, Ordering};

use kernel::new_spinlock;
use kernel::prelude::*;
use kernel::rbtree::RBTreeNodeReservation;
use kernel::sync::{Arc, SpinLock};

use super::addr::RxrpcAddr;
use super::cmsg::CallTimeouts;
use super::endpoint::{engine_error, now, Core, KernelTag, Local};
use super::registry::Registry;
use super::sendmsg::{send_payload, Locked};
use super::trace;
use super::{CallKey, RxrpcFamily, SockCtx, SockRef, SockState};
use crate::kapi::errno::{EBADMSG, EBADSLT, ECONNABORTED, ECONNRESET, EMSGSIZE, EPROTO, ESHUTDOWN};
use crate::kapi::key_type::{Key, Keyring};
use crate::kapi::net::af_rxrpc::{
    ApiTables, AppOps, BeginCall, Interruptibility, IovIter, KernelApi, Notify, SrxBuf,
};
use crate::kapi::net::family::Locked as SockLocked;
use crate::kapi::net::msg::Msg;
use crate::kapi::net::msg_flags;
use crate::kapi::HZ;
use crate::proto::wire::RX_USER_ABORT;
use crate::proto::{CallHandle, CallParams, Error as EngineError, Outcome, TransportAddr};
use crate::security::key::RxrpcKey;

static API: ApiTables<RxrpcFamily> = ApiTables::new();

/// Most peers an endpoint keeps for kernel users; beyond it a peer is
/// handed out without being kept (so one address may then be two peers).
const MAX_PEERS: usize = 1024;

/// A kernel user's call: its endpoint and its tag there, and what the
/// user may ask of it without the endpoint's lock (kAFS asks while it
/// sleeps, or from its notifications, which run under that lock).
#[pin_data]
pub(crate) struct KernelCall {
    local: Arc<Local>,
    tag: u64,
    /// Whether waits for Tx space sleep through signals.
    uninterruptible: bool,
    /// The call's peer, once known (a charge learns it when a call comes).
    #[pin]
    peer: SpinLock<Option<Arc<KernelPeer>>>,
    /// Whether the call has not ended; cleared after the user is notified
    /// of the end, so that it has read what came before (before, if the
    /// call failed: C's check_life is false from then on).
    live: AtomicBool,
    /// The error the user gave the abort_call that ended the call (0 if
    /// none did), which C reports as the call's error.
    abort_error: AtomicI32,
}

/// A peer as kernel users see it: an address, and their data on it.
pub(crate) struct KernelPeer {
    addr: TransportAddr,
    srx: SrxBuf,
    data: AtomicUsize,
    /// Smoothed RTT in µs (`u32::MAX`: no sample), refreshed whenever the
    /// endpoint is at hand, because kAFS reads it under RCU.
    srtt_us: AtomicU32,
}

impl KernelCall {
    fn new(
        local: Arc<Local>,
        tag: u64,
        uninterruptible: bool,
        peer: Option<Arc<KernelPeer>>,
    ) -> Result<Arc<Self>> {
        Arc::pin_init(
            pin_init!(Self {
                local,
                tag,
                uninterruptible,
                peer <- new_spinlock!(peer),
                live: AtomicBool::new(true),
                abort_error: AtomicI32::new(0),
            }),
            GFP_KERNEL,
        )
    }

    /// The errno and abort code the call reports, as in C: an abort by
    /// the user gives the error it passed.
    fn failure(&self, outcome: Outcome) -> (i32, u32) {
        let (err, code) = failure(outcome);
        match (outcome, self.abort_error.load(Ordering::Relaxed)) {
            (Outcome::LocalAbort { errno: 0, .. }, e) if e != 0 => (e, code),
            _ => (err, code),
        }
    }

    /// Locks the call's endpoint; the engine's handle of the call, if the
    /// user has not shut it down (and, for a charge, once a call came).
    fn lock(&self) -> (Locked<'_>, Option<CallHandle>) {
        let guard = self.local.lock();
        let call = guard.tags.get(&self.tag).and_then(|t| t.call);
        (guard, call)
    }
}

/// Tells a kernel user of an event of its call `h` (tag `k`, socket
/// `sock`, id `user`), with the endpoint locked: first that a charged
/// call arrived (`new`), then that there is something to read, then, if
/// it ended (`complete`), that it is no longer live.
pub(crate) fn notify(
    core: &mut Core,
    k: KernelTag,
    sock: &SockRef,
    user: u64,
    h: CallHandle,
    new: bool,
    complete: bool,
) {
    if new {
        if let Some(addr) = core.ep.call_peer(h) {
            let service = core.ep.call_service_id(h).unwrap_or(0);
            if let Ok(peer) = peer_at(core, addr, || srx_of(service, addr)) {
                *k.call.peer.lock() = Some(peer);
            }
        }
        let ops = core.socks.get(&sock.id()).and_then(|a| a.app_ops);
        if let Some(ops) = ops {
            ops.notify_new_call(sock, &k.call, user);
        }
    }
    let failed = complete
        && core
            .ep
            .call_outcome(h)
            .is_some_and(|o| o != Outcome::Succeeded);
    if failed {
        k.call.live.store(false, Ordering::Release);
    }
    k.notify_rx.notify(sock, &k.call, user);
    if complete {
        k.call.live.store(false, Ordering::Release);
    }
}

/// A `sockaddr_rxrpc` of `service` at `addr`.
fn srx_of(service: u16, addr: TransportAddr) -> [u8; 36] {
    let mut raw = [0; 36];
    RxrpcAddr {
        service,
        transport: addr,
    }
    .write(&mut raw);
    raw
}

/// The peer of `addr` in the endpoint's table, made (as `srx`) if there is
/// none; its RTT refreshed.
fn peer_at(
    core: &mut Core,
    addr: TransportAddr,
    srx: impl FnOnce() -> [u8; 36],
) -> Result<Arc<KernelPeer>> {
    let peer = match core.peers.get(&addr) {
        Some(peer) => peer.clone(),
        None => {
            let peer = Arc::new(
                KernelPeer {
                    addr,
                    srx: SrxBuf(srx()),
                    data: AtomicUsize::new(0),
                    srtt_us: AtomicU32::new(u32::MAX),
                },
                GFP_KERNEL,
            )?;
            if core.peers.iter().count() < MAX_PEERS {
                let node = RBTreeNodeReservation::new(GFP_KERNEL)?;
                core.peers.insert(node.into_node(addr, peer.clone()));
            }
            peer
        }
    };
    refresh_srtt(core, &peer);
    Ok(peer)
}

fn refresh_srtt(core: &Core, peer: &KernelPeer) {
    let srtt = core.ep.peer_srtt(peer.addr).map_or(u32::MAX, |d| {
        u32::try_from(d.as_micros()).unwrap_or(u32::MAX - 1)
    });
    peer.srtt_us.store(srtt, Ordering::Relaxed);
}

/// The errno and abort code a failed call reports, as in C.
fn failure(outcome: Outcome) -> (i32, u32) {
    match outcome {
        Outcome::Succeeded => (0, 0),
        Outcome::RemoteAbort(code) => (ECONNABORTED.to_errno(), code),
        Outcome::LocalAbort { code, errno: 0 } => (ECONNABORTED.to_errno(), code),
        Outcome::LocalAbort { code, errno } => (-errno, code),
        Outcome::Busy => (EBUSY.to_errno(), 0),
        Outcome::NetError(e) | Outcome::LocalError(e) => (-e, 0),
    }
}

impl KernelApi for RxrpcFamily {
    type Call = KernelCall;
    type Peer = KernelPeer;
    type Key = RxrpcKey;

    fn api_tables() -> &'static ApiTables<Self> {
        &API
    }

    fn set_notifications(sk: &mut SockLocked<'_, Self>, ops: AppOps) {
        let id = sk.id();
        let state = sk.state();
        state.app_ops = Some(ops);
        if let Some(local) = &state.local {
            if let Some(a) = local.lock().socks.get_mut(&id) {
                a.app_ops = Some(ops);
            }
        }
    }

    fn begin_call(
        registry: &Arc<Registry>,
        ctx: &SockCtx<'_>,
        peer: &Arc<KernelPeer>,
        key: Option<Key<RxrpcKey>>,
        p: BeginCall,
    ) -> Result<Arc<KernelCall>> {
        let (local, call_key) = {
            let mut sk = ctx.lock();
            let net = sk.net();
            let (local, ..) = sk.state().prepare_send(
                registry,
                net,
                || ctx.sock_ref(),
                super::cmsg::Command::SendData,
            )?;
            // The user's key, at the socket's minimum level (kAFS asks for
            // encryption).
            (local, CallKey::new(key, sk.state().min_security_level))
        };
        let mut guard = local.lock();
        let core = &mut *guard;
        let now = now();
        if core
            .socks
            .get(&ctx.id())
            .is_some_and(|a| a.calls.get(&p.user_call_id).is_some())
        {
            return Err(EEXIST);
        }
        let security = call_key.security(core)?;
        let tag = core.add_tag(ctx.sock_ref(), p.user_call_id, false)?;
        let uninterruptible = p.intr == Interruptibility::Uninterruptible;
        let call = KernelCall::new(local.clone(), tag, uninterruptible, Some(peer.clone()))
            .inspect_err(|_| core.drop_tag(tag))?;
        let hard =
            (p.hard_timeout > 0).then(|| core::time::Duration::from_secs(p.hard_timeout.into()));
        let params = CallParams {
            remote: peer.addr,
            service_id: p.service_id,
            user: tag,
            upgrade: p.upgrade,
            exclusive: false,
            security,
            timeouts: CallTimeouts::for_new_call(Some(CallTimeouts {
                hard,
                idle: None,
                normal: None,
            })),
        };
        let h = match core.ep.begin_call(now, params) {
            Ok(h) => h,
            Err(e) => {
                core.drop_tag(tag);
                return Err(engine_error(e));
            }
        };
        core.ep.set_call_group(h, ctx.id() as u64);
        if let Some(t) = core.tags.get_mut(&tag) {
            t.call = Some(h);
            t.kernel = Some(KernelTag {
                call: call.clone(),
                notify_rx: p.notify_rx,
            });
        }
        trace::call_new_client(h, p.user_call_id);
        if let Ok(len) = u64::try_from(p.tx_total_len) {
            let _ = core.ep.set_tx_length(h, len);
        }
        local.flush(core, now);
        Ok(call)
    }

    fn send_data(
        ctx: &SockCtx<'_>,
        call: &Arc<KernelCall>,
        msg: &mut Msg,
        end_tx: Option<Notify>,
    ) -> Result<usize> {
        let (guard, h) = call.lock();
        let h = h.ok_or(ESHUTDOWN)?;
        // A call that is over gives its error, 0 if it succeeded: C turns
        // the -ESHUTDOWN of a complete call into call->error.
        if let Some(o) = guard.ep.call_outcome(h) {
            return match call.failure(o).0 {
                0 => Ok(0),
                e => Err(Error::from_errno(e)),
            };
        }
        if !guard.ep.call_can_take_data(h) {
            return Err(EPROTO.into());
        }
        // An uninterruptible call waits as MSG_WAITALL does: through
        // signals, while the peer makes progress.
        let flags = msg.flags()
            | if call.uninterruptible {
                msg_flags::WAITALL
            } else {
                0
            };
        send_payload(ctx, msg, &call.local, guard, h, flags, |core| {
            if let (Some(end_tx), Some(t)) = (end_tx, core.tags.get(&call.tag)) {
                end_tx.notify(&t.sock, call, t.user_id);
            }
        })
    }

    fn recv_data(
        _ctx: &SockCtx<'_>,
        call: &KernelCall,
        iter: &mut IovIter,
        len: &mut usize,
        want_more: bool,
        abort_code: &mut u32,
        service_id: &mut u16,
    ) -> i32 {
        let mut guard = call.local.lock();
        let core = &mut *guard;
        let Some((h, service)) = core
            .tags
            .get(&call.tag)
            .and_then(|t| Some((t.call?, t.service)))
        else {
            return ESHUTDOWN.to_errno();
        };
        let now = now();
        *service_id = core.ep.call_service_id(h).unwrap_or(0);
        let outcome = core.ep.call_outcome(h);
        let failed = |abort_code: &mut u32, outcome: Outcome, room: usize| {
            let (err, code) = call.failure(outcome);
            *abort_code = code;
            match outcome {
                Outcome::Succeeded if room > 0 => ECONNRESET.to_errno(),
                Outcome::Succeeded => 1,
                _ => err,
            }
        };
        if let Some(o) = outcome.filter(|o| *o != Outcome::Succeeded) {
            return failed(abort_code, o, iter.count());
        }

        // Straight from the call's packets into the iterator; only what
        // reached it is consumed, as recvmsg.
        let mut copied = 0;
        let mut end = false;
        let mut fault = false;
        let read = core.ep.recv_with(now, h, *len, |chunk| {
            let n = iter.copy_in(chunk);
            fault |= n < chunk.len();
            n
        });
        match read {
            Ok(r) => {
                copied = r.bytes;
                end = r.end_of_data && !fault;
            }
            Err(EngineError::BadCall) => {}
            Err(e) => return engine_error(e).to_errno(),
        }
        let full = copied == *len;
        if !end && !fault && full {
            // A full buffer may end exactly at the end of the data.
            end = core
                .ep
                .recv(now, h, &mut [], true)
                .is_ok_and(|r| r.end_of_data);
        }
        *len -= copied;
        if end {
            // The call's RTT samples are in by the end of its data.
            if let Some(peer) = call.peer.lock().clone() {
                refresh_srtt(core, &peer);
            }
        }
        call.local.flush(core, now);
        if fault {
            return EFAULT.to_errno();
        }
        match (end, full) {
            (true, false) => EBADMSG.to_errno(),
            (true, true) if want_more => 0,
            (true, true) if service => match core.ep.call_outcome(h) {
                Some(o) => failed(abort_code, o, iter.count()),
                None => 2,
            },
            (true, true) => 1,
            (false, true) if !want_more => EMSGSIZE.to_errno(),
            (false, true) => 0,
            (false, false) => EAGAIN.to_errno(),
        }
    }

    fn abort_call(_ctx: &SockCtx<'_>, call: &KernelCall, abort_code: u32, error: i32) -> bool {
        let (mut guard, h) = call.lock();
        let Some(h) = h else { return false };
        if guard.ep.call_outcome(h).is_some() {
            return false;
        }
        let now = now();
        let aborted = guard.ep.abort(now, h, abort_code).is_ok();
        if aborted {
            call.abort_error.store(error, Ordering::Relaxed);
            trace::abort_by_kernel(&guard.ep, h, abort_code, error);
        }
        call.local.flush(&mut guard, now);
        aborted
    }

    fn shutdown_call(_ctx: &SockCtx<'_>, call: &KernelCall) {
        call.live.store(false, Ordering::Release);
        call.local.with_core(|core, now| {
            if let Some(h) = core.tags.get(&call.tag).and_then(|t| t.call) {
                let running = core.ep.call_outcome(h).is_none();
                if running && core.ep.abort(now, h, RX_USER_ABORT).is_ok() {
                    trace::abort_on_shutdown(&core.ep, h, RX_USER_ABORT);
                }
                core.ep.release(now, h);
                trace::call_released(h);
            }
            core.drop_tag(call.tag);
        });
    }

    fn lookup_peer(ctx: &SockCtx<'_>, srx: &[u8]) -> Result<Arc<KernelPeer>> {
        let (local, family) = {
            let mut sk = ctx.lock();
            let state = sk.state();
            (state.local.clone().ok_or(EINVAL)?, state.family)
        };
        let addr = RxrpcAddr::parse(srx, family)?;
        let mut raw = [0; 36];
        raw.copy_from_slice(srx.get(..36).ok_or(EINVAL)?);
        let mut guard = local.lock();
        peer_at(&mut guard, addr.peer(), || raw)
    }

    /// Without the endpoint's lock: kAFS asks from its notify_new_call.
    fn call_peer(_ctx: &SockCtx<'_>, call: &KernelCall) -> Option<Arc<KernelPeer>> {
        call.peer.lock().clone()
    }

    fn peer_srx(peer: &KernelPeer) -> &SrxBuf {
        &peer.srx
    }

    fn peer_data(peer: &KernelPeer) -> &AtomicUsize {
        &peer.data
    }

    fn peer_srtt(peer: &KernelPeer) -> u32 {
        peer.srtt_us.load(Ordering::Relaxed)
    }

    fn charge_accept(ctx: &SockCtx<'_>, notify_rx: Notify, user_call_id: u64) -> Result {
        let local = {
            let mut sk = ctx.lock();
            let state: &mut SockState = sk.state();
            // As C: -ESHUTDOWN unless the socket listens.
            if !state.listening() {
                return Err(ESHUTDOWN.into());
            }
            state.local.clone().ok_or(ESHUTDOWN)?
        };
        let mut guard = local.lock();
        let core = &mut *guard;
        if !core.ep.charge_room() {
            return Err(engine_error(EngineError::NoBuffers));
        }
        let Some(a) = core.socks.get(&ctx.id()) else {
            return Err(EINVAL);
        };
        if a.calls.get(&user_call_id).is_some() {
            return Err(EBADSLT.into());
        }
        let ops = a.app_ops;
        let tag = core.add_tag(ctx.sock_ref(), user_call_id, true)?;
        let call =
            KernelCall::new(local.clone(), tag, false, None).inspect_err(|_| core.drop_tag(tag))?;
        let now = now();
        // A call that waited for a charge takes this one (none does for a
        // kernel service, which charges only from the start).
        let taken = match core.ep.charge(now, tag) {
            Ok(taken) => taken,
            Err(e) => {
                core.drop_tag(tag);
                return Err(engine_error(e));
            }
        };
        trace::call_charged(user_call_id);
        if let Some(h) = taken {
            trace::call_accepted(h, user_call_id);
        }
        if let Some(t) = core.tags.get_mut(&tag) {
            t.call = taken;
            t.kernel = Some(KernelTag {
                call: call.clone(),
                notify_rx,
            });
        }
        // The user learns its call before any can arrive on the charge:
        // the endpoint stays locked.
        if let Some(ops) = ops {
            ops.user_attach_call::<RxrpcFamily>(call, user_call_id);
        }
        local.flush(&mut guard, now);
        Ok(())
    }

    fn set_tx_length(_ctx: &SockCtx<'_>, call: &KernelCall, len: i64) {
        let (mut guard, h) = call.lock();
        if let (Some(h), Ok(len)) = (h, u64::try_from(len)) {
            let _ = guard.ep.set_tx_length(h, len);
        }
    }

    /// Without the endpoint's lock: kAFS asks while it sleeps.
    fn check_life(_ctx: &SockCtx<'_>, call: &KernelCall) -> bool {
        call.live.load(Ordering::Acquire)
    }

    /// The connection's epoch: the peer's for a service call. A call
    /// without a connection yet (or any more) answers with ours.
    fn epoch(_ctx: &SockCtx<'_>, call: &KernelCall) -> u32 {
        let (guard, h) = call.lock();
        h.and_then(|h| guard.ep.call_epoch(h))
            .unwrap_or_else(|| guard.ep.epoch())
    }

    fn set_max_life(_ctx: &SockCtx<'_>, call: &KernelCall, jiffies: u64) {
        let (mut guard, h) = call.lock();
        let Some(h) = h else { return };
        let ns = jiffies.saturating_mul(1_000_000_000) / u64::from(HZ);
        let now = now();
        let _ = guard.ep.set_call_timeouts(
            now,
            h,
            Some(core::time::Duration::from_nanos(ns)),
            None,
            None,
        );
        call.local.flush(&mut guard, now);
    }

    fn set_min_security_level(sk: &mut SockLocked<'_, Self>, level: u32) -> Result {
        sk.state().set_min_security_level(level)
    }

    fn set_security_keyring(sk: &mut SockLocked<'_, Self>, keyring: Keyring) -> Result {
        sk.state().set_keyring(keyring)
    }
}
