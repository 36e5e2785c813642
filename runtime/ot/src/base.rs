//! Base OT: batched Chou-Orlandi "simplest OT" over ristretto255, random 128-bit keys.
//!
//! Protocol (one message each way, any number `n` of OTs; IKNP uses `n = 128`):
//!
//! ```text
//! sender                                   receiver (choice bits c_i)
//! a <- random scalar, A = a*G
//!            ---- SenderSetup { A } ---->
//!                                          check A canonical, not the identity
//!                                          b_i <- random, B_i = b_i*G + c_i*A
//!                                          key_i = H(i, A, B_i, b_i*A)
//!            <--- ReceiverReply { B_i } ---
//! check each B_i canonical, not identity
//! k0_i = H(i, A, B_i, a*B_i)
//! k1_i = H(i, A, B_i, a*B_i - a*A)
//! ```
//!
//! `H` is SHA-256 with a domain-separation prefix over the OT index, the sender's point
//! `A` (fresh per session, so it doubles as the session id), the receiver's point `B_i`
//! and the shared point's canonical encoding, truncated to 128 bits.
//! Binding `A`, `B_i` and `i` into the hash is the standard fix to the original
//! paper's key derivation. Security: semi-honest (and sound against a receiver that
//! picks its `B_i` maliciously, since each key is bound to its own `B_i`), under CDH in
//! ristretto255 with `H` modelled as a random oracle.
//!
//! Guarantees: points from the peer are decoded with full canonicality checks and the
//! identity is refused, both as [`OtError::InvalidPoint`]; the receiver's point
//! selection is constant time in its choice bit; secret scalars are zeroized.
//!
//! Cost (128 OTs): the sender does one constant-time variable-base multiplication per
//! OT (`(a/2)*B_i`) plus one fixed-base one in all (curve25519-dalek 5, whose AVX-512
//! IFMA backend, chosen at run time, does them in 0.73x the time of dalek 4's AVX2); the receiver two fixed-base ones per
//! OT (the basepoint table and a table built once for `A`). Every point either side
//! encodes goes through one `double_and_compress_batch` call (one field inversion for
//! the whole batch), which is why both sides compute halves: it encodes `2*P`, and in
//! the prime-order group `2*((x/2)*P) = x*P`. The identity (a receiver sending
//! `B_i = A`) is skipped by the batched inversion and encoded as the identity, as
//! per-point compression does. The shared points are kept in zeroized buffers; dalek's
//! internal temporaries (including the batch's working vector) are not.
//!
//! The point arithmetic of a batch is split over the machine's cores (at most
//! four scoped threads, contiguous shares of the OTs, each share compressed
//! in its own batch): in a session the two parties' base-OT computations take turns
//! (the receiver's, then the sender's), so each has the other core to itself; the
//! receiver builds the table for `A` on one thread while the others compute the
//! multiples of `G` from a shared queue of chunks, which that thread joins when the
//! table is done. The outputs do not depend on the split (tested against the
//! definition and a known-answer vector).

use curve25519_dalek_5::constants::RISTRETTO_BASEPOINT_TABLE;
use curve25519_dalek_5::ristretto::{CompressedRistretto, RistrettoBasepointTable, RistrettoPoint};
use curve25519_dalek_5::scalar::Scalar;
use curve25519_dalek_5::traits::Identity;
use mpc_crypto::Block;
use rand_core::{CryptoRng, RngCore};
use sha2::{Digest, Sha256};
use subtle::{Choice, ConditionallySelectable};
use zeroize::Zeroizing;

use crate::error::{OtError, Result};
use crate::ristretto::{cores, decode_point, half, par_ranges, random_scalar, MAX_THREADS};
use crate::wire::{put_count, Reader};
use crate::MAX_BATCH;

/// Domain separation for the key-derivation hash.
const DOMAIN: &[u8] = b"mpc-ot/base/chou-orlandi/ristretto255/v1";
const TAG_SETUP: u8 = 0xB1;
const TAG_REPLY: u8 = 0xB2;

/// Multiples of the basepoint per item of the receiver's work queue.
const G_CHUNK: usize = 8;

/// Message 1, sender to receiver: the sender's point `A`.
#[derive(Debug, Clone)]
pub struct SenderSetup {
    a: CompressedRistretto,
    point: RistrettoPoint,
}

impl SenderSetup {
    const WHAT: &'static str = "base-OT sender setup";

