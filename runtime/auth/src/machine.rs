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
//!   stage 0   KOS round of the first chunk (and the wire masks):
//!             slot k = 0 .. batches + 1: OtExtend (batch k), KosChallenge (of the
//!             peer's batch k - 1), KosProof (for batch k - 2), whichever exist
//!                                                -> Step::Phase("authenticated bits")
//!   stage c   the KOS round of chunk c (3 x layers batches) in the same slots as
//!             chunk c - 1's triples: LeakyTables x layers, LeakyBits x layers,
//!             equality check (G Commitment, E Value, G Opening), coin toss
//!             (G Commitment, E Value, G Opening), BucketOpening x (layers - 1)
//!   last      the last chunk's triples alone (the same messages, in the order of
//!             the protocol run one step after another)
//!                                                -> Step::Phase("AND triples")
//! per instance
//!   exchange BeaverOpening                       -> Step::Phase("AND gates (Beaver)")
//!   exchange InputMasks
//!   E -> G  OtExtend; G -> E KosChallenge; E -> G KosProof   evaluator input labels
//!   G -> E  GarblerInputs                        -> Step::Phase("inputs")
//!   G -> E  Tables                               -> Step::Phase("garbled tables")
//!   E -> G  EvaluatorOutputs
//!   G -> E  OutputMasks                          -> Step::Phase("outputs")
//! ```
//!
//! (`batches` is 1 + 3 x layers in the first round: the wire masks, then `a`, `b`, `r`
//! of each leaky-AND layer of the first chunk; the chunks and the number of layers are
//! [`crate::bucket::chunk_plan`]'s; without AND gates there are no layers and no
//! triples messages. In the KOS slots both directions run at once: each party extends
//! its own batch while the peer does, then takes the peer's, so neither waits for the
//! other's whole direction; and a chunk's triples take the slots of the next chunk's
//! KOS round, so their round trips carry the next chunk's batches.)
//!
//! Guarantees: a message of another kind than the one waited for is
//! [`AuthError::Unexpected`]; any failed check is the [`AuthError`] naming it, returned
//! by [`Machine::receive`] (or, for the message that completes an exchange, by the
//! [`Machine::next_step`] right after this party's half of it, which does not depend
//! on the peer's, was handed out) before any message that depends on the checked one
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
    and_gates, assemble, beaver_finish, beaver_open, check_output_labels, evaluate, garble, input_wires,
    instance_masks, output_wires, Outputs, Plan, Preprocessed, Wires,
};
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

/// A preprocessing in the making: the KOS sessions once set up, the chunks of
/// triples still to make and what is kept.
struct Making {
    delta: Delta,
    plan: Plan,
    instances: usize,
    /// The session in which I am the receiver (set up by the bootstrap batch).
    mine: Option<kos::Receiver>,
    /// The session in which I am the sender (set up by the bootstrap batch).
    theirs: Option<kos::Sender>,
    /// The sizes of the chunks whose KOS rounds are still to come.
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
    /// The most triples bucketed together (a chunk; see [`crate::bucket`]). Whatever
    /// it is set to, every chunk is padded to at least [`bucket::MIN_BUCKETED`]
    /// triples ([`bucket::chunk_plan`]); tests set small values to get many chunks.
    pub chunk_triples: usize,
}

impl Default for Options {
    fn default() -> Options {
        Options { chunk_triples: bucket::CHUNK_TRIPLES }
    }
}

