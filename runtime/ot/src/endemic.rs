//! Base OT secure against a malicious party: Masny-Rindal "Endemic Oblivious Transfer"
//! (CCS 2019, eprint 2019/706), the OT built from Diffie-Hellman key agreement in
//! ristretto255, random 128-bit keys. The malicious session's base OTs (the first KOS
//! session, [`crate::kos`]); the semi-honest session keeps Chou-Orlandi ([`crate::base`]).
//!
//! Protocol (one message each way, any number `n` of OTs; KOS uses `n = 128`):
//!
//! ```text
//! sender                                   receiver (choice bits c_i)
//! a <- random scalar, A = a*G
//!            ---- SenderSetup { A } ---->
//!                                          check A canonical, not the identity
//!                                          b_i <- random, B_i = b_i*G
//!                                          r_{i,1-c} <- uniform point
//!                                          r_{i,c}   = B_i - H(i, A, r_{i,1-c})
//!                                          k_i = RO(i, c_i, A, r_i0, r_i1, b_i*A)
//!            <--- ReceiverReply { (r_i0, r_i1) } ---
//! check every point canonical, not identity, r_i0 != r_i1
//! B_ij = r_ij + H(i, A, r_{i,1-j})            (j = 0, 1)
//! k_ij = RO(i, j, A, r_i0, r_i1, a*B_ij)
//! ```
//!
//! `H` hashes to the group: `2 * from_uniform_bytes(SHA-512(DOMAIN_H || A || i ||
//! enc(r)))`, the RFC 9496 hash-to-group (`from_uniform_bytes`, two Elligator maps)
//! doubled: doubling is a bijection of the prime-order group, so `H` is a random
//! oracle into it exactly when the undoubled map is, and the doubling lets both sides
//! encode their points in one batch (below). `RO` is SHA-256 with its own domain
//! prefix over the OT index `i`, the branch `j`, the sender's point `A` (fresh per
//! session: the session id), the receiver's pair and the shared point's encoding,
//! truncated to 128 bits. libOTe's `MasnyRindal` (osu-crypto/libOTe,
//! `libOTe/Base/MasnyRindal.cpp`) is the same protocol with `RO(shared point, i)` and
//! an `H` bound to nothing; binding `H` to `(A, i)` and `RO` to the whole transcript
//! and the branch are the usual hardening (the branch keeps `k_i0 != k_i1` even for a
//! receiver that made `B_i0 = B_i1`).
//!
//! Security (what the paper proves, section numbers not checked here against the
//! paper): UC security against a malicious sender or a malicious receiver for the
//! *endemic* OT functionality, in the random-oracle model (`H` and `RO`) under CDH in
//! ristretto255. Endemic means a corrupt party may choose its own output keys (a
//! corrupt receiver its `k_{c_i}`, a corrupt sender both of its keys) and the honest
//! party's outputs are uniform given those: the keys are random, not chosen messages,
//! which is what IKNP and KOS15 take as base OTs. The simulator against a malicious
//! receiver extracts `c_i` from its `H` queries (a pair whose `H`-preimages it never
//! queried has both `B_ij` uniform, of unknown discrete logarithm); the receiver's
//! message hides `c_i` perfectly, since `r_{i,c}` is uniform when `B_i` is. In this
//! implementation the sender's message comes first and the receiver's points may
//! depend on `A`, which only helps the simulator (it knows `A` before it programs `H`).
//! kappa = 128 (ristretto255, about 2^126 work for discrete logarithms).
//!
//! Guarantees: points from the peer are decoded with full canonicality checks and the
//! identity is refused ([`OtError::InvalidPoint`]); a pair with `r_i0 = r_i1` is
//! refused ([`OtError::Malformed`]; an honest receiver sends one with negligible
//! probability); the receiver's arrangement of its pair is constant time in its choice
//! bit (`conditional_select` on the encodings); secret scalars and shared points are
//! zeroized (dalek's internal temporaries are not).
//!
//! Cost (128 OTs): the sender does two constant-time variable-base multiplications,
//! two decompressions and two hashes to the group per OT, the receiver two fixed-base
//! multiplications (the basepoint table and one table built for `A`), one hash to the
//! group and one uniform point per OT. As in [`crate::base`], every point a side
//! encodes goes through `double_and_compress_batch` (one field inversion per batch,
//! encoding `2*P`), so both sides compute halves: the receiver `B_i/2 = (b_i/2)*G` and
//! `H/2` (the undoubled map), the sender `(a/2)*B_ij`.
//!
//! The point arithmetic is split over the machine's cores as in [`crate::base`] (at
//! most four scoped threads on contiguous shares of the OTs, each share
//! encoded in its own batch; the receiver builds its table for `A` on one thread while
//! the calling thread computes `B_i/2 - H0`); the outputs do not depend on the split
//! (tested against the definition and a known-answer vector).

