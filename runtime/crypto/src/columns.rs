//! The 128 column PRGs of IKNP OT extension run in lock step, with the matrix written
//! tile by tile: [`ColumnPrgs`].
//!
//! IKNP expands each of its 128 base-OT keys `k_j` with AES-128 in counter mode (the
//! stream of [`crate::Prg`] seeded with `k_j`: block `i` is `AES_{k_j}(i)`, the
//! counter as a little-endian block) into one column of a 128 x m bit matrix, and
//! needs the matrix row by row. All columns advance together (every batch takes the
//! same number of blocks from each), so one counter serves all 128 streams.
//!
//! A chunk of `c` counters is written *tile-major*: `out[128 k + j]` is block `k` of
//! column `j`, so tile `k` (128 rows of 128 bits) is contiguous and the transpose
//! ([`crate::transpose::transpose_tiles_append`]) reads it in place, with no gather.
//! The receiver's and the sender's XOR with the wire columns `u_j` (column-major in the
//! message: block `k` of `u_j` at byte `j * stride + 16 k`) happen in the same pass:
//! - [`ColumnPrgs::receiver_chunk`]: `t = A(ctr)` into the chunk, and
//!   `u_j = A_j ^ B_j ^ r` into the message;
//! - [`ColumnPrgs::sender_chunk`]: `q_j = A_j ^ s_j * u_j` into the chunk.
//!
//! Engine (picked once per [`ColumnPrgs`] from run-time detection): with VAES and
//! AVX-512F, one 512-bit register holds the same counter under four columns' keys
//! (four 128-bit lanes, each with its own round keys), which is exactly one 64-byte
//! line of a tile; four such registers transpose as 4 x 4 lanes into four columns'
//! 64-byte runs of `u`. Otherwise the `aes` crate, column by column. Both give the
//! same bits (tested).
//!
//! Guarantees: the round keys are derived from secret seeds and are zeroized on drop
//! (the register copies in a kernel call, and any spills of them to the stack, are not,
//! as for [`crate::Prg`]); no branch or
//! address depends on a key, a choice bit or a bit of `s` (the sender's `s_j` select
//! is a mask).

use aes::cipher::{BlockEncrypt, KeyInit};
use aes::Aes128;
use zeroize::Zeroize;

use crate::Block;

/// The number of columns (IKNP's base OTs, kappa).
pub const COLUMNS: usize = 128;

/// 128 AES-128-CTR streams, one per column, at a common counter (see the module docs).
pub struct ColumnPrgs {
    engine: Engine,
}

enum Engine {
    /// Round keys for the 512-bit kernels: round `r` of column `4 g + l` is entry
    /// `(11 g + r) * 4 + l`, so each group's round key is one 64-byte load.
    #[cfg(target_arch = "x86_64")]
    Wide(Vec<Block>),
    /// One cipher per column (the `aes` crate zeroizes its round keys on drop).
    Portable(Vec<Aes128>),
}

impl Drop for ColumnPrgs {
    fn drop(&mut self) {
        #[cfg(target_arch = "x86_64")]
        if let Engine::Wide(keys) = &mut self.engine {
            keys.zeroize();
        }
    }
}

impl core::fmt::Debug for ColumnPrgs {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("ColumnPrgs { .. }")
    }
}

impl ColumnPrgs {
    /// The streams keyed by `seeds` (column `j` is the stream of
    /// `Prg::from_seed_block(seeds[j])`).
    pub fn new(seeds: &[Block; COLUMNS]) -> ColumnPrgs {
        #[cfg(target_arch = "x86_64")]
        if wide::available() {
            return ColumnPrgs { engine: Engine::Wide(wide::schedule(seeds)) };
        }
        ColumnPrgs::portable(seeds)
    }

    /// The `aes` crate engine whatever the CPU (tests compare the engines).
    pub fn portable(seeds: &[Block; COLUMNS]) -> ColumnPrgs {
        let ciphers = seeds.iter().map(|s| Aes128::new(&s.to_bytes().into())).collect();
        ColumnPrgs { engine: Engine::Portable(ciphers) }
    }

