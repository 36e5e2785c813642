//! `mpc-ot`: oblivious transfer as sans-IO state machines: base OT over ristretto255 and
//! IKNP OT extension producing correlated, random and chosen-message OTs, and
//! SoftSpoken correlated OT.
//!
//! **Internal crate** of the `mpc` workspace, not published: its API serves the
//! workspace's other crates and may change at any time. Applications use the `mpc`
//! crate's facade (`mpc::Program`, `mpc::Inputs`, `mpc::Outputs`, `mpc::Channel`).
//!
//! Nothing here does IO: each state machine consumes and produces typed messages with
//! `to_bytes` / `from_bytes` (checked: any malformed message is an [`OtError`], never a
//! panic); the caller moves the bytes over its channel, in order.
//!
//! # Message flow
//!
//! Every flavour has the same setup, one round trip, started by the *receiver*
//! (chooser / evaluator), which plays the base-OT sender inside IKNP ([`kos`] with its
//! own messages: endemic base OTs, 33 and 8197 bytes):
//!
//! ```text
//! receiver (evaluator)                          sender (garbler)
//! let (setup, offer) = cot::Receiver::new(&mut rng);
//!             ---- SetupOffer (33 bytes) ---->
//!                          let (mut sender, answer) = cot::Sender::new(&mut rng, &delta, &offer)?;
//!             <--- SetupAnswer (4101 bytes) ---
//! let mut receiver = setup.finish(&answer)?;
//! ```
//!
//! then one message per batch of any size `n` (padded internally to a multiple of 128;
//! 16 bytes per OT, plus a 13-byte header):
//!
//! ```text
//! let (msg, labels) = receiver.extend(&choices)?;       // labels[i] = K_i ^ c_i*Delta
//!             ---- Extend ---->
//!                          let zero_labels = sender.extend(choices.len(), &msg)?;  // K_i
//! ```
//!
//! Batches must be delivered in order: each [`iknp::Extend`] names the index of its
//! first OT and the sender refuses one out of sequence (a refused message leaves the
//! state unchanged).
//!
//! For streaming many batches use the buffer-reusing path, which writes and reads the
//! wire bytes directly and allocates nothing once the buffers have grown (about 3x
//! faster than the typed API for large batches, see docs/benchmarks.md):
//!
//! ```text
//! receiver.extend_into(&choices, &mut msg_bytes, &mut labels)?;  // send msg_bytes
//! sender.extend_into(n, &received_bytes, &mut zero_labels)?;     // validates the bytes
//! ```
//!
//! # Flavours
//! - [`cot`]: correlated OT with the garbler's `Delta` (the evaluator's input labels).
//! - [`rot`]: random OT: the sender gets `[k0_i, k1_i]`, the receiver `k_{c_i}`.
//! - [`chosen`]: chosen-message 1-of-2 OT of [`mpc_crypto::Block`]s; adds one
//!   [`chosen::Transfer`] message from the sender per batch.
//! - [`kos`]: correlated OT with the KOS15 consistency check, secure against a
//!   malicious receiver (one more round trip per batch, 256 extra OTs).
//! - [`softspoken`]: SoftSpoken correlated OT (semi-honest, `k` in 2..=8): the
//!   outputs and calls of [`cot`] for `ceil(128 / k)` bits per OT instead of 128;
//!   [`softspoken::malicious`] adds the paper's consistency check (secure against a
//!   malicious receiver, the API shape of [`kos`]: one more round trip per batch,
//!   up to 255 extra OTs, a 17-byte challenge and a 49-byte proof).
//! - [`base`]: the 128 Chou-Orlandi base OTs under IKNP (usable alone: random keys).
//! - [`endemic`]: Masny-Rindal endemic base OTs (secure against a malicious party),
//!   the base OTs of [`kos`] (usable alone: random keys).
//! - [`kkrt`]: the KKRT16 batched OPRF (1-out-of-many OT extension with a 512-bit
//!   pseudorandom code) under `mpc psi --protocol kkrt`.
//! - [`transpose`]: the 128x128 bit-matrix transpose (portable, vectorised by LLVM).
//!
//! # Security
//! Semi-honest, kappa = 128, except [`kos`] and [`softspoken::malicious`] (see there). Base OT:
//! Chou-Orlandi over ristretto255 with the key derivation bound to the transcript (see
//! [`base`]); for [`kos`], Masny-Rindal endemic OT (see [`endemic`]); extension: IKNP with AES-CTR
//! column PRGs and, for random/chosen OT, the tweakable correlation-robust fixed-key
//! AES hash of mpc-crypto with the session-unique OT index as tweak. Secrets (`Delta`,
//! base-OT scalars, PRG states, pending keys) are zeroized and never printed.

pub mod base;
pub mod chosen;
pub mod cot;
pub mod endemic;
mod error;
pub mod iknp;
pub mod kkrt;
pub mod kos;
mod ristretto;
pub mod rot;
pub mod softspoken;
pub mod transpose;
mod wire;

pub use error::{OtError, Result};

/// The largest number of OTs in one message (base OTs or one extension batch): 2^26,
/// i.e. a 1 GiB extension message. Larger counts are refused as malformed, so a peer
/// cannot make us allocate more than its message's own size.
pub const MAX_BATCH: usize = 1 << 26;
