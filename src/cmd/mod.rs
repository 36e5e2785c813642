//! One module per subcommand. Each has `Args` (clap) and `run(Args) -> anyhow::Result<()>`.

pub mod bench;
pub mod compile;
pub mod dp;
pub mod eval;
pub mod inspect;
pub mod load;
pub mod local;
pub mod paillier;
pub mod psi;
pub mod run;
pub mod secagg;
pub mod share;
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
        msg.push_str(": ");
        msg.push_str(&cause.to_string());
    }
    eprintln!("error: {msg}");
}
