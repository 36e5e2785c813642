//! The table stream between the garbling engines and the channel: [`ChannelSink`] and
//! [`ChannelSource`] on the calling thread, and [`with_table_writer`], which moves the
//! garbler's socket writes to a writer thread so garbling overlaps sending.
//!
//! Guarantees: the bytes reaching the channel are exactly the table stream, in order,
//! each chunk flushed as it is handed over (the evaluator starts at once); with the
//! writer thread, at most [`IN_FLIGHT`] chunks wait between the garbler and the writer
//! (memory is `IN_FLIGHT + 2` chunks, never the whole stream), chunks change hands by
//! swapping buffers (no copy), and a failure of either side ends both: a channel error
//! in the writer is the session's error, and the writer stops when the garbler does.

use std::sync::atomic::Ordering;
use std::sync::mpsc::{channel, sync_channel, Receiver, SyncSender};

use mpc_garble::{GarbleError, TableSink, TableSource, CHUNK_BYTES};
use mpc_net::{Channel, NetError};

use crate::session::Progress;
use crate::SessionError;

/// Chunks queued between the garbler and the writer thread.
pub(crate) const IN_FLIGHT: usize = 4;

/// Sessions with at least this many AND gates send their tables from a writer thread
/// (below it, starting a thread costs more than the overlap saves).
pub(crate) const WRITER_THREAD_MIN_ANDS: u64 = 1 << 18;

/// Tables to the channel on the calling thread, flushed per chunk so the evaluator
/// can start at once.
pub(crate) struct ChannelSink<'a, C: ?Sized> {
    pub(crate) ch: &'a mut C,
    pub(crate) progress: Option<&'a Progress>,
}

fn sent<C: Channel + ?Sized>(ch: &mut C, bytes: &[u8], progress: Option<&Progress>) -> Result<(), NetError> {
    ch.send(bytes)?;
    ch.flush()?;
    if let Some(p) = progress {
        p.and_gates_done.fetch_add(bytes.len() as u64 / 32, Ordering::Relaxed);
        p.bytes_sent.store(ch.bytes_sent(), Ordering::Relaxed);
    }
    Ok(())
}

impl<C: Channel + ?Sized> TableSink for ChannelSink<'_, C> {
    fn write_tables(&mut self, bytes: &[u8]) -> Result<(), GarbleError> {
        sent(self.ch, bytes, self.progress).map_err(|e| GarbleError::Sink(Box::new(e)))
    }
}

/// Tables from the channel.
pub(crate) struct ChannelSource<'a, C: ?Sized> {
    pub(crate) ch: &'a mut C,
    pub(crate) progress: Option<&'a Progress>,
}

impl<C: Channel + ?Sized> TableSource for ChannelSource<'_, C> {
    fn read_tables(&mut self, buf: &mut [u8]) -> Result<(), GarbleError> {
        self.ch.recv_exact(buf).map_err(|e| GarbleError::Source(Box::new(e)))?;
        if let Some(p) = self.progress {
            p.and_gates_done.fetch_add(buf.len() as u64 / 32, Ordering::Relaxed);
            p.bytes_received.store(self.ch.bytes_received(), Ordering::Relaxed);
        }
        Ok(())
    }
}

/// The garbler's end of the writer thread: full chunks go out through `full`, empty
/// buffers come back through `free`.
struct ThreadSink {
    full: SyncSender<(Vec<u8>, usize)>,
    free: Receiver<Vec<u8>>,
    allocated: usize,
}

/// What the garbler sees when the writer thread has stopped (its own error, the real
/// cause, is reported instead by [`with_table_writer`]).
fn writer_gone() -> GarbleError {
    GarbleError::State("the table writer thread stopped")
}

impl ThreadSink {
    /// An empty chunk buffer: a returned one, a new one while fewer than
    /// `IN_FLIGHT + 2` exist, else the next one the writer returns.
    fn spare(&mut self) -> Result<Vec<u8>, GarbleError> {
        if let Ok(buf) = self.free.try_recv() {
            return Ok(buf);
        }
        if self.allocated < IN_FLIGHT + 2 {
            self.allocated += 1;
            return Ok(vec![0u8; CHUNK_BYTES]);
        }
        self.free.recv().map_err(|_| writer_gone())
    }
}

