//! The authenticated-garbling protocol as a sans-IO state machine per role:
//! [`Machine`] (made for the garbler or the evaluator), asked for its next [`Step`]
//! until [`Step::Done`], handed each message it waits for with [`Machine::receive`].
//! It never does IO: it returns the typed [`Message`]s to send and the [`Expect`] of
//! the message it needs next (kind and exact size), and all its randomness comes from
//! the rng injected when it is made, so the same seeds and inputs give the same
//! messages (a test can record a session and replay it into fresh machines, or play a
//! cheating party by editing one message between two machines).
//!
//! The local computation of each phase is [`crate::protocol`]'s (KOS, leaky AND,
//! bucketing, Beaver, garbling, evaluation, the output checks); the machine only
//! sequences it. Its messages, in order (`exchange`: the garbler sends first, the
//! evaluator sends its half once the garbler's half is in, so no two messages cross):
//!
//! ```text
//! preprocessing (once per session)
//!   E -> G  OtSetupOffer                         base OTs of the first KOS session
//!   G -> E  OtSetupAnswer
//!   E -> G  OtExtend (+ bootstrap OTs), KosFlip, OtExtend x (batches - 1)
//!   G -> E  KosChallenge x batches
//!   E -> G  KosProof x batches
//!   G -> E  OtExtend x batches                   the reverse session
//!   E -> G  KosChallenge x batches
//!   G -> E  KosProof x batches                   -> Step::Phase("authenticated bits")
//!   exchange LeakyTables x layers, then LeakyBits x layers
//!   G -> E  Commitment; E -> G Value; G -> E Opening        equality check
//!   G -> E  Commitment; E -> G Value; G -> E Opening        coin toss
//!   exchange BucketOpening x (layers - 1)
//!   per further chunk of triples: the six KOS lines from the first OtExtend (3 x
//!   layers batches each way, no bootstrap OTs, no KosFlip), then the lines above
//!                                                -> Step::Phase("AND triples")
//! per instance, pipelined two deep in flights (all of one direction, then all of the
//! other: no two messages cross; `n` = 0 .. K - 1, bracketed parts where instance
//! n - 1 or n + 1 exists; see `Machine::start_online`)
//!   G -> E  BeaverOpening_0, InputMasks_0
//!   E -> G  BeaverOpening_0, InputMasks_0, EvaluatorInputs_0
//!   G -> E  [OutputMasks_n-1], GarblerInputs_n, Tables_n, [BeaverOpening_n+1, InputMasks_n+1]
//!   E -> G  [BeaverOpening_n+1, InputMasks_n+1, EvaluatorInputs_n+1], EvaluatorOutputs_n
//!   G -> E  OutputMasks_K-1
//! (phases per instance: "AND gates (Beaver)", "inputs", "garbled tables", "outputs";
//! with the pipeline they interleave across instances)
//! ```
//!
//! (`batches` is 1 + 3 x layers in the first round: the wire masks, then `a`, `b`, `r`
//! of each leaky-AND layer of the first chunk; the chunks and the number of layers are
//! [`crate::bucket::chunk_plan`]'s; without AND gates there are no layers and no
//! triples messages.)
//!
//! The evaluator's input labels take no OT: it learns the garbler's (MAC-checked)
//! mask shares of its input wires, sends its masked inputs `y ^ lambda` in the clear
//! and gets `L_{w,0} ^ (y ^ lambda) Delta_A` back (WRK17's online phase, as
//! emp-ag2pc's `online()`; docs/protocol.md argues it).
//!
//! Guarantees: a message of another kind than the one waited for is
//! [`AuthError::Unexpected`]; any failed check is the [`AuthError`] naming it, returned
//! by [`Machine::receive`] (or by a later [`Machine::next_step`]: for the message that
//! completes an exchange, right after this party's half of it, which does not depend
//! on the peer's, was handed out; in the online part, by the step that evaluates the
//! tables or checks the garbler's Beaver half, which run once the messages queued
//! before them are handed out) before any message that depends on the checked one
//! (in particular before any output opening); after an error the machine only returns
//! errors.

use std::collections::VecDeque;

use mpc_circuits::Circuit;
use mpc_crypto::{Block, Delta};
use mpc_ot::{iknp, kos};
use rand_core::{CryptoRng, RngCore};
use sha2::{Digest, Sha256};
use subtle::Choice;

use crate::bucket::{self, Triples};
use crate::error::{AuthError, Result};
use crate::feq;
use crate::leaky_and::Layer;
use crate::message::{Expect, Message};
use crate::protocol::{
    and_gates, assemble, beaver_finish, beaver_open, check_output_labels, evaluate, garble, input_wires,
    instance_masks, output_wires, random_bits, Outputs, Plan, Preprocessed, Wires,
};
use crate::shares::AuthShares;
use crate::{pin_delta, Role};

/// What a [`Machine`] needs done next.
#[derive(Debug)]
pub enum Step {
    /// Send this message to the peer (one frame).
    Send(Message),
    /// Wait for the message this names and hand it to [`Machine::receive`].
    Recv(Expect),
    /// A phase of the protocol ended here (for per-phase byte and time reports;
    /// callers may ignore it).
    Phase(&'static str),
    /// The machine is done: read its results with [`Machine::take_outputs`] or
    /// [`Machine::into_preprocessed`].
    Done,
}

/// Where the machine's preprocessing is.
enum Pre<'c> {
    /// Being made (this session preprocesses).
    Making(Box<Making>),
    /// Made by this session.
    Owned(Box<Preprocessed>),
    /// Made earlier, lent for one instance ([`Preprocessed::run`]).
    Lent(&'c mut Preprocessed),
    /// Between making and owning (never seen outside [`Machine::preprocessed`]).
    Moving,
}

/// A preprocessing in the making: the KOS sessions once set up, the round of KOS
/// batches in progress, the chunks of triples still to make and what is kept.
struct Making {
    delta: Delta,
    plan: Plan,
    instances: usize,
    /// The session in which I am the receiver (set up by the first round).
    mine: Option<kos::Receiver>,
    /// The session in which I am the sender (set up by the first round).
    theirs: Option<kos::Sender>,
    /// The KOS batches of the current round, each direction: in the first round
    /// (`boot`, which bootstraps the reverse session) the wire masks and then
    /// `a, b, r` of each leaky-AND layer of the first chunk; in each later round those
    /// of the next chunk.
    round: Vec<usize>,
    boot: bool,
    /// Triples of the chunk in progress, and the sizes of the chunks still to come.
    chunk: usize,
    chunks: VecDeque<usize>,
    /// Session-unique index of the next leaky-AND candidate (table tweaks).
    next_index: u64,
    /// Kept for the whole session: the wire masks and the finished triples.
    masks: AuthShares,
    triples: Triples,
}

/// Tuning of how a [`Machine`] preprocesses (both parties must use the same).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
    /// The most triples bucketed together (a chunk; see [`crate::bucket`] and
    /// [`bucket::chunk_plan`]); tests set small values to get many chunks.
    pub chunk_triples: usize,
}

impl Default for Options {
    fn default() -> Options {
        Options { chunk_triples: bucket::CHUNK_TRIPLES }
    }
}

/// One instance of the online part: its masks and what its steps have made so far.
struct Instance {
    /// This party's input bits.
    inputs: Vec<bool>,
    /// `<lambda_w>` for every wire.
    masks: AuthShares,
    /// My half of the Beaver step (`d`, `e` of every AND gate), kept until the peer's
    /// half is checked against it.
    de: AuthShares,
    /// `<lambda_alpha lambda_beta>` per AND gate, once the Beaver step is done.
    sigma: AuthShares,
    /// The session-wide index of its first AND gate (and triple).
    t0: usize,
}

