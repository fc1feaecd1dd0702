//! Kernel abstractions that 6.12's `kernel` crate lacks.
//!
//! Written in the manner of `rust/kernel/net/phy.rs`: a trait per kind of
//! kernel object or callback table, a generic adapter holding the
//! `extern "C"` trampolines, and a registration that undoes itself on
//! drop. Nothing here knows RxRPC, and nothing here names the modules
//! that implement the traits (`sock/`, `security/`), so every dependency
//! points down. All of the module's `unsafe` code and every use of the
//! generated bindings live here.

pub(crate) mod crypto;
pub(crate) mod errno;
pub(crate) mod key_type;
pub(crate) mod net;
pub(crate) mod proc;
pub(crate) mod seq_file;
pub(crate) mod slab;
pub(crate) mod sysctl;
pub(crate) mod trace;

use core::cell::UnsafeCell;

/// Bindings generated at build time from `kapi/bindings.h`; private to
/// this layer.
#[allow(
    clippy::all,
    dead_code,
    missing_docs,
    non_camel_case_types,
    non_snake_case,
    non_upper_case_globals,
    unreachable_pub,
    unsafe_op_in_unsafe_fn,
    improper_ctypes,
    clippy::undocumented_unsafe_blocks,
    unnecessary_transmutes
)]
mod bindings {
    // Blocklisted by rust/bindgen_parameters, mapped by hand as the
    // kernel's own bindings crate does.
    type __kernel_size_t = usize;
    type __kernel_ssize_t = isize;
    type __kernel_ptrdiff_t = isize;

    include!("bindings_generated.rs");
}

/// A kernel structure that Rust writes only before registering it, and
/// that the kernel may write to after that (`proto_register` fills in the
/// slab cache, for one).
struct Table<T>(UnsafeCell<T>);

// SAFETY: Rust code writes a table only before it is registered; afterwards
// only the kernel touches it, under its own locking.
unsafe impl<T> Sync for Table<T> {}

impl<T> Table<T> {
    /// Wraps a table built at compile time.
    const fn new(table: T) -> Self {
        Self(UnsafeCell::new(table))
    }

    /// The pointer the kernel is given.
    fn get(&self) -> *mut T {
        self.0.get()
    }
}

/// Timer ticks per second (`HZ`, i.e. `CONFIG_HZ`; `bindings::HZ` is the
/// uapi header's 100).
pub(crate) const HZ: u32 = bindings::KAPI_CONST_HZ as u32;

/// A random number from the kernel's generator.
pub(crate) fn random_u32() -> u32 {
    // SAFETY: Always safe to call.
    unsafe { bindings::get_random_u32() }
}

/// Wall-clock time, in seconds since 1970.
pub(crate) fn real_seconds() -> i64 {
    // SAFETY: Always safe to call.
    unsafe { bindings::ktime_get_real_seconds() }
}

/// The current monotonic time, in nanoseconds.
pub(crate) fn now_ns() -> u64 {
    // `CLOCK_MONOTONIC` never goes below zero.
    kernel::time::Ktime::ktime_get().to_ns() as u64
}
