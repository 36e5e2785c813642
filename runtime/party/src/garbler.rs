//! [`GarblerMachine`]: the garbler's side of the semi-honest session (party 0) as a
//! sans-IO state machine, for one run of a program or `K` instances of a circuit.
//!
//! Steps, as `docs/protocol.md` orders the messages: send both hellos and flush;
//! check the peer's; if the evaluator has input bits, answer its OT setup offer and
//! take its extension (IKNP or SoftSpoken, as both hellos announce:
//! [`crate::ot_extension`]) (the OT outputs are the zero labels of its input wires); send
//! our active input labels; garble the tables into the driver's sink; send the
//! evaluator's decoding bits and flush; take the status byte and the returned output
//! labels, check each against its wire's two labels and decode. `Delta`, our input
//! labels, the OT's randomness, the common hello's id and the three-halves seed come
//! from the injected rng, in that order.

use std::collections::VecDeque;

use mpc_circuits::Engine;
use mpc_circuits::{Circuit, Program};
use mpc_crypto::{Block, Delta};
use mpc_garble::{OutputDecoding, ProgramGarbler, Scheme};
use mpc_net::hello::Protocol;
use rand_core::{CryptoRng, RngCore};
use zeroize::Zeroizing;

use crate::handshake::Role;
use crate::machine::{unexpected, HelloExchange, Machine, Planner, Plans, Step, TableDir, TableIo};
use crate::message::{Expect, ToEvaluator, ToGarbler};
use crate::ot_extension::{self, OtExtension};
use crate::session::{own_active, pick, place, splice_returned, visible_outputs, Io, Job, Outputs};
use crate::SessionError;

/// Where the garbler stands between steps.
enum Wait {
    /// The peer's hello (`Expect::CommonHello` or `Expect::ProgramHello`).
    Hello(Expect),
    /// The evaluator's OT setup offer.
    OtOffer,
    /// Its OT extension, with our side of the set-up OT.
    OtExtend(Box<ot_extension::Sender>),
    /// The table stream.
    Tables,
    /// The status byte.
    Evaluated,
    /// The returned output labels.
    OutputLabels,
    /// Nothing: done (or failed).
    Nothing,
}

/// The garbler's state machine (see the module docs).
pub struct GarblerMachine<'p, R> {
    job: Job<'p>,
    io: Io<'p>,
    scheme: Scheme,
    rng: R,
    delta: Delta,
    /// The OT extension our hello announces.
    ot: OtExtension,
    hello: HelloExchange,
    /// Our input bits, per instance.
    bits: Vec<Vec<bool>>,
    /// Per instance, the zero labels of every input wire.
    zeros: Vec<Zeroizing<Vec<Block>>>,
    /// Per instance, the zero labels of the output wires (after the tables).
    out_zero: Vec<Zeroizing<Vec<Block>>>,
    steps: VecDeque<Step<ToEvaluator, Outputs>>,
    wait: Wait,
}

/// Redacted: the machine holds `Delta`, labels and input bits.
impl<R> std::fmt::Debug for GarblerMachine<'_, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("GarblerMachine { .. }")
    }
}

