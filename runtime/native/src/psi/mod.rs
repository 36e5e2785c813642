//! Private set intersection: ECDH on ristretto255 (this module) and the OT-based
//! KKRT16 protocol ([`kkrt`], for large sets), with one hello, one error type and
//! one result type.
//!
//! The PSI hello's mode byte names the protocol in its high nibble (0 ECDH, 1 KKRT),
//! so two parties that asked for different protocols refuse each other by name
//! ([`PsiError::ProtocolMismatch`]) before any set-dependent message.
//!
//! # ECDH
//!
//! Two parties with sets X and Y learn the intersection (both of them, or only the
//! listener) or only its size, and each learns the size of the other's set, nothing else, if both follow
//! the protocol (semi-honest security; under the DDH assumption in ristretto255 with
//! the hash modelled as a random oracle; Huberman-Franklin-Hogg 1999, Meadows 1986).
//!
//! Protocol (`L` = the listener, `C` = the connector; one message per arrow):
//! 0. `L -> C`, `C -> L`: the toolkit's common hello ([`mpc_net::hello`]: protocol
//!    `psi`, version [`VERSION`], a random 16-byte session id chosen by the listener
//!    and echoed by the connector), so a peer speaking another protocol of the
//!    toolkit is refused by name before any PSI message.
//! 1. `L -> C`, `C -> L`: [`Hello`] with a fresh 32-byte nonce, the mode and the set
//!    size, each one frame. The session id of the DST is SHA-512 over the common
//!    session id and both hellos in role order; the hash-to-group DST names the
//!    protocol and the session, so points from another session are useless here.
//! 2. `L -> C`: `A = shuffle({H(x)^a})` with a fresh secret scalar `a`.
//! 3. `C -> L`: `B = shuffle({H(y)^b})` and `A' = {P^b : P in A}`, in A's order for the
//!    intersection mode, shuffled again in the cardinality mode.
//! 4. `L -> C`: `B' = {Q^a : Q in B}`, likewise ordered or shuffled.
//!
//! `L` matches `A'` against `B'` (it knows which item each position of A' came
//! from), `C` matches `B'` against `A'`. In [`Mode::ListenerOnly`] step 4 is skipped
//! and only `L` learns the intersection. In cardinality mode the returned lists are
//! shuffled, so a party can count matches but not tell which of its items matched.
//!
//! Every message is encoded with [`mpc_net::codec`] (little-endian; only the RFC 9380
//! hash-to-curve inputs in `h2c` are big-endian, as the RFC specifies).
//!
//! Guarantees: scalars come from the caller's CSPRNG and are zeroized on drop; every
//! peer message is length-checked before allocation ([`MAX_SET_SIZE`] points) and
//! every point must decompress to a non-identity element, otherwise
//! [`PsiError::PeerMisbehaved`]. Hashing and exponentiation run in parallel batches
//! with rayon. Set sizes are revealed, as in every PSI of this kind.

pub mod cuckoo;
pub mod h2c;
pub mod items;
pub mod kkrt;
mod table;

use std::collections::HashSet;

use curve25519_dalek::ristretto::{CompressedRistretto, RistrettoPoint};
use curve25519_dalek::scalar::Scalar;
use mpc_net::codec::{CodecError, Reader, Writer};
use mpc_net::hello::{self as common, HelloError, Turn};
use mpc_net::{frame, Channel, NetError};
use rand_core::CryptoRngCore;
use rayon::prelude::*;
use sha2::{Digest, Sha512};
use zeroize::Zeroizing;

pub use h2c::{expand_message_xmd_sha512, hash_to_ristretto255};
pub use items::ItemSet;

/// The largest set either party may hold (2^22 items).
pub const MAX_SET_SIZE: usize = 1 << 22;
/// The longest item, in bytes.
pub const MAX_ITEM_LEN: usize = 4096;
/// Points per network frame.
const CHUNK: usize = 1 << 14;
/// The PSI protocol's version in the common hello (2: the common hello, then the
/// PSI hello as a little-endian frame; 3: KKRT's cuckoo table has 1.27 n bins and no
/// stash from 2^16 items, which changes the OPRF rows both sides expect).
pub const VERSION: u16 = 3;
/// The length of the PSI hello's frame (mode, nonce, set size).
const HELLO_LEN: usize = 1 + 32 + 8;

