//! IKNP OT extension (semi-honest): the shared core under [`crate::cot`],
//! [`crate::rot`] and [`crate::chosen`], and its messages.
//!
//! Roles: the extension *sender* holds a secret 128-bit `s` (for correlated OT, the
//! garbler's `Delta`); the extension *receiver* (chooser) holds choice bits `r`.
//!
//! Setup, one round trip, 128 base OTs in which the roles are swapped:
//! 1. receiver: base-OT sender, sends [`SetupOffer`] (its point);
//! 2. sender: base-OT receiver with choice bits = the bits of `s`, gets `k_j^{s_j}`
//!    and replies [`SetupAnswer`]; the receiver finishes with both `k_j^0, k_j^1`.
//!
//! Each key seeds an AES-CTR stream (that of `mpc_crypto::Prg` with the key as seed)
//! which is one matrix column; the 128 streams run in lock step
//! ([`mpc_crypto::columns::ColumnPrgs`], which also does the XOR with `u` and writes
//! the matrix tile by tile for the transpose) and continue across batches, so no PRG
//! output is ever used twice.
//!
//! One batch of `n` OTs, one message (`m = n` rounded up to a multiple of 128):
//! the receiver draws `t_j = G(k_j^0)` and sends [`Extend`] with
//! `u_j = t_j ^ G(k_j^1) ^ r` (128 columns of `m` bits: 16 bytes per OT); the sender
//! computes `q_j = G(k_j^{s_j}) ^ s_j * u_j = t_j ^ s_j * r`. Transposing (128x128
//! tiles, [`crate::transpose`]) gives rows with `Q_i = T_i ^ r_i * s`: a correlated
//! OT. Padding rows are dropped. [`Extend`] also carries the index of its first OT so
//! that a lost or reordered batch is an error, not silently wrong labels.
//!
//! Guarantees: the sender's use of `s_j` and the receiver's use of `r_i` are branch
//! free; decoding checks the tag, the count, the first index and the exact length.

use mpc_crypto::columns::ColumnPrgs;
use mpc_crypto::transpose::transpose_tiles_append;
use mpc_crypto::Block;
use zeroize::Zeroize;

use crate::base;
use crate::error::{OtError, Result};
use crate::transpose::transpose128;
use crate::wire::Reader;
use crate::MAX_BATCH;

/// Number of base OTs (the security parameter kappa).
pub const BASE_OTS: usize = 128;
/// Tiles (of 128 OTs) processed together: the chunk's matrix (2 KiB per tile) stays
/// in L1 between the column PRGs that write it and the transpose that reads it.
const CHUNK_TILES: usize = 16;
const TAG_EXTEND: u8 = 0xE1;

/// Setup message 1 (extension receiver to extension sender).
#[derive(Debug, Clone)]
pub struct SetupOffer(pub(crate) base::SenderSetup);

impl SetupOffer {
    /// The wire encoding (that of [`base::SenderSetup`]).
    pub fn to_bytes(&self) -> Vec<u8> {
        self.0.to_bytes()
    }

    /// Checked decoding.
    pub fn from_bytes(bytes: &[u8]) -> Result<SetupOffer> {
        base::SenderSetup::from_bytes(bytes).map(SetupOffer)
    }
}

/// Setup message 2 (extension sender to extension receiver).
#[derive(Debug, Clone)]
pub struct SetupAnswer(pub(crate) base::ReceiverReply);

impl SetupAnswer {
    /// The wire encoding (that of [`base::ReceiverReply`]).
    pub fn to_bytes(&self) -> Vec<u8> {
        self.0.to_bytes()
    }

    /// Checked decoding.
    pub fn from_bytes(bytes: &[u8]) -> Result<SetupAnswer> {
        base::ReceiverReply::from_bytes(bytes).map(SetupAnswer)
    }
}

/// One extension batch (receiver to sender): the masked columns `u_j`.
///
/// Wire encoding: tag `0xE1`, `u32` count `n`, `u64` index of the first OT (both
/// little-endian), then the 128 columns `u_0 .. u_127` in order, each `ceil(n / 128)`
/// blocks of 16 bytes: bit `b` of block `w` of `u_j` is entry `128 w + b` of `u_j`.
///
/// The value keeps its (validated) encoding, so [`Extend::as_bytes`] and
/// [`Extend::into_bytes`] cost nothing.
#[derive(Clone)]
pub struct Extend {
    n: usize,
    first: u64,
    bytes: Vec<u8>,
}

