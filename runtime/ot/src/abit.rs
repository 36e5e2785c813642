//! Authenticated bits (the `[x]` of Wang, Ranellucci and Katz, "Authenticated Garbling
//! and Efficient Maliciously Secure Two-Party Computation", CCS 2017, section 2): the
//! building block of authenticated garbling's preprocessing.
//!
//! A bit `x` held by one party (the *holder*) is authenticated to the other (the
//! *verifier*, holding a global `Delta`) when the holder also has a MAC `M[x]` and the
//! verifier a key `K[x]` with `M[x] = K[x] ^ x * Delta`. The holder cannot open `x` to
//! anything else without guessing `Delta`; the verifier learns nothing of `x` from `K[x]`.
//! XOR of authenticated bits is local (XOR the bits, the MACs and the keys), which is
//! what makes free-XOR gates free in authenticated garbling too.
//!
//! They are exactly correlated OTs with `Delta` and a malicious-secure consistency
//! check: [`crate::kos`] with the holder as receiver (its choices are the bits, its
//! labels the MACs) and the verifier as sender (its zero-labels are the keys).
//!
//! Opening ([`Holder::open`], [`Verifier::check_open`]): the holder sends the bits and
//! one SHA-256 digest of their MACs (32 bytes for any number of bits, as WRK17's batched
//! check); the verifier recomputes the digest from `K ^ x * Delta` and refuses any
//! mismatch. A holder that flips any opened bit must produce `K ^ (x ^ 1) * Delta`,
//! i.e. guess `Delta`: probability 2^-127 (Delta's lsb is fixed).

use mpc_crypto::{Block, Delta};
use sha2::{Digest, Sha256};

use crate::error::{OtError, Result};
use crate::wire::{put_count, Reader};

const TAG_OPEN: u8 = 0xA1;

/// The holder's side of a vector of authenticated bits: the bits and their MACs.
#[derive(Debug, Clone, Default)]
pub struct Holder {
    /// The bits.
    pub bits: Vec<bool>,
    /// `M[x_i] = K[x_i] ^ x_i * Delta` under the verifier's `Delta`.
    pub macs: Vec<Block>,
}

/// The verifier's side: the keys (and the verifier's global `Delta`, kept by the caller).
#[derive(Debug, Clone, Default)]
pub struct Verifier {
    /// `K[x_i]`.
    pub keys: Vec<Block>,
}

/// An opening of authenticated bits: the bits and a digest of their MACs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opening {
    bits: Vec<bool>,
    digest: [u8; 32],
}

impl Opening {
    const WHAT: &'static str = "authenticated-bit opening";

    /// The opened bits (not yet checked: see [`Verifier::check_open`]).
    pub fn claimed_bits(&self) -> &[bool] {
        &self.bits
    }

    /// Wire encoding: tag `0xA1`, `u32` count, the bits packed 8 per byte (lsb first),
    /// the 32-byte digest.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(5 + self.bits.len().div_ceil(8) + 32);
        out.push(TAG_OPEN);
        put_count(&mut out, self.bits.len());
        let mut packed = vec![0u8; self.bits.len().div_ceil(8)];
        for (i, &b) in self.bits.iter().enumerate() {
            packed[i / 8] |= (b as u8) << (i % 8);
        }
        out.extend_from_slice(&packed);
        out.extend_from_slice(&self.digest);
        out
    }

    /// Checked decoding: tag, count within [`crate::MAX_BATCH`], exact length, unused
    /// padding bits zero.
    pub fn from_bytes(bytes: &[u8]) -> Result<Opening> {
        let mut r = Reader::new(Self::WHAT, bytes, TAG_OPEN)?;
        let n = r.count()?;
        if n > crate::MAX_BATCH {
            return Err(r.malformed(format!("{n} bits is more than the limit {}", crate::MAX_BATCH)));
        }
        let packed = r.take(n.div_ceil(8))?;
        if n % 8 != 0 && packed[n / 8] >> (n % 8) != 0 {
            return Err(r.malformed("padding bits are not zero".into()));
        }
        let bits = (0..n).map(|i| (packed[i / 8] >> (i % 8)) & 1 == 1).collect();
        let digest = r.array32()?;
        r.finish()?;
        Ok(Opening { bits, digest })
    }
}

fn digest_macs(macs: impl Iterator<Item = Block>) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"mpc abit open v1");
    for m in macs {
        h.update(m.to_bytes());
    }
    h.finalize().into()
}

impl Holder {
    /// The XOR of two equally long vectors (bits, MACs): a local operation.
    pub fn xor(&self, other: &Holder) -> Holder {
        Holder {
            bits: self.bits.iter().zip(&other.bits).map(|(a, b)| a ^ b).collect(),
            macs: self.macs.iter().zip(&other.macs).map(|(a, b)| *a ^ *b).collect(),
        }
    }

    /// Opens the bits at `indices` to the verifier.
    ///
    /// # Errors
    /// [`OtError::InvalidArgument`] if an index is out of range.
    pub fn open(&self, indices: &[usize]) -> Result<Opening> {
        if let Some(&i) = indices.iter().find(|&&i| i >= self.bits.len()) {
            return Err(OtError::InvalidArgument(format!(
                "bit {i} opened but only {} are held",
                self.bits.len()
            )));
        }
        Ok(Opening {
            bits: indices.iter().map(|&i| self.bits[i]).collect(),
            digest: digest_macs(indices.iter().map(|&i| self.macs[i])),
        })
    }
}

impl Verifier {
    /// The XOR of two equally long key vectors: a local operation.
    pub fn xor(&self, other: &Verifier) -> Verifier {
        Verifier { keys: self.keys.iter().zip(&other.keys).map(|(a, b)| *a ^ *b).collect() }
    }

    /// Checks an opening of the bits at `indices` against the keys and `delta`; returns
    /// the bits if every MAC is right.
    ///
    /// # Errors
    /// [`OtError::CountMismatch`] if the opening has a different number of bits,
    /// [`OtError::InvalidArgument`] for an index out of range, and
    /// [`OtError::MacCheck`] if the digest does not match (a bit or MAC was altered).
    pub fn check_open(&self, delta: &Delta, indices: &[usize], opening: &Opening) -> Result<Vec<bool>> {
        if opening.bits.len() != indices.len() {
            return Err(OtError::CountMismatch {
                what: Opening::WHAT,
                expected: indices.len(),
                got: opening.bits.len(),
            });
        }
        if let Some(&i) = indices.iter().find(|&&i| i >= self.keys.len()) {
            return Err(OtError::InvalidArgument(format!(
                "bit {i} checked but only {} keys are held",
                self.keys.len()
            )));
        }
        let d = delta.as_block();
        let want = digest_macs(indices.iter().zip(&opening.bits).map(|(&i, &b)| {
            if b {
                self.keys[i] ^ d
            } else {
                self.keys[i]
            }
        }));
        if want != opening.digest {
            return Err(OtError::MacCheck { bits: indices.len() });
        }
        Ok(opening.bits.clone())
    }
}
