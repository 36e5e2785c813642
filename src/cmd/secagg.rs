//! `mpc secagg`: secure aggregation over TCP (Bonawitz et al. 2017).
//!
//! `mpc secagg serve --listen ADDR --clients N --threshold T --dim D [--modulus-bits K |
//! --modulus M] (--tls-cert F --tls-key F --peer-cert F... | --insecure)` waits for N
//! clients, runs the protocol and prints the sum of the included clients' vectors, one
//! value per line (dropped clients are reported on stderr). `mpc secagg client
//! --connect ADDR --input FILE (--tls-cert F --tls-key F --peer-cert F | --insecure)`
//! sends the vector in FILE (whitespace-separated non-negative integers, as many as
//! the server's dimension) and prints the sum the server announces.
//!
//! Transport: TLS 1.3 with pinned certificates (`mpc_net::TlsChannel`), both ways.
//! A client pins the server's certificate (`--peer-cert`); the server pins one
//! certificate per client (`--peer-cert`, repeatable, N certificates in all, in
//! client-id order: the client presenting the i-th certificate is client i), refuses
//! any other certificate and a second connection with one already connected. Plain
//! TCP only with `--insecure`; with neither, the command refuses to run.
//! `--timeout` is the per-read timeout and also the deadline of each server round
//! and each client wait (`secagg::net::{ServeOptions, ClientOptions}`).
//!
//! `mpc secagg simulate` runs a whole
//! session in one process with chosen dropouts (`--drop ROUND:ID`, or
//! `--drop-percent P --drop-round R`) and prints the sum, or with `--stats`/`--json`
//! the per-party compute time (thread CPU time on Linux) and bytes.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context};
use mpc_native::secagg::{self, net, Config, Dropouts, Modulus};
use mpc_net::{Channel, NetError, TcpListenerChannel, TlsChannel, TlsIdentity};

use super::tls::{connect_peer, read_pem, TlsArgs};
use super::{noteln, outln};

/// Arguments of `mpc secagg`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Run the server.
    Serve(ServeArgs),
    /// Run one client.
    Client(ClientArgs),
    /// Run a server and N clients in one process with chosen dropouts.
    Simulate(SimArgs),
}

#[derive(Debug, clap::Args)]
struct Params {
    /// Number of clients.
    #[arg(long)]
    clients: u32,
    /// Clients needed to finish (2 <= T <= N); at most N - T may drop out.
    #[arg(long)]
    threshold: u32,
    /// Vector length.
    #[arg(long)]
    dim: u32,
    /// The modulus as a power of two, 2^K (default 2^32).
    #[arg(long, value_name = "K", conflicts_with = "modulus")]
    modulus_bits: Option<u32>,
    /// Any modulus 2 <= M <= 2^64.
    #[arg(long, value_name = "M")]
    modulus: Option<u128>,
}

impl Params {
    fn config(&self) -> anyhow::Result<Config> {
        let m = match (self.modulus_bits, self.modulus) {
            (_, Some(m)) => Modulus::new(m)?,
            (Some(k), None) => Modulus::power_of_two(k)?,
            (None, None) => Modulus::power_of_two(32)?,
        };
        Ok(Config::new(self.clients, self.threshold, self.dim, m)?)
    }
}

#[derive(Debug, clap::Args)]
struct ServeArgs {
    /// Address to listen on (host:port).
    #[arg(long, default_value = "127.0.0.1:7700")]
    listen: String,
    #[command(flatten)]
    params: Params,
    /// Seconds to wait for the clients to connect, for each read, and for each whole
    /// round (clients that have not answered by then are dropped).
    #[arg(long, default_value_t = 60)]
    timeout: u64,
    /// Our TLS certificate (PEM).
    #[arg(long, value_name = "FILE", requires_all = ["tls_key", "peer_cert"])]
    tls_cert: Option<PathBuf>,
    /// Our TLS private key (PEM).
    #[arg(long, value_name = "FILE", requires_all = ["tls_cert", "peer_cert"])]
    tls_key: Option<PathBuf>,
    /// The clients' certificates (PEM; repeatable, a file may hold several): one per
    /// client, the i-th is client i's. No other certificate is accepted.
    #[arg(long, value_name = "FILE", requires_all = ["tls_cert", "tls_key"])]
    peer_cert: Vec<PathBuf>,
    /// Plain TCP, unauthenticated and unencrypted (anyone on the path can read the
    /// shares' metadata and impersonate the server or a client).
    #[arg(long, conflicts_with_all = ["tls_cert", "tls_key", "peer_cert"])]
    insecure: bool,
}

