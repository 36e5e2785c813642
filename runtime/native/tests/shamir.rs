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

// ---------------------------------------------------------------------------------------
// SLIP-0039 (trezor/python-shamir-mnemonic vectors.json): GF(2^8)/0x11b sharing with the
// secret at x = 255 and a digest share at x = 254. Our shares put the secret at x = 0, so a
// SLIP-39 share at x is fed to our reconstruction at x' = x XOR 0xff: in characteristic 2,
// x -> x + 0xff is a translation, f(x' + 0xff) is a polynomial of the same degree in x', and
// its value at x' = 0 is f(255). Member indices 0..15 become 255..240 (non-zero, distinct)
// and the digest point 254 becomes 1. The mnemonic layer (word list, RS1024 checksum, share
// header, padding) and the passphrase Feistel cipher (PBKDF2-HMAC-SHA256) are implemented here
// in the test only, from the SLIP-0039 specification; `reconstruct_bytes` (the packed
// constant-time GF(2^8) path), `lagrange_coefficients` and `Gf256` arithmetic do the sharing.
// ---------------------------------------------------------------------------------------

const SLIP39_VECTORS: &str = include_str!("vectors/shamir/slip39_vectors.json");
const SLIP39_WORDS: &str = include_str!("vectors/shamir/slip39_wordlist.txt");

#[derive(Clone, Debug, PartialEq, Eq)]
struct Slip39Share {
    id: u32,
    extendable: bool,
    exponent: u32,
    group_index: u8,
    group_threshold: u8,
    group_count: u8,
    index: u8,
    member_threshold: u8,
    value: Vec<u8>,
}

fn rs1024_polymod(values: impl IntoIterator<Item = u32>) -> u32 {
    const GEN: [u32; 10] = [
        0xE0E040, 0x1C1C080, 0x3838100, 0x7070200, 0xE0E0009, 0x1C0C2412, 0x38086C24, 0x3090FC48, 0x21B1F890,
        0x3F3F120,
    ];
    let mut chk = 1u32;
    for v in values {
        let b = chk >> 20;
        chk = ((chk & 0xFFFFF) << 10) ^ v;
        for (i, g) in GEN.iter().enumerate() {
            if (b >> i) & 1 == 1 {
                chk ^= g;
            }
        }
    }
    chk
}

fn slip39_decode(
    mnemonic: &str,
    words: &std::collections::HashMap<&str, u32>,
) -> Result<Slip39Share, String> {
    let idx: Vec<u32> = mnemonic
        .split_whitespace()
        .map(|w| words.get(w).copied().ok_or_else(|| format!("unknown word {w}")))
        .collect::<Result<_, _>>()?;
    // 2 words id/exponent, 2 words share parameters, >= 13 words of value, 3 words checksum.
    if idx.len() < 20 {
        return Err("mnemonic too short".into());
    }
    let value_words = idx.len() - 7;
    let padding = (10 * value_words) % 16;
    if padding > 8 {
        return Err("invalid mnemonic length".into());
    }
    let id_exp = (idx[0] << 10) | idx[1];
    let extendable = (id_exp >> 4) & 1 == 1;
    let custom: &[u8] = if extendable { b"shamir_extendable" } else { b"shamir" };
    if rs1024_polymod(custom.iter().map(|&b| b as u32).chain(idx.iter().copied())) != 1 {
        return Err("invalid checksum".into());
    }
    let params = (idx[2] << 10) | idx[3];
    let nib = |k: u32| ((params >> (4 * k)) & 15) as u8;
    let share = Slip39Share {
        id: id_exp >> 5,
        extendable,
        exponent: id_exp & 15,
        group_index: nib(4),
        group_threshold: nib(3) + 1,
        group_count: nib(2) + 1,
        index: nib(1),
        member_threshold: nib(0) + 1,
        value: {
            let bits: Vec<u8> = idx[4..idx.len() - 3]
                .iter()
                .flat_map(|&w| (0..10).rev().map(move |k| ((w >> k) & 1) as u8))
                .collect();
            if bits[..padding].contains(&1) {
                return Err("invalid padding".into());
            }
            bits[padding..].chunks(8).map(|c| c.iter().fold(0u8, |acc, &b| (acc << 1) | b)).collect()
        },
    };
    if share.group_count < share.group_threshold {
        return Err("group threshold above group count".into());
    }
    if share.value.len() < 16 || !share.value.len().is_multiple_of(2) {
        return Err("invalid master secret length".into());
    }
    Ok(share)
}

fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    let mut k = [0u8; 64];
    if key.len() > 64 {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let inner = Sha256::new().chain_update(k.map(|b| b ^ 0x36)).chain_update(msg).finalize();
    Sha256::new().chain_update(k.map(|b| b ^ 0x5c)).chain_update(inner).finalize().into()
}

/// PBKDF2-HMAC-SHA256 for at most one output block.
fn pbkdf2_sha256(password: &[u8], salt: &[u8], iterations: u32, len: usize) -> Vec<u8> {
    let mut u = hmac_sha256(password, &[salt, &1u32.to_be_bytes()].concat());
    let mut t = u;
    for _ in 1..iterations {
        u = hmac_sha256(password, &u);
        t.iter_mut().zip(&u).for_each(|(a, b)| *a ^= b);
    }
    t[..len].to_vec()
}

