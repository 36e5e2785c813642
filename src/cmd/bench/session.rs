//! The two-party measurements of `mpc bench`: whole sessions, base OTs and OT
//! extension between two threads of this process over loopback TCP, wall-clock time
//! (both parties run at once, one per core on a two-core machine), medians of several
//! runs. Every session's result is checked against a plain computation.
//!
//! - `pipeline_and_per_s`: [`LAYERED`], a layered program of 9,766 layers of 1,024 AND
//!   (10,000,384 AND), from the evaluator's connect to both parties' outputs; its
//!   1,024 evaluator input bits go over SoftSpoken (k = 3).
//! - `base_ot_ms`: 128 Chou-Orlandi base OTs over an open connection, from the sender's
//!   first message to the later of the two parties' keys (both parties' compute and
//!   one round trip).
//! - `aes128_session_ms`: one AES-128 session (Bristol circuit, level-scheduled), from
//!   connect to outputs: hello, base OTs, IKNP (128 evaluator OTs), tables, outputs.
//! - `aes128_amortized_us`, `sha256_amortized_us`: 100 instances in one session (one
//!   setup, the evaluator's OTs over SoftSpoken k = 3: 12,800 and more), the session's
//!   time divided by 100. (The session picks the extension,
//!   `mpc_runtime::ot_extension::ot_extension_for`.)
//! - `cot_per_s`: IKNP correlated OTs streamed in batches of 2^16 (setup not timed).
//! - `bytes_per_and`: table bytes per AND gate of the garbling scheme (measured by
//!   garbling into a counting sink).

use std::time::{Duration, Instant};

use anyhow::{ensure, Context};
use mpc_circuits::{Circuit, Program};
use mpc_crypto::Delta;
use mpc_net::frame::{recv_frame, send_frame};
use mpc_net::{Channel, TcpChannel, TcpListenerChannel};
use mpc_ot::{base, cot};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha12Rng;

const TIMEOUT: Duration = Duration::from_secs(60);

/// Layers of [`LAYERED`] (each 1,024 AND gates).
pub const LAYERS: usize = 9766;

/// The `pipeline_and_per_s` workload: `LAYERS` layers of 1,024 AND gates, each output
/// bit of a layer the AND of two neighbouring words' bits, XORed with bob's input.
pub const LAYERED: &str = "party alice;
party bob;
fn main(a: [u32; 32] @alice, b: [u32; 32] @bob) -> (s: [u32; 32]) {
    let mut x = a;
    for r in 0..9766 {
        let mut y = x;
        for i in 0..32 {
            y[i] = (x[i] & x[(i + 1) % 32]) ^ b[i];
        }
        x = y;
    }
    (x,)
}
";

/// The plain result of [`LAYERED`].
fn layered_plain(a: &[u32; 32], b: &[u32; 32]) -> [u32; 32] {
    let mut x = *a;
    for _ in 0..LAYERS {
        let mut y = x;
        for i in 0..32 {
            y[i] = (x[i] & x[(i + 1) % 32]) ^ b[i];
        }
        x = y;
    }
    x
}

fn u32_bits(v: &[u32]) -> Vec<bool> {
    v.iter().flat_map(|x| (0..32).map(move |i| x >> i & 1 == 1)).collect()
}

/// The median of `runs` timings of `f`.
pub fn median(runs: usize, mut f: impl FnMut() -> anyhow::Result<Duration>) -> anyhow::Result<Duration> {
    let mut t = (0..runs.max(1)).map(|_| f()).collect::<anyhow::Result<Vec<_>>>()?;
    t.sort();
    Ok(t[t.len() / 2])
}

/// Runs `garbler` on an accepted loopback connection and `evaluator` on the connecting
/// end, on two threads; returns both results and the time from before the connect to
/// the later of the two ends.
pub(super) fn over_tcp<G, E>(
    garbler: impl FnOnce(&mut TcpChannel) -> anyhow::Result<G> + Send,
    evaluator: impl FnOnce(&mut TcpChannel) -> anyhow::Result<E>,
) -> anyhow::Result<(G, E, Duration)>
where
    G: Send,
{
    let listener = TcpListenerChannel::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?.to_string();
    std::thread::scope(|s| {
        let start = Instant::now();
        let g = s.spawn(move || -> anyhow::Result<(G, Instant)> {
            let mut ch = listener.accept(TIMEOUT)?;
            let out = garbler(&mut ch)?;
            Ok((out, Instant::now()))
        });
        let mut ch = TcpChannel::connect(&addr, TIMEOUT)?;
        let e = evaluator(&mut ch);
        let e_end = Instant::now();
        drop(ch);
        let g = g.join().map_err(|_| anyhow::anyhow!("the garbler thread panicked"))?;
        let (g, g_end) = g?;
        let e = e?;
        Ok((g, e, g_end.max(e_end) - start))
    })
}

