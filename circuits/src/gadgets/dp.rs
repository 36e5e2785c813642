//! Distributed differential-privacy noise inside a circuit.
//!
//! Two parties who compute `f(x, y)` with garbled circuits can release
//! `f(x, y) + Z` where `Z` is two-sided geometric (discrete Laplace) noise that
//! neither of them knows: each party feeds [`random_bits_needed`] uniformly random
//! bits, the circuit XORs the two strings (uniform if either party is honest), turns
//! them into `Z` with the gates below and adds `Z` before the output is revealed.
//! The gate sequence is fixed by the parameters, so, unlike the native rejection
//! samplers, evaluation time is independent of the sampled value.
//!
//! Sampling: with `alpha = exp(-epsilon / sensitivity)`, a geometric `G` on
//! `[0, 2^m)` with `P(G = g) ∝ alpha^g` has independent binary digits,
//! `P(bit_j = 1) = alpha^(2^j) / (1 + alpha^(2^j))`, so each digit is one comparison
//! of `w` random bits with a constant threshold `floor(p_j 2^w)`. `Z = G1 - G2` for two
//! such independent geometrics is the two-sided geometric distribution
//! `P(z) ∝ alpha^|z|` (Ghosh-Roughgarden-Sundararajan 2009), truncated to
//! `|z| < 2^m`. Deviation from the exact distribution: at most `2^-w` per digit
//! (thresholds are computed in `f64` at build time, which is exact to well below
//! `2^-48`; the random bits never meet floating point) plus the truncated tail mass
//! `2 alpha^(2^m)`; choose `m` with `2^m >= 40 * sensitivity / epsilon` to make the
//! tail negligible. The resulting mechanism is epsilon-DP up to this statistical
//! distance (that is, (epsilon, delta)-DP with delta about `2m * 2^-w + 2 alpha^(2^m)`).
//!
//! Cost: `2 m` comparisons of `w` bits with constants (at most `2 m w` AND gates,
//! fewer after constant folding) plus one `m+1`-bit subtraction and the final add.

use crate::builder::{Bit, Builder, Word};
use crate::gadgets::{arith, cmp, xor};

/// Noise parameters: `epsilon = epsilon_num / epsilon_den`, the query's sensitivity,
/// `magnitude_bits` (m: |noise| < 2^m) and `precision_bits` (w: bits per Bernoulli).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NoiseParams {
    /// Numerator of epsilon.
    pub epsilon_num: u64,
    /// Denominator of epsilon.
    pub epsilon_den: u64,
    /// L1 sensitivity of the released value.
    pub sensitivity: u64,
    /// m: the noise magnitude is below 2^m (1..=62).
    pub magnitude_bits: usize,
    /// w: random bits per Bernoulli trial (8..=48).
    pub precision_bits: usize,
}

impl NoiseParams {
    /// Parameters with `m` chosen so that `2^m >= 40 sensitivity / epsilon` (tail below
    /// `e^-40`) and `w = 40`. Fails on epsilon <= 0 or a zero sensitivity.
    pub fn new(epsilon_num: u64, epsilon_den: u64, sensitivity: u64) -> Result<NoiseParams, String> {
        if epsilon_num == 0 || epsilon_den == 0 {
            return Err("epsilon must be a positive fraction".into());
        }
        if sensitivity == 0 {
            return Err("the sensitivity must be positive".into());
        }
        let scale = sensitivity as f64 * epsilon_den as f64 / epsilon_num as f64;
        let m = ((40.0 * scale).log2().ceil().max(1.0)) as usize;
        if m > 62 {
            return Err("the noise scale sensitivity / epsilon is too large".into());
        }
        Ok(NoiseParams { epsilon_num, epsilon_den, sensitivity, magnitude_bits: m, precision_bits: 40 })
    }

    fn check(&self) {
        assert!(self.epsilon_num > 0 && self.epsilon_den > 0 && self.sensitivity > 0, "dp: bad epsilon");
        assert!((1..=62).contains(&self.magnitude_bits), "dp: magnitude_bits out of 1..=62");
        assert!((8..=48).contains(&self.precision_bits), "dp: precision_bits out of 8..=48");
    }

    /// `floor(P(bit_j = 1) * 2^w)` for the geometric's digit j.
    pub fn thresholds(&self) -> Vec<u64> {
        self.check();
        let lambda = self.epsilon_num as f64 / (self.epsilon_den as f64 * self.sensitivity as f64);
        let scale = (self.precision_bits as f64).exp2();
        (0..self.magnitude_bits)
            .map(|j| {
                // p_j = 1 / (1 + exp(lambda 2^j)), computed without overflow.
                let x = lambda * (j as f64).exp2();
                let p = if x > 700.0 { 0.0 } else { 1.0 / (1.0 + x.exp()) };
                ((p * scale).floor() as u64).min((1u64 << self.precision_bits) - 1)
            })
            .collect()
    }
}

/// How many random bits each party must feed: `2 m w`.
pub fn random_bits_needed(params: &NoiseParams) -> usize {
    2 * params.magnitude_bits * params.precision_bits
}

fn geometric(b: &mut Builder, random: &[Bit], params: &NoiseParams, thresholds: &[u64]) -> Word {
    let w = params.precision_bits;
    let bits = thresholds
        .iter()
        .enumerate()
        .map(|(j, &t)| {
            let u = Word::from_bits(random[j * w..(j + 1) * w].to_vec());
            cmp::lt(b, &u, &Word::constant(u128::from(t), w), false)
        })
        .collect();
    Word::from_bits(bits)
}

