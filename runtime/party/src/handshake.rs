//! The hello message: what both parties must agree on before any secret moves.
//!
//! [`circuit_digest`] is SHA-256 over a circuit's canonical encoding and
//! [`program_digest`] over a program's (bodies by their circuit digests, instructions,
//! memory layout and io; both specified in `docs/protocol.md`). A session of one
//! program (`run_garbler`, `run_evaluator`, `run_local`) carries the program digest;
//! a session of K instances of one circuit (`run_*_many`) the circuit digest. A [`Hello`] carries the role, the digest and the program's
//! shapes (parties, inputs, outputs with their types and who learns them), so that a
//! mismatch can be named in a sentence rather than reported as "digests differ".
//! Decoding a hello is checked end to end: any malformed byte string is an error,
//! never a panic, and nothing is allocated beyond the frame's own size. Names from the
//! peer's hello reach error messages, hence terminals, only through [`shown`]: control
//! characters escaped (a name such as `"\x1b[2J"` cannot clear a screen or forge a
//! line) and at most [`MAX_SHOWN`] characters.

use mpc_circuits::{Affine, Circuit, Gate, Instr, Operand, PartyId, Program, Region, Reveal, ValueType};
use sha2::{Digest, Sha256};

use crate::SessionError;

/// First bytes of every session: not a valid start of any other common protocol.
pub const MAGIC: [u8; 8] = *b"MPC2PC\r\n";
/// The protocol version in the hello (3: a one-run session's hello carries the
/// program digest, `docs/protocol.md`).
pub const VERSION: u16 = 3;
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

/// Appends the canonical encodings (see `docs/protocol.md`).
struct Enc<'a>(&'a mut Vec<u8>);

impl Enc<'_> {
    fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn str(&mut self, s: &str) {
        self.u32(s.len() as u32);
        self.0.extend_from_slice(s.as_bytes());
    }
    fn ty(&mut self, ty: &ValueType) {
        match ty {
            ValueType::Bool => self.u8(0),
            ValueType::UInt(w) => {
                self.u8(1);
                self.u32(*w);
            }
            ValueType::SInt(w) => {
                self.u8(2);
                self.u32(*w);
            }
            ValueType::Array(elem, n) => {
                self.u8(3);
                self.ty(elem);
                self.u32(*n);
            }
            ValueType::Tuple(items) => {
                self.u8(4);
                self.u32(items.len() as u32);
                items.iter().for_each(|t| self.ty(t));
            }
            ValueType::Struct { name, fields } => {
                self.u8(5);
                self.str(name);
                self.u32(fields.len() as u32);
                for (f, t) in fields {
                    self.str(f);
                    self.ty(t);
                }
            }
        }
    }
    fn reveal(&mut self, r: Reveal) {
        match r {
            Reveal::All => self.u8(0),
            Reveal::To(p) => {
                self.u8(1);
                self.u8(p.0);
            }
        }
    }
    fn shapes(&mut self, circuit: &Circuit, with_wires: bool) {
        self.u32(circuit.parties().len() as u32);
        circuit.parties().iter().for_each(|p| self.str(p));
        self.u32(circuit.inputs().len() as u32);
        for g in circuit.inputs() {
            self.str(&g.name);
            self.u8(g.party.0);
            self.ty(&g.ty);
        }
        self.u32(circuit.outputs().len() as u32);
        for g in circuit.outputs() {
            self.str(&g.name);
            self.ty(&g.ty);
            self.reveal(g.reveal);
            if with_wires {
                self.u32(g.wires.len() as u32);
                g.wires.iter().for_each(|w| self.u32(w.0));
            }
        }
    }
}

/// SHA-256 of the circuit's canonical encoding (`docs/protocol.md`).
pub fn circuit_digest(circuit: &Circuit) -> [u8; 32] {
    let mut hasher = Sha256::new();
    let mut buf = Vec::with_capacity(1 << 16);
    buf.extend_from_slice(b"mpc-circuit-v1");
    let mut e = Enc(&mut buf);
    e.u32(circuit.num_wires());
    e.shapes(circuit, true);
    buf.extend_from_slice(&(circuit.gates().len() as u64).to_le_bytes());
    for gate in circuit.gates() {
        let mut e = Enc(&mut buf);
        match *gate {
            Gate::Xor { a, b, out } | Gate::And { a, b, out } => {
                e.u8(if matches!(gate, Gate::Xor { .. }) { 0 } else { 1 });
                e.u32(a.0);
                e.u32(b.0);
                e.u32(out.0);
            }
            Gate::Inv { a, out } => {
                e.u8(2);
                e.u32(a.0);
                e.u32(out.0);
            }
            Gate::Const { value, out } => {
                e.u8(3);
                e.u8(u8::from(value));
                e.u32(out.0);
            }
            Gate::Copy { a, out } => {
                e.u8(4);
                e.u32(a.0);
                e.u32(out.0);
            }
        }
        if buf.len() >= (1 << 16) - 16 {
            hasher.update(&buf);
            buf.clear();
        }
    }
    hasher.update(&buf);
    hasher.finalize().into()
}

