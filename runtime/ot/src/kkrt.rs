//! The KKRT16 batched OPRF (Kolesnikov, Kumaresan, Rosulek, Trieu, "Efficient Batched
//! Oblivious PRF with Applications to Private Set Intersection", CCS 2016, eprint
//! 2016/799, its BaRK-OPRF construction; see docs/native.md for what was checked against
//! what): 1-out-of-many OT extension with a 512-bit pseudorandom code, as a sans-IO state
//! machine. The PSI on top of it lives in `mpc-native` (`psi::kkrt`).
//!
//! Roles: the OPRF *sender* holds a secret `s` of [`WIDTH`] = 512 bits; the OPRF
//! *receiver* holds one input `r_i` per row. After the run, for every row `i`, the
//! sender can evaluate `F_i(x) = H(i, Q_i ^ (C(x) & s))` for any `x`, and the receiver
//! knows `F_i(r_i) = H(i, T_i)`, and nothing else of `F_i`.
//!
//! Setup (one round trip): [`WIDTH`] Chou-Orlandi base OTs ([`crate::base`]) with the
//! roles swapped: the OPRF receiver is the base-OT sender and gets `k_j^0, k_j^1`; the
//! OPRF sender chooses with the bits of `s` and gets `k_j^{s_j}`. Each key seeds an
//! AES-CTR [`Prg`] whose stream is one column of a `rows x 512` bit matrix; the streams
//! continue across chunks.
//!
//! One chunk of rows (one message, receiver to sender), in the *row* domain so that the
//! sender needs one transpose and no column gathering of the code words:
//! `t_j = G(k_j^0)`, `g_j = G(k_j^1)` (columns); the receiver transposes both, giving
//! rows `T_i` and `V_i = T_i ^ G_i`, and sends `U_i = V_i ^ C(r_i)` (64 bytes a row).
//! The sender transposes its columns `G(k_j^{s_j})` into rows `P_i` and sets
//! `Q_i = P_i ^ (U_i & s)`. Bit `j`: if `s_j = 0`, `q = t`; if `s_j = 1`,
//! `q = g ^ t ^ g ^ c = t ^ c`; so `Q_i = T_i ^ (C(r_i) & s)`, KKRT16's relation.
//!
//! The code `C` ([`Code`]) is AES-128 under four session keys applied to a 128-bit
//! input: a pseudorandom code of width 512 (KKRT16 ask for a pseudorandom code whose
//! outputs are at distance >= kappa except with negligible probability; the authors'
//! implementation uses widths of 424 to 448 bits by set size, we use 512).
//!
//! The output hash `H` ([`hash_rows`]) is SHA-256 with domain separation, truncated to
//! 128 bits: `H(i, row) = SHA-256(D || le64(i) || row)[..16]`, where `D` is the
//! 64-byte constant [`HASH_DOMAIN`] (one whole SHA-256 block, so its compression is
//! done once per call and every hash costs two compressions, on SHA-NI where the CPU
//! has it). KKRT16's proof asks of `H` that it be correlation robust for Hamming
//! correlations, which a random oracle is; SHA-256 is the usual stand-in for a random
//! oracle (the authors' own implementation uses SHA-1 over the hash index and the
//! row). The row index `i` in the input separates the OPRF instances; `D` separates
//! this use of SHA-256 from every other in the toolkit.
//!
//! Security: semi-honest, kappa = 128, with `H` modelled as a random oracle.
//! Guarantees: decoding checks the exact length of every chunk; the sender's `s` and
//! the PRG states are zeroized on drop; chunks must come in order and are sized by the
//! caller on both sides (the row count of the session is fixed before the first
//! chunk).

use mpc_crypto::aes::FixedKeyAes;
use mpc_crypto::{Block, Prg};
use rand_core::{CryptoRng, RngCore};
use zeroize::Zeroize;

use crate::base;
use crate::error::{OtError, Result};
use crate::transpose::transpose128;

