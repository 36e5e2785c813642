//! The finite fields Shamir sharing works over, behind one [`Field`] trait.
//!
//! * [`Fp61`]: the Mersenne prime field p = 2^61 - 1, for numbers (a `u64` secret below p,
//!   or a signed value encoded by the caller). Fast: one 64x64->128 multiply and a fold.
//! * [`Scalar25519`]: the prime field of order l = 2^252 + 27742317777372353535851937790883648493,
//!   the scalar field of ristretto255, used for verifiable (Feldman) sharing.
//! * [`Gf256`]: GF(2^8) with the AES polynomial x^8 + x^4 + x^3 + x + 1 (0x11b), the field of
//!   Vault, `ssss`-style byte-string sharing and SLIP-0039; each byte of a secret is shared
//!   independently.
//!
//! Guarantees: every operation on field elements runs in time independent of the values
//! (no secret-dependent branches, no secret-indexed tables: GF(2^8) multiplication is a
//! bit-serial carry-less multiply with masks, inversion is exponentiation by a fixed
//! exponent). Decoding accepts only canonical encodings. `Debug` never prints a value.

use core::fmt;
use core::ops::{Add, Mul, Neg, Sub};

use curve25519_dalek::scalar::Scalar;
use rand_core::CryptoRngCore;
use subtle::{Choice, ConditionallySelectable, ConstantTimeEq, CtOption};
use zeroize::Zeroize;

/// A finite field usable for Shamir sharing.
///
/// Implementations must be constant time in the element values; `from_bytes` must reject
/// any non-canonical encoding.
pub trait Field:
    Copy
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Neg<Output = Self>
    + ConditionallySelectable
    + ConstantTimeEq
    + Zeroize
    + fmt::Debug
    + Send
    + Sync
    + 'static
{
    /// Short name used in the share encodings (`gf256`, `p61`, `r255`).
    const NAME: &'static str;
    /// One-byte field tag used in the binary share encoding.
    const TAG: u8;
    /// Length of the canonical encoding of one element in bytes.
    const BYTES: usize;
    /// The largest number of shares a split may have: x-coordinates are 1..=MAX_SHARES and
    /// must be distinct non-zero field elements.
    const MAX_SHARES: usize;

    /// The additive identity.
    fn zero() -> Self;
    /// The multiplicative identity.
    fn one() -> Self;
    /// The element `x` (reduced into the field; callers use it for small x-coordinates).
    fn from_u64(x: u64) -> Self;
    /// A uniformly random element (zero included).
    fn random(rng: &mut impl CryptoRngCore) -> Self;
    /// The multiplicative inverse; none for zero. Constant time.
    fn invert(&self) -> CtOption<Self>;
    /// The canonical little-endian encoding, `BYTES` long.
    fn to_bytes(&self) -> Vec<u8>;
    /// Decodes a canonical encoding of exactly `BYTES` bytes; `None` otherwise.
    fn from_bytes(bytes: &[u8]) -> Option<Self>;
    /// Whether the element is zero (constant time).
    fn is_zero(&self) -> Choice {
        self.ct_eq(&Self::zero())
    }
}

// ---------------------------------------------------------------------------------------
// Fp61: 2^61 - 1
// ---------------------------------------------------------------------------------------

/// An element of the Mersenne prime field p = 2^61 - 1, kept fully reduced (< p).
#[derive(Clone, Copy, Default, Zeroize)]
pub struct Fp61(u64);

impl Fp61 {
    /// The modulus 2^61 - 1.
    pub const MODULUS: u64 = (1u64 << 61) - 1;

    /// The element with this value, or `None` if `v >= p` (a checked, canonical constructor).
    pub fn new(v: u64) -> Option<Self> {
        (v < Self::MODULUS).then_some(Fp61(v))
    }

    /// The canonical integer in `0..p` (this reveals the value: call it on public data or
    /// on a reconstructed secret only).
    pub fn value(&self) -> u64 {
        self.0
    }

    /// Subtracts p once if `v >= p`, for `v < 2p`, in constant time.
    #[inline]
    fn reduce_once(v: u64) -> u64 {
        let (d, borrow) = v.overflowing_sub(Self::MODULUS);
        // borrow = 1 means v < p: keep v.
        let mask = (borrow as u64).wrapping_neg();
        (v & mask) | (d & !mask)
    }
}

impl fmt::Debug for Fp61 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Fp61(..)")
    }
}

impl Add for Fp61 {
    type Output = Fp61;
    #[inline]
    fn add(self, rhs: Fp61) -> Fp61 {
        Fp61(Fp61::reduce_once(self.0 + rhs.0))
    }
}

