//! [`Program`], [`Inputs`], [`Outputs`]: compile or load, set inputs by name, run,
//! read outputs by name. The calls underneath are those of `mpc run` and `mpc local`
//! (`mpc_compiler::compile_program`, `mpc_circuits::parse_value`,
//! `mpc_runtime::run_{garbler,evaluator,local}_program`).

use std::path::Path;
use std::sync::Arc;

use mpc_circuits::{PartyId, Reveal, Value, ValueType};
use mpc_runtime::{SessionOptions, SessionStats};

use super::error::Error;
use crate::Channel;

/// A compiled two-party program, cheap to clone (the compiled form is shared).
#[derive(Clone, Debug)]
pub struct Program {
    inner: Arc<mpc_circuits::Program>,
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
        compile_named(source, "<source>")
    }

    /// Loads a program file: an `.mpc` source is compiled; any other file is read as a
    /// Bristol (Fashion or old) circuit under the default convention (input k belongs to
    /// party k % 2, every output revealed to both). The `FILE.shapes.json` sidecar the
    /// CLI reads beside a circuit is not read here yet.
    ///
    /// ```
    /// let p = mpc::Program::load(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/auction.mpc")).unwrap();
    /// assert_eq!(p.parties(), ["alice", "bob"]);
    /// assert!(matches!(mpc::Program::load("/no/such/file.mpc"), Err(mpc::Error::Io { .. })));
    /// ```
    pub fn load(path: impl AsRef<Path>) -> Result<Program, Error> {
        let path = path.as_ref();
        let io = |source| Error::Io { path: path.to_path_buf(), source };
        if path.extension().is_some_and(|e| e == "mpc") {
            let source = std::fs::read_to_string(path).map_err(io)?;
            return compile_named(&source, &path.display().to_string());
        }
        let bytes = std::fs::read(path).map_err(io)?;
        let bad = |message: String| Error::Circuit { path: path.to_path_buf(), message };
        let circuit = mpc_circuits::bristol::read_bytes(&bytes)
            .map_err(|e| bad(format!("is not a valid Bristol circuit: {e}")))?;
        let circuit = mpc_circuits::passes::schedule_levels(&circuit);
        let program = mpc_circuits::Program::from_circuit(&circuit)
            .map_err(|e| bad(format!("cannot run as a program: {e}")))?;
        Ok(Program { inner: Arc::new(program) })
    }

    /// The party names, in order: the first garbles, the second evaluates.
    pub fn parties(&self) -> &[String] {
        self.inner.parties()
    }

    /// The compiled program (inputs, outputs, bodies, statistics).
    pub fn circuit(&self) -> &mpc_circuits::Program {
        &self.inner
    }

    /// The inputs of party `party`, all unset.
    pub fn inputs(&self, party: &str) -> Result<Inputs, Error> {
        let p = self.party(party)?;
        Ok(Inputs {
            program: Arc::clone(&self.inner),
            party: Some(p),
            bits: vec![None; self.inner.inputs().len()],
        })
    }

    /// Every party's inputs, all unset (for [`Program::local`] and [`Program::eval`]).
    pub fn all_inputs(&self) -> Inputs {
        Inputs { program: Arc::clone(&self.inner), party: None, bits: vec![None; self.inner.inputs().len()] }
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
        let p = self.party(party)?;
        if inputs.party != Some(p) {
            return Err(Error::WrongParty {
                name: "(the inputs)".into(),
                owner: inputs.party.map_or("every party".into(), |q| self.party_name(q)),
                party: party.into(),
            });
        }
        let bits = inputs.into_bits()?;
        let opts = SessionOptions::default();
        let out = if p == PartyId(0) {
            mpc_runtime::run_garbler_program(channel, &self.inner, &bits, &opts)?
        } else {
            mpc_runtime::run_evaluator_program(channel, &self.inner, &bits, &opts)?
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
        let bits = self.all_bits(inputs)?;
        let out = mpc_runtime::run_local_program(&self.inner, &bits, &SessionOptions::default())?;
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
        let bits = self.all_bits(inputs)?;
        let out = mpc_circuits::eval_program(&self.inner, &bits)
            .map_err(|e| Error::Protocol(mpc_runtime::SessionError::Input(e.to_string())))?;
        Ok(self.outputs_of(out, Vec::new()))
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

fn compile_named(source: &str, file: &str) -> Result<Program, Error> {
    let (p, diags) = mpc_compiler::compile_program(source, &mpc_compiler::Options::default());
    match p {
        Some(p) => Ok(Program { inner: Arc::new(p) }),
        None => Err(Error::Compile { diagnostics: mpc_compiler::render(&diags, file, source, false) }),
    }
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
    program: Arc<mpc_circuits::Program>,
    party: Option<PartyId>,
    bits: Vec<Option<Vec<bool>>>,
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

impl Inputs {
    /// Sets input `name` (setting it again replaces the value). Integers must fit the
    /// input's type by value (`300u32` does not fit a `u8`; `-1i8` fits no unsigned
    /// type); `bool` sets a `bool`; a [`Value`] must have the input's shape and widths;
    /// a `&str` is parsed like the CLI's `--input NAME=VALUE` (arrays `[1, 2]`, structs,
    /// hex `0x..`).
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
        let bits =
            value.into_bits(&group.ty).map_err(|message| Error::Type { name: name.into(), message })?;
        self.bits[k] = Some(bits);
        Ok(self)
    }

    /// The bits of the groups these inputs cover, in program order; every one must be set.
    fn into_bits(self) -> Result<Vec<Vec<bool>>, Error> {
        let mut out = Vec::new();
        for (group, bits) in self.program.inputs().iter().zip(self.bits) {
            if self.party.is_some_and(|p| p != group.party) {
                continue;
            }
            match bits {
                Some(b) => out.push(b),
                None => {
                    return Err(Error::MissingInput { name: group.name.clone(), ty: group.ty.to_string() })
                }
            }
        }
        Ok(out)
    }
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
    /// assert!(matches!(out.get::<u8>(name), Err(mpc::Error::Type { .. })));
    /// assert!(matches!(out.get::<i16>(name), Err(mpc::Error::Type { .. })));
    /// assert!(matches!(out.get::<bool>(name), Err(mpc::Error::Type { .. })));
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
            .map_err(|message| Error::Type { name: name.into(), message })
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

impl IntoInput for &str {
    fn into_bits(self, ty: &ValueType) -> Result<Vec<bool>, String> {
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
