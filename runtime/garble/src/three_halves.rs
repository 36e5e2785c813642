//! Three-halves garbling of AND gates (Rosulek and Roy, "Three Halves Make a Whole?
//! Beating the Half-Gates Lower Bound for Garbled Circuits", Crypto 2021, eprint
//! 2021/749): 3 half-labels (`3 * 64` bits) plus 5 control bits per AND gate with
//! free XOR, against half-gates' 2 full labels. The garbler makes 6 TCCR calls per
//! AND, the evaluator 3.
//!
//! # Labels, slicing
//! Labels are those of the rest of the crate (`W0 ^ b*Delta`, colour bit = lsb, lsb of
//! Delta is 1). Each 128-bit label `X` is sliced into halves `X_L` (bits 0..64, holding
//! the colour bit) and `X_R` (bits 64..128). For an AND gate with zero-labels `A0, B0`,
//! the garbler's permute bits are `alpha = lsb(A0)`, `beta = lsb(B0)`; `A = A0 ^
//! alpha*Delta` and `B = B0 ^ beta*Delta` are the colour-0 labels, and the evaluator,
//! holding `A_i = A ^ i*Delta`, `B_j = B ^ j*Delta` (colours `i`, `j`), must get
//! `C ^ z_ij*Delta` with `z_ij = (i ^ alpha) & (j ^ beta)` and `C` the output zero-label.
//!
//! # The evaluator's equation (row `(i, j)`)
//! With `H` the TCCR hash truncated to its low 64 bits and `h` its bit 64, `X_k = A ^ B ^
//! k*Delta`:
//! `E_ij = [H(A_i) ^ H(X_{i^j}); H(B_j) ^ H(X_{i^j})] ^ V_ij * G ^ R_ij * [A_i; B_j]`,
//! where `G = (G0, G1, G2)` are the three 64-bit ciphertexts, `V_ij` a public 2x3 bit
//! matrix (rows of `V`) and `R_ij` a 2x4 bit matrix over the four input half-labels
//! (`A_L, A_R, B_L, B_R`). The garbler solves the eight half-label equations `E_ij =
//! C ^ z_ij*Delta` for the five unknowns `C_L, C_R, G0, G1, G2`; they are consistent
//! because the columns of the public matrices span exactly the span of the hash terms
//! (3 parity conditions on the 8 equations, `solve`), and the `R_ij` are chosen so the
//! `R`- and `Delta`-terms satisfy the same 3 conditions.
//!
//! # Randomised control matrices (the "+5 bits")
//! `R_ij` depends on `alpha, beta`, so it cannot be public: it is `R0_ij ^ r0*S1 ^
//! r1*S2` for public `R0`, `S1`, `S2` and two control bits `r_ij = rho ^
//! alpha*X_ij ^ beta*Y_ij` with `rho` two fresh random bits per gate: the evaluator's
//! `r_ij`, hence its `R_ij`, is uniform whatever `alpha, beta` are. The eight control
//! bits travel through the same linear equations with the hash bits `h` as masks: the
//! garbler sends `c_L, c_R, g0, g1, g2` (5 bits) and the evaluator computes `r_ij = [h(A_i)
//! ^ h(X); h(B_j) ^ h(X)] ^ V_ij*g ^ c`. The constants were derived for this crate
//! (they satisfy the paper's conditions; they are not the paper's own tables) and every
//! row of every gate is checked against the plaintext in the tests.
//!
//! # Tweaks
//! AND gate number `j` of a run hashes `A`-side labels with tweak `t = tweak_base + 2j`,
//! `B`-side labels with `t + 1` and `A ^ B`-side labels with `t | 2^127`: the same
//! `2 * and_count` tweak range as half-gates (so session tweak accounting is the same
//! for both schemes), plus its image with the top bit set, which no other tweak uses.
//!
//! # Wire format
//! AND gates are grouped by eights in run order (AND number `8g .. 8g+8`). A group is 5
//! control bytes (byte `k`, bit `j % 8`: control bit `k` of AND `j`, in the order `c_L,
//! c_R, g0, g1, g2`) followed by 24 bytes per gate (`G0, G1, G2`, little-endian `u64`).
//! The last group of a run may be short. A run of `n` ANDs is [`stream_bytes`]`(n) =
//! 24n + 5*ceil(n/8)` bytes: 24.625 bytes per AND against half-gates' 32.

use mpc_crypto::{Block, Delta, FixedKeyAes, Prg};

use crate::error::GarbleError;
use crate::schedule::AndGate;
use crate::stream::{TableSink, TableSource, CHUNK_BYTES};

