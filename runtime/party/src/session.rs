//! The session itself: [`run_garbler`], [`run_evaluator`], [`run_local`].
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
use mpc_garble::{
    Evaluator, Garbler, OutputDecoding, ProgramEvaluator, ProgramGarbler, ProgramPlans, Scheme, SlotPlan,
    TableSink,
};
use mpc_net::frame::{recv_frame, send_frame};
use mpc_net::hello::Protocol;
use mpc_net::{Channel, MemoryChannel, NetError};
use mpc_ot::cot;
use mpc_ot::iknp::{SetupAnswer, SetupOffer};
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};
use zeroize::Zeroizing;

use crate::handshake::{program_digest, Hello, Role, MAX_HELLO, VERSION};
use crate::tables::{with_table_writer, ChannelSink, ChannelSource, WRITER_THREAD_MIN_ANDS};
use crate::SessionError;

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
struct Io<'a> {
    parties: &'a [String],
    inputs: &'a [InputGroup],
    outputs: Vec<(Reveal, usize)>,
}

impl<'a> Io<'a> {
    fn of_circuit(c: &'a Circuit) -> Io<'a> {
        Io {
            parties: c.parties(),
            inputs: c.inputs(),
            outputs: c.outputs().iter().map(|g| (g.reveal, g.wires.len())).collect(),
        }
    }

    fn of_program(p: &'a Program) -> Io<'a> {
        Io {
            parties: p.parties(),
            inputs: p.inputs(),
            outputs: p.outputs().iter().map(|o| (o.reveal, o.region.width as usize)).collect(),
        }
    }

    /// Output bit ranges of the groups `party` may see, in output order.
    fn visible_ranges(&self, party: PartyId) -> Vec<(usize, std::ops::Range<usize>)> {
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
    fn own_bits(&self, party: PartyId, inputs: &[Vec<bool>]) -> Result<Vec<bool>, SessionError> {
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
    fn party_wires(&self, party: PartyId) -> Vec<usize> {
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

    fn num_input_wires(&self) -> usize {
        self.inputs.iter().map(|g| g.ty.width()).sum()
    }
}

fn sees(reveal: Reveal, party: PartyId) -> bool {
    match reveal {
        Reveal::All => true,
        Reveal::To(p) => p == party,
    }
}

fn visible_ranges(circuit: &Circuit, party: PartyId) -> Vec<(usize, std::ops::Range<usize>)> {
    Io::of_circuit(circuit).visible_ranges(party)
}

pub(crate) fn own_bits(
    circuit: &Circuit,
    party: PartyId,
    inputs: &[Vec<bool>],
) -> Result<Vec<bool>, SessionError> {
    Io::of_circuit(circuit).own_bits(party, inputs)
}

fn party_wires(circuit: &Circuit, party: PartyId) -> Vec<usize> {
    Io::of_circuit(circuit).party_wires(party)
}

/// The common hello of the session protocol ([`mpc_net::hello`]): both parties
/// speak at once, each with a fresh id of its own.
fn common_hello() -> mpc_net::hello::Hello {
    let mut session = [0u8; 16];
    // The id only names the connection; without an OS generator it stays zero.
    let _ = rand_core::OsRng.try_fill_bytes(&mut session);
    mpc_net::hello::Hello { protocol: Protocol::Session, version: VERSION, session }
}

fn send_hello<C: Channel + ?Sized>(ch: &mut C, hello: &Hello) -> Result<(), SessionError> {
    mpc_net::hello::send(ch, &common_hello())?;
    send_frame(ch, &hello.to_bytes())?;
    Ok(())
}

fn recv_hello<C: Channel + ?Sized>(ch: &mut C, ours: &Hello) -> Result<(), SessionError> {
    mpc_net::hello::recv(ch, &common_hello())?;
    let body = recv_frame(ch, MAX_HELLO).map_err(|e| match e {
        NetError::FrameTooLarge { len, .. } => {
            SessionError::PeerMisbehaved(format!("it announced a hello of {len} bytes"))
        }
        other => other.into(),
    })?;
    ours.check_peer(&Hello::from_bytes(&body)?)
}

/// Receives a frame of exactly the size the protocol expects.
fn recv_sized<C: Channel + ?Sized>(ch: &mut C, what: &str, max: usize) -> Result<Vec<u8>, SessionError> {
    recv_frame(ch, max).map_err(|e| match e {
        NetError::FrameTooLarge { len, max } => SessionError::PeerMisbehaved(format!(
            "its {what} message has {len} bytes, at most {max} expected"
        )),
        other => other.into(),
    })
}

fn send_blocks<C: Channel + ?Sized>(ch: &mut C, blocks: &[Block]) -> Result<(), SessionError> {
    let mut buf = Vec::with_capacity(blocks.len() * 16);
    blocks.iter().for_each(|b| buf.extend_from_slice(&b.to_bytes()));
    ch.send(&buf)?;
    Ok(())
}

fn recv_blocks<C: Channel + ?Sized>(ch: &mut C, n: usize) -> Result<Vec<Block>, SessionError> {
    let mut buf = vec![0u8; n * 16];
    ch.recv_exact(&mut buf)?;
    Ok(buf
        .chunks_exact(16)
        .map(|c| {
            let mut b = [0u8; 16];
            b.copy_from_slice(c);
            Block::from_bytes(b)
        })
        .collect())
}

fn stats_of<C: Channel + ?Sized>(
    ch: &C,
    start: Instant,
    circuit: &Circuit,
    instances: usize,
) -> SessionStats {
    program_stats(ch, start, circuit.and_count() as u64 * instances as u64)
}

/// Size bound of an IKNP extension message for `n` OTs (16 bytes per OT, padded to
/// 128, plus a header).
fn extend_max(n: usize) -> usize {
    16 * (n.div_ceil(128) * 128) + 256
}

/// Tells the progress display, if any, how many AND gates the whole session runs.
fn set_total(progress: Option<&Progress>, and_gates: u64) {
    if let Some(p) = progress {
        p.and_gates_total.store(and_gates, Ordering::Relaxed);
    }
}

/// The garbler's side of the OT of the evaluator's input labels: answers the
/// evaluator's setup offer, then takes its extension to `n` correlated OTs. Returns the
/// `n` OT outputs, the evaluator's zero labels (wiped when dropped).
fn garbler_ot<C: Channel + ?Sized>(
    ch: &mut C,
    rng: &mut ChaCha20Rng,
    delta: &Delta,
    n: usize,
) -> Result<Zeroizing<Vec<Block>>, SessionError> {
    let offer = SetupOffer::from_bytes(&recv_sized(ch, "OT setup", 1 << 16)?)?;
    let (mut sender, answer) = cot::Sender::new(rng, delta, &offer)?;
    send_frame(ch, &answer.to_bytes())?;
    ch.flush()?;
    let msg = recv_sized(ch, "OT extension", extend_max(n))?;
    let mut keys = Zeroizing::new(Vec::with_capacity(n));
    sender.extend_into(n, &msg, &mut keys)?;
    if keys.len() != n {
        return Err(SessionError::PeerMisbehaved(format!(
            "its OT extension gave {} OTs, not {n}",
            keys.len()
        )));
    }
    Ok(keys)
}

/// The evaluator's OT setup offer, sent (not flushed) only when it has input wires.
fn evaluator_ot_offer<C: Channel + ?Sized>(
    ch: &mut C,
    rng: &mut ChaCha20Rng,
    has_inputs: bool,
) -> Result<Option<cot::ReceiverSetup>, SessionError> {
    if !has_inputs {
        return Ok(None);
    }
    let (setup, offer) = cot::Receiver::new(rng);
    send_frame(ch, &offer.to_bytes())?;
    Ok(Some(setup))
}

/// The evaluator's side of the OT of its input labels, after [`evaluator_ot_offer`]:
/// takes the garbler's answer and extends to one OT per choice bit. Returns our labels
/// for `choices` (wiped when dropped).
fn evaluator_ot<C: Channel + ?Sized>(
    ch: &mut C,
    setup: cot::ReceiverSetup,
    choices: &[bool],
) -> Result<Zeroizing<Vec<Block>>, SessionError> {
    let answer = SetupAnswer::from_bytes(&recv_sized(ch, "OT setup answer", 1 << 16)?)?;
    let mut receiver = setup.finish(&answer)?;
    let (mut msg, mut mine) = (Vec::new(), Zeroizing::new(Vec::new()));
    receiver.extend_into(choices, &mut msg, &mut mine)?;
    send_frame(ch, &msg)?;
    ch.flush()?;
    Ok(mine)
}

/// Writes `labels` at `wires` of one instance's input labels.
fn place(instance: &mut [Block], wires: &[usize], labels: &[Block]) {
    for (w, l) in wires.iter().zip(labels) {
        instance[*w] = *l;
    }
}

/// Draws fresh zero labels for the garbler's own input wires of one instance (into
/// `zero`) and returns its active labels for `bits`.
fn own_active(
    rng: &mut ChaCha20Rng,
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
fn pick<'a, T: Copy>(
    values: &'a [T],
    ranges: &'a [(usize, std::ops::Range<usize>)],
) -> impl Iterator<Item = T> + 'a {
    ranges.iter().flat_map(move |(_, r)| values[r.clone()].iter().copied())
}

/// The evaluator's status byte after evaluating: anything but 0 is refused.
fn recv_evaluated<C: Channel + ?Sized>(ch: &mut C) -> Result<(), SessionError> {
    let mut status = [0u8; 1];
    ch.recv_exact(&mut status)?;
    if status[0] != 0 {
        return Err(SessionError::PeerMisbehaved(format!("it sent status {} after evaluating", status[0])));
    }
    Ok(())
}

/// The garbler's output decoding of `n` bits.
fn recv_decoding<C: Channel + ?Sized>(ch: &mut C, n: usize) -> Result<OutputDecoding, SessionError> {
    let mut packed = vec![0u8; n.div_ceil(8)];
    ch.recv_exact(&mut packed)?;
    OutputDecoding::from_bytes(&packed, n)
        .map_err(|e| SessionError::PeerMisbehaved(format!("bad output decoding: {e}")))
}

/// The output zero labels `zero` with the labels the evaluator returned (`returned`,
/// the outputs in `ranges` in order) in their place, to decode each returned label
/// against the zero label of its own output bit; outputs we do not see keep their
/// zero label, which decodes (and is ignored).
fn splice_returned(
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
fn visible_outputs(
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

/// Program size (gates in bodies plus instructions) from which a session makes the
/// slot plans on another thread while it waits for the peer (hello and OT).
const PLAN_AHEAD_MIN_SIZE: usize = 1 << 12;

fn plan_ahead(program: &Program) -> bool {
    program.size() >= PLAN_AHEAD_MIN_SIZE
}

fn plan_ahead_circuit(circuit: &Circuit) -> bool {
    circuit.gates().len() >= PLAN_AHEAD_MIN_SIZE
}

/// Runs `work` on this thread and, when `ahead`, `make` on another at the same time;
/// returns both results (without `ahead`, `make` runs after `work`).
fn overlapped<P: Send, T>(ahead: bool, make: impl FnOnce() -> P + Send, work: impl FnOnce() -> T) -> (P, T) {
    if !ahead {
        let out = work();
        return (make(), out);
    }
    std::thread::scope(|s| {
        let made = s.spawn(make);
        let out = work();
        // Making a plan does not panic on a verified circuit; a panic is passed on.
        (made.join().unwrap_or_else(|p| std::panic::resume_unwind(p)), out)
    })
}

/// The slot plan of a session of `instances` runs of `circuit` (compiled once when it
/// is reused).
fn slot_plan(circuit: &Circuit, instances: usize) -> SlotPlan {
    if instances > 1 {
        SlotPlan::compiled(circuit)
    } else {
        SlotPlan::new(circuit)
    }
}

/// The first tweak of instance `k`, each instance using `per_instance` tweaks.
fn tweak_base(per_instance: u64, k: usize) -> Result<u64, SessionError> {
    per_instance.checked_mul(k as u64).ok_or_else(|| {
        SessionError::Input("the session has more instances than the tweak space allows".into())
    })
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
fn program_ands(program: &Program) -> u64 {
    u64::try_from(program.stats().and).unwrap_or(u64::MAX)
}

/// Runs the garbler (the program's first party, `PartyId(0)`) for one run of
/// `program`: hello with the [`program_digest`], the evaluator's input labels by OT,
/// ours, then the tables garbled call by call as the executor runs the program
/// (streamed in chunks; memory is the program's memory and bodies, never the gates
/// executed), then output decoding. `inputs` holds one bit vector (bit 0 first) per
/// input group of party 0, in program order.
pub fn run_garbler_program<C: Channel + ?Sized>(
    ch: &mut C,
    program: &Program,
    inputs: &[Vec<bool>],
    opts: &SessionOptions,
) -> Result<SessionOutput, SessionError> {
    check_two_party_program(program)?;
    let io = Io::of_program(program);
    let me = Role::Garbler.party();
    let bits = io.own_bits(me, inputs)?;
    let and_gates = program_ands(program);
    let progress = opts.progress.as_deref();
    set_total(progress, and_gates);
    let start = Instant::now();
    let hello = Hello::for_program(Role::Garbler, program, program_digest(program)).with_scheme(opts.scheme);
    send_hello(ch, &hello)?;
    ch.flush()?;
    let mut rng = ChaCha20Rng::from_entropy();
    let delta = Delta::random(&mut rng);
    let (plans, zero) = overlapped(
        plan_ahead(program),
        || ProgramPlans::new(program),
        || {
            recv_hello(ch, &hello)?;
            let my_wires = io.party_wires(me);
            let eval_wires = io.party_wires(Role::Evaluator.party());
            let mut zero = vec![Block::ZERO; io.num_input_wires()];
            if !eval_wires.is_empty() {
                let keys = garbler_ot(ch, &mut rng, &delta, eval_wires.len())?;
                place(&mut zero, &eval_wires, &keys);
            }
            send_blocks(ch, &own_active(&mut rng, &delta, &mut zero, &my_wires, &bits)?)?;
            Ok::<_, SessionError>(zero)
        },
    );
    let zero = zero?;

    let garble = |sink: &mut dyn TableSink| {
        let garbler = ProgramGarbler::new(&delta, 0, sink).with_scheme(opts.scheme).with_plans(plans);
        Ok(mpc_garble::garble_program_with(garbler, program, &zero)?)
    };
    let (decoding, out_zero) = if and_gates >= WRITER_THREAD_MIN_ANDS {
        with_table_writer(&mut *ch, progress, garble)?
    } else {
        garble(&mut ChannelSink { ch: &mut *ch, progress })?
    };
    let eval_ranges = io.visible_ranges(Role::Evaluator.party());
    let eval_bits: Vec<bool> = pick(decoding.bits(), &eval_ranges).collect();
    ch.send(&OutputDecoding::from_bits(eval_bits).to_bytes())?;
    ch.flush()?;

    let mine_ranges = io.visible_ranges(me);
    let n_back: usize = mine_ranges.iter().map(|(_, r)| r.len()).sum();
    recv_evaluated(ch)?;
    let returned = recv_blocks(ch, n_back)?;
    let full = splice_returned(&out_zero, &mine_ranges, &returned);
    let decoded = mpc_garble::decode_returned(&delta, &out_zero, &full)?;
    let outputs = visible_outputs(io.outputs.len(), &mine_ranges, &decoded, false);
    Ok(SessionOutput { outputs, stats: program_stats(ch, start, and_gates) })
}

/// Runs the evaluator (the program's second party, `PartyId(1)`) for one run of
/// `program` (see [`run_garbler_program`]). `inputs` holds one bit vector per input
/// group of party 1, in program order.
pub fn run_evaluator_program<C: Channel + ?Sized>(
    ch: &mut C,
    program: &Program,
    inputs: &[Vec<bool>],
    opts: &SessionOptions,
) -> Result<SessionOutput, SessionError> {
    check_two_party_program(program)?;
    let io = Io::of_program(program);
    let me = Role::Evaluator.party();
    let bits = io.own_bits(me, inputs)?;
    let and_gates = program_ands(program);
    let progress = opts.progress.as_deref();
    set_total(progress, and_gates);
    let start = Instant::now();
    let hello =
        Hello::for_program(Role::Evaluator, program, program_digest(program)).with_scheme(opts.scheme);
    send_hello(ch, &hello)?;
    let my_wires = io.party_wires(me);
    let garbler_wires = io.party_wires(Role::Garbler.party());
    let mut rng = ChaCha20Rng::from_entropy();
    let setup = evaluator_ot_offer(ch, &mut rng, !my_wires.is_empty())?;
    ch.flush()?;
    let (plans, labels) = overlapped(
        plan_ahead(program),
        || ProgramPlans::new(program),
        || {
            recv_hello(ch, &hello)?;
            let mut labels = vec![Block::ZERO; io.num_input_wires()];
            if let Some(setup) = setup {
                let mine = evaluator_ot(ch, setup, &bits)?;
                place(&mut labels, &my_wires, &mine);
            }
            let theirs = recv_blocks(ch, garbler_wires.len())?;
            place(&mut labels, &garbler_wires, &theirs);
            Ok::<_, SessionError>(labels)
        },
    );
    let labels = labels?;

    let evaluator = ProgramEvaluator::new(0, ChannelSource { ch: &mut *ch, progress })
        .with_scheme(opts.scheme)
        .with_plans(plans);
    let out_labels = mpc_garble::evaluate_program_with(evaluator, program, &labels)?;

    // Labels of the outputs the garbler learns go back first, so nobody waits.
    let garbler_ranges = io.visible_ranges(Role::Garbler.party());
    ch.send(&[0u8])?;
    let back: Vec<Block> = pick(&out_labels, &garbler_ranges).collect();
    send_blocks(ch, &back)?;
    ch.flush()?;

    let mine_ranges = io.visible_ranges(me);
    let n: usize = mine_ranges.iter().map(|(_, r)| r.len()).sum();
    let decoding = recv_decoding(ch, n)?;
    let mine: Vec<Block> = pick(&out_labels, &mine_ranges).collect();
    let decoded = mpc_garble::decode(&mine, &decoding)?;
    let outputs = visible_outputs(io.outputs.len(), &mine_ranges, &decoded, true);
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
fn instance_count(n: usize) -> Result<u32, SessionError> {
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
    check_two_party(circuit)?;
    let me = Role::Garbler.party();
    let k_count = instance_count(instances.len())?;
    let bits = instances.iter().map(|inputs| own_bits(circuit, me, inputs)).collect::<Result<Vec<_>, _>>()?;
    let progress = opts.progress.as_deref();
    set_total(progress, circuit.and_count() as u64 * u64::from(k_count));
    let start = Instant::now();
    let hello = Hello::new(Role::Garbler, circuit, k_count).with_scheme(opts.scheme);
    send_hello(ch, &hello)?;
    ch.flush()?;
    let mut rng = ChaCha20Rng::from_entropy();
    let delta = Delta::random(&mut rng);
    let (plan, zeros) = overlapped(
        plan_ahead_circuit(circuit),
        || slot_plan(circuit, instances.len()),
        || {
            recv_hello(ch, &hello)?;
            let my_wires = party_wires(circuit, me);
            let eval_wires = party_wires(circuit, Role::Evaluator.party());
            let n_in = circuit.num_input_wires() as usize;
            let mut zeros = vec![vec![Block::ZERO; n_in]; instances.len()];
            if !eval_wires.is_empty() {
                let keys = garbler_ot(ch, &mut rng, &delta, eval_wires.len() * instances.len())?;
                for (zero, keys) in zeros.iter_mut().zip(keys.chunks_exact(eval_wires.len())) {
                    place(zero, &eval_wires, keys);
                }
            }
            let mut active = Vec::with_capacity(my_wires.len() * instances.len());
            for (zero, bits) in zeros.iter_mut().zip(&bits) {
                active.extend(own_active(&mut rng, &delta, zero, &my_wires, bits)?);
            }
            send_blocks(ch, &active)?;
            Ok::<_, SessionError>(zeros)
        },
    );
    let zeros = zeros?;
    let per_instance = mpc_garble::tweaks_used(circuit);
    let eval_ranges = visible_ranges(circuit, Role::Evaluator.party());
    let garble_all = |sink: &mut dyn TableSink| {
        let mut garblers = Vec::with_capacity(instances.len());
        let mut eval_bits = Vec::new();
        for (k, zero) in zeros.into_iter().enumerate() {
            let mut garbler = Garbler::new(circuit, &delta, zero, tweak_base(per_instance, k)?)?
                .with_plan(&plan)
                .with_scheme(opts.scheme);
            let decoding = garbler.garble(&mut &mut *sink)?;
            eval_bits.extend(pick(decoding.bits(), &eval_ranges));
            garblers.push(garbler);
        }
        Ok((garblers, eval_bits))
    };
    let total_ands = circuit.and_count() as u64 * u64::from(k_count);
    let (garblers, eval_bits) = if total_ands >= WRITER_THREAD_MIN_ANDS {
        with_table_writer(&mut *ch, progress, garble_all)?
    } else {
        garble_all(&mut ChannelSink { ch: &mut *ch, progress })?
    };
    ch.send(&OutputDecoding::from_bits(eval_bits).to_bytes())?;
    ch.flush()?;

    let mine_ranges = visible_ranges(circuit, me);
    let n_back: usize = mine_ranges.iter().map(|(_, r)| r.len()).sum();
    recv_evaluated(ch)?;
    let returned = Zeroizing::new(recv_blocks(ch, n_back * instances.len())?);
    let mut outputs = Vec::with_capacity(instances.len());
    for (garbler, returned) in garblers.iter().zip(returned.chunks(n_back.max(1))) {
        let zero = garbler.output_zero_labels().unwrap_or_default();
        let decoded = garbler.decode_returned(&splice_returned(zero, &mine_ranges, returned))?;
        outputs.push(visible_outputs(circuit.outputs().len(), &mine_ranges, &decoded, false));
    }
    if n_back == 0 {
        outputs.resize(instances.len(), vec![None; circuit.outputs().len()]);
    }
    Ok(ManyOutput { outputs, stats: stats_of(ch, start, circuit, instances.len()) })
}

/// Runs the evaluator for `instances.len()` runs of `circuit` in one session (see
/// [`run_garbler_many`]); `instances[k]` holds party 1's inputs of instance `k`.
pub fn run_evaluator_many<C: Channel + ?Sized>(
    ch: &mut C,
    circuit: &Circuit,
    instances: &[Vec<Vec<bool>>],
    opts: &SessionOptions,
) -> Result<ManyOutput, SessionError> {
    check_two_party(circuit)?;
    let me = Role::Evaluator.party();
    let k_count = instance_count(instances.len())?;
    let bits = instances.iter().map(|inputs| own_bits(circuit, me, inputs)).collect::<Result<Vec<_>, _>>()?;
    let progress = opts.progress.as_deref();
    set_total(progress, circuit.and_count() as u64 * u64::from(k_count));
    let start = Instant::now();
    let hello = Hello::new(Role::Evaluator, circuit, k_count).with_scheme(opts.scheme);
    send_hello(ch, &hello)?;
    let my_wires = party_wires(circuit, me);
    let garbler_wires = party_wires(circuit, Role::Garbler.party());
    let mut rng = ChaCha20Rng::from_entropy();
    let setup = evaluator_ot_offer(ch, &mut rng, !my_wires.is_empty())?;
    ch.flush()?;
    let (plan, labels) = overlapped(
        plan_ahead_circuit(circuit),
        || slot_plan(circuit, instances.len()),
        || {
            recv_hello(ch, &hello)?;
            let n_in = circuit.num_input_wires() as usize;
            let mut labels = vec![vec![Block::ZERO; n_in]; instances.len()];
            if let Some(setup) = setup {
                // Our choice bits and the OT outputs (our input labels): wiped when dropped.
                let all_bits: Zeroizing<Vec<bool>> = Zeroizing::new(bits.concat());
                let mine = evaluator_ot(ch, setup, &all_bits)?;
                for (l, mine) in labels.iter_mut().zip(mine.chunks_exact(my_wires.len())) {
                    place(l, &my_wires, mine);
                }
            }
            let theirs = Zeroizing::new(recv_blocks(ch, garbler_wires.len() * instances.len())?);
            if !garbler_wires.is_empty() {
                for (l, theirs) in labels.iter_mut().zip(theirs.chunks_exact(garbler_wires.len())) {
                    place(l, &garbler_wires, theirs);
                }
            }
            Ok::<_, SessionError>(labels)
        },
    );
    let labels = labels?;
    let per_instance = mpc_garble::tweaks_used(circuit);
    let mut out_labels: Zeroizing<Vec<Vec<Block>>> = Zeroizing::new(Vec::with_capacity(instances.len()));
    for (k, labels) in labels.into_iter().enumerate() {
        let mut evaluator = Evaluator::new(circuit, labels, tweak_base(per_instance, k)?)?
            .with_plan(&plan)
            .with_scheme(opts.scheme);
        out_labels.push(evaluator.evaluate(&mut ChannelSource { ch: &mut *ch, progress })?);
    }

    // Labels of the outputs the garbler learns go back first, so nobody waits.
    let garbler_ranges = visible_ranges(circuit, Role::Garbler.party());
    ch.send(&[0u8])?;
    let back: Zeroizing<Vec<Block>> =
        Zeroizing::new(out_labels.iter().flat_map(|o| pick(o, &garbler_ranges)).collect());
    send_blocks(ch, &back)?;
    ch.flush()?;

    let mine_ranges = visible_ranges(circuit, me);
    let n: usize = mine_ranges.iter().map(|(_, r)| r.len()).sum();
    let decoding = recv_decoding(ch, n * instances.len())?;
    let mine: Zeroizing<Vec<Block>> =
        Zeroizing::new(out_labels.iter().flat_map(|o| pick(o, &mine_ranges)).collect());
    let decoded = mpc_garble::decode(&mine, &decoding)?;
    let outputs: Vec<_> = (0..instances.len())
        .map(|k| visible_outputs(circuit.outputs().len(), &mine_ranges, &decoded[k * n..], true))
        .collect();
    Ok(ManyOutput { outputs, stats: stats_of(ch, start, circuit, instances.len()) })
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
