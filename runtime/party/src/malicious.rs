//! The two-party session secured against a malicious party (`--security malicious`):
//! the program is expanded into one circuit and run with authenticated garbling
//! ([`mpc_auth::protocol`], WRK17 section 3).
//!
//! Wire: the common hello speaks [`Protocol::MaliciousSession`] (so a peer in the
//! semi-honest mode is told the modes differ, in one sentence), then the same program
//! hello as the semi-honest session (digest of the program form, inputs, outputs), then
//! the messages of [`mpc_auth::protocol`], one frame each. The hellos are the shared
//! [`HelloMachine`] run by the session's driver ([`drive`]); the protocol after them
//! speaks through the driver's [`Wire`] as its [`mpc_auth::protocol::Link`] (one
//! framing, the channel's one meter). The protocol itself is still a function over
//! that `Link` with an injected rng, not a step machine.
//!
//! Guarantees: everything [`mpc_auth::protocol`] says: a party that deviates is caught
//! by a named check (and the honest side stops before revealing any output of its
//! own), except for the bounded, input-independent leaks that protocol documents; not
//! fair. Memory follows the expanded circuit (about 1 KB per AND gate per party, the
//! preprocessing's authenticated bits), so programs are limited by `max_gates`; the
//! semi-honest session streams instead.

use std::time::Instant;

use mpc_auth::protocol;
use mpc_auth::AuthError;
use mpc_circuits::{program::expand, Circuit, Program};
use mpc_net::hello::Protocol;
use mpc_net::{Channel, NetError};
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;

use crate::driver::{drive, Wire};
use crate::handshake::{program_digest, Hello, Role};
use crate::machine::{HelloExchange, HelloMachine};
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
    drive(ch, &mut HelloMachine::new(hello), None)?;
    let auth_role = match role {
        Role::Garbler => mpc_auth::Role::Garbler,
        Role::Evaluator => mpc_auth::Role::Evaluator,
    };
    let wires = protocol::run(auth_role, &circuit, &bits, &mut Wire::new(&mut *ch), &mut rng)?;
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
    use super::*;

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
