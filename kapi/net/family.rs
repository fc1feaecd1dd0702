//! A protocol family: `net_proto_family`, `proto` and `proto_ops`.
//!
//! A family implements [`Family`]; [`Adapter`] holds the `extern "C"`
//! trampolines the socket layer calls, and [`Registration`] registers the
//! family and unregisters it on drop. The kernel allocates each socket's
//! `struct sock` with room for the family's state: the C `struct sock`
//! first, then [`Family::Sock`]. Socket code sees a socket only through
//! three handles: [`Locked`] (under `lock_sock()`, with the state),
//! [`SockCtx`] (a syscall in progress, which may lock and sleep) and
//! [`SockRef`] (a counted reference, to wake it from anywhere).

use core::ffi::{c_char, c_int, c_uint};
use core::marker::PhantomData;
use core::ptr::{addr_of, addr_of_mut, null_mut};
use core::sync::atomic::{AtomicPtr, AtomicU32, Ordering};

use kernel::prelude::*;
use kernel::uaccess::UserSlice;
use kernel::ThisModule;

use super::msg::Msg;
use super::udp_tunnel::{Handler, UdpTunnel};
use super::NetNs;
use crate::kapi::{bindings, Table};

/// A protocol family's socket operations.
///
/// Each method gets the family's shared state (given to [`Registration`])
/// and a handle to the socket. Operations a family leaves out answer as
/// the kernel's `sock_no_*` helpers do.
#[vtable]
pub(crate) trait Family: Sized + 'static {
    /// The `PF_*` number.
    const FAMILY: u16;
    /// The name of the family's `struct proto` (its slab cache).
    const NAME: &'static [u8];
    /// What every socket of the family shares.
    type Shared: Send + Sync;
    /// The state of one socket.
    type Sock: Send;

    /// The family's tables: a `static` of the implementing module.
    fn tables() -> &'static FamilyTables<Self>;

    /// `socket(2)`: checks the arguments and makes the socket's state.
    fn create(
        shared: &Self::Shared,
        net: NetNs,
        sock_type: i32,
        protocol: i32,
        kern: bool,
    ) -> Result<Self::Sock>;

    /// `close(2)`: the socket's last operation; `me` is the socket.
    fn release(shared: &Self::Shared, sock: &mut Self::Sock, me: &SockRef<Self>);

    /// `bind(2)`, with the caller's address in kernel memory.
    fn bind(_shared: &Self::Shared, _sk: &mut Locked<'_, Self>, _addr: &[u8]) -> Result {
        kernel::build_error(kernel::error::VTABLE_DEFAULT_ERROR)
    }

    /// `connect(2)`.
    fn connect(
        _shared: &Self::Shared,
        _sk: &mut Locked<'_, Self>,
        _addr: &[u8],
        _flags: i32,
    ) -> Result {
        kernel::build_error(kernel::error::VTABLE_DEFAULT_ERROR)
    }

    /// `listen(2)`.
    fn listen(_shared: &Self::Shared, _sk: &mut Locked<'_, Self>, _backlog: i32) -> Result {
        kernel::build_error(kernel::error::VTABLE_DEFAULT_ERROR)
    }

    /// `shutdown(2)`.
    fn shutdown(_shared: &Self::Shared, _sk: &mut Locked<'_, Self>, _how: i32) -> Result {
        kernel::build_error(kernel::error::VTABLE_DEFAULT_ERROR)
    }

    /// `setsockopt(2)`.
    fn setsockopt(
        _shared: &Self::Shared,
        _sk: &mut Locked<'_, Self>,
        _level: i32,
        _name: i32,
        _value: OptValue,
    ) -> Result {
        kernel::build_error(kernel::error::VTABLE_DEFAULT_ERROR)
    }

    /// `getsockopt(2)`.
    fn getsockopt(_shared: &Self::Shared, _level: i32, _name: i32, _out: OptOut) -> Result {
        kernel::build_error(kernel::error::VTABLE_DEFAULT_ERROR)
    }

    /// `sendmsg(2)`: how much of the payload was taken.
    fn sendmsg(
        shared: &Self::Shared,
        ctx: &SockCtx<'_, Self>,
        msg: &mut Msg,
        len: usize,
    ) -> Result<usize>;

    /// `recvmsg(2)`: how much was copied out.
    fn recvmsg(
        shared: &Self::Shared,
        ctx: &SockCtx<'_, Self>,
        msg: &mut Msg,
        len: usize,
        flags: u32,
    ) -> Result<usize>;

    /// `poll(2)`: the event mask ([`super::poll`]), after the socket's wait
    /// queue was added to the poll table.
    fn poll(shared: &Self::Shared, ctx: &SockCtx<'_, Self>) -> u32;
}