impl TableSink for ThreadSink {
    fn write_tables(&mut self, bytes: &[u8]) -> Result<(), GarbleError> {
        let mut buf = self.spare()?;
        if buf.len() < bytes.len() {
            buf.resize(bytes.len(), 0);
        }
        buf[..bytes.len()].copy_from_slice(bytes);
        self.full.send((buf, bytes.len())).map_err(|_| writer_gone())
    }

    fn write_chunk(&mut self, chunk: &mut Vec<u8>, len: usize) -> Result<(), GarbleError> {
        let spare = self.spare()?;
        let full = std::mem::replace(chunk, spare);
        self.full.send((full, len)).map_err(|_| writer_gone())
    }
}

/// Runs `garble` with a sink whose chunks a writer thread sends on `ch` (flushed per
/// chunk) while `garble` goes on; returns once every chunk is sent. A channel error in
/// the writer is returned in preference to the garbler's own error (which is then only
/// its echo).
pub(crate) fn with_table_writer<C, R>(
    ch: &mut C,
    progress: Option<&Progress>,
    garble: impl FnOnce(&mut dyn TableSink) -> Result<R, SessionError>,
) -> Result<R, SessionError>
where
    C: Channel + ?Sized,
{
    let (full, to_send) = sync_channel::<(Vec<u8>, usize)>(IN_FLIGHT);
    let (give_back, free) = channel::<Vec<u8>>();
    std::thread::scope(|s| {
        let writer = s.spawn(move || -> Result<(), NetError> {
            for (buf, len) in to_send {
                sent(ch, &buf[..len], progress)?;
                // The garbler may have finished and dropped its end: then nobody reuses it.
                let _ = give_back.send(buf);
            }
            Ok(())
        });
        let mut sink = ThreadSink { full, free, allocated: 0 };
        let out = garble(&mut sink);
        // Closing our end lets the writer send what is queued and end.
        drop(sink);
        match writer.join() {
            Err(_) => Err(SessionError::Internal("the table writer thread panicked".into())),
            Ok(Err(net)) => Err(net.into()),
            Ok(Ok(())) => out,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use mpc_net::MemoryChannel;

    #[test]
    fn the_writer_thread_sends_every_chunk_in_order() {
        let (mut a, mut b) = MemoryChannel::pair();
        let chunks: Vec<Vec<u8>> = (0..20u8).map(|i| vec![i; CHUNK_BYTES - usize::from(i)]).collect();
        let total: usize = chunks.iter().map(Vec::len).sum();
        let reader = std::thread::spawn(move || {
            let mut got = vec![0u8; total];
            b.recv_exact(&mut got).map(|()| got)
        });
        let out = with_table_writer(&mut a, None, |sink| {
            for (i, c) in chunks.iter().enumerate() {
                if i % 2 == 0 {
                    let mut buf = c.clone();
                    buf.resize(CHUNK_BYTES, 0xEE);
                    sink.write_chunk(&mut buf, c.len())?;
                    assert_eq!(buf.len(), CHUNK_BYTES, "a whole chunk comes back");
                } else {
                    sink.write_tables(c)?;
                }
            }
            Ok(7)
        });
        assert_eq!(out.unwrap(), 7);
        let got = reader.join().unwrap().unwrap();
        assert_eq!(got, chunks.concat());
    }

    #[test]
    fn a_closed_channel_is_the_sessions_error() {
        let (mut a, b) = MemoryChannel::pair();
        drop(b);
        let out = with_table_writer(&mut a, None, |sink| {
            for _ in 0..100 {
                let mut buf = vec![1u8; CHUNK_BYTES];
                sink.write_chunk(&mut buf, CHUNK_BYTES)?;
            }
            Ok(())
        });
        assert!(matches!(out, Err(SessionError::Net(NetError::Closed))), "{out:?}");
    }
}
