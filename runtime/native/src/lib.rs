//! mpc-native: privacy primitives that run natively (outside garbled circuits):
//! Shamir secret sharing, Paillier encryption, Sigma-protocol proofs, differential
//! privacy, secure aggregation and private set intersection. Each module's doc is its
//! specification; docs/native.md is the user guide.
//!
//! **Internal crate** of the `mpc` workspace, not published: its API serves the
//! workspace's other crates and may change at any time. Applications use the `mpc`
//! crate's facade (`mpc::Program`, `mpc::Inputs`, `mpc::Outputs`, `mpc::Channel`).

pub mod dp;
pub mod paillier;
pub mod psi;
pub mod secagg;
pub mod shamir;
pub mod zk;