/// A socket of a family as the kernel allocates it.
///
/// # Invariants
///
/// `state` is initialised from `create` until the `sk_destruct` callback
/// drops it. Outside `create`, `release` and `destruct`, which own the sock
/// exclusively, it is only touched under `lock_sock()`, through [`Locked`].
#[repr(C)]
struct SockObj<T: Family> {
    sk: bindings::sock,
    /// Bumped on every event for the socket; sleepers wait for it to move.
    gen: AtomicU32,
    /// Items waiting for recvmsg, for poll.
    pending: AtomicU32,
    state: T::Sock,
}

/// Pads a name into the fixed `char[32]` of `struct proto`.
const fn c_name(s: &[u8]) -> [c_char; 32] {
    let mut out = [0; 32];
    let mut i = 0;
    while i < s.len() && i < 31 {
        out[i] = s[i] as c_char;
        i += 1;
    }
    out
}

/// The kernel tables of a family, built at compile time, and its shared
/// state while registered.
///
/// # Invariants
///
/// `shared` is null or points to the state a live [`Registration`] owns.
pub(crate) struct FamilyTables<T: Family> {
    proto: Table<bindings::proto>,
    ops: Table<bindings::proto_ops>,
    family: Table<bindings::net_proto_family>,
    shared: AtomicPtr<T::Shared>,
}

impl<T: Family> FamilyTables<T> {
    /// The tables of `T`, for a `static`.
    pub(crate) const fn new() -> Self {
        Self {
            proto: Table::new(bindings::proto {
                name: c_name(T::NAME),
                obj_size: core::mem::size_of::<SockObj<T>>() as c_uint,
                // SAFETY: All-zero is the valid "no callback, no slab"
                // value of every other field of `struct proto`.
                ..unsafe { core::mem::zeroed() }
            }),
            ops: Table::new(bindings::proto_ops {
                family: T::FAMILY as c_int,
                release: Some(Adapter::<T>::release),
                bind: if T::HAS_BIND {
                    Some(Adapter::<T>::bind)
                } else {
                    Some(bindings::sock_no_bind)
                },
                connect: if T::HAS_CONNECT {
                    Some(Adapter::<T>::connect)
                } else {
                    Some(bindings::sock_no_connect)
                },
                socketpair: Some(bindings::sock_no_socketpair),
                accept: Some(bindings::sock_no_accept),
                getname: Some(bindings::sock_no_getname),
                ioctl: Some(bindings::sock_no_ioctl),
                listen: if T::HAS_LISTEN {
                    Some(Adapter::<T>::listen)
                } else {
                    Some(bindings::sock_no_listen)
                },
                shutdown: if T::HAS_SHUTDOWN {
                    Some(Adapter::<T>::shutdown)
                } else {
                    Some(bindings::sock_no_shutdown)
                },
                sendmsg: Some(Adapter::<T>::sendmsg),
                recvmsg: Some(Adapter::<T>::recvmsg),
                poll: Some(Adapter::<T>::poll),
                getsockopt: if T::HAS_GETSOCKOPT {
                    Some(Adapter::<T>::getsockopt)
                } else {
                    None
                },
                mmap: Some(bindings::sock_no_mmap),
                setsockopt: if T::HAS_SETSOCKOPT {
                    Some(Adapter::<T>::setsockopt)
                } else {
                    None
                },
                // SAFETY: Null function pointers mean "not supported" to the
                // socket layer for the remaining operations.
                ..unsafe { core::mem::zeroed() }
            }),
            family: Table::new(bindings::net_proto_family {
                family: T::FAMILY as c_int,
                create: Some(Adapter::<T>::create),
                owner: null_mut(),
            }),
            shared: AtomicPtr::new(null_mut()),
        }
    }

    /// The shared state.
    ///
    /// # Safety
    ///
    /// Only from a callback of a socket of the family, or of its creation:
    /// these run only while the family is registered (sockets hold the
    /// module), and the reference must not outlive the callback.
    unsafe fn shared<'a>(&self) -> &'a T::Shared {
        // SAFETY: Per the contract the registration is live, so `shared`
        // points to its state (type invariant).
        unsafe { &*self.shared.load(Ordering::Acquire) }
    }
}

/// The `extern "C"` side of a [`Family`].
pub(crate) struct Adapter<T: Family>(PhantomData<T>);

