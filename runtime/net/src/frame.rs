//! Length-prefixed messages and fixed-width integers over a [`Channel`].
//!
//! A frame is a `u32` little-endian length followed by that many bytes. The reader
//! checks the length against the caller's maximum *before* allocating, so garbage
//! from a peer cannot make us reserve gigabytes, and then allocates as the bytes
//! arrive rather than all at once.

use crate::{Channel, NetError};

/// Sends `payload` as one frame (buffered; call `flush` before waiting).
pub fn send_frame<C: Channel + ?Sized>(channel: &mut C, payload: &[u8]) -> Result<(), NetError> {
    let len = u32::try_from(payload.len())
        .map_err(|_| NetError::FrameTooLarge { len: payload.len() as u64, max: u64::from(u32::MAX) })?;
    channel.send(&len.to_le_bytes())?;
    channel.send(payload)
}

/// [`send_frame`] of a buffer the caller gives away ([`Channel::send_vec`]: the
/// in-memory channel moves it to the peer; the bytes on the wire are the same).
pub fn send_frame_vec<C: Channel + ?Sized>(channel: &mut C, payload: Vec<u8>) -> Result<(), NetError> {
    let len = u32::try_from(payload.len())
        .map_err(|_| NetError::FrameTooLarge { len: payload.len() as u64, max: u64::from(u32::MAX) })?;
    channel.send(&len.to_le_bytes())?;
    channel.send_vec(payload)
}

/// The first piece of a frame is read into a buffer of at most this size; each
/// further piece at most doubles it.
const FIRST_PIECE: usize = 1 << 20;

/// Receives one frame of at most `max` bytes.
///
/// The buffer grows with the bytes that actually arrive (at most twice what was
/// received, plus 1 MiB), so a peer that announces a frame near a large `max` and then
/// stalls or disconnects does not make us allocate `max` bytes.
pub fn recv_frame<C: Channel + ?Sized>(channel: &mut C, max: usize) -> Result<Vec<u8>, NetError> {
    let len = recv_u32(channel)? as usize;
    if len > max {
        return Err(NetError::FrameTooLarge { len: len as u64, max: max as u64 });
    }
    let mut buf = Vec::with_capacity(len.min(FIRST_PIECE));
    while buf.len() < len {
        let start = buf.len();
        let piece = (len - start).min(start.max(FIRST_PIECE));
        buf.resize(start + piece, 0);
        channel.recv_exact(&mut buf[start..])?;
    }
    Ok(buf)
}

/// Sends a `u32`, little-endian.
pub fn send_u32<C: Channel + ?Sized>(channel: &mut C, value: u32) -> Result<(), NetError> {
    channel.send(&value.to_le_bytes())
}

/// Receives a `u32`, little-endian.
pub fn recv_u32<C: Channel + ?Sized>(channel: &mut C) -> Result<u32, NetError> {
    let mut buf = [0u8; 4];
    channel.recv_exact(&mut buf)?;
    Ok(u32::from_le_bytes(buf))
}

/// Sends a `u64`, little-endian.
pub fn send_u64<C: Channel + ?Sized>(channel: &mut C, value: u64) -> Result<(), NetError> {
    channel.send(&value.to_le_bytes())
}

/// Receives a `u64`, little-endian.
pub fn recv_u64<C: Channel + ?Sized>(channel: &mut C) -> Result<u64, NetError> {
    let mut buf = [0u8; 8];
    channel.recv_exact(&mut buf)?;
    Ok(u64::from_le_bytes(buf))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MemoryChannel;

    #[test]
    fn frames_round_trip_and_oversized_ones_are_refused() {
        let (mut a, mut b) = MemoryChannel::pair();
        send_frame(&mut a, b"hello").unwrap();
        send_u32(&mut a, u32::MAX).unwrap();
        send_u64(&mut a, 7).unwrap();
        a.flush().unwrap();
        assert_eq!(recv_frame(&mut b, 5).unwrap(), b"hello");
        let err = recv_frame(&mut b, 1 << 20).unwrap_err();
        assert!(matches!(err, NetError::FrameTooLarge { len, .. } if len == u64::from(u32::MAX)));
        assert_eq!(recv_u64(&mut b).unwrap(), 7);
    }
}
