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