    /// The wire encoding: tag `0xB1`, then the 32-byte compressed point.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(33);
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

/// Message 2, receiver to sender: one point `B_i` per OT.
#[derive(Debug, Clone)]
pub struct ReceiverReply {
    b: Vec<CompressedRistretto>,
    points: Vec<RistrettoPoint>,
}

impl ReceiverReply {
    const WHAT: &'static str = "base-OT receiver reply";

    /// The number of OTs this reply is for.
    pub fn len(&self) -> usize {
        self.b.len()
    }

    /// Whether the reply is for zero OTs.
    pub fn is_empty(&self) -> bool {
        self.b.is_empty()
    }

    /// The wire encoding: tag `0xB2`, a little-endian `u32` count, then 32 bytes per point.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(5 + 32 * self.b.len());
        out.push(TAG_REPLY);
        put_count(&mut out, self.b.len());
        for p in &self.b {
            out.extend_from_slice(p.as_bytes());
        }
        out
    }

    /// Decodes and validates a reply (every point canonical and not the identity).
    pub fn from_bytes(bytes: &[u8]) -> Result<ReceiverReply> {
        let mut r = Reader::new(Self::WHAT, bytes, TAG_REPLY)?;
        let n = r.count()?;
        if n > MAX_BATCH {
            return Err(r.malformed(format!("{n} points is more than the limit {MAX_BATCH}")));
        }
        r.expect_remaining(n.saturating_mul(32))?;
        let b = (0..n).map(|_| r.array32().map(CompressedRistretto)).collect::<Result<Vec<_>>>()?;
        r.finish()?;
        // Decompression (an inverse square root per point) is split over the cores.
        let points = par_ranges(n, |range| range.map(|i| decode_point(Self::WHAT, i, &b[i])).collect())?;
        Ok(ReceiverReply { b, points })
    }
}

/// The base-OT sender between its two messages: it holds its secret scalar.
pub struct Sender {
    a: Zeroizing<Scalar>,
    setup: SenderSetup,
    count: usize,
}

impl core::fmt::Debug for Sender {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("base::Sender").field("count", &self.count).finish_non_exhaustive()
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

    /// Consumes the receiver's reply and returns the key pairs `[k0_i, k1_i]`.
    pub fn finish(self, reply: &ReceiverReply) -> Result<Vec<[Block; 2]>> {
        if reply.len() != self.count {
            return Err(OtError::CountMismatch {
                what: ReceiverReply::WHAT,
                expected: self.count,
                got: reply.len(),
            });
        }
        // Every shared point goes through one batched compression (one field inversion
        // for all 2n points instead of one each). `double_and_compress_batch` encodes
        // 2*P, so the multiplications use a/2: 2*((a/2)*B_i) = a*B_i in the prime-order
        // group. The sender's one variable-base multiplication per OT stays
        // `(a/2) * B_i` (constant time); (a/2)*A = (a^2/2)*G is a fixed-base one.
        let half_a = Zeroizing::new(*self.a * half());
        let half_aa = Zeroizing::new(RISTRETTO_BASEPOINT_TABLE * &Zeroizing::new(*half_a * *self.a));
        par_ranges(self.count, |range| {
            let mut shared: Zeroizing<Vec<RistrettoPoint>> =
                Zeroizing::new(Vec::with_capacity(2 * range.len()));
            for p in &reply.points[range.clone()] {
                let p0 = *p * *half_a;
                // a*B_i - a*A is the identity exactly when B_i = A (public: a malicious
                // receiver's choice); the batched inversion skips zeros and encodes it as
                // the identity, as per-point compression does (tested below).
                shared.push(p0);
                shared.push(p0 - *half_aa);
            }
            let enc = Zeroizing::new(RistrettoPoint::double_and_compress_batch(shared.iter()));
            Ok(range
                .enumerate()
                .map(|(j, i)| {
                    let h = |p: &CompressedRistretto| derive(i, &self.setup.a, &reply.b[i], p);
                    [h(&enc[2 * j]), h(&enc[2 * j + 1])]
                })
                .collect())
        })
    }
}

