//! `mpc bench --malicious`: the malicious mode (`mpc-auth`, authenticated garbling)
//! between two threads of this process over loopback TCP, wall clock, medians, every
//! output checked against the plaintext evaluator:
//!
//! - `malicious_aes128_session_ms`: one AES-128 (Bristol circuit) from the first
//!   protocol message to both parties' outputs: base OTs, both KOS sessions, the
//!   triples, the instance (no hello: the program's session adds it);
//! - `malicious_aes128_amortized_ms`: [`AMORTIZED`] AES-128 instances in one session
//!   (one preprocessing), the session's time divided by their number;
//! - `malicious_sha256_session_ms`: one SHA-256 compression;
//! - `malicious_bytes_per_and`: both parties' bytes of the amortised session per AND
//!   gate, and the same split by phase (`malicious_phases`).
//!
//! On a two-core machine each party has one core, as issue 13's aims assume (one core
//! per party over loopback); with more cores the threads are not pinned.

use std::time::Duration;

use anyhow::{ensure, Context};
use mpc_auth::protocol::{self, ChannelLink, Phase};
use mpc_auth::Role;
use mpc_circuits::Circuit;
use rand::SeedableRng;
use rand_chacha::ChaCha12Rng;

use super::session::{check_outputs, median, over_tcp, own_inputs};

/// Instances of the amortised session (issue 13's "amortised over 100").
pub const AMORTIZED: usize = 100;

/// One phase's bytes (both parties) and wall time (the garbler's), summed over the
/// instances.
pub struct PhaseCost {
    pub name: &'static str,
    pub bytes_per_and: f64,
    pub garbler_ms: f64,
    pub garbler_waiting_ms: f64,
}

/// What [`run`] measured.
pub struct Malicious {
    pub aes128_session_ms: f64,
    pub aes128_amortized_ms: f64,
    pub sha256_session_ms: f64,
    pub bytes_per_and: f64,
    pub phases: Vec<PhaseCost>,
    pub runs: usize,
}

/// The measurements, `runs` sessions of each kind (interleaved), medians.
pub fn run(aes: &Circuit, sha: &Circuit, runs: usize) -> anyhow::Result<Malicious> {
    let mut rng = ChaCha12Rng::from_entropy();
    let runs = runs.max(1);
    let (mut one, mut many, mut sha_one) = (Vec::new(), Vec::new(), Vec::new());
    let mut last = None;
    for _ in 0..runs {
        one.push(session(aes, 1, &mut rng)?.0);
        let (t, report) = session(aes, AMORTIZED, &mut rng)?;
        many.push(t);
        last = Some(report);
        sha_one.push(session(sha, 1, &mut rng)?.0);
    }
    let ms = |v: Vec<Duration>| -> anyhow::Result<f64> {
        let mut v = v.into_iter();
        Ok(median(runs, || v.next().context("a run is missing"))?.as_secs_f64() * 1e3)
    };
    let (garbler, evaluator) = last.context("no amortised run")?;
    let ands = (aes.and_count() * AMORTIZED).max(1) as f64;
    // Each party's phases summed by name (the pipelined instances interleave them in
    // a different order on the two sides), in the garbler's order of first appearance.
    let mut phases: Vec<PhaseCost> = Vec::new();
    for (p, garbler_side) in garbler.iter().map(|p| (p, true)).chain(evaluator.iter().map(|p| (p, false))) {
        let at = match phases.iter().position(|q| q.name == p.name) {
            Some(at) => at,
            None => {
                phases.push(PhaseCost {
                    name: p.name,
                    bytes_per_and: 0.0,
                    garbler_ms: 0.0,
                    garbler_waiting_ms: 0.0,
                });
                phases.len() - 1
            }
        };
        let q = &mut phases[at];
        q.bytes_per_and += p.bytes_sent as f64 / ands;
        if garbler_side {
            q.garbler_ms += p.elapsed.as_secs_f64() * 1e3;
            q.garbler_waiting_ms += p.waiting.as_secs_f64() * 1e3;
        }
    }
    Ok(Malicious {
        aes128_session_ms: ms(one)?,
        aes128_amortized_ms: ms(many)? / AMORTIZED as f64,
        sha256_session_ms: ms(sha_one)?,
        bytes_per_and: phases.iter().map(|p| p.bytes_per_and).sum(),
        phases,
        runs,
    })
}

