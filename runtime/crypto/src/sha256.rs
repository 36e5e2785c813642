//! SHA-256 compression (FIPS 180-4, section 6.2.2) of several independent messages
//! at once: [`compress_lanes`] runs one 64-byte block of each of `N` lanes in
//! lockstep.
//!
//! Why: one SHA-256 stream is bound by the latency of the SHA-NI round instruction
//! (each pair of rounds waits on the previous pair), so it runs at a fraction of the
//! instruction's throughput; independent lanes fill the gaps. The result of each lane
//! is exactly the compression function of that lane's state and block, so a caller
//! that feeds lane `l` the blocks of message `m_l` (padded as FIPS 180-4 section 5.1.1
//! says) gets SHA-256 of `m_l`, byte for byte.
//!
//! Invariant: [`compress_lanes`] gives the same states on every CPU; the SHA-NI kernel
//! runs only where `sha`, `sse2`, `ssse3` and `sse4.1` were detected, the portable
//! one elsewhere (both tested against each other and against the `sha2` crate).

/// The initial hash value (FIPS 180-4, section 5.3.3).
pub const IV: [u32; 8] =
    [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

/// The round constants (FIPS 180-4, section 4.2.2).
const K: [u32; 64] = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

/// Compresses block `blocks[l]` into state `states[l]` for every lane `l`.
pub fn compress_lanes<const N: usize>(states: &mut [[u32; 8]; N], blocks: [&[u8; 64]; N]) {
    #[cfg(target_arch = "x86_64")]
    if has_sha_ni() {
        // SAFETY: the CPU has the target features `ni::compress` is compiled for
        // (checked by `has_sha_ni`).
        #[allow(unsafe_code)]
        unsafe {
            ni::compress(states, blocks)
        };
        return;
    }
    for (s, b) in states.iter_mut().zip(blocks) {
        compress_portable(s, b);
    }
}

/// Lanes of [`compress_stripe`].
pub const STRIPE_LANES: usize = 16;

/// Bytes of one stripe: one 64-byte block of each of [`STRIPE_LANES`] lanes.
pub const STRIPE_BYTES: usize = 64 * STRIPE_LANES;

/// Compresses one stripe into 16 lane states held word-major (`states[k][l]` is word
/// `k` of lane `l`): the big-endian 32-bit word `j` of `stripe` is word `j / 16` of
/// lane `j % 16`'s block. So a byte stream cut into stripes gives lane `l` the
/// stream's words `l, l + 16, l + 32, ...` (the lanes need no transposition: one
/// 64-byte load is one word of every lane). AVX-512 (16 lanes per register) where
/// detected, the portable compression per lane otherwise.
pub fn compress_stripe(states: &mut [[u32; STRIPE_LANES]; 8], stripe: &[u8; STRIPE_BYTES]) {
    #[cfg(target_arch = "x86_64")]
    if has_avx512_stripe() {
        // SAFETY: the CPU has the target features `wide::compress` is compiled for
        // (checked by `has_avx512_stripe`).
        #[allow(unsafe_code)]
        unsafe {
            wide::compress(states, stripe)
        };
        return;
    }
    compress_stripe_portable(states, stripe);
}

/// [`compress_stripe`] one lane at a time (the fallback and the tests' reference).
pub(crate) fn compress_stripe_portable(states: &mut [[u32; STRIPE_LANES]; 8], stripe: &[u8; STRIPE_BYTES]) {
    // `l` picks a column of `states` and a word of each row of the stripe.
    #[allow(clippy::needless_range_loop)]
    for l in 0..STRIPE_LANES {
        let mut block = [0u8; 64];
        for (t, w) in block.chunks_exact_mut(4).enumerate() {
            let j = 16 * t + l;
            w.copy_from_slice(&stripe[4 * j..4 * j + 4]);
        }
        let mut s: [u32; 8] = core::array::from_fn(|k| states[k][l]);
        compress_portable(&mut s, &block);
        for (row, v) in states.iter_mut().zip(s) {
            row[l] = v;
        }
    }
}

/// Whether [`compress_stripe`] runs its AVX-512 kernel on this CPU.
pub fn has_avx512_stripe() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::is_x86_feature_detected as has;
        has!("avx512f") && has!("avx512bw")
    }
    #[cfg(not(target_arch = "x86_64"))]
    false
}

