//! [`Program`], [`Inputs`], [`Outputs`]: compile or load, set inputs by name, run,
//! read outputs by name; `mpc run`, `mpc local` and `mpc eval` are built on them. The
//! calls underneath: `mpc_compiler::compile_program`, `mpc_circuits::parse_value`,
//! `mpc_circuits::execute`, `mpc_runtime::run_{garbler,evaluator,local}_program`.
//!
//! Invariants: an [`Inputs`] holds, per input group, either nothing or exactly the
//! group's width of bits, checked against its type when set; a run starts only when
//! every group of its party (or every group) is set. An [`Outputs`] holds a value only
//! for outputs revealed to the party that ran.

use std::path::Path;
use std::sync::Arc;

use mpc_circuits::{PartyId, Reveal, Value, ValueType};
use mpc_runtime::{SessionOptions, SessionStats};

use super::error::Error;
use super::files::{read_path, CIRCUIT_STREAM_LIMIT, PROGRAM_STREAM_LIMIT};
use super::progress::Counting;
use crate::{Channel, Progress};

/// A compiled two-party program, cheap to clone (the compiled form is shared).
#[derive(Clone, Debug)]
pub struct Program {
    inner: Arc<mpc_circuits::Program>,
    /// Loaded from a Bristol file without a shapes sidecar (the default convention).
    bare: bool,
    /// The compiler's rendered warnings (empty when none).
    warnings: String,
}

/// How [`Program::load_with`] loads a file.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct LoadOptions {
    color: bool,
    check_bounds: bool,
}

impl LoadOptions {
    /// Render compiler diagnostics (errors and warnings) with ANSI colours, for a
    /// terminal.
    pub fn color(mut self, color: bool) -> LoadOptions {
        self.color = color;
        self
    }

    /// Compile with `--check-bounds`: the program gets a last output `out_of_bounds`,
    /// true when a secret index was out of range on the path the run took (by default
    /// such a read returns some element and such a write writes nothing). `.mpc`
    /// sources only; a circuit file is refused.
    ///
    /// ```
    /// let dir = std::env::temp_dir().join(format!("mpc-bounds-doc-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir).unwrap();
    /// let f = dir.join("read.mpc");
    /// std::fs::write(&f, "party a; party b; fn main(xs: [u8; 4] @a, i: u8 @b) -> u8 { xs[i] }").unwrap();
    /// let p = mpc::Program::load_with(&f, &mpc::LoadOptions::default().check_bounds(true)).unwrap();
    /// let mut inputs = p.all_inputs();
    /// inputs.set_arg("xs=[1, 2, 3, 4]").unwrap().set_arg("i=9").unwrap();
    /// assert!(p.eval(inputs).unwrap().get::<bool>("out_of_bounds").unwrap());
    /// std::fs::remove_dir_all(&dir).unwrap();
    /// ```
    pub fn check_bounds(mut self, check_bounds: bool) -> LoadOptions {
        self.check_bounds = check_bounds;
        self
    }
}

/// Options of [`Program::run_with`], [`Program::local_with`] and [`Program::eval_with`].
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct RunOptions {
    progress: Option<Arc<Progress>>,
    security: Security,
    max_gates: Option<u64>,
    scheme: crate::Scheme,
}

/// Which parties the protocol protects against (see README "Security model" and
/// docs/protocol.md). Both parties must choose the same; the hello refuses a mismatch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Security {
    /// Semi-honest parties (the default): streams programs of any size.
    #[default]
    SemiHonest,
    /// A party that deviates arbitrarily is caught (authenticated garbling); the program
    /// is expanded into one circuit of at most [`RunOptions::max_gates`] gates
    /// ([`MALICIOUS_MAX_GATES`] by default).
    Malicious,
}

/// The default bound on the expanded circuit of a [`Security::Malicious`] run (its
/// memory is about 1 KB per AND gate per party: the preprocessing holds `3B + 1`
/// authenticated bits of 33 bytes per AND, `B` = 3 to 6; measured 80 MB for both
/// parties of a 22,573-AND SHA-256), so about 2 GB per party at this bound.
pub const MALICIOUS_MAX_GATES: u64 = 2_000_000;

impl RunOptions {
    /// Counters the run updates as it goes, readable from another thread (a progress
    /// bar): the protocol counts AND gates done of the total and bytes moved; a plain
    /// evaluation counts all gates executed of the total.
    ///
    /// ```
    /// use std::sync::{atomic::Ordering, Arc};
    /// let p = mpc::Program::compile("party a; party b; fn main(x: u8 @a, y: u8 @b) -> u8 { x * y }").unwrap();
    /// let progress = Arc::new(mpc::Progress::default());
    /// let opts = mpc::RunOptions::default().progress(Arc::clone(&progress));
    /// let mut inputs = p.all_inputs();
    /// inputs.set("x", 3u8).unwrap().set("y", 5u8).unwrap();
    /// let out = p.local_with(inputs, &opts).unwrap();
    /// assert_eq!(out.get::<u8>(&p.circuit().outputs()[0].name).unwrap(), 15);
    /// let done = progress.and_gates_done.load(Ordering::Relaxed);
    /// assert!(done > 0 && done == progress.and_gates_total.load(Ordering::Relaxed));
    /// ```
    pub fn progress(mut self, progress: Arc<Progress>) -> RunOptions {
        self.progress = Some(progress);
        self
    }

    /// The security mode (semi-honest by default).
    ///
    /// ```
    /// let p = mpc::Program::compile("party a; party b; fn main(x: u8 @a, y: u8 @b) -> u8 { x * y }").unwrap();
    /// let opts = mpc::RunOptions::default().security(mpc::Security::Malicious);
    /// let mut inputs = p.all_inputs();
    /// inputs.set("x", 3u8).unwrap().set("y", 5u8).unwrap();
    /// let out = p.local_with(inputs, &opts).unwrap();
    /// assert_eq!(out.get::<u8>(&p.circuit().outputs()[0].name).unwrap(), 15);
    /// ```
    pub fn security(mut self, security: Security) -> RunOptions {
        self.security = security;
        self
    }

