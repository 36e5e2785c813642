//! Commit-then-open, for the equality check of the leaky AND triples (WRK17's
//! `F_EQ`, realised as emp-ag2pc does) and for the coin toss that picks the bucketing
//! shifts.
//!
//! Equality of two 32-byte digests `D_A` (garbler) and `D_B` (evaluator):
//! 1. garbler: [`commit`] to `D_A`, sends the 32-byte commitment;
//! 2. evaluator: sends `D_B`;
//! 3. garbler: refuses if `D_B != D_A`, else sends the opening (nonce, `D_A`);
//! 4. evaluator: [`verify_opening`], refuses if the opening does not match the
//!    commitment or `D_A != D_B`.
//!
//! The commitment is SHA-256 over a domain tag, a fresh 32-byte nonce and the value:
//! hiding and binding in the random-oracle model. Neither party can choose its value
//! after seeing the other's (the garbler is bound first; the evaluator's value is sent
//! before it sees the garbler's).
//!
//! The value compared is a digest of every leaky AND's `L_P`, [`EqDigest`] (session
//! version 8 on; plain SHA-256 before): SHA-256 of the stream's 16 word-interleaved
//! lanes, each a plain SHA-256, then SHA-256 over the length and the 16 lane digests
//! (docs/protocol.md, "Equality digest"). The 16 lanes run side by side in one
//! AVX-512 register ([`mpc_crypto::sha256::compress_stripe`]), about twice as fast as
//! one SHA-NI stream on this machine.

use mpc_crypto::sha256::{compress_lanes, compress_stripe, IV, STRIPE_BYTES, STRIPE_LANES};
use rand_core::{CryptoRng, RngCore};
use sha2::{Digest, Sha256};

use crate::error::{AuthError, Result};

/// An opening: nonce then value (64 bytes).
pub const OPENING_LEN: usize = 64;

/// A secret nonce and the committed value, kept until the opening.
#[derive(Debug, Clone)]
pub struct Committed {
    nonce: [u8; 32],
    value: [u8; 32],
}

fn commitment(domain: &str, nonce: &[u8; 32], value: &[u8; 32]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"mpc-auth commit v1 ");
    h.update(domain.as_bytes());
    h.update(nonce);
    h.update(value);
    h.finalize().into()
}

/// Commits to `value`: the state to open later and the commitment to send.
pub fn commit<R: RngCore + CryptoRng>(rng: &mut R, domain: &str, value: [u8; 32]) -> (Committed, [u8; 32]) {
    let mut nonce = [0u8; 32];
    rng.fill_bytes(&mut nonce);
    (Committed { nonce, value }, commitment(domain, &nonce, &value))
}

impl Committed {
    /// The committed value.
    pub fn value(&self) -> [u8; 32] {
        self.value
    }

    /// The opening message (nonce, value).
    pub fn opening(&self) -> [u8; OPENING_LEN] {
        let mut out = [0u8; OPENING_LEN];
        out[..32].copy_from_slice(&self.nonce);
        out[32..].copy_from_slice(&self.value);
        out
    }
}

/// Checks an opening against the commitment received earlier; returns the value.
pub fn verify_opening(domain: &'static str, commitment_bytes: &[u8; 32], opening: &[u8]) -> Result<[u8; 32]> {
    if opening.len() != OPENING_LEN {
        return Err(AuthError::Malformed {
            what: domain,
            reason: format!("an opening of {} bytes, expected {OPENING_LEN}", opening.len()),
        });
    }
    let mut nonce = [0u8; 32];
    let mut value = [0u8; 32];
    nonce.copy_from_slice(&opening[..32]);
    value.copy_from_slice(&opening[32..]);
    if commitment(domain, &nonce, &value) != *commitment_bytes {
        return Err(AuthError::Equality { what: domain });
    }
    Ok(value)
}

/// Parses a 32-byte message (a commitment or a digest).
pub fn digest_message(what: &'static str, bytes: &[u8]) -> Result<[u8; 32]> {
    bytes
        .try_into()
        .map_err(|_| AuthError::Malformed { what, reason: format!("{} bytes, expected 32", bytes.len()) })
}

/// The domain of [`EqDigest`]'s outer hash.
const EQ_DOMAIN: &[u8] = b"mpc-auth eq digest v2 lanes16 ";

/// A collision-resistant digest of a byte stream, fed in pieces as SHA-256 is: lane
/// `l` (of 16) is the stream's bytes at the positions `p` with `(p / 4) % 16 == l`, in
/// order; the digest is `SHA-256(domain || u64 le total length || SHA-256(lane 0) ||
/// ... || SHA-256(lane 15))`. The split is fixed and the length is hashed, so the map
/// from the stream to (length, lanes) is injective: a collision of the digest is a
/// collision of SHA-256 (in the outer hash or in a lane), and in the random-oracle
/// model the digest is a random oracle of the stream.
#[derive(Clone)]
pub struct EqDigest {
    /// Word `k` of lane `l`'s state at `[k][l]`, after `stripes` full stripes.
    states: [[u32; STRIPE_LANES]; 8],
    buf: [u8; STRIPE_BYTES],
    used: usize,
    stripes: u64,
}

