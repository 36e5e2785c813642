//! The half-gates leaky AND of KRRW18 (Katz, Ranellucci, Rosulek, Wang, "Optimizing
//! Authenticated Garbling for Faster Secure Two-Party Computation", Crypto 2018,
//! Figure 5), in the form of emp-ag2pc's `leaky_and_halfgate`.
//!
//! Input: random authenticated shares `<a>, <b>, <r>` of `L` candidates. Output:
//! `<c>` with `c = a & b`. Per candidate and party `P` (peer `Q`), with `H` the
//! tweakable correlation-robust hash of mpc-crypto and `t_P` a tweak unique to the
//! candidate and to `P`'s table:
//! 1. `C_P = b_P Delta_P ^ K_P[b_Q] ^ M_P[b_P]`, so `C_A ^ C_B = b (Delta_A ^ Delta_B)`;
//!    `P` sends the half-gate row `G_P = H(K_P[a_Q], t_P) ^ H(K_P[a_Q] ^ Delta_P, t_P) ^ C_P`.
//! 2. From the peer's row: `E_P = H(M_P[a_P], t_Q) ^ a_P G_Q = H(K_Q[a_P], t_Q) ^ a_P C_Q`;
//!    `S_P = H(K_P[a_Q], t_P) ^ E_P ^ K_P[r_Q] ^ M_P[r_P] ^ a_P C_P ^ r_P Delta_P`.
//!    Then `S_A ^ S_B = (a b ^ r)(Delta_A ^ Delta_B)`.
//! 3. Each sends bit 1 of `S_P`; bit 1 of `Delta_A ^ Delta_B` is 1 (see
//!    [`crate::pin_delta`]), so `d = s_A ^ s_B = a b ^ r`, and `<c> = <r> ^ d`.
//! 4. `L_P = S_P ^ d Delta_P` is equal on both sides exactly when everything was
//!    computed honestly; the digest of all `L_P` goes into one equality check
//!    ([`crate::feq`]) after all layers.
//!
//! The code computes exactly these values, in an order that touches each share once:
//! [`Layer::tables`] hashes `K_P[a_Q]` at `t_P` once for both the row and
//! [`Partial`] (`S_P` but for `E_P`), [`Layer::evaluate`] adds `E_P` in place, and
//! [`Layer::finish`] turns `S_P` into `L_P` in place and hashes it as bytes. So a
//! candidate costs three hashes `H` (six AES calls), not four.
//!
//! What a cheater gets: a wrong row `G_Q` changes `E_P` only where `a_P = 1`, so the
//! check fails or passes depending on the honest party's `a_P` (selective failure: the
//! cheater learns that bit or is caught). Bucketing ([`crate::bucket`]) makes those
//! leaked bits useless. A wrong opened bit `s_Q` alone makes the check fail; with a
//! wrong row whose bit 1 is set it is the cheater's guess of `a_P` (passing with
//! probability 1/2 again; docs/protocol.md, "Bucket size").

use crate::feq::EqDigest;
use mpc_crypto::{Block, Delta, FixedKeyAes};

use crate::bucket::Triples;
use crate::error::{AuthError, Result};
use crate::shares::AuthShares;
use crate::Role;

const TAG_TABLES: u8 = 0xB2;
const TAG_BITS: u8 = 0xB3;

/// One layer of `L` candidates: random shares `a`, `b`, `r`, and the index of the
/// layer's first candidate in the session (tweaks are never reused across layers).
#[derive(Debug, Clone)]
pub struct Layer {
    /// `<a>`.
    pub a: AuthShares,
    /// `<b>`.
    pub b: AuthShares,
    /// `<r>` (becomes `<c>`).
    pub r: AuthShares,
    /// Session-unique index of candidate 0.
    pub first_index: u64,
}

/// This party's `S_P` but for the peer's term `E_P`:
/// `H(K_P[a_Q], t_P) ^ K_P[r_Q] ^ M_P[r_P] ^ a_P C_P ^ r_P Delta_P`, one block per
/// candidate. Made by [`Layer::tables`] beside the rows (which hash `K_P[a_Q]` at
/// `t_P` anyway, so step 2 does not hash it again), turned into `S_P` in place by
/// [`Layer::evaluate`] of the same layer (its first index is kept to check that).
/// Secret: no `Debug` of the values.
pub struct Partial {
    values: Vec<Block>,
    first_index: u64,
}