use curve25519_dalek_5::constants::RISTRETTO_BASEPOINT_TABLE;
use curve25519_dalek_5::ristretto::{CompressedRistretto, RistrettoBasepointTable, RistrettoPoint};
use curve25519_dalek_5::scalar::Scalar;
use mpc_crypto::Block;
use rand_core::{CryptoRng, RngCore};
use sha2::{Digest, Sha256, Sha512};
use subtle::{Choice, ConditionallySelectable};
use zeroize::Zeroizing;

use crate::error::{OtError, Result};
use crate::ristretto::{decode_point, half, par_ranges, random_scalar};
use crate::wire::{put_count, Reader};
use crate::MAX_BATCH;

/// Domain separation for the key-derivation hash `RO`.
const DOMAIN_RO: &[u8] = b"mpc-ot/endemic/masny-rindal/ristretto255/v1/ro";
/// Domain separation for the hash to the group `H`.
const DOMAIN_H: &[u8] = b"mpc-ot/endemic/masny-rindal/ristretto255/v1/h";
const TAG_SETUP: u8 = 0xD1;
const TAG_REPLY: u8 = 0xD2;

/// Message 1, sender to receiver: the sender's point `A` (33 bytes on the wire).
#[derive(Debug, Clone)]
pub struct SenderSetup {
    a: CompressedRistretto,
    point: RistrettoPoint,
}

impl SenderSetup {
    const WHAT: &'static str = "endemic base-OT sender setup";
    /// The encoded length: tag and one point.
    pub const LEN: usize = 33;

    /// The wire encoding: tag `0xD1`, then the 32-byte compressed point.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(Self::LEN);
        out.push(TAG_SETUP);
        out.extend_from_slice(self.a.as_bytes());
        out
    }

    /// Decodes and validates a setup message (canonical, non-identity point).
    pub fn from_bytes(bytes: &[u8]) -> Result<SenderSetup> {
        let mut r = Reader::new(Self::WHAT, bytes, TAG_SETUP)?;
        let a = CompressedRistretto(r.array32()?);
        r.finish()?;
        let point = decode_point(Self::WHAT, 0, &a)?;
        Ok(SenderSetup { a, point })
    }
}

/// Message 2, receiver to sender: the pair `(r_i0, r_i1)` of each OT.
#[derive(Debug, Clone)]
pub struct ReceiverReply {
    r: Vec<[CompressedRistretto; 2]>,
    points: Vec<[RistrettoPoint; 2]>,
}

impl ReceiverReply {
    const WHAT: &'static str = "endemic base-OT receiver reply";

    /// The encoded length of a reply for `n` OTs: tag, `u32` count, 64 bytes per OT.
    pub const fn encoded_len(n: usize) -> usize {
        5 + 64 * n
    }

    /// The number of OTs this reply is for.
    pub fn len(&self) -> usize {
        self.r.len()
    }

    /// Whether the reply is for zero OTs.
    pub fn is_empty(&self) -> bool {
        self.r.is_empty()
    }

