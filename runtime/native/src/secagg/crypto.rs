//! The symmetric pieces of secure aggregation: key derivation, authenticated
//! encryption of shares, mask expansion and the encoding of 32-byte secrets as
//! Shamir field elements.
//!
//! - [`kdf`]: SHA-256 over a label, the session id and the input keying material.
//! - [`seal`]/[`open`]: ChaCha20-Poly1305 (RFC 8439, the `chacha20poly1305` crate)
//!   under a key and nonce from HKDF-SHA-256 (RFC 5869, the `hkdf` crate) over the
//!   X25519 agreement, with sender, receiver, round and session in the HKDF info and
//!   in the associated data ([`Direction`]). The agreement is symmetric, the keys are
//!   not: u->v and v->u are sealed under independent keys. (Issue #15: one key and a
//!   nonce-less keystream for both directions made `ct_uv XOR ct_vu = pt_uv XOR pt_vu`,
//!   and the server, knowing one side's shares from unmasking, read the other's.)
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

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use hkdf::Hkdf;
use mpc_crypto::{Block, Prg};
use rand_core::SeedableRng;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::{Modulus, SecaggError};
use crate::shamir::{Field, Fp61};

/// SHA-256(label || len(sid) || sid || ikm) as a 32-byte key.
pub fn kdf(label: &[u8], session: &[u8; 32], ikm: &[u8]) -> Zeroizing<[u8; 32]> {
    let mut h = Sha256::new();
    h.update((label.len() as u32).to_le_bytes());
    h.update(label);
    h.update(session);
    h.update(ikm);
    Zeroizing::new(h.finalize().into())
}

/// The length of one encoded share of a 32-byte secret (`Share<Fp61>::to_bytes` of
/// five elements: a 26-byte header, 5 x 8 bytes, a 4-byte checksum).
pub const SHARE_LEN: usize = 26 + 5 * 8 + 4;
/// The length of a share plaintext: the share of `s^SK`, then the share of `b`.
pub const SHARE_PLAINTEXT_LEN: usize = 2 * SHARE_LEN;
/// The length of a share ciphertext: the plaintext and the 16-byte Poly1305 tag.
pub const SHARE_CIPHERTEXT_LEN: usize = SHARE_PLAINTEXT_LEN + 16;

/// Where a share ciphertext sits in the protocol: who sealed it for whom, in which
/// round of which session. Keys, nonces and associated data are all derived from it,
/// so a ciphertext opens only in the direction, round and session it was sealed for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Direction<'a> {
    /// The session id.
    pub session: &'a [u8; 32],
    /// The sender's id.
    pub from: u32,
    /// The receiver's id.
    pub to: u32,
    /// The protocol round (1 for the shares).
    pub round: u8,
}

impl Direction<'_> {
    /// `label || session || from || to || round`, little-endian: the HKDF info and the AAD.
    fn context(&self, label: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(label.len() + 32 + 9);
        out.extend_from_slice(label);
        out.extend_from_slice(self.session);
        out.extend_from_slice(&self.from.to_le_bytes());
        out.extend_from_slice(&self.to.to_le_bytes());
        out.push(self.round);
        out
    }

    /// The ChaCha20-Poly1305 key and nonce of this direction: HKDF-SHA-256 (RFC 5869)
    /// with the session id as salt, the X25519 agreement as input keying material and
    /// the direction as info. u->v and v->u get independent keys although the
    /// agreement is symmetric; each key seals exactly one message, and the nonce is
    /// derived with it (so it is never reused under that key).
    fn key_nonce(&self, agreement: &[u8; 32]) -> (Zeroizing<[u8; 32]>, [u8; 12]) {
        let hk = Hkdf::<Sha256>::new(Some(self.session), agreement);
        let mut okm = Zeroizing::new([0u8; 44]);
        // 44 bytes is far below HKDF-SHA-256's limit of 255 * 32.
        let _ = hk.expand(&self.context(b"mpc-secagg-v2 share key"), &mut okm[..]);
        let mut key = Zeroizing::new([0u8; 32]);
        key.copy_from_slice(&okm[..32]);
        let mut nonce = [0u8; 12];
        nonce.copy_from_slice(&okm[32..]);
        (key, nonce)
    }

    fn aad(&self) -> Vec<u8> {
        self.context(b"mpc-secagg-v2 share aad")
    }
}

