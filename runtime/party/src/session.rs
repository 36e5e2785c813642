//! The session's public entry points and the types they return: [`run_garbler`],
//! [`run_evaluator`], [`run_local`] and their `_program`/`_many` forms, each a thin
//! wrapper that makes the role's state machine ([`GarblerMachine`] or
//! [`EvaluatorMachine`], rng: ChaCha20 seeded by the OS) and runs it with [`drive`];
//! and the io helpers the machines share ([`Io`]: which wires and outputs belong to
//! whom).
//!
//! Message order and encodings are those of `docs/protocol.md`. Each party sends
//! everything the other needs before it waits for an answer, so the protocol cannot
//! deadlock, and every read is bounded by the channel's timeout and by the exact
//! size the protocol expects.
//!
//! Secrets the session itself holds are wiped when dropped (`Zeroizing`): the OT
//! outputs (the evaluator's zero labels at the garbler, its input labels and choice
//! bits at the evaluator), the garbler's own zero labels, received input labels and
//! output labels. Labels handed to `mpc_garble`'s `Garbler`/`Evaluator` are theirs
//! to keep (and, today, not wiped there).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mpc_circuits::{Circuit, InputGroup, PartyId, Program, Reveal};
use mpc_crypto::{Block, Delta};
use mpc_garble::Scheme;
use mpc_net::{Channel, MemoryChannel};
use rand_chacha::ChaCha20Rng;
use rand_core::{CryptoRng, RngCore, SeedableRng};
use zeroize::Zeroizing;

use crate::driver::drive;
use crate::evaluator::EvaluatorMachine;
use crate::garbler::GarblerMachine;
use crate::handshake::{program_digest, Hello, Role};
use crate::machine::{Machine, Planner};
use crate::SessionError;

/// One party's outputs per instance (one instance for a program run), per output
/// group: its bits (bit 0 first) if this party may see it, `None` otherwise.
pub type Outputs = Vec<Vec<Option<Vec<bool>>>>;

/// Live counters a caller may poll from another thread (for a progress bar).
#[derive(Debug, Default)]
pub struct Progress {
    /// AND gates garbled (garbler) or evaluated (evaluator) so far.
    pub and_gates_done: AtomicU64,
    /// AND gates of the circuit.
    pub and_gates_total: AtomicU64,
    /// Bytes sent so far (updated per table chunk).
    pub bytes_sent: AtomicU64,
    /// Bytes received so far (updated per table chunk).
    pub bytes_received: AtomicU64,
}

/// Options of a session.
#[derive(Clone, Debug, Default)]
pub struct SessionOptions {
    /// Counters to update while the session runs.
    pub progress: Option<Arc<Progress>>,
    /// How AND gates are garbled (default half-gates); announced in the hello, both
    /// parties must choose the same.
    pub scheme: Scheme,
}

/// Traffic and time of one party's session.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SessionStats {
    /// Wall time from the hello to the last output.
    pub elapsed: Duration,
    /// Payload bytes this party sent.
    pub bytes_sent: u64,
    /// Payload bytes this party received.
    pub bytes_received: u64,
    /// Rounds as seen by this party (receives that followed a send).
    pub rounds: u64,
    /// AND gates of the circuit.
    pub and_gates: u64,
}

/// What one party learned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionOutput {
    /// Per output group of the circuit: its bits (bit 0 first) if this party may see
    /// it, `None` otherwise.
    pub outputs: Vec<Option<Vec<bool>>>,
    /// Time and traffic.
    pub stats: SessionStats,
}

/// The result of [`run_local`]: every output, and each party's statistics.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalOutput {
    /// Per output group, its bits (bit 0 first).
    pub outputs: Vec<Vec<bool>>,
    /// The garbler's statistics.
    pub garbler: SessionStats,
    /// The evaluator's statistics.
    pub evaluator: SessionStats,
}

