//! Differential privacy that stays private on a real computer.
//!
//! - [`sample`]: exact discrete Laplace and discrete Gaussian samplers (Canonne,
//!   Kamath, Steinke 2020) on integers and rationals, driven by a caller-supplied
//!   CSPRNG (`ChaCha20Rng` in tests and the CLI seeds it from the OS). No floating
//!   point touches a random value; there is no `ln(uniform)` anywhere.
//! - [`mechanism`]: the Laplace (pure epsilon-DP) and Gaussian (rho-zCDP) mechanisms on
//!   integers, and [`mechanism::grid_laplace`], the discrete mechanism on a fixed
//!   power-of-two grid for real values (the alternative to snapping that survives
//!   Mironov's 2012 attack).
//! - [`query`]: count, sum, mean and histogram with clamping and declared sensitivity.
//! - [`accountant`]: a budget with sequential composition for pure DP and additive
//!   zCDP for the Gaussian, which refuses any query that would exceed it.
//!
//! Neighbouring datasets differ by adding or removing one record. Whether a dataset
//! is empty is treated as public: queries reject empty data.
//!
//! What is and is not constant time: see [`sample`]. In short, the samplers' running
//! time depends on the sampled value (as for every rejection sampler of unbounded
//! support); the in-circuit noise of `mpc_circuits::gadgets::dp` does not.

pub mod accountant;
pub mod mechanism;
pub mod query;
pub mod rational;
pub mod sample;

pub use accountant::{Accountant, Budget, Cost};
pub use mechanism::Mechanism;
pub use rational::Rational;

/// Errors of the DP module.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DpError {
    /// A privacy or query parameter is out of range (epsilon <= 0, NaN, negative
    /// sensitivity, lower > upper, ...).
    #[error("invalid parameter: {0}")]
    InvalidParameter(String),
    /// The query needs at least one record.
    #[error("the dataset is empty")]
    EmptyData,
    /// Exact arithmetic would overflow for these parameters.
    #[error("the parameters are too large for exact arithmetic")]
    Overflow,
    /// The query would exceed the remaining privacy budget.
    #[error("the query costs {cost} but only {remaining} of the privacy budget remains")]
    BudgetExceeded {
        /// What the query would cost.
        cost: String,
        /// What is left.
        remaining: String,
    },
    /// A Gaussian (zCDP) query was asked of a pure-DP budget.
    #[error("a pure epsilon-DP budget cannot pay for a Gaussian (zCDP) query")]
    WrongBudgetKind,
}