#[derive(Debug, clap::Args)]
#[command(mut_arg("tls_cert", |a| a.help("Our TLS certificate (PEM), the one the server pins for us")))]
#[command(mut_arg("peer_cert", |a| a.help("The server's certificate (PEM): the only one accepted")))]
struct ClientArgs {
    /// The server's address (host:port).
    #[arg(long)]
    connect: String,
    /// The input vector: whitespace-separated non-negative integers.
    #[arg(long, value_name = "FILE")]
    input: PathBuf,
    /// Seconds to wait for the server at each step (longer than the server's
    /// --timeout, since a round may take that long).
    #[arg(long, default_value_t = 120)]
    timeout: u64,
    #[command(flatten)]
    tls: TlsArgs,
    /// Plain TCP, unauthenticated and unencrypted.
    #[arg(long, conflicts_with_all = ["tls_cert", "tls_key", "peer_cert"])]
    insecure: bool,
}

#[derive(Debug, clap::Args)]
struct SimArgs {
    #[command(flatten)]
    params: Params,
    /// Clients that drop out, as ROUND:ID (round 0-3), repeatable or comma-separated.
    #[arg(long, value_delimiter = ',')]
    drop: Vec<String>,
    /// Also drop this percentage of the clients (the highest ids), in --drop-round.
    #[arg(long, value_name = "PERCENT", default_value_t = 0)]
    drop_percent: u32,
    /// The round in which the --drop-percent clients stop (0-3; 2 = after sharing
    /// keys, before sending the masked input).
    #[arg(long, value_name = "ROUND", default_value_t = 2)]
    drop_round: u8,
    /// Print the timing and traffic split on stderr (always included with --json).
    #[arg(long)]
    stats: bool,
    /// Print one JSON object (parameters, check of the sum, per-party compute time and
    /// bytes) instead of the sum.
    #[arg(long)]
    json: bool,
}

fn read_vector(path: &PathBuf) -> anyhow::Result<Vec<u64>> {
    let meta =
        std::fs::metadata(path).with_context(|| format!("cannot read the input {}", path.display()))?;
    if meta.len() > 32 * u64::from(secagg::MAX_DIM) {
        bail!("the input {} is too large", path.display());
    }
    let text = super::read_path_text(path, 32 * u64::from(secagg::MAX_DIM))
        .with_context(|| format!("cannot read the input {}", path.display()))?;
    text.split_whitespace()
        .enumerate()
        .map(|(i, w)| {
            // The message names the position, never the (secret) value.
            w.parse::<u64>().map_err(|_| {
                anyhow::anyhow!("value {} of {} is not an integer from 0 to 2^64 - 1", i + 1, path.display())
            })
        })
        .collect()
}

pub fn run(args: Args) -> anyhow::Result<()> {
    match args.command {
        Command::Serve(a) => serve(a),
        Command::Client(a) => client(a),
        Command::Simulate(a) => simulate(a),
    }
}

const NO_TRANSPORT: &str =
    "secagg needs TLS (--tls-cert, --tls-key and --peer-cert) or an explicit --insecure for plain TCP";

fn serve(a: ServeArgs) -> anyhow::Result<()> {
    let config = a.params.config()?;
    let timeout = super::timeout_secs(a.timeout)?;
    let tls = match (&a.tls_cert, &a.tls_key, a.insecure) {
        (Some(cert), Some(key), false) => {
            let pins = a.peer_cert.iter().map(|p| read_pem(p)).collect::<anyhow::Result<Vec<_>>>()?;
            let id =
                TlsIdentity::from_pem_pins(&read_pem(cert)?, &zeroize::Zeroizing::new(read_pem(key)?), &pins)
                    .context("cannot use the TLS files")?;
            if id.pin_count() != config.clients as usize {
                bail!(
                    "--peer-cert gives {} client certificates but there are {} clients: give one per client, in client-id order",
                    id.pin_count(),
                    config.clients
                );
            }
            Some(id)
        }
        (None, None, true) => None,
        _ => bail!("{NO_TRANSPORT}"),
    };
    let listener =
        TcpListenerChannel::bind(&a.listen).with_context(|| format!("cannot listen on {}", a.listen))?;
    let chans: Vec<Box<dyn Channel>> = match &tls {
        Some(id) => accept_tls(&listener, id, config.clients, timeout)?,
        None => {
            let mut chans: Vec<Box<dyn Channel>> = Vec::with_capacity(config.clients as usize);
            for i in 0..config.clients {
                let ch = listener
                    .accept(timeout)
                    .with_context(|| format!("only {i} of {} clients connected", config.clients))?;
                chans.push(Box::new(ch));
            }
            chans
        }
    };
    let opts = net::ServeOptions { round_deadline: timeout };
    let rep = net::serve(config, chans, &opts).context("secure aggregation failed")?;
    for (id, why) in &rep.dropped {
        noteln!("client {id} dropped out: {why}");
    }
    noteln!(
        "summed {} of {} clients; server sent {} bytes, received {} bytes",
        rep.included.len(),
        config.clients,
        rep.bytes_sent,
        rep.bytes_received
    );
    print_vector(&rep.sum)
}