    /// The wire encoding: tag `0xD2`, a little-endian `u32` count, then per OT the
    /// 32-byte encodings of `r_i0` and `r_i1`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(Self::encoded_len(self.r.len()));
        out.push(TAG_REPLY);
        put_count(&mut out, self.r.len());
        for [r0, r1] in &self.r {
            out.extend_from_slice(r0.as_bytes());
            out.extend_from_slice(r1.as_bytes());
        }
        out
    }

    /// Decodes and validates a reply: every point canonical and not the identity, the
    /// two points of each pair distinct. The index of an invalid point is `2 i + j`.
    pub fn from_bytes(bytes: &[u8]) -> Result<ReceiverReply> {
        let mut r = Reader::new(Self::WHAT, bytes, TAG_REPLY)?;
        let n = r.count()?;
        if n > MAX_BATCH {
            return Err(r.malformed(format!("{n} pairs is more than the limit {MAX_BATCH}")));
        }
        r.expect_remaining(n.saturating_mul(64))?;
        let mut pairs = Vec::with_capacity(n);
        for i in 0..n {
            let r0 = CompressedRistretto(r.array32()?);
            let r1 = CompressedRistretto(r.array32()?);
            if r0 == r1 {
                return Err(r.malformed(format!("pair {i} has r0 = r1")));
            }
            pairs.push([r0, r1]);
        }
        r.finish()?;
        // Decompression (an inverse square root per point) is split over the cores.
        let points = par_ranges(n, |range| {
            range
                .map(|i| {
                    let [r0, r1] = &pairs[i];
                    Ok([decode_point(Self::WHAT, 2 * i, r0)?, decode_point(Self::WHAT, 2 * i + 1, r1)?])
                })
                .collect()
        })?;
        Ok(ReceiverReply { r: pairs, points })
    }
}

/// The sender between its two messages: it holds its secret scalar.
pub struct Sender {
    a: Zeroizing<Scalar>,
    setup: SenderSetup,
    count: usize,
}

impl core::fmt::Debug for Sender {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("endemic::Sender").field("count", &self.count).finish_non_exhaustive()
    }
}

impl Sender {
    /// Starts `count` base OTs: returns the sender state and the message for the receiver.
    pub fn new<R: RngCore + CryptoRng>(rng: &mut R, count: usize) -> Result<(Sender, SenderSetup)> {
        if count > MAX_BATCH {
            return Err(OtError::InvalidArgument(format!("{count} base OTs is more than {MAX_BATCH}")));
        }
        let a = random_scalar(rng);
        let point = RISTRETTO_BASEPOINT_TABLE * &*a;
        let setup = SenderSetup { a: point.compress(), point };
        Ok((Sender { a, setup: setup.clone(), count }, setup))
    }

    /// Consumes the receiver's reply and returns the key pairs `[k_i0, k_i1]`.
    pub fn finish(self, reply: &ReceiverReply) -> Result<Vec<[Block; 2]>> {
        if reply.len() != self.count {
            return Err(OtError::CountMismatch {
                what: ReceiverReply::WHAT,
                expected: self.count,
                got: reply.len(),
            });
        }
        // (a/2) * B_ij, encoded through one batch as 2 * that = a * B_ij.
        let half_a = Zeroizing::new(*self.a * half());
        par_ranges(self.count, |range| {
            let mut shared: Zeroizing<Vec<RistrettoPoint>> =
                Zeroizing::new(Vec::with_capacity(2 * range.len()));
            for i in range.clone() {
                let ([e0, e1], [p0, p1]) = (&reply.r[i], &reply.points[i]);
                let b0 = p0 + hash_to_group(&self.setup.a, i, e1);
                let b1 = p1 + hash_to_group(&self.setup.a, i, e0);
                // B_ij may be the identity (a receiver that sent r_ij = -H(r_{i,1-j})
                // knows its discrete logarithm, 0: that is its one key); the batched
                // encoding handles the identity as per-point compression does.
                shared.push(b0 * *half_a);
                shared.push(b1 * *half_a);
            }
            let enc = Zeroizing::new(RistrettoPoint::double_and_compress_batch(shared.iter()));
            Ok(range
                .enumerate()
                .map(|(k, i)| {
                    let key = |j: usize| derive(i, j as u8, &self.setup.a, &reply.r[i], &enc[2 * k + j]);
                    [key(0), key(1)]
                })
                .collect())
        })
    }
}

