//! The one thin FFI layer.
//!
//! All `unsafe` code of the module lives under `ffi/`: the generated
//! bindings, the C glue for static inlines, and the trampolines that turn
//! kernel callbacks into calls of safe Rust in `sock/` and `security/`.

pub(crate) mod io;
pub(crate) mod key;
pub(crate) mod msg;
pub(crate) mod proc;
pub(crate) mod socket;
pub(crate) mod sysctl;

use core::cell::UnsafeCell;

use kernel::error::Error;

/// Bindings generated at build time from `ffi/bindings.h`.
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
pub(crate) mod bindings {
    // Blocklisted by rust/bindgen_parameters, mapped by hand as the
    // kernel's own bindings crate does.
    type __kernel_size_t = usize;
    type __kernel_ssize_t = isize;
    type __kernel_ptrdiff_t = isize;

    include!("bindings_generated.rs");
}

/// Builds a kernel error from one of the positive `E*` constants.
pub(crate) fn errno(code: u32) -> Error {
    // Errno constants are small positive numbers, so the cast is lossless.
    Error::from_errno(-(code as i32))
}

/// A kernel structure that registration code mutates once, at module load,
/// before the kernel can see it, and the kernel may write to after that
/// (`proto_register` fills in the slab cache, for one).
pub(crate) struct Table<T>(UnsafeCell<T>);

// SAFETY: Rust code writes a table only in module init, before it is
// registered; afterwards only the kernel touches it, under its own locking.
unsafe impl<T> Sync for Table<T> {}

impl<T> Table<T> {
    /// Wraps a table built at compile time.
    pub(crate) const fn new(table: T) -> Self {
        Self(UnsafeCell::new(table))
    }

    /// The pointer the kernel is given.
    pub(crate) fn get(&self) -> *mut T {
        self.0.get()
    }
}
