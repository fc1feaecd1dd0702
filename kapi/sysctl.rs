//! sysctl tables of numbers with a range, in the forms the kernel's
//! handlers take: `unsigned int` (`proc_dointvec_minmax`), `unsigned long`
//! (`proc_doulongvec_minmax`) and `unsigned long` jiffies shown in
//! milliseconds (`proc_doulongvec_ms_jiffies_minmax`). Values are
//! `static`s, so a reader needs no registration at hand.

use core::ffi::{c_int, c_ulong, c_void, CStr};
use core::ptr::null_mut;
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use core::time::Duration;

use kernel::prelude::*;

use super::{bindings, HZ};

// The unsigned long settings keep their value in an `AtomicU64`.
const _: () = assert!(core::mem::size_of::<c_ulong>() == core::mem::size_of::<u64>());

/// The kernel's `MAX_JIFFY_OFFSET`: the longest time in jiffies a timer
/// takes.
pub(crate) const MAX_JIFFY_OFFSET: u64 = bindings::KAPI_CONST_MAX_JIFFY_OFFSET;

/// A setting that can be an entry of a sysctl table.
///
/// # Safety
///
/// [`Setting::entry`] returns an entry whose `data`, `maxlen` and
/// `proc_handler` agree (the handler reads and writes `maxlen` bytes at
/// `data` as the type it expects) and whose `extra1`/`extra2` are null or
/// point to bounds of that type; all of them live as long as `self`.
pub(crate) unsafe trait Setting: Sync {
    /// The table entry for this setting, named `name`, mode 0644.
    fn entry(&'static self, name: &'static CStr) -> bindings::ctl_table;
}

fn entry(
    name: &'static CStr,
    data: *mut c_void,
    maxlen: usize,
    handler: unsafe extern "C" fn(
        *const bindings::ctl_table,
        c_int,
        *mut c_void,
        *mut usize,
        *mut bindings::loff_t,
    ) -> c_int,
    min: *const c_void,
    max: *const c_void,
) -> bindings::ctl_table {
    bindings::ctl_table {
        procname: name.as_ptr(),
        data,
        maxlen: maxlen as c_int,
        mode: 0o644,
        proc_handler: Some(handler),
        poll: null_mut(),
        extra1: min.cast_mut(),
        extra2: max.cast_mut(),
    }
}

/// One `unsigned int` setting and its range.
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

// SAFETY: `proc_dointvec_minmax` reads and writes one `int` at `data` (an
// `AtomicU32`, of the same size) and takes `int` bounds, all in `self`.
unsafe impl Setting for UintSetting {
    fn entry(&'static self, name: &'static CStr) -> bindings::ctl_table {
        entry(
            name,
            self.value.as_ptr().cast(),
            core::mem::size_of::<u32>(),
            bindings::proc_dointvec_minmax,
            core::ptr::from_ref(&self.min).cast(),
            core::ptr::from_ref(&self.max).cast(),
        )
    }
}

/// One `unsigned long` setting in milliseconds and its range, as the user
/// reads and writes it.
///
/// # Invariants
///
/// `value` stays within `min..=max` (the handler refuses other values
/// with `EINVAL`).
pub(crate) struct MsSetting {
    value: AtomicU64,
    min: c_ulong,
    max: c_ulong,
}

impl MsSetting {
    /// A setting starting at `default` ms, for a `static`.
    pub(crate) const fn new(default: u64, min: u64, max: u64) -> Self {
        Self {
            value: AtomicU64::new(default),
            min: min as c_ulong,
            max: max as c_ulong,
        }
    }

    /// The value now (`READ_ONCE`).
    pub(crate) fn get(&self) -> Duration {
        Duration::from_millis(self.value.load(Ordering::Relaxed))
    }
}

// SAFETY: `proc_doulongvec_minmax` reads and writes `maxlen /
// sizeof(unsigned long)` = one `unsigned long` at `data` (an `AtomicU64`,
// of the same size) and takes `unsigned long` bounds, all in `self`.
unsafe impl Setting for MsSetting {
    fn entry(&'static self, name: &'static CStr) -> bindings::ctl_table {
        entry(
            name,
            self.value.as_ptr().cast(),
            core::mem::size_of::<c_ulong>(),
            bindings::proc_doulongvec_minmax,
            core::ptr::from_ref(&self.min).cast(),
            core::ptr::from_ref(&self.max).cast(),
        )
    }
}

/// One `unsigned long` setting kept in jiffies, which the user reads and
/// writes in milliseconds (the handler converts with `HZ`; a write that
/// converts to fewer than `min` jiffies, e.g. 0 ms, or to more than `max`
/// is refused with `EINVAL`).
///
/// # Invariants
///
/// `value` stays within `min..=max` jiffies.
pub(crate) struct JiffiesSetting {
    value: AtomicU64,
    min: c_ulong,
    max: c_ulong,
}

impl JiffiesSetting {
    /// A setting starting at `default` jiffies, for a `static`.
    pub(crate) const fn new(default: u64, min: u64, max: u64) -> Self {
        Self {
            value: AtomicU64::new(default),
            min: min as c_ulong,
            max: max as c_ulong,
        }
    }

    /// The value now (`READ_ONCE`), as a duration.
    pub(crate) fn get(&self) -> Duration {
        jiffies_to_duration(self.value.load(Ordering::Relaxed))
    }
}

/// `j` jiffies as a duration (exact for any `HZ` that divides 10^9).
pub(crate) fn jiffies_to_duration(j: u64) -> Duration {
    let hz = u64::from(HZ);
    Duration::new(j / hz, ((j % hz) * 1_000_000_000 / hz) as u32)
}

// SAFETY: `proc_doulongvec_ms_jiffies_minmax` reads and writes one
// `unsigned long` at `data` (an `AtomicU64`, of the same size) and takes
// `unsigned long` bounds, all in `self`.
unsafe impl Setting for JiffiesSetting {
    fn entry(&'static self, name: &'static CStr) -> bindings::ctl_table {
        entry(
            name,
            self.value.as_ptr().cast(),
            core::mem::size_of::<c_ulong>(),
            bindings::proc_doulongvec_ms_jiffies_minmax,
            core::ptr::from_ref(&self.min).cast(),
            core::ptr::from_ref(&self.max).cast(),
        )
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
        settings: &[(&'static CStr, &'static dyn Setting)],
    ) -> Result<Self> {
        let mut table = KVec::with_capacity(settings.len(), GFP_KERNEL)?;
        for (name, s) in settings {
            table.push(s.entry(name), GFP_KERNEL)?;
        }
        // SAFETY: `init_net` lives forever; the table, its names and its
        // settings live until the header is unregistered (the names and
        // settings are `'static`, the table is owned by the result), and
        // each entry is consistent (the contract of `Setting`).
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
