//! Payroll with Paillier: employees encrypt their salaries under HR's public key, an
//! untrusted aggregator sums the ciphertexts and applies a public 3% raise (a homomorphic
//! multiply by 103 on integer cents), and only HR's secret key decrypts the totals. The
//! aggregator never sees a salary.
//!
//! Run: `cargo run --release --example payroll` (2048-bit key generation takes a few seconds).

use mpc_native::paillier::{FixedBaseEncryptor, SecretKey};
use rand::SeedableRng;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut rng = rand_chacha::ChaCha20Rng::from_entropy();

    // HR: generates the key pair and publishes the public key.
    let hr_key = SecretKey::generate(2048, &mut rng)?;
    let public = hr_key.public_key().clone();
    println!("HR public key: {} bits", public.bits());

    // Employees: encrypt their salaries (in cents) with the fast fixed-base encryptor.
    let salaries_cents: [i128; 5] = [5_200_000, 6_150_000, 4_875_000, 9_990_000, 7_300_050];
    let encryptor = FixedBaseEncryptor::new(&public, &mut rng);
    let ciphertexts =
        salaries_cents.iter().map(|&s| encryptor.encrypt_i128(s, &mut rng)).collect::<Result<Vec<_>, _>>()?;

    // Aggregator: sees only ciphertexts. Sum, then a public raise of 3% as * 103 (the /100 is
    // applied after decryption, keeping everything in integers).
    let mut total = ciphertexts[0].clone();
    for c in &ciphertexts[1..] {
        total = public.add(&total, c)?;
    }
    let raised_total = public.mul_signed(&total, 103)?;
    let raised_total = public.rerandomize(&raised_total, &mut rng)?;

    // HR: decrypts the two totals only.
    let sum = hr_key.decrypt_i128(&total)?;
    let raised = hr_key.decrypt_i128(&raised_total)?;
    let expected: i128 = salaries_cents.iter().sum();
    assert_eq!(sum, expected);
    assert_eq!(raised, expected * 103);
    println!("total payroll:            {}.{:02}", sum / 100, sum % 100);
    println!("after a 3% raise:         {}.{:02}", raised / 10_000, (raised % 10_000) / 100);
    Ok(())
}
