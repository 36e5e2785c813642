//! Channels shared by the session tests: [`Tap`] records what one side sends over a
//! memory channel, [`Replay`] plays a peer from its recorded bytes.

use mpc_net::{Channel, ChannelStats, MemoryChannel, NetError};

/// A memory channel end that records every byte it sends.
pub struct Tap {
    pub inner: MemoryChannel,
    pub sent: Vec<u8>,
}

impl Tap {
    pub fn new(inner: MemoryChannel) -> Tap {
        Tap { inner, sent: Vec::new() }
    }
}

impl Channel for Tap {
    fn send(&mut self, data: &[u8]) -> Result<(), NetError> {
        self.sent.extend_from_slice(data);
        self.inner.send(data)
    }
    fn recv_exact(&mut self, buf: &mut [u8]) -> Result<(), NetError> {
        self.inner.recv_exact(buf)
    }
    fn flush(&mut self) -> Result<(), NetError> {
        self.inner.flush()
    }
    fn stats(&self) -> ChannelStats {
        self.inner.stats()
    }
}

/// Plays a peer from its recorded bytes (`Closed` when they run out) and records
/// what we send.
pub struct Replay {
    input: Vec<u8>,
    pub pos: usize,
    pub sent: Vec<u8>,
    stats: ChannelStats,
}

impl Replay {
    pub fn new(input: Vec<u8>) -> Replay {
        Replay { input, pos: 0, sent: Vec::new(), stats: ChannelStats::default() }
    }
}

impl Channel for Replay {
    fn send(&mut self, data: &[u8]) -> Result<(), NetError> {
        self.sent.extend_from_slice(data);
        self.stats.bytes_sent += data.len() as u64;
        Ok(())
    }
    fn recv_exact(&mut self, buf: &mut [u8]) -> Result<(), NetError> {
        let end = self.pos + buf.len();
        let Some(bytes) = self.input.get(self.pos..end) else {
            self.pos = self.input.len();
            return Err(NetError::Closed);
        };
        buf.copy_from_slice(bytes);
        self.pos = end;
        self.stats.bytes_received += buf.len() as u64;
        Ok(())
    }
    fn flush(&mut self) -> Result<(), NetError> {
        Ok(())
    }
    fn stats(&self) -> ChannelStats {
        self.stats
    }
}
