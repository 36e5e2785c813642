//! The half-gates garbler (Zahur, Rosulek, Evans 2015) with free-XOR and
//! point-and-permute over the fixed-key TCCR hash.
//!
//! Guarantees: the table stream is exactly 32 bytes per AND gate and nothing for
//! XOR/INV/EQ/EQW; tables are flushed to the sink in chunks of at most
//! [`crate::CHUNK_BYTES`]; the AND gate number `j` (in circuit order) uses tweaks
//! `tweak_base + 2j` and `tweak_base + 2j + 1`; memory is one label per wire plus a
//! fixed buffer (the tables are never all held).

use mpc_circuits::Circuit;
use mpc_crypto::{Block, Delta, FixedKeyAes};
use subtle::{Choice, ConstantTimeEq};

use crate::error::GarbleError;
use crate::schedule::{self, mask, tweak, AndGate, Kernel};
use crate::stream::{TableSink, CHUNK_BYTES};
use crate::{OutputDecoding, CONST_LABEL, DEFAULT_BATCH};

/// Garbles one circuit once. See the crate documentation for the protocol around it.
pub struct Garbler<'c> {
    circuit: &'c Circuit,
    delta: Delta,
    input_zero_labels: Option<Vec<Block>>,
    tweak_base: u64,
    output_zero_labels: Option<Vec<Block>>,
    batch: usize,
    parallel: bool,
}

impl core::fmt::Debug for Garbler<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Garbler")
            .field("and_count", &self.circuit.and_count())
            .field("tweak_base", &self.tweak_base)
            .finish_non_exhaustive()
    }
}

impl<'c> Garbler<'c> {
    /// A garbler for `circuit` with offset `delta`. `input_zero_labels` holds the
    /// zero-label of every input wire (`circuit.num_input_wires()` of them, in wire
    /// order): the garbler's own from its PRG, the evaluator's from correlated OT with
    /// correlation `delta`. `tweak_base` must be such that no tweak in
    /// `tweak_base .. tweak_base + tweaks_used(circuit)` was used before with `delta`.
    pub fn new(
        circuit: &'c Circuit,
        delta: &Delta,
        input_zero_labels: Vec<Block>,
        tweak_base: u64,
    ) -> Result<Garbler<'c>, GarbleError> {
        let want = circuit.num_input_wires() as usize;
        if input_zero_labels.len() != want {
            return Err(GarbleError::InputCount { want, got: input_zero_labels.len() });
        }
        Ok(Garbler {
            circuit,
            delta: delta.clone(),
            input_zero_labels: Some(input_zero_labels),
            tweak_base,
            output_zero_labels: None,
            batch: DEFAULT_BATCH,
            parallel: false,
        })
    }

    /// Sets the largest number of AND gates hashed as one batch (default
    /// [`DEFAULT_BATCH`]; at least 1). Does not change the output.
    pub fn with_batch_size(mut self, batch: usize) -> Self {
        self.batch = batch.max(1);
        self
    }

    /// Hashes large batches on the rayon pool (split into chunks of
    /// [`crate::PAR_CHUNK`] gates). Does not change the output.
    pub fn with_parallel_levels(mut self, parallel: bool) -> Self {
        self.parallel = parallel;
        self
    }

    /// Garbles the circuit, streaming the tables into `sink`; returns the decoding
    /// bits of the outputs. Can be called once.
    pub fn garble(&mut self, sink: &mut impl TableSink) -> Result<OutputDecoding, GarbleError> {
        let inputs =
            self.input_zero_labels.take().ok_or(GarbleError::State("this garbler already garbled"))?;
        let mut labels = inputs;
        labels.resize(self.circuit.num_wires() as usize, Block::ZERO);
        let mut kernel = GarbleKernel {
            aes: FixedKeyAes::global(),
            delta: self.delta.as_block(),
            tweak_base: self.tweak_base as u128,
            hashes: Vec::new(),
            out: Vec::with_capacity(CHUNK_BYTES / 16),
            sink,
            parallel: self.parallel,
        };
        schedule::run(self.circuit, &mut labels, &mut kernel, self.batch)?;
        kernel.finish()?;
        let zero: Vec<Block> =
            self.circuit.outputs().iter().flat_map(|g| g.wires.iter().map(|w| labels[w.index()])).collect();
        let decoding = OutputDecoding::from_bits(zero.iter().map(|l| l.lsb()).collect());
        self.output_zero_labels = Some(zero);
        Ok(decoding)
    }

    /// The zero-labels of the output bits (groups in order, bit 0 first), after
    /// [`Garbler::garble`].
    pub fn output_zero_labels(&self) -> Option<&[Block]> {
        self.output_zero_labels.as_deref()
    }

    /// Decodes output labels the evaluator sent back, checking each is one of its
    /// wire's two labels (in constant time per label). A corrupted or forged label is
    /// [`GarbleError::InvalidOutputLabel`].
    pub fn decode_returned(&self, labels: &[Block]) -> Result<Vec<bool>, GarbleError> {
        let zero = self.output_zero_labels.as_deref().ok_or(GarbleError::State("decode before garbling"))?;
        if labels.len() != zero.len() {
            return Err(GarbleError::OutputCount { want: zero.len(), got: labels.len() });
        }
        let d = self.delta.as_block();
        let mut bits = Vec::with_capacity(labels.len());
        for (index, (l, z)) in labels.iter().zip(zero).enumerate() {
            let is0: Choice = l.ct_eq(z);
            let is1: Choice = l.ct_eq(&(*z ^ d));
            if !bool::from(is0 | is1) {
                return Err(GarbleError::InvalidOutputLabel { index });
            }
            bits.push(bool::from(is1));
        }
        Ok(bits)
    }
}

