//! Secure aggregation over [`mpc_net::Channel`]s: one server, one channel per client.
//!
//! Each connection opens with the toolkit's common hello ([`mpc_net::hello`]:
//! protocol `secagg`, version [`VERSION`]): the server speaks first with a random
//! 16-byte session id it chose for the whole session, each client answers with the
//! same id (a client that dialed something else, a PSI listener or an `mpc run`
//! party, is refused with one sentence naming both protocols). Each message is then
//! one length-prefixed frame of at most [`max_message_len`] bytes for
//! the session's parameters (never more than [`MAX_FRAME`]). The
//! server greets each client with its id and the parameters, then runs the rounds.
//! In each round it talks to every live client at once (one thread per client: send
//! the round's message, read the answer), and waits at most
//! [`ServeOptions::round_deadline`] for all of them; a client that has not answered
//! by then, whose channel fails, or who breaks the protocol, counts as dropped from
//! that round on (the reason is kept in the report), and its channel is closed
//! ([`Channel::closer`]) so a peer trickling bytes cannot hold the round open. A
//! per-read timeout alone bounds silence, not slowness: one client sending a byte
//! every 1.5 s against a 2 s timeout stalled the old, sequential server for 18.6 s.
//! The round's answers reach the sans-IO [`Server`] in client order, so the outcome
//! does not depend on timing except through who was dropped. At the end the
//! survivors receive the sum.
//!
//! The client bounds each wait for the server by
//! [`ClientOptions::message_deadline`] in the same way. Channels without a closer
//! (in memory) are bounded by their own timeout only.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use mpc_net::hello::{self as common, Protocol, Turn};
use mpc_net::{frame, run_with_deadline, Channel, Closer};
use rand_core::{CryptoRngCore, RngCore};

use super::crypto::{SHARE_CIPHERTEXT_LEN, SHARE_LEN};
use super::msg::Message;
use super::{Client, Config, SecaggError, Server};

/// The secagg protocol's version in the common hello (2: the common hello; every
/// message through [`mpc_net::codec`], little-endian).
pub const VERSION: u16 = 2;

/// The largest frame either side accepts.
pub const MAX_FRAME: usize = 128 << 20;

/// What the server saw.
#[derive(Clone, Debug)]
pub struct ServeReport {
    /// The sum of the included clients' inputs.
    pub sum: Vec<u64>,
    /// The clients whose inputs are in the sum.
    pub included: Vec<u32>,
    /// Clients dropped, with the reason.
    pub dropped: BTreeMap<u32, String>,
    /// Bytes sent and received by the server.
    pub bytes_sent: u64,
    /// Bytes received.
    pub bytes_received: u64,
}

/// What a client saw.
#[derive(Clone, Debug)]
pub struct ClientReport {
    /// The id the server assigned.
    pub id: u32,
    /// The sum the server announced.
    pub sum: Vec<u64>,
    /// Bytes sent.
    pub bytes_sent: u64,
    /// Bytes received.
    pub bytes_received: u64,
}

/// Deadlines of the server.
#[derive(Clone, Copy, Debug)]
pub struct ServeOptions {
    /// The longest a round may take: sending the round's message to every live
    /// client and reading every answer. Clients that have not answered by then are
    /// dropped.
    pub round_deadline: Duration,
}

impl Default for ServeOptions {
    fn default() -> ServeOptions {
        ServeOptions { round_deadline: Duration::from_secs(60) }
    }
}

/// Deadlines of a client.
#[derive(Clone, Copy, Debug)]
pub struct ClientOptions {
    /// The longest the client waits for any one message of the server (which may
    /// legitimately take a whole server round, so longer than the server's
    /// [`ServeOptions::round_deadline`]).
    pub message_deadline: Duration,
}

impl Default for ClientOptions {
    fn default() -> ClientOptions {
        ClientOptions { message_deadline: Duration::from_secs(120) }
    }
}

/// The longest encoding of any message of a session with `config` (either way): the
/// frame limit once the parameters are known, so a peer cannot make us buffer more
/// than a well-formed message of this session could need (the state machines then
/// check every length exactly).
pub fn max_message_len(config: &Config) -> usize {
    let n = config.clients as usize;
    let d = config.dim as usize;
    let head = 1 + 32 + 4; // tag, session, count
    let ciphertexts = head + n * (4 + 4 + SHARE_CIPHERTEXT_LEN);
    let keys = 1 + 4 + n * (4 + 32 + 32);
    let unmask = head + n * (4 + 1 + 4 + SHARE_LEN);
    let survivors = head + 4 * n;
    let vector = head + 1 + 8 * d;
    [ciphertexts, keys, unmask, survivors, vector, WELCOME_LEN]
        .into_iter()
        .max()
        .unwrap_or(MAX_FRAME)
        .min(MAX_FRAME)
}

