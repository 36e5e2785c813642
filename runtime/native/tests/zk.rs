//! Sigma-protocol tests: completeness, every proof field tampered, cross-statement and
//! cross-context failures, OR proofs for either branch, batch verification naming the bad
//! proof, serialisation round-trips, non-canonical encodings, and the RFC 9496 ristretto255
//! vectors the encodings rely on.

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT as G;
use curve25519_dalek::ristretto::{CompressedRistretto, RistrettoPoint};
use curve25519_dalek::scalar::Scalar;
use mpc_native::zk::{self, OrProof, Proof, ProofContext, Statement, ZkError};
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;
use serde_json::Value;

const CTX: ProofContext<'static> = ProofContext { protocol: b"mpc-test/v1", session: b"session-1" };

fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

fn scalar(r: &mut ChaCha20Rng) -> Scalar {
    let mut w = [0u8; 64];
    r.fill_bytes(&mut w);
    Scalar::from_bytes_mod_order_wide(&w)
}

fn h_point() -> RistrettoPoint {
    RistrettoPoint::hash_from_bytes::<sha2::Sha512>(b"mpc-test second generator")
}

fn statements(r: &mut ChaCha20Rng) -> (Scalar, Statement, Statement) {
    let x = scalar(r);
    let h = h_point();
    (x, Statement::dlog_generator(G * x), Statement::dlog_eq(G, G * x, h, h * x))
}

/// Flips one bit of every byte position in turn; each variant must fail to decode or verify.
fn assert_every_byte_matters(bytes: &[u8], check: impl Fn(&[u8]) -> bool) {
    for i in 0..bytes.len() {
        for bit in [0x01u8, 0x80] {
            let mut b = bytes.to_vec();
            b[i] ^= bit;
            assert!(!check(&b), "tampering byte {i} (bit {bit:#x}) was accepted");
        }
    }
}

#[test]
fn schnorr_and_chaum_pedersen_complete_and_sound() {
    let mut r = rng(1);
    let (x, dlog, eq) = statements(&mut r);
    for st in [&dlog, &eq] {
        let proof = zk::prove(&CTX, st, &x, &mut r).unwrap();
        zk::verify(&CTX, st, &proof).unwrap();
        let bytes = proof.to_bytes();
        assert_eq!(Proof::from_bytes(&bytes).unwrap(), proof);
        // Every field of the proof (each commitment, the response, the header) matters.
        assert_every_byte_matters(&bytes, |b| {
            Proof::from_bytes(b).is_ok_and(|p| zk::verify(&CTX, st, &p).is_ok())
        });
        // Another protocol id, session id or statement rejects it.
        let other_session = ProofContext { session: b"session-2", ..CTX };
        let other_protocol = ProofContext { protocol: b"mpc-other/v1", ..CTX };
        assert_eq!(zk::verify(&other_session, st, &proof), Err(ZkError::Invalid));
        assert_eq!(zk::verify(&other_protocol, st, &proof), Err(ZkError::Invalid));
        let y = scalar(&mut r);
        let other = Statement::from_pairs(st.pairs().iter().map(|(b, _)| (*b, b * y)).collect()).unwrap();
        assert_eq!(zk::verify(&CTX, &other, &proof), Err(ZkError::Invalid));
    }
    // A Schnorr proof is not a Chaum-Pedersen proof.
    let p = zk::prove(&CTX, &dlog, &x, &mut r).unwrap();
    assert_eq!(zk::verify(&CTX, &eq, &p), Err(ZkError::ShapeMismatch));
}

#[test]
fn unequal_logs_cannot_be_proven_and_wrong_witness_is_refused() {
    let mut r = rng(2);
    let x = scalar(&mut r);
    let y = scalar(&mut r);
    let h = h_point();
    let unequal = Statement::dlog_eq(G, G * x, h, h * y);
    assert_eq!(zk::prove(&CTX, &unequal, &x, &mut r), Err(ZkError::WrongWitness));
    assert_eq!(zk::prove(&CTX, &Statement::dlog_generator(G * x), &y, &mut r), Err(ZkError::WrongWitness));
}

