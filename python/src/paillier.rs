//! `mpc.paillier`: additively homomorphic encryption (`mpc_native::paillier`, g = n + 1,
//! keys of at least 2048 bits). Plaintexts are Python ints in `0..n`, or negative ones
//! in `(-n/2, 0)` encoded as `m + n`; `decrypt(..., signed=True)` maps results above
//! n/2 back to negatives. Keys and ciphertexts serialise to the CLI's versioned JSON.
//! Key generation, encryption and decryption run without the GIL.

use mpc_native::paillier::{self as native, BoxedUint};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyInt};

use crate::errors::PaillierError;

fn err(e: impl std::fmt::Display) -> PyErr {
    PaillierError::new_err(e.to_string())
}

/// A Paillier public key.
#[pyclass(name = "PublicKey", module = "mpc.paillier", frozen)]
#[derive(Debug, Clone)]
pub struct PublicKey {
    inner: native::PublicKey,
}

/// A Paillier secret key (its `Debug`/`repr` never shows the primes).
#[pyclass(name = "SecretKey", module = "mpc.paillier", frozen)]
pub struct SecretKey {
    inner: native::SecretKey,
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey { .. }")
    }
}

/// A ciphertext (validated against the key on every use).
#[pyclass(name = "Ciphertext", module = "mpc.paillier", frozen)]
#[derive(Debug, Clone)]
pub struct Ciphertext {
    inner: native::Ciphertext,
}

/// A Python int from big-endian bytes.
fn int_from_be<'py>(py: Python<'py>, bytes: &[u8]) -> PyResult<Bound<'py, PyAny>> {
    py.get_type_bound::<PyInt>().call_method1("from_bytes", (PyBytes::new_bound(py, bytes), "big"))
}

#[pymethods]
impl PublicKey {
    /// The modulus n.
    #[getter]
    fn n<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        int_from_be(py, &self.inner.n().to_be_bytes())
    }

    /// The modulus size in bits.
    #[getter]
    fn bits(&self) -> u32 {
        self.inner.bits()
    }

    /// Encrypts `m` (an int in `(-n/2, n)`).
    fn encrypt(&self, py: Python<'_>, m: &Bound<'_, PyAny>) -> PyResult<Ciphertext> {
        let m = self.plaintext(py, m)?;
        let pk = self.inner.clone();
        let c = py.allow_threads(move || pk.encrypt(&m, &mut rand_core::OsRng)).map_err(err)?;
        Ok(Ciphertext { inner: c })
    }

    /// The homomorphic sum: a ciphertext of `a + b mod n`.
    fn add(&self, a: &Ciphertext, b: &Ciphertext) -> PyResult<Ciphertext> {
        Ok(Ciphertext { inner: self.inner.add(&a.inner, &b.inner).map_err(err)? })
    }

    /// A ciphertext of `k * a mod n` for a plaintext int `k` in `(-n/2, n)`.
    fn mul(&self, py: Python<'_>, a: &Ciphertext, k: &Bound<'_, PyAny>) -> PyResult<Ciphertext> {
        let k = self.plaintext(py, k)?;
        Ok(Ciphertext { inner: self.inner.mul_plain(&a.inner, &k).map_err(err)? })
    }

    /// A ciphertext from its big-endian bytes (`Ciphertext.to_bytes()`), validated.
    fn ciphertext(&self, data: &[u8]) -> PyResult<Ciphertext> {
        Ok(Ciphertext { inner: self.inner.ciphertext_from_bytes(data).map_err(err)? })
    }

    /// The key as the CLI's versioned JSON.
    fn to_json(&self) -> PyResult<String> {
        serde_json::to_string(&self.inner).map_err(err)
    }

    /// A key from `to_json()` text (validated).
    #[staticmethod]
    fn from_json(text: &str) -> PyResult<PublicKey> {
        Ok(PublicKey {
            inner: serde_json::from_str(text).map_err(|e| err(format!("malformed key JSON: {e}")))?,
        })
    }

    fn __eq__(&self, other: &PublicKey) -> bool {
        self.inner == other.inner
    }

    fn __repr__(&self) -> String {
        format!("<mpc.paillier.PublicKey {} bits>", self.inner.bits())
    }
}

