//! [`EvaluatorMachine`]: the evaluator's side of the semi-honest session (party 1)
//! as a sans-IO state machine, for one run of a program or `K` instances of a circuit.
//!
//! Steps, as `docs/protocol.md` orders the messages: send both hellos and, if we
//! have input bits, the OT setup offer, then flush; check the peer's hellos; take the
//! garbler's setup answer and send one extension for all our input bits (IKNP or
//! SoftSpoken, as both hellos announce: [`crate::ot_extension`]) (the OT
//! outputs are our input labels); take the garbler's input labels; evaluate the
//! tables from the driver's source; send the status byte and the labels of the
//! outputs the garbler learns (before reading anything, so nobody waits), flush; take
//! the decoding bits and decode ours. The common hello's id and the OT's randomness
//! come from the injected rng, in that order.

use std::collections::VecDeque;

use mpc_circuits::Engine;
use mpc_circuits::{Circuit, Program};
use mpc_crypto::Block;
use mpc_garble::{ProgramEvaluator, Scheme};
use mpc_net::hello::Protocol;
use rand_core::{CryptoRng, RngCore};
use zeroize::Zeroizing;

use crate::handshake::Role;
use crate::machine::{unexpected, HelloExchange, Machine, Planner, Plans, Step, TableDir, TableIo};
use crate::message::{Encode, Expect, ToEvaluator, ToGarbler};
use crate::ot_extension::{self, OtExtension};
use crate::session::{pick, place, visible_outputs, Io, Job, Outputs};
use crate::SessionError;

/// Where the evaluator stands between steps.
enum Wait {
    /// The peer's hello (`Expect::CommonHello` or `Expect::ProgramHello`).
    Hello(Expect),
    /// The garbler's OT setup answer.
    OtAnswer,
    /// The garbler's input labels.
    InputLabels,
    /// The table stream.
    Tables,
    /// The decoding bits.
    Decoding,
    /// Nothing: done (or failed).
    Nothing,
}

/// The evaluator's state machine (see the module docs).
pub struct EvaluatorMachine<'p> {
    job: Job<'p>,
    io: Io<'p>,
    scheme: Scheme,
    hello: HelloExchange,
    /// Our input bits, all instances back to back (the OT's choice bits).
    bits: Zeroizing<Vec<bool>>,
    /// Our side of the OT after the offer, until the answer.
    ot: Option<ot_extension::ReceiverSetup>,
    /// The OT extension our hello announces.
    ext: OtExtension,
    /// Per instance, the active label of every input wire.
    labels: Vec<Zeroizing<Vec<Block>>>,
    /// Per instance, the active output labels (after the tables).
    out_labels: Vec<Zeroizing<Vec<Block>>>,
    steps: VecDeque<Step<ToGarbler, Outputs>>,
    wait: Wait,
}

/// Redacted: the machine holds labels and input bits.
impl std::fmt::Debug for EvaluatorMachine<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EvaluatorMachine { .. }")
    }
}

