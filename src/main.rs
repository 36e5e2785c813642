//! `mpc`: the command-line face of the toolkit.
//!
//! The CLI is thin: it parses arguments, reads files, opens sockets and prints. All
//! cryptography and compilation live in the library crates. Each subcommand is one
//! module of `cmd/` with an `Args` struct (clap) and a `run` function.
//!
//! Exit status: 0 on success; 1 with one sentence on stderr for any user or peer
//! error. A panic (exit 101) is always a bug.

mod cmd;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "mpc", version, about = "Secure two-party computation with garbled circuits")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print the statistics of a Bristol Fashion circuit file.
    Inspect(cmd::inspect::Args),
    /// Evaluate a circuit file or an .mpc program in plaintext (for testing).
    Eval(cmd::eval::Args),
    /// Compile an .mpc program to a Boolean circuit.
    Compile(cmd::compile::Args),
    /// Measure AES, hashing, garbling and evaluation speed on this machine.
    Bench(cmd::bench::Args),
    /// Run one party of a two-party computation over the network.
    Run(cmd::run::Args),
    /// Run both parties of a two-party computation in one process.
    Local(cmd::local::Args),
    /// Shamir secret sharing of any bytes (split / combine).
    Share(cmd::share::Args),
    /// Paillier additively homomorphic encryption.
    Paillier(cmd::paillier::Args),
    /// Sigma-protocol zero-knowledge proofs (Schnorr, Chaum-Pedersen).
    Zk(cmd::zk::Args),
    /// Differentially private queries over a column of integers.
    Dp(cmd::dp::Args),
    /// Secure aggregation of integer vectors (server and clients).
    Secagg(cmd::secagg::Args),
    /// Private set intersection between two parties (ECDH on ristretto255).
    Psi(cmd::psi::Args),
}

fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Inspect(args) => cmd::inspect::run(args),
        Command::Eval(args) => cmd::eval::run(args),
        Command::Compile(args) => cmd::compile::run(args),
        Command::Bench(args) => cmd::bench::run(args),
        Command::Run(args) => cmd::run::run(args),
        Command::Local(args) => cmd::local::run(args),
        Command::Share(args) => cmd::share::run(args),
        Command::Paillier(args) => cmd::paillier::run(args),
        Command::Zk(args) => cmd::zk::run(args),
        Command::Dp(args) => cmd::dp::run(args),
        Command::Secagg(args) => cmd::secagg::run(args),
        Command::Psi(args) => cmd::psi::run(args),
    };
    if let Err(err) = result {
        cmd::report_error(&err);
        std::process::exit(1);
    }
}
