//! Paillier keys, ciphertexts and operations (see the module docs in `paillier/mod.rs`).

use core::fmt;

use crypto_bigint::modular::{BoxedMontyForm, BoxedMontyParams};
use crypto_bigint::{BoxedUint, ConstantTimeSelect, Gcd, Integer, NonZero, Odd};
use crypto_primes::hazmat::{SetBits, SmallPrimesSieveFactory};
use crypto_primes::{is_prime_with_rng, sieve_and_find};
use rand_core::CryptoRngCore;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use subtle::{ConstantTimeEq, ConstantTimeLess};
use zeroize::Zeroize;

use super::monty::{coprime_vartime, FixedMonty};

/// The smallest modulus size accepted outside the `insecure_*` constructors.
pub const MIN_SECURE_BITS: u32 = 2048;

/// Errors of Paillier key handling, encryption and decryption.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PaillierError {
    /// The modulus is smaller than [`MIN_SECURE_BITS`].
    #[error("a {0}-bit modulus is too small: at least 2048 bits are required")]
    KeyTooSmall(u32),
    /// Invalid key parameters (even, equal, not prime, wrong sizes ...).
    #[error("invalid key: {0}")]
    InvalidKey(&'static str),
    /// A plaintext not in 0..n.
    #[error("the plaintext is not below the modulus n")]
    PlaintextOutOfRange,
    /// A nonce r not in Z*_n.
    #[error("the nonce is not in Z*_n")]
    InvalidNonce,
    /// A ciphertext outside Z*_{n^2} (or from another key).
    #[error("the ciphertext is not an element of Z*_(n^2) for this key")]
    InvalidCiphertext,
    /// A decrypted signed value that does not fit the requested integer type.
    #[error("the decrypted value does not fit in the requested integer type")]
    Overflow,
    /// A serialised object of an unknown version or with malformed fields.
    #[error("malformed serialised object: {0}")]
    Malformed(&'static str),
}

fn round64(bits: u32) -> u32 {
    bits.div_ceil(64) * 64
}

/// Resizes to `prec` bits of precision; the value must fit (checked by callers' invariants).
fn fit(x: &BoxedUint, prec: u32) -> BoxedUint {
    use core::cmp::Ordering;
    match x.bits_precision().cmp(&prec) {
        Ordering::Equal => x.clone(),
        Ordering::Less => x.widen(prec),
        Ordering::Greater => x.shorten(prec),
    }
}

fn uint_from_be(bytes: &[u8], prec: u32) -> Option<BoxedUint> {
    let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    let bytes = &bytes[start..];
    if bytes.len() * 8 > prec as usize {
        return None;
    }
    let mut padded = vec![0u8; (prec / 8) as usize];
    let off = padded.len() - bytes.len();
    padded[off..].copy_from_slice(bytes);
    let r = BoxedUint::from_be_slice(&padded, prec).ok();
    padded.zeroize();
    r
}

fn uint_to_hex(x: &BoxedUint) -> String {
    let bytes = x.to_be_bytes();
    let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len().saturating_sub(1));
    hex::encode(&bytes[start..])
}

fn uint_from_hex(s: &str) -> Result<BoxedUint, PaillierError> {
    let s = s.strip_prefix("0x").unwrap_or(s);
    let s = if s.len() % 2 == 1 { format!("0{s}") } else { s.to_owned() };
    let bytes = hex::decode(&s).map_err(|_| PaillierError::Malformed("invalid hex integer"))?;
    if bytes.len() > 4096 {
        return Err(PaillierError::Malformed("integer too large"));
    }
    uint_from_be(&bytes, round64((bytes.len() as u32 * 8).max(64))).ok_or(PaillierError::Malformed("integer"))
}

/// A Paillier public key (n, g = n + 1).
#[derive(Clone)]
pub struct PublicKey {
    bits: u32,
    prec_n: u32,
    prec_nn: u32,
    n: BoxedUint,
    n_nz: NonZero<BoxedUint>,
    n_wide_nz: NonZero<BoxedUint>,
    nn: BoxedUint,
    params_nn: BoxedMontyParams,
    /// Fixed-size Montgomery context mod n^2 for the standard sizes (`None`: `params_nn` only).
    fast_nn: Option<FixedMonty>,
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey {{ bits: {}, n: {}.. }}", self.bits, &uint_to_hex(&self.n)[..16])
    }
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.prec_n == other.prec_n && bool::from(self.n.ct_eq(&other.n))
    }
}
impl Eq for PublicKey {}

/// A Paillier ciphertext: an element of Z*_{n^2} (validated against a key on every use).
#[derive(Clone, PartialEq, Eq)]
pub struct Ciphertext {
    c: BoxedUint,
}

impl fmt::Debug for Ciphertext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let h = uint_to_hex(&self.c);
        write!(f, "Ciphertext({}..)", &h[..h.len().min(16)])
    }
}

impl Ciphertext {
    /// The integer c (big-endian, minimal length), e.g. for comparison with vectors.
    pub fn to_be_bytes(&self) -> Vec<u8> {
        let b = self.c.to_be_bytes();
        let start = b.iter().position(|&x| x != 0).unwrap_or(b.len());
        b[start..].to_vec()
    }
    /// The underlying integer.
    pub fn as_uint(&self) -> &BoxedUint {
        &self.c
    }
}