impl core::fmt::Debug for Partial {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Partial { .. }")
    }
}

fn tweak(role: Role, index: u64) -> Block {
    Block::from(((index as u128) << 1) | role.index() as u128)
}

/// Candidates hashed per kernel call: the scratch lives on the stack, so the layer's
/// vectors are never cloned (no allocation and no page faults per layer).
const CHUNK: usize = 256;

/// Bit 1 of a block (the bit each party opens, [`crate::pin_delta`]).
#[inline(always)]
fn bit1(x: Block) -> u8 {
    ((u128::from(x) >> 1) & 1) as u8
}

/// `x` in the memory order of its wire encoding ([`Block::to_bytes`]): the identity on
/// little-endian targets, so whole block slices are written and hashed as bytes.
#[inline(always)]
fn wire_order(x: Block) -> Block {
    Block::from(u128::from(x).to_le())
}

impl Layer {
    /// The number of candidates.
    pub fn len(&self) -> usize {
        self.a.len()
    }

    /// Whether the layer is empty.
    pub fn is_empty(&self) -> bool {
        self.a.is_empty()
    }

    fn check_shapes(&self) -> Result<()> {
        let n = self.a.len();
        let ok = |s: &AuthShares| s.bits.len() == n && s.macs.len() == n && s.keys.len() == n;
        if !(ok(&self.a) && ok(&self.b) && ok(&self.r)) {
            return Err(AuthError::InvalidArgument("a layer's share vectors differ in length".into()));
        }
        Ok(())
    }

    /// Step 1: this party's half-gate rows `G_P` (tag, count, 16 bytes per candidate),
    /// and its [`Partial`] `S_P` for [`Layer::evaluate`].
    pub fn tables(&self, role: Role, delta: &Delta) -> Result<(Vec<u8>, Partial)> {
        self.check_shapes()?;
        let aes = FixedKeyAes::global();
        let n = self.len();
        let d = delta.as_block();
        let mut out = Vec::with_capacity(5 + 16 * n);
        out.push(TAG_TABLES);
        out.extend_from_slice(&(n as u32).to_le_bytes());
        let mut partial = Vec::with_capacity(n);
        let (mut h0, mut h1) = ([Block::ZERO; CHUNK], [Block::ZERO; CHUNK]);
        for start in (0..n).step_by(CHUNK) {
            let c = CHUNK.min(n - start);
            let end = start + c;
            let keys = &self.a.keys[start..end];
            let (h0, h1) = (&mut h0[..c], &mut h1[..c]);
            let t = |k: usize| tweak(role, self.first_index + (start + k) as u64);
            aes.tccr_many_from(keys, Block::ZERO, h0, t);
            aes.tccr_many_from(keys, d, h1, t);
            // Cut to the chunk once, so the loops below have no bounds checks.
            let (bk, bm, bb) = (&self.b.keys[start..end], &self.b.macs[start..end], &self.b.bits[start..end]);
            let (rk, rm, rb) = (&self.r.keys[start..end], &self.r.macs[start..end], &self.r.bits[start..end]);
            let ab = &self.a.bits[start..end];
            let (h0, h1) = (&*h0, &mut *h1);
            partial.extend((0..c).map(|k| {
                let c_p = bk[k] ^ bm[k] ^ (d & Block::mask(bb[k]));
                // The row `G_P` in place of `H(K_P[a_Q] ^ Delta_P, t_P)`.
                h1[k] = wire_order(h0[k] ^ h1[k] ^ c_p);
                h0[k] ^ rk[k] ^ rm[k] ^ (c_p & Block::mask(ab[k])) ^ (d & Block::mask(rb[k]))
            }));
            out.extend_from_slice(bytemuck::cast_slice(&h1[..]));
        }
        Ok((out, Partial { values: partial, first_index: self.first_index }))
    }