/// Whether the SHA-NI kernel runs on this CPU.
pub fn has_sha_ni() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::is_x86_feature_detected as has;
        has!("sha") && has!("sse2") && has!("ssse3") && has!("sse4.1")
    }
    #[cfg(not(target_arch = "x86_64"))]
    false
}

/// The compression function, one round at a time (FIPS 180-4, section 6.2.2).
pub(crate) fn compress_portable(state: &mut [u32; 8], block: &[u8; 64]) {
    let mut w = [0u32; 64];
    for (t, c) in block.chunks_exact(4).enumerate() {
        w[t] = u32::from_be_bytes([c[0], c[1], c[2], c[3]]);
    }
    for t in 16..64 {
        let s0 = w[t - 15].rotate_right(7) ^ w[t - 15].rotate_right(18) ^ (w[t - 15] >> 3);
        let s1 = w[t - 2].rotate_right(17) ^ w[t - 2].rotate_right(19) ^ (w[t - 2] >> 10);
        w[t] = w[t - 16].wrapping_add(s0).wrapping_add(w[t - 7]).wrapping_add(s1);
    }
    let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut h] = *state;
    for t in 0..64 {
        let t1 = h
            .wrapping_add(e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25))
            .wrapping_add((e & f) ^ (!e & g))
            .wrapping_add(K[t])
            .wrapping_add(w[t]);
        let t2 = (a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22))
            .wrapping_add((a & b) ^ (a & c) ^ (b & c));
        h = g;
        g = f;
        f = e;
        e = d.wrapping_add(t1);
        d = c;
        c = b;
        b = a;
        a = t1.wrapping_add(t2);
    }
    for (s, v) in state.iter_mut().zip([a, b, c, d, e, f, g, h]) {
        *s = s.wrapping_add(v);
    }
}

#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
mod ni {
    //! The SHA-NI form (Intel, "Intel SHA Extensions", 2013, and its reference code):
    //! the state as two registers `ABEF` and `CDGH`, four rounds per two
    //! `sha256rnds2`, the message schedule by `sha256msg1`/`sha256msg2`; every step
    //! written once per lane in one loop body, so the lanes' chains interleave.
    use core::arch::x86_64::*;

    use super::K;