/// Width of the code in bits (the number of base OTs).
pub const WIDTH: usize = 512;
/// 128-bit blocks per row.
pub const ROW_BLOCKS: usize = WIDTH / 128;
/// Bytes per row on the wire.
pub const ROW_BYTES: usize = WIDTH / 8;
/// One row of the OPRF matrix: `WIDTH` bits as four blocks (block `k` holds bits
/// `128 k .. 128 k + 127`).
pub type Row = [Block; ROW_BLOCKS];

/// Rows per chunk (64 tiles of 128): 512 KiB per message, and the working set of one
/// chunk (two column buffers) stays near the L2 size.
pub const CHUNK_ROWS: usize = 128 * 64;

/// The pseudorandom code: `C(x) = (AES_{k0}(x), AES_{k1}(x), AES_{k2}(x), AES_{k3}(x))`.
#[derive(Clone)]
pub struct Code {
    aes: [FixedKeyAes; ROW_BLOCKS],
}

impl core::fmt::Debug for Code {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Code { .. }")
    }
}

impl Code {
    /// The code under four keys (public in the semi-honest protocol: both parties
    /// derive them from the session).
    pub fn new(keys: [Block; ROW_BLOCKS]) -> Code {
        Code { aes: keys.map(|k| FixedKeyAes::new(k.to_bytes())) }
    }

    /// `out[i] = C(inputs[i])`.
    ///
    /// # Panics
    /// If the lengths differ (a caller bug).
    pub fn encode_many(&self, inputs: &[Block], out: &mut [Row]) {
        assert_eq!(inputs.len(), out.len(), "one code word per input");
        let mut buf = [Block::ZERO; 128];
        for (ins, outs) in inputs.chunks(128).zip(out.chunks_mut(128)) {
            for (k, aes) in self.aes.iter().enumerate() {
                let b = &mut buf[..ins.len()];
                b.copy_from_slice(ins);
                aes.permute_many(b);
                for (o, v) in outs.iter_mut().zip(b.iter()) {
                    o[k] = *v;
                }
            }
        }
    }
}

/// The domain-separation block of the output hash: exactly one SHA-256 block.
pub const HASH_DOMAIN: &[u8; 64] = b"mpc-ot KKRT16 BaRK-OPRF output hash v1: SHA-256(D || i || row)  ";

