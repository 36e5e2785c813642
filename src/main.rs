//! `mpc`: the command-line face of the toolkit.
//!
//! The CLI is thin: it parses arguments, reads files, opens sockets and prints. All
//! cryptography and compilation live in the library crates. Each subcommand is one
//! module of `cmd/` with an `Args` struct (clap) and a `run` function.
//!
//! Exit status: 0 on success; 1 with one sentence on stderr for any user or peer
//! error. A panic (exit 101) is always a bug.

mod cmd;
mod lsp;

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
    /// Language server for editors (Language Server Protocol on stdio).
    Lsp(lsp::Args),
}

/// Parses the command line. `--help` and `--version` print as clap prints them (exit 0);
/// any usage error is one `error: ...` line on stderr and exit status 1, like every
/// other user error (clap's own exit status would be 2, with several lines of usage).
fn parse_cli() -> Cli {
    use clap::error::ErrorKind;
    let err = match Cli::try_parse() {
        Ok(cli) => return cli,
        Err(err) => err,
    };
    match err.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => err.exit(),
        _ => {
            cmd::noteln!("{}", usage_error_line(&err.render().to_string()));
            std::process::exit(1);
        }
    }
}

/// Condenses clap's rendered usage error to one line: its `error:` line, then what it
/// lists on the following lines (missing arguments, possible values, a tip such as how
/// to pass a negative number), without the usage synopsis. A missing subcommand renders
/// as the help text; that becomes "... needs a subcommand".
fn usage_error_line(rendered: &str) -> String {
    let mut lines = rendered.lines().map(str::trim);
    let Some(first) = lines.by_ref().find(|l| l.starts_with("error:")) else {
        // The help shown for a missing subcommand: name the command from its usage line.
        let usage = rendered.lines().find_map(|l| l.trim().strip_prefix("Usage:")).unwrap_or("mpc");
        let command: Vec<&str> =
            usage.split_whitespace().take_while(|w| !w.starts_with('<') && !w.starts_with('[')).collect();
        let command = command.join(" ");
        return format!("error: `{command}` needs a subcommand (see `{command} --help`)");
    };
    let details: Vec<&str> = lines
        .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more information"))
        .filter(|l| !l.is_empty())
        .map(|l| l.strip_prefix("tip:").map_or(l, str::trim))
        .map(|l| l.strip_prefix('[').and_then(|l| l.strip_suffix(']')).unwrap_or(l))
        .collect();
    if details.is_empty() {
        first.to_string()
    } else if first.ends_with(':') {
        format!("{first} {}", details.join(", "))
    } else {
        format!("{first} ({})", details.join("; "))
    }
}

fn main() {
    let cli = parse_cli();
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
        Command::Lsp(args) => lsp::run(args),
    };
    if let Err(err) = result {
        cmd::report_error(&err);
        std::process::exit(1);
    }
}