impl<T: Family> Adapter<T> {
    /// The socket's object, from the `socket` the kernel passes.
    ///
    /// # Safety
    ///
    /// `sock` must be a live socket of the family, not yet released.
    unsafe fn obj(sock: *mut bindings::socket) -> *mut SockObj<T> {
        // SAFETY: Per the contract `sk` is the sock `create` made.
        unsafe { (*sock).sk.cast() }
    }

    /// A socket a kernel user passed, if it is one of the family's.
    ///
    /// # Safety
    ///
    /// `sock` must be null or a live socket the caller holds for `'a`.
    pub(super) unsafe fn kernel_ctx<'a>(sock: *mut bindings::socket) -> Option<SockCtx<'a, T>> {
        // SAFETY: Per the contract; a socket whose ops are the family's
        // was made by `create`, and its `sk` is set until release.
        unsafe {
            if sock.is_null()
                || (*sock).ops != T::tables().ops.get().cast_const()
                || (*sock).sk.is_null()
            {
                return None;
            }
            Some(SockCtx::new(Self::obj(sock)))
        }
    }

    /// A socket a kernel user passed, locked, if it is one of the family's.
    ///
    /// # Safety
    ///
    /// As for [`Adapter::kernel_ctx`].
    pub(super) unsafe fn kernel_lock<'a>(sock: *mut bindings::socket) -> Option<Locked<'a, T>> {
        // SAFETY: Per the contract, checked as in `kernel_ctx`.
        unsafe { Self::kernel_ctx(sock).map(|ctx| Locked::lock(ctx.obj)) }
    }

    /// The family's shared state.
    ///
    /// # Safety
    ///
    /// Only from a call on one of the family's sockets.
    pub(super) unsafe fn shared<'a>() -> &'a T::Shared {
        // SAFETY: Per the contract the family is registered.
        unsafe { T::tables().shared() }
    }

    /// # Safety
    ///
    /// Called by the socket layer with a valid, not yet set up `socket`.
    unsafe extern "C" fn create(
        net: *mut bindings::net,
        sock: *mut bindings::socket,
        protocol: c_int,
        kern: c_int,
    ) -> c_int {
        let tables = T::tables();
        // SAFETY: `create` runs only while the family is registered.
        let shared = unsafe { tables.shared() };
        // SAFETY: The socket layer passes a valid socket and namespace.
        let sock_type = i32::from(unsafe { (*sock).type_ });
        let state = match T::create(shared, NetNs(net), sock_type, protocol, kern != 0) {
            Ok(state) => state,
            Err(e) => return e.to_errno(),
        };

        // SAFETY: `sock` is valid and ours to set up; the tables live
        // forever.
        unsafe {
            (*sock).ops = tables.ops.get();
            (*sock).state = bindings::socket_state_SS_UNCONNECTED;
        }
        // SAFETY: The `proto` is registered while the family is, and `net`
        // is the namespace the socket layer passes in.
        let sk = unsafe {
            bindings::sk_alloc(
                net,
                T::FAMILY as c_int,
                kernel::bindings::GFP_KERNEL,
                tables.proto.get(),
                kern,
            )
        };
        if sk.is_null() {
            return ENOMEM.to_errno();
        }
        let obj = sk.cast::<SockObj<T>>();
        // SAFETY: `sk_alloc` returned `obj_size` bytes, a `SockObj<T>` whose
        // other fields are still uninitialised; they are initialised before
        // the kernel can call `destruct`. `sock_init_data` links `sock` and
        // `sk`.
        unsafe {
            addr_of_mut!((*obj).gen).write(AtomicU32::new(0));
            addr_of_mut!((*obj).pending).write(AtomicU32::new(0));
            addr_of_mut!((*obj).state).write(state);
            bindings::sock_init_data(sock, sk);
            bindings::kapi_sock_set_rcu_free(sk);
            (*sk).sk_destruct = Some(Self::destruct);
        }
        0
    }

    /// # Safety
    ///
    /// Called by the socket layer with a socket created by `create`.
    unsafe extern "C" fn release(sock: *mut bindings::socket) -> c_int {
        // SAFETY: `sock` is valid; `sk` is null or the sock `create` made.
        let sk = unsafe { (*sock).sk };
        if sk.is_null() {
            return 0;
        }
        let obj = sk.cast::<SockObj<T>>();
        // SAFETY: The socket layer serialises release against every other
        // operation, so the state is ours; the sock is live.
        unsafe {
            (*sock).sk = null_mut();
            let me = SockRef::new(obj);
            T::release(T::tables().shared(), &mut (*obj).state, &me);
            drop(me);
            bindings::kapi_sock_orphan(sk);
            (*sk).sk_shutdown = bindings::SHUTDOWN_MASK as _;
            bindings::kapi_sock_put(sk);
        }
        0
    }

