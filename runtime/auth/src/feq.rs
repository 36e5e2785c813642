//! Commit-then-open, for the equality check of the leaky AND triples (WRK17's
//! `F_EQ`, realised as emp-ag2pc does) and for the coin toss that picks the bucketing
//! permutation.
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
