//! Exact samplers for the discrete Laplace and discrete Gaussian distributions.
//!
//! These follow Canonne, Kamath and Steinke, "The Discrete Gaussian for Differential
//! Privacy" (NeurIPS 2020), Algorithms 1-3: every probability is an exact rational and
//! every random choice is a uniform integer drawn from a CSPRNG by rejection, so the
//! output distribution is exactly the stated one (there is no floating point, and in
//! particular no `ln(uniform)`, which Mironov 2012 showed leaks through the gaps in
//! the set of doubles).
//!
//! - [`bernoulli_exp_neg`]: `Bernoulli(exp(-num/den))` (CKS20 Algorithm 1).
//! - [`discrete_laplace`]: `P(x) ∝ exp(-|x| / scale)` for a rational scale (Algorithm 2).
//! - [`discrete_gaussian`]: `P(x) ∝ exp(-x^2 / (2 sigma^2))` for rational sigma^2
//!   (Algorithm 3).
//!
//! Timing (Jin et al. 2022): these samplers are *not* constant time. The number of
//! loop iterations, and hence the running time, is a random variable correlated with
//! the output (larger |x| takes more Bernoulli(exp(-1)) trials). What is fixed: each
//! uniform draw rejects on whole random words independently of the value kept, and
//! rationals are compared with fixed-width integer arithmetic. Deployments where an
//! adversary can time the sampler should sample in a separate process that pads to a
//! fixed time, or use the in-circuit sampler of `mpc_circuits::gadgets::dp`, whose
//! gate sequence does not depend on the sampled value at all.
//!
//! Exactness bound: the Gaussian acceptance test computes `gamma = A^2 / B` with 256-bit
//! products. Only if `gamma >= 2^128` is a candidate rejected without drawing, which
//! changes its acceptance probability by less than `exp(-2^128)`.

use rand_core::{CryptoRng, RngCore};

use super::rational::Rational;
use super::DpError;

/// A uniform integer in `[0, n)` for `n > 0`, by rejection on the smallest power of
/// two at least `n` (no modulo bias).
pub fn uniform_below<R: RngCore + CryptoRng>(rng: &mut R, n: u128) -> u128 {
    debug_assert!(n > 0);
    if n <= 1 {
        return 0;
    }
    let bits = 128 - (n - 1).leading_zeros();
    let mask = if bits == 128 { u128::MAX } else { (1u128 << bits) - 1 };
    loop {
        let v = (u128::from(rng.next_u64()) << 64 | u128::from(rng.next_u64())) & mask;
        if v < n {
            return v;
        }
    }
}

/// `Bernoulli(num / den)` for `num <= den`, `den > 0`.
pub fn bernoulli_ratio<R: RngCore + CryptoRng>(rng: &mut R, num: u128, den: u128) -> bool {
    uniform_below(rng, den) < num
}

/// `Bernoulli(exp(-num / den))` with `num / den` in `[0, 1]` (CKS20 Algorithm 1, first
/// case): draw `A_k ~ Bernoulli(gamma / k)` for k = 1, 2, ... until one is 0; the
/// output is 1 iff the stopping k is odd. `Bernoulli(gamma / k)` is drawn as the AND of
/// `Bernoulli(gamma)` and `Bernoulli(1 / k)`, which is exact and never overflows.
fn bernoulli_exp_neg_le1<R: RngCore + CryptoRng>(rng: &mut R, num: u128, den: u128) -> bool {
    let mut k: u128 = 1;
    loop {
        let a = bernoulli_ratio(rng, num, den) & bernoulli_ratio(rng, 1, k);
        if !a {
            return k % 2 == 1;
        }
        k += 1;
    }
}

/// `Bernoulli(exp(-num / den))` for any `num / den >= 0`, `den > 0` (CKS20 Algorithm 1):
/// `floor(gamma)` independent `Bernoulli(exp(-1))` trials, then one for the fraction.
pub fn bernoulli_exp_neg<R: RngCore + CryptoRng>(rng: &mut R, num: u128, den: u128) -> bool {
    bernoulli_exp_neg_parts(rng, num / den, num % den, den)
}