/// The receiver's whole part: given the sender's setup and the choice bits, returns the
/// reply to send and the chosen keys `k_{c_i}`.
pub fn receive<R: RngCore + CryptoRng>(
    rng: &mut R,
    setup: &SenderSetup,
    choices: &[bool],
) -> Result<(ReceiverReply, Vec<Block>)> {
    if choices.len() > MAX_BATCH {
        return Err(OtError::InvalidArgument(format!("{} base OTs is more than {MAX_BATCH}", choices.len())));
    }
    // As the sender does, compress in one batch through `double_and_compress_batch`,
    // which encodes 2*P: work with halves, B_i/2 = (b_i/2)*G + c_i*(A/2) and
    // (b_i/2)*A, all multiplications by secret scalars constant time.
    let n = choices.len();
    // s_i = b_i/2, uniform as b_i is; drawn from `rng` in OT order before the work is
    // split over threads.
    let scalars: Zeroizing<Vec<Scalar>> = Zeroizing::new((0..n).map(|_| *random_scalar(rng)).collect());
    // A table for the sender's point makes the n multiplications by A fixed-base ones.
    // Building it is serial (about as long as 100 multiplications of G), so one thread
    // builds it while the others compute the multiples of G, chunk by chunk from a
    // shared queue that the table's thread joins when it is done: no core waits for
    // another, whatever the two costs are on this machine.
    let mut g_multiples: Zeroizing<Vec<RistrettoPoint>> = Zeroizing::new(vec![RistrettoPoint::identity(); n]);
    let queue = std::sync::Mutex::new(g_multiples.chunks_mut(G_CHUNK).enumerate());
    let g_work = || loop {
        // The lock only guards `next()`, which does not panic; a poisoned lock still
        // holds a valid iterator.
        let next = queue.lock().unwrap_or_else(|e| e.into_inner()).next();
        let Some((c, out)) = next else { break };
        for (j, o) in out.iter_mut().enumerate() {
            *o = RISTRETTO_BASEPOINT_TABLE * &scalars[c * G_CHUNK + j];
        }
    };
    let a_table = std::thread::scope(|s| {
        let table = s.spawn(|| {
            let t = RistrettoBasepointTable::create(&setup.point);
            g_work();
            t
        });
        let helpers: Vec<_> = (2..cores().min(MAX_THREADS)).map(|_| s.spawn(g_work)).collect();
        g_work();
        for h in helpers {
            h.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
        }
        // Table construction does not panic on a valid point; a panic is passed on.
        table.join().unwrap_or_else(|p| std::panic::resume_unwind(p))
    });
    let half_a = &a_table * &half();
    let per_ot = par_ranges(n, |range| {
        let mut halves: Zeroizing<Vec<RistrettoPoint>> = Zeroizing::new(Vec::with_capacity(2 * range.len()));
        let mut points = Vec::with_capacity(range.len());
        for i in range.clone() {
            let offset = RistrettoPoint::conditional_select(
                &RistrettoPoint::identity(),
                &half_a,
                Choice::from(choices[i] as u8),
            );
            let p = g_multiples[i] + offset;
            halves.push(p);
            halves.push(&a_table * &scalars[i]);
            points.push(p + p);
        }
        let enc = Zeroizing::new(RistrettoPoint::double_and_compress_batch(halves.iter()));
        Ok(range
            .enumerate()
            .map(|(j, i)| {
                let b = enc[2 * j];
                (b, points[j], derive(i, &setup.a, &b, &enc[2 * j + 1]))
            })
            .collect())
    })?;
    let b = per_ot.iter().map(|t| t.0).collect();
    let points = per_ot.iter().map(|t| t.1).collect();
    let keys = per_ot.iter().map(|t| t.2).collect();
    Ok((ReceiverReply { b, points }, keys))
}