    /// # Safety
    ///
    /// Called once by the kernel for a sock made by `create`.
    unsafe extern "C" fn destruct(sk: *mut bindings::sock) {
        // SAFETY: Per the type invariant `state` is initialised, and nobody
        // can reach the sock any more.
        unsafe { core::ptr::drop_in_place(addr_of_mut!((*sk.cast::<SockObj<T>>()).state)) };
    }

    /// # Safety
    ///
    /// Called by the socket layer with a socket of the family and a kernel
    /// copy of the caller's address.
    unsafe extern "C" fn bind(
        sock: *mut bindings::socket,
        addr: *mut bindings::sockaddr,
        len: c_int,
    ) -> c_int {
        // SAFETY: A live socket of ours; the address is a kernel buffer.
        let (mut sk, raw) = unsafe { (Locked::lock(Self::obj(sock)), sockaddr(addr, len)) };
        // SAFETY: A callback of a socket of the family.
        let shared = unsafe { T::tables().shared() };
        ret(T::bind(shared, &mut sk, raw))
    }

    /// # Safety
    ///
    /// As for `bind`.
    unsafe extern "C" fn connect(
        sock: *mut bindings::socket,
        addr: *mut bindings::sockaddr,
        len: c_int,
        flags: c_int,
    ) -> c_int {
        // SAFETY: As in `bind`.
        let (mut sk, raw) = unsafe { (Locked::lock(Self::obj(sock)), sockaddr(addr, len)) };
        // SAFETY: A callback of a socket of the family.
        let shared = unsafe { T::tables().shared() };
        ret(T::connect(shared, &mut sk, raw, flags))
    }

    /// # Safety
    ///
    /// Called by the socket layer with a socket of the family.
    unsafe extern "C" fn listen(sock: *mut bindings::socket, backlog: c_int) -> c_int {
        // SAFETY: A live socket of ours.
        let mut sk = unsafe { Locked::lock(Self::obj(sock)) };
        // SAFETY: A callback of a socket of the family.
        let shared = unsafe { T::tables().shared() };
        ret(T::listen(shared, &mut sk, backlog))
    }

    /// # Safety
    ///
    /// Called by the socket layer with a socket of the family.
    unsafe extern "C" fn shutdown(sock: *mut bindings::socket, how: c_int) -> c_int {
        // SAFETY: A live socket of ours.
        let mut sk = unsafe { Locked::lock(Self::obj(sock)) };
        // SAFETY: A callback of a socket of the family.
        let shared = unsafe { T::tables().shared() };
        ret(T::shutdown(shared, &mut sk, how))
    }

    /// # Safety
    ///
    /// Called by the socket layer with a socket of the family and the
    /// caller's option buffer as a `sockptr_t` of at least `optlen` bytes.
    unsafe extern "C" fn setsockopt(
        sock: *mut bindings::socket,
        level: c_int,
        name: c_int,
        optval: bindings::sockptr_t,
        optlen: c_uint,
    ) -> c_int {
        // SAFETY: A live socket of ours.
        let mut sk = unsafe { Locked::lock(Self::obj(sock)) };
        let value = OptValue {
            ptr: optval,
            len: optlen as usize,
        };
        // SAFETY: A callback of a socket of the family.
        let shared = unsafe { T::tables().shared() };
        ret(T::setsockopt(shared, &mut sk, level, name, value))
    }

    /// # Safety
    ///
    /// Called by the socket layer with user pointers for the value and its
    /// length.
    unsafe extern "C" fn getsockopt(
        _sock: *mut bindings::socket,
        level: c_int,
        name: c_int,
        optval: *mut c_char,
        optlen: *mut c_int,
    ) -> c_int {
        let out = OptOut {
            value: optval as usize,
            len: optlen as usize,
        };
        // SAFETY: A callback of a socket of the family.
        let shared = unsafe { T::tables().shared() };
        ret(T::getsockopt(shared, level, name, out))
    }