#[test]
fn nonces_are_fresh_and_bound() {
    // Same statement and witness, different RNG streams: different commitments.
    let mut r = rng(3);
    let (x, dlog, _) = statements(&mut r);
    let a = zk::prove(&CTX, &dlog, &x, &mut rng(10)).unwrap();
    let b = zk::prove(&CTX, &dlog, &x, &mut rng(11)).unwrap();
    assert_ne!(a.commitments(), b.commitments());
    // Same RNG stream, different session: the transcript RNG still gives different nonces.
    let other = ProofContext { session: b"session-2", ..CTX };
    let c = zk::prove(&other, &dlog, &x, &mut rng(10)).unwrap();
    assert_ne!(a.commitments(), c.commitments());
}

#[test]
fn or_proofs_for_both_branches() {
    let mut r = rng(4);
    let (x, dlog, eq) = statements(&mut r);
    let unrelated = Statement::dlog_generator(G * scalar(&mut r));
    for (stmts, branch) in [([&dlog, &unrelated], 0usize), ([&unrelated, &eq], 1), ([&eq, &unrelated], 0)] {
        let proof = zk::prove_or(&CTX, stmts, branch, &x, &mut r).unwrap();
        zk::verify_or(&CTX, stmts, &proof).unwrap();
        let bytes = proof.to_bytes();
        assert_eq!(OrProof::from_bytes(&bytes).unwrap(), proof);
        assert_every_byte_matters(&bytes, |b| {
            OrProof::from_bytes(b).is_ok_and(|p| zk::verify_or(&CTX, stmts, &p).is_ok())
        });
        let swapped = [stmts[1], stmts[0]];
        assert!(zk::verify_or(&CTX, swapped, &proof).is_err());
        let other = ProofContext { session: b"x", ..CTX };
        assert!(zk::verify_or(&other, stmts, &proof).is_err());
    }
    // Neither branch true: the prover refuses.
    assert_eq!(zk::prove_or(&CTX, [&unrelated, &unrelated], 0, &x, &mut r), Err(ZkError::WrongWitness));
}

#[test]
fn batch_verification_accepts_good_and_names_bad() {
    let mut r = rng(5);
    let mut owned = Vec::new();
    for i in 0..8 {
        let (x, dlog, eq) = statements(&mut r);
        let st = if i % 2 == 0 { dlog } else { eq };
        let proof = zk::prove(&CTX, &st, &x, &mut r).unwrap();
        owned.push((st, proof));
    }
    let items: Vec<_> = owned.iter().map(|(s, p)| (CTX, s, p)).collect();
    zk::batch_verify(&items, &mut r).unwrap();
    // Replace proof 5 with a proof for another statement.
    let (y, st, _) = statements(&mut r);
    let wrong = zk::prove(&CTX, &st, &y, &mut r).unwrap();
    let mut items2 = items.clone();
    items2[4] = (CTX, &owned[4].0, &wrong);
    assert_eq!(zk::batch_verify(&items2, &mut r), Err(ZkError::InvalidInBatch(4)));
    zk::batch_verify(&[], &mut r).unwrap();
}

