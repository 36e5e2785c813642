//! The two-party session secured against a malicious party (`--security malicious`):
//! the program is expanded into one circuit and run with authenticated garbling
//! ([`mpc_auth::protocol`], WRK17 section 3).
//!
//! Wire: the common hello speaks [`Protocol::MaliciousSession`] (so a peer in the
//! semi-honest mode is told the modes differ, in one sentence), then the same program
//! hello as the semi-honest session (digest of the program form, inputs, outputs), then
//! the messages of [`mpc_auth::machine`], one frame each. The whole session is one
//! [`MaliciousMachine`]: the shared [`HelloMachine`], then `mpc_auth`'s sans-IO
//! [`mpc_auth::machine::Machine`] for this role (made once the hellos agree, with the
//! same injected rng), adapted to the session's [`Machine`] trait and run by the same
//! loop as the semi-honest session ([`drive`]: one framing, one loop, the channel's one
//! meter). The adapter flushes after every message (as `mpc_auth`'s own `Link` does,
//! so the peer works on one large batch while this party makes the next); a message
//! of the protocol is read as a frame bounded by the exact size `mpc_auth` expects
//! there and decoded by its checked decoder.
//!
//! Guarantees: everything [`mpc_auth::protocol`] says: a party that deviates is caught
//! by a named check (and the honest side stops before revealing any output of its
//! own), except for the bounded, input-independent leaks that protocol documents; not
//! fair. Memory follows the expanded circuit (about 1 KB per AND gate per party, the
//! preprocessing's authenticated bits), so programs are limited by `max_gates`; the
//! semi-honest session streams instead.

use std::time::Instant;

use mpc_auth::message::Message as AuthMessage;
use mpc_auth::protocol::Outputs as WireOutputs;
use mpc_auth::AuthError;
use mpc_circuits::{program::expand, Circuit, Program};
use mpc_net::hello::Protocol;
use mpc_net::{Channel, NetError};
use rand_chacha::rand_core::{CryptoRng, RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;

use crate::driver::drive;
use crate::handshake::{program_digest, Hello, Role};
use crate::machine::{HelloExchange, HelloMachine, Machine, Planner, Plans, Step, TableIo};
use crate::message::{frame, Decode, Encode, Expect, HelloMsg, MessageError};
use crate::session::{check_two_party_program, LocalOutput, SessionOutput, SessionStats};
use crate::SessionError;

/// A closed channel is the network's error, an oversized message the peer's
/// misbehaviour (like the semi-honest session's `TooLong`), every other failure a
/// failed check.
impl From<AuthError> for SessionError {
    fn from(err: AuthError) -> SessionError {
        match err {
            AuthError::Closed => SessionError::Net(NetError::Closed),
            too_large @ AuthError::TooLarge { .. } => SessionError::PeerMisbehaved(too_large.to_string()),
            other => SessionError::Check(other.to_string()),
        }
    }
}

/// A message of a malicious session: a hello, then the protocol's.
#[derive(Debug)]
pub enum MaliciousMsg {
    /// One of the hellos both modes open with.
    Hello(HelloMsg),
    /// A message of [`mpc_auth::machine`].
    Auth(AuthMessage),
}

impl Encode for MaliciousMsg {
    fn encode(&self, out: &mut Vec<u8>) -> Result<(), NetError> {
        match self {
            MaliciousMsg::Hello(h) => h.encode(out),
            MaliciousMsg::Auth(m) => frame(out, &m.to_wire()),
        }
    }
    fn name(&self) -> &'static str {
        match self {
            MaliciousMsg::Hello(_) => "hello",
            MaliciousMsg::Auth(m) => m.name(),
        }
    }
    /// The protocol's messages are one frame each; their bodies (OT extensions and
    /// leaky-AND layers of megabytes) go to the channel without a copy in between.
    fn frame_body(&self) -> Option<std::borrow::Cow<'_, [u8]>> {
        match self {
            MaliciousMsg::Hello(_) => None,
            MaliciousMsg::Auth(m) => Some(m.to_wire()),
        }
    }
}

impl Decode for MaliciousMsg {
    fn decode(expect: Expect, bytes: &[u8]) -> Result<MaliciousMsg, MessageError> {
        MaliciousMsg::decode_vec(expect, bytes.to_vec())
    }

