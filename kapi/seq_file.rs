//! A `seq_file` being filled by a show callback, written to with
//! `core::fmt` (6.12's `kernel` crate has no seq_file wrapper).

use core::fmt;

use super::bindings;

/// The seq_file of a show callback in progress.
///
/// # Invariants
///
/// Points to the live seq_file of the callback that made it, which
/// outlives `'a`.
pub(crate) struct SeqFile<'a> {
    raw: *mut bindings::seq_file,
    _callback: core::marker::PhantomData<&'a mut ()>,
}

impl SeqFile<'_> {
    /// # Safety
    ///
    /// `raw` must be the seq_file of a show callback in progress, and the
    /// result must not outlive the callback.
    pub(super) unsafe fn new(raw: *mut bindings::seq_file) -> Self {
        Self {
            raw,
            _callback: core::marker::PhantomData,
        }
    }
}

impl SeqFile<'_> {
    /// Appends raw bytes (text that need not be UTF-8).
    pub(crate) fn write_bytes(&mut self, b: &[u8]) {
        // SAFETY: Live seq_file (type invariant); `b` is valid for its
        // length.
        unsafe { bindings::seq_write(self.raw, b.as_ptr().cast(), b.len()) };
    }
}

impl fmt::Write for SeqFile<'_> {
    /// Appends `s`. A full page is not an error: the seq_file core notes
    /// the overflow and calls the show callback again with a larger one.
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.write_bytes(s.as_bytes());
        Ok(())
    }
}
