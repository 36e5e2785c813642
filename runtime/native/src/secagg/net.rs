//! Secure aggregation over [`mpc_net::Channel`]s: one server, one channel per client.
//!
//! Each message is one length-prefixed frame (at most [`MAX_FRAME`] bytes). The
//! server greets each client with its id and the parameters, then runs the rounds,
//! sending to every live client and then reading from each in turn; a client whose
//! channel fails or times out, or who breaks the protocol, counts as dropped from
//! that round on (the reason is kept in the report). At the end the survivors
//! receive the sum.

use std::collections::BTreeMap;

use mpc_net::{frame, Channel};
use rand_core::CryptoRngCore;

use super::msg::Message;
use super::{Client, Config, SecaggError, Server};

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

fn send<C: Channel + ?Sized>(ch: &mut C, msg: &Message) -> Result<(), SecaggError> {
    frame::send_frame(ch, &msg.encode())?;
    ch.flush()?;
    Ok(())
}

fn recv<C: Channel + ?Sized>(ch: &mut C) -> Result<Message, SecaggError> {
    Message::decode(&frame::recv_frame(ch, MAX_FRAME)?)
}

/// Sends `out(id)` to every live client, then reads and hands one answer from each
/// to the server; failures drop the client.
fn round<C: Channel>(
    server: &mut Server,
    live: &mut Vec<u32>,
    dropped: &mut BTreeMap<u32, String>,
    chans: &mut [C],
    out: &dyn Fn(u32) -> Option<Message>,
) {
    for &id in live.iter() {
        if let Some(msg) = out(id) {
            if let Err(e) = send(&mut chans[id as usize], &msg) {
                dropped.insert(id, e.to_string());
            }
        }
    }
    live.retain(|id| !dropped.contains_key(id));
    for &id in live.iter() {
        let res = recv(&mut chans[id as usize]).and_then(|m| server.receive(id, m));
        if let Err(e) = res {
            dropped.insert(id, e.to_string());
        }
    }
    live.retain(|id| !dropped.contains_key(id));
}

/// Runs the server over one channel per client (client i gets id i).
pub fn serve<C: Channel>(config: Config, mut channels: Vec<C>) -> Result<ServeReport, SecaggError> {
    if channels.len() != config.clients as usize {
        return Err(SecaggError::InvalidParameter("one channel per client is needed".into()));
    }
    let mut server = Server::new(config);
    let mut dropped: BTreeMap<u32, String> = BTreeMap::new();
    let mut live: Vec<u32> = (0..config.clients).collect();

    round(&mut server, &mut live, &mut dropped, &mut channels, &|id| Some(Message::Welcome { config, id }));
    let keys = server.finish_keys()?;
    round(&mut server, &mut live, &mut dropped, &mut channels, &|_| Some(keys.clone()));
    let boxes = server.finish_shares()?;
    round(&mut server, &mut live, &mut dropped, &mut channels, &|id| boxes.get(&id).cloned());
    let survivors = server.finish_masked()?;
    let included = server.survivors();
    live.retain(|id| included.contains(id));
    round(&mut server, &mut live, &mut dropped, &mut channels, &|_| Some(survivors.clone()));
    let sum = server.finish()?;
    let done = Message::Sum { session: server.session(), values: sum.clone() };
    for &id in &live {
        if let Err(e) = send(&mut channels[id as usize], &done) {
            dropped.insert(id, e.to_string());
        }
    }
    let (bytes_sent, bytes_received) =
        channels.iter().fold((0, 0), |(s, r), c| (s + c.bytes_sent(), r + c.bytes_received()));
    Ok(ServeReport { sum, included, dropped, bytes_sent, bytes_received })
}

/// Runs one client: `input` must have the dimension the server announces.
pub fn run_client<C: Channel + ?Sized>(
    ch: &mut C,
    input: Vec<u64>,
    rng: &mut impl CryptoRngCore,
) -> Result<ClientReport, SecaggError> {
    let (config, id) = match recv(ch)? {
        Message::Welcome { config, id } => (config, id),
        other => return Err(SecaggError::Protocol(format!("the server sent {} first", other.name()))),
    };
    let (mut client, first) = Client::new(id, config, input, rng)?;
    send(ch, &first)?;
    loop {
        let msg = recv(ch)?;
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
