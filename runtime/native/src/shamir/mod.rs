//! Shamir secret sharing: t-of-n threshold sharing over prime fields and GF(2^8),
//! Lagrange reconstruction, proactive refresh, and Feldman verifiable sharing.
//!
//! # API (stable; other modules, e.g. `secagg`, build on it)
//!
//! ```text
//! Field (trait)            Fp61 (2^61-1), Scalar25519 (ristretto255 scalars), Gf256 (0x11b)
//! split(&[F], t, n, rng)            -> Result<Vec<Share<F>>>     one polynomial per element
//! reconstruct(&[Share<F>])          -> Result<Vec<F>>           Lagrange at 0, checks extras
//! split_bytes(&[u8], t, n, rng)     -> Result<Vec<Share<Gf256>>> any byte string, byte-wise
//! reconstruct_bytes(&[Share<Gf256>])-> Result<Zeroizing<Vec<u8>>>
//! refresh(&[Share<F>], rng)         -> Result<Vec<Share<F>>>    same secret, new split id
//! share_polynomials(id, &[&[F]], n) -> Result<Vec<Share<F>>>    explicit coefficients (KATs)
//! lagrange_coefficients(&[u16], at) -> Result<Vec<F>>
//! Share::{to_text, from_text, to_bytes, from_bytes, split_id, threshold, x, values}
//! feldman::{split, verify_share, reconstruct, Commitments}   verifiable, on ristretto255
//! ```
//!
//! A [`Share`] carries the split id (16 random bytes naming one dealing), the threshold,
//! its x-coordinate (a non-zero `u16`, distinct within a split: shares are dealt at
//! x = 1..=n) and one y value per shared element. Reconstruction refuses shares from
//! different splits, duplicate or zero x, too few shares, mismatched lengths, and, when more
//! than t shares are given, shares that do not lie on the same polynomial.
//!
//! Guarantees: polynomial coefficients are drawn uniformly from the field (zero allowed) by
//! the caller's CSPRNG; arithmetic on secret values is constant time (see [`field`]);
//! coefficients and secrets are zeroized after use; shares print as `Share { .. }` without
//! their values. Every malformed input yields a [`ShamirError`], never a panic.
//!
//! # Encodings
//!
//! Binary (version 1), all integers big-endian:
//! `0x01 | field tag (1 gf256, 2 p61, 3 r255) | threshold u16 | x u16 | split id [16] |
//! count u32 | count * element (canonical little-endian field encoding) | check [4]`
//! where `check` is the first four bytes of SHA-256 over everything before it.
//!
//! Text (one share per line, ASCII):
//! `mpcss1-<field>-<threshold>-<x>-<split id hex>-<values hex>-<check hex>`
//! with decimal threshold and x (no leading zeros), lowercase hex, the values being the
//! concatenated element encodings and the check computed as for the binary form.

pub mod feldman;
pub mod field;

use core::fmt;

use rand_core::CryptoRngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, Zeroizing};

pub use field::{Field, Fp61, Gf256, Scalar25519};

