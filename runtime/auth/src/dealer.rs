//! A trusted dealer's state for one instance of authenticated garbling, so that tests
//! and benchmarks can run the per-instance compute (wire masks, the Beaver step,
//! garbling, evaluation) alone, without the preprocessing protocol or a channel.
//!
//! Not a protocol and not secure: one process makes both parties' halves (consistent
//! authenticated shares under two `Delta`s, triples with `c = a b`, the inputs' masked
//! values and labels). Hidden from the docs; the benchmark `online` of this crate and
//! the unit tests of the garbling use it.

use mpc_circuits::Circuit;
use mpc_crypto::{Block, Delta};
use rand_core::{CryptoRng, RngCore};

use crate::bucket::Triples;
use crate::error::Result;
use crate::protocol::{self, Masks, Wires};
use crate::schedule::Schedule;
use crate::shares::AuthShares;
use crate::{pin_delta, Role};

/// Both parties' halves of a dealt sharing of `values`, `[garbler, evaluator]`.
fn deal<R: RngCore + CryptoRng>(values: &[bool], da: &Delta, db: &Delta, rng: &mut R) -> [AuthShares; 2] {
    let n = values.len();
    let xa = protocol::random_bits(rng, n);
    let mut ka = vec![Block::ZERO; n];
    let mut kb = vec![Block::ZERO; n];
    rng.fill_bytes(bytemuck::cast_slice_mut(&mut ka));
    rng.fill_bytes(bytemuck::cast_slice_mut(&mut kb));
    let xb: Vec<bool> = values.iter().zip(&xa).map(|(&v, &a)| v ^ a).collect();
    let at = |k: &[Block], bits: &[bool], d: &Delta| -> Vec<Block> {
        k.iter().zip(bits).map(|(&k, &x)| if x { k ^ d.as_block() } else { k }).collect()
    };
    let (ma, mb) = (at(&kb, &xa, db), at(&ka, &xb, da));
    [AuthShares { bits: xa, macs: ma, keys: ka }, AuthShares { bits: xb, macs: mb, keys: kb }]
}

/// One dealt instance of a circuit with given inputs: everything the garbler and the
/// evaluator hold when the tables are made and evaluated.
pub struct Online {
    circuit: Circuit,
    schedule: Schedule,
    deltas: [Delta; 2],
    /// Per party: the masks of the input wires then of the AND outputs.
    fresh: [AuthShares; 2],
    /// Per party: one triple per AND gate.
    triples: [Triples; 2],
    /// Per party: the masks of the AND inputs and outputs.
    masks: [Masks; 2],
    /// Per party: `<lambda_alpha lambda_beta ^ lambda_gamma>` per AND gate.
    s: [AuthShares; 2],
    /// The garbler's zero-labels of the input wires.
    zero_in: Vec<Block>,
    /// The evaluator's masked values and labels of the input wires.
    zhat_in: Vec<bool>,
    label_in: Vec<Block>,
    /// The session-wide index of AND gate 0 (the tables' tweaks).
    first_and: usize,
}

/// The garbler's result on a dealt instance ([`Online::garble`]).
#[derive(Debug)]
pub struct Garbled {
    /// The tables, 128 bytes per AND gate.
    pub tables: Vec<u8>,
    /// The zero-label of every AND gate's output, in gate order.
    pub and_labels: Vec<Block>,
    /// The zero-labels of the output wires, in output order.
    pub out_zero: Vec<Block>,
}

