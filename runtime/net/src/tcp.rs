//! TCP channels.
//!
//! Nagle's algorithm is off (`TCP_NODELAY`: the protocols flush whole messages and
//! wait for answers, so delaying small segments only adds latency); reads go through a
//! 256 KiB buffer; small writes are gathered in a 256 KiB buffer, and a write of at
//! least [`DIRECT_WRITE`] bytes (a chunk of garbled tables) goes to the socket straight
//! from the caller's slice, together with what is buffered, in vectored writes (no
//! copy in user space). Every blocking read and write has the channel's timeout, after
//! which it fails with [`NetError::Timeout`] instead of hanging.
//! [`TcpChannel::connect`] retries refused connections until its deadline, so the
//! two parties may start in either order.

use std::io::{BufReader, IoSlice, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use crate::{Channel, ChannelStats, Closer, NetError};

const BUFFER: usize = 256 * 1024;
/// Sends of at least this many bytes skip the write buffer.
pub const DIRECT_WRITE: usize = 16 * 1024;
/// Longest pause between connection attempts; the first pauses are shorter
/// ([`FIRST_PAUSE`], doubling), so a peer that starts a moment later costs little.
const RETRY_PAUSE: Duration = Duration::from_millis(50);
/// Longest pause between checks for an incoming connection (the first are shorter):
/// a peer that connects waits at most this long for the session to start.
const ACCEPT_PAUSE: Duration = Duration::from_millis(1);
/// The first pause of both waits.
const FIRST_PAUSE: Duration = Duration::from_micros(100);

/// A TCP connection to the peer.
#[derive(Debug)]
pub struct TcpChannel {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    /// Bytes queued by `send` and not yet written (at most `BUFFER`).
    pending: Vec<u8>,
    peer: SocketAddr,
    timeout: Duration,
    stats: ChannelStats,
    sending: bool,
}

/// A bound TCP listener waiting for the one peer.
#[derive(Debug)]
pub struct TcpListenerChannel {
    listener: TcpListener,
}

impl TcpListenerChannel {
    /// Binds `addr` (`HOST:PORT`; port 0 picks a free port, see [`Self::local_addr`]).
    pub fn bind(addr: &str) -> Result<TcpListenerChannel, NetError> {
        let listener = TcpListener::bind(addr).map_err(NetError::Io)?;
        Ok(TcpListenerChannel { listener })
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> Result<SocketAddr, NetError> {
        self.listener.local_addr().map_err(NetError::Io)
    }

    /// Waits up to `timeout` for the peer and returns the raw, configured stream
    /// (for [`crate::TlsChannel::accept`]).
    pub fn accept_stream(&self, timeout: Duration) -> Result<TcpStream, NetError> {
        let deadline = crate::deadline_after(timeout);
        self.listener.set_nonblocking(true).map_err(NetError::Io)?;
        let mut pause = FIRST_PAUSE;
        let stream = loop {
            match self.listener.accept() {
                Ok((stream, _)) => break stream,
                Err(err) if err.kind() == std::io::ErrorKind::WouldBlock => {
                    if Instant::now() >= deadline {
                        return Err(NetError::Timeout(timeout));
                    }
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(ACCEPT_PAUSE);
                }
                Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
                Err(err) => return Err(NetError::Io(err)),
            }
        };
        stream.set_nonblocking(false).map_err(NetError::Io)?;
        configure(&stream, timeout)?;
        Ok(stream)
    }

    /// Waits up to `timeout` for the peer; every later read and write has the same timeout.
    pub fn accept(&self, timeout: Duration) -> Result<TcpChannel, NetError> {
        TcpChannel::from_stream(self.accept_stream(timeout)?, timeout)
    }
}

/// Sets `TCP_NODELAY` and the read and write timeouts.
fn configure(stream: &TcpStream, timeout: Duration) -> Result<(), NetError> {
    stream.set_nodelay(true).map_err(NetError::Io)?;
    stream.set_read_timeout(Some(timeout)).map_err(NetError::Io)?;
    stream.set_write_timeout(Some(timeout)).map_err(NetError::Io)?;
    Ok(())
}

/// Connects to `addr`, retrying refused or failed attempts until `timeout` has
/// passed; returns the raw, configured stream (for [`crate::TlsChannel::connect`]).
pub(crate) fn connect_stream(addr: &str, timeout: Duration) -> Result<TcpStream, NetError> {
    let deadline = crate::deadline_after(timeout);
    let fail = |source| NetError::Connect { addr: addr.to_string(), timeout, source };
    let addrs: Vec<SocketAddr> = addr.to_socket_addrs().map_err(fail)?.collect();
    if addrs.is_empty() {
        return Err(fail(std::io::Error::new(std::io::ErrorKind::NotFound, "the name has no address")));
    }
    let mut pause = FIRST_PAUSE;
    loop {
        let mut last_err = None;
        for sock in &addrs {
            let left = deadline.saturating_duration_since(Instant::now()).max(Duration::from_millis(10));
            match TcpStream::connect_timeout(sock, left) {
                Ok(stream) => {
                    configure(&stream, timeout)?;
                    return Ok(stream);
                }
                Err(err) => last_err = Some(err),
            }
        }
        if Instant::now() + pause >= deadline {
            // `addrs` is not empty, so the loop above recorded an error.
            let err = last_err.unwrap_or_else(|| std::io::Error::other("no address answered"));
            return Err(fail(err));
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(RETRY_PAUSE);
    }
}

impl TcpChannel {
    /// Connects to `addr` (`HOST:PORT`), retrying until `timeout`; every later read
    /// and write has the same timeout.
    pub fn connect(addr: &str, timeout: Duration) -> Result<TcpChannel, NetError> {
        TcpChannel::from_stream(connect_stream(addr, timeout)?, timeout)
    }

    /// Wraps a connected stream (sets `TCP_NODELAY` and the timeouts).
    pub fn from_stream(stream: TcpStream, timeout: Duration) -> Result<TcpChannel, NetError> {
        configure(&stream, timeout)?;
        let peer = stream.peer_addr().map_err(NetError::Io)?;
        let reader = BufReader::with_capacity(BUFFER, stream.try_clone().map_err(NetError::Io)?);
        Ok(TcpChannel {
            reader,
            writer: stream,
            pending: Vec::with_capacity(BUFFER),
            peer,
            timeout,
            stats: ChannelStats::default(),
            sending: false,
        })
    }

    /// The peer's address.
    pub fn peer_addr(&self) -> SocketAddr {
        self.peer
    }
}

/// Writes all of `first` then all of `second` to `w` in vectored writes.
fn write_all_2(w: &mut impl Write, first: &[u8], second: &[u8]) -> std::io::Result<()> {
    let mut bufs = [IoSlice::new(first), IoSlice::new(second)];
    let mut bufs = &mut bufs[..];
    IoSlice::advance_slices(&mut bufs, 0);
    while !bufs.is_empty() {
        match w.write_vectored(bufs) {
            Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
            Ok(n) => IoSlice::advance_slices(&mut bufs, n),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

impl TcpChannel {
    fn write_pending(&mut self) -> Result<(), NetError> {
        if !self.pending.is_empty() {
            let r = self.writer.write_all(&self.pending);
            self.pending.clear();
            r.map_err(|e| NetError::from_io(e, self.timeout))?;
        }
        Ok(())
    }
}

impl Drop for TcpChannel {
    fn drop(&mut self) {
        // As a buffered writer does: queued bytes still go out (errors cannot be
        // reported from here; a protocol flushes before it waits anyway).
        let _ = self.write_pending();
    }
}

impl Channel for TcpChannel {
    fn send(&mut self, data: &[u8]) -> Result<(), NetError> {
        self.stats.on_send(data.len(), &mut self.sending);
        if data.len() >= DIRECT_WRITE {
            let r = write_all_2(&mut self.writer, &self.pending, data);
            self.pending.clear();
            return r.map_err(|e| NetError::from_io(e, self.timeout));
        }
        if self.pending.len() + data.len() > BUFFER {
            self.write_pending()?;
        }
        self.pending.extend_from_slice(data);
        Ok(())
    }

    fn recv_exact(&mut self, buf: &mut [u8]) -> Result<(), NetError> {
        self.reader.read_exact(buf).map_err(|e| NetError::from_io(e, self.timeout))?;
        self.stats.on_recv(buf.len(), &mut self.sending);
        Ok(())
    }

    fn flush(&mut self) -> Result<(), NetError> {
        self.write_pending()
    }

    fn stats(&self) -> ChannelStats {
        self.stats
    }

    fn closer(&self) -> Option<Closer> {
        Closer::new(&self.writer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_round_trip_and_close() {
        let listener = TcpListenerChannel::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let client = std::thread::spawn(move || {
            let mut ch = TcpChannel::connect(&addr, Duration::from_secs(5)).unwrap();
            ch.send(b"hello").unwrap();
            ch.flush().unwrap();
            let mut buf = [0u8; 3];
            ch.recv_exact(&mut buf).unwrap();
            assert_eq!(&buf, b"abc");
        });
        let mut server = listener.accept(Duration::from_secs(5)).unwrap();
        let mut buf = [0u8; 5];
        server.recv_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"hello");
        server.send(b"abc").unwrap();
        server.flush().unwrap();
        client.join().unwrap();
        assert!(matches!(server.recv_exact(&mut buf), Err(NetError::Closed)));
        assert_eq!((server.stats().bytes_sent, server.stats().bytes_received), (3, 5));
    }

    #[test]
    fn huge_timeouts_saturate_instead_of_overflowing() {
        // Duration::MAX added to an Instant overflows; both ends must still work.
        let listener = TcpListenerChannel::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let client = std::thread::spawn(move || {
            let mut ch = TcpChannel::connect(&addr, Duration::MAX).unwrap();
            ch.send(b"x").unwrap();
            ch.flush().unwrap();
        });
        let mut server = listener.accept(Duration::MAX).unwrap();
        let mut buf = [0u8; 1];
        server.recv_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"x");
        client.join().unwrap();
        let (mut a, mut b) = crate::MemoryChannel::pair_with_timeout(Duration::MAX);
        a.send(b"y").unwrap();
        a.flush().unwrap();
        b.recv_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"y");
    }

    #[test]
    fn a_closer_ends_a_trickled_read_at_once() {
        // The peer sends one byte every 100 ms, under the 1 s read timeout, so only
        // closing the channel from another thread ends the 100-byte read.
        let listener = TcpListenerChannel::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stop2 = std::sync::Arc::clone(&stop);
        let peer = std::thread::spawn(move || {
            let mut ch = TcpChannel::connect(&addr, Duration::from_secs(5)).unwrap();
            while !stop2.load(std::sync::atomic::Ordering::Relaxed) {
                if ch.send(b"x").and_then(|()| ch.flush()).is_err() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        });
        let mut server = listener.accept(Duration::from_secs(1)).unwrap();
        let closer = server.closer().unwrap();
        let start = Instant::now();
        let killer = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            closer.close();
        });
        let mut buf = [0u8; 100];
        assert!(server.recv_exact(&mut buf).is_err());
        assert!(start.elapsed() < Duration::from_secs(2), "{:?}", start.elapsed());
        killer.join().unwrap();
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        peer.join().unwrap();
    }

    #[test]
    fn silent_peer_times_out_and_nobody_listening_fails() {
        let listener = TcpListenerChannel::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let mut ch = TcpChannel::connect(&addr, Duration::from_millis(200)).unwrap();
        let mut buf = [0u8; 1];
        assert!(matches!(ch.recv_exact(&mut buf), Err(NetError::Timeout(_))));
        drop(ch);
        drop(listener);
        let err = TcpChannel::connect(&addr, Duration::from_millis(200)).unwrap_err();
        assert!(matches!(err, NetError::Connect { .. }), "{err}");
        let accept = TcpListenerChannel::bind("127.0.0.1:0").unwrap().accept(Duration::from_millis(50));
        assert!(matches!(accept, Err(NetError::Timeout(_))));
    }
}
