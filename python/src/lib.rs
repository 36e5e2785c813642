//! `mpc` for Python: the extension module `mpc._mpc`, re-exported by the package
//! `mpc/__init__.py`. A thin layer over the Rust facade (`mpc::Program`) and
//! `mpc-native`; it adds no cryptography of its own.
//!
//! Modules: [`program`] (`compile`, `load`, `Program`), [`convert`] (Python values to
//! and from `mpc::Value`), [`net`] (listen/connect, TCP or TLS), [`errors`] (the
//! exception classes), [`shamir`], [`paillier`], [`psi`] (the submodules of the same
//! names). Every protocol, key generation and network wait runs with the GIL released.
//! Errors never panic across the boundary: each is a subclass of `mpc.Error` whose
//! message is the CLI's sentence.

// pyo3 0.22's `#[pymethods]`/`#[pyfunction]` expansion converts each `PyResult`'s
// error with `From::from`, which newer clippy flags in our code; 0.22 is kept for its
// stable `Bound` API with abi3-py38.
#![allow(clippy::useless_conversion)]

mod convert;
mod errors;
mod net;
mod paillier;
mod program;
mod psi;
mod shamir;

use pyo3::prelude::*;

#[pymodule]
#[pyo3(name = "_mpc")]
fn mpc_module(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    errors::register(m)?;
    m.add_class::<program::PyProgram>()?;
    m.add_function(wrap_pyfunction!(program::compile, m)?)?;
    m.add_function(wrap_pyfunction!(program::load, m)?)?;
    m.add_submodule(&shamir::module(py)?)?;
    m.add_submodule(&paillier::module(py)?)?;
    m.add_submodule(&psi::module(py)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
