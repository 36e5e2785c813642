//! The per-AND work of one instance's authenticated garbling (WRK17 Figure 2's 4-row
//! tables, see [`crate::protocol`]): the garbler's tables, and the evaluator's
//! decryption and MAC check of the one row it opens.
//!
//! Each row is masked with `H(A, B, g, ij) = (tccr(A, t0) ^ tccr(B, t1), tccr(A, t2) ^
//! tccr(B, t3))`, `t_p = 2^127 | (16 g + 4 ij + p)` ([`tweak`]), and
//! `tccr(x, t) = pi(pi(x) ^ t) ^ pi(x)`.
//!
//! **Garbler**: every zero-label is known before any hash (an AND output's is fresh,
//! not derived), so all AND gates are independent; they are garbled
//! [`GARBLE_BATCH`] at a time. The first AES layer of the TCCR depends on the label
//! alone, and the 16 hashes of a gate use only four labels (`A_0, A_1 = A_0 ^ Delta,
//! B_0, B_1`), so it runs once per label: 4 + 16 = 20 AES calls per gate instead of
//! 32, both layers through [`FixedKeyAes::permute_many`] (the VAES engine where the
//! CPU has it) on buffers that stay in L1; each gate's shares are read once for its
//! four rows, and its 128 bytes are appended to a table vector allocated once. The
//! zero-labels were walked with the wire masks when the instance was prepared
//! ([`crate::protocol::wire_masks`], one walk of the circuit's
//! [`crate::schedule::Schedule`] for both), so the gates' labels (`L_{alpha,0}`,
//! `L_{beta,0}`, `L_{gamma,0}`) and shares (`<lambda_sigma ^ lambda_gamma>`,
//! `<lambda_alpha>`, `<lambda_beta>`) are all read in gate order from vectors of their
//! own.
//!
//! **Evaluator**: level by level over the schedule's AND-depth order
//! ([`crate::schedule::Schedule::by_level`], made once per circuit, its own reused
//! slots): the AND gates of one depth ([`EVAL_BATCH`] at a time) have their rows
//! chosen and their four hashes each computed in one [`FixedKeyAes::tccr_many_with`]
//! call ([`decrypt_batch`]), so the AES pipeline stays full instead of waiting on each
//! gate's two dependent AES layers; their shares, tables and tweaks are read by their
//! circuit-order index. If a row fails, the circuit-order walk ([`decrypt`], one gate
//! at a time) names the gate. (Before the schedule, level batches gathered from
//! wires spread over a per-wire array and measured no faster; over the slots they
//! took the evaluator's garbled-tables phase of AES-128 x 100 from 29.7-29.8 to
//! 26.3-26.8 ms per session.)
//!
//! Guarantees: the tables, the evaluator's results and the gate named by a failed
//! check are exactly those of the gate-by-gate form (the tests' `reference` module,
//! the code this replaced; property-tested against it). The garbler's use of its
//! secret share bits is branch-free (masks, not branches).

use mpc_crypto::{Block, FixedKeyAes};

use crate::protocol::{Labels, Wires};
use crate::schedule::AndSlots;
use crate::shares::AuthShares;

/// The tweak domain of the tables' hashes (bit 127; every other TCCR use in the crate
/// leaves it clear).
const DOMAIN: u128 = 1 << 127;

/// The tweak of position `pos` (0..4) of row `row` (0..4) of AND gate `gate`
/// (session-wide index).
#[inline(always)]
pub(crate) fn tweak(gate: usize, row: usize, pos: usize) -> Block {
    Block::from(DOMAIN | (16 * gate as u128 + 4 * row as u128 + pos as u128))
}

/// Gates per batch of the garbler (its buffers: 4 + 16 blocks per gate, 20 KiB).
const GARBLE_BATCH: usize = 64;

/// The 16 bytes at `off` (the caller checked the length).
#[inline(always)]
fn block_at(bytes: &[u8], off: usize) -> Block {
    let mut b = [0u8; 16];
    b.copy_from_slice(&bytes[off..off + 16]);
    Block::from(b)
}