/// The receiver's whole part: given the sender's setup and the choice bits, returns the
/// reply to send and the chosen keys `k_{i,c_i}`.
pub fn receive<R: RngCore + CryptoRng>(
    rng: &mut R,
    setup: &SenderSetup,
    choices: &[bool],
) -> Result<(ReceiverReply, Vec<Block>)> {
    let n = choices.len();
    if n > MAX_BATCH {
        return Err(OtError::InvalidArgument(format!("{n} base OTs is more than {MAX_BATCH}")));
    }
    // Drawn from `rng` in OT order: s_i = b_i / 2 (uniform as b_i is), then the
    // uniform point x_i / 2 that, doubled, is r_{i,1-c}.
    let scalars: Zeroizing<Vec<Scalar>> = Zeroizing::new((0..n).map(|_| *random_scalar(rng)).collect());
    let half_x: Vec<RistrettoPoint> = (0..n)
        .map(|_| {
            let mut wide = Zeroizing::new([0u8; 64]);
            rng.fill_bytes(&mut *wide);
            RistrettoPoint::from_uniform_bytes(&wide)
        })
        .collect();
    // The table for A (serial, about as long as 100 multiplications of G) is built on
    // one thread while this one computes y_i / 2 = s_i*G - H0(x_i) (H = 2*H0), so that
    // y_i = b_i*G - H(x_i) = r_{i,c}.
    let (a_table, (x_enc, half_y)) = std::thread::scope(|s| {
        let table = s.spawn(|| RistrettoBasepointTable::create(&setup.point));
        let x_enc = RistrettoPoint::double_and_compress_batch(half_x.iter());
        let half_y: Vec<RistrettoPoint> = x_enc
            .iter()
            .enumerate()
            .map(|(i, x)| RISTRETTO_BASEPOINT_TABLE * &scalars[i] - hash_to_group_half(&setup.a, i, x))
            .collect();
        // Table construction does not panic on a valid point; a panic is passed on.
        (table.join().unwrap_or_else(|p| std::panic::resume_unwind(p)), (x_enc, half_y))
    });
    // y_i and the shared point b_i*A = 2*(s_i*A) encoded in one batch per share.
    let per_ot = par_ranges(n, |range| {
        let mut halves: Zeroizing<Vec<RistrettoPoint>> = Zeroizing::new(Vec::with_capacity(2 * range.len()));
        for i in range.clone() {
            halves.push(half_y[i]);
            halves.push(&a_table * &scalars[i]);
        }
        let enc = Zeroizing::new(RistrettoPoint::double_and_compress_batch(halves.iter()));
        Ok(range
            .enumerate()
            .map(|(k, i)| {
                let c = Choice::from(u8::from(choices[i]));
                let (x, y) = (&x_enc[i], &enc[2 * k]);
                // c = 0: (r0, r1) = (y, x); c = 1: (x, y). Selected in constant time.
                let pair = [
                    CompressedRistretto(select32(y.as_bytes(), x.as_bytes(), c)),
                    CompressedRistretto(select32(x.as_bytes(), y.as_bytes(), c)),
                ];
                let (xp, yp) = (half_x[i] + half_x[i], half_y[i] + half_y[i]);
                let points = [
                    RistrettoPoint::conditional_select(&yp, &xp, c),
                    RistrettoPoint::conditional_select(&xp, &yp, c),
                ];
                let key = derive(i, c.unwrap_u8(), &setup.a, &pair, &enc[2 * k + 1]);
                (pair, points, key)
            })
            .collect())
    })?;
    let pairs = per_ot.iter().map(|t| t.0).collect();
    let points = per_ot.iter().map(|t| t.1).collect();
    let keys = per_ot.iter().map(|t| t.2).collect();
    Ok((ReceiverReply { r: pairs, points }, keys))
}