/// Two-sided geometric noise from `random_bits_needed(params)` uniform bits, as a
/// two's-complement word of `width` bits (`width >= m + 1`).
pub fn discrete_laplace_noise(b: &mut Builder, random: &Word, params: &NoiseParams, width: usize) -> Word {
    params.check();
    assert_eq!(random.width(), random_bits_needed(params), "dp: wrong number of random bits");
    assert!(width > params.magnitude_bits, "dp: output width must exceed magnitude_bits");
    let t = params.thresholds();
    let half = params.magnitude_bits * params.precision_bits;
    let g1 = geometric(b, &random.bits()[..half], params, &t).zext(width);
    let g2 = geometric(b, &random.bits()[half..], params, &t).zext(width);
    arith::sub(b, &g1, &g2)
}

/// `value + Z` (wrapping at `value.width()` bits), with `Z` drawn from the XOR of
/// both parties' random words, each `random_bits_needed(params)` bits long.
pub fn add_distributed_noise(
    b: &mut Builder,
    value: &Word,
    random_a: &Word,
    random_b: &Word,
    params: &NoiseParams,
) -> Word {
    let random = xor(b, random_a, random_b);
    let noise = discrete_laplace_noise(b, &random, params, value.width());
    arith::add(b, value, &noise)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::circuit::PartyId;
    use crate::eval::eval_lanes;

    /// Runs the noise circuit on 64 * rounds pseudo-random inputs (xorshift: tests only
    /// need fixed, well-mixed bits) and returns the samples.
    fn samples(params: &NoiseParams, rounds: usize) -> Vec<i64> {
        let width = params.magnitude_bits + 2;
        let mut b = Builder::new(&["alice", "bob"]);
        let n = random_bits_needed(params);
        let ra = b.input(PartyId(0), "ra", n);
        let rb = b.input(PartyId(1), "rb", n);
        let zero = Word::constant(0, width);
        let out = add_distributed_noise(&mut b, &zero, &ra, &rb, params);
        b.output("noisy", &out);
        let c = b.finish().expect("valid circuit");
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut out = Vec::new();
        for _ in 0..rounds {
            let lanes: Vec<u64> = (0..2 * n).map(|_| next()).collect();
            let res = eval_lanes(&c, &lanes).expect("evaluates");
            for lane in 0..64 {
                let mut v: i64 = 0;
                for (i, w) in res.iter().enumerate() {
                    v |= (((w >> lane) & 1) as i64) << i;
                }
                // Sign-extend from `width` bits.
                let shift = 64 - width;
                out.push((v << shift) >> shift);
            }
        }
        out
    }

    #[test]
    fn noise_matches_two_sided_geometric() {
        // epsilon = 1/2, sensitivity 1: alpha = e^-0.5.
        let params = NoiseParams {
            epsilon_num: 1,
            epsilon_den: 2,
            sensitivity: 1,
            magnitude_bits: 7,
            precision_bits: 32,
        };
        let s = samples(&params, 100);
        let alpha = (-0.5f64).exp();
        let norm = (1.0 - alpha) / (1.0 + alpha);
        let n = s.len() as f64;
        let mut stat = 0.0;
        let mut bins = 0;
        for z in -6i64..=6 {
            let e = norm * alpha.powi(z.unsigned_abs() as i32) * n;
            let o = s.iter().filter(|&&v| v == z).count() as f64;
            stat += (o - e).powi(2) / e;
            bins += 1;
        }
        let e_tail = n - (-6i64..=6).map(|z| norm * alpha.powi(z.unsigned_abs() as i32) * n).sum::<f64>();
        let o_tail = s.iter().filter(|&&v| v.abs() > 6).count() as f64;
        stat += (o_tail - e_tail).powi(2) / e_tail;
        // df = 13, chi-square 1e-4 upper quantile is about 39.
        assert!(stat < 39.0, "chi2 {stat} over {bins} bins");
        assert!(s.iter().all(|v| v.abs() < 128));
    }

    #[test]
    fn noise_scale_follows_epsilon() {
        // Mean |Z| = 2 alpha / (1 - alpha^2); epsilon 1 vs epsilon 1/4.
        for (num, den) in [(1u64, 1u64), (1, 4)] {
            let p = NoiseParams::new(num, den, 1).unwrap();
            let s = samples(&p, 40);
            let alpha = (-(num as f64) / den as f64).exp();
            let want = 2.0 * alpha / (1.0 - alpha * alpha);
            let got = s.iter().map(|v| v.abs() as f64).sum::<f64>() / s.len() as f64;
            assert!((got - want).abs() < 0.15 * want + 0.05, "eps {num}/{den}: mean |Z| {got} vs {want}");
        }
    }

    #[test]
    fn params_are_checked_and_sized() {
        assert!(NoiseParams::new(0, 1, 1).is_err());
        assert!(NoiseParams::new(1, 0, 1).is_err());
        assert!(NoiseParams::new(1, 1, 0).is_err());
        let p = NoiseParams::new(1, 1, 1).unwrap();
        assert_eq!(p.magnitude_bits, 6); // 2^6 = 64 >= 40
        assert_eq!(random_bits_needed(&p), 2 * 6 * 40);
        let t = p.thresholds();
        assert!(t.windows(2).all(|w| w[0] >= w[1]), "digit probabilities decrease");
    }
}
