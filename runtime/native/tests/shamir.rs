//! Shamir sharing tests: known-answer vectors (explicit coefficients, GF(2^8) and the
//! ristretto255 scalar field), property tests over random t, n, secrets and subsets, every
//! error case, encodings, refresh and Feldman VSS.

use curve25519_dalek::scalar::Scalar;
use mpc_native::shamir::{self, feldman, Field, Fp61, Gf256, Scalar25519, ShamirError, Share, SplitId};
use proptest::prelude::*;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use serde_json::Value;

const KAT: &str = include_str!("vectors/shamir/shamir_kat_explicit_coeffs.json");

fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

fn scalar_from_be_hex(s: &str) -> Scalar25519 {
    let s = s.trim_start_matches("0x");
    let padded = format!("{s:0>64}");
    let mut bytes = hex::decode(padded).unwrap();
    bytes.reverse();
    Scalar25519::from_bytes(&bytes).expect("canonical scalar in KAT")
}

/// All subsets of `0..n` of size `k`.
fn subsets(n: usize, k: usize) -> Vec<Vec<usize>> {
    (0u32..(1 << n))
        .filter(|m| m.count_ones() as usize == k)
        .map(|m| (0..n).filter(|i| m >> i & 1 == 1).collect())
        .collect()
}

#[test]
fn kat_gf256_explicit_coefficients() {
    let v: Value = serde_json::from_str(KAT).unwrap();
    let cases = v["gf256"].as_array().unwrap();
    assert!(!cases.is_empty());
    for case in cases {
        let t = case["threshold"].as_u64().unwrap() as usize;
        let n = case["num_shares"].as_u64().unwrap() as usize;
        let secret = hex::decode(case["secret"].as_str().unwrap()).unwrap();
        let polys: Vec<Vec<Gf256>> = case["coefficients_per_byte"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| hex::decode(p.as_str().unwrap()).unwrap().into_iter().map(Gf256).collect())
            .collect();
        let refs: Vec<&[Gf256]> = polys.iter().map(|p| p.as_slice()).collect();
        let shares = shamir::share_polynomials(SplitId([9; 16]), &refs, n).unwrap();
        let expected = case["shares"].as_array().unwrap();
        assert_eq!(expected.len(), n);
        for (share, e) in shares.iter().zip(expected) {
            assert_eq!(share.x() as u64, e["x"].as_u64().unwrap());
            let y: Vec<u8> = share.values().iter().map(|g| g.0).collect();
            assert_eq!(hex::encode(y), e["y"].as_str().unwrap());
        }
        for subset in subsets(n.min(5), t) {
            let picked: Vec<Share<Gf256>> = subset.iter().map(|&i| shares[i].clone()).collect();
            assert_eq!(shamir::reconstruct_bytes(&picked).unwrap().as_slice(), secret.as_slice());
        }
    }
}

