//! The hello message: what both parties must agree on before any secret moves.
//!
//! [`circuit_digest`] is SHA-256 over a circuit's canonical encoding and
//! [`program_digest`] over a program's (bodies by their circuit digests, instructions,
//! memory layout and io; both specified in `docs/protocol.md`). A session of one
//! program (`run_garbler`, `run_evaluator`, `run_local`) carries the program digest;
//! a session of K instances of one circuit (`run_*_many`) the circuit digest. A [`Hello`] carries the role, the digest and the program's
//! shapes (parties, inputs, outputs with their types and who learns them), so that a
//! mismatch can be named in a sentence rather than reported as "digests differ".
//! It follows the toolkit's common hello ([`mpc_net::hello`], protocol `session`,
//! version [`VERSION`]), and it and the digests' canonical encodings are written and
//! read with the one codec ([`mpc_net::codec`], little-endian). Decoding a hello is
//! checked end to end: any malformed byte string is a typed error, never a panic,
//! and every count is checked against the bytes left before anything is allocated. Names from the
//! peer's hello reach error messages, hence terminals, only through [`shown`]: control
//! characters escaped (a name such as `"\x1b[2J"` cannot clear a screen or forge a
//! line) and at most [`MAX_SHOWN`] characters.

use mpc_circuits::{Affine, Circuit, Gate, Instr, Operand, PartyId, Program, Region, Reveal, ValueType};
use mpc_garble::Scheme;
use mpc_net::codec::{CodecError, Reader, Writer};
use sha2::{Digest, Sha256};

use crate::ot_extension::{ot_extension_for, OtExtension};
use crate::SessionError;

/// First bytes of every session: the toolkit's common hello ([`mpc_net::hello`]).
pub use mpc_net::hello::MAGIC;
/// The session protocol's version in the common hello (7: the malicious mode's base
/// OTs are Masny-Rindal endemic OTs, its preprocessing runs in chunks of triples, its
/// openings carry a linear-combination MAC tag and its bucketing permutation is drawn
/// by Lemire's multiply-and-reject, so a version-6 peer would fail instead of being
/// refused; 6: the hello ends with the
/// OT extension byte, SoftSpoken from 257 evaluator OTs on; 5: the hello ends with
/// the garbling scheme, tables may be three-halves; 4: one hello for session, PSI and
/// secagg, every message through [`mpc_net::codec`]; 3: a one-run session's hello
/// carries the program digest, `docs/protocol.md`).
pub const VERSION: u16 = 9;
/// The largest hello frame accepted.
pub const MAX_HELLO: usize = 1 << 20;
/// Nesting limit for decoded types (arrays of tuples of ...).
const MAX_TYPE_DEPTH: usize = 64;
/// The most characters of one peer-supplied name that an error message shows.
pub const MAX_SHOWN: usize = 64;

