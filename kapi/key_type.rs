//! Key types (`register_key_type`) whose payload is a Rust value, and
//! counted references to keys.
//!
//! A key's payload pointer `data[0]` holds a `KBox` of the type's
//! [`KeyType::Payload`], or is null for a key without one. It is set when
//! the key is instantiated and never changed (these types have no update
//! operation), so a holder of a key reference may read it.

use core::ffi::{c_char, c_int, c_long, c_void, CStr};
use core::marker::PhantomData;
use core::ptr::null_mut;
use core::sync::atomic::{AtomicPtr, Ordering};

use kernel::prelude::*;

use super::net::NetNs;
use super::seq_file::SeqFile;
use super::{bindings, Table};

/// What preparsing a payload gave.
pub(crate) struct Preparsed<P> {
    /// The payload; `None` for a key without one.
    pub(crate) payload: Option<KBox<P>>,
    /// Bytes charged to the owner's key quota.
    pub(crate) quota: usize,
    /// When the key expires (seconds, `time64_t`), if sooner than asked.
    pub(crate) expiry: Option<i64>,
}

/// A key type.
#[vtable]
pub(crate) trait KeyType: Sized + 'static {
    /// The type's name.
    const NAME: &'static CStr;
    /// Whether keys are tagged with their network namespace.
    const NET_DOMAIN: bool;
    /// What an instantiated key holds.
    type Payload: Send + Sync;

    /// The type's table: a `static` of the implementing module.
    fn tables() -> &'static KeyTypeTable<Self>;

    /// Parses `add_key(2)`'s payload for a key described `desc`.
    fn preparse(desc: &[u8], data: &[u8]) -> Result<Preparsed<Self::Payload>>;

    /// Checks a description before a key is made.
    fn vet_description(_desc: &[u8]) -> Result {
        kernel::build_error(kernel::error::VTABLE_DEFAULT_ERROR)
    }

    /// What `/proc/keys` shows: by default the description.
    fn describe(desc: &[u8], _payload: Option<&Self::Payload>, seq: &mut SeqFile<'_>) {
        seq.write_bytes(desc);
    }

    /// `keyctl read`: fills `out` (which may be too short, or empty) and
    /// returns the size needed.
    fn read(_desc: &[u8], _payload: Option<&Self::Payload>, _out: &mut [u8]) -> Result<usize> {
        kernel::build_error(kernel::error::VTABLE_DEFAULT_ERROR)
    }
}

/// The `struct key_type` of a [`KeyType`].
///
/// # Invariants
///
/// `at` is null, or the `struct key_type` the type is registered as
/// instead of `table` (an exported copy of it).
pub(crate) struct KeyTypeTable<T: KeyType> {
    table: Table<bindings::key_type>,
    at: AtomicPtr<bindings::key_type>,
    _type: PhantomData<T>,
}

impl<T: KeyType> KeyTypeTable<T> {
    /// The table of `T`, for a `static`.
    pub(crate) const fn new() -> Self {
        Self {
            table: Table::new(bindings::key_type {
                name: T::NAME.as_ptr(),
                flags: if T::NET_DOMAIN {
                    bindings::KEY_TYPE_NET_DOMAIN
                } else {
                    0
                },
                vet_description: if T::HAS_VET_DESCRIPTION {
                    Some(Adapter::<T>::vet_description)
                } else {
                    None
                },
                preparse: Some(Adapter::<T>::preparse),
                free_preparse: Some(Adapter::<T>::free_preparse),
                instantiate: Some(bindings::generic_key_instantiate),
                destroy: Some(Adapter::<T>::destroy),
                describe: Some(Adapter::<T>::describe),
                read: if T::HAS_READ {
                    Some(Adapter::<T>::read)
                } else {
                    None
                },
                // SAFETY: Null is "not provided" for the remaining callbacks.
                ..unsafe { core::mem::zeroed() }
            }),
            at: AtomicPtr::new(null_mut()),
            _type: PhantomData,
        }
    }

    /// The `struct key_type` the type is (to be) registered as.
    fn ptr(&self) -> *mut bindings::key_type {
        let at = self.at.load(Ordering::Acquire);
        if at.is_null() {
            self.table.get()
        } else {
            at
        }
    }
}

