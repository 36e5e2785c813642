//! `mpc dp`: differentially private queries over a column of integers.
//!
//! `mpc dp --input FILE --query count,sum,mean,histogram --epsilon E [--budget B]
//! [--delta D] [--lower L --upper U] [--edges a,b,c]` reads whitespace-separated
//! integers, charges each query to a privacy accountant and prints one line per
//! query, `name: value`. Epsilon and the budget are exact decimals or fractions
//! (`0.1`, `1/3`). Without `--delta` queries use the discrete Laplace mechanism and
//! a pure epsilon-DP budget (default: the sum of the queries' epsilons); with
//! `--delta` they use the discrete Gaussian calibrated to (epsilon, delta) through
//! zCDP, against a zCDP budget. A query past the budget is refused with an error
//! after the earlier ones were printed. Noise comes from the OS CSPRNG.
//!
//! Every failure that can happen is decided before the first charge, from the public
//! parameters alone (query names, bounds, edges, epsilon, delta) and whether the data
//! is empty; a sum past the `i64` range saturates rather than fails
//! (`mpc_native::dp::query`), so whether a query is answered never depends on the
//! records' values.

use std::path::PathBuf;

use anyhow::{bail, Context};
use mpc_native::dp::query::{self, Clamp};
use mpc_native::dp::{Accountant, Budget, Mechanism, Rational};

use super::{noteln, outln};

/// Arguments of `mpc dp`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The data: whitespace-separated integers.
    #[arg(long, value_name = "FILE")]
    input: PathBuf,
    /// Queries to run in order: count, sum, mean, histogram.
    #[arg(long, value_delimiter = ',', required = true)]
    query: Vec<String>,
    /// Epsilon of each query (exact decimal or fraction).
    #[arg(long)]
    epsilon: String,
    /// Use the Gaussian mechanism for (epsilon, delta)-DP via zCDP.
    #[arg(long)]
    delta: Option<f64>,
    /// Total budget: epsilon (pure) or rho (with --delta). Default: exactly enough.
    #[arg(long)]
    budget: Option<String>,
    /// Clamp values to at least this (sum, mean).
    #[arg(long, allow_hyphen_values = true)]
    lower: Option<i64>,
    /// Clamp values to at most this (sum, mean).
    #[arg(long, allow_hyphen_values = true)]
    upper: Option<i64>,
    /// Histogram bin edges, increasing.
    #[arg(long, value_delimiter = ',', allow_hyphen_values = true)]
    edges: Vec<i64>,
}

fn read_data(path: &PathBuf) -> anyhow::Result<Vec<i64>> {
    let meta = std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
    if meta.len() > 1 << 30 {
        bail!("{} is larger than 1 GiB", path.display());
    }
    let text =
        super::read_path_text(path, 1 << 30).with_context(|| format!("cannot read {}", path.display()))?;
    text.split_whitespace()
        .enumerate()
        .map(|(i, w)| w.parse::<i64>().with_context(|| format!("value {} (`{w}`) is not an integer", i + 1)))
        .collect()
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let data = read_data(&args.input)?;
    let epsilon = Rational::parse(&args.epsilon)?;
    let mech = match args.delta {
        None => Mechanism::laplace(epsilon)?,
        Some(delta) => Mechanism::gaussian_from_epsilon_delta(epsilon.to_f64(), delta)?,
    };
    let budget = match (&args.budget, mech) {
        (Some(b), Mechanism::Laplace { .. }) => Budget::Pure { epsilon: Rational::parse(b)? },
        (Some(b), Mechanism::Gaussian { .. }) => Budget::Zcdp { rho: Rational::parse(b)? },
        (None, Mechanism::Laplace { epsilon }) => {
            Budget::Pure { epsilon: epsilon.checked_mul(Rational::integer(args.query.len() as u64))? }
        }
        (None, Mechanism::Gaussian { rho }) => {
            Budget::Zcdp { rho: rho.checked_mul(Rational::integer(args.query.len() as u64))? }
        }
    };
    let mut acc = Accountant::new(budget)?;
    let clamp = || -> anyhow::Result<Clamp> {
        match (args.lower, args.upper) {
            (Some(l), Some(u)) => Ok(Clamp::new(l, u)?),
            _ => bail!("sum and mean need --lower and --upper"),
        }
    };
    // Check every query's own parameters, and that its noise can be drawn, before
    // charging anything: after a charge nothing may fail, and nothing that can fail
    // depends on the records' values (a refusal that only some datasets trigger would
    // reveal them).
    for q in &args.query {
        match q.as_str() {
            "count" => mech.check(1)?,
            "sum" => mech.check(clamp()?.sum_sensitivity())?,
            "mean" => {
                // `query::mean` spends half the budget on the sum, half on the count.
                let half = mech.scaled(Rational::new(1, 2)?)?;
                half.check(clamp()?.sum_sensitivity())?;
                half.check(1)?;
            }
            "histogram" => {
                if args.edges.len() < 2 || args.edges.windows(2).any(|w| w[0] >= w[1]) {
                    bail!("histogram needs --edges with at least two strictly increasing numbers");
                }
                mech.check(1)?;
            }
            other => bail!("unknown query `{other}` (count, sum, mean, histogram)"),
        }
    }
    // Whether the dataset is empty is public (`mpc_native::dp`); say so before any charge.
    if data.is_empty() {
        bail!("{} holds no values", args.input.display());
    }
    let mut rng = rand::rngs::OsRng;
    for q in &args.query {
        acc.charge(&mech).with_context(|| format!("the {q} query was refused"))?;
        let value = match q.as_str() {
            "count" => query::count(&mut rng, &data, &mech)?.to_string(),
            "sum" => query::sum(&mut rng, &data, clamp()?, &mech)?.to_string(),
            "mean" => format!("{:.6}", query::mean(&mut rng, &data, clamp()?, &mech)?),
            _ => {
                let h = query::histogram(&mut rng, &data, &args.edges, &mech)?;
                h.iter().map(|c| c.to_string()).collect::<Vec<_>>().join(" ")
            }
        };
        outln!("{q}: {value}")?;
    }
    noteln!(
        "privacy spent: {} of {} ({} queries)",
        acc.spent(),
        acc.spent().checked_add(acc.remaining())?,
        acc.queries()
    );
    Ok(())
}
