//! The Laplace and Gaussian mechanisms on integers, and the grid mechanism for reals.
//!
//! [`Mechanism::Laplace`] adds discrete Laplace noise of scale `sensitivity / epsilon`
//! (L1 sensitivity) and is epsilon-DP. [`Mechanism::Gaussian`] adds discrete Gaussian
//! noise with `sigma^2 = sensitivity^2 / (2 rho)` (L2 sensitivity) and is rho-zCDP
//! (CKS20 Theorem 14). Parameters are exact [`Rational`]s; `(epsilon, delta)` targets
//! convert to rho with [`Mechanism::gaussian_from_epsilon_delta`], rounding rho down.

use rand_core::{CryptoRng, RngCore};

use super::rational::Rational;
use super::sample::{discrete_gaussian, discrete_laplace, GaussianParams};
use super::DpError;

/// A noise mechanism with its privacy parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mechanism {
    /// Discrete Laplace noise, epsilon-DP.
    Laplace {
        /// Epsilon, > 0.
        epsilon: Rational,
    },
    /// Discrete Gaussian noise, rho-zCDP.
    Gaussian {
        /// Rho, > 0.
        rho: Rational,
    },
}

impl Mechanism {
    /// The Laplace mechanism; rejects `epsilon == 0`.
    pub fn laplace(epsilon: Rational) -> Result<Mechanism, DpError> {
        if epsilon.is_zero() {
            return Err(DpError::InvalidParameter("epsilon must be positive".into()));
        }
        Ok(Mechanism::Laplace { epsilon })
    }

    /// The Laplace mechanism from a float epsilon (rounded down); rejects NaN, <= 0.
    pub fn laplace_f64(epsilon: f64) -> Result<Mechanism, DpError> {
        if epsilon.is_nan() || epsilon <= 0.0 {
            return Err(DpError::InvalidParameter(format!("epsilon must be positive, not {epsilon}")));
        }
        Mechanism::laplace(Rational::from_f64_down(epsilon)?)
    }

    /// The Gaussian mechanism with budget rho; rejects `rho == 0`.
    pub fn gaussian(rho: Rational) -> Result<Mechanism, DpError> {
        if rho.is_zero() {
            return Err(DpError::InvalidParameter("rho must be positive".into()));
        }
        Ok(Mechanism::Gaussian { rho })
    }

    /// The Gaussian mechanism meeting `(epsilon, delta)`-DP through zCDP:
    /// `rho = (sqrt(epsilon + L) - sqrt(L))^2` with `L = ln(1/delta)` (Bun-Steinke 2016,
    /// Prop. 1.3), computed in floating point (a parameter, not a random value) and
    /// rounded down with a relative margin of 1e-9.
    pub fn gaussian_from_epsilon_delta(epsilon: f64, delta: f64) -> Result<Mechanism, DpError> {
        if epsilon.is_nan() || epsilon <= 0.0 || !epsilon.is_finite() {
            return Err(DpError::InvalidParameter(format!("epsilon must be positive, not {epsilon}")));
        }
        if delta.is_nan() || delta <= 0.0 || delta >= 1.0 {
            return Err(DpError::InvalidParameter(format!("delta must be in (0, 1), not {delta}")));
        }
        let l = (1.0 / delta).ln();
        // A subnormal delta overflows 1 / delta to infinity, and rho would be NaN.
        if !l.is_finite() {
            return Err(DpError::InvalidParameter(format!("delta {delta} is too small")));
        }
        let rho = ((epsilon + l).sqrt() - l.sqrt()).powi(2) * (1.0 - 1e-9);
        Mechanism::gaussian(Rational::from_f64_down(rho)?)
    }

    /// This mechanism with its parameter multiplied by `factor` (for splitting a
    /// budget between sub-queries).
    pub fn scaled(self, factor: Rational) -> Result<Mechanism, DpError> {
        match self {
            Mechanism::Laplace { epsilon } => Mechanism::laplace(epsilon.checked_mul(factor)?),
            Mechanism::Gaussian { rho } => Mechanism::gaussian(rho.checked_mul(factor)?),
        }
    }

    /// Adds noise calibrated to `sensitivity` (L1 for Laplace, L2 for Gaussian).
    pub fn add_noise<R: RngCore + CryptoRng>(
        &self,
        rng: &mut R,
        value: i64,
        sensitivity: u64,
    ) -> Result<i64, DpError> {
        let noise = self.sample_noise(rng, sensitivity)?;
        Ok(value.saturating_add(noise))
    }

    /// One noise value calibrated to `sensitivity`.
    pub fn sample_noise<R: RngCore + CryptoRng>(
        &self,
        rng: &mut R,
        sensitivity: u64,
    ) -> Result<i64, DpError> {
        Ok(match self.calibrate(sensitivity)? {
            Calibrated::Zero => 0,
            Calibrated::Laplace(scale) => discrete_laplace(rng, scale),
            Calibrated::Gaussian(params) => discrete_gaussian(rng, &params),
        })
    }

    /// Checks that noise for `sensitivity` can be drawn, without drawing it: the only
    /// way [`Mechanism::sample_noise`] and [`Mechanism::add_noise`] can fail. It depends
    /// on public parameters only, so a caller can check every query before charging
    /// a budget or reading the data.
    pub fn check(&self, sensitivity: u64) -> Result<(), DpError> {
        self.calibrate(sensitivity).map(|_| ())
    }