/// The length of a `Welcome` (tag, three u32, the u128 modulus, the id).
const WELCOME_LEN: usize = 1 + 12 + 16 + 4;

fn send<C: Channel + ?Sized>(ch: &mut C, msg: &Message) -> Result<(), SecaggError> {
    frame::send_frame(ch, &msg.encode())?;
    ch.flush()?;
    Ok(())
}

fn recv<C: Channel + ?Sized>(ch: &mut C, max: usize) -> Result<Message, SecaggError> {
    Message::decode(&frame::recv_frame(ch, max)?)
}

/// The instant `d` from now, or (for a `d` too large to represent) a day from now.
fn deadline_after(d: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(d).unwrap_or_else(|| now + Duration::from_secs(86_400))
}

/// To every live client at once (one thread each), sends `out(id)` (if any) and, if
/// `answer`, reads one message, all within `deadline`; returns per client the
/// message (or `None` without `answer`) or the error, and nothing for clients that
/// missed the deadline, whose channels are closed so their threads end at once.
fn exchange<C: Channel>(
    chans: &mut [C],
    live: &[u32],
    greet: Option<&common::Hello>,
    out: &dyn Fn(u32) -> Option<Message>,
    answer: bool,
    max: usize,
    deadline: Instant,
) -> BTreeMap<u32, Result<Option<Message>, SecaggError>> {
    let live: BTreeSet<u32> = live.iter().copied().collect();
    let mut answers = BTreeMap::new();
    std::thread::scope(|s| {
        let (tx, rx) = mpsc::channel::<(u32, Result<Option<Message>, SecaggError>)>();
        let mut closers: BTreeMap<u32, Option<Closer>> = BTreeMap::new();
        let mut waiting = 0usize;
        for (id, ch) in chans.iter_mut().enumerate() {
            let id = id as u32; // chans.len() == clients <= MAX_CLIENTS
            if !live.contains(&id) {
                continue;
            }
            closers.insert(id, ch.closer());
            let tx = tx.clone();
            let msg = out(id);
            let work = move || {
                // With a greeting, the common hello goes first and the client's echo
                // is checked before its answer is read.
                let greeted = greet.map_or(Ok(()), |h| common::exchange(ch, h, Turn::First).map(|_| ()));
                let sent = greeted
                    .map_err(SecaggError::from)
                    .and_then(|()| msg.as_ref().map_or(Ok(()), |m| send(ch, m)));
                let res = sent.and_then(|()| if answer { recv(ch, max).map(Some) } else { Ok(None) });
                // The round may be over; then nobody listens any more.
                let _ = tx.send((id, res));
            };
            // Small stacks: a round may run thousands of these threads; decoding
            // allocates on the heap.
            match std::thread::Builder::new().stack_size(256 << 10).spawn_scoped(s, work) {
                Ok(_) => waiting += 1,
                Err(e) => {
                    answers.insert(id, Err(SecaggError::Protocol(format!("no thread for the client: {e}"))));
                }
            }
        }
        drop(tx);
        while waiting > 0 {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok((id, res)) => {
                    answers.insert(id, res);
                    waiting -= 1;
                }
                Err(_) => break, // the deadline passed (or every thread ended)
            }
        }
        // Close the stragglers, so their threads end now and the scope can join
        // (a channel without a closer ends at its own timeout).
        for (id, closer) in &closers {
            if !answers.contains_key(id) {
                if let Some(c) = closer {
                    c.close();
                }
            }
        }
    });
    answers
}

/// One round: [`exchange`] within `opts.round_deadline`, then the answers go to the
/// server in client order. Failures, protocol breaches and late clients are dropped.
fn round<C: Channel>(
    greet: Option<&common::Hello>,
    server: &mut Server,
    live: &mut Vec<u32>,
    dropped: &mut BTreeMap<u32, String>,
    chans: &mut [C],
    out: &dyn Fn(u32) -> Option<Message>,
    opts: &ServeOptions,
) {
    let deadline = deadline_after(opts.round_deadline);
    let max = max_message_len(&server.config());
    let mut answers = exchange(chans, live, greet, out, true, max, deadline);
    for &id in live.iter() {
        match answers.remove(&id) {
            Some(Ok(Some(m))) => {
                if let Err(e) = server.receive(id, m) {
                    dropped.insert(id, e.to_string());
                }
            }
            Some(Ok(None)) => {
                dropped.insert(id, "no answer".to_string()); // not reached: `answer` is true
            }
            Some(Err(e)) => {
                dropped.insert(id, e.to_string());
            }
            None => {
                dropped.insert(id, SecaggError::Deadline(opts.round_deadline).to_string());
            }
        }
    }
    live.retain(|id| !dropped.contains_key(id));
}