    /// How a semi-honest run garbles AND gates: [`crate::Scheme::HalfGates`] (the
    /// default, 32 bytes per AND) or [`crate::Scheme::ThreeHalves`] (24.6 bytes per AND,
    /// for slow links). Both parties must choose the same.
    ///
    /// ```
    /// let p = mpc::Program::compile("party a; party b; fn main(x: u8 @a, y: u8 @b) -> u8 { x * y }").unwrap();
    /// let opts = mpc::RunOptions::default().scheme(mpc::Scheme::ThreeHalves);
    /// let mut inputs = p.all_inputs();
    /// inputs.set("x", 3u8).unwrap().set("y", 5u8).unwrap();
    /// assert_eq!(p.local_with(inputs, &opts).unwrap().get::<u8>(&p.circuit().outputs()[0].name).unwrap(), 15);
    /// ```
    pub fn scheme(mut self, scheme: crate::Scheme) -> RunOptions {
        self.scheme = scheme;
        self
    }

    /// Bounds the circuit a [`Security::Malicious`] run expands the program into.
    pub fn max_gates(mut self, max_gates: u64) -> RunOptions {
        self.max_gates = Some(max_gates);
        self
    }

    fn session(&self) -> SessionOptions {
        SessionOptions { progress: self.progress.clone(), scheme: self.scheme }
    }

    fn malicious_max_gates(&self) -> usize {
        usize::try_from(self.max_gates.unwrap_or(MALICIOUS_MAX_GATES)).unwrap_or(usize::MAX)
    }
}

impl Program {
    /// Compiles `.mpc` source. A program that does not compile is
    /// [`Error::Compile`] with the compiler's rendered diagnostics.
    ///
    /// ```
    /// let err = mpc::Program::compile("party a; fn main(x: u8 @a) -> u8 { y }").unwrap_err();
    /// assert!(matches!(err, mpc::Error::Compile { .. }));
    /// assert!(err.to_string().contains("y"));
    /// ```
    pub fn compile(source: &str) -> Result<Program, Error> {
        compile_named(source, "<source>", &LoadOptions::default())
    }

    /// Loads a program file: an `.mpc` source is compiled; any other file is read as a
    /// Bristol (Fashion or old) circuit, level-scheduled for garbling, with the
    /// parties, names, types and reveals of its shapes sidecar `FILE.shapes.json`
    /// (written by `mpc compile -o`) when there is one, else under the default
    /// convention (inputs named `0`, `1`, ..., input k belongs to party k % 2, every
    /// output revealed to both; see [`Program::uses_default_convention`]). A file that
    /// is not a regular file (a pipe, `/dev/stdin`) is read up to 64 MiB for a program,
    /// 1 GiB for a circuit.
    ///
    /// ```
    /// let p = mpc::Program::load(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/auction.mpc")).unwrap();
    /// assert_eq!(p.parties(), ["alice", "bob"]);
    /// assert!(!p.uses_default_convention());
    /// assert!(matches!(mpc::Program::load("/no/such/file.mpc"), Err(mpc::Error::Io { .. })));
    /// ```
    pub fn load(path: impl AsRef<Path>) -> Result<Program, Error> {
        Program::load_with(path, &LoadOptions::default())
    }

    /// [`Program::load`] with options (coloured diagnostics).
    ///
    /// ```
    /// let dir = std::env::temp_dir().join(format!("mpc-load-doc-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir).unwrap();
    /// let bad = dir.join("bad.mpc");
    /// std::fs::write(&bad, "party a; fn main(x: u8 @a) -> u8 { y }").unwrap();
    /// let opts = mpc::LoadOptions::default().color(true);
    /// let Err(mpc::Error::Compile { diagnostics }) = mpc::Program::load_with(&bad, &opts) else { panic!() };
    /// assert!(diagnostics.contains("bad.mpc") && diagnostics.contains('\x1b'));
    /// std::fs::write(&bad, [0xffu8, 0xfe]).unwrap();
    /// assert!(matches!(mpc::Program::load(&bad), Err(mpc::Error::NotText { .. })));
    /// std::fs::remove_dir_all(&dir).unwrap();
    /// ```
    pub fn load_with(path: impl AsRef<Path>, options: &LoadOptions) -> Result<Program, Error> {
        let path = path.as_ref();
        let io = |source| Error::Io { path: path.to_path_buf(), source };
        if path.extension().is_some_and(|e| e == "mpc") {
            let bytes = read_path(path, PROGRAM_STREAM_LIMIT).map_err(io)?;
            let source = String::from_utf8(bytes).map_err(|_| Error::NotText { path: path.to_path_buf() })?;
            return compile_named(&source, &path.display().to_string(), options);
        }
        if options.check_bounds {
            return Err(Error::Circuit {
                path: path.to_path_buf(),
                message: "is a circuit: `--check-bounds` needs the `.mpc` source (compile it with `mpc compile --check-bounds`, which adds the `out_of_bounds` output)".into(),
            });
        }
        let (circuit, bare) = load_circuit(path)?;
        let circuit = mpc_circuits::passes::schedule_levels(&circuit);
        let program = mpc_circuits::Program::from_circuit(&circuit).map_err(|e| Error::Circuit {
            path: path.to_path_buf(),
            message: format!("cannot run as a program: {}", chain_text(&e)),
        })?;
        Ok(Program { inner: Arc::new(program), bare, warnings: String::new() })
    }