/// Errors of PSI.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PsiError {
    /// A local parameter is unusable.
    #[error("{0}")]
    InvalidParameter(String),
    /// A set has more items than [`MAX_SET_SIZE`].
    #[error("the set has {len} items, more than the limit of {max}")]
    SetTooLarge {
        /// Items.
        len: usize,
        /// Limit.
        max: usize,
    },
    /// An item is longer than [`MAX_ITEM_LEN`] bytes.
    #[error("an item is {len} bytes long, more than the limit of {max}")]
    ItemTooLong {
        /// Its length.
        len: usize,
        /// Limit.
        max: usize,
    },
    /// The two parties asked for different modes.
    #[error("the peer asked for {peer} but this party asked for {ours}")]
    ModeMismatch {
        /// Ours.
        ours: Mode,
        /// Theirs.
        peer: Mode,
    },
    /// The two parties asked for different protocols.
    #[error("the peer asked for PSI over {peer} but this party asked for {ours}")]
    ProtocolMismatch {
        /// Ours.
        ours: Protocol,
        /// Theirs.
        peer: Protocol,
    },
    /// Cuckoo hashing of the receiver's set overflowed its stash (KKRT; probability
    /// below 2^-40 per run for the sizes of [`cuckoo::Params`]).
    #[error("cuckoo hashing of the set failed (stash full, a 2^-40 event): run again")]
    HashingFailed,
    /// The peer sent something the protocol does not allow.
    #[error("the peer misbehaved: {0}")]
    PeerMisbehaved(String),
    /// The peer speaks another protocol of the toolkit, or another version of PSI.
    #[error(transparent)]
    WrongPeer(HelloError),
    /// The channel failed.
    #[error(transparent)]
    Net(#[from] NetError),
}

impl From<HelloError> for PsiError {
    fn from(err: HelloError) -> PsiError {
        match err {
            HelloError::Net(net) => PsiError::Net(net),
            HelloError::NotMpc => {
                PsiError::PeerMisbehaved("its first message is not an mpc hello".to_string())
            }
            HelloError::Malformed(e) => PsiError::PeerMisbehaved(format!("malformed hello: {e}")),
            HelloError::SessionId => PsiError::PeerMisbehaved(err.to_string()),
            other => PsiError::WrongPeer(other),
        }
    }
}

impl From<CodecError> for PsiError {
    fn from(err: CodecError) -> PsiError {
        PsiError::PeerMisbehaved(format!("malformed message: {err}"))
    }
}

/// Which PSI protocol runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Protocol {
    /// ECDH on ristretto255 (this module): every mode, small sets.
    #[default]
    Ecdh,
    /// KKRT16 OPRF-based PSI ([`kkrt`]): large sets, no cardinality mode.
    Kkrt,
}

impl std::fmt::Display for Protocol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Protocol::Ecdh => "ecdh",
            Protocol::Kkrt => "kkrt",
        })
    }
}

/// What the parties learn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Both parties learn the intersection.
    Intersection,
    /// Both parties learn only its size.
    Cardinality,
    /// Only the listener learns the intersection; the connector learns nothing but
    /// the listener's set size (step 4 is skipped).
    ListenerOnly,
}

impl std::fmt::Display for Mode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Mode::Intersection => "the intersection",
            Mode::Cardinality => "the cardinality only",
            Mode::ListenerOnly => "the intersection for the listener only",
        })
    }
}

/// Which end of the protocol this party plays (the listener speaks first).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// The party that listened for the connection.
    Listener,
    /// The party that connected.
    Connector,
}

/// The result of one run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PsiOutput {
    /// The intersection, sorted, without duplicates.
    Intersection(Vec<Vec<u8>>),
    /// Its size.
    Cardinality(usize),
    /// Nothing (the connector in [`Mode::ListenerOnly`]).
    Nothing,
}

/// What one run produced and cost.
#[derive(Clone, Debug)]
pub struct PsiReport {
    /// The result.
    pub output: PsiOutput,
    /// The size of the peer's set (revealed by the protocol).
    pub peer_set_size: usize,
    /// Bytes this party sent.
    pub bytes_sent: u64,
    /// Bytes it received.
    pub bytes_received: u64,
}

