//! mpc-net: the byte channels two parties talk over.
//!
//! One [`Channel`] trait (buffered `send`, `recv_exact`, `flush`, byte and round
//! counters) with three implementations and a benchmark wrapper:
//! - [`MemoryChannel::pair`]: two ends for two threads of one process, bounded (a
//!   fast sender blocks instead of filling memory) and with a timeout on every wait,
//!   so a dead peer thread never hangs the other;
//! - [`TcpChannel`]: `TCP_NODELAY`, large buffers, connect with retries until a
//!   deadline, and a read and write timeout on every blocking call;
//! - [`TlsChannel`]: TLS 1.3 over TCP with rustls (ring), both sides authenticated,
//!   each side accepting exactly the one certificate it was told to pin;
//! - [`ShapedChannel`] (benchmarks only): wraps any channel (both ends) to behave
//!   like a link of a given bandwidth and one-way latency ([`shaped`]).
//!
//! **Internal crate** of the `mpc` workspace, not published: its API serves the
//! workspace's other crates and may change at any time. Applications use the `mpc`
//! crate's facade (`mpc::Program`, `mpc::Inputs`, `mpc::Outputs`, `mpc::Channel`).
//!
//! Every failure is a typed [`NetError`]: [`NetError::Timeout`] when the peer sends
//! nothing for the configured time, [`NetError::Closed`] when it disconnects, `Io`
//! and `Tls` for the rest. The [`frame`] helpers add length-prefixed messages whose
//! length is checked against a maximum before anything is allocated, [`codec`] is
//! the one reader and writer of every message body (little-endian, trailing bytes
//! refused), and [`hello`] the one hello that opens every connection of the session,
//! PSI and secure aggregation.
//!
//! This crate moves bytes only: it knows nothing of circuits, labels or OT.

pub mod codec;
pub mod frame;
pub mod hello;
mod memory;
pub mod shaped;
mod tcp;
mod tls;

use std::time::{Duration, Instant};

/// The instant `timeout` from now, saturated: a timeout too large for `Instant`
/// (e.g. `u64::MAX` seconds from a command line) means "as late as representable",
/// never an overflow panic.
pub(crate) fn deadline_after(timeout: Duration) -> Instant {
    let now = Instant::now();
    let mut t = timeout;
    loop {
        if let Some(d) = now.checked_add(t) {
            return d;
        }
        // Halving reaches a representable offset (zero at worst) in at most 128 steps.
        t /= 2;
    }
}

pub use memory::MemoryChannel;
pub use shaped::{Link, ShapedChannel};
pub use tcp::{TcpChannel, TcpListenerChannel};
pub use tls::{TlsChannel, TlsIdentity};

/// Why a channel operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NetError {
    /// The peer sent (or accepted) nothing for the whole timeout.
    #[error("the peer did not answer within {} s", .0.as_secs_f64())]
    Timeout(Duration),
    /// The peer closed the connection (or its end of an in-memory channel).
    #[error("the peer closed the connection")]
    Closed,
    /// Connecting failed until the deadline.
    #[error("could not connect to {addr} within {} s: {source}", .timeout.as_secs_f64())]
    Connect { addr: String, timeout: Duration, source: std::io::Error },
    /// Any other socket error.
    #[error("network error: {0}")]
    Io(std::io::Error),
    /// The TLS layer failed: a certificate that is not the pinned one, a bad
    /// handshake, or a corrupted record.
    #[error("TLS error: {0}")]
    Tls(String),
    /// The TLS configuration given by the user is unusable (bad PEM, no key ...).
    #[error("bad TLS configuration: {0}")]
    TlsConfig(String),
    /// A length-prefixed message announced more bytes than the limit allows.
    #[error("the peer announced a message of {len} bytes, more than the limit of {max}")]
    FrameTooLarge { len: u64, max: u64 },
}

impl NetError {
    /// Maps an I/O error of a blocking socket call to the typed variants: timeouts
    /// become [`NetError::Timeout`], end of stream and resets [`NetError::Closed`].
    pub(crate) fn from_io(err: std::io::Error, timeout: Duration) -> NetError {
        use std::io::ErrorKind::*;
        match err.kind() {
            WouldBlock | TimedOut => NetError::Timeout(timeout),
            UnexpectedEof | ConnectionReset | ConnectionAborted | BrokenPipe | NotConnected => {
                NetError::Closed
            }
            _ => match err.get_ref().and_then(|inner| inner.downcast_ref::<rustls::Error>()) {
                Some(tls) => NetError::Tls(tls::describe(tls)),
                None => NetError::Io(err),
            },
        }
    }
}

/// Closes a socket-backed channel from another thread (see [`Channel::closer`]).
#[derive(Debug)]
pub struct Closer {
    stream: std::net::TcpStream,
}

impl Closer {
    pub(crate) fn new(stream: &std::net::TcpStream) -> Option<Closer> {
        stream.try_clone().ok().map(|stream| Closer { stream })
    }

    /// Shuts the connection down in both directions: reads and writes blocked on it,
    /// in any thread, fail at once, and so does every later one.
    pub fn close(&self) {
        // Shutting down an already closed socket fails harmlessly.
        let _ = self.stream.shutdown(std::net::Shutdown::Both);
    }
}

