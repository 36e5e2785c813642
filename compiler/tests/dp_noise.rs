//! `dp_noise` against a plaintext model written here from the definition (not from
//! the gadget's code), and a statistical check of the noise the compiled circuit
//! draws.
//!
//! The model: `m` is the least `m >= 1` with `2^m epsilon >= 40 sensitivity` (exact
//! integer arithmetic), each of the `m` digits of a geometric is set when its 40
//! random bits, read as an unsigned number least significant bit first, are below
//! `floor(2^40 q / (1 + q))` with `q = exp(-epsilon 2^j / sensitivity)`; the first
//! `40 m` bits of `random_a ^ random_b` give `G1`, the next `40 m` give `G2`, the
//! noise is `G1 - G2`, and the result is `value + G1 - G2` clamped to the type's range.

use mpc_circuits::eval::{eval_groups, eval_lanes};
use mpc_circuits::gadgets::dp;
use mpc_circuits::Circuit;
use mpc_compiler::{compile, render, Options};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const W: usize = 40;

struct Model {
    m: usize,
    thresholds: Vec<u64>,
}

impl Model {
    fn new(num: u64, den: u64, sens: u64) -> Model {
        let mut m = 1;
        while (1u128 << m) * u128::from(num) < 40 * u128::from(sens) * u128::from(den) {
            m += 1;
        }
        let thresholds = (0..m)
            .map(|j| {
                let x = num as f64 * (1u64 << j) as f64 / (den as f64 * sens as f64);
                let q = (-x).exp();
                (q / (1.0 + q) * (1u64 << W) as f64).floor() as u64
            })
            .collect();
        Model { m, thresholds }
    }

    fn bits(&self) -> usize {
        2 * self.m * W
    }

    fn geometric(&self, r: &[bool]) -> i128 {
        (0..self.m)
            .map(|j| {
                let u = r[j * W..(j + 1) * W].iter().rev().fold(0u64, |a, &b| (a << 1) | u64::from(b));
                i128::from(u < self.thresholds[j]) << j
            })
            .sum()
    }

    fn noise(&self, ra: &[bool], rb: &[bool]) -> i128 {
        let r: Vec<bool> = ra.iter().zip(rb).take(self.bits()).map(|(a, b)| a ^ b).collect();
        let half = self.m * W;
        self.geometric(&r[..half]) - self.geometric(&r[half..])
    }
}

fn clamp(v: i128, signed: bool, w: u32) -> i128 {
    let (lo, hi) = if signed { (-(1i128 << (w - 1)), (1i128 << (w - 1)) - 1) } else { (0, (1i128 << w) - 1) };
    v.clamp(lo, hi)
}

fn build(src: &str) -> Circuit {
    let (c, diags) = compile(src, &Options::default());
    c.unwrap_or_else(|| panic!("{}", render(&diags, "dp.mpc", src, false)))
}

fn to_bits(v: i128, w: u32) -> Vec<bool> {
    (0..w).map(|i| (v >> i) & 1 == 1).collect()
}

fn from_bits(bits: &[bool], signed: bool) -> i128 {
    let v = bits.iter().rev().fold(0i128, |a, &b| (a << 1) | i128::from(b));
    if signed && bits.last() == Some(&true) {
        v - (1i128 << bits.len())
    } else {
        v
    }
}

#[test]
fn model_agrees_with_gadget_parameters() {
    for (num, den, sens) in [(1, 1, 1), (1, 2, 1), (1, 10, 3), (3, 1, 1), (7, 5, 100), (1, 1, 1 << 20)] {
        let model = Model::new(num, den, sens);
        let p = dp::NoiseParams::new(num, den, sens).unwrap();
        assert_eq!(model.m, p.magnitude_bits, "{num}/{den}, {sens}");
        assert_eq!(model.bits(), dp::random_bits_needed(&p));
        // The model computes the probability another way; floor may differ by one only
        // when the product lands within rounding error of an integer.
        for (a, b) in model.thresholds.iter().zip(p.thresholds()) {
            assert!(a.abs_diff(b) <= 1, "{num}/{den}, {sens}: thresholds {a} vs {b}");
        }
    }
}

