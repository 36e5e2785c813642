//! Statistical and parameter tests of the DP module.
//!
//! The samplers are checked by chi-square goodness of fit against the exact pmfs in
//! `tests/vectors/dp/` (50-digit mpmath values, see `vectors/PROVENANCE.md`) with fixed
//! ChaCha seeds, at a significance of 1e-4 per test. A negative control shows the test
//! rejects a sampler with the wrong scale. Sample counts are modest so the debug build
//! stays fast.

use mpc_native::dp::mechanism::{grid_laplace, integer_mechanism};
use mpc_native::dp::query::{self, Clamp};
use mpc_native::dp::sample::{discrete_gaussian, discrete_laplace, GaussianParams};
use mpc_native::dp::{Accountant, Budget, DpError, Mechanism, Rational};
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use std::collections::BTreeMap;

const SAMPLES: usize = 20_000;

fn pmf(family: &str, key: &str) -> BTreeMap<i64, f64> {
    let text = include_str!("vectors/dp/discrete_laplace_gaussian_pmf.json");
    let v: serde_json::Value = serde_json::from_str(text).expect("vector file is JSON");
    let table = v[family][key]["pmf"].as_object().expect("pmf table");
    table
        .iter()
        .map(|(k, p)| (k.parse().expect("integer key"), p.as_str().expect("string").parse().expect("number")))
        .collect()
}

/// The chi-square statistic and its critical value at p = 1e-4 (Wilson-Hilferty).
fn chi_square(samples: &[i64], pmf: &BTreeMap<i64, f64>) -> (f64, f64) {
    let n = samples.len() as f64;
    let mut observed: BTreeMap<i64, f64> = BTreeMap::new();
    for &s in samples {
        *observed.entry(s).or_default() += 1.0;
    }
    // Bins: every support point with expected count >= 5, the rest pooled.
    let (mut stat, mut bins) = (0.0, 0usize);
    let (mut pooled_exp, mut pooled_obs) = (0.0, 0.0);
    let mut seen_obs = 0.0;
    let mut seen_exp = 0.0;
    for (&x, &p) in pmf {
        let e = p * n;
        let o = observed.get(&x).copied().unwrap_or(0.0);
        seen_obs += o;
        seen_exp += e;
        if e >= 5.0 {
            stat += (o - e).powi(2) / e;
            bins += 1;
        } else {
            pooled_exp += e;
            pooled_obs += o;
        }
    }
    // Samples outside the tabulated support belong to the pooled bin too.
    pooled_obs += n - seen_obs;
    pooled_exp += n - seen_exp;
    if pooled_exp > 0.0 {
        stat += (pooled_obs - pooled_exp).powi(2) / pooled_exp.max(1e-12);
        bins += 1;
    }
    let df = (bins - 1) as f64;
    let z = 3.719; // upper 1e-4 quantile of N(0, 1)
    let a = 2.0 / (9.0 * df);
    let crit = df * (1.0 - a + z * a.sqrt()).powi(3);
    (stat, crit)
}

fn laplace_samples(seed: u64, scale: Rational) -> Vec<i64> {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    (0..SAMPLES).map(|_| discrete_laplace(&mut rng, scale)).collect()
}

#[test]
fn discrete_laplace_matches_exact_pmf() {
    for (key, scale) in [("0.5", (1, 2)), ("1", (1, 1)), ("2", (2, 1)), ("10", (10, 1))] {
        let scale = Rational::new(scale.0, scale.1).unwrap();
        let samples = laplace_samples(100 + scale.numer(), scale);
        let (stat, crit) = chi_square(&samples, &pmf("discrete_laplace", key));
        assert!(stat < crit, "discrete Laplace t={key}: chi2 {stat:.1} >= {crit:.1}");
    }
}

#[test]
fn discrete_gaussian_matches_exact_pmf() {
    for (key, sigma2) in [("0.5", (1, 4)), ("1", (1, 1)), ("2", (4, 1)), ("10", (100, 1))] {
        let params = GaussianParams::new(Rational::new(sigma2.0, sigma2.1).unwrap()).unwrap();
        let mut rng = ChaCha20Rng::seed_from_u64(200 + sigma2.0);
        let samples: Vec<i64> = (0..SAMPLES).map(|_| discrete_gaussian(&mut rng, &params)).collect();
        let (stat, crit) = chi_square(&samples, &pmf("discrete_gaussian", key));
        assert!(stat < crit, "discrete Gaussian sigma={key}: chi2 {stat:.1} >= {crit:.1}");
    }
}

