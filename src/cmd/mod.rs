//! One module per subcommand. Each has `Args` (clap) and `run(Args) -> anyhow::Result<()>`.

pub mod bench;
pub mod bench_link;
pub mod compile;
pub mod dp;
pub mod eval;
pub mod explain;
pub mod inspect;
pub mod load;
pub mod local;
pub mod paillier;
pub mod program;
pub mod psi;
pub mod run;
pub mod secagg;
pub mod security;
pub mod shapes {
    //! The shapes sidecar, read and written by the library (`mpc::internal::shapes`).
    pub use mpc::internal::shapes::*;
}
pub mod share;
pub mod tls;
pub mod zk;

/// An error whose message has already been printed in full (for example rendered
/// compiler diagnostics); `report_error` prints nothing more for it.
#[derive(Debug)]
pub struct AlreadyReported;

impl std::fmt::Display for AlreadyReported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("errors were reported above")
    }
}

impl std::error::Error for AlreadyReported {}

/// Prints an error as one sentence on stderr: the outer context followed by its causes.
pub fn report_error(err: &anyhow::Error) {
    if err.downcast_ref::<AlreadyReported>().is_some() {
        return;
    }
    let mut msg = err.to_string();
    for cause in err.chain().skip(1) {
        // Some errors print their source in their own message too (`could not
        // connect to X: Connection refused` caused by `Connection refused`): say it once.
        let cause = cause.to_string();
        if !msg.ends_with(&cause) {
            msg.push_str(": ");
            msg.push_str(&cause);
        }
    }
    // Newlines inside a cause (a peer's or a library's message) would split the
    // sentence over several lines; other control characters (a peer's `\x1b[2J`) are
    // shown escaped rather than sent to the terminal.
    let msg: String = msg
        .replace(['\n', '\r'], " ")
        .chars()
        .flat_map(|c| if c.is_control() { c.escape_default().collect() } else { vec![c] })
        .collect();
    note(format_args!("error: {msg}\n"));
}

/// Writes to stdout and flushes. Unlike `print!`, which panics when stdout is closed
/// or full (`mpc ... | head`, `> /dev/full`), a failure is an error the caller
/// returns, so the command exits 1 with one sentence instead of panicking.
pub fn write_stdout(args: std::fmt::Arguments<'_>) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    out.write_fmt(args)
        .and_then(|()| out.flush())
        .map_err(|e| anyhow::anyhow!("could not write to stdout: {e}"))
}

/// Writes to stderr, ignoring failures (unlike `eprint!`, which panics when stderr is
/// full): diagnostics that cannot be shown are lost, the exit status still tells.
pub fn note(args: std::fmt::Arguments<'_>) {
    use std::io::Write as _;
    let mut err = std::io::stderr().lock();
    let _ = err.write_fmt(args).and_then(|()| err.flush());
}

pub use mpc::internal::files::{read_path, read_path_text, PROGRAM_STREAM_LIMIT, SMALL_FILE_LIMIT};

/// The longest `--timeout` accepted (about 11.6 days), as for `mpc run`: the network
/// layer adds timeouts to the current instant, which overflows for huge values.
pub const MAX_TIMEOUT_SECS: u64 = 1_000_000;

/// A whole-seconds `--timeout` (0 means 1 s, as it always has) checked against
/// [`MAX_TIMEOUT_SECS`].
pub fn timeout_secs(secs: u64) -> anyhow::Result<std::time::Duration> {
    if secs > MAX_TIMEOUT_SECS {
        anyhow::bail!("--timeout {secs} is too large: at most {MAX_TIMEOUT_SECS} seconds are supported");
    }
    Ok(std::time::Duration::from_secs(secs.max(1)))
}

/// `println!` that returns an error instead of panicking (see [`write_stdout`]).
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::cmd::write_stdout(format_args!("{}\n", format_args!($($arg)*)))
    };
}
pub(crate) use outln;

/// `eprintln!` that never panics (see [`note`]).
macro_rules! noteln {
    ($($arg:tt)*) => {
        $crate::cmd::note(format_args!("{}\n", format_args!($($arg)*)))
    };
}
pub(crate) use noteln;
