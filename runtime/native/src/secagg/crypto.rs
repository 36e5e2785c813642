//! The symmetric pieces of secure aggregation: key derivation, authenticated
//! encryption of shares, mask expansion and the encoding of 32-byte secrets as
//! Shamir field elements.
//!
//! - [`kdf`]: SHA-256 over a label, the session id and the input keying material.
//! - [`seal`]/[`open`]: encrypt-then-MAC with a ChaCha20 keystream and HMAC-SHA-256
//!   (RFC 2104), separate keys for each; the tag covers the associated data (session,
//!   sender, receiver) and is compared in constant time. Each key seals one message.
//! - [`expand_mask`]: the mask PRG's output reduced to `[0, m)`: masking with the low
//!   bits when `m` is a power of two, rejection sampling otherwise, so masks are
//!   uniform. The mask PRG is AES-128 in counter mode (`mpc_crypto::Prg`, AES-NI where
//!   the CPU has it) keyed with the first 16 bytes of the 32-byte seed (a KDF output or
//!   a uniform self-mask seed); its 64-bit words are the little-endian halves of the
//!   counter blocks, low half first. 128-bit security, as the rest of the toolkit.
//!   [`apply_mask`] adds or subtracts the same mask into a vector in place, in chunks,
//!   with no division when `m` is a power of two.
//! - [`secret_to_field`]/[`field_to_secret`]: 32 bytes as five 56-bit `Fp61` elements,
//!   so up to 65535 clients can hold shares (GF(2^8) would stop at 255).

use mpc_crypto::{Block, Prg};
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::{Modulus, SecaggError};
use crate::shamir::{Field, Fp61};

/// SHA-256(label || len(sid) || sid || ikm) as a 32-byte key.
pub fn kdf(label: &[u8], session: &[u8; 32], ikm: &[u8]) -> Zeroizing<[u8; 32]> {
    let mut h = Sha256::new();
    h.update((label.len() as u32).to_be_bytes());
    h.update(label);
    h.update(session);
    h.update(ikm);
    Zeroizing::new(h.finalize().into())
}

fn hmac_sha256(key: &[u8; 32], parts: &[&[u8]]) -> [u8; 32] {
    let mut ipad = [0x36u8; 64];
    let mut opad = [0x5cu8; 64];
    for i in 0..32 {
        ipad[i] ^= key[i];
        opad[i] ^= key[i];
    }
    let mut inner = Sha256::new();
    inner.update(ipad);
    for p in parts {
        inner.update((p.len() as u64).to_be_bytes());
        inner.update(p);
    }
    let mut outer = Sha256::new();
    outer.update(opad);
    outer.update(inner.finalize());
    outer.finalize().into()
}

fn keystream_xor(key: &[u8; 32], data: &mut [u8]) {
    let mut rng = ChaCha20Rng::from_seed(*key);
    let mut ks = Zeroizing::new(vec![0u8; data.len()]);
    rng.fill_bytes(&mut ks);
    for (d, k) in data.iter_mut().zip(ks.iter()) {
        *d ^= k;
    }
}

/// Encrypts `plaintext` under the 32-byte `key` (used once) with associated data `ad`;
/// the output is ciphertext || 32-byte tag.
pub fn seal(key: &[u8; 32], ad: &[u8], plaintext: &[u8]) -> Vec<u8> {
    let enc = kdf(b"secagg enc", key, b"");
    let mac = kdf(b"secagg mac", key, b"");
    let mut out = plaintext.to_vec();
    keystream_xor(&enc, &mut out);
    let tag = hmac_sha256(&mac, &[ad, &out]);
    out.extend_from_slice(&tag);
    out
}

