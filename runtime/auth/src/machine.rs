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
//!   E -> G  OtExtend (bootstrap OTs only), KosFlip
//!   G -> E  KosChallenge
//!   E -> G  KosProof                             both sessions exist from here
//!   slots (each an exchange; see `preprocessing.rs`), in stages:
//!   stage 0   KOS round of the first piece (and the wire masks):
//!             slot k = 0 .. batches + 1: OtExtend (batch k), KosChallenge (of the
//!             peer's batch k - 1), KosProof (for batch k - 2), whichever exist
//!                                                -> Step::Phase("authenticated bits")
//!   stage c   the KOS round of piece c (3 x layers batches) in the same slots as
//!             piece c - 1's triples: LeakyTables x layers, LeakyBits x layers,
//!             equality check (G Commitment, E Value, G Opening); if piece c - 1
//!             ends its pool, then the pool's coin toss (G Commitment, E Value,
//!             G Opening) and BucketOpening x (layers - 1) over the whole pool
//!   last      the last piece's triples alone (the same messages, in the order of
//!             the protocol run one step after another)
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
//! of each leaky-AND layer of the first piece; the pools, their pieces and the number
//! of layers are [`crate::bucket::pool_plan`]'s; without AND gates there are no layers
//! and no triples messages. In the KOS slots both directions run at once: each party
//! extends its own batch while the peer does, then takes the peer's, so neither waits
//! for the other's whole direction; and a piece's triples take the slots of the next
//! piece's KOS round, so their round trips carry the next piece's batches.)
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
//! on the peer's, was handed out; for a pool's bucketing openings, once this party's
//! next slot half, which does not depend on the pool's triples, was handed out; in
//! the online part, by the step that evaluates the tables or checks the garbler's
//! Beaver half, which run once the messages queued before them are handed out) before any message that depends on the checked one
//! (in particular before any output opening); after an error the machine only returns
//! errors.

use std::collections::VecDeque;

use mpc_circuits::Circuit;
use mpc_crypto::{Block, Delta};
use mpc_ot::{iknp, kos};
use rand_core::{CryptoRng, RngCore};
use subtle::Choice;

use crate::bucket::{self, Triples};
use crate::error::{AuthError, Result};
use crate::message::{Expect, Message};
use crate::protocol::{
    assemble, beaver_check, beaver_finish, beaver_open, check_output_labels, evaluate, fresh_labels, garble,
    input_wires, instance_masks, output_wires, phase, Labels, Masks, Outputs, Plan, Preprocessed, Wires,
};
use crate::schedule::Schedule;
use crate::shares::AuthShares;
use crate::{pin_delta, Role};

mod preprocessing;
use preprocessing::Pipeline;

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

/// A preprocessing in the making: the KOS sessions once set up, the pieces of
/// triples still to make, the pool being filled and what is kept.
struct Making {
    delta: Delta,
    plan: Plan,
    instances: usize,
    /// The session in which I am the receiver (set up by the bootstrap batch).
    mine: Option<kos::Receiver>,
    /// The session in which I am the sender (set up by the bootstrap batch).
    theirs: Option<kos::Sender>,
    /// The pieces whose KOS rounds are still to come, in order.
    pieces: VecDeque<Piece>,
    /// The current pool's checked pieces' layers `1..B` (`pool[j - 1]`: layer `j`'s
    /// pieces); their layer 0 is in `triples` from `pool_at` on.
    pool: Vec<Vec<Triples>>,
    /// Where the current pool's output triples start in `triples`.
    pool_at: usize,
    /// Pieces checked but not yet placed into `triples` and `pool` (all their layers).
    checked: Vec<Vec<Triples>>,
    /// Session-unique index of the next leaky-AND candidate (table tweaks).
    next_index: u64,
    /// Kept for the whole session: the wire masks and the triples (a pool's entries
    /// are its layer 0 until the pool is bucketed, then its output triples).
    masks: AuthShares,
    triples: Triples,
}