    /// Whether the program was loaded from a Bristol file without a shapes sidecar, so
    /// it runs under the default convention (input k belongs to party k % 2, every
    /// output revealed to both). A circuit compiled for other parties or restricted
    /// outputs would then give inputs or outputs to the wrong party; the file alone
    /// cannot tell.
    ///
    /// ```
    /// let dir = std::env::temp_dir().join(format!("mpc-bristol-doc-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir).unwrap();
    /// let file = dir.join("and.txt");
    /// // One AND gate of two 1-bit inputs (Bristol Fashion).
    /// std::fs::write(&file, "1 3\n2 1 1\n1 1\n\n2 1 0 1 2 AND\n").unwrap();
    /// let p = mpc::Program::load(&file).unwrap();
    /// assert!(p.uses_default_convention());
    /// assert!(p.warnings().is_empty());
    /// p.check_two_party().unwrap();
    /// let mut inputs = p.all_inputs();
    /// inputs.set_arg("0=1").unwrap().set_arg("1=true").unwrap();
    /// assert_eq!(p.local(inputs).unwrap().to_text(), "0: true\n");
    /// std::fs::remove_dir_all(&dir).unwrap();
    /// ```
    pub fn uses_default_convention(&self) -> bool {
        self.bare
    }

    /// The compiler's warnings, rendered as `mpc compile` prints them (empty when there
    /// are none, and for circuit files).
    pub fn warnings(&self) -> &str {
        &self.warnings
    }

    /// What the whole run executes (gate counts, AND depth, wires) and the size of the
    /// program form, computed without expanding it; see [`crate::Stats`].
    pub fn stats(&self) -> crate::Stats {
        super::stats::whole_run(&self.inner)
    }

    /// The party names, in order: the first garbles, the second evaluates.
    pub fn parties(&self) -> &[String] {
        self.inner.parties()
    }

    /// The compiled program (inputs, outputs, bodies, statistics). Its type belongs to
    /// the internal crate `mpc-circuits`, whose API may change.
    pub fn circuit(&self) -> &mpc_circuits::Program {
        &self.inner
    }

    /// Refuses a program that is not a two-party program (what [`Program::run`] and
    /// [`Program::local`] need; [`Program::eval`] takes any number of parties).
    ///
    /// ```
    /// let one = mpc::Program::compile("party a; fn main(x: u8 @a) -> u8 { x + 1 }").unwrap();
    /// assert!(matches!(one.check_two_party(), Err(mpc::Error::Protocol(_))));
    /// let mut inputs = one.all_inputs();
    /// inputs.set("x", 1u8).unwrap();
    /// assert_eq!(one.eval(inputs).unwrap().to_json(), format!(r#"{{"{}":2}}"#, one.circuit().outputs()[0].name));
    /// ```
    pub fn check_two_party(&self) -> Result<(), Error> {
        mpc_runtime::check_two_party_program(&self.inner).map_err(Error::from)
    }

    /// The inputs of party `party`, all unset.
    pub fn inputs(&self, party: &str) -> Result<Inputs, Error> {
        let p = self.party(party)?;
        Ok(Inputs::new(Arc::clone(&self.inner), Some(p)))
    }

    /// Every party's inputs, all unset (for [`Program::local`] and [`Program::eval`]).
    pub fn all_inputs(&self) -> Inputs {
        Inputs::new(Arc::clone(&self.inner), None)
    }

    /// Runs party `party`'s side of the protocol over `channel` with its `inputs`
    /// (from [`Program::inputs`] of the same party); the peer runs the other party's
    /// side of the same program. Returns the outputs this party may see.
    ///
    /// ```
    /// let p = mpc::Program::compile(
    ///     "party alice; party bob;
    ///      fn main(a: i8 @alice, b: i8 @bob) -> (sum: i16, bob_only: bool @bob) {
    ///          (a as i16 + b as i16, a < b)
    ///      }",
    /// )
    /// .unwrap();
    /// let (mut ch_a, mut ch_b) = mpc::MemoryChannel::pair();
    /// let q = p.clone();
    /// let bob = std::thread::spawn(move || {
    ///     let mut inputs = q.inputs("bob").unwrap();
    ///     inputs.set("b", -100i8).unwrap();
    ///     q.run("bob", inputs, &mut ch_b).unwrap()
    /// });
    /// let mut inputs = p.inputs("alice").unwrap();
    /// inputs.set("a", -100i8).unwrap();
    /// let alice = p.run("alice", inputs, &mut ch_a).unwrap();
    /// let bob = bob.join().unwrap();
    /// assert_eq!(alice.get::<i16>("sum").unwrap(), -200);
    /// assert_eq!(bob.get::<i64>("sum").unwrap(), -200);
    /// assert!(!bob.get::<bool>("bob_only").unwrap());
    /// assert!(matches!(alice.get::<bool>("bob_only"), Err(mpc::Error::NotRevealed { .. })));
    /// assert_eq!(alice.names().collect::<Vec<_>>(), ["sum"]);
    ///
    /// // Errors before anything is sent: an unset input, another party's inputs, no such party.
    /// let (mut ch, _peer) = mpc::MemoryChannel::pair();
    /// let unset = p.inputs("alice").unwrap();
    /// assert!(matches!(p.run("alice", unset, &mut ch), Err(mpc::Error::MissingInput { .. })));
    /// let bobs = p.inputs("bob").unwrap();
    /// assert!(matches!(p.run("alice", bobs, &mut ch), Err(mpc::Error::WrongParty { .. })));
    /// assert!(matches!(p.inputs("carol"), Err(mpc::Error::UnknownParty { .. })));
    ///
    /// // A peer that hangs up is a channel error.
    /// let (mut ch, peer) = mpc::MemoryChannel::pair();
    /// drop(peer);
    /// let mut inputs = p.inputs("alice").unwrap();
    /// inputs.set("a", 1i8).unwrap();
    /// assert!(matches!(p.run("alice", inputs, &mut ch), Err(mpc::Error::Channel(_))));
    /// ```
    pub fn run<C: Channel + ?Sized>(
        &self,
        party: &str,
        inputs: Inputs,
        channel: &mut C,
    ) -> Result<Outputs, Error> {
        self.run_with(party, inputs, channel, &RunOptions::default())
    }

