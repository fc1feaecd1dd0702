//! The AF_RXRPC socket family: `net_proto_family`, `proto` and `proto_ops`.
//!
//! A socket's `struct sock` is allocated by the kernel with room for
//! [`RxrpcSock`]: the C `struct sock` first, then the Rust state. The
//! trampolines here recover that state and call the safe code in `sock/`.

use core::ffi::c_int;
use core::ptr::{addr_of, addr_of_mut, null_mut};
use core::sync::atomic::{AtomicPtr, AtomicU32, Ordering};

use kernel::prelude::*;
use kernel::ThisModule;

use super::io::NetNs;
use super::msg::Msg;
use super::{bindings, errno, Table};
use crate::sock::local::Registry;
use crate::sock::{self, SockState};

/// A socket of the AF_RXRPC family as the kernel allocates it.
///
/// # Invariants
///
/// `state` is initialised between `sk_alloc()` in [`create`] and the
/// `sk_destruct` callback [`destruct`], which drops it. Outside `create`,
/// `release` and `destruct`, which own the sock exclusively, it is only
/// touched under `lock_sock()`, through [`Locked`].
#[repr(C)]
struct RxrpcSock {
    sk: bindings::sock,
    /// Bumped on every event for this socket; sleepers wait for it to move.
    gen: AtomicU32,
    /// Notices queued for recvmsg, for poll.
    queued: AtomicU32,
    state: SockState,
}

/// Pads a name into the fixed `char[32]` of `struct proto`.
const fn c_name(s: &[u8]) -> [core::ffi::c_char; 32] {
    let mut out = [0; 32];
    let mut i = 0;
    while i < s.len() && i < 31 {
        out[i] = s[i] as core::ffi::c_char;
        i += 1;
    }
    out
}


static PROTO: Table<bindings::proto> = Table::new(bindings::proto {
    name: c_name(b"RXRPC"),
    obj_size: core::mem::size_of::<RxrpcSock>() as _,
    // SAFETY: All-zero is the valid "no callback, no slab" value of every
    // other field of `struct proto`.
    ..unsafe { core::mem::zeroed() }
});

static OPS: Table<bindings::proto_ops> = Table::new(bindings::proto_ops {
    family: bindings::PF_RXRPC as c_int,
    release: Some(release),
    bind: Some(bind),
    connect: Some(connect),
    socketpair: Some(bindings::sock_no_socketpair),
    accept: Some(bindings::sock_no_accept),
    getname: Some(bindings::sock_no_getname),
    ioctl: Some(bindings::sock_no_ioctl),
    listen: Some(listen),
    shutdown: Some(shutdown),
    sendmsg: Some(sendmsg),
    recvmsg: Some(recvmsg),
    poll: Some(poll),
    getsockopt: Some(getsockopt),
    mmap: Some(bindings::sock_no_mmap),
    setsockopt: Some(setsockopt),
    // SAFETY: Null function pointers mean "not supported" to the socket
    // layer for the remaining operations.
    ..unsafe { core::mem::zeroed() }
});

static FAMILY: Table<bindings::net_proto_family> =
    Table::new(bindings::net_proto_family {
        family: bindings::PF_RXRPC as c_int,
        create: Some(create),
        owner: null_mut(),
    });

