//! The one loop that runs any session [`Machine`] over a [`Channel`]: [`drive`], and
//! [`Wire`], the channel adapter that frames, reads and decodes messages for it. Both
//! security modes run through it (the malicious mode's machine is
//! `crate::malicious::MaliciousMachine`), so they share one framing, one loop and the
//! channel's one meter.
//!
//! The driver does every read and write of a session. It reads exactly what the
//! machine's [`Expect`] says (the hello's magic first, frames checked against their
//! maximum before anything is allocated, fixed sizes exactly), decodes with the
//! message type's checked decoder and hands the typed message to the machine. While
//! the machine waits for the peer's hello and OTs, the driver makes its slot plans
//! ([`Machine::planner`]) on another thread. It runs the table stream with a
//! [`ChannelSink`] (a writer thread, [`with_table_writer`], for sessions of at least
//! [`WRITER_THREAD_MIN_ANDS`] AND gates) or a [`ChannelSource`]. A machine never
//! waits without having flushed: the machines end every batch of sends with
//! [`Step::Flush`] before a [`Step::Recv`].

use mpc_net::frame::{recv_frame, send_frame};
use mpc_net::{Channel, NetError};

use crate::machine::{Machine, Planner, Step, TableDir, TableIo};
use crate::message::{Decode, Encode, Expect, Framing, MessageError};
use crate::session::Progress;
use crate::tables::{with_table_writer, ChannelSink, ChannelSource, WRITER_THREAD_MIN_ANDS};
use crate::SessionError;

/// A channel as the machines see it: typed messages in and out.
pub struct Wire<'c, C: ?Sized> {
    ch: &'c mut C,
    buf: Vec<u8>,
}

impl<C: ?Sized> std::fmt::Debug for Wire<'_, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Wire { .. }")
    }
}

impl<'c, C: Channel + ?Sized> Wire<'c, C> {
    /// The adapter over `ch`.
    pub fn new(ch: &'c mut C) -> Wire<'c, C> {
        Wire { ch, buf: Vec::new() }
    }

    /// Queues `msg` (its encoding, frame header included).
    pub fn send<M: Encode>(&mut self, msg: &M) -> Result<(), NetError> {
        if let Some(body) = msg.frame_body() {
            return send_frame(self.ch, &body);
        }
        self.buf.clear();
        msg.encode(&mut self.buf)?;
        self.ch.send(&self.buf)
    }

    /// Pushes what is queued.
    pub fn flush(&mut self) -> Result<(), NetError> {
        self.ch.flush()
    }

    /// Reads and decodes the message `expect` names.
    pub fn recv<M: Decode>(&mut self, expect: Expect) -> Result<M, SessionError> {
        let bytes = self.recv_bytes(expect)?;
        Ok(M::decode_vec(expect, bytes)?)
    }

    /// The bytes of the message `expect` names, delimited as its [`Framing`] says.
    pub fn recv_bytes(&mut self, expect: Expect) -> Result<Vec<u8>, SessionError> {
        Ok(match expect.framing() {
            Framing::Hello => mpc_net::hello::recv_raw(self.ch).map_err(MessageError::from)?.to_vec(),
            Framing::Frame { max } => recv_frame(self.ch, max).map_err(|e| match e {
                NetError::FrameTooLarge { len, max } => {
                    SessionError::from(MessageError::TooLong { what: expect.name(), len, max })
                }
                other => other.into(),
            })?,
            Framing::Exact(n) => {
                let mut buf = vec![0u8; n];
                self.ch.recv_exact(&mut buf)?;
                buf
            }
        })
    }

    /// The channel underneath (for the table stream).
    pub fn channel(&mut self) -> &mut C {
        self.ch
    }
}

/// Where [`until_tables`] stopped.
enum Reached<O> {
    Tables(TableDir),
    Done(O),
}

/// Runs the machine's steps until it asks for the table stream or is done.
fn until_tables<'p, C, M>(wire: &mut Wire<'_, C>, m: &mut M) -> Result<Reached<M::Output>, SessionError>
where
    C: Channel + ?Sized,
    M: Machine<'p>,
{
    loop {
        match m.next_step()? {
            Step::Send(msg) => wire.send(&msg)?,
            Step::Flush => wire.flush()?,
            Step::Recv(expect) => {
                let msg = wire.recv(expect)?;
                m.receive(msg)?;
            }
            Step::Tables(dir) => return Ok(Reached::Tables(dir)),
            Step::Done(out) => return Ok(Reached::Done(out)),
        }
    }
}

/// Runs `machine` to the end over `ch` (see the module docs); `progress`, if given,
/// follows the table stream.
pub fn drive<'p, C, M>(
    ch: &mut C,
    machine: &mut M,
    progress: Option<&Progress>,
) -> Result<M::Output, SessionError>
where
    C: Channel + ?Sized,
    M: Machine<'p>,
{
    let planner = machine.planner();
    let mut wire = Wire::new(ch);
    let (plans, reached) = overlapped(planner, || until_tables(&mut wire, machine));
    let dir = match reached? {
        Reached::Done(out) => return Ok(out),
        Reached::Tables(dir) => dir,
    };
    let ch = wire.channel();
    match dir {
        TableDir::Send { ands } if ands >= WRITER_THREAD_MIN_ANDS => {
            with_table_writer(&mut *ch, progress, |sink| machine.tables(TableIo::Sink(sink), plans))?
        }
        TableDir::Send { .. } => {
            machine.tables(TableIo::Sink(&mut ChannelSink { ch: &mut *ch, progress }), plans)?
        }
        TableDir::Recv => {
            machine.tables(TableIo::Source(&mut ChannelSource { ch: &mut *ch, progress }), plans)?
        }
    }
    match until_tables(&mut Wire::new(ch), machine)? {
        Reached::Done(out) => Ok(out),
        Reached::Tables(_) => Err(SessionError::Internal("a machine asked for a second table stream".into())),
    }
}

/// Runs `work` on this thread and the planner's work, when worth it, on another at
/// the same time (else after `work`); returns both results.
fn overlapped<T>(planner: Planner<'_>, work: impl FnOnce() -> T) -> (crate::machine::Plans, T) {
    if !planner.ahead() {
        let out = work();
        return (planner.make(), out);
    }
    std::thread::scope(|s| {
        let made = s.spawn(move || planner.make());
        let out = work();
        // Making a plan does not panic on a verified circuit; a panic is passed on.
        (made.join().unwrap_or_else(|p| std::panic::resume_unwind(p)), out)
    })
}