/// The description of a key, without the NUL.
///
/// # Safety
///
/// `key` must be a live key, which must outlive `'a`.
unsafe fn description<'a>(key: *const bindings::key) -> &'a [u8] {
    // SAFETY: Per the contract; a live key has a description.
    unsafe { c_bytes(bindings::kapi_key_description(key)) }
}

/// A NUL-terminated C string as bytes, without the NUL; empty for null.
///
/// # Safety
///
/// `s` must be null or a valid C string outliving `'a`.
unsafe fn c_bytes<'a>(s: *const c_char) -> &'a [u8] {
    if s.is_null() {
        return &[];
    }
    // SAFETY: Per the contract.
    unsafe { CStr::from_ptr(s) }.to_bytes()
}

/// The payload of a key of type `T`.
///
/// # Safety
///
/// `key` must be a live, instantiated key of type `T`, which must outlive
/// `'a`.
unsafe fn payload<'a, T: KeyType>(key: *const bindings::key) -> Option<&'a T::Payload> {
    // SAFETY: Per the contract; `data[0]` is null or a `KBox<T::Payload>`
    // from our preparse, never changed after instantiation.
    unsafe {
        (*bindings::kapi_key_payload(key.cast_mut()))
            .cast::<T::Payload>()
            .as_ref()
    }
}

struct Adapter<T: KeyType>(PhantomData<T>);

impl<T: KeyType> Adapter<T> {
    /// # Safety
    ///
    /// Called by the key core with a valid preparsed payload.
    unsafe extern "C" fn preparse(prep: *mut bindings::key_preparsed_payload) -> c_int {
        // SAFETY: The key core passes the caller's description and data,
        // valid during preparse.
        let (desc, data) = unsafe {
            let (data, len) = ((*prep).data, (*prep).datalen);
            let data = if data.is_null() || len == 0 {
                &[][..]
            } else {
                core::slice::from_raw_parts(data.cast::<u8>(), len)
            };
            (c_bytes((*prep).orig_description), data)
        };
        match T::preparse(desc, data) {
            Ok(p) => {
                // SAFETY: `prep` is valid and ours during preparse; the box
                // passes to the payload (freed by `free_preparse` or, once
                // instantiated, `destroy`).
                unsafe {
                    (*prep).payload.data[0] =
                        p.payload.map_or(null_mut(), |b| KBox::into_raw(b).cast());
                    (*prep).quotalen = p.quota;
                    if let Some(expiry) = p.expiry {
                        (*prep).expiry = (*prep).expiry.min(expiry);
                    }
                }
                0
            }
            Err(e) => e.to_errno(),
        }
    }

    /// # Safety
    ///
    /// Called by the key core with a NUL-terminated description.
    unsafe extern "C" fn vet_description(desc: *const c_char) -> c_int {
        // SAFETY: The key core passes a valid C string.
        match T::vet_description(unsafe { c_bytes(desc) }) {
            Ok(()) => 0,
            Err(e) => e.to_errno(),
        }
    }

    /// Frees what preparse left when no key took it.
    ///
    /// # Safety
    ///
    /// `prep` must be a preparsed payload filled by `preparse`.
    unsafe extern "C" fn free_preparse(prep: *mut bindings::key_preparsed_payload) {
        // SAFETY: `data[0]` is null or a box of ours; instantiation clears
        // it when ownership moves to the key.
        unsafe { Self::drop_payload(&mut (*prep).payload.data[0]) };
    }

    /// # Safety
    ///
    /// `key` must be a key of type `T`, being destroyed.
    unsafe extern "C" fn destroy(key: *mut bindings::key) {
        // SAFETY: Nobody else uses the payload of a key being destroyed.
        unsafe { Self::drop_payload(&mut *bindings::kapi_key_payload(key)) };
    }

    /// # Safety
    ///
    /// `slot` must be null or hold a pointer from `KBox::<T::Payload>::into_raw`.
    unsafe fn drop_payload(slot: &mut *mut c_void) {
        let p = core::mem::take(slot);
        if !p.is_null() {
            // SAFETY: Per the contract.
            drop(unsafe { KBox::from_raw(p.cast::<T::Payload>()) });
        }
    }

    /// # Safety
    ///
    /// Called by the key core with a live key of type `T` and a seq_file.
    unsafe extern "C" fn describe(key: *const bindings::key, m: *mut bindings::seq_file) {
        // SAFETY: The key and seq_file are live for the callback.
        unsafe { T::describe(description(key), payload::<T>(key), &mut SeqFile::new(m)) };
    }