/// `a` where `c` is 0, `b` where it is 1, in constant time.
fn select32(a: &[u8; 32], b: &[u8; 32], c: Choice) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (o, (x, y)) in out.iter_mut().zip(a.iter().zip(b)) {
        *o = u8::conditional_select(x, y, c);
    }
    out
}

/// `H0(i, A, r)`: the RFC 9496 hash to ristretto255 (`from_uniform_bytes`) of
/// SHA-512(DOMAIN_H || A || i || enc(r)). The protocol's `H` is twice this.
fn hash_to_group_half(a: &CompressedRistretto, i: usize, r: &CompressedRistretto) -> RistrettoPoint {
    let mut h = Sha512::new();
    h.update(DOMAIN_H);
    h.update(a.as_bytes());
    h.update((i as u64).to_le_bytes());
    h.update(r.as_bytes());
    RistrettoPoint::from_uniform_bytes(&h.finalize().into())
}

/// The protocol's hash to the group, `H = 2 * H0`.
fn hash_to_group(a: &CompressedRistretto, i: usize, r: &CompressedRistretto) -> RistrettoPoint {
    let p = hash_to_group_half(a, i, r);
    p + p
}

/// The key derivation `RO`: SHA-256(DOMAIN_RO || i || j || A || r_i0 || r_i1 ||
/// enc(P)), first 16 bytes.
fn derive(
    i: usize,
    j: u8,
    a: &CompressedRistretto,
    pair: &[CompressedRistretto; 2],
    p: &CompressedRistretto,
) -> Block {
    let mut h = Sha256::new();
    h.update(DOMAIN_RO);
    h.update((i as u64).to_le_bytes());
    h.update([j]);
    h.update(a.as_bytes());
    h.update(pair[0].as_bytes());
    h.update(pair[1].as_bytes());
    h.update(p.as_bytes());
    let digest = Zeroizing::new(<[u8; 32]>::from(h.finalize()));
    let mut k = [0u8; 16];
    k.copy_from_slice(&digest[..16]);
    Block::from_bytes(k)
}

#[cfg(test)]
mod tests {
    use super::*;
    use curve25519_dalek_5::traits::Identity;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha12Rng;

    /// The batched, halved computation gives exactly the keys of the per-point
    /// definition, and the reply encodes the points it holds.
    #[test]
    fn batched_paths_match_the_definition() {
        for (seed, n) in [(30u64, 128usize), (31, 1), (32, 37)] {
            let mut rng = ChaCha12Rng::seed_from_u64(seed);
            let choices: Vec<bool> = (0..n).map(|_| rng.gen()).collect();
            let (sender, m1) = Sender::new(&mut rng, n).unwrap();
            let a = *sender.a;
            let (m2, got) = receive(&mut rng, &m1, &choices).unwrap();
            for i in 0..n {
                for j in 0..2 {
                    assert_eq!(m2.points[i][j].compress(), m2.r[i][j], "OT {i} point {j}");
                }
            }
            let keys = sender.finish(&m2).unwrap();
            for i in 0..n {
                for (j, key) in keys[i].iter().enumerate() {
                    let b = m2.points[i][j] + hash_to_group(&m1.a, i, &m2.r[i][1 - j]);
                    let k = derive(i, j as u8, &m1.a, &m2.r[i], &(b * a).compress());
                    assert_eq!(*key, k, "OT {i} key {j}");
                }
                assert_eq!(got[i], keys[i][usize::from(choices[i])], "OT {i}");
            }
        }
    }

    #[test]
    fn half_is_the_inverse_of_two() {
        assert_eq!(half() + half(), Scalar::ONE);
    }