    /// # Safety
    ///
    /// Called by the socket layer with a socket of the family and the
    /// msghdr of the call.
    unsafe extern "C" fn sendmsg(
        sock: *mut bindings::socket,
        msg: *mut bindings::msghdr,
        len: usize,
    ) -> c_int {
        // SAFETY: A live socket of ours, pinned by the syscall's file
        // reference; `msg` lives for the call.
        let (ctx, mut msg) = unsafe { (SockCtx::new(Self::obj(sock)), Msg::new(msg)) };
        // SAFETY: A callback of a socket of the family.
        let shared = unsafe { T::tables().shared() };
        match T::sendmsg(shared, &ctx, &mut msg, len) {
            Ok(n) => n as c_int,
            Err(e) => e.to_errno(),
        }
    }

    /// # Safety
    ///
    /// As for `sendmsg`.
    unsafe extern "C" fn recvmsg(
        sock: *mut bindings::socket,
        msg: *mut bindings::msghdr,
        len: usize,
        flags: c_int,
    ) -> c_int {
        // SAFETY: As in `sendmsg`.
        let (ctx, mut msg) = unsafe { (SockCtx::new(Self::obj(sock)), Msg::new(msg)) };
        // SAFETY: A callback of a socket of the family.
        let shared = unsafe { T::tables().shared() };
        match T::recvmsg(shared, &ctx, &mut msg, len, flags as u32) {
            Ok(n) => n as c_int,
            Err(e) => e.to_errno(),
        }
    }