impl core::fmt::Debug for EqDigest {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("EqDigest { .. }")
    }
}

impl Default for EqDigest {
    fn default() -> Self {
        EqDigest::new()
    }
}

impl EqDigest {
    /// The digest of the empty stream, to be fed.
    pub fn new() -> EqDigest {
        EqDigest {
            states: core::array::from_fn(|k| [IV[k]; STRIPE_LANES]),
            buf: [0; STRIPE_BYTES],
            used: 0,
            stripes: 0,
        }
    }

    /// Appends `bytes` to the stream.
    pub fn update(&mut self, mut bytes: &[u8]) {
        if self.used > 0 {
            let take = bytes.len().min(STRIPE_BYTES - self.used);
            self.buf[self.used..self.used + take].copy_from_slice(&bytes[..take]);
            self.used += take;
            bytes = &bytes[take..];
            if self.used < STRIPE_BYTES {
                return;
            }
            compress_stripe(&mut self.states, &self.buf);
            self.stripes += 1;
            self.used = 0;
        }
        let mut stripes = bytes.chunks_exact(STRIPE_BYTES);
        for stripe in &mut stripes {
            // `chunks_exact` gives exactly `STRIPE_BYTES` bytes.
            let stripe: &[u8; STRIPE_BYTES] = stripe.try_into().unwrap_or(&[0; STRIPE_BYTES]);
            compress_stripe(&mut self.states, stripe);
            self.stripes += 1;
        }
        let rest = stripes.remainder();
        self.buf[..rest.len()].copy_from_slice(rest);
        self.used = rest.len();
    }

    /// The 32-byte digest.
    pub fn finalize(self) -> [u8; 32] {
        let total = self.stripes * STRIPE_BYTES as u64 + self.used as u64;
        let mut h = Sha256::new();
        h.update(EQ_DOMAIN);
        h.update(total.to_le_bytes());
        for l in 0..STRIPE_LANES {
            // The lane's bytes in the partial stripe: at most 16 words.
            let mut tail = [0u8; 64 + 72];
            let mut n = 0;
            for (p, &b) in self.buf[..self.used].iter().enumerate() {
                if (p / 4) % STRIPE_LANES == l {
                    tail[n] = b;
                    n += 1;
                }
            }
            let bits = (self.stripes * 64 + n as u64) * 8;
            // FIPS 180-4 padding: 0x80, zeros, the length in bits (one or two blocks).
            tail[n] = 0x80;
            let blocks = if n + 9 <= 64 { 1 } else { 2 };
            tail[64 * blocks - 8..64 * blocks].copy_from_slice(&bits.to_be_bytes());
            let mut state = [core::array::from_fn(|k| self.states[k][l])];
            for block in tail[..64 * blocks].chunks_exact(64) {
                // `chunks_exact` gives exactly 64 bytes.
                let block: &[u8; 64] = block.try_into().unwrap_or(&[0; 64]);
                compress_lanes(&mut state, [block]);
            }
            for w in state[0] {
                h.update(w.to_be_bytes());
            }
        }
        h.finalize().into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// [`EqDigest`] as its definition says, from the whole stream at once.
    fn reference(stream: &[u8]) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(EQ_DOMAIN);
        h.update((stream.len() as u64).to_le_bytes());
        for l in 0..16 {
            let lane: Vec<u8> =
                stream.iter().enumerate().filter(|(p, _)| (p / 4) % 16 == l).map(|(_, &b)| b).collect();
            h.update(Sha256::digest(&lane));
        }
        h.finalize().into()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        #[test]
        fn the_digest_is_its_definition_in_any_pieces(
            stream in proptest::collection::vec(any::<u8>(), 0..5000),
            cuts in proptest::collection::vec(0usize..5000, 0..6),
        ) {
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(stream.len())).collect();
            cuts.sort_unstable();
            let mut d = EqDigest::new();
            let mut at = 0;
            for c in cuts.into_iter().chain([stream.len()]) {
                d.update(&stream[at..c]);
                at = c;
            }
            prop_assert_eq!(d.finalize(), reference(&stream));
        }
    }

    #[test]
    fn lengths_around_the_stripe_and_padding_edges() {
        for n in [0, 1, 55, 56, 63, 64, 959, 960, 961, 1023, 1024, 1025, 2048 + 1000, 4096] {
            let stream: Vec<u8> = (0..n).map(|i| (i * 7 + 3) as u8).collect();
            let mut d = EqDigest::new();
            d.update(&stream);
            assert_eq!(d.finalize(), reference(&stream), "length {n}");
        }
        let (mut a, mut b) = (EqDigest::new(), EqDigest::new());
        a.update(&[0; 16]);
        b.update(&[0; 17]);
        assert_ne!(a.finalize(), b.finalize(), "the length is hashed");
    }
}
