//! The in-kernel AF_RXRPC interface (`include/net/af_rxrpc.h` and
//! `include/keys/rxrpc-type.h`), which kAFS and rxperf link against.
//!
//! `kapi/glue.c` exports the functions under their C names; each calls
//! through the table of [`Adapter`] trampolines that a [`Registration`]
//! installs, and those call the family's [`KernelApi`]. Calls and peers are
//! handed to the kernel user as pointers to `Arc`s: each pointer the user
//! holds is one reference, given back by `rxrpc_kernel_put_call` and
//! `rxrpc_kernel_put_peer`.

use core::ffi::{c_int, c_uint, c_ulong};
use core::marker::PhantomData;
use core::ptr::null_mut;
use core::sync::atomic::AtomicUsize;

use kernel::prelude::*;
use kernel::sync::{Arc, ArcBorrow};

use super::family::{Adapter as FamilyAdapter, Family, Locked, SockCtx, SockRef};
use super::msg::Msg;
use crate::kapi::key_type::{self, Key, KeyType, Keyring};
use crate::kapi::{bindings, Table};

/// A `struct sockaddr_rxrpc` (36 bytes, 4-aligned), kept where the kernel
/// user may point into it.
#[repr(C, align(4))]
pub(crate) struct SrxBuf(pub(crate) [u8; 36]);

/// How a kernel call's waits may be interrupted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Interruptibility {
    /// By any signal.
    Interruptible,
    /// Only while waiting for a slot to start the call.
    PreInterruptible,
    /// Not at all.
    Uninterruptible,
}

/// What `rxrpc_kernel_begin_call` asks for, besides the peer and key.
pub(crate) struct BeginCall {
    /// The user's id of the call, passed back in notifications.
    pub(crate) user_call_id: u64,
    /// The exact request size, if known (`-1`: not given).
    pub(crate) tx_total_len: i64,
    /// Longest life of the call in seconds (0: the default).
    pub(crate) hard_timeout: u32,
    /// Called when data or the end of the call arrives.
    pub(crate) notify_rx: Notify,
    /// Service to call.
    pub(crate) service_id: u16,
    /// Probe for a service upgrade.
    pub(crate) upgrade: bool,
    /// How waits may be interrupted.
    pub(crate) intr: Interruptibility,
}

/// A kernel user's notification function (`rxrpc_notify_rx_t` or
/// `rxrpc_notify_end_tx_t`), called in atomic context.
#[derive(Clone, Copy)]
pub(crate) struct Notify(
    unsafe extern "C" fn(*mut bindings::sock, *mut bindings::rxrpc_call, c_ulong),
);

impl Notify {
    /// Tells the user about `call` of socket `sock`.
    pub(crate) fn notify<T: KernelApi>(
        &self,
        sock: &SockRef<T>,
        call: &Arc<T::Call>,
        user_call_id: u64,
    ) {
        // SAFETY: The kernel user gave this function for this socket's
        // calls; its module cannot go while it holds the socket. The
        // arguments are the socket and the call pointer it was given.
        unsafe { (self.0)(sock.sk(), call_ptr::<T>(call), user_call_id as c_ulong) };
    }
}

/// The kernel user's operations for incoming calls
/// (`rxrpc_kernel_set_notifications`).
///
/// # Invariants
///
/// Points to a `struct rxrpc_kernel_ops` of the user's, which lives as long
/// as the user's socket.
#[derive(Clone, Copy)]
pub(crate) struct AppOps(*const bindings::rxrpc_kernel_ops);

// SAFETY: A constant table of functions the user allows to be called from
// any context.
unsafe impl Send for AppOps {}
// SAFETY: As above.
unsafe impl Sync for AppOps {}

impl AppOps {
    /// An incoming call arrived on a charge.
    pub(crate) fn notify_new_call<T: KernelApi>(
        &self,
        sock: &SockRef<T>,
        call: &Arc<T::Call>,
        id: u64,
    ) {
        // SAFETY: Live table (type invariant); the function, if any, takes
        // the socket, the call pointer it was given, and its id.
        unsafe {
            if let Some(f) = (*self.0).notify_new_call {
                f(sock.sk(), call_ptr::<T>(call), id as c_ulong);
            }
        }
    }