impl core::fmt::Debug for Extend {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Extend").field("n", &self.n).field("first", &self.first).finish_non_exhaustive()
    }
}

/// Bytes before the columns in an [`Extend`] encoding.
pub const EXTEND_HEADER_LEN: usize = 13;

impl Extend {
    const WHAT: &'static str = "OT extension";

    /// The number of OTs in this batch.
    pub fn len(&self) -> usize {
        self.n
    }

    /// Whether the batch is empty.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// The index (in the session) of this batch's first OT.
    pub fn first_index(&self) -> u64 {
        self.first
    }

    /// The size of the encoding of a batch of `n` OTs: 13 + 2048 * ceil(n / 128) bytes.
    pub fn encoded_len_for(n: usize) -> usize {
        EXTEND_HEADER_LEN + 16 * BASE_OTS * n.div_ceil(128)
    }

    /// The size of this message's encoding in bytes.
    pub fn encoded_len(&self) -> usize {
        self.bytes.len()
    }

    /// The wire encoding (a copy; see [`Extend::as_bytes`]).
    pub fn to_bytes(&self) -> Vec<u8> {
        self.bytes.clone()
    }

    /// The wire encoding, borrowed.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The wire encoding, moved out.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    /// Checked decoding: tag, count within [`MAX_BATCH`], exact length.
    pub fn from_bytes(bytes: &[u8]) -> Result<Extend> {
        let (n, first) = Self::check(bytes)?;
        Ok(Extend { n, first, bytes: bytes.to_vec() })
    }

    /// The message of our own encoding `bytes` (made by [`ExtReceiver::extend_packed`]
    /// for `n` OTs from OT `first`; not validated again).
    pub(crate) fn from_parts(n: usize, first: u64, bytes: Vec<u8>) -> Extend {
        Extend { n, first, bytes }
    }

    /// [`Extend::from_bytes`] without copying the buffer.
    pub fn from_vec(bytes: Vec<u8>) -> Result<Extend> {
        let (n, first) = Self::check(&bytes)?;
        Ok(Extend { n, first, bytes })
    }

    /// Validates an encoding; returns its count and first index.
    fn check(bytes: &[u8]) -> Result<(usize, u64)> {
        let mut r = Reader::new(Self::WHAT, bytes, TAG_EXTEND)?;
        let n = r.count()?;
        if n > MAX_BATCH {
            return Err(r.malformed(format!("{n} OTs is more than the limit {MAX_BATCH}")));
        }
        let mut first = [0u8; 8];
        first.copy_from_slice(r.take(8)?);
        r.expect_remaining(Self::encoded_len_for(n) - EXTEND_HEADER_LEN)?;
        Ok((n, u64::from_le_bytes(first)))
    }
}

/// The extension receiver before the setup answer: the base-OT sender state.
#[derive(Debug)]
pub(crate) struct ReceiverSetup(base::Sender);

/// Starts the receiver's setup.
pub(crate) fn receiver_setup<R: rand_core::RngCore + rand_core::CryptoRng>(
    rng: &mut R,
) -> (ReceiverSetup, SetupOffer) {
    // `new` refuses only counts above MAX_BATCH, and BASE_OTS = 128 is below it.
    let (s, m) = base::Sender::new(rng, BASE_OTS).expect("BASE_OTS is within MAX_BATCH");
    (ReceiverSetup(s), SetupOffer(m))
}

impl ReceiverSetup {
    /// Finishes the setup with the sender's answer.
    pub(crate) fn finish(self, answer: &SetupAnswer) -> Result<ExtReceiver> {
        let keys = self.0.finish(&answer.0)?;
        ExtReceiver::from_base_keys(&keys)
    }
}

impl ExtReceiver {
    /// The extension receiver from the base-OT sender's key pairs `k_j^0, k_j^1`
    /// (exactly [`BASE_OTS`] of them), however they were obtained: the base OTs of
    /// [`ReceiverSetup::finish`] or random OTs bootstrapped from another extension
    /// (`crate::kos`).
    pub(crate) fn from_base_keys(keys: &[[Block; 2]]) -> Result<ExtReceiver> {
        if keys.len() != BASE_OTS {
            return Err(OtError::InvalidArgument(format!("{} base OTs, expected {BASE_OTS}", keys.len())));
        }
        // The keys gathered on the stack for the schedules are wiped after use.
        let mut k: [Block; BASE_OTS] = core::array::from_fn(|j| keys[j][0]);
        let p0 = ColumnPrgs::new(&k);
        k = core::array::from_fn(|j| keys[j][1]);
        let p1 = ColumnPrgs::new(&k);
        k.zeroize();
        Ok(ExtReceiver { p0, p1, next: 0, scratch: vec![Block::ZERO; BASE_OTS * CHUNK_TILES] })
    }
}

