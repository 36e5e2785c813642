//! The session as sans-IO state machines: the [`Machine`] trait, its [`Step`]s, and
//! the hello exchange both security modes share ([`HelloExchange`], and
//! [`HelloMachine`], the hello alone, which the malicious session's machine runs first).
//!
//! A machine never touches a channel. It is asked for its next [`Step`] until it is
//! [`Step::Done`]: send a typed message, flush, wait for a message it names with an
//! [`Expect`] (the caller reads and decodes it, then hands it to [`Machine::receive`]),
//! or run the table stream ([`Step::Tables`]): the one bulk transfer, which the caller
//! performs by calling [`Machine::tables`] with a [`TableIo`] (a sink for the garbler,
//! a source for the evaluator), so the garbled tables bypass the message enums and
//! keep the writer thread and the zero-copy socket path. All randomness comes from the
//! rng the caller injects when it makes the machine, so two runs with the same seeds
//! and inputs send the same bytes (`tests/replay.rs`).
//!
//! [`crate::driver::drive`] is the one loop that runs any machine over a
//! [`mpc_net::Channel`]; tests drive machines the same way over recording, replaying
//! or editing channels, or wrap a machine to edit one of its messages.

use std::collections::VecDeque;

use mpc_circuits::{Circuit, Program};
use mpc_garble::{ProgramPlans, TableSink, TableSource};
use mpc_net::hello::Protocol;
use rand_core::{CryptoRng, RngCore};

use crate::handshake::{Hello, VERSION};
use crate::message::{Decode, Encode, Expect, HelloMsg, MessageError};
use crate::SessionError;

/// What a machine needs done next.
#[derive(Debug)]
pub enum Step<M, O> {
    /// Queue this message for the peer (buffered until [`Step::Flush`]).
    Send(M),
    /// Push everything queued to the peer (a machine flushes before it waits).
    Flush,
    /// Wait for this message and hand it to [`Machine::receive`].
    Recv(Expect),
    /// Run the table stream: call [`Machine::tables`].
    Tables(TableDir),
    /// The session is over; this party's result.
    Done(O),
}

/// The direction of the table stream, as the driver needs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TableDir {
    /// We garble and send `ands` AND gates' tables.
    Send {
        /// AND gates of the whole stream (picks the writer thread).
        ands: u64,
    },
    /// We receive and evaluate.
    Recv,
}

/// The table stream's end handed to [`Machine::tables`].
pub enum TableIo<'a> {
    /// The garbler's: tables go here.
    Sink(&'a mut dyn TableSink),
    /// The evaluator's: tables come from here.
    Source(&'a mut dyn TableSource),
}

impl std::fmt::Debug for TableIo<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TableIo::Sink(_) => "TableIo::Sink",
            TableIo::Source(_) => "TableIo::Source",
        })
    }
}

/// Work a machine wants done on another thread while it waits for the peer (the slot
/// plans of the bodies it will garble or evaluate); it borrows only the program, not
/// the machine.
#[derive(Clone, Copy, Debug)]
pub enum Planner<'p> {
    /// Nothing to prepare.
    Nothing,
    /// The slot plans of a program's bodies.
    Program(&'p Program),
    /// The compiled slot plan of a circuit, as the one body of its program (the
    /// instances of a `run_*_many` session are calls of it on one persistent kernel).
    Circuit(&'p Circuit),
}

/// What a [`Planner`] made.
#[derive(Debug)]
pub enum Plans {
    /// Nothing.
    Nothing,
    /// The plans of a program's bodies (or of a circuit as a one-body program).
    Program(ProgramPlans),
}

/// Program size (gates in bodies plus instructions) from which the plans are made on
/// another thread while the session waits for the peer (hello and OT).
const PLAN_AHEAD_MIN_SIZE: usize = 1 << 12;

impl Planner<'_> {
    /// Whether the work is worth another thread.
    pub fn ahead(self) -> bool {
        match self {
            Planner::Nothing => false,
            Planner::Program(p) => p.size() >= PLAN_AHEAD_MIN_SIZE,
            Planner::Circuit(circuit) => circuit.gates().len() >= PLAN_AHEAD_MIN_SIZE,
        }
    }

    /// Does the work.
    pub fn make(self) -> Plans {
        match self {
            Planner::Nothing => Plans::Nothing,
            Planner::Program(p) => Plans::Program(ProgramPlans::new(p)),
            Planner::Circuit(circuit) => Plans::Program(ProgramPlans::compiled_circuit(circuit)),
        }
    }
}