/// Errors of Shamir sharing and of share decoding.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ShamirError {
    /// The threshold was 0.
    #[error("the threshold must be at least 1")]
    ZeroThreshold,
    /// The threshold exceeds the number of shares.
    #[error("the threshold {threshold} is larger than the number of shares {shares}")]
    ThresholdAboveShares {
        /// Requested threshold.
        threshold: usize,
        /// Requested number of shares.
        shares: usize,
    },
    /// More shares than the field has distinct non-zero x-coordinates for.
    #[error("{shares} shares requested but the field {field} allows at most {max}")]
    TooManyShares {
        /// Requested number of shares.
        shares: usize,
        /// The field's limit.
        max: usize,
        /// The field's name.
        field: &'static str,
    },
    /// A share with x-coordinate 0 (it would be the secret itself).
    #[error("a share has x-coordinate 0, which is never dealt")]
    ZeroShareId,
    /// Two shares with the same x-coordinate.
    #[error("two shares have the same x-coordinate {0}")]
    DuplicateShareId(u16),
    /// Fewer shares than the threshold.
    #[error("{have} shares given but {need} are needed")]
    TooFewShares {
        /// Shares given.
        have: usize,
        /// The threshold.
        need: usize,
    },
    /// No shares at all.
    #[error("no shares were given")]
    NoShares,
    /// Shares of different splits (split id or threshold differ).
    #[error("the shares come from different splits")]
    MixedSplits,
    /// Shares of the same split with different lengths.
    #[error("the shares hold different numbers of values")]
    LengthMismatch,
    /// More than t shares were given and they do not lie on one polynomial.
    #[error("the share with x-coordinate {x} is inconsistent with the others")]
    InconsistentShare {
        /// The x-coordinate of the first share that disagrees.
        x: u16,
    },
    /// Feldman verification failed for these shares (x-coordinates).
    #[error("shares failing verification against the dealer's commitments: x = {0:?}")]
    BadShares(Vec<u16>),
    /// A share or commitment encoding could not be parsed.
    #[error("malformed encoding: {0}")]
    Malformed(&'static str),
    /// The encoding's checksum does not match (corrupted share).
    #[error("the checksum does not match: the share is corrupted")]
    BadChecksum,
    /// An encoding version this library does not know.
    #[error("unsupported encoding version {0}")]
    UnsupportedVersion(u8),
    /// A share of another field than the one asked for.
    #[error("the share is over field {found}, expected {expected}")]
    WrongField {
        /// The field expected by the caller.
        expected: &'static str,
        /// The field found in the encoding.
        found: String,
    },
}

/// Identifies one dealing; shares of different dealings never combine.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SplitId(pub [u8; 16]);

impl SplitId {
    /// A fresh random split id.
    pub fn random(rng: &mut impl CryptoRngCore) -> Self {
        let mut id = [0u8; 16];
        rng.fill_bytes(&mut id);
        SplitId(id)
    }
}

impl fmt::Debug for SplitId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SplitId({})", hex::encode(self.0))
    }
}

/// One party's share: x-coordinate and one y value per shared element.
#[derive(Clone)]
pub struct Share<F: Field> {
    split_id: SplitId,
    threshold: u16,
    x: u16,
    values: Vec<F>,
}

impl<F: Field> fmt::Debug for Share<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Share")
            .field("field", &F::NAME)
            .field("split_id", &self.split_id)
            .field("threshold", &self.threshold)
            .field("x", &self.x)
            .field("len", &self.values.len())
            .finish_non_exhaustive()
    }
}

impl<F: Field> Drop for Share<F> {
    fn drop(&mut self) {
        self.values.zeroize();
    }
}

impl<F: Field> Share<F> {
    /// The split (dealing) this share belongs to.
    pub fn split_id(&self) -> SplitId {
        self.split_id
    }
    /// The number of shares needed to reconstruct.
    pub fn threshold(&self) -> usize {
        self.threshold as usize
    }
    /// The x-coordinate (1..=n).
    pub fn x(&self) -> u16 {
        self.x
    }
    /// The y values, one per shared element (secret material).
    pub fn values(&self) -> &[F] {
        &self.values
    }

    /// Assembles a share from parts (as received from elsewhere); checks x != 0 and
    /// 1 <= threshold. Consistency with other shares is checked at reconstruction.
    pub fn from_parts(
        split_id: SplitId,
        threshold: u16,
        x: u16,
        values: Vec<F>,
    ) -> Result<Self, ShamirError> {
        if threshold == 0 {
            return Err(ShamirError::ZeroThreshold);
        }
        if x == 0 {
            return Err(ShamirError::ZeroShareId);
        }
        if x as usize > F::MAX_SHARES {
            return Err(ShamirError::Malformed("x-coordinate beyond the field's limit"));
        }
        Ok(Share { split_id, threshold, x, values })
    }

    fn header_and_values(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(28 + self.values.len() * F::BYTES + 4);
        out.push(1u8);
        out.push(F::TAG);
        out.extend_from_slice(&self.threshold.to_be_bytes());
        out.extend_from_slice(&self.x.to_be_bytes());
        out.extend_from_slice(&self.split_id.0);
        // The number of values is bounded by memory; encodings beyond u32 are refused.
        out.extend_from_slice(&(self.values.len() as u32).to_be_bytes());
        for v in &self.values {
            out.extend_from_slice(&v.to_bytes());
        }
        out
    }