impl<'p> EvaluatorMachine<'p> {
    /// The evaluator of one run of `program`; `inputs` holds one bit vector per input
    /// group of party 1, in program order. `rng` is used only while making it.
    pub fn program<R: RngCore + CryptoRng>(
        program: &'p Program,
        inputs: &[Vec<bool>],
        scheme: Scheme,
        rng: R,
    ) -> Result<EvaluatorMachine<'p>, SessionError> {
        crate::session::check_two_party_program(program)?;
        EvaluatorMachine::new(Job::Program(program), std::slice::from_ref(&inputs.to_vec()), scheme, rng)
    }

    /// The evaluator of `instances.len()` runs of `circuit` in one session;
    /// `instances[k]` holds party 1's inputs of instance `k`.
    pub fn many<R: RngCore + CryptoRng>(
        circuit: &'p Circuit,
        instances: &[Vec<Vec<bool>>],
        scheme: Scheme,
        rng: R,
    ) -> Result<EvaluatorMachine<'p>, SessionError> {
        crate::session::check_two_party(circuit)?;
        EvaluatorMachine::new(Job::Many(circuit, instances.len()), instances, scheme, rng)
    }

    fn new<R: RngCore + CryptoRng>(
        job: Job<'p>,
        instances: &[Vec<Vec<bool>>],
        scheme: Scheme,
        mut rng: R,
    ) -> Result<EvaluatorMachine<'p>, SessionError> {
        let io = job.io();
        let me = Role::Evaluator.party();
        let mut bits = Zeroizing::new(Vec::new());
        for inputs in instances {
            bits.extend(io.own_bits(me, inputs)?);
        }
        let ours = job.hello(Role::Evaluator, scheme)?;
        let ext = ours.ot_extension();
        let hello = HelloExchange::new(Protocol::Session, ours, &mut rng);
        let [common, ours] = hello.messages();
        let mut steps =
            VecDeque::from([Step::Send(ToGarbler::Hello(common)), Step::Send(ToGarbler::Hello(ours))]);
        let ot = if io.party_wires(me).is_empty() {
            None
        } else {
            let (setup, offer) = ot_extension::receiver(ext, &mut rng);
            steps.push_back(Step::Send(ToGarbler::OtOffer(offer)));
            Some(setup)
        };
        steps.push_back(Step::Flush);
        steps.push_back(Step::Recv(Expect::CommonHello));
        Ok(EvaluatorMachine {
            job,
            io,
            scheme,
            hello,
            bits,
            ot,
            ext,
            labels: Vec::new(),
            out_labels: Vec::new(),
            steps,
            wait: Wait::Hello(Expect::CommonHello),
        })
    }

    fn expect_input_labels(&mut self) {
        let count = self.io.party_wires(Role::Garbler.party()).len() * self.job.instances();
        self.steps.push_back(Step::Recv(Expect::InputLabels { count }));
        self.wait = Wait::InputLabels;
    }
}