    /// Whether the 512-bit kernels run.
    pub fn is_wide(&self) -> bool {
        match self.engine {
            #[cfg(target_arch = "x86_64")]
            Engine::Wide(_) => true,
            Engine::Portable(_) => false,
        }
    }

    /// The receiver's chunk of `c = r.len()` counters from `counter`, with `self` the
    /// streams `A_j` of its keys `k_j^0` and `other` the streams `B_j` of `k_j^1`:
    /// `t[128 k + j] = A_j(counter + k)` and block `k` of `u_j`
    /// (`u[j * stride + 16 k ..][..16]`, little-endian) `= A_j ^ B_j ^ r[k]` at the same
    /// counter, for `k < c`, `j < 128`. Bytes of `u` outside those blocks are untouched.
    ///
    /// # Panics
    /// If `t.len() != 128 c`, `stride < 16 c`, `u` is shorter than `127 stride + 16 c`,
    /// or the engines differ (caller bugs: the sizes come from one count).
    pub fn receiver_chunk(
        &self,
        other: &ColumnPrgs,
        counter: u128,
        r: &[u128],
        t: &mut [Block],
        u: &mut [u8],
        stride: usize,
    ) {
        let c = r.len();
        check_sizes(c, t.len(), u.len(), stride);
        match (&self.engine, &other.engine) {
            #[cfg(target_arch = "x86_64")]
            (Engine::Wide(a), Engine::Wide(b)) => wide::receiver(a, b, counter, r, t, u, stride),
            (Engine::Portable(a), Engine::Portable(b)) => {
                let (mut ta, mut gb) = ([Block::ZERO; PORTABLE_RUN], [Block::ZERO; PORTABLE_RUN]);
                for k0 in (0..c).step_by(PORTABLE_RUN) {
                    let n = PORTABLE_RUN.min(c - k0);
                    let ctr = counter.wrapping_add(k0 as u128);
                    for (j, (ca, cb)) in a.iter().zip(b).enumerate() {
                        encrypt_run(ca, ctr, &mut ta[..n]);
                        encrypt_run(cb, ctr, &mut gb[..n]);
                        for k in 0..n {
                            t[128 * (k0 + k) + j] = ta[k];
                            let o = j * stride + 16 * (k0 + k);
                            u[o..o + 16]
                                .copy_from_slice(&(ta[k] ^ gb[k] ^ Block::from_u128(r[k0 + k])).to_bytes());
                        }
                    }
                }
                ta.zeroize();
                gb.zeroize();
            }
            #[cfg(target_arch = "x86_64")]
            _ => panic!("receiver_chunk: the two ColumnPrgs use different engines"),
        }
    }

    /// The sender's chunk of `c` counters from `counter`, with secret `s`:
    /// `q[128 k + j] = A_j(counter + k) ^ s_j * u_j[k]` for `k < c`, `j < 128`, where
    /// `u_j[k]` is `u[j * stride + 16 k ..][..16]` (little-endian) and `s_j` bit `j` of
    /// `s`.
    ///
    /// # Panics
    /// If `q.len() != 128 c`, `stride < 16 c` or `u` is shorter than
    /// `127 stride + 16 c` (caller bugs).
    pub fn sender_chunk(&self, s: Block, counter: u128, c: usize, u: &[u8], stride: usize, q: &mut [Block]) {
        check_sizes(c, q.len(), u.len(), stride);
        let s = s.to_u128();
        let mask = |j: usize| Block::from_u128(0u128.wrapping_sub((s >> j) & 1));
        match &self.engine {
            #[cfg(target_arch = "x86_64")]
            Engine::Wide(a) => {
                let mut masks: [Block; COLUMNS] = core::array::from_fn(mask);
                wide::sender(a, &masks, counter, c, u, stride, q);
                masks.zeroize();
            }
            Engine::Portable(a) => {
                let mut run = [Block::ZERO; PORTABLE_RUN];
                for k0 in (0..c).step_by(PORTABLE_RUN) {
                    let n = PORTABLE_RUN.min(c - k0);
                    let ctr = counter.wrapping_add(k0 as u128);
                    for (j, ca) in a.iter().enumerate() {
                        encrypt_run(ca, ctr, &mut run[..n]);
                        let m = mask(j);
                        for (k, &x) in run[..n].iter().enumerate() {
                            let o = j * stride + 16 * (k0 + k);
                            let mut b = [0u8; 16];
                            b.copy_from_slice(&u[o..o + 16]);
                            q[128 * (k0 + k) + j] = x ^ (Block::from_bytes(b) & m);
                        }
                    }
                }
                run.zeroize();
            }
        }
    }
}

