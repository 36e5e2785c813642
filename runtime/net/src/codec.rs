//! The one codec of every message the toolkit's protocols exchange.
//!
//! One endianness, little-endian, for every integer. A [`Writer`] appends integers,
//! fixed byte arrays and length-prefixed byte strings (a `u32` length, then the
//! bytes); a [`Reader`] reads them back from a `&[u8]` (usually one frame from
//! [`crate::frame::recv_frame`], so already bounded by the frame limit) with checked
//! reads that return a typed [`CodecError`], never panic, and [`Reader::finish`]
//! refuses trailing bytes, so every message has exactly one encoding.
//!
//! Allocation: the reader never allocates. A declared length or item count is
//! checked against the caller's limit ([`CodecError::TooLong`]) and against the bytes
//! actually left in the message ([`CodecError::Truncated`]) before it is returned, so
//! a decoder that allocates `count` items of at least `min_item` bytes each never
//! reserves more than the message's own size.

/// Why a message did not decode.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CodecError {
    /// The message ended before a field did.
    #[error("the message ends early: {what} needs {need} bytes at byte {at}, {left} are left")]
    Truncated {
        /// The field being read.
        what: &'static str,
        /// Bytes it needs.
        need: u64,
        /// Bytes left in the message.
        left: usize,
        /// Its offset in the message.
        at: usize,
    },
    /// A declared length or count is above the limit for that field.
    #[error("{what} declares {len}, more than the limit of {max}")]
    TooLong {
        /// The field.
        what: &'static str,
        /// What the message declared.
        len: u64,
        /// The limit.
        max: u64,
    },
    /// Bytes were left after the last field.
    #[error("{count} trailing bytes after the message")]
    Trailing {
        /// How many.
        count: usize,
    },
    /// A field holds a value the message type does not allow (an unknown tag,
    /// text that is not UTF-8, a parameter out of range).
    #[error("invalid {what} at byte {at}")]
    BadValue {
        /// The field.
        what: &'static str,
        /// Its offset in the message.
        at: usize,
    },
}

/// Appends fields to a message (see the module doc for the encoding).
#[derive(Clone, Debug, Default)]
pub struct Writer {
    buf: Vec<u8>,
}

impl Writer {
    /// An empty message.
    pub fn new() -> Writer {
        Writer::default()
    }

    /// An empty message with room for `n` bytes.
    pub fn with_capacity(n: usize) -> Writer {
        Writer { buf: Vec::with_capacity(n) }
    }

    /// A `u8`.
    pub fn u8(&mut self, v: u8) -> &mut Writer {
        self.buf.push(v);
        self
    }

    /// A `u16`, little-endian.
    pub fn u16(&mut self, v: u16) -> &mut Writer {
        self.raw(&v.to_le_bytes())
    }

    /// A `u32`, little-endian.
    pub fn u32(&mut self, v: u32) -> &mut Writer {
        self.raw(&v.to_le_bytes())
    }

    /// A `u64`, little-endian.
    pub fn u64(&mut self, v: u64) -> &mut Writer {
        self.raw(&v.to_le_bytes())
    }

    /// A `u128`, little-endian.
    pub fn u128(&mut self, v: u128) -> &mut Writer {
        self.raw(&v.to_le_bytes())
    }

    /// An `i64`, little-endian two's complement.
    pub fn i64(&mut self, v: i64) -> &mut Writer {
        self.raw(&v.to_le_bytes())
    }

    /// Bytes as they are, with no length (a fixed-size array, or a field whose
    /// length the reader knows).
    pub fn raw(&mut self, bytes: &[u8]) -> &mut Writer {
        self.buf.extend_from_slice(bytes);
        self
    }

    /// A length or item count as a `u32`. A count above `u32::MAX` is written as
    /// `u32::MAX`, which every reader's limit refuses, so it cannot decode as
    /// something else.
    pub fn count(&mut self, n: usize) -> &mut Writer {
        self.u32(u32::try_from(n).unwrap_or(u32::MAX))
    }

    /// A byte string: its length as a `u32` ([`Writer::count`]), then the bytes.
    pub fn bytes(&mut self, bytes: &[u8]) -> &mut Writer {
        self.count(bytes.len()).raw(bytes)
    }

    /// A UTF-8 string, as [`Writer::bytes`].
    pub fn str(&mut self, s: &str) -> &mut Writer {
        self.bytes(s.as_bytes())
    }

    /// Bytes written so far.
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// Whether nothing was written.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// The bytes written so far.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf
    }

    /// Forgets what was written, keeping the buffer (for encoders that hash a long
    /// message piece by piece).
    pub fn clear(&mut self) {
        self.buf.clear();
    }

    /// The message.
    pub fn into_bytes(self) -> Vec<u8> {
        self.buf
    }
}