    /// # Safety
    ///
    /// Called by the key core with a live key of type `T`, its semaphore
    /// held, and a kernel buffer of `len` bytes (or null).
    unsafe extern "C" fn read(key: *const bindings::key, buf: *mut c_char, len: usize) -> c_long {
        let out: &mut [u8] = if buf.is_null() {
            &mut []
        } else {
            // SAFETY: The key core hands us a kernel buffer of `len` bytes.
            unsafe { core::slice::from_raw_parts_mut(buf.cast::<u8>(), len) }
        };
        // SAFETY: The key is live and locked for the callback.
        match unsafe { T::read(description(key), payload::<T>(key), out) } {
            Ok(n) => n as c_long,
            Err(e) => e.to_errno() as c_long,
        }
    }
}

/// A registered key type; unregistered (revoking its keys) on drop.
pub(crate) struct Registration<T: KeyType>(PhantomData<T>);

impl<T: KeyType> Registration<T> {
    /// Registers `T`.
    pub(crate) fn new() -> Result<Self> {
        // SAFETY: A valid key type that lives forever.
        kernel::error::to_result(unsafe { bindings::register_key_type(T::tables().ptr()) })?;
        Ok(Self(PhantomData))
    }

    /// Registers `T` as the `struct key_type` at `slot`, which the module
    /// exports for other modules to name.
    ///
    /// # Safety
    ///
    /// `slot` must be valid for the module's life and used by nothing else.
    pub(in crate::kapi) unsafe fn new_at(slot: *mut bindings::key_type) -> Result<Self> {
        let tables = T::tables();
        // SAFETY: Per the contract `slot` is ours; the table is constant
        // before registration, so a copy is the same type.
        unsafe { slot.write(core::ptr::read(tables.table.get())) };
        if tables
            .at
            .compare_exchange(null_mut(), slot, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return Err(EBUSY);
        }
        // SAFETY: A valid key type at `slot`, which lives for the module's
        // life.
        if let Err(e) = kernel::error::to_result(unsafe { bindings::register_key_type(slot) }) {
            tables.at.store(null_mut(), Ordering::Release);
            return Err(e);
        }
        Ok(Self(PhantomData))
    }
}

impl<T: KeyType> Drop for Registration<T> {
    fn drop(&mut self) {
        let tables = T::tables();
        // SAFETY: Registered in `new` or `new_at`.
        unsafe { bindings::unregister_key_type(tables.ptr()) };
        tables.at.store(null_mut(), Ordering::Release);
    }
}

/// A counted reference to a key of type `T`, put on drop.
///
/// # Invariants
///
/// Holds one reference on a live, instantiated key of type `T`.
pub(crate) struct Key<T: KeyType> {
    key: *mut bindings::key,
    _type: PhantomData<T>,
}

// SAFETY: Keys are reference counted and internally locked; the payload is
// `Sync` and fixed after instantiation.
unsafe impl<T: KeyType> Send for Key<T> {}
// SAFETY: As above.
unsafe impl<T: KeyType> Sync for Key<T> {}

impl<T: KeyType> Key<T> {
    /// `request_key()` for a key of type `T` described `desc` in `net`.
    /// The type must be registered (it is while its users exist).
    pub(crate) fn request(desc: &CStr, net: NetNs) -> Result<Self> {
        let mut key = null_mut();
        // SAFETY: `desc` is a valid C string, `net` a live namespace, and
        // the key type is valid.
        kernel::error::to_result(unsafe {
            bindings::kapi_request_key(T::tables().ptr(), desc.as_ptr(), net.as_raw(), &mut key)
        })?;
        Ok(Self {
            key,
            _type: PhantomData,
        })
    }

    /// A reference on a key a kernel user passed: none for null,
    /// `EKEYREJECTED` for a key of another type.
    ///
    /// # Safety
    ///
    /// `key` must be null or a live key the caller holds.
    pub(in crate::kapi) unsafe fn from_user(key: *mut bindings::key) -> Result<Option<Self>> {
        if key.is_null() {
            return Ok(None);
        }
        // SAFETY: Per the contract the key is live; its type never changes.
        if unsafe { bindings::kapi_key_type(key) } != T::tables().ptr() {
            return Err(crate::kapi::errno::EKEYREJECTED.into());
        }
        // SAFETY: Live; the new reference is ours.
        let key = unsafe { bindings::kapi_key_get(key) };
        Ok(Some(Self {
            key,
            _type: PhantomData,
        }))
    }