/// Counters per column at a time in the portable engine.
const PORTABLE_RUN: usize = 64;

/// `out[k] = AES(ctr + k)`.
fn encrypt_run(cipher: &Aes128, ctr: u128, out: &mut [Block]) {
    for (k, b) in out.iter_mut().enumerate() {
        *b = Block::from_u128(ctr.wrapping_add(k as u128));
    }
    cipher.encrypt_blocks(crate::aes::as_aes_blocks(out));
}

/// The size checks shared by both chunk functions (caller bugs, see their docs).
fn check_sizes(c: usize, chunk: usize, u: usize, stride: usize) {
    assert_eq!(Some(chunk), c.checked_mul(COLUMNS), "a chunk of c counters is 128 c blocks");
    let need = stride.checked_mul(COLUMNS - 1).and_then(|x| x.checked_add(16 * c));
    assert!(stride >= 16 * c && need.is_some_and(|n| u >= n), "u holds 128 columns of c blocks at stride");
}

#[cfg(target_arch = "x86_64")]
mod wide {
    #![allow(unsafe_code)]
    use core::arch::x86_64::*;

    use super::COLUMNS;
    use crate::Block;

    /// Groups of four columns (one 512-bit register each).
    const GROUPS: usize = COLUMNS / 4;

    pub(super) fn available() -> bool {
        use std::arch::is_x86_feature_detected as has;
        has!("aes") && has!("sse2") && has!("avx2") && has!("vaes") && has!("avx512f")
    }

    /// The round keys of every column, laid out for the kernels (see `Engine::Wide`).
    pub(super) fn schedule(seeds: &[Block; COLUMNS]) -> Vec<Block> {
        let mut keys = vec![Block::ZERO; GROUPS * 11 * 4];
        for (j, seed) in seeds.iter().enumerate() {
            // SAFETY: only called after `available` (AES-NI and SSE2 among its checks).
            let mut k = unsafe { crate::ni::expand(seed.to_bytes()) };
            for (r, rk) in k.iter().enumerate() {
                // SAFETY: `__m128i` and `u128` are 16 plain bytes with no invalid values.
                keys[(11 * (j / 4) + r) * 4 + j % 4] =
                    Block::from_u128(unsafe { core::mem::transmute::<__m128i, u128>(*rk) });
            }
            // SAFETY: as above; the stack copy of secret round keys is overwritten.
            k.iter_mut().for_each(|x| unsafe { core::ptr::write_volatile(x, _mm_setzero_si128()) });
        }
        keys
    }

    /// The counter `ctr` in all four lanes.
    #[inline(always)]
    unsafe fn counter(ctr: u128) -> __m512i {
        // SAFETY (of the transmute): as in `schedule`.
        _mm512_broadcast_i32x4(core::mem::transmute::<u128, __m128i>(ctr))
    }

    /// The 11 round keys of group `g`.
    #[inline(always)]
    unsafe fn group_keys(keys: &[Block], g: usize) -> [__m512i; 11] {
        debug_assert!(keys.len() >= GROUPS * 44 && g < GROUPS);
        // SAFETY: `keys` has `GROUPS * 44` blocks (built by `schedule`), so entries
        // `(11 g + r) * 4 .. + 4` are 64 readable bytes for `g < GROUPS`, `r < 11`.
        core::array::from_fn(|r| _mm512_loadu_si512(keys.as_ptr().add((11 * g + r) * 4).cast()))
    }