/// The SHA-256 initial hash value (FIPS 180-4, section 5.3.3).
pub const SHA256_IV: [u32; 8] =
    [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

/// Bytes hashed per row: the domain block, the 8-byte index and the row.
const HASHED_BYTES: u64 = 64 + 8 + ROW_BYTES as u64;

/// `out[i] = H(tweaks[i], rows[i]) = SHA-256(HASH_DOMAIN || le64(tweaks[i]) || rows[i])`
/// truncated to its first 16 bytes (read as a little-endian `u128`). The rows are
/// serialised as on the wire (block `k` at bytes `16 k ..`, each block little-endian).
///
/// The message is 136 bytes: the domain block (compressed once per call), then two
/// blocks per row, padded here as FIPS 180-4 section 5.1.1 says (`0x80`, zeros, the
/// bit length as a big-endian `u64`); the test checks the result against `sha2`'s
/// `Sha256` on the same bytes.
///
/// # Panics
/// If the lengths differ (a caller bug).
pub fn hash_rows(rows: &[Row], tweaks: &[u64], out: &mut [u128]) {
    use sha2::digest::generic_array::GenericArray;
    assert!(rows.len() == tweaks.len() && rows.len() == out.len(), "one tweak and output per row");
    let mut mid = SHA256_IV;
    sha2::compress256(&mut mid, &[*GenericArray::from_slice(HASH_DOMAIN)]);
    let mut blocks = [GenericArray::default(), GenericArray::default()];
    // The fixed tail of the second block: the padding byte and the bit length.
    blocks[1][8] = 0x80;
    blocks[1][56..].copy_from_slice(&(HASHED_BYTES * 8).to_be_bytes());
    for ((row, &tweak), o) in rows.iter().zip(tweaks).zip(out.iter_mut()) {
        let mut bytes = [0u8; ROW_BYTES];
        for (k, b) in row.iter().enumerate() {
            bytes[16 * k..16 * k + 16].copy_from_slice(&b.to_bytes());
        }
        blocks[0][..8].copy_from_slice(&tweak.to_le_bytes());
        blocks[0][8..].copy_from_slice(&bytes[..56]);
        blocks[1][..8].copy_from_slice(&bytes[56..]);
        let mut state = mid;
        sha2::compress256(&mut state, &blocks);
        let mut digest = [0u8; 16];
        for (d, w) in digest.chunks_exact_mut(4).zip(&state) {
            d.copy_from_slice(&w.to_be_bytes());
        }
        *o = u128::from_le_bytes(digest);
        bytes.zeroize();
    }
    blocks[0].zeroize();
    blocks[1].zeroize();
}

/// The OPRF receiver before the base-OT reply.
#[derive(Debug)]
pub struct ReceiverSetup(base::Sender);

/// Starts the receiver: returns its state and the base-OT setup to send.
pub fn receiver_setup<R: RngCore + CryptoRng>(rng: &mut R) -> (ReceiverSetup, base::SenderSetup) {
    // `new` refuses only counts above MAX_BATCH; WIDTH = 512 is far below it.
    let (s, m) = base::Sender::new(rng, WIDTH).expect("WIDTH is within MAX_BATCH");
    (ReceiverSetup(s), m)
}

impl ReceiverSetup {
    /// Finishes the base OTs with the sender's reply.
    pub fn finish(self, reply: &base::ReceiverReply) -> Result<Receiver> {
        if reply.len() != WIDTH {
            return Err(OtError::CountMismatch {
                what: "KKRT base-OT reply",
                expected: WIDTH,
                got: reply.len(),
            });
        }
        let keys = self.0.finish(reply)?;
        let prgs =
            keys.iter().map(|[k0, k1]| [Prg::from_seed_block(*k0), Prg::from_seed_block(*k1)]).collect();
        Ok(Receiver { prgs, t_cols: Vec::new(), g_cols: Vec::new() })
    }
}

/// The OPRF receiver: two column PRGs per base OT.
pub struct Receiver {
    prgs: Vec<[Prg; 2]>,
    t_cols: Vec<Block>,
    g_cols: Vec<Block>,
}

impl core::fmt::Debug for Receiver {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("kkrt::Receiver { .. }")
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.t_cols.zeroize();
        self.g_cols.zeroize();
    }
}

impl Receiver {
    /// One chunk: `codes[i] = C(r_i)` for the chunk's rows (any count; the matrix is
    /// padded to a multiple of 128 rows internally). `msg` gets the message for the
    /// sender (`ROW_BYTES` per row of `codes`), `t_rows` the rows `T_i`.
    pub fn encode_chunk(&mut self, codes: &[Row], msg: &mut Vec<u8>, t_rows: &mut Vec<Row>) {
        let n = codes.len();
        let tiles = n.div_ceil(128);
        t_rows.clear();
        t_rows.resize(128 * tiles, [Block::ZERO; ROW_BLOCKS]);
        let mut v_rows = vec![[Block::ZERO; ROW_BLOCKS]; 128 * tiles];
        self.t_cols.resize(WIDTH * tiles, Block::ZERO);
        self.g_cols.resize(WIDTH * tiles, Block::ZERO);
        for (j, [p0, p1]) in self.prgs.iter_mut().enumerate() {
            let t = &mut self.t_cols[j * tiles..(j + 1) * tiles];
            let g = &mut self.g_cols[j * tiles..(j + 1) * tiles];
            p0.fill_blocks(t);
            p1.fill_blocks(g);
            for (gk, tk) in g.iter_mut().zip(t.iter()) {
                *gk ^= *tk;
            }
        }
        columns_to_rows(&self.t_cols, tiles, t_rows);
        columns_to_rows(&self.g_cols, tiles, &mut v_rows);
        t_rows.truncate(n);
        msg.clear();
        msg.reserve(n * ROW_BYTES);
        for (v, c) in v_rows.iter().zip(codes) {
            for k in 0..ROW_BLOCKS {
                msg.extend_from_slice(&(v[k] ^ c[k]).to_bytes());
            }
        }
        v_rows.zeroize();
    }
}