impl Enc<'_> {
    fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn i64(&mut self, v: i64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn affine(&mut self, a: &Affine) {
        self.i64(a.c);
        self.u32(a.terms.len() as u32);
        for &(r, k) in &a.terms {
            self.u32(r);
            self.i64(k);
        }
    }
    fn region(&mut self, r: &Region) {
        self.affine(&r.addr);
        self.u32(r.width);
    }
}

/// Appends the encoding of `code` to `buf`, handing full buffers to `hasher`.
fn encode_code(code: &[Instr], buf: &mut Vec<u8>, hasher: &mut Sha256) {
    let mut e = Enc(&mut *buf);
    e.u32(code.len() as u32);
    for ins in code {
        let mut e = Enc(&mut *buf);
        match ins {
            Instr::Call { body, args, results } => {
                e.u8(0);
                e.u32(*body);
                e.u32(args.len() as u32);
                for a in args {
                    match a {
                        Operand::Mem(r) => {
                            e.u8(0);
                            e.region(r);
                        }
                        Operand::Reg { value, width } => {
                            e.u8(1);
                            e.affine(value);
                            e.u32(*width);
                        }
                    }
                }
                e.u32(results.len() as u32);
                results.iter().for_each(|r| e.region(r));
            }
            Instr::Loop { reg, from, to, code } => {
                e.u8(1);
                e.u32(*reg);
                e.i64(*from);
                e.i64(*to);
                encode_code(code, buf, hasher);
            }
            Instr::Copy { dst, src } => {
                e.u8(2);
                e.region(dst);
                e.region(src);
            }
        }
        if buf.len() >= 1 << 16 {
            hasher.update(&*buf);
            buf.clear();
        }
    }
}

/// SHA-256 of the program's canonical encoding (`docs/protocol.md`): its io (names,
/// types, parties, reveals, output regions), memory and register counts, each body's
/// [`circuit_digest`] and its instructions. Costs one pass over the bodies' gates and
/// the instructions (not over the gates a run executes); compute it once per program.
pub fn program_digest(program: &Program) -> [u8; 32] {
    let mut hasher = Sha256::new();
    let mut buf = Vec::with_capacity(1 << 16);
    buf.extend_from_slice(b"mpc-program-v1");
    let mut e = Enc(&mut buf);
    e.u32(program.parties().len() as u32);
    program.parties().iter().for_each(|p| e.str(p));
    e.u32(program.inputs().len() as u32);
    for g in program.inputs() {
        e.str(&g.name);
        e.u8(g.party.0);
        e.ty(&g.ty);
    }
    e.u32(program.outputs().len() as u32);
    for o in program.outputs() {
        e.str(&o.name);
        e.ty(&o.ty);
        e.reveal(o.reveal);
        e.region(&o.region);
    }
    e.u32(program.memory());
    e.u32(program.num_regs());
    e.u64(program.bodies().len() as u64);
    for b in program.bodies() {
        buf.extend_from_slice(&circuit_digest(b));
    }
    encode_code(program.code(), &mut buf, &mut hasher);
    hasher.update(&buf);
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
}

impl Hello {
    /// The hello of the party playing `role` for `instances` runs of `circuit`.
    pub fn new(role: Role, circuit: &Circuit, instances: u32) -> Hello {
        Hello {
            role: role.byte(),
            digest: circuit_digest(circuit),
            parties: circuit.parties().to_vec(),
            inputs: circuit.inputs().iter().map(|g| (g.name.clone(), g.party.0, g.ty.clone())).collect(),
            outputs: circuit.outputs().iter().map(|g| (g.name.clone(), g.ty.clone(), g.reveal)).collect(),
            instances,
        }
    }