#[test]
fn chi_square_rejects_a_wrong_scale() {
    // Negative control: scale 2.4 tested against the pmf of scale 2 must fail.
    let samples = laplace_samples(7, Rational::new(12, 5).unwrap());
    let (stat, crit) = chi_square(&samples, &pmf("discrete_laplace", "2"));
    assert!(stat > crit, "the test failed to notice a 20% scale error: {stat:.1} < {crit:.1}");
    // And a Gaussian with sigma 2.2 against sigma 2.
    let params = GaussianParams::new(Rational::new(484, 100).unwrap()).unwrap();
    let mut rng = ChaCha20Rng::seed_from_u64(8);
    let samples: Vec<i64> = (0..SAMPLES).map(|_| discrete_gaussian(&mut rng, &params)).collect();
    let (stat, crit) = chi_square(&samples, &pmf("discrete_gaussian", "2"));
    assert!(stat > crit, "the test failed to notice a 10% sigma error: {stat:.1} < {crit:.1}");
}

#[test]
fn samplers_are_deterministic_for_a_seed() {
    let scale = Rational::integer(3);
    assert_eq!(laplace_samples(9, scale)[..50], laplace_samples(9, scale)[..50]);
}

#[test]
fn rejected_parameters() {
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    assert!(matches!(Mechanism::laplace(Rational::ZERO), Err(DpError::InvalidParameter(_))));
    assert!(matches!(Mechanism::laplace_f64(0.0), Err(DpError::InvalidParameter(_))));
    assert!(matches!(Mechanism::laplace_f64(-1.0), Err(DpError::InvalidParameter(_))));
    assert!(matches!(Mechanism::laplace_f64(f64::NAN), Err(DpError::InvalidParameter(_))));
    assert!(Mechanism::gaussian(Rational::ZERO).is_err());
    assert!(Mechanism::gaussian_from_epsilon_delta(1.0, 0.0).is_err());
    assert!(Mechanism::gaussian_from_epsilon_delta(f64::NAN, 1e-6).is_err());
    assert!(Mechanism::gaussian_from_epsilon_delta(1.0, 1.5).is_err());
    assert!(Rational::parse("-0.5").is_err());
    let mech = Mechanism::laplace(Rational::integer(1)).unwrap();
    assert!(matches!(integer_mechanism(&mut rng, &mech, 5, -1), Err(DpError::InvalidParameter(_))));
    assert!(grid_laplace(&mut rng, 1.0, -0.5, Rational::ONE, 10).is_err());
    assert!(grid_laplace(&mut rng, 1.0, f64::NAN, Rational::ONE, 10).is_err());
    assert!(grid_laplace(&mut rng, f64::NAN, 1.0, Rational::ONE, 10).is_err());
    assert!(grid_laplace(&mut rng, 1.0, 1.0, Rational::ZERO, 10).is_err());
    assert_eq!(query::count(&mut rng, &[], &mech), Err(DpError::EmptyData));
    let clamp = Clamp::new(0, 10).unwrap();
    assert_eq!(query::sum(&mut rng, &[], clamp, &mech), Err(DpError::EmptyData));
    assert_eq!(query::mean(&mut rng, &[], clamp, &mech), Err(DpError::EmptyData));
    assert_eq!(query::histogram(&mut rng, &[], &[0, 1], &mech), Err(DpError::EmptyData));
    assert!(query::histogram(&mut rng, &[1], &[1, 1], &mech).is_err());
    assert!(Clamp::new(5, 4).is_err());
    assert!(Accountant::new(Budget::Pure { epsilon: Rational::ZERO }).is_err());
}

#[test]
fn grid_laplace_outputs_grid_points() {
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    for _ in 0..200 {
        let v = grid_laplace(&mut rng, 2.71, 1.0, Rational::ONE, 8).unwrap();
        let k = v * 256.0;
        assert_eq!(k, k.round(), "{v} is not on the 2^-8 grid");
    }
}

