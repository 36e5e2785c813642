//! The exception classes and the mapping of Rust errors onto them.
//!
//! ```text
//! mpc.Error                   every error of this package
//! ├── CompileError            the source does not compile (the compiler's diagnostics)
//! ├── LoadError               a program file that cannot be read or is not a circuit
//! ├── InputError              unknown party or input, wrong party, missing input,
//! │                           a value of the wrong type or out of range
//! ├── ProtocolError           the session failed (peer runs another program, misbehaves)
//! │   └── ChannelError        the connection failed (refused, timeout, disconnect)
//! ├── ShamirError, PaillierError, PsiError
//! ```
//!
//! Each exception's message is the sentence the CLI prints for the same failure.

use pyo3::create_exception;
use pyo3::prelude::*;

create_exception!(mpc, Error, pyo3::exceptions::PyException, "Every error raised by mpc.");
create_exception!(mpc, CompileError, Error, "The program does not compile; the message is the diagnostics.");
create_exception!(mpc, LoadError, Error, "A program file cannot be read or is not a valid circuit.");
create_exception!(mpc, InputError, Error, "An input that the program does not accept.");
create_exception!(mpc, ProtocolError, Error, "The two-party session failed.");
create_exception!(mpc, ChannelError, ProtocolError, "The connection to the peer failed.");
create_exception!(mpc, ShamirError, Error, "Shamir sharing or reconstruction failed.");
create_exception!(mpc, PaillierError, Error, "A Paillier key, plaintext or ciphertext was refused.");
create_exception!(mpc, PsiError, Error, "The private set intersection failed.");

/// Adds the exception classes to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("Error", py.get_type_bound::<Error>())?;
    m.add("CompileError", py.get_type_bound::<CompileError>())?;
    m.add("LoadError", py.get_type_bound::<LoadError>())?;
    m.add("InputError", py.get_type_bound::<InputError>())?;
    m.add("ProtocolError", py.get_type_bound::<ProtocolError>())?;
    m.add("ChannelError", py.get_type_bound::<ChannelError>())?;
    m.add("ShamirError", py.get_type_bound::<ShamirError>())?;
    m.add("PaillierError", py.get_type_bound::<PaillierError>())?;
    m.add("PsiError", py.get_type_bound::<PsiError>())?;
    Ok(())
}

/// The exception for a facade error, with its message.
pub fn from_mpc(e: mpc::Error) -> PyErr {
    let msg = e.to_string();
    match e {
        mpc::Error::Compile { .. } => CompileError::new_err(msg),
        mpc::Error::Io { .. } | mpc::Error::Circuit { .. } => LoadError::new_err(msg),
        mpc::Error::UnknownParty { .. }
        | mpc::Error::UnknownInput { .. }
        | mpc::Error::WrongParty { .. }
        | mpc::Error::MissingInput { .. }
        | mpc::Error::Type { .. } => InputError::new_err(msg),
        mpc::Error::Channel(_) => ChannelError::new_err(msg),
        mpc::Error::Protocol(_) => ProtocolError::new_err(msg),
        _ => Error::new_err(msg),
    }
}