impl PublicKey {
    /// The public key for modulus `n`; refuses n below 2048 bits.
    pub fn from_modulus(n: &BoxedUint) -> Result<Self, PaillierError> {
        let bits = n.bits_vartime();
        if bits < MIN_SECURE_BITS {
            return Err(PaillierError::KeyTooSmall(bits));
        }
        Self::insecure_from_modulus(n)
    }

    /// As [`PublicKey::from_modulus`] without the size floor: TESTS AND VECTORS ONLY.
    pub fn insecure_from_modulus(n: &BoxedUint) -> Result<Self, PaillierError> {
        let bits = n.bits_vartime();
        if bits < 128 || !bool::from(n.is_odd()) {
            return Err(PaillierError::InvalidKey("the modulus must be odd and at least 128 bits"));
        }
        let prec_n = round64(bits);
        let prec_nn = 2 * prec_n;
        let n = fit(n, prec_n);
        let n_wide = n.widen(prec_nn);
        let nn = n.mul(&n); // precision 2 * prec_n
        let nn_odd = Option::<Odd<BoxedUint>>::from(Odd::new(nn.clone()))
            .ok_or(PaillierError::InvalidKey("n^2 is even"))?;
        let params_nn = BoxedMontyParams::new_vartime(nn_odd);
        let fast_nn = FixedMonty::new(&nn);
        Ok(PublicKey {
            bits,
            prec_n,
            prec_nn,
            n_nz: Option::from(NonZero::new(n.clone())).ok_or(PaillierError::InvalidKey("zero modulus"))?,
            n_wide_nz: Option::from(NonZero::new(n_wide)).ok_or(PaillierError::InvalidKey("zero modulus"))?,
            n,
            nn,
            params_nn,
            fast_nn,
        })
    }

    /// The modulus size in bits.
    pub fn bits(&self) -> u32 {
        self.bits
    }
    /// The modulus n.
    pub fn n(&self) -> &BoxedUint {
        &self.n
    }

    /// Checks that `c` is in Z*_{n^2}: 0 < c < n^2 and gcd(c, n) = 1.
    pub fn validate(&self, c: &Ciphertext) -> Result<(), PaillierError> {
        let x = &c.c;
        if x.bits_vartime() > self.prec_nn {
            return Err(PaillierError::InvalidCiphertext);
        }
        let x = fit(x, self.prec_nn);
        if bool::from(x.is_zero()) || !bool::from(x.ct_lt(&self.nn)) {
            return Err(PaillierError::InvalidCiphertext);
        }
        let reduced = x.rem(&self.n_wide_nz);
        // The ciphertext is public, so a variable-time binary gcd is fine (crypto-bigint's
        // gcd took about 6 ms at n = 2048, more than the decryption itself). Reducing first
        // pays: gcd(c, n) on the unreduced c took 60 us against 37 us with the reduction.
        if !coprime_vartime(reduced.as_words(), self.n.as_words()) {
            return Err(PaillierError::InvalidCiphertext);
        }
        Ok(())
    }

    /// Builds a ciphertext from its big-endian bytes, validated for this key.
    pub fn ciphertext_from_bytes(&self, bytes: &[u8]) -> Result<Ciphertext, PaillierError> {
        let c = uint_from_be(bytes, self.prec_nn).ok_or(PaillierError::InvalidCiphertext)?;
        let ct = Ciphertext { c };
        self.validate(&ct)?;
        Ok(ct)
    }

    fn plaintext(&self, m: &BoxedUint) -> Result<BoxedUint, PaillierError> {
        if m.bits_vartime() > self.prec_n {
            return Err(PaillierError::PlaintextOutOfRange);
        }
        let m = fit(m, self.prec_n);
        if !bool::from(m.ct_lt(&self.n)) {
            return Err(PaillierError::PlaintextOutOfRange);
        }
        Ok(m)
    }

    /// (1 + m n) mod n^2 in Montgomery form, for m < n.
    fn g_to_m(&self, m: &BoxedUint) -> BoxedMontyForm {
        let mn = m.mul(&self.n); // < n^2, precision prec_nn
        let one = BoxedUint::one_with_precision(self.prec_nn);
        BoxedMontyForm::new(mn.wrapping_add(&one), self.params_nn.clone())
    }

    fn random_unit(&self, rng: &mut impl CryptoRngCore) -> BoxedUint {
        use crypto_bigint::RandomMod;
        loop {
            let r = BoxedUint::random_mod(rng, &self.n_nz);
            // r = 0 has negligible probability; a non-unit r would factor n.
            if !bool::from(r.is_zero()) {
                return r;
            }
        }
    }

    fn r_pow_n(&self, r: &BoxedUint) -> BoxedMontyForm {
        match &self.fast_nn {
            // r < n < n^2 R as the fixed path requires; the exponent n is public, its bit
            // length too.
            Some(f) => BoxedMontyForm::new(
                fit(&f.pow_int(r.as_words(), self.n.as_words(), self.bits), self.prec_nn),
                self.params_nn.clone(),
            ),
            None => BoxedMontyForm::new(fit(r, self.prec_nn), self.params_nn.clone()).pow(&self.n),
        }
    }

