//! Half-gates garbling and evaluation (Zahur, Rosulek, Evans 2015) of batches of
//! independent AND gates over the fixed-key TCCR hash: the inner loop of mpc-garble.
//!
//! Two ways to say where a batch's labels are, one kernel behind both ([`GateIo`]):
//! - *indexed* ([`FixedKeyAes::garble_and_gates`], [`FixedKeyAes::eval_and_gates`]):
//!   gate `i` is `[a, b, out]`, slots of a label array the kernel reads and writes in
//!   place (no gather/scatter copies);
//! - *pairs* ([`FixedKeyAes::garble_half_gates`], [`FixedKeyAes::eval_half_gates`]):
//!   input labels in `pairs[2i], pairs[2i+1]`, outputs to `out[i]` (independent slices,
//!   so a caller can split a batch across threads).
//!
//! Tables are bytes, 32 per gate: `T_G` then `T_E`, each in [`Block::to_bytes`] order,
//! the wire format. Gate `i` uses tweaks `first_tweak + 2i` (A side) and
//! `first_tweak + 2i + 1` (B side). With `pa = lsb(A0)`, `pb = lsb(B0)`, `H = tccr`:
//! `T_G = H(A0) ^ H(A0^D) ^ pb*D`, `W_G = H(A0) ^ pa*T_G`,
//! `T_E = H(B0) ^ H(B0^D) ^ A0`, `W_E = H(B0) ^ pb*(T_E ^ A0)`, `out0 = W_G ^ W_E`;
//! the evaluator computes `H(Wa) ^ sa*T_G ^ H(Wb) ^ sb*(T_E ^ Wa)`.
//!
//! Engines, picked once per [`FixedKeyAes`] from what the CPU reports: VAES (two blocks
//! per 256-bit instruction, 16 hashes in flight), AES-NI (16 hashes in flight in
//! 128-bit registers), and the portable path through the `aes` crate. All three give
//! bit-identical results (tested).
//!
//! Indexed batches: a kernel reads the inputs of a group of gates before writing their
//! outputs and processes groups in gate order, so the result equals gate-by-gate
//! execution provided no gate reads a slot an earlier gate of the same call writes
//! (which is what "independent" means; mpc-garble's scheduler guarantees it). A batch
//! that breaks this gives wrong labels, never undefined behaviour.

use crate::{Block, Delta, FixedKeyAes};

/// Where a batch's input labels come from and its output labels go.
pub(crate) trait GateIo {
    /// Number of gates.
    fn len(&self) -> usize;
    /// Input labels `(A, B)` of gate `j` (zero-labels when garbling, active when evaluating).
    fn inputs(&self, j: usize) -> (Block, Block);
    /// Stores the output label of gate `j`.
    fn set_output(&mut self, j: usize, out: Block);
}

/// Gates `[a, b, out]` over a label array; every slot is checked to be in range once,
/// at construction.
pub(crate) struct Indexed<'a> {
    labels: &'a mut [Block],
    gates: &'a [[u32; 3]],
}

impl<'a> Indexed<'a> {
    /// # Panics
    /// If a slot of `gates` is not below `labels.len()` (a caller bug).
    fn new(labels: &'a mut [Block], gates: &'a [[u32; 3]]) -> Indexed<'a> {
        // A flat max vectorises; `None` only for no gates.
        let max = gates.as_flattened().iter().copied().max();
        assert!(max.is_none_or(|m| (m as usize) < labels.len()), "gate slot out of range");
        Indexed { labels, gates }
    }
}

impl GateIo for Indexed<'_> {
    #[inline(always)]
    fn len(&self) -> usize {
        self.gates.len()
    }
    #[inline(always)]
    fn inputs(&self, j: usize) -> (Block, Block) {
        let g = self.gates[j];
        #[allow(unsafe_code)]
        // SAFETY: every slot of every gate is below `labels.len()` (checked in `new`;
        // neither field changes afterwards).
        unsafe {
            (*self.labels.get_unchecked(g[0] as usize), *self.labels.get_unchecked(g[1] as usize))
        }
    }
    #[inline(always)]
    fn set_output(&mut self, j: usize, out: Block) {
        let o = self.gates[j][2] as usize;
        #[allow(unsafe_code)]
        // SAFETY: as in `inputs`.
        unsafe {
            *self.labels.get_unchecked_mut(o) = out;
        }
    }
}

