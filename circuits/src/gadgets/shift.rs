//! Shifts and rotations. By a constant they only rename wires (free, no builder);
//! by a secret amount they are barrel shifters: one mux layer per amount bit that can
//! matter (n AND each), plus, for shifts, one OR over the amount bits that shift
//! everything out (shifting by `>= n` gives 0, or sign fill for `ashr`). Rotations
//! take the amount modulo n (any width, any n: rotating by `2^j mod n` per bit).

use crate::builder::{Bit, Builder, Word};

/// `x << k` (free). Shifting by `>= n` gives 0.
pub fn shl_const(x: &Word, k: usize) -> Word {
    let n = x.width();
    Word::from_bits((0..n).map(|i| if i >= k { x.bit(i - k) } else { Bit::ZERO }).collect())
}

/// Logical `x >> k` (free).
pub fn lshr_const(x: &Word, k: usize) -> Word {
    let n = x.width();
    Word::from_bits(
        (0..n)
            .map(|i| if i.checked_add(k).is_some_and(|j| j < n) { x.bit(i + k) } else { Bit::ZERO })
            .collect(),
    )
}

/// Arithmetic `x >> k`, filling with the sign bit (free).
pub fn ashr_const(x: &Word, k: usize) -> Word {
    let n = x.width();
    if n == 0 {
        return x.clone();
    }
    Word::from_bits((0..n).map(|i| x.bit(i.saturating_add(k).min(n - 1))).collect())
}

/// Rotate left by `k` (free).
pub fn rotl_const(x: &Word, k: usize) -> Word {
    let n = x.width();
    if n == 0 {
        return x.clone();
    }
    let k = k % n;
    Word::from_bits((0..n).map(|i| x.bit((i + n - k) % n)).collect())
}

/// Rotate right by `k` (free).
pub fn rotr_const(x: &Word, k: usize) -> Word {
    let n = x.width();
    if n == 0 {
        return x.clone();
    }
    rotl_const(x, n - k % n)
}

#[derive(Clone, Copy)]
enum Kind {
    Shl,
    Lshr,
    Ashr,
}

fn barrel(b: &mut Builder, x: &Word, amount: &Word, kind: Kind) -> Word {
    let n = x.width();
    let mut cur = x.clone();
    let mut high = Vec::new();
    for (j, &bit) in amount.bits().iter().enumerate() {
        let step = 1usize.checked_shl(j as u32).filter(|&s| s < n);
        match step {
            Some(s) => {
                let shifted = match kind {
                    Kind::Shl => shl_const(&cur, s),
                    Kind::Lshr => lshr_const(&cur, s),
                    Kind::Ashr => ashr_const(&cur, s),
                };
                cur = super::mux::mux(b, bit, &shifted, &cur);
            }
            None => high.push(bit),
        }
    }
    if high.is_empty() || n == 0 {
        return cur;
    }
    let out = super::or_all(b, &high);
    let fill = match kind {
        Kind::Ashr => Word::from_bits(vec![x.msb(); n]),
        _ => Word::constant(0, n),
    };
    super::mux::mux(b, out, &fill, &cur)
}

/// `x << amount`; 0 when `amount >= n`.
pub fn shl(b: &mut Builder, x: &Word, amount: &Word) -> Word {
    barrel(b, x, amount, Kind::Shl)
}

/// Logical `x >> amount`; 0 when `amount >= n`.
pub fn lshr(b: &mut Builder, x: &Word, amount: &Word) -> Word {
    barrel(b, x, amount, Kind::Lshr)
}

/// Arithmetic `x >> amount`; all sign bits when `amount >= n`.
pub fn ashr(b: &mut Builder, x: &Word, amount: &Word) -> Word {
    barrel(b, x, amount, Kind::Ashr)
}

/// Rotate left by `amount mod n`.
pub fn rotl(b: &mut Builder, x: &Word, amount: &Word) -> Word {
    let n = x.width();
    if n == 0 {
        return x.clone();
    }
    let mut cur = x.clone();
    // 2^j mod n, kept reduced so it never overflows.
    let mut step = 1 % n;
    for &bit in amount.bits() {
        if step != 0 {
            let r = rotl_const(&cur, step);
            cur = super::mux::mux(b, bit, &r, &cur);
        }
        step = (2 * step) % n;
    }
    cur
}