/// SLIP-39 `_recover_secret`: our reconstruction at x' = x ^ 0xff, then the digest check.
fn slip39_recover_secret(threshold: u8, shares: &[(u8, Vec<u8>)]) -> Result<Vec<u8>, String> {
    if threshold == 1 {
        return Ok(shares[0].1.clone());
    }
    let split = SplitId([0x39; 16]);
    let ours: Vec<Share<Gf256>> = shares
        .iter()
        .map(|(x, v)| {
            Share::from_parts(
                split,
                threshold as u16,
                (*x ^ 0xff) as u16,
                v.iter().map(|&b| Gf256(b)).collect(),
            )
        })
        .collect::<Result<_, _>>()
        .map_err(|e| e.to_string())?;
    let secret = shamir::reconstruct_bytes(&ours).map_err(|e| e.to_string())?.to_vec();
    // The digest share at x = 254, i.e. x' = 1, with the generic field arithmetic.
    let xs: Vec<u16> = ours.iter().map(|s| s.x()).collect();
    let lambdas = shamir::lagrange_coefficients(&xs, Gf256(1)).map_err(|e| e.to_string())?;
    let digest_share: Vec<u8> = (0..secret.len())
        .map(|k| ours.iter().zip(&lambdas).fold(Gf256(0), |acc, (s, l)| acc + s.values()[k] * *l).0)
        .collect();
    if digest_share[..4] != hmac_sha256(&digest_share[4..], &secret)[..4] {
        return Err("invalid digest".into());
    }
    Ok(secret)
}

fn slip39_combine(mnemonics: &[&str], passphrase: &[u8]) -> Result<Vec<u8>, String> {
    let words: std::collections::HashMap<&str, u32> =
        SLIP39_WORDS.lines().enumerate().map(|(i, w)| (w.trim(), i as u32)).collect();
    let mut shares: Vec<Slip39Share> = Vec::new();
    for m in mnemonics {
        let s = slip39_decode(m, &words)?;
        if !shares.contains(&s) {
            shares.push(s);
        }
    }
    let first = shares.first().ok_or("no shares")?.clone();
    let common = |s: &Slip39Share| (s.id, s.extendable, s.exponent, s.group_threshold, s.group_count);
    if shares.iter().any(|s| common(s) != common(&first)) {
        return Err("mismatching common parameters".into());
    }
    let mut groups: std::collections::BTreeMap<u8, Vec<&Slip39Share>> = Default::default();
    for s in &shares {
        groups.entry(s.group_index).or_default().push(s);
    }
    if groups.len() != first.group_threshold as usize {
        return Err("wrong number of groups".into());
    }
    let mut group_shares = Vec::new();
    for (gi, members) in &groups {
        let t = members[0].member_threshold;
        if members.iter().any(|s| s.member_threshold != t) {
            return Err("mismatching member thresholds".into());
        }
        if members.len() != t as usize {
            return Err("wrong number of members".into());
        }
        let raw: Vec<(u8, Vec<u8>)> = members.iter().map(|s| (s.index, s.value.clone())).collect();
        group_shares.push((*gi, slip39_recover_secret(t, &raw)?));
    }
    let ems = slip39_recover_secret(first.group_threshold, &group_shares)?;
    // Feistel decryption, four rounds in reverse.
    let salt: Vec<u8> = if first.extendable {
        Vec::new()
    } else {
        [&b"shamir"[..], &(first.id as u16).to_be_bytes()].concat()
    };
    let half = ems.len() / 2;
    let (mut l, mut r) = (ems[..half].to_vec(), ems[half..].to_vec());
    for i in (0u8..4).rev() {
        let f = pbkdf2_sha256(
            &[&[i][..], passphrase].concat(),
            &[&salt[..], &r[..]].concat(),
            (10000u32 << first.exponent) / 4,
            r.len(),
        );
        let new_r: Vec<u8> = l.iter().zip(&f).map(|(a, b)| a ^ b).collect();
        l = std::mem::replace(&mut r, new_r);
    }
    Ok([r, l].concat())
}

#[test]
fn slip39_hmac_matches_rfc4231() {
    // RFC 4231 test case 2.
    assert_eq!(
        hex::encode(hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
}

#[test]
fn slip39_official_vectors() {
    let vectors: Value = serde_json::from_str(SLIP39_VECTORS).unwrap();
    let vectors = vectors.as_array().unwrap();
    assert_eq!(vectors.len(), 45);
    let (mut valid, mut invalid) = (0, 0);
    for v in vectors {
        let name = v[0].as_str().unwrap();
        let mnemonics: Vec<&str> = v[1].as_array().unwrap().iter().map(|m| m.as_str().unwrap()).collect();
        let expected = v[2].as_str().unwrap();
        let got = slip39_combine(&mnemonics, b"TREZOR");
        if expected.is_empty() {
            assert!(got.is_err(), "{name}: accepted an invalid set");
            invalid += 1;
        } else {
            assert_eq!(hex::encode(got.unwrap_or_else(|e| panic!("{name}: {e}"))), expected, "{name}");
            valid += 1;
        }
    }
    assert_eq!((valid, invalid), (15, 30));
}

#[test]
fn slip39_invalid_digest_is_caught_by_the_field_arithmetic() {
    // Vectors 13 and 32 pass every format check and fail only the digest computed from our
    // interpolation at x = 254; vector 41 is designed to catch modular-arithmetic mistakes.
    let vectors: Value = serde_json::from_str(SLIP39_VECTORS).unwrap();
    for i in [12usize, 31] {
        let mnemonics: Vec<&str> =
            vectors[i][1].as_array().unwrap().iter().map(|m| m.as_str().unwrap()).collect();
        assert_eq!(slip39_combine(&mnemonics, b"TREZOR").unwrap_err(), "invalid digest", "vector {}", i + 1);
    }
    let v41 = &vectors[40];
    assert!(v41[0].as_str().unwrap().contains("modular arithmetic"));
    let mnemonics: Vec<&str> = v41[1].as_array().unwrap().iter().map(|m| m.as_str().unwrap()).collect();
    assert_eq!(hex::encode(slip39_combine(&mnemonics, b"TREZOR").unwrap()), v41[2].as_str().unwrap());
}