/// Input pairs in one slice, outputs in another.
pub(crate) struct Pairs<'a> {
    pub pairs: &'a [Block],
    pub out: &'a mut [Block],
}

impl GateIo for Pairs<'_> {
    #[inline(always)]
    fn len(&self) -> usize {
        self.out.len()
    }
    #[inline(always)]
    fn inputs(&self, j: usize) -> (Block, Block) {
        (self.pairs[2 * j], self.pairs[2 * j + 1])
    }
    #[inline(always)]
    fn set_output(&mut self, j: usize, out: Block) {
        self.out[j] = out;
    }
}

fn read_block(bytes: &[u8]) -> Block {
    let mut b = [0u8; 16];
    b.copy_from_slice(&bytes[..16]);
    Block::from_bytes(b)
}

impl FixedKeyAes {
    /// Garbles the AND gates `gates` (`[a, b, out]`, slots of `labels`, which hold
    /// zero-labels) in place: writes each gate's output zero-label to `labels[out]` and
    /// its 32-byte table to `tables` (see the module docs for the formulas, tweaks and
    /// the independence rule).
    ///
    /// # Panics
    /// If `tables.len() != 32 * gates.len()` or a slot is out of range of `labels`
    /// (caller bugs, not input dependent).
    pub fn garble_and_gates(
        &self,
        delta: &Delta,
        labels: &mut [Block],
        gates: &[[u32; 3]],
        first_tweak: u128,
        tables: &mut [u8],
    ) {
        self.garble_io(delta, &mut Indexed::new(labels, gates), first_tweak, tables);
    }

    /// Evaluates the AND gates `gates` in place over active labels, reading their
    /// tables from `tables` (32 bytes each).
    ///
    /// # Panics
    /// As [`FixedKeyAes::garble_and_gates`].
    pub fn eval_and_gates(&self, labels: &mut [Block], gates: &[[u32; 3]], first_tweak: u128, tables: &[u8]) {
        self.eval_io(&mut Indexed::new(labels, gates), first_tweak, tables);
    }

    /// Garbles `n = out.len()` independent AND gates given as zero-label pairs
    /// (`pairs[2i]` = A0, `pairs[2i+1]` = B0); output zero-labels to `out`, tables to
    /// `tables` (32 bytes per gate).
    ///
    /// # Panics
    /// If `pairs.len() != 2n` or `tables.len() != 32n` (caller bugs).
    pub fn garble_half_gates(
        &self,
        delta: &Delta,
        pairs: &[Block],
        first_tweak: u128,
        tables: &mut [u8],
        out: &mut [Block],
    ) {
        assert_eq!(pairs.len(), 2 * out.len(), "two labels per gate");
        self.garble_io(delta, &mut Pairs { pairs, out }, first_tweak, tables);
    }

    /// Evaluates `n = out.len()` independent AND gates given as active-label pairs.
    ///
    /// # Panics
    /// As [`FixedKeyAes::garble_half_gates`].
    pub fn eval_half_gates(&self, pairs: &[Block], first_tweak: u128, tables: &[u8], out: &mut [Block]) {
        assert_eq!(pairs.len(), 2 * out.len(), "two labels per gate");
        self.eval_io(&mut Pairs { pairs, out }, first_tweak, tables);
    }

    fn garble_io(&self, delta: &Delta, io: &mut impl GateIo, first_tweak: u128, tables: &mut [u8]) {
        assert_eq!(tables.len(), 32 * io.len(), "32 table bytes per gate");
        #[cfg(target_arch = "x86_64")]
        if let Some(ni) = &self.ni {
            return ni.garble(delta.as_block(), io, first_tweak, tables);
        }
        self.garble_portable(delta.as_block(), io, first_tweak, tables);
    }