    /// Step 2: from the peer's rows and this party's [`Partial`] (from
    /// [`Layer::tables`] on this layer), this party's `S_P` (kept) and the message with
    /// bit 1 of each (tag, count, packed bits).
    pub fn evaluate(
        &self,
        role: Role,
        partial: Partial,
        peer_tables: &[u8],
    ) -> Result<(Vec<Block>, Vec<u8>)> {
        self.check_shapes()?;
        let n = self.len();
        let Partial { values: mut s, first_index } = partial;
        if s.len() != n || first_index != self.first_index {
            return Err(AuthError::InvalidArgument("the partial values of another layer".into()));
        }
        header("leaky AND tables", peer_tables, TAG_TABLES, n, 16 * n)?;
        let rows = &peer_tables[5..];
        let aes = FixedKeyAes::global();
        let mut msg = Vec::with_capacity(5 + n.div_ceil(8));
        msg.push(TAG_BITS);
        msg.extend_from_slice(&(n as u32).to_le_bytes());
        let mut theirs = [Block::ZERO; CHUNK];
        for start in (0..n).step_by(CHUNK) {
            let c = CHUNK.min(n - start);
            let end = start + c;
            let theirs = &mut theirs[..c];
            let first = self.first_index + start as u64;
            aes.tccr_many_from(&self.a.macs[start..end], Block::ZERO, theirs, |k| {
                tweak(role.peer(), first + k as u64)
            });
            // Cut to the chunk once, so the loop below has no bounds checks.
            let ab = &self.a.bits[start..end];
            let sc = &mut s[start..end];
            let peer_rows = rows[16 * start..16 * end].chunks_exact(16);
            for (k, row) in peer_rows.enumerate() {
                let mut g = [0u8; 16];
                g.copy_from_slice(row);
                // `E_P = H(M_P[a_P], t_Q) ^ a_P G_Q`.
                sc[k] ^= theirs[k] ^ (Block::from_bytes(g) & Block::mask(ab[k]));
            }
            // CHUNK is a multiple of 8, so only the last chunk's last byte is partial
            // (its padding bits stay zero, as `pack_bits` leaves them).
            msg.extend(sc.chunks(8).map(|e| e.iter().rev().fold(0u8, |acc, &v| (acc << 1) | bit1(v))));
        }
        Ok((s, msg))
    }

    /// Steps 3 and 4: with the peer's bits, turns `<r>` into `<c> = <a & b>` and feeds
    /// this party's `L_P` into the running equality digest `check`. Returns the layer's
    /// (leaky) triples `<a>, <b>, <c>`.
    pub fn finish(
        self,
        role: Role,
        delta: &Delta,
        mut s: Vec<Block>,
        peer_bits: &[u8],
        check: &mut EqDigest,
    ) -> Result<Triples> {
        let n = self.len();
        if s.len() != n {
            return Err(AuthError::InvalidArgument(format!("{} values of S for {n} candidates", s.len())));
        }
        header("leaky AND bits", peer_bits, TAG_BITS, n, n.div_ceil(8))?;
        let packed = &peer_bits[5..];
        if !n.is_multiple_of(8) && packed[n / 8] >> (n % 8) != 0 {
            return Err(AuthError::Malformed {
                what: "leaky AND bits",
                reason: "padding bits are not zero".into(),
            });
        }
        let mut c = self.r;
        let dl = delta.as_block();
        for start in (0..n).step_by(CHUNK) {
            let end = n.min(start + CHUNK);
            let (sc, cb, ck) = (&mut s[start..end], &mut c.bits[start..end], &mut c.keys[start..end]);
            // `start` is a multiple of 8 (CHUNK is), so the chunk's bits start a byte.
            let pk = &packed[start / 8..end.div_ceil(8)];
            // `<c> = <r> ^ d` (`xor_public`; `d` is public once both bits are out), the
            // role's branch taken once per chunk.
            match role {
                Role::Garbler => finish_chunk(sc, pk, dl, |k, d| cb[k] ^= d),
                Role::Evaluator => finish_chunk(sc, pk, dl, |k, d| ck[k] ^= dl & Block::mask(d)),
            }
            // `L_P` in place of `S_P` (which is not needed after), hashed as its wire
            // bytes, one hasher call per chunk.
            check.update(bytemuck::cast_slice(&sc[..]));
        }
        Ok(Triples { a: self.a, b: self.b, c })
    }
}