/// Called by `socket(2)` for `AF_RXRPC`.
///
/// # Safety
///
/// Called by the socket layer with a valid, not yet initialised `socket`.
unsafe extern "C" fn create(
    net: *mut bindings::net,
    sock: *mut bindings::socket,
    protocol: c_int,
    kern: c_int,
) -> c_int {
    // SAFETY: The socket layer passes a valid socket.
    let sock_type = unsafe { (*sock).type_ };
    let family = match sock::check_create(sock_type, protocol) {
        Ok(family) => family,
        Err(e) => return e.to_errno(),
    };
    // SAFETY: `create` only runs while the family is registered, and the
    // registry outlives the registration (see `FamilyRegistration`).
    let registry = unsafe { &*REGISTRY.load(Ordering::Acquire) };

    // SAFETY: `sock` is valid and ours to set up; `OPS` lives forever.
    unsafe {
        (*sock).ops = OPS.get();
        (*sock).state = bindings::socket_state_SS_UNCONNECTED;
    }

    // SAFETY: `PROTO` is registered for the whole life of the module, and
    // `net` is the namespace the socket layer passes in.
    let sk = unsafe {
        bindings::sk_alloc(net, bindings::PF_RXRPC as c_int, kernel::bindings::GFP_KERNEL, PROTO.get(), kern)
    };
    if sk.is_null() {
        return ENOMEM.to_errno();
    }
    let rx = sk.cast::<RxrpcSock>();

    // SAFETY: `sk_alloc` returned `obj_size` bytes, i.e. an `RxrpcSock`
    // whose `state` is still uninitialised; we initialise it before the
    // kernel can call `destruct`. `sock_init_data` links `sock` and `sk`.
    unsafe {
        addr_of_mut!((*rx).gen).write(AtomicU32::new(0));
        addr_of_mut!((*rx).queued).write(AtomicU32::new(0));
        addr_of_mut!((*rx).state).write(SockState::new(registry, family));
        bindings::sock_init_data(sock, sk);
        bindings::rxrpc_rs_sock_set_rcu_free(sk);
        (*sk).sk_destruct = Some(destruct);
    }
    0
}

/// Called on `close(2)`: detaches the socket and drops its reference.
///
/// # Safety
///
/// Called by the socket layer with a socket created by [`create`].
unsafe extern "C" fn release(sock: *mut bindings::socket) -> c_int {
    // SAFETY: `sock` is valid; `sk` is null or the sock `create` made.
    let sk = unsafe { (*sock).sk };
    if sk.is_null() {
        return 0;
    }
    let rx = sk.cast::<RxrpcSock>();
    // SAFETY: `sk` came from `create`, so `state` is initialised, and the
    // socket layer serialises release against every other operation.
    unsafe {
        (*sock).sk = null_mut();
        (*rx).state.release(SockRef(rx));
        bindings::rxrpc_rs_sock_orphan(sk);
        (*sk).sk_shutdown = bindings::SHUTDOWN_MASK as _;
        bindings::rxrpc_rs_sock_put(sk);
    }
    0
}

/// A socket as the engine's work item sees it: for handing out events.
///
/// # Invariants
///
/// Points to a live `RxrpcSock`. Holders keep it only while the socket is
/// attached to a local endpoint; `release` detaches it (under the
/// endpoint's lock) before dropping the socket's last reference.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct SockRef(*const RxrpcSock);

// SAFETY: The fields used through it are atomics and the kernel's own
// thread-safe `sk_data_ready`.
unsafe impl Send for SockRef {}
// SAFETY: As above.
unsafe impl Sync for SockRef {}

impl SockRef {
    /// The socket's identity within its endpoint.
    pub(crate) fn id(&self) -> usize {
        self.0 as usize
    }

    /// Wakes senders and pollers waiting for send buffer space.
    pub(crate) fn wake_writer(&self) {
        // SAFETY: Live while attached (type invariant).
        let rx = unsafe { &*self.0 };
        rx.gen.fetch_add(1, Ordering::Release);
        // SAFETY: `sk` is live; the helper may be called from any context.
        unsafe { bindings::rxrpc_rs_sk_write_space(addr_of_mut!((*self.0.cast_mut()).sk)) };
    }

    /// The socket's receive buffer size (`SO_RCVBUF`).
    pub(crate) fn rcvbuf(&self) -> usize {
        // SAFETY: Live while attached (type invariant).
        let n = unsafe { bindings::rxrpc_rs_sock_buf(addr_of!((*self.0).sk), false) };
        usize::try_from(n).unwrap_or(0)
    }

    /// Wakes sleepers and pollers after an event; `queued` is the number
    /// of notices now waiting for recvmsg.
    pub(crate) fn wake(&self, queued: usize) {
        // SAFETY: Live while attached (type invariant).
        let rx = unsafe { &*self.0 };
        rx.queued.store(queued as u32, Ordering::Relaxed);
        rx.gen.fetch_add(1, Ordering::Release);
        // SAFETY: `sk` is live; `sk_data_ready` may be called from any
        // context.
        unsafe { bindings::rxrpc_rs_sk_data_ready(addr_of_mut!((*self.0.cast_mut()).sk)) };
    }
}