    fn finish(&self, x: BoxedMontyForm) -> Ciphertext {
        Ciphertext { c: x.retrieve() }
    }

    /// Encrypts m in 0..n with a fresh random r (textbook r^n).
    pub fn encrypt(&self, m: &BoxedUint, rng: &mut impl CryptoRngCore) -> Result<Ciphertext, PaillierError> {
        let m = self.plaintext(m)?;
        let mut r = self.random_unit(rng);
        let c = self.finish(self.g_to_m(&m) * self.r_pow_n(&r));
        r.zeroize();
        Ok(c)
    }

    /// Encrypts with an explicit nonce r in Z*_n. FOR TESTS AND KNOWN-ANSWER VECTORS ONLY:
    /// reusing or choosing r breaks semantic security.
    pub fn danger_encrypt_with_nonce(
        &self,
        m: &BoxedUint,
        r: &BoxedUint,
    ) -> Result<Ciphertext, PaillierError> {
        let m = self.plaintext(m)?;
        let r = self.plaintext(r).map_err(|_| PaillierError::InvalidNonce)?;
        if bool::from(r.is_zero()) || !bool::from(r.gcd(&self.n).is_one()) {
            return Err(PaillierError::InvalidNonce);
        }
        Ok(self.finish(self.g_to_m(&m) * self.r_pow_n(&r)))
    }

    /// Encrypts a `u64`.
    pub fn encrypt_u64(&self, m: u64, rng: &mut impl CryptoRngCore) -> Result<Ciphertext, PaillierError> {
        self.encrypt(&BoxedUint::from(m), rng)
    }

    /// Maps v in (-n/2, n/2) to v mod n (always in range for n >= 256 bits).
    pub fn encode_signed(&self, v: i128) -> BoxedUint {
        let mag = fit(&BoxedUint::from(v.unsigned_abs()), self.prec_n);
        if v < 0 {
            self.n.wrapping_sub(&mag)
        } else {
            mag
        }
    }

    /// Encrypts a signed integer (see [`PublicKey::encode_signed`]).
    pub fn encrypt_i128(&self, v: i128, rng: &mut impl CryptoRngCore) -> Result<Ciphertext, PaillierError> {
        self.encrypt(&self.encode_signed(v), rng)
    }

    fn monty(&self, c: &Ciphertext) -> Result<BoxedMontyForm, PaillierError> {
        self.validate(c)?;
        Ok(BoxedMontyForm::new(fit(&c.c, self.prec_nn), self.params_nn.clone()))
    }

    /// a b mod n^2 for a, b < n^2 (fixed-size path where there is one).
    fn mul_nn(&self, a: &BoxedUint, b: &BoxedUint) -> BoxedUint {
        let (a, b) = (fit(a, self.prec_nn), fit(b, self.prec_nn));
        match &self.fast_nn {
            Some(f) => fit(&f.mul_by_monty(a.as_words(), &f.to_monty(b.as_words())), self.prec_nn),
            None => (BoxedMontyForm::new(a, self.params_nn.clone())
                * BoxedMontyForm::new(b, self.params_nn.clone()))
            .retrieve(),
        }
    }

    /// Enc(a) * Enc(b) = Enc(a + b mod n).
    pub fn add(&self, a: &Ciphertext, b: &Ciphertext) -> Result<Ciphertext, PaillierError> {
        self.validate(a)?;
        self.validate(b)?;
        Ok(Ciphertext { c: self.mul_nn(&a.c, &b.c) })
    }

    /// Enc(a) * (1 + k n) = Enc(a + k mod n), for k in 0..n.
    pub fn add_plain(&self, a: &Ciphertext, k: &BoxedUint) -> Result<Ciphertext, PaillierError> {
        let k = self.plaintext(k)?;
        self.validate(a)?;
        // k n + 1 < n^2 for k < n.
        let g_k = k.mul(&self.n).wrapping_add(&BoxedUint::one_with_precision(self.prec_nn));
        Ok(Ciphertext { c: self.mul_nn(&a.c, &g_k) })
    }

    /// Enc(a)^k = Enc(k a mod n), for a public k in 0..n (time depends on k's bit length).
    pub fn mul_plain(&self, a: &Ciphertext, k: &BoxedUint) -> Result<Ciphertext, PaillierError> {
        let k = self.plaintext(k)?;
        let bits = k.bits_vartime().max(1);
        match &self.fast_nn {
            Some(f) => {
                self.validate(a)?;
                // a < n^2 <= n^2 R as the fixed path requires.
                Ok(Ciphertext { c: fit(&f.pow_int(a.c.as_words(), k.as_words(), bits), self.prec_nn) })
            }
            None => Ok(self.finish(self.monty(a)?.pow_bounded_exp(&k, bits))),
        }
    }

    /// Enc(a)^-1 = Enc(-a mod n).
    pub fn neg(&self, a: &Ciphertext) -> Result<Ciphertext, PaillierError> {
        let inv = Option::<BoxedMontyForm>::from(self.monty(a)?.invert())
            .ok_or(PaillierError::InvalidCiphertext)?;
        Ok(self.finish(inv))
    }

