//! An in-memory channel between two threads of one process.
//!
//! Each direction is a bounded queue of byte chunks guarded by a mutex and a
//! condition variable. `send` appends to a local buffer that is pushed as one chunk
//! when it grows past [`CHUNK`] or on `flush`; a push waits while the queue holds
//! more than [`CAPACITY`] bytes, so a fast producer cannot fill memory. Every wait
//! ends after the timeout with [`NetError::Timeout`], and dropping one end makes the
//! other's waits end with [`NetError::Closed`]: a peer thread that panics or returns
//! early never hangs the other.
//!
//! No copies of large messages: [`Channel::send_vec`] of at least [`MOVE_MIN`] bytes
//! queues the caller's buffer itself as one chunk (after what was buffered before it,
//! so the byte order is that of the sends), and [`Channel::recv_vec`] of exactly such
//! a chunk hands that buffer to the reader. Any other mix of calls reads the same
//! bytes by copying; a short flush is copied out of the local buffer, which keeps its
//! capacity.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::{Channel, ChannelStats, NetError, DEFAULT_TIMEOUT};

/// Local buffer size before a chunk is pushed without an explicit flush.
const CHUNK: usize = 256 * 1024;
/// Bytes a direction may hold before `send` waits for the reader.
const CAPACITY: usize = 8 * 1024 * 1024;
/// `send_vec` of at least this many bytes moves the buffer into the queue, and
/// `push_pending` of at least this many moves the local buffer (smaller ones are
/// copied: a copy is cheaper than a fresh allocation of the local buffer).
const MOVE_MIN: usize = 64 * 1024;

#[derive(Debug, Default)]
struct Queue {
    chunks: VecDeque<Vec<u8>>,
    queued: usize,
    writer_gone: bool,
    reader_gone: bool,
    /// Whether the reader waits for a chunk, or the writer for room: a push or a pop
    /// wakes the other end only then (a wake-up is a system call).
    reader_waiting: bool,
    writer_waiting: bool,
}

#[derive(Debug, Default)]
struct Pipe {
    queue: Mutex<Queue>,
    changed: Condvar,
}

impl Pipe {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        // A poisoned lock only means the other thread panicked while holding it; the
        // queue itself is always consistent (every update is a single push/pop).
        self.queue.lock().unwrap_or_else(|poison| poison.into_inner())
    }
}

/// One end of an in-memory channel; see the module docs.
#[derive(Debug)]
pub struct MemoryChannel {
    outgoing: Arc<Pipe>,
    incoming: Arc<Pipe>,
    pending: Vec<u8>,
    current: Vec<u8>,
    pos: usize,
    timeout: Duration,
    stats: ChannelStats,
    sending: bool,
}

impl MemoryChannel {
    /// Two connected ends with the default timeout.
    pub fn pair() -> (MemoryChannel, MemoryChannel) {
        MemoryChannel::pair_with_timeout(DEFAULT_TIMEOUT)
    }

    /// Two connected ends whose every wait ends after `timeout`.
    pub fn pair_with_timeout(timeout: Duration) -> (MemoryChannel, MemoryChannel) {
        let a_to_b = Arc::new(Pipe::default());
        let b_to_a = Arc::new(Pipe::default());
        let end = |outgoing: &Arc<Pipe>, incoming: &Arc<Pipe>| MemoryChannel {
            outgoing: Arc::clone(outgoing),
            incoming: Arc::clone(incoming),
            pending: Vec::new(),
            current: Vec::new(),
            pos: 0,
            timeout,
            stats: ChannelStats::default(),
            sending: false,
        };
        (end(&a_to_b, &b_to_a), end(&b_to_a, &a_to_b))
    }

