//! The "rxrpc" and "rxrpc_s" key types.
//!
//! The payload pointer `data[0]` of a preparsed payload or key holds a
//! `KBox` of [`ClientKey`] or [`ServerKey`] (or is null for a no-security
//! client key); these trampolines own the conversions to and from it.

use core::ffi::{c_char, c_int, c_long, c_void, CStr};
use kernel::prelude::*;

use super::{bindings, Table};
use crate::security::key::{ClientKey, ServerKey};

static RXRPC: Table<bindings::key_type> = Table::new(bindings::key_type {
    name: c"rxrpc".as_ptr(),
    flags: bindings::KEY_TYPE_NET_DOMAIN,
    preparse: Some(client_preparse),
    free_preparse: Some(free_preparse::<ClientKey>),
    instantiate: Some(bindings::generic_key_instantiate),
    destroy: Some(destroy::<ClientKey>),
    describe: Some(client_describe),
    read: Some(client_read),
    // SAFETY: Null is "not provided" for the remaining callbacks.
    ..unsafe { core::mem::zeroed() }
});

static RXRPC_S: Table<bindings::key_type> = Table::new(bindings::key_type {
    name: c"rxrpc_s".as_ptr(),
    flags: bindings::KEY_TYPE_NET_DOMAIN,
    vet_description: Some(server_vet_description),
    preparse: Some(server_preparse),
    free_preparse: Some(free_preparse::<ServerKey>),
    instantiate: Some(bindings::generic_key_instantiate),
    destroy: Some(destroy::<ServerKey>),
    describe: Some(describe_name),
    // SAFETY: Null is "not provided" for the remaining callbacks.
    ..unsafe { core::mem::zeroed() }
});