/// The OPRF sender: `s` and one column PRG per base OT.
pub struct Sender {
    s: Row,
    prgs: Vec<Prg>,
    cols: Vec<Block>,
}

impl core::fmt::Debug for Sender {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("kkrt::Sender { .. }")
    }
}

impl Drop for Sender {
    fn drop(&mut self) {
        self.s.zeroize();
        self.cols.zeroize();
    }
}

/// The sender's setup: draws `s`, answers the receiver's base-OT setup with the bits of
/// `s` as choices.
pub fn sender_setup<R: RngCore + CryptoRng>(
    rng: &mut R,
    setup: &base::SenderSetup,
) -> Result<(Sender, base::ReceiverReply)> {
    let s: Row = core::array::from_fn(|_| Block::random(rng));
    let bits: Vec<bool> = (0..WIDTH).map(|j| (s[j / 128].to_u128() >> (j % 128)) & 1 == 1).collect();
    let (reply, keys) = base::receive(rng, setup, &bits)?;
    let prgs = keys.iter().map(|k| Prg::from_seed_block(*k)).collect();
    Ok((Sender { s, prgs, cols: Vec::new() }, reply))
}

impl Sender {
    /// The secret `s` (for [`Sender::eval_row`]).
    pub fn s(&self) -> &Row {
        &self.s
    }

    /// One chunk of `n` rows from the receiver's message `msg` (exactly
    /// `n * ROW_BYTES` bytes, else [`OtError::Malformed`] and no state change):
    /// appends `Q_i = T_i ^ (C(r_i) & s)` to `q_rows`.
    pub fn decode_chunk(&mut self, n: usize, msg: &[u8], q_rows: &mut Vec<Row>) -> Result<()> {
        if msg.len() != n.saturating_mul(ROW_BYTES) {
            return Err(OtError::Malformed {
                what: "KKRT OPRF chunk",
                reason: format!("{} bytes for {n} rows, expected {}", msg.len(), n.saturating_mul(ROW_BYTES)),
            });
        }
        let tiles = n.div_ceil(128);
        self.cols.resize(WIDTH * tiles, Block::ZERO);
        for (j, p) in self.prgs.iter_mut().enumerate() {
            p.fill_blocks(&mut self.cols[j * tiles..(j + 1) * tiles]);
        }
        let start = q_rows.len();
        q_rows.resize(start + 128 * tiles, [Block::ZERO; ROW_BLOCKS]);
        columns_to_rows(&self.cols, tiles, &mut q_rows[start..]);
        q_rows.truncate(start + n);
        for (q, u) in q_rows[start..].iter_mut().zip(msg.chunks_exact(ROW_BYTES)) {
            for k in 0..ROW_BLOCKS {
                let mut b = [0u8; 16];
                b.copy_from_slice(&u[16 * k..16 * k + 16]);
                q[k] ^= Block::from_bytes(b) & self.s[k];
            }
        }
        Ok(())
    }

    /// `Q ^ (code & s)`: the row to hash for an input with code word `code`.
    #[inline]
    pub fn eval_row(&self, q: &Row, code: &Row) -> Row {
        core::array::from_fn(|k| q[k] ^ (code[k] & self.s[k]))
    }
}

