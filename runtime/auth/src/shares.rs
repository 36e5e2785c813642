//! Authenticated shares: `<x> = x_A ^ x_B` where party `P` holds `x_P`, the MAC
//! `M_P[x_P] = K_Q[x_P] ^ x_P * Delta_Q` under the peer `Q`'s global key, and the key
//! `K_P[x_Q]` for the peer's share under its own `Delta_P`.
//!
//! Invariant of a pair of [`AuthShares`] `(a, b)` held by the garbler and evaluator
//! (checked by [`AuthShares::consistent_with`] in tests): for every `i`,
//! `a.macs[i] == b.keys[i] ^ a.bits[i] * Delta_B` and
//! `b.macs[i] == a.keys[i] ^ b.bits[i] * Delta_A`.
//! Every operation here keeps it: XOR of two share vectors (all three parts XOR), and
//! XOR of a public bit (the garbler flips its bit, the evaluator moves its key by
//! `Delta_B`).
//!
//! Opening ([`AuthShares::open`] / [`AuthShares::check_open`]): a party sends its
//! bits `x'` and a 32-byte tag of their MACs, a random linear combination
//! `T = sum chi_i M_i` in GF(2^128) (hashed with SHA-256 to keep the tag's size);
//! the peer recomputes it as `sum chi_i (K_i ^ x'_i Delta)` from its keys and refuses
//! a mismatch. The coefficients `chi_i` come from a PRG seeded by SHA-256 of the
//! domain, the opening's name and the packed bits `x'` (Fiat-Shamir: they are fixed
//! only once the opened bits are). Soundness: with `M_i = K_i ^ x_i Delta` the check
//! passes iff `T' = sum chi_i M_i ^ c Delta` with `c = sum_{i : x'_i != x_i} chi_i`.
//! If some bit changed, `c = 0` has probability 2^-128 per oracle query (the `chi_i`
//! are uniform once `x'` is chosen, and a nonempty sum of them is uniform), and for
//! `c != 0`, `c Delta` takes 2^126 values equally likely to the opener (the 126 free
//! bits of `Delta`), so changing an opened bit means guessing it (2^-126); the same
//! bound as the SHA-256 digest of every MAC it replaces (which hashed 16 bytes per
//! share; this hashes one bit per share and multiplies). The tag is a function of
//! the checker's keys, `Delta` and the opened bits: it tells the checker nothing new.

use mpc_crypto::gf128::Accumulator;
use mpc_crypto::{Block, Delta, Prg};
use sha2::{Digest, Sha256};

use crate::error::{AuthError, Result};
#[cfg(test)]
use crate::Role;

/// One party's half of a vector of authenticated shares.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuthShares {
    /// This party's shares `x_P`.
    pub bits: Vec<bool>,
    /// `M_P[x_P]`, under the peer's `Delta`.
    pub macs: Vec<Block>,
    /// `K_P[x_Q]`, under this party's `Delta`.
    pub keys: Vec<Block>,
}

impl AuthShares {
    /// The number of shared bits.
    pub fn len(&self) -> usize {
        self.bits.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.bits.is_empty()
    }

    /// An empty vector with room for `n` entries.
    pub fn with_capacity(n: usize) -> AuthShares {
        AuthShares { bits: Vec::with_capacity(n), macs: Vec::with_capacity(n), keys: Vec::with_capacity(n) }
    }

    /// Entries `at..` moved out into a new vector (no copy of the first part).
    ///
    /// # Panics
    /// If `at > self.len()` (a caller bug, as `Vec::split_off`).
    pub fn split_off(&mut self, at: usize) -> AuthShares {
        AuthShares {
            bits: self.bits.split_off(at),
            macs: self.macs.split_off(at),
            keys: self.keys.split_off(at),
        }
    }

    /// Entries `range` as a new vector.
    pub fn slice(&self, range: core::ops::Range<usize>) -> AuthShares {
        AuthShares {
            bits: self.bits[range.clone()].to_vec(),
            macs: self.macs[range.clone()].to_vec(),
            keys: self.keys[range].to_vec(),
        }
    }

