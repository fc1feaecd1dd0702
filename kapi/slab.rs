//! Slab caches of one object layout, in front of kmalloc.
//!
//! kmalloc rounds each object up to its size class: 440 bytes take 512
//! and 712 take 1,024. A cache made for one layout (`kmem_cache_create`)
//! packs its objects at their own size. [`boxed`] takes a value's memory
//! from the cache made for its type's layout if there is one, and from
//! kmalloc if not; either way a [`SlabBox`] frees it with `kfree`, which
//! SLUB accepts for objects of any cache.

use core::alloc::Layout;
use core::ffi::{c_uint, c_void, CStr};
use core::marker::PhantomData;
use core::ops::{Deref, DerefMut};
use core::ptr::{self, NonNull};
use core::sync::atomic::{AtomicPtr, Ordering};

use kernel::error::{
    code::{EBUSY, ENOMEM},
    Result,
};

use super::bindings;

/// A cache for objects of one layout, for a `static`. [`Registration`]
/// makes it and destroys it; until then it has no slab, and [`boxed`]
/// uses kmalloc for its layout.
///
/// # Invariants
///
/// `ptr` is null or a cache of `layout`'s size and alignment, made by the
/// live [`Registration`] that holds this cache.
pub(crate) struct Cache {
    name: &'static CStr,
    layout: Layout,
    ptr: AtomicPtr<bindings::kmem_cache>,
}

impl Cache {
    /// A cache named `name` (in `/proc/slabinfo`) for objects of `layout`.
    pub(crate) const fn new(name: &'static CStr, layout: Layout) -> Self {
        Self {
            name,
            layout,
            ptr: AtomicPtr::new(ptr::null_mut()),
        }
    }
}

/// The caches of a module, made at once and destroyed on drop.
pub(crate) struct Registration {
    caches: &'static [&'static Cache],
    /// How many of `caches`, from the first, this registration made.
    made: usize,
}

impl Registration {
    /// Makes each of `caches`; `EBUSY` if one already has a registration.
    pub(crate) fn new(caches: &'static [&'static Cache]) -> Result<Self> {
        // Dropped on an error: destroys those already made.
        let mut reg = Self { caches, made: 0 };
        for cache in caches {
            let (Ok(size), Ok(align)) = (
                c_uint::try_from(cache.layout.size()),
                c_uint::try_from(cache.layout.align()),
            ) else {
                return Err(ENOMEM);
            };
            // SAFETY: `name` is a NUL-terminated string that outlives the
            // cache (it is `'static`).
            let ptr = unsafe { bindings::kapi_cache_create(cache.name.as_ptr(), size, align) };
            if ptr.is_null() {
                return Err(ENOMEM);
            }
            // INVARIANT: a cache of the layout, destroyed by `reg`'s drop,
            // unless another registration made one first.
            let published = cache.ptr.compare_exchange(
                ptr::null_mut(),
                ptr,
                Ordering::AcqRel,
                Ordering::Acquire,
            );
            if published.is_err() {
                // SAFETY: `ptr` was just made and never published.
                unsafe { bindings::kapi_cache_destroy(ptr) };
                return Err(EBUSY);
            }
            reg.made += 1;
        }
        Ok(reg)
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        for cache in self.caches.iter().take(self.made) {
            let ptr = cache.ptr.swap(ptr::null_mut(), Ordering::AcqRel);
            if !ptr.is_null() {
                // SAFETY: `ptr` was made by `kapi_cache_create` and is no
                // longer published. Its objects belong to the module's
                // endpoints, all gone before the module unloads; one left
                // makes the kernel report the cache, not free it.
                unsafe { bindings::kapi_cache_destroy(ptr) };
            }
        }
    }
}

/// A value in memory of its own, from a cache or kmalloc.
///
/// # Invariants
///
/// `ptr` points to an initialised `T` in memory that `kfree` releases.
pub(crate) struct SlabBox<T> {
    ptr: NonNull<T>,
    _owns: PhantomData<T>,
}

// SAFETY: A `SlabBox<T>` owns its `T` as `KBox<T>` does.
unsafe impl<T: Send> Send for SlabBox<T> {}

// SAFETY: Shared references to a `SlabBox<T>` give only `&T`.
unsafe impl<T: Sync> Sync for SlabBox<T> {}

/// Moves `value` into memory from the first of `caches` made for its
/// type's layout, or from kmalloc (it may sleep). Gives `value` back if
/// there is no memory.
pub(crate) fn boxed<T>(caches: &[&Cache], value: T) -> core::result::Result<SlabBox<T>, T> {
    let layout = Layout::new::<T>();
    let cache = caches
        .iter()
        .find(|c| c.layout == layout)
        .map_or(ptr::null_mut(), |c| c.ptr.load(Ordering::Acquire));
    let mem: *mut c_void = if !cache.is_null() {
        // SAFETY: `cache` is a live cache (type invariant of `Cache`):
        // its registration outlives the module's objects.
        unsafe { bindings::kapi_cache_alloc(cache) }
    } else {
        // kmalloc aligns objects to 8 bytes, and those of a power-of-two
        // size to that size.
        let size = if layout.align() <= 8 {
            layout.size()
        } else {
            layout.pad_to_align().size().next_power_of_two()
        };
        // SAFETY: Always safe to call.
        unsafe { bindings::kapi_kmalloc(size) }
    };
    let Some(ptr) = NonNull::new(mem.cast::<T>()) else {
        return Err(value);
    };
    // SAFETY: `ptr` is valid for writes of a `T` and aligned for it: the
    // cache was made for `T`'s layout, and kmalloc aligns as above. A
    // zero-sized `T` gets `ZERO_SIZE_PTR`, aligned to 16.
    unsafe { ptr.as_ptr().write(value) };
    // INVARIANT: `ptr` now holds an initialised `T`, in memory from a
    // cache or kmalloc, which `kfree` releases.
    Ok(SlabBox {
        ptr,
        _owns: PhantomData,
    })
}

impl<T> Deref for SlabBox<T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: `ptr` points to an initialised `T` this box owns.
        unsafe { self.ptr.as_ref() }
    }
}

impl<T> DerefMut for SlabBox<T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: `ptr` points to an initialised `T` this box owns, and
        // `&mut self` makes the reference unique.
        unsafe { self.ptr.as_mut() }
    }
}

impl<T> Drop for SlabBox<T> {
    fn drop(&mut self) {
        // SAFETY: `ptr` holds an initialised `T` that nothing else uses
        // once the box is gone; its memory came from a cache or kmalloc.
        unsafe {
            ptr::drop_in_place(self.ptr.as_ptr());
            bindings::kapi_kfree(self.ptr.as_ptr().cast::<c_void>());
        }
    }
}
