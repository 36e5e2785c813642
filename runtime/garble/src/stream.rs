//! Where garbled tables go and where they come from: [`TableSink`] and [`TableSource`].
//!
//! The garbler pushes tables into a sink in chunks of at most [`CHUNK_BYTES`] as it
//! produces them; the evaluator pulls exactly the bytes of each batch of AND gates from
//! a source. Tables are 32 bytes per AND gate (two blocks, `T_G` then `T_E`, each in
//! [`mpc_crypto::Block::to_bytes`] order), in circuit order of the AND gates, and
//! nothing else. Implementations here: `Vec<u8>` (sink), `&[u8]` (source: a short
//! slice is a [`GarbleError::Truncated`], never a panic) and [`CountingSink`].

use crate::error::GarbleError;

/// Size of the garbler's output buffer: tables are handed to the sink in chunks of
/// this many bytes (the last one shorter).
pub const CHUNK_BYTES: usize = 64 * 1024;

/// Receives garbled tables from a [`crate::Garbler`].
pub trait TableSink {
    /// Takes the next `bytes` of the table stream.
    fn write_tables(&mut self, bytes: &[u8]) -> Result<(), GarbleError>;

    /// Takes the next `len` bytes of the table stream, `chunk[..len]`, from the
    /// garbler's own chunk buffer (`chunk.len()` is [`CHUNK_BYTES`]). A sink that hands
    /// chunks to another thread may keep the buffer and put another one of
    /// `CHUNK_BYTES` bytes (any contents) in its place, so nothing is copied; the
    /// default writes `chunk[..len]` through [`TableSink::write_tables`].
    fn write_chunk(&mut self, chunk: &mut Vec<u8>, len: usize) -> Result<(), GarbleError> {
        self.write_tables(&chunk[..len])
    }
}

/// Supplies garbled tables to an [`crate::Evaluator`].
pub trait TableSource {
    /// Fills all of `buf` with the next bytes of the table stream, or fails (a stream
    /// that ends early is [`GarbleError::Truncated`]).
    fn read_tables(&mut self, buf: &mut [u8]) -> Result<(), GarbleError>;

    /// The next `len` bytes of the table stream: borrowed from the source where it
    /// holds them (no copy), else read into `scratch` (grown as needed) and borrowed
    /// from there.
    fn next_tables<'a>(&'a mut self, len: usize, scratch: &'a mut Vec<u8>) -> Result<&'a [u8], GarbleError> {
        if scratch.len() < len {
            scratch.resize(len, 0);
        }
        let buf = &mut scratch[..len];
        self.read_tables(buf)?;
        Ok(buf)
    }
}

impl TableSink for Vec<u8> {
    fn write_tables(&mut self, bytes: &[u8]) -> Result<(), GarbleError> {
        self.extend_from_slice(bytes);
        Ok(())
    }
}

impl<S: TableSink + ?Sized> TableSink for &mut S {
    fn write_tables(&mut self, bytes: &[u8]) -> Result<(), GarbleError> {
        (**self).write_tables(bytes)
    }

    fn write_chunk(&mut self, chunk: &mut Vec<u8>, len: usize) -> Result<(), GarbleError> {
        (**self).write_chunk(chunk, len)
    }
}

/// Reads from the front of the slice and advances it, like `std::io::Read for &[u8]`.
impl TableSource for &[u8] {
    fn read_tables(&mut self, buf: &mut [u8]) -> Result<(), GarbleError> {
        if self.len() < buf.len() {
            return Err(GarbleError::Truncated { needed: buf.len(), available: self.len() });
        }
        let (head, tail) = self.split_at(buf.len());
        buf.copy_from_slice(head);
        *self = tail;
        Ok(())
    }

    fn next_tables<'a>(&'a mut self, len: usize, _scratch: &'a mut Vec<u8>) -> Result<&'a [u8], GarbleError> {
        if self.len() < len {
            return Err(GarbleError::Truncated { needed: len, available: self.len() });
        }
        let (head, tail) = self.split_at(len);
        *self = tail;
        Ok(head)
    }
}

impl<S: TableSource + ?Sized> TableSource for &mut S {
    fn read_tables(&mut self, buf: &mut [u8]) -> Result<(), GarbleError> {
        (**self).read_tables(buf)
    }

    fn next_tables<'a>(&'a mut self, len: usize, scratch: &'a mut Vec<u8>) -> Result<&'a [u8], GarbleError> {
        (**self).next_tables(len, scratch)
    }
}

/// A sink that only counts bytes and chunks (benchmarks, memory measurements, tests).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct CountingSink {
    /// Table bytes received.
    pub bytes: u64,
    /// Calls to `write_tables`.
    pub chunks: u64,
}

impl TableSink for CountingSink {
    fn write_tables(&mut self, bytes: &[u8]) -> Result<(), GarbleError> {
        self.bytes += bytes.len() as u64;
        self.chunks += 1;
        Ok(())
    }
}