impl<'p> Machine<'p> for EvaluatorMachine<'p> {
    type Out = ToGarbler;
    type In = ToEvaluator;
    type Output = Outputs;

    fn planner(&self) -> Planner<'p> {
        self.job.planner()
    }

    fn next_step(&mut self) -> Result<Step<ToGarbler, Outputs>, SessionError> {
        self.steps.pop_front().ok_or_else(|| SessionError::Internal("the evaluator has no next step".into()))
    }

    fn receive(&mut self, msg: ToEvaluator) -> Result<(), SessionError> {
        let k = self.job.instances();
        match (std::mem::replace(&mut self.wait, Wait::Nothing), msg) {
            (Wait::Hello(stage), ToEvaluator::Hello(h)) => match self.hello.check(&h, stage)? {
                Some(next) => {
                    self.steps.push_back(Step::Recv(next));
                    self.wait = Wait::Hello(next);
                }
                None if self.ot.is_some() => {
                    self.steps.push_back(Step::Recv(Expect::OtAnswer { ext: self.ext }));
                    self.wait = Wait::OtAnswer;
                }
                None => self.expect_input_labels(),
            },
            (Wait::OtAnswer, ToEvaluator::OtAnswer(answer)) => {
                let setup = self
                    .ot
                    .take()
                    .ok_or_else(|| SessionError::Internal("an OT answer without an offer".into()))?;
                let (mut msg, mut mine) = (Vec::new(), Zeroizing::new(Vec::new()));
                setup.extend_once(&answer, &self.bits, &mut msg, &mut mine)?;
                let my_wires = self.io.party_wires(Role::Evaluator.party());
                let n_in = self.io.num_input_wires();
                self.labels = vec![Zeroizing::new(vec![Block::ZERO; n_in]); k];
                for (l, mine) in self.labels.iter_mut().zip(mine.chunks_exact(my_wires.len().max(1))) {
                    place(l, &my_wires, mine);
                }
                self.steps.push_back(Step::Send(ToGarbler::OtExtend(msg)));
                self.steps.push_back(Step::Flush);
                self.expect_input_labels();
            }
            (Wait::InputLabels, ToEvaluator::InputLabels(theirs)) => {
                let garbler_wires = self.io.party_wires(Role::Garbler.party());
                if self.labels.is_empty() {
                    self.labels = vec![Zeroizing::new(vec![Block::ZERO; self.io.num_input_wires()]); k];
                }
                if !garbler_wires.is_empty() {
                    for (l, theirs) in self.labels.iter_mut().zip(theirs.chunks_exact(garbler_wires.len())) {
                        place(l, &garbler_wires, theirs);
                    }
                }
                self.steps.push_back(Step::Tables(TableDir::Recv));
                self.wait = Wait::Tables;
            }
            (Wait::Decoding, ToEvaluator::Decoding(decoding)) => {
                let mine_ranges = self.io.visible_ranges(Role::Evaluator.party());
                let n: usize = mine_ranges.iter().map(|(_, r)| r.len()).sum();
                let mine: Zeroizing<Vec<Block>> =
                    Zeroizing::new(self.out_labels.iter().flat_map(|o| pick(o, &mine_ranges)).collect());
                let decoded = mpc_garble::decode(&mine, &decoding)?;
                let outputs = (0..k)
                    .map(|i| visible_outputs(self.io.outputs.len(), &mine_ranges, &decoded[i * n..], true))
                    .collect();
                self.steps.push_back(Step::Done(outputs));
            }
            (_, msg) => return Err(unexpected(msg_name(&msg), "another")),
        }
        Ok(())
    }

    fn tables(&mut self, io: TableIo<'_>, plans: Plans) -> Result<(), SessionError> {
        let (Wait::Tables, TableIo::Source(source)) = (&self.wait, io) else {
            return Err(SessionError::Internal("the evaluator's table stream out of turn".into()));
        };
        let labels = std::mem::take(&mut self.labels);
        let mut evaluator = ProgramEvaluator::new(0, source).with_scheme(self.scheme);
        if let Plans::Program(plans) = plans {
            evaluator = evaluator.with_plans(plans);
        }
        match self.job {
            Job::Program(program) => {
                let input = labels.first().map_or(&[][..], |l| &l[..]);
                let out = mpc_garble::evaluate_program_with(evaluator, program, input)?;
                self.out_labels.push(Zeroizing::new(out));
            }
            Job::Many(circuit, _) => {
                // Instance k is call k of the circuit on one kernel (see the garbler).
                for labels in &labels {
                    let mut out = Vec::with_capacity(self.io.outputs.iter().map(|o| o.1).sum());
                    evaluator.call(0, circuit, labels, &mut out).map_err(mpc_garble::exec_error)?;
                    self.out_labels.push(Zeroizing::new(out));
                }
            }
        }
        // Labels of the outputs the garbler learns go back first, so nobody waits.
        let garbler_ranges = self.io.visible_ranges(Role::Garbler.party());
        let back = Zeroizing::new(self.out_labels.iter().flat_map(|o| pick(o, &garbler_ranges)).collect());
        let mine_ranges = self.io.visible_ranges(Role::Evaluator.party());
        let bits = mine_ranges.iter().map(|(_, r)| r.len()).sum::<usize>() * self.job.instances();
        self.steps.push_back(Step::Send(ToGarbler::Evaluated));
        self.steps.push_back(Step::Send(ToGarbler::OutputLabels(back)));
        self.steps.push_back(Step::Flush);
        self.steps.push_back(Step::Recv(Expect::Decoding { bits }));
        self.wait = Wait::Decoding;
        Ok(())
    }
}

fn msg_name(msg: &ToEvaluator) -> &'static str {
    msg.name()
}
