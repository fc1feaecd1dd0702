//! A `struct msghdr` of a sendmsg or recvmsg call, as safe methods.

use core::ffi::{c_int, c_void};
use core::ptr::null_mut;

use kernel::prelude::*;

use crate::kapi::bindings;

/// The message of the syscall in progress.
///
/// # Invariants
///
/// `raw` is the kernel's `msghdr` of the current sendmsg/recvmsg call,
/// valid until it returns; its control data and name are kernel copies on
/// sendmsg.
pub(crate) struct Msg {
    raw: *mut bindings::msghdr,
}

/// One control message.
pub(crate) struct Cmsg<'a> {
    /// `cmsg_level`.
    pub(crate) level: i32,
    /// `cmsg_type`.
    pub(crate) kind: i32,
    /// The data after the header.
    pub(crate) data: &'a [u8],
}

impl Msg {
    /// Wraps the msghdr the socket layer passed.
    ///
    /// # Safety
    ///
    /// `raw` must be the msghdr of a sendmsg/recvmsg call in progress, and
    /// the result must not outlive it.
    pub(super) unsafe fn new(raw: *mut bindings::msghdr) -> Self {
        Self { raw }
    }

    /// Calls `f` for each control message (sendmsg only: kernel copies).
    /// A malformed one is `EINVAL`, as in the C module.
    pub(crate) fn for_each_cmsg(&self, mut f: impl FnMut(Cmsg<'_>) -> Result) -> Result {
        let mut prev = null_mut();
        loop {
            let (mut level, mut kind, mut data, mut len, mut bad) = (0, 0, null_mut(), 0, 0);
            // SAFETY: `raw` is live (type invariant); the out parameters
            // are valid; `prev` is null or the previous result.
            let cur = unsafe {
                bindings::kapi_cmsg_next(
                    self.raw, prev, &mut level, &mut kind, &mut data, &mut len, &mut bad,
                )
            };
            if bad != 0 {
                return Err(EINVAL);
            }
            if cur.is_null() {
                return Ok(());
            }
            // SAFETY: `CMSG_OK` checked that `len` bytes of data lie inside
            // the kernel's copy of the control buffer.
            let data = unsafe { core::slice::from_raw_parts(data.cast::<u8>(), len) };
            f(Cmsg { level, kind, data })?;
            prev = cur;
        }
    }

    /// Bytes of payload not yet copied.
    pub(crate) fn left(&self) -> usize {
        // SAFETY: `raw` is live.
        unsafe { bindings::kapi_msg_left(self.raw) }
    }

    /// Copies payload in without sleeping on a page fault, so that the
    /// caller may hold a lock others wait for: returns how much was
    /// copied, less where a page of the user's buffer is not in memory or
    /// is bad ([`Msg::fault_in`] tells which, with the lock dropped).
    pub(crate) fn copy_in_nofault(&mut self, buf: &mut [u8]) -> usize {
        // SAFETY: `raw` is live and `buf` valid for writing its length.
        unsafe {
            bindings::kapi_copy_from_msg_nofault(self.raw, buf.as_mut_ptr().cast(), buf.len())
        }
    }

    /// Copies payload out as [`Msg::copy_in_nofault`] copies it in.
    pub(crate) fn copy_out_nofault(&mut self, buf: &[u8]) -> usize {
        // SAFETY: `raw` is live and `buf` valid for its length.
        unsafe { bindings::kapi_copy_to_msg_nofault(self.raw, buf.as_ptr().cast(), buf.len()) }
    }

    /// Brings up to `len` bytes of the payload's user buffer into memory
    /// (`write`: to be written, for a recvmsg), sleeping as that takes;
    /// returns how many are there: 0 if the next page is bad (EFAULT).
    pub(crate) fn fault_in(&mut self, len: usize, write: bool) -> usize {
        // SAFETY: `raw` is live; the iterator is only read.
        unsafe { bindings::kapi_msg_fault_in(self.raw, len, write) }
    }

    /// The destination address of a sendmsg, if any.
    pub(crate) fn name(&self) -> Option<&[u8]> {
        // SAFETY: `raw` is live; on sendmsg `msg_name` is a kernel copy of
        // `msg_namelen` bytes, or null.
        unsafe {
            let (name, len) = ((*self.raw).msg_name, (*self.raw).msg_namelen);
            let len = usize::try_from(len)
                .ok()
                .filter(|&l| l > 0 && !name.is_null())?;
            Some(core::slice::from_raw_parts(name.cast::<u8>(), len))
        }
    }

    /// Sets the source address a recvmsg reports, if the caller asked for
    /// one; a name longer than a `sockaddr_storage` is cut.
    pub(crate) fn set_name(&mut self, name: &[u8]) {
        let len = name
            .len()
            .min(core::mem::size_of::<bindings::__kernel_sockaddr_storage>());
        // SAFETY: `raw` is live; a recvmsg `msg_name` is null or has room
        // for a `sockaddr_storage`.
        unsafe {
            let dst = (*self.raw).msg_name;
            if !dst.is_null() {
                core::ptr::copy_nonoverlapping(name.as_ptr(), dst.cast::<u8>(), len);
                (*self.raw).msg_namelen = len as c_int;
            }
        }
    }

    /// Adds a control message to a recvmsg.
    pub(crate) fn put_cmsg(&mut self, level: i32, kind: u32, data: &[u8]) -> Result {
        let len = c_int::try_from(data.len()).map_err(|_| EINVAL)?;
        // SAFETY: `raw` is live and `data` valid for its length; `put_cmsg`
        // only reads it.
        kernel::error::to_result(unsafe {
            bindings::put_cmsg(
                self.raw,
                level,
                kind as c_int,
                len,
                data.as_ptr().cast_mut().cast::<c_void>(),
            )
        })
    }

    /// Whether the caller is a 32-bit program on a 64-bit kernel, whose
    /// `unsigned long` is 4 bytes.
    // MSG_CMSG_COMPAT is 0 in a kernel built without CONFIG_COMPAT.
    #[allow(clippy::bad_bit_mask)]
    pub(crate) fn is_compat(&self) -> bool {
        self.flags() & bindings::MSG_CMSG_COMPAT != 0
    }

    /// The flags of a sendmsg.
    pub(crate) fn flags(&self) -> u32 {
        // SAFETY: `raw` is live.
        unsafe { (*self.raw).msg_flags }
    }

    /// Sets bits of the flags a recvmsg returns.
    pub(crate) fn add_flags(&mut self, flags: u32) {
        // SAFETY: `raw` is live and ours to update.
        unsafe { (*self.raw).msg_flags |= flags };
    }
}