/// An instance prepared: its masks, and this party's halves of its openings (the
/// Beaver step's `d`, `e`; its mask shares of the peer's input wires), not yet sent.
struct Prepared {
    inst: Box<Instance>,
    halves: [Message; 2],
}

/// Garbler: an instance garbled and sent, until the evaluator's output message for it
/// has been checked.
struct Garbled {
    /// My mask shares of my output wires.
    mask: AuthShares,
    /// `L_{w,0}` of my output wires.
    zero: Vec<Block>,
    /// The opening of my mask shares of the evaluator's output wires: the
    /// [`Message::OutputMasks`] sent once the evaluator's output message passed.
    open: Vec<u8>,
}

/// Garbler: after the evaluator's output message of the instance before, the
/// instance garbled since, the flight that carries it, and the next instance.
type GbThen = (Box<Garbled>, Vec<Message>, Option<Box<Instance>>);

/// Evaluator: an instance whose Beaver step is done.
struct EvInstance {
    inst: Box<Instance>,
    /// My masked input bits (as sent in [`Message::EvaluatorInputs`]).
    zhat_mine: Vec<bool>,
}

/// Evaluator: an instance with the garbler's inputs and tables, to evaluate.
struct EvTables {
    cur: EvInstance,
    /// The garbler's masked input bits.
    masked: Vec<bool>,
    /// The labels of the garbler's input wires, then of mine.
    labels: Vec<Block>,
    tables: Vec<u8>,
}

/// Evaluator: what the garbler's next flight is for (see [`Machine::expect_flight`]):
/// the instance whose output masks it opens, the one whose inputs and tables it
/// carries, the one whose halves of the openings it carries (with my halves, to send
/// once it is in).
struct EvRound {
    prev: Option<EvOutputs>,
    cur: Option<EvInstance>,
    next: Option<Box<Prepared>>,
}

/// Evaluator: an instance evaluated and its output message sent, until the garbler's
/// opening of my output masks.
struct EvOutputs {
    /// My mask shares of my output wires.
    my_mask: AuthShares,
    /// The masked values of my output wires.
    zhat: Vec<bool>,
}

/// Evaluator: the next instance after the garbler's halves of its openings are in:
/// the garbler's Beaver opening (checked once the current instance is evaluated) and
/// my masked inputs.
struct EvNext {
    inst: Box<Instance>,
    peer_beaver: Vec<u8>,
    zhat_mine: Vec<bool>,
}

/// Where the protocol is: what the machine holds while it waits.
enum Stage {
    // Authenticated bits, evaluator (the base-OT sender of the first session).
    EvAnswer {
        setup: kos::ReceiverSetup,
    },
    /// Sending my bits' batches, one per step.
    EvSending {
        pending: VecDeque<(Vec<bool>, kos::PendingReceiver)>,
    },
    EvChallenges {
        pending: VecDeque<(Vec<bool>, kos::PendingReceiver)>,
        macs: Vec<(Vec<bool>, Vec<Block>)>,
    },
    EvExtends {
        macs: Vec<(Vec<bool>, Vec<Block>)>,
        pending: Vec<kos::PendingSender>,
        challenges: Vec<kos::Challenge>,
    },
    EvProofs {
        macs: VecDeque<(Vec<bool>, Vec<Block>)>,
        pending: VecDeque<kos::PendingSender>,
        out: Vec<AuthShares>,
    },
    // Authenticated bits, garbler.
    GbOffer,
    GbExtends {
        boot: Option<iknp::Extend>,
        flip: Option<kos::Flip>,
        pending: Vec<kos::PendingSender>,
        challenges: Vec<kos::Challenge>,
    },
    GbProofs {
        flip: Option<kos::Flip>,
        pending: VecDeque<kos::PendingSender>,
        keys: Vec<Vec<Block>>,
    },
    /// Sending my bits' batches, one per step.
    GbSending {
        keys: VecDeque<Vec<Block>>,
        pending: VecDeque<(Vec<bool>, kos::PendingReceiver)>,
    },
    GbChallenges {
        pending: VecDeque<(Vec<bool>, kos::PendingReceiver)>,
        keys: VecDeque<Vec<Block>>,
        out: Vec<AuthShares>,
    },
    // AND triples.
    LeakyTables {
        layers: Vec<Layer>,
        peer: Vec<Vec<u8>>,
    },
    LeakyBits {
        layers: Vec<Layer>,
        s: Vec<Vec<Block>>,
        peer: Vec<Vec<u8>>,
    },
    EqualGarbler {
        state: feq::Committed,
        digest: [u8; 32],
        layers: Vec<Triples>,
    },
    EqualEvaluator {
        digest: [u8; 32],
        com: Option<[u8; 32]>,
        layers: Vec<Triples>,
    },
    CoinGarbler {
        mine: [u8; 32],
        state: feq::Committed,
        layers: Vec<Triples>,
    },
    CoinEvaluator {
        mine: [u8; 32],
        com: Option<[u8; 32]>,
        layers: Vec<Triples>,
    },
    Buckets {
        acc: Triples,
        rest: Vec<Triples>,
        opened: Vec<(Vec<usize>, Vec<bool>)>,
        peer: Vec<Vec<u8>>,
    },
    // The online part: one instance after another, pipelined (see `start_online`).
    /// Garbler, work (while the evaluator answers the flight just sent): prepare the
    /// instance after `next`, whose halves that flight carried; `prev` is the instance
    /// before `next`, garbled, until its outputs.
    GbPrepare {
        next: Box<Instance>,
        prev: Option<Box<Garbled>>,
    },
    /// Garbler: waiting for the evaluator's Beaver half of `inst`; `ahead` is the
    /// instance after it, prepared, its halves not sent yet.
    GbBeaver {
        inst: Box<Instance>,
        prev: Option<Box<Garbled>>,
        ahead: Option<Box<Prepared>>,
    },
    /// Garbler: waiting for the evaluator's opening of my input wires' masks.
    GbInputMasks {
        inst: Box<Instance>,
        prev: Option<Box<Garbled>>,
        ahead: Option<Box<Prepared>>,
    },
    /// Garbler: waiting for the evaluator's masked inputs.
    GbEvInputs {
        inst: Box<Instance>,
        prev: Option<Box<Garbled>>,
        ahead: Option<Box<Prepared>>,
        zhat_mine: Vec<bool>,
    },
    /// Garbler, work: garble `inst` (its inputs' labels, its tables).
    GbGarble {
        inst: Box<Instance>,
        prev: Option<Box<Garbled>>,
        ahead: Option<Box<Prepared>>,
        zhat_mine: Vec<bool>,
        zhat_peer: Vec<bool>,
    },
    /// Garbler: waiting for the evaluator's output message of `prev`; then `then`
    /// (the instance garbled since, the flight that carries it, the next instance).
    GbOutputs {
        prev: Box<Garbled>,
        then: Option<GbThen>,
    },
    /// Evaluator: waiting for the garbler's flight: the opening of `prev`'s output
    /// masks, `cur`'s inputs and tables, `next`'s Beaver and input-mask halves (each
    /// where there is such an instance); `got` collects it.
    EvFlight {
        round: Box<EvRound>,
        got: Vec<Message>,
    },
    /// Evaluator, work: evaluate `cur` (its garbler inputs and tables) and send its
    /// output message.
    EvEvaluate {
        cur: Option<Box<EvTables>>,
        next: Option<Box<EvNext>>,
    },
    /// Evaluator, work: the Beaver step of `next`, and my halves of the instance after.
    EvPrepare {
        out: Option<EvOutputs>,
        next: Option<Box<EvNext>>,
    },
    Done,
    Failed,
}