/// Borrowed parts of an [`Online`], for the tests' gate-by-gate oracle.
#[cfg(test)]
pub(crate) struct Parts<'a> {
    pub(crate) deltas: [&'a Delta; 2],
    pub(crate) fresh: [&'a AuthShares; 2],
    pub(crate) triples: [&'a Triples; 2],
    pub(crate) masks: [&'a Masks; 2],
    pub(crate) s: [&'a AuthShares; 2],
    pub(crate) zero_in: &'a [Block],
    pub(crate) zhat_in: &'a [bool],
    pub(crate) label_in: &'a [Block],
    pub(crate) first_and: usize,
}

impl core::fmt::Debug for Online {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Online").field("ands", &self.and_count()).finish_non_exhaustive()
    }
}

impl Online {
    /// Deals an instance of `circuit` on `inputs` (one bit per input wire, both
    /// parties', in wire order), its AND gate 0 at session-wide index 0
    /// ([`Online::starting_at`] moves it).
    ///
    /// # Panics
    /// If `inputs` has not one bit per input wire (a caller bug).
    pub fn deal<R: RngCore + CryptoRng>(circuit: &Circuit, inputs: &[bool], rng: &mut R) -> Online {
        let n_in = circuit.num_input_wires() as usize;
        assert_eq!(inputs.len(), n_in, "one bit per input wire");
        let schedule = Schedule::new(circuit);
        let n_and = schedule.ands().len();
        let da = pin_delta(Role::Garbler, Block::random(rng));
        let db = pin_delta(Role::Evaluator, Block::random(rng));
        let fresh = deal(&protocol::random_bits(rng, n_in + n_and), &da, &db, rng);
        let (a, b) = (protocol::random_bits(rng, n_and), protocol::random_bits(rng, n_and));
        let c: Vec<bool> = a.iter().zip(&b).map(|(&a, &b)| a & b).collect();
        let [aa, ab] = deal(&a, &da, &db, rng);
        let [ba, bb] = deal(&b, &da, &db, rng);
        let [ca, cb] = deal(&c, &da, &db, rng);
        let triples = [Triples { a: aa, b: ba, c: ca }, Triples { a: ab, b: bb, c: cb }];
        let zero_in: Vec<Block> = (0..n_in).map(|_| Block::random(rng)).collect();
        let labels = Some((zero_in.clone(), protocol::fresh_labels(rng, n_and)));
        let masks = [
            protocol::wire_masks(Role::Garbler, &da, &schedule, &fresh[0], 0, labels),
            protocol::wire_masks(Role::Evaluator, &db, &schedule, &fresh[1], 0, None),
        ];
        let mut online = Online {
            circuit: circuit.clone(),
            schedule,
            deltas: [da.clone(), db],
            fresh,
            triples,
            masks,
            s: [AuthShares::default(), AuthShares::default()],
            zero_in: Vec::new(),
            zhat_in: Vec::new(),
            label_in: Vec::new(),
            first_and: 0,
        };
        online.s = online.beaver();
        let [fa, fb] = &online.fresh;
        let zero = zero_in;
        let zhat: Vec<bool> = (0..n_in).map(|w| inputs[w] ^ fa.bits[w] ^ fb.bits[w]).collect();
        let label = (0..n_in).map(|w| if zhat[w] { zero[w] ^ da.as_block() } else { zero[w] }).collect();
        (online.zero_in, online.zhat_in, online.label_in) = (zero, zhat, label);
        online
    }

    /// The same instance with its AND gate 0 at session-wide index `first_and`.
    pub fn starting_at(mut self, first_and: usize) -> Online {
        self.first_and = first_and;
        self
    }

    #[cfg(test)]
    pub(crate) fn parts(&self) -> Parts<'_> {
        Parts {
            deltas: [&self.deltas[0], &self.deltas[1]],
            fresh: [&self.fresh[0], &self.fresh[1]],
            triples: [&self.triples[0], &self.triples[1]],
            masks: [&self.masks[0], &self.masks[1]],
            s: [&self.s[0], &self.s[1]],
            zero_in: &self.zero_in,
            zhat_in: &self.zhat_in,
            label_in: &self.label_in,
            first_and: self.first_and,
        }
    }

    /// The number of AND gates.
    pub fn and_count(&self) -> usize {
        self.schedule.ands().len()
    }

    /// `role`'s walk of the wire masks (what the protocol's `instance_masks`
    /// computes; the garbler's with its zero-labels); returns the number of AND gates
    /// it gathered the inputs of.
    pub fn wire_masks(&self, role: Role) -> usize {
        let r = role.index() as usize;
        let labels = self.masks[r].labels.as_ref().map(|l| (l.zero_in.clone(), l.and.clone()));
        protocol::wire_masks(role, &self.deltas[r], &self.schedule, &self.fresh[r], 0, labels).a.len()
    }

    /// Both parties' Beaver step (openings, then `<lambda_alpha lambda_beta ^
    /// lambda_gamma>` per AND gate), `[garbler, evaluator]`, from the dealt wire
    /// masks, with the openings' MAC checks.
    ///
    /// # Panics
    /// If a check fails (the dealt shares are consistent: a bug).
    pub fn beaver(&self) -> [AuthShares; 2] {
        let de: Vec<(Vec<bool>, Vec<u8>)> =
            (0..2).map(|r| protocol::beaver_open(&self.masks[r], &self.triples[r], 0)).collect();
        [Role::Garbler, Role::Evaluator].map(|role| {
            let r = role.index() as usize;
            let (d, t) = (&self.deltas[r], &self.triples[r]);
            let peer = protocol::beaver_check(d, &self.masks[r], t, 0, &de[1 - r].1).expect("dealt shares");
            protocol::beaver_finish(role, d, (&de[r].0, &peer), t, 0, &self.fresh[r], self.schedule.n_in())
        })
    }

    fn wires(&self, r: usize) -> Wires<'_> {
        Wires { schedule: &self.schedule, masks: &self.masks[r], s: &self.s[r], first_and: self.first_and }
    }

    /// The garbler's tables (128 bytes per AND gate), from the zero-labels dealt
    /// with its masks.
    ///
    /// # Panics
    /// Never: the garbler's masks are dealt with labels.
    pub fn garble(&self) -> Garbled {
        let tables =
            protocol::garble(&self.deltas[0], &self.wires(0)).expect("the garbler's masks have labels");
        let labels = self.masks[0].labels.as_ref().expect("the garbler's masks have labels");
        Garbled { tables, and_labels: labels.and.clone(), out_zero: labels.out[0].clone() }
    }

    /// The evaluator's walk over `tables`: the masked value and label of every output
    /// wire (outputs in order), or the first AND gate whose row failed its MAC check.
    pub fn evaluate(&self, tables: &[u8]) -> Result<Vec<(bool, Block)>> {
        let [all, _] =
            protocol::evaluate(&self.deltas[1], &self.wires(1), &self.zhat_in, &self.label_in, tables)?;
        Ok(all)
    }

    /// The level-by-level walk alone (no circuit-order walk after a failed row):
    /// `None` if a row fails.
    #[cfg(test)]
    pub(crate) fn evaluate_by_level(&self, tables: &[u8]) -> Option<Vec<(bool, Block)>> {
        let w = self.wires(1);
        protocol::evaluate_by_level(&self.deltas[1], &w, &self.zhat_in, &self.label_in, tables)
            .map(|[all, _]| all)
    }

    /// The value of every output wire (outputs in order) from the evaluator's masked
    /// values: `z^ ^ lambda_A ^ lambda_B`.
    pub fn outputs(&self, evaluated: &[(bool, Block)]) -> Vec<bool> {
        let [ma, mb] = &self.masks;
        evaluated.iter().zip(&ma.out[0].bits).zip(&mb.out[0].bits).map(|((e, &a), &b)| e.0 ^ a ^ b).collect()
    }

    /// The circuit dealt.
    pub fn circuit(&self) -> &Circuit {
        &self.circuit
    }
}