/// The set-up extension receiver: the column PRGs of `k_j^0` and of `k_j^1`, and the
/// next OT index (`next / 128` blocks of every column stream are used).
pub(crate) struct ExtReceiver {
    p0: ColumnPrgs,
    p1: ColumnPrgs,
    next: u64,
    /// The `t` matrix of one chunk, tile-major ([`ColumnPrgs::receiver_chunk`]), kept
    /// to avoid a fresh allocation (and its page faults) per batch; zeroized on drop.
    scratch: Vec<Block>,
}

impl Drop for ExtReceiver {
    fn drop(&mut self) {
        self.scratch.zeroize();
    }
}

impl core::fmt::Debug for ExtReceiver {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ExtReceiver").field("next", &self.next).finish_non_exhaustive()
    }
}

impl ExtReceiver {
    /// Index of the next OT (the tweak base of the next batch).
    pub(crate) fn next_index(&self) -> u64 {
        self.next
    }

    /// Runs one batch: returns the message for the sender and `T_i` for each choice.
    pub(crate) fn extend(&mut self, choices: &[bool]) -> Result<(Extend, Vec<Block>)> {
        let mut bytes = Vec::new();
        let mut rows = Vec::new();
        self.extend_into(choices, &mut bytes, &mut rows)?;
        let first = self.next - (128 * choices.len().div_ceil(128)) as u64;
        Ok((Extend { n: choices.len(), first, bytes }, rows))
    }

    /// [`Self::extend`] into caller buffers (cleared first): `msg` gets the encoding of
    /// the [`Extend`] message, `rows` the `T_i`. Reusing the buffers across batches
    /// avoids fresh allocations and their page faults.
    pub(crate) fn extend_into(
        &mut self,
        choices: &[bool],
        msg: &mut Vec<u8>,
        rows: &mut Vec<Block>,
    ) -> Result<()> {
        let mut r = pack_bits(choices);
        let done = self.extend_packed(&r, choices.len(), msg, rows);
        r.zeroize();
        done
    }

    /// [`Self::extend_into`] with the `n` choices packed as by [`pack_bits`]
    /// (`n.div_ceil(128)` words, bits from `n` on zero).
    pub(crate) fn extend_packed(
        &mut self,
        r: &[u128],
        n: usize,
        msg: &mut Vec<u8>,
        rows: &mut Vec<Block>,
    ) -> Result<()> {
        if n > MAX_BATCH {
            return Err(OtError::InvalidArgument(format!("{n} OTs in one batch is more than {MAX_BATCH}")));
        }
        let tiles = n.div_ceil(128);
        if r.len() != tiles {
            return Err(OtError::InvalidArgument(format!("{} words of choices for {n} OTs", r.len())));
        }
        msg.clear();
        msg.resize(Extend::encoded_len_for(n), 0);
        msg[0] = TAG_EXTEND;
        // n <= MAX_BATCH < 2^32.
        msg[1..5].copy_from_slice(&(n as u32).to_le_bytes());
        msg[5..13].copy_from_slice(&self.next.to_le_bytes());
        let u = &mut msg[EXTEND_HEADER_LEN..];
        rows.clear();
        rows.reserve(128 * tiles);
        let counter = u128::from(self.next / 128);
        for w0 in (0..tiles).step_by(CHUNK_TILES) {
            let c = CHUNK_TILES.min(tiles - w0);
            let t = &mut self.scratch[..128 * c];
            // Column `j` of the chunk starts at byte `16 (j tiles + w0)` of `u`.
            self.p0.receiver_chunk(
                &self.p1,
                counter + w0 as u128,
                &r[w0..w0 + c],
                t,
                &mut u[16 * w0..],
                16 * tiles,
            );
            transpose_tiles_append(t, rows);
        }
        rows.truncate(n);
        self.next += (128 * tiles) as u64;
        Ok(())
    }
}