    /// The protocol's messages through `mpc_auth`'s checked decoder (its refusals are
    /// the peer's misbehaviour, named by the message).
    fn decode_vec(expect: Expect, bytes: Vec<u8>) -> Result<MaliciousMsg, MessageError> {
        match expect {
            Expect::Malicious(e) => {
                mpc_auth::message::decode(e, bytes).map(MaliciousMsg::Auth).map_err(|err| match err {
                    AuthError::TooLarge { len, max } => MessageError::TooLong { what: e.name(), len, max },
                    AuthError::Malformed { reason, .. } => MessageError::Malformed { what: e.name(), reason },
                    other => MessageError::Malformed { what: e.name(), reason: other.to_string() },
                })
            }
            _ => HelloMsg::decode(expect, &bytes).map(MaliciousMsg::Hello),
        }
    }
}

/// The protocol's machine waiting for the hellos to agree.
struct Waiting<'c, R> {
    role: mpc_auth::Role,
    circuit: &'c Circuit,
    inputs: Vec<Vec<bool>>,
    rng: R,
}

/// One party of a malicious session as a [`Machine`] (see the module docs): the
/// hellos, then `mpc_auth`'s machine for `K` instances of one circuit; its output is
/// one entry per output wire per instance.
pub struct MaliciousMachine<'c, R> {
    hello: Option<HelloMachine>,
    waiting: Option<Waiting<'c, R>>,
    auth: Option<mpc_auth::machine::Machine<'c, R>>,
    /// A message was sent and not yet flushed.
    unflushed: bool,
}

impl<R> std::fmt::Debug for MaliciousMachine<'_, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MaliciousMachine").field("hello", &self.hello.is_some()).finish_non_exhaustive()
    }
}

impl<'c, R: RngCore + CryptoRng> MaliciousMachine<'c, R> {
    /// The session of `role` over `circuit` with one input bit vector per instance
    /// (this party's input wires in group order); `hello` is ours, drawn from the
    /// same `rng`.
    pub fn new(
        hello: HelloExchange,
        role: Role,
        circuit: &'c Circuit,
        inputs: Vec<Vec<bool>>,
        rng: R,
    ) -> MaliciousMachine<'c, R> {
        let role = match role {
            Role::Garbler => mpc_auth::Role::Garbler,
            Role::Evaluator => mpc_auth::Role::Evaluator,
        };
        MaliciousMachine {
            hello: Some(HelloMachine::new(hello)),
            waiting: Some(Waiting { role, circuit, inputs, rng }),
            auth: None,
            unflushed: false,
        }
    }

    /// The protocol's machine, made when the hellos are done.
    fn auth(&mut self) -> Result<&mut mpc_auth::machine::Machine<'c, R>, SessionError> {
        if let Some(Waiting { role, circuit, inputs, rng }) = self.waiting.take() {
            self.auth = Some(mpc_auth::machine::Machine::new(role, circuit, &inputs, rng)?);
        }
        self.auth.as_mut().ok_or_else(|| SessionError::Internal("the malicious protocol was not made".into()))
    }
}

impl<'p, 'c, R: RngCore + CryptoRng> Machine<'p> for MaliciousMachine<'c, R> {
    type Out = MaliciousMsg;
    type In = MaliciousMsg;
    type Output = Vec<WireOutputs>;

    fn planner(&self) -> Planner<'p> {
        Planner::Nothing
    }

    fn next_step(&mut self) -> Result<Step<MaliciousMsg, Vec<WireOutputs>>, SessionError> {
        if let Some(hello) = &mut self.hello {
            match hello.next_step()? {
                Step::Send(h) => return Ok(Step::Send(MaliciousMsg::Hello(h))),
                Step::Flush => return Ok(Step::Flush),
                Step::Recv(e) => return Ok(Step::Recv(e)),
                Step::Done(()) => self.hello = None,
                Step::Tables(_) => return Err(SessionError::Internal("a table stream in the hello".into())),
            }
        }
        // Each message is flushed as it is sent, as the protocol's own `Link` does, so
        // the peer works on one large batch while this party makes the next.
        if self.unflushed {
            self.unflushed = false;
            return Ok(Step::Flush);
        }
        let auth = self.auth()?;
        loop {
            match auth.next_step()? {
                mpc_auth::machine::Step::Send(m) => {
                    self.unflushed = true;
                    return Ok(Step::Send(MaliciousMsg::Auth(m)));
                }
                mpc_auth::machine::Step::Recv(e) => return Ok(Step::Recv(Expect::Malicious(e))),
                mpc_auth::machine::Step::Phase(_) => continue,
                mpc_auth::machine::Step::Done => return Ok(Step::Done(auth.take_outputs())),
            }
        }
    }

    fn receive(&mut self, msg: MaliciousMsg) -> Result<(), SessionError> {
        match (msg, &mut self.hello) {
            (MaliciousMsg::Hello(h), Some(hello)) => hello.receive(h),
            (MaliciousMsg::Auth(m), None) => Ok(self.auth()?.receive(m)?),
            (msg, _) => Err(crate::machine::unexpected(msg.name(), "another")),
        }
    }

    fn tables(&mut self, _: TableIo<'_>, _: Plans) -> Result<(), SessionError> {
        Err(SessionError::Internal("the malicious session has no separate table stream".into()))
    }
}

