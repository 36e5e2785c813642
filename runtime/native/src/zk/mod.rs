//! Sigma-protocol zero-knowledge proofs over ristretto255, non-interactive through merlin
//! transcripts (Fiat-Shamir).
//!
//! # Relations
//!
//! Every statement here is a list of pairs (B_j, P_j) with one witness x such that
//! P_j = x * B_j for all j:
//! * [`Statement::dlog`] (Schnorr proof of knowledge of a discrete log): one pair (B, P).
//! * [`Statement::dlog_eq`] (Chaum-Pedersen equality of discrete logs): (G, X) and (H, Y).
//!
//! A [`Proof`] is the commitments A_j = k * B_j and the response s = k + c * x; the verifier
//! checks s * B_j == A_j + c * P_j. [`OrProof`] proves one of two statements (either kind)
//! without revealing which (Cramer-Damgard-Schoenmakers: the other branch is simulated; the
//! branch choice is handled with constant-time selects). [`batch_verify`] checks many
//! proofs with one multiscalar multiplication using random 128-bit weights and, if the
//! batch fails, names the first bad proof.
//!
//! # Transcript (what is bound)
//!
//! `Transcript::new("mpc-zk/v1")`, then the caller's protocol id and session id
//! ([`ProofContext`]), the proof kind, and the whole statement (every base and public
//! point, compressed), then the commitments; the challenge is 64 bytes reduced mod l.
//! A proof made for one protocol id, session id or statement fails for any other.
//! Statements whose bases or public points include the identity element are refused
//! by every prove and verify function ([`ZkError::IdentityPoint`]): with base O any
//! commitment O verifies, and public O has the witness 0.
//!
//! # Nonces
//!
//! Nonces come from merlin's transcript RNG, rekeyed with the witness and finalised with
//! the caller's CSPRNG: they depend on the full statement, the witness and fresh
//! randomness, so a weak RNG alone cannot make a nonce repeat across statements.
//!
//! # Encodings
//!
//! Points are 32-byte compressed ristretto255 encodings, scalars 32-byte little-endian;
//! decoding rejects non-canonical encodings of either. `Proof`: `0x01 | m | m * A_j | s`
//! (m = number of pairs, one byte). `OrProof`: `0x01 | m0 | m1 | A's of branch 0 | A's of
//! branch 1 | c0 | s0 | s1`.

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT;
use curve25519_dalek::ristretto::{CompressedRistretto, RistrettoPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{Identity, VartimeMultiscalarMul};
use merlin::Transcript;
use rand_core::{CryptoRng, RngCore};
use subtle::{Choice, ConditionallySelectable};
use zeroize::Zeroize;

pub use curve25519_dalek::ristretto::RistrettoPoint as Point;
pub use curve25519_dalek::scalar::Scalar as SecretScalar;

/// A fresh key pair (x, x * G) for Schnorr proofs.
pub fn keypair(rng: &mut (impl RngCore + CryptoRng)) -> (Scalar, RistrettoPoint) {
    let x = random_scalar(rng);
    (x, RISTRETTO_BASEPOINT_POINT * x)
}

/// x * G for the standard generator G.
pub fn public_point(x: &Scalar) -> RistrettoPoint {
    RISTRETTO_BASEPOINT_POINT * x
}

/// Errors of proving, verifying and decoding.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ZkError {
    /// The proof does not verify for this statement and context.
    #[error("the proof does not verify")]
    Invalid,
    /// In a batch, the proof at this index does not verify.
    #[error("proof number {0} in the batch does not verify")]
    InvalidInBatch(usize),
    /// The prover's witness does not satisfy the statement.
    #[error("the witness does not satisfy the statement")]
    WrongWitness,
    /// The proof's shape does not match the statement.
    #[error("the proof does not match the statement's shape")]
    ShapeMismatch,
    /// A statement needs at least one and at most 255 pairs.
    #[error("a statement has between 1 and 255 pairs")]
    BadStatement,
    /// A point encoding is invalid or non-canonical.
    #[error("invalid or non-canonical point encoding")]
    NonCanonicalPoint,
    /// A scalar encoding is non-canonical.
    #[error("non-canonical scalar encoding")]
    NonCanonicalScalar,
    /// A proof encoding has the wrong length or version.
    #[error("malformed proof encoding: {0}")]
    Malformed(&'static str),
    /// A base or public point of the statement is the identity element: with base
    /// O every proof verifies (s * O - A - c * P vanishes for A = O, P = O whatever
    /// s), and public O has the known witness 0, so such a statement proves nothing.
    #[error("the statement has the identity element as a base or public point")]
    IdentityPoint,
}

/// The caller's protocol id and session id, both bound into every transcript.
#[derive(Debug, Clone, Copy)]
pub struct ProofContext<'a> {
    /// Names the protocol using the proof, e.g. `b"mpc-psi/v1"`.
    pub protocol: &'a [u8],
    /// Unique per run (e.g. a nonce both parties agreed on).
    pub session: &'a [u8],
}