impl Sub for Fp61 {
    type Output = Fp61;
    #[inline]
    fn sub(self, rhs: Fp61) -> Fp61 {
        Fp61(Fp61::reduce_once(self.0 + Fp61::MODULUS - rhs.0))
    }
}

impl Neg for Fp61 {
    type Output = Fp61;
    #[inline]
    fn neg(self) -> Fp61 {
        Fp61::zero() - self
    }
}

impl Mul for Fp61 {
    type Output = Fp61;
    #[inline]
    fn mul(self, rhs: Fp61) -> Fp61 {
        let prod = (self.0 as u128) * (rhs.0 as u128); // < 2^122
        let lo = (prod as u64) & Fp61::MODULUS;
        let hi = (prod >> 61) as u64; // < 2^61
        Fp61(Fp61::reduce_once(lo + hi))
    }
}

impl ConditionallySelectable for Fp61 {
    fn conditional_select(a: &Self, b: &Self, choice: Choice) -> Self {
        Fp61(u64::conditional_select(&a.0, &b.0, choice))
    }
}

impl ConstantTimeEq for Fp61 {
    fn ct_eq(&self, other: &Self) -> Choice {
        self.0.ct_eq(&other.0)
    }
}

impl Field for Fp61 {
    const NAME: &'static str = "p61";
    const TAG: u8 = 2;
    const BYTES: usize = 8;
    const MAX_SHARES: usize = u16::MAX as usize;

    fn zero() -> Self {
        Fp61(0)
    }
    fn one() -> Self {
        Fp61(1)
    }
    fn from_u64(x: u64) -> Self {
        // x = hi * 2^61 + lo with hi < 8: x = hi + lo (mod p).
        Fp61(Fp61::reduce_once((x & Fp61::MODULUS) + (x >> 61)))
    }
    fn random(rng: &mut impl CryptoRngCore) -> Self {
        // Rejection sampling on 61 bits; the rejection depends only on fresh randomness
        // that is discarded, never on a secret.
        loop {
            let v = rng.next_u64() >> 3;
            if v < Fp61::MODULUS {
                return Fp61(v);
            }
        }
    }
    fn invert(&self) -> CtOption<Self> {
        // a^(p-2) with the fixed public exponent p - 2.
        let e = Fp61::MODULUS - 2;
        let mut acc = Fp61::one();
        for i in (0..61).rev() {
            acc = acc * acc;
            let bit = Choice::from(((e >> i) & 1) as u8);
            acc = Fp61::conditional_select(&acc, &(acc * *self), bit);
        }
        CtOption::new(acc, !self.is_zero())
    }
    fn to_bytes(&self) -> Vec<u8> {
        self.0.to_le_bytes().to_vec()
    }
    fn from_bytes(bytes: &[u8]) -> Option<Self> {
        let arr: [u8; 8] = bytes.try_into().ok()?;
        Fp61::new(u64::from_le_bytes(arr))
    }
}

// ---------------------------------------------------------------------------------------
// Scalar25519: the ristretto255 scalar field
// ---------------------------------------------------------------------------------------

/// An element of the ristretto255 scalar field (a wrapper over dalek's [`Scalar`], which
/// is constant time and always canonical).
#[derive(Clone, Copy, Default, Zeroize)]
pub struct Scalar25519(pub Scalar);

impl fmt::Debug for Scalar25519 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Scalar25519(..)")
    }
}

impl Add for Scalar25519 {
    type Output = Self;
    fn add(self, rhs: Self) -> Self {
        Scalar25519(self.0 + rhs.0)
    }
}
impl Sub for Scalar25519 {
    type Output = Self;
    fn sub(self, rhs: Self) -> Self {
        Scalar25519(self.0 - rhs.0)
    }
}
impl Mul for Scalar25519 {
    type Output = Self;
    fn mul(self, rhs: Self) -> Self {
        Scalar25519(self.0 * rhs.0)
    }
}
impl Neg for Scalar25519 {
    type Output = Self;
    fn neg(self) -> Self {
        Scalar25519(-self.0)
    }
}
impl ConditionallySelectable for Scalar25519 {
    fn conditional_select(a: &Self, b: &Self, choice: Choice) -> Self {
        Scalar25519(Scalar::conditional_select(&a.0, &b.0, choice))
    }
}
impl ConstantTimeEq for Scalar25519 {
    fn ct_eq(&self, other: &Self) -> Choice {
        self.0.ct_eq(&other.0)
    }
}