/// `Bernoulli(exp(-(whole + rem / den)))` with `rem < den`.
fn bernoulli_exp_neg_parts<R: RngCore + CryptoRng>(rng: &mut R, whole: u128, rem: u128, den: u128) -> bool {
    let mut i: u128 = 0;
    while i < whole {
        if !bernoulli_exp_neg_le1(rng, 1, 1) {
            return false;
        }
        i += 1;
    }
    bernoulli_exp_neg_le1(rng, rem, den)
}

/// The 256-bit product `a * b` as `(high, low)` 128-bit halves.
fn mul_wide(a: u128, b: u128) -> (u128, u128) {
    let mask = u128::from(u64::MAX);
    let (a1, a0, b1, b0) = (a >> 64, a & mask, b >> 64, b & mask);
    let (p00, p01, p10, p11) = (a0 * b0, a0 * b1, a1 * b0, a1 * b1);
    let mid = (p00 >> 64) + (p01 & mask) + (p10 & mask);
    let lo = (p00 & mask) | (mid << 64);
    let hi = p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64);
    (hi, lo)
}

/// `(hi * 2^128 + lo) / b` and the remainder, if the quotient fits in 128 bits
/// (`hi < b`); `b > 0`. Schoolbook binary long division.
fn div_rem_wide(hi: u128, lo: u128, b: u128) -> Option<(u128, u128)> {
    if hi >= b {
        return None;
    }
    let (mut q, mut r) = (0u128, hi);
    for i in (0..128).rev() {
        let carry = r >> 127;
        r = (r << 1) | ((lo >> i) & 1);
        q <<= 1;
        if carry == 1 || r >= b {
            r = r.wrapping_sub(b);
            q |= 1;
        }
    }
    Some((q, r))
}

/// A sample from the discrete Laplace distribution with rational `scale = t / s`:
/// `P(x) = (1 - e^{-1/scale}) / (1 + e^{-1/scale}) * e^{-|x| / scale}` (CKS20 Algorithm 2).
/// A zero scale returns 0 (no noise is needed for a zero-sensitivity query).
pub fn discrete_laplace<R: RngCore + CryptoRng>(rng: &mut R, scale: Rational) -> i64 {
    if scale.is_zero() {
        return 0;
    }
    let (t, s) = (u128::from(scale.numer()), u128::from(scale.denom()));
    loop {
        let u = uniform_below(rng, t);
        if !bernoulli_exp_neg(rng, u, t) {
            continue;
        }
        let mut v: u128 = 0;
        while bernoulli_exp_neg_le1(rng, 1, 1) {
            v += 1;
        }
        // x < t * (v + 1) with v geometric: no overflow for any reachable v.
        let x = u.saturating_add(t.saturating_mul(v));
        let y = x / s;
        let negative = bernoulli_ratio(rng, 1, 2);
        if negative && y == 0 {
            continue;
        }
        // |y| beyond i64 has probability below exp(-2^63 / scale): saturate.
        let y = i64::try_from(y).unwrap_or(i64::MAX);
        return if negative { -y } else { y };
    }
}

/// Parameters of the discrete Gaussian: `sigma^2 = num / den`, checked once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GaussianParams {
    sigma2: Rational,
    /// `floor(sigma) + 1`, the scale of the Laplace proposal.
    t: u128,
}

impl GaussianParams {
    /// Checks `sigma^2 > 0` and that the acceptance arithmetic fits in `u128`
    /// (`num, den < 2^40`).
    pub fn new(sigma2: Rational) -> Result<GaussianParams, DpError> {
        if sigma2.is_zero() {
            return Err(DpError::InvalidParameter("the Gaussian variance must be positive".into()));
        }
        let (n, d) = (u128::from(sigma2.numer()), u128::from(sigma2.denom()));
        if n >= 1 << 40 || d >= 1 << 40 {
            return Err(DpError::InvalidParameter(format!(
                "sigma^2 = {sigma2} has a numerator or denominator of 2^40 or more"
            )));
        }
        // floor(sqrt(n / d)): the largest r with r^2 * d <= n.
        let q = n / d;
        let mut r = (q as f64).sqrt() as u128;
        while r * r * d > n {
            r -= 1;
        }
        while (r + 1) * (r + 1) * d <= n {
            r += 1;
        }
        Ok(GaussianParams { sigma2, t: r + 1 })
    }