    /// The versioned binary encoding (see the module docs).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = self.header_and_values();
        let check = Sha256::digest(&out);
        out.extend_from_slice(&check[..4]);
        out
    }

    /// Decodes the binary encoding; rejects other fields, versions, bad lengths,
    /// non-canonical elements and checksum mismatches.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ShamirError> {
        const HEAD: usize = 1 + 1 + 2 + 2 + 16 + 4;
        if bytes.len() < HEAD + 4 {
            return Err(ShamirError::Malformed("share too short"));
        }
        let (body, check) = bytes.split_at(bytes.len() - 4);
        let digest = Sha256::digest(body);
        if !bool::from(digest[..4].ct_eq(check)) {
            return Err(ShamirError::BadChecksum);
        }
        if body[0] != 1 {
            return Err(ShamirError::UnsupportedVersion(body[0]));
        }
        if body[1] != F::TAG {
            return Err(ShamirError::WrongField { expected: F::NAME, found: format!("tag {}", body[1]) });
        }
        let threshold = u16::from_be_bytes([body[2], body[3]]);
        let x = u16::from_be_bytes([body[4], body[5]]);
        let mut id = [0u8; 16];
        id.copy_from_slice(&body[6..22]);
        let count = u32::from_be_bytes([body[22], body[23], body[24], body[25]]) as usize;
        let payload = &body[HEAD..];
        if Some(payload.len()) != count.checked_mul(F::BYTES) {
            return Err(ShamirError::Malformed("value count does not match the length"));
        }
        let mut values = Vec::with_capacity(count);
        for chunk in payload.chunks_exact(F::BYTES) {
            values.push(F::from_bytes(chunk).ok_or(ShamirError::Malformed("non-canonical field element"))?);
        }
        Share::from_parts(SplitId(id), threshold, x, values)
    }

    /// The one-line text encoding (see the module docs).
    pub fn to_text(&self) -> String {
        let body = self.header_and_values();
        let check = Sha256::digest(&body);
        let values_hex = hex::encode(&body[26..]);
        format!(
            "mpcss1-{}-{}-{}-{}-{}-{}",
            F::NAME,
            self.threshold,
            self.x,
            hex::encode(self.split_id.0),
            values_hex,
            hex::encode(&check[..4])
        )
    }

    /// Parses one text line (surrounding whitespace is ignored).
    pub fn from_text(line: &str) -> Result<Self, ShamirError> {
        let line = line.trim();
        let parts: Vec<&str> = line.split('-').collect();
        if parts.len() != 7 {
            return Err(ShamirError::Malformed("a share line has seven '-'-separated fields"));
        }
        if parts[0] != "mpcss1" {
            if parts[0].starts_with("mpcss") {
                return Err(ShamirError::Malformed("unsupported share text version"));
            }
            return Err(ShamirError::Malformed("a share line starts with 'mpcss1-'"));
        }
        if parts[1] != F::NAME {
            return Err(ShamirError::WrongField {
                expected: F::NAME,
                found: parts[1].chars().take(16).collect(),
            });
        }
        let threshold = parse_canonical_u16(parts[2])?;
        let x = parse_canonical_u16(parts[3])?;
        let id = decode_lower_hex(parts[4])?;
        let values = decode_lower_hex(parts[5])?;
        let check = decode_lower_hex(parts[6])?;
        if id.len() != 16 || check.len() != 4 {
            return Err(ShamirError::Malformed("bad split id or checksum length"));
        }
        if values.len() % F::BYTES != 0 || values.len() / F::BYTES > u32::MAX as usize {
            return Err(ShamirError::Malformed("value bytes are not a whole number of elements"));
        }
        let mut bin = Vec::with_capacity(30 + values.len());
        bin.push(1u8);
        bin.push(F::TAG);
        bin.extend_from_slice(&threshold.to_be_bytes());
        bin.extend_from_slice(&x.to_be_bytes());
        bin.extend_from_slice(&id);
        bin.extend_from_slice(&((values.len() / F::BYTES) as u32).to_be_bytes());
        bin.extend_from_slice(&values);
        bin.extend_from_slice(&check);
        let share = Share::from_bytes(&bin);
        bin.zeroize();
        share
    }
}