/// Runs `f`, closing the channel through `closer` if `f` has not returned within
/// `limit` (so a read or write blocked in `f` ends with an error); returns `f`'s
/// result and whether the limit passed. Without a closer, `f` just runs.
pub fn run_with_deadline<T>(closer: Option<Closer>, limit: Duration, f: impl FnOnce() -> T) -> (T, bool) {
    let Some(closer) = closer else { return (f(), false) };
    let (done, wait) = std::sync::mpsc::channel::<()>();
    std::thread::scope(|s| {
        let watchdog = s.spawn(move || {
            let late = matches!(wait.recv_timeout(limit), Err(std::sync::mpsc::RecvTimeoutError::Timeout));
            if late {
                closer.close();
            }
            late
        });
        let out = f();
        // The watchdog may have ended already; then nobody listens.
        let _ = done.send(());
        // The watchdog does not panic; count a panic as "not late".
        (out, watchdog.join().unwrap_or(false))
    })
}

/// Traffic counters of one end of a channel.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ChannelStats {
    /// Bytes handed to `send` (payload bytes, before TLS framing).
    pub bytes_sent: u64,
    /// Bytes returned by `recv_exact`.
    pub bytes_received: u64,
    /// Communication rounds seen from this end: the number of times a receive
    /// followed a send (so a one-way stream counts as one round).
    pub rounds: u64,
}

impl ChannelStats {
    pub(crate) fn on_send(&mut self, n: usize, sending: &mut bool) {
        self.bytes_sent += n as u64;
        *sending = true;
    }

    pub(crate) fn on_recv(&mut self, n: usize, sending: &mut bool) {
        if *sending {
            self.rounds += 1;
            *sending = false;
        }
        self.bytes_received += n as u64;
    }
}

/// A reliable, ordered, two-party byte channel.
///
/// `send` may buffer: data is only guaranteed to leave after `flush`. A protocol
/// must therefore flush before it waits for an answer. Every blocking call ends
/// with an error after the channel's timeout instead of waiting forever.
pub trait Channel: Send {
    /// Queues `data` for the peer (may block when the buffers are full).
    fn send(&mut self, data: &[u8]) -> Result<(), NetError>;
    /// Fills `buf` completely with the next bytes from the peer.
    fn recv_exact(&mut self, buf: &mut [u8]) -> Result<(), NetError>;
    /// Pushes every queued byte to the peer.
    fn flush(&mut self) -> Result<(), NetError>;
    /// The traffic counters so far.
    fn stats(&self) -> ChannelStats;

    /// [`Channel::send`] of a buffer the caller gives away: a channel that queues whole
    /// buffers (the in-memory one) moves it to the peer instead of copying it. The
    /// default sends the slice.
    fn send_vec(&mut self, data: Vec<u8>) -> Result<(), NetError> {
        self.send(&data)
    }

    /// The next `len` bytes from the peer in a new buffer, as [`Channel::recv_exact`]
    /// into one: a channel that holds them as one whole buffer (the in-memory one,
    /// from the peer's [`Channel::send_vec`]) hands that buffer over without copying.
    /// `len` bytes are allocated at once: the caller bounds `len` first.
    fn recv_vec(&mut self, len: usize) -> Result<Vec<u8>, NetError> {
        let mut buf = vec![0u8; len];
        self.recv_exact(&mut buf)?;
        Ok(buf)
    }

    /// A handle that closes this channel from another thread, so a blocked read or
    /// write ends at once with an error; `None` where the channel has no such handle
    /// (an in-memory channel, which is only bounded by its own timeout).
    ///
    /// The per-call timeout bounds silence, not slowness: a peer that sends one byte
    /// just before each timeout keeps a read alive for ever. A caller with a deadline
    /// for a whole message or round closes the channel when the deadline passes.
    fn closer(&self) -> Option<Closer> {
        None
    }

    /// Bytes sent so far.
    fn bytes_sent(&self) -> u64 {
        self.stats().bytes_sent
    }

    /// Bytes received so far.
    fn bytes_received(&self) -> u64 {
        self.stats().bytes_received
    }
}

impl<C: Channel + ?Sized> Channel for &mut C {
    fn send(&mut self, data: &[u8]) -> Result<(), NetError> {
        (**self).send(data)
    }
    fn send_vec(&mut self, data: Vec<u8>) -> Result<(), NetError> {
        (**self).send_vec(data)
    }
    fn recv_vec(&mut self, len: usize) -> Result<Vec<u8>, NetError> {
        (**self).recv_vec(len)
    }
    fn recv_exact(&mut self, buf: &mut [u8]) -> Result<(), NetError> {
        (**self).recv_exact(buf)
    }
    fn flush(&mut self) -> Result<(), NetError> {
        (**self).flush()
    }
    fn stats(&self) -> ChannelStats {
        (**self).stats()
    }
    fn closer(&self) -> Option<Closer> {
        (**self).closer()
    }
}

impl<C: Channel + ?Sized> Channel for Box<C> {
    fn send(&mut self, data: &[u8]) -> Result<(), NetError> {
        (**self).send(data)
    }
    fn send_vec(&mut self, data: Vec<u8>) -> Result<(), NetError> {
        (**self).send_vec(data)
    }
    fn recv_vec(&mut self, len: usize) -> Result<Vec<u8>, NetError> {
        (**self).recv_vec(len)
    }
    fn recv_exact(&mut self, buf: &mut [u8]) -> Result<(), NetError> {
        (**self).recv_exact(buf)
    }
    fn flush(&mut self) -> Result<(), NetError> {
        (**self).flush()
    }
    fn stats(&self) -> ChannelStats {
        (**self).stats()
    }
    fn closer(&self) -> Option<Closer> {
        (**self).closer()
    }
}

/// The default timeout of every blocking operation.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