/// A peer-supplied name as it may be printed: control characters escaped
/// (`\u{1b}`), cut to [`MAX_SHOWN`] characters with `...` after.
pub fn shown(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if i == MAX_SHOWN {
            out.push_str("...");
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// Which side of the garbled-circuit protocol a party plays.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Party 0: garbles the circuit.
    Garbler,
    /// Party 1: evaluates it.
    Evaluator,
}

impl Role {
    /// The circuit party that plays this role.
    pub fn party(self) -> PartyId {
        match self {
            Role::Garbler => PartyId(0),
            Role::Evaluator => PartyId(1),
        }
    }

    fn byte(self) -> u8 {
        self.party().0
    }
}

/// The canonical encodings of the shapes (see `docs/protocol.md`), through the
/// common codec's [`Writer`].
trait Canonical {
    fn ty(&mut self, ty: &ValueType);
    fn reveal(&mut self, r: Reveal);
    fn shapes(&mut self, circuit: &Circuit, with_wires: bool);
    fn affine(&mut self, a: &Affine);
    fn region(&mut self, r: &Region);
}

impl Canonical for Writer {
    fn ty(&mut self, ty: &ValueType) {
        match ty {
            ValueType::Bool => {
                self.u8(0);
            }
            ValueType::UInt(w) => {
                self.u8(1).u32(*w);
            }
            ValueType::SInt(w) => {
                self.u8(2).u32(*w);
            }
            ValueType::Array(elem, n) => {
                self.u8(3);
                self.ty(elem);
                self.u32(*n);
            }
            ValueType::Tuple(items) => {
                self.u8(4).count(items.len());
                items.iter().for_each(|t| self.ty(t));
            }
            ValueType::Struct { name, fields } => {
                self.u8(5).str(name).count(fields.len());
                for (f, t) in fields {
                    self.str(f);
                    self.ty(t);
                }
            }
        }
    }
    fn reveal(&mut self, r: Reveal) {
        match r {
            Reveal::All => {
                self.u8(0);
            }
            Reveal::To(p) => {
                self.u8(1).u8(p.0);
            }
        }
    }
    fn shapes(&mut self, circuit: &Circuit, with_wires: bool) {
        self.count(circuit.parties().len());
        circuit.parties().iter().for_each(|p| {
            self.str(p);
        });
        self.count(circuit.inputs().len());
        for g in circuit.inputs() {
            self.str(&g.name).u8(g.party.0);
            self.ty(&g.ty);
        }
        self.count(circuit.outputs().len());
        for g in circuit.outputs() {
            self.str(&g.name);
            self.ty(&g.ty);
            self.reveal(g.reveal);
            if with_wires {
                self.count(g.wires.len());
                g.wires.iter().for_each(|w| {
                    self.u32(w.0);
                });
            }
        }
    }
    fn affine(&mut self, a: &Affine) {
        self.i64(a.c).count(a.terms.len());
        for &(r, k) in &a.terms {
            self.u32(r).i64(k);
        }
    }
    fn region(&mut self, r: &Region) {
        self.affine(&r.addr);
        self.u32(r.width);
    }
}

/// SHA-256 of the circuit's canonical encoding (`docs/protocol.md`).
pub fn circuit_digest(circuit: &Circuit) -> [u8; 32] {
    let mut hasher = Sha256::new();
    let mut w = Writer::with_capacity(1 << 16);
    w.raw(b"mpc-circuit-v1").u32(circuit.num_wires());
    w.shapes(circuit, true);
    w.u64(circuit.gates().len() as u64);
    for gate in circuit.gates() {
        match *gate {
            Gate::Xor { a, b, out } | Gate::And { a, b, out } => {
                w.u8(if matches!(gate, Gate::Xor { .. }) { 0 } else { 1 }).u32(a.0).u32(b.0).u32(out.0);
            }
            Gate::Inv { a, out } => {
                w.u8(2).u32(a.0).u32(out.0);
            }
            Gate::Const { value, out } => {
                w.u8(3).u8(u8::from(value)).u32(out.0);
            }
            Gate::Copy { a, out } => {
                w.u8(4).u32(a.0).u32(out.0);
            }
        }
        if w.len() >= (1 << 16) - 16 {
            hasher.update(w.as_bytes());
            w.clear();
        }
    }
    hasher.update(w.as_bytes());
    hasher.finalize().into()
}

/// Appends the encoding of `code` to `w`, handing full buffers to `hasher`.
fn encode_code(code: &[Instr], w: &mut Writer, hasher: &mut Sha256) {
    w.count(code.len());
    for ins in code {
        match ins {
            Instr::Call { body, args, results } => {
                w.u8(0).u32(*body).count(args.len());
                for a in args {
                    match a {
                        Operand::Mem(r) => {
                            w.u8(0);
                            w.region(r);
                        }
                        Operand::Reg { value, width } => {
                            w.u8(1);
                            w.affine(value);
                            w.u32(*width);
                        }
                    }
                }
                w.count(results.len());
                results.iter().for_each(|r| w.region(r));
            }
            Instr::Loop { reg, from, to, code } => {
                w.u8(1).u32(*reg).i64(*from).i64(*to);
                encode_code(code, w, hasher);
            }
            Instr::Copy { dst, src } => {
                w.u8(2);
                w.region(dst);
                w.region(src);
            }
        }
        if w.len() >= 1 << 16 {
            hasher.update(w.as_bytes());
            w.clear();
        }
    }
}

/// SHA-256 of the program's canonical encoding (`docs/protocol.md`): its io (names,
/// types, parties, reveals, output regions), memory and register counts, each body's
/// [`circuit_digest`] and its instructions. Costs one pass over the bodies' gates and
/// the instructions (not over the gates a run executes); compute it once per program.
pub fn program_digest(program: &Program) -> [u8; 32] {
    let mut hasher = Sha256::new();
    let mut w = Writer::with_capacity(1 << 16);
    w.raw(b"mpc-program-v1").count(program.parties().len());
    program.parties().iter().for_each(|p| {
        w.str(p);
    });
    w.count(program.inputs().len());
    for g in program.inputs() {
        w.str(&g.name).u8(g.party.0);
        w.ty(&g.ty);
    }
    w.count(program.outputs().len());
    for o in program.outputs() {
        w.str(&o.name);
        w.ty(&o.ty);
        w.reveal(o.reveal);
        w.region(&o.region);
    }
    w.u32(program.memory()).u32(program.num_regs()).u64(program.bodies().len() as u64);
    for b in program.bodies() {
        w.raw(&circuit_digest(b));
    }
    encode_code(program.code(), &mut w, &mut hasher);
    hasher.update(w.as_bytes());
    hasher.finalize().into()
}

/// One party's hello; see the module docs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hello {
    role: u8,
    digest: [u8; 32],
    parties: Vec<String>,
    inputs: Vec<(String, u8, ValueType)>,
    outputs: Vec<(String, ValueType, Reveal)>,
    instances: u32,
    scheme: Scheme,
    ot: OtExtension,
}