    /// [`Program::run`] with options (progress counters), over any channel: a
    /// [`crate::MemoryChannel`] end, an [`crate::IoChannel`], or the `Box<dyn Channel>`
    /// of [`crate::listen`] / [`crate::connect`] (see there for an example over TCP).
    pub fn run_with<C: Channel + ?Sized>(
        &self,
        party: &str,
        inputs: Inputs,
        channel: &mut C,
        options: &RunOptions,
    ) -> Result<Outputs, Error> {
        let p = self.party(party)?;
        if inputs.party != Some(p) {
            return Err(Error::WrongParty {
                name: "(the inputs)".into(),
                owner: inputs.party.map_or("every party".into(), |q| self.party_name(q)),
                party: party.into(),
            });
        }
        let bits = inputs.into_bits()?;
        let opts = options.session();
        let out = match (options.security, p == PartyId(0)) {
            (Security::SemiHonest, true) => {
                mpc_runtime::run_garbler_program(channel, &self.inner, &bits, &opts)?
            }
            (Security::SemiHonest, false) => {
                mpc_runtime::run_evaluator_program(channel, &self.inner, &bits, &opts)?
            }
            (Security::Malicious, garbler) => {
                let role = if garbler { mpc_runtime::Role::Garbler } else { mpc_runtime::Role::Evaluator };
                mpc_runtime::run_malicious_program(
                    channel,
                    role,
                    &self.inner,
                    &bits,
                    options.malicious_max_gates(),
                )?
            }
        };
        let values = self
            .inner
            .outputs()
            .iter()
            .zip(out.outputs)
            .map(|(o, bits)| bits.filter(|_| visible(o.reveal, p)).map(|b| Value::from_bits(&o.ty, &b)))
            .collect();
        Ok(Outputs { program: Arc::clone(&self.inner), viewer: Some(p), values, stats: vec![out.stats] })
    }

    /// Runs both parties in this process (two threads over an in-memory channel, the
    /// full protocol), with every party's `inputs` (from [`Program::all_inputs`]).
    /// Every output is readable.
    pub fn local(&self, inputs: Inputs) -> Result<Outputs, Error> {
        self.local_with(inputs, &RunOptions::default())
    }

    /// [`Program::local`] with options (progress counters).
    pub fn local_with(&self, inputs: Inputs, options: &RunOptions) -> Result<Outputs, Error> {
        let bits = self.all_bits(inputs)?;
        let out = match options.security {
            Security::SemiHonest => mpc_runtime::run_local_program(&self.inner, &bits, &options.session())?,
            Security::Malicious => {
                mpc_runtime::run_local_malicious_program(&self.inner, &bits, options.malicious_max_gates())?
            }
        };
        Ok(self.outputs_of(out.outputs, vec![out.garbler, out.evaluator]))
    }

    /// Evaluates the program in the clear (no protocol, for testing), with every
    /// party's `inputs`.
    ///
    /// ```
    /// let p = mpc::Program::compile(
    ///     "party a; party b; fn main(x: u8 @a, y: u8 @b) -> (sum: u8, big: bool) { (x + y, x > y) }",
    /// )
    /// .unwrap();
    /// let mut inputs = p.all_inputs();
    /// inputs.set("x", 250u8).unwrap();
    /// inputs.set("y", "10").unwrap(); // parsed as `--input y=10`
    /// let out = p.eval(inputs).unwrap();
    /// assert_eq!(out.get::<u8>("sum").unwrap(), 4); // wraps, like u8 arithmetic
    /// assert!(out.get::<bool>("big").unwrap());
    /// assert_eq!(out.names().collect::<Vec<_>>(), ["sum", "big"]);
    /// ```
    pub fn eval(&self, inputs: Inputs) -> Result<Outputs, Error> {
        self.eval_with(inputs, &RunOptions::default())
    }

    /// [`Program::eval`] with options (progress counters: all gates, not only AND).
    ///
    /// ```
    /// use std::sync::{atomic::Ordering, Arc};
    /// let p = mpc::Program::compile("party a; party b; fn main(x: u8 @a, y: u8 @b) -> u8 { x * y }").unwrap();
    /// let progress = Arc::new(mpc::Progress::default());
    /// let mut inputs = p.all_inputs();
    /// inputs.set("x", 3u8).unwrap().set("y", 5u8).unwrap();
    /// let out = p.eval_with(inputs, &mpc::RunOptions::default().progress(Arc::clone(&progress))).unwrap();
    /// assert_eq!(out.to_text().trim_end().rsplit(' ').next(), Some("15"));
    /// let total = p.circuit().stats().gates();
    /// assert_eq!(u128::from(progress.and_gates_done.load(Ordering::Relaxed)), total);
    /// assert_eq!(u128::from(progress.and_gates_total.load(Ordering::Relaxed)), total);
    /// ```
    pub fn eval_with(&self, inputs: Inputs, options: &RunOptions) -> Result<Outputs, Error> {
        use mpc_circuits::program::PlainEngine;
        let bits: Vec<bool> = self.all_bits(inputs)?.into_iter().flatten().collect();
        let result = match &options.progress {
            Some(progress) => {
                let total = u64::try_from(self.inner.stats().gates()).unwrap_or(u64::MAX);
                progress.and_gates_total.store(total, std::sync::atomic::Ordering::Relaxed);
                let mut engine = Counting { inner: PlainEngine::default(), done: &progress.and_gates_done };
                mpc_circuits::execute(&self.inner, &mut engine, &bits)
            }
            None => mpc_circuits::execute(&self.inner, &mut PlainEngine::default(), &bits),
        };
        let flat = result.map_err(|e| Error::Eval { source: Box::new(e) })?;
        let mut outputs = Vec::with_capacity(self.inner.outputs().len());
        let mut pos = 0;
        for o in self.inner.outputs() {
            let w = o.region.width as usize;
            // `execute` returns one bit per output bit, outputs in order; a shortfall
            // would be a bug of the executor, reported rather than indexed past.
            let Some(b) = flat.get(pos..pos + w) else {
                return Err(Error::Eval { source: "too few output bits".into() });
            };
            outputs.push(b.to_vec());
            pos += w;
        }
        Ok(self.outputs_of(outputs, Vec::new()))
    }