    /// Enc(k a) for a public signed k.
    pub fn mul_signed(&self, a: &Ciphertext, k: i128) -> Result<Ciphertext, PaillierError> {
        let m = self.mul_plain(a, &BoxedUint::from(k.unsigned_abs()))?;
        if k < 0 {
            self.neg(&m)
        } else {
            Ok(m)
        }
    }

    /// Multiplies by a fresh encryption of zero: same plaintext, unlinkable ciphertext.
    pub fn rerandomize(
        &self,
        a: &Ciphertext,
        rng: &mut impl CryptoRngCore,
    ) -> Result<Ciphertext, PaillierError> {
        let mut r = self.random_unit(rng);
        let c = self.finish(self.monty(a)? * self.r_pow_n(&r));
        r.zeroize();
        Ok(c)
    }
}

/// Paillier secret key: the primes and the CRT constants for decryption and encryption.
pub struct SecretKey {
    pk: PublicKey,
    prec_h: u32,
    p: BoxedUint,
    q: BoxedUint,
    halves: [Half; 2],
    /// p^-1 mod q (Garner's CRT for plaintexts).
    p_inv_q: BoxedUint,
    /// p^-1 mod q in Montgomery form mod q (when q has a fixed-size context).
    p_inv_q_mont: Option<Vec<u64>>,
    /// (p^2)^-1 mod q^2 (CRT for r^n mod n^2).
    pp_inv_qq: BoxedUint,
}

/// Constants of one prime s in {p, q}.
struct Half {
    s: BoxedUint,
    s_nz: NonZero<BoxedUint>,
    ss: BoxedUint,
    ss_wide_nz: NonZero<BoxedUint>,
    params_ss: BoxedMontyParams,
    s_minus_1: BoxedUint,
    /// Bit length of s (public): the exponent s - 1 is processed over this many bits.
    s_bits: u32,
    /// h_s = (-other)^-1 mod s.
    h: BoxedUint,
    /// n mod s(s-1), the exponent of r^n mod s^2.
    n_mod_order: BoxedUint,
    /// Fixed-size Montgomery context mod s^2 for the standard sizes (`None`: use `params_ss`).
    fast: Option<FixedMonty>,
    /// Fixed-size Montgomery context mod s and h_s in its Montgomery form (with `fast`).
    fast_s: Option<(FixedMonty, Vec<u64>)>,
}

impl Drop for Half {
    fn drop(&mut self) {
        self.s.zeroize();
        self.ss.zeroize();
        self.s_minus_1.zeroize();
        self.h.zeroize();
        self.n_mod_order.zeroize();
        if let Some((_, h)) = &mut self.fast_s {
            h.zeroize();
        }
    }
}

impl Drop for SecretKey {
    fn drop(&mut self) {
        self.p.zeroize();
        self.q.zeroize();
        self.p_inv_q.zeroize();
        if let Some(x) = &mut self.p_inv_q_mont {
            x.zeroize();
        }
        self.pp_inv_qq.zeroize();
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretKey").field("public", &self.pk).finish_non_exhaustive()
    }
}

impl Clone for SecretKey {
    fn clone(&self) -> Self {
        // Rebuilding from the primes re-derives every constant; it cannot fail for a key
        // that was built successfully before.
        SecretKey::build(&self.p, &self.q, false).expect("invariant: the key's own primes are valid")
    }
}

fn generate_prime(bits: u32, rng: &mut impl CryptoRngCore) -> BoxedUint {
    let factory = SmallPrimesSieveFactory::<BoxedUint>::new(bits, SetBits::TwoMsb);
    // The sieve never runs out for bit sizes >= 64: it yields candidates until one is prime.
    sieve_and_find(rng, factory, |rng, c| is_prime_with_rng(rng, c))
        .expect("invariant: the prime sieve is unbounded")
}

impl SecretKey {
    /// Generates a key with an n of exactly `bits` bits (>= 2048, even).
    pub fn generate(bits: u32, rng: &mut impl CryptoRngCore) -> Result<Self, PaillierError> {
        if bits < MIN_SECURE_BITS {
            return Err(PaillierError::KeyTooSmall(bits));
        }
        Self::insecure_generate(bits, rng)
    }

    /// As [`SecretKey::generate`] for any even size >= 256 bits: TESTS ONLY.
    pub fn insecure_generate(bits: u32, rng: &mut impl CryptoRngCore) -> Result<Self, PaillierError> {
        if bits < 256 || !bits.is_multiple_of(2) {
            return Err(PaillierError::InvalidKey("the modulus size must be even and at least 256 bits"));
        }
        loop {
            let p = generate_prime(bits / 2, rng);
            let q = generate_prime(bits / 2, rng);
            if bool::from(p.ct_eq(&q)) {
                continue;
            }
            let key = Self::build(&p, &q, false)?;
            if key.pk.bits == bits {
                return Ok(key);
            }
        }
    }

    /// A key from given primes (checked for primality); n must have at least 2048 bits.
    pub fn from_primes(p: &BoxedUint, q: &BoxedUint) -> Result<Self, PaillierError> {
        let key = Self::build(p, q, true)?;
        if key.pk.bits < MIN_SECURE_BITS {
            return Err(PaillierError::KeyTooSmall(key.pk.bits));
        }
        Ok(key)
    }