/// Reads fields from a message with checked reads (see the module doc).
#[derive(Clone, Debug)]
pub struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `bytes`.
    pub fn new(bytes: &'a [u8]) -> Reader<'a> {
        Reader { bytes, pos: 0 }
    }

    /// Bytes not read yet.
    pub fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    /// The offset of the next field.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// A [`CodecError::BadValue`] for `what` at the current position, for decoders
    /// that check a value they read.
    pub fn bad(&self, what: &'static str) -> CodecError {
        CodecError::BadValue { what, at: self.pos }
    }

    /// The next `n` bytes.
    pub fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], CodecError> {
        if n > self.remaining() {
            return Err(CodecError::Truncated { what, need: n as u64, left: self.remaining(), at: self.pos });
        }
        let s = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    /// The next `N` bytes as an array.
    pub fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], CodecError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N, what)?);
        Ok(out)
    }

    /// A `u8`.
    pub fn u8(&mut self, what: &'static str) -> Result<u8, CodecError> {
        Ok(self.array::<1>(what)?[0])
    }

    /// A little-endian `u16`.
    pub fn u16(&mut self, what: &'static str) -> Result<u16, CodecError> {
        self.array(what).map(u16::from_le_bytes)
    }

    /// A little-endian `u32`.
    pub fn u32(&mut self, what: &'static str) -> Result<u32, CodecError> {
        self.array(what).map(u32::from_le_bytes)
    }

    /// A little-endian `u64`.
    pub fn u64(&mut self, what: &'static str) -> Result<u64, CodecError> {
        self.array(what).map(u64::from_le_bytes)
    }

    /// A little-endian `u128`.
    pub fn u128(&mut self, what: &'static str) -> Result<u128, CodecError> {
        self.array(what).map(u128::from_le_bytes)
    }

    /// A little-endian `i64`.
    pub fn i64(&mut self, what: &'static str) -> Result<i64, CodecError> {
        self.array(what).map(i64::from_le_bytes)
    }

    /// An item count (a `u32`) of at most `max` items, each at least `min_item`
    /// bytes long: a count above `max` is [`CodecError::TooLong`], one whose items
    /// cannot fit in the bytes left is [`CodecError::Truncated`]. A caller may
    /// allocate the count it gets (for `min_item >= 1`, at most the message's size).
    pub fn count(&mut self, max: usize, min_item: usize, what: &'static str) -> Result<usize, CodecError> {
        let at = self.pos;
        let n = self.u32(what)?;
        if u64::from(n) > max as u64 {
            return Err(CodecError::TooLong { what, len: n.into(), max: max as u64 });
        }
        let need = u64::from(n).saturating_mul(min_item as u64);
        if need > self.remaining() as u64 {
            return Err(CodecError::Truncated { what, need, left: self.remaining(), at });
        }
        Ok(n as usize)
    }

    /// A byte string ([`Writer::bytes`]) of at most `max` bytes, borrowed from the
    /// message.
    pub fn bytes(&mut self, max: usize, what: &'static str) -> Result<&'a [u8], CodecError> {
        let n = self.count(max, 1, what)?;
        self.take(n, what)
    }

    /// A UTF-8 string ([`Writer::str`]) of at most `max` bytes.
    pub fn str(&mut self, max: usize, what: &'static str) -> Result<&'a str, CodecError> {
        let at = self.pos;
        let b = self.bytes(max, what)?;
        std::str::from_utf8(b).map_err(|_| CodecError::BadValue { what, at })
    }

    /// Ends the message: [`CodecError::Trailing`] if bytes are left.
    pub fn finish(self) -> Result<(), CodecError> {
        match self.remaining() {
            0 => Ok(()),
            count => Err(CodecError::Trailing { count }),
        }
    }
}

/// Decodes a whole message with `f`, refusing trailing bytes.
pub fn decode_all<'a, T>(
    bytes: &'a [u8],
    f: impl FnOnce(&mut Reader<'a>) -> Result<T, CodecError>,
) -> Result<T, CodecError> {
    let mut r = Reader::new(bytes);
    let v = f(&mut r)?;
    r.finish()?;
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_little_endian() {
        let mut w = Writer::new();
        w.u8(1).u16(0x0203).u32(0x0405_0607).u64(8).u128(9).i64(-1).bytes(b"ab").str("c").raw(&[7; 3]);
        let bytes = w.into_bytes();
        assert_eq!(&bytes[..7], &[1, 3, 2, 7, 6, 5, 4]);
        let v = decode_all(&bytes, |r| {
            Ok((
                r.u8("a")?,
                r.u16("b")?,
                r.u32("c")?,
                r.u64("d")?,
                r.u128("e")?,
                r.i64("f")?,
                r.bytes(2, "g")?.to_vec(),
                r.str(1, "h")?.to_string(),
                r.array::<3>("i")?,
            ))
        })
        .unwrap();
        assert_eq!(v, (1, 0x0203, 0x0405_0607, 8, 9, -1, b"ab".to_vec(), "c".to_string(), [7; 3]));
    }

    #[test]
    fn typed_errors() {
        assert!(matches!(Reader::new(&[1, 2]).u32("x"), Err(CodecError::Truncated { need: 4, left: 2, .. })));
        assert_eq!(decode_all(&[1, 2], |r| r.u8("x")), Err(CodecError::Trailing { count: 1 }));
        let mut w = Writer::new();
        w.bytes(b"abc");
        let b = w.into_bytes();
        assert!(matches!(Reader::new(&b).bytes(2, "s"), Err(CodecError::TooLong { len: 3, max: 2, .. })));
        assert!(matches!(Reader::new(&b[..5]).bytes(3, "s"), Err(CodecError::Truncated { .. })));
        let mut w = Writer::new();
        w.bytes(&[0xff]);
        assert!(matches!(Reader::new(&w.into_bytes()).str(9, "s"), Err(CodecError::BadValue { .. })));
        // A count whose items cannot fit is refused whatever the limit.
        let huge = u32::MAX.to_le_bytes();
        assert!(matches!(Reader::new(&huge).count(usize::MAX, 1, "n"), Err(CodecError::Truncated { .. })));
        assert!(matches!(Reader::new(&huge).count(10, 0, "n"), Err(CodecError::TooLong { .. })));
    }
}
