//! Buffers for data to send that a datagram's skb can take by reference
//! rather than by copy ([`UdpTunnel::send_spliced`]).
//!
//! They are cut one after another from runs of pages, so that buffers
//! made in a row lie contiguous (a jumbo packet's subpackets then make a
//! few skb fragments, not one each). Each holds a reference to its pages,
//! and each skb given a part of them takes its own: pages are freed when
//! the last buffer and skb cut from them are. A buffer is [`TxPage::lend`]ed
//! before it is sent: from then on skbs (and, on loopback, the receiver)
//! may read it, and it takes no more writes.
//!
//! [`UdpTunnel::send_spliced`]: super::udp_tunnel::UdpTunnel::send_spliced

use core::ptr::NonNull;

use crate::kapi::bindings;

/// Where [`TxPage`] buffers are cut from: the latest run of pages.
///
/// # Invariants
///
/// `raw` is as `kapi_txpages_alloc` leaves it: no pages, or a reference to
/// the run being cut.
pub(crate) struct TxPages {
    raw: bindings::kapi_txpages,
}

// SAFETY: The reference to the pages may be dropped on any thread (page
// counts are atomic); the rest is plain data.
unsafe impl Send for TxPages {}

impl TxPages {
    /// None cut yet (allocates nothing).
    pub(crate) const fn new() -> Self {
        TxPages {
            raw: bindings::kapi_txpages {
                page: core::ptr::null_mut(),
                used: 0,
                size: 0,
            },
        }
    }

    /// A buffer of `len` bytes (contents unspecified), right after the one
    /// before if it fits in the same run; `None` if memory is short.
    pub(crate) fn alloc(&mut self, len: usize) -> Option<TxPage> {
        // SAFETY: `raw` is valid (type invariant) and ours to change.
        let p = unsafe { bindings::kapi_txpages_alloc(&mut self.raw, len) };
        // INVARIANT: A non-null result is `len` bytes of the run's pages, on
        // a page reference of its own.
        Some(TxPage {
            data: NonNull::new(p.cast())?,
            len,
            lent: false,
        })
    }
}

impl Drop for TxPages {
    fn drop(&mut self) {
        // SAFETY: `raw` is valid (type invariant); this gives up its
        // reference, once.
        unsafe { bindings::kapi_txpages_release(&mut self.raw) };
    }
}

/// A buffer cut by [`TxPages::alloc`].
///
/// # Invariants
///
/// `data` points at `len` bytes of pages that `kapi_txpages_alloc` cut for
/// this buffer alone, on a page reference we own. Once `lent`, others may
/// read them at any time.
pub(crate) struct TxPage {
    data: NonNull<u8>,
    len: usize,
    lent: bool,
}

impl TxPage {
    /// It is about to be sent by reference: no more writes.
    pub(crate) fn lend(&mut self) {
        self.lent = true;
    }
}

// SAFETY: The bytes are ours until lent, and only read after; the
// reference may be dropped on any thread.
unsafe impl Send for TxPage {}
// SAFETY: `&TxPage` only reads.
unsafe impl Sync for TxPage {}

impl AsRef<[u8]> for TxPage {
    fn as_ref(&self) -> &[u8] {
        // SAFETY: Per the invariants `data` points at `len` bytes held as
        // long as `self`; nothing writes them but `as_mut`, through
        // `&mut self`, before they are lent.
        unsafe { core::slice::from_raw_parts(self.data.as_ptr(), self.len) }
    }
}

/// Empty once lent: what others may be reading is never written.
impl AsMut<[u8]> for TxPage {
    fn as_mut(&mut self) -> &mut [u8] {
        if self.lent {
            return &mut [];
        }
        // SAFETY: As for `as_ref`; not lent, so no one else has the bytes.
        unsafe { core::slice::from_raw_parts_mut(self.data.as_ptr(), self.len) }
    }
}

impl Drop for TxPage {
    fn drop(&mut self) {
        // SAFETY: `data` was cut by `kapi_txpages_alloc` (type invariant);
        // this gives up its page reference, once.
        unsafe { bindings::kapi_txpages_free(self.data.as_ptr().cast()) };
    }
}
