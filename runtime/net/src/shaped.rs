//! A rate-limited channel for benchmarks: [`ShapedChannel`] wraps any [`Channel`] so
//! that it behaves like a link of a given bandwidth and one-way latency ([`Link`]).
//!
//! Model: one link per direction. The sender cuts what it sends into segments of at
//! most [`SEGMENT`] bytes; segment `k` starts on the link when the link is free and
//! not before it is sent, takes `8 * len / bandwidth` seconds on it, and is delivered
//! `latency` after its last bit. Each segment travels with a 12-byte header (its
//! delivery time, ns on the system clock, and its length), and the receiving end holds
//! it back until that time. The sender runs ahead of the link by at most [`WINDOW`]
//! bytes (a socket buffer's worth) and then sleeps, so bandwidth throttles the sender
//! as a real link does, and a stream pays the latency once while each round trip pays
//! it twice.
//!
//! Guarantees and limits: both ends must be wrapped (the headers are part of the
//! wire), and run on one host (they share the system clock): this is for benchmarks
//! (`mpc bench --bandwidth`), not for real links. Statistics count payload bytes
//! only, not headers. The link times are computed, not measured, so sleep overshoot
//! does not accumulate. A header announcing more than [`SEGMENT`] bytes is
//! [`NetError::FrameTooLarge`]; nothing here panics on peer bytes.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::{Channel, ChannelStats, Closer, NetError};

/// Largest segment: the granularity at which the receiver releases bytes.
pub const SEGMENT: usize = 16 * 1024;
/// Bytes the sender may hand over ahead of the link before it waits.
pub const WINDOW: usize = 256 * 1024;
const HEADER: usize = 12;

/// A link: bandwidth in bits per second and one-way latency.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Link {
    /// Bits per second (positive, finite).
    pub bits_per_s: f64,
    /// One-way latency.
    pub latency: Duration,
}

/// A `--bandwidth` or `--latency` value that does not parse.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LinkError {
    /// Not a number followed by a known unit.
    #[error("`{0}` is not a bandwidth (a number followed by gbit, mbit, kbit or bit, e.g. 1gbit)")]
    Bandwidth(String),
    /// Not a number followed by a known unit.
    #[error("`{0}` is not a latency (a number followed by s, ms or us, e.g. 1ms)")]
    Latency(String),
}

fn number_with_unit(s: &str, units: &[(&str, f64)]) -> Option<f64> {
    let t = s.trim().to_ascii_lowercase();
    let (num, scale) =
        units.iter().find_map(|(u, k)| t.strip_suffix(u).map(|n| (n.trim().to_string(), *k)))?;
    let v: f64 = num.parse().ok()?;
    (v.is_finite() && v >= 0.0).then_some(v * scale)
}

impl Link {
    /// Parses a bandwidth such as `10gbit`, `1gbit`, `100mbit`, `512kbit` (bits per
    /// second; `/s` and `ps` suffixes are accepted). Must be positive.
    pub fn parse_bandwidth(s: &str) -> Result<f64, LinkError> {
        let t = s.trim().to_ascii_lowercase();
        let t = match t.strip_suffix("/s") {
            Some(x) => x.to_string(),
            None => t.strip_suffix("bps").map_or(t.clone(), |x| format!("{x}bit")),
        };
        let units = [("gbit", 1e9), ("mbit", 1e6), ("kbit", 1e3), ("bit", 1.0)];
        match number_with_unit(&t, &units) {
            Some(v) if v > 0.0 && v <= 1e15 => Ok(v),
            _ => Err(LinkError::Bandwidth(s.to_string())),
        }
    }

    /// Parses a one-way latency such as `1ms`, `250us`, `0.05s` or `0ms`.
    pub fn parse_latency(s: &str) -> Result<Duration, LinkError> {
        let units = [("ms", 1e-3), ("us", 1e-6), ("s", 1.0)];
        match number_with_unit(s, &units) {
            Some(v) if v <= 3600.0 => Ok(Duration::from_secs_f64(v)),
            _ => Err(LinkError::Latency(s.to_string())),
        }
    }