/// Accepts one TLS connection per pinned client certificate, until all `clients` are
/// in or `timeout` has passed; client i is the one presenting the i-th certificate.
/// A connection with any other certificate, or a second one with a certificate
/// already connected, is refused (noted on stderr) and the server keeps waiting.
fn accept_tls(
    listener: &TcpListenerChannel,
    id: &TlsIdentity,
    clients: u32,
    timeout: Duration,
) -> anyhow::Result<Vec<Box<dyn Channel>>> {
    let deadline = std::time::Instant::now() + timeout;
    let mut slots: Vec<Option<TlsChannel>> = (0..clients).map(|_| None).collect();
    let mut connected = 0u32;
    while connected < clients {
        let waiting = || format!("only {connected} of {clients} clients connected");
        if std::time::Instant::now() >= deadline {
            bail!("{}", waiting());
        }
        let ch = match TlsChannel::accept(listener, id, timeout) {
            Ok(ch) => ch,
            Err(e @ NetError::Timeout(_)) => return Err(e).with_context(waiting),
            Err(e) => {
                noteln!("refused a connection: {e}");
                continue;
            }
        };
        // The verifier accepted the certificate, so it is one of the pins.
        let Some(i) = ch.peer_index(id) else { continue };
        match slots.get_mut(i) {
            Some(slot @ None) => {
                *slot = Some(ch);
                connected += 1;
            }
            _ => noteln!("refused a second connection with client {i}'s certificate"),
        }
    }
    Ok(slots.into_iter().flatten().map(|c| Box::new(c) as Box<dyn Channel>).collect())
}

fn client(a: ClientArgs) -> anyhow::Result<()> {
    let timeout = super::timeout_secs(a.timeout)?;
    // clap makes the TLS files all or none, and none of them with --insecure.
    let tls = a.tls.identity()?;
    if tls.is_none() && !a.insecure {
        bail!("{NO_TRANSPORT}");
    }
    let input = read_vector(&a.input)?;
    let mut ch = connect_peer(&a.connect, tls.as_ref(), timeout)?;
    let mut rng = rand::rngs::OsRng;
    let opts = net::ClientOptions { message_deadline: timeout };
    let rep = net::run_client(&mut ch, input, &mut rng, &opts).context("secure aggregation failed")?;
    noteln!("client {}: sent {} bytes, received {} bytes", rep.id, rep.bytes_sent, rep.bytes_received);
    print_vector(&rep.sum)
}

/// The most vector elements (clients x dimension) `simulate` holds: every client's
/// input and masked vector live in one process (the largest benchmarked run, 500
/// clients x 10^5, is half of it). Without it 10000 clients x 10^7 asked for terabytes.
const MAX_SIM_ELEMENTS: u64 = 100_000_000;

fn simulate(a: SimArgs) -> anyhow::Result<()> {
    let config = a.params.config()?;
    let elements = u64::from(config.clients) * u64::from(config.dim);
    if elements > MAX_SIM_ELEMENTS {
        bail!(
            "a simulation of {} clients x {} values holds {elements} values in memory; at most {MAX_SIM_ELEMENTS} are supported",
            config.clients,
            config.dim
        );
    }
    let mut drops = Dropouts::default();
    let mut add_drop = |r: &str, id: u32, what: &str| -> anyhow::Result<()> {
        match r {
            "0" => drops.round0.push(id),
            "1" => drops.round1.push(id),
            "2" => drops.round2.push(id),
            "3" => drops.round3.push(id),
            _ => bail!("`{what}`: the round must be 0, 1, 2 or 3"),
        }
        Ok(())
    };
    for d in &a.drop {
        let (r, id) = d.split_once(':').with_context(|| format!("`{d}` is not ROUND:ID"))?;
        let id: u32 = id.parse().with_context(|| format!("`{d}` is not ROUND:ID"))?;
        if id >= config.clients {
            bail!("`--drop {d}`: there is no client {id} (the client ids are 0 to {})", config.clients - 1);
        }
        add_drop(r, id, d)?;
    }
    if a.drop_round > 3 {
        bail!("--drop-round must be 0, 1, 2 or 3");
    }
    if a.drop_percent > 100 {
        bail!("--drop-percent must be at most 100");
    }
    let k = u64::from(config.clients) * u64::from(a.drop_percent) / 100;
    let k = k as u32; // <= clients
    for id in config.clients - k..config.clients {
        add_drop(&a.drop_round.to_string(), id, "--drop-round")?;
    }
    // Client i's input is the vector (i, i, ..., i) reduced mod m, so the expected
    // sum is easy to check by hand.
    let m = config.modulus.value();
    let inputs: Vec<Vec<u64>> =
        (0..config.clients).map(|i| vec![(u128::from(i) % m) as u64; config.dim as usize]).collect();
    let mut rng = rand::rngs::OsRng;
    let t0 = std::time::Instant::now();
    let rep = secagg::simulate(config, &inputs, &drops, &mut rng).context("secure aggregation failed")?;
    let wall = t0.elapsed();
    // The expected sum, computed in the clear from the inputs of the included clients.
    let want = rep.included.iter().fold(0u64, |acc, &i| config.modulus.add(acc, inputs[i as usize][0]));
    let sum_ok = rep.sum.iter().all(|&v| v == want);
    let stats = sim_stats(&config, &rep, wall, sum_ok);
    if a.json {
        outln!("{}", serde_json::to_string_pretty(&stats)?)?;
        if !sum_ok {
            bail!("the sum differs from the sum of the included inputs");
        }
        return Ok(());
    }
    if a.stats {
        noteln!("{}", sim_stats_text(&stats));
    } else if rep.included.len() <= 64 {
        noteln!("included clients: {:?}", rep.included);
    } else {
        noteln!("included {} of {} clients", rep.included.len(), config.clients);
    }
    print_vector(&rep.sum)
}