    /// As [`SecretKey::from_primes`] without the size floor: TESTS AND VECTORS ONLY.
    pub fn insecure_from_primes(p: &BoxedUint, q: &BoxedUint) -> Result<Self, PaillierError> {
        Self::build(p, q, true)
    }

    fn build(p: &BoxedUint, q: &BoxedUint, check_primes: bool) -> Result<Self, PaillierError> {
        let pb = p.bits_vartime();
        let qb = q.bits_vartime();
        if pb < 64 || qb < 64 || !bool::from(p.is_odd()) || !bool::from(q.is_odd()) {
            return Err(PaillierError::InvalidKey("the primes must be odd and at least 64 bits"));
        }
        if pb.abs_diff(qb) > 2 {
            return Err(PaillierError::InvalidKey("the primes must have about the same size"));
        }
        let prec_h = round64(2 * pb.max(qb));
        let p = fit(p, prec_h);
        let q = fit(q, prec_h);
        if bool::from(p.ct_eq(&q)) {
            return Err(PaillierError::InvalidKey("p and q must differ"));
        }
        if check_primes {
            let mut rng = rand_chacha::ChaCha20Rng::from_seed_entropy_free(&p, &q);
            if !is_prime_with_rng(&mut rng, &p) || !is_prime_with_rng(&mut rng, &q) {
                return Err(PaillierError::InvalidKey("p and q must be prime"));
            }
        }
        let n = p.mul(&q);
        let n_bits = n.bits_vartime();
        let pk = PublicKey::insecure_from_modulus(&fit(&n, round64(n_bits)))?;
        let one = BoxedUint::one_with_precision(prec_h);
        let pm1 = p.wrapping_sub(&one);
        let qm1 = q.wrapping_sub(&one);
        // gcd(n, (p-1)(q-1)) = 1 is needed for the scheme.
        if !bool::from(
            fit(&pm1.mul(&qm1), pk.prec_nn.max(2 * prec_h))
                .gcd(&fit(&n, pk.prec_nn.max(2 * prec_h)))
                .is_one(),
        ) {
            return Err(PaillierError::InvalidKey("gcd(n, phi(n)) must be 1"));
        }
        let p_odd =
            Option::<Odd<BoxedUint>>::from(Odd::new(p.clone())).ok_or(PaillierError::InvalidKey("p even"))?;
        let q_odd =
            Option::<Odd<BoxedUint>>::from(Odd::new(q.clone())).ok_or(PaillierError::InvalidKey("q even"))?;
        let p_inv_q = Option::<BoxedUint>::from(
            p.rem(&NonZero::new(q.clone()).unwrap()) /* q is odd, so non-zero */
                .inv_odd_mod(&q_odd),
        )
        .ok_or(PaillierError::InvalidKey("p not invertible mod q"))?;
        let make_half =
            |s: &BoxedUint, s_odd: &Odd<BoxedUint>, other: &BoxedUint| -> Result<Half, PaillierError> {
                // Invariant: s is odd (checked above), so non-zero.
                let s_nz = NonZero::new(s.clone()).unwrap();
                let ss = fit(&s.mul(s), prec_h);
                let ss_odd = Option::<Odd<BoxedUint>>::from(Odd::new(ss.clone()))
                    .ok_or(PaillierError::InvalidKey("even"))?;
                let params_ss = BoxedMontyParams::new(ss_odd);
                let s_minus_1 = s.wrapping_sub(&BoxedUint::one_with_precision(prec_h));
                let other_mod_s = other.rem(&s_nz);
                let inv = Option::<BoxedUint>::from(other_mod_s.inv_odd_mod(s_odd))
                    .ok_or(PaillierError::InvalidKey("primes not coprime"))?;
                let h = s.wrapping_sub(&inv); // -(other^-1) mod s
                let order = fit(&s.mul(&s_minus_1), 2 * prec_h);
                let order_nz = Option::<NonZero<BoxedUint>>::from(NonZero::new(order))
                    .ok_or(PaillierError::InvalidKey("order"))?;
                let n_mod_order = fit(&fit(&n, 2 * prec_h).rem(&order_nz), prec_h);
                let wide = pk.prec_nn.max(prec_h);
                let fast = FixedMonty::new(&ss);
                let fast_s = if fast.is_some() && prec_h.is_multiple_of(128) {
                    // s < 2^(prec_h / 2) because prec_h >= 2 bits(s).
                    FixedMonty::new(&fit(s, prec_h / 2)).map(|f| {
                        let hm = f.to_monty(h.as_words());
                        (f, hm)
                    })
                } else {
                    None
                };
                Ok(Half {
                    fast,
                    fast_s,
                    s: s.clone(),
                    s_nz,
                    // Invariant: s^2 of an odd s is non-zero.
                    ss_wide_nz: NonZero::new(fit(&ss, wide)).unwrap(),
                    ss,
                    params_ss,
                    s_minus_1,
                    s_bits: s.bits_vartime(),
                    h,
                    n_mod_order,
                })
            };
        let hp = make_half(&p, &p_odd, &q)?;
        let hq = make_half(&q, &q_odd, &p)?;
        let qq_odd = Option::<Odd<BoxedUint>>::from(Odd::new(hq.ss.clone()))
            .ok_or(PaillierError::InvalidKey("even"))?;
        let pp_inv_qq = Option::<BoxedUint>::from(
            hp.ss.rem(&NonZero::new(hq.ss.clone()).unwrap() /* q^2 is odd */).inv_odd_mod(&qq_odd),
        )
        .ok_or(PaillierError::InvalidKey("p^2 not invertible mod q^2"))?;
        let p_inv_q_mont = hq.fast_s.as_ref().map(|(f, _)| f.to_monty(p_inv_q.as_words()));
        Ok(SecretKey { pk, prec_h, p, q, halves: [hp, hq], p_inv_q, p_inv_q_mont, pp_inv_qq })
    }