/// One party of the protocol (see the module docs).
pub struct Machine<'c, R> {
    role: Role,
    circuit: &'c Circuit,
    rng: R,
    /// Inputs of the instances still to run, in order.
    inputs: VecDeque<Vec<bool>>,
    pre: Pre<'c>,
    outputs: Vec<Outputs>,
    /// The circuit's AND gates, input wires per party and output wires per party.
    ands: Vec<(usize, usize, usize)>,
    wires_in: [Vec<usize>; 2],
    wires_out: [Vec<usize>; 2],
    queue: VecDeque<Step>,
    waiting: VecDeque<Expect>,
    /// The evaluator's half of an exchange, sent once the garbler's half is in.
    deferred: Vec<Message>,
    /// The message that completed an exchange, processed once this party's half is
    /// sent (so its buffers are gone before the step's computation).
    held: Option<Message>,
    stage: Stage,
}

impl<R> core::fmt::Debug for Machine<'_, R> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Machine")
            .field("role", &self.role)
            .field("waiting", &self.waiting)
            .field("queued", &self.queue.len())
            .finish_non_exhaustive()
    }
}

fn ot(e: mpc_ot::OtError) -> AuthError {
    AuthError::Ot(e.to_string())
}

fn internal(what: &str) -> AuthError {
    AuthError::InvalidArgument(format!("internal: {what}"))
}

const EQUAL: &str = "leaky AND triples";
const COIN: &str = "coin toss";

impl<'c, R: RngCore + CryptoRng> Machine<'c, R> {
    /// A session of `inputs.len()` instances of `circuit` (one preprocessing, then each
    /// instance with its inputs: this party's input bits in group order), as
    /// [`crate::protocol::run_many`].
    pub fn new(role: Role, circuit: &'c Circuit, inputs: &[Vec<bool>], rng: R) -> Result<Machine<'c, R>> {
        Machine::with_options(role, circuit, inputs, Options::default(), rng)
    }

    /// [`Machine::new`] with `options` (the peer must use the same).
    pub fn with_options(
        role: Role,
        circuit: &'c Circuit,
        inputs: &[Vec<bool>],
        options: Options,
        rng: R,
    ) -> Result<Machine<'c, R>> {
        Machine::making(role, circuit, inputs.len(), inputs.iter().cloned().collect(), options, rng)
    }

    /// Only the preprocessing of `instances` instances, as
    /// [`crate::protocol::preprocess`]; read it with [`Machine::into_preprocessed`].
    pub fn preprocess(role: Role, circuit: &'c Circuit, instances: usize, rng: R) -> Result<Machine<'c, R>> {
        Machine::making(role, circuit, instances, VecDeque::new(), Options::default(), rng)
    }

    /// The next instance of an earlier preprocessing, as [`Preprocessed::run`].
    pub fn instance(
        pre: &'c mut Preprocessed,
        circuit: &'c Circuit,
        inputs: &[bool],
        rng: R,
    ) -> Result<Machine<'c, R>> {
        let role = pre.role;
        let mut m = Machine::bare(role, circuit, Pre::Lent(pre), VecDeque::from([inputs.to_vec()]), rng);
        m.stage = m.start_online()?;
        Ok(m)
    }

    fn bare(
        role: Role,
        circuit: &'c Circuit,
        pre: Pre<'c>,
        inputs: VecDeque<Vec<bool>>,
        rng: R,
    ) -> Machine<'c, R> {
        Machine {
            role,
            circuit,
            rng,
            inputs,
            pre,
            outputs: Vec::new(),
            ands: and_gates(circuit),
            wires_in: [input_wires(circuit, 0), input_wires(circuit, 1)],
            wires_out: [output_wires(circuit, 0), output_wires(circuit, 1)],
            queue: VecDeque::new(),
            waiting: VecDeque::new(),
            deferred: Vec::new(),
            held: None,
            stage: Stage::Failed,
        }
    }

    fn making(
        role: Role,
        circuit: &'c Circuit,
        instances: usize,
        inputs: VecDeque<Vec<bool>>,
        options: Options,
        mut rng: R,
    ) -> Result<Machine<'c, R>> {
        let plan = Plan::new(circuit, instances, options.chunk_triples)?;
        let delta = pin_delta(role, Block::random(&mut rng));
        let mut chunks: VecDeque<usize> = plan.chunks.iter().copied().collect();
        // The first round: the wire masks and the first chunk's layers.
        let mut round = vec![plan.n_masks];
        let chunk = chunks.pop_front().unwrap_or(0);
        if chunk > 0 {
            round.extend(core::iter::repeat_n(chunk, 3 * plan.b_size));
        }
        let making = Making {
            delta,
            plan,
            instances,
            mine: None,
            theirs: None,
            round,
            boot: true,
            chunk,
            chunks,
            next_index: 0,
            masks: AuthShares::default(),
            triples: Triples::default(),
        };
        let mut m = Machine::bare(role, circuit, Pre::Making(Box::new(making)), inputs, rng);
        m.stage = match role {
            Role::Evaluator => {
                let (setup, offer) = kos::Receiver::new(&mut m.rng);
                m.send(Message::OtSetupOffer(offer));
                m.waiting.push_back(Expect::OtSetupAnswer);
                Stage::EvAnswer { setup }
            }
            Role::Garbler => {
                m.waiting.push_back(Expect::OtSetupOffer);
                Stage::GbOffer
            }
        };
        Ok(m)
    }
}

impl<'c, R> Machine<'c, R> {
    /// This machine's role.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The results of every instance run (after [`Step::Done`]), taken.
    pub fn take_outputs(&mut self) -> Vec<Outputs> {
        std::mem::take(&mut self.outputs)
    }

    /// The preprocessing this machine made (after [`Step::Done`] of a
    /// [`Machine::preprocess`] machine; `None` for one lent a preprocessing).
    pub fn into_preprocessed(self) -> Option<Preprocessed> {
        match self.pre {
            Pre::Owned(p) => Some(*p),
            Pre::Making(_) | Pre::Lent(_) | Pre::Moving => None,
        }
    }

    fn send(&mut self, m: Message) {
        self.queue.push_back(Step::Send(m));
    }

    fn phase(&mut self, name: &'static str) {
        self.queue.push_back(Step::Phase(name));
    }

    /// Both halves of a symmetric exchange: `mine` now (garbler) or once `mine.len()`
    /// messages of kind `expect` are in (evaluator).
    fn exchange(&mut self, mine: Vec<Message>, expect: Expect) {
        self.waiting.extend(core::iter::repeat_n(expect, mine.len()));
        match self.role {
            Role::Garbler => mine.into_iter().for_each(|m| self.send(m)),
            Role::Evaluator => self.deferred = mine,
        }
    }
}

/// The preprocessing being made (only while the machine makes one).
fn making<'a>(pre: &'a mut Pre<'_>) -> Result<&'a mut Making> {
    match pre {
        Pre::Making(m) => Ok(m),
        _ => Err(internal("no preprocessing in the making")),
    }
}

/// The finished preprocessing.
fn made<'a>(pre: &'a mut Pre<'_>) -> Result<&'a mut Preprocessed> {
    match pre {
        Pre::Owned(p) => Ok(p),
        Pre::Lent(p) => Ok(p),
        Pre::Making(_) | Pre::Moving => Err(internal("the preprocessing is not made yet")),
    }
}