/// One authenticated share as (bit, MAC, key): a slot of the wire-mask walk
/// ([`crate::protocol::wire_masks`]) and an AND gate's share in the rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Share {
    pub(crate) bit: bool,
    pub(crate) mac: Block,
    pub(crate) key: Block,
}

impl Share {
    pub(crate) const ZERO: Share = Share { bit: false, mac: Block::ZERO, key: Block::ZERO };

    /// Entry `i` of `v`.
    #[inline(always)]
    pub(crate) fn at(v: &AuthShares, i: usize) -> Share {
        Share { bit: v.bits[i], mac: v.macs[i], key: v.keys[i] }
    }

    /// Appends it to `v`.
    #[inline(always)]
    pub(crate) fn push_to(self, v: &mut AuthShares) {
        v.bits.push(self.bit);
        v.macs.push(self.mac);
        v.keys.push(self.key);
    }
}

impl core::ops::BitXor for Share {
    type Output = Share;
    #[inline(always)]
    fn bitxor(self, o: Share) -> Share {
        Share { bit: self.bit ^ o.bit, mac: self.mac ^ o.mac, key: self.key ^ o.key }
    }
}

/// The evaluator's value of a wire: its masked value `z^` and the label `L_{w,z^}`
/// (a slot of [`crate::protocol::evaluate`]'s walk).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Active {
    pub(crate) z: bool,
    pub(crate) label: Block,
}

impl Active {
    pub(crate) const ZERO: Active = Active { z: false, label: Block::ZERO };
}

impl core::ops::BitXor for Active {
    type Output = Active;
    #[inline(always)]
    fn bitxor(self, o: Active) -> Active {
        Active { z: self.z ^ o.z, label: self.label ^ o.label }
    }
}

/// The shares of AND gate `k` that its rows are built from: `s = <lambda_sigma ^
/// lambda_gamma>`, `a = <lambda_alpha>`, `b = <lambda_beta>`; row `(i, j)` is
/// `s ^ i b ^ j a` (then `^ i j`, a public bit). All three are read in gate order.
#[inline(always)]
fn gate_shares(w: &Wires<'_>, k: usize) -> (Share, Share, Share) {
    (Share::at(w.s, k), Share::at(&w.masks.a, k), Share::at(&w.masks.b, k))
}

/// The garbler's tables of every AND gate of `w` (128 bytes each, in gate order)
/// from the zero-labels walked with the masks (`zero`: each gate's inputs' and
/// output's, read in gate order).
pub(crate) fn garble_tables(delta: Block, w: &Wires<'_>, zero: &Labels) -> Vec<u8> {
    let aes = FixedKeyAes::global();
    let n = zero.and.len();
    let mut tables = vec![0u8; 128 * n];
    let mut labels = vec![Block::ZERO; 4 * GARBLE_BATCH.min(n)];
    let mut hashes = vec![Block::ZERO; 16 * GARBLE_BATCH.min(n)];
    for (c, (fresh, out)) in
        zero.and.chunks(GARBLE_BATCH).zip(tables.chunks_mut(128 * GARBLE_BATCH)).enumerate()
    {
        let k0 = c * GARBLE_BATCH;
        let r = k0..k0 + fresh.len();
        let p = &mut labels[..4 * fresh.len()];
        let x = &mut hashes[..16 * fresh.len()];
        // The first layer: pi of A_0, A_1, B_0, B_1.
        for ((q, &a0), &b0) in p.chunks_exact_mut(4).zip(&zero.a[r.clone()]).zip(&zero.b[r]) {
            q.copy_from_slice(&[a0, a0 ^ delta, b0, b0 ^ delta]);
        }
        aes.permute_many(p);
        // Second layer: position `4 row + pos` of a gate hashes A_i (pos 0, 2) or B_j
        // (pos 1, 3) of row `(i, j)` under the tweak `16 gate + 4 row + pos`.
        for (g, (xs, q)) in x.chunks_exact_mut(16).zip(p.chunks_exact(4)).enumerate() {
            let t = u128::from(tweak(w.first_and + k0 + g, 0, 0));
            for (pos, v) in xs.iter_mut().enumerate() {
                let (row, left) = (pos / 4, pos % 2 == 0);
                let src = if left { q[row >> 1] } else { q[2 + (row & 1)] };
                *v = src ^ Block::from(t + pos as u128);
            }
        }
        aes.permute_many(x);
        for (g, (((xs, q), t), &g0)) in
            x.chunks_exact(16).zip(p.chunks_exact(4)).zip(out.chunks_exact_mut(128)).zip(fresh).enumerate()
        {
            let (s, a, b) = gate_shares(w, k0 + g);
            let rows = [s, s ^ a, s ^ b, s ^ a ^ b];
            for (row, ((r, h), t)) in
                rows.iter().zip(xs.chunks_exact(4)).zip(t.chunks_exact_mut(32)).enumerate()
            {
                let (pa, pb) = (q[row >> 1], q[2 + (row & 1)]);
                // `r.bit ^ i j`: the garbler's share of the row's masked output.
                let bit = r.bit ^ (row == 3);
                let mac = r.mac ^ h[0] ^ pa ^ h[1] ^ pb;
                let label = g0 ^ (delta & Block::mask(bit)) ^ r.key ^ h[2] ^ pa ^ h[3] ^ pb;
                t[..16].copy_from_slice(&mac.to_bytes());
                t[16..].copy_from_slice(&label.to_bytes());
            }
        }
    }
    tables
}

