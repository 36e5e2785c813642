//! Feldman verifiable secret sharing on ristretto255.
//!
//! The dealer shares a scalar `s` with a random polynomial f of degree t-1 over the
//! ristretto255 scalar field (f(0) = s) and publishes the commitments C_j = a_j * G to its
//! coefficients. A holder of (x, y) checks y * G == sum_j x^j * C_j. Reconstruction
//! verifies every share first and, if any fail, refuses and names them all
//! ([`ShamirError::BadShares`]); callers may drop those and retry with the rest.
//!
//! Guarantees: commitments hide s only computationally (discrete log; C_0 = s * G is
//! public, so s must have full entropy, as for a key); verification uses only public data
//! and may be variable time; commitment decoding rejects non-canonical point encodings.
//! Security model: honest majority of holders is not needed for verification; a dealer
//! cannot give two holders shares of different polynomials without one of them noticing.

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_TABLE;
use curve25519_dalek::ristretto::{CompressedRistretto, RistrettoPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::VartimeMultiscalarMul;
use rand_core::CryptoRngCore;
use zeroize::Zeroize;

use super::{check_params, reconstruct as plain_reconstruct, share_polynomials, Field, Scalar25519};
use super::{ShamirError, Share, SplitId};

/// The dealer's public commitments to the polynomial coefficients, bound to one split.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Commitments {
    split_id: SplitId,
    points: Vec<RistrettoPoint>,
}

impl Commitments {
    /// The split these commitments belong to.
    pub fn split_id(&self) -> SplitId {
        self.split_id
    }
    /// The threshold (number of coefficients).
    pub fn threshold(&self) -> usize {
        self.points.len()
    }
    /// C_0 = s * G, the public image of the secret.
    pub fn secret_commitment(&self) -> RistrettoPoint {
        self.points[0]
    }
    /// All commitments C_0..C_{t-1}.
    pub fn points(&self) -> &[RistrettoPoint] {
        &self.points
    }

    /// Encoding, version 1: `0x01 | split id [16] | t u16 BE | t * compressed point [32]`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(19 + 32 * self.points.len());
        out.push(1);
        out.extend_from_slice(&self.split_id.0);
        // threshold <= u16::MAX is enforced at construction and decoding.
        out.extend_from_slice(&(self.points.len() as u16).to_be_bytes());
        for p in &self.points {
            out.extend_from_slice(p.compress().as_bytes());
        }
        out
    }

    /// Decodes [`Commitments::to_bytes`]; rejects non-canonical or invalid points.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ShamirError> {
        if bytes.len() < 19 {
            return Err(ShamirError::Malformed("commitments too short"));
        }
        if bytes[0] != 1 {
            return Err(ShamirError::UnsupportedVersion(bytes[0]));
        }
        let mut id = [0u8; 16];
        id.copy_from_slice(&bytes[1..17]);
        let t = u16::from_be_bytes([bytes[17], bytes[18]]) as usize;
        let rest = &bytes[19..];
        if t == 0 {
            return Err(ShamirError::ZeroThreshold);
        }
        if rest.len() != 32 * t {
            return Err(ShamirError::Malformed("commitment count does not match the length"));
        }
        let points = rest
            .chunks_exact(32)
            .map(|c| {
                CompressedRistretto::from_slice(c)
                    .ok()
                    .and_then(|c| c.decompress())
                    .ok_or(ShamirError::Malformed("invalid or non-canonical ristretto255 point"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Commitments { split_id: SplitId(id), points })
    }
}

/// Deals `shares` verifiable shares of `secret` with threshold `threshold`.
pub fn split(
    secret: &Scalar,
    threshold: usize,
    shares: usize,
    rng: &mut impl CryptoRngCore,
) -> Result<(Vec<Share<Scalar25519>>, Commitments), ShamirError> {
    check_params::<Scalar25519>(threshold, shares)?;
    let mut coeffs: Vec<Scalar25519> = Vec::with_capacity(threshold);
    coeffs.push(Scalar25519(*secret));
    for _ in 1..threshold {
        coeffs.push(Scalar25519::random(rng));
    }
    let split_id = SplitId::random(rng);
    let points = coeffs.iter().map(|c| &c.0 * RISTRETTO_BASEPOINT_TABLE).collect();
    let dealt = share_polynomials(split_id, &[&coeffs], shares);
    coeffs.zeroize();
    Ok((dealt?, Commitments { split_id, points }))
}

/// Checks one share against the commitments: same split and threshold, one value, and
/// y * G == sum_j x^j C_j. Fails with `BadShares([x])`.
pub fn verify_share(commitments: &Commitments, share: &Share<Scalar25519>) -> Result<(), ShamirError> {
    if share.split_id() != commitments.split_id || share.threshold() != commitments.threshold() {
        return Err(ShamirError::MixedSplits);
    }
    if share.values().len() != 1 {
        return Err(ShamirError::BadShares(vec![share.x()]));
    }
    let x = Scalar::from(share.x() as u64);
    let mut powers = Vec::with_capacity(commitments.points.len());
    let mut p = Scalar::ONE;
    for _ in 0..commitments.points.len() {
        powers.push(p);
        p *= x;
    }
    let expected = RistrettoPoint::vartime_multiscalar_mul(&powers, &commitments.points);
    let actual = &share.values()[0].0 * RISTRETTO_BASEPOINT_TABLE;
    if expected == actual {
        Ok(())
    } else {
        Err(ShamirError::BadShares(vec![share.x()]))
    }
}

/// Verifies every share, then reconstructs the secret. Refuses with `BadShares(xs)` naming
/// every failing share if any fails; other checks as in [`super::reconstruct`].
pub fn reconstruct(commitments: &Commitments, shares: &[Share<Scalar25519>]) -> Result<Scalar, ShamirError> {
    let mut bad = Vec::new();
    for s in shares {
        match verify_share(commitments, s) {
            Ok(()) => {}
            Err(ShamirError::BadShares(xs)) => bad.extend(xs),
            Err(e) => return Err(e),
        }
    }
    if !bad.is_empty() {
        return Err(ShamirError::BadShares(bad));
    }
    let values = plain_reconstruct(shares)?;
    match values.as_slice() {
        [v] => Ok(v.0),
        _ => Err(ShamirError::LengthMismatch),
    }
}
