//! Checked decoding helpers shared by every message type in this crate.
//!
//! Guarantees: a [`Reader`] never reads past its input and never panics; every
//! shortfall becomes [`OtError::Malformed`] naming the message being decoded.

use crate::error::{OtError, Result};

/// A cursor over untrusted bytes that turns every shortfall into a typed error.
#[derive(Debug)]
pub(crate) struct Reader<'a> {
    what: &'static str,
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    /// Starts decoding a message of kind `what` whose first byte must be `tag`.
    pub(crate) fn new(what: &'static str, bytes: &'a [u8], tag: u8) -> Result<Reader<'a>> {
        let mut r = Reader { what, bytes };
        let got = r.take(1)?[0];
        if got != tag {
            return Err(r.malformed(format!("tag byte is {got:#04x}, expected {tag:#04x}")));
        }
        Ok(r)
    }

    /// A [`OtError::Malformed`] for this message.
    pub(crate) fn malformed(&self, reason: String) -> OtError {
        OtError::Malformed { what: self.what, reason }
    }

    /// The next `n` bytes.
    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if self.bytes.len() < n {
            return Err(
                self.malformed(format!("truncated: {n} more bytes needed, {} left", self.bytes.len()))
            );
        }
        let (head, tail) = self.bytes.split_at(n);
        self.bytes = tail;
        Ok(head)
    }

    /// The next 32 bytes as an array.
    pub(crate) fn array32(&mut self) -> Result<[u8; 32]> {
        let mut out = [0u8; 32];
        out.copy_from_slice(self.take(32)?);
        Ok(out)
    }

    /// A little-endian `u32` count, as a `usize`.
    pub(crate) fn count(&mut self) -> Result<usize> {
        let mut b = [0u8; 4];
        b.copy_from_slice(self.take(4)?);
        Ok(u32::from_le_bytes(b) as usize)
    }

    /// Checks that exactly `n` bytes remain (so a following `take(n)` consumes the rest).
    pub(crate) fn expect_remaining(&self, n: usize) -> Result<()> {
        if self.bytes.len() != n {
            return Err(self.malformed(format!("{} payload bytes, expected {n}", self.bytes.len())));
        }
        Ok(())
    }

    /// Checks that the whole input was consumed.
    pub(crate) fn finish(self) -> Result<()> {
        if !self.bytes.is_empty() {
            return Err(self.malformed(format!("{} trailing bytes", self.bytes.len())));
        }
        Ok(())
    }
}

/// Appends a count as a little-endian `u32`.
///
/// Counts are bounded by [`crate::MAX_BATCH`] < 2^32 wherever they are produced, so the
/// conversion cannot truncate.
pub(crate) fn put_count(out: &mut Vec<u8>, n: usize) {
    debug_assert!(n <= u32::MAX as usize, "counts are bounded by MAX_BATCH");
    out.extend_from_slice(&(n as u32).to_le_bytes());
}