    /// Entry `i` of `self` XOR entry `j` of `other`, written into entry `i` (the
    /// gate-by-gate reference of the tests; the protocol writes whole vectors).
    #[cfg(test)]
    pub(crate) fn xor_at(&mut self, i: usize, other: &AuthShares, j: usize) {
        self.bits[i] ^= other.bits[j];
        self.macs[i] ^= other.macs[j];
        self.keys[i] ^= other.keys[j];
    }

    /// Entry `src` XORed into entry `dst` of the same vector (as `xor_at`).
    #[cfg(test)]
    pub(crate) fn xor_within(&mut self, dst: usize, src: usize) {
        self.bits[dst] ^= self.bits[src];
        let (m, k) = (self.macs[src], self.keys[src]);
        self.macs[dst] ^= m;
        self.keys[dst] ^= k;
    }

    /// Appends entry `i` of `other`.
    #[inline(always)]
    pub(crate) fn push_from(&mut self, other: &AuthShares, i: usize) {
        self.bits.push(other.bits[i]);
        self.macs.push(other.macs[i]);
        self.keys.push(other.keys[i]);
    }

    /// XORs the public bit `d` into shared value `i`: the garbler flips its share, the
    /// evaluator moves its key for the garbler's share by its `Delta` (the one-share
    /// reference of the tests; the protocol writes whole vectors).
    #[cfg(test)]
    pub(crate) fn xor_public(&mut self, role: Role, delta: &Delta, i: usize, d: bool) {
        match role {
            Role::Garbler => self.bits[i] ^= d,
            // `d` is public: a mask, not a constant-time select.
            Role::Evaluator => self.keys[i] ^= delta.as_block() & Block::mask(d),
        }
    }

    /// The opening of this party's shares: its bits and a digest of their MACs.
    pub fn open(&self, what: &'static str) -> Vec<u8> {
        open_parts(what, &self.bits, self.macs.iter().copied())
    }

    /// Checks the peer's opening of its shares against this party's keys; returns the
    /// peer's bits.
    pub fn check_open(&self, delta: &Delta, what: &'static str, bytes: &[u8]) -> Result<Vec<bool>> {
        check_open_parts(delta, what, bytes, self.len(), self.keys.iter().copied())
    }

    /// Whether `self` (the garbler's half, under `delta_a`) and `peer` (the
    /// evaluator's, under `delta_b`) satisfy the invariant. For tests and debugging:
    /// a real party never holds both halves.
    pub fn consistent_with(&self, peer: &AuthShares, delta_a: &Delta, delta_b: &Delta) -> bool {
        let (da, db) = (delta_a.as_block(), delta_b.as_block());
        self.len() == peer.len()
            && (0..self.len()).all(|i| {
                self.macs[i] == peer.keys[i].xor_if(db, (self.bits[i] as u8).into())
                    && peer.macs[i] == self.keys[i].xor_if(da, (peer.bits[i] as u8).into())
            })
    }
}

const TAG_OPEN: u8 = 0xB1;

/// The opening of shares held as parts (as [`AuthShares::open`]): `bits`, and their
/// MACs as an iterator, so a caller that can compute the MACs on the fly never stores
/// them.
pub(crate) fn open_parts(what: &'static str, bits: &[bool], macs: impl Iterator<Item = Block>) -> Vec<u8> {
    let mut out = Vec::with_capacity(5 + bits.len().div_ceil(8) + 32);
    out.push(TAG_OPEN);
    out.extend_from_slice(&(bits.len() as u32).to_le_bytes());
    out.extend_from_slice(&pack_bits(bits));
    let packed = &out[5..];
    let tag = tag(what, packed, macs);
    out.extend_from_slice(&tag);
    out
}