    fn eval_io(&self, io: &mut impl GateIo, first_tweak: u128, tables: &[u8]) {
        assert_eq!(tables.len(), 32 * io.len(), "32 table bytes per gate");
        #[cfg(target_arch = "x86_64")]
        if let Some(ni) = &self.ni {
            return ni.eval(io, first_tweak, tables);
        }
        self.eval_portable(io, first_tweak, tables);
    }

    /// The `aes`-crate engine: hashes a chunk of gates at a time through `tccr_many`.
    fn garble_portable(&self, d: Block, io: &mut impl GateIo, first_tweak: u128, tables: &mut [u8]) {
        const G: usize = 32;
        let mut h = [Block::ZERO; 4 * G];
        let mut ins = [(Block::ZERO, Block::ZERO); G];
        for start in (0..io.len()).step_by(G) {
            let n = G.min(io.len() - start);
            for j in 0..n {
                let (a0, b0) = io.inputs(start + j);
                ins[j] = (a0, b0);
                h[4 * j..4 * j + 4].copy_from_slice(&[a0, a0 ^ d, b0, b0 ^ d]);
            }
            let tweak0 = first_tweak + 2 * start as u128;
            self.tccr_many(&mut h[..4 * n], |k| {
                Block::from_u128(tweak0 + 2 * (k as u128 >> 2) + ((k as u128 >> 1) & 1))
            });
            for j in 0..n {
                let (a0, b0) = ins[j];
                let (pa, pb) = (Block::mask(a0.lsb()), Block::mask(b0.lsb()));
                let h = &h[4 * j..4 * j + 4];
                let tg = h[0] ^ h[1] ^ (pb & d);
                let wg0 = h[0] ^ (pa & tg);
                let te = h[2] ^ h[3] ^ a0;
                let we0 = h[2] ^ (pb & (te ^ a0));
                let t = &mut tables[32 * (start + j)..32 * (start + j + 1)];
                t[..16].copy_from_slice(&tg.to_bytes());
                t[16..].copy_from_slice(&te.to_bytes());
                io.set_output(start + j, wg0 ^ we0);
            }
        }
    }