/// Checks and decrypts the output of [`seal`].
pub fn open(key: &[u8; 32], ad: &[u8], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, SecaggError> {
    if sealed.len() < 32 {
        return Err(SecaggError::Decrypt);
    }
    let (ct, tag) = sealed.split_at(sealed.len() - 32);
    let enc = kdf(b"secagg enc", key, b"");
    let mac = kdf(b"secagg mac", key, b"");
    let expect = hmac_sha256(&mac, &[ad, ct]);
    if !bool::from(expect.ct_eq(tag)) {
        return Err(SecaggError::Decrypt);
    }
    let mut out = Zeroizing::new(ct.to_vec());
    keystream_xor(&enc, &mut out);
    Ok(out)
}

/// Whether [`apply_mask`] adds or subtracts the mask.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sign {
    /// `acc + mask`.
    Add,
    /// `acc - mask`.
    Sub,
}

/// PRG words drawn per call in [`apply_mask`] (4 KiB).
const CHUNK: usize = 512;

/// The mask PRG of a seed (see the module docs).
fn mask_prg(seed: &[u8; 32]) -> Prg {
    let mut key = Zeroizing::new([0u8; 16]);
    key.copy_from_slice(&seed[..16]);
    Prg::from_seed(*key)
}

/// Fills `out` with the next 64-bit words of the mask stream (whole blocks are drawn;
/// an odd `out.len()` drops the last block's high half, which only happens at the end
/// of a mask, so every mask uses a prefix of the same word sequence).
fn fill_words(prg: &mut Prg, blocks: &mut [Block; CHUNK / 2], out: &mut [u64]) {
    let blocks = &mut blocks[..out.len().div_ceil(2)];
    prg.fill_blocks(blocks);
    for (pair, b) in out.chunks_mut(2).zip(blocks.iter()) {
        let x = b.to_u128();
        pair[0] = x as u64; // low half
        if let Some(h) = pair.get_mut(1) {
            *h = (x >> 64) as u64;
        }
    }
}

/// `acc[i] = acc[i] +- expand_mask(seed, modulus, acc.len())[i] mod m` for reduced
/// `acc`, without materialising the mask: the PRG output is drawn in 4 KiB chunks and
/// folded into `acc` directly. This is the hot loop of both client and server.
pub fn apply_mask(acc: &mut [u64], seed: &[u8; 32], modulus: Modulus, sign: Sign) {
    let mut rng = mask_prg(seed);
    let m = modulus.value();
    let mut bytes = Zeroizing::new([Block::ZERO; CHUNK / 2]);
    let mut words = Zeroizing::new([0u64; CHUNK]);
    if m.is_power_of_two() {
        // (a +- r) mod 2^k = (a +- (r mod 2^k)) mod 2^k: wrap in u64, then mask.
        let mask = (m - 1) as u64; // m <= 2^64, so m - 1 fits
        for chunk in acc.chunks_mut(CHUNK) {
            let w = &mut words[..chunk.len()];
            fill_words(&mut rng, &mut bytes, w);
            match sign {
                Sign::Add => chunk.iter_mut().zip(w.iter()).for_each(|(a, r)| *a = a.wrapping_add(*r) & mask),
                Sign::Sub => chunk.iter_mut().zip(w.iter()).for_each(|(a, r)| *a = a.wrapping_sub(*r) & mask),
            }
        }
    } else {
        // m < 2^64 here: the same rejection sampling as `expand_mask`, consuming the
        // words in the same order.
        let m64 = m as u64; // m < 2^64
        let zone = ((1u128 << 64) / m) * m;
        let mut pos = CHUNK;
        for a in acc.iter_mut() {
            let r = loop {
                if pos == CHUNK {
                    fill_words(&mut rng, &mut bytes, &mut words[..]);
                    pos = 0;
                }
                let v = words[pos];
                pos += 1;
                if u128::from(v) < zone {
                    break v % m64;
                }
            };
            *a = match sign {
                Sign::Add => modulus.add(*a, r),
                Sign::Sub => modulus.sub(*a, r),
            };
        }
    }
}