#[test]
fn kat_ristretto_scalar_field() {
    let v: Value = serde_json::from_str(KAT).unwrap();
    let cases = v["prime_field_ristretto_scalar"].as_array().unwrap();
    assert!(!cases.is_empty());
    for case in cases {
        let t = case["threshold"].as_u64().unwrap() as usize;
        let n = case["num_shares"].as_u64().unwrap() as usize;
        let secret = scalar_from_be_hex(case["secret"].as_str().unwrap());
        let coeffs: Vec<Scalar25519> = case["coefficients"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| scalar_from_be_hex(c.as_str().unwrap()))
            .collect();
        let shares = shamir::share_polynomials(SplitId([1; 16]), &[&coeffs], n).unwrap();
        for (share, e) in shares.iter().zip(case["shares"].as_array().unwrap()) {
            assert_eq!(share.x() as u64, e["x"].as_u64().unwrap());
            assert_eq!(share.values()[0].0, scalar_from_be_hex(e["y"].as_str().unwrap()).0);
        }
        for subset in subsets(n.min(5), t) {
            let picked: Vec<Share<Scalar25519>> = subset.iter().map(|&i| shares[i].clone()).collect();
            assert_eq!(shamir::reconstruct(&picked).unwrap()[0].0, secret.0);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn prop_bytes_roundtrip_any_subset(
        secret in proptest::collection::vec(any::<u8>(), 0..64),
        n in 1usize..12,
        t_frac in 0.0f64..1.0,
        seed in any::<u64>(),
        pick_seed in any::<u64>(),
    ) {
        let t = 1 + ((n - 1) as f64 * t_frac) as usize;
        let shares = shamir::split_bytes(&secret, t, n, &mut rng(seed)).unwrap();
        prop_assert_eq!(shares.len(), n);
        // A pseudo-random subset of size k >= t, in pseudo-random order.
        let mut idx: Vec<usize> = (0..n).collect();
        let mut s = pick_seed;
        for i in (1..n).rev() {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            idx.swap(i, (s >> 33) as usize % (i + 1));
        }
        let k = t + (pick_seed as usize % (n - t + 1));
        let picked: Vec<Share<Gf256>> = idx[..k].iter().map(|&i| shares[i].clone()).collect();
        let got = shamir::reconstruct_bytes(&picked).unwrap();
        prop_assert_eq!(got.as_slice(), secret.as_slice());
        if t > 1 {
            let few: Vec<Share<Gf256>> = idx[..t - 1].iter().map(|&i| shares[i].clone()).collect();
            let too_few = matches!(shamir::reconstruct_bytes(&few), Err(ShamirError::TooFewShares { .. }));
            prop_assert!(too_few);
        }
    }

    #[test]
    fn prop_fp61_roundtrip(values in proptest::collection::vec(0u64..Fp61::MODULUS, 1..8), n in 1usize..20, t_frac in 0.0f64..1.0, seed in any::<u64>()) {
        let t = 1 + ((n - 1) as f64 * t_frac) as usize;
        let secret: Vec<Fp61> = values.iter().map(|&v| Fp61::new(v).unwrap()).collect();
        let shares = shamir::split(&secret, t, n, &mut rng(seed)).unwrap();
        let picked: Vec<Share<Fp61>> = shares.iter().rev().take(t).cloned().collect();
        let got: Vec<u64> = shamir::reconstruct(&picked).unwrap().iter().map(|f| f.value()).collect();
        prop_assert_eq!(got, values);
    }

    #[test]
    fn prop_scalar_roundtrip_and_refresh(seed in any::<u64>(), n in 2usize..9, t_frac in 0.0f64..1.0) {
        let t = 1 + ((n - 1) as f64 * t_frac) as usize;
        let mut r = rng(seed);
        let secret = Scalar25519::random(&mut r);
        let shares = shamir::split(&[secret], t, n, &mut r).unwrap();
        let fresh = shamir::refresh(&shares, &mut r).unwrap();
        prop_assert_ne!(fresh[0].split_id(), shares[0].split_id());
        let picked: Vec<_> = fresh.iter().skip(n - t).cloned().collect();
        prop_assert_eq!(shamir::reconstruct(&picked).unwrap()[0].0, secret.0);
    }
}

#[test]
fn coefficients_take_every_value_including_zero() {
    // With t = 2 the share at x=1 minus the secret is the random coefficient; over many
    // splits of a one-byte secret every byte value (zero included) must appear.
    let mut seen = [false; 256];
    let mut r = rng(11);
    for _ in 0..4000 {
        let s = shamir::split_bytes(&[0x42], 2, 2, &mut r).unwrap();
        seen[(s[0].values()[0].0 ^ 0x42) as usize] = true;
    }
    assert!(seen.iter().all(|&b| b));
}

#[test]
fn parameter_errors() {
    let mut r = rng(1);
    assert_eq!(shamir::split_bytes(b"x", 0, 3, &mut r).unwrap_err(), ShamirError::ZeroThreshold);
    assert_eq!(
        shamir::split_bytes(b"x", 4, 3, &mut r).unwrap_err(),
        ShamirError::ThresholdAboveShares { threshold: 4, shares: 3 }
    );
    assert!(matches!(
        shamir::split_bytes(b"x", 2, 256, &mut r),
        Err(ShamirError::TooManyShares { max: 255, .. })
    ));
    assert!(shamir::split_bytes(b"x", 2, 255, &mut r).is_ok());
    assert!(matches!(
        shamir::split(&[Fp61::one()], 2, 70_000, &mut r),
        Err(ShamirError::TooManyShares { max: 65535, .. })
    ));
}

#[test]
fn reconstruction_errors() {
    let mut r = rng(2);
    let a = shamir::split_bytes(b"secret one", 3, 5, &mut r).unwrap();
    let b = shamir::split_bytes(b"secret two", 3, 5, &mut r).unwrap();
    assert_eq!(shamir::reconstruct_bytes(&[]).unwrap_err(), ShamirError::NoShares);
    assert_eq!(
        shamir::reconstruct_bytes(&a[..2]).unwrap_err(),
        ShamirError::TooFewShares { have: 2, need: 3 }
    );
    assert_eq!(
        shamir::reconstruct_bytes(&[a[0].clone(), a[1].clone(), b[2].clone()]).unwrap_err(),
        ShamirError::MixedSplits
    );
    assert_eq!(
        shamir::reconstruct_bytes(&[a[0].clone(), a[1].clone(), a[1].clone()]).unwrap_err(),
        ShamirError::DuplicateShareId(2)
    );
    // A tampered extra share is caught by the consistency check and named.
    let mut vals: Vec<Gf256> = a[4].values().to_vec();
    vals[3] = Gf256(vals[3].0 ^ 1);
    let forged = Share::from_parts(a[4].split_id(), 3, 5, vals).unwrap();
    assert_eq!(
        shamir::reconstruct_bytes(&[a[0].clone(), a[1].clone(), a[2].clone(), forged]).unwrap_err(),
        ShamirError::InconsistentShare { x: 5 }
    );
    assert_eq!(
        Share::<Gf256>::from_parts(SplitId([0; 16]), 2, 0, vec![]).unwrap_err(),
        ShamirError::ZeroShareId
    );
    assert_eq!(
        Share::<Gf256>::from_parts(SplitId([0; 16]), 0, 1, vec![]).unwrap_err(),
        ShamirError::ZeroThreshold
    );
    // Different lengths within one split.
    let short = Share::from_parts(a[2].split_id(), 3, 3, a[2].values()[..4].to_vec()).unwrap();
    assert_eq!(
        shamir::reconstruct_bytes(&[a[0].clone(), a[1].clone(), short]).unwrap_err(),
        ShamirError::LengthMismatch
    );
}

#[test]
fn encodings_roundtrip_and_reject_corruption() {
    let mut r = rng(3);
    let shares = shamir::split_bytes(b"\x00\x01binary\xff", 2, 3, &mut r).unwrap();
    for s in &shares {
        let text = s.to_text();
        assert!(text.starts_with("mpcss1-gf256-2-"));
        let back = Share::<Gf256>::from_text(&text).unwrap();
        assert_eq!(back.to_text(), text);
        let bin = s.to_bytes();
        assert_eq!(Share::<Gf256>::from_bytes(&bin).unwrap().to_bytes(), bin);
        // Every single-byte corruption of the binary form is rejected.
        for i in 0..bin.len() {
            let mut c = bin.clone();
            c[i] ^= 0x10;
            assert!(Share::<Gf256>::from_bytes(&c).is_err(), "byte {i}");
        }
        // Text corruption: a changed value digit fails the checksum.
        let mut chars: Vec<char> = text.chars().collect();
        let pos = text.len() - 12;
        chars[pos] = if chars[pos] == '0' { '1' } else { '0' };
        let bad: String = chars.into_iter().collect();
        assert_eq!(Share::<Gf256>::from_text(&bad).unwrap_err(), ShamirError::BadChecksum);
    }
    let text = shares[0].to_text();
    assert!(matches!(Share::<Fp61>::from_text(&text), Err(ShamirError::WrongField { .. })));
    assert!(Share::<Gf256>::from_text(&text.to_uppercase()).is_err());
    assert!(Share::<Gf256>::from_text("mpcss1-gf256-02-1-00-00-00").is_err());
    assert!(Share::<Gf256>::from_text("garbage").is_err());
    assert!(Share::<Gf256>::from_text("").is_err());
    assert!(Share::<Gf256>::from_text(&text.replace("mpcss1", "mpcss2")).is_err());
    // Non-canonical Fp61 element in an otherwise valid binary share.
    let fp = shamir::split(&[Fp61::one()], 1, 1, &mut r).unwrap();
    let mut bin = fp[0].to_bytes();
    bin.truncate(bin.len() - 4);
    let n = bin.len();
    bin[n - 8..].copy_from_slice(&Fp61::MODULUS.to_le_bytes());
    let check = <sha2::Sha256 as sha2::Digest>::digest(&bin);
    bin.extend_from_slice(&check[..4]);
    assert!(matches!(Share::<Fp61>::from_bytes(&bin), Err(ShamirError::Malformed(_))));
}

#[test]
fn refresh_changes_shares_keeps_secret_and_isolates_old_shares() {
    let mut r = rng(4);
    let shares = shamir::split_bytes(b"proactive", 2, 4, &mut r).unwrap();
    let fresh = shamir::refresh(&shares, &mut r).unwrap();
    assert_eq!(shamir::reconstruct_bytes(&fresh[2..]).unwrap().as_slice(), b"proactive");
    assert_ne!(
        fresh[0].values().iter().map(|g| g.0).collect::<Vec<_>>(),
        shares[0].values().iter().map(|g| g.0).collect::<Vec<_>>()
    );
    assert_eq!(
        shamir::reconstruct_bytes(&[shares[0].clone(), fresh[1].clone()]).unwrap_err(),
        ShamirError::MixedSplits
    );
}

#[test]
fn feldman_verifies_and_names_bad_shares() {
    let mut r = rng(5);
    let secret = Scalar::from(123_456_789u64);
    let (shares, comms) = feldman::split(&secret, 3, 5, &mut r).unwrap();
    for s in &shares {
        feldman::verify_share(&comms, s).unwrap();
    }
    assert_eq!(feldman::reconstruct(&comms, &shares[1..4]).unwrap(), secret);
    // Tamper with shares 2 and 4.
    let tamper = |s: &Share<Scalar25519>| {
        Share::from_parts(s.split_id(), 3, s.x(), vec![Scalar25519(s.values()[0].0 + Scalar::ONE)]).unwrap()
    };
    let set = vec![shares[0].clone(), tamper(&shares[1]), shares[2].clone(), tamper(&shares[3])];
    assert_eq!(feldman::reconstruct(&comms, &set).unwrap_err(), ShamirError::BadShares(vec![2, 4]));
    // Commitments round-trip and reject non-canonical points.
    let bytes = comms.to_bytes();
    assert_eq!(feldman::Commitments::from_bytes(&bytes).unwrap(), comms);
    let mut bad = bytes.clone();
    bad[19..51].copy_from_slice(&[0xff; 32]);
    assert!(feldman::Commitments::from_bytes(&bad).is_err());
    assert!(feldman::Commitments::from_bytes(&bytes[..bytes.len() - 1]).is_err());
    // Shares of another dealing are refused.
    let (other, _) = feldman::split(&secret, 3, 5, &mut r).unwrap();
    assert_eq!(feldman::verify_share(&comms, &other[0]).unwrap_err(), ShamirError::MixedSplits);
}
