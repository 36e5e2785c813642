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
    /// A program file that is not UTF-8 text.
    #[error("`{}` is not UTF-8 text", path.display())]
    NotText {
        /// The file.
        path: PathBuf,
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
    /// The shapes sidecar beside a Bristol file (`FILE.shapes.json`, written by
    /// `mpc compile -o`) cannot be read or does not fit the circuit; `message` names the
    /// sidecar and the problem.
    #[error("{message}")]
    Sidecar {
        /// The whole sentence.
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
    #[error("the circuit has no input named `{name}` (its inputs are {known})")]
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
    /// An input assignment ([`crate::Inputs::set_arg`]) without `=`.
    #[error("`--input {text}` must have the form NAME=VALUE")]
    Assignment {
        /// The assignment as given.
        text: String,
    },
    /// An input assigned twice by [`crate::Inputs::set_arg`].
    #[error("input `{name}` is given twice")]
    Repeated {
        /// The input.
        name: String,
    },
    /// A file of inputs ([`crate::Inputs::set_from_file`]) that cannot be used: `at`
    /// says where (` line 3`, ` key `a``), `problem` what.
    #[error("`{}`{at}: {problem}", path.display())]
    InputFile {
        /// The file.
        path: PathBuf,
        /// Where in the file, with a leading space, or empty.
        at: String,
        /// What is wrong there.
        problem: InputFileProblem,
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
    /// A value does not have the type of the input or does not fit its width
    /// (setting `300u32` into a `u8`, `true` into an integer).
    #[error("input `{name}`: {message}")]
    Type {
        /// The input.
        name: String,
        /// What does not match.
        message: String,
    },
    /// An output read as a Rust type it does not fit (a `u64` output as `u32`).
    #[error("output `{name}`: {message}")]
    OutputType {
        /// The output.
        name: String,
        /// What does not match.
        message: String,
    },
    /// Evaluating in the clear failed (a malformed program).
    #[error("evaluation failed")]
    Eval {
        /// The cause.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The TLS files ([`crate::PeerOptions::tls_pem`]) cannot be used.
    #[error("cannot use the TLS files")]
    Tls {
        /// The cause.
        source: NetError,
    },
    /// [`crate::listen`] could not bind its address.
    #[error("cannot listen on {addr}")]
    Listen {
        /// The address.
        addr: String,
        /// The cause.
        source: NetError,
    },
    /// [`crate::listen`]: no peer connected (in time, or the handshake failed).
    #[error("no peer connected to {addr}")]
    NoPeer {
        /// The address.
        addr: String,
        /// The cause.
        source: NetError,
    },
    /// The channel failed: timeout, disconnect, socket or TLS error.
    #[error(transparent)]
    Channel(NetError),
    /// The session failed for another reason: a peer running another program or the
    /// same role, a misbehaving peer, a program that is not a two-party program.
    #[error(transparent)]
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

/// What is wrong in a file of inputs (see [`Error::InputFile`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InputFileProblem {
    /// The file is not UTF-8 text.
    #[error("it is not UTF-8 text")]
    NotText,
    /// A `.json` file that does not parse.
    #[error("it is not valid JSON ({0})")]
    Json(String),
    /// A JSON file whose top level is not an object.
    #[error("it is not a JSON object of input names to values")]
    NotObject,
    /// A JSON value that cannot be an input value (`null`, a number that is not an
    /// integer JSON holds exactly), or has the wrong shape for the input's type.
    #[error("{0}")]
    Value(String),
    /// The input named there cannot be set: unknown, another party's, or a value that
    /// does not fit (the facade's own error).
    #[error("{0}")]
    Input(Box<Error>),
    /// A JSON file naming one input twice.
    #[error("input `{0}` is named twice")]
    RepeatedKey(String),
    /// A CSV file without a header row.
    #[error("it has no header row naming array inputs")]
    NoHeader,
    /// A CSV header naming one input twice.
    #[error("column `{0}` is named twice in the header")]
    RepeatedColumn(String),
    /// A CSV row with another number of fields than the header.
    #[error("it has {got} field{}, the header has {want}", if *got == 1 { "" } else { "s" })]
    Ragged {
        /// Fields of the header.
        want: usize,
        /// Fields of this row.
        got: usize,
    },
    /// A CSV field whose quotes do not close on its line.
    #[error("a quoted field is not closed")]
    Unclosed,
    /// A CSV column for an input that is not an array.
    #[error("input `{name}` is not an array ({ty}); give it in a JSON file or with --input")]
    NotArray {
        /// The input.
        name: String,
        /// Its type.
        ty: String,
    },
    /// A CSV column with more elements than its array input has.
    #[error("input `{name}` has {len} elements and the column gives more")]
    TooMany {
        /// The input.
        name: String,
        /// Its number of elements.
        len: usize,
    },
    /// A CSV column with fewer elements than its array input has.
    #[error("input `{name}` has {len} elements and the column gives {got}")]
    TooFew {
        /// The input.
        name: String,
        /// Its number of elements.
        len: usize,
        /// How many the column gives.
        got: usize,
    },
    /// A CSV column with a value after an empty cell (a column ends at its first empty cell).
    #[error("column `{0}` has a value after an empty cell")]
    Gap(String),
}