    /// The public key.
    pub fn public_key(&self) -> &PublicKey {
        &self.pk
    }

    fn reduce_to_half(&self, x: &BoxedUint, half: &Half) -> BoxedUint {
        let wide = self.pk.prec_nn.max(self.prec_h);
        fit(&fit(x, wide).rem(&half.ss_wide_nz), self.prec_h)
    }

    /// m mod s from c: L_s(c^(s-1) mod s^2) * h_s mod s. Constant time.
    fn decrypt_half(&self, c: &BoxedUint, half: &Half) -> BoxedUint {
        let x = match &half.fast {
            // c < n^2 < s^2 R for R = 2^prec_h, as the fixed path requires.
            Some(f) => f.pow_int(c.as_words(), half.s_minus_1.as_words(), half.s_bits),
            None => {
                let cs = self.reduce_to_half(c, half);
                BoxedMontyForm::new(cs, half.params_ss.clone())
                    .pow_bounded_exp(&half.s_minus_1, half.s_bits)
                    .retrieve()
            }
        };
        let l = x.wrapping_sub(&BoxedUint::one_with_precision(self.prec_h)).wrapping_div(&half.s_nz);
        match &half.fast_s {
            // l < s because x < s^2.
            Some((f, hm)) => f.mul_by_monty(l.as_words(), hm).widen(self.prec_h),
            None => l.mul_mod(&half.h, &half.s),
        }
    }

    /// Decrypts to m in 0..n (CRT; the halves run in parallel).
    pub fn decrypt(&self, c: &Ciphertext) -> Result<BoxedUint, PaillierError> {
        self.pk.validate(c)?;
        let (mp, mq) = rayon::join(
            || self.decrypt_half(&c.c, &self.halves[0]),
            || self.decrypt_half(&c.c, &self.halves[1]),
        );
        Ok(self.crt_plain(&mp, &mq))
    }

    /// Garner: m = m_p + p ((m_q - m_p) p^-1 mod q).
    fn crt_plain(&self, mp: &BoxedUint, mq: &BoxedUint) -> BoxedUint {
        let mp_q = mp.rem(&self.halves[1].s_nz);
        let d = mq.sub_mod(&mp_q, &self.q);
        let t = match (&self.halves[1].fast_s, &self.p_inv_q_mont) {
            // d < q (a sub_mod result).
            (Some((f, _)), Some(pm)) => f.mul_by_monty(d.as_words(), pm).widen(self.prec_h),
            _ => d.mul_mod(&self.p_inv_q, &self.q),
        };
        let m = self.p.mul(&t).wrapping_add(&mp.widen(2 * self.prec_h));
        fit(&m, self.pk.prec_n)
    }

    /// Decrypts a signed value encoded with [`PublicKey::encode_signed`].
    pub fn decrypt_i128(&self, c: &Ciphertext) -> Result<i128, PaillierError> {
        let m = self.decrypt(c)?;
        let half = self.pk.n.shr_vartime(1).unwrap_or_else(|| BoxedUint::zero_with_precision(self.pk.prec_n));
        let (neg, mag) = if m.cmp_vartime(&half) == core::cmp::Ordering::Greater {
            (true, self.pk.n.wrapping_sub(&m))
        } else {
            (false, m)
        };
        // Up to 128 bits of magnitude: i128::MIN has magnitude 2^127, which
        // `encrypt_i128` accepts, so it must decrypt too.
        if mag.bits_vartime() > 128 {
            return Err(PaillierError::Overflow);
        }
        let words = mag.as_words();
        let v = (words[0] as u128) | ((*words.get(1).unwrap_or(&0) as u128) << 64);
        if neg {
            0i128.checked_sub_unsigned(v).ok_or(PaillierError::Overflow)
        } else {
            i128::try_from(v).map_err(|_| PaillierError::Overflow)
        }
    }

    /// Decrypts a value known to fit a `u64`.
    pub fn decrypt_u64(&self, c: &Ciphertext) -> Result<u64, PaillierError> {
        let m = self.decrypt(c)?;
        if m.bits_vartime() > 64 {
            return Err(PaillierError::Overflow);
        }
        Ok(m.as_words()[0])
    }

