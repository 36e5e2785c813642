//! `mpc-auth`: two-party authenticated garbling (Wang, Ranellucci, Katz, CCS 2017,
//! "WRK17"; Katz, Ranellucci, Rosulek, Wang, Crypto 2018, "KRRW18"): the
//! `--security malicious` mode. Internal crate
//! (`publish = false`): use it through the `mpc` facade or CLI.
//!
//! - [`shares`]: authenticated shares `<x> = x_A ^ x_B`, each party holding its share,
//!   a MAC of it under the peer's `Delta` and a key for the peer's share under its own;
//!   local XOR, XOR of a public bit, opening with a MAC check.
//! - [`leaky_and`]: KRRW18's half-gates leaky AND (Figure 5): from random `<a>, <b>,
//!   <r>` it gives `<c>` with `c = a & b`, one 16-byte table and one opened bit per
//!   triple per party, and an equality check that catches any inconsistency; a cheater
//!   may learn bits of the honest party's `a` (the "leak"), nothing more.
//! - [`bucket`]: combining `B` leaky triples per output triple, each layer after a
//!   public random cyclic shift (WRK17 section 4.2, KRRW18 section 5, with shifts for
//!   permutations) so that the leak is removed except with probability `2^-40`.
//! - [`feq`]: the commit-then-open equality check both use.
//! - [`protocol`]: the whole two-party protocol over a circuit (WRK17 section 3):
//!   preprocessing (for one instance or K instances of one circuit in a session),
//!   inputs, authenticated garbled tables, evaluation with a MAC check per AND gate,
//!   outputs.
//!
//! - [`machine`]: the protocol as a sans-IO state machine per role (the one
//!   implementation: [`protocol`]'s `run`, `run_many`, `preprocess` and
//!   `Preprocessed::run` are one loop over it), over the typed messages of
//!   [`message`].
//!
//! Everything is sans-IO: the machine takes the peer's typed messages and returns its
//! own with what it expects next, with the rng injected; tests drive both parties
//! through it, replay recorded sessions, and play a cheating one by editing a message.
//!
//! Parameters: kappa = 128 (each `Delta` has 126 free bits: bit 0 is 1 for free-XOR's
//! point-and-permute and bit 1 is 1 for the garbler and 0 for the evaluator, so that
//! bit 1 of `Delta_A ^ Delta_B` is 1, which the leaky AND uses to extract a bit, as
//! emp-ag2pc does), statistical parameter s = 40 (the bucket size from the bound
//! `B + (B - 1) log2 L >= 40 + log2 pools` argued in [`bucket`]'s docs;
//! [`bucket::pool_plan`]).

pub mod bucket;
#[doc(hidden)]
pub mod dealer;
mod error;
pub mod feq;
mod garbling;
pub mod leaky_and;
pub mod machine;
pub mod message;
pub mod protocol;
mod schedule;
pub mod shares;

pub use error::AuthError;

/// Statistical security parameter (bits).
pub const STAT_SEC: u32 = 40;

/// Which party: the garbler (party A, first in the program) or the evaluator (B).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Party A.
    Garbler,
    /// Party B.
    Evaluator,
}

impl Role {
    /// The other party.
    pub fn peer(self) -> Role {
        match self {
            Role::Garbler => Role::Evaluator,
            Role::Evaluator => Role::Garbler,
        }
    }

    /// 0 for the garbler, 1 for the evaluator (tweak domains).
    pub(crate) fn index(self) -> u64 {
        match self {
            Role::Garbler => 0,
            Role::Evaluator => 1,
        }
    }
}

/// A party's global MAC key with the pinned bits of this crate (see the crate docs).
pub fn pin_delta(role: Role, random: mpc_crypto::Block) -> mpc_crypto::Delta {
    let bit1 = match role {
        Role::Garbler => 2u128,
        Role::Evaluator => 0,
    };
    let v = (u128::from(random) & !3u128) | 1 | bit1;
    mpc_crypto::Delta::from_block(mpc_crypto::Block::from(v))
}