#[test]
fn non_canonical_encodings_are_rejected() {
    let mut r = rng(6);
    let (x, dlog, _) = statements(&mut r);
    let proof = zk::prove(&CTX, &dlog, &x, &mut r).unwrap();
    let good = proof.to_bytes();
    // Scalar s + l (non-canonical, same value mod l).
    let l: [u8; 32] = {
        let mut b = hex::decode("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010").unwrap();
        b.truncate(32);
        b.try_into().unwrap()
    };
    let s = proof.response().to_bytes();
    let mut sum = [0u8; 32];
    let mut carry = 0u16;
    for i in 0..32 {
        let v = s[i] as u16 + l[i] as u16 + carry;
        sum[i] = v as u8;
        carry = v >> 8;
    }
    if carry == 0 {
        let mut b = good.clone();
        b[34..].copy_from_slice(&sum);
        assert_eq!(Proof::from_bytes(&b), Err(ZkError::NonCanonicalScalar));
    }
    let mut b = good.clone();
    b[34..].copy_from_slice(&[0xff; 32]);
    assert_eq!(Proof::from_bytes(&b), Err(ZkError::NonCanonicalScalar));
    // Non-canonical point encodings: field element p (= 0 mod p), a negative field
    // element (odd low bit) and a non-square.
    let p_enc = hex::decode("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f").unwrap();
    let neg = hex::decode("0100000000000000000000000000000000000000000000000000000000000000").unwrap();
    for bad_point in [p_enc.as_slice(), neg.as_slice(), &[0xff; 32][..]] {
        let mut b = good.clone();
        b[2..34].copy_from_slice(bad_point);
        assert_eq!(Proof::from_bytes(&b), Err(ZkError::NonCanonicalPoint));
        assert_eq!(zk::point_from_bytes(bad_point), Err(ZkError::NonCanonicalPoint));
    }
    assert!(Proof::from_bytes(&good[..good.len() - 1]).is_err());
    assert!(Proof::from_bytes(&[]).is_err());
}

#[test]
fn rfc9496_ristretto255_vectors() {
    let v: Value = serde_json::from_str(include_str!("vectors/ristretto/rfc9496_ristretto255.json")).unwrap();
    let mut acc = RistrettoPoint::default();
    for (k, enc) in v["small_multiples_of_generator"].as_array().unwrap().iter().enumerate() {
        let enc = hex::decode(enc.as_str().unwrap()).unwrap();
        assert_eq!(acc.compress().as_bytes().as_slice(), enc.as_slice(), "k = {k}");
        assert_eq!(zk::point_from_bytes(&enc).unwrap(), acc);
        assert_eq!(G * Scalar::from(k as u64), acc);
        acc += G;
    }
    for pair in v["from_uniform_bytes"].as_array().unwrap() {
        let input: [u8; 64] = hex::decode(pair[0].as_str().unwrap()).unwrap().try_into().unwrap();
        let out = hex::decode(pair[1].as_str().unwrap()).unwrap();
        assert_eq!(
            RistrettoPoint::from_uniform_bytes(&input).compress(),
            CompressedRistretto::from_slice(&out).unwrap()
        );
    }
}

/// Base O made every proof verify (A = O satisfies s * O == A + c * O for any s), and
/// public O has the witness 0: both are refused with a typed error by every entry point.
#[test]
fn identity_bases_and_publics_are_refused() {
    use curve25519_dalek::traits::Identity;
    let o = RistrettoPoint::identity();
    let mut r = rng(9);
    let x = scalar(&mut r);
    let h = h_point();
    let forged = Proof::from_bytes(&[&[1u8, 1][..], &[0u8; 32], &[7u8; 32][..1], &[0u8; 31]].concat());
    let forged = forged.expect("a well-formed proof: commitment O, response 7");
    let bad = [
        Statement::dlog(o, o),
        Statement::dlog(o, h * x),
        Statement::dlog_generator(o),
        Statement::dlog_eq(G, G * x, o, o),
    ];
    for st in &bad {
        assert_eq!(st.check(), Err(ZkError::IdentityPoint));
        assert_eq!(zk::verify(&CTX, st, &forged), Err(ZkError::IdentityPoint));
        assert_eq!(zk::prove(&CTX, st, &Scalar::ZERO, &mut r).err(), Some(ZkError::IdentityPoint));
        let good = Statement::dlog_generator(G * x);
        assert_eq!(zk::prove_or(&CTX, [&good, st], 0, &x, &mut r).err(), Some(ZkError::IdentityPoint));
        assert_eq!(zk::batch_verify(&[(CTX, st, &forged)], &mut r), Err(ZkError::IdentityPoint));
    }
    assert_eq!(Statement::from_pairs(vec![(G, G * x), (o, o)]).err(), Some(ZkError::IdentityPoint));
    // The forged proof was accepted for (O, O) before: commitment O, any response.
    assert!(Statement::from_pairs(vec![(G, G * x)]).is_ok());
}