    /// r^n mod n^2 by CRT over p^2 and q^2 (exponents reduced mod s(s-1)).
    fn r_pow_n_crt(&self, r: &BoxedUint) -> BoxedUint {
        let pow = |half: &Half| match &half.fast {
            // r < n < s^2 R, as the fixed path requires; the exponent is below s^2.
            Some(f) => f.pow_int(r.as_words(), half.n_mod_order.as_words(), self.prec_h),
            None => {
                let rs = self.reduce_to_half(r, half);
                BoxedMontyForm::new(rs, half.params_ss.clone()).pow(&half.n_mod_order).retrieve()
            }
        };
        let (xp, xq) = rayon::join(|| pow(&self.halves[0]), || pow(&self.halves[1]));
        let qq = &self.halves[1].ss;
        let xp_q = xp.rem(&NonZero::new(qq.clone()).expect("invariant: q^2 is non-zero"));
        let t = xq.sub_mod(&xp_q, qq).mul_mod(&self.pp_inv_qq, qq);
        let x = self.halves[0].ss.mul(&t).wrapping_add(&xp.widen(2 * self.prec_h));
        fit(&x, self.pk.prec_nn)
    }

    /// Encrypts with the secret key's CRT shortcut (same distribution as public encryption).
    pub fn encrypt(&self, m: &BoxedUint, rng: &mut impl CryptoRngCore) -> Result<Ciphertext, PaillierError> {
        let m = self.pk.plaintext(m)?;
        let mut r = self.pk.random_unit(rng);
        let rn = BoxedMontyForm::new(self.r_pow_n_crt(&r), self.pk.params_nn.clone());
        r.zeroize();
        Ok(self.pk.finish(self.pk.g_to_m(&m) * rn))
    }

    /// CRT encryption with an explicit nonce: TESTS ONLY (see the public-key variant).
    pub fn danger_encrypt_with_nonce(
        &self,
        m: &BoxedUint,
        r: &BoxedUint,
    ) -> Result<Ciphertext, PaillierError> {
        let m = self.pk.plaintext(m)?;
        let r = self.pk.plaintext(r).map_err(|_| PaillierError::InvalidNonce)?;
        if bool::from(r.is_zero()) || !bool::from(r.gcd(&self.pk.n).is_one()) {
            return Err(PaillierError::InvalidNonce);
        }
        let rn = BoxedMontyForm::new(self.r_pow_n_crt(&r), self.pk.params_nn.clone());
        Ok(self.pk.finish(self.pk.g_to_m(&m) * rn))
    }
}

/// Deterministic RNG for the primality re-check of given primes: the check is on public
/// structure only and needs no secret randomness, but must not depend on ambient state.
trait FromSeedEntropyFree {
    fn from_seed_entropy_free(p: &BoxedUint, q: &BoxedUint) -> Self;
}

impl FromSeedEntropyFree for rand_chacha::ChaCha20Rng {
    fn from_seed_entropy_free(p: &BoxedUint, q: &BoxedUint) -> Self {
        use rand_core::SeedableRng;
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        h.update(b"mpc-paillier primality check");
        h.update(p.to_be_bytes());
        h.update(q.to_be_bytes());
        rand_chacha::ChaCha20Rng::from_seed(h.finalize().into())
    }
}

/// Damgard-Jurik-Nielsen fixed-base public-key encryption (see the module docs for the
/// assumption). Precomputation: about 1,000 multiplications mod n^2 and |n|/8 * 16 table
/// entries (2 MiB at n = 2048).
pub struct FixedBaseEncryptor {
    pk: PublicKey,
    exp_bits: u32,
    /// table[i][j] = h_s^(j * 16^i) in Montgomery form.
    table: Vec<Vec<BoxedUint>>,
}

impl fmt::Debug for FixedBaseEncryptor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FixedBaseEncryptor").field("pk", &self.pk).field("exp_bits", &self.exp_bits).finish()
    }
}

impl FixedBaseEncryptor {
    /// Precomputes h_s = h^n mod n^2 for h = -x^2 mod n (x random) and its window table.
    pub fn new(pk: &PublicKey, rng: &mut impl CryptoRngCore) -> Self {
        let x = pk.random_unit(rng);
        let x2 = x.mul_mod(&x, &pk.n);
        let h = pk.n.wrapping_sub(&x2);
        let hs = pk.r_pow_n(&h);
        let exp_bits = round64(pk.bits / 2).max(128);
        let windows = exp_bits / 4;
        let mut table = Vec::with_capacity(windows as usize);
        let mut base = hs;
        for _ in 0..windows {
            let mut row = Vec::with_capacity(16);
            let mut acc = BoxedMontyForm::one(pk.params_nn.clone());
            for _ in 0..16 {
                row.push(acc.as_montgomery().clone());
                acc = &acc * &base;
            }
            // acc = base^16: the next window's base.
            base = acc;
            table.push(row);
        }
        FixedBaseEncryptor { pk: pk.clone(), exp_bits, table }
    }

    /// The public key.
    pub fn public_key(&self) -> &PublicKey {
        &self.pk
    }