/// The extension of a session of `instances` runs whose inputs are `inputs`: by the
/// evaluator's (party 1's) input bits times the instances.
fn ot_of(inputs: &[(String, u8, ValueType)], instances: u32) -> OtExtension {
    let bits: usize = inputs.iter().filter(|i| i.1 == Role::Evaluator.byte()).map(|i| i.2.width()).sum();
    ot_extension_for(bits.saturating_mul(instances as usize))
}

/// The scheme's byte in the hello.
fn scheme_tag(s: Scheme) -> u8 {
    match s {
        Scheme::HalfGates => 0,
        Scheme::ThreeHalves => 1,
    }
}

impl Hello {
    /// The hello of the party playing `role` for `instances` runs of `circuit`.
    pub fn new(role: Role, circuit: &Circuit, instances: u32) -> Hello {
        let inputs: Vec<_> =
            circuit.inputs().iter().map(|g| (g.name.clone(), g.party.0, g.ty.clone())).collect();
        Hello {
            role: role.byte(),
            digest: circuit_digest(circuit),
            parties: circuit.parties().to_vec(),
            ot: ot_of(&inputs, instances),
            inputs,
            outputs: circuit.outputs().iter().map(|g| (g.name.clone(), g.ty.clone(), g.reveal)).collect(),
            instances,
            scheme: Scheme::HalfGates,
        }
    }

    /// The same hello announcing garbling scheme `scheme` (default half-gates); both
    /// parties must announce the same.
    pub fn with_scheme(mut self, scheme: Scheme) -> Hello {
        self.scheme = scheme;
        self
    }

    /// The hello of the party playing `role` for one run of `program`, whose
    /// [`program_digest`] is `digest`.
    pub fn for_program(role: Role, program: &Program, digest: [u8; 32]) -> Hello {
        let inputs: Vec<_> =
            program.inputs().iter().map(|g| (g.name.clone(), g.party.0, g.ty.clone())).collect();
        Hello {
            role: role.byte(),
            digest,
            parties: program.parties().to_vec(),
            ot: ot_of(&inputs, 1),
            inputs,
            outputs: program.outputs().iter().map(|o| (o.name.clone(), o.ty.clone(), o.reveal)).collect(),
            instances: 1,
            scheme: Scheme::HalfGates,
        }
    }

    /// The OT extension this hello announces ([`ot_extension_for`] the evaluator's
    /// input bits times the instances).
    pub fn ot_extension(&self) -> OtExtension {
        self.ot
    }

    /// The same hello announcing OT extension `ot` instead of the computed one: for
    /// tests playing a peer that chose otherwise.
    pub fn with_ot_extension(mut self, ot: OtExtension) -> Hello {
        self.ot = ot;
        self
    }