    /// The 4 x 4 transpose of 128-bit lanes: lane `l` of output `i` is lane `i` of
    /// input `l`.
    #[inline(always)]
    unsafe fn transpose4(a: [__m512i; 4]) -> [__m512i; 4] {
        let t0 = _mm512_shuffle_i64x2::<0x44>(a[0], a[1]);
        let t1 = _mm512_shuffle_i64x2::<0xEE>(a[0], a[1]);
        let t2 = _mm512_shuffle_i64x2::<0x44>(a[2], a[3]);
        let t3 = _mm512_shuffle_i64x2::<0xEE>(a[2], a[3]);
        [
            _mm512_shuffle_i64x2::<0x88>(t0, t2),
            _mm512_shuffle_i64x2::<0xDD>(t0, t2),
            _mm512_shuffle_i64x2::<0x88>(t1, t3),
            _mm512_shuffle_i64x2::<0xDD>(t1, t3),
        ]
    }

    /// Prefetches the lines of `u` that the next chunk (the `c` blocks after this
    /// one's) reads or writes in group `g`'s columns: the message is far out of cache
    /// and 128 interleaved column streams are more than the hardware prefetchers
    /// follow. A hint only: the addresses are formed with wrapping arithmetic and
    /// never dereferenced (past the last chunk they point beyond the columns).
    #[inline(always)]
    unsafe fn prefetch_next(up: *const u8, g: usize, c: usize, stride: usize) {
        for l in 0..4 {
            let col = up.wrapping_add((4 * g + l) * stride + 16 * c);
            for line in (0..16 * c).step_by(64) {
                _mm_prefetch::<_MM_HINT_T0>(col.wrapping_add(line).cast());
            }
        }
    }

    /// The qword mask of the first `blocks` (at most 4) blocks of a register.
    #[inline(always)]
    fn block_mask(blocks: usize) -> __mmask8 {
        ((1u32 << (2 * blocks.min(4))) - 1) as __mmask8
    }

    /// `receiver_chunk` on 512-bit registers (the caller checked the sizes).
    pub(super) fn receiver(
        a: &[Block],
        b: &[Block],
        ctr: u128,
        r: &[u128],
        t: &mut [Block],
        u: &mut [u8],
        stride: usize,
    ) {
        // SAFETY: the engine is `Wide` only if `available` said so.
        unsafe { receiver_z(a, b, ctr, r, t, u, stride) }
    }

    #[target_feature(enable = "vaes,avx512f,avx2,aes,sse2")]
    unsafe fn receiver_z(
        a: &[Block],
        b: &[Block],
        ctr: u128,
        r: &[u128],
        t: &mut [Block],
        u: &mut [u8],
        stride: usize,
    ) {
        let c = r.len();
        let (tp, up) = (t.as_mut_ptr(), u.as_mut_ptr());
        for g in 0..GROUPS {
            let ka = group_keys(a, g);
            let kb = group_keys(b, g);
            prefetch_next(up, g, c, stride);
            for k0 in (0..c).step_by(4) {
                let valid = (c - k0).min(4);
                // Counters past `c` (in the last quad) are encrypted and thrown away.
                let x: [__m512i; 4] = core::array::from_fn(|i| counter(ctr.wrapping_add((k0 + i) as u128)));
                let mut y = [x[0], x[1], x[2], x[3], x[0], x[1], x[2], x[3]];
                for v in &mut y[..4] {
                    *v = _mm512_xor_si512(*v, ka[0]);
                }
                for v in &mut y[4..] {
                    *v = _mm512_xor_si512(*v, kb[0]);
                }
                for rd in 1..10 {
                    for v in &mut y[..4] {
                        *v = _mm512_aesenc_epi128(*v, ka[rd]);
                    }
                    for v in &mut y[4..] {
                        *v = _mm512_aesenc_epi128(*v, kb[rd]);
                    }
                }
                for v in &mut y[..4] {
                    *v = _mm512_aesenclast_epi128(*v, ka[10]);
                }
                for v in &mut y[4..] {
                    *v = _mm512_aesenclast_epi128(*v, kb[10]);
                }
                for (i, v) in y[..valid].iter().enumerate() {
                    // SAFETY: `k0 + i < c`, `4 g + 3 < 128`: entries `128 (k0 + i) + 4 g
                    // .. + 4` lie in `t` (`128 c` blocks, checked by the caller).
                    _mm512_storeu_si512(tp.add(128 * (k0 + i) + 4 * g).cast(), *v);
                }
                let w: [__m512i; 4] = core::array::from_fn(|i| {
                    let rk = if i < valid { r[k0 + i] } else { 0 };
                    _mm512_xor_si512(_mm512_xor_si512(y[i], y[4 + i]), counter(rk))
                });
                let cols = transpose4(w);
                let m = block_mask(valid);
                for (l, v) in cols.iter().enumerate() {
                    // SAFETY: the unmasked bytes are blocks `k0 .. k0 + valid` of
                    // column `4 g + l`: `(4 g + l) stride + 16 (k0 + valid) <= 127
                    // stride + 16 c <= u.len()` (checked by the caller); masked-out
                    // qwords are not accessed.
                    _mm512_mask_storeu_epi64(up.add((4 * g + l) * stride + 16 * k0).cast(), m, *v);
                }
            }
        }
    }