    /// A charge was dropped without a call: the user lets go of `call`,
    /// and the reference `user_attach_call` gave it is put here, as the C
    /// module does.
    pub(crate) fn discard_new_call<T: KernelApi>(&self, call: &Arc<T::Call>, id: u64) {
        // SAFETY: As in `notify_new_call`. A user with `user_attach_call`
        // holds the reference that made `call`'s pointer (`Arc::into_raw`),
        // and gives it up by being told of the discard.
        unsafe {
            if let Some(f) = (*self.0).discard_new_call {
                f(call_ptr::<T>(call), id as c_ulong);
            }
            if (*self.0).user_attach_call.is_some() {
                drop(Arc::from_raw(core::ptr::from_ref::<T::Call>(call)));
            }
        }
    }

    /// A charge was made: the user learns its call. Gives the user one
    /// reference on it.
    pub(crate) fn user_attach_call<T: KernelApi>(&self, call: Arc<T::Call>, id: u64) {
        // SAFETY: As in `notify_new_call`; the reference passes to the user,
        // who puts it with `rxrpc_kernel_put_call`.
        unsafe {
            match (*self.0).user_attach_call {
                Some(f) => f(Arc::into_raw(call).cast_mut().cast(), id as c_ulong),
                None => drop(call),
            }
        }
    }
}

/// The call pointer the kernel user knows.
fn call_ptr<T: KernelApi>(call: &Arc<T::Call>) -> *mut bindings::rxrpc_call {
    core::ptr::from_ref::<T::Call>(call).cast_mut().cast()
}

/// The iterator a kernel user reads call data into.
///
/// # Invariants
///
/// Points to the user's live `iov_iter` for the duration of the call.
pub(crate) struct IovIter(*mut bindings::iov_iter);

impl IovIter {
    /// Bytes of room left.
    pub(crate) fn count(&self) -> usize {
        // SAFETY: Live (type invariant).
        unsafe { bindings::kapi_iter_count(self.0) }
    }

    /// Copies `buf` in and advances; returns how much was copied.
    pub(crate) fn copy_in(&mut self, buf: &[u8]) -> usize {
        // SAFETY: Live, and `buf` is valid for its length.
        unsafe { bindings::kapi_copy_to_iter(self.0, buf.as_ptr().cast(), buf.len()) }
    }
}

/// The in-kernel interface of an AF_RXRPC family.
///
/// `sk` is the socket's locked state, `ctx` a socket in use by a kernel
/// caller (which holds it for the call).
pub(crate) trait KernelApi: Family {
    /// A call, as handed to the kernel user.
    type Call: Send + Sync;
    /// A peer, as handed to the kernel user.
    type Peer: Send + Sync;
    /// The client key type ("rxrpc").
    type Key: KeyType;

    /// The interface's table: a `static` of the implementing module.
    fn api_tables() -> &'static ApiTables<Self>;