    /// A receiver that sends r_ij = -H(r_{i,1-j}) makes B_ij the identity; the batched
    /// encoding must encode it as the identity and leave the rest of the batch intact.
    #[test]
    fn identity_shared_point_is_handled() {
        let mut rng = ChaCha12Rng::seed_from_u64(33);
        let (sender, m1) = Sender::new(&mut rng, 2).unwrap();
        let (m2, _) = receive(&mut rng, &m1, &[true, false]).unwrap();
        let r1 = m2.r[0][1];
        let r0 = (-hash_to_group(&m1.a, 0, &r1)).compress();
        let mut bytes = m2.to_bytes();
        bytes[5..37].copy_from_slice(r0.as_bytes());
        let m2 = ReceiverReply::from_bytes(&bytes).unwrap();
        let keys = sender.finish(&m2).unwrap();
        let ident = RistrettoPoint::identity().compress();
        assert_eq!(keys[0][0], derive(0, 0, &m1.a, &m2.r[0], &ident));
    }

    /// A cheating receiver's crafted pairs, each against the sender's real keys. What
    /// these show: the strategies a receiver has for a second key fail; for `r_0 = r_1`
    /// the message is refused, and even a reply that skipped that check (built here
    /// without decoding) has `k_0 != k_1`, since the branch is hashed in. What they do
    /// not show: that no strategy works; that is the paper's proof (CDH, random
    /// oracles). The receiver's candidates are every key it can compute from the
    /// discrete logarithms it knows.
    #[test]
    fn crafted_pairs_give_at_most_one_key() {
        let mut rng = ChaCha12Rng::seed_from_u64(34);
        let n = 3;
        let (sender, m1) = Sender::new(&mut rng, n).unwrap();
        let big_a = m1.point;
        let g = |s: &Scalar| RISTRETTO_BASEPOINT_TABLE * s;
        let (b0, b1) = (*random_scalar(&mut rng), *random_scalar(&mut rng));
        // OT 0: both points with known logarithms (r_0 = b0*G, r_1 = b1*G) and no H
        // relation. OT 1: honest for choice 0 (r_0 = b0*G - H(r_1)) with r_1 = b1*G of
        // known logarithm, hoping for k_1 as well. OT 2: r_0 = r_1 = b0*G.
        let r1_ot1 = g(&b1).compress();
        let pairs = [[g(&b0), g(&b1)], [g(&b0) - hash_to_group(&m1.a, 1, &r1_ot1), g(&b1)], [g(&b0), g(&b0)]];
        let r: Vec<[CompressedRistretto; 2]> =
            pairs.iter().map(|[p, q]| [p.compress(), q.compress()]).collect();
        let mut bytes = ReceiverReply { r: r[..2].to_vec(), points: pairs[..2].to_vec() }.to_bytes();
        bytes.extend_from_slice(r[2][0].as_bytes());
        bytes.extend_from_slice(r[2][1].as_bytes());
        bytes[1..5].copy_from_slice(&3u32.to_le_bytes());
        assert!(matches!(ReceiverReply::from_bytes(&bytes), Err(OtError::Malformed { .. })));
        // The same reply handed to the sender undecoded (as if the check were absent).
        let keys = sender.finish(&ReceiverReply { r: r.clone(), points: pairs.to_vec() }).unwrap();
        let scalars = [b0, b1, b0 + b1, b0 - b1, b1 - b0, Scalar::ZERO];
        for (i, pair) in r.iter().enumerate() {
            let candidates: Vec<Block> = (0..2u8)
                .flat_map(|j| scalars.iter().map(move |s| (j, s)))
                .map(|(j, s)| derive(i, j, &m1.a, pair, &(big_a * s).compress()))
                .collect();
            let known = keys[i].iter().filter(|k| candidates.contains(k)).count();
            if i == 1 {
                assert_eq!(known, 1, "OT 1: the honest branch's key, and only it");
                assert!(candidates.contains(&keys[1][0]));
            } else {
                assert_eq!(known, 0, "OT {i}: no key");
            }
        }
        assert_ne!(keys[2][0], keys[2][1], "r0 = r1 still gives two different keys");
    }
}