/// The PSI hello, after the common one: protocol and mode, nonce, set size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hello {
    /// The protocol asked for.
    pub protocol: Protocol,
    /// The mode asked for.
    pub mode: Mode,
    /// A fresh nonce.
    pub nonce: [u8; 32],
    /// The sender's set size.
    pub set_size: u64,
}

impl Hello {
    /// The wire form (41 bytes: protocol and mode `u8` (protocol in the high
    /// nibble, 0 ECDH, 1 KKRT; mode 1 intersection, 2 cardinality, 3 listener only),
    /// nonce, set size `u64`).
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::with_capacity(HELLO_LEN);
        let protocol = match self.protocol {
            Protocol::Ecdh => 0x00,
            Protocol::Kkrt => 0x10,
        };
        w.u8(protocol
            | match self.mode {
                Mode::Intersection => 1,
                Mode::Cardinality => 2,
                Mode::ListenerOnly => 3,
            })
        .raw(&self.nonce)
        .u64(self.set_size);
        w.into_bytes()
    }

    /// Parses and checks a hello.
    pub fn decode(bytes: &[u8]) -> Result<Hello, PsiError> {
        let mut r = Reader::new(bytes);
        let byte = r.u8("mode")?;
        let protocol = match byte >> 4 {
            0 => Protocol::Ecdh,
            1 => Protocol::Kkrt,
            _ => return Err(PsiError::PeerMisbehaved("it asked for an unknown protocol".into())),
        };
        let mode = match byte & 0x0f {
            1 => Mode::Intersection,
            2 => Mode::Cardinality,
            3 => Mode::ListenerOnly,
            _ => return Err(PsiError::PeerMisbehaved("it asked for an unknown mode".into())),
        };
        let nonce = r.array::<32>("nonce")?;
        let set_size = r.u64("set size")?;
        r.finish()?;
        if set_size > MAX_SET_SIZE as u64 {
            return Err(PsiError::PeerMisbehaved("it announced a set larger than the limit".into()));
        }
        Ok(Hello { protocol, mode, nonce, set_size })
    }
}

/// Sorts and deduplicates a set, checking the size and item limits.
pub fn prepare_set(mut items: Vec<Vec<u8>>) -> Result<Vec<Vec<u8>>, PsiError> {
    items.sort_unstable();
    items.dedup();
    if items.len() > MAX_SET_SIZE {
        return Err(PsiError::SetTooLarge { len: items.len(), max: MAX_SET_SIZE });
    }
    if let Some(item) = items.iter().find(|i| i.len() > MAX_ITEM_LEN) {
        return Err(PsiError::ItemTooLong { len: item.len(), max: MAX_ITEM_LEN });
    }
    Ok(items)
}

/// The domain-separation tag of a session: it names the protocol, the hash-to-curve
/// suite and the session id.
pub fn session_dst(session: &[u8; 16], listener: &Hello, connector: &Hello) -> Vec<u8> {
    let mut h = Sha512::new();
    h.update(b"mpc-psi-v2 session");
    h.update(session);
    h.update(listener.encode());
    h.update(connector.encode());
    let sid = h.finalize();
    let mut dst = b"mpc-psi-v2-ristretto255_XMD:SHA-512_R255MAP_RO_session-".to_vec();
    dst.extend_from_slice(hex::encode(&sid[..16]).as_bytes());
    dst
}

/// `H(item)^scalar`, compressed, for every item (parallel).
pub fn mask_items(items: &[Vec<u8>], dst: &[u8], scalar: &Scalar) -> Result<Vec<[u8; 32]>, PsiError> {
    items
        .par_iter()
        .map(|item| Ok((hash_to_ristretto255(item, dst)? * scalar).compress().to_bytes()))
        .collect()
}

/// `P^scalar` for every received point (parallel); rejects encodings that are not
/// canonical ristretto255 points and the identity.
pub fn remask(points: &[[u8; 32]], scalar: &Scalar) -> Result<Vec<[u8; 32]>, PsiError> {
    points
        .par_iter()
        .map(|bytes| {
            let p: RistrettoPoint = CompressedRistretto(*bytes)
                .decompress()
                .ok_or_else(|| PsiError::PeerMisbehaved("it sent an invalid group element".into()))?;
            let q = p * scalar;
            if q == RistrettoPoint::default() {
                return Err(PsiError::PeerMisbehaved("it sent the identity element".into()));
            }
            Ok(q.compress().to_bytes())
        })
        .collect()
}

