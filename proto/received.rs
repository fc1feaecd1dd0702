//! A received datagram the caller hands over whole, so that the engine can
//! keep the DATA payloads it delivers where they lie instead of copying
//! them.

use core::ops::Range;

/// Most pieces a received datagram may be handed over in: an skb's head
/// and its page fragments.
pub const MAX_PIECES: usize = 18;

/// A received datagram (its UDP payload) that the engine may keep parts
/// of as Rx buffers of type `B`. It may lie in several pieces (a paged
/// skb's data, taken in where it lies).
pub trait Received<B> {
    /// The datagram's bytes: those of its first piece.
    fn bytes(&self) -> &[u8];
    /// How many pieces it lies in (at most [`MAX_PIECES`]).
    fn pieces(&self) -> usize {
        1
    }
    /// The pieces after the first, into the front of `out` (room for
    /// [`MAX_PIECES`] less one); how many.
    fn more<'s>(&'s self, _out: &mut [&'s [u8]]) -> usize {
        0
    }
    /// Bytes `range` of piece `piece` (0: [`Received::bytes`], then those
    /// of [`Received::more`]) as a buffer that holds them where they lie,
    /// shared with the datagram and so read-only; `None` if they cannot be
    /// kept so (the engine then copies them).
    fn adopt(&self, piece: usize, range: Range<usize>) -> Option<B>;
}

/// A datagram only lent to the engine: what it keeps, it copies.
impl<B> Received<B> for &[u8] {
    fn bytes(&self) -> &[u8] {
        self
    }

    fn adopt(&self, _piece: usize, _range: Range<usize>) -> Option<B> {
        None
    }
}

/// Where `part`, a slice of `whole`, lies in it.
pub(crate) fn range_in(whole: &[u8], part: &[u8]) -> Option<Range<usize>> {
    let start = (part.as_ptr() as usize).checked_sub(whole.as_ptr() as usize)?;
    let end = start.checked_add(part.len())?;
    (end <= whole.len()).then_some(start..end)
}

#[cfg(test)]
mod tests {
    use super::range_in;

    #[test]
    fn range_in_finds_slices_and_refuses_others() {
        let whole = [0u8; 10];
        assert_eq!(range_in(&whole, &whole[3..7]), Some(3..7));
        assert_eq!(range_in(&whole, &whole[10..]), Some(10..10));
        let other = [0u8; 4];
        let (a, b) = (range_in(&whole, &other), range_in(&other, &whole));
        assert!(a.is_none() || b.is_none());
    }
}