/// Runs the server over one channel per client (client i gets id i).
pub fn serve<C: Channel>(
    config: Config,
    mut channels: Vec<C>,
    opts: &ServeOptions,
) -> Result<ServeReport, SecaggError> {
    if channels.len() != config.clients as usize {
        return Err(SecaggError::InvalidParameter("one channel per client is needed".into()));
    }
    let mut server = Server::new(config);
    let mut dropped: BTreeMap<u32, String> = BTreeMap::new();
    let mut live: Vec<u32> = (0..config.clients).collect();

    let mut session = [0u8; 16];
    rand_core::OsRng.try_fill_bytes(&mut session).map_err(|e| {
        SecaggError::InvalidParameter(format!("the operating system's random generator failed: {e}"))
    })?;
    let hello = common::Hello { protocol: Protocol::Secagg, version: VERSION, session };

    let chans = &mut channels;
    round(
        Some(&hello),
        &mut server,
        &mut live,
        &mut dropped,
        chans,
        &|id| Some(Message::Welcome { config, id }),
        opts,
    );
    let keys = server.finish_keys()?;
    round(None, &mut server, &mut live, &mut dropped, chans, &|_| Some(keys.clone()), opts);
    let boxes = server.finish_shares()?;
    round(None, &mut server, &mut live, &mut dropped, chans, &|id| boxes.get(&id).cloned(), opts);
    let survivors = server.finish_masked()?;
    let included = server.survivors();
    live.retain(|id| included.contains(id));
    round(None, &mut server, &mut live, &mut dropped, chans, &|_| Some(survivors.clone()), opts);
    let sum = server.finish()?;
    let done = Message::Sum { session: server.session(), values: sum.clone() };
    let deadline = deadline_after(opts.round_deadline);
    let mut sent = exchange(&mut channels, &live, None, &|_| Some(done.clone()), false, 0, deadline);
    for &id in &live {
        match sent.remove(&id) {
            Some(Ok(_)) => {}
            Some(Err(e)) => {
                dropped.insert(id, e.to_string());
            }
            None => {
                dropped.insert(id, SecaggError::Deadline(opts.round_deadline).to_string());
            }
        }
    }
    let (bytes_sent, bytes_received) =
        channels.iter().fold((0, 0), |(s, r), c| (s + c.bytes_sent(), r + c.bytes_received()));
    Ok(ServeReport { sum, included, dropped, bytes_sent, bytes_received })
}

/// Reads the server's next message within the client's message deadline.
fn recv_within<C: Channel + ?Sized>(
    ch: &mut C,
    max: usize,
    opts: &ClientOptions,
) -> Result<Message, SecaggError> {
    let closer = ch.closer();
    match run_with_deadline(closer, opts.message_deadline, || recv(ch, max)) {
        (_, true) => Err(SecaggError::Deadline(opts.message_deadline)),
        (res, false) => res,
    }
}

/// Runs one client: `input` must have the dimension the server announces.
pub fn run_client<C: Channel + ?Sized>(
    ch: &mut C,
    input: Vec<u64>,
    rng: &mut impl CryptoRngCore,
    opts: &ClientOptions,
) -> Result<ClientReport, SecaggError> {
    let mut own = [0u8; 16];
    rng.fill_bytes(&mut own);
    let hello = common::Hello { protocol: Protocol::Secagg, version: VERSION, session: own };
    let closer = ch.closer();
    match run_with_deadline(closer, opts.message_deadline, || common::exchange(ch, &hello, Turn::Second)) {
        (_, true) => return Err(SecaggError::Deadline(opts.message_deadline)),
        (res, false) => res?,
    };
    let (config, id) = match recv_within(ch, WELCOME_LEN, opts)? {
        Message::Welcome { config, id } => (config, id),
        other => return Err(SecaggError::Protocol(format!("the server sent {} first", other.name()))),
    };
    let (mut client, first) = Client::new(id, config, input, rng)?;
    let max = max_message_len(&config);
    send(ch, &first)?;
    loop {
        let msg = recv_within(ch, max, opts)?;
        if let Message::Sum { values, .. } = &msg {
            let values = values.clone();
            client.handle(msg, rng)?;
            return Ok(ClientReport {
                id,
                sum: values,
                bytes_sent: ch.bytes_sent(),
                bytes_received: ch.bytes_received(),
            });
        }
        if let Some(reply) = client.handle(msg, rng)? {
            send(ch, &reply)?;
        }
    }
}