    /// Nanoseconds `bytes` take on the link.
    fn ns_for(&self, bytes: usize) -> u64 {
        (bytes as f64 * 8e9 / self.bits_per_s).ceil() as u64
    }
}

impl core::fmt::Display for Link {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let b = self.bits_per_s;
        let (v, u) = if b >= 1e9 {
            (b / 1e9, "Gbit/s")
        } else if b >= 1e6 {
            (b / 1e6, "Mbit/s")
        } else {
            (b / 1e3, "kbit/s")
        };
        write!(f, "{v} {u}, {} ms one-way", self.latency.as_secs_f64() * 1e3)
    }
}

/// Nanoseconds since the Unix epoch on the system clock (shared by both ends).
fn now_ns() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64)
}

fn sleep_until(t_ns: u64) {
    let now = now_ns();
    if t_ns > now {
        std::thread::sleep(Duration::from_nanos(t_ns - now));
    }
}

/// A [`Channel`] shaped to a [`Link`]; see the module docs.
#[derive(Debug)]
pub struct ShapedChannel<C: Channel> {
    inner: C,
    link: Link,
    /// When the outgoing link is free again (ns).
    link_free: u64,
    /// Bytes of the current incoming segment not yet read, and its delivery time.
    rx_left: usize,
    rx_at: u64,
    sent: u64,
    received: u64,
}

impl<C: Channel> ShapedChannel<C> {
    /// Wraps `inner`; the peer must wrap its end with the same kind of channel.
    pub fn new(inner: C, link: Link) -> ShapedChannel<C> {
        ShapedChannel { inner, link, link_free: 0, rx_left: 0, rx_at: 0, sent: 0, received: 0 }
    }

    /// The link it models.
    pub fn link(&self) -> Link {
        self.link
    }
}

impl<C: Channel> Channel for ShapedChannel<C> {
    fn send(&mut self, data: &[u8]) -> Result<(), NetError> {
        let latency = self.link.latency.as_nanos() as u64;
        for seg in data.chunks(SEGMENT) {
            let now = now_ns();
            self.link_free = self.link_free.max(now) + self.link.ns_for(seg.len());
            let mut header = [0u8; HEADER];
            header[..8].copy_from_slice(&(self.link_free + latency).to_le_bytes());
            // seg.len() <= SEGMENT < 2^32.
            header[8..].copy_from_slice(&(seg.len() as u32).to_le_bytes());
            self.inner.send(&header)?;
            self.inner.send(seg)?;
            self.sent += seg.len() as u64;
            let ahead = self.link.ns_for(WINDOW);
            if self.link_free > now + ahead {
                // Past the window: what is queued must drain first. Flush so the
                // peer sees the segments already on the link.
                self.inner.flush()?;
                sleep_until(self.link_free - ahead);
            }
        }
        Ok(())
    }

    fn recv_exact(&mut self, buf: &mut [u8]) -> Result<(), NetError> {
        let mut pos = 0;
        while pos < buf.len() {
            if self.rx_left == 0 {
                let mut header = [0u8; HEADER];
                self.inner.recv_exact(&mut header)?;
                let mut at = [0u8; 8];
                at.copy_from_slice(&header[..8]);
                let mut len = [0u8; 4];
                len.copy_from_slice(&header[8..]);
                let len = u32::from_le_bytes(len) as usize;
                if len == 0 || len > SEGMENT {
                    return Err(NetError::FrameTooLarge { len: len as u64, max: SEGMENT as u64 });
                }
                self.rx_left = len;
                self.rx_at = u64::from_le_bytes(at);
            }
            sleep_until(self.rx_at);
            let n = self.rx_left.min(buf.len() - pos);
            self.inner.recv_exact(&mut buf[pos..pos + n])?;
            self.rx_left -= n;
            pos += n;
        }
        self.received += buf.len() as u64;
        Ok(())
    }