/// The evaluator's decryption and check of AND gate `k` (`gate`, its slots; its
/// inputs' slots set): the row its masked inputs select, the MAC check, then its
/// output's masked value and label written to its output slot. `Err(k)` if the row
/// fails authentication.
///
/// Called in circuit order: the gate-by-gate path, and the fallback that names the
/// first failing gate when [`decrypt_batch`]'s level walk fails.
#[inline]
pub(crate) fn decrypt(
    k: usize,
    gate: AndSlots,
    delta: Block,
    w: &Wires<'_>,
    tables: &[u8],
    slots: &mut [Active],
) -> core::result::Result<(), usize> {
    let (x, y) = (slots[gate.a as usize], slots[gate.b as usize]);
    let (i, j) = (x.z, y.z);
    let row = 2 * i as usize + j as usize;
    let mut h = [x.label, y.label, x.label, y.label];
    let t = u128::from(tweak(w.first_and + k, row, 0));
    FixedKeyAes::global().tccr_many(&mut h, |p| Block::from(t + p as u128));
    slots[gate.out as usize] = open_row(k, i, j, &h, delta, w, tables)?;
    Ok(())
}

/// The check and output of AND gate `k`'s row `(i, j)` (its inputs' masked values)
/// from the row's four hashes `h`: my share of the row's `r` (`i`, `j` are public to
/// the evaluator; masks only keep the code branch-free, the rows being random; `^ i j`
/// moves my key by Delta), the garbler's MAC on its share checked against my key, then
/// the output's masked value and label. `Err(k)` if the MAC is neither my key nor my
/// key `^ Delta`. The one row check of both [`decrypt`] and [`decrypt_batch`].
#[inline(always)]
fn open_row(
    k: usize,
    i: bool,
    j: bool,
    h: &[Block],
    delta: Block,
    w: &Wires<'_>,
    tables: &[u8],
) -> core::result::Result<Active, usize> {
    let row = 2 * i as usize + j as usize;
    let (s, a, b) = gate_shares(w, k);
    let (mi, mj) = (Block::mask(i), Block::mask(j));
    let bit = s.bit ^ (i & b.bit) ^ (j & a.bit);
    let my_mac = s.mac ^ (mi & b.mac) ^ (mj & a.mac);
    let key = s.key ^ (mi & b.key) ^ (mj & a.key) ^ (Block::mask(i & j) & delta);
    let off = 128 * k + 32 * row;
    let mac = block_at(tables, off) ^ h[0] ^ h[1];
    let part = block_at(tables, off + 16) ^ h[2] ^ h[3];
    let r_a = if mac == key {
        false
    } else if mac == key ^ delta {
        true
    } else {
        return Err(k);
    };
    Ok(Active { z: r_a ^ bit, label: part ^ my_mac })
}