/// A public statement: pairs (B_j, P_j) with P_j = x * B_j for one secret x.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pairs: Vec<(RistrettoPoint, RistrettoPoint)>,
}

impl Statement {
    /// Knowledge of x with P = x * B (Schnorr).
    pub fn dlog(base: RistrettoPoint, public: RistrettoPoint) -> Self {
        Statement { pairs: vec![(base, public)] }
    }
    /// Knowledge of x with P = x * G for the standard generator G.
    pub fn dlog_generator(public: RistrettoPoint) -> Self {
        Statement::dlog(RISTRETTO_BASEPOINT_POINT, public)
    }
    /// Knowledge of x with X = x * G and Y = x * H (Chaum-Pedersen).
    pub fn dlog_eq(g: RistrettoPoint, x: RistrettoPoint, h: RistrettoPoint, y: RistrettoPoint) -> Self {
        Statement { pairs: vec![(g, x), (h, y)] }
    }
    /// A general statement with any number (1..=255) of pairs sharing one witness;
    /// no point may be the identity ([`ZkError::IdentityPoint`]).
    pub fn from_pairs(pairs: Vec<(RistrettoPoint, RistrettoPoint)>) -> Result<Self, ZkError> {
        if pairs.is_empty() || pairs.len() > 255 {
            return Err(ZkError::BadStatement);
        }
        let statement = Statement { pairs };
        statement.check()?;
        Ok(statement)
    }
    /// Refuses a statement with the identity as a base or public point. Every prove
    /// and verify function calls it first, so statements built by the infallible
    /// constructors above are checked too.
    pub fn check(&self) -> Result<(), ZkError> {
        let identity = RistrettoPoint::identity();
        if self.pairs.iter().any(|(b, p)| *b == identity || *p == identity) {
            return Err(ZkError::IdentityPoint);
        }
        Ok(())
    }
    /// The pairs (B_j, P_j).
    pub fn pairs(&self) -> &[(RistrettoPoint, RistrettoPoint)] {
        &self.pairs
    }
    fn holds_for(&self, x: &Scalar) -> bool {
        self.pairs.iter().all(|(b, p)| b * x == *p)
    }
    fn append_to(&self, t: &mut Transcript) {
        t.append_u64(b"pairs", self.pairs.len() as u64);
        for (b, p) in &self.pairs {
            t.append_message(b"base", b.compress().as_bytes());
            t.append_message(b"public", p.compress().as_bytes());
        }
    }
}

/// A non-interactive proof for one [`Statement`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proof {
    commitments: Vec<CompressedRistretto>,
    response: Scalar,
}

/// A proof that one of two statements holds, hiding which.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrProof {
    commitments: [Vec<CompressedRistretto>; 2],
    challenge0: Scalar,
    responses: [Scalar; 2],
}

fn transcript(ctx: &ProofContext<'_>, kind: &'static [u8]) -> Transcript {
    let mut t = Transcript::new(b"mpc-zk/v1");
    t.append_message(b"protocol", ctx.protocol);
    t.append_message(b"session", ctx.session);
    t.append_message(b"kind", kind);
    t
}

fn challenge(t: &mut Transcript) -> Scalar {
    let mut wide = [0u8; 64];
    t.challenge_bytes(b"challenge", &mut wide);
    Scalar::from_bytes_mod_order_wide(&wide)
}

fn random_scalar(rng: &mut (impl RngCore + CryptoRng)) -> Scalar {
    let mut wide = [0u8; 64];
    rng.fill_bytes(&mut wide);
    let s = Scalar::from_bytes_mod_order_wide(&wide);
    wide.zeroize();
    s
}