    /// The frame body (after the common hello).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.u8(self.role).raw(&self.digest).count(self.parties.len());
        self.parties.iter().for_each(|p| {
            w.str(p);
        });
        w.count(self.inputs.len());
        for (name, party, ty) in &self.inputs {
            w.str(name).u8(*party);
            w.ty(ty);
        }
        w.count(self.outputs.len());
        for (name, ty, reveal) in &self.outputs {
            w.str(name);
            w.ty(ty);
            w.reveal(*reveal);
        }
        w.u32(self.instances).u8(scheme_tag(self.scheme)).u8(self.ot.tag());
        w.into_bytes()
    }

    /// Parses a frame body; anything malformed is [`SessionError::PeerMisbehaved`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Hello, SessionError> {
        Hello::decode(bytes).map_err(|e| SessionError::PeerMisbehaved(format!("malformed hello: {e}")))
    }

    /// [`Hello::from_bytes`] with the codec's typed error.
    pub fn decode(bytes: &[u8]) -> Result<Hello, CodecError> {
        let mut r = Reader::new(bytes);
        let role = r.u8("role")?;
        let digest = r.array::<32>("digest")?;
        let n = r.count(MAX_HELLO, 4, "party count")?;
        let parties = (0..n).map(|_| name(&mut r, "party name")).collect::<Result<_, _>>()?;
        let n = r.count(MAX_HELLO, 6, "input count")?;
        let inputs = (0..n)
            .map(|_| Ok((name(&mut r, "input name")?, r.u8("input party")?, ty(&mut r, 0)?)))
            .collect::<Result<_, CodecError>>()?;
        let n = r.count(MAX_HELLO, 6, "output count")?;
        let outputs = (0..n)
            .map(|_| Ok((name(&mut r, "output name")?, ty(&mut r, 0)?, reveal(&mut r)?)))
            .collect::<Result<_, CodecError>>()?;
        let instances = r.u32("instance count")?;
        let scheme = match r.u8("garbling scheme")? {
            0 => Scheme::HalfGates,
            1 => Scheme::ThreeHalves,
            _ => return Err(r.bad("garbling scheme")),
        };
        let ot = OtExtension::from_tag(r.u8("OT extension")?).ok_or_else(|| r.bad("OT extension"))?;
        r.finish()?;
        Ok(Hello { role, digest, parties, inputs, outputs, instances, scheme, ot })
    }

    /// Compares our hello with the peer's; the error names the first difference.
    pub fn check_peer(&self, peer: &Hello) -> Result<(), SessionError> {
        let mismatch = |s: String| Err(SessionError::Mismatch(s));
        // Every string below that comes from `peer` goes through `shown`.
        let party_name =
            |h: &Hello, p: u8| h.parties.get(p as usize).map(|n| shown(n)).unwrap_or_else(|| format!("#{p}"));
        let list = |h: &Hello| h.parties.iter().map(|p| shown(p)).collect::<Vec<_>>().join(", ");
        if peer.role == self.role {
            let me = party_name(self, self.role);
            return mismatch(format!(
                "both parties chose to be `{me}`; the other side must run as the other party"
            ));
        }
        if peer.role > 1 {
            return Err(SessionError::PeerMisbehaved(format!("the peer announced role {}", peer.role)));
        }
        if peer.parties != self.parties {
            return mismatch(format!(
                "the programs differ: our parties are {}, the peer's are {}",
                list(self),
                list(peer)
            ));
        }
        for (name, party, ty) in &self.inputs {
            match peer.inputs.iter().find(|(n, _, _)| n == name) {
                None => {
                    return mismatch(format!("the programs differ: input `{name}` exists only on our side"))
                }
                Some((_, p, t)) if p != party || t != ty => {
                    return mismatch(format!(
                        "the programs differ: input `{name}` is {ty} of {} here but {} of {} at the peer",
                        party_name(self, *party),
                        shown(&t.to_string()),
                        party_name(peer, *p)
                    ))
                }
                Some(_) => {}
            }
        }
        if let Some((name, _, _)) =
            peer.inputs.iter().find(|(n, _, _)| !self.inputs.iter().any(|i| &i.0 == n))
        {
            return mismatch(format!("the programs differ: input `{}` exists only at the peer", shown(name)));
        }
        let reveal = |h: &Hello, r: Reveal| match r {
            Reveal::All => "every party".to_string(),
            Reveal::To(p) => format!("`{}` only", party_name(h, p.0)),
        };
        for (name, ty, rev) in &self.outputs {
            match peer.outputs.iter().find(|(n, _, _)| n == name) {
                None => {
                    return mismatch(format!("the programs differ: output `{name}` exists only on our side"))
                }
                Some((_, t, _)) if t != ty => {
                    return mismatch(format!(
                        "the programs differ: output `{name}` is {ty} here but {} at the peer",
                        shown(&t.to_string())
                    ))
                }
                Some((_, _, r)) if r != rev => {
                    return mismatch(format!(
                        "the programs differ: output `{name}` is revealed to {} here but to {} at the peer",
                        reveal(self, *rev),
                        reveal(peer, *r)
                    ))
                }
                Some(_) => {}
            }
        }
        if let Some((name, _, _)) =
            peer.outputs.iter().find(|(n, _, _)| !self.outputs.iter().any(|o| &o.0 == n))
        {
            return mismatch(format!(
                "the programs differ: output `{}` exists only at the peer",
                shown(name)
            ));
        }
        fn names(h: &Hello) -> Vec<&str> {
            h.inputs.iter().map(|i| i.0.as_str()).chain(h.outputs.iter().map(|o| o.0.as_str())).collect()
        }
        if names(self) != names(peer) {
            return mismatch(
                "the programs differ: they declare their inputs or outputs in another order".into(),
            );
        }
        // The instance count first: a session of several instances digests the circuit,
        // a session of one program the program.
        if self.instances != peer.instances {
            return mismatch(format!(
                "we run {} instance(s) of the program in this session but the peer runs {}",
                self.instances, peer.instances
            ));
        }
        if self.scheme != peer.scheme {
            return mismatch(format!(
                "we garble with {} but the peer with {}; both parties must pass the same --scheme",
                self.scheme, peer.scheme
            ));
        }
        if self.ot != peer.ot {
            return mismatch(format!(
                "we run the evaluator's input OTs over {} but the peer over {}; the peer runs another release of mpc",
                self.ot, peer.ot
            ));
        }
        if self.digest != peer.digest {
            return mismatch(format!(
                "the programs have the same inputs and outputs but different circuits (SHA-256 {} here, {} at the peer)",
                short_hex(&self.digest),
                short_hex(&peer.digest)
            ));
        }
        Ok(())
    }
}