/// One run of [`LAYERED`] over loopback TCP, result checked; returns its time.
pub fn pipeline_run(program: &Program, rng: &mut ChaCha12Rng) -> anyhow::Result<Duration> {
    let a: [u32; 32] = rng.gen();
    let b: [u32; 32] = rng.gen();
    let want = u32_bits(&layered_plain(&a, &b));
    let opts = mpc_runtime::SessionOptions::default();
    let (g, e, t) = over_tcp(
        |ch| Ok(mpc_runtime::run_garbler_program(ch, program, &[u32_bits(&a)], &opts)?),
        |ch| Ok(mpc_runtime::run_evaluator_program(ch, program, &[u32_bits(&b)], &opts)?),
    )?;
    ensure!(
        g.outputs == vec![Some(want.clone())] && e.outputs == vec![Some(want)],
        "the garbled layered program gave a wrong result (a bug)"
    );
    Ok(t)
}

/// Compiles [`LAYERED`] (to the program form: one body of one layer, called in a loop).
pub fn layered_program() -> anyhow::Result<Program> {
    let (p, _) = mpc_compiler::compile_program(LAYERED, &mpc_compiler::Options::default());
    p.context("the built-in layered program did not compile (a bug)")
}

/// 128 base OTs over an open loopback connection; returns the time from the sender's
/// first message to the later of the two parties' keys.
pub fn base_ot_run(rng: &mut ChaCha12Rng) -> anyhow::Result<Duration> {
    let choices: Vec<bool> = (0..128).map(|_| rng.gen()).collect();
    let mut srng = ChaCha12Rng::from_rng(&mut *rng)?;
    let mut rrng = ChaCha12Rng::from_rng(&mut *rng)?;
    let ((keys, start, s_end), (got, r_end), _) = over_tcp(
        |ch| {
            let start = Instant::now();
            let (sender, setup) = base::Sender::new(&mut srng, 128)?;
            send_frame(ch, &setup.to_bytes())?;
            ch.flush()?;
            let reply = base::ReceiverReply::from_bytes(&recv_frame(ch, 1 << 16)?)?;
            let keys = sender.finish(&reply)?;
            Ok((keys, start, Instant::now()))
        },
        |ch| {
            let setup = base::SenderSetup::from_bytes(&recv_frame(ch, 1 << 16)?)?;
            let (reply, keys) = base::receive(&mut rrng, &setup, &choices)?;
            send_frame(ch, &reply.to_bytes())?;
            ch.flush()?;
            Ok((keys, Instant::now()))
        },
    )?;
    let ok = keys.iter().zip(&got).zip(&choices).all(|((k, g), &c)| k[usize::from(c)] == *g);
    ensure!(ok, "the base OTs gave wrong keys (a bug)");
    Ok(s_end.max(r_end) - start)
}

/// The per-session work of a one-circuit session besides OT and garbling, each timed
/// once on this thread: the one-body program of the circuit, the hello's digest of it,
/// and the slot plans (each party does all three per session; the plans on a second
/// thread while it waits for the OTs).
pub fn session_parts(c: &Circuit) -> anyhow::Result<[Duration; 3]> {
    let start = Instant::now();
    let program = Program::from_circuit(c)?;
    let from_circuit = start.elapsed();
    let start = Instant::now();
    std::hint::black_box(mpc_runtime::program_digest(&program));
    let digest = start.elapsed();
    let start = Instant::now();
    std::hint::black_box(mpc_garble::ProgramPlans::new(&program));
    Ok([from_circuit, digest, start.elapsed()])
}

/// Random inputs of `party` for `c`.
pub(super) fn own_inputs(c: &Circuit, party: u8, rng: &mut ChaCha12Rng) -> Vec<Vec<bool>> {
    c.inputs()
        .iter()
        .filter(|g| g.party.0 == party)
        .map(|g| (0..g.ty.width()).map(|_| rng.gen()).collect())
        .collect()
}

/// `k` instances of `c` in one session from connect to outputs, every output checked
/// against the plaintext evaluator; returns the session's time.
pub fn session_run(c: &Circuit, k: usize, rng: &mut ChaCha12Rng) -> anyhow::Result<Duration> {
    let g_in: Vec<_> = (0..k).map(|_| own_inputs(c, 0, rng)).collect();
    let e_in: Vec<_> = (0..k).map(|_| own_inputs(c, 1, rng)).collect();
    let opts = mpc_runtime::SessionOptions::default();
    let (g, e, t) = if k == 1 {
        let (g, e, t) = over_tcp(
            |ch| Ok(mpc_runtime::run_garbler(ch, c, &g_in[0], &opts)?),
            |ch| Ok(mpc_runtime::run_evaluator(ch, c, &e_in[0], &opts)?),
        )?;
        (vec![g.outputs], vec![e.outputs], t)
    } else {
        let (g, e, t) = over_tcp(
            |ch| Ok(mpc_runtime::run_garbler_many(ch, c, &g_in, &opts)?),
            |ch| Ok(mpc_runtime::run_evaluator_many(ch, c, &e_in, &opts)?),
        )?;
        (g.outputs, e.outputs, t)
    };
    check_outputs(c, &g_in, &e_in, &g, &e)?;
    Ok(t)
}

