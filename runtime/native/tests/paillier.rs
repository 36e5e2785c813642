//! Paillier tests: known-answer vectors (n = 512, 1024, 2048; explicit nonces), the three
//! encryption paths agreeing on decryption, homomorphisms on random signed values
//! (proptest), ciphertext validation, key-size policy and versioned serialisation.
//! Keys come from the vectors (no 2048-bit key generation in tests).

use crypto_bigint::BoxedUint;
use mpc_native::paillier::{
    decrypt_batch, encrypt_batch, Ciphertext, FixedBaseEncryptor, PaillierError, PublicKey, SecretKey,
};
use proptest::prelude::*;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use serde_json::Value;
use std::sync::OnceLock;

const KAT: &str = include_str!("vectors/paillier/paillier_kat_g_n_plus_1.json");

fn uint(s: &str) -> BoxedUint {
    let s = s.trim_start_matches("0x");
    let s = if s.len() % 2 == 1 { format!("0{s}") } else { s.to_owned() };
    let bytes = hex::decode(s).unwrap();
    let prec = ((bytes.len() as u32 * 8).max(64)).div_ceil(64) * 64;
    let mut padded = vec![0u8; (prec / 8) as usize - bytes.len()];
    padded.extend_from_slice(&bytes);
    BoxedUint::from_be_slice(&padded, prec).unwrap()
}

fn be(x: &BoxedUint) -> Vec<u8> {
    let b = x.to_be_bytes();
    let start = b.iter().position(|&v| v != 0).unwrap_or(b.len());
    b[start..].to_vec()
}

fn vectors() -> Vec<Value> {
    let v: Value = serde_json::from_str(KAT).unwrap();
    v["vectors"].as_array().unwrap().clone()
}

fn key(v: &Value) -> SecretKey {
    SecretKey::insecure_from_primes(&uint(v["p"].as_str().unwrap()), &uint(v["q"].as_str().unwrap())).unwrap()
}

/// The 512-bit vector key, shared by the property tests.
fn small_key() -> &'static SecretKey {
    static KEY: OnceLock<SecretKey> = OnceLock::new();
    KEY.get_or_init(|| key(&vectors()[0]))
}

fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

#[test]
fn known_answer_vectors() {
    let vs = vectors();
    assert_eq!(vs.len(), 3);
    for v in &vs {
        let sk = key(v);
        let pk = sk.public_key();
        assert_eq!(pk.bits() as u64, v["n_bits"].as_u64().unwrap());
        assert_eq!(be(pk.n()), be(&uint(v["n"].as_str().unwrap())));
        for e in v["encrypt"].as_array().unwrap() {
            let m = uint(e["m"].as_str().unwrap());
            let r = uint(e["r"].as_str().unwrap());
            let c = uint(e["c"].as_str().unwrap());
            let ct = pk.danger_encrypt_with_nonce(&m, &r).unwrap();
            assert_eq!(ct.to_be_bytes(), be(&c), "public encryption, n = {}", pk.bits());
            let ct2 = sk.danger_encrypt_with_nonce(&m, &r).unwrap();
            assert_eq!(ct2, ct, "CRT encryption");
            let parsed = pk.ciphertext_from_bytes(&be(&c)).unwrap();
            assert_eq!(be(&sk.decrypt(&parsed).unwrap()), be(&m));
        }
        let add = &v["add"];
        let c1 = pk.ciphertext_from_bytes(&be(&uint(add["c1"].as_str().unwrap()))).unwrap();
        let c2 = pk.ciphertext_from_bytes(&be(&uint(add["c2"].as_str().unwrap()))).unwrap();
        let sum = pk.add(&c1, &c2).unwrap();
        assert_eq!(sum.to_be_bytes(), be(&uint(add["c1*c2 mod n^2"].as_str().unwrap())));
        let mul = &v["scalar_mul"];
        let c = pk.ciphertext_from_bytes(&be(&uint(mul["c"].as_str().unwrap()))).unwrap();
        let k = uint(mul["k"].as_str().unwrap());
        let ck = pk.mul_plain(&c, &k).unwrap();
        assert_eq!(ck.to_be_bytes(), be(&uint(mul["c^k mod n^2"].as_str().unwrap())));
        assert_eq!(be(&sk.decrypt(&ck).unwrap()), be(&uint(mul["k*m mod n"].as_str().unwrap())));
    }
}