    /// # Safety
    ///
    /// Called by the socket layer with a socket of the family.
    unsafe extern "C" fn poll(
        file: *mut bindings::file,
        sock: *mut bindings::socket,
        wait: *mut bindings::poll_table_struct,
    ) -> bindings::__poll_t {
        // SAFETY: A live socket of ours, pinned by the caller's file
        // reference; `file` and `wait` come from the VFS.
        let ctx = unsafe {
            bindings::kapi_poll_wait(file, sock, wait);
            SockCtx::new(Self::obj(sock))
        };
        // SAFETY: A callback of a socket of the family.
        let shared = unsafe { T::tables().shared() };
        T::poll(shared, &ctx) as bindings::__poll_t
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

/// The value of a `setsockopt(2)`: a user or kernel buffer.
pub(crate) struct OptValue {
    ptr: bindings::sockptr_t,
    len: usize,
}

impl OptValue {
    /// The length the caller gave.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Copies the start of the value into `buf`; `EFAULT` on a bad
    /// pointer, `EINVAL` if `buf` is longer than the value.
    pub(crate) fn read(&self, buf: &mut [u8]) -> Result {
        if buf.len() > self.len {
            return Err(EINVAL);
        }
        // SAFETY: `buf` is valid for its length; `ptr` is the caller's
        // buffer of `len` bytes, no fewer than that.
        kernel::error::to_result(unsafe {
            bindings::kapi_copy_from_sockptr(buf.as_mut_ptr().cast(), self.ptr, buf.len())
        })
    }
}

/// Where a `getsockopt(2)` answer goes: user pointers to the value and
/// to its length.
pub(crate) struct OptOut {
    value: usize,
    len: usize,
}

impl OptOut {
    /// Answers with an `int`, as the kernel's own int options do:
    /// `ETOOSMALL` if the caller's buffer is shorter.
    pub(crate) fn put_int(self, v: i32) -> Result {
        const INT: usize = core::mem::size_of::<i32>();
        let room = UserSlice::new(self.len, INT).reader().read::<i32>()?;
        if room < INT as i32 {
            return Err(ETOOSMALL);
        }
        UserSlice::new(self.value, INT).writer().write(&v)?;
        UserSlice::new(self.len, INT).writer().write(&(INT as i32))
    }
}

/// A counted reference to a socket: for waking it from any context.
///
/// # Invariants
///
/// Holds a reference (`sock_hold`) on a sock made by [`Adapter::create`],
/// so the object, and its `gen` and `pending`, stay allocated.
pub(crate) struct SockRef<T: Family> {
    obj: *mut SockObj<T>,
}

// SAFETY: Only the atomics and the kernel's thread-safe wake functions are
// used through it, and the reference count is atomic.
unsafe impl<T: Family> Send for SockRef<T> {}
// SAFETY: As above.
unsafe impl<T: Family> Sync for SockRef<T> {}

impl<T: Family> SockRef<T> {
    /// Takes a reference on `obj`.
    ///
    /// # Safety
    ///
    /// `obj` must be a live sock made by [`Adapter::create`].
    unsafe fn new(obj: *mut SockObj<T>) -> Self {
        // SAFETY: Per the contract.
        unsafe { bindings::kapi_sock_hold(addr_of_mut!((*obj).sk)) };
        Self { obj }
    }

    fn obj(&self) -> &SockObj<T> {
        // SAFETY: Allocated while referenced (type invariant); only the
        // atomics and `sk` (through kernel calls) are used.
        unsafe { &*self.obj }
    }

    /// The socket's identity, stable for its life.
    pub(crate) fn id(&self) -> usize {
        self.obj as usize
    }

    /// The socket's `struct sock`, for kernel users' callbacks.
    pub(super) fn sk(&self) -> *mut bindings::sock {
        // SAFETY: Allocated while referenced (type invariant).
        unsafe { addr_of_mut!((*self.obj).sk) }
    }

    /// Wakes sleepers and pollers after an event; `pending` is how many
    /// items now wait for recvmsg.
    pub(crate) fn wake(&self, pending: usize) {
        let obj = self.obj();
        obj.pending.store(pending as u32, Ordering::Relaxed);
        obj.gen.fetch_add(1, Ordering::Release);
        // SAFETY: The sock is allocated (type invariant); `sk_data_ready`
        // may be called from any context, also after `sock_orphan`.
        unsafe {
            let sk = addr_of_mut!((*self.obj).sk);
            if let Some(ready) = (*sk).sk_data_ready {
                ready(sk);
            }
        }
    }

    /// Records that `pending` items wait for recvmsg, without a wake: the
    /// queue only shrank, which no sleeper or poller waits for.
    pub(crate) fn set_pending(&self, pending: usize) {
        self.obj().pending.store(pending as u32, Ordering::Relaxed);
    }

    /// Wakes senders and pollers waiting for send buffer space.
    pub(crate) fn wake_writer(&self) {
        self.obj().gen.fetch_add(1, Ordering::Release);
        // SAFETY: The sock is allocated; the helper may run in any context.
        unsafe { bindings::kapi_sk_write_space(addr_of_mut!((*self.obj).sk)) };
    }

    /// The socket's receive buffer size (`SO_RCVBUF`).
    pub(crate) fn rcvbuf(&self) -> usize {
        // SAFETY: The sock is allocated; `setsockopt` may change the field
        // at any time, hence the volatile read (`READ_ONCE`).
        let n = unsafe { addr_of!((*self.obj).sk.sk_rcvbuf).read_volatile() };
        usize::try_from(n).unwrap_or(0)
    }

    /// Whether the user set the receive buffer size (`SO_RCVBUF`), rather
    /// than leaving the default for the kernel to size, as TCP does.
    pub(crate) fn rcvbuf_locked(&self) -> bool {
        // SAFETY: The sock is allocated; `setsockopt` may change the field
        // at any time, hence the volatile read (`READ_ONCE`).
        let locks = unsafe { addr_of!((*self.obj).sk.sk_userlocks).read_volatile() };
        u32::from(locks) & bindings::SOCK_RCVBUF_LOCK != 0
    }
}

impl<T: Family> Clone for SockRef<T> {
    fn clone(&self) -> Self {
        // SAFETY: We hold a reference, so the sock is live.
        unsafe { Self::new(self.obj) }
    }
}

impl<T: Family> Drop for SockRef<T> {
    fn drop(&mut self) {
        // SAFETY: Gives back the reference of the type invariant.
        unsafe { bindings::kapi_sock_put(addr_of_mut!((*self.obj).sk)) };
    }
}

/// The socket of a sendmsg, recvmsg or poll in progress.
///
/// # Invariants
///
/// `obj` is the live socket of the syscall, which holds a file reference
/// on it, so it is not released before `'a` ends.
pub(crate) struct SockCtx<'a, T: Family> {
    obj: *mut SockObj<T>,
    _syscall: PhantomData<&'a ()>,
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

/// Which of a socket's timeouts applies.
#[derive(Clone, Copy)]
pub(crate) enum Direction {
    /// `SO_SNDTIMEO`.
    Send,
    /// `SO_RCVTIMEO`.
    Receive,
}

impl<'a, T: Family> SockCtx<'a, T> {
    /// # Safety
    ///
    /// `obj` must be the live socket of a syscall in progress.
    unsafe fn new(obj: *mut SockObj<T>) -> Self {
        Self {
            obj,
            _syscall: PhantomData,
        }
    }

    fn sk(&self) -> *mut bindings::sock {
        // SAFETY: Live for the syscall (type invariant).
        unsafe { addr_of_mut!((*self.obj).sk) }
    }

    /// Locks the socket's state.
    pub(crate) fn lock(&self) -> Locked<'_, T> {
        // SAFETY: Live for the syscall (type invariant).
        unsafe { Locked::lock(self.obj) }
    }

    /// A counted reference, to keep where the socket is to be woken.
    pub(crate) fn sock_ref(&self) -> SockRef<T> {
        // SAFETY: Live for the syscall.
        unsafe { SockRef::new(self.obj) }
    }

    /// The socket's identity, as [`SockRef::id`] gives it.
    pub(crate) fn id(&self) -> usize {
        self.obj as usize
    }

    /// Items waiting for recvmsg, as last reported by [`SockRef::wake`].
    pub(crate) fn pending(&self) -> u32 {
        // SAFETY: Live for the syscall.
        unsafe { (*self.obj).pending.load(Ordering::Relaxed) }
    }

    /// The socket's send buffer size (`SO_SNDBUF`).
    pub(crate) fn sndbuf(&self) -> usize {
        // SAFETY: Live for the syscall; `READ_ONCE` of a field setsockopt
        // may change at any time.
        let n = unsafe { addr_of!((*self.sk()).sk_sndbuf).read_volatile() };
        usize::try_from(n).unwrap_or(0)
    }

    /// The current event generation, to wait for it to move.
    pub(crate) fn gen(&self) -> u32 {
        // SAFETY: Live for the syscall.
        unsafe { (*self.obj).gen.load(Ordering::Acquire) }
    }

    /// The socket's send or receive timeout in jiffies (0 for a
    /// non-blocking call).
    pub(crate) fn timeout(&self, dir: Direction, nonblock: bool) -> isize {
        if nonblock {
            return 0;
        }
        let sk = self.sk();
        // SAFETY: Live for the syscall; `READ_ONCE` of fields setsockopt
        // may change at any time.
        unsafe {
            match dir {
                Direction::Send => addr_of!((*sk).sk_sndtimeo).read_volatile() as isize,
                Direction::Receive => addr_of!((*sk).sk_rcvtimeo).read_volatile() as isize,
            }
        }
    }

    /// Sleeps, interruptibly, until the event generation moves from `seen`
    /// or `timeo` jiffies pass.
    pub(crate) fn wait(&self, seen: u32, timeo: isize) -> Wait {
        // SAFETY: Live for the syscall; `gen` is an `AtomicU32`, laid out
        // as the `u32` the C side reads with `READ_ONCE`.
        let r =
            unsafe { bindings::kapi_wait(self.sk(), (*self.obj).gen.as_ptr(), seen, timeo as _) };
        match r {
            0 => Wait::TimedOut,
            r if r < 0 => Wait::Interrupted,
            r => Wait::Woken(r as isize),
        }
    }

    /// As [`SockCtx::wait`], but a packet arriving at `tunnel` wakes the
    /// sleeper too, which then runs the tunnel's handler before it
    /// returns (`Woken`, if nothing else happened). The caller must not
    /// hold what the handler locks.
    pub(crate) fn wait_or_rx<H: Handler>(
        &self,
        seen: u32,
        timeo: isize,
        tunnel: &UdpTunnel<H>,
    ) -> Wait {
        // SAFETY: As in `wait`; `tunnel` is initialised and lives past the
        // call.
        let r = unsafe {
            bindings::kapi_wait_rx(
                self.sk(),
                (*self.obj).gen.as_ptr(),
                seen,
                timeo as _,
                tunnel.raw(),
            )
        };
        // Whatever woke us, packets queued before this point are ours to
        // take: the softirq that queued them woke no one else.
        tunnel.take_rx();
        match r {
            0 => Wait::TimedOut,
            r if r < 0 => Wait::Interrupted,
            r => Wait::Woken(r as isize),
        }
    }

    /// Sleeps through signals for up to `limit` (at least two jiffies) for
    /// the event generation to move from `seen`. `Interrupted` means it
    /// did not move and a signal is pending.
    pub(crate) fn wait_uninterruptible(&self, seen: u32, limit: core::time::Duration) -> Wait {
        let ns = u64::try_from(limit.as_nanos()).unwrap_or(u64::MAX);
        // SAFETY: As in `wait`.
        let r = unsafe { bindings::kapi_wait_unint(self.sk(), (*self.obj).gen.as_ptr(), seen, ns) };
        match r {
            0 => Wait::TimedOut,
            r if r < 0 => Wait::Interrupted,
            _ => Wait::Woken(0),
        }
    }
}

/// A socket held under `lock_sock()`, with its state.
///
/// # Invariants
///
/// `obj` is a live socket of the family, locked by this value, which
/// unlocks it on drop; `'a` is the operation that holds it.
pub(crate) struct Locked<'a, T: Family> {
    obj: *mut SockObj<T>,
    _op: PhantomData<&'a mut T::Sock>,
}