/// Refuses circuits that are not two-party programs (also done by every `run_*`).
pub fn check_two_party(circuit: &Circuit) -> Result<(), SessionError> {
    two_party(circuit.parties().len(), circuit.outputs().iter().map(|g| (g.name.as_str(), g.reveal)))
}

/// Refuses programs that are not two-party programs (also done by every `run_*`).
pub fn check_two_party_program(program: &Program) -> Result<(), SessionError> {
    two_party(program.parties().len(), program.outputs().iter().map(|o| (o.name.as_str(), o.reveal)))
}

fn two_party<'a>(n: usize, outputs: impl Iterator<Item = (&'a str, Reveal)>) -> Result<(), SessionError> {
    if n != 2 {
        return Err(SessionError::Unsupported(format!(
            "the program has {n} part{}; a garbled-circuit session needs exactly two",
            if n == 1 { "y" } else { "ies" }
        )));
    }
    for (name, reveal) in outputs {
        if let Reveal::To(p) = reveal {
            if p.0 >= 2 {
                return Err(SessionError::Unsupported(format!(
                    "output `{name}` is revealed to party {}, which does not exist",
                    p.0
                )));
            }
        }
    }
    Ok(())
}

/// The io of a circuit or a program, as the session needs it: parties, input groups
/// (their wires are consecutive, in group order, from 0), and per output its reveal
/// and width.
pub(crate) struct Io<'a> {
    parties: &'a [String],
    inputs: &'a [InputGroup],
    pub(crate) outputs: Vec<(Reveal, usize)>,
}

