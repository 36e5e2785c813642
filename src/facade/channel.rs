//! [`IoChannel`]: a [`Channel`] over any `Read + Write` byte stream.

use std::io::{ErrorKind, Read, Write};
use std::time::Duration;

use mpc_net::{Channel, ChannelStats, NetError};

/// Bytes queued by `send` before they are written to the stream without a `flush`.
const WRITE_BUFFER: usize = 1 << 16;
/// Bytes read from the stream at once.
const READ_BUFFER: usize = 1 << 16;

/// A [`Channel`] over any `Read + Write` stream: a `TcpStream`, a `UnixStream`, a TLS
/// stream, one end of a pipe pair.
///
/// Writes are buffered until [`Channel::flush`] (or 64 KiB); reads go through a
/// 64 KiB buffer.
///
/// **Timeouts:** `IoChannel` sets none; a generic stream has no timeout to set. A read
/// waits as long as the stream's own read blocks. Set timeouts on the stream itself
/// (`TcpStream::set_read_timeout`, `UnixStream::set_read_timeout`) and pass the same
/// duration to [`IoChannel::with_timeout`] so that the resulting
/// [`NetError::Timeout`] names it. [`Channel::closer`] is `None`.
///
/// Errors map as in the TCP channel: end of stream, reset, broken pipe ->
/// [`NetError::Closed`]; `WouldBlock`/`TimedOut` -> [`NetError::Timeout`]; others
/// [`NetError::Io`].
///
/// ```
/// # #[cfg(unix)] {
/// use mpc::Channel;
/// let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
/// let (mut a, mut b) = (mpc::IoChannel::new(a), mpc::IoChannel::new(b));
/// a.send(b"hello").unwrap();
/// a.flush().unwrap();
/// let mut buf = [0u8; 5];
/// b.recv_exact(&mut buf).unwrap();
/// assert_eq!(&buf, b"hello");
/// assert_eq!(b.stats().bytes_received, 5);
/// drop(a);
/// assert!(matches!(b.recv_exact(&mut buf), Err(mpc::NetError::Closed)));
/// # }
/// ```
#[derive(Debug)]
pub struct IoChannel<S> {
    stream: S,
    write: Vec<u8>,
    read: Vec<u8>,
    read_pos: usize,
    read_len: usize,
    stats: ChannelStats,
    sending: bool,
    timeout: Duration,
}

impl<S: Read + Write + Send> IoChannel<S> {
    /// Wraps `stream` (see the type's docs about timeouts).
    pub fn new(stream: S) -> IoChannel<S> {
        IoChannel {
            stream,
            write: Vec::with_capacity(WRITE_BUFFER),
            read: vec![0; READ_BUFFER],
            read_pos: 0,
            read_len: 0,
            stats: ChannelStats::default(),
            sending: false,
            timeout: Duration::ZERO,
        }
    }

    /// The read timeout set on the stream, reported by [`NetError::Timeout`] when a
    /// read times out (this only labels the error; it sets nothing on the stream).
    pub fn with_timeout(mut self, timeout: Duration) -> IoChannel<S> {
        self.timeout = timeout;
        self
    }

    /// The stream back (bytes queued by `send` and not flushed are dropped).
    pub fn into_inner(self) -> S {
        self.stream
    }

    fn error(&self, e: std::io::Error) -> NetError {
        match e.kind() {
            ErrorKind::WouldBlock | ErrorKind::TimedOut => NetError::Timeout(self.timeout),
            ErrorKind::UnexpectedEof
            | ErrorKind::ConnectionReset
            | ErrorKind::ConnectionAborted
            | ErrorKind::BrokenPipe
            | ErrorKind::NotConnected => NetError::Closed,
            _ => NetError::Io(e),
        }
    }

    fn write_out(&mut self) -> Result<(), NetError> {
        if !self.write.is_empty() {
            let r = self.stream.write_all(&self.write);
            self.write.clear();
            r.map_err(|e| self.error(e))?;
        }
        Ok(())
    }
}

impl<S: Read + Write + Send> Channel for IoChannel<S> {
    fn send(&mut self, data: &[u8]) -> Result<(), NetError> {
        self.stats.bytes_sent += data.len() as u64;
        self.sending = true;
        if self.write.len() + data.len() > WRITE_BUFFER {
            self.write_out()?;
        }
        if data.len() >= WRITE_BUFFER {
            self.stream.write_all(data).map_err(|e| self.error(e))
        } else {
            self.write.extend_from_slice(data);
            Ok(())
        }
    }

    fn recv_exact(&mut self, buf: &mut [u8]) -> Result<(), NetError> {
        if self.sending {
            self.stats.rounds += 1;
            self.sending = false;
        }
        let mut filled = 0;
        while filled < buf.len() {
            if self.read_pos == self.read_len {
                let want = buf.len() - filled;
                if want >= READ_BUFFER {
                    // Large reads go straight into the caller's buffer.
                    match self.stream.read(&mut buf[filled..]) {
                        Ok(0) => return Err(NetError::Closed),
                        Ok(n) => filled += n,
                        Err(e) if e.kind() == ErrorKind::Interrupted => {}
                        Err(e) => return Err(self.error(e)),
                    }
                    continue;
                }
                match self.stream.read(&mut self.read) {
                    Ok(0) => return Err(NetError::Closed),
                    Ok(n) => {
                        self.read_pos = 0;
                        self.read_len = n;
                    }
                    Err(e) if e.kind() == ErrorKind::Interrupted => {}
                    Err(e) => return Err(self.error(e)),
                }
                continue;
            }
            let n = (self.read_len - self.read_pos).min(buf.len() - filled);
            buf[filled..filled + n].copy_from_slice(&self.read[self.read_pos..self.read_pos + n]);
            self.read_pos += n;
            filled += n;
        }
        self.stats.bytes_received += buf.len() as u64;
        Ok(())
    }

    fn flush(&mut self) -> Result<(), NetError> {
        self.write_out()?;
        self.stream.flush().map_err(|e| self.error(e))
    }

    fn stats(&self) -> ChannelStats {
        self.stats
    }
}