/// The set-up extension sender: `s`, the column PRGs of `k_j^{s_j}`, and the next OT
/// index (`next / 128` blocks of every column stream are used).
pub(crate) struct ExtSender {
    s: Block,
    prgs: ColumnPrgs,
    next: u64,
    /// The `q` matrix of one chunk (tile-major), kept across batches; zeroized on drop.
    scratch: Vec<Block>,
}

impl core::fmt::Debug for ExtSender {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ExtSender").field("next", &self.next).finish_non_exhaustive()
    }
}

impl Drop for ExtSender {
    fn drop(&mut self) {
        self.s.zeroize();
        self.scratch.zeroize();
    }
}

/// The sender's whole setup: answers the offer using the bits of `s` as base-OT choices.
pub(crate) fn sender_setup<R: rand_core::RngCore + rand_core::CryptoRng>(
    rng: &mut R,
    s: Block,
    offer: &SetupOffer,
) -> Result<(ExtSender, SetupAnswer)> {
    let bits: Vec<bool> = (0..BASE_OTS).map(|j| (s.to_u128() >> j) & 1 == 1).collect();
    let (reply, keys) = base::receive(rng, &offer.0, &bits)?;
    Ok((sender_from_base_keys(s, &keys)?, SetupAnswer(reply)))
}

/// The extension sender with secret `s` from the base-OT receiver's keys `k_j^{s_j}`
/// (exactly [`BASE_OTS`], chosen by the bits of `s`), however they were obtained: the
/// base OTs of [`sender_setup`] or random OTs bootstrapped from another extension
/// (`crate::kos`).
pub(crate) fn sender_from_base_keys(s: Block, keys: &[Block]) -> Result<ExtSender> {
    if keys.len() != BASE_OTS {
        return Err(OtError::InvalidArgument(format!("{} base OTs, expected {BASE_OTS}", keys.len())));
    }
    // The keys gathered on the stack for the schedules are wiped after use.
    let mut k: [Block; BASE_OTS] = core::array::from_fn(|j| keys[j]);
    let prgs = ColumnPrgs::new(&k);
    k.zeroize();
    let scratch = vec![Block::ZERO; BASE_OTS * CHUNK_TILES];
    Ok(ExtSender { s, prgs, next: 0, scratch })
}

impl ExtSender {
    /// The secret `s` (the correlation).
    pub(crate) fn s(&self) -> Block {
        self.s
    }

    /// Index of the next OT (the tweak base of the next batch).
    pub(crate) fn next_index(&self) -> u64 {
        self.next
    }

    /// Runs one batch of `n` OTs: returns `Q_i` with `Q_i = T_i ^ r_i * s`.
    pub(crate) fn extend(&mut self, n: usize, msg: &Extend) -> Result<Vec<Block>> {
        let mut rows = Vec::new();
        self.extend_into(n, msg.as_bytes(), &mut rows)?;
        Ok(rows)
    }

    /// [`Self::extend`] from the raw encoding of an [`Extend`] message (validated here),
    /// into a caller buffer (cleared first). The state is unchanged on error.
    pub(crate) fn extend_into(&mut self, n: usize, msg: &[u8], rows: &mut Vec<Block>) -> Result<()> {
        self.extend_into_with(n, msg, rows, |_| {})
    }

    /// [`Self::extend_into`], calling `each` on every chunk of new rows (in order, the
    /// first `n` rows only) while the chunk is still in cache: the KOS check sums
    /// over them here instead of reading the whole batch again afterwards.
    pub(crate) fn extend_into_with(
        &mut self,
        n: usize,
        msg: &[u8],
        rows: &mut Vec<Block>,
        mut each: impl FnMut(&[Block]),
    ) -> Result<()> {
        let (got, first) = Extend::check(msg)?;
        if got != n {
            return Err(OtError::CountMismatch { what: Extend::WHAT, expected: n, got });
        }
        if first != self.next {
            return Err(OtError::Malformed {
                what: Extend::WHAT,
                reason: format!(
                    "batch starts at OT {first} but this side is at OT {} (a batch was lost or reordered)",
                    self.next
                ),
            });
        }
        let tiles = n.div_ceil(128);
        let u = &msg[EXTEND_HEADER_LEN..];
        rows.clear();
        rows.reserve(128 * tiles);
        let counter = u128::from(self.next / 128);
        for w0 in (0..tiles).step_by(CHUNK_TILES) {
            let c = CHUNK_TILES.min(tiles - w0);
            let q = &mut self.scratch[..128 * c];
            self.prgs.sender_chunk(self.s, counter + w0 as u128, c, &u[16 * w0..], 16 * tiles, q);
            let from = rows.len();
            transpose_tiles_append(q, rows);
            let to = rows.len().min(n);
            if from < to {
                each(&rows[from..to]);
            }
        }
        rows.truncate(n);
        self.next += (128 * tiles) as u64;
        Ok(())
    }
}

