//! Count, sum, mean and histogram queries with clamping and declared sensitivity.
//!
//! Each query clamps every record into `[lower, upper]` first, so one record changes
//! the true answer by at most the declared sensitivity, and then adds noise from the
//! given [`Mechanism`]. Under add/remove neighbours:
//! - count: sensitivity 1;
//! - sum over `[lower, upper]`: `max(|lower|, |upper|)`. The exact sum is taken in
//!   128-bit arithmetic (it cannot overflow: fewer than 2^64 records of 64 bits) and
//!   saturated to the `i64` range before noise is added. Saturation moves two sums
//!   no further apart, so the sensitivity stands, and the query never fails because
//!   of the data: a failure that only some datasets trigger (`[2^62]` answered,
//!   `[2^62, 2^62]` refused) would itself reveal the data and break epsilon-DP;
//! - mean: a noisy sum divided by a noisy count, each with half the budget, clamped
//!   back to `[lower, upper]` (post-processing);
//! - histogram: one record falls in one bin, so L1 and L2 sensitivity 1; every bin
//!   gets independent noise with the whole budget.
//!
//! These functions do no accounting: use [`super::Accountant`] to charge a budget.
//! Apart from empty data (public by the module's convention), they fail only on the
//! parameters, never on the records' values; [`Mechanism::check`] tells beforehand.

use rand_core::{CryptoRng, RngCore};

use super::mechanism::Mechanism;
use super::rational::Rational;
use super::DpError;

/// A closed clamping interval `[lower, upper]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Clamp {
    lower: i64,
    upper: i64,
}

impl Clamp {
    /// Rejects `lower > upper`.
    pub fn new(lower: i64, upper: i64) -> Result<Clamp, DpError> {
        if lower > upper {
            return Err(DpError::InvalidParameter(format!("the clamp [{lower}, {upper}] is empty")));
        }
        Ok(Clamp { lower, upper })
    }

    /// The lower end.
    pub fn lower(&self) -> i64 {
        self.lower
    }

    /// The upper end.
    pub fn upper(&self) -> i64 {
        self.upper
    }

    /// `x` clamped into the interval.
    pub fn apply(&self, x: i64) -> i64 {
        x.clamp(self.lower, self.upper)
    }

    /// The sensitivity of a clamped sum under add/remove: `max(|lower|, |upper|)`.
    pub fn sum_sensitivity(&self) -> u64 {
        self.lower.unsigned_abs().max(self.upper.unsigned_abs())
    }
}

fn non_empty(data: &[i64]) -> Result<(), DpError> {
    if data.is_empty() {
        Err(DpError::EmptyData)
    } else {
        Ok(())
    }
}

/// Noisy number of records.
pub fn count<R: RngCore + CryptoRng>(rng: &mut R, data: &[i64], mech: &Mechanism) -> Result<i64, DpError> {
    non_empty(data)?;
    let n = i64::try_from(data.len()).map_err(|_| DpError::Overflow)?;
    mech.add_noise(rng, n, 1)
}

/// Noisy sum of the clamped records.
pub fn sum<R: RngCore + CryptoRng>(
    rng: &mut R,
    data: &[i64],
    clamp: Clamp,
    mech: &Mechanism,
) -> Result<i64, DpError> {
    non_empty(data)?;
    let exact = saturating_sum(data, clamp);
    mech.add_noise(rng, exact, clamp.sum_sensitivity())
}

/// The clamped records' sum, saturated to the `i64` range (see the module docs).
fn saturating_sum(data: &[i64], clamp: Clamp) -> i64 {
    // |sum| < 2^63 * len <= 2^127 for len < 2^64, so the i128 sum cannot overflow;
    // saturating_add keeps that true without an argument about `len`.
    let wide = data.iter().fold(0i128, |acc, &x| acc.saturating_add(i128::from(clamp.apply(x))));
    wide.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
}

