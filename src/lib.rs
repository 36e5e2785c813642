//! `mpc` as a library: compile a two-party program, give one party's inputs by name,
//! run that party over any byte [`Channel`], read the outputs it may see.
//!
//! ```
//! # fn main() -> Result<(), mpc::Error> {
//! let source = "
//!     party alice;
//!     party bob;
//!     fn main(a: u32 @alice, b: u32 @bob) -> (alice_wins: bool, price: u32) {
//!         let alice_wins = a > b;
//!         let price = if alice_wins { b } else { a };
//!         (alice_wins, price)
//!     }";
//! let program = mpc::Program::compile(source)?;
//! let mut inputs = program.all_inputs();      // both parties' inputs, one process
//! inputs.set("a", 100u32)?;
//! inputs.set("b", 150u32)?;
//! let outputs = program.local(inputs)?;       // the full protocol, two threads
//! assert_eq!(outputs.get::<u32>("price")?, 100);
//! assert!(!outputs.get::<bool>("alice_wins")?);
//! # Ok(()) }
//! ```
//!
//! The two-party form, each party in its own thread (or process, or machine) over a
//! stream wrapped in an [`IoChannel`]:
//!
//! ```
//! # #[cfg(unix)]
//! # fn main() -> Result<(), mpc::Error> {
//! use std::os::unix::net::UnixStream;
//! let program = mpc::Program::compile(
//!     "party alice; party bob;
//!      fn main(a: u32 @alice, b: u32 @bob) -> (alice_wins: bool, price: u32) {
//!          let alice_wins = a > b;
//!          (alice_wins, if alice_wins { b } else { a })
//!      }",
//! )?;
//! let (s1, s2) = UnixStream::pair().expect("socket pair");
//! let p = program.clone();
//! let bob = std::thread::spawn(move || -> Result<u32, mpc::Error> {
//!     let mut inputs = p.inputs("bob")?;
//!     inputs.set("b", 150u32)?;
//!     p.run("bob", inputs, &mut mpc::IoChannel::new(s2))?.get("price")
//! });
//! let mut inputs = program.inputs("alice")?;
//! inputs.set("a", 100u32)?;
//! let outputs = program.run("alice", inputs, &mut mpc::IoChannel::new(s1))?;
//! let price: u32 = outputs.get("price")?;
//! assert_eq!(price, 100);
//! assert_eq!(bob.join().unwrap()?, 100);
//! # Ok(()) }
//! # #[cfg(not(unix))] fn main() {}
//! ```
//!
//! # What it guarantees
//!
//! The same protocol as `mpc run` / `mpc local` (the library calls are the same):
//! Yao's garbled circuits with free-XOR and half-gates over fixed-key AES, the
//! evaluator's inputs by oblivious-transfer extension, at computational security
//! parameter kappa = 128, in the **semi-honest** model: both parties follow the
//! protocol, and each learns only its own inputs and the outputs revealed to it. Nothing
//! is claimed against a party that deviates. The program's first party garbles, the
//! second evaluates. The channel carries labels and outputs as they are: over a real
//! network use an authenticated, encrypted stream (the CLI's `--tls-*` options; any
//! TLS stream can be wrapped in an [`IoChannel`]).
//!
//! [`Outputs::get`] of a party's run refuses an output that is not revealed to it
//! ([`Error::NotRevealed`]); the protocol never gave it those bits.
//!
//! Errors are one type, [`Error`], with a kind per cause.
//!
//! Inputs can also come from files ([`Inputs::set_from_file`]: a JSON object of name
//! to value, or CSV columns for array inputs) and from command-line style assignments
//! ([`Inputs::set_arg`]); [`Outputs::to_text`] and [`Outputs::to_json`] print what the
//! CLI prints. The `mpc` command is built on this facade.
//!
//! # Native modules
//!
//! [`native`] is the workspace's `mpc-native` crate, re-exported whole: Shamir secret
//! sharing, Paillier encryption, Sigma-protocol proofs, differential privacy, secure
//! aggregation and private set intersection, each module's docs its specification.
//!
//! ```
//! use mpc::native::shamir;
//! let shares = shamir::split_bytes(b"secret", 3, 5, &mut rand::rngs::OsRng).unwrap();
//! assert_eq!(&shamir::reconstruct_bytes(&shares[1..4]).unwrap()[..], b"secret");
//! assert!(shamir::reconstruct_bytes(&shares[..2]).is_err()); // below the threshold
//! ```

mod facade;

pub use facade::channel::IoChannel;
pub use facade::error::{Error, InputFileProblem};
pub use facade::peer::{connect, listen, PeerOptions};
pub use facade::program::{
    FromOutput, Inputs, IntoInput, LoadOptions, Outputs, Program, RunOptions, Security, MALICIOUS_MAX_GATES,
};
pub use facade::stats::Stats;
pub use mpc_circuits::{Circuit, Value, ValueType};
pub use mpc_native as native;
pub use mpc_net::{Channel, ChannelStats, MemoryChannel, NetError};
pub use mpc_runtime::{Progress, Scheme, SessionError, SessionStats};

/// For the `mpc` binary only: what its commands share with the library beyond the
/// facade (reading files with stream limits, the Bristol shapes sidecar, the gate
/// counter of progress bars). Not part of the library's API; it may change at any
/// time.
#[doc(hidden)]
pub mod internal {
    pub use crate::facade::files;
    pub use crate::facade::peer::{accept, dial};
    pub use crate::facade::progress::Counting;
    pub use crate::facade::shapes;
    pub use crate::facade::stats;

    /// A Bristol file (Fashion or old) read as a circuit with its shapes sidecar
    /// applied when there is one (`mpc inspect`); `true` when there is none.
    pub fn load_circuit(path: &std::path::Path) -> Result<(mpc_circuits::Circuit, bool), crate::Error> {
        crate::facade::program::load_circuit(path)
    }
}