fn parse_canonical_u16(s: &str) -> Result<u16, ShamirError> {
    let v: u16 = s.parse().map_err(|_| ShamirError::Malformed("threshold and x are decimal numbers"))?;
    if v.to_string() != s {
        return Err(ShamirError::Malformed("numbers are written without sign or leading zeros"));
    }
    Ok(v)
}

fn decode_lower_hex(s: &str) -> Result<Vec<u8>, ShamirError> {
    if s.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err(ShamirError::Malformed("hex must be lowercase"));
    }
    hex::decode(s).map_err(|_| ShamirError::Malformed("invalid hex"))
}

/// Shares `1..=shares` of one split with empty value vectors (capacity `len`); the
/// caller checked the parameters (`check_params`), so the counts fit in `u16`.
fn blank_shares<F: Field>(split_id: SplitId, threshold: usize, shares: usize, len: usize) -> Vec<Share<F>> {
    (1..=shares)
        .map(|x| Share {
            split_id,
            threshold: threshold as u16,
            x: x as u16,
            values: Vec::with_capacity(len),
        })
        .collect()
}

fn check_params<F: Field>(threshold: usize, shares: usize) -> Result<(), ShamirError> {
    if threshold == 0 {
        return Err(ShamirError::ZeroThreshold);
    }
    if shares > F::MAX_SHARES {
        return Err(ShamirError::TooManyShares { shares, max: F::MAX_SHARES, field: F::NAME });
    }
    if threshold > shares {
        return Err(ShamirError::ThresholdAboveShares { threshold, shares });
    }
    Ok(())
}

/// Evaluates the polynomial with coefficients `coeffs` (constant term first) at `x` (Horner).
pub fn evaluate_polynomial<F: Field>(coeffs: &[F], x: F) -> F {
    let mut acc = F::zero();
    for c in coeffs.iter().rev() {
        acc = acc * x + *c;
    }
    acc
}

/// Splits each element of `secret` with its own random polynomial of degree `threshold-1`
/// and returns `shares` shares at x = 1..=shares.
pub fn split<F: Field>(
    secret: &[F],
    threshold: usize,
    shares: usize,
    rng: &mut impl CryptoRngCore,
) -> Result<Vec<Share<F>>, ShamirError> {
    check_params::<F>(threshold, shares)?;
    let mut out = blank_shares(SplitId::random(rng), threshold, shares, secret.len());
    let xs: Vec<F> = (1..=shares as u64).map(F::from_u64).collect();
    let mut coeffs = vec![F::zero(); threshold];
    for s in secret {
        coeffs[0] = *s;
        for c in coeffs.iter_mut().skip(1) {
            *c = F::random(rng);
        }
        for (share, x) in out.iter_mut().zip(&xs) {
            share.values.push(evaluate_polynomial(&coeffs, *x));
        }
    }
    coeffs.zeroize();
    Ok(out)
}

/// Deals shares at x = 1..=shares from explicit polynomials (one per element, constant term
/// = the secret element, all of the same length = the threshold). Deterministic: for
/// known-answer tests and for dealers that need the coefficients (Feldman).
pub fn share_polynomials<F: Field>(
    split_id: SplitId,
    polynomials: &[&[F]],
    shares: usize,
) -> Result<Vec<Share<F>>, ShamirError> {
    let threshold = polynomials.first().map_or(1, |p| p.len());
    if polynomials.iter().any(|p| p.len() != threshold) {
        return Err(ShamirError::LengthMismatch);
    }
    check_params::<F>(threshold, shares)?;
    Ok((1..=shares)
        .map(|x| {
            let xf = F::from_u64(x as u64);
            Share {
                split_id,
                threshold: threshold as u16,
                x: x as u16,
                values: polynomials.iter().map(|p| evaluate_polynomial(p, xf)).collect(),
            }
        })
        .collect())
}

