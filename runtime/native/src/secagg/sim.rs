//! n clients and a server in one process, with chosen dropouts.
//!
//! Every message is encoded and decoded as it would be on the wire, so the byte
//! counts are real and the decoders are exercised. A client listed in
//! [`Dropouts`] for round r sends nothing from round r on. The report keeps the
//! masked vectors the server received, so tests can check they differ from the
//! inputs. Compute time is kept per client and for the server, on the thread's CPU
//! clock where Linux provides one (so the split is meaningful on a loaded machine),
//! excluding the encoding and decoding of messages.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use mpc_crypto::thread_cpu_ns;
use rand_core::CryptoRngCore;

use super::msg::Message;
use super::{Client, Config, SecaggError, Server};

/// Which clients stop answering in which round (0: never advertise keys; 1: never
/// send shares; 2: never send a masked input; 3: never send unmasking shares).
#[derive(Clone, Debug, Default)]
pub struct Dropouts {
    /// Drop before round 0.
    pub round0: Vec<u32>,
    /// Drop before round 1.
    pub round1: Vec<u32>,
    /// Drop before round 2.
    pub round2: Vec<u32>,
    /// Drop before round 3.
    pub round3: Vec<u32>,
}

/// What a simulated session produced.
#[derive(Clone, Debug)]
pub struct SimReport {
    /// The sum of the inputs of the clients in `included`, mod m.
    pub sum: Vec<u64>,
    /// The clients whose inputs are in the sum.
    pub included: Vec<u32>,
    /// The masked vectors the server received, by client.
    pub masked_inputs: BTreeMap<u32, Vec<u64>>,
    /// Bytes sent by each client (that took part) over all rounds.
    pub client_bytes_sent: BTreeMap<u32, u64>,
    /// Bytes the server sent (all clients together).
    pub server_bytes_sent: u64,
    /// Bytes each client (that took part) received over all rounds.
    pub client_bytes_received: BTreeMap<u32, u64>,
    /// Computation time of all clients together (encoding excluded).
    pub client_time: Duration,
    /// Computation time of each client that took part, over all its rounds.
    pub client_times: BTreeMap<u32, Duration>,
    /// Computation time of the server.
    pub server_time: Duration,
    /// How the times were measured.
    pub clock: Clock,
}

/// The clock behind the times of a [`SimReport`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Clock {
    /// CPU time of the simulating thread (Linux `/proc/thread-self/schedstat`):
    /// unaffected by other processes on a loaded machine.
    ThreadCpu,
    /// Wall-clock time (where no per-thread CPU clock could be read).
    Wall,
}

/// A reading of the clock chosen once per simulation.
#[derive(Clone, Copy)]
enum Stamp {
    Cpu(u64),
    Wall(Instant),
}

impl Clock {
    fn detect() -> Clock {
        match thread_cpu_ns() {
            Some(_) => Clock::ThreadCpu,
            None => Clock::Wall,
        }
    }

    fn now(self) -> Stamp {
        match self {
            Clock::ThreadCpu => thread_cpu_ns().map_or_else(|| Stamp::Wall(Instant::now()), Stamp::Cpu),
            Clock::Wall => Stamp::Wall(Instant::now()),
        }
    }

    fn since(self, start: Stamp) -> Duration {
        match (start, self.now()) {
            (Stamp::Cpu(a), Stamp::Cpu(b)) => Duration::from_nanos(b.saturating_sub(a)),
            (Stamp::Wall(a), _) => a.elapsed(),
            // The clock vanished mid-run: count nothing rather than guess.
            (Stamp::Cpu(_), Stamp::Wall(_)) => Duration::ZERO,
        }
    }
}