    fn push_pending(&mut self) -> Result<(), NetError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let chunk = if self.pending.len() >= MOVE_MIN {
            std::mem::replace(&mut self.pending, Vec::with_capacity(CHUNK))
        } else {
            // A short flush (a frame header, a small message): copied out in a buffer
            // of its size, so the local buffer keeps its capacity.
            let chunk = self.pending.clone();
            self.pending.clear();
            chunk
        };
        self.push_chunk(chunk)
    }

    /// Queues `chunk` (not empty) once the queue has room.
    fn push_chunk(&mut self, chunk: Vec<u8>) -> Result<(), NetError> {
        let deadline = crate::deadline_after(self.timeout);
        let mut queue = self.outgoing.lock();
        loop {
            if queue.reader_gone {
                return Err(NetError::Closed);
            }
            if queue.queued < CAPACITY {
                queue.writer_waiting = false;
                break;
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(NetError::Timeout(self.timeout));
            }
            queue.writer_waiting = true;
            queue = self
                .outgoing
                .changed
                .wait_timeout(queue, deadline - now)
                .unwrap_or_else(|poison| poison.into_inner())
                .0;
        }
        queue.queued += chunk.len();
        queue.chunks.push_back(chunk);
        let wake = queue.reader_waiting;
        drop(queue);
        if wake {
            self.outgoing.changed.notify_all();
        }
        Ok(())
    }

    fn pull_chunk(&mut self) -> Result<(), NetError> {
        let deadline = crate::deadline_after(self.timeout);
        let mut queue = self.incoming.lock();
        loop {
            if let Some(chunk) = queue.chunks.pop_front() {
                queue.queued -= chunk.len();
                queue.reader_waiting = false;
                let wake = queue.writer_waiting;
                drop(queue);
                if wake {
                    self.incoming.changed.notify_all();
                }
                self.current = chunk;
                self.pos = 0;
                return Ok(());
            }
            if queue.writer_gone {
                return Err(NetError::Closed);
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(NetError::Timeout(self.timeout));
            }
            queue.reader_waiting = true;
            queue = self
                .incoming
                .changed
                .wait_timeout(queue, deadline - now)
                .unwrap_or_else(|poison| poison.into_inner())
                .0;
        }
    }
}

impl Channel for MemoryChannel {
    fn send(&mut self, data: &[u8]) -> Result<(), NetError> {
        self.stats.on_send(data.len(), &mut self.sending);
        if data.len() >= MOVE_MIN {
            // One copy into a chunk of its size, not a growth of the local buffer.
            self.push_pending()?;
            return self.push_chunk(data.to_vec());
        }
        self.pending.extend_from_slice(data);
        if self.pending.len() >= CHUNK {
            self.push_pending()?;
        }
        Ok(())
    }

    fn recv_exact(&mut self, buf: &mut [u8]) -> Result<(), NetError> {
        let mut filled = 0;
        while filled < buf.len() {
            if self.pos == self.current.len() {
                self.pull_chunk()?;
            }
            let n = (buf.len() - filled).min(self.current.len() - self.pos);
            buf[filled..filled + n].copy_from_slice(&self.current[self.pos..self.pos + n]);
            self.pos += n;
            filled += n;
        }
        self.stats.on_recv(buf.len(), &mut self.sending);
        Ok(())
    }

    fn flush(&mut self) -> Result<(), NetError> {
        self.push_pending()
    }

    fn send_vec(&mut self, data: Vec<u8>) -> Result<(), NetError> {
        if data.len() < MOVE_MIN {
            return self.send(&data);
        }
        self.stats.on_send(data.len(), &mut self.sending);
        // What was buffered goes first: the bytes stay in the order of the sends.
        self.push_pending()?;
        self.push_chunk(data)
    }

    fn recv_vec(&mut self, len: usize) -> Result<Vec<u8>, NetError> {
        if len >= MOVE_MIN && self.pos == self.current.len() {
            self.pull_chunk()?;
            if self.current.len() == len {
                // The peer's `send_vec` of exactly these bytes: its buffer, moved.
                self.pos = 0;
                self.stats.on_recv(len, &mut self.sending);
                return Ok(std::mem::take(&mut self.current));
            }
        }
        // Copied from the chunks as they come, with no zero-fill first.
        let mut buf = Vec::with_capacity(len);
        while buf.len() < len {
            if self.pos == self.current.len() {
                self.pull_chunk()?;
            }
            let n = (len - buf.len()).min(self.current.len() - self.pos);
            buf.extend_from_slice(&self.current[self.pos..self.pos + n]);
            self.pos += n;
        }
        self.stats.on_recv(len, &mut self.sending);
        Ok(buf)
    }

    fn stats(&self) -> ChannelStats {
        self.stats
    }
}