fn decode_point(bytes: &[u8]) -> Result<RistrettoPoint, ZkError> {
    CompressedRistretto::from_slice(bytes)
        .map_err(|_| ZkError::NonCanonicalPoint)?
        .decompress()
        .ok_or(ZkError::NonCanonicalPoint)
}

fn decode_compressed(bytes: &[u8]) -> Result<CompressedRistretto, ZkError> {
    // Decompress once to enforce canonicity, keep the compressed form.
    decode_point(bytes)?;
    CompressedRistretto::from_slice(bytes).map_err(|_| ZkError::NonCanonicalPoint)
}

fn decode_scalar(bytes: &[u8]) -> Result<Scalar, ZkError> {
    let arr: [u8; 32] = bytes.try_into().map_err(|_| ZkError::Malformed("scalar length"))?;
    Option::from(Scalar::from_canonical_bytes(arr)).ok_or(ZkError::NonCanonicalScalar)
}

/// Decodes a canonical compressed point (for statements received from elsewhere).
pub fn point_from_bytes(bytes: &[u8]) -> Result<RistrettoPoint, ZkError> {
    decode_point(bytes)
}

/// Decodes a canonical scalar.
pub fn scalar_from_bytes(bytes: &[u8]) -> Result<Scalar, ZkError> {
    decode_scalar(bytes)
}

/// Proves knowledge of `witness` for `statement`.
pub fn prove(
    ctx: &ProofContext<'_>,
    statement: &Statement,
    witness: &Scalar,
    rng: &mut (impl RngCore + CryptoRng),
) -> Result<Proof, ZkError> {
    statement.check()?;
    if !statement.holds_for(witness) {
        return Err(ZkError::WrongWitness);
    }
    let mut t = transcript(ctx, b"sigma");
    statement.append_to(&mut t);
    let mut trng = t.build_rng().rekey_with_witness_bytes(b"witness", witness.as_bytes()).finalize(rng);
    let mut k = random_scalar(&mut trng);
    let commitments: Vec<CompressedRistretto> =
        statement.pairs.iter().map(|(b, _)| (b * k).compress()).collect();
    for a in &commitments {
        t.append_message(b"commitment", a.as_bytes());
    }
    let c = challenge(&mut t);
    let response = k + c * witness;
    k.zeroize();
    Ok(Proof { commitments, response })
}

/// The verification equations of one proof as (scalars, points) whose multiscalar sum must
/// be the identity: s * B_j - A_j - c * P_j for each j, each multiplied by `weights[j]`.
fn check_terms(
    statement: &Statement,
    commitments: &[RistrettoPoint],
    c: &Scalar,
    s: &Scalar,
    weights: &[Scalar],
    scalars: &mut Vec<Scalar>,
    points: &mut Vec<RistrettoPoint>,
) {
    for (((b, p), a), w) in statement.pairs.iter().zip(commitments).zip(weights) {
        scalars.extend([w * s, -w, -(w * c)]);
        points.extend([*b, *a, *p]);
    }
}

fn proof_challenge(
    ctx: &ProofContext<'_>,
    statement: &Statement,
    proof: &Proof,
) -> Result<(Scalar, Vec<RistrettoPoint>), ZkError> {
    statement.check()?;
    if proof.commitments.len() != statement.pairs.len() {
        return Err(ZkError::ShapeMismatch);
    }
    let commitments = proof
        .commitments
        .iter()
        .map(|a| a.decompress().ok_or(ZkError::NonCanonicalPoint))
        .collect::<Result<Vec<_>, _>>()?;
    let mut t = transcript(ctx, b"sigma");
    statement.append_to(&mut t);
    for a in &proof.commitments {
        t.append_message(b"commitment", a.as_bytes());
    }
    Ok((challenge(&mut t), commitments))
}

/// Verifies one proof. Uses only public data (variable time).
pub fn verify(ctx: &ProofContext<'_>, statement: &Statement, proof: &Proof) -> Result<(), ZkError> {
    let (c, commitments) = proof_challenge(ctx, statement, proof)?;
    for ((b, p), a) in statement.pairs.iter().zip(&commitments) {
        let lhs = RistrettoPoint::vartime_multiscalar_mul([proof.response, -c], [*b, *p]);
        if lhs != *a {
            return Err(ZkError::Invalid);
        }
    }
    Ok(())
}