impl<'a> Io<'a> {
    pub(crate) fn of_circuit(c: &'a Circuit) -> Io<'a> {
        Io {
            parties: c.parties(),
            inputs: c.inputs(),
            outputs: c.outputs().iter().map(|g| (g.reveal, g.wires.len())).collect(),
        }
    }

    pub(crate) fn of_program(p: &'a Program) -> Io<'a> {
        Io {
            parties: p.parties(),
            inputs: p.inputs(),
            outputs: p.outputs().iter().map(|o| (o.reveal, o.region.width as usize)).collect(),
        }
    }

    /// Output bit ranges of the groups `party` may see, in output order.
    pub(crate) fn visible_ranges(&self, party: PartyId) -> Vec<(usize, std::ops::Range<usize>)> {
        let mut pos = 0;
        let mut out = Vec::new();
        for (k, &(reveal, w)) in self.outputs.iter().enumerate() {
            if sees(reveal, party) {
                out.push((k, pos..pos + w));
            }
            pos += w;
        }
        out
    }

    /// Checks our inputs (one bit vector per input group of `party`, in order) and
    /// returns the concatenated bits.
    pub(crate) fn own_bits(&self, party: PartyId, inputs: &[Vec<bool>]) -> Result<Vec<bool>, SessionError> {
        let groups: Vec<_> = self.inputs.iter().filter(|g| g.party == party).collect();
        if groups.len() != inputs.len() {
            return Err(SessionError::Input(format!(
                "party `{}` has {} input(s) but {} were given",
                self.parties.get(usize::from(party.0)).map_or("?", |s| s.as_str()),
                groups.len(),
                inputs.len()
            )));
        }
        let mut bits = Vec::new();
        for (g, v) in groups.iter().zip(inputs) {
            if v.len() != g.ty.width() {
                return Err(SessionError::Input(format!(
                    "input `{}` needs {} bits, got {}",
                    g.name,
                    g.ty.width(),
                    v.len()
                )));
            }
            bits.extend_from_slice(v);
        }
        Ok(bits)
    }

    /// Input wire numbers of `party`, in wire order.
    pub(crate) fn party_wires(&self, party: PartyId) -> Vec<usize> {
        let mut out = Vec::new();
        let mut pos = 0;
        for g in self.inputs {
            let w = g.ty.width();
            if g.party == party {
                out.extend(pos..pos + w);
            }
            pos += w;
        }
        out
    }

    pub(crate) fn num_input_wires(&self) -> usize {
        self.inputs.iter().map(|g| g.ty.width()).sum()
    }
}

/// What the session runs.
#[derive(Clone, Copy)]
pub(crate) enum Job<'p> {
    /// One run of a program.
    Program(&'p Program),
    /// `K` instances of one circuit.
    Many(&'p Circuit, usize),
}

impl<'p> Job<'p> {
    pub(crate) fn io(self) -> Io<'p> {
        match self {
            Job::Program(p) => Io::of_program(p),
            Job::Many(c, _) => Io::of_circuit(c),
        }
    }

    pub(crate) fn instances(self) -> usize {
        match self {
            Job::Program(_) => 1,
            Job::Many(_, k) => k,
        }
    }

    pub(crate) fn planner(self) -> Planner<'p> {
        match self {
            Job::Program(p) => Planner::Program(p),
            Job::Many(circuit, _) => Planner::Circuit(circuit),
        }
    }

    /// AND gates of the whole session.
    pub(crate) fn and_gates(self) -> u64 {
        match self {
            Job::Program(p) => program_ands(p),
            Job::Many(c, k) => (c.and_count() as u64).saturating_mul(k as u64),
        }
    }

    /// Our hello as `role`.
    pub(crate) fn hello(self, role: Role, scheme: Scheme) -> Result<Hello, SessionError> {
        Ok(match self {
            Job::Program(p) => Hello::for_program(role, p, program_digest(p)),
            Job::Many(c, k) => Hello::new(role, c, instance_count(k)?),
        }
        .with_scheme(scheme))
    }
}

fn sees(reveal: Reveal, party: PartyId) -> bool {
    match reveal {
        Reveal::All => true,
        Reveal::To(p) => p == party,
    }
}

pub(crate) fn own_bits(
    circuit: &Circuit,
    party: PartyId,
    inputs: &[Vec<bool>],
) -> Result<Vec<bool>, SessionError> {
    Io::of_circuit(circuit).own_bits(party, inputs)
}

/// Tells the progress display, if any, how many AND gates the whole session runs.
fn set_total(progress: Option<&Progress>, and_gates: u64) {
    if let Some(p) = progress {
        p.and_gates_total.store(and_gates, Ordering::Relaxed);
    }
}

/// Writes `labels` at `wires` of one instance's input labels.
pub(crate) fn place(instance: &mut [Block], wires: &[usize], labels: &[Block]) {
    for (w, l) in wires.iter().zip(labels) {
        instance[*w] = *l;
    }
}

/// Draws fresh zero labels for the garbler's own input wires of one instance (into
/// `zero`) and returns its active labels for `bits`.
pub(crate) fn own_active(
    rng: &mut (impl RngCore + CryptoRng),
    delta: &Delta,
    zero: &mut [Block],
    wires: &[usize],
    bits: &[bool],
) -> Result<Vec<Block>, SessionError> {
    for w in wires {
        zero[*w] = Block::random(rng);
    }
    let mine: Zeroizing<Vec<Block>> = Zeroizing::new(wires.iter().map(|w| zero[*w]).collect());
    Ok(mpc_garble::encode(&mine, delta, bits)?)
}

/// The values of `values` in the output ranges `ranges`, in order.
pub(crate) fn pick<'a, T: Copy>(
    values: &'a [T],
    ranges: &'a [(usize, std::ops::Range<usize>)],
) -> impl Iterator<Item = T> + 'a {
    ranges.iter().flat_map(move |(_, r)| values[r.clone()].iter().copied())
}

/// The output zero labels `zero` with the labels the evaluator returned (`returned`,
/// the outputs in `ranges` in order) in their place, to decode each returned label
/// against the zero label of its own output bit; outputs we do not see keep their
/// zero label, which decodes (and is ignored).
pub(crate) fn splice_returned(
    zero: &[Block],
    ranges: &[(usize, std::ops::Range<usize>)],
    returned: &[Block],
) -> Zeroizing<Vec<Block>> {
    let mut full = Zeroizing::new(zero.to_vec());
    let mut pos = 0;
    for (_, r) in ranges {
        full[r.clone()].copy_from_slice(&returned[pos..pos + r.len()]);
        pos += r.len();
    }
    full
}