    /// h_s^a for a random a of `exp_bits` bits: windowed, constant-time table scan.
    fn random_nth_residue(&self, rng: &mut impl CryptoRngCore) -> BoxedMontyForm {
        let mut a = vec![0u8; (self.exp_bits / 8) as usize];
        rng.fill_bytes(&mut a);
        let mut acc = BoxedMontyForm::one(self.pk.params_nn.clone());
        for (i, row) in self.table.iter().enumerate() {
            let digit = (a[i / 2] >> (4 * (i % 2))) & 0xf;
            let mut sel = row[0].clone();
            for (j, entry) in row.iter().enumerate().skip(1) {
                sel = BoxedUint::ct_select(&sel, entry, (digit as usize).ct_eq(&j));
            }
            acc = &acc * &BoxedMontyForm::from_montgomery(sel, self.pk.params_nn.clone());
        }
        a.zeroize();
        acc
    }

    /// Encrypts m in 0..n.
    pub fn encrypt(&self, m: &BoxedUint, rng: &mut impl CryptoRngCore) -> Result<Ciphertext, PaillierError> {
        let m = self.pk.plaintext(m)?;
        Ok(self.pk.finish(self.pk.g_to_m(&m) * self.random_nth_residue(rng)))
    }

    /// Encrypts a signed integer.
    pub fn encrypt_i128(&self, v: i128, rng: &mut impl CryptoRngCore) -> Result<Ciphertext, PaillierError> {
        self.encrypt(&self.pk.encode_signed(v), rng)
    }

    /// Re-randomises with a fixed-base encryption of zero.
    pub fn rerandomize(
        &self,
        a: &Ciphertext,
        rng: &mut impl CryptoRngCore,
    ) -> Result<Ciphertext, PaillierError> {
        Ok(self.pk.finish(self.pk.monty(a)? * self.random_nth_residue(rng)))
    }
}

/// Encrypts many plaintexts in parallel (rayon) with the fixed-base method; each task gets its
/// own ChaCha20 stream seeded from `rng`.
pub fn encrypt_batch(
    enc: &FixedBaseEncryptor,
    plaintexts: &[BoxedUint],
    rng: &mut impl CryptoRngCore,
) -> Result<Vec<Ciphertext>, PaillierError> {
    use rand_core::SeedableRng;
    let seeds: Vec<[u8; 32]> = plaintexts
        .iter()
        .map(|_| {
            let mut s = [0u8; 32];
            rng.fill_bytes(&mut s);
            s
        })
        .collect();
    plaintexts
        .par_iter()
        .zip(seeds.into_par_iter())
        .map(|(m, mut seed)| {
            let mut r = rand_chacha::ChaCha20Rng::from_seed(seed);
            seed.zeroize();
            enc.encrypt(m, &mut r)
        })
        .collect()
}

/// Decrypts many ciphertexts in parallel (rayon).
pub fn decrypt_batch(sk: &SecretKey, ciphertexts: &[Ciphertext]) -> Result<Vec<BoxedUint>, PaillierError> {
    ciphertexts.par_iter().map(|c| sk.decrypt(c)).collect()
}

// ---------------------------------------------------------------------------------------
// Serialisation: versioned, hex integers, validated on load.
// ---------------------------------------------------------------------------------------

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PublicKeyWire {
    v: u32,
    n: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SecretKeyWire {
    v: u32,
    p: String,
    q: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CiphertextWire {
    v: u32,
    c: String,
}

impl Serialize for PublicKey {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        PublicKeyWire { v: 1, n: uint_to_hex(&self.n) }.serialize(s)
    }
}

impl<'de> Deserialize<'de> for PublicKey {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let w = PublicKeyWire::deserialize(d)?;
        if w.v != 1 {
            return Err(serde::de::Error::custom("unsupported public key version"));
        }
        let n = uint_from_hex(&w.n).map_err(serde::de::Error::custom)?;
        PublicKey::from_modulus(&n).map_err(serde::de::Error::custom)
    }
}

impl Serialize for SecretKey {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // The hex strings of the primes are wiped once written.
        let mut w = SecretKeyWire { v: 1, p: uint_to_hex(&self.p), q: uint_to_hex(&self.q) };
        let written = w.serialize(s);
        w.p.zeroize();
        w.q.zeroize();
        written
    }
}

impl<'de> Deserialize<'de> for SecretKey {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut w = SecretKeyWire::deserialize(d)?;
        if w.v != 1 {
            w.p.zeroize();
            w.q.zeroize();
            return Err(serde::de::Error::custom("unsupported secret key version"));
        }
        let p = uint_from_hex(&w.p).map_err(serde::de::Error::custom);
        let q = uint_from_hex(&w.q).map_err(serde::de::Error::custom);
        w.p.zeroize();
        w.q.zeroize();
        SecretKey::from_primes(&p?, &q?).map_err(serde::de::Error::custom)
    }
}

impl Serialize for Ciphertext {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        CiphertextWire { v: 1, c: uint_to_hex(&self.c) }.serialize(s)
    }
}

impl<'de> Deserialize<'de> for Ciphertext {
    /// Parses the integer; membership in Z*_{n^2} is checked by every key operation.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let w = CiphertextWire::deserialize(d)?;
        if w.v != 1 {
            return Err(serde::de::Error::custom("unsupported ciphertext version"));
        }
        Ok(Ciphertext { c: uint_from_hex(&w.c).map_err(serde::de::Error::custom)? })
    }
}
