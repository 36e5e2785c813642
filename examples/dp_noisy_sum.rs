//! Example: a differentially private sum of two parties' values, with noise neither
//! party knows.
//!
//! Alice and Bob each hold a count (say, of patients with some condition). The
//! circuit adds the counts, draws two-sided geometric noise for epsilon = 1/2 from the
//! XOR of random bits both parties feed (`mpc_circuits::gadgets::dp`), adds it, and
//! reveals only the noisy sum. The circuit runs twice: through the plaintext
//! evaluator (the test oracle, which sees everything) and through the garbled
//! two-party protocol in memory (`mpc_runtime::run_local`), where each party learns
//! only the noisy output. The two runs use independent random bits, so their noisy
//! sums differ.
//!
//! Run: `cargo run --example dp_noisy_sum -- 120 87`

use mpc_circuits::eval::eval_groups;
use mpc_circuits::gadgets::{arith, dp};
use mpc_circuits::{Builder, PartyId};
use rand::RngCore;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let alice: u32 = args.first().map(|s| s.parse()).transpose()?.unwrap_or(120);
    let bob: u32 = args.get(1).map(|s| s.parse()).transpose()?.unwrap_or(87);

    // epsilon = 1/2 for a sum whose sensitivity is 1 (one person changes it by 1).
    let params = dp::NoiseParams::new(1, 2, 1)?;
    let n = dp::random_bits_needed(&params);

    let mut b = Builder::new(&["alice", "bob"]);
    let x = b.input(PartyId(0), "alice_count", 32);
    let ra = b.input(PartyId(0), "alice_random", n);
    let y = b.input(PartyId(1), "bob_count", 32);
    let rb = b.input(PartyId(1), "bob_random", n);
    let sum = arith::add(&mut b, &x, &y);
    let noisy = dp::add_distributed_noise(&mut b, &sum, &ra, &rb, &params);
    b.output("noisy_sum", &noisy);
    let circuit = b.finish()?;
    println!(
        "circuit: {} AND gates, {} random bits per party (m = {}, w = {})",
        circuit.and_count(),
        n,
        params.magnitude_bits,
        params.precision_bits
    );

    let bits = |v: u64, width: usize| -> Vec<bool> { (0..width).map(|i| (v >> i) & 1 == 1).collect() };
    let random = |width: usize| -> Vec<bool> {
        let mut rng = rand::rngs::OsRng;
        (0..width).map(|_| rng.next_u32() & 1 == 1).collect()
    };
    let decode =
        |bits: &[bool]| bits.iter().enumerate().fold(0u32, |acc, (i, &bit)| acc | (u32::from(bit) << i));
    println!("true sum: {} (never revealed)", alice + bob);

    let out = eval_groups(&circuit, &[bits(alice.into(), 32), random(n), bits(bob.into(), 32), random(n)])?;
    println!("noisy sum (plaintext evaluator): {}", decode(&out[0]) as i32);

    let inputs = [bits(alice.into(), 32), random(n), bits(bob.into(), 32), random(n)];
    let run = mpc_runtime::run_local(&circuit, &inputs, &mpc_runtime::SessionOptions::default())?;
    println!(
        "noisy sum (garbled circuits): {} ({} bytes garbler -> evaluator)",
        decode(&run.outputs[0]) as i32,
        run.garbler.bytes_sent
    );
    Ok(())
}