    /// The hello of the party playing `role` for one run of `program`, whose
    /// [`program_digest`] is `digest`.
    pub fn for_program(role: Role, program: &Program, digest: [u8; 32]) -> Hello {
        Hello {
            role: role.byte(),
            digest,
            parties: program.parties().to_vec(),
            inputs: program.inputs().iter().map(|g| (g.name.clone(), g.party.0, g.ty.clone())).collect(),
            outputs: program.outputs().iter().map(|o| (o.name.clone(), o.ty.clone(), o.reveal)).collect(),
            instances: 1,
        }
    }

    /// The frame body (after magic and version).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut buf = Vec::new();
        let mut e = Enc(&mut buf);
        e.u8(self.role);
        e.0.extend_from_slice(&self.digest);
        e.u32(self.parties.len() as u32);
        self.parties.iter().for_each(|p| e.str(p));
        e.u32(self.inputs.len() as u32);
        for (name, party, ty) in &self.inputs {
            e.str(name);
            e.u8(*party);
            e.ty(ty);
        }
        e.u32(self.outputs.len() as u32);
        for (name, ty, reveal) in &self.outputs {
            e.str(name);
            e.ty(ty);
            e.reveal(*reveal);
        }
        e.u32(self.instances);
        buf
    }

    /// Parses a frame body; anything malformed is [`SessionError::PeerMisbehaved`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Hello, SessionError> {
        let mut r = Reader { bytes, pos: 0 };
        let role = r.u8()?;
        let digest: [u8; 32] = r.take(32)?.try_into().map_err(|_| r.bad("digest"))?;
        let n = r.count()?;
        let parties = (0..n).map(|_| r.str()).collect::<Result<_, _>>()?;
        let n = r.count()?;
        let inputs =
            (0..n).map(|_| Ok((r.str()?, r.u8()?, r.ty(0)?))).collect::<Result<_, SessionError>>()?;
        let n = r.count()?;
        let outputs =
            (0..n).map(|_| Ok((r.str()?, r.ty(0)?, r.reveal()?))).collect::<Result<_, SessionError>>()?;
        let instances = r.u32()?;
        if r.pos != bytes.len() {
            return Err(r.bad("trailing bytes"));
        }
        Ok(Hello { role, digest, parties, inputs, outputs, instances })
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

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn bad(&self, what: &str) -> SessionError {
        SessionError::PeerMisbehaved(format!("malformed hello ({what} at byte {})", self.pos))
    }
    fn take(&mut self, n: usize) -> Result<&[u8], SessionError> {
        if self.bytes.len() - self.pos < n {
            return Err(self.bad("truncated"));
        }
        let s = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }
    fn u8(&mut self) -> Result<u8, SessionError> {
        Ok(self.take(1)?[0])
    }
    fn u32(&mut self) -> Result<u32, SessionError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    /// A count of items, each at least one byte: more than the bytes left is malformed.
    fn count(&mut self) -> Result<usize, SessionError> {
        let n = self.u32()? as usize;
        if n > self.bytes.len() - self.pos {
            return Err(self.bad("count larger than the message"));
        }
        Ok(n)
    }
    fn str(&mut self) -> Result<String, SessionError> {
        let n = self.u32()? as usize;
        let b = self.take(n)?;
        String::from_utf8(b.to_vec()).map_err(|_| self.bad("name not UTF-8"))
    }
    fn reveal(&mut self) -> Result<Reveal, SessionError> {
        match self.u8()? {
            0 => Ok(Reveal::All),
            1 => Ok(Reveal::To(PartyId(self.u8()?))),
            _ => Err(self.bad("reveal tag")),
        }
    }
    fn ty(&mut self, depth: usize) -> Result<ValueType, SessionError> {
        if depth > MAX_TYPE_DEPTH {
            return Err(self.bad("type nested too deeply"));
        }
        Ok(match self.u8()? {
            0 => ValueType::Bool,
            1 => ValueType::UInt(self.u32()?),
            2 => ValueType::SInt(self.u32()?),
            3 => {
                let elem = self.ty(depth + 1)?;
                ValueType::Array(Box::new(elem), self.u32()?)
            }
            4 => {
                let n = self.count()?;
                ValueType::Tuple((0..n).map(|_| self.ty(depth + 1)).collect::<Result<_, _>>()?)
            }
            5 => {
                let name = self.str()?;
                let n = self.count()?;
                let fields = (0..n)
                    .map(|_| Ok((self.str()?, self.ty(depth + 1)?)))
                    .collect::<Result<_, SessionError>>()?;
                ValueType::Struct { name, fields }
            }
            _ => return Err(self.bad("type tag")),
        })
    }
}