impl<T: Family> Locked<'_, T> {
    /// Locks `obj`; may sleep.
    ///
    /// # Safety
    ///
    /// `obj` must be a live socket of the family, not released while the
    /// result lives.
    unsafe fn lock(obj: *mut SockObj<T>) -> Self {
        // SAFETY: Per the contract; socket calls run in process context.
        unsafe { bindings::lock_sock_nested(addr_of_mut!((*obj).sk), 0) };
        Self {
            obj,
            _op: PhantomData,
        }
    }

    /// The socket's state.
    pub(crate) fn state(&mut self) -> &mut T::Sock {
        // SAFETY: The sock is locked, so this is the only reference.
        unsafe { &mut (*self.obj).state }
    }

    /// A counted reference, to keep where the socket is to be woken.
    pub(crate) fn sock_ref(&self) -> SockRef<T> {
        // SAFETY: Live and locked.
        unsafe { SockRef::new(self.obj) }
    }

    /// The socket's identity, as [`SockRef::id`] gives it.
    pub(crate) fn id(&self) -> usize {
        self.obj as usize
    }

    /// The network namespace of the socket.
    pub(crate) fn net(&self) -> NetNs {
        // SAFETY: Live and locked.
        unsafe { NetNs::of(addr_of!((*self.obj).sk)) }
    }

    /// Marks both directions shut down, for poll and the socket layer.
    pub(crate) fn set_shutdown_all(&mut self) {
        // SAFETY: Live and locked.
        unsafe { (*self.obj).sk.sk_shutdown = bindings::SHUTDOWN_MASK as _ };
    }
}