/// A piece of triples to make: its size and whether it ends its pool (its lane then
/// runs the pool's coin toss and bucketing).
#[derive(Clone, Copy, Debug)]
struct Piece {
    n: usize,
    ends_pool: bool,
}

/// Tuning of how a [`Machine`] preprocesses (both parties must use the same).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
    /// The most triples bucketed together (a pool; see [`crate::bucket`] and
    /// [`bucket::pool_plan`]); tests set small values to get many pools.
    pub pool_triples: usize,
    /// The most triples made in one piece (its KOS batches, leaky ANDs and equality
    /// check); tests set small values to get several pieces per pool.
    pub piece_triples: usize,
}

impl Default for Options {
    fn default() -> Options {
        Options { pool_triples: bucket::POOL_TRIPLES, piece_triples: bucket::PIECE_TRIPLES }
    }
}

/// One instance of the online part: its masks and what its steps have made so far.
struct Instance {
    /// This party's input bits.
    inputs: Vec<bool>,
    /// The masks of the AND gates' inputs and of the output wires.
    masks: Masks,
    /// My bits of the Beaver step's `d`, `e` (every AND gate's), kept until the
    /// peer's half is checked.
    de: Vec<bool>,
    /// `<lambda_alpha lambda_beta ^ lambda_gamma>` per AND gate, once the Beaver step
    /// is done.
    s: AuthShares,
    /// The session-wide index of its first AND gate (and triple).
    t0: usize,
    /// The index of its first wire mask (its input wires', then its AND outputs') in
    /// the preprocessing's masks.
    base: usize,
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
    // Setting up the two KOS sessions: base OTs, then the bootstrap batch.
    /// Evaluator (the base-OT sender): waits for the base-OT answer.
    EvAnswer {
        setup: kos::ReceiverSetup,
    },
    /// Evaluator: its bootstrap batch sent, waits for the challenge.
    EvBoot {
        pending: kos::PendingReceiver,
    },
    /// Garbler: waits for the base-OT offer.
    GbOffer,
    /// Garbler: waits for the bootstrap batch, then its flip.
    GbBoot {
        ext: Option<iknp::Extend>,
    },
    /// Garbler: the bootstrap batch challenged, waits for the proof.
    GbBootProof {
        flip: kos::Flip,
        pending: kos::PendingSender,
    },
    /// Evaluator: its bootstrap proof sent, the first round starts at the next step.
    FirstRound,
    /// Authenticated bits and triples: a slot of the preprocessing's pipeline.
    Pipeline(Box<Pipeline>),
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
    /// The circuit's walk (AND gates, free gates, output wires), made once.
    schedule: Schedule,
    /// The circuit's input wires, AND gates and input wires of this party
    /// ([`Preprocessed::check_next`]).
    shape: (usize, usize, usize),
    /// The input wires and output wires per party.
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
        let schedule = Schedule::new(circuit);
        let wires_in = [input_wires(circuit, 0), input_wires(circuit, 1)];
        let shape = (schedule.n_in(), schedule.ands().len(), wires_in[role.index() as usize].len());
        Machine {
            role,
            circuit,
            rng,
            inputs,
            pre,
            outputs: Vec::new(),
            schedule,
            shape,
            wires_in,
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
        let plan = Plan::new(circuit, instances, options.pool_triples, options.piece_triples)?;
        let delta = pin_delta(role, Block::random(&mut rng));
        let pieces: VecDeque<Piece> = plan
            .pools
            .iter()
            .flat_map(|pool| {
                let last = pool.len().saturating_sub(1);
                pool.iter().enumerate().map(move |(k, &n)| Piece { n, ends_pool: k == last })
            })
            .collect();
        let making = Making {
            delta,
            plan,
            instances,
            mine: None,
            theirs: None,
            pieces,
            pool: Vec::new(),
            pool_at: 0,
            checked: Vec::new(),
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

    /// Both halves of a symmetric exchange: `mine` now (garbler) or once the peer's
    /// half, the messages `expects` in order, is in (evaluator).
    fn exchange_each(&mut self, mine: Vec<Message>, expects: Vec<Expect>) {
        self.waiting.extend(expects);
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
    /// to [`Machine::receive`] before asking again. Before it returns a [`Step::Recv`]
    /// in the preprocessing, it may do local work that needs nothing more of the
    /// peer's, so a driver should have put each message it was handed on the wire
    /// (flushed) before asking again, or the peer waits for that work too (both drivers
    /// do: `drive` flushes each send, `mpc-runtime`'s driver flushes before asking).
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
                // My half is out: what waits for nothing of the peer's is done while the
                // peer answers (see `Machine::meanwhile`).
                let stage = std::mem::replace(&mut self.stage, Stage::Failed);
                self.stage = match stage {
                    Stage::Pipeline(mut p) => {
                        if let Err(e) = self.meanwhile(&mut p) {
                            self.fail();
                            return Err(e);
                        }
                        Stage::Pipeline(p)
                    }
                    other => other,
                };
                return Ok(Step::Recv(e));
            }
            match self.stage {
                Stage::Done => return Ok(Step::Done),
                Stage::FirstRound => {
                    // Only now that the proof is out: the garbler checks it while this
                    // party extends its first batch.
                    match self.first_round() {
                        Ok(next) => self.stage = next,
                        Err(e) => {
                            self.fail();
                            return Err(e);
                        }
                    }
                }
                Stage::Failed => {
                    return Err(AuthError::InvalidArgument("the machine stopped at an earlier error".into()))
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

    /// One received message in `stage`; returns the next stage.
    fn on(&mut self, stage: Stage, msg: Message) -> Result<Stage> {
        Ok(match (stage, msg) {
            // ---- The KOS sessions, evaluator (the base-OT sender of the first) ----
            (Stage::EvAnswer { setup }, Message::OtSetupAnswer(answer)) => {
                let m = making(&mut self.pre)?;
                let mut mine = setup.finish(&answer).map_err(ot)?;
                // The bootstrap batch on its own (no OTs of its own): one short round
                // trip, after which both sessions exist and run at the same time.
                let (ext, flip, pending) = mine.extend_bootstrap(&mut self.rng, &[], &m.delta).map_err(ot)?;
                m.mine = Some(mine);
                self.send(Message::OtExtend(ext));
                self.send(Message::KosFlip(flip));
                self.waiting.push_back(Expect::KosChallenge);
                Stage::EvBoot { pending }
            }
            (Stage::EvBoot { pending }, Message::KosChallenge(c)) => {
                let (proof, _, theirs) = pending.respond_bootstrap(&c).map_err(ot)?;
                making(&mut self.pre)?.theirs = Some(theirs);
                self.send(Message::KosProof(proof));
                Stage::FirstRound
            }

            // ---- The KOS sessions, garbler ----
            (Stage::GbOffer, Message::OtSetupOffer(offer)) => {
                let m = making(&mut self.pre)?;
                let (theirs, answer) = kos::Sender::new(&mut self.rng, &m.delta, &offer).map_err(ot)?;
                m.theirs = Some(theirs);
                self.send(Message::OtSetupAnswer(answer));
                self.waiting.push_back(Expect::OtExtend { ots: kos::BOOTSTRAP_OTS + kos::CHECK_OTS });
                self.waiting.push_back(Expect::KosFlip);
                Stage::GbBoot { ext: None }
            }
            (Stage::GbBoot { ext: None }, Message::OtExtend(ext)) => Stage::GbBoot { ext: Some(ext) },
            (Stage::GbBoot { ext: Some(ext) }, Message::KosFlip(flip)) => {
                let theirs =
                    making(&mut self.pre)?.theirs.as_mut().ok_or_else(|| internal("no sender session"))?;
                let (c, pending) = theirs.extend_bootstrap(&mut self.rng, 0, &ext).map_err(ot)?;
                self.send(Message::KosChallenge(c));
                self.waiting.push_back(Expect::KosProof);
                Stage::GbBootProof { flip, pending }
            }
            (Stage::GbBootProof { flip, pending }, Message::KosProof(proof)) => {
                let (_, mine) = pending.verify_bootstrap(&proof, &flip).map_err(ot)?;
                making(&mut self.pre)?.mine = Some(mine);
                self.first_round()?
            }

            // ---- Authenticated bits and triples ----
            (Stage::Pipeline(p), msg) => self.pipeline_receive(p, msg)?,

            // ---- The online part (see `start_online`) ----
            (Stage::GbBeaver { mut inst, prev, ahead }, Message::BeaverOpening(o)) => {
                self.beaver(&mut inst, &o)?;
                self.phase(phase::BEAVER);
                Stage::GbInputMasks { inst, prev, ahead }
            }
            (Stage::GbInputMasks { inst, prev, ahead }, Message::InputMasks(o)) => {
                let zhat_mine = self.masked_inputs(&inst, &o)?;
                Stage::GbEvInputs { inst, prev, ahead, zhat_mine }
            }
            (Stage::GbEvInputs { inst, prev, ahead, zhat_mine }, Message::EvaluatorInputs(zhat_peer)) => {
                self.phase(phase::INPUTS);
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
                self.phase(phase::OUTPUTS);
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

    /// The preprocessing is made: keep it and start the first instance, if any.
    fn preprocessed(&mut self) -> Result<Stage> {
        self.phase(phase::AND_TRIPLES);
        let Pre::Making(m) = std::mem::replace(&mut self.pre, Pre::Moving) else {
            return Err(internal("no preprocessing in the making"));
        };
        // The KOS sessions end here: the online part needs no OT.
        let Making { delta, plan, instances, masks, triples, pool, checked, .. } = *m;
        if !pool.is_empty() || !checked.is_empty() {
            return Err(internal("leaky triples left outside a bucketed pool"));
        }
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
        // The garbler's zero-labels (fresh for every input wire and AND output) are
        // drawn now and walked with the masks.
        let labels = match self.role {
            Role::Garbler => {
                let mut zero_in = vec![Block::ZERO; self.schedule.n_in()];
                let inputs = self.wires_in[0].iter().chain(&self.wires_in[1]);
                inputs.for_each(|&w| zero_in[w] = Block::random(&mut self.rng));
                Some((zero_in, fresh_labels(&mut self.rng, self.schedule.ands().len())))
            }
            Role::Evaluator => None,
        };
        let pre = made(&mut self.pre)?;
        pre.check_next(self.shape, &inputs)?;
        let instance = pre.next;
        pre.next += 1;
        let masks = instance_masks(pre, &self.schedule, instance, labels);
        let t0 = instance * pre.n_and;
        let base = instance * (pre.n_in + pre.n_and);
        let (de, opening) = beaver_open(&masks, &pre.triples, t0);
        let beaver = Message::BeaverOpening(opening);
        let peer_inputs = &self.wires_in[self.role.peer().index() as usize];
        let mut theirs = AuthShares::with_capacity(peer_inputs.len());
        peer_inputs.iter().for_each(|&w| theirs.push_from(&pre.masks, base + w));
        let input_masks = Message::InputMasks(theirs.open("input masks"));
        let inst = Box::new(Instance { inputs, masks, de, s: AuthShares::default(), t0, base });
        Ok(Some(Box::new(Prepared { inst, halves: [beaver, input_masks] })))
    }

    /// The Beaver step of `inst` on the peer's opening of its half: checked, then
    /// `<lambda_alpha lambda_beta ^ lambda_gamma>` per AND gate (the output's mask added).
    fn beaver(&mut self, inst: &mut Instance, opening: &[u8]) -> Result<()> {
        let pre = made(&mut self.pre)?;
        let peer = beaver_check(&pre.delta, &inst.masks, &pre.triples, inst.t0, opening)?;
        let gamma = inst.base + pre.n_in;
        let (de, t) = ((&inst.de[..], &peer[..]), &pre.triples);
        inst.s = beaver_finish(self.role, &pre.delta, de, t, inst.t0, &pre.masks, gamma);
        inst.de = Vec::new();
        Ok(())
    }

    /// My inputs' masked values `x ^ lambda`, from the peer's opening of its shares of
    /// their masks (checked).
    fn masked_inputs(&mut self, inst: &Instance, opening: &[u8]) -> Result<Vec<bool>> {
        let pre = made(&mut self.pre)?;
        let me = &self.wires_in[self.role.index() as usize];
        let mut mine = AuthShares::with_capacity(me.len());
        me.iter().for_each(|&w| mine.push_from(&pre.masks, inst.base + w));
        let peer = mine.check_open(&pre.delta, "input masks", opening)?;
        Ok(inst.inputs.iter().zip(&mine.bits).zip(&peer).map(|((&x, &a), &b)| x ^ a ^ b).collect())
    }

    /// Garbler: waits for the evaluator's halves of an instance and its masked inputs.
    fn expect_halves(&mut self) {
        self.waiting.push_back(Expect::BeaverOpening { bits: 2 * self.schedule.ands().len() });
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
            self.waiting.push_back(Expect::Tables { ands: self.schedule.ands().len() });
        }
        if next {
            self.waiting.push_back(Expect::BeaverOpening { bits: 2 * self.schedule.ands().len() });
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
            self.phase(phase::OUTPUTS);
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
                self.phase(phase::INPUTS);
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
                let wires =
                    Wires { schedule: &self.schedule, masks: &inst.masks, s: &inst.s, first_and: inst.t0 };
                let tables = garble(&pre.delta, &wires)?;
                // Kept until the outputs: what they need of my output wires (the
                // instance's masks and labels go now).
                let Masks { out: [mask, theirs], labels, .. } = inst.masks;
                let Some(Labels { zero_in, out: [zero, _], .. }) = labels else {
                    return Err(internal("the garbler's masks without zero-labels"));
                };
                // The active label of each input wire is `L_{w,0} ^ z^ Delta_A`, for
                // the evaluator's wires with the masked values it sent.
                let inputs = self.wires_in[0].iter().chain(&self.wires_in[1]);
                let labels = inputs
                    .zip(zhat_mine.iter().chain(&zhat_peer))
                    .map(|(&w, &z)| zero_in[w].xor_if(d, Choice::from(z as u8)))
                    .collect();
                let garbled = Box::new(Garbled { mask, zero, open: theirs.open("output masks") });
                let mut flight =
                    vec![Message::GarblerInputs { masked: zhat_mine, labels }, Message::Tables(tables)];
                let next = ahead.map(|p| {
                    let Prepared { inst, halves } = *p;
                    flight.extend(halves);
                    inst
                });
                self.phase(phase::TABLES);
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
                self.phase(phase::BEAVER);
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
                self.phase(phase::BEAVER);
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
        let inst = c.inst;
        // The input wires are wires `0..n_in`.
        let n_in = self.schedule.n_in();
        let (mut zhat, mut label) = (vec![false; n_in], vec![Block::ZERO; n_in]);
        let inputs = self.wires_in[0].iter().chain(&self.wires_in[1]);
        for ((&w, &z), &l) in inputs.zip(masked.iter().chain(&c.zhat_mine)).zip(&labels) {
            zhat[w] = z;
            label[w] = l;
        }
        let wires = Wires { schedule: &self.schedule, masks: &inst.masks, s: &inst.s, first_and: inst.t0 };
        let [theirs, mine] = evaluate(&pre.delta, &wires, &zhat, &label, &tables)?;
        drop(tables);
        let Masks { out: [open, my_mask], .. } = inst.masks;
        let msg = Message::EvaluatorOutputs {
            masked: theirs.iter().map(|x| x.0).collect(),
            labels: theirs.iter().map(|x| x.1).collect(),
            masks: open.open("output masks"),
        };
        self.send(msg);
        self.phase(phase::TABLES);
        Ok(EvOutputs { my_mask, zhat: mine.iter().map(|x| x.0).collect() })
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