/// The socket of a sendmsg or recvmsg in progress.
///
/// # Invariants
///
/// `rx` is the live socket of the syscall, which holds a file reference
/// on it, so it cannot be released meanwhile.
pub(crate) struct SockCtx {
    rx: *mut RxrpcSock,
}

/// How a wait ended.
pub(crate) enum Wait {
    /// Something happened; this much of the timeout remains.
    Woken(isize),
    /// The timeout ran out.
    TimedOut,
    /// A signal arrived.
    Interrupted,
}

impl SockCtx {
    /// Locks the socket's state.
    pub(crate) fn lock(&self) -> Locked {
        // SAFETY: Live for the syscall (type invariant).
        unsafe { bindings::rxrpc_rs_lock_sock(addr_of_mut!((*self.rx).sk)) };
        Locked { rx: self.rx }
    }

    /// The handle the local endpoint keeps to wake this socket.
    pub(crate) fn sock_ref(&self) -> SockRef {
        SockRef(self.rx)
    }

    /// The socket's send buffer size (`SO_SNDBUF`).
    pub(crate) fn sndbuf(&self) -> usize {
        // SAFETY: Live for the syscall (type invariant).
        let n = unsafe { bindings::rxrpc_rs_sock_buf(addr_of!((*self.rx).sk), true) };
        usize::try_from(n).unwrap_or(0)
    }

    /// The current event generation, to wait for it to move.
    pub(crate) fn gen(&self) -> u32 {
        // SAFETY: Live for the syscall.
        unsafe { (*self.rx).gen.load(Ordering::Acquire) }
    }

    /// The socket's send or receive timeout (0 for a non-blocking call).
    pub(crate) fn timeout(&self, send: bool, nonblock: bool) -> isize {
        // SAFETY: Live for the syscall.
        unsafe { bindings::rxrpc_rs_sock_timeo(addr_of_mut!((*self.rx).sk), send, nonblock) as isize }
    }

    /// `MSG_WAITALL`: sleeps through signals for up to `limit` for the
    /// event generation to move from `seen`. `Interrupted` means it did not
    /// move and a signal is pending.
    pub(crate) fn wait_all(&self, seen: u32, limit: core::time::Duration) -> Wait {
        let ns = u64::try_from(limit.as_nanos()).unwrap_or(u64::MAX);
        // SAFETY: As in `wait`.
        let r = unsafe {
            bindings::rxrpc_rs_wait_waitall(addr_of_mut!((*self.rx).sk), (*self.rx).gen.as_ptr(), seen, ns)
        };
        match r {
            0 => Wait::TimedOut,
            r if r < 0 => Wait::Interrupted,
            _ => Wait::Woken(0),
        }
    }

    /// Sleeps until the event generation moves from `seen`.
    pub(crate) fn wait(&self, seen: u32, timeo: isize) -> Wait {
        // SAFETY: Live for the syscall; `gen` is an `AtomicU32`, laid out
        // as the `u32` the C side reads with `READ_ONCE`.
        let r = unsafe {
            bindings::rxrpc_rs_wait(addr_of_mut!((*self.rx).sk), (*self.rx).gen.as_ptr(), seen, timeo as _)
        };
        match r {
            0 => Wait::TimedOut,
            r if r < 0 => Wait::Interrupted,
            r => Wait::Woken(r as isize),
        }
    }
}

/// `sendmsg(2)`.
///
/// # Safety
///
/// Called by the socket layer with a socket of ours and its msghdr.
unsafe extern "C" fn sendmsg(sock: *mut bindings::socket, msg: *mut bindings::msghdr, len: usize) -> c_int {
    // SAFETY: A live socket of ours, pinned by the syscall's file
    // reference; `msg` lives for the call.
    let (ctx, mut msg) = unsafe { (SockCtx { rx: (*sock).sk.cast() }, Msg::new(msg)) };
    match sock::call::sendmsg(&ctx, &mut msg, len) {
        Ok(n) => n as c_int,
        Err(e) => e.to_errno(),
    }
}