    fn flush(&mut self) -> Result<(), NetError> {
        self.inner.flush()
    }

    fn stats(&self) -> ChannelStats {
        ChannelStats {
            bytes_sent: self.sent,
            bytes_received: self.received,
            rounds: self.inner.stats().rounds,
        }
    }

    fn closer(&self) -> Option<Closer> {
        self.inner.closer()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MemoryChannel;

    #[test]
    fn parses_bandwidths_and_latencies() {
        assert_eq!(Link::parse_bandwidth("1gbit"), Ok(1e9));
        assert_eq!(Link::parse_bandwidth("10Gbit/s"), Ok(1e10));
        assert_eq!(Link::parse_bandwidth("100mbps"), Ok(1e8));
        assert_eq!(Link::parse_bandwidth("512kbit"), Ok(512e3));
        for bad in ["", "1", "0gbit", "-1mbit", "fastgbit", "1tbit", "nanmbit", "infgbit"] {
            assert!(Link::parse_bandwidth(bad).is_err(), "{bad}");
        }
        assert_eq!(Link::parse_latency("1ms"), Ok(Duration::from_millis(1)));
        assert_eq!(Link::parse_latency("250us"), Ok(Duration::from_micros(250)));
        assert_eq!(Link::parse_latency("0ms"), Ok(Duration::ZERO));
        assert_eq!(Link::parse_latency("0.5s"), Ok(Duration::from_millis(500)));
        for bad in ["", "1", "ms", "-1ms", "1h", "1e9s"] {
            assert!(Link::parse_latency(bad).is_err(), "{bad}");
        }
    }

    /// Bytes arrive intact and in order across segment boundaries, both ways, and
    /// the counters count payload only. (Timing is measured by the benchmarks, not
    /// asserted here.)
    #[test]
    fn bytes_arrive_intact_and_counted() {
        let (a, b) = MemoryChannel::pair();
        let link = Link { bits_per_s: 1e11, latency: Duration::ZERO };
        let (mut a, mut b) = (ShapedChannel::new(a, link), ShapedChannel::new(b, link));
        let data: Vec<u8> = (0..3 * SEGMENT + 17).map(|i| (i * 7 % 251) as u8).collect();
        let d = data.clone();
        let t = std::thread::spawn(move || {
            a.send(&d).unwrap();
            a.flush().unwrap();
            let mut back = [0u8; 5];
            a.recv_exact(&mut back).unwrap();
            (back, a.stats())
        });
        let mut got = vec![0u8; data.len()];
        // Odd read sizes that straddle segments.
        let mut pos = 0;
        for n in [1, SEGMENT, 3, SEGMENT + 5, 2 * SEGMENT] {
            let end = (pos + n).min(got.len());
            b.recv_exact(&mut got[pos..end]).unwrap();
            pos = end;
        }
        assert_eq!(got, data);
        b.send(b"hello").unwrap();
        b.flush().unwrap();
        let (back, stats) = t.join().unwrap();
        assert_eq!(&back, b"hello");
        assert_eq!(stats.bytes_sent, data.len() as u64);
        assert_eq!(stats.bytes_received, 5);
        assert_eq!(b.stats().bytes_received, data.len() as u64);
    }

    #[test]
    fn a_bad_segment_header_is_an_error() {
        let (mut a, b) = MemoryChannel::pair();
        let mut b = ShapedChannel::new(b, Link { bits_per_s: 1e9, latency: Duration::ZERO });
        let mut header = [0u8; HEADER];
        header[8..].copy_from_slice(&(SEGMENT as u32 + 1).to_le_bytes());
        a.send(&header).unwrap();
        a.flush().unwrap();
        let mut buf = [0u8; 4];
        assert!(matches!(b.recv_exact(&mut buf), Err(NetError::FrameTooLarge { .. })));
    }
}