impl Drop for MemoryChannel {
    fn drop(&mut self) {
        self.outgoing.lock().writer_gone = true;
        self.outgoing.changed.notify_all();
        self.incoming.lock().reader_gone = true;
        self.incoming.changed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_arrive_in_order_across_threads() {
        let (mut a, mut b) = MemoryChannel::pair();
        let sender = std::thread::spawn(move || {
            for i in 0..2000u32 {
                a.send(&i.to_le_bytes()).unwrap();
                a.send(&vec![i as u8; (i % 700) as usize]).unwrap();
            }
            a.flush().unwrap();
            a
        });
        for i in 0..2000u32 {
            let mut head = [0u8; 4];
            b.recv_exact(&mut head).unwrap();
            assert_eq!(u32::from_le_bytes(head), i);
            let mut body = vec![0u8; (i % 700) as usize];
            b.recv_exact(&mut body).unwrap();
            assert!(body.iter().all(|&x| x == i as u8));
        }
        let a = sender.join().unwrap();
        assert_eq!(a.stats().bytes_sent, b.stats().bytes_received);
    }

    /// Moved and copied sends and receives mixed in every way read the bytes in the
    /// order they were sent (sizes on both sides of `MOVE_MIN`, receives that match a
    /// moved chunk or cut across chunks), and the counters agree.
    #[test]
    fn moved_buffers_arrive_in_order_mixed_with_copied_bytes() {
        let sizes = [3usize, MOVE_MIN - 1, MOVE_MIN, 5, 3 * MOVE_MIN + 7, 1, CHUNK + 9, MOVE_MIN + 1];
        let body = |i: usize, n: usize| (0..n).map(|k| (k * 7 + i * 13) as u8).collect::<Vec<u8>>();
        let (mut a, mut b) = MemoryChannel::pair();
        let sender = std::thread::spawn(move || {
            for (i, &n) in sizes.iter().enumerate() {
                a.send(&(n as u32).to_le_bytes()).unwrap();
                if i % 3 == 1 {
                    a.send(&body(i, n)).unwrap();
                } else {
                    a.send_vec(body(i, n)).unwrap();
                }
                if i % 2 == 0 {
                    a.flush().unwrap();
                }
            }
            // A moved buffer read in two pieces, and a copied one read as a buffer.
            a.send_vec(body(90, 2 * MOVE_MIN)).unwrap();
            a.send(&body(91, MOVE_MIN + 3)).unwrap();
            a.flush().unwrap();
            a
        });
        for (i, &n) in sizes.iter().enumerate() {
            let mut head = [0u8; 4];
            b.recv_exact(&mut head).unwrap();
            assert_eq!(u32::from_le_bytes(head) as usize, n);
            let got = if i % 4 == 3 {
                let mut buf = vec![0u8; n];
                b.recv_exact(&mut buf).unwrap();
                buf
            } else {
                b.recv_vec(n).unwrap()
            };
            assert!(got == body(i, n), "message {i} of {n} bytes");
        }
        let mut first = vec![0u8; MOVE_MIN / 2];
        b.recv_exact(&mut first).unwrap();
        first.extend(b.recv_vec(2 * MOVE_MIN - MOVE_MIN / 2).unwrap());
        assert!(first == body(90, 2 * MOVE_MIN));
        assert!(b.recv_vec(MOVE_MIN + 3).unwrap() == body(91, MOVE_MIN + 3));
        let a = sender.join().unwrap();
        assert_eq!(a.stats().bytes_sent, b.stats().bytes_received);
        drop(a);
        assert!(matches!(b.recv_vec(1), Err(NetError::Closed)));
    }

    /// A writer blocked on a full queue is woken by the reader's pops, and a reader
    /// blocked on an empty one by the writer's pushes (each wake-up is sent only to an
    /// end that waits): 48 MiB through an 8 MiB queue well within the timeout.
    #[test]
    fn blocked_ends_are_woken() {
        let (mut a, mut b) = MemoryChannel::pair_with_timeout(Duration::from_secs(20));
        let sender = std::thread::spawn(move || {
            for i in 0..48u8 {
                a.send_vec(vec![i; 1 << 20]).unwrap();
                a.flush().unwrap();
            }
            a
        });
        for i in 0..48u8 {
            if i % 16 == 0 {
                // Let the writer fill the queue and wait for room.
                std::thread::sleep(Duration::from_millis(20));
            }
            let got = b.recv_vec(1 << 20).unwrap();
            assert!(got.iter().all(|&x| x == i), "chunk {i}");
        }
        let a = sender.join().unwrap();
        assert_eq!(a.stats().bytes_sent, 48 << 20);
    }

    #[test]
    fn dropped_peer_is_closed_and_silent_peer_times_out() {
        let (a, mut b) = MemoryChannel::pair_with_timeout(Duration::from_millis(50));
        let mut buf = [0u8; 1];
        assert!(matches!(b.recv_exact(&mut buf), Err(NetError::Timeout(_))));
        drop(a);
        assert!(matches!(b.recv_exact(&mut buf), Err(NetError::Closed)));
        b.send(&[1]).unwrap();
        assert!(matches!(b.flush(), Err(NetError::Closed)));
    }

    #[test]
    fn a_full_queue_times_out_instead_of_growing() {
        let (mut a, _b) = MemoryChannel::pair_with_timeout(Duration::from_millis(50));
        let block = vec![0u8; CHUNK];
        let result = (0..(CAPACITY / CHUNK + 2)).try_for_each(|_| a.send(&block));
        assert!(matches!(result, Err(NetError::Timeout(_))));
    }
}