/// `recvmsg(2)`.
///
/// # Safety
///
/// As for [`sendmsg`].
unsafe extern "C" fn recvmsg(
    sock: *mut bindings::socket,
    msg: *mut bindings::msghdr,
    len: usize,
    flags: c_int,
) -> c_int {
    // SAFETY: As in `sendmsg`.
    let (ctx, mut msg) = unsafe { (SockCtx { rx: (*sock).sk.cast() }, Msg::new(msg)) };
    match sock::call::recvmsg(&ctx, &mut msg, len, flags as u32) {
        Ok(n) => n as c_int,
        Err(e) => e.to_errno(),
    }
}

/// `poll(2)`: readable when notices wait; always writable (socket memory
/// is not charged yet).
///
/// # Safety
///
/// Called by the socket layer with a socket of ours.
unsafe extern "C" fn poll(
    file: *mut bindings::file,
    sock: *mut bindings::socket,
    wait: *mut bindings::poll_table_struct,
) -> bindings::__poll_t {
    // SAFETY: A live socket of ours, pinned by the caller's file
    // reference; `file` and `wait` come from the VFS.
    let (ctx, queued) = unsafe {
        bindings::rxrpc_rs_poll_wait(file, sock, wait);
        let rx = (*sock).sk.cast::<RxrpcSock>();
        (SockCtx { rx }, (*rx).queued.load(Ordering::Relaxed))
    };
    // uapi/linux/eventpoll.h; bindgen cannot read the `__poll_t` casts.
    const EPOLLIN: u32 = 0x1;
    const EPOLLOUT: u32 = 0x4;
    const EPOLLRDNORM: u32 = 0x40;
    const EPOLLWRNORM: u32 = 0x100;
    let mut mask = 0;
    if sock::call::writable(&ctx) {
        mask |= EPOLLOUT | EPOLLWRNORM;
    }
    if queued > 0 {
        mask |= EPOLLIN | EPOLLRDNORM;
    }
    mask as bindings::__poll_t
}

/// `getsockopt(2)`: only `RXRPC_SUPPORTED_CMSG`.
///
/// # Safety
///
/// Called by the socket layer with user pointers for the value and length.
unsafe extern "C" fn getsockopt(
    _sock: *mut bindings::socket,
    level: c_int,
    name: c_int,
    optval: *mut core::ffi::c_char,
    optlen: *mut c_int,
) -> c_int {
    if u32::try_from(level) != Ok(bindings::SOL_RXRPC) {
        return errno(bindings::EOPNOTSUPP).to_errno();
    }
    match u32::try_from(name) {
        // SAFETY: The pointers are the caller's user pointers; the helper
        // uses `get_user`/`put_user`, which check them.
        Ok(bindings::RXRPC_SUPPORTED_CMSG) => unsafe {
            bindings::rxrpc_rs_getsockopt_int(optval, optlen, sock::SUPPORTED_CMSG)
        },
        _ => errno(bindings::EOPNOTSUPP).to_errno(),
    }
}

/// A socket held under `lock_sock()`: the safe view `sock/` works with.
pub(crate) struct Locked {
    rx: *mut RxrpcSock,
}

impl Locked {
    /// Locks the sock of `sock`.
    ///
    /// # Safety
    ///
    /// `sock` must be a live socket made by [`create`] and not released.
    unsafe fn lock(sock: *mut bindings::socket) -> Self {
        // SAFETY: Per the contract `sk` is a live sock made by `create`.
        let sk = unsafe { (*sock).sk };
        // SAFETY: As above; may sleep, and socket calls are process context.
        unsafe { bindings::rxrpc_rs_lock_sock(sk) };
        Self { rx: sk.cast() }
    }

    /// The Rust state of the socket.
    pub(crate) fn state(&mut self) -> &mut SockState {
        // SAFETY: The sock is locked, so this is the only reference.
        unsafe { &mut (*self.rx).state }
    }