/// Every instance's outputs as seen by both parties (`None` where not revealed to one)
/// against the plaintext evaluator on both parties' inputs: each revealed output right
/// and each output revealed to someone.
pub(super) fn check_outputs(
    c: &Circuit,
    g_in: &[Vec<Vec<bool>>],
    e_in: &[Vec<Vec<bool>>],
    g: &[Vec<Option<Vec<bool>>>],
    e: &[Vec<Option<Vec<bool>>>],
) -> anyhow::Result<()> {
    ensure!(
        g.len() == g_in.len() && e.len() == e_in.len(),
        "a session returned the wrong number of instances"
    );
    for i in 0..g_in.len() {
        // Both parties' inputs in the circuit's group order.
        let (mut gi, mut ei) = (g_in[i].iter(), e_in[i].iter());
        let all: Vec<Vec<bool>> = c
            .inputs()
            .iter()
            .filter_map(|grp| if grp.party.0 == 0 { gi.next() } else { ei.next() }.cloned())
            .collect();
        let want = mpc_circuits::eval::eval_groups(c, &all)?;
        for (j, w) in want.iter().enumerate() {
            let seen = [g[i].get(j), e[i].get(j)];
            ensure!(
                seen.iter().all(|o| o.is_some_and(|o| o.as_ref().is_none_or(|o| o == w)))
                    && seen.iter().any(|o| o.is_some_and(|o| o.is_some())),
                "instance {i}, output {j}: the session gave a wrong result (a bug)"
            );
        }
    }
    Ok(())
}

/// Correlated OTs per second: `batches` batches of 2^16 IKNP OTs streamed from the
/// receiver to the sender over loopback TCP, from the first batch to the sender's
/// acknowledgement of the last (setup not timed).
pub fn cot_run(batches: usize, rng: &mut ChaCha12Rng) -> anyhow::Result<f64> {
    const BATCH: usize = 1 << 16;
    let mut srng = ChaCha12Rng::from_rng(&mut *rng)?;
    let mut rrng = ChaCha12Rng::from_rng(&mut *rng)?;
    let (_, t, _) = over_tcp(
        |ch| {
            let delta = Delta::random(&mut srng);
            let offer = mpc_ot::iknp::SetupOffer::from_bytes(&recv_frame(ch, 1 << 16)?)?;
            let (mut sender, answer) = cot::Sender::new(&mut srng, &delta, &offer)?;
            send_frame(ch, &answer.to_bytes())?;
            ch.flush()?;
            let mut msg = vec![0u8; mpc_ot::iknp::Extend::encoded_len_for(BATCH)];
            let mut keys = Vec::new();
            for _ in 0..batches {
                ch.recv_exact(&mut msg)?;
                sender.extend_into(BATCH, &msg, &mut keys)?;
            }
            std::hint::black_box(&keys);
            ch.send(&[1])?;
            ch.flush()?;
            Ok(())
        },
        |ch| {
            let (setup, offer) = cot::Receiver::new(&mut rrng);
            send_frame(ch, &offer.to_bytes())?;
            ch.flush()?;
            let answer = mpc_ot::iknp::SetupAnswer::from_bytes(&recv_frame(ch, 1 << 16)?)?;
            let mut receiver = setup.finish(&answer)?;
            let choices: Vec<bool> = (0..BATCH).map(|_| rrng.gen()).collect();
            let (mut msg, mut labels) = (Vec::new(), Vec::new());
            let start = Instant::now();
            for _ in 0..batches {
                receiver.extend_into(&choices, &mut msg, &mut labels)?;
                ch.send(&msg)?;
                ch.flush()?;
            }
            let mut ack = [0u8; 1];
            ch.recv_exact(&mut ack)?;
            std::hint::black_box(&labels);
            Ok(start.elapsed())
        },
    )?;
    Ok((batches * BATCH) as f64 / t.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The setup measurements run and check what they measure: the base OTs' keys
    /// against the choice bits, the session's outputs against the plaintext evaluator.
    #[test]
    fn setup_measurements_check_their_results() {
        let mut rng = ChaCha12Rng::seed_from_u64(5);
        let aes = mpc_circuits::bristol::read(crate::cmd::bench::AES_128).unwrap();
        let aes = mpc_circuits::passes::schedule_levels(&aes);
        assert!(base_ot_run(&mut rng).unwrap() > Duration::ZERO);
        assert!(session_run(&aes, 1, &mut rng).unwrap() > Duration::ZERO);
        let parts = session_parts(&aes).unwrap();
        assert!(parts.iter().all(|t| *t > Duration::ZERO));
    }
}