impl<'p, R: RngCore + CryptoRng> GarblerMachine<'p, R> {
    /// The garbler of one run of `program`; `inputs` holds one bit vector per input
    /// group of party 0, in program order.
    pub fn program(
        program: &'p Program,
        inputs: &[Vec<bool>],
        scheme: Scheme,
        rng: R,
    ) -> Result<GarblerMachine<'p, R>, SessionError> {
        crate::session::check_two_party_program(program)?;
        GarblerMachine::new(Job::Program(program), std::slice::from_ref(&inputs.to_vec()), scheme, rng)
    }

    /// The garbler of `instances.len()` runs of `circuit` in one session;
    /// `instances[k]` holds party 0's inputs of instance `k`.
    pub fn many(
        circuit: &'p Circuit,
        instances: &[Vec<Vec<bool>>],
        scheme: Scheme,
        rng: R,
    ) -> Result<GarblerMachine<'p, R>, SessionError> {
        crate::session::check_two_party(circuit)?;
        GarblerMachine::new(Job::Many(circuit, instances.len()), instances, scheme, rng)
    }

    fn new(
        job: Job<'p>,
        instances: &[Vec<Vec<bool>>],
        scheme: Scheme,
        mut rng: R,
    ) -> Result<GarblerMachine<'p, R>, SessionError> {
        let io = job.io();
        let me = Role::Garbler.party();
        let bits = instances.iter().map(|inputs| io.own_bits(me, inputs)).collect::<Result<Vec<_>, _>>()?;
        let ours = job.hello(Role::Garbler, scheme)?;
        let ot = ours.ot_extension();
        let hello = HelloExchange::new(Protocol::Session, ours, &mut rng);
        let delta = Delta::random(&mut rng);
        let [common, ours] = hello.messages();
        let steps = VecDeque::from([
            Step::Send(ToEvaluator::Hello(common)),
            Step::Send(ToEvaluator::Hello(ours)),
            Step::Flush,
            Step::Recv(Expect::CommonHello),
        ]);
        Ok(GarblerMachine {
            job,
            io,
            scheme,
            rng,
            delta,
            ot,
            hello,
            bits,
            zeros: Vec::new(),
            out_zero: Vec::new(),
            steps,
            wait: Wait::Hello(Expect::CommonHello),
        })
    }

    /// After the OT (or without one): our labels, then the tables.
    fn send_labels(&mut self, keys: Option<&[Block]>) -> Result<(), SessionError> {
        let k = self.job.instances();
        let my_wires = self.io.party_wires(Role::Garbler.party());
        let eval_wires = self.io.party_wires(Role::Evaluator.party());
        let n_in = self.io.num_input_wires();
        let mut zeros = vec![Zeroizing::new(vec![Block::ZERO; n_in]); k];
        if let Some(keys) = keys {
            for (zero, keys) in zeros.iter_mut().zip(keys.chunks_exact(eval_wires.len().max(1))) {
                place(zero, &eval_wires, keys);
            }
        }
        let mut active = Zeroizing::new(Vec::with_capacity(my_wires.len() * k));
        for (zero, bits) in zeros.iter_mut().zip(&self.bits) {
            active.extend(own_active(&mut self.rng, &self.delta, &mut zero[..], &my_wires, bits)?);
        }
        self.zeros = zeros;
        self.steps.push_back(Step::Send(ToEvaluator::InputLabels(active)));
        self.steps.push_back(Step::Tables(TableDir::Send { ands: self.job.and_gates() }));
        self.wait = Wait::Tables;
        Ok(())
    }
}

/// A fresh seed for one garbler's three-halves control bits, from the injected rng
/// (nothing for half-gates).
fn three_halves_seed<R: RngCore + CryptoRng>(scheme: Scheme, rng: &mut R) -> Option<Block> {
    (scheme == Scheme::ThreeHalves).then(|| Block::random(rng))
}