/// A uniform shuffle (Fisher-Yates with rejection sampling).
pub fn shuffle<T, R: CryptoRngCore + ?Sized>(items: &mut [T], rng: &mut R) {
    for i in (1..items.len()).rev() {
        let n = (i + 1) as u64;
        let zone = u64::MAX - (u64::MAX % n);
        let j = loop {
            let v = rng.next_u64();
            if v < zone {
                break v % n;
            }
        };
        items.swap(i, j as usize);
    }
}

fn send_points<C: Channel + ?Sized>(ch: &mut C, points: &[[u8; 32]]) -> Result<(), PsiError> {
    frame::send_u64(ch, points.len() as u64)?;
    for chunk in points.chunks(CHUNK) {
        let mut buf = Vec::with_capacity(chunk.len() * 32);
        for p in chunk {
            buf.extend_from_slice(p);
        }
        frame::send_frame(ch, &buf)?;
    }
    Ok(())
}

/// A point-list frame of exactly `n` compressed points.
pub fn decode_points(bytes: &[u8], n: usize) -> Result<Vec<[u8; 32]>, PsiError> {
    if bytes.len() != n.saturating_mul(32) {
        return Err(PsiError::PeerMisbehaved("it sent a point list frame of the wrong length".into()));
    }
    let mut r = Reader::new(bytes);
    let points = (0..n).map(|_| r.array::<32>("point")).collect::<Result<Vec<_>, _>>()?;
    r.finish()?;
    Ok(points)
}

fn recv_points<C: Channel + ?Sized>(ch: &mut C, expected: usize) -> Result<Vec<[u8; 32]>, PsiError> {
    let n = frame::recv_u64(ch)?;
    if n != expected as u64 {
        return Err(PsiError::PeerMisbehaved(format!("it sent {n} points where {expected} were due")));
    }
    let mut out = Vec::with_capacity(expected);
    while out.len() < expected {
        let want = (expected - out.len()).min(CHUNK);
        let buf = frame::recv_frame(ch, CHUNK * 32)?;
        if buf.len() != want * 32 {
            return Err(PsiError::PeerMisbehaved("it sent a point list frame of the wrong length".into()));
        }
        out.extend(decode_points(&buf, want)?);
    }
    Ok(out)
}