    fn eval_portable(&self, io: &mut impl GateIo, first_tweak: u128, tables: &[u8]) {
        const G: usize = 64;
        let mut h = [Block::ZERO; 2 * G];
        for start in (0..io.len()).step_by(G) {
            let n = G.min(io.len() - start);
            for j in 0..n {
                let (wa, wb) = io.inputs(start + j);
                h[2 * j] = wa;
                h[2 * j + 1] = wb;
            }
            let ins = h;
            let tweak0 = first_tweak + 2 * start as u128;
            self.tccr_many(&mut h[..2 * n], |k| Block::from_u128(tweak0 + k as u128));
            for j in 0..n {
                let (wa, wb) = (ins[2 * j], ins[2 * j + 1]);
                let t = &tables[32 * (start + j)..32 * (start + j + 1)];
                let (tg, te) = (read_block(&t[..16]), read_block(&t[16..]));
                let out = h[2 * j]
                    ^ (Block::mask(wa.lsb()) & tg)
                    ^ h[2 * j + 1]
                    ^ (Block::mask(wb.lsb()) & (te ^ wa));
                io.set_output(start + j, out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn engines() -> Vec<(&'static str, FixedKeyAes)> {
        let mut v = vec![("portable", FixedKeyAes::default().without_fused_kernel())];
        #[cfg(target_arch = "x86_64")]
        {
            let full = FixedKeyAes::default();
            if full.kernel_name() != "portable" {
                v.push(("aes-ni", full.clone().without_wide_kernel()));
                v.push((full.kernel_name(), full));
            }
        }
        v
    }

    fn pairs_for(n: usize) -> Vec<Block> {
        (0..2 * n as u128).map(|i| Block::from_u128(i.wrapping_mul(0x9E37_79B9_7F4A_7C15_F39C) ^ 5)).collect()
    }

    /// Every engine gives the same tables and labels through both front-ends, and
    /// evaluation of the garbled gates recovers `out0 ^ (a & b) * Delta` for every
    /// input combination.
    #[test]
    fn engines_agree_and_evaluate() {
        let delta = Delta::from_block(Block::from_u128(0x1234_5678_9abc_def0_0fed_cba9_8765_4321));
        let d = delta.as_block();
        for n in [0usize, 1, 3, 4, 7, 8, 9, 33, 100] {
            let pairs = pairs_for(n);
            let mut reference: Option<(Vec<u8>, Vec<Block>)> = None;
            for (name, aes) in engines() {
                let (mut t, mut o) = (vec![0u8; 32 * n], vec![Block::ZERO; n]);
                aes.garble_half_gates(&delta, &pairs, 10, &mut t, &mut o);
                // The indexed front-end: inputs in slots 0..2n, outputs in 2n..3n.
                let mut labels = pairs.clone();
                labels.resize(3 * n, Block::ZERO);
                let gates: Vec<[u32; 3]> =
                    (0..n as u32).map(|i| [2 * i, 2 * i + 1, 2 * n as u32 + i]).collect();
                let mut t2 = vec![0u8; 32 * n];
                aes.garble_and_gates(&delta, &mut labels, &gates, 10, &mut t2);
                assert_eq!((&t2, &labels[2 * n..]), (&t, &o[..]), "{name} indexed, n = {n}");
                match &reference {
                    None => reference = Some((t.clone(), o.clone())),
                    Some((rt, ro)) => assert_eq!((rt, ro), (&t, &o), "{name} vs portable, n = {n}"),
                }
                for (a, b) in [(false, false), (false, true), (true, false), (true, true)] {
                    let active: Vec<Block> = pairs
                        .chunks(2)
                        .flat_map(|p| [p[0] ^ (Block::mask(a) & d), p[1] ^ (Block::mask(b) & d)])
                        .collect();
                    let mut w = vec![Block::ZERO; n];
                    aes.eval_half_gates(&active, 10, &t, &mut w);
                    let mut labels = active.clone();
                    labels.resize(3 * n, Block::ZERO);
                    aes.eval_and_gates(&mut labels, &gates, 10, &t);
                    for i in 0..n {
                        assert_eq!(w[i], o[i] ^ (Block::mask(a & b) & d), "{name} eval, n = {n}, gate {i}");
                        assert_eq!(labels[2 * n + i], w[i], "{name} indexed eval");
                    }
                }
            }
        }
    }

    /// A gate may write the slot an earlier gate of the same batch read (slot reuse):
    /// the result equals gate-by-gate execution.
    #[test]
    fn indexed_output_may_reuse_an_earlier_input_slot() {
        let delta = Delta::from_block(Block::from_u128(77));
        for (name, aes) in engines() {
            let n = 40usize;
            let base = pairs_for(n);
            // Gate i reads slots 2i, 2i+1 and writes slot 2(i-1) (read by gate i-1);
            // gate 0 writes a fresh slot.
            let gates: Vec<[u32; 3]> = (0..n as u32)
                .map(|i| [2 * i, 2 * i + 1, if i == 0 { 2 * n as u32 } else { 2 * (i - 1) }])
                .collect();
            let mut batched = base.clone();
            batched.push(Block::ZERO);
            let mut tb = vec![0u8; 32 * n];
            aes.garble_and_gates(&delta, &mut batched, &gates, 3, &mut tb);
            let mut single = base.clone();
            single.push(Block::ZERO);
            let mut ts = vec![0u8; 32 * n];
            for (i, g) in gates.iter().enumerate() {
                let t = &mut ts[32 * i..32 * (i + 1)];
                aes.garble_and_gates(&delta, &mut single, std::slice::from_ref(g), 3 + 2 * i as u128, t);
            }
            assert_eq!((&tb, &batched), (&ts, &single), "{name}");
        }
    }
}