/// Transposes `WIDTH` columns of `tiles` blocks each (`cols[j * tiles + w]` is block
/// `w` of column `j`) into `128 * tiles` rows.
fn columns_to_rows(cols: &[Block], tiles: usize, rows: &mut [Row]) {
    let mut tile = [0u128; 128];
    for g in 0..ROW_BLOCKS {
        for w in 0..tiles {
            for (jj, t) in tile.iter_mut().enumerate() {
                *t = cols[(128 * g + jj) * tiles + w].to_u128();
            }
            transpose128(&mut tile);
            for (i, t) in tile.iter().enumerate() {
                rows[128 * w + i][g] = Block::from_u128(*t);
            }
        }
    }
    tile.zeroize();
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha12Rng;

    fn bit(r: &Row, j: usize) -> bool {
        (r[j / 128].to_u128() >> (j % 128)) & 1 == 1
    }

    /// Runs setup and one chunk; checks `Q_i = T_i ^ (C(r_i) & s)` bit by bit, and that
    /// the OPRF values agree exactly for `x = r_i` and differ otherwise.
    #[test]
    fn oprf_rows_satisfy_the_kkrt_relation() {
        let mut rng = ChaCha12Rng::seed_from_u64(1);
        let (rs, setup) = receiver_setup(&mut rng);
        let (mut sender, reply) = sender_setup(&mut rng, &setup).unwrap();
        let mut receiver = rs.finish(&reply).unwrap();
        let code =
            Code::new([Block::from_u128(1), Block::from_u128(2), Block::from_u128(3), Block::from_u128(4)]);
        for n in [1usize, 127, 200] {
            let inputs: Vec<Block> = (0..n).map(|i| Block::from_u128(i as u128 * 77 + 5)).collect();
            let mut codes = vec![[Block::ZERO; ROW_BLOCKS]; n];
            code.encode_many(&inputs, &mut codes);
            let others: Vec<Block> = inputs.iter().map(|x| *x ^ Block::ONE).collect();
            let mut other_codes = vec![[Block::ZERO; ROW_BLOCKS]; n];
            code.encode_many(&others, &mut other_codes);
            let (mut msg, mut t) = (Vec::new(), Vec::new());
            receiver.encode_chunk(&codes, &mut msg, &mut t);
            assert_eq!(msg.len(), n * ROW_BYTES);
            let mut q = Vec::new();
            sender.decode_chunk(n, &msg, &mut q).unwrap();
            assert_eq!((t.len(), q.len()), (n, n));
            for i in 0..n {
                for j in (0..WIDTH).step_by(7) {
                    let expect = bit(&t[i], j) ^ (bit(&codes[i], j) & bit(sender.s(), j));
                    assert_eq!(bit(&q[i], j), expect, "row {i} bit {j}");
                }
                assert_eq!(sender.eval_row(&q[i], &codes[i]), t[i]);
                assert_ne!(sender.eval_row(&q[i], &other_codes[i]), t[i], "row {i}");
            }
            let tweaks: Vec<u64> = (0..n as u64).collect();
            let mut a = vec![0u128; n];
            hash_rows(&t, &tweaks, &mut a);
            let theirs: Vec<Row> = q.iter().zip(&codes).map(|(q, c)| sender.eval_row(q, c)).collect();
            let mut b = vec![0u128; n];
            hash_rows(&theirs, &tweaks, &mut b);
            assert_eq!(a, b);
        }
        assert!(sender.decode_chunk(3, &[0u8; 3 * ROW_BYTES - 1], &mut Vec::new()).is_err());
    }

    /// The hand-padded two-block hash equals SHA-256 of the same 136 bytes, and the
    /// index and every block of the row change the output.
    #[test]
    fn output_hash_is_sha256_of_domain_index_and_row() {
        use sha2::{Digest, Sha256};
        assert_eq!(HASH_DOMAIN.len(), 64);
        let rows: Vec<Row> = (0..5u128)
            .map(|i| core::array::from_fn(|k| Block::from_u128(i * 0x0123_4567_89ab_cdef_1111 + k as u128)))
            .collect();
        let tweaks = [0u64, 1, 7, u64::MAX, 1 << 40];
        let mut out = [0u128; 5];
        hash_rows(&rows, &tweaks, &mut out);
        for ((row, &tweak), &o) in rows.iter().zip(&tweaks).zip(&out) {
            let mut h = Sha256::new();
            h.update(HASH_DOMAIN);
            h.update(tweak.to_le_bytes());
            for b in row {
                h.update(b.to_bytes());
            }
            let d = h.finalize();
            assert_eq!(o, u128::from_le_bytes(d[..16].try_into().unwrap()));
        }
        let mut other = [0u128; 1];
        hash_rows(&rows[..1], &[1], &mut other);
        assert_ne!(other[0], out[0], "the index is hashed");
        for k in 0..ROW_BLOCKS {
            let mut r = rows[0];
            r[k] ^= Block::from_u128(1 << 127);
            hash_rows(&[r], &tweaks[..1], &mut other);
            assert_ne!(other[0], out[0], "block {k} is hashed");
        }
    }
}