/// Rotate right by `amount mod n`.
pub fn rotr(b: &mut Builder, x: &Word, amount: &Word) -> Word {
    let n = x.width();
    if n == 0 {
        return x.clone();
    }
    let mut cur = x.clone();
    let mut step = 1 % n;
    for &bit in amount.bits() {
        if step != 0 {
            let r = rotr_const(&cur, step);
            cur = super::mux::mux(b, bit, &r, &cur);
        }
        step = (2 * step) % n;
    }
    cur
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gadgets::testutil::{build, mask, run, sext};
    use proptest::prelude::*;

    #[test]
    fn and_counts() {
        // 32-bit word, 5-bit amount: 5 layers of 32 muxes; constant shifts are free.
        assert!(build(&[32, 5], |b, w| vec![shl(b, &w[0], &w[1])]).1 <= 5 * 32);
        // The last layer rotates by n/2, so bit i and bit i + 16 share `sel & (x_i ^ x_{i+16})`.
        assert_eq!(build(&[32, 5], |b, w| vec![rotl(b, &w[0], &w[1])]).1, 4 * 32 + 16);
        assert_eq!(
            build(&[32], |_, w| vec![shl_const(&w[0], 3), rotr_const(&w[0], 7), ashr_const(&w[0], 40)]).1,
            0
        );
    }

    fn rot_l(x: u128, k: u32, w: usize) -> u128 {
        let k = (k as usize) % w;
        if k == 0 {
            x
        } else {
            ((x << k) | (x >> (w - k))) & mask(w)
        }
    }

    fn check(w: usize, aw: usize, x: u128, a: u128) {
        let m = mask(w);
        let x = x & m;
        let a = a & mask(aw);
        let (c, _) = build(&[w, aw], |b, i| {
            vec![
                shl(b, &i[0], &i[1]),
                lshr(b, &i[0], &i[1]),
                ashr(b, &i[0], &i[1]),
                rotl(b, &i[0], &i[1]),
                rotr(b, &i[0], &i[1]),
            ]
        });
        let out = run(&c, &[x, a]);
        let k = a;
        let shl_v = if k >= w as u128 { 0 } else { (x << k) & m };
        let lshr_v = if k >= w as u128 { 0 } else { x >> k };
        let ashr_v = (sext(x, w) >> (k.min(w as u128 - 1).min(127) as u32)) as u128 & m;
        let ashr_v = if k >= w as u128 { (sext(x, w) >> 127) as u128 & m } else { ashr_v };
        let kk = (k % w as u128) as u32;
        assert_eq!(
            out,
            vec![shl_v, lshr_v, ashr_v, rot_l(x, kk, w), rot_l(x, (w as u32 - kk) % w as u32, w)]
        );
        // Constant versions agree.
        let kc = (a % (w as u128 + 2)) as usize;
        let (c2, _) = build(&[w], |_, i| {
            vec![
                shl_const(&i[0], kc),
                lshr_const(&i[0], kc),
                ashr_const(&i[0], kc),
                rotl_const(&i[0], kc),
                rotr_const(&i[0], kc),
            ]
        });
        let out2 = run(&c2, &[x]);
        let kc128 = kc as u128;
        let want_ashr =
            if kc >= w { (sext(x, w) >> 127) as u128 & m } else { (sext(x, w) >> kc) as u128 & m };
        let kr = (kc % w) as u32;
        assert_eq!(
            out2,
            vec![
                if kc >= w { 0 } else { (x << kc128) & m },
                if kc >= w { 0 } else { x >> kc128 },
                want_ashr,
                rot_l(x, kr, w),
                rot_l(x, (w as u32 - kr) % w as u32, w)
            ]
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn matches_rust(w in 1usize..=64, aw in 1usize..=8, x: u128, a: u128) { check(w, aw, x, a); }
        #[test]
        fn matches_rust_128(aw in 1usize..=9, x: u128, a: u128) { check(128, aw, x, a); }
    }
}