/// Gates per control-bit group.
const GROUP: u64 = 8;
/// Control bytes per group (5 control bits per gate, bit-sliced over the 8 gates).
const CTRL_BYTES: usize = 5;
/// Ciphertext bytes per gate.
const GATE_BYTES: usize = 24;
/// Bytes of one full group.
const GROUP_BYTES: usize = CTRL_BYTES + GROUP as usize * GATE_BYTES;
/// Gates hashed together.
const HASH_CHUNK: usize = 64;
/// The tweak bit that separates `A ^ B`-side hashes from the half-gates tweak range.
const X_TWEAK: u128 = 1 << 127;

/// Rows are indexed `2*i + j` by the evaluator's colour bits. A 2x4 control matrix is 8
/// bits: bits 0..4 the low-half row, bits 4..8 the high-half row, each over the
/// columns `A_L, A_R, B_L, B_R` (bit 0 = `A_L`).
const R0: [u8; 4] = [0x99, 0x90, 0x09, 0x00];
/// First randomising direction of the control matrices (the same for every row).
const S1: u8 = 0x6b;
/// Second randomising direction.
const S2: u8 = 0xd6;
/// `alpha`'s contribution to `r_ij` (2 bits: bit 0 = `r0`, bit 1 = `r1`), per row.
const X: [u8; 4] = [0b10, 0b11, 0b01, 0b00];
/// `beta`'s contribution to `r_ij`, per row.
const Y: [u8; 4] = [0b01, 0b10, 0b11, 0b00];
/// `V_ij`: per row, the low-half and high-half row of the public 2x3 matrix over
/// `(G0, G1, G2)` (bit `k` = coefficient of `Gk`).
const V: [[u8; 2]; 4] = [[0b101, 0b110], [0b001, 0b000], [0b000, 0b010], [0b100, 0b100]];

/// Bytes a run of `ands` AND gates puts on the wire.
pub fn stream_bytes(ands: u64) -> u64 {
    GATE_BYTES as u64 * ands + CTRL_BYTES as u64 * ands.div_ceil(GROUP)
}

/// Bytes of the `n` gates from AND number `first`: 24 each plus 5 per group that
/// starts among them.
fn batch_bytes(first: u64, n: u64) -> usize {
    let groups = (first + n).div_ceil(GROUP) - first.div_ceil(GROUP);
    GATE_BYTES * n as usize + CTRL_BYTES * groups as usize
}

/// The 2x4 control matrix of row `row` for control bits `r`.
#[inline(always)]
fn decode(row: usize, r: u8) -> u8 {
    R0[row] ^ (S1 & (r & 1).wrapping_neg()) ^ (S2 & ((r >> 1) & 1).wrapping_neg())
}

#[inline(always)]
fn m64(bit: u8) -> u64 {
    u64::from(bit & 1).wrapping_neg()
}

/// `R * [a_L, a_R, b_L, b_R]` for an 8-bit control matrix `r`: `(low, high)`.
#[inline(always)]
fn apply(r: u8, a: [u64; 2], b: [u64; 2]) -> [u64; 2] {
    let row = |x: u8| (m64(x) & a[0]) ^ (m64(x >> 1) & a[1]) ^ (m64(x >> 2) & b[0]) ^ (m64(x >> 3) & b[1]);
    [row(r), row(r >> 4)]
}

/// `V_ij * g` over one half-row `v` (3 bits).
#[inline(always)]
fn vg(v: u8, g: [u64; 3]) -> u64 {
    (m64(v) & g[0]) ^ (m64(v >> 1) & g[1]) ^ (m64(v >> 2) & g[2])
}

#[inline(always)]
fn halves(x: Block) -> [u64; 2] {
    let v = x.to_u128();
    [v as u64, (v >> 64) as u64]
}

#[inline(always)]
fn join(h: [u64; 2]) -> Block {
    Block::from_u128(u128::from(h[0]) | (u128::from(h[1]) << 64))
}

