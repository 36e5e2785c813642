//! n clients and a server in one process, with chosen dropouts.
//!
//! Every message is encoded and decoded as it would be on the wire, so the byte
//! counts are real and the decoders are exercised. A client listed in
//! [`Dropouts`] for round r sends nothing from round r on. The report keeps the
//! masked vectors the server received, so tests can check they differ from the
//! inputs.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

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
    /// Computation time of all clients together (encoding excluded).
    pub client_time: Duration,
    /// Computation time of the server.
    pub server_time: Duration,
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
    let mut server_sent = 0u64;
    let (mut ct, mut st) = (Duration::ZERO, Duration::ZERO);
    macro_rules! timed {
        ($acc:ident, $e:expr) => {{
            let t0 = Instant::now();
            let r = $e;
            $acc += t0.elapsed();
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
        let (client, msg) = timed!(ct, Client::new(id, config, input.clone(), rng))?;
        if gone(0, id) {
            continue;
        }
        let (msg, n) = wire(&msg)?;
        *sent.entry(id).or_default() += n;
        timed!(st, server.receive(id, msg))?;
        clients.insert(id, client);
    }
    let key_list = timed!(st, server.finish_keys())?;

    // Round 1.
    let mut replies = Vec::new();
    for (&id, client) in clients.iter_mut() {
        let (msg, n) = wire(&key_list)?;
        server_sent += n;
        let reply = timed!(ct, client.handle(msg, rng))?.ok_or(SecaggError::Protocol("no reply".into()))?;
        if !gone(1, id) {
            replies.push((id, reply));
        }
    }
    for (id, reply) in replies {
        let (msg, n) = wire(&reply)?;
        *sent.entry(id).or_default() += n;
        timed!(st, server.receive(id, msg))?;
    }
    let boxes = timed!(st, server.finish_shares())?;

    // Round 2.
    let mut masked_inputs = BTreeMap::new();
    for (id, msg) in boxes {
        if gone(1, id) {
            continue;
        }
        let (msg, n) = wire(&msg)?;
        server_sent += n;
        let client = clients.get_mut(&id).ok_or(SecaggError::Protocol("unknown client".into()))?;
        let reply = timed!(ct, client.handle(msg, rng))?.ok_or(SecaggError::Protocol("no reply".into()))?;
        if gone(2, id) {
            continue;
        }
        let (msg, n) = wire(&reply)?;
        *sent.entry(id).or_default() += n;
        if let Message::MaskedInput { values, .. } = &msg {
            masked_inputs.insert(id, values.clone());
        }
        timed!(st, server.receive(id, msg))?;
    }
    let survivors = timed!(st, server.finish_masked())?;
    let included: BTreeSet<u32> = server.survivors().into_iter().collect();

    // Round 3.
    for &id in &included {
        let (msg, n) = wire(&survivors)?;
        server_sent += n;
        let client = clients.get_mut(&id).ok_or(SecaggError::Protocol("unknown client".into()))?;
        let reply = timed!(ct, client.handle(msg, rng))?.ok_or(SecaggError::Protocol("no reply".into()))?;
        if gone(3, id) {
            continue;
        }
        let (msg, n) = wire(&reply)?;
        *sent.entry(id).or_default() += n;
        timed!(st, server.receive(id, msg))?;
    }
    let sum = timed!(st, server.finish())?;
    Ok(SimReport {
        sum,
        included: included.into_iter().collect(),
        masked_inputs,
        client_bytes_sent: sent,
        server_bytes_sent: server_sent,
        client_time: ct,
        server_time: st,
    })
}
