//! `mpc.shamir`: threshold sharing of byte strings (`mpc_native::shamir::split_bytes`,
//! byte-wise over GF(2^8)). Shares are the text form the CLI's `mpc share` prints
//! (`mpcss1-...`, with a checksum); `combine` also takes the binary form as `bytes`.
//! Any `threshold` shares reconstruct the secret, fewer reveal nothing about it.

use mpc_native::shamir::{self, Gf256, Share};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};

use crate::errors::ShamirError;

/// Splits `secret` into `shares` shares, any `threshold` of which reconstruct it.
#[pyfunction]
#[pyo3(signature = (secret, *, threshold, shares))]
fn split(secret: &[u8], threshold: usize, shares: usize) -> PyResult<Vec<String>> {
    let out = shamir::split_bytes(secret, threshold, shares, &mut rand_core::OsRng)
        .map_err(|e| ShamirError::new_err(e.to_string()))?;
    Ok(out.iter().map(Share::to_text).collect())
}

/// Reconstructs the secret from at least `threshold` shares (text `str` or binary
/// `bytes`); more than `threshold` shares are checked to lie on one polynomial.
#[pyfunction]
fn combine<'py>(py: Python<'py>, shares: Vec<Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyBytes>> {
    let parsed = shares
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let share = if let Ok(text) = s.downcast::<PyString>() {
                Share::<Gf256>::from_text(text.to_cow()?.trim())
            } else if let Ok(bytes) = s.downcast::<PyBytes>() {
                Share::<Gf256>::from_bytes(bytes.as_bytes())
            } else {
                return Err(ShamirError::new_err(format!("share {i}: expected a str or bytes share")));
            };
            share.map_err(|e| ShamirError::new_err(format!("share {i}: {e}")))
        })
        .collect::<PyResult<Vec<_>>>()?;
    let secret = shamir::reconstruct_bytes(&parsed).map_err(|e| ShamirError::new_err(e.to_string()))?;
    Ok(PyBytes::new_bound(py, &secret))
}

/// The `mpc.shamir` submodule.
pub fn module(py: Python<'_>) -> PyResult<Bound<'_, PyModule>> {
    let m = PyModule::new_bound(py, "shamir")?;
    m.add_function(wrap_pyfunction!(split, &m)?)?;
    m.add_function(wrap_pyfunction!(combine, &m)?)?;
    Ok(m)
}