    /// Sets the operations for incoming calls.
    fn set_notifications(sk: &mut Locked<'_, Self>, ops: AppOps);

    /// Begins a client call to `peer` with `key` (none: no security).
    fn begin_call(
        shared: &Self::Shared,
        ctx: &SockCtx<'_, Self>,
        peer: &Arc<Self::Peer>,
        key: Option<Key<Self::Key>>,
        p: BeginCall,
    ) -> Result<Arc<Self::Call>>;

    /// Sends the payload of `msg` (`MSG_MORE`: more follows); calls
    /// `end_tx` once the last of the call's data is queued.
    fn send_data(
        ctx: &SockCtx<'_, Self>,
        call: &Arc<Self::Call>,
        msg: &mut Msg,
        end_tx: Option<Notify>,
    ) -> Result<usize>;

    /// Reads up to `*len` bytes into `iter`, decreasing `*len` by what was
    /// read; returns as `rxrpc_kernel_recv_data` does (a negative errno,
    /// 0, 1 or 2).
    fn recv_data(
        ctx: &SockCtx<'_, Self>,
        call: &Self::Call,
        iter: &mut IovIter,
        len: &mut usize,
        want_more: bool,
        abort_code: &mut u32,
        service_id: &mut u16,
    ) -> i32;

    /// Aborts the call; false if it had already ended.
    fn abort_call(ctx: &SockCtx<'_, Self>, call: &Self::Call, abort_code: u32, error: i32) -> bool;

    /// The user is done with the call: it ends (aborted if still going)
    /// and leaves the socket.
    fn shutdown_call(ctx: &SockCtx<'_, Self>, call: &Self::Call);

    /// A peer of the socket's endpoint, by `sockaddr_rxrpc`.
    fn lookup_peer(ctx: &SockCtx<'_, Self>, srx: &[u8]) -> Result<Arc<Self::Peer>>;

    /// The peer of a call. Must not sleep: kAFS asks from notify_new_call.
    fn call_peer(ctx: &SockCtx<'_, Self>, call: &Self::Call) -> Option<Arc<Self::Peer>>;

    /// The peer's address.
    fn peer_srx(peer: &Self::Peer) -> &SrxBuf;

    /// The user's data on the peer.
    fn peer_data(peer: &Self::Peer) -> &AtomicUsize;

    /// The peer's smoothed RTT in µs, `u32::MAX` with no sample. Must not
    /// sleep (kAFS asks under RCU).
    fn peer_srtt(peer: &Self::Peer) -> u32;

    /// Charges the socket's accept queue with a call for `user_call_id`,
    /// which the user learns through `user_attach_call`.
    fn charge_accept(ctx: &SockCtx<'_, Self>, notify_rx: Notify, user_call_id: u64) -> Result;

    /// Sets the exact request size.
    fn set_tx_length(ctx: &SockCtx<'_, Self>, call: &Self::Call, len: i64);

    /// Whether the call has not ended. Must not sleep: kAFS asks while
    /// waiting.
    fn check_life(ctx: &SockCtx<'_, Self>, call: &Self::Call) -> bool;

    /// The epoch of the call's connection.
    fn epoch(ctx: &SockCtx<'_, Self>, call: &Self::Call) -> u32;

    /// Sets the longest life of the call, in jiffies from now.
    fn set_max_life(ctx: &SockCtx<'_, Self>, call: &Self::Call, jiffies: u64);

    /// `rxrpc_sock_set_min_security_level`.
    fn set_min_security_level(sk: &mut Locked<'_, Self>, level: u32) -> Result;

    /// `rxrpc_sock_set_security_keyring`.
    fn set_security_keyring(sk: &mut Locked<'_, Self>, keyring: Keyring) -> Result;
}

/// An `ERR_PTR`.
fn err_ptr<P>(e: Error) -> *mut P {
    e.to_errno() as isize as *mut P
}

/// The trampolines of a [`KernelApi`], built at compile time.
pub(crate) struct ApiTables<T: KernelApi> {
    ops: Table<bindings::kapi_af_rxrpc_ops>,
    _api: PhantomData<T>,
}

impl<T: KernelApi> ApiTables<T> {
    /// The table of `T`, for a `static`.
    pub(crate) const fn new() -> Self {
        Self {
            ops: Table::new(Adapter::<T>::OPS),
            _api: PhantomData,
        }
    }
}

/// The `extern "C"` side of a [`KernelApi`].
struct Adapter<T: KernelApi>(PhantomData<T>);

impl<T: KernelApi> Adapter<T> {
    const OPS: bindings::kapi_af_rxrpc_ops = bindings::kapi_af_rxrpc_ops {
        set_notifications: Some(Self::set_notifications),
        begin_call: Some(Self::begin_call),
        send_data: Some(Self::send_data),
        recv_data: Some(Self::recv_data),
        abort_call: Some(Self::abort_call),
        shutdown_call: Some(Self::shutdown_call),
        put_call: Some(Self::put_call),
        lookup_peer: Some(Self::lookup_peer),
        put_peer: Some(Self::put_peer),
        get_peer: Some(Self::get_peer),
        get_call_peer: Some(Self::get_call_peer),
        remote_srx: Some(Self::remote_srx),
        set_peer_data: Some(Self::set_peer_data),
        get_peer_data: Some(Self::get_peer_data),
        get_srtt: Some(Self::get_srtt),
        charge_accept: Some(Self::charge_accept),
        set_tx_length: Some(Self::set_tx_length),
        check_life: Some(Self::check_life),
        get_epoch: Some(Self::get_epoch),
        set_max_life: Some(Self::set_max_life),
        set_min_security_level: Some(Self::set_min_security_level),
        set_security_keyring: Some(Self::set_security_keyring),
    };

    /// The socket a kernel user passed, if it is one of the family's.
    ///
    /// # Safety
    ///
    /// `sock` must be a live socket the caller holds for the call.
    unsafe fn ctx<'a>(sock: *const bindings::socket) -> Option<SockCtx<'a, T>> {
        // SAFETY: Per the contract.
        unsafe { FamilyAdapter::<T>::kernel_ctx(sock.cast_mut()) }
    }

    /// A call the kernel user holds.
    ///
    /// # Safety
    ///
    /// `call` must be a pointer the user got from this interface and still
    /// holds a reference through.
    unsafe fn call<'a>(call: *const bindings::rxrpc_call) -> ArcBorrow<'a, T::Call> {
        // SAFETY: Per the contract the pointer came from `Arc::into_raw`
        // and its reference is held.
        unsafe { ArcBorrow::from_raw(call.cast()) }
    }

    /// A peer the kernel user holds.
    ///
    /// # Safety
    ///
    /// As for `call`, for peers.
    unsafe fn peer<'a>(peer: *const bindings::rxrpc_peer) -> ArcBorrow<'a, T::Peer> {
        // SAFETY: As in `call`.
        unsafe { ArcBorrow::from_raw(peer.cast()) }
    }

    /// # Safety
    ///
    /// Called through the exported function of the same name, with
    /// arguments that honour its contract in `net/af_rxrpc.h`.
    unsafe extern "C" fn set_notifications(
        sock: *mut bindings::socket,
        ops: *const bindings::rxrpc_kernel_ops,
    ) {
        // SAFETY: The user passes its live socket and a table that lives
        // as long as the socket.
        unsafe {
            if let Some(mut sk) = FamilyAdapter::<T>::kernel_lock(sock) {
                T::set_notifications(&mut sk, AppOps(ops));
            }
        }
    }

    /// # Safety
    ///
    /// Called through the exported function of the same name, with
    /// arguments that honour its contract in `net/af_rxrpc.h`.
    unsafe extern "C" fn begin_call(
        sock: *mut bindings::socket,
        peer: *mut bindings::rxrpc_peer,
        key: *mut bindings::key,
        user_call_id: c_ulong,
        tx_total_len: i64,
        hard_timeout: u32,
        notify_rx: bindings::kapi_notify_t,
        service_id: u16,
        upgrade: bool,
        intr: c_int,
    ) -> *mut bindings::rxrpc_call {
        // SAFETY: The user passes its live socket, a peer it holds, and a
        // key it holds (or null).
        let (ctx, peer, key) = unsafe {
            let Some(ctx) = Self::ctx(sock) else {
                return err_ptr(EINVAL);
            };
            if peer.is_null() {
                return err_ptr(EINVAL);
            }
            (
                ctx,
                Arc::from(Self::peer(peer)),
                Key::<T::Key>::from_user(key),
            )
        };
        let key = match key {
            Ok(key) => key,
            Err(e) => return err_ptr(e),
        };
        let Some(notify_rx) = notify_rx.map(Notify) else {
            return err_ptr(EINVAL);
        };
        let intr = match intr {
            0 => Interruptibility::Interruptible,
            1 => Interruptibility::PreInterruptible,
            _ => Interruptibility::Uninterruptible,
        };
        let p = BeginCall {
            user_call_id,
            tx_total_len,
            hard_timeout,
            notify_rx,
            service_id,
            upgrade,
            intr,
        };
        // SAFETY: A call of a socket of the family.
        let shared = unsafe { FamilyAdapter::<T>::shared() };
        match T::begin_call(shared, &ctx, &peer, key, p) {
            Ok(call) => Arc::into_raw(call).cast_mut().cast(),
            Err(e) => err_ptr(e),
        }
    }

    /// # Safety
    ///
    /// Called through the exported function of the same name, with
    /// arguments that honour its contract in `net/af_rxrpc.h`.
    unsafe extern "C" fn send_data(
        sock: *mut bindings::socket,
        call: *mut bindings::rxrpc_call,
        msg: *mut bindings::msghdr,
        _len: usize,
        end_tx: bindings::kapi_notify_t,
    ) -> c_int {
        // SAFETY: The user's live socket, a call it holds, and its msghdr
        // for the duration of the call.
        let (ctx, call, mut msg) = unsafe {
            let Some(ctx) = Self::ctx(sock) else {
                return EINVAL.to_errno();
            };
            (ctx, Arc::from(Self::call(call)), Msg::new(msg))
        };
        match T::send_data(&ctx, &call, &mut msg, end_tx.map(Notify)) {
            Ok(n) => c_int::try_from(n).unwrap_or(c_int::MAX),
            Err(e) => e.to_errno(),
        }
    }

    /// # Safety
    ///
    /// Called through the exported function of the same name, with
    /// arguments that honour its contract in `net/af_rxrpc.h`.
    unsafe extern "C" fn recv_data(
        sock: *mut bindings::socket,
        call: *mut bindings::rxrpc_call,
        iter: *mut bindings::iov_iter,
        len: *mut usize,
        want_more: bool,
        abort_code: *mut u32,
        service_id: *mut u16,
    ) -> c_int {
        // SAFETY: The user's live socket, a call it holds, and its iterator
        // and out parameters (the service id's may be null).
        unsafe {
            let Some(ctx) = Self::ctx(sock) else {
                return EINVAL.to_errno();
            };
            let call = Self::call(call);
            let mut service = 0;
            let r = T::recv_data(
                &ctx,
                &call,
                &mut IovIter(iter),
                &mut *len,
                want_more,
                &mut *abort_code,
                &mut service,
            );
            if !service_id.is_null() {
                *service_id = service;
            }
            r
        }
    }

    /// # Safety
    ///
    /// Called through the exported function of the same name, with
    /// arguments that honour its contract in `net/af_rxrpc.h`.
    unsafe extern "C" fn abort_call(
        sock: *mut bindings::socket,
        call: *mut bindings::rxrpc_call,
        abort_code: u32,
        error: c_int,
    ) -> bool {
        // SAFETY: The user's live socket and a call it holds.
        unsafe {
            let Some(ctx) = Self::ctx(sock) else {
                return false;
            };
            T::abort_call(&ctx, &Self::call(call), abort_code, error)
        }
    }

    /// # Safety
    ///
    /// Called through the exported function of the same name, with
    /// arguments that honour its contract in `net/af_rxrpc.h`.
    unsafe extern "C" fn shutdown_call(
        sock: *mut bindings::socket,
        call: *mut bindings::rxrpc_call,
    ) {
        // SAFETY: The user's live socket and a call it holds.
        unsafe {
            if let Some(ctx) = Self::ctx(sock) {
                T::shutdown_call(&ctx, &Self::call(call));
            }
        }
    }

    /// # Safety
    ///
    /// Called through the exported function of the same name, with
    /// arguments that honour its contract in `net/af_rxrpc.h`.
    unsafe extern "C" fn put_call(_sock: *mut bindings::socket, call: *mut bindings::rxrpc_call) {
        // SAFETY: The user gives back one reference it held.
        drop(unsafe { Arc::<T::Call>::from_raw(call.cast()) });
    }

    /// # Safety
    ///
    /// Called through the exported function of the same name, with
    /// arguments that honour its contract in `net/af_rxrpc.h`.
    unsafe extern "C" fn lookup_peer(
        sock: *mut bindings::socket,
        srx: *mut bindings::sockaddr_rxrpc,
    ) -> *mut bindings::rxrpc_peer {
        // SAFETY: The user's live socket and its address.
        let (ctx, srx) = unsafe {
            let Some(ctx) = Self::ctx(sock) else {
                return err_ptr(EINVAL);
            };
            let srx = core::slice::from_raw_parts(
                srx.cast::<u8>(),
                core::mem::size_of::<bindings::sockaddr_rxrpc>(),
            );
            (ctx, srx)
        };
        match T::lookup_peer(&ctx, srx) {
            Ok(peer) => Arc::into_raw(peer).cast_mut().cast(),
            Err(e) => err_ptr(e),
        }
    }

    /// # Safety
    ///
    /// Called through the exported function of the same name, with
    /// arguments that honour its contract in `net/af_rxrpc.h`.
    unsafe extern "C" fn put_peer(peer: *mut bindings::rxrpc_peer) {
        // SAFETY: The user gives back one reference it held.
        drop(unsafe { Arc::<T::Peer>::from_raw(peer.cast()) });
    }

    /// # Safety
    ///
    /// Called through the exported function of the same name, with
    /// arguments that honour its contract in `net/af_rxrpc.h`.
    unsafe extern "C" fn get_peer(peer: *mut bindings::rxrpc_peer) -> *mut bindings::rxrpc_peer {
        // SAFETY: The user holds a reference; the new one passes to it.
        let peer = Arc::from(unsafe { Self::peer(peer) });
        Arc::into_raw(peer).cast_mut().cast()
    }

    /// # Safety
    ///
    /// Called through the exported function of the same name, with
    /// arguments that honour its contract in `net/af_rxrpc.h`.
    unsafe extern "C" fn get_call_peer(
        sock: *mut bindings::socket,
        call: *mut bindings::rxrpc_call,
    ) -> *mut bindings::rxrpc_peer {
        // SAFETY: The user's live socket and a call it holds.
        let peer = unsafe {
            let Some(ctx) = Self::ctx(sock) else {
                return null_mut();
            };
            T::call_peer(&ctx, &Self::call(call))
        };
        peer.map_or(null_mut(), |p| Arc::into_raw(p).cast_mut().cast())
    }

    /// # Safety
    ///
    /// Called through the exported function of the same name, with
    /// arguments that honour its contract in `net/af_rxrpc.h`.
    unsafe extern "C" fn remote_srx(
        peer: *const bindings::rxrpc_peer,
    ) -> *const bindings::sockaddr_rxrpc {
        // SAFETY: The user holds the peer, so the address inside it lives
        // as long as the user may use the pointer.
        let peer = unsafe { Self::peer(peer) };
        core::ptr::from_ref(T::peer_srx(&peer)).cast()
    }

    /// # Safety
    ///
    /// Called through the exported function of the same name, with
    /// arguments that honour its contract in `net/af_rxrpc.h`.
    unsafe extern "C" fn set_peer_data(peer: *mut bindings::rxrpc_peer, data: c_ulong) -> c_ulong {
        // SAFETY: The user holds the peer.
        let peer = unsafe { Self::peer(peer) };
        T::peer_data(&peer).swap(data as usize, core::sync::atomic::Ordering::AcqRel) as c_ulong
    }

    /// # Safety
    ///
    /// Called through the exported function of the same name, with
    /// arguments that honour its contract in `net/af_rxrpc.h`.
    unsafe extern "C" fn get_peer_data(peer: *const bindings::rxrpc_peer) -> c_ulong {
        // SAFETY: The user holds the peer.
        let peer = unsafe { Self::peer(peer) };
        T::peer_data(&peer).load(core::sync::atomic::Ordering::Acquire) as c_ulong
    }

    /// # Safety
    ///
    /// Called through the exported function of the same name, with
    /// arguments that honour its contract in `net/af_rxrpc.h`.
    unsafe extern "C" fn get_srtt(peer: *const bindings::rxrpc_peer) -> c_uint {
        // SAFETY: The user holds the peer.
        T::peer_srtt(unsafe { &Self::peer(peer) })
    }

    /// # Safety
    ///
    /// Called through the exported function of the same name, with
    /// arguments that honour its contract in `net/af_rxrpc.h`.
    unsafe extern "C" fn charge_accept(
        sock: *mut bindings::socket,
        notify_rx: bindings::kapi_notify_t,
        user_call_id: c_ulong,
    ) -> c_int {
        // SAFETY: The user's live socket.
        let Some(ctx) = (unsafe { Self::ctx(sock) }) else {
            return EINVAL.to_errno();
        };
        let Some(notify_rx) = notify_rx.map(Notify) else {
            return EINVAL.to_errno();
        };
        match T::charge_accept(&ctx, notify_rx, user_call_id) {
            Ok(()) => 0,
            Err(e) => e.to_errno(),
        }
    }

    /// # Safety
    ///
    /// Called through the exported function of the same name, with
    /// arguments that honour its contract in `net/af_rxrpc.h`.
    unsafe extern "C" fn set_tx_length(
        sock: *mut bindings::socket,
        call: *mut bindings::rxrpc_call,
        len: i64,
    ) {
        // SAFETY: The user's live socket and a call it holds.
        unsafe {
            if let Some(ctx) = Self::ctx(sock) {
                T::set_tx_length(&ctx, &Self::call(call), len);
            }
        }
    }

    /// # Safety
    ///
    /// Called through the exported function of the same name, with
    /// arguments that honour its contract in `net/af_rxrpc.h`.
    unsafe extern "C" fn check_life(
        sock: *const bindings::socket,
        call: *const bindings::rxrpc_call,
    ) -> bool {
        // SAFETY: The user's live socket and a call it holds.
        unsafe {
            let Some(ctx) = Self::ctx(sock) else {
                return false;
            };
            T::check_life(&ctx, &Self::call(call))
        }
    }

    /// # Safety
    ///
    /// Called through the exported function of the same name, with
    /// arguments that honour its contract in `net/af_rxrpc.h`.
    unsafe extern "C" fn get_epoch(
        sock: *mut bindings::socket,
        call: *mut bindings::rxrpc_call,
    ) -> u32 {
        // SAFETY: The user's live socket and a call it holds.
        unsafe {
            let Some(ctx) = Self::ctx(sock) else { return 0 };
            T::epoch(&ctx, &Self::call(call))
        }
    }

    /// # Safety
    ///
    /// Called through the exported function of the same name, with
    /// arguments that honour its contract in `net/af_rxrpc.h`.
    unsafe extern "C" fn set_max_life(
        sock: *mut bindings::socket,
        call: *mut bindings::rxrpc_call,
        jiffies: c_ulong,
    ) {
        // SAFETY: The user's live socket and a call it holds.
        unsafe {
            if let Some(ctx) = Self::ctx(sock) {
                T::set_max_life(&ctx, &Self::call(call), jiffies);
            }
        }
    }

    /// # Safety
    ///
    /// Called through the exported function of the same name, with
    /// arguments that honour its contract in `net/af_rxrpc.h`.
    unsafe extern "C" fn set_min_security_level(sk: *mut bindings::sock, level: c_uint) -> c_int {
        // SAFETY: The user passes the sock of its live socket.
        let Some(mut sk) = (unsafe { FamilyAdapter::<T>::kernel_lock((*sk).sk_socket) }) else {
            return EINVAL.to_errno();
        };
        match T::set_min_security_level(&mut sk, level) {
            Ok(()) => 0,
            Err(e) => e.to_errno(),
        }
    }

    /// # Safety
    ///
    /// Called through the exported function of the same name, with
    /// arguments that honour its contract in `net/af_rxrpc.h`.
    unsafe extern "C" fn set_security_keyring(
        sk: *mut bindings::sock,
        keyring: *mut bindings::key,
    ) -> c_int {
        // SAFETY: The user passes the sock of its live socket and a keyring
        // it holds.
        let (sk, keyring) = unsafe {
            (
                FamilyAdapter::<T>::kernel_lock((*sk).sk_socket),
                Keyring::from_user(keyring),
            )
        };
        let (Some(mut sk), Some(keyring)) = (sk, keyring) else {
            return EINVAL.to_errno();
        };
        match T::set_security_keyring(&mut sk, keyring) {
            Ok(()) => 0,
            Err(e) => e.to_errno(),
        }
    }
}

/// The interface, served by `T` while registered.
///
/// # Invariants
///
/// The glue's exported functions call `Adapter::<T>::OPS` from `new` until
/// drop. Users of those functions depend on this module, so none is loaded
/// once it unloads.
pub(crate) struct Registration<T: KernelApi>(PhantomData<T>);

impl<T: KernelApi> Registration<T> {
    /// Installs `T` behind the exported functions.
    pub(crate) fn new() -> Result<Self> {
        // SAFETY: A valid table of trampolines that lives forever.
        kernel::error::to_result(unsafe {
            bindings::kapi_af_rxrpc_register(T::api_tables().ops.get())
        })?;
        Ok(Self(PhantomData))
    }
}

impl<T: KernelApi> Drop for Registration<T> {
    fn drop(&mut self) {
        // SAFETY: Registered in `new`.
        unsafe { bindings::kapi_af_rxrpc_unregister() };
    }
}

/// Registers key type `K` as the exported `key_type_rxrpc`, which kAFS
/// names in its `request_key` calls.
pub(crate) fn register_key_type<K: KeyType>() -> Result<key_type::Registration<K>> {
    // SAFETY: The glue's exported `struct key_type`, which nothing else
    // registers.
    unsafe { key_type::Registration::new_at(bindings::kapi_af_rxrpc_key_type()) }
}