    /// The handle the local endpoint keeps to wake this socket.
    pub(crate) fn sock_ref(&self) -> SockRef {
        SockRef(self.rx)
    }

    /// The network namespace of the socket.
    pub(crate) fn net(&self) -> NetNs {
        // SAFETY: The sock is locked and live.
        unsafe { NetNs::of(addr_of_mut!((*self.rx).sk)) }
    }

    /// Marks both directions shut down, for poll and the socket layer.
    pub(crate) fn set_shutdown_all(&mut self) {
        // SAFETY: The sock is locked and live.
        unsafe { (*self.rx).sk.sk_shutdown = bindings::SHUTDOWN_MASK as _ };
    }
}

impl Drop for Locked {
    fn drop(&mut self) {
        // SAFETY: Locked in `lock`.
        unsafe { bindings::release_sock(addr_of_mut!((*self.rx).sk)) };
    }
}

/// `shutdown(2)`.
///
/// # Safety
///
/// Called by the socket layer with a socket made by [`create`].
unsafe extern "C" fn shutdown(sock: *mut bindings::socket, how: c_int) -> c_int {
    // SAFETY: The socket layer passes a live socket of ours.
    let mut sk = unsafe { Locked::lock(sock) };
    match sk.state().shutdown(how) {
        Ok(()) => {
            sk.set_shutdown_all();
            0
        }
        Err(e) => e.to_errno(),
    }
}