/// The key-derivation hash: SHA-256(DOMAIN || i || A || B_i || enc(P)), first 16 bytes.
fn derive(i: usize, a: &CompressedRistretto, b: &CompressedRistretto, p: &CompressedRistretto) -> Block {
    let mut h = Sha256::new();
    h.update(DOMAIN);
    h.update((i as u64).to_le_bytes());
    h.update(a.as_bytes());
    h.update(b.as_bytes());
    h.update(p.as_bytes());
    let digest = Zeroizing::new(<[u8; 32]>::from(h.finalize()));
    let mut k = [0u8; 16];
    k.copy_from_slice(&digest[..16]);
    Block::from_bytes(k)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha12Rng;

    fn run(seed: u64, n: usize) -> (Vec<[Block; 2]>, Vec<bool>, Vec<Block>) {
        let mut rng = ChaCha12Rng::seed_from_u64(seed);
        let choices: Vec<bool> = (0..n).map(|_| rng.gen()).collect();
        let (sender, m1) = Sender::new(&mut rng, n).unwrap();
        let m1 = SenderSetup::from_bytes(&m1.to_bytes()).unwrap();
        let (m2, got) = receive(&mut rng, &m1, &choices).unwrap();
        let m2 = ReceiverReply::from_bytes(&m2.to_bytes()).unwrap();
        let keys = sender.finish(&m2).unwrap();
        (keys, choices, got)
    }

    #[test]
    fn receiver_gets_exactly_the_chosen_key() {
        for seed in 0..4 {
            let (keys, choices, got) = run(seed, 128);
            for i in 0..128 {
                let c = choices[i] as usize;
                assert_eq!(got[i], keys[i][c], "OT {i}");
                assert_ne!(got[i], keys[i][1 - c], "OT {i}: other key must differ");
            }
            // Keys are distinct across OTs (the index and B_i are hashed in).
            assert_ne!(keys[0][0], keys[1][0]);
        }
    }

    /// Known answers: the messages and keys of 5 OTs from a seeded generator, as the
    /// curve25519-dalek 4 implementation of this file (commit 0a40f43) produced them, so
    /// a change of curve library or of the batching cannot change the protocol unseen.
    #[test]
    fn known_answers_from_the_dalek_4_implementation() {
        let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
        let mut rng = ChaCha12Rng::seed_from_u64(42);
        let choices = [true, false, true, true, false];
        let (sender, m1) = Sender::new(&mut rng, 5).unwrap();
        let (m2, got) = receive(&mut rng, &m1, &choices).unwrap();
        let keys = sender.finish(&m2).unwrap();
        assert_eq!(hex(&m1.to_bytes()), "b14ae61cbeb3a06dfb20c389015abaae7358e3065eb2aa8d166cd5153e66a5e313");
        assert_eq!(
            hex(&Sha256::digest(m2.to_bytes())),
            "7e9cb7c3119e15e37808c442f3715fd3af19751dda3a40621cd888becb050764"
        );
        let want = [
            ["224c8784a050bacda2bf306156454e21", "5ddcc624e1f85f5d404f1c766454f418"],
            ["440f5269d4296910756d38bd19ed4121", "75adb18cad4d87cf142585da419708d9"],
            ["81325137a583baa9a816ae77b784df16", "53ca6954f55e832bc29de535a64540aa"],
            ["6f8d17f9807a0696241e240bde97e0de", "17ad56c18dd22396ec57c5311baf7747"],
            ["5c21af3d9b2177a07f0bb51b516d9e12", "e276bdaa493ea36452dc44db8a0c0c1a"],
        ];
        for i in 0..5 {
            assert_eq!([hex(&keys[i][0].to_bytes()), hex(&keys[i][1].to_bytes())], want[i], "OT {i}");
            assert_eq!(got[i], keys[i][usize::from(choices[i])], "OT {i}");
        }
    }

    #[test]
    fn half_is_the_inverse_of_two() {
        assert_eq!(half() + half(), Scalar::ONE);
        assert_eq!(half(), Scalar::from(2u64).invert());
    }

    /// The batched, halved computation gives exactly the keys of the per-point
    /// definition: k0 = H(i, A, B_i, enc(a*B_i)), k1 = H(i, A, B_i, enc(a*B_i - a*A)),
    /// and the receiver's reply encodes the points it holds.
    #[test]
    fn batched_paths_match_the_definition() {
        for (seed, n) in [(20u64, 128usize), (21, 1), (22, 37)] {
            let mut rng = ChaCha12Rng::seed_from_u64(seed);
            let choices: Vec<bool> = (0..n).map(|_| rng.gen()).collect();
            let (sender, m1) = Sender::new(&mut rng, n).unwrap();
            let a = *sender.a;
            let (m2, got) = receive(&mut rng, &m1, &choices).unwrap();
            for i in 0..n {
                assert_eq!(m2.points[i].compress(), m2.b[i], "OT {i}: reply encodes its point");
            }
            let keys = sender.finish(&m2).unwrap();
            let big_a = m1.point;
            for i in 0..n {
                let b = m2.points[i];
                let k0 = derive(i, &m1.a, &m2.b[i], &(b * a).compress());
                let k1 = derive(i, &m1.a, &m2.b[i], &(b * a - big_a * a).compress());
                assert_eq!(keys[i], [k0, k1], "OT {i}");
                assert_eq!(got[i], keys[i][choices[i] as usize], "OT {i}");
                assert_ne!(got[i], keys[i][1 - choices[i] as usize], "OT {i}");
            }
        }
    }

    /// A malicious receiver that sends B_i = A makes a*B_i - a*A the identity; the
    /// batched compression must encode it as the identity and leave the other points
    /// of the batch intact.
    #[test]
    fn reply_point_equal_to_a_is_handled() {
        let mut rng = ChaCha12Rng::seed_from_u64(23);
        let (sender, m1) = Sender::new(&mut rng, 3).unwrap();
        let a = *sender.a;
        let (m2, _) = receive(&mut rng, &m1, &[true, false, true]).unwrap();
        let mut bytes = m2.to_bytes();
        bytes[5 + 32..5 + 64].copy_from_slice(m1.a.as_bytes());
        let m2 = ReceiverReply::from_bytes(&bytes).unwrap();
        let keys = sender.finish(&m2).unwrap();
        for (i, (key, b)) in keys.iter().zip(&m2.points).enumerate() {
            let k0 = derive(i, &m1.a, &m2.b[i], &(b * a).compress());
            let k1 = derive(i, &m1.a, &m2.b[i], &(b * a - m1.point * a).compress());
            assert_eq!(*key, [k0, k1], "OT {i}");
        }
        let ident = RistrettoPoint::identity().compress();
        assert_eq!(keys[1][1], derive(1, &m1.a, &m1.a, &ident));
        assert_eq!(RistrettoPoint::double_and_compress_batch(&[RistrettoPoint::identity()]), vec![ident]);
    }

    #[test]
    fn zero_and_odd_counts() {
        let (keys, _, got) = run(9, 0);
        assert!(keys.is_empty() && got.is_empty());
        let (keys, choices, got) = run(10, 3);
        for i in 0..3 {
            assert_eq!(got[i], keys[i][choices[i] as usize]);
        }
    }

    #[test]
    fn malformed_messages_are_refused() {
        let mut rng = ChaCha12Rng::seed_from_u64(11);
        let (sender, m1) = Sender::new(&mut rng, 2).unwrap();
        let b1 = m1.to_bytes();
        assert!(matches!(SenderSetup::from_bytes(&b1[..32]), Err(OtError::Malformed { .. })));
        assert!(matches!(SenderSetup::from_bytes(&[]), Err(OtError::Malformed { .. })));
        let mut long = b1.clone();
        long.push(0);
        assert!(matches!(SenderSetup::from_bytes(&long), Err(OtError::Malformed { .. })));
        let mut tag = b1.clone();
        tag[0] = TAG_REPLY;
        assert!(matches!(SenderSetup::from_bytes(&tag), Err(OtError::Malformed { .. })));
        let mut ident = vec![TAG_SETUP];
        ident.extend_from_slice(&[0u8; 32]);
        assert!(matches!(SenderSetup::from_bytes(&ident), Err(OtError::InvalidPoint { .. })));
        // 2^255 - 1 is not a canonical field element encoding.
        let mut noncanon = vec![TAG_SETUP];
        noncanon.extend_from_slice(&[0xFF; 32]);
        assert!(matches!(SenderSetup::from_bytes(&noncanon), Err(OtError::InvalidPoint { .. })));

        let (m2, _) = receive(&mut rng, &m1, &[true, false]).unwrap();
        let b2 = m2.to_bytes();
        assert!(matches!(ReceiverReply::from_bytes(&b2[..b2.len() - 1]), Err(OtError::Malformed { .. })));
        let mut huge = b2.clone();
        huge[1..5].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(ReceiverReply::from_bytes(&huge), Err(OtError::Malformed { .. })));
        let mut bad = b2.clone();
        bad[5..37].copy_from_slice(&[0u8; 32]);
        assert!(matches!(ReceiverReply::from_bytes(&bad), Err(OtError::InvalidPoint { index: 0, .. })));
        // A reply for a different number of OTs is a count mismatch.
        let (m3, _) = receive(&mut rng, &m1, &[true]).unwrap();
        assert!(matches!(sender.finish(&m3), Err(OtError::CountMismatch { expected: 2, got: 1, .. })));
    }

    #[test]
    fn random_bytes_never_panic() {
        let mut rng = ChaCha12Rng::seed_from_u64(12);
        for len in 0..200 {
            let mut buf = vec![0u8; len];
            rng.fill(&mut buf[..]);
            if len > 0 {
                buf[0] = if len % 2 == 0 { TAG_SETUP } else { TAG_REPLY };
            }
            let _ = SenderSetup::from_bytes(&buf);
            let _ = ReceiverReply::from_bytes(&buf);
        }
    }
}