    fn all_bits(&self, inputs: Inputs) -> Result<Vec<Vec<bool>>, Error> {
        if let Some(p) = inputs.party {
            return Err(Error::WrongParty {
                name: "(the inputs)".into(),
                owner: self.party_name(p),
                party: "every party (use Program::all_inputs)".into(),
            });
        }
        inputs.into_bits()
    }

    fn outputs_of(&self, bits: Vec<Vec<bool>>, stats: Vec<SessionStats>) -> Outputs {
        let values =
            self.inner.outputs().iter().zip(bits).map(|(o, b)| Some(Value::from_bits(&o.ty, &b))).collect();
        Outputs { program: Arc::clone(&self.inner), viewer: None, values, stats }
    }

    fn party(&self, name: &str) -> Result<PartyId, Error> {
        self.inner
            .parties()
            .iter()
            .position(|p| p == name)
            .and_then(|i| u8::try_from(i).ok())
            .map(PartyId)
            .ok_or_else(|| Error::UnknownParty { name: name.into(), parties: self.inner.parties().to_vec() })
    }

    fn party_name(&self, p: PartyId) -> String {
        party_name(&self.inner, p)
    }
}

fn compile_named(source: &str, file: &str, load: &LoadOptions) -> Result<Program, Error> {
    let mut options = mpc_compiler::Options::default();
    options.limits.check_bounds = load.check_bounds;
    let (p, diags) = mpc_compiler::compile_program(source, &options);
    let rendered =
        if diags.is_empty() { String::new() } else { mpc_compiler::render(&diags, file, source, load.color) };
    match p {
        Some(p) => Ok(Program { inner: Arc::new(p), bare: false, warnings: rendered }),
        None => Err(Error::Compile { diagnostics: rendered }),
    }
}

/// Reads a Bristol file (Fashion or old, told apart by content) as a circuit, with its
/// shapes sidecar applied when there is one; `true` when there is none.
pub(crate) fn load_circuit(path: &Path) -> Result<(mpc_circuits::Circuit, bool), Error> {
    let bytes = read_path(path, CIRCUIT_STREAM_LIMIT)
        .map_err(|source| Error::Io { path: path.to_path_buf(), source })?;
    let circuit = mpc_circuits::bristol::read_bytes(&bytes).map_err(|e| Error::Circuit {
        path: path.to_path_buf(),
        message: format!("is not a valid Bristol circuit: {}", chain_text(&e)),
    })?;
    match super::shapes::load(path, &bytes, &circuit) {
        Ok(Some(shaped)) => Ok((shaped, false)),
        Ok(None) => Ok((circuit, true)),
        Err(e) => Err(Error::Sidecar { message: anyhow_text(&e) }),
    }
}

/// An error and its causes as one sentence, each cause after `: ` unless the message
/// already ends with it (as the CLI reports errors).
fn chain_text(e: &(dyn std::error::Error + 'static)) -> String {
    let mut msg = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let c_text = c.to_string();
        if !msg.ends_with(&c_text) {
            msg.push_str(": ");
            msg.push_str(&c_text);
        }
        cause = c.source();
    }
    msg
}

fn anyhow_text(e: &anyhow::Error) -> String {
    let mut msg = e.to_string();
    for c in e.chain().skip(1) {
        let c_text = c.to_string();
        if !msg.ends_with(&c_text) {
            msg.push_str(": ");
            msg.push_str(&c_text);
        }
    }
    msg
}

fn party_name(program: &mpc_circuits::Program, p: PartyId) -> String {
    program.parties().get(usize::from(p.0)).cloned().unwrap_or_else(|| p.0.to_string())
}

fn visible(reveal: Reveal, viewer: PartyId) -> bool {
    match reveal {
        Reveal::All => true,
        Reveal::To(p) => p == viewer,
    }
}

/// One party's (or every party's) inputs, set by name.
#[derive(Clone)]
pub struct Inputs {
    pub(super) program: Arc<mpc_circuits::Program>,
    pub(super) party: Option<PartyId>,
    bits: Vec<Option<Vec<bool>>>,
    /// Which inputs [`Inputs::set_arg`] has set (it refuses them a second time).
    by_arg: Vec<bool>,
}

impl std::fmt::Debug for Inputs {
    // Inputs are secrets: the names only, never the values.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let set: Vec<&str> = self
            .program
            .inputs()
            .iter()
            .zip(&self.bits)
            .filter(|(_, b)| b.is_some())
            .map(|(g, _)| g.name.as_str())
            .collect();
        f.debug_struct("Inputs").field("party", &self.party).field("set", &set).finish_non_exhaustive()
    }
}

/// The input value that asks for fresh random bits: `--input NAME=random`.
pub(super) const RANDOM: &str = "random";

impl Inputs {
    fn new(program: Arc<mpc_circuits::Program>, party: Option<PartyId>) -> Inputs {
        let n = program.inputs().len();
        Inputs { program, party, bits: vec![None; n], by_arg: vec![false; n] }
    }