/// Runs a whole session: `inputs[i]` is client i's vector.
pub fn simulate(
    config: Config,
    inputs: &[Vec<u64>],
    dropouts: &Dropouts,
    rng: &mut impl CryptoRngCore,
) -> Result<SimReport, SecaggError> {
    if inputs.len() != config.clients as usize {
        return Err(SecaggError::InvalidParameter("one input per client is needed".into()));
    }
    let gone = |r: usize, id: u32| {
        [&dropouts.round0, &dropouts.round1, &dropouts.round2, &dropouts.round3][..=r]
            .iter()
            .any(|l| l.contains(&id))
    };
    let mut server = Server::new(config);
    let mut clients: BTreeMap<u32, Client> = BTreeMap::new();
    let mut sent: BTreeMap<u32, u64> = BTreeMap::new();
    let mut received: BTreeMap<u32, u64> = BTreeMap::new();
    let mut server_sent = 0u64;
    let clock = Clock::detect();
    let mut client_times: BTreeMap<u32, Duration> = BTreeMap::new();
    let mut st = Duration::ZERO;
    macro_rules! timed {
        (server, $e:expr) => {{
            let t0 = clock.now();
            let r = $e;
            st += clock.since(t0);
            r
        }};
        (client $id:expr, $e:expr) => {{
            let t0 = clock.now();
            let r = $e;
            *client_times.entry($id).or_default() += clock.since(t0);
            r
        }};
    }
    let wire = |m: &Message| -> Result<(Message, u64), SecaggError> {
        let bytes = m.encode();
        Ok((Message::decode(&bytes)?, bytes.len() as u64))
    };

    // Round 0.
    for (id, input) in inputs.iter().enumerate() {
        let id = id as u32; // < config.clients <= MAX_CLIENTS
        let input = input.clone();
        let (client, msg) = timed!(client id, Client::new(id, config, input, rng))?;
        if gone(0, id) {
            continue;
        }
        let (msg, n) = wire(&msg)?;
        *sent.entry(id).or_default() += n;
        timed!(server, server.receive(id, msg))?;
        clients.insert(id, client);
    }
    let key_list = timed!(server, server.finish_keys())?;

    // Round 1.
    let mut replies = Vec::new();
    for (&id, client) in clients.iter_mut() {
        let (msg, n) = wire(&key_list)?;
        server_sent += n;
        *received.entry(id).or_default() += n;
        let reply =
            timed!(client id, client.handle(msg, rng))?.ok_or(SecaggError::Protocol("no reply".into()))?;
        if !gone(1, id) {
            replies.push((id, reply));
        }
    }
    for (id, reply) in replies {
        let (msg, n) = wire(&reply)?;
        *sent.entry(id).or_default() += n;
        timed!(server, server.receive(id, msg))?;
    }
    let boxes = timed!(server, server.finish_shares())?;

    // Round 2.
    let mut masked_inputs = BTreeMap::new();
    for (id, msg) in boxes {
        if gone(1, id) {
            continue;
        }
        let (msg, n) = wire(&msg)?;
        server_sent += n;
        *received.entry(id).or_default() += n;
        let client = clients.get_mut(&id).ok_or(SecaggError::Protocol("unknown client".into()))?;
        let reply =
            timed!(client id, client.handle(msg, rng))?.ok_or(SecaggError::Protocol("no reply".into()))?;
        if gone(2, id) {
            continue;
        }
        let (msg, n) = wire(&reply)?;
        *sent.entry(id).or_default() += n;
        if let Message::MaskedInput { values, .. } = &msg {
            masked_inputs.insert(id, values.clone());
        }
        timed!(server, server.receive(id, msg))?;
    }
    let survivors = timed!(server, server.finish_masked())?;
    let included: BTreeSet<u32> = server.survivors().into_iter().collect();

    // Round 3.
    for &id in &included {
        let (msg, n) = wire(&survivors)?;
        server_sent += n;
        *received.entry(id).or_default() += n;
        let client = clients.get_mut(&id).ok_or(SecaggError::Protocol("unknown client".into()))?;
        let reply =
            timed!(client id, client.handle(msg, rng))?.ok_or(SecaggError::Protocol("no reply".into()))?;
        if gone(3, id) {
            continue;
        }
        let (msg, n) = wire(&reply)?;
        *sent.entry(id).or_default() += n;
        timed!(server, server.receive(id, msg))?;
    }
    let sum = timed!(server, server.finish())?;
    Ok(SimReport {
        sum,
        included: included.into_iter().collect(),
        masked_inputs,
        client_bytes_sent: sent,
        server_bytes_sent: server_sent,
        client_bytes_received: received,
        client_time: client_times.values().sum(),
        client_times,
        server_time: st,
        clock,
    })
}