/// One party's side of a session as a sans-IO state machine (see the module docs).
pub trait Machine<'p> {
    /// The messages it sends.
    type Out: Encode;
    /// The messages it receives.
    type In: Decode;
    /// Its result.
    type Output;

    /// The work to do on another thread while waiting for the peer; its result comes
    /// back through [`Machine::tables`].
    fn planner(&self) -> Planner<'p>;

    /// The next step. After [`Step::Recv`] the caller must call [`Machine::receive`],
    /// after [`Step::Tables`] [`Machine::tables`], before asking again.
    fn next_step(&mut self) -> Result<Step<Self::Out, Self::Output>, SessionError>;

    /// The message the last [`Step::Recv`] asked for.
    fn receive(&mut self, msg: Self::In) -> Result<(), SessionError>;

    /// Runs the table stream over `io` with the [`Planner`]'s `plans`.
    fn tables(&mut self, io: TableIo<'_>, plans: Plans) -> Result<(), SessionError>;
}

/// The hellos of one party: the common hello for `protocol` (its session id drawn
/// from the injected rng) and the session hello; checks the peer's.
#[derive(Debug)]
pub struct HelloExchange {
    common: mpc_net::hello::Hello,
    ours: Hello,
}

impl HelloExchange {
    /// Our hellos speaking `protocol`.
    pub fn new<R: RngCore + CryptoRng>(protocol: Protocol, ours: Hello, rng: &mut R) -> HelloExchange {
        let mut session = [0u8; 16];
        rng.fill_bytes(&mut session);
        HelloExchange { common: mpc_net::hello::Hello { protocol, version: VERSION, session }, ours }
    }

    /// Our two hello messages, in order.
    pub fn messages(&self) -> [HelloMsg; 2] {
        [HelloMsg::Common(self.common), HelloMsg::Program(self.ours.clone())]
    }

    /// Checks the peer's hello message that `stage` asked for (common first, then the
    /// session hello); returns the next one to wait for, `None` after both.
    pub fn check(&mut self, peer: &HelloMsg, stage: Expect) -> Result<Option<Expect>, SessionError> {
        match (stage, peer) {
            (Expect::CommonHello, HelloMsg::Common(h)) => {
                self.common.check(h)?;
                Ok(Some(Expect::ProgramHello))
            }
            (Expect::ProgramHello, HelloMsg::Program(h)) => {
                self.ours.check_peer(h)?;
                Ok(None)
            }
            (want, _) => Err(unexpected("hello", want.name())),
        }
    }
}

/// A machine that only exchanges and checks the hellos (the malicious session's
/// [`crate::MaliciousMachine`] runs it first, then its protocol's machine).
#[derive(Debug)]
pub struct HelloMachine {
    hello: HelloExchange,
    steps: VecDeque<Step<HelloMsg, ()>>,
    waiting: Option<Expect>,
}

impl HelloMachine {
    /// The hello exchange of `hello`: send both hellos, flush, read the peer's.
    pub fn new(hello: HelloExchange) -> HelloMachine {
        let [common, ours] = hello.messages();
        let steps = VecDeque::from([Step::Send(common), Step::Send(ours), Step::Flush]);
        HelloMachine { hello, steps, waiting: Some(Expect::CommonHello) }
    }
}

impl<'p> Machine<'p> for HelloMachine {
    type Out = HelloMsg;
    type In = HelloMsg;
    type Output = ();

    fn planner(&self) -> Planner<'p> {
        Planner::Nothing
    }

    fn next_step(&mut self) -> Result<Step<HelloMsg, ()>, SessionError> {
        Ok(match (self.steps.pop_front(), self.waiting) {
            (Some(step), _) => step,
            (None, Some(e)) => Step::Recv(e),
            (None, None) => Step::Done(()),
        })
    }

    fn receive(&mut self, msg: HelloMsg) -> Result<(), SessionError> {
        let stage = self.waiting.ok_or_else(|| unexpected("hello", "nothing"))?;
        self.waiting = self.hello.check(&msg, stage)?;
        Ok(())
    }

    fn tables(&mut self, _: TableIo<'_>, _: Plans) -> Result<(), SessionError> {
        Err(SessionError::Internal("the hello exchange has no table stream".into()))
    }
}

/// A message of kind `got` handed to a machine that waits for `want`.
pub(crate) fn unexpected(got: &'static str, want: &'static str) -> SessionError {
    MessageError::Unexpected { got, want }.into()
}