struct GarbleKernel<'s, S: TableSink> {
    aes: &'static FixedKeyAes,
    delta: Block,
    tweak_base: u128,
    hashes: Vec<Block>,
    out: Vec<Block>,
    sink: &'s mut S,
    parallel: bool,
}

impl<S: TableSink> GarbleKernel<'_, S> {
    fn finish(&mut self) -> Result<(), GarbleError> {
        if !self.out.is_empty() {
            self.sink.write_tables(bytemuck::cast_slice(&self.out))?;
            self.out.clear();
        }
        Ok(())
    }
}

/// Hashes `h` (laid out `A0, A1, B0, B1` per gate) in place with the gate tweaks.
fn hash_garbler(aes: &FixedKeyAes, h: &mut [Block], first_tweak: u128) {
    // Entry k belongs to gate k/4; A-halves use tweak 2j, B-halves 2j+1.
    aes.tccr_many(h, |k| tweak(first_tweak + 2 * (k as u128 >> 2) + ((k as u128 >> 1) & 1)));
}

impl<S: TableSink> Kernel for GarbleKernel<'_, S> {
    #[inline(always)]
    fn inv(&self, x: Block) -> Block {
        // The zero-label of !x is the one-label of x.
        x ^ self.delta
    }

    #[inline(always)]
    fn constant(&self, value: bool) -> Block {
        // The evaluator's label is the public CONST_LABEL, which must encode `value`.
        CONST_LABEL ^ (mask(value) & self.delta)
    }

    fn and_batch(
        &mut self,
        gates: &[AndGate],
        first_and: u64,
        labels: &mut [Block],
    ) -> Result<(), GarbleError> {
        let d = self.delta;
        let n = gates.len();
        self.hashes.clear();
        self.hashes.reserve(4 * n);
        for g in gates {
            let a0 = labels[g.a as usize];
            let b0 = labels[g.b as usize];
            self.hashes.extend_from_slice(&[a0, a0 ^ d, b0, b0 ^ d]);
        }
        let first_tweak = self.tweak_base + 2 * first_and as u128;
        if self.parallel && n >= 2 * crate::PAR_CHUNK {
            use rayon::prelude::*;
            let aes = self.aes;
            self.hashes.par_chunks_mut(4 * crate::PAR_CHUNK).enumerate().for_each(|(c, h)| {
                hash_garbler(aes, h, first_tweak + 2 * (c * crate::PAR_CHUNK) as u128);
            });
        } else {
            hash_garbler(self.aes, &mut self.hashes, first_tweak);
        }
        for (g, h) in gates.iter().zip(self.hashes.chunks_exact(4)) {
            let a0 = labels[g.a as usize];
            let b0 = labels[g.b as usize];
            let (pa, pb) = (mask(a0.lsb()), mask(b0.lsb()));
            // Garbler half-gate: T_G = H(A0) ^ H(A1) ^ pb*Delta, W_G0 = H(A0) ^ pa*T_G.
            let tg = h[0] ^ h[1] ^ (pb & d);
            let wg0 = h[0] ^ (pa & tg);
            // Evaluator half-gate: T_E = H(B0) ^ H(B1) ^ A0, W_E0 = H(B0) ^ pb*(T_E ^ A0).
            let te = h[2] ^ h[3] ^ a0;
            let we0 = h[2] ^ (pb & (te ^ a0));
            labels[g.out as usize] = wg0 ^ we0;
            self.out.push(tg);
            self.out.push(te);
            if self.out.len() == CHUNK_BYTES / 16 {
                self.sink.write_tables(bytemuck::cast_slice(&self.out))?;
                self.out.clear();
            }
        }
        Ok(())
    }
}