    /// # Safety
    /// The CPU must support `sha`, `sse2`, `ssse3` and `sse4.1`.
    #[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
    pub(super) unsafe fn compress<const N: usize>(states: &mut [[u32; 8]; N], blocks: [&[u8; 64]; N]) {
        let mask = _mm_set_epi64x(0x0c0d0e0f08090a0b, 0x0405060700010203);
        let mut s0 = [_mm_setzero_si128(); N];
        let mut s1 = [_mm_setzero_si128(); N];
        let mut w = [[_mm_setzero_si128(); 4]; N];
        for l in 0..N {
            // SAFETY (all loads and stores here): unaligned 16-byte accesses inside
            // the 32-byte state and the 64-byte block.
            let abcd = _mm_loadu_si128(states[l].as_ptr().cast());
            let efgh = _mm_loadu_si128(states[l].as_ptr().add(4).cast());
            let cdab = _mm_shuffle_epi32::<0xB1>(abcd);
            let efgh = _mm_shuffle_epi32::<0x1B>(efgh);
            s0[l] = _mm_alignr_epi8::<8>(cdab, efgh); // ABEF
            s1[l] = _mm_blend_epi16::<0xF0>(efgh, cdab); // CDGH
            for (k, wk) in w[l].iter_mut().enumerate() {
                *wk = _mm_shuffle_epi8(_mm_loadu_si128(blocks[l].as_ptr().add(16 * k).cast()), mask);
            }
        }
        let (save0, save1) = (s0, s1);
        for g in 0..16 {
            let kg = _mm_loadu_si128(K.as_ptr().add(4 * g).cast());
            for l in 0..N {
                // Message words 4g..4g+4: the first four groups are the block; later
                // ones W_g = msg2(msg1(W_{g-4}, W_{g-3}) + alignr(W_{g-1}, W_{g-2}, 4),
                // W_{g-1}), kept in a ring of four.
                let wg = if g < 4 {
                    w[l][g]
                } else {
                    let (w4, w3, w2, w1) =
                        (w[l][g % 4], w[l][(g + 1) % 4], w[l][(g + 2) % 4], w[l][(g + 3) % 4]);
                    let x = _mm_add_epi32(_mm_sha256msg1_epu32(w4, w3), _mm_alignr_epi8::<4>(w1, w2));
                    let v = _mm_sha256msg2_epu32(x, w1);
                    w[l][g % 4] = v;
                    v
                };
                let m = _mm_add_epi32(wg, kg);
                s1[l] = _mm_sha256rnds2_epu32(s1[l], s0[l], m);
                s0[l] = _mm_sha256rnds2_epu32(s0[l], s1[l], _mm_shuffle_epi32::<0x0E>(m));
            }
        }
        for l in 0..N {
            let abef = _mm_add_epi32(s0[l], save0[l]);
            let cdgh = _mm_add_epi32(s1[l], save1[l]);
            let feba = _mm_shuffle_epi32::<0x1B>(abef);
            let dchg = _mm_shuffle_epi32::<0xB1>(cdgh);
            let dcba = _mm_blend_epi16::<0xF0>(feba, dchg);
            let hgfe = _mm_alignr_epi8::<8>(dchg, feba);
            _mm_storeu_si128(states[l].as_mut_ptr().cast(), dcba);
            _mm_storeu_si128(states[l].as_mut_ptr().add(4).cast(), hgfe);
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
mod wide {
    //! FIPS 180-4's rounds on 16 lanes, one 32-bit lane of a 512-bit register each:
    //! rotations by `vprord`, the three-input functions by one `vpternlogd`.
    use core::arch::x86_64::*;

    use super::{K, STRIPE_BYTES, STRIPE_LANES};

    /// # Safety
    /// The CPU must support `avx512f` and `avx512bw`.
    #[target_feature(enable = "avx512f,avx512bw")]
    pub(super) unsafe fn compress(states: &mut [[u32; STRIPE_LANES]; 8], stripe: &[u8; STRIPE_BYTES]) {
        // Big-endian words: reverse the bytes of every 32-bit lane.
        let swap = _mm512_set4_epi32(0x0c0d0e0f, 0x08090a0b, 0x04050607, 0x00010203);
        let mut w = [_mm512_setzero_si512(); 16];
        for (t, wt) in w.iter_mut().enumerate() {
            // SAFETY: 64 bytes at 64 t, inside the stripe (t < 16).
            *wt = _mm512_shuffle_epi8(_mm512_loadu_si512(stripe.as_ptr().add(64 * t).cast()), swap);
        }
        // SAFETY: 64 bytes per state word, inside `states`.
        let load = |k: usize| _mm512_loadu_si512(states[k].as_ptr().cast());
        let init: [__m512i; 8] = core::array::from_fn(load);
        let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut h] = init;
        for t in 0..64 {
            let wt = if t < 16 {
                w[t]
            } else {
                let (w15, w2) = (w[(t + 1) % 16], w[(t + 14) % 16]);
                let s0 = _mm512_ternarylogic_epi32::<0x96>(
                    _mm512_ror_epi32::<7>(w15),
                    _mm512_ror_epi32::<18>(w15),
                    _mm512_srli_epi32::<3>(w15),
                );
                let s1 = _mm512_ternarylogic_epi32::<0x96>(
                    _mm512_ror_epi32::<17>(w2),
                    _mm512_ror_epi32::<19>(w2),
                    _mm512_srli_epi32::<10>(w2),
                );
                let v =
                    _mm512_add_epi32(_mm512_add_epi32(w[t % 16], s0), _mm512_add_epi32(w[(t + 9) % 16], s1));
                w[t % 16] = v;
                v
            };
            let big_s1 = _mm512_ternarylogic_epi32::<0x96>(
                _mm512_ror_epi32::<6>(e),
                _mm512_ror_epi32::<11>(e),
                _mm512_ror_epi32::<25>(e),
            );
            let ch = _mm512_ternarylogic_epi32::<0xCA>(e, f, g);
            let t1 = _mm512_add_epi32(
                _mm512_add_epi32(h, big_s1),
                _mm512_add_epi32(_mm512_add_epi32(ch, _mm512_set1_epi32(K[t] as i32)), wt),
            );
            let big_s0 = _mm512_ternarylogic_epi32::<0x96>(
                _mm512_ror_epi32::<2>(a),
                _mm512_ror_epi32::<13>(a),
                _mm512_ror_epi32::<22>(a),
            );
            let maj = _mm512_ternarylogic_epi32::<0xE8>(a, b, c);
            let t2 = _mm512_add_epi32(big_s0, maj);
            h = g;
            g = f;
            f = e;
            e = _mm512_add_epi32(d, t1);
            d = c;
            c = b;
            b = a;
            a = _mm512_add_epi32(t1, t2);
        }
        for (k, v) in [a, b, c, d, e, f, g, h].into_iter().enumerate() {
            // SAFETY: as `load`.
            _mm512_storeu_si512(states[k].as_mut_ptr().cast(), _mm512_add_epi32(init[k], v));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use sha2::digest::generic_array::GenericArray;

    fn reference(state: &[u32; 8], block: &[u8; 64]) -> [u32; 8] {
        let mut s = *state;
        sha2::compress256(&mut s, &[*GenericArray::from_slice(block)]);
        s
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn every_lane_is_the_compression_function(
            seed in any::<[u32; 8]>(),
            blocks in proptest::collection::vec(any::<[u8; 32]>(), 6),
        ) {
            let block = |i: usize| -> [u8; 64] {
                let mut b = [0u8; 64];
                b[..32].copy_from_slice(&blocks[i]);
                b[32..].copy_from_slice(&blocks[(i + 1) % 6]);
                b
            };
            let bs: Vec<[u8; 64]> = (0..3).map(block).collect();
            let mut states = [seed, IV, [seed[0]; 8]];
            let want: Vec<[u32; 8]> = states.iter().zip(&bs).map(|(s, b)| reference(s, b)).collect();
            compress_lanes(&mut states, [&bs[0], &bs[1], &bs[2]]);
            prop_assert_eq!(&states[..], &want[..]);
            let mut one = [seed];
            compress_portable(&mut one[0], &bs[0]);
            prop_assert_eq!(one[0], want[0]);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(32))]
        #[test]
        fn the_stripe_kernel_is_the_compression_function_per_lane(
            seed in any::<u64>(),
        ) {
            let mut x = seed | 1;
            let mut next = move || { x ^= x << 13; x ^= x >> 7; x ^= x << 17; x };
            let stripe: Vec<u8> = (0..STRIPE_BYTES).map(|_| next() as u8).collect();
            let stripe: &[u8; STRIPE_BYTES] = stripe.as_slice().try_into().unwrap();
            let mut states: [[u32; STRIPE_LANES]; 8] = core::array::from_fn(|_| core::array::from_fn(|_| next() as u32));
            let mut want = states;
            compress_stripe_portable(&mut want, stripe);
            // The portable form against the `sha2` crate, lane by lane.
            for l in 0..STRIPE_LANES {
                let mut block = [0u8; 64];
                for t in 0..16 {
                    let j = 16 * t + l;
                    block[4 * t..4 * t + 4].copy_from_slice(&stripe[4 * j..4 * j + 4]);
                }
                let s: [u32; 8] = core::array::from_fn(|k| states[k][l]);
                let r = reference(&s, &block);
                prop_assert!((0..8).all(|k| want[k][l] == r[k]));
            }
            compress_stripe(&mut states, stripe);
            prop_assert_eq!(states, want);
        }
    }

    #[test]
    fn the_empty_message_has_its_known_digest() {
        // FIPS 180-4 padding of the empty message: 0x80 then zeros (length 0).
        let mut block = [0u8; 64];
        block[0] = 0x80;
        let mut s = [IV];
        compress_lanes(&mut s, [&block]);
        let hex: String = s[0].iter().map(|w| format!("{w:08x}")).collect();
        assert_eq!(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    }
}