impl PublicKey {
    /// `m` (an int, `__index__`) as a plaintext in `0..n`: negative values in
    /// `(-n/2, 0)` become `m + n`.
    fn plaintext(&self, py: Python<'_>, m: &Bound<'_, PyAny>) -> PyResult<BoxedUint> {
        let m =
            m.call_method0("__index__").map_err(|_| PaillierError::new_err("a plaintext must be an int"))?;
        let n = self.n(py)?;
        let m = if m.lt(0)? {
            let twice = m.mul(-2)?;
            if twice.ge(&n)? {
                return Err(PaillierError::new_err("a negative plaintext must be above -n/2"));
            }
            m.add(&n)?
        } else {
            m
        };
        if m.ge(&n)? {
            return Err(err(native::PaillierError::PlaintextOutOfRange));
        }
        let prec = self.inner.n().bits_precision();
        let len = prec.div_ceil(8) as usize;
        let bytes: Vec<u8> = m.call_method1("to_bytes", (len, "big"))?.extract()?;
        BoxedUint::from_be_slice(&bytes, prec).map_err(|_| err(native::PaillierError::PlaintextOutOfRange))
    }
}

#[pymethods]
impl SecretKey {
    /// The matching public key.
    #[getter]
    fn public_key(&self) -> PublicKey {
        PublicKey { inner: self.inner.public_key().clone() }
    }

    /// Decrypts to an int in `0..n`, or with `signed=True` in `(-n/2, n/2]`.
    #[pyo3(signature = (c, *, signed=false))]
    fn decrypt<'py>(&self, py: Python<'py>, c: &Ciphertext, signed: bool) -> PyResult<Bound<'py, PyAny>> {
        let m = py.allow_threads(|| self.inner.decrypt(&c.inner)).map_err(err)?;
        let m = int_from_be(py, &m.to_be_bytes())?;
        let n = int_from_be(py, &self.inner.public_key().n().to_be_bytes())?;
        if signed && m.mul(2)?.gt(&n)? {
            return m.sub(&n);
        }
        Ok(m)
    }

    /// The key as the CLI's versioned JSON (it contains the primes: keep it secret).
    fn to_json(&self) -> PyResult<String> {
        serde_json::to_string(&self.inner).map_err(err)
    }

    /// A key from `to_json()` text (validated).
    #[staticmethod]
    fn from_json(text: &str) -> PyResult<SecretKey> {
        Ok(SecretKey {
            inner: serde_json::from_str(text).map_err(|e| err(format!("malformed key JSON: {e}")))?,
        })
    }

    fn __repr__(&self) -> String {
        format!("<mpc.paillier.SecretKey {} bits>", self.inner.public_key().bits())
    }
}

#[pymethods]
impl Ciphertext {
    /// The ciphertext integer, big-endian (for `PublicKey.ciphertext`).
    fn to_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new_bound(py, &self.inner.to_be_bytes())
    }

    fn __bytes__<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        self.to_bytes(py)
    }

    fn __eq__(&self, other: &Ciphertext) -> bool {
        self.inner == other.inner
    }

    fn __repr__(&self) -> String {
        "<mpc.paillier.Ciphertext>".to_string()
    }
}

/// Generates a key pair with an n of `bits` bits (at least 2048): `(public, secret)`.
#[pyfunction]
#[pyo3(signature = (bits=2048))]
fn keygen(py: Python<'_>, bits: u32) -> PyResult<(PublicKey, SecretKey)> {
    let sk = py.allow_threads(|| native::SecretKey::generate(bits, &mut rand_core::OsRng)).map_err(err)?;
    Ok((PublicKey { inner: sk.public_key().clone() }, SecretKey { inner: sk }))
}

/// `pk.encrypt(m)`.
#[pyfunction]
fn encrypt(py: Python<'_>, pk: &PublicKey, m: &Bound<'_, PyAny>) -> PyResult<Ciphertext> {
    pk.encrypt(py, m)
}

/// `sk.decrypt(c, signed=...)`.
#[pyfunction]
#[pyo3(signature = (sk, c, *, signed=false))]
fn decrypt<'py>(
    py: Python<'py>,
    sk: &SecretKey,
    c: &Ciphertext,
    signed: bool,
) -> PyResult<Bound<'py, PyAny>> {
    sk.decrypt(py, c, signed)
}

/// `pk.add(a, b)`: a ciphertext of the sum.
#[pyfunction]
fn add(pk: &PublicKey, a: &Ciphertext, b: &Ciphertext) -> PyResult<Ciphertext> {
    pk.add(a, b)
}

/// The `mpc.paillier` submodule.
pub fn module(py: Python<'_>) -> PyResult<Bound<'_, PyModule>> {
    let m = PyModule::new_bound(py, "paillier")?;
    m.add_class::<PublicKey>()?;
    m.add_class::<SecretKey>()?;
    m.add_class::<Ciphertext>()?;
    m.add_function(wrap_pyfunction!(keygen, &m)?)?;
    m.add_function(wrap_pyfunction!(encrypt, &m)?)?;
    m.add_function(wrap_pyfunction!(decrypt, &m)?)?;
    m.add_function(wrap_pyfunction!(add, &m)?)?;
    Ok(m)
}