    /// The key's payload, if it has one.
    pub(crate) fn payload(&self) -> Option<&T::Payload> {
        // SAFETY: We hold a reference on an instantiated key of type `T`.
        unsafe { payload::<T>(self.key) }
    }

    /// Whether the key may still be used: `EKEYREVOKED`, `EKEYEXPIRED` or
    /// `ENOKEY` (invalidated) if not.
    pub(crate) fn validate(&self) -> Result {
        // SAFETY: We hold a reference on a live key.
        kernel::error::to_result(unsafe { bindings::key_validate(self.key) })
    }

    /// The key's serial number, as `keyctl` and /proc show it.
    pub(crate) fn serial(&self) -> i32 {
        // SAFETY: We hold a reference; a key's serial never changes.
        unsafe { (*self.key).serial }
    }
}

impl<T: KeyType> Key<T> {
    /// The key's identity, stable while it is held.
    pub(crate) fn id(&self) -> usize {
        self.key as usize
    }
}

impl<T: KeyType> Clone for Key<T> {
    fn clone(&self) -> Self {
        // SAFETY: We hold a reference, so the key is live; the new one is
        // the clone's.
        let key = unsafe { bindings::kapi_key_get(self.key) };
        Self {
            key,
            _type: PhantomData,
        }
    }
}

impl<T: KeyType> Drop for Key<T> {
    fn drop(&mut self) {
        // SAFETY: Per the type invariant we hold a reference.
        unsafe { bindings::key_put(self.key) };
    }
}

/// A counted reference to a keyring, put on drop.
///
/// # Invariants
///
/// Holds one reference on a live keyring.
pub(crate) struct Keyring(*mut bindings::key);

// SAFETY: Keys are reference counted and internally locked.
unsafe impl Send for Keyring {}
// SAFETY: As above.
unsafe impl Sync for Keyring {}

impl Keyring {
    /// `request_key()` for a keyring described `desc`.
    pub(crate) fn request(desc: &CStr) -> Result<Self> {
        let mut key = null_mut();
        // SAFETY: `desc` is a valid C string; a null type asks for a
        // keyring, which needs no namespace.
        kernel::error::to_result(unsafe {
            bindings::kapi_request_key(null_mut(), desc.as_ptr(), null_mut(), &mut key)
        })?;
        Ok(Self(key))
    }
}

impl Keyring {
    /// A reference on a keyring a kernel user passed; none for null.
    ///
    /// # Safety
    ///
    /// `key` must be null or a live key the caller holds.
    pub(in crate::kapi) unsafe fn from_user(key: *mut bindings::key) -> Option<Self> {
        // SAFETY: Per the contract; the new reference is ours.
        (!key.is_null()).then(|| Self(unsafe { bindings::kapi_key_get(key) }))
    }
}

impl Keyring {
    /// The keyring's identity, stable while it is held.
    pub(crate) fn id(&self) -> usize {
        self.0 as usize
    }

    /// The key of type `K` described `desc` in this keyring (or keyrings
    /// it links to), if the caller may search it.
    pub(crate) fn search<K: KeyType>(&self, desc: &CStr) -> Result<Key<K>> {
        // SAFETY: We hold the keyring; the type is registered while keys of
        // it are in use, and `desc` is a C string. The result is a new
        // reference.
        let key =
            unsafe { bindings::kapi_keyring_search(self.0, K::tables().ptr(), desc.as_ptr()) };
        let key = kernel::error::from_err_ptr(key)?;
        Ok(Key {
            key,
            _type: PhantomData,
        })
    }
}

impl Clone for Keyring {
    fn clone(&self) -> Self {
        // SAFETY: We hold a reference, so the keyring is live.
        Self(unsafe { bindings::kapi_key_get(self.0) })
    }
}

impl Drop for Keyring {
    fn drop(&mut self) {
        // SAFETY: Per the type invariant we hold a reference.
        unsafe { bindings::key_put(self.0) };
    }
}