/// `dim` uniform values in `[0, m)` from the PRG seeded with `seed`: the reference
/// definition of a mask ([`apply_mask`] must agree with it; a test checks).
pub fn expand_mask(seed: &[u8; 32], modulus: Modulus, dim: usize) -> Vec<u64> {
    // The word sequence, one block at a time (low half, then high half).
    let mut prg = mask_prg(seed);
    let mut pending: Option<u64> = None;
    let mut next_word = move || match pending.take() {
        Some(h) => h,
        None => {
            let x = prg.random_block().to_u128();
            pending = Some((x >> 64) as u64);
            x as u64
        }
    };
    let m = modulus.value();
    let mut out = Vec::with_capacity(dim);
    if m.is_power_of_two() {
        let mask = (m - 1) as u64; // m <= 2^64, so m - 1 fits
        out.extend((0..dim).map(|_| next_word() & mask));
    } else {
        // m < 2^64 here: accept v < zone = floor(2^64 / m) * m, output v mod m.
        let zone = ((1u128 << 64) / m) * m;
        while out.len() < dim {
            let v = next_word();
            if u128::from(v) < zone {
                out.push((u128::from(v) % m) as u64); // < m < 2^64
            }
        }
    }
    out
}

/// A 32-byte secret as five `Fp61` elements of 7 bytes each (the last padded).
pub fn secret_to_field(secret: &[u8; 32]) -> Vec<Fp61> {
    let mut padded = [0u8; 35];
    padded[..32].copy_from_slice(secret);
    let out = padded
        .chunks(7)
        .map(|c| {
            let mut b = [0u8; 8];
            b[..7].copy_from_slice(c);
            Fp61::from_u64(u64::from_le_bytes(b)) // < 2^56 < p: no reduction
        })
        .collect();
    zeroize::Zeroize::zeroize(&mut padded);
    out
}

