//! Two protocol machines wired together in one thread, no channel: [`pump`] runs a
//! garbler and an evaluator [`Machine`] to their ends, passing each message as its
//! wire bytes (decoded by the receiver with its own [`Expect`], bounded as a `Link`
//! bounds a frame), optionally editing one typed message on its way, and records both
//! transcripts. A party that stops (done or failed) while its peer still waits closes
//! the "channel": the peer's wait ends with [`AuthError::Closed`]. It checks the
//! protocol's order as it goes: a deadlock (both wait) or, in the online part, a
//! message sent while the peer's messages are unread (two messages that would cross
//! on the wire) panics.

#![allow(dead_code)] // Each test binary uses its own part of this module.

use std::collections::VecDeque;

use mpc_auth::machine::{Machine, Step};
use mpc_auth::message::{decode, Message};
use mpc_auth::protocol::Outputs;
use mpc_auth::AuthError;
use rand_chacha::ChaCha12Rng;

/// An edit of the `occurrence`-th message of kind `name` (its [`Message::name`]) that
/// one side sends.
pub type MsgEdit = (&'static str, usize, Box<dyn FnMut(&mut Message)>);

/// The messages of the online part (after the preprocessing).
const ONLINE: [&str; 7] = [
    "Beaver openings",
    "input masks",
    "evaluator inputs",
    "garbler inputs",
    "garbled tables",
    "output message",
    "output masks",
];

/// What a pumped session gave.
pub struct Pumped {
    /// The garbler's result (one entry per instance).
    pub garbler: Result<Vec<Outputs>, AuthError>,
    /// The evaluator's result.
    pub evaluator: Result<Vec<Outputs>, AuthError>,
    /// The garbler's messages as sent (after any edit): kind and wire bytes.
    pub to_evaluator: Vec<(&'static str, Vec<u8>)>,
    /// The evaluator's messages.
    pub to_garbler: Vec<(&'static str, Vec<u8>)>,
    /// Whether an edit was asked for and its message never came.
    pub edit_unused: bool,
}

/// One side while pumping.
struct Side<'c> {
    m: Machine<'c, ChaCha12Rng>,
    inbox: VecDeque<Vec<u8>>,
    sent: Vec<(&'static str, Vec<u8>)>,
    edit: Option<MsgEdit>,
    counts: Vec<(&'static str, usize)>,
    result: Option<Result<Vec<Outputs>, AuthError>>,
}

enum Progress {
    /// Sent or received something.
    Moved,
    /// Waits for a message not yet in its inbox.
    Blocked,
    /// Done or failed.
    Finished,
}

impl Side<'_> {
    /// One step: returns what happened; a sent message goes to `out`.
    fn step(&mut self, out: &mut VecDeque<Vec<u8>>) -> Progress {
        if self.result.is_some() {
            return Progress::Finished;
        }
        let step = match self.m.next_step() {
            Ok(s) => s,
            Err(e) => {
                self.result = Some(Err(e));
                return Progress::Finished;
            }
        };
        match step {
            Step::Send(mut msg) => {
                // The online part's discipline: a party sends only once it has read
                // everything the peer sent, so no two messages cross on the wire (and
                // drivers that write a whole flight before reading cannot block each
                // other on full buffers). (The preprocessing answers KOS challenges
                // one by one: 33-byte proofs that cross the peer's 17-byte challenges.)
                assert!(
                    self.inbox.is_empty() || !ONLINE.contains(&msg.name()),
                    "a {} message sent with {} of the peer's messages unread: they would cross",
                    msg.name(),
                    self.inbox.len()
                );
                let name = msg.name();
                let k = match self.counts.iter_mut().find(|(n, _)| *n == name) {
                    Some((_, c)) => {
                        *c += 1;
                        *c - 1
                    }
                    None => {
                        self.counts.push((name, 1));
                        0
                    }
                };
                if let Some((want, at, _)) = &self.edit {
                    if *want == name && *at == k {
                        let (_, _, mut f) = self.edit.take().expect("checked above");
                        f(&mut msg);
                    }
                }
                let bytes = msg.to_wire().into_owned();
                self.sent.push((name, bytes.clone()));
                out.push_back(bytes);
                Progress::Moved
            }
            Step::Recv(expect) => {
                let Some(bytes) = self.inbox.pop_front() else {
                    return Progress::Blocked;
                };
                // A frame over the bound is refused from its length prefix, as a Link does.
                let r = if bytes.len() > expect.max() {
                    Err(AuthError::TooLarge { len: bytes.len() as u64, max: expect.max() as u64 })
                } else {
                    decode(expect, bytes).and_then(|msg| self.m.receive(msg))
                };
                if let Err(e) = r {
                    self.result = Some(Err(e));
                    return Progress::Finished;
                }
                Progress::Moved
            }
            Step::Phase(_) => Progress::Moved,
            Step::Done => {
                self.result = Some(Ok(self.m.take_outputs()));
                Progress::Finished
            }
        }
    }
}

/// Runs both machines to their ends (see the module docs).
pub fn pump(
    g: Machine<'_, ChaCha12Rng>,
    e: Machine<'_, ChaCha12Rng>,
    g_edit: Option<MsgEdit>,
    e_edit: Option<MsgEdit>,
) -> Pumped {
    let side = |m, edit| Side {
        m,
        inbox: VecDeque::new(),
        sent: Vec::new(),
        edit,
        counts: Vec::new(),
        result: None,
    };
    let (mut g, mut e) = (side(g, g_edit), side(e, e_edit));
    loop {
        let pg = loop {
            match g.step(&mut e.inbox) {
                Progress::Moved => continue,
                other => break other,
            }
        };
        let pe = loop {
            match e.step(&mut g.inbox) {
                Progress::Moved => continue,
                other => break other,
            }
        };
        match (pg, pe) {
            (Progress::Finished, Progress::Finished) => break,
            // The peer has stopped and nothing more will arrive: the channel closes.
            (Progress::Blocked, Progress::Finished) if g.inbox.is_empty() => {
                g.result = Some(Err(AuthError::Closed));
            }
            (Progress::Finished, Progress::Blocked) if e.inbox.is_empty() => {
                e.result = Some(Err(AuthError::Closed));
            }
            (Progress::Blocked, Progress::Blocked) if g.inbox.is_empty() && e.inbox.is_empty() => {
                panic!("both machines wait for each other: a deadlock in the protocol's order");
            }
            _ => {}
        }
    }
    let edit_unused = g.edit.is_some() || e.edit.is_some();
    Pumped {
        garbler: g.result.unwrap_or(Err(AuthError::Closed)),
        evaluator: e.result.unwrap_or(Err(AuthError::Closed)),
        to_evaluator: g.sent,
        to_garbler: e.sent,
        edit_unused,
    }
}