    /// Sets input `name` (setting it again replaces the value). Integers must fit the
    /// input's type by value (`300u32` does not fit a `u8`; `-1i8` fits no unsigned
    /// type); `bool` sets a `bool`; a [`Value`] must have the input's shape and widths;
    /// a `&str` is parsed like the CLI's `--input NAME=VALUE` (arrays `[1, 2]`, structs,
    /// hex `0x..`; `random` draws the input's bits from the operating system's
    /// generator).
    ///
    /// ```
    /// let p = mpc::Program::compile("party a; party b; fn main(x: u8 @a, y: i16 @b) -> bool { x == 0 }").unwrap();
    /// let mut mine = p.inputs("a").unwrap();
    /// mine.set("x", 200u32).unwrap();
    /// assert!(matches!(mine.set("x", 300u32), Err(mpc::Error::Type { .. })));
    /// assert!(matches!(mine.set("x", true), Err(mpc::Error::Type { .. })));
    /// assert!(matches!(mine.set("y", 1i16), Err(mpc::Error::WrongParty { .. })));
    /// assert!(matches!(mine.set("z", 1u8), Err(mpc::Error::UnknownInput { .. })));
    /// let mut all = p.all_inputs();
    /// all.set("y", -32768i64).unwrap();
    /// assert!(all.set("y", 32768i64).is_err());
    /// all.set("y", mpc::Value::Int { signed: true, bits: vec![true; 16] }).unwrap(); // -1
    /// assert!(all.set("y", mpc::Value::Int { signed: true, bits: vec![true; 8] }).is_err());
    /// assert!(all.set("y", "70000").is_err());
    ///
    /// let wide = mpc::Program::compile("party a; party b; fn main(x: u128 @a, y: i128 @b) -> bool { x == 0 }").unwrap();
    /// let mut all = wide.all_inputs();
    /// all.set("x", u128::MAX).unwrap().set("y", i128::MIN).unwrap();
    /// assert!(all.set("y", u128::MAX).is_err());
    /// assert!(!wide.eval(all).unwrap().get::<bool>(&wide.circuit().outputs()[0].name).unwrap());
    /// ```
    pub fn set(&mut self, name: &str, value: impl IntoInput) -> Result<&mut Inputs, Error> {
        let k = self.index(name)?;
        let ty = &self.program.inputs()[k].ty;
        let bits = value.into_bits(ty).map_err(|message| Error::Type { name: name.into(), message })?;
        self.bits[k] = Some(bits);
        Ok(self)
    }

    /// Sets an input from a command-line assignment `NAME=VALUE`, as `mpc run`,
    /// `mpc local` and `mpc eval` take `--input`: the value is parsed like a `&str` in
    /// [`Inputs::set`], and `random` draws the input's bits from the operating
    /// system's generator. An input already set by `set_arg` is refused
    /// ([`Error::Repeated`]); one set otherwise (by [`Inputs::set`] or from a file) is
    /// replaced, so `--input` overrides `--inputs FILE`.
    ///
    /// ```
    /// let p = mpc::Program::compile("party a; party b; fn main(x: u8 @a, y: u8 @b) -> u8 { x + y }").unwrap();
    /// let mut inputs = p.all_inputs();
    /// inputs.set("x", 1u8).unwrap();
    /// inputs.set_arg("x=0x10").unwrap().set_arg("y = 2").unwrap(); // replaces x
    /// assert!(matches!(inputs.set_arg("x=3"), Err(mpc::Error::Repeated { .. })));
    /// assert!(matches!(inputs.set_arg("x"), Err(mpc::Error::Assignment { .. })));
    /// assert_eq!(inputs.set_arg("z=1").unwrap_err().to_string(),
    ///            "the circuit has no input named `z` (its inputs are `x` (u8), `y` (u8))");
    /// let out = p.eval(inputs).unwrap();
    /// assert_eq!(out.get::<u8>(&p.circuit().outputs()[0].name).unwrap(), 18);
    /// ```
    pub fn set_arg(&mut self, assignment: &str) -> Result<&mut Inputs, Error> {
        let Some((name, text)) = assignment.split_once('=') else {
            return Err(Error::Assignment { text: assignment.into() });
        };
        let name = name.trim();
        let k = self.index(name)?;
        if self.by_arg[k] {
            return Err(Error::Repeated { name: name.into() });
        }
        self.set_text(k, text)?;
        self.by_arg[k] = true;
        Ok(self)
    }

    /// Sets input `k` from value text (`random` or a literal of its type), as
    /// `IntoInput for &str` reads it.
    pub(super) fn set_text(&mut self, k: usize, text: &str) -> Result<(), Error> {
        let group = &self.program.inputs()[k];
        let bits =
            text.into_bits(&group.ty).map_err(|message| Error::Type { name: group.name.clone(), message })?;
        self.bits[k] = Some(bits);
        Ok(())
    }

    /// Sets input `k` to `bits` (of its width: the caller encoded them for its type).
    pub(super) fn set_bits(&mut self, k: usize, bits: Vec<bool>) {
        self.bits[k] = Some(bits);
    }

    /// The index of input `name`, which these inputs must cover (its party's).
    pub(super) fn index(&self, name: &str) -> Result<usize, Error> {
        let Some(k) = self.program.input_index(name) else {
            let known: Vec<String> =
                self.program.inputs().iter().map(|g| format!("`{}` ({})", g.name, g.ty)).collect();
            let known = if known.is_empty() { "none".to_string() } else { known.join(", ") };
            return Err(Error::UnknownInput { name: name.into(), known });
        };
        let group = &self.program.inputs()[k];
        if let Some(p) = self.party {
            if group.party != p {
                return Err(Error::WrongParty {
                    name: name.into(),
                    owner: party_name(&self.program, group.party),
                    party: party_name(&self.program, p),
                });
            }
        }
        Ok(k)
    }

    /// Checks that every input these inputs cover is set (the first one that is not
    /// is [`Error::MissingInput`]), so a caller can refuse before connecting to a peer.
    ///
    /// ```
    /// let p = mpc::Program::compile("party a; party b; fn main(x: u8 @a, y: u8 @b) -> u8 { x + y }").unwrap();
    /// let mut inputs = p.inputs("b").unwrap();
    /// assert!(matches!(inputs.check(), Err(mpc::Error::MissingInput { name, .. }) if name == "y"));
    /// inputs.set("y", 1u8).unwrap();
    /// assert!(inputs.check().is_ok());
    /// ```
    pub fn check(&self) -> Result<(), Error> {
        for (group, bits) in self.program.inputs().iter().zip(&self.bits) {
            if bits.is_none() && self.party.is_none_or(|p| p == group.party) {
                return Err(Error::MissingInput { name: group.name.clone(), ty: group.ty.to_string() });
            }
        }
        Ok(())
    }