/// Per output group (`groups` of them), its bits if `ranges` lists it. `decoded` is
/// indexed like the output wires when `packed` is false (the garbler decodes all of
/// them), else holds only the listed outputs back to back (the evaluator's decoding).
pub(crate) fn visible_outputs(
    groups: usize,
    ranges: &[(usize, std::ops::Range<usize>)],
    decoded: &[bool],
    packed: bool,
) -> Vec<Option<Vec<bool>>> {
    let mut outputs = vec![None; groups];
    let mut pos = 0;
    for (g, r) in ranges {
        let at = if packed { pos..pos + r.len() } else { r.clone() };
        outputs[*g] = Some(decoded[at].to_vec());
        pos += r.len();
    }
    outputs
}

/// What one party learned from a session of several instances ([`run_garbler_many`],
/// [`run_evaluator_many`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManyOutput {
    /// Per instance, per output group of the circuit: its bits if this party may see it.
    pub outputs: Vec<Vec<Option<Vec<bool>>>>,
    /// Time and traffic of the whole session (`and_gates` counts every instance).
    pub stats: SessionStats,
}

/// Runs the garbler (the program's first party) on a circuit: the one-body program
/// of `circuit` ([`Program::from_circuit`]) through [`run_garbler_program`]. `inputs`
/// holds one bit vector (bit 0 first) per input group of party 0, in circuit order.
pub fn run_garbler<C: Channel + ?Sized>(
    ch: &mut C,
    circuit: &Circuit,
    inputs: &[Vec<bool>],
    opts: &SessionOptions,
) -> Result<SessionOutput, SessionError> {
    check_two_party(circuit)?;
    run_garbler_program(ch, &as_program(circuit)?, inputs, opts)
}

/// Runs the evaluator (the program's second party) on a circuit, as
/// [`run_garbler`] does. `inputs` holds one bit vector (bit 0 first) per input group
/// of party 1, in circuit order.
pub fn run_evaluator<C: Channel + ?Sized>(
    ch: &mut C,
    circuit: &Circuit,
    inputs: &[Vec<bool>],
    opts: &SessionOptions,
) -> Result<SessionOutput, SessionError> {
    check_two_party(circuit)?;
    run_evaluator_program(ch, &as_program(circuit)?, inputs, opts)
}

fn as_program(circuit: &Circuit) -> Result<Program, SessionError> {
    Program::from_circuit(circuit).map_err(|e| SessionError::Unsupported(e.to_string()))
}

/// AND gates of a whole run of `program`, as the statistics count them.
pub(crate) fn program_ands(program: &Program) -> u64 {
    u64::try_from(program.stats().and).unwrap_or(u64::MAX)
}

/// Runs the garbler (the program's first party, `PartyId(0)`) for one run of
/// `program`: hello with the [`program_digest`](crate::program_digest), the
/// evaluator's input labels by OT, ours, then the tables garbled call by call as the
/// executor runs the program (streamed in chunks; memory is the program's memory and
/// bodies, never the gates executed), then output decoding. `inputs` holds one bit
/// vector (bit 0 first) per input group of party 0, in program order. The session is
/// [`GarblerMachine`] driven by [`drive`], its rng ChaCha20 seeded by the OS.
pub fn run_garbler_program<C: Channel + ?Sized>(
    ch: &mut C,
    program: &Program,
    inputs: &[Vec<bool>],
    opts: &SessionOptions,
) -> Result<SessionOutput, SessionError> {
    let mut machine = GarblerMachine::program(program, inputs, opts.scheme, ChaCha20Rng::from_entropy())?;
    one_run(ch, &mut machine, program_ands(program), opts)
}