    /// `sigma^2`.
    pub fn sigma2(&self) -> Rational {
        self.sigma2
    }
}

/// A sample from the discrete Gaussian `P(x) ∝ exp(-x^2 / (2 sigma^2))` (CKS20
/// Algorithm 3): propose `Y` from the discrete Laplace with scale `t = floor(sigma)+1`
/// and accept with probability `exp(-(|Y| - sigma^2/t)^2 / (2 sigma^2))`.
pub fn discrete_gaussian<R: RngCore + CryptoRng>(rng: &mut R, params: &GaussianParams) -> i64 {
    let (n, d) = (u128::from(params.sigma2.numer()), u128::from(params.sigma2.denom()));
    let t = params.t;
    // t <= 2^20 + 1 and n, d < 2^40, so every product below fits in u128.
    let scale = Rational::integer(t as u64);
    // B = 2 n d t^2 < 2^122.
    let b = 2 * n * d * t * t;
    loop {
        let y = discrete_laplace(rng, scale);
        // gamma = (|Y| d t - n)^2 / (2 n d t^2).
        // A = | |Y| d t - n | < 2^63 * 2^61 fits in u128.
        let Some(a) = u128::from(y.unsigned_abs()).checked_mul(d * t).map(|v| v.abs_diff(n)) else {
            continue; // unreachable for |Y| < 2^63; rejecting is the conservative choice
        };
        let (hi, lo) = mul_wide(a, a);
        let Some((whole, rem)) = div_rem_wide(hi, lo, b) else {
            continue; // gamma >= 2^128: acceptance probability below exp(-2^128)
        };
        if bernoulli_exp_neg_parts(rng, whole, rem, b) {
            return y;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::rand_core::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    #[test]
    fn uniform_below_stays_in_range_and_hits_every_value() {
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let mut seen = [0u32; 7];
        for _ in 0..7000 {
            seen[uniform_below(&mut rng, 7) as usize] += 1;
        }
        assert!(seen.iter().all(|&c| c > 800 && c < 1200), "{seen:?}");
        assert_eq!(uniform_below(&mut rng, 1), 0);
    }

    #[test]
    fn bernoulli_exp_neg_mean_is_close() {
        let mut rng = ChaCha20Rng::seed_from_u64(2);
        for (num, den, p) in [(1u128, 2u128, (-0.5f64).exp()), (5, 2, (-2.5f64).exp()), (0, 1, 1.0)] {
            let n = 20_000;
            let hits = (0..n).filter(|_| bernoulli_exp_neg(&mut rng, num, den)).count() as f64;
            let sd = (p * (1.0 - p) / n as f64).sqrt().max(1e-9);
            assert!((hits / n as f64 - p).abs() < 5.0 * sd + 1e-9, "{num}/{den}: {hits}");
        }
    }

    #[test]
    fn wide_arithmetic_matches_small_cases() {
        assert_eq!(mul_wide(u128::MAX, u128::MAX), (u128::MAX - 1, 1));
        assert_eq!(mul_wide(1 << 100, 1 << 100), (1 << 72, 0));
        assert_eq!(div_rem_wide(0, 1000, 7), Some((142, 6)));
        assert_eq!(div_rem_wide(1, 0, 2), Some((1 << 127, 0)));
        assert_eq!(div_rem_wide(5, 0, 5), None);
        let (h, l) = mul_wide(u128::MAX - 12, 1 << 90);
        assert_eq!(div_rem_wide(h, l, 1 << 90), Some((u128::MAX - 12, 0)));
    }

    #[test]
    fn gaussian_params_floor_sqrt() {
        let p = GaussianParams::new(Rational::integer(100)).unwrap();
        assert_eq!(p.t, 11);
        let p = GaussianParams::new(Rational::new(1, 4).unwrap()).unwrap();
        assert_eq!(p.t, 1);
        let p = GaussianParams::new(Rational::new(99, 1).unwrap()).unwrap();
        assert_eq!(p.t, 10);
        assert!(GaussianParams::new(Rational::ZERO).is_err());
    }
}