impl Field for Scalar25519 {
    const NAME: &'static str = "r255";
    const TAG: u8 = 3;
    const BYTES: usize = 32;
    const MAX_SHARES: usize = u16::MAX as usize;

    fn zero() -> Self {
        Scalar25519(Scalar::ZERO)
    }
    fn one() -> Self {
        Scalar25519(Scalar::ONE)
    }
    fn from_u64(x: u64) -> Self {
        Scalar25519(Scalar::from(x))
    }
    fn random(rng: &mut impl CryptoRngCore) -> Self {
        // Wide reduction of 64 uniform bytes: statistically uniform.
        let mut wide = [0u8; 64];
        rng.fill_bytes(&mut wide);
        let s = Scalar::from_bytes_mod_order_wide(&wide);
        wide.zeroize();
        Scalar25519(s)
    }
    fn invert(&self) -> CtOption<Self> {
        // dalek's invert is constant time and maps 0 to 0.
        CtOption::new(Scalar25519(self.0.invert()), !self.is_zero())
    }
    fn to_bytes(&self) -> Vec<u8> {
        self.0.to_bytes().to_vec()
    }
    fn from_bytes(bytes: &[u8]) -> Option<Self> {
        let arr: [u8; 32] = bytes.try_into().ok()?;
        Option::from(Scalar::from_canonical_bytes(arr)).map(Scalar25519)
    }
}

// ---------------------------------------------------------------------------------------
// Gf256: GF(2^8) / 0x11b
// ---------------------------------------------------------------------------------------

/// An element of GF(2^8) with the AES reduction polynomial x^8 + x^4 + x^3 + x + 1.
#[derive(Clone, Copy, Default, Zeroize)]
pub struct Gf256(pub u8);

impl Gf256 {
    /// Carry-less multiply-and-reduce, bit-serial with masks: 8 rounds, no branches and
    /// no table lookups, so its timing does not depend on the operands.
    #[inline]
    pub fn mul_ct(a: u8, b: u8) -> u8 {
        let mut a = a;
        let mut r = 0u8;
        for i in 0..8 {
            let bit_mask = ((b >> i) & 1).wrapping_neg();
            r ^= a & bit_mask;
            let carry_mask = (a >> 7).wrapping_neg();
            a = (a << 1) ^ (0x1b & carry_mask);
        }
        r
    }

    /// Multiplies eight packed bytes by the same element at once (SWAR): used for long
    /// byte strings. Constant time like [`Gf256::mul_ct`].
    #[inline]
    pub fn mul_packed(words: u64, b: u8) -> u64 {
        const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
        const HIGH: u64 = 0x8080_8080_8080_8080;
        let mut a = words;
        let mut r = 0u64;
        for i in 0..8 {
            let bit_mask = (((b >> i) & 1) as u64).wrapping_neg();
            r ^= a & bit_mask;
            let carries = (a & HIGH) >> 7; // 1 in each byte whose top bit was set
            a = ((a & LOW7) << 1) ^ (carries * 0x1b);
        }
        r
    }
}

impl fmt::Debug for Gf256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Gf256(..)")
    }
}

impl Add for Gf256 {
    type Output = Self;
    #[allow(clippy::suspicious_arithmetic_impl)] // addition in characteristic 2 is XOR
    fn add(self, rhs: Self) -> Self {
        Gf256(self.0 ^ rhs.0)
    }
}
impl Sub for Gf256 {
    type Output = Self;
    #[allow(clippy::suspicious_arithmetic_impl)] // subtraction in characteristic 2 is XOR
    fn sub(self, rhs: Self) -> Self {
        Gf256(self.0 ^ rhs.0)
    }
}
impl Mul for Gf256 {
    type Output = Self;
    fn mul(self, rhs: Self) -> Self {
        Gf256(Gf256::mul_ct(self.0, rhs.0))
    }
}
impl Neg for Gf256 {
    type Output = Self;
    fn neg(self) -> Self {
        self
    }
}
impl ConditionallySelectable for Gf256 {
    fn conditional_select(a: &Self, b: &Self, choice: Choice) -> Self {
        Gf256(u8::conditional_select(&a.0, &b.0, choice))
    }
}
impl ConstantTimeEq for Gf256 {
    fn ct_eq(&self, other: &Self) -> Choice {
        self.0.ct_eq(&other.0)
    }
}

impl Field for Gf256 {
    const NAME: &'static str = "gf256";
    const TAG: u8 = 1;
    const BYTES: usize = 1;
    const MAX_SHARES: usize = 255;