/// Runs the evaluator (the program's second party, `PartyId(1)`) for one run of
/// `program` (see [`run_garbler_program`]): [`EvaluatorMachine`] driven by
/// [`drive`]. `inputs` holds one bit vector per input group of party 1, in program
/// order.
pub fn run_evaluator_program<C: Channel + ?Sized>(
    ch: &mut C,
    program: &Program,
    inputs: &[Vec<bool>],
    opts: &SessionOptions,
) -> Result<SessionOutput, SessionError> {
    let mut machine = EvaluatorMachine::program(program, inputs, opts.scheme, ChaCha20Rng::from_entropy())?;
    one_run(ch, &mut machine, program_ands(program), opts)
}

/// Drives a machine of one run and adds the statistics.
fn one_run<'p, C, M>(
    ch: &mut C,
    machine: &mut M,
    and_gates: u64,
    opts: &SessionOptions,
) -> Result<SessionOutput, SessionError>
where
    C: Channel + ?Sized,
    M: Machine<'p, Output = Outputs>,
{
    let progress = opts.progress.as_deref();
    set_total(progress, and_gates);
    let start = Instant::now();
    let outputs = drive(ch, machine, progress)?.into_iter().next().unwrap_or_default();
    Ok(SessionOutput { outputs, stats: program_stats(ch, start, and_gates) })
}

fn program_stats<C: Channel + ?Sized>(ch: &C, start: Instant, and_gates: u64) -> SessionStats {
    let s = ch.stats();
    SessionStats {
        elapsed: start.elapsed(),
        bytes_sent: s.bytes_sent,
        bytes_received: s.bytes_received,
        rounds: s.rounds,
        and_gates,
    }
}

/// The number of instances as the hello carries it.
pub(crate) fn instance_count(n: usize) -> Result<u32, SessionError> {
    match u32::try_from(n) {
        Ok(k) if k > 0 => Ok(k),
        _ => Err(SessionError::Input(format!("a session runs 1 to {} instances, not {n}", u32::MAX))),
    }
}

/// Runs the garbler for `instances.len()` runs of `circuit` in one session (one hello,
/// one OT setup, one OT extension for all of the evaluator's input bits, then the
/// instances' tables back to back, then all outputs): instance `k` is garbled with the
/// same `Delta` and tweaks starting at `k * tweaks_used(circuit)`, so no tweak repeats.
/// `instances[k]` holds party 0's inputs of instance `k` as in [`run_garbler`].
pub fn run_garbler_many<C: Channel + ?Sized>(
    ch: &mut C,
    circuit: &Circuit,
    instances: &[Vec<Vec<bool>>],
    opts: &SessionOptions,
) -> Result<ManyOutput, SessionError> {
    instance_count(instances.len())?;
    let mut machine = GarblerMachine::many(circuit, instances, opts.scheme, ChaCha20Rng::from_entropy())?;
    many_runs(ch, &mut machine, circuit, instances.len(), opts)
}

/// Runs the evaluator for `instances.len()` runs of `circuit` in one session (see
/// [`run_garbler_many`]); `instances[k]` holds party 1's inputs of instance `k`.
pub fn run_evaluator_many<C: Channel + ?Sized>(
    ch: &mut C,
    circuit: &Circuit,
    instances: &[Vec<Vec<bool>>],
    opts: &SessionOptions,
) -> Result<ManyOutput, SessionError> {
    instance_count(instances.len())?;
    let mut machine = EvaluatorMachine::many(circuit, instances, opts.scheme, ChaCha20Rng::from_entropy())?;
    many_runs(ch, &mut machine, circuit, instances.len(), opts)
}

/// Drives a machine of `k` instances and adds the statistics.
fn many_runs<'p, C, M>(
    ch: &mut C,
    machine: &mut M,
    circuit: &Circuit,
    k: usize,
    opts: &SessionOptions,
) -> Result<ManyOutput, SessionError>
where
    C: Channel + ?Sized,
    M: Machine<'p, Output = Outputs>,
{
    let and_gates = (circuit.and_count() as u64).saturating_mul(k as u64);
    let progress = opts.progress.as_deref();
    set_total(progress, and_gates);
    let start = Instant::now();
    let outputs = drive(ch, machine, progress)?;
    Ok(ManyOutput { outputs, stats: program_stats(ch, start, and_gates) })
}

