//! `mpc secagg`: secure aggregation over TCP (Bonawitz et al. 2017).
//!
//! `mpc secagg serve --listen ADDR --clients N --threshold T --dim D [--modulus-bits K |
//! --modulus M]` waits for N clients, runs the protocol and prints the sum of the
//! included clients' vectors, one value per line (dropped clients are reported on
//! stderr). `mpc secagg client --connect ADDR --input FILE` sends the vector in FILE
//! (whitespace-separated non-negative integers, as many as the server's dimension)
//! and prints the sum the server announces. `mpc secagg simulate` runs a whole
//! session in one process with chosen dropouts.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context};
use mpc_native::secagg::{self, net, Config, Dropouts, Modulus};
use mpc_net::{TcpChannel, TcpListenerChannel};

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
    /// Seconds to wait for each client to connect and at each step.
    #[arg(long, default_value_t = 60)]
    timeout: u64,
}

#[derive(Debug, clap::Args)]
struct ClientArgs {
    /// The server's address (host:port).
    #[arg(long)]
    connect: String,
    /// The input vector: whitespace-separated non-negative integers.
    #[arg(long, value_name = "FILE")]
    input: PathBuf,
    /// Seconds to wait for the server at each step.
    #[arg(long, default_value_t = 120)]
    timeout: u64,
}

#[derive(Debug, clap::Args)]
struct SimArgs {
    #[command(flatten)]
    params: Params,
    /// Clients that drop out, as ROUND:ID (round 0-3), repeatable or comma-separated.
    #[arg(long, value_delimiter = ',')]
    drop: Vec<String>,
}

fn read_vector(path: &PathBuf) -> anyhow::Result<Vec<u64>> {
    let meta =
        std::fs::metadata(path).with_context(|| format!("cannot read the input {}", path.display()))?;
    if meta.len() > 32 * u64::from(secagg::MAX_DIM) {
        bail!("the input {} is too large", path.display());
    }
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read the input {}", path.display()))?;
    text.split_whitespace()
        .enumerate()
        .map(|(i, w)| {
            w.parse::<u64>().with_context(|| {
                format!("value {} of {} (`{w}`) is not a non-negative integer", i + 1, path.display())
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

fn serve(a: ServeArgs) -> anyhow::Result<()> {
    let config = a.params.config()?;
    let timeout = Duration::from_secs(a.timeout.max(1));
    let listener =
        TcpListenerChannel::bind(&a.listen).with_context(|| format!("cannot listen on {}", a.listen))?;
    let mut chans = Vec::with_capacity(config.clients as usize);
    for i in 0..config.clients {
        let ch = listener
            .accept(timeout)
            .with_context(|| format!("only {i} of {} clients connected", config.clients))?;
        chans.push(ch);
    }
    let rep = net::serve(config, chans).context("secure aggregation failed")?;
    for (id, why) in &rep.dropped {
        eprintln!("client {id} dropped out: {why}");
    }
    eprintln!(
        "summed {} of {} clients; server sent {} bytes, received {} bytes",
        rep.included.len(),
        config.clients,
        rep.bytes_sent,
        rep.bytes_received
    );
    print_vector(&rep.sum)
}

fn client(a: ClientArgs) -> anyhow::Result<()> {
    let input = read_vector(&a.input)?;
    let mut ch = TcpChannel::connect(&a.connect, Duration::from_secs(a.timeout.max(1)))?;
    let mut rng = rand::rngs::OsRng;
    let rep = net::run_client(&mut ch, input, &mut rng).context("secure aggregation failed")?;
    eprintln!("client {}: sent {} bytes, received {} bytes", rep.id, rep.bytes_sent, rep.bytes_received);
    print_vector(&rep.sum)
}

fn simulate(a: SimArgs) -> anyhow::Result<()> {
    let config = a.params.config()?;
    let mut drops = Dropouts::default();
    for d in &a.drop {
        let (r, id) = d.split_once(':').with_context(|| format!("`{d}` is not ROUND:ID"))?;
        let id: u32 = id.parse().with_context(|| format!("`{d}` is not ROUND:ID"))?;
        match r {
            "0" => drops.round0.push(id),
            "1" => drops.round1.push(id),
            "2" => drops.round2.push(id),
            "3" => drops.round3.push(id),
            _ => bail!("`{d}`: the round must be 0, 1, 2 or 3"),
        }
    }
    // Client i's input is the vector (i, i, ..., i) reduced mod m, so the expected
    // sum is easy to check by hand.
    let m = config.modulus.value();
    let inputs: Vec<Vec<u64>> =
        (0..config.clients).map(|i| vec![(u128::from(i) % m) as u64; config.dim as usize]).collect();
    let mut rng = rand::rngs::OsRng;
    let rep = secagg::simulate(config, &inputs, &drops, &mut rng).context("secure aggregation failed")?;
    eprintln!("included clients: {:?}", rep.included);
    print_vector(&rep.sum)
}

fn print_vector(v: &[u64]) -> anyhow::Result<()> {
    use std::io::Write;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for x in v {
        writeln!(out, "{x}")?;
    }
    out.flush()?;
    Ok(())
}
