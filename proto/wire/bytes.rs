//! Bounds-checked big-endian cursors: the only place that slices bytes.
//!
//! Every read and write goes through `get` or `split_first_chunk`, so a short
//! or hostile packet yields an error instead of a panic.

use super::WireError;

/// Reads big-endian fields off the front of a borrowed packet.
#[derive(Clone)]
pub(super) struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    pub(super) fn new(buf: &'a [u8]) -> Self {
        Self(buf)
    }

    /// Takes the next `n` bytes, or fails with `Truncated`.
    #[inline]
    pub(super) fn take(&mut self, n: usize) -> Result<&'a [u8], WireError> {
        let head = self.0.get(..n).ok_or(WireError::Truncated)?;
        self.0 = self.0.get(n..).unwrap_or_default();
        Ok(head)
    }

    #[inline]
    fn array<const N: usize>(&mut self) -> Result<[u8; N], WireError> {
        let (head, tail) = self
            .0
            .split_first_chunk::<N>()
            .ok_or(WireError::Truncated)?;
        self.0 = tail;
        Ok(*head)
    }

    #[inline]
    pub(super) fn u8(&mut self) -> Result<u8, WireError> {
        Ok(u8::from_be_bytes(self.array()?))
    }

    #[inline]
    pub(super) fn u16(&mut self) -> Result<u16, WireError> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    #[inline]
    pub(super) fn u32(&mut self) -> Result<u32, WireError> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    pub(super) fn bytes<const N: usize>(&mut self) -> Result<[u8; N], WireError> {
        self.array()
    }

    /// Whatever has not been read yet.
    pub(super) fn rest(&self) -> &'a [u8] {
        self.0
    }
}

/// Reads a body that may lie in several pieces (a datagram taken in where
/// it lay, as a paged skb's data): `cur`, then each of `more`.
#[derive(Clone, Copy)]
pub(super) struct Pieces<'a> {
    cur: &'a [u8],
    more: &'a [&'a [u8]],
}

impl<'a> Pieces<'a> {
    pub(super) fn new(cur: &'a [u8], more: &'a [&'a [u8]]) -> Self {
        Self { cur, more }
    }

    /// Moves on past used-up (or empty) pieces.
    fn settle(&mut self) {
        while self.cur.is_empty() {
            let Some((next, more)) = self.more.split_first() else {
                return;
            };
            self.cur = next;
            self.more = more;
        }
    }

    /// Takes the next `n` bytes, in one piece or across several, or fails
    /// with `Truncated`.
    #[inline(always)]
    pub(super) fn take(&mut self, n: usize) -> Result<Payload<'a>, WireError> {
        // Most bodies lie in one piece.
        if let Some(head) = self.cur.get(..n) {
            self.cur = self.cur.get(n..).unwrap_or_default();
            return Ok(Payload::Whole(head));
        }
        self.take_across(n)
    }

    #[cold]
    fn take_across(&mut self, n: usize) -> Result<Payload<'a>, WireError> {
        self.settle();
        if let Some(head) = self.cur.get(..n) {
            self.cur = self.cur.get(n..).unwrap_or_default();
            return Ok(Payload::Whole(head));
        }
        let split = Split {
            first: self.cur,
            more: self.more,
            len: n,
        };
        let mut need = n - self.cur.len();
        loop {
            let (next, more) = self.more.split_first().ok_or(WireError::Truncated)?;
            self.more = more;
            if let Some(tail) = next.get(need..) {
                self.cur = tail;
                return Ok(Payload::Split(split));
            }
            need -= next.len();
        }
    }

    /// The next `N` bytes.
    #[inline(always)]
    pub(super) fn array<const N: usize>(&mut self) -> Result<[u8; N], WireError> {
        if let Some((head, tail)) = self.cur.split_first_chunk::<N>() {
            self.cur = tail;
            return Ok(*head);
        }
        self.array_across()
    }

    #[cold]
    fn array_across<const N: usize>(&mut self) -> Result<[u8; N], WireError> {
        let mut out = [0u8; N];
        for b in out.iter_mut() {
            self.settle();
            let (first, tail) = self.cur.split_first().ok_or(WireError::Truncated)?;
            *b = *first;
            self.cur = tail;
        }
        Ok(out)
    }

    /// Whatever has not been read yet.
    pub(super) fn rest(&self) -> Payload<'a> {
        let mut p = *self;
        p.settle();
        let len = p.more.iter().fold(p.cur.len(), |n, m| n + m.len());
        if len == p.cur.len() {
            return Payload::Whole(p.cur);
        }
        Payload::Split(Split {
            first: p.cur,
            more: p.more,
            len,
        })
    }
}

/// Bytes of a received body: in one piece, or across pieces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Payload<'a> {
    /// In one piece.
    Whole(&'a [u8]),
    /// Across pieces.
    Split(Split<'a>),
}

impl Payload<'_> {
    /// How many bytes.
    pub fn len(&self) -> usize {
        match self {
            Payload::Whole(b) => b.len(),
            Payload::Split(s) => s.len,
        }
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Bytes across pieces: the end of `first`, then as much of `more` as
/// makes `len`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Split<'a> {
    first: &'a [u8],
    more: &'a [&'a [u8]],
    len: usize,
}

impl Split<'_> {
    /// Copies the bytes into the front of `out`; false if it is shorter.
    pub fn copy_to(&self, out: &mut [u8]) -> bool {
        out.get_mut(..self.len)
            .is_some_and(|out| copy_pieces(self.first, self.more, out))
    }
}

/// Fills `out` from `first` and then the pieces `more`; false if they
/// hold less.
pub fn copy_pieces(first: &[u8], more: &[&[u8]], mut out: &mut [u8]) -> bool {
    for piece in core::iter::once(first).chain(more.iter().copied()) {
        if out.is_empty() {
            break;
        }
        let n = piece.len().min(out.len());
        let (head, tail) = out.split_at_mut(n);
        head.copy_from_slice(piece.get(..n).unwrap_or_default());
        out = tail;
    }
    out.is_empty()
}

/// Appends big-endian fields to a caller-provided buffer.
pub(super) struct Writer<'b> {
    buf: &'b mut [u8],
    pos: usize,
}

impl<'b> Writer<'b> {
    pub(super) fn new(buf: &'b mut [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    /// Appends `bytes`, or fails with `BufferTooSmall`.
    pub(super) fn put(&mut self, bytes: &[u8]) -> Result<(), WireError> {
        let end = self
            .pos
            .checked_add(bytes.len())
            .ok_or(WireError::BufferTooSmall)?;
        self.buf
            .get_mut(self.pos..end)
            .ok_or(WireError::BufferTooSmall)?
            .copy_from_slice(bytes);
        self.pos = end;
        Ok(())
    }

    pub(super) fn u8(&mut self, v: u8) -> Result<(), WireError> {
        self.put(&v.to_be_bytes())
    }

    pub(super) fn u16(&mut self, v: u16) -> Result<(), WireError> {
        self.put(&v.to_be_bytes())
    }

    pub(super) fn u32(&mut self, v: u32) -> Result<(), WireError> {
        self.put(&v.to_be_bytes())
    }

    /// Appends `n` zero bytes (the pads the protocol ignores).
    pub(super) fn zeros(&mut self, n: usize) -> Result<(), WireError> {
        for _ in 0..n {
            self.u8(0)?;
        }
        Ok(())
    }

    /// Bytes written so far.
    pub(super) fn written(&self) -> usize {
        self.pos
    }
}