impl<R: RngCore + CryptoRng> Machine<'_, R> {
    /// The next step (see [`Step`]). After [`Step::Recv`] the caller hands the message
    /// to [`Machine::receive`] before asking again.
    pub fn next_step(&mut self) -> Result<Step> {
        loop {
            if let Some(step) = self.queue.pop_front() {
                return Ok(step);
            }
            if let Some(msg) = self.held.take() {
                self.process(msg)?;
                continue;
            }
            if let Some(&e) = self.waiting.front() {
                return Ok(Step::Recv(e));
            }
            match self.stage {
                Stage::Done => return Ok(Step::Done),
                Stage::Failed => {
                    return Err(AuthError::InvalidArgument("the machine stopped at an earlier error".into()))
                }
                Stage::EvSending { .. } | Stage::GbSending { .. } => {
                    let stage = std::mem::replace(&mut self.stage, Stage::Failed);
                    match self.produce(stage) {
                        Ok(next) => self.stage = next,
                        Err(e) => {
                            self.fail();
                            return Err(e);
                        }
                    }
                }
                Stage::GbGarble { .. }
                | Stage::GbPrepare { .. }
                | Stage::EvEvaluate { .. }
                | Stage::EvPrepare { .. } => {
                    let stage = std::mem::replace(&mut self.stage, Stage::Failed);
                    match self.work(stage) {
                        Ok(next) => self.stage = next,
                        Err(e) => {
                            self.fail();
                            return Err(e);
                        }
                    }
                }
                _ => return Err(internal("a stage that waits for nothing")),
            }
        }
    }

    /// The next of a run of large messages, made only when the previous one is on its
    /// way (so the peer works on one batch while this party makes the next, and only
    /// one batch at a time waits here): my authenticated bits' KOS batches.
    fn produce(&mut self, stage: Stage) -> Result<Stage> {
        let sizes = self.sizes()?;
        Ok(match stage {
            Stage::EvSending { mut pending } => {
                let (i, n) = (pending.len(), sizes[pending.len()]);
                let bits = random_bits(&mut self.rng, n);
                let m = making(&mut self.pre)?;
                let mine = m.mine.as_mut().ok_or_else(|| internal("no receiver session"))?;
                if i == 0 && m.boot {
                    // The first batch carries the bootstrap OTs of the reverse session.
                    let (ext, flip, p) = mine.extend_bootstrap(&mut self.rng, &bits, &m.delta).map_err(ot)?;
                    self.send(Message::OtExtend(ext));
                    self.send(Message::KosFlip(flip));
                    pending.push_back((bits, p));
                } else {
                    let (ext, p) = mine.extend(&mut self.rng, &bits).map_err(ot)?;
                    self.send(Message::OtExtend(ext));
                    pending.push_back((bits, p));
                }
                if pending.len() < sizes.len() {
                    return Ok(Stage::EvSending { pending });
                }
                self.waiting.extend(core::iter::repeat_n(Expect::KosChallenge, sizes.len()));
                Stage::EvChallenges { pending, macs: Vec::with_capacity(sizes.len()) }
            }
            Stage::GbSending { keys, mut pending } => {
                let bits = random_bits(&mut self.rng, sizes[pending.len()]);
                let m = making(&mut self.pre)?;
                let mine = m.mine.as_mut().ok_or_else(|| internal("no receiver session"))?;
                let (ext, p) = mine.extend(&mut self.rng, &bits).map_err(ot)?;
                self.send(Message::OtExtend(ext));
                pending.push_back((bits, p));
                if pending.len() < sizes.len() {
                    return Ok(Stage::GbSending { keys, pending });
                }
                self.waiting.extend(core::iter::repeat_n(Expect::KosChallenge, sizes.len()));
                Stage::GbChallenges { pending, keys, out: Vec::new() }
            }
            _ => return Err(internal("nothing to produce")),
        })
    }

    /// The message the last [`Step::Recv`] asked for: checked, processed, and the
    /// machine moved on. A failed check is returned and stops the machine.
    pub fn receive(&mut self, msg: Message) -> Result<()> {
        let Some(want) = self.waiting.pop_front() else {
            self.fail();
            return Err(AuthError::Unexpected { got: msg.name(), want: "no message" });
        };
        if !want.admits(&msg) {
            self.fail();
            return Err(AuthError::Unexpected { got: msg.name(), want: want.name() });
        }
        if self.waiting.is_empty() && !self.deferred.is_empty() {
            // My half of the exchange goes first (it does not depend on the peer's);
            // the peer's is processed by the next `next_step`.
            let mine = std::mem::take(&mut self.deferred);
            mine.into_iter().for_each(|m| self.send(m));
            self.held = Some(msg);
            return Ok(());
        }
        self.process(msg)
    }

    /// Runs the step of the current stage on `msg`; a failed check stops the machine.
    fn process(&mut self, msg: Message) -> Result<()> {
        let stage = std::mem::replace(&mut self.stage, Stage::Failed);
        match self.on(stage, msg) {
            Ok(next) => {
                self.stage = next;
                Ok(())
            }
            Err(e) => {
                self.fail();
                Err(e)
            }
        }
    }

    fn fail(&mut self) {
        self.stage = Stage::Failed;
        self.queue.clear();
        self.waiting.clear();
        self.deferred.clear();
        self.held = None;
    }

    /// The KOS batch sizes of the current round.
    fn sizes(&mut self) -> Result<Vec<usize>> {
        Ok(making(&mut self.pre)?.round.clone())
    }

    /// One received message in `stage`; returns the next stage.
    fn on(&mut self, stage: Stage, msg: Message) -> Result<Stage> {
        let role = self.role;
        // In the first round of KOS batches (which bootstraps the reverse session).
        let first = matches!(&self.pre, Pre::Making(m) if m.boot);
        Ok(match (stage, msg) {
            // ---- Authenticated bits, evaluator ----
            (Stage::EvAnswer { setup }, Message::OtSetupAnswer(answer)) => {
                making(&mut self.pre)?.mine = Some(setup.finish(&answer).map_err(ot)?);
                // My bits to the garbler, one batch per step (see `produce`).
                Stage::EvSending { pending: VecDeque::new() }
            }
            (Stage::EvChallenges { mut pending, mut macs }, Message::KosChallenge(c)) => {
                let (bits, p) = pending.pop_front().ok_or_else(|| internal("a challenge too many"))?;
                let m = making(&mut self.pre)?;
                let (proof, mm) = if macs.is_empty() && m.boot {
                    let (proof, mm, sender) = p.respond_bootstrap(&c).map_err(ot)?;
                    m.theirs = Some(sender);
                    (proof, mm)
                } else {
                    p.respond(&c)
                };
                self.send(Message::KosProof(proof));
                macs.push((bits, mm));
                if !pending.is_empty() {
                    return Ok(Stage::EvChallenges { pending, macs });
                }
                // The garbler's bits to me: all batches in, then all challenges out.
                for n in self.sizes()? {
                    self.waiting.push_back(Expect::OtExtend { ots: n + kos::CHECK_OTS });
                }
                Stage::EvExtends { macs, pending: Vec::new(), challenges: Vec::new() }
            }
            (Stage::EvExtends { macs, mut pending, mut challenges }, Message::OtExtend(ext)) => {
                let sizes = self.sizes()?;
                let n = sizes[pending.len()];
                let theirs =
                    making(&mut self.pre)?.theirs.as_mut().ok_or_else(|| internal("no bootstrap batch"))?;
                let (c, p) = theirs.extend(&mut self.rng, n, &ext).map_err(ot)?;
                challenges.push(c);
                pending.push(p);
                if pending.len() < sizes.len() {
                    return Ok(Stage::EvExtends { macs, pending, challenges });
                }
                challenges.into_iter().for_each(|c| self.send(Message::KosChallenge(c)));
                self.waiting.extend(core::iter::repeat_n(Expect::KosProof, sizes.len()));
                Stage::EvProofs { macs: macs.into(), pending: pending.into(), out: Vec::new() }
            }
            (Stage::EvProofs { mut macs, mut pending, mut out }, Message::KosProof(proof)) => {
                let ((bits, m), p) =
                    macs.pop_front().zip(pending.pop_front()).ok_or_else(|| internal("a proof too many"))?;
                out.push(AuthShares { bits, macs: m, keys: p.verify(&proof).map_err(ot)? });
                if !pending.is_empty() {
                    return Ok(Stage::EvProofs { macs, pending, out });
                }
                self.authenticated(out)?
            }

            // ---- Authenticated bits, garbler ----
            (Stage::GbOffer, Message::OtSetupOffer(offer)) => {
                let sizes = self.sizes()?;
                let m = making(&mut self.pre)?;
                let (theirs, answer) = kos::Sender::new(&mut self.rng, &m.delta, &offer).map_err(ot)?;
                m.theirs = Some(theirs);
                self.send(Message::OtSetupAnswer(answer));
                // The evaluator's bits to me, the first batch with the bootstrap OTs.
                self.waiting
                    .push_back(Expect::OtExtend { ots: sizes[0] + kos::BOOTSTRAP_OTS + kos::CHECK_OTS });
                self.waiting.push_back(Expect::KosFlip);
                for &n in &sizes[1..] {
                    self.waiting.push_back(Expect::OtExtend { ots: n + kos::CHECK_OTS });
                }
                Stage::GbExtends { boot: None, flip: None, pending: Vec::new(), challenges: Vec::new() }
            }
            (Stage::GbExtends { boot: None, flip: None, pending, challenges }, Message::OtExtend(ext))
                if pending.is_empty() && first =>
            {
                Stage::GbExtends { boot: Some(ext), flip: None, pending, challenges }
            }
            (Stage::GbExtends { boot, flip, mut pending, mut challenges }, msg) => {
                let sizes = self.sizes()?;
                let theirs =
                    making(&mut self.pre)?.theirs.as_mut().ok_or_else(|| internal("no sender session"))?;
                let (c, p, flip) = match (boot, flip, msg) {
                    (Some(ext), None, Message::KosFlip(f)) => {
                        let (c, p) = theirs.extend_bootstrap(&mut self.rng, sizes[0], &ext).map_err(ot)?;
                        (c, p, Some(f))
                    }
                    (None, flip, Message::OtExtend(ext)) if flip.is_some() || !first => {
                        let (c, p) = theirs.extend(&mut self.rng, sizes[pending.len()], &ext).map_err(ot)?;
                        (c, p, flip)
                    }
                    _ => return Err(internal("the bootstrap batch out of order")),
                };
                challenges.push(c);
                pending.push(p);
                if pending.len() < sizes.len() {
                    return Ok(Stage::GbExtends { boot: None, flip, pending, challenges });
                }
                challenges.into_iter().for_each(|c| self.send(Message::KosChallenge(c)));
                self.waiting.extend(core::iter::repeat_n(Expect::KosProof, sizes.len()));
                Stage::GbProofs { flip, pending: pending.into(), keys: Vec::new() }
            }
            (Stage::GbProofs { flip, mut pending, mut keys }, Message::KosProof(proof)) => {
                let p = pending.pop_front().ok_or_else(|| internal("a proof too many"))?;
                if keys.is_empty() && first {
                    let flip = flip.as_ref().ok_or_else(|| internal("no bootstrap flip"))?;
                    let (k, receiver) = p.verify_bootstrap(&proof, flip).map_err(ot)?;
                    making(&mut self.pre)?.mine = Some(receiver);
                    keys.push(k);
                } else {
                    keys.push(p.verify(&proof).map_err(ot)?);
                }
                if !pending.is_empty() {
                    return Ok(Stage::GbProofs { flip, pending, keys });
                }
                // My bits to the evaluator, one batch per step (see `produce`).
                Stage::GbSending { keys: keys.into(), pending: VecDeque::new() }
            }
            (Stage::GbChallenges { mut pending, mut keys, mut out }, Message::KosChallenge(c)) => {
                let ((bits, p), k) = pending
                    .pop_front()
                    .zip(keys.pop_front())
                    .ok_or_else(|| internal("a challenge too many"))?;
                let (proof, macs) = p.respond(&c);
                self.send(Message::KosProof(proof));
                out.push(AuthShares { bits, macs, keys: k });
                if !pending.is_empty() {
                    return Ok(Stage::GbChallenges { pending, keys, out });
                }
                self.authenticated(out)?
            }

            // ---- AND triples ----
            (Stage::LeakyTables { layers, mut peer }, Message::LeakyTables(t)) => {
                peer.push(t);
                if peer.len() < layers.len() {
                    return Ok(Stage::LeakyTables { layers, peer });
                }
                let (delta, n) = {
                    let m = making(&mut self.pre)?;
                    (m.delta.clone(), m.chunk)
                };
                let mut s = Vec::with_capacity(layers.len());
                let mut bits = Vec::with_capacity(layers.len());
                // Each peer table is dropped once evaluated (not all at the end).
                for (layer, p) in layers.iter().zip(peer) {
                    let (si, b) = layer.evaluate(role, &delta, &p)?;
                    s.push(si);
                    bits.push(Message::LeakyBits(b));
                }
                self.exchange(bits, Expect::LeakyBits { n });
                Stage::LeakyBits { layers, s, peer: Vec::new() }
            }
            (Stage::LeakyBits { layers, s, mut peer }, Message::LeakyBits(b)) => {
                peer.push(b);
                if peer.len() < layers.len() {
                    return Ok(Stage::LeakyBits { layers, s, peer });
                }
                let delta = making(&mut self.pre)?.delta.clone();
                let mut check = Sha256::new();
                let mut triples = Vec::with_capacity(layers.len());
                for ((layer, s), p) in layers.into_iter().zip(s).zip(&peer) {
                    triples.push(layer.finish(role, &delta, s, p, &mut check)?);
                }
                let digest: [u8; 32] = check.finalize().into();
                // The commit-then-open equality check of the two digests.
                match role {
                    Role::Garbler => {
                        let (state, com) = feq::commit(&mut self.rng, EQUAL, digest);
                        self.send(Message::Commitment(com));
                        self.waiting.push_back(Expect::Value { what: EQUAL });
                        Stage::EqualGarbler { state, digest, layers: triples }
                    }
                    Role::Evaluator => {
                        self.exchange(vec![Message::Value(digest)], Expect::Commitment { what: EQUAL });
                        Stage::EqualEvaluator { digest, com: None, layers: triples }
                    }
                }
            }
            (Stage::EqualGarbler { state, digest, layers }, Message::Value(theirs)) => {
                if theirs != digest {
                    return Err(AuthError::Equality { what: EQUAL });
                }
                self.send(Message::Opening(state.opening()));
                self.coin(layers)
            }
            (Stage::EqualEvaluator { digest, com: None, layers }, Message::Commitment(com)) => {
                self.waiting.push_back(Expect::Opening { what: EQUAL });
                Stage::EqualEvaluator { digest, com: Some(com), layers }
            }
            (Stage::EqualEvaluator { digest, com: Some(com), layers }, Message::Opening(o)) => {
                if feq::verify_opening(EQUAL, &com, &o)? != digest {
                    return Err(AuthError::Equality { what: EQUAL });
                }
                self.coin(layers)
            }
            (Stage::CoinGarbler { mine, state, layers }, Message::Value(theirs)) => {
                self.send(Message::Opening(state.opening()));
                self.buckets(seed(&mine, &theirs), layers)?
            }
            (Stage::CoinEvaluator { mine, com: None, layers }, Message::Commitment(com)) => {
                self.waiting.push_back(Expect::Opening { what: COIN });
                Stage::CoinEvaluator { mine, com: Some(com), layers }
            }
            (Stage::CoinEvaluator { mine, com: Some(com), layers }, Message::Opening(o)) => {
                let theirs = feq::verify_opening(COIN, &com, &o)?;
                self.buckets(seed(&mine, &theirs), layers)?
            }
            (Stage::Buckets { mut acc, rest, opened, mut peer }, Message::BucketOpening(o)) => {
                peer.push(o);
                if peer.len() < rest.len() {
                    return Ok(Stage::Buckets { acc, rest, opened, peer });
                }
                let delta = making(&mut self.pre)?.delta.clone();
                // Each layer is dropped once folded in.
                for ((layer, (perm, d)), p) in rest.into_iter().zip(opened).zip(peer) {
                    bucket::combine(&delta, &mut acc, &layer, &perm, &d, &p)?;
                }
                self.chunk_done(acc)?
            }

            // ---- The online part (see `start_online`) ----
            (Stage::GbBeaver { mut inst, prev, ahead }, Message::BeaverOpening(o)) => {
                self.beaver(&mut inst, &o)?;
                self.phase("AND gates (Beaver)");
                Stage::GbInputMasks { inst, prev, ahead }
            }
            (Stage::GbInputMasks { inst, prev, ahead }, Message::InputMasks(o)) => {
                let zhat_mine = self.masked_inputs(&inst, &o)?;
                Stage::GbEvInputs { inst, prev, ahead, zhat_mine }
            }
            (Stage::GbEvInputs { inst, prev, ahead, zhat_mine }, Message::EvaluatorInputs(zhat_peer)) => {
                self.phase("inputs");
                Stage::GbGarble { inst, prev, ahead, zhat_mine, zhat_peer }
            }
            (Stage::GbOutputs { prev, then }, Message::EvaluatorOutputs { masked, labels, masks }) => {
                let pre = made(&mut self.pre)?;
                check_output_labels(&pre.delta, &self.wires_out[0], &prev.zero, &masked, &labels)?;
                let my_mask = prev.mask;
                let peer_mask = my_mask.check_open(&pre.delta, "output masks", &masks)?;
                // Only now the evaluator's outputs: my mask shares, opened.
                self.send(Message::OutputMasks(prev.open));
                let values: Vec<(bool, bool, bool)> =
                    (0..masked.len()).map(|i| (masked[i], my_mask.bits[i], peer_mask[i])).collect();
                self.outputs.push(assemble(self.circuit, 0, &values)?);
                let next = match then {
                    Some((garbled, flight, next)) => self.garbler_flight(garbled, flight, next),
                    None => Stage::Done,
                };
                self.phase("outputs");
                next
            }
            (Stage::EvFlight { round, mut got }, msg) => {
                got.push(msg);
                if !self.waiting.is_empty() {
                    return Ok(Stage::EvFlight { round, got });
                }
                self.evaluator_flight(*round, got)?
            }

            (_, msg) => {
                return Err(internal(&format!("a {} message in a stage that does not take it", msg.name())))
            }
        })
    }

    /// Both directions of a round of authenticated bits are done: keep the wire masks
    /// (first round), and start the chunk's triples (their leaky-AND tables) if it has
    /// any.
    fn authenticated(&mut self, parts: Vec<AuthShares>) -> Result<Stage> {
        let role = self.role;
        let m = making(&mut self.pre)?;
        let mut parts = parts.into_iter();
        if m.boot {
            m.boot = false;
            m.masks = parts.next().unwrap_or_default();
            self.phase("authenticated bits");
        }
        let m = making(&mut self.pre)?;
        let n = m.chunk;
        if n == 0 {
            return self.preprocessed();
        }
        let mut layers = Vec::with_capacity(m.plan.b_size);
        while let (Some(a), Some(b), Some(r)) = (parts.next(), parts.next(), parts.next()) {
            if a.len() != n || b.len() != n || r.len() != n {
                return Err(AuthError::InvalidArgument(format!(
                    "a leaky-AND layer of other than {n} shares"
                )));
            }
            layers.push(Layer { a, b, r, first_index: m.next_index });
            m.next_index += n as u64;
        }
        // The layers are independent: all their tables in one flight each way, then all
        // their bits.
        let tables = layers
            .iter()
            .map(|l| l.tables(role, &m.delta).map(Message::LeakyTables))
            .collect::<Result<Vec<_>>>()?;
        self.exchange(tables, Expect::LeakyTables { n });
        Ok(Stage::LeakyTables { layers, peer: Vec::new() })
    }

    /// A chunk's triples are bucketed: keep them, and start the next chunk's round of
    /// KOS batches (the evaluator sends first, as in the first round), or end the
    /// preprocessing.
    fn chunk_done(&mut self, triples: Triples) -> Result<Stage> {
        let m = making(&mut self.pre)?;
        if m.triples.is_empty() && m.chunks.is_empty() {
            // The only chunk: moved, not copied.
            m.triples = triples;
        } else {
            if m.triples.is_empty() {
                m.triples.reserve(m.plan.chunks.iter().sum());
            }
            m.triples.append(triples);
        }
        let Some(n) = m.chunks.pop_front() else {
            return self.preprocessed();
        };
        m.chunk = n;
        m.round = vec![n; 3 * m.plan.b_size];
        Ok(match self.role {
            Role::Evaluator => Stage::EvSending { pending: VecDeque::new() },
            Role::Garbler => {
                let round = m.round.len();
                self.waiting
                    .extend(core::iter::repeat_n(Expect::OtExtend { ots: n + kos::CHECK_OTS }, round));
                Stage::GbExtends { boot: None, flip: None, pending: Vec::new(), challenges: Vec::new() }
            }
        })
    }

    /// The coin toss that picks the bucketing permutations (the garbler commits first).
    fn coin(&mut self, layers: Vec<Triples>) -> Stage {
        let mut mine = [0u8; 32];
        self.rng.fill_bytes(&mut mine);
        match self.role {
            Role::Garbler => {
                let (state, com) = feq::commit(&mut self.rng, COIN, mine);
                self.send(Message::Commitment(com));
                self.waiting.push_back(Expect::Value { what: COIN });
                Stage::CoinGarbler { mine, state, layers }
            }
            Role::Evaluator => {
                self.exchange(vec![Message::Value(mine)], Expect::Commitment { what: COIN });
                Stage::CoinEvaluator { mine, com: None, layers }
            }
        }
    }

    /// Bucketing of the chunk: `d` of every layer against the first layer's `b` (which
    /// combining leaves as it is), all openings in one flight each way.
    fn buckets(&mut self, seed: Block, layers: Vec<Triples>) -> Result<Stage> {
        let n = making(&mut self.pre)?.chunk;
        let mut it = layers.into_iter();
        let Some(acc) = it.next() else {
            return Err(AuthError::InvalidArgument(format!("no leaky-AND layers for {n} triples")));
        };
        let rest: Vec<Triples> = it.collect();
        if rest.is_empty() {
            return self.chunk_done(acc);
        }
        let mut opened = Vec::with_capacity(rest.len());
        let mut msgs = Vec::with_capacity(rest.len());
        for (l, layer) in rest.iter().enumerate() {
            let perm = bucket::permutation(seed, l as u64, n);
            let (d, opening) = bucket::open_d(&acc, layer, &perm)?;
            opened.push((perm, d));
            msgs.push(Message::BucketOpening(opening));
        }
        self.exchange(msgs, Expect::BucketOpening { bits: n });
        Ok(Stage::Buckets { acc, rest, opened, peer: Vec::new() })
    }

    /// The preprocessing is made: keep it and start the first instance, if any.
    fn preprocessed(&mut self) -> Result<Stage> {
        self.phase("AND triples");
        let Pre::Making(m) = std::mem::replace(&mut self.pre, Pre::Moving) else {
            return Err(internal("no preprocessing in the making"));
        };
        // The KOS sessions end here: the online part needs no OT.
        let Making { delta, plan, instances, masks, triples, .. } = *m;
        self.pre = Pre::Owned(Box::new(Preprocessed {
            role: self.role,
            delta,
            n_in: plan.n_in,
            n_and: plan.n_and,
            instances,
            next: 0,
            masks,
            triples,
        }));
        self.start_online()
    }

    /// Starts the online part (after the preprocessing, or for the one instance of a
    /// [`Machine::instance`]), or ends the machine if there are no instances.
    ///
    /// The online part is pipelined two instances deep, in *flights*: all messages of
    /// one direction, then all of the other, so no two messages cross on the wire (the
    /// drivers send a whole flight before they read). With `n` the instance:
    ///
    /// ```text
    /// G -> E  BeaverOpening_0, InputMasks_0
    /// E -> G  BeaverOpening_0, InputMasks_0, EvaluatorInputs_0
    /// G -> E  [OutputMasks_n-1], GarblerInputs_n, Tables_n, [BeaverOpening_n+1, InputMasks_n+1]
    /// E -> G  [BeaverOpening_n+1, InputMasks_n+1, EvaluatorInputs_n+1], EvaluatorOutputs_n
    ///   ... (n = 0, 1, ..., K - 1; the bracketed parts where instance n-1 or n+1 exists)
    /// G -> E  OutputMasks_K-1
    /// ```
    ///
    /// The evaluator sends its halves for `n + 1` before it evaluates `n`, so the
    /// garbler garbles `n + 1` while the evaluator evaluates `n` (and prepares `n + 2`,
    /// its masks and halves, while the evaluator reads its flight and answers); the garbler opens the
    /// evaluator's output masks of `n` only after it checked the evaluator's output
    /// message of `n`, which the evaluator sends only after every table of `n` passed.
    fn start_online(&mut self) -> Result<Stage> {
        let Some(first) = self.prepare()? else {
            return Ok(Stage::Done);
        };
        Ok(match self.role {
            Role::Garbler => {
                let Prepared { inst, halves } = *first;
                halves.into_iter().for_each(|m| self.send(m));
                Stage::GbPrepare { next: inst, prev: None }
            }
            Role::Evaluator => {
                self.expect_flight(false, false, true);
                let round = EvRound { prev: None, cur: None, next: Some(first) };
                Stage::EvFlight { round: Box::new(round), got: Vec::new() }
            }
        })
    }

    /// The next instance's masks and this party's halves of its openings (the Beaver
    /// step's `d`, `e`, and my mask shares of the peer's input wires), not yet sent;
    /// `None` once every instance has started.
    fn prepare(&mut self) -> Result<Option<Box<Prepared>>> {
        let Some(inputs) = self.inputs.pop_front() else {
            return Ok(None);
        };
        let pre = made(&mut self.pre)?;
        pre.check_next(self.circuit, &inputs)?;
        let instance = pre.next;
        pre.next += 1;
        let masks = instance_masks(pre, self.circuit, instance);
        let t0 = instance * pre.n_and;
        let de = beaver_open(&masks, &self.ands, &pre.triples, t0);
        let beaver = Message::BeaverOpening(de.open("Beaver openings"));
        let peer_inputs = &self.wires_in[self.role.peer().index() as usize];
        let mut theirs = AuthShares::with_capacity(peer_inputs.len());
        peer_inputs.iter().for_each(|&w| theirs.push_from(&masks, w));
        let input_masks = Message::InputMasks(theirs.open("input masks"));
        let inst = Box::new(Instance { inputs, masks, de, sigma: AuthShares::default(), t0 });
        Ok(Some(Box::new(Prepared { inst, halves: [beaver, input_masks] })))
    }

    /// The Beaver step of `inst` on the peer's opening of its half: checked, then
    /// `<lambda_alpha lambda_beta>` per AND gate.
    fn beaver(&mut self, inst: &mut Instance, opening: &[u8]) -> Result<()> {
        let pre = made(&mut self.pre)?;
        let peer = inst.de.check_open(&pre.delta, "Beaver openings", opening)?;
        inst.sigma = beaver_finish(self.role, &pre.delta, &inst.de, &peer, &pre.triples, inst.t0);
        inst.de = AuthShares::default();
        Ok(())
    }

    /// My inputs' masked values `x ^ lambda`, from the peer's opening of its shares of
    /// their masks (checked).
    fn masked_inputs(&mut self, inst: &Instance, opening: &[u8]) -> Result<Vec<bool>> {
        let pre = made(&mut self.pre)?;
        let me = &self.wires_in[self.role.index() as usize];
        let mut mine = AuthShares::with_capacity(me.len());
        me.iter().for_each(|&w| mine.push_from(&inst.masks, w));
        let peer = mine.check_open(&pre.delta, "input masks", opening)?;
        Ok(inst.inputs.iter().zip(&mine.bits).zip(&peer).map(|((&x, &a), &b)| x ^ a ^ b).collect())
    }

    /// Garbler: waits for the evaluator's halves of an instance and its masked inputs.
    fn expect_halves(&mut self) {
        self.waiting.push_back(Expect::BeaverOpening { bits: 2 * self.ands.len() });
        self.waiting.push_back(Expect::InputMasks { bits: self.wires_in[0].len() });
        self.waiting.push_back(Expect::EvaluatorInputs { wires: self.wires_in[1].len() });
    }

    /// Evaluator: waits for the garbler's flight: the opening of the previous
    /// instance's output masks, the current one's inputs and tables, the next one's
    /// halves (each if there is such an instance).
    fn expect_flight(&mut self, prev: bool, cur: bool, next: bool) {
        if prev {
            self.waiting.push_back(Expect::OutputMasks { bits: self.wires_out[1].len() });
        }
        if cur {
            let (garbler, evaluator) = (self.wires_in[0].len(), self.wires_in[1].len());
            self.waiting.push_back(Expect::GarblerInputs { garbler, evaluator });
            self.waiting.push_back(Expect::Tables { ands: self.ands.len() });
        }
        if next {
            self.waiting.push_back(Expect::BeaverOpening { bits: 2 * self.ands.len() });
            self.waiting.push_back(Expect::InputMasks { bits: self.wires_in[1].len() });
        }
    }

    /// Garbler: sends a flight (an instance's inputs and tables, the next instance's
    /// halves), then prepares the instance after (see [`Stage::GbPrepare`]) or waits
    /// for the last output message.
    fn garbler_flight(
        &mut self,
        garbled: Box<Garbled>,
        flight: Vec<Message>,
        next: Option<Box<Instance>>,
    ) -> Stage {
        flight.into_iter().for_each(|m| self.send(m));
        match next {
            Some(next) => Stage::GbPrepare { next, prev: Some(garbled) },
            None => {
                self.waiting.push_back(Expect::EvaluatorOutputs { wires: self.wires_out[0].len() });
                Stage::GbOutputs { prev: garbled, then: None }
            }
        }
    }

    /// Evaluator: the garbler's whole flight is in (`got`, in the order of
    /// [`Machine::expect_flight`]): my outputs of `prev`, and my halves of `next` and
    /// its masked inputs sent at once (they do not depend on `cur`, which is evaluated
    /// after they are on their way).
    fn evaluator_flight(&mut self, round: EvRound, got: Vec<Message>) -> Result<Stage> {
        let EvRound { prev, cur, next } = round;
        let mut got = got.into_iter();
        let mut take = || got.next().ok_or_else(|| internal("a message of the flight is missing"));
        if let Some(out) = prev {
            let Message::OutputMasks(o) = take()? else {
                return Err(internal("not the output masks"));
            };
            let pre = made(&mut self.pre)?;
            let peer_mask = out.my_mask.check_open(&pre.delta, "output masks", &o)?;
            let values: Vec<(bool, bool, bool)> =
                (0..out.zhat.len()).map(|i| (out.zhat[i], out.my_mask.bits[i], peer_mask[i])).collect();
            self.outputs.push(assemble(self.circuit, 1, &values)?);
            self.phase("outputs");
        }
        let cur = match cur {
            Some(c) => {
                let (Message::GarblerInputs { masked, labels }, Message::Tables(tables)) = (take()?, take()?)
                else {
                    return Err(internal("not the garbler's inputs and tables"));
                };
                Some(Box::new(EvTables { cur: c, masked, labels, tables }))
            }
            None => None,
        };
        let next = match next {
            Some(prepared) => {
                let Prepared { inst, halves } = *prepared;
                let (Message::BeaverOpening(peer_beaver), Message::InputMasks(o)) = (take()?, take()?) else {
                    return Err(internal("not the Beaver and input-mask openings"));
                };
                let zhat_mine = self.masked_inputs(&inst, &o)?;
                halves.into_iter().for_each(|m| self.send(m));
                self.send(Message::EvaluatorInputs(zhat_mine.clone()));
                self.phase("inputs");
                Some(Box::new(EvNext { inst, peer_beaver, zhat_mine }))
            }
            None => None,
        };
        Ok(Stage::EvEvaluate { cur, next })
    }

    /// The online part's steps that wait for nothing (run by [`Machine::next_step`]
    /// once what was queued before them is handed out): garbling, evaluating, the
    /// next instance's preparation.
    fn work(&mut self, stage: Stage) -> Result<Stage> {
        Ok(match stage {
            Stage::GbGarble { inst, prev, ahead, zhat_mine, zhat_peer } => {
                let pre = made(&mut self.pre)?;
                let d = pre.delta.as_block();
                // Fresh zero-labels for every input wire; the active label of each is
                // `L_{w,0} ^ z^ Delta_A`, for the evaluator's wires with the masked
                // values it sent.
                let mut zero = vec![Block::ZERO; self.circuit.num_wires() as usize];
                let inputs = self.wires_in[0].iter().chain(&self.wires_in[1]);
                inputs.clone().for_each(|&w| zero[w] = Block::random(&mut self.rng));
                let labels = inputs
                    .zip(zhat_mine.iter().chain(&zhat_peer))
                    .map(|(&w, &z)| zero[w].xor_if(d, Choice::from(z as u8)))
                    .collect();
                let wires =
                    Wires { masks: &inst.masks, ands: &self.ands, sigma: &inst.sigma, first_and: inst.t0 };
                let tables = garble(self.circuit, &mut self.rng, &pre.delta, &wires, &mut zero);
                let mut open = AuthShares::with_capacity(self.wires_out[1].len());
                self.wires_out[1].iter().for_each(|&w| open.push_from(&inst.masks, w));
                // Kept until the outputs: what they need of my output wires (the
                // instance's masks and labels go now).
                let mine = &self.wires_out[0];
                let mut mask = AuthShares::with_capacity(mine.len());
                mine.iter().for_each(|&w| mask.push_from(&inst.masks, w));
                let zero = mine.iter().map(|&w| zero[w]).collect();
                let garbled = Box::new(Garbled { mask, zero, open: open.open("output masks") });
                let mut flight =
                    vec![Message::GarblerInputs { masked: zhat_mine, labels }, Message::Tables(tables)];
                let next = ahead.map(|p| {
                    let Prepared { inst, halves } = *p;
                    flight.extend(halves);
                    inst
                });
                self.phase("garbled tables");
                match prev {
                    Some(prev) => {
                        self.waiting.push_back(Expect::EvaluatorOutputs { wires: self.wires_out[0].len() });
                        Stage::GbOutputs { prev, then: Some((garbled, flight, next)) }
                    }
                    None => self.garbler_flight(garbled, flight, next),
                }
            }
            Stage::GbPrepare { next, prev } => {
                let ahead = self.prepare()?;
                self.phase("AND gates (Beaver)");
                self.expect_halves();
                Stage::GbBeaver { inst: next, prev, ahead }
            }
            Stage::EvEvaluate { cur, next } => {
                let out = match cur {
                    Some(t) => Some(self.evaluate_instance(*t)?),
                    None => None,
                };
                Stage::EvPrepare { out, next }
            }
            Stage::EvPrepare { out, next } => {
                let cur = match next {
                    Some(next) => {
                        let EvNext { mut inst, peer_beaver, zhat_mine } = *next;
                        self.beaver(&mut inst, &peer_beaver)?;
                        Some(EvInstance { inst, zhat_mine })
                    }
                    None => None,
                };
                let next = self.prepare()?;
                self.phase("AND gates (Beaver)");
                if out.is_none() && cur.is_none() {
                    return Ok(Stage::Done);
                }
                self.expect_flight(out.is_some(), cur.is_some(), next.is_some());
                Stage::EvFlight { round: Box::new(EvRound { prev: out, cur, next }), got: Vec::new() }
            }
            _ => return Err(internal("no work in this stage")),
        })
    }

    /// Evaluator: evaluates one instance from the garbler's masked inputs and labels
    /// (`masked`, and `labels` of its input wires then mine) and its tables, and sends
    /// the output message (for the garbler's outputs: masked values, labels and my
    /// mask shares, opened).
    fn evaluate_instance(&mut self, t: EvTables) -> Result<EvOutputs> {
        let EvTables { cur: c, masked, labels, tables } = t;
        let pre = made(&mut self.pre)?;
        let inst = &c.inst;
        let nw = self.circuit.num_wires() as usize;
        let (mut zhat, mut label) = (vec![false; nw], vec![Block::ZERO; nw]);
        let inputs = self.wires_in[0].iter().chain(&self.wires_in[1]);
        for ((&w, &z), &l) in inputs.zip(masked.iter().chain(&c.zhat_mine)).zip(&labels) {
            zhat[w] = z;
            label[w] = l;
        }
        let wires = Wires { masks: &inst.masks, ands: &self.ands, sigma: &inst.sigma, first_and: inst.t0 };
        let (zhat, label) = evaluate(self.circuit, &pre.delta, &wires, zhat, label, &tables)?;
        drop(tables);
        let theirs = &self.wires_out[0];
        let mut open = AuthShares::with_capacity(theirs.len());
        theirs.iter().for_each(|&w| open.push_from(&inst.masks, w));
        let msg = Message::EvaluatorOutputs {
            masked: theirs.iter().map(|&w| zhat[w]).collect(),
            labels: theirs.iter().map(|&w| label[w]).collect(),
            masks: open.open("output masks"),
        };
        self.send(msg);
        self.phase("garbled tables");
        let mine = &self.wires_out[1];
        let mut my_mask = AuthShares::with_capacity(mine.len());
        mine.iter().for_each(|&w| my_mask.push_from(&inst.masks, w));
        Ok(EvOutputs { my_mask, zhat: mine.iter().map(|&w| zhat[w]).collect() })
    }
}

/// The coin toss's seed: the XOR of both parties' 32 bytes, first 16.
fn seed(mine: &[u8; 32], theirs: &[u8; 32]) -> Block {
    let mut seed = [0u8; 16];
    for i in 0..16 {
        seed[i] = mine[i] ^ theirs[i];
    }
    Block::from(seed)
}
