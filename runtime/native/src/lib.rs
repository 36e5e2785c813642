//! mpc-native: privacy primitives that run natively (outside garbled circuits):
//! Shamir secret sharing, Paillier encryption, Sigma-protocol proofs, differential
//! privacy, secure aggregation and private set intersection. Each module's doc is its
//! specification; docs/native.md is the user guide.
//!
//! Not published on its own: applications reach this crate as `mpc::native`, the
//! root crate's re-export (part of its public surface, with the facade).

pub mod dp;
pub mod paillier;
pub mod psi;
pub mod secagg;
pub mod shamir;
pub mod zk;