/// Noisy mean of the clamped records (half the budget on the sum, half on the count).
pub fn mean<R: RngCore + CryptoRng>(
    rng: &mut R,
    data: &[i64],
    clamp: Clamp,
    mech: &Mechanism,
) -> Result<f64, DpError> {
    non_empty(data)?;
    let half = mech.scaled(Rational::new(1, 2)?)?;
    let s = sum(rng, data, clamp, &half)?;
    let c = count(rng, data, &half)?.max(1);
    let m = s as f64 / c as f64;
    Ok(m.clamp(clamp.lower as f64, clamp.upper as f64))
}

/// Noisy counts of the records in each bin `[edges[i], edges[i+1])`; records outside
/// `[edges[0], edges[last])` are dropped (the last bin includes its upper edge).
/// `edges` must be strictly increasing with at least two entries.
pub fn histogram<R: RngCore + CryptoRng>(
    rng: &mut R,
    data: &[i64],
    edges: &[i64],
    mech: &Mechanism,
) -> Result<Vec<i64>, DpError> {
    non_empty(data)?;
    if edges.len() < 2 || edges.windows(2).any(|w| w[0] >= w[1]) {
        return Err(DpError::InvalidParameter(
            "histogram edges must be at least two strictly increasing numbers".into(),
        ));
    }
    let bins = edges.len() - 1;
    let mut counts = vec![0i64; bins];
    let last = edges[bins];
    for &x in data {
        if x < edges[0] || x > last {
            continue;
        }
        // The bin with edges[i] <= x < edges[i+1]; x == last goes into the last bin.
        let i = edges.partition_point(|&e| e <= x).saturating_sub(1).min(bins - 1);
        counts[i] += 1;
    }
    counts.iter().map(|&c| mech.add_noise(rng, c, 1)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::rand_core::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    #[test]
    fn histogram_bins_are_right_with_huge_epsilon() {
        // epsilon = 10^6: noise scale 1e-6, so noise is 0 except with tiny probability.
        let mech = Mechanism::laplace(Rational::integer(1_000_000)).unwrap();
        let mut rng = ChaCha20Rng::seed_from_u64(5);
        let h = histogram(&mut rng, &[0, 1, 5, 9, 10, 11, -1], &[0, 5, 10], &mech).unwrap();
        assert_eq!(h, vec![2, 3]);
        let s = sum(&mut rng, &[1, 2, 300], Clamp::new(0, 100).unwrap(), &mech).unwrap();
        assert_eq!(s, 103);
        assert_eq!(count(&mut rng, &[1, 2, 3], &mech).unwrap(), 3);
        let m = mean(&mut rng, &[10, 20, 30], Clamp::new(0, 100).unwrap(), &mech).unwrap();
        assert_eq!(m, 20.0);
    }

    /// `[2^62]` was answered and its neighbour `[2^62, 2^62]` refused with `Overflow`:
    /// the refusal itself told the data apart. Both are answered now.
    #[test]
    fn sums_past_i64_saturate_instead_of_failing() {
        let mech = Mechanism::laplace(Rational::integer(1)).unwrap();
        let mut rng = ChaCha20Rng::seed_from_u64(6);
        let clamp = Clamp::new(0, 1 << 62).unwrap();
        assert!(sum(&mut rng, &[1 << 62], clamp, &mech).is_ok());
        assert!(sum(&mut rng, &[1 << 62, 1 << 62], clamp, &mech).is_ok());
        assert!(mean(&mut rng, &[1 << 62, 1 << 62, 1 << 62], clamp, &mech).is_ok());
        let full = Clamp::new(i64::MIN, i64::MAX).unwrap();
        assert_eq!(saturating_sum(&[i64::MAX, i64::MAX], full), i64::MAX);
        assert_eq!(saturating_sum(&[i64::MIN, -1], full), i64::MIN);
        assert_eq!(saturating_sum(&[i64::MAX, i64::MIN, 5], full), 4);
    }
}