    /// The bits of the groups these inputs cover, in program order; every one must be set.
    fn into_bits(self) -> Result<Vec<Vec<bool>>, Error> {
        self.check()?;
        let party = self.party;
        Ok(self
            .program
            .inputs()
            .iter()
            .zip(self.bits)
            .filter(|(group, _)| party.is_none_or(|p| p == group.party))
            .filter_map(|(_, bits)| bits)
            .collect())
    }
}

/// `width` uniformly random bits from the operating system's generator, for
/// `--input NAME=random` (the random inputs of `dp_noise`, masks, nonces).
fn random_bits(width: usize) -> Vec<bool> {
    use rand::RngCore;
    use zeroize::Zeroize;
    let mut bytes = vec![0u8; width.div_ceil(8)];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let bits = (0..width).map(|i| (bytes[i / 8] >> (i % 8)) & 1 == 1).collect();
    bytes.zeroize();
    bits
}

/// What one run revealed: by name, typed.
#[derive(Clone, Debug)]
pub struct Outputs {
    program: Arc<mpc_circuits::Program>,
    viewer: Option<PartyId>,
    values: Vec<Option<Value>>,
    stats: Vec<SessionStats>,
}

impl Outputs {
    /// Output `name` as a `T`: an integer type at least as wide as the output's
    /// integer type (an unsigned output also into a signed type one bit wider), `bool`
    /// for a `bool`, or [`Value`] for any. An output not revealed to the party that
    /// ran is [`Error::NotRevealed`].
    ///
    /// ```
    /// let p = mpc::Program::compile("party a; party b; fn main(x: u16 @a, y: u16 @b) -> u16 { x - y }").unwrap();
    /// let mut inputs = p.all_inputs();
    /// inputs.set("x", 1u16).unwrap().set("y", 2u16).unwrap();
    /// let out = p.local(inputs).unwrap();
    /// let name = &p.circuit().outputs()[0].name;
    /// assert_eq!(out.get::<u16>(name).unwrap(), 65535);
    /// assert_eq!(out.get::<u64>(name).unwrap(), 65535);
    /// assert_eq!(out.get::<i32>(name).unwrap(), 65535);
    /// assert!(matches!(out.get::<u8>(name), Err(mpc::Error::OutputType { .. })));
    /// assert!(matches!(out.get::<i16>(name), Err(mpc::Error::OutputType { .. })));
    /// assert!(matches!(out.get::<bool>(name), Err(mpc::Error::OutputType { .. })));
    /// assert!(matches!(out.get::<u16>("nope"), Err(mpc::Error::UnknownOutput { .. })));
    /// assert_eq!(out.stats().len(), 2);
    /// ```
    pub fn get<T: FromOutput>(&self, name: &str) -> Result<T, Error> {
        let k = self
            .program
            .outputs()
            .iter()
            .position(|o| o.name == name)
            .ok_or_else(|| Error::UnknownOutput { name: name.into() })?;
        let Some(value) = &self.values[k] else {
            let party = self.viewer.map_or_else(String::new, |p| party_name(&self.program, p));
            return Err(Error::NotRevealed { name: name.into(), party });
        };
        T::from_output(value, &self.program.outputs()[k].ty)
            .map_err(|message| Error::OutputType { name: name.into(), message })
    }

    /// The names of the outputs this run revealed, in program order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.program
            .outputs()
            .iter()
            .zip(&self.values)
            .filter(|(_, v)| v.is_some())
            .map(|(o, _)| o.name.as_str())
    }

    /// The revealed outputs as `mpc eval`, `mpc local` and `mpc run` print them: one
    /// `name: value` line each, in program order (integers in decimal, arrays and tuples
    /// in brackets, structs in braces).
    ///
    /// ```
    /// let p = mpc::Program::compile(
    ///     "party a; party b; fn main(x: u8 @a, y: u8 @b) -> (sum: u8, both: [u8; 2]) { (x + y, [x, y]) }",
    /// ).unwrap();
    /// let mut inputs = p.all_inputs();
    /// inputs.set_arg("x=1").unwrap().set_arg("y=2").unwrap();
    /// let out = p.eval(inputs).unwrap();
    /// assert_eq!(out.to_text(), "sum: 3\nboth: [1, 2]\n");
    /// assert_eq!(out.to_json(), r#"{"both":[1,2],"sum":3}"#);
    /// ```
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        for (o, v) in self.program.outputs().iter().zip(&self.values) {
            if let Some(v) = v {
                s.push_str(&format!("{}: {v}\n", o.name));
            }
        }
        s
    }

    /// The revealed outputs as one JSON object (`--json`): integers that fit in 64 bits
    /// as numbers, wider ones as `"0x..."` strings, bools, arrays and tuples as arrays,
    /// structs as objects; keys in name order. No trailing newline.
    pub fn to_json(&self) -> String {
        let mut map = serde_json::Map::new();
        for (o, v) in self.program.outputs().iter().zip(&self.values) {
            if let Some(v) = v {
                map.insert(o.name.clone(), v.to_json());
            }
        }
        serde_json::Value::Object(map).to_string()
    }

    /// Time and traffic: one entry for [`Program::run`], the garbler's then the
    /// evaluator's for [`Program::local`], none for [`Program::eval`].
    pub fn stats(&self) -> &[SessionStats] {
        &self.stats
    }
}

/// A Rust value that [`Inputs::set`] accepts: checked against the input's type.
pub trait IntoInput {
    /// The value's bits for type `ty` (least significant first), or why it does not fit.
    fn into_bits(self, ty: &ValueType) -> Result<Vec<bool>, String>;
}