/// Runs one party of the PSI over `channel`. `items` need not be sorted or
/// deduplicated; they are prepared with [`prepare_set`].
pub fn run<C: Channel + ?Sized, R: CryptoRngCore + ?Sized>(
    channel: &mut C,
    role: Role,
    mode: Mode,
    items: Vec<Vec<u8>>,
    rng: &mut R,
) -> Result<PsiReport, PsiError> {
    let items = prepare_set(items)?;
    let (sent0, recv0) = (channel.bytes_sent(), channel.bytes_received());
    let agreed = exchange_hellos(channel, role, Protocol::Ecdh, mode, items.len(), rng)?;
    let peer_size = agreed.peer.set_size as usize; // <= MAX_SET_SIZE, checked by decode
    let dst = match role {
        Role::Listener => session_dst(&agreed.session, &agreed.ours, &agreed.peer),
        Role::Connector => session_dst(&agreed.session, &agreed.peer, &agreed.ours),
    };
    let scalar = Zeroizing::new(Scalar::random(rng));

    // Our masked set, in a random order we remember.
    let mut order: Vec<usize> = (0..items.len()).collect();
    shuffle(&mut order, rng);
    let shuffled: Vec<Vec<u8>> = order.iter().map(|&i| items[i].clone()).collect();
    let ours_masked = mask_items(&shuffled, &dst, &scalar)?;

    // `ours_double`: our points raised to both scalars (from the peer, in our order
    // unless the mode shuffles); `theirs_double`: the peer's, computed by us.
    let (ours_double, theirs_double) = match role {
        Role::Listener => {
            send_points(channel, &ours_masked)?;
            channel.flush()?;
            let theirs = recv_points(channel, peer_size)?;
            let ours_double = recv_points(channel, items.len())?;
            let mut theirs_double = remask(&theirs, &scalar)?;
            if mode == Mode::Cardinality {
                shuffle(&mut theirs_double, rng);
            }
            if mode != Mode::ListenerOnly {
                send_points(channel, &theirs_double)?;
                channel.flush()?;
            }
            (ours_double, theirs_double)
        }
        Role::Connector => {
            let theirs = recv_points(channel, peer_size)?;
            let mut theirs_double = remask(&theirs, &scalar)?;
            if mode == Mode::Cardinality {
                shuffle(&mut theirs_double, rng);
            }
            send_points(channel, &ours_masked)?;
            send_points(channel, &theirs_double)?;
            channel.flush()?;
            if mode == Mode::ListenerOnly {
                return Ok(PsiReport {
                    output: PsiOutput::Nothing,
                    peer_set_size: peer_size,
                    bytes_sent: channel.bytes_sent() - sent0,
                    bytes_received: channel.bytes_received() - recv0,
                });
            }
            let ours_double = recv_points(channel, items.len())?;
            (ours_double, theirs_double)
        }
    };
    let theirs: HashSet<[u8; 32]> = theirs_double.into_iter().collect();
    let output = match mode {
        Mode::Cardinality => {
            PsiOutput::Cardinality(ours_double.iter().filter(|p| theirs.contains(*p)).count())
        }
        Mode::Intersection | Mode::ListenerOnly => {
            let mut out: Vec<Vec<u8>> = ours_double
                .iter()
                .zip(&shuffled)
                .filter(|(p, _)| theirs.contains(*p))
                .map(|(_, item)| item.clone())
                .collect();
            out.sort_unstable();
            PsiOutput::Intersection(out)
        }
    };
    Ok(PsiReport {
        output,
        peer_set_size: peer_size,
        bytes_sent: channel.bytes_sent() - sent0,
        bytes_received: channel.bytes_received() - recv0,
    })
}

/// What the two hellos settled: the common session id and both PSI hellos.
#[derive(Clone, Copy, Debug)]
pub struct Agreed {
    /// The common hello's session id (chosen by the listener).
    pub session: [u8; 16],
    /// Our PSI hello.
    pub ours: Hello,
    /// The peer's, checked to ask for the same protocol and mode.
    pub peer: Hello,
}

/// Steps 0 and 1 of every PSI protocol: the common hello, then the PSI hellos (the
/// listener's first); refuses a peer that asked for another protocol or mode.
pub fn exchange_hellos<C: Channel + ?Sized, R: CryptoRngCore + ?Sized>(
    channel: &mut C,
    role: Role,
    protocol: Protocol,
    mode: Mode,
    set_size: usize,
    rng: &mut R,
) -> Result<Agreed, PsiError> {
    let mut session = [0u8; 16];
    rng.fill_bytes(&mut session);
    let turn = match role {
        Role::Listener => Turn::First,
        Role::Connector => Turn::Second,
    };
    let session = common::exchange(
        channel,
        &common::Hello { protocol: common::Protocol::Psi, version: VERSION, session },
        turn,
    )?
    .session;
    let mut nonce = [0u8; 32];
    rng.fill_bytes(&mut nonce);
    let ours = Hello { protocol, mode, nonce, set_size: set_size as u64 };
    let recv_hello = |ch: &mut C| -> Result<Hello, PsiError> {
        match frame::recv_frame(ch, HELLO_LEN) {
            Ok(body) => Hello::decode(&body),
            Err(NetError::FrameTooLarge { len, .. }) => {
                Err(PsiError::PeerMisbehaved(format!("it announced a hello of {len} bytes")))
            }
            Err(e) => Err(e.into()),
        }
    };
    let peer = match role {
        Role::Listener => {
            frame::send_frame(channel, &ours.encode())?;
            channel.flush()?;
            recv_hello(channel)?
        }
        Role::Connector => {
            let peer = recv_hello(channel)?;
            frame::send_frame(channel, &ours.encode())?;
            channel.flush()?;
            peer
        }
    };
    if peer.protocol != protocol {
        return Err(PsiError::ProtocolMismatch { ours: protocol, peer: peer.protocol });
    }
    if peer.mode != mode {
        return Err(PsiError::ModeMismatch { ours: mode, peer: peer.mode });
    }
    Ok(Agreed { session, ours, peer })
}