/// The check of the peer's opening of `n` shares (as [`AuthShares::check_open`])
/// against this party's keys given as an iterator of exactly `n` keys; returns the
/// peer's bits.
pub(crate) fn check_open_parts(
    delta: &Delta,
    what: &'static str,
    bytes: &[u8],
    n: usize,
    keys: impl Iterator<Item = Block>,
) -> Result<Vec<bool>> {
    let malformed = |reason: String| AuthError::Malformed { what, reason };
    let want_len = 5 + n.div_ceil(8) + 32;
    if bytes.len() != want_len || bytes[0] != TAG_OPEN {
        return Err(malformed(format!(
            "{} bytes, expected {want_len} with tag {TAG_OPEN:#04x}",
            bytes.len()
        )));
    }
    let mut count = [0u8; 4];
    count.copy_from_slice(&bytes[1..5]);
    if u32::from_le_bytes(count) as usize != n {
        return Err(malformed(format!("{} bits, expected {n}", u32::from_le_bytes(count))));
    }
    let bits = unpack_bits(&bytes[5..5 + n.div_ceil(8)], n).map_err(malformed)?;
    let d = u128::from(delta.as_block());
    // A mask per bit, not `xor_if`: the bits are public once opened, and the mask
    // form keeps the loop free of per-element barriers.
    let packed = &bytes[5..5 + n.div_ceil(8)];
    let want = tag(what, packed, keys.zip(&bits).map(|(k, &b)| k ^ (Block::from(d) & Block::mask(b))));
    if want[..] != bytes[5 + n.div_ceil(8)..] {
        return Err(AuthError::MacCheck { what, bits: n });
    }
    Ok(bits)
}

/// The opening's tag of `macs` (see the module docs): SHA-256 of
/// `sum chi_i macs_i`, the `chi_i` from a PRG seeded by a hash of the opened bits
/// (`packed`); the MACs are combined a few KiB at a time (one PRG and one
/// carry-less inner-product call per buffer).
fn tag(what: &str, packed: &[u8], macs: impl Iterator<Item = Block>) -> [u8; 32] {
    const BUF_BLOCKS: usize = 1024;
    let mut h = Sha256::new();
    h.update(b"mpc-auth open v2 chi ");
    h.update(what.as_bytes());
    h.update((packed.len() as u64).to_le_bytes());
    h.update(packed);
    let seed: [u8; 32] = h.finalize().into();
    let mut half = [0u8; 16];
    half.copy_from_slice(&seed[..16]);
    let mut prg = Prg::from_seed_block(Block::from(half));
    let mut sum = Accumulator::new();
    let mut chis = [0u128; BUF_BLOCKS];
    let mut buf = [0u128; BUF_BLOCKS];
    let mut used = 0;
    let mut flush = |buf: &[u128], chis: &mut [u128]| {
        let chis = &mut chis[..buf.len()];
        prg.fill_blocks(bytemuck::cast_slice_mut(chis));
        sum.add_products(chis, buf);
    };
    for m in macs {
        buf[used] = u128::from(m);
        used += 1;
        if used == BUF_BLOCKS {
            flush(&buf, &mut chis);
            used = 0;
        }
    }
    flush(&buf[..used], &mut chis);
    let t = sum.finish();
    let mut h = Sha256::new();
    h.update(b"mpc-auth open v2 tag ");
    h.update(what.as_bytes());
    h.update(t.to_le_bytes());
    h.finalize().into()
}

/// Bits packed 8 per byte, least significant first.
pub(crate) fn pack_bits(bits: &[bool]) -> Vec<u8> {
    bits.chunks(8).map(|c| c.iter().rev().fold(0u8, |acc, &b| (acc << 1) | b as u8)).collect()
}

/// The inverse of [`pack_bits`]; refuses nonzero padding bits.
pub(crate) fn unpack_bits(bytes: &[u8], n: usize) -> core::result::Result<Vec<bool>, String> {
    if bytes.len() != n.div_ceil(8) {
        return Err(format!("{} bytes of bits, expected {}", bytes.len(), n.div_ceil(8)));
    }
    if !n.is_multiple_of(8) && bytes[n / 8] >> (n % 8) != 0 {
        return Err("padding bits are not zero".into());
    }
    let mut out = Vec::with_capacity(n);
    for &byte in bytes {
        out.extend((0..8).map(|k| (byte >> k) & 1 == 1));
    }
    out.truncate(n);
    Ok(out)
}