/// Verifies many proofs at once: a random linear combination (128-bit weights from `rng`) of
/// all verification equations must vanish. Soundness error 2^-128 per batch. If the batch
/// fails, the proofs are checked one by one and the first bad index is returned.
pub fn batch_verify(
    items: &[(ProofContext<'_>, &Statement, &Proof)],
    rng: &mut (impl RngCore + CryptoRng),
) -> Result<(), ZkError> {
    let mut scalars = Vec::new();
    let mut points = Vec::new();
    for (i, (ctx, statement, proof)) in items.iter().enumerate() {
        let (c, commitments) = match proof_challenge(ctx, statement, proof) {
            Ok(v) => v,
            Err(ZkError::ShapeMismatch | ZkError::NonCanonicalPoint) => {
                return Err(ZkError::InvalidInBatch(i))
            }
            Err(e) => return Err(e),
        };
        let weights: Vec<Scalar> = (0..statement.pairs.len())
            .map(|_| {
                let mut w = [0u8; 32];
                rng.fill_bytes(&mut w[..16]);
                Scalar::from_bytes_mod_order(w)
            })
            .collect();
        check_terms(statement, &commitments, &c, &proof.response, &weights, &mut scalars, &mut points);
    }
    if RistrettoPoint::vartime_multiscalar_mul(&scalars, &points) == RistrettoPoint::identity() {
        return Ok(());
    }
    for (i, (ctx, statement, proof)) in items.iter().enumerate() {
        if verify(ctx, statement, proof).is_err() {
            return Err(ZkError::InvalidInBatch(i));
        }
    }
    // The combination failed although every proof verifies alone: impossible unless the
    // weights collided; report the batch as invalid rather than guess.
    Err(ZkError::Invalid)
}

fn or_transcript(ctx: &ProofContext<'_>, statements: [&Statement; 2]) -> Transcript {
    let mut t = transcript(ctx, b"or");
    statements[0].append_to(&mut t);
    statements[1].append_to(&mut t);
    t
}

/// Proves that statement `statements[branch]` holds with `witness`, without revealing
/// `branch` (0 or 1). The branch is processed with constant-time selects.
pub fn prove_or(
    ctx: &ProofContext<'_>,
    statements: [&Statement; 2],
    branch: usize,
    witness: &Scalar,
    rng: &mut (impl RngCore + CryptoRng),
) -> Result<OrProof, ZkError> {
    statements.iter().try_for_each(|s| s.check())?;
    if branch > 1 || !statements[branch].holds_for(witness) {
        return Err(ZkError::WrongWitness);
    }
    let mut t = or_transcript(ctx, statements);
    let mut trng = t.build_rng().rekey_with_witness_bytes(b"witness", witness.as_bytes()).finalize(rng);
    let mut k = random_scalar(&mut trng);
    let sim_c = [random_scalar(&mut trng), random_scalar(&mut trng)];
    let sim_s = [random_scalar(&mut trng), random_scalar(&mut trng)];
    let mut commitments: [Vec<CompressedRistretto>; 2] = [Vec::new(), Vec::new()];
    for i in 0..2 {
        let is_real = Choice::from((branch == i) as u8);
        for (b, p) in &statements[i].pairs {
            let real = b * k;
            let simulated = b * sim_s[i] - p * sim_c[i];
            commitments[i].push(RistrettoPoint::conditional_select(&simulated, &real, is_real).compress());
        }
    }
    for (i, cs) in commitments.iter().enumerate() {
        t.append_u64(b"branch", i as u64);
        for a in cs {
            t.append_message(b"commitment", a.as_bytes());
        }
    }
    let c = challenge(&mut t);
    let real0 = Choice::from((branch == 0) as u8);
    // Challenge of the simulated branch is its random one; the real branch gets the rest.
    let c0 = Scalar::conditional_select(&sim_c[0], &(c - sim_c[1]), real0);
    let c1 = c - c0;
    let s_real_0 = k + c0 * witness;
    let s_real_1 = k + c1 * witness;
    let s0 = Scalar::conditional_select(&sim_s[0], &s_real_0, real0);
    let s1 = Scalar::conditional_select(&s_real_1, &sim_s[1], real0);
    k.zeroize();
    Ok(OrProof { commitments, challenge0: c0, responses: [s0, s1] })
}

/// Verifies an [`OrProof`] for the two statements.
pub fn verify_or(
    ctx: &ProofContext<'_>,
    statements: [&Statement; 2],
    proof: &OrProof,
) -> Result<(), ZkError> {
    statements.iter().try_for_each(|s| s.check())?;
    if proof.commitments.iter().zip(statements).any(|(cs, st)| cs.len() != st.pairs.len()) {
        return Err(ZkError::ShapeMismatch);
    }
    let mut t = or_transcript(ctx, statements);
    for (i, cs) in proof.commitments.iter().enumerate() {
        t.append_u64(b"branch", i as u64);
        for a in cs {
            t.append_message(b"commitment", a.as_bytes());
        }
    }
    let c = challenge(&mut t);
    let cs = [proof.challenge0, c - proof.challenge0];
    for i in 0..2 {
        for ((b, p), a) in statements[i].pairs.iter().zip(&proof.commitments[i]) {
            let a = a.decompress().ok_or(ZkError::NonCanonicalPoint)?;
            if RistrettoPoint::vartime_multiscalar_mul([proof.responses[i], -cs[i]], [*b, *p]) != a {
                return Err(ZkError::Invalid);
            }
        }
    }
    Ok(())
}

impl Proof {
    /// Encoding: `0x01 | m | m * A_j (32 bytes) | s (32 bytes)`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = vec![1u8, self.commitments.len() as u8];
        for a in &self.commitments {
            out.extend_from_slice(a.as_bytes());
        }
        out.extend_from_slice(self.response.as_bytes());
        out
    }
    /// Decodes [`Proof::to_bytes`], rejecting non-canonical points and scalars.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ZkError> {
        if bytes.len() < 2 || bytes[0] != 1 {
            return Err(ZkError::Malformed("unknown version"));
        }
        let m = bytes[1] as usize;
        if m == 0 || bytes.len() != 2 + 32 * m + 32 {
            return Err(ZkError::Malformed("length does not match the commitment count"));
        }
        let commitments =
            bytes[2..2 + 32 * m].chunks_exact(32).map(decode_compressed).collect::<Result<Vec<_>, _>>()?;
        let response = decode_scalar(&bytes[2 + 32 * m..])?;
        Ok(Proof { commitments, response })
    }
    /// The commitments A_j (compressed).
    pub fn commitments(&self) -> &[CompressedRistretto] {
        &self.commitments
    }
    /// The response s.
    pub fn response(&self) -> &Scalar {
        &self.response
    }
}

