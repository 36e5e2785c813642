//! [`Error`]: every way the facade fails, one kind per cause.

use std::path::PathBuf;

use mpc_net::NetError;
use mpc_runtime::SessionError;

/// Why a facade call failed. Each kind's message is one sentence (the compile
/// error's is the rendered diagnostics).
///
/// ```
/// // Two parties running different programs: the hello refuses, a protocol error.
/// let src = |op: &str| format!("party a; party b; fn main(x: u8 @a, y: u8 @b) -> u8 {{ x {op} y }}");
/// let (p, q) = (mpc::Program::compile(&src("+")).unwrap(), mpc::Program::compile(&src("^")).unwrap());
/// let (mut ch_a, mut ch_b) = mpc::MemoryChannel::pair();
/// let other = std::thread::spawn(move || {
///     let mut inputs = q.inputs("b").unwrap();
///     inputs.set("y", 1u8).unwrap();
///     q.run("b", inputs, &mut ch_b).map(|_| ())
/// });
/// let mut inputs = p.inputs("a").unwrap();
/// inputs.set("x", 1u8).unwrap();
/// let err = p.run("a", inputs, &mut ch_a).unwrap_err();
/// assert!(matches!(err, mpc::Error::Protocol(mpc::SessionError::Mismatch(_))), "{err}");
/// assert!(other.join().unwrap().is_err());
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The source does not compile; `diagnostics` is the compiler's rendered text
    /// (rustc-style, without colours), as `mpc compile` prints it.
    #[error("the program does not compile:\n{diagnostics}")]
    Compile {
        /// The rendered diagnostics.
        diagnostics: String,
    },
    /// A file could not be read.
    #[error("cannot read `{}`: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A circuit file that is not a valid Bristol circuit, or cannot run as a program.
    #[error("`{}` {message}", path.display())]
    Circuit {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// The program has no party of that name.
    #[error("the program has no party `{name}` (its parties are {})", parties.join(", "))]
    UnknownParty {
        /// The name asked for.
        name: String,
        /// The program's parties.
        parties: Vec<String>,
    },
    /// The program has no input of that name.
    #[error("the program has no input named `{name}` (its inputs are {known})")]
    UnknownInput {
        /// The name asked for.
        name: String,
        /// The program's inputs, with their types.
        known: String,
    },
    /// The input belongs to another party than the one these inputs are for.
    #[error("input `{name}` belongs to party {owner}, not to this party ({party})")]
    WrongParty {
        /// The input.
        name: String,
        /// The party it belongs to.
        owner: String,
        /// The party the inputs (or the run) are for.
        party: String,
    },
    /// An input was not set before the run.
    #[error("missing input `{name}` ({ty}); set it with Inputs::set")]
    MissingInput {
        /// The input.
        name: String,
        /// Its type.
        ty: String,
    },
    /// The program has no output of that name.
    #[error("the program has no output named `{name}`")]
    UnknownOutput {
        /// The name asked for.
        name: String,
    },
    /// The output exists but is not revealed to the party that ran.
    #[error("output `{name}` is not revealed to party {party}")]
    NotRevealed {
        /// The output.
        name: String,
        /// The party that ran.
        party: String,
    },
    /// A value does not have the type of the input or output, or does not fit its
    /// width (setting `300u32` into a `u8`, reading a `u64` output as `u32`).
    #[error("`{name}`: {message}")]
    Type {
        /// The input or output.
        name: String,
        /// What does not match.
        message: String,
    },
    /// The channel failed: timeout, disconnect, socket or TLS error.
    #[error("{0}")]
    Channel(NetError),
    /// The session failed for another reason: a peer running another program or the
    /// same role, a misbehaving peer, a program that is not a two-party program.
    #[error("{0}")]
    Protocol(SessionError),
}

impl From<SessionError> for Error {
    fn from(e: SessionError) -> Error {
        match e {
            SessionError::Net(net) => Error::Channel(net),
            other => Error::Protocol(other),
        }
    }
}

impl From<NetError> for Error {
    fn from(e: NetError) -> Error {
        Error::Channel(e)
    }
}