/// Lagrange basis coefficients for the points `xs`, evaluated at `at`:
/// lambda_i = prod_{j != i} (at - x_j) / (x_i - x_j). The x's are public.
pub fn lagrange_coefficients<F: Field>(xs: &[u16], at: F) -> Result<Vec<F>, ShamirError> {
    check_distinct_nonzero(xs)?;
    let fx: Vec<F> = xs.iter().map(|&x| F::from_u64(x as u64)).collect();
    let mut out = Vec::with_capacity(xs.len());
    for (i, xi) in fx.iter().enumerate() {
        let mut num = F::one();
        let mut den = F::one();
        for (j, xj) in fx.iter().enumerate() {
            if i != j {
                num = num * (at - *xj);
                den = den * (*xi - *xj);
            }
        }
        // den != 0 since x's are distinct and (for GF(2^8)) below 256.
        let inv = Option::<F>::from(den.invert()).ok_or(ShamirError::Malformed("x-coordinates collide"))?;
        out.push(num * inv);
    }
    Ok(out)
}

fn check_distinct_nonzero(xs: &[u16]) -> Result<(), ShamirError> {
    let mut seen = std::collections::HashSet::with_capacity(xs.len());
    for &x in xs {
        if x == 0 {
            return Err(ShamirError::ZeroShareId);
        }
        if !seen.insert(x) {
            return Err(ShamirError::DuplicateShareId(x));
        }
    }
    Ok(())
}

/// Checks that the shares can be combined: same split, same threshold, same length,
/// distinct non-zero x, at least `threshold` of them. Returns the threshold.
fn check_shares<F: Field>(shares: &[Share<F>]) -> Result<usize, ShamirError> {
    let first = shares.first().ok_or(ShamirError::NoShares)?;
    for s in shares {
        if s.split_id != first.split_id || s.threshold != first.threshold {
            return Err(ShamirError::MixedSplits);
        }
        if s.values.len() != first.values.len() {
            return Err(ShamirError::LengthMismatch);
        }
        if s.x as usize > F::MAX_SHARES {
            return Err(ShamirError::Malformed("x-coordinate beyond the field's limit"));
        }
    }
    let xs: Vec<u16> = shares.iter().map(|s| s.x).collect();
    check_distinct_nonzero(&xs)?;
    let t = first.threshold as usize;
    if t == 0 {
        return Err(ShamirError::ZeroThreshold);
    }
    if shares.len() < t {
        return Err(ShamirError::TooFewShares { have: shares.len(), need: t });
    }
    Ok(t)
}

/// Reconstructs the secret elements from at least `threshold` shares of one split.
///
/// The first `threshold` shares are interpolated at 0; every further share must lie on
/// the same polynomial, or [`ShamirError::InconsistentShare`] names it.
pub fn reconstruct<F: Field>(shares: &[Share<F>]) -> Result<Vec<F>, ShamirError> {
    let t = check_shares(shares)?;
    let (base, extra) = shares.split_at(t);
    let xs: Vec<u16> = base.iter().map(|s| s.x).collect();
    let len = base[0].values.len();
    for s in extra {
        let lambdas: Vec<F> = lagrange_coefficients(&xs, F::from_u64(s.x as u64))?;
        let mut ok = subtle::Choice::from(1u8);
        for k in 0..len {
            let mut acc = F::zero();
            for (b, l) in base.iter().zip(&lambdas) {
                acc = acc + b.values[k] * *l;
            }
            ok &= acc.ct_eq(&s.values[k]);
        }
        if !bool::from(ok) {
            return Err(ShamirError::InconsistentShare { x: s.x });
        }
    }
    let lambdas: Vec<F> = lagrange_coefficients(&xs, F::zero())?;
    let mut out = Vec::with_capacity(len);
    for k in 0..len {
        let mut acc = F::zero();
        for (b, l) in base.iter().zip(&lambdas) {
            acc = acc + b.values[k] * *l;
        }
        out.push(acc);
    }
    Ok(out)
}