/// Decodes consecutive 16-byte little-endian blocks (a trailing partial block, which
/// callers rule out by checking the length first, is ignored).
pub(crate) fn decode_blocks(bytes: &[u8]) -> Vec<Block> {
    bytes
        .chunks_exact(16)
        .map(|c| {
            let mut a = [0u8; 16];
            a.copy_from_slice(c);
            Block::from_bytes(a)
        })
        .collect()
}

/// Transposes a chunk of `c` tiles: `cols[j * c + k]` is block `k` of column `j`;
/// `rows[128 k + i]` gets bit `j` of row `128 k + i` from bit `i` of that block.
/// Shared with [`crate::softspoken`].
pub(crate) fn transpose_chunk(cols: &[Block], c: usize, rows: &mut [Block]) {
    for (k, tile) in rows.chunks_exact_mut(128).enumerate().take(c) {
        for (j, x) in tile.iter_mut().enumerate() {
            *x = cols[j * c + k];
        }
        // `chunks_exact_mut(128)` yields exactly 128 blocks; `Block` is `repr(transparent)`
        // over `u128`, so the cast cannot fail.
        let words: &mut [u128; 128] =
            bytemuck::cast_slice_mut::<Block, u128>(tile).try_into().expect("a tile is 128 words");
        transpose128(words);
    }
}

/// Packs bits into 128-bit words, bit `i` at bit `i % 128` of word `i / 128`; the last
/// word is zero-padded. Shared with [`crate::softspoken`].
pub(crate) fn pack_bits(bits: &[bool]) -> Vec<u128> {
    let mut out = vec![0u128; bits.len().div_ceil(128)];
    for (o, chunk) in out.iter_mut().zip(bits.chunks(128)) {
        // Eight bools (bytes 0 or 1) at a time: the multiply gathers byte `i`'s bit
        // into bit `56 + i` with no carries (the partial products' positions are
        // distinct), so the top byte is the eight bits in order.
        let bytes: &[u8] = bytemuck::cast_slice(chunk);
        let mut word = 0u128;
        for (i, eight) in bytes.chunks(8).enumerate() {
            let mut b = [0u8; 8];
            b[..eight.len()].copy_from_slice(eight);
            let packed = u64::from_le_bytes(b).wrapping_mul(0x0102_0408_1020_4080) >> 56;
            word |= u128::from(packed) << (8 * i);
        }
        *o = word;
    }
    out
}

/// The first `n` bits of packed words (bit `i` at bit `i % 128` of word `i / 128`,
/// as [`pack_bits`] makes them) as bools; `words` must hold at least `n` bits.
pub(crate) fn unpack_bits(words: &[u128], n: usize) -> Vec<bool> {
    // Shifts and masks only: the bits are a party's secret choices, so no table
    // indexed by them (a cache-timing channel).
    let mut out = vec![false; n];
    let bytes = words.iter().flat_map(|w| w.to_le_bytes());
    for (o, byte) in out.chunks_mut(8).zip(bytes) {
        for (k, b) in o.iter_mut().enumerate() {
            *b = (byte >> k) & 1 == 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unpack_bits_inverts_pack_bits() {
        for n in [0usize, 1, 7, 8, 9, 127, 128, 129, 300] {
            let bits: Vec<bool> = (0..n).map(|i| (i * 5 + i / 7) % 3 == 0).collect();
            assert_eq!(unpack_bits(&pack_bits(&bits), n), bits, "n {n}");
        }
    }

    #[test]
    fn pack_bits_matches_the_bitwise_definition() {
        for n in [0usize, 1, 63, 64, 65, 127, 128, 129, 300] {
            let bits: Vec<bool> = (0..n).map(|i| (i * 7 + i / 3) % 5 < 2).collect();
            let packed = pack_bits(&bits);
            assert_eq!(packed.len(), n.div_ceil(128));
            for (w, &word) in packed.iter().enumerate() {
                for b in 0..128 {
                    let i = 128 * w + b;
                    let expect = i < n && bits[i];
                    assert_eq!((word >> b) & 1 == 1, expect, "n {n}, bit {i}");
                }
            }
        }
    }
}