#[test]
fn encryption_paths_agree_and_rerandomise() {
    let sk = small_key();
    let pk = sk.public_key();
    let mut r = rng(1);
    let fb = FixedBaseEncryptor::new(pk, &mut r);
    for v in [0i128, 1, -1, 42, -123_456_789, i64::MAX as i128, i128::MIN + 1, i128::MAX] {
        let a = pk.encrypt_i128(v, &mut r).unwrap();
        let b = sk.encrypt(&pk.encode_signed(v), &mut r).unwrap();
        let c = fb.encrypt_i128(v, &mut r).unwrap();
        assert_ne!(a, b);
        for ct in [&a, &b, &c] {
            assert_eq!(sk.decrypt_i128(ct).unwrap(), v);
        }
        let rr = pk.rerandomize(&a, &mut r).unwrap();
        assert_ne!(rr, a);
        assert_eq!(sk.decrypt_i128(&rr).unwrap(), v);
        assert_eq!(sk.decrypt_i128(&fb.rerandomize(&a, &mut r).unwrap()).unwrap(), v);
    }
    let ms: Vec<BoxedUint> = (0..6u64).map(|i| BoxedUint::from(i * 1000)).collect();
    let cts = encrypt_batch(&fb, &ms, &mut r).unwrap();
    let back = decrypt_batch(sk, &cts).unwrap();
    for (m, b) in ms.iter().zip(&back) {
        assert_eq!(be(m), be(b));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn homomorphisms_on_signed_values(a in -(1i128 << 100)..(1i128 << 100), b in -(1i128 << 100)..(1i128 << 100), k in -(1i128 << 20)..(1i128 << 20), seed in any::<u64>()) {
        let sk = small_key();
        let pk = sk.public_key();
        let mut r = rng(seed);
        let ca = pk.encrypt_i128(a, &mut r).unwrap();
        let cb = sk.encrypt(&pk.encode_signed(b), &mut r).unwrap();
        prop_assert_eq!(sk.decrypt_i128(&pk.add(&ca, &cb).unwrap()).unwrap(), a + b);
        prop_assert_eq!(sk.decrypt_i128(&pk.add_plain(&ca, &pk.encode_signed(b)).unwrap()).unwrap(), a + b);
        prop_assert_eq!(sk.decrypt_i128(&pk.neg(&ca).unwrap()).unwrap(), -a);
        prop_assert_eq!(sk.decrypt_i128(&pk.mul_signed(&ca, k).unwrap()).unwrap(), a * k);
        prop_assert_eq!(sk.decrypt_i128(&pk.add(&ca, &pk.neg(&cb).unwrap()).unwrap()).unwrap(), a - b);
    }
}

#[test]
fn ciphertext_validation() {
    let sk = small_key();
    let pk = sk.public_key();
    let n = be(pk.n());
    // 0, n (shares a factor with n), n^2 and above, a multiple of p: all rejected.
    assert_eq!(pk.ciphertext_from_bytes(&[0]).unwrap_err(), PaillierError::InvalidCiphertext);
    assert_eq!(pk.ciphertext_from_bytes(&n).unwrap_err(), PaillierError::InvalidCiphertext);
    let v = &vectors()[0];
    let p = be(&uint(v["p"].as_str().unwrap()));
    assert_eq!(pk.ciphertext_from_bytes(&p).unwrap_err(), PaillierError::InvalidCiphertext);
    let too_big = vec![0xffu8; n.len() * 2];
    assert_eq!(pk.ciphertext_from_bytes(&too_big).unwrap_err(), PaillierError::InvalidCiphertext);
    let way_too_big = vec![0xffu8; n.len() * 2 + 8];
    assert_eq!(pk.ciphertext_from_bytes(&way_too_big).unwrap_err(), PaillierError::InvalidCiphertext);
    // A ciphertext of a 1024-bit key is not valid input for the 512-bit key's operations
    // when it exceeds n^2.
    let big = key(&vectors()[1]);
    let c = big.public_key().encrypt_u64(5, &mut rng(2)).unwrap();
    assert_eq!(pk.add(&c, &c).unwrap_err(), PaillierError::InvalidCiphertext);
    // Plaintexts must be below n.
    assert_eq!(pk.encrypt(pk.n(), &mut rng(3)).unwrap_err(), PaillierError::PlaintextOutOfRange);
    // Serialised ciphertexts with bad structure are refused.
    assert!(serde_json::from_str::<Ciphertext>(r#"{"v":2,"c":"05"}"#).is_err());
    assert!(serde_json::from_str::<Ciphertext>(r#"{"v":1,"c":"zz"}"#).is_err());
    let zero: Ciphertext = serde_json::from_str(r#"{"v":1,"c":"00"}"#).unwrap();
    assert_eq!(sk.decrypt(&zero).unwrap_err(), PaillierError::InvalidCiphertext);
}

#[test]
fn key_size_policy() {
    let v = &vectors()[1];
    let p = uint(v["p"].as_str().unwrap());
    let q = uint(v["q"].as_str().unwrap());
    assert_eq!(SecretKey::from_primes(&p, &q).unwrap_err(), PaillierError::KeyTooSmall(1024));
    assert_eq!(
        PublicKey::from_modulus(&uint(v["n"].as_str().unwrap())).unwrap_err(),
        PaillierError::KeyTooSmall(1024)
    );
    assert_eq!(SecretKey::generate(1024, &mut rng(4)).unwrap_err(), PaillierError::KeyTooSmall(1024));
    assert!(SecretKey::insecure_from_primes(&p, &p).is_err());
    let composite = p.wrapping_add(&BoxedUint::from(2u64).widen(p.bits_precision()));
    assert!(SecretKey::insecure_from_primes(&composite, &q).is_err());
    // Small keys can be generated for tests through the insecure constructor.
    let k = SecretKey::insecure_generate(512, &mut rng(5)).unwrap();
    assert_eq!(k.public_key().bits(), 512);
    let c = k.public_key().encrypt_u64(77, &mut rng(6)).unwrap();
    assert_eq!(k.decrypt_u64(&c).unwrap(), 77);
}

#[test]
fn serialisation_round_trips_and_is_versioned() {
    let v = &vectors()[2];
    let sk =
        SecretKey::from_primes(&uint(v["p"].as_str().unwrap()), &uint(v["q"].as_str().unwrap())).unwrap();
    let pk = sk.public_key();
    let pk_json = serde_json::to_string(pk).unwrap();
    assert!(pk_json.starts_with(r#"{"v":1,"n":""#));
    let pk2: PublicKey = serde_json::from_str(&pk_json).unwrap();
    assert_eq!(&pk2, pk);
    let sk_json = serde_json::to_string(&sk).unwrap();
    let sk2: SecretKey = serde_json::from_str(&sk_json).unwrap();
    let e = &v["encrypt"][2];
    let m = uint(e["m"].as_str().unwrap());
    let c = pk.danger_encrypt_with_nonce(&m, &uint(e["r"].as_str().unwrap())).unwrap();
    let c_json = serde_json::to_string(&c).unwrap();
    let c2: Ciphertext = serde_json::from_str(&c_json).unwrap();
    assert_eq!(c2, c);
    assert_eq!(be(&sk2.decrypt(&c2).unwrap()), be(&m));
    assert!(serde_json::from_str::<PublicKey>(&pk_json.replace(r#""v":1"#, r#""v":9"#)).is_err());
    assert!(serde_json::from_str::<SecretKey>(&sk_json.replace(r#""v":1"#, r#""v":0"#)).is_err());
    // Debug never prints the primes.
    let dbg = format!("{sk:?}");
    assert!(!dbg.contains(&hex::encode(be(&uint(v["p"].as_str().unwrap())))[..20]));
}

/// Sizes without a fixed-size Montgomery context take crypto-bigint's `BoxedMontyForm` path:
/// 640 bits (p^2 of 10 limbs, n^2 of 20) for everything, 768 and 1536 bits (p^2 of 12 and 24
/// limbs) for the secret-key side only (their n^2 has 24 and 48 limbs: fixed); 512 and 1024
/// bits take the fixed-size path everywhere. All must decrypt every encryption path and agree
/// on the homomorphisms.
#[test]
fn fixed_and_boxed_arithmetic_paths_agree() {
    let mut r = rng(11);
    for bits in [512u32, 640, 768, 1024, 1536] {
        let sk = SecretKey::insecure_generate(bits, &mut r).unwrap();
        let pk = sk.public_key();
        let fb = FixedBaseEncryptor::new(pk, &mut r);
        for v in [0i128, 1, -1, 123_456_789_012_345, -(1i128 << 100)] {
            let a = pk.encrypt_i128(v, &mut r).unwrap();
            let b = sk.encrypt(&pk.encode_signed(v), &mut r).unwrap();
            let c = fb.encrypt_i128(v, &mut r).unwrap();
            for ct in [&a, &b, &c] {
                assert_eq!(sk.decrypt_i128(ct).unwrap(), v, "n = {bits}");
            }
            assert_eq!(sk.decrypt_i128(&pk.add(&a, &b).unwrap()).unwrap(), 2 * v, "n = {bits}");
        }
        // m close to n (the largest plaintexts) round-trip too.
        let top = pk.n().wrapping_sub(&BoxedUint::one_with_precision(pk.n().bits_precision()));
        let ct = sk.encrypt(&top, &mut r).unwrap();
        assert_eq!(be(&sk.decrypt(&ct).unwrap()), be(&top), "n = {bits}");
        // 2n (not in Z*_{n^2}) is refused before decryption.
        let wide = pk.n().widen(2 * pk.n().bits_precision());
        let q_mult = pk.ciphertext_from_bytes(&be(&wide.wrapping_add(&wide)));
        assert_eq!(q_mult.unwrap_err(), PaillierError::InvalidCiphertext);
    }
}