/// Random values and random bits through the compiled circuit equal the model, for
/// unsigned and signed values of several widths (u8 and i8 saturate often).
#[test]
fn circuit_equals_model() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    for (ty, signed, w, num, den, sens, k) in [
        ("u8", false, 8u32, 1u64, 1u64, 1u64, 2usize),
        ("i8", true, 8, 1, 4, 1, 3),
        ("u32", false, 32, 1, 10, 3, 4),
        ("i64", true, 64, 2, 1, 5, 3),
    ] {
        let model = Model::new(num, den, sens);
        let src = format!(
            "party alice;\nparty bob;\n\
             fn main(x: {ty} @alice, ra: [u256; {k}] @alice, rb: [u256; {k}] @bob) -> {ty} {{\n\
             \x20   dp_noise(x, ra, rb, {num}, {den}, {sens})\n}}\n"
        );
        let c = build(&src);
        let mut nonzero = 0;
        for _ in 0..150 {
            let x: i128 = if signed {
                rng.gen_range(-(1i128 << (w - 1))..(1i128 << (w - 1)))
            } else {
                rng.gen_range(0..(1i128 << w))
            };
            // Values near the bounds exercise saturation.
            let x = match rng.gen_range(0..4) {
                0 => clamp(if signed { -(1i128 << (w - 1)) + 3 } else { 3 }, signed, w),
                1 => (1i128 << (w - (signed as u32))) - 4,
                _ => x,
            };
            let ra: Vec<bool> = (0..256 * k).map(|_| rng.gen()).collect();
            let rb: Vec<bool> = (0..256 * k).map(|_| rng.gen()).collect();
            let out = eval_groups(&c, &[to_bits(x, w), ra.clone(), rb.clone()]).unwrap();
            let got = from_bits(&out[0], signed);
            let z = model.noise(&ra, &rb);
            nonzero += usize::from(z != 0);
            assert_eq!(got, clamp(x + z, signed, w), "{ty} eps {num}/{den} sens {sens}: x = {x}, noise {z}");
        }
        assert!(nonzero > 30, "{ty}: the noise is almost always zero ({nonzero}/150)");
    }
}

/// The noise of the compiled circuit (value 0, epsilon = 1/2, sensitivity 1) follows
/// the discrete Laplace pmf `P(z) = (1 - a) / (1 + a) a^|z|`, `a = e^-1/2`: Pearson
/// chi-square over z = -6..6 and the two tails, 64 * 100 draws, fixed seed.
#[test]
fn noise_follows_discrete_laplace() {
    let src = "party alice;\nparty bob;\n\
               fn main(ra: [u256; 3] @alice, rb: [u256; 3] @bob) -> i16 {\n\
               \x20   dp_noise(0i16, ra, rb, 1, 2, 1)\n}\n";
    let c = build(src);
    let n_in: usize = c.inputs().iter().map(|g| g.ty.width()).sum();
    let mut rng = ChaCha8Rng::seed_from_u64(2026);
    let mut samples = Vec::new();
    for _ in 0..100 {
        let lanes: Vec<u64> = (0..n_in).map(|_| rng.gen()).collect();
        let out = eval_lanes(&c, &lanes).unwrap();
        for lane in 0..64 {
            let bits: Vec<bool> = out.iter().map(|w| (w >> lane) & 1 == 1).collect();
            samples.push(from_bits(&bits, true));
        }
    }
    let alpha = (-0.5f64).exp();
    let pmf = |z: i128| (1.0 - alpha) / (1.0 + alpha) * alpha.powi(z.unsigned_abs() as i32);
    let n = samples.len() as f64;
    let mut stat = 0.0;
    for z in -6..=6 {
        let e = pmf(z) * n;
        let o = samples.iter().filter(|&&v| v == z).count() as f64;
        stat += (o - e).powi(2) / e;
    }
    // Each tail: P(z > 6) = a^7 / (1 + a).
    let tail = alpha.powi(7) / (1.0 + alpha) * n;
    for side in [1i128, -1] {
        let o = samples.iter().filter(|&&v| v * side > 6).count() as f64;
        stat += (o - tail).powi(2) / tail;
    }
    // 15 bins, 14 degrees of freedom: the 10^-4 upper quantile is about 41.
    assert!(stat < 41.0, "chi-square {stat}");
    let mean = samples.iter().sum::<i128>() as f64 / n;
    assert!(mean.abs() < 0.15, "mean {mean}");
    // |Z| < 2^m with m = 7.
    assert!(samples.iter().all(|v| v.abs() < 128));
}

/// Noise is drawn from the XOR: flipping one party's bit that decides a digit changes
/// the result, and the same bits give the same result (the circuit is deterministic).
#[test]
fn both_parties_bits_matter() {
    let src = "party alice;\nparty bob;\n\
               fn main(ra: [u256; 2] @alice, rb: [u256; 2] @bob) -> i16 {\n\
               \x20   dp_noise(0i16, ra, rb, 1, 1, 1)\n}\n";
    let c = build(src);
    let model = Model::new(1, 1, 1);
    let zeros = vec![false; 512];
    // Bits 0..40 decide digit 0 of G1: all ones there (for either party) clears it.
    let mut ones = zeros.clone();
    ones[..40].iter_mut().for_each(|b| *b = true);
    let base = from_bits(&eval_groups(&c, &[zeros.clone(), zeros.clone()]).unwrap()[0], true);
    let a = from_bits(&eval_groups(&c, &[ones.clone(), zeros.clone()]).unwrap()[0], true);
    let b = from_bits(&eval_groups(&c, &[zeros.clone(), ones.clone()]).unwrap()[0], true);
    let both = from_bits(&eval_groups(&c, &[ones.clone(), ones.clone()]).unwrap()[0], true);
    assert_eq!(base, 0);
    assert_eq!(a, -1);
    assert_eq!(b, -1);
    assert_eq!(both, 0);
    assert_eq!(a, model.noise(&ones, &zeros));
}
