//! The sums of the KOS15 consistency check with its coefficients made in registers:
//! [`chi_sums`].
//!
//! Both sides of the check expand the challenge seed into coefficients
//! `chi_i = AES_seed(counter + i)` (the stream of [`crate::Prg`] seeded with the
//! seed, block `counter + i`) and take `sum chi_i * b_i` in GF(2^128) over the batch's
//! rows `b_i`; the receiver also takes `x = sum chi_i r_i` over its choice bits. Done
//! apart (counter mode into a buffer, then [`Accumulator::add_products`] and
//! [`crate::gf128::select_sum`]) that is three passes; here, with VAES, AVX-512F and
//! VPCLMULQDQ, 32 coefficients are encrypted in eight registers and multiplied with
//! the rows straight from them (the AES rounds and the carry-less products run on
//! different execution ports, so they overlap). Otherwise the three passes.
//! Both give the same bits (tested).
//!
//! Guarantees: branch free in the rows and the bits (masked XORs); the seed is public
//! (the challenge is sent in the clear), so its round keys need no wiping.

use crate::gf128::{select_sum, Accumulator};
use crate::{Block, Prg};

/// Adds `sum_i chi_i * b[i]` to `acc` and returns `sum_i chi_i r_i`, with
/// `chi_i = AES_seed(counter + i)` (block `counter + i` of `Prg::from_seed_block(seed)`)
/// and `r_i` bit `i % 128` of `bits[i / 128]` (zero where `bits` is shorter: pass
/// `&[]` for no `x`).
pub fn chi_sums(acc: &mut Accumulator, seed: Block, counter: u128, b: &[u128], bits: &[u128]) -> u128 {
    #[cfg(target_arch = "x86_64")]
    if let Some(k) = wide::keys(seed) {
        let (lo, hi, x) = wide::sums(&k, counter, b, bits);
        acc.add_unreduced(lo, hi);
        return x;
    }
    chi_sums_portable(acc, seed, counter, b, bits)
}

/// [`chi_sums`] in three passes over a buffer of coefficients, whatever the CPU.
pub fn chi_sums_portable(
    acc: &mut Accumulator,
    seed: Block,
    counter: u128,
    b: &[u128],
    bits: &[u128],
) -> u128 {
    let cipher = Prg::from_seed_block(seed);
    let mut buf = [Block::ZERO; 1024];
    let mut x = 0u128;
    for start in (0..b.len()).step_by(buf.len()) {
        let chunk = &mut buf[..(b.len() - start).min(1024)];
        cipher.blocks_at(counter.wrapping_add(start as u128), chunk);
        let chis: &[u128] = bytemuck::cast_slice(chunk);
        acc.add_products(chis, &b[start..]);
        if start / 128 < bits.len() {
            x ^= select_sum(chis, &bits[start / 128..]);
        }
    }
    x
}

#[cfg(target_arch = "x86_64")]
mod wide {
    #![allow(unsafe_code)]
    use core::arch::x86_64::*;

    use crate::Block;

    /// The seed's round keys, if the CPU has what [`sums`] is compiled for.
    pub(super) fn keys(seed: Block) -> Option<[__m128i; 11]> {
        use std::arch::is_x86_feature_detected as has;
        let ok = has!("aes")
            && has!("sse2")
            && has!("avx2")
            && has!("vaes")
            && has!("avx512f")
            && has!("vpclmulqdq")
            && has!("pclmulqdq");
        // SAFETY: AES-NI and SSE2 were detected (above).
        ok.then(|| unsafe { crate::ni::expand(seed.to_bytes()) })
    }

    /// `(lo, hi, x)`: the unreduced `sum chi_i b_i` and `sum chi_i r_i`; only called
    /// with keys from [`keys`] (which checked the CPU features).
    pub(super) fn sums(k: &[__m128i; 11], counter: u128, b: &[u128], bits: &[u128]) -> (u128, u128, u128) {
        // SAFETY: `keys` returned `Some` only after detecting every feature `sums_z`
        // is compiled for.
        unsafe { sums_z(k, counter, b, bits) }
    }

    /// Terms per iteration: eight 512-bit registers of four coefficients.
    const Z: usize = 32;