/// Splits an arbitrary byte string: each byte is shared over GF(2^8) with its own random
/// polynomial (eight bytes at a time with a packed constant-time multiply).
pub fn split_bytes(
    secret: &[u8],
    threshold: usize,
    shares: usize,
    rng: &mut impl CryptoRngCore,
) -> Result<Vec<Share<Gf256>>, ShamirError> {
    check_params::<Gf256>(threshold, shares)?;
    let mut out = blank_shares(SplitId::random(rng), threshold, shares, secret.len());
    let mut coeffs = vec![0u64; threshold];
    let mut word = [0u8; 8];
    for chunk in secret.chunks(8) {
        word.fill(0);
        word[..chunk.len()].copy_from_slice(chunk);
        coeffs[0] = u64::from_le_bytes(word);
        for c in coeffs.iter_mut().skip(1) {
            *c = rng.next_u64();
        }
        for share in out.iter_mut() {
            let x = share.x as u8;
            let mut acc = 0u64;
            for c in coeffs.iter().rev() {
                acc = Gf256::mul_packed(acc, x) ^ *c;
            }
            let bytes = acc.to_le_bytes();
            share.values.extend(bytes[..chunk.len()].iter().map(|&b| Gf256(b)));
        }
    }
    coeffs.zeroize();
    word.zeroize();
    Ok(out)
}

/// Reconstructs a byte string shared with [`split_bytes`] (same checks as [`reconstruct`]).
pub fn reconstruct_bytes(shares: &[Share<Gf256>]) -> Result<Zeroizing<Vec<u8>>, ShamirError> {
    let t = check_shares(shares)?;
    let (base, extra) = shares.split_at(t);
    let xs: Vec<u16> = base.iter().map(|s| s.x).collect();
    let len = base[0].values.len();
    let combine = |lambdas: &[Gf256], out: &mut Vec<u8>| {
        for start in (0..len).step_by(8) {
            let end = (start + 8).min(len);
            let mut acc = 0u64;
            for (b, l) in base.iter().zip(lambdas) {
                let mut w = [0u8; 8];
                for (dst, src) in w.iter_mut().zip(&b.values[start..end]) {
                    *dst = src.0;
                }
                acc ^= Gf256::mul_packed(u64::from_le_bytes(w), l.0);
                w.zeroize();
            }
            out.extend_from_slice(&acc.to_le_bytes()[..end - start]);
        }
    };
    for s in extra {
        let lambdas: Vec<Gf256> = lagrange_coefficients(&xs, Gf256::from_u64(s.x as u64))?;
        let mut expect = Zeroizing::new(Vec::with_capacity(len));
        combine(&lambdas, &mut expect);
        let got: Zeroizing<Vec<u8>> = Zeroizing::new(s.values.iter().map(|v| v.0).collect());
        if !bool::from(expect.as_slice().ct_eq(got.as_slice())) {
            return Err(ShamirError::InconsistentShare { x: s.x });
        }
    }
    let lambdas: Vec<Gf256> = lagrange_coefficients(&xs, Gf256::zero())?;
    let mut out = Zeroizing::new(Vec::with_capacity(len));
    combine(&lambdas, &mut out);
    Ok(out)
}

/// Proactive refresh: returns new shares of the same secret for the same holders (same x),
/// by adding a fresh random sharing of zero; the result carries a new split id, so old and
/// new shares never combine. All holders' shares of one split must be given (at least t).
pub fn refresh<F: Field>(
    shares: &[Share<F>],
    rng: &mut impl CryptoRngCore,
) -> Result<Vec<Share<F>>, ShamirError> {
    let t = check_shares(shares)?;
    let split_id = SplitId::random(rng);
    let len = shares[0].values.len();
    let mut out: Vec<Share<F>> = shares
        .iter()
        .map(|s| Share { split_id, threshold: s.threshold, x: s.x, values: s.values.clone() })
        .collect();
    let mut coeffs = vec![F::zero(); t];
    for k in 0..len {
        for c in coeffs.iter_mut().skip(1) {
            *c = F::random(rng);
        }
        for s in out.iter_mut() {
            s.values[k] = s.values[k] + evaluate_polynomial(&coeffs, F::from_u64(s.x as u64));
        }
    }
    coeffs.zeroize();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::rand_core::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    #[test]
    fn bytes_and_generic_gf256_agree() {
        // split_bytes' packed path must reconstruct through the generic path too.
        let mut rng = ChaCha20Rng::seed_from_u64(3);
        let secret = b"attack at dawn, bring snacks".to_vec();
        let shares = split_bytes(&secret, 3, 5, &mut rng).unwrap();
        let generic = reconstruct(&shares[1..4]).unwrap();
        let got: Vec<u8> = generic.iter().map(|g| g.0).collect();
        assert_eq!(got, secret);
    }
}