/// Both parties' phase reports of one session (garbler, evaluator).
type Reports = (Vec<Phase>, Vec<Phase>);

/// Per instance, per output group: the value where revealed to this party.
type GroupOutputs = Vec<Vec<Option<Vec<bool>>>>;

/// `k` instances of `c` with random inputs in one malicious session over loopback TCP,
/// outputs checked; its time and both parties' phase reports.
fn session(c: &Circuit, k: usize, rng: &mut ChaCha12Rng) -> anyhow::Result<(Duration, Reports)> {
    let g_in: Vec<_> = (0..k).map(|_| own_inputs(c, 0, rng)).collect();
    let e_in: Vec<_> = (0..k).map(|_| own_inputs(c, 1, rng)).collect();
    let flat = |v: &[Vec<Vec<bool>>]| -> Vec<Vec<bool>> { v.iter().map(|groups| groups.concat()).collect() };
    let (g_bits, e_bits) = (flat(&g_in), flat(&e_in));
    let (mut g_rng, mut e_rng) = (ChaCha12Rng::from_rng(&mut *rng)?, ChaCha12Rng::from_rng(&mut *rng)?);
    let ((g_out, g_phases), (e_out, e_phases), t) = over_tcp(
        |ch| {
            let mut link = ChannelLink(ch);
            Ok(protocol::run_many_reported(Role::Garbler, c, &g_bits, &mut link, &mut g_rng)?)
        },
        |ch| {
            let mut link = ChannelLink(ch);
            Ok(protocol::run_many_reported(Role::Evaluator, c, &e_bits, &mut link, &mut e_rng)?)
        },
    )?;
    let (g, e) = (by_group(c, &g_out)?, by_group(c, &e_out)?);
    check_outputs(c, &g_in, &e_in, &g, &e)?;
    Ok((t, (g_phases, e_phases)))
}

/// Per-wire outputs (`Some` where revealed to this party) as per-output-group values.
fn by_group(c: &Circuit, outs: &[protocol::Outputs]) -> anyhow::Result<GroupOutputs> {
    outs.iter()
        .map(|wires| {
            let mut at = 0;
            c.outputs()
                .iter()
                .map(|group| {
                    let bits =
                        wires.get(at..at + group.wires.len()).context("an instance has too few outputs")?;
                    at += group.wires.len();
                    let known: Option<Vec<bool>> = bits.iter().copied().collect();
                    ensure!(
                        known.is_some() || bits.iter().all(Option::is_none),
                        "output {} is revealed in part",
                        group.name
                    );
                    Ok(known)
                })
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 64-bit adder (Bristol Fashion, 63 AND gates), two instances in one session:
    /// the measurement's outputs pass its plaintext check, and of two answers that
    /// differ in one bit the check refuses at least one (it can fail).
    #[test]
    fn malicious_sessions_check_their_results() {
        let c =
            mpc_circuits::bristol::read(include_str!("../../../circuits/tests/vectors/bristol/adder64.txt"))
                .unwrap();
        let mut rng = ChaCha12Rng::seed_from_u64(7);
        let (t, (g, e)) = session(&c, 2, &mut rng).unwrap();
        assert!(t > Duration::ZERO);
        let names = |p: &[Phase]| p.iter().map(|p| p.name).collect::<std::collections::BTreeSet<_>>();
        assert_eq!(names(&g), names(&e));
        assert!(names(&g).contains("garbled tables"));
        let g_in = vec![own_inputs(&c, 0, &mut rng)];
        let e_in = vec![own_inputs(&c, 1, &mut rng)];
        let zeros: Vec<Vec<Option<Vec<bool>>>> =
            vec![c.outputs().iter().map(|o| Some(vec![false; o.wires.len()])).collect()];
        let mut flipped = zeros.clone();
        if let Some(Some(bits)) = flipped[0].first_mut() {
            bits[0] = !bits[0];
        }
        let one = check_outputs(&c, &g_in, &e_in, &zeros, &zeros);
        let other = check_outputs(&c, &g_in, &e_in, &flipped, &flipped);
        assert!(one.is_err() || other.is_err(), "two different answers cannot both pass");
    }
}