    fn calibrate(&self, sensitivity: u64) -> Result<Calibrated, DpError> {
        let delta = Rational::integer(sensitivity);
        match *self {
            Mechanism::Laplace { epsilon } => {
                if epsilon.is_zero() {
                    return Err(DpError::InvalidParameter("epsilon must be positive".into()));
                }
                Ok(Calibrated::Laplace(delta.checked_div(epsilon)?))
            }
            Mechanism::Gaussian { rho } => {
                if rho.is_zero() {
                    return Err(DpError::InvalidParameter("rho must be positive".into()));
                }
                if sensitivity == 0 {
                    return Ok(Calibrated::Zero);
                }
                let sigma2 = delta.checked_mul(delta)?.checked_div(rho.checked_mul(Rational::integer(2))?)?;
                Ok(Calibrated::Gaussian(GaussianParams::new(round_variance_up(sigma2)?)?))
            }
        }
    }
}

/// A mechanism's noise distribution for one sensitivity.
enum Calibrated {
    Zero,
    Laplace(Rational),
    Gaussian(GaussianParams),
}

/// `sigma^2` rounded *up* (more noise, so at least as private) to a multiple of
/// `2^-16` (or an integer when `sigma^2 >= 2^24`), so that the Gaussian sampler's exact
/// arithmetic fits: numerator and denominator below 2^40.
fn round_variance_up(sigma2: Rational) -> Result<Rational, DpError> {
    let (n, d) = (u128::from(sigma2.numer()), u128::from(sigma2.denom()));
    if n < 1 << 40 && d < 1 << 40 {
        return Ok(sigma2);
    }
    let scale: u128 = if n / d >= 1 << 24 { 1 } else { 1 << 16 };
    let num = (n * scale).div_ceil(d);
    if num >= 1 << 40 {
        return Err(DpError::InvalidParameter(format!("the Gaussian variance {sigma2} is too large")));
    }
    Rational::new(num as u64, scale as u64) // num < 2^40, scale <= 2^16
}

/// Adds noise to an integer `value` with a signed `sensitivity` as a caller might hold
/// it; rejects a negative sensitivity.
pub fn integer_mechanism<R: RngCore + CryptoRng>(
    rng: &mut R,
    mechanism: &Mechanism,
    value: i64,
    sensitivity: i64,
) -> Result<i64, DpError> {
    let s = u64::try_from(sensitivity)
        .map_err(|_| DpError::InvalidParameter(format!("sensitivity must be >= 0, not {sensitivity}")))?;
    mechanism.add_noise(rng, value, s)
}

/// The epsilon-DP Laplace mechanism for a real `value` on the grid `2^-granularity_bits`.
///
/// The value is rounded to the nearest grid point (exact: division by a power of two),
/// discrete Laplace noise with scale `(ceil(sensitivity / g) + 1) / epsilon` grid steps
/// is added (the `+1` covers the rounding), and the result is returned as a multiple of
/// the grid, which every `f64` of that size represents exactly. Because the noise is an
/// integer drawn exactly, the output set does not depend on the input's low bits, which
/// is what Mironov's attack on floating-point Laplace exploits.
pub fn grid_laplace<R: RngCore + CryptoRng>(
    rng: &mut R,
    value: f64,
    sensitivity: f64,
    epsilon: Rational,
    granularity_bits: u8,
) -> Result<f64, DpError> {
    if !value.is_finite() {
        return Err(DpError::InvalidParameter(format!("the value {value} is not finite")));
    }
    if sensitivity.is_nan() || sensitivity < 0.0 || !sensitivity.is_finite() {
        return Err(DpError::InvalidParameter(format!("sensitivity must be >= 0, not {sensitivity}")));
    }
    if epsilon.is_zero() {
        return Err(DpError::InvalidParameter("epsilon must be positive".into()));
    }
    if granularity_bits > 30 {
        return Err(DpError::InvalidParameter("the grid is at most 2^-30".into()));
    }
    let step = 2f64.powi(-i32::from(granularity_bits));
    let k = (value / step).round();
    if k.abs() >= 2f64.powi(52) {
        return Err(DpError::Overflow);
    }
    let steps = (sensitivity / step).ceil();
    if steps >= 2f64.powi(52) {
        return Err(DpError::Overflow);
    }
    let sens = steps as u64 + 1;
    let noise = discrete_laplace(rng, Rational::integer(sens).checked_div(epsilon)?);
    let out = (k as i64).checked_add(noise).ok_or(DpError::Overflow)?;
    Ok(out as f64 * step)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variance_rounds_up_and_fits() {
        let s = Rational::new(5_368_709_120_000, 18_757_093).unwrap();
        let r = round_variance_up(s).unwrap();
        assert!(r >= s && r.numer() < 1 << 40 && r.denom() < 1 << 40);
        assert!(r.checked_sub(s).unwrap() <= Rational::new(1, 1 << 16).unwrap());
        let small = Rational::new(3, 7).unwrap();
        assert_eq!(round_variance_up(small).unwrap(), small);
    }
}