/// One chunk of [`Layer::finish`]: `d_k = bit 1 of s_k ^ the peer's bit k`,
/// `apply(k, d_k)`, and `s_k <- L_k = s_k ^ d_k Delta` in the order of its bytes.
#[inline(always)]
fn finish_chunk(s: &mut [Block], peer: &[u8], delta: Block, mut apply: impl FnMut(usize, bool)) {
    for (k, v) in s.iter_mut().enumerate() {
        let d = (bit1(*v) ^ (peer[k / 8] >> (k % 8))) & 1 == 1;
        apply(k, d);
        *v = wire_order(*v ^ (delta & Block::mask(d)));
    }
}

fn header(what: &'static str, bytes: &[u8], tag: u8, n: usize, body: usize) -> Result<()> {
    let malformed = |reason: String| AuthError::Malformed { what, reason };
    if bytes.len() != 5 + body || bytes[0] != tag {
        return Err(malformed(format!("{} bytes, expected {} with tag {tag:#04x}", bytes.len(), 5 + body)));
    }
    let mut count = [0u8; 4];
    count.copy_from_slice(&bytes[1..5]);
    if u32::from_le_bytes(count) as usize != n {
        return Err(malformed(format!("{} candidates, expected {n}", u32::from_le_bytes(count))));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    //! The chunked loops above against the straightforward per-candidate form they
    //! replaced (one share at a time, `xor_public`, bits packed afterwards), on random
    //! layers: the same messages, values and triples, byte for byte.
    use super::*;
    use crate::shares::{pack_bits, unpack_bits};
    use proptest::prelude::*;
    use rand::{RngCore, SeedableRng};
    use rand_chacha::ChaCha12Rng;

    fn c_term(delta: Block, b: &AuthShares, k: usize) -> Block {
        b.keys[k] ^ b.macs[k] ^ (delta & Block::mask(b.bits[k]))
    }

    fn block_at(rows: &[u8], i: usize) -> Block {
        let mut b = [0u8; 16];
        b.copy_from_slice(&rows[16 * i..16 * i + 16]);
        Block::from(b)
    }

    fn tables(l: &Layer, role: Role, delta: &Delta) -> Vec<u8> {
        let aes = FixedKeyAes::global();
        let d = delta.as_block();
        let n = l.len();
        let mut out = vec![TAG_TABLES];
        out.extend_from_slice(&(n as u32).to_le_bytes());
        for k in 0..n {
            let t = tweak(role, l.first_index + k as u64);
            let key = l.a.keys[k];
            let row = aes.tccr(key, t) ^ aes.tccr(key ^ d, t) ^ c_term(d, &l.b, k);
            out.extend_from_slice(&row.to_bytes());
        }
        out
    }

    fn evaluate(l: &Layer, role: Role, delta: &Delta, peer: &[u8]) -> (Vec<Block>, Vec<u8>) {
        let aes = FixedKeyAes::global();
        let d = delta.as_block();
        let rows = &peer[5..];
        let s: Vec<Block> = (0..l.len())
            .map(|i| {
                let a_p = Block::mask(l.a.bits[i]);
                let own = aes.tccr(l.a.keys[i], tweak(role, l.first_index + i as u64));
                let theirs = aes.tccr(l.a.macs[i], tweak(role.peer(), l.first_index + i as u64));
                let e = theirs ^ (block_at(rows, i) & a_p);
                own ^ e
                    ^ l.r.keys[i]
                    ^ l.r.macs[i]
                    ^ (c_term(d, &l.b, i) & a_p)
                    ^ (d & Block::mask(l.r.bits[i]))
            })
            .collect();
        let bits: Vec<bool> = s.iter().map(|v| (u128::from(*v) >> 1) & 1 == 1).collect();
        let mut msg = vec![TAG_BITS];
        msg.extend_from_slice(&(l.len() as u32).to_le_bytes());
        msg.extend_from_slice(&pack_bits(&bits));
        (s, msg)
    }

    fn finish(l: Layer, role: Role, delta: &Delta, s: &[Block], peer_bits: &[u8]) -> (Triples, [u8; 32]) {
        let n = l.len();
        let peer = unpack_bits(&peer_bits[5..], n).expect("well-formed bits");
        let mut c = l.r;
        let dl = delta.as_block();
        let mut check = EqDigest::new();
        for k in 0..n {
            let d = ((u128::from(s[k]) >> 1) & 1 == 1) ^ peer[k];
            c.xor_public(role, delta, k, d);
            check.update(&(s[k] ^ (dl & Block::mask(d))).to_bytes());
        }
        (Triples { a: l.a, b: l.b, c }, check.finalize())
    }

    fn shares(rng: &mut ChaCha12Rng, n: usize) -> AuthShares {
        let mut block = || Block::from(((rng.next_u64() as u128) << 64) | rng.next_u64() as u128);
        let macs = (0..n).map(|_| block()).collect();
        let keys = (0..n).map(|_| block()).collect();
        let bits = (0..n).map(|_| rng.next_u32() & 1 == 1).collect();
        AuthShares { bits, macs, keys }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn chunked_loops_match_the_per_candidate_form(seed in any::<u64>(), n in 0usize..700, garbler in any::<bool>()) {
            let mut rng = ChaCha12Rng::seed_from_u64(seed);
            let role = if garbler { Role::Garbler } else { Role::Evaluator };
            let delta = crate::pin_delta(role, Block::from(rng.next_u64() as u128 | (rng.next_u64() as u128) << 64));
            let layer = Layer {
                a: shares(&mut rng, n),
                b: shares(&mut rng, n),
                r: shares(&mut rng, n),
                first_index: rng.next_u32() as u64,
            };
            // The peer's messages: random rows and bits (padding bits zero).
            let mut peer_rows = vec![TAG_TABLES];
            peer_rows.extend_from_slice(&(n as u32).to_le_bytes());
            peer_rows.extend((0..16 * n).map(|_| rng.next_u32() as u8));
            let peer_bits_v: Vec<bool> = (0..n).map(|_| rng.next_u32() & 1 == 1).collect();
            let mut peer_bits = vec![TAG_BITS];
            peer_bits.extend_from_slice(&(n as u32).to_le_bytes());
            peer_bits.extend_from_slice(&pack_bits(&peer_bits_v));

            let (rows, partial) = layer.tables(role, &delta).unwrap();
            prop_assert_eq!(rows, tables(&layer, role, &delta));
            let (s, msg) = layer.evaluate(role, partial, &peer_rows).unwrap();
            let (s_ref, msg_ref) = evaluate(&layer, role, &delta, &peer_rows);
            prop_assert_eq!(&s, &s_ref);
            prop_assert_eq!(msg, msg_ref);
            let mut check = EqDigest::new();
            let got = layer.clone().finish(role, &delta, s, &peer_bits, &mut check).unwrap();
            let digest: [u8; 32] = check.finalize();
            let (want, want_digest) = finish(layer, role, &delta, &s_ref, &peer_bits);
            prop_assert_eq!(got, want);
            prop_assert_eq!(digest, want_digest);
        }
    }

    #[test]
    fn partial_values_of_another_layer_are_refused() {
        let mut rng = ChaCha12Rng::seed_from_u64(4);
        let delta = crate::pin_delta(Role::Garbler, Block::ZERO);
        let layer = |first_index, rng: &mut ChaCha12Rng| Layer {
            a: shares(rng, 8),
            b: shares(rng, 8),
            r: shares(rng, 8),
            first_index,
        };
        let (x, y) = (layer(0, &mut rng), layer(8, &mut rng));
        let (rows, partial) = x.tables(Role::Garbler, &delta).unwrap();
        let err = y.evaluate(Role::Garbler, partial, &rows);
        assert!(matches!(err, Err(AuthError::InvalidArgument(_))), "{err:?}");
        let (rows, partial) = x.tables(Role::Garbler, &delta).unwrap();
        assert!(x.evaluate(Role::Garbler, partial, &rows).is_ok());
    }

    #[test]
    fn nonzero_padding_bits_are_refused() {
        let mut rng = ChaCha12Rng::seed_from_u64(3);
        let n = 5;
        let layer =
            Layer { a: shares(&mut rng, n), b: shares(&mut rng, n), r: shares(&mut rng, n), first_index: 0 };
        let bits = [TAG_BITS, 5, 0, 0, 0, 0b1110_0000];
        let s = vec![Block::ZERO; n];
        let err = layer.finish(
            Role::Garbler,
            &crate::pin_delta(Role::Garbler, Block::ZERO),
            s,
            &bits,
            &mut EqDigest::new(),
        );
        assert!(matches!(err, Err(AuthError::Malformed { .. })), "{err:?}");
    }
}