fn expanded(program: &Program, max_gates: usize) -> Result<Circuit, SessionError> {
    check_two_party_program(program)?;
    expand(program, max_gates).map_err(|e| {
        SessionError::Unsupported(format!(
            "--security malicious: {e} (the mode expands the program into one circuit, about 1 KB of memory per AND gate per party; --max-gates N raises the bound)"
        ))
    })
}

/// Runs one party of `program` under `--security malicious`. `inputs` holds one bit
/// vector per input group of this party, in program order; `max_gates` bounds the
/// expanded circuit.
pub fn run_malicious_program<C: Channel + ?Sized>(
    ch: &mut C,
    role: Role,
    program: &Program,
    inputs: &[Vec<bool>],
    max_gates: usize,
) -> Result<SessionOutput, SessionError> {
    let circuit = expanded(program, max_gates)?;
    let bits = crate::session::own_bits(&circuit, role.party(), inputs)?;
    let start = Instant::now();
    let mut rng = ChaCha20Rng::from_entropy();
    let ours = Hello::for_program(role, program, program_digest(program));
    let hello = HelloExchange::new(Protocol::MaliciousSession, ours, &mut rng);
    let mut machine = MaliciousMachine::new(hello, role, &circuit, vec![bits], rng);
    let wires = drive(ch, &mut machine, None)?.pop().unwrap_or_default();
    let mut outputs = Vec::with_capacity(circuit.outputs().len());
    let mut pos = 0;
    for g in circuit.outputs() {
        let group = &wires[pos..pos + g.wires.len()];
        pos += g.wires.len();
        outputs.push(group.iter().copied().collect::<Option<Vec<bool>>>());
    }
    let s = ch.stats();
    let stats = SessionStats {
        elapsed: start.elapsed(),
        bytes_sent: s.bytes_sent,
        bytes_received: s.bytes_received,
        rounds: s.rounds,
        and_gates: circuit.and_count() as u64,
    };
    Ok(SessionOutput { outputs, stats })
}

/// Both parties of `program` under `--security malicious` on two threads of this
/// process over an in-memory channel.
pub fn run_local_malicious_program(
    program: &Program,
    inputs: &[Vec<bool>],
    max_gates: usize,
) -> Result<LocalOutput, SessionError> {
    crate::session::run_local_with(
        program,
        inputs,
        |ch, a| run_malicious_program(ch, Role::Garbler, program, a, max_gates),
        |ch, b| run_malicious_program(ch, Role::Evaluator, program, b, max_gates),
    )
}

#[cfg(test)]
mod tests {
    use mpc_auth::message::Message;

    use super::*;

    #[test]
    fn a_protocol_message_that_does_not_decode_is_misbehaviour_named_by_the_message() {
        let e = Expect::Malicious(mpc_auth::message::Expect::Tables { ands: 2 });
        let err = SessionError::from(MaliciousMsg::decode(e, &[0; 255]).unwrap_err());
        match err {
            SessionError::PeerMisbehaved(msg) => {
                assert_eq!(msg, "malformed garbled tables: 255 bytes, expected 256")
            }
            other => panic!("{other:?}"),
        }
        let err = SessionError::from(MaliciousMsg::decode(e, &[0; 257]).unwrap_err());
        assert!(matches!(err, SessionError::PeerMisbehaved(ref m) if m.contains("257 bytes")), "{err:?}");
        assert!(matches!(MaliciousMsg::decode(e, &[7; 256]), Ok(MaliciousMsg::Auth(Message::Tables(_)))));
    }

    #[test]
    fn an_oversized_message_is_misbehaviour_and_a_closed_channel_a_network_error() {
        let err = SessionError::from(AuthError::TooLarge { len: 1 << 30, max: 64 });
        match err {
            SessionError::PeerMisbehaved(msg) => {
                assert!(msg.contains("1073741824 bytes where at most 64"), "{msg}")
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(SessionError::from(AuthError::Closed), SessionError::Net(NetError::Closed)));
    }
}