    #[target_feature(enable = "vaes,avx512f,avx2,vpclmulqdq,pclmulqdq,aes,sse2")]
    unsafe fn sums_z(k: &[__m128i; 11], counter: u128, b: &[u128], bits: &[u128]) -> (u128, u128, u128) {
        let kz: [__m512i; 11] = core::array::from_fn(|i| _mm512_broadcast_i32x4(k[i]));
        let z = _mm512_setzero_si512();
        let (mut ll, mut hh, mut m0, mut m1, mut xs) = (z, z, z, z, z);
        let n = b.len();
        let full = n - n % Z;
        let mut tail = [0u128; Z];
        let mut i = 0;
        while i <= full {
            let ctr = counter.wrapping_add(i as u128);
            let mut c: [__m512i; 8] = if (ctr as u64) <= u64::MAX - Z as u64 {
                // No carry out of the low 64 bits within these 32 counters.
                let base = _mm512_broadcast_i32x4(core::mem::transmute::<u128, __m128i>(ctr));
                core::array::from_fn(|v| {
                    let j = 4 * v as i64;
                    _mm512_add_epi64(base, _mm512_set_epi64(0, j + 3, 0, j + 2, 0, j + 1, 0, j))
                })
            } else {
                core::array::from_fn(|v| {
                    let four: [u128; 4] = core::array::from_fn(|l| ctr.wrapping_add((4 * v + l) as u128));
                    // SAFETY: `four` is 64 readable bytes; unaligned load.
                    _mm512_loadu_si512(four.as_ptr().cast())
                })
            };
            for v in c.iter_mut() {
                *v = _mm512_xor_si512(*v, kz[0]);
            }
            for rk in &kz[1..10] {
                for v in c.iter_mut() {
                    *v = _mm512_aesenc_epi128(*v, *rk);
                }
            }
            for v in c.iter_mut() {
                *v = _mm512_aesenclast_epi128(*v, kz[10]);
            }
            if i == full {
                // The last `n - full` (< 32) terms: coefficients to the stack, then
                // the 128-bit tail below.
                // SAFETY: `tail` is 32 writable `u128`s, 8 registers' worth.
                for (v, x) in c.iter().enumerate() {
                    _mm512_storeu_si512(tail.as_mut_ptr().add(4 * v).cast(), *x);
                }
                break;
            }
            // `i` is a multiple of 32, so these 32 terms share one packed word.
            let masks = crate::gf128::pair_masks(bits.get(i / 128).copied().unwrap_or(0));
            for (v, x) in c.iter().enumerate() {
                // SAFETY: `i + 32 <= full <= n`: terms `i + 4 v .. + 4` of `b` are 64
                // readable bytes; unaligned load.
                let y = _mm512_loadu_si512(b.as_ptr().add(i + 4 * v).cast());
                ll = _mm512_xor_si512(ll, _mm512_clmulepi64_epi128(*x, y, 0x00));
                hh = _mm512_xor_si512(hh, _mm512_clmulepi64_epi128(*x, y, 0x11));
                m0 = _mm512_xor_si512(m0, _mm512_clmulepi64_epi128(*x, y, 0x01));
                m1 = _mm512_xor_si512(m1, _mm512_clmulepi64_epi128(*x, y, 0x10));
                let t = i + 4 * v;
                let m = masks[(t % 128) / 4];
                xs = _mm512_mask_xor_epi64(xs, m, xs, *x);
            }
            i += Z;
        }
        let lanes = |v: __m512i| -> u128 {
            let mut w = [0u128; 4];
            // SAFETY: `w` is 64 writable bytes; unaligned store.
            _mm512_storeu_si512(w.as_mut_ptr().cast(), v);
            w[0] ^ w[1] ^ w[2] ^ w[3]
        };
        let mid = lanes(_mm512_xor_si512(m0, m1));
        let (mut lo, mut hi) = (lanes(ll) ^ (mid << 64), lanes(hh) ^ (mid >> 64));
        let mut x = lanes(xs);
        for (j, (&chi, &y)) in tail.iter().zip(&b[full..]).enumerate() {
            let (l, h) = crate::gf128::clmul(chi, y);
            lo ^= l;
            hi ^= h;
            let t = full + j;
            let bit = (bits.get(t / 128).copied().unwrap_or(0) >> (t % 128)) & 1;
            x ^= chi & 0u128.wrapping_sub(bit);
        }
        (lo, hi, x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn both_paths_are_the_definition(
            seed in any::<u128>(),
            counter in prop_oneof![Just(0u128), any::<u64>().prop_map(u128::from), Just(u64::MAX as u128 - 40), any::<u128>()],
            b in proptest::collection::vec(any::<u128>(), 0..300),
            bits in proptest::collection::vec(any::<u128>(), 0..4),
        ) {
            let seed = Block::from_u128(seed);
            let chis: Vec<u128> = {
                let mut v = vec![Block::ZERO; b.len()];
                Prg::from_seed_block(seed).blocks_at(counter, &mut v);
                v.into_iter().map(Block::to_u128).collect()
            };
            let mut want = Accumulator::new();
            let mut want_x = 0u128;
            for (i, (&c, &y)) in chis.iter().zip(&b).enumerate() {
                want.add_product(c, y);
                if i / 128 < bits.len() && (bits[i / 128] >> (i % 128)) & 1 == 1 {
                    want_x ^= c;
                }
            }
            let (mut fast, mut slow) = (Accumulator::new(), Accumulator::new());
            prop_assert_eq!(chi_sums(&mut fast, seed, counter, &b, &bits), want_x);
            prop_assert_eq!(chi_sums_portable(&mut slow, seed, counter, &b, &bits), want_x);
            prop_assert_eq!(fast.finish(), want.finish());
            prop_assert_eq!(slow.finish(), want.finish());
        }
    }

    #[test]
    fn the_coefficients_are_the_prg_stream() {
        // Counter 0 is the first block of the Prg seeded with the seed: chi_sums with
        // b = [1] (the field's one) and no bits adds exactly chi_0.
        let seed = Block::from_u128(99);
        let mut acc = Accumulator::new();
        chi_sums(&mut acc, seed, 0, &[1], &[]);
        assert_eq!(acc.finish(), Prg::from_seed_block(seed).random_block().to_u128());
    }
}