/// The inverse of [`secret_to_field`]; fails on values that no secret encodes.
pub fn field_to_secret(elems: &[Fp61]) -> Result<Zeroizing<[u8; 32]>, SecaggError> {
    if elems.len() != 5 {
        return Err(SecaggError::Malformed("a reconstructed secret has the wrong length".into()));
    }
    let mut padded = Zeroizing::new([0u8; 35]);
    for (i, e) in elems.iter().enumerate() {
        let v = e.value();
        if v >> 56 != 0 {
            return Err(SecaggError::Malformed("a reconstructed secret is out of range".into()));
        }
        padded[i * 7..i * 7 + 7].copy_from_slice(&v.to_le_bytes()[..7]);
    }
    if padded[32..].iter().any(|&b| b != 0) {
        return Err(SecaggError::Malformed("a reconstructed secret has non-zero padding".into()));
    }
    let mut out = Zeroizing::new([0u8; 32]);
    out.copy_from_slice(&padded[..32]);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_round_trip_and_tamper() {
        let key = [9u8; 32];
        let ct = seal(&key, b"ad", b"hello shares");
        assert_eq!(&open(&key, b"ad", &ct).unwrap()[..], b"hello shares");
        assert!(open(&key, b"other ad", &ct).is_err());
        let mut bad = ct.clone();
        bad[0] ^= 1;
        assert!(open(&key, b"ad", &bad).is_err());
        assert!(open(&[8u8; 32], b"ad", &ct).is_err());
        assert!(open(&key, b"ad", &ct[..10]).is_err());
    }

    #[test]
    fn masks_are_reduced_and_deterministic() {
        let m = Modulus::new(1000).unwrap();
        let a = expand_mask(&[1; 32], m, 5000);
        assert!(a.iter().all(|&v| v < 1000));
        assert_eq!(a, expand_mask(&[1; 32], m, 5000));
        // Roughly uniform: each decile gets about 500.
        let mut dec = [0u32; 10];
        for v in &a {
            dec[(*v / 100) as usize] += 1;
        }
        assert!(dec.iter().all(|&c| (400..600).contains(&c)), "{dec:?}");
        let p = expand_mask(&[1; 32], Modulus::power_of_two(64).unwrap(), 3);
        assert_eq!(p.len(), 3);
        let p = expand_mask(&[1; 32], Modulus::power_of_two(3).unwrap(), 100);
        assert!(p.iter().all(|&v| v < 8));
        let big = expand_mask(&[2; 32], Modulus::new((1u128 << 64) - 1).unwrap(), 100);
        assert!(big.iter().all(|&v| v < u64::MAX));
    }

    #[test]
    fn mask_prg_is_aes128_ctr_under_the_seed_prefix() {
        // Independent path: AES-128 under the key seed[..16] through FixedKeyAes, on
        // counter blocks 0, 1, 2, ...; words are the blocks' low then high halves.
        let seed: [u8; 32] = core::array::from_fn(|i| (i as u8).wrapping_mul(37).wrapping_add(5));
        let mut key = [0u8; 16];
        key.copy_from_slice(&seed[..16]);
        let aes = mpc_crypto::FixedKeyAes::new(key);
        let want: Vec<u64> = (0..8u128)
            .flat_map(|i| {
                let x = aes.permute(Block::from_u128(i)).to_u128();
                [x as u64, (x >> 64) as u64]
            })
            .collect();
        let m = Modulus::new(1u128 << 64).unwrap();
        assert_eq!(expand_mask(&seed, m, 16), want);
        let mut acc = vec![0u64; 15];
        apply_mask(&mut acc, &seed, m, Sign::Add);
        assert_eq!(acc, want[..15]);
    }

    #[test]
    fn apply_mask_agrees_with_expand_mask() {
        let moduli = [
            Modulus::power_of_two(1).unwrap(),
            Modulus::power_of_two(32).unwrap(),
            Modulus::power_of_two(64).unwrap(),
            Modulus::new(3).unwrap(),
            Modulus::new(1_000_003).unwrap(),
            Modulus::new((1u128 << 64) - 59).unwrap(),
            Modulus::new((1u128 << 63) + 1).unwrap(),
        ];
        // Lengths around the chunk size, so partial and several chunks are covered.
        for (k, m) in moduli.into_iter().enumerate() {
            for dim in [1usize, 7, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 5] {
                let seed = [k as u8 + 1; 32];
                let start: Vec<u64> = expand_mask(&[99; 32], m, dim);
                let mask = expand_mask(&seed, m, dim);
                let mut plus = start.clone();
                apply_mask(&mut plus, &seed, m, Sign::Add);
                let want: Vec<u64> = start.iter().zip(&mask).map(|(a, r)| m.add(*a, *r)).collect();
                assert_eq!(plus, want, "add, m = {}, dim = {dim}", m.value());
                let mut back = plus.clone();
                apply_mask(&mut back, &seed, m, Sign::Sub);
                assert_eq!(back, start, "sub, m = {}, dim = {dim}", m.value());
            }
        }
    }

    #[test]
    fn modular_add_sub_match_u128_arithmetic() {
        for m in [2u128, 3, 1000, 1 << 32, (1 << 63) + 5, (1 << 64) - 1, 1 << 64] {
            let m = Modulus::new(m).unwrap();
            let top = (m.value() - 1) as u64;
            for a in [0, 1, top / 2, top.saturating_sub(1), top] {
                for b in [0, 1, top / 3, top] {
                    let (a128, b128) = (u128::from(a), u128::from(b));
                    assert_eq!(u128::from(m.add(a, b)), (a128 + b128) % m.value());
                    assert_eq!(u128::from(m.sub(a, b)), (a128 + m.value() - b128) % m.value());
                }
            }
        }
    }

    #[test]
    fn secret_field_round_trip() {
        let s: [u8; 32] = core::array::from_fn(|i| (i * 37 + 255) as u8);
        assert_eq!(*field_to_secret(&secret_to_field(&s)).unwrap(), s);
    }
}