/// The raw data `add_key(2)` passed.
///
/// # Safety
///
/// `prep` must be a valid preparsed payload whose `data` points to
/// `datalen` readable bytes (or is null with `datalen` 0).
unsafe fn prep_data<'a>(prep: *const bindings::key_preparsed_payload) -> &'a [u8] {
    // SAFETY: Per the contract.
    let (data, len) = unsafe { ((*prep).data, (*prep).datalen) };
    if data.is_null() || len == 0 {
        return &[];
    }
    // SAFETY: Per the contract `data` has `len` readable bytes, which live
    // until preparse returns.
    unsafe { core::slice::from_raw_parts(data.cast::<u8>(), len) }
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

/// # Safety
///
/// Called by the key core with a valid preparsed payload.
unsafe extern "C" fn client_preparse(prep: *mut bindings::key_preparsed_payload) -> c_int {
    // SAFETY: The key core passes the caller's data, valid during preparse.
    let data = unsafe { prep_data(prep) };
    match ClientKey::parse(data) {
        Ok(None) => 0,
        Ok(Some((key, expiry))) => {
            // SAFETY: `prep` is valid and ours during preparse; ownership of
            // the box passes to the payload (freed by `free_preparse` or,
            // once instantiated, `destroy`).
            unsafe {
                (*prep).payload.data[0] = KBox::into_raw(key).cast();
                (*prep).quotalen = data.len();
                (*prep).expiry = (*prep).expiry.min(i64::from(expiry));
            }
            0
        }
        Err(e) => e.to_errno(),
    }
}

/// # Safety
///
/// Called by the key core with a valid preparsed payload.
unsafe extern "C" fn server_preparse(prep: *mut bindings::key_preparsed_payload) -> c_int {
    // SAFETY: Valid during preparse, as above.
    let (desc, data) = unsafe { (c_bytes((*prep).orig_description), prep_data(prep)) };
    if desc.is_empty() {
        return kernel::error::code::EINVAL.to_errno();
    }
    match ServerKey::parse(desc, data) {
        Ok(key) => {
            // SAFETY: As in `client_preparse`.
            unsafe {
                (*prep).payload.data[0] = KBox::into_raw(key).cast();
                (*prep).quotalen = data.len();
            }
            0
        }
        Err(e) => e.to_errno(),
    }
}

/// # Safety
///
/// Called by the key core with a NUL-terminated description.
unsafe extern "C" fn server_vet_description(desc: *const c_char) -> c_int {
    // SAFETY: The key core passes a valid C string.
    match ServerKey::vet_description(unsafe { c_bytes(desc) }) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// Frees what preparse left when the key was not instantiated with it.
///
/// # Safety
///
/// `prep` must be a preparsed payload filled by the preparse of the type
/// whose payload is `T`.
unsafe extern "C" fn free_preparse<T>(prep: *mut bindings::key_preparsed_payload) {
    // SAFETY: `data[0]` is null or a box of `T` from our preparse; it is
    // cleared by instantiation when ownership moves to the key.
    unsafe { drop_payload::<T>(&mut (*prep).payload.data[0]) };
}

/// # Safety
///
/// `key` must be a key of the type whose payload is `T`, being destroyed.
unsafe extern "C" fn destroy<T>(key: *mut bindings::key) {
    // SAFETY: The key is being destroyed, so nobody else uses its payload.
    unsafe { drop_payload::<T>(&mut *bindings::rxrpc_rs_key_payload(key)) };
}

/// # Safety
///
/// `slot` must be null or hold a pointer from `KBox::<T>::into_raw`.
unsafe fn drop_payload<T>(slot: &mut *mut c_void) {
    let p = core::mem::take(slot);
    if !p.is_null() {
        // SAFETY: Per the contract.
        drop(unsafe { KBox::from_raw(p.cast::<T>()) });
    }
}

/// The client key's payload, if it has tokens.
///
/// # Safety
///
/// `key` must be a live, instantiated "rxrpc" key, and the returned
/// reference must not outlive the caller's hold on it.
unsafe fn client_payload<'a>(key: *const bindings::key) -> Option<&'a ClientKey> {
    // SAFETY: Per the contract; the payload is never changed after
    // instantiation (the type has no update operation).
    unsafe { (*bindings::rxrpc_rs_key_payload(key.cast_mut())).cast::<ClientKey>().as_ref() }
}

/// Writes bytes to a seq_file.
fn seq_put(m: *mut bindings::seq_file, bytes: &[u8]) {
    // SAFETY: `m` is the seq_file the key core passed to describe, and
    // `bytes` is valid for its length.
    unsafe { bindings::seq_write(m, bytes.as_ptr().cast(), bytes.len()) };
}

/// # Safety
///
/// Called by the key core with a live key and seq_file.
unsafe extern "C" fn describe_name(key: *const bindings::key, m: *mut bindings::seq_file) {
    // SAFETY: A live key has a valid description.
    seq_put(m, unsafe { c_bytes(bindings::rxrpc_rs_key_description(key)) });
}

/// # Safety
///
/// Called by the key core with a live key and seq_file, under RCU.
unsafe extern "C" fn client_describe(key: *const bindings::key, m: *mut bindings::seq_file) {
    // SAFETY: Same contract.
    unsafe { describe_name(key, m) };
    // SAFETY: The key is live for the duration of describe.
    if let Some(payload) = unsafe { client_payload(key) } {
        payload.describe(|b| seq_put(m, b));
    }
}

/// # Safety
///
/// Called by the key core with a live key, its semaphore held, and a
/// kernel buffer of `len` bytes (or null).
unsafe extern "C" fn client_read(key: *const bindings::key, buf: *mut c_char, len: usize) -> c_long {
    // SAFETY: A live key has a valid description.
    let desc = unsafe { c_bytes(bindings::rxrpc_rs_key_description(key)) };
    let out: &mut [u8] = if buf.is_null() {
        &mut []
    } else {
        // SAFETY: The key core hands us a kernel buffer of `len` bytes.
        unsafe { core::slice::from_raw_parts_mut(buf.cast::<u8>(), len) }
    };
    // SAFETY: The key semaphore is held for the duration of read.
    match ClientKey::read(unsafe { client_payload(key) }, desc, out) {
        Ok(n) => n as c_long,
        Err(e) => e.to_errno() as c_long,
    }
}

/// A counted reference to a key, put on drop.
///
/// # Invariants
///
/// Holds one reference on a live key.
pub(crate) struct KeyRef(*mut bindings::key);

// SAFETY: Keys are reference counted and internally locked.
unsafe impl Send for KeyRef {}
// SAFETY: As above.
unsafe impl Sync for KeyRef {}

impl KeyRef {
    /// `request_key()` for an "rxrpc" key named `desc` in `net`, or for a
    /// keyring named `desc` when `keyring` is set.
    pub(crate) fn request(desc: &kernel::str::CStr, net: super::io::NetNs, keyring: bool) -> Result<Self> {
        let ty = if keyring { core::ptr::null_mut() } else { RXRPC.get() };
        let mut key = core::ptr::null_mut();
        // SAFETY: `desc` is a valid C string, `net` a live namespace, and
        // the key type is registered while any socket exists.
        kernel::error::to_result(unsafe {
            bindings::rxrpc_rs_request_key(ty, desc.as_char_ptr().cast(), net.as_raw(), &mut key)
        })?;
        Ok(Self(key))
    }
}

impl KeyRef {
    /// Whether the key carries tokens, i.e. asks for security (an empty
    /// "rxrpc" key stands for no security).
    pub(crate) fn has_tokens(&self) -> bool {
        // SAFETY: We hold a reference on a live key; its payload pointer
        // is set at instantiation and not changed afterwards.
        unsafe { !(*bindings::rxrpc_rs_key_payload(self.0)).is_null() }
    }
}

impl Drop for KeyRef {
    fn drop(&mut self) {
        // SAFETY: Per the type invariant we hold a reference.
        unsafe { bindings::rxrpc_rs_key_put(self.0) };
    }
}

/// Both key types, registered; unregistered (revoking their keys) on drop.
pub(crate) struct KeyTypes;

impl KeyTypes {
    /// Registers "rxrpc" and "rxrpc_s".
    pub(crate) fn new() -> Result<Self> {
        // SAFETY: `RXRPC` is a valid, static key type.
        kernel::error::to_result(unsafe { bindings::register_key_type(RXRPC.get()) })?;
        // SAFETY: `RXRPC_S` is a valid, static key type.
        if let Err(e) = kernel::error::to_result(unsafe { bindings::register_key_type(RXRPC_S.get()) }) {
            // SAFETY: Registered just above.
            unsafe { bindings::unregister_key_type(RXRPC.get()) };
            return Err(e);
        }
        Ok(Self)
    }
}

impl Drop for KeyTypes {
    fn drop(&mut self) {
        // SAFETY: Both were registered in `new`.
        unsafe {
            bindings::unregister_key_type(RXRPC_S.get());
            bindings::unregister_key_type(RXRPC.get());
        }
    }
}