impl OrProof {
    /// Encoding: `0x01 | m0 | m1 | branch-0 A's | branch-1 A's | c0 | s0 | s1`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = vec![1u8, self.commitments[0].len() as u8, self.commitments[1].len() as u8];
        for a in self.commitments.iter().flatten() {
            out.extend_from_slice(a.as_bytes());
        }
        out.extend_from_slice(self.challenge0.as_bytes());
        out.extend_from_slice(self.responses[0].as_bytes());
        out.extend_from_slice(self.responses[1].as_bytes());
        out
    }
    /// Decodes [`OrProof::to_bytes`], rejecting non-canonical points and scalars.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ZkError> {
        if bytes.len() < 3 || bytes[0] != 1 {
            return Err(ZkError::Malformed("unknown version"));
        }
        let (m0, m1) = (bytes[1] as usize, bytes[2] as usize);
        if m0 == 0 || m1 == 0 || bytes.len() != 3 + 32 * (m0 + m1) + 96 {
            return Err(ZkError::Malformed("length does not match the commitment counts"));
        }
        let pts = &bytes[3..3 + 32 * (m0 + m1)];
        let all = pts.chunks_exact(32).map(decode_compressed).collect::<Result<Vec<_>, _>>()?;
        let tail = &bytes[3 + 32 * (m0 + m1)..];
        Ok(OrProof {
            commitments: [all[..m0].to_vec(), all[m0..].to_vec()],
            challenge0: decode_scalar(&tail[..32])?,
            responses: [decode_scalar(&tail[32..64])?, decode_scalar(&tail[64..])?],
        })
    }
}