/// Bits of the integer `-mag` (if `negative`) or `mag`, for an integer type `ty`.
fn int_bits(negative: bool, mag: u128, shown: &str, ty: &ValueType) -> Result<Vec<bool>, String> {
    let no = || format!("value {shown} does not fit in {ty}");
    let (signed, w) = match ty {
        ValueType::UInt(w) => (false, *w as usize),
        ValueType::SInt(w) => (true, *w as usize),
        other => return Err(format!("expected a value of type {other}, got the integer {shown}")),
    };
    let magnitude_bits = 128 - mag.leading_zeros() as usize;
    let fits = match (signed, negative) {
        (false, true) => mag == 0,
        (false, false) => magnitude_bits <= w,
        // 0 ..= 2^(w-1) - 1
        (true, false) => magnitude_bits < w,
        // -2^(w-1) ..= -1: mag <= 2^(w-1)
        (true, true) => magnitude_bits < w || (magnitude_bits == w && mag.is_power_of_two()),
    };
    if !fits {
        return Err(no());
    }
    let v = if negative { 0u128.wrapping_sub(mag) } else { mag };
    let fill = negative && mag != 0;
    Ok((0..w).map(|i| if i < 128 { (v >> i) & 1 == 1 } else { fill }).collect())
}

macro_rules! unsigned_input {
    ($($t:ty),*) => {$(
        impl IntoInput for $t {
            fn into_bits(self, ty: &ValueType) -> Result<Vec<bool>, String> {
                int_bits(false, u128::from(self), &self.to_string(), ty)
            }
        }
    )*};
}
macro_rules! signed_input {
    ($($t:ty),*) => {$(
        impl IntoInput for $t {
            fn into_bits(self, ty: &ValueType) -> Result<Vec<bool>, String> {
                int_bits(self < 0, i128::from(self).unsigned_abs(), &self.to_string(), ty)
            }
        }
    )*};
}
unsigned_input!(u8, u16, u32, u64, u128);
signed_input!(i8, i16, i32, i64, i128);

impl IntoInput for bool {
    fn into_bits(self, ty: &ValueType) -> Result<Vec<bool>, String> {
        match ty {
            ValueType::Bool => Ok(vec![self]),
            other => Err(format!("expected a value of type {other}, got the bool {self}")),
        }
    }
}

/// Value text as `--input NAME=VALUE` takes it: a literal of the type, or `random`.
impl IntoInput for &str {
    fn into_bits(self, ty: &ValueType) -> Result<Vec<bool>, String> {
        if self.trim() == RANDOM {
            return Ok(random_bits(ty.width()));
        }
        mpc_circuits::parse_value(self, ty).map_err(|e| e.to_string())
    }
}

impl IntoInput for String {
    fn into_bits(self, ty: &ValueType) -> Result<Vec<bool>, String> {
        self.as_str().into_bits(ty)
    }
}

impl IntoInput for Value {
    fn into_bits(self, ty: &ValueType) -> Result<Vec<bool>, String> {
        (&self).into_bits(ty)
    }
}

impl IntoInput for &Value {
    fn into_bits(self, ty: &ValueType) -> Result<Vec<bool>, String> {
        if shape_matches(self, ty) {
            Ok(self.to_bits())
        } else {
            Err(format!("the value does not have type {ty}"))
        }
    }
}

/// Whether `v` has exactly the shape and widths of `ty`.
fn shape_matches(v: &Value, ty: &ValueType) -> bool {
    match (v, ty) {
        (Value::Bool(_), ValueType::Bool) => true,
        (Value::Int { signed: false, bits }, ValueType::UInt(w))
        | (Value::Int { signed: true, bits }, ValueType::SInt(w)) => bits.len() == *w as usize,
        (Value::Array(items), ValueType::Array(elem, n)) => {
            items.len() == *n as usize && items.iter().all(|i| shape_matches(i, elem))
        }
        (Value::Tuple(items), ValueType::Tuple(tys)) => {
            items.len() == tys.len() && items.iter().zip(tys).all(|(i, t)| shape_matches(i, t))
        }
        (Value::Struct { fields, .. }, ValueType::Struct { fields: tys, .. }) => {
            fields.len() == tys.len()
                && fields.iter().zip(tys).all(|((n, v), (m, t))| n == m && shape_matches(v, t))
        }
        _ => false,
    }
}

/// A Rust type that [`Outputs::get`] returns: checked against the output's type.
pub trait FromOutput: Sized {
    /// The output `value` of type `ty` as `Self`, or why the type does not fit.
    fn from_output(value: &Value, ty: &ValueType) -> Result<Self, String>;
}

macro_rules! int_output {
    ($($t:ty),*) => {$(
        impl FromOutput for $t {
            fn from_output(value: &Value, ty: &ValueType) -> Result<$t, String> {
                let rust_signed = <$t>::MIN != 0;
                let bits = <$t>::BITS as usize;
                let no = || format!("an output of type {ty} does not fit in {}", stringify!($t));
                let (signed, w) = match ty {
                    ValueType::UInt(w) => (false, *w as usize),
                    ValueType::SInt(w) => (true, *w as usize),
                    _ => return Err(no()),
                };
                let fits = match (signed, rust_signed) {
                    (false, false) | (true, true) => w <= bits,
                    (false, true) => w < bits,
                    (true, false) => false,
                };
                let raw = value.as_u128().filter(|_| fits).ok_or_else(no)?;
                let v: i128 = if signed && w < 128 {
                    ((raw << (128 - w)) as i128) >> (128 - w)
                } else {
                    raw as i128
                };
                if signed {
                    <$t>::try_from(v).map_err(|_| no())
                } else {
                    <$t>::try_from(raw).map_err(|_| no())
                }
            }
        }
    )*};
}
int_output!(u8, u16, u32, u64, u128, i8, i16, i32, i64, i128);

impl FromOutput for bool {
    fn from_output(value: &Value, ty: &ValueType) -> Result<bool, String> {
        match value {
            Value::Bool(b) => Ok(*b),
            _ => Err(format!("an output of type {ty} is not a bool")),
        }
    }
}

impl FromOutput for Value {
    fn from_output(value: &Value, _ty: &ValueType) -> Result<Value, String> {
        Ok(value.clone())
    }
}