/// Encrypts `plaintext` for one direction with ChaCha20-Poly1305 (RFC 8439) under a
/// key and nonce from [`Direction`] and the X25519 `agreement`; the output is
/// ciphertext || 16-byte tag. Fails only for plaintexts beyond ChaCha20's 256 GiB.
pub fn seal(agreement: &[u8; 32], dir: &Direction<'_>, plaintext: &[u8]) -> Result<Vec<u8>, SecaggError> {
    let (key, nonce) = dir.key_nonce(agreement);
    let cipher = ChaCha20Poly1305::new(Key::from_slice(&key[..]));
    cipher
        .encrypt(Nonce::from_slice(&nonce), Payload { msg: plaintext, aad: &dir.aad() })
        .map_err(|_| SecaggError::InvalidParameter("a share plaintext is too long to encrypt".into()))
}

/// Checks and decrypts the output of [`seal`] for the same direction; any other
/// direction, round, session, agreement or a modified byte fails with
/// [`SecaggError::Decrypt`] naming the sender.
pub fn open(
    agreement: &[u8; 32],
    dir: &Direction<'_>,
    sealed: &[u8],
) -> Result<Zeroizing<Vec<u8>>, SecaggError> {
    let (key, nonce) = dir.key_nonce(agreement);
    let cipher = ChaCha20Poly1305::new(Key::from_slice(&key[..]));
    cipher
        .decrypt(Nonce::from_slice(&nonce), Payload { msg: sealed, aad: &dir.aad() })
        .map(Zeroizing::new)
        .map_err(|_| SecaggError::Decrypt { from: dir.from })
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
        let dh = [9u8; 32];
        let session = [3u8; 32];
        let dir = Direction { session: &session, from: 1, to: 2, round: 1 };
        let ct = seal(&dh, &dir, b"hello shares").unwrap();
        assert_eq!(ct.len(), 12 + 16);
        assert_eq!(&open(&dh, &dir, &ct).unwrap()[..], b"hello shares");
        let mut bad = ct.clone();
        bad[0] ^= 1;
        assert!(matches!(open(&dh, &dir, &bad), Err(SecaggError::Decrypt { from: 1 })));
        let mut bad = ct.clone();
        *bad.last_mut().unwrap() ^= 0x80;
        assert!(open(&dh, &dir, &bad).is_err());
        assert!(open(&[8u8; 32], &dir, &ct).is_err());
        assert!(open(&dh, &dir, &ct[..10]).is_err());
        assert!(open(&dh, &dir, &[]).is_err());
        // Any other direction, round or session: refused.
        let other = [4u8; 32];
        for d in [
            Direction { from: 2, to: 1, ..dir },
            Direction { round: 2, ..dir },
            Direction { session: &other, ..dir },
        ] {
            assert!(open(&dh, &d, &ct).is_err(), "{d:?}");
        }
    }

    #[test]
    fn the_two_directions_use_independent_keystreams() {
        // The same agreement, the same plaintext both ways: the ciphertexts must not
        // XOR to zero (they did when both directions shared one keystream).
        let dh = [7u8; 32];
        let session = [1u8; 32];
        let pt = [0u8; 64];
        let uv = seal(&dh, &Direction { session: &session, from: 0, to: 1, round: 1 }, &pt).unwrap();
        let vu = seal(&dh, &Direction { session: &session, from: 1, to: 0, round: 1 }, &pt).unwrap();
        let xor: Vec<u8> = uv.iter().zip(&vu).map(|(a, b)| a ^ b).collect();
        assert!(xor[..64].iter().filter(|&&b| b == 0).count() < 8, "{xor:?}");
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