/// Turns a `Result` into the `int` the socket layer wants.
fn ret(r: Result) -> c_int {
    match r {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// The address a `bind`/`connect` caller passed, already in kernel memory.
///
/// # Safety
///
/// `addr` must point to `len` readable bytes, or `len` must be <= 0.
unsafe fn sockaddr<'a>(addr: *mut bindings::sockaddr, len: c_int) -> &'a [u8] {
    match usize::try_from(len) {
        // SAFETY: Per the contract.
        Ok(len) if len > 0 => unsafe { core::slice::from_raw_parts(addr.cast::<u8>(), len) },
        _ => &[],
    }
}

/// `bind(2)`.
///
/// # Safety
///
/// Called by the socket layer with a socket of ours and a kernel copy of
/// the user's address.
unsafe extern "C" fn bind(sock: *mut bindings::socket, addr: *mut bindings::sockaddr, len: c_int) -> c_int {
    // SAFETY: A live socket of ours; the address is a kernel buffer.
    let (mut sk, raw) = unsafe { (Locked::lock(sock), sockaddr(addr, len)) };
    let net = sk.net();
    let me = sk.sock_ref();
    ret(sk.state().bind(net, me, raw))
}

/// `connect(2)`.
///
/// # Safety
///
/// As for [`bind`].
unsafe extern "C" fn connect(
    sock: *mut bindings::socket,
    addr: *mut bindings::sockaddr,
    len: c_int,
    _flags: c_int,
) -> c_int {
    // SAFETY: As in `bind`.
    let (mut sk, raw) = unsafe { (Locked::lock(sock), sockaddr(addr, len)) };
    ret(sk.state().connect(raw))
}

/// `listen(2)`.
///
/// # Safety
///
/// Called by the socket layer with a socket of ours.
unsafe extern "C" fn listen(sock: *mut bindings::socket, backlog: c_int) -> c_int {
    // SAFETY: A live socket of ours.
    let mut sk = unsafe { Locked::lock(sock) };
    ret(sk.state().listen(backlog))
}

/// `setsockopt(2)`; only `SOL_RXRPC` options exist.
///
/// # Safety
///
/// Called by the socket layer with a socket of ours and the user's option
/// buffer as a `sockptr_t`.
unsafe extern "C" fn setsockopt(
    sock: *mut bindings::socket,
    level: c_int,
    name: c_int,
    optval: bindings::sockptr_t,
    optlen: core::ffi::c_uint,
) -> c_int {
    if u32::try_from(level) != Ok(bindings::SOL_RXRPC) {
        return errno(bindings::EOPNOTSUPP).to_errno();
    }
    // SAFETY: A live socket of ours.
    let mut sk = unsafe { Locked::lock(sock) };
    let net = sk.net();
    let read = |buf: &mut [u8]| {
        // SAFETY: `buf` is valid for its length; `optval` is the caller's
        // buffer of at least `optlen` bytes, which the option checked.
        kernel::error::to_result(unsafe {
            bindings::rxrpc_rs_copy_from_sockptr(buf.as_mut_ptr().cast(), optval, buf.len())
        })
    };
    ret(sk.state().setsockopt(net, name as u32, optlen as usize, read))
}

/// Runs when the last reference to the sock goes: drops the Rust state.
///
/// # Safety
///
/// Called once by the kernel for a sock made by [`create`].
unsafe extern "C" fn destruct(sk: *mut bindings::sock) {
    // SAFETY: Per the type invariant `state` is initialised, and nobody can
    // reach the sock any more.
    unsafe { core::ptr::drop_in_place(addr_of_mut!((*sk.cast::<RxrpcSock>()).state)) };
}

/// The registry of local endpoints, for `create` to give to new sockets.
static REGISTRY: AtomicPtr<Registry> = AtomicPtr::new(null_mut());

/// The registry, for the /proc/net/rxrpc readers; `None` outside the
/// family's registration.
///
/// # Safety
///
/// The caller must not keep the reference beyond a callback that cannot
/// run once [`FamilyRegistration`] is dropped (the /proc files are removed,
/// and their readers waited for, before it is).
pub(crate) unsafe fn registry<'a>() -> Option<&'a Registry> {
    let r = REGISTRY.load(Ordering::Acquire);
    // SAFETY: Non-null only while `FamilyRegistration` holds the registry
    // (type invariant), which per the contract outlives the reference.
    (!r.is_null()).then(|| unsafe { &*r })
}

/// The registered `AF_RXRPC` family; unregistered on drop.
///
/// # Invariants
///
/// `REGISTRY` points into `registry` while the family is registered. Every
/// socket holds a reference on the module, so no socket (and no reference
/// to the registry it was given) outlives this.
pub(crate) struct FamilyRegistration {
    registry: Pin<KBox<Registry>>,
}

impl FamilyRegistration {
    /// Registers `struct proto` and the `PF_RXRPC` family.
    pub(crate) fn new(module: &'static ThisModule) -> Result<Self> {
        let registry = KBox::pin_init(Registry::new(), GFP_KERNEL)?;
        REGISTRY.store(core::ptr::from_ref(&*registry).cast_mut(), Ordering::Release);
        let owner = module.as_ptr().cast::<bindings::module>();
        // SAFETY: Module init runs once, before the tables are registered,
        // so nobody else can be reading them.
        unsafe {
            (*PROTO.get()).owner = owner;
            (*OPS.get()).owner = owner;
            (*FAMILY.get()).owner = owner;
        }
        // SAFETY: `PROTO` is a valid, static `struct proto`.
        kernel::error::to_result(unsafe { bindings::proto_register(PROTO.get(), 1) })?;
        // SAFETY: `FAMILY` is a valid, static `net_proto_family`.
        if let Err(e) = kernel::error::to_result(unsafe { bindings::sock_register(FAMILY.get()) }) {
            // SAFETY: Registered just above.
            unsafe { bindings::proto_unregister(PROTO.get()) };
            return Err(e);
        }
        Ok(Self { registry })
    }
}

impl Drop for FamilyRegistration {
    fn drop(&mut self) {
        // SAFETY: Both were registered in `new`. `sock_unregister` waits
        // for concurrent `create` calls; sockets still open pin the module.
        unsafe {
            bindings::sock_unregister(bindings::PF_RXRPC as c_int);
            bindings::proto_unregister(PROTO.get());
        }
        REGISTRY.store(null_mut(), Ordering::Release);
        // Sockets hold the module, so by now every endpoint should be gone;
        // the test runner fails a run that prints this.
        let left = self.registry.len();
        if left != 0 {
            pr_err!("rxrpc_rs: {} local endpoints still in use at unload\n", left);
        }
    }
}