#[test]
fn pure_accountant_composes_sequentially_and_refuses() {
    let mut acc = Accountant::new(Budget::Pure { epsilon: Rational::parse("1").unwrap() }).unwrap();
    let q = Mechanism::laplace(Rational::parse("0.3").unwrap()).unwrap();
    acc.charge(&q).unwrap();
    acc.charge(&q).unwrap();
    acc.charge(&q).unwrap();
    assert_eq!(acc.spent(), Rational::parse("0.9").unwrap());
    assert_eq!(acc.remaining(), Rational::parse("0.1").unwrap());
    let err = acc.charge(&q).unwrap_err();
    assert!(matches!(err, DpError::BudgetExceeded { .. }), "{err}");
    assert_eq!(err.to_string(), "the query costs 3/10 but only 1/10 of the privacy budget remains");
    // A refused query charges nothing; an exact fit is allowed.
    assert_eq!(acc.spent(), Rational::parse("0.9").unwrap());
    acc.charge(&Mechanism::laplace(Rational::parse("0.1").unwrap()).unwrap()).unwrap();
    assert_eq!(acc.remaining(), Rational::ZERO);
    assert_eq!(acc.queries(), 4);
    let g = Mechanism::gaussian(Rational::parse("0.01").unwrap()).unwrap();
    assert_eq!(acc.charge(&g), Err(DpError::WrongBudgetKind));
}

#[test]
fn zcdp_accountant_adds_rho_and_converts() {
    let mut acc = Accountant::new(Budget::Zcdp { rho: Rational::parse("0.5").unwrap() }).unwrap();
    acc.charge(&Mechanism::gaussian(Rational::parse("0.125").unwrap()).unwrap()).unwrap();
    // A pure epsilon = 0.5 query costs epsilon^2 / 2 = 1/8 in zCDP.
    acc.charge(&Mechanism::laplace(Rational::parse("0.5").unwrap()).unwrap()).unwrap();
    assert_eq!(acc.spent(), Rational::parse("0.25").unwrap());
    let eps = acc.epsilon_delta(1e-6).unwrap();
    let expect = 0.25 + 2.0 * (0.25f64 * (1e6f64).ln()).sqrt();
    assert!((eps - expect).abs() < 1e-12);
    assert!(acc.charge(&Mechanism::gaussian(Rational::parse("0.3").unwrap()).unwrap()).is_err());
    assert_eq!(acc.spent(), Rational::parse("0.25").unwrap());
}

#[test]
fn epsilon_delta_conversion_round_trips() {
    let Mechanism::Gaussian { rho } = Mechanism::gaussian_from_epsilon_delta(1.0, 1e-5).unwrap() else {
        panic!("expected a Gaussian mechanism");
    };
    let r = rho.to_f64();
    let eps = r + 2.0 * (r * (1e5f64).ln()).sqrt();
    assert!(eps <= 1.0 && eps > 0.999_99, "rho {r} gives epsilon {eps}");
}

#[test]
fn noisy_queries_are_near_the_truth() {
    // With epsilon = 1 and 1000 records the noise is small relative to the answer.
    let mut rng = ChaCha20Rng::seed_from_u64(11);
    let data: Vec<i64> = (0..1000).map(|i| i % 50).collect();
    let mech = Mechanism::laplace(Rational::ONE).unwrap();
    let c = query::count(&mut rng, &data, &mech).unwrap();
    assert!((c - 1000).abs() < 30, "{c}");
    let clamp = Clamp::new(0, 49).unwrap();
    let m = query::mean(&mut rng, &data, clamp, &mech).unwrap();
    assert!((m - 24.5).abs() < 2.0, "{m}");
    // Parameters from (epsilon, delta) have 2^-30 granularity; the variance is rounded
    // up to fit the exact sampler.
    let ed = Mechanism::gaussian_from_epsilon_delta(1.0, 1e-6).unwrap();
    let s = query::sum(&mut rng, &data, Clamp::new(0, 100).unwrap(), &ed).unwrap();
    assert!((s - 24_500).abs() < 3_000, "{s}");
    let g = Mechanism::gaussian(Rational::ONE).unwrap();
    let s = query::sum(&mut rng, &data, clamp, &g).unwrap();
    assert!((s - 24_500).abs() < 400, "{s}");
}