/// Gates per batch of the evaluator (its buffers: 8 blocks and 2 bits per gate).
pub(crate) const EVAL_BATCH: usize = 256;

/// The evaluator's buffers for [`decrypt_batch`].
#[derive(Default)]
pub(crate) struct EvalBuffers {
    h: Vec<Block>,
    tweaks: Vec<Block>,
    ij: Vec<(bool, bool)>,
}

/// [`decrypt`] of AND gates that read none of each other's outputs (at most
/// [`EVAL_BATCH`], their inputs' slots set): first every gate's row and its four hash
/// inputs, then all hashes in one [`FixedKeyAes::tccr_many_with`] call (the AES
/// pipeline full), then each gate's check and output, in the order given. A gate's
/// output slot is never an input slot of a later gate of the batch (those are live),
/// and every input is read before any output is written. `Err(k)` (circuit-order
/// index) for the first gate of the batch whose row fails.
pub(crate) fn decrypt_batch(
    gates: &[AndSlots],
    delta: Block,
    w: &Wires<'_>,
    tables: &[u8],
    slots: &mut [Active],
    buf: &mut EvalBuffers,
) -> core::result::Result<(), usize> {
    let EvalBuffers { h, tweaks, ij } = buf;
    h.clear();
    tweaks.clear();
    ij.clear();
    for g in gates {
        let (x, y) = (slots[g.a as usize], slots[g.b as usize]);
        let row = 2 * x.z as usize + y.z as usize;
        let t = u128::from(tweak(w.first_and + g.k as usize, row, 0));
        h.extend_from_slice(&[x.label, y.label, x.label, y.label]);
        tweaks.extend((0..4u128).map(|p| Block::from(t + p)));
        ij.push((x.z, y.z));
    }
    FixedKeyAes::global().tccr_many_with(h, tweaks);
    for ((g, &(i, j)), h) in gates.iter().zip(ij.iter()).zip(h.chunks_exact(4)) {
        slots[g.out as usize] = open_row(g.k as usize, i, j, h, delta, w, tables)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use mpc_circuits::{Circuit, Gate, InputGroup, OutputGroup, PartyId, Reveal, ValueType, WireId};
    use proptest::prelude::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha12Rng;

    use crate::dealer::Online;
    use crate::error::AuthError;
    use crate::protocol::and_gates;
    use crate::shares::AuthShares;
    use crate::Role;

    /// The gate-by-gate form this module replaced (16 TCCR calls per garbled gate, 4
    /// per evaluated one, one gate's shares at a time), kept as the oracle.
    mod reference {
        use mpc_circuits::{Circuit, Gate};
        use mpc_crypto::{Block, Delta, FixedKeyAes};
        use subtle::Choice;

        use crate::bucket::Triples;
        use crate::error::{AuthError, Result};
        use crate::shares::AuthShares;
        use crate::Role;

        /// One instance's per-wire masks and AND gates (the form before the schedule).
        pub(super) struct Wires<'a> {
            pub(super) masks: &'a AuthShares,
            pub(super) ands: &'a [(usize, usize, usize)],
            pub(super) sigma: &'a AuthShares,
            pub(super) first_and: usize,
        }

        /// The garbler's zero-label of every wire from those of the input wires and
        /// of the AND outputs.
        pub(super) fn zero_labels(circuit: &Circuit, zero_in: &[Block], and_labels: &[Block]) -> Vec<Block> {
            let mut zero = vec![Block::ZERO; circuit.num_wires() as usize];
            zero[..zero_in.len()].copy_from_slice(zero_in);
            let mut k = 0;
            for g in circuit.gates() {
                match *g {
                    Gate::Xor { a, b, out } => zero[out.index()] = zero[a.index()] ^ zero[b.index()],
                    Gate::Inv { a, out } | Gate::Copy { a, out } => zero[out.index()] = zero[a.index()],
                    Gate::Const { out, .. } => zero[out.index()] = Block::ZERO,
                    Gate::And { out, .. } => {
                        zero[out.index()] = and_labels[k];
                        k += 1;
                    }
                }
            }
            zero
        }

        fn choice(b: bool) -> Choice {
            Choice::from(b as u8)
        }

        pub(super) fn wire_masks(
            role: Role,
            delta: &Delta,
            circuit: &Circuit,
            fresh: &AuthShares,
        ) -> AuthShares {
            let n_in = circuit.num_input_wires() as usize;
            let nw = circuit.num_wires() as usize;
            let mut masks = AuthShares {
                bits: vec![false; nw],
                macs: vec![Block::ZERO; nw],
                keys: vec![Block::ZERO; nw],
            };
            for w in 0..n_in {
                masks.xor_at(w, fresh, w);
            }
            let mut and_index = 0;
            for g in circuit.gates() {
                match *g {
                    Gate::Xor { a, b, out } => {
                        masks.xor_within(out.index(), a.index());
                        masks.xor_within(out.index(), b.index());
                    }
                    Gate::And { out, .. } => {
                        masks.xor_at(out.index(), fresh, n_in + and_index);
                        and_index += 1;
                    }
                    Gate::Inv { a, out } => {
                        masks.xor_within(out.index(), a.index());
                        masks.xor_public(role, delta, out.index(), true);
                    }
                    Gate::Const { value, out } => masks.xor_public(role, delta, out.index(), value),
                    Gate::Copy { a, out } => masks.xor_within(out.index(), a.index()),
                }
            }
            masks
        }

        pub(super) fn beaver_open(
            masks: &AuthShares,
            ands: &[(usize, usize, usize)],
            t: &Triples,
        ) -> AuthShares {
            let n = ands.len();
            let mut de = AuthShares::with_capacity(2 * n);
            for (k, &(alpha, _, _)) in ands.iter().enumerate() {
                de.push_from(masks, alpha);
                de.xor_at(k, &t.a, k);
            }
            for (k, &(_, beta, _)) in ands.iter().enumerate() {
                de.push_from(masks, beta);
                de.xor_at(n + k, &t.b, k);
            }
            de
        }

        pub(super) fn beaver_finish(
            role: Role,
            delta: &Delta,
            de: &AuthShares,
            peer: &[bool],
            t: &Triples,
        ) -> AuthShares {
            let n = de.len() / 2;
            let mut sigma = AuthShares::with_capacity(n);
            for k in 0..n {
                sigma.push_from(&t.c, k);
                let d = de.bits[k] ^ peer[k];
                let e = de.bits[n + k] ^ peer[n + k];
                if d {
                    sigma.xor_at(k, &t.b, k);
                }
                if e {
                    sigma.xor_at(k, &t.a, k);
                }
                sigma.xor_public(role, delta, k, d & e);
            }
            sigma
        }

        fn row_share(
            masks: &AuthShares,
            sigma: &AuthShares,
            k: usize,
            (alpha, beta, gamma): (usize, usize, usize),
            i: bool,
            j: bool,
        ) -> (bool, Block, Block) {
            let mut bit = sigma.bits[k] ^ masks.bits[gamma];
            let mut mac = sigma.macs[k] ^ masks.macs[gamma];
            let mut key = sigma.keys[k] ^ masks.keys[gamma];
            if i {
                bit ^= masks.bits[beta];
                mac ^= masks.macs[beta];
                key ^= masks.keys[beta];
            }
            if j {
                bit ^= masks.bits[alpha];
                mac ^= masks.macs[alpha];
                key ^= masks.keys[alpha];
            }
            (bit, mac, key)
        }

        fn row_tweak(gate: usize, row: usize, pos: usize) -> Block {
            Block::from((1u128 << 127) | (((gate as u128) * 4 + row as u128) << 2) | pos as u128)
        }

        fn block_at(bytes: &[u8], off: usize) -> Block {
            let mut b = [0u8; 16];
            b.copy_from_slice(&bytes[off..off + 16]);
            Block::from(b)
        }

        /// The tables from given zero-labels, gate by gate.
        pub(super) fn tables(delta: &Delta, w: &Wires<'_>, zero: &[Block]) -> Vec<u8> {
            let d = delta.as_block();
            let aes = FixedKeyAes::global();
            let mut tables = Vec::with_capacity(128 * w.ands.len());
            for (k, &gate) in w.ands.iter().enumerate() {
                let (a, b, gamma) = gate;
                let mut h = [Block::ZERO; 16];
                for row in 0..4 {
                    let (i, j) = (row >> 1 == 1, row & 1 == 1);
                    let (la, lb) = (zero[a].xor_if(d, choice(i)), zero[b].xor_if(d, choice(j)));
                    h[4 * row..4 * row + 4].copy_from_slice(&[la, lb, la, lb]);
                }
                aes.tccr_many(&mut h, |x| row_tweak(w.first_and + k, x / 4, x % 4));
                for row in 0..4 {
                    let (i, j) = (row >> 1 == 1, row & 1 == 1);
                    let (bit, mac, key) = row_share(w.masks, w.sigma, k, gate, i, j);
                    let label = zero[gamma].xor_if(d, choice(bit ^ (i & j))) ^ key;
                    let p = &h[4 * row..4 * row + 4];
                    tables.extend_from_slice(&(mac ^ p[0] ^ p[1]).to_bytes());
                    tables.extend_from_slice(&(label ^ p[2] ^ p[3]).to_bytes());
                }
            }
            tables
        }

        /// The evaluator's walk, gate by gate.
        pub(super) fn evaluate(
            circuit: &Circuit,
            delta: &Delta,
            w: &Wires<'_>,
            mut zhat: Vec<bool>,
            mut label: Vec<Block>,
            tables: &[u8],
        ) -> Result<(Vec<bool>, Vec<Block>)> {
            let d = delta.as_block();
            let mut k = 0;
            for g in circuit.gates() {
                match *g {
                    Gate::Xor { a, b, out } => {
                        zhat[out.index()] = zhat[a.index()] ^ zhat[b.index()];
                        label[out.index()] = label[a.index()] ^ label[b.index()];
                    }
                    Gate::Inv { a, out } | Gate::Copy { a, out } => {
                        zhat[out.index()] = zhat[a.index()];
                        label[out.index()] = label[a.index()];
                    }
                    Gate::Const { out, .. } => {
                        zhat[out.index()] = false;
                        label[out.index()] = Block::ZERO;
                    }
                    Gate::And { a, b, out } => {
                        let (a, b, out) = (a.index(), b.index(), out.index());
                        let (i, j) = (zhat[a], zhat[b]);
                        let row = 2 * i as usize + j as usize;
                        let mut h = [label[a], label[b], label[a], label[b]];
                        FixedKeyAes::global().tccr_many(&mut h, |x| row_tweak(w.first_and + k, row, x));
                        let off = 128 * k + 32 * row;
                        let mac = block_at(tables, off) ^ h[0] ^ h[1];
                        let part = block_at(tables, off + 16) ^ h[2] ^ h[3];
                        let (bit, my_mac, key) = row_share(w.masks, w.sigma, k, (a, b, out), i, j);
                        let key = key.xor_if(d, choice(i & j));
                        let r_a = if mac == key {
                            false
                        } else if mac == key ^ d {
                            true
                        } else {
                            return Err(AuthError::GarbledTable { gate: k });
                        };
                        zhat[out] = r_a ^ bit;
                        label[out] = part ^ my_mac;
                        k += 1;
                    }
                }
            }
            Ok((zhat, label))
        }
    }

    /// A random circuit over every gate kind (as the protocol tests' generator).
    fn random_circuit(rng: &mut ChaCha12Rng, n_a: u32, n_b: u32, n_gates: usize) -> Circuit {
        let n_in = n_a + n_b;
        let num_wires = n_in + n_gates as u32;
        let mut written: Vec<u32> = (0..n_in).collect();
        let mut gates = Vec::with_capacity(n_gates);
        for out in n_in..num_wires {
            let pick = |rng: &mut ChaCha12Rng| {
                let k = if rng.gen_bool(0.5) {
                    written.len() - 1 - rng.gen_range(0..written.len().min(4))
                } else {
                    rng.gen_range(0..written.len())
                };
                WireId(written[k])
            };
            let (a, b, out) = (pick(rng), pick(rng), WireId(out));
            gates.push(match rng.gen_range(0..10) {
                0..=3 => Gate::And { a, b, out },
                4..=6 => Gate::Xor { a, b, out },
                7 => Gate::Inv { a, out },
                8 => Gate::Const { value: rng.gen(), out },
                _ => Gate::Copy { a, out },
            });
            written.push(out.0);
        }
        let outs = (0..8).map(|_| WireId(written[rng.gen_range(0..written.len())])).collect();
        Circuit::new(
            num_wires,
            vec!["alice".into(), "bob".into()],
            vec![
                InputGroup { name: "a".into(), party: PartyId(0), ty: ValueType::UInt(n_a) },
                InputGroup { name: "b".into(), party: PartyId(1), ty: ValueType::UInt(n_b) },
            ],
            vec![OutputGroup {
                name: "all".into(),
                ty: ValueType::UInt(8),
                reveal: Reveal::All,
                wires: outs,
            }],
            gates,
        )
        .unwrap()
    }

    /// `v` (one entry per input wire) widened to every wire of `c` (the rest default).
    fn full<T: Copy + Default>(c: &Circuit, v: &[T]) -> Vec<T> {
        let mut out = vec![T::default(); c.num_wires() as usize];
        out[..v.len()].copy_from_slice(v);
        out
    }

    /// Deals an instance of a random circuit whose first AND gate has session index
    /// `first_and`.
    fn instance(seed: u64, n_gates: usize, first_and: usize) -> (Circuit, Vec<bool>, Online, ChaCha12Rng) {
        let mut rng = ChaCha12Rng::seed_from_u64(seed);
        let (n_a, n_b) = (rng.gen_range(1..9), rng.gen_range(1..9));
        let c = random_circuit(&mut rng, n_a, n_b, n_gates);
        let inputs: Vec<bool> = (0..n_a + n_b).map(|_| rng.gen()).collect();
        let online = Online::deal(&c, &inputs, &mut rng).starting_at(first_and);
        (c, inputs, online, rng)
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: 48,
            rng_seed: proptest::test_runner::RngSeed::Fixed(0x6761_726b),
            ..ProptestConfig::default()
        })]

        /// Wire masks, the Beaver step, the tables and the evaluation over the
        /// schedule equal the gate-by-gate forms over every wire, and the outputs are
        /// the circuit's.
        #[test]
        fn the_scheduled_form_equals_gate_by_gate(
            seed in any::<u64>(),
            n_gates in 1usize..700,
            first_and in prop_oneof![Just(0usize), 0usize..1 << 40],
        ) {
            let (c, inputs, online, _) = instance(seed, n_gates, first_and);
            let p = online.parts();
            let ands = and_gates(&c);
            let outs: Vec<usize> = c.outputs()[0].wires.iter().map(|w| w.index()).collect();
            let gather = |v: &AuthShares, wires: &mut dyn Iterator<Item = usize>| {
                let mut o = AuthShares::default();
                wires.for_each(|w| o.push_from(v, w));
                o
            };
            let roles = [Role::Garbler, Role::Evaluator];
            let masks: Vec<AuthShares> =
                (0..2).map(|r| reference::wire_masks(roles[r], p.deltas[r], &c, p.fresh[r])).collect();
            for (m, all) in p.masks.iter().zip(&masks) {
                prop_assert!(m.a == gather(all, &mut ands.iter().map(|g| g.0)));
                prop_assert!(m.b == gather(all, &mut ands.iter().map(|g| g.1)));
                prop_assert!(m.out[0] == gather(all, &mut outs.iter().copied()));
                prop_assert!(m.out[1] == m.out[0], "every output is revealed to both");
            }
            let de: Vec<_> = (0..2).map(|r| reference::beaver_open(&masks[r], &ands, p.triples[r])).collect();
            let mut sigma = Vec::new();
            for r in 0..2 {
                let opening = crate::protocol::beaver_open(p.masks[r], p.triples[r], 0).1;
                prop_assert!(opening == de[r].open("Beaver openings"));
                let want = reference::beaver_finish(roles[r], p.deltas[r], &de[r], &de[1 - r].bits, p.triples[r]);
                let mut s = want.clone();
                for (k, g) in ands.iter().enumerate() {
                    s.xor_at(k, &masks[r], g.2);
                }
                prop_assert!(p.s[r] == &s);
                sigma.push(want);
            }
            let wires = |r: usize| reference::Wires { masks: &masks[r], ands: &ands, sigma: &sigma[r], first_and: p.first_and };
            let g = online.garble();
            let zero = reference::zero_labels(&c, p.zero_in, &g.and_labels);
            prop_assert!(g.tables == reference::tables(p.deltas[0], &wires(0), &zero));
            prop_assert!(g.out_zero == outs.iter().map(|&w| zero[w]).collect::<Vec<_>>());
            let got = online.evaluate(&g.tables).unwrap();
            prop_assert!(online.evaluate_by_level(&g.tables).as_ref() == Some(&got), "the level walk alone");
            let (zr, lr) = reference::evaluate(&c, p.deltas[1], &wires(1), full(&c, p.zhat_in), full(&c, p.label_in), &g.tables).unwrap();
            prop_assert!(got == outs.iter().map(|&w| (zr[w], lr[w])).collect::<Vec<_>>());
            let v = crate::schedule::tests::wire_values(&c, &inputs);
            let want: Vec<bool> = outs.iter().map(|&w| v[w]).collect();
            prop_assert_eq!(online.outputs(&got), want);
            let da = p.deltas[0].as_block();
            for ((&(z, label), &l0), &w) in got.iter().zip(&g.out_zero).zip(&outs) {
                prop_assert!(label == if z { l0 ^ da } else { l0 }, "wire {}", w);
            }
        }

        /// A changed table byte gives the same result as gate by gate: the same gate
        /// named, or (a row the evaluator does not open) the same outputs.
        #[test]
        fn a_changed_table_fails_as_gate_by_gate(
            seed in any::<u64>(),
            n_gates in 1usize..400,
            at in any::<prop::sample::Index>(),
            flip in 1u8..=255,
        ) {
            let (c, _, online, _) = instance(seed, n_gates, 3);
            let p = online.parts();
            let mut tables = online.garble().tables;
            if tables.is_empty() {
                return Ok(());
            }
            let i = at.index(tables.len());
            tables[i] ^= flip;
            let got = online.evaluate(&tables);
            let ands = and_gates(&c);
            let roles = [Role::Garbler, Role::Evaluator];
            let masks = reference::wire_masks(roles[1], p.deltas[1], &c, p.fresh[1]);
            let de: Vec<_> = (0..2)
                .map(|r| reference::beaver_open(&reference::wire_masks(roles[r], p.deltas[r], &c, p.fresh[r]), &ands, p.triples[r]))
                .collect();
            let sigma = reference::beaver_finish(roles[1], p.deltas[1], &de[1], &de[0].bits, p.triples[1]);
            let w = reference::Wires { masks: &masks, ands: &ands, sigma: &sigma, first_and: p.first_and };
            let want = reference::evaluate(&c, p.deltas[1], &w, full(&c, p.zhat_in), full(&c, p.label_in), &tables);
            let outs = &c.outputs()[0].wires;
            let want = want.map(|(z, l)| outs.iter().map(|w| (z[w.index()], l[w.index()])).collect::<Vec<_>>());
            prop_assert!(got == want);
        }
    }

    #[test]
    fn a_flipped_mac_bit_in_every_row_names_the_first_such_gate() {
        let (_, _, online, _) = instance(7, 600, 0);
        let mut tables = online.garble().tables;
        let gates = online.and_count();
        assert!(gates > 100, "{gates} AND gates");
        for k in [gates - 1, gates / 2, 40] {
            for row in 0..4 {
                tables[128 * k + 32 * row + 9] ^= 0x10;
            }
            assert_eq!(online.evaluate(&tables), Err(AuthError::GarbledTable { gate: k }));
        }
        assert!(online.evaluate(&tables[1..]).is_err(), "a short table is refused, not read past");
    }
}