/// One instance in progress.
struct Instance {
    inputs: Vec<bool>,
    masks: AuthShares,
    sigma: AuthShares,
    t0: usize,
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
    // One instance.
    Beaver {
        inst: Instance,
        de: AuthShares,
    },
    InputMasks {
        inst: Instance,
    },
    GbInputExtend {
        inst: Instance,
        zero: Vec<Block>,
    },
    GbInputProof {
        inst: Instance,
        zero: Vec<Block>,
        pending: kos::PendingSender,
    },
    GbOutputs {
        inst: Instance,
        zero: Vec<Block>,
    },
    EvInputChallenge {
        inst: Instance,
        pending: kos::PendingReceiver,
    },
    EvInputs {
        inst: Instance,
        zhat: Vec<bool>,
        label: Vec<Block>,
    },
    EvTables {
        inst: Instance,
        zhat: Vec<bool>,
        label: Vec<Block>,
    },
    EvOutputMasks {
        my_mask: AuthShares,
        zhat: Vec<bool>,
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
        m.stage = m.next_instance()?;
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
        let chunks: VecDeque<usize> = plan.chunks.iter().copied().collect();
        let making = Making {
            delta,
            plan,
            instances,
            mine: None,
            theirs: None,
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
        let expects = vec![expect; mine.len()];
        self.exchange_each(mine, expects);
    }

    /// [`Self::exchange`] of messages of several kinds: the peer's half is `expects`,
    /// in order.
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
        let role = self.role;
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

            // ---- One instance ----
            (Stage::Beaver { mut inst, de }, Message::BeaverOpening(o)) => {
                let pre = made(&mut self.pre)?;
                let peer = de.check_open(&pre.delta, "Beaver openings", &o)?;
                inst.sigma = beaver_finish(role, &pre.delta, &de, &peer, &pre.triples, inst.t0);
                self.phase("AND gates (Beaver)");
                // Each party opens its shares of the masks of the peer's input wires.
                let peer_inputs = &self.wires_in[1 - role.index() as usize];
                let mut theirs = AuthShares::default();
                for &w in peer_inputs {
                    theirs.push_from(&inst.masks, w);
                }
                let bits = self.wires_in[role.index() as usize].len();
                self.exchange(
                    vec![Message::InputMasks(theirs.open("input masks"))],
                    Expect::InputMasks { bits },
                );
                Stage::InputMasks { inst }
            }
            (Stage::InputMasks { mut inst }, Message::InputMasks(o)) => {
                let me = role.index() as usize;
                let pre = made(&mut self.pre)?;
                let mut mine = AuthShares::default();
                for &w in &self.wires_in[me] {
                    mine.push_from(&inst.masks, w);
                }
                let peer_bits = mine.check_open(&pre.delta, "input masks", &o)?;
                // z^ = x ^ lambda for my inputs.
                inst.zhat_mine = inst
                    .inputs
                    .iter()
                    .zip(&mine.bits)
                    .zip(&peer_bits)
                    .map(|((&x, &a), &b)| x ^ a ^ b)
                    .collect();
                match role {
                    Role::Garbler => {
                        let mut zero = vec![Block::ZERO; self.circuit.num_wires() as usize];
                        for &w in &self.wires_in[0] {
                            zero[w] = Block::random(&mut self.rng);
                        }
                        self.waiting
                            .push_back(Expect::OtExtend { ots: self.wires_in[1].len() + kos::CHECK_OTS });
                        Stage::GbInputExtend { inst, zero }
                    }
                    Role::Evaluator => {
                        // My input labels by KOS-checked correlated OT.
                        let (ext, pending) = pre.mine.extend(&mut self.rng, &inst.zhat_mine).map_err(ot)?;
                        self.send(Message::OtExtend(ext));
                        self.waiting.push_back(Expect::KosChallenge);
                        Stage::EvInputChallenge { inst, pending }
                    }
                }
            }
            (Stage::GbInputExtend { inst, zero }, Message::OtExtend(ext)) => {
                let pre = made(&mut self.pre)?;
                let (c, pending) =
                    pre.theirs.extend(&mut self.rng, self.wires_in[1].len(), &ext).map_err(ot)?;
                self.send(Message::KosChallenge(c));
                self.waiting.push_back(Expect::KosProof);
                Stage::GbInputProof { inst, zero, pending }
            }
            (Stage::GbInputProof { inst, mut zero, pending }, Message::KosProof(proof)) => {
                for (&w, k) in self.wires_in[1].iter().zip(pending.verify(&proof).map_err(ot)?) {
                    zero[w] = k;
                }
                let pre = made(&mut self.pre)?;
                let d = pre.delta.as_block();
                let labels = self.wires_in[0]
                    .iter()
                    .zip(&inst.zhat_mine)
                    .map(|(&w, &z)| zero[w].xor_if(d, Choice::from(z as u8)))
                    .collect();
                let wires =
                    Wires { masks: &inst.masks, ands: &self.ands, sigma: &inst.sigma, first_and: inst.t0 };
                let tables = garble(self.circuit, &mut self.rng, &pre.delta, &wires, &mut zero);
                self.send(Message::GarblerInputs { masked: inst.zhat_mine.clone(), labels });
                self.phase("inputs");
                self.send(Message::Tables(tables));
                self.phase("garbled tables");
                self.waiting.push_back(Expect::EvaluatorOutputs { wires: self.wires_out[0].len() });
                Stage::GbOutputs { inst, zero }
            }
            (Stage::GbOutputs { inst, zero }, Message::EvaluatorOutputs { masked, labels, masks }) => {
                let pre = made(&mut self.pre)?;
                let mine = &self.wires_out[0];
                let my_mask = check_output_labels(&inst.masks, &pre.delta, &zero, mine, &masked, &labels)?;
                let peer_mask = my_mask.check_open(&pre.delta, "output masks", &masks)?;
                // Then the evaluator's outputs: my mask shares, opened.
                let mut open = AuthShares::default();
                for &w in &self.wires_out[1] {
                    open.push_from(&inst.masks, w);
                }
                self.send(Message::OutputMasks(open.open("output masks")));
                self.phase("outputs");
                let values: Vec<(bool, bool, bool)> =
                    (0..masked.len()).map(|i| (masked[i], my_mask.bits[i], peer_mask[i])).collect();
                self.outputs.push(assemble(self.circuit, 0, &values)?);
                drop((inst, zero));
                self.next_instance()?
            }
            (Stage::EvInputChallenge { inst, pending }, Message::KosChallenge(c)) => {
                let (proof, labels) = pending.respond(&c);
                self.send(Message::KosProof(proof));
                let nw = self.circuit.num_wires() as usize;
                let (mut zhat, mut label) = (vec![false; nw], vec![Block::ZERO; nw]);
                for ((&w, &z), l) in self.wires_in[1].iter().zip(&inst.zhat_mine).zip(labels) {
                    zhat[w] = z;
                    label[w] = l;
                }
                self.waiting.push_back(Expect::GarblerInputs { wires: self.wires_in[0].len() });
                Stage::EvInputs { inst, zhat, label }
            }
            (Stage::EvInputs { inst, mut zhat, mut label }, Message::GarblerInputs { masked, labels }) => {
                for ((&w, &z), &l) in self.wires_in[0].iter().zip(&masked).zip(&labels) {
                    zhat[w] = z;
                    label[w] = l;
                }
                self.phase("inputs");
                self.waiting.push_back(Expect::Tables { ands: self.ands.len() });
                Stage::EvTables { inst, zhat, label }
            }
            (Stage::EvTables { inst, zhat, label }, Message::Tables(tables)) => {
                let pre = made(&mut self.pre)?;
                let wires =
                    Wires { masks: &inst.masks, ands: &self.ands, sigma: &inst.sigma, first_and: inst.t0 };
                let (zhat, label) = evaluate(self.circuit, &pre.delta, &wires, zhat, label, &tables)?;
                drop(tables);
                self.phase("garbled tables");
                // Outputs: the garbler's first (z^, labels, my mask shares), then mine.
                let theirs = &self.wires_out[0];
                let mut open = AuthShares::default();
                theirs.iter().for_each(|&w| open.push_from(&inst.masks, w));
                let msg = Message::EvaluatorOutputs {
                    masked: theirs.iter().map(|&w| zhat[w]).collect(),
                    labels: theirs.iter().map(|&w| label[w]).collect(),
                    masks: open.open("output masks"),
                };
                let mut my_mask = AuthShares::default();
                self.wires_out[1].iter().for_each(|&w| my_mask.push_from(&inst.masks, w));
                let zhat = self.wires_out[1].iter().map(|&w| zhat[w]).collect();
                self.send(msg);
                self.waiting.push_back(Expect::OutputMasks { bits: my_mask.len() });
                Stage::EvOutputMasks { my_mask, zhat }
            }
            (Stage::EvOutputMasks { my_mask, zhat }, Message::OutputMasks(o)) => {
                let pre = made(&mut self.pre)?;
                let peer_mask = my_mask.check_open(&pre.delta, "output masks", &o)?;
                self.phase("outputs");
                let values: Vec<(bool, bool, bool)> =
                    (0..zhat.len()).map(|i| (zhat[i], my_mask.bits[i], peer_mask[i])).collect();
                self.outputs.push(assemble(self.circuit, 1, &values)?);
                self.next_instance()?
            }
            (_, msg) => {
                return Err(internal(&format!("a {} message in a stage that does not take it", msg.name())))
            }
        })
    }

    /// The preprocessing is made: keep it and start the first instance, if any.
    fn preprocessed(&mut self) -> Result<Stage> {
        self.phase("AND triples");
        let Pre::Making(m) = std::mem::replace(&mut self.pre, Pre::Moving) else {
            return Err(internal("no preprocessing in the making"));
        };
        let Making { delta, plan, instances, masks, triples, mine, theirs, .. } = *m;
        let (mine, theirs) = mine.zip(theirs).ok_or_else(|| internal("no OT sessions"))?;
        self.pre = Pre::Owned(Box::new(Preprocessed {
            role: self.role,
            delta,
            n_in: plan.n_in,
            n_and: plan.n_and,
            instances,
            next: 0,
            masks,
            triples,
            mine,
            theirs,
        }));
        self.next_instance()
    }

    /// Starts the next instance (its Beaver step), or ends the machine.
    fn next_instance(&mut self) -> Result<Stage> {
        let Some(inputs) = self.inputs.pop_front() else {
            return Ok(Stage::Done);
        };
        let pre = made(&mut self.pre)?;
        pre.check_next(self.circuit, &inputs)?;
        let instance = pre.next;
        pre.next += 1;
        let masks = instance_masks(pre, self.circuit, instance);
        let t0 = instance * pre.n_and;
        let de = beaver_open(&masks, &self.ands, &pre.triples, t0);
        let open = de.open("Beaver openings");
        self.exchange(
            vec![Message::BeaverOpening(open)],
            Expect::BeaverOpening { bits: 2 * self.ands.len() },
        );
        let inst = Instance { inputs, masks, sigma: AuthShares::default(), t0, zhat_mine: Vec::new() };
        Ok(Stage::Beaver { inst, de })
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