/// Runs both parties in this process, on two threads over a [`MemoryChannel`], the
/// full protocol included, on the one-body program of `circuit` (see
/// [`run_local_program`]). `inputs` holds one bit vector per input group of the
/// circuit (both parties'), in circuit order.
pub fn run_local(
    circuit: &Circuit,
    inputs: &[Vec<bool>],
    opts: &SessionOptions,
) -> Result<LocalOutput, SessionError> {
    check_two_party(circuit)?;
    run_local_program(&as_program(circuit)?, inputs, opts)
}

/// Runs both parties of one run of `program` in this process, on two threads over a
/// [`MemoryChannel`], the full protocol included. `inputs` holds one bit vector per
/// input group of the program (both parties'), in program order.
pub fn run_local_program(
    program: &Program,
    inputs: &[Vec<bool>],
    opts: &SessionOptions,
) -> Result<LocalOutput, SessionError> {
    let e_opts = SessionOptions { progress: None, scheme: opts.scheme };
    run_local_with(
        program,
        inputs,
        |ch, g_in| run_garbler_program(ch, program, g_in, opts),
        |ch, e_in| run_evaluator_program(ch, program, e_in, &e_opts),
    )
}

/// Both parties of `program` on two threads over an in-memory channel, each run by its
/// closure with its own inputs (split from `inputs`, one per input group in program
/// order); the outputs merged, and of two errors the one that is not just the peer
/// hanging up (the side that caught the problem names it).
pub(crate) fn run_local_with(
    program: &Program,
    inputs: &[Vec<bool>],
    garbler: impl FnOnce(&mut MemoryChannel, &[Vec<bool>]) -> Result<SessionOutput, SessionError> + Send,
    evaluator: impl FnOnce(&mut MemoryChannel, &[Vec<bool>]) -> Result<SessionOutput, SessionError>,
) -> Result<LocalOutput, SessionError> {
    check_two_party_program(program)?;
    if inputs.len() != program.inputs().len() {
        return Err(SessionError::Input(format!(
            "the program has {} input(s) but {} were given",
            program.inputs().len(),
            inputs.len()
        )));
    }
    let split = |party: PartyId| -> Vec<Vec<bool>> {
        program
            .inputs()
            .iter()
            .zip(inputs)
            .filter(|(g, _)| g.party == party)
            .map(|(_, v)| v.clone())
            .collect()
    };
    let g_in = split(Role::Garbler.party());
    let e_in = split(Role::Evaluator.party());
    let (mut g_ch, mut e_ch) = MemoryChannel::pair();
    let (g_res, e_res) = std::thread::scope(|s| {
        let g = s.spawn(move || {
            let r = garbler(&mut g_ch, &g_in);
            drop(g_ch);
            r
        });
        let e = evaluator(&mut e_ch, &e_in);
        drop(e_ch);
        let g =
            g.join().unwrap_or_else(|_| Err(SessionError::Internal("the garbler thread panicked".into())));
        (g, e)
    });
    let (g, e) = match (g_res, e_res) {
        (Ok(g), Ok(e)) => (g, e),
        (Err(ge), Err(ee)) => return Err(if ge.is_peer_gone() { ee } else { ge }),
        (Err(err), Ok(_)) | (Ok(_), Err(err)) => return Err(err),
    };
    let mut outputs = Vec::with_capacity(program.outputs().len());
    for (k, g_out) in g.outputs.into_iter().enumerate() {
        match g_out.or_else(|| e.outputs.get(k).cloned().flatten()) {
            Some(bits) => outputs.push(bits),
            None => return Err(SessionError::Internal(format!("output {k} reached neither party"))),
        }
    }
    Ok(LocalOutput { outputs, garbler: g.stats, evaluator: e.stats })
}
