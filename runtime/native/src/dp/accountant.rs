//! A privacy budget that refuses queries that would exceed it.
//!
//! Two kinds of budget:
//! - [`Budget::Pure`]: epsilon-DP with basic sequential composition (epsilons add).
//!   It pays only for Laplace queries.
//! - [`Budget::Zcdp`]: rho-zCDP (Bun-Steinke 2016), where rhos add. A Gaussian query
//!   costs its rho; a Laplace query, being epsilon-DP, costs `epsilon^2 / 2`
//!   (Prop. 1.4). [`Accountant::epsilon_delta`] reports the `(epsilon, delta)`-DP this
//!   implies: `epsilon = rho + 2 sqrt(rho ln(1/delta))`.
//!
//! All arithmetic is exact on [`Rational`]s. A refused query leaves the budget as it
//! was; a charged one is charged before any noise is drawn.

use super::mechanism::Mechanism;
use super::rational::Rational;
use super::DpError;

/// A total privacy budget.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Budget {
    /// Pure epsilon-DP.
    Pure {
        /// Total epsilon.
        epsilon: Rational,
    },
    /// rho-zCDP.
    Zcdp {
        /// Total rho.
        rho: Rational,
    },
}

/// What one query costs in the budget's own unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cost(pub Rational);

/// Tracks spending against a [`Budget`].
#[derive(Clone, Debug)]
pub struct Accountant {
    budget: Budget,
    spent: Rational,
    queries: usize,
}

impl Accountant {
    /// A fresh accountant; rejects a zero budget.
    pub fn new(budget: Budget) -> Result<Accountant, DpError> {
        let total = match budget {
            Budget::Pure { epsilon } => epsilon,
            Budget::Zcdp { rho } => rho,
        };
        if total.is_zero() {
            return Err(DpError::InvalidParameter("the privacy budget must be positive".into()));
        }
        Ok(Accountant { budget, spent: Rational::ZERO, queries: 0 })
    }

    fn total(&self) -> Rational {
        match self.budget {
            Budget::Pure { epsilon } => epsilon,
            Budget::Zcdp { rho } => rho,
        }
    }

    /// What `mech` would cost against this budget.
    pub fn cost(&self, mech: &Mechanism) -> Result<Cost, DpError> {
        match (self.budget, *mech) {
            (Budget::Pure { .. }, Mechanism::Laplace { epsilon }) => Ok(Cost(epsilon)),
            (Budget::Pure { .. }, Mechanism::Gaussian { .. }) => Err(DpError::WrongBudgetKind),
            (Budget::Zcdp { .. }, Mechanism::Laplace { epsilon }) => {
                Ok(Cost(epsilon.checked_mul(epsilon)?.checked_div(Rational::integer(2))?))
            }
            (Budget::Zcdp { .. }, Mechanism::Gaussian { rho }) => Ok(Cost(rho)),
        }
    }

    /// Charges `mech`, or refuses with [`DpError::BudgetExceeded`] and charges nothing.
    pub fn charge(&mut self, mech: &Mechanism) -> Result<(), DpError> {
        let Cost(cost) = self.cost(mech)?;
        let after = self.spent.checked_add(cost)?;
        if after > self.total() {
            return Err(DpError::BudgetExceeded {
                cost: cost.to_string(),
                remaining: self.remaining().to_string(),
            });
        }
        self.spent = after;
        self.queries += 1;
        Ok(())
    }

    /// What has been spent.
    pub fn spent(&self) -> Rational {
        self.spent
    }

    /// What remains.
    pub fn remaining(&self) -> Rational {
        // spent <= total is an invariant of `charge`.
        self.total().checked_sub(self.spent).unwrap_or(Rational::ZERO)
    }

    /// The number of queries charged.
    pub fn queries(&self) -> usize {
        self.queries
    }

    /// The budget.
    pub fn budget(&self) -> Budget {
        self.budget
    }

    /// The `(epsilon, delta)`-DP guarantee of what has been spent, for `delta` in (0,1)
    /// (floating point: a report, not a parameter). For a pure budget this is the
    /// spent epsilon whatever delta is.
    pub fn epsilon_delta(&self, delta: f64) -> Result<f64, DpError> {
        if delta.is_nan() || delta <= 0.0 || delta >= 1.0 {
            return Err(DpError::InvalidParameter(format!("delta must be in (0, 1), not {delta}")));
        }
        Ok(match self.budget {
            Budget::Pure { .. } => self.spent.to_f64(),
            Budget::Zcdp { .. } => {
                let rho = self.spent.to_f64();
                rho + 2.0 * (rho * (1.0 / delta).ln()).sqrt()
            }
        })
    }
}