/// Mean, min and max of some values.
fn spread(v: &[f64]) -> serde_json::Value {
    let n = v.len().max(1) as f64;
    let mean = v.iter().sum::<f64>() / n;
    let min = v.iter().copied().fold(f64::INFINITY, f64::min);
    let max = v.iter().copied().fold(0.0, f64::max);
    serde_json::json!({ "mean": mean, "min": if v.is_empty() { 0.0 } else { min }, "max": max })
}

fn sim_stats(config: &Config, rep: &secagg::SimReport, wall: Duration, sum_ok: bool) -> serde_json::Value {
    let ms = |d: &Duration| d.as_secs_f64() * 1e3;
    let client_ms: Vec<f64> = rep.client_times.values().map(ms).collect();
    let sent: Vec<f64> = rep.client_bytes_sent.values().map(|&b| b as f64).collect();
    let recv: Vec<f64> = rep.client_bytes_received.values().map(|&b| b as f64).collect();
    serde_json::json!({
        "clients": config.clients,
        "threshold": config.threshold,
        "dim": config.dim,
        "modulus": config.modulus.value().to_string(),
        "included": rep.included.len(),
        "dropped": config.clients as usize - rep.included.len(),
        "sum_ok": sum_ok,
        "clock": match rep.clock {
            secagg::Clock::ThreadCpu => "thread_cpu",
            secagg::Clock::Wall => "wall",
        },
        "client_compute_ms": spread(&client_ms),
        "server_compute_ms": ms(&rep.server_time),
        "client_bytes_sent": spread(&sent),
        "client_bytes_received": spread(&recv),
        "server_bytes_sent": rep.server_bytes_sent,
        "server_bytes_received": sent.iter().sum::<f64>() as u64,
        "wall_ms": ms(&wall),
    })
}

fn sim_stats_text(s: &serde_json::Value) -> String {
    format!(
        "secagg n={} t={} d={} included={} sum_ok={} ({} clock)\n\
         client compute: mean {:.1} ms, min {:.1} ms, max {:.1} ms\n\
         server compute: {:.1} ms\n\
         client sent: mean {:.0} bytes, received: mean {:.0} bytes\n\
         server sent: {} bytes, received: {} bytes; whole run {:.1} s wall",
        s["clients"],
        s["threshold"],
        s["dim"],
        s["included"],
        s["sum_ok"],
        s["clock"].as_str().unwrap_or("?"),
        s["client_compute_ms"]["mean"].as_f64().unwrap_or(0.0),
        s["client_compute_ms"]["min"].as_f64().unwrap_or(0.0),
        s["client_compute_ms"]["max"].as_f64().unwrap_or(0.0),
        s["server_compute_ms"].as_f64().unwrap_or(0.0),
        s["client_bytes_sent"]["mean"].as_f64().unwrap_or(0.0),
        s["client_bytes_received"]["mean"].as_f64().unwrap_or(0.0),
        s["server_bytes_sent"],
        s["server_bytes_received"],
        s["wall_ms"].as_f64().unwrap_or(0.0) / 1e3,
    )
}

fn print_vector(v: &[u64]) -> anyhow::Result<()> {
    use std::io::Write;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let written = v.iter().try_for_each(|x| writeln!(out, "{x}")).and_then(|()| out.flush());
    written.context("could not write to stdout")
}