    /// `sender_chunk` on 512-bit registers (the caller checked the sizes); `masks[j]`
    /// is all ones where bit `j` of `s` is set, else zero.
    pub(super) fn sender(
        a: &[Block],
        masks: &[Block; COLUMNS],
        ctr: u128,
        c: usize,
        u: &[u8],
        stride: usize,
        q: &mut [Block],
    ) {
        // SAFETY: the engine is `Wide` only if `available` said so.
        unsafe { sender_z(a, masks, ctr, c, u, stride, q) }
    }

    #[target_feature(enable = "vaes,avx512f,avx2,aes,sse2")]
    unsafe fn sender_z(
        a: &[Block],
        masks: &[Block; COLUMNS],
        ctr: u128,
        c: usize,
        u: &[u8],
        stride: usize,
        q: &mut [Block],
    ) {
        let (qp, up) = (q.as_mut_ptr(), u.as_ptr());
        for g in 0..GROUPS {
            let ka = group_keys(a, g);
            prefetch_next(up, g, c, stride);
            // SAFETY: `4 g + 4 <= 128` entries of `masks`.
            let s = _mm512_loadu_si512(masks.as_ptr().add(4 * g).cast());
            for k0 in (0..c).step_by(8) {
                let mut y: [__m512i; 8] =
                    core::array::from_fn(|i| counter(ctr.wrapping_add((k0 + i) as u128)));
                for v in y.iter_mut() {
                    *v = _mm512_xor_si512(*v, ka[0]);
                }
                for rk in &ka[1..10] {
                    for v in y.iter_mut() {
                        *v = _mm512_aesenc_epi128(*v, *rk);
                    }
                }
                for v in y.iter_mut() {
                    *v = _mm512_aesenclast_epi128(*v, ka[10]);
                }
                for h in 0..2 {
                    let base = k0 + 4 * h;
                    if base >= c {
                        break;
                    }
                    let valid = (c - base).min(4);
                    let m = block_mask(valid);
                    // SAFETY: as in `receiver_z`: the unmasked bytes are blocks `base ..
                    // base + valid` of column `4 g + l`, within `u`; masked-out qwords
                    // are not accessed (and read as zero).
                    let cols: [__m512i; 4] = core::array::from_fn(|l| {
                        _mm512_maskz_loadu_epi64(m, up.add((4 * g + l) * stride + 16 * base).cast())
                    });
                    let rows = transpose4(cols);
                    for (i, v) in rows[..valid].iter().enumerate() {
                        let x = _mm512_xor_si512(y[4 * h + i], _mm512_and_si512(*v, s));
                        // SAFETY: as in `receiver_z`, for `q`.
                        _mm512_storeu_si512(qp.add(128 * (base + i) + 4 * g).cast(), x);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Prg;

    fn seeds(tag: u128) -> [Block; COLUMNS] {
        core::array::from_fn(|j| {
            Block::from_u128(tag.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ (j as u128) << 64 ^ 7)
        })
    }

    /// The streams by `Prg`, the definition: column `j`, blocks `from .. from + c`.
    fn stream(seed: Block, from: u128, c: usize) -> Vec<Block> {
        let mut p = Prg::from_seed_block(seed);
        let mut skip = vec![Block::ZERO; from as usize];
        p.fill_blocks(&mut skip);
        p.blocks(c)
    }

    fn engines(a: &[Block; COLUMNS], b: &[Block; COLUMNS]) -> Vec<(ColumnPrgs, ColumnPrgs)> {
        let mut v = vec![(ColumnPrgs::portable(a), ColumnPrgs::portable(b))];
        let (x, y) = (ColumnPrgs::new(a), ColumnPrgs::new(b));
        if x.is_wide() {
            v.push((x, y));
        }
        v
    }

    #[test]
    fn receiver_chunk_is_the_definition() {
        let (sa, sb) = (seeds(1), seeds(2));
        for (a, b) in engines(&sa, &sb) {
            for (c, from) in [(1usize, 0u128), (3, 5), (4, 9), (16, 0), (37, 100)] {
                let r: Vec<u128> =
                    (0..c).map(|k| (k as u128 + 1).wrapping_mul(0x1234_5678_9abc_def1_u128 << 40)).collect();
                let stride = 16 * c + 32;
                let mut t = vec![Block::ONES; 128 * c];
                let mut u = vec![0xA5u8; 127 * stride + 16 * c + 16];
                a.receiver_chunk(&b, from, &r, &mut t, &mut u, stride);
                for j in 0..COLUMNS {
                    let (ta, gb) = (stream(sa[j], from, c), stream(sb[j], from, c));
                    for k in 0..c {
                        assert_eq!(t[128 * k + j], ta[k], "t, c {c}, column {j}, block {k}");
                        let o = j * stride + 16 * k;
                        let want = ta[k] ^ gb[k] ^ Block::from_u128(r[k]);
                        assert_eq!(&u[o..o + 16], &want.to_bytes()[..], "u, c {c}, column {j}, block {k}");
                    }
                    // The gap after each column's blocks is untouched.
                    let gap = j * stride + 16 * c;
                    assert!(
                        u[gap..gap + 16].iter().all(|&x| x == 0xA5),
                        "c {c}: column {j} wrote past its blocks"
                    );
                }
            }
        }
    }

    #[test]
    fn sender_chunk_is_the_definition() {
        let sa = seeds(3);
        let s = Block::from_u128(0xfedc_ba98_7654_3210_0f1e_2d3c_4b5a_6978);
        for (a, _) in engines(&sa, &sa) {
            for (c, from) in [(1usize, 0u128), (5, 3), (8, 0), (16, 7), (37, 100)] {
                let stride = 16 * c + 48;
                let u: Vec<u8> = (0..127 * stride + 16 * c).map(|i| (i * 31 + i / 7) as u8).collect();
                let mut q = vec![Block::ONES; 128 * c];
                a.sender_chunk(s, from, c, &u, stride, &mut q);
                for j in 0..COLUMNS {
                    let ta = stream(sa[j], from, c);
                    for k in 0..c {
                        let o = j * stride + 16 * k;
                        let mut uk = [0u8; 16];
                        uk.copy_from_slice(&u[o..o + 16]);
                        let bit = (s.to_u128() >> j) & 1 == 1;
                        let want = if bit { ta[k] ^ Block::from_bytes(uk) } else { ta[k] };
                        assert_eq!(q[128 * k + j], want, "c {c}, column {j}, block {k}");
                    }
                }
            }
        }
    }

    #[test]
    #[should_panic(expected = "u holds 128 columns")]
    fn a_short_u_is_refused() {
        let a = ColumnPrgs::new(&seeds(4));
        let mut q = vec![Block::ZERO; 128 * 2];
        a.sender_chunk(Block::ZERO, 0, 2, &[0u8; 100], 32, &mut q);
    }
}