impl<'p, R: RngCore + CryptoRng> Machine<'p> for GarblerMachine<'p, R> {
    type Out = ToEvaluator;
    type In = ToGarbler;
    type Output = Outputs;

    fn planner(&self) -> Planner<'p> {
        self.job.planner()
    }

    fn next_step(&mut self) -> Result<Step<ToEvaluator, Outputs>, SessionError> {
        self.steps.pop_front().ok_or_else(|| SessionError::Internal("the garbler has no next step".into()))
    }

    fn receive(&mut self, msg: ToGarbler) -> Result<(), SessionError> {
        match (std::mem::replace(&mut self.wait, Wait::Nothing), msg) {
            (Wait::Hello(stage), ToGarbler::Hello(h)) => match self.hello.check(&h, stage)? {
                Some(next) => {
                    self.steps.push_back(Step::Recv(next));
                    self.wait = Wait::Hello(next);
                }
                None if self.io.party_wires(Role::Evaluator.party()).is_empty() => self.send_labels(None)?,
                None => {
                    self.steps.push_back(Step::Recv(Expect::OtOffer { ext: self.ot }));
                    self.wait = Wait::OtOffer;
                }
            },
            (Wait::OtOffer, ToGarbler::OtOffer(offer)) => {
                let (sender, answer) = ot_extension::Sender::new(&mut self.rng, &self.delta, &offer)?;
                let ots = self.io.party_wires(Role::Evaluator.party()).len() * self.job.instances();
                self.steps.push_back(Step::Send(ToEvaluator::OtAnswer(answer)));
                self.steps.push_back(Step::Flush);
                self.steps.push_back(Step::Recv(Expect::OtExtend { ots, ext: self.ot }));
                self.wait = Wait::OtExtend(Box::new(sender));
            }
            (Wait::OtExtend(mut sender), ToGarbler::OtExtend(msg)) => {
                let n = self.io.party_wires(Role::Evaluator.party()).len() * self.job.instances();
                let mut keys = Zeroizing::new(Vec::with_capacity(n));
                sender.extend_into(n, &msg, &mut keys)?;
                if keys.len() != n {
                    return Err(SessionError::PeerMisbehaved(format!(
                        "its OT extension gave {} OTs, not {n}",
                        keys.len()
                    )));
                }
                self.send_labels(Some(&keys))?;
            }
            (Wait::Evaluated, ToGarbler::Evaluated) => {
                let n_back: usize =
                    self.io.visible_ranges(Role::Garbler.party()).iter().map(|(_, r)| r.len()).sum();
                self.steps
                    .push_back(Step::Recv(Expect::OutputLabels { count: n_back * self.job.instances() }));
                self.wait = Wait::OutputLabels;
            }
            (Wait::OutputLabels, ToGarbler::OutputLabels(returned)) => {
                let mine = self.io.visible_ranges(Role::Garbler.party());
                let n_back: usize = mine.iter().map(|(_, r)| r.len()).sum();
                let mut outputs = Vec::with_capacity(self.out_zero.len());
                for (k, zero) in self.out_zero.iter().enumerate() {
                    let full = splice_returned(zero, &mine, &returned[k * n_back..(k + 1) * n_back]);
                    let decoded = mpc_garble::decode_returned(&self.delta, zero, &full)?;
                    outputs.push(visible_outputs(self.io.outputs.len(), &mine, &decoded, false));
                }
                self.steps.push_back(Step::Done(outputs));
            }
            (_, msg) => return Err(unexpected(crate::message::Encode::name(&msg), "another")),
        }
        Ok(())
    }

    fn tables(&mut self, io: TableIo<'_>, plans: Plans) -> Result<(), SessionError> {
        let (Wait::Tables, TableIo::Sink(sink)) = (&self.wait, io) else {
            return Err(SessionError::Internal("the garbler's table stream out of turn".into()));
        };
        let zeros = std::mem::take(&mut self.zeros);
        let eval_ranges = self.io.visible_ranges(Role::Evaluator.party());
        let mut eval_bits = Vec::new();
        let mut garbler = ProgramGarbler::new(&self.delta, 0, sink).with_scheme(self.scheme);
        if let Plans::Program(plans) = plans {
            garbler = garbler.with_plans(plans);
        }
        if let Some(seed) = three_halves_seed(self.scheme, &mut self.rng) {
            garbler = garbler.with_three_halves_seed(seed);
        }
        match self.job {
            Job::Program(program) => {
                let zero = zeros.first().map_or(&[][..], |z| &z[..]);
                let (decoding, out_zero) = mpc_garble::garble_program_with(garbler, program, zero)?;
                eval_bits.extend(pick(decoding.bits(), &eval_ranges));
                self.out_zero.push(Zeroizing::new(out_zero));
            }
            Job::Many(circuit, _) => {
                // Instance k is call k of the circuit as a one-body program on one
                // kernel: its AND gates are numbered from k * and_count, so its tweaks
                // start at k * tweaks_used(circuit), and the tables of consecutive
                // instances share chunks.
                for zero in &zeros {
                    let mut out = Vec::with_capacity(self.io.outputs.iter().map(|o| o.1).sum());
                    garbler.call(0, circuit, zero, &mut out).map_err(mpc_garble::exec_error)?;
                    eval_bits.extend(pick(&out, &eval_ranges).map(|l| l.lsb()));
                    self.out_zero.push(Zeroizing::new(out));
                }
                garbler.finish()?;
            }
        }
        self.steps.push_back(Step::Send(ToEvaluator::Decoding(OutputDecoding::from_bits(eval_bits))));
        self.steps.push_back(Step::Flush);
        self.steps.push_back(Step::Recv(Expect::Evaluated));
        self.wait = Wait::Evaluated;
        Ok(())
    }
}
