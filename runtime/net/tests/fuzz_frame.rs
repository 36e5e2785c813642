//! No-panic properties of the frame and integer readers on arbitrary peer bytes: a
//! reader over a fixed byte string returns a frame of at most `max` bytes, or
//! `FrameTooLarge`, or `Closed` when the bytes run out; frames and integers sent by
//! [`send_frame`] / [`send_u32`] / [`send_u64`] read back equal, also when the byte
//! stream is cut anywhere.

use std::time::Duration;

use mpc_net::frame::{recv_frame, recv_u32, recv_u64, send_frame, send_u32, send_u64};
use mpc_net::{Channel, ChannelStats, MemoryChannel, NetError};
use proptest::prelude::*;

/// A peer that announced a 4 GiB frame (within the caller's limit) and sent ten bytes
/// made `recv_frame` allocate the whole 4 GiB and ask the channel to fill it. Now the
/// buffer grows with what arrives: the largest read asked of the channel (and so the
/// buffer) stays at 1 MiB.
#[test]
fn a_large_announced_frame_allocates_only_what_arrives() {
    let mut input = (u32::MAX - 1).to_le_bytes().to_vec();
    input.extend_from_slice(&[7u8; 10]);
    let mut ch = Bytes::new(input);
    let r = recv_frame(&mut ch, usize::MAX);
    assert!(matches!(r, Err(NetError::Closed)), "{r:?}");
    assert!(ch.largest_read <= 1 << 20, "a read of {} bytes for a 10-byte frame body", ch.largest_read);
    // A large frame that does arrive is read whole, in growing pieces.
    let body: Vec<u8> = (0..5_000_000u32).map(|i| (i % 251) as u8).collect();
    let mut input = (body.len() as u32).to_le_bytes().to_vec();
    input.extend_from_slice(&body);
    let mut ch = Bytes::new(input);
    assert_eq!(recv_frame(&mut ch, body.len()).unwrap(), body);
    assert!(ch.largest_read < body.len(), "{}", ch.largest_read);
}

/// A peer that sent exactly `input` and then closed the connection.
struct Bytes {
    input: Vec<u8>,
    pos: usize,
    stats: ChannelStats,
    /// The largest `recv_exact` buffer asked for.
    largest_read: usize,
}

impl Bytes {
    fn new(input: Vec<u8>) -> Bytes {
        Bytes { input, pos: 0, stats: ChannelStats::default(), largest_read: 0 }
    }
}

impl Channel for Bytes {
    fn send(&mut self, _data: &[u8]) -> Result<(), NetError> {
        Ok(())
    }
    fn recv_exact(&mut self, buf: &mut [u8]) -> Result<(), NetError> {
        self.largest_read = self.largest_read.max(buf.len());
        if self.input.len() - self.pos < buf.len() {
            self.pos = self.input.len();
            return Err(NetError::Closed);
        }
        buf.copy_from_slice(&self.input[self.pos..self.pos + buf.len()]);
        self.pos += buf.len();
        Ok(())
    }
    fn flush(&mut self) -> Result<(), NetError> {
        Ok(())
    }
    fn stats(&self) -> ChannelStats {
        self.stats
    }
}

/// Reads frames, `u32`s and `u64`s in the order `ops` says until something fails.
fn read_all(input: Vec<u8>, max: usize, ops: &[u8]) -> Result<(), TestCaseError> {
    let mut ch = Bytes::new(input);
    for &op in ops.iter().cycle().take(64) {
        let r = match op % 3 {
            0 => recv_frame(&mut ch, max).map(|f| {
                assert!(f.len() <= max, "a frame of {} bytes passed the limit {max}", f.len());
            }),
            1 => recv_u32(&mut ch).map(|_| ()),
            _ => recv_u64(&mut ch).map(|_| ()),
        };
        match r {
            Ok(()) => {}
            Err(NetError::Closed) | Err(NetError::FrameTooLarge { .. }) => return Ok(()),
            Err(e) => prop_assert!(false, "unexpected error {e}"),
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(
        input in prop::collection::vec(any::<u8>(), 0..200),
        max in prop_oneof![Just(0usize), 1usize..64, Just(1 << 20), Just(usize::MAX)],
        ops in prop::collection::vec(any::<u8>(), 1..6),
    ) {
        read_all(input, max, &ops)?;
    }

    /// Valid streams round-trip; cut anywhere or with a length rewritten they end
    /// in a typed error.
    #[test]
    fn frames_round_trip_and_mutations_are_errors(
        frames in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..100), 1..5),
        x: u32,
        y: u64,
        cut in any::<prop::sample::Index>(),
        len in any::<u32>(),
    ) {
        let (mut a, mut b) = MemoryChannel::pair_with_timeout(Duration::from_secs(5));
        for f in &frames {
            send_frame(&mut a, f).unwrap();
        }
        send_u32(&mut a, x).unwrap();
        send_u64(&mut a, y).unwrap();
        a.flush().unwrap();
        for f in &frames {
            prop_assert_eq!(&recv_frame(&mut b, f.len()).unwrap(), f);
        }
        prop_assert_eq!(recv_u32(&mut b).unwrap(), x);
        prop_assert_eq!(recv_u64(&mut b).unwrap(), y);

        // The same stream as bytes: cut short, every read ends in `Closed`.
        let mut stream = Vec::new();
        for f in &frames {
            stream.extend_from_slice(&(f.len() as u32).to_le_bytes());
            stream.extend_from_slice(f);
        }
        let full = stream.len();
        let at = cut.index(full);
        let mut ch = Bytes::new(stream[..at].to_vec());
        let mut got = 0;
        loop {
            match recv_frame(&mut ch, 100) {
                Ok(f) => {
                    prop_assert_eq!(&f, &frames[got]);
                    got += 1;
                }
                Err(NetError::Closed) => break,
                Err(e) => prop_assert!(false, "unexpected error {e}"),
            }
        }
        prop_assert!(got < frames.len());
        // The first length rewritten: exactly that many bytes are taken, or the
        // frame is refused as too large, or the stream ends.
        stream[..4].copy_from_slice(&len.to_le_bytes());
        let mut ch = Bytes::new(stream);
        match recv_frame(&mut ch, 1 << 16) {
            Ok(f) => prop_assert_eq!(f.len(), len as usize),
            Err(NetError::FrameTooLarge { len: l, .. }) => prop_assert_eq!(l, u64::from(len)),
            Err(NetError::Closed) => prop_assert!(len as usize > full - 4),
            Err(e) => prop_assert!(false, "unexpected error {e}"),
        }
    }
}
