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
use crate::protocol::{self, Wires};
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
    ands: Vec<(usize, usize, usize)>,
    deltas: [Delta; 2],
    /// Per party: the masks of the input wires then of the AND outputs.
    fresh: [AuthShares; 2],
    /// Per party: one triple per AND gate.
    triples: [Triples; 2],
    /// Per party: every wire's mask.
    masks: [AuthShares; 2],
    /// Per party: `<lambda_alpha lambda_beta>` per AND gate.
    sigma: [AuthShares; 2],
    /// The garbler's zero-labels of the input wires (other wires zero).
    zero_in: Vec<Block>,
    /// The evaluator's masked values and labels of the input wires (others unset).
    zhat_in: Vec<bool>,
    label_in: Vec<Block>,
    /// The session-wide index of AND gate 0 (the tables' tweaks).
    first_and: usize,
}

/// Borrowed parts of an [`Online`], for the tests' gate-by-gate oracle.
#[cfg(test)]
pub(crate) struct Parts<'a> {
    pub(crate) online: &'a Online,
    pub(crate) ands: &'a [(usize, usize, usize)],
    pub(crate) deltas: [&'a Delta; 2],
    pub(crate) fresh: [&'a AuthShares; 2],
    pub(crate) triples: [&'a Triples; 2],
    pub(crate) masks: [&'a AuthShares; 2],
    pub(crate) zhat_in: &'a [bool],
    pub(crate) label_in: &'a [Block],
}

#[cfg(test)]
impl Parts<'_> {
    pub(crate) fn wires(&self, r: usize) -> Wires<'_> {
        self.online.wires(r)
    }
}

impl core::fmt::Debug for Online {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Online").field("ands", &self.ands.len()).finish_non_exhaustive()
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
        let ands = protocol::and_gates(circuit);
        let da = pin_delta(Role::Garbler, Block::random(rng));
        let db = pin_delta(Role::Evaluator, Block::random(rng));
        let n = n_in + ands.len();
        let fresh = deal(&protocol::random_bits(rng, n), &da, &db, rng);
        let (a, b) = (protocol::random_bits(rng, ands.len()), protocol::random_bits(rng, ands.len()));
        let c: Vec<bool> = a.iter().zip(&b).map(|(&a, &b)| a & b).collect();
        let [aa, ab] = deal(&a, &da, &db, rng);
        let [ba, bb] = deal(&b, &da, &db, rng);
        let [ca, cb] = deal(&c, &da, &db, rng);
        let triples = [Triples { a: aa, b: ba, c: ca }, Triples { a: ab, b: bb, c: cb }];
        let mut online = Online {
            circuit: circuit.clone(),
            ands,
            deltas: [da.clone(), db],
            fresh,
            triples,
            masks: [AuthShares::default(), AuthShares::default()],
            sigma: [AuthShares::default(), AuthShares::default()],
            zero_in: Vec::new(),
            zhat_in: Vec::new(),
            label_in: Vec::new(),
            first_and: 0,
        };
        online.masks = [online.wire_masks(Role::Garbler), online.wire_masks(Role::Evaluator)];
        online.sigma = online.beaver();
        let nw = circuit.num_wires() as usize;
        let (mut zero, mut zhat, mut label) = (vec![Block::ZERO; nw], vec![false; nw], vec![Block::ZERO; nw]);
        let [ma, mb] = &online.masks;
        for (w, &x) in inputs.iter().enumerate() {
            zero[w] = Block::random(rng);
            zhat[w] = x ^ ma.bits[w] ^ mb.bits[w];
            label[w] = if zhat[w] { zero[w] ^ da.as_block() } else { zero[w] };
        }
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
            online: self,
            ands: &self.ands,
            deltas: [&self.deltas[0], &self.deltas[1]],
            fresh: [&self.fresh[0], &self.fresh[1]],
            triples: [&self.triples[0], &self.triples[1]],
            masks: [&self.masks[0], &self.masks[1]],
            zhat_in: &self.zhat_in,
            label_in: &self.label_in,
        }
    }

    /// The number of AND gates.
    pub fn and_count(&self) -> usize {
        self.ands.len()
    }

    /// `role`'s mask of every wire (what the protocol's `instance_masks` computes).
    pub fn wire_masks(&self, role: Role) -> AuthShares {
        let r = role.index() as usize;
        protocol::wire_masks(role, &self.deltas[r], &self.circuit, &self.fresh[r], 0)
    }

    /// Both parties' Beaver step (openings, then `<lambda_alpha lambda_beta>` per AND
    /// gate), `[garbler, evaluator]`, from the dealt wire masks. The openings' MAC
    /// checks (the protocol's `check_open`) are not run.
    pub fn beaver(&self) -> [AuthShares; 2] {
        let de: Vec<AuthShares> =
            (0..2).map(|r| protocol::beaver_open(&self.masks[r], &self.ands, &self.triples[r], 0)).collect();
        [Role::Garbler, Role::Evaluator].map(|role| {
            let r = role.index() as usize;
            protocol::beaver_finish(role, &self.deltas[r], &de[r], &de[1 - r].bits, &self.triples[r], 0)
        })
    }

    fn wires(&self, r: usize) -> Wires<'_> {
        Wires { masks: &self.masks[r], ands: &self.ands, sigma: &self.sigma[r], first_and: self.first_and }
    }

    /// The garbler's tables (128 bytes per AND gate) and its zero-label of every wire.
    pub fn garble<R: RngCore + CryptoRng>(&self, rng: &mut R) -> (Vec<u8>, Vec<Block>) {
        let mut zero = self.zero_in.clone();
        let tables = protocol::garble(&self.circuit, rng, &self.deltas[0], &self.wires(0), &mut zero);
        (tables, zero)
    }

    /// The evaluator's walk over `tables`: every wire's masked value and label, or the
    /// first AND gate whose row failed its MAC check.
    pub fn evaluate(&self, tables: &[u8]) -> Result<(Vec<bool>, Vec<Block>)> {
        protocol::evaluate(
            &self.circuit,
            &self.deltas[1],
            &self.wires(1),
            self.zhat_in.clone(),
            self.label_in.clone(),
            tables,
        )
    }

    /// The value of every output wire (outputs in order) from the evaluator's masked
    /// values: `z^ ^ lambda_A ^ lambda_B`.
    pub fn outputs(&self, zhat: &[bool]) -> Vec<bool> {
        let [ma, mb] = &self.masks;
        self.circuit
            .outputs()
            .iter()
            .flat_map(|g| g.wires.iter().map(|w| w.index()))
            .map(|w| zhat[w] ^ ma.bits[w] ^ mb.bits[w])
            .collect()
    }

    /// Whether `label` is wire `w`'s label for masked value `z` under the garbler's
    /// `zero`-labels.
    pub fn label_is(&self, zero: &[Block], w: usize, z: bool, label: Block) -> bool {
        label == if z { zero[w] ^ self.deltas[0].as_block() } else { zero[w] }
    }
}
