//! A read-only directory of files in `/proc/net` of every network
//! namespace, each printed by a show callback (`proc_create_net_single`).

use core::ffi::{c_int, c_void, CStr};
use core::marker::PhantomData;
use core::ptr::null_mut;
use core::sync::atomic::{AtomicPtr, Ordering};

use kernel::prelude::*;

use super::net::NetNs;
use super::seq_file::SeqFile;
use super::{bindings, Table};

/// A `/proc/net` directory and what its files show.
pub(crate) trait ProcDir: Sized + 'static {
    /// The directory's name.
    const NAME: &'static CStr;
    /// Its files; `show` gets the index of one.
    const FILES: &'static [&'static CStr];
    /// What the callbacks read, given to [`Registration`].
    type Data: Send + Sync;

    /// The directory's tables: a `static` of the implementing module.
    fn tables() -> &'static ProcTables<Self>;

    /// Prints file `FILES[file]` of namespace `net`. It may run more than
    /// once per read (the seq_file core retries with a larger page), and
    /// must not sleep.
    fn show(data: &Self::Data, net: NetNs, file: usize, seq: &mut SeqFile<'_>);

    /// Namespace `net` goes away: forget what is kept for it.
    fn net_exit(data: &Self::Data, net: NetNs);
}

/// The kernel tables of a [`ProcDir`], and its data while registered.
///
/// # Invariants
///
/// `data` is null or points to the data of a live [`Registration`].
pub(crate) struct ProcTables<T: ProcDir> {
    ops: Table<bindings::pernet_operations>,
    data: AtomicPtr<T::Data>,
}

impl<T: ProcDir> ProcTables<T> {
    /// The tables of `T`, for a `static`.
    pub(crate) const fn new() -> Self {
        Self {
            ops: Table::new(bindings::pernet_operations {
                init: Some(Adapter::<T>::net_init),
                exit: Some(Adapter::<T>::net_exit),
                // SAFETY: All-zero is the valid "unused" value of every other
                // field (no id, no per-namespace storage, an unlinked list).
                ..unsafe { core::mem::zeroed() }
            }),
            data: AtomicPtr::new(null_mut()),
        }
    }

    /// The registered data, if any.
    ///
    /// # Safety
    ///
    /// Only from a callback of the registered tables: they do not run once
    /// the registration's drop has unregistered them.
    unsafe fn data<'a>(&self) -> Option<&'a T::Data> {
        // SAFETY: Per the contract, non-null is the live registration's data.
        unsafe { self.data.load(Ordering::Acquire).as_ref() }
    }
}

struct Adapter<T: ProcDir>(PhantomData<T>);

impl<T: ProcDir> Adapter<T> {
    /// # Safety
    ///
    /// Called by the namespace core for a namespace being set up.
    unsafe extern "C" fn net_init(net: *mut bindings::net) -> c_int {
        // SAFETY: `net` is being set up and has its `/proc/net`.
        let dir = unsafe { bindings::kapi_proc_net_mkdir(net, T::NAME.as_ptr()) };
        if dir.is_null() {
            return ENOMEM.to_errno();
        }
        for (i, name) in T::FILES.iter().enumerate() {
            // SAFETY: `dir` was just made; the name and the show callback
            // live forever; the data pointer is the file's index.
            let pde = unsafe {
                bindings::proc_create_net_single(
                    name.as_ptr(),
                    0o444,
                    dir,
                    Some(Self::show),
                    i as *mut c_void,
                )
            };
            if pde.is_null() {
                // SAFETY: Removes what was made above.
                unsafe { bindings::kapi_proc_net_remove(net, T::NAME.as_ptr()) };
                return ENOMEM.to_errno();
            }
        }
        0
    }

    /// # Safety
    ///
    /// Called by the namespace core for a namespace going away.
    unsafe extern "C" fn net_exit(net: *mut bindings::net) {
        // SAFETY: `net` is still valid; this waits for show callbacks.
        unsafe { bindings::kapi_proc_net_remove(net, T::NAME.as_ptr()) };
        // SAFETY: A callback of the registered tables.
        if let Some(data) = unsafe { T::tables().data() } {
            T::net_exit(data, NetNs(net));
        }
    }

    /// # Safety
    ///
    /// Called by the seq_file core for a file made by `net_init`.
    unsafe extern "C" fn show(seq: *mut bindings::seq_file, _v: *mut c_void) -> c_int {
        // SAFETY: A single_open seq_file of a file of ours: it holds its
        // namespace, and its proc entry's data is the file's index.
        let (net, file) = unsafe {
            (
                bindings::kapi_seq_net(seq),
                bindings::kapi_seq_pde_data(seq) as usize,
            )
        };
        // SAFETY: A callback of the registered tables.
        if let Some(data) = unsafe { T::tables().data() } {
            // SAFETY: `seq` is live for this callback.
            T::show(data, NetNs(net), file, &mut unsafe { SeqFile::new(seq) });
        }
        0
    }
}

/// A registered directory, in every namespace; removed on drop.
///
/// # Invariants
///
/// `T::tables()` are registered and point to `data` from `new` until drop.
/// Unregistering removes the files of every namespace and waits for show
/// callbacks in progress, so none runs after the drop.
pub(crate) struct Registration<T: ProcDir> {
    _data: KBox<T::Data>,
}

impl<T: ProcDir> Registration<T> {
    /// Makes the directory in every namespace, now and as they are made.
    pub(crate) fn new(data: T::Data) -> Result<Self> {
        let tables = T::tables();
        let data = KBox::new(data, GFP_KERNEL)?;
        let ptr = core::ptr::from_ref(&*data).cast_mut();
        if tables
            .data
            .compare_exchange(null_mut(), ptr, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return Err(EBUSY);
        }
        // SAFETY: Valid, static pernet operations, registered once (`data`
        // was null).
        let r = unsafe { bindings::register_pernet_subsys(tables.ops.get()) };
        if let Err(e) = kernel::error::to_result(r) {
            tables.data.store(null_mut(), Ordering::Release);
            return Err(e);
        }
        Ok(Self { _data: data })
    }
}

impl<T: ProcDir> Drop for Registration<T> {
    fn drop(&mut self) {
        let tables = T::tables();
        // SAFETY: Registered in `new`; on return no callback runs.
        unsafe { bindings::unregister_pernet_subsys(tables.ops.get()) };
        tables.data.store(null_mut(), Ordering::Release);
    }
}