    fn zero() -> Self {
        Gf256(0)
    }
    fn one() -> Self {
        Gf256(1)
    }
    fn from_u64(x: u64) -> Self {
        Gf256(x as u8)
    }
    fn random(rng: &mut impl CryptoRngCore) -> Self {
        let mut b = [0u8; 1];
        rng.fill_bytes(&mut b);
        Gf256(b[0])
    }
    fn invert(&self) -> CtOption<Self> {
        // a^254 = a^-1 for a != 0: fixed addition chain, constant time.
        let a = *self;
        let a2 = a * a;
        let a3 = a2 * a;
        let a6 = a3 * a3;
        let a12 = a6 * a6;
        let a15 = a12 * a3;
        let a30 = a15 * a15;
        let a60 = a30 * a30;
        let a120 = a60 * a60;
        let a126 = a120 * a6;
        let a127 = a126 * a;
        let a254 = a127 * a127;
        CtOption::new(a254, !self.is_zero())
    }
    fn to_bytes(&self) -> Vec<u8> {
        vec![self.0]
    }
    fn from_bytes(bytes: &[u8]) -> Option<Self> {
        match bytes {
            [b] => Some(Gf256(*b)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::rand_core::{RngCore, SeedableRng};
    use rand_chacha::ChaCha20Rng;

    /// Reference GF(2^8) multiply (Russian peasant with branches), for tests only.
    fn gf_mul_ref(mut a: u8, mut b: u8) -> u8 {
        let mut p = 0u8;
        while b != 0 {
            if b & 1 == 1 {
                p ^= a;
            }
            let hi = a & 0x80;
            a <<= 1;
            if hi != 0 {
                a ^= 0x1b;
            }
            b >>= 1;
        }
        p
    }

    #[test]
    fn gf256_mul_matches_reference_exhaustively() {
        for a in 0..=255u8 {
            for b in 0..=255u8 {
                assert_eq!(Gf256::mul_ct(a, b), gf_mul_ref(a, b));
            }
        }
        // AES (FIPS-197 4.2): {57} * {83} = {c1}.
        assert_eq!(Gf256::mul_ct(0x57, 0x83), 0xc1);
    }

    #[test]
    fn gf256_packed_matches_scalar() {
        let mut rng = ChaCha20Rng::seed_from_u64(7);
        for _ in 0..200 {
            let w = rng.next_u64();
            let b = (rng.next_u32() & 0xff) as u8;
            let r = Gf256::mul_packed(w, b);
            for i in 0..8 {
                let byte = (w >> (8 * i)) as u8;
                assert_eq!((r >> (8 * i)) as u8, Gf256::mul_ct(byte, b));
            }
        }
    }

    #[test]
    fn gf256_inverse() {
        for a in 1..=255u8 {
            let inv = Gf256(a).invert().unwrap();
            assert_eq!((Gf256(a) * inv).0, 1);
        }
        assert!(bool::from(Gf256(0).invert().is_none()));
    }

    #[test]
    fn fp61_arithmetic() {
        let p = Fp61::MODULUS;
        let a = Fp61::new(p - 1).unwrap();
        assert_eq!((a + Fp61::one()).value(), 0);
        assert_eq!((Fp61::zero() - Fp61::one()).value(), p - 1);
        assert_eq!((a * a).value(), 1); // (-1)^2
        assert!(Fp61::new(p).is_none());
        assert!(Fp61::from_bytes(&p.to_le_bytes()).is_none());
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        for _ in 0..100 {
            let x = Fp61::random(&mut rng);
            let y = Fp61::random(&mut rng);
            let expect = ((x.value() as u128 * y.value() as u128) % p as u128) as u64;
            assert_eq!((x * y).value(), expect);
            if x.value() != 0 {
                assert_eq!((x * x.invert().unwrap()).value(), 1);
            }
        }
        assert_eq!(Fp61::from_u64(u64::MAX).value(), (u64::MAX % p));
    }

    #[test]
    fn scalar_rejects_non_canonical() {
        // l itself is not canonical.
        let l = hex_le("1000000000000000000000000000000014def9dea2f79cd65812631a5cf5d3ed");
        assert!(Scalar25519::from_bytes(&l).is_none());
        assert!(Scalar25519::from_bytes(&[0xff; 32]).is_none());
        assert!(Scalar25519::from_bytes(&[0; 31]).is_none());
    }

    fn hex_le(be_hex: &str) -> Vec<u8> {
        let mut v: Vec<u8> = (0..be_hex.len() / 2)
            .map(|i| u8::from_str_radix(&be_hex[2 * i..2 * i + 2], 16).unwrap())
            .collect();
        v.reverse();
        v
    }
}