/// The garbler's solution of the row equations for one kind of value (64-bit halves or
/// control bits): given the six hashes `ha = [H(A), H(A^D)]`, `hb`, `hx` and the
/// row offsets `s_ij` (`R_ij*[A_i;B_j] ^ z_ij*Delta`, or the control bits `r_ij`) of rows
/// 01, 10 and 11, returns `(C_L, C_R, G0, G1, G2)` with `E_ij = C ^ s_ij` in every row.
/// Consistency (the 3 parity conditions `s10_L^s11_L^s01_R^s11_R = s00_L^s01_L^s10_L^
/// s11_L = s00_R^s10_R^s10_L^s11_L = 0`) is what the constants guarantee; row 00 and
/// `s11_R` are then implied.
#[inline(always)]
fn solve(ha: [u64; 2], hb: [u64; 2], hx: [u64; 2], s01: [u64; 2], s10: [u64; 2], s11_l: u64) -> [u64; 5] {
    [
        ha[1] ^ hx[1] ^ s10[0],
        hb[1] ^ hx[1] ^ s01[1],
        ha[0] ^ ha[1] ^ s10[0] ^ s01[0],
        hb[0] ^ hb[1] ^ s01[1] ^ s10[1],
        hx[0] ^ hx[1] ^ s10[0] ^ s11_l,
    ]
}

/// The three-halves part of a garbler's kernel: the PRG of the `rho` bits.
pub(crate) struct GarbleState {
    prg: Prg,
    /// 128 random bits, 2 used per gate.
    bits: u128,
    left: u32,
}

impl GarbleState {
    /// A state drawing its `rho` bits from a PRG seeded with `seed` (secret, fresh per
    /// run: the `rho` bits hide `alpha, beta` from the evaluator).
    pub(crate) fn new(seed: Block) -> GarbleState {
        GarbleState { prg: Prg::from_seed_block(seed), bits: 0, left: 0 }
    }

    #[inline(always)]
    fn rho(&mut self) -> u8 {
        if self.left == 0 {
            self.bits = self.prg.random_block().to_u128();
            self.left = 64;
        }
        let r = (self.bits & 3) as u8;
        self.bits >>= 2;
        self.left -= 1;
        r
    }

    /// Garbles `gates` (whose first is AND number `first_and`) into the chunk buffer
    /// `out[..*filled]`, flushing it to `sink` at group boundaries when full.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn garble_batch<S: TableSink>(
        &mut self,
        aes: &FixedKeyAes,
        delta: &Delta,
        tweak_base: u128,
        gates: &[AndGate],
        first_and: u64,
        labels: &mut [Block],
        out: &mut [u8],
        filled: &mut usize,
        sink: &mut S,
    ) -> Result<(), GarbleError> {
        let d = delta.as_block();
        let dh = halves(d);
        let mut h = [Block::ZERO; 6 * HASH_CHUNK];
        // Per gate of the chunk: colour-0 labels A, B and permute bits alpha, beta.
        let mut ab = [(Block::ZERO, Block::ZERO, 0u8, 0u8); HASH_CHUNK];
        for (ci, chunk) in gates.chunks(HASH_CHUNK).enumerate() {
            let base = first_and + (ci * HASH_CHUNK) as u64;
            for (k, g) in chunk.iter().enumerate() {
                // Slots are below the plan's num_slots, which `labels` holds.
                let (a0, b0) = (labels[g.a as usize], labels[g.b as usize]);
                let a = if a0.lsb() { a0 ^ d } else { a0 };
                let b = if b0.lsb() { b0 ^ d } else { b0 };
                ab[k] = (a, b, u8::from(a0.lsb()), u8::from(b0.lsb()));
                h[6 * k..6 * k + 6].copy_from_slice(&[a, a ^ d, b, b ^ d, a ^ b, a ^ b ^ d]);
            }
            let hs = &mut h[..6 * chunk.len()];
            let t0 = tweak_base + 2 * u128::from(base);
            aes.tccr_many(hs, |k| {
                let t = t0 + 2 * (k / 6) as u128;
                Block::from_u128(match k % 6 {
                    0 | 1 => t,
                    2 | 3 => t + 1,
                    _ => t | X_TWEAK,
                })
            });
            for (k, g) in chunk.iter().enumerate() {
                let j = base + k as u64;
                if j.is_multiple_of(GROUP) {
                    if *filled + GROUP_BYTES > CHUNK_BYTES {
                        sink.write_tables(&out[..*filled])?;
                        *filled = 0;
                    }
                    out[*filled..*filled + CTRL_BYTES].fill(0);
                    *filled += CTRL_BYTES;
                }
                let (a, b, alpha, beta) = ab[k];
                let hk = &h[6 * k..6 * k + 6];
                let hl = |x: usize| halves(hk[x])[0];
                let hbit = |x: usize| (halves(hk[x])[1] & 1) as u8;
                let rho = self.rho();
                let r = |row: usize| rho ^ (X[row] & alpha.wrapping_neg()) ^ (Y[row] & beta.wrapping_neg());
                let (r01, r10, r11) = (r(1), r(2), r(3));
                let (ah, bh) = (halves(a), halves(b));
                let (a1, b1) = (halves(a ^ d), halves(b ^ d));
                // Row (i, j) offsets: R_ij*[A_i;B_j] ^ z_ij*Delta, z_ij = (i^alpha)&(j^beta).
                let off = |row: usize, rr: u8, ai: [u64; 2], bj: [u64; 2], z: u8| {
                    let v = apply(decode(row, rr), ai, bj);
                    [v[0] ^ (m64(z) & dh[0]), v[1] ^ (m64(z) & dh[1])]
                };
                let s01 = off(1, r01, ah, b1, alpha & (1 ^ beta));
                let s10 = off(2, r10, a1, bh, (1 ^ alpha) & beta);
                let s11 = off(3, r11, a1, b1, (1 ^ alpha) & (1 ^ beta));
                let lab = solve([hl(0), hl(1)], [hl(2), hl(3)], [hl(4), hl(5)], s01, s10, s11[0]);
                let bits = |x: u8| [u64::from(x & 1), u64::from((x >> 1) & 1)];
                let ctl = solve(
                    [u64::from(hbit(0)), u64::from(hbit(1))],
                    [u64::from(hbit(2)), u64::from(hbit(3))],
                    [u64::from(hbit(4)), u64::from(hbit(5))],
                    bits(r01),
                    bits(r10),
                    u64::from(r11 & 1),
                );
                labels[g.out as usize] = join([lab[0], lab[1]]);
                // The group's control bytes were reserved at its first gate, in this
                // chunk (a group never straddles a flush: it is flushed only at a group
                // start, with room for a whole group).
                let group_start = *filled - (j % GROUP) as usize * GATE_BYTES - CTRL_BYTES;
                for (x, c) in ctl.iter().enumerate() {
                    out[group_start + x] |= ((*c & 1) as u8) << (j % GROUP);
                }
                let dst = &mut out[*filled..*filled + GATE_BYTES];
                for (x, gk) in lab[2..].iter().enumerate() {
                    dst[8 * x..8 * x + 8].copy_from_slice(&gk.to_le_bytes());
                }
                *filled += GATE_BYTES;
            }
        }
        Ok(())
    }
}

