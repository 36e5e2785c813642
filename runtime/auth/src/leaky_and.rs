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
//! What a cheater gets: a wrong row `G_Q` changes `E_P` only where `a_P = 1`, so the
//! check fails or passes depending on the honest party's `a_P` (selective failure: the
//! cheater learns that bit or is caught). Bucketing ([`crate::bucket`]) makes those
//! leaked bits useless. A wrong opened bit `s_Q` alone makes the check fail; with a
//! wrong row whose bit 1 is set it is the cheater's guess of `a_P` (passing with
//! probability 1/2 again; docs/protocol.md, "Bucket size").

use mpc_crypto::{Block, Delta, FixedKeyAes};
use sha2::{Digest, Sha256};

use crate::bucket::Triples;
use crate::error::{AuthError, Result};
use crate::shares::{pack_bits, unpack_bits, AuthShares};
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

fn tweak(role: Role, index: u64) -> Block {
    Block::from(((index as u128) << 1) | role.index() as u128)
}

/// All ones if `x`, else zero: the branch-free select used on share bits.
#[inline]
fn mask(x: bool) -> Block {
    Block::from(0u128.wrapping_sub(x as u128))
}

/// Candidates hashed per kernel call: the scratch lives on the stack, so the layer's
/// vectors are never cloned (no allocation and no page faults per layer).
const CHUNK: usize = 256;

#[inline]
fn c_term(delta: Block, b: &AuthShares, k: usize) -> Block {
    b.keys[k] ^ b.macs[k] ^ (delta & mask(b.bits[k]))
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

    /// Step 1: this party's half-gate rows `G_P` (tag, count, 16 bytes per candidate).
    pub fn tables(&self, role: Role, delta: &Delta) -> Result<Vec<u8>> {
        self.check_shapes()?;
        let aes = FixedKeyAes::global();
        let n = self.len();
        let d = delta.as_block();
        let mut out = Vec::with_capacity(5 + 16 * n);
        out.push(TAG_TABLES);
        out.extend_from_slice(&(n as u32).to_le_bytes());
        let (mut h0, mut h1) = ([Block::ZERO; CHUNK], [Block::ZERO; CHUNK]);
        for start in (0..n).step_by(CHUNK) {
            let c = CHUNK.min(n - start);
            let keys = &self.a.keys[start..start + c];
            let (h0, h1) = (&mut h0[..c], &mut h1[..c]);
            h0.copy_from_slice(keys);
            for (h, &k) in h1.iter_mut().zip(keys) {
                *h = k ^ d;
            }
            let t = |k: usize| tweak(role, self.first_index + (start + k) as u64);
            aes.tccr_many(h0, t);
            aes.tccr_many(h1, t);
            for k in 0..c {
                out.extend_from_slice(&(h0[k] ^ h1[k] ^ c_term(d, &self.b, start + k)).to_bytes());
            }
        }
        Ok(out)
    }

    /// Step 2: from the peer's rows, this party's `S_P` (kept) and the message with
    /// bit 1 of each (tag, count, packed bits).
    pub fn evaluate(&self, role: Role, delta: &Delta, peer_tables: &[u8]) -> Result<(Vec<Block>, Vec<u8>)> {
        self.check_shapes()?;
        let n = self.len();
        header("leaky AND tables", peer_tables, TAG_TABLES, n, 16 * n)?;
        let rows = &peer_tables[5..];
        let aes = FixedKeyAes::global();
        let d = delta.as_block();
        let mut s = Vec::with_capacity(n);
        let (mut own, mut theirs) = ([Block::ZERO; CHUNK], [Block::ZERO; CHUNK]);
        for start in (0..n).step_by(CHUNK) {
            let c = CHUNK.min(n - start);
            let (own, theirs) = (&mut own[..c], &mut theirs[..c]);
            own.copy_from_slice(&self.a.keys[start..start + c]);
            theirs.copy_from_slice(&self.a.macs[start..start + c]);
            aes.tccr_many(own, |k| tweak(role, self.first_index + (start + k) as u64));
            aes.tccr_many(theirs, |k| tweak(role.peer(), self.first_index + (start + k) as u64));
            for k in 0..c {
                let i = start + k;
                let a_p = mask(self.a.bits[i]);
                let e = theirs[k] ^ (block_at(rows, i) & a_p);
                let v = own[k]
                    ^ e
                    ^ self.r.keys[i]
                    ^ self.r.macs[i]
                    ^ (c_term(d, &self.b, i) & a_p)
                    ^ (d & mask(self.r.bits[i]));
                s.push(v);
            }
        }
        let bits: Vec<bool> = s.iter().map(|v| (u128::from(*v) >> 1) & 1 == 1).collect();
        let mut msg = Vec::with_capacity(5 + n.div_ceil(8));
        msg.push(TAG_BITS);
        msg.extend_from_slice(&(n as u32).to_le_bytes());
        msg.extend_from_slice(&pack_bits(&bits));
        Ok((s, msg))
    }

    /// Steps 3 and 4: with the peer's bits, turns `<r>` into `<c> = <a & b>` and feeds
    /// this party's `L_P` into the running equality digest `check`. Returns the layer's
    /// (leaky) triples `<a>, <b>, <c>`.
    pub fn finish(
        self,
        role: Role,
        delta: &Delta,
        s: Vec<Block>,
        peer_bits: &[u8],
        check: &mut Sha256,
    ) -> Result<Triples> {
        let n = self.len();
        if s.len() != n {
            return Err(AuthError::InvalidArgument(format!("{} values of S for {n} candidates", s.len())));
        }
        let peer = parse_bits(peer_bits, n)?;
        let mut c = self.r;
        let dl = delta.as_block();
        let mut buf = [0u8; 16 * CHUNK];
        for start in (0..n).step_by(CHUNK) {
            let end = n.min(start + CHUNK);
            for k in start..end {
                let d = ((u128::from(s[k]) >> 1) & 1 == 1) ^ peer[k];
                c.xor_public(role, delta, k, d);
                let o = 16 * (k - start);
                buf[o..o + 16].copy_from_slice(&(s[k] ^ (dl & mask(d))).to_bytes());
            }
            // One hasher call per chunk, not per 16 bytes.
            check.update(&buf[..16 * (end - start)]);
        }
        Ok(Triples { a: self.a, b: self.b, c })
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

/// Block `i` of the rows of a tables message (its length checked by [`header`]).
#[inline]
fn block_at(rows: &[u8], i: usize) -> Block {
    let mut b = [0u8; 16];
    b.copy_from_slice(&rows[16 * i..16 * i + 16]);
    Block::from(b)
}

fn parse_bits(bytes: &[u8], n: usize) -> Result<Vec<bool>> {
    header("leaky AND bits", bytes, TAG_BITS, n, n.div_ceil(8))?;
    unpack_bits(&bytes[5..], n).map_err(|reason| AuthError::Malformed { what: "leaky AND bits", reason })
}