impl<T: Family> Drop for Locked<'_, T> {
    fn drop(&mut self) {
        // SAFETY: Locked in `lock`.
        unsafe { bindings::release_sock(addr_of_mut!((*self.obj).sk)) };
    }
}

/// A registered family; unregistered on drop.
///
/// # Invariants
///
/// `T::tables()` are registered and point to `shared` from `new` until
/// drop. Every socket holds a reference on the module, so no callback of
/// the family runs after the drop.
pub(crate) struct Registration<T: Family> {
    shared: Pin<KBox<T::Shared>>,
}

impl<T: Family> Registration<T> {
    /// Registers the family's `struct proto` and `net_proto_family`, with
    /// `shared` for its sockets. `EBUSY` if `T` is registered already.
    pub(crate) fn new(
        module: &'static ThisModule,
        shared: impl PinInit<T::Shared, Error>,
    ) -> Result<Self> {
        let tables = T::tables();
        let shared = KBox::pin_init(shared, GFP_KERNEL)?;
        let ptr = core::ptr::from_ref(&*shared).cast_mut();
        if tables
            .shared
            .compare_exchange(null_mut(), ptr, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return Err(EBUSY);
        }
        let owner = module.as_ptr().cast::<bindings::module>();
        // SAFETY: The tables are not registered (`shared` was null), so
        // nobody else reads them.
        unsafe {
            (*tables.proto.get()).owner = owner;
            (*tables.ops.get()).owner = owner;
            (*tables.family.get()).owner = owner;
        }
        if let Err(e) = Self::register(tables) {
            tables.shared.store(null_mut(), Ordering::Release);
            return Err(e);
        }
        Ok(Self { shared })
    }

    fn register(tables: &FamilyTables<T>) -> Result {
        // SAFETY: A valid `struct proto` that lives forever.
        kernel::error::to_result(unsafe { bindings::proto_register(tables.proto.get(), 1) })?;
        // SAFETY: A valid `net_proto_family` that lives forever.
        let r = kernel::error::to_result(unsafe { bindings::sock_register(tables.family.get()) });
        if r.is_err() {
            // SAFETY: Registered just above.
            unsafe { bindings::proto_unregister(tables.proto.get()) };
        }
        r
    }

    /// The state the family's sockets share.
    pub(crate) fn shared(&self) -> &T::Shared {
        &self.shared
    }
}

impl<T: Family> Drop for Registration<T> {
    fn drop(&mut self) {
        let tables = T::tables();
        // SAFETY: Both were registered in `new`. `sock_unregister` waits for
        // `create` calls in progress; open sockets pin the module.
        unsafe {
            bindings::sock_unregister(T::FAMILY as c_int);
            bindings::proto_unregister(tables.proto.get());
        }
        tables.shared.store(null_mut(), Ordering::Release);
    }
}