fn short_hex(d: &[u8; 32]) -> String {
    d[..6].iter().map(|b| format!("{b:02x}")).collect::<String>() + "..."
}

fn name(r: &mut Reader<'_>, what: &'static str) -> Result<String, CodecError> {
    Ok(r.str(MAX_HELLO, what)?.to_string())
}

fn reveal(r: &mut Reader<'_>) -> Result<Reveal, CodecError> {
    match r.u8("reveal tag")? {
        0 => Ok(Reveal::All),
        1 => Ok(Reveal::To(PartyId(r.u8("reveal party")?))),
        _ => Err(r.bad("reveal tag")),
    }
}

fn ty(r: &mut Reader<'_>, depth: usize) -> Result<ValueType, CodecError> {
    if depth > MAX_TYPE_DEPTH {
        return Err(r.bad("type (nested too deeply)"));
    }
    Ok(match r.u8("type tag")? {
        0 => ValueType::Bool,
        1 => ValueType::UInt(r.u32("width")?),
        2 => ValueType::SInt(r.u32("width")?),
        3 => {
            let elem = ty(r, depth + 1)?;
            ValueType::Array(Box::new(elem), r.u32("array length")?)
        }
        4 => {
            let n = r.count(MAX_HELLO, 1, "tuple length")?;
            ValueType::Tuple((0..n).map(|_| ty(r, depth + 1)).collect::<Result<_, _>>()?)
        }
        5 => {
            let name = name(r, "struct name")?;
            let n = r.count(MAX_HELLO, 5, "field count")?;
            let fields = (0..n)
                .map(|_| Ok((self::name(r, "field name")?, ty(r, depth + 1)?)))
                .collect::<Result<_, CodecError>>()?;
            ValueType::Struct { name, fields }
        }
        _ => return Err(r.bad("type tag")),
    })
}
