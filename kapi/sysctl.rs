//! sysctl tables of unsigned integers with a range, the form the kernel's
//! `proc_dointvec_minmax` handles. Values are `static`s, so a reader
//! needs no registration at hand.

use core::ffi::{c_int, c_void, CStr};
use core::ptr::null_mut;
use core::sync::atomic::{AtomicU32, Ordering};

use kernel::prelude::*;

use super::bindings;

/// One integer setting and its range.
///
/// # Invariants
///
/// `value` stays within `min..=max`: the kernel's handler refuses other
/// values with `EINVAL`.
pub(crate) struct UintSetting {
    value: AtomicU32,
    min: c_int,
    max: c_int,
}

impl UintSetting {
    /// A setting starting at `default`, for a `static`.
    pub(crate) const fn new(default: u32, min: u32, max: u32) -> Self {
        Self {
            value: AtomicU32::new(default),
            min: min as c_int,
            max: max as c_int,
        }
    }

    /// The value now (`READ_ONCE`).
    pub(crate) fn get(&self) -> u32 {
        self.value.load(Ordering::Relaxed)
    }
}

/// A registered directory of settings; unregistered on drop.
///
/// # Invariants
///
/// `header` is the registration of the table in `table`, which is not
/// touched until `header` is unregistered.
pub(crate) struct Registration {
    header: *mut bindings::ctl_table_header,
    _table: KVec<bindings::ctl_table>,
}

// SAFETY: The registration is only unregistered, from any context that may
// sleep; the sysctl core locks the table itself.
unsafe impl Send for Registration {}
// SAFETY: As above; `&Registration` gives nothing.
unsafe impl Sync for Registration {}

impl Registration {
    /// Registers `settings` under `path` (e.g. `c"net/foo"`) in the
    /// initial network namespace, mode 0644.
    pub(crate) fn new(
        path: &'static CStr,
        settings: &[(&'static CStr, &'static UintSetting)],
    ) -> Result<Self> {
        let mut table = KVec::with_capacity(settings.len(), GFP_KERNEL)?;
        for (name, s) in settings {
            table.push(
                bindings::ctl_table {
                    procname: name.as_ptr(),
                    data: s.value.as_ptr().cast::<c_void>(),
                    maxlen: core::mem::size_of::<u32>() as c_int,
                    mode: 0o644,
                    proc_handler: Some(bindings::proc_dointvec_minmax),
                    poll: null_mut(),
                    extra1: core::ptr::from_ref(&s.min).cast_mut().cast::<c_void>(),
                    extra2: core::ptr::from_ref(&s.max).cast_mut().cast::<c_void>(),
                },
                GFP_KERNEL,
            )?;
        }
        // SAFETY: `init_net` lives forever; the table, its names and its
        // settings live until the header is unregistered (the names and
        // settings are `'static`, the table is owned by the result).
        let header = unsafe {
            bindings::register_net_sysctl_sz(
                core::ptr::addr_of_mut!(bindings::init_net),
                path.as_ptr(),
                table.as_mut_ptr(),
                table.len(),
            )
        };
        if header.is_null() {
            return Err(ENOMEM);
        }
        Ok(Self {
            header,
            _table: table,
        })
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        // SAFETY: Registered in `new`.
        unsafe { bindings::unregister_net_sysctl_table(self.header) };
    }
}