/// The three-halves part of an evaluator's kernel: the control bytes of the current
/// group.
#[derive(Default)]
pub(crate) struct EvalState {
    ctrl: [u8; CTRL_BYTES],
}

impl EvalState {
    /// Evaluates `gates` (whose first is AND number `first_and`) with tables from
    /// `source`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn eval_batch<S: TableSource>(
        &mut self,
        aes: &FixedKeyAes,
        tweak_base: u128,
        gates: &[AndGate],
        first_and: u64,
        labels: &mut [Block],
        source: &mut S,
        scratch: &mut Vec<u8>,
    ) -> Result<(), GarbleError> {
        let len = batch_bytes(first_and, gates.len() as u64);
        let mut tables = source.next_tables(len, scratch)?;
        let mut h = [Block::ZERO; 3 * HASH_CHUNK];
        for (ci, chunk) in gates.chunks(HASH_CHUNK).enumerate() {
            let base = first_and + (ci * HASH_CHUNK) as u64;
            for (k, g) in chunk.iter().enumerate() {
                let (a, b) = (labels[g.a as usize], labels[g.b as usize]);
                h[3 * k..3 * k + 3].copy_from_slice(&[a, b, a ^ b]);
            }
            let t0 = tweak_base + 2 * u128::from(base);
            aes.tccr_many(&mut h[..3 * chunk.len()], |k| {
                let t = t0 + 2 * (k / 3) as u128;
                Block::from_u128(match k % 3 {
                    0 => t,
                    1 => t + 1,
                    _ => t | X_TWEAK,
                })
            });
            for (k, g) in chunk.iter().enumerate() {
                let j = base + k as u64;
                if j.is_multiple_of(GROUP) {
                    // `tables` holds exactly batch_bytes of this batch, which counts
                    // these control bytes and every gate's 24 bytes.
                    let (c, rest) = tables.split_at(CTRL_BYTES);
                    self.ctrl.copy_from_slice(c);
                    tables = rest;
                }
                let (gb, rest) = tables.split_at(GATE_BYTES);
                tables = rest;
                let mut gk = [0u64; 3];
                for (x, v) in gk.iter_mut().enumerate() {
                    let mut w = [0u8; 8];
                    w.copy_from_slice(&gb[8 * x..8 * x + 8]);
                    *v = u64::from_le_bytes(w);
                }
                let bit = |x: usize| (self.ctrl[x] >> (j % GROUP)) & 1;
                let (c, gbits) = ([bit(0), bit(1)], bit(2) | (bit(3) << 1) | (bit(4) << 2));
                let (a, b) = (labels[g.a as usize], labels[g.b as usize]);
                let row = 2 * usize::from(a.lsb()) + usize::from(b.lsb());
                let (ha, hb, hx) = (halves(h[3 * k]), halves(h[3 * k + 1]), halves(h[3 * k + 2]));
                let v = V[row];
                let gb3 = |vr: u8| ((vr & gbits).count_ones() & 1) as u8;
                let r0 = (((ha[1] ^ hx[1]) & 1) as u8) ^ c[0] ^ gb3(v[0]);
                let r1 = (((hb[1] ^ hx[1]) & 1) as u8) ^ c[1] ^ gb3(v[1]);
                let rm = apply(decode(row, r0 | (r1 << 1)), halves(a), halves(b));
                let e = [ha[0] ^ hx[0] ^ vg(v[0], gk) ^ rm[0], hb[0] ^ hx[0] ^ vg(v[1], gk) ^ rm[1]];
                labels[g.out as usize] = join(e);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The 3 parity conditions on an 8-entry row vector (entries `2*row + half`).
    fn parity_ok(s: [u64; 8]) -> bool {
        let e = |row: usize, half: usize| s[2 * row + half];
        e(2, 0) ^ e(3, 0) ^ e(1, 1) ^ e(3, 1) == 0
            && e(0, 0) ^ e(1, 0) ^ e(2, 0) ^ e(3, 0) == 0
            && e(0, 1) ^ e(2, 1) ^ e(2, 0) ^ e(3, 0) == 0
    }

    /// For every alpha, beta, rho and random labels, the offsets of all four rows
    /// satisfy the parity conditions (so [`solve`] is exact), and so do the control
    /// bits; and each row's control bits are uniform over rho whatever alpha, beta are.
    #[test]
    fn constants_satisfy_the_consistency_conditions() {
        let mut prg = Prg::from_seed_block(Block::from_u128(7));
        for _ in 0..64 {
            let d = prg.random_block().with_lsb(true);
            let (a, b) = (prg.random_block().with_lsb(false), prg.random_block().with_lsb(false));
            for alpha in 0..2u8 {
                for beta in 0..2u8 {
                    let mut seen = [[false; 4]; 4];
                    for rho in 0..4u8 {
                        let mut s = [0u64; 8];
                        let mut rb = [0u64; 8];
                        for row in 0..4 {
                            let (i, j) = ((row >> 1) as u8, (row & 1) as u8);
                            let r = rho ^ (X[row] & alpha.wrapping_neg()) ^ (Y[row] & beta.wrapping_neg());
                            seen[row][r as usize] = true;
                            let ai = if i == 1 { a ^ d } else { a };
                            let bj = if j == 1 { b ^ d } else { b };
                            let z = (i ^ alpha) & (j ^ beta);
                            let v = apply(decode(row, r), halves(ai), halves(bj));
                            let dh = halves(d);
                            s[2 * row] = v[0] ^ (m64(z) & dh[0]);
                            s[2 * row + 1] = v[1] ^ (m64(z) & dh[1]);
                            rb[2 * row] = u64::from(r & 1);
                            rb[2 * row + 1] = u64::from(r >> 1);
                        }
                        assert!(parity_ok(s), "label offsets, alpha {alpha} beta {beta} rho {rho}");
                        assert!(parity_ok(rb), "control bits, alpha {alpha} beta {beta} rho {rho}");
                    }
                    assert!(seen.iter().all(|r| r.iter().all(|&x| x)), "r_ij uniform over rho");
                }
            }
        }
    }

    #[test]
    fn stream_and_batch_bytes() {
        assert_eq!(stream_bytes(0), 0);
        assert_eq!(stream_bytes(1), 29);
        assert_eq!(stream_bytes(8), 197);
        assert_eq!(stream_bytes(9), 197 + 29);
        assert_eq!(batch_bytes(0, 8), 197);
        assert_eq!(batch_bytes(3, 5), 120);
        assert_eq!(batch_bytes(3, 6), 144 + 5);
        let mut total = 0;
        let mut j = 0;
        for n in [1u64, 7, 3, 13, 1, 8, 40] {
            total += batch_bytes(j, n) as u64;
            j += n;
        }
        assert_eq!(total, stream_bytes(j));
    }
}
