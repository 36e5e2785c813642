//! The published Bristol Fashion circuits (tests/vectors/bristol, see PROVENANCE.md)
//! through our reader and plaintext evaluator against their known-answer vectors,
//! plus writer round trips, the old Bristol format, and a no-panic property test of
//! the reader on mutated files.

use mpc_circuits::bristol;
use mpc_circuits::eval::{eval_groups, eval_u128};
use mpc_circuits::Circuit;
use proptest::prelude::*;
use rand::{Rng, SeedableRng};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/bristol");

fn kat() -> serde_json::Value {
    let text = std::fs::read_to_string(format!("{DIR}/kat.json")).expect("kat.json is in the repository");
    serde_json::from_str(&text).expect("kat.json is valid JSON")
}

fn bits(s: &serde_json::Value) -> Vec<bool> {
    s["bits"].as_str().expect("bits string").bytes().map(|b| b == b'1').collect()
}

fn load(file: &str) -> Circuit {
    let text = std::fs::read_to_string(format!("{DIR}/{file}")).expect("vector file exists");
    bristol::read(&text).unwrap_or_else(|e| panic!("{file}: {e}"))
}

/// Runs every vector of circuit `name` in kat.json through `circuit`.
fn check_vectors(name: &str, circuit: &Circuit) -> usize {
    let kat = kat();
    let entry = &kat["circuits"][name];
    let mut n = 0;
    for v in entry["vectors"].as_array().expect("vectors") {
        let inputs: Vec<Vec<bool>> = v["inputs"].as_array().unwrap().iter().map(bits).collect();
        let want: Vec<Vec<bool>> = v["outputs"].as_array().unwrap().iter().map(bits).collect();
        let got = eval_groups(circuit, &inputs).unwrap();
        assert_eq!(got, want, "{name}: vector {}", v["note"]);
        n += 1;
    }
    n
}

#[test]
fn every_published_circuit_matches_its_vectors() {
    let kat = kat();
    let mut total = 0;
    for (name, entry) in kat["circuits"].as_object().unwrap() {
        let c = load(entry["file"].as_str().unwrap());
        let in_sizes: Vec<usize> = c.inputs().iter().map(|g| g.ty.width()).collect();
        let out_sizes: Vec<usize> = c.outputs().iter().map(|g| g.ty.width()).collect();
        let want_in: Vec<usize> =
            entry["in_sizes"].as_array().unwrap().iter().map(|x| x.as_u64().unwrap() as usize).collect();
        let want_out: Vec<usize> =
            entry["out_sizes"].as_array().unwrap().iter().map(|x| x.as_u64().unwrap() as usize).collect();
        assert_eq!(in_sizes, want_in, "{name}");
        assert_eq!(out_sizes, want_out, "{name}");
        total += check_vectors(name, &c);
    }
    assert!(total >= 25, "only {total} vectors ran");
}

#[test]
fn published_and_counts() {
    assert_eq!(load("aes_128.txt").and_count(), 6400);
    assert_eq!(load("sha256.txt").and_count(), 22573);
}

#[test]
fn write_then_read_gives_the_same_outputs() {
    let kat = kat();
    for (name, entry) in kat["circuits"].as_object().unwrap() {
        let c = load(entry["file"].as_str().unwrap());
        let text = bristol::write_fashion(&c);
        let back = bristol::read(&text).unwrap_or_else(|e| panic!("{name} after writing: {e}"));
        assert_eq!(back.and_count(), c.and_count(), "{name}");
        check_vectors(name, &back);
        // Writing again is a fixed point.
        assert_eq!(bristol::write_fashion(&back), text, "{name}");
    }
}

#[test]
fn old_bristol_adder() {
    let c = load("old_adder_32bit.txt");
    assert_eq!(
        bristol::detect_format(&std::fs::read_to_string(format!("{DIR}/old_adder_32bit.txt")).unwrap()),
        bristol::Format::Old
    );
    assert_eq!(c.outputs()[0].ty.width(), 33);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    for _ in 0..50 {
        let (a, b): (u32, u32) = (rng.gen(), rng.gen());
        let out = eval_u128(&c, &[u128::from(a), u128::from(b)]).unwrap();
        assert_eq!(out[0], u128::from(a) + u128::from(b), "{a} + {b}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn mutated_files_never_panic(
        edits in proptest::collection::vec((0usize..8000, 0u8..3, any::<u8>()), 1..6),
    ) {
        let mut bytes = std::fs::read(format!("{DIR}/adder64.txt")).unwrap();
        for (pos, op, byte) in edits {
            let pos = pos % (bytes.len() + 1);
            match op {
                0 if pos < bytes.len() => bytes[pos] = byte,
                1 if pos < bytes.len() => { bytes.remove(pos); }
                _ => bytes.insert(pos, byte),
            }
        }
        let _ = bristol::read_bytes(&bytes);
    }

    #[test]
    fn mutated_digits_never_panic(pos in 0usize..8000, digit in b'0'..=b'9', count in 1usize..4) {
        // Digit edits keep the file's shape, so they reach the wire and count checks.
        let mut bytes = std::fs::read(format!("{DIR}/zero_equal.txt")).unwrap();
        let digits: Vec<usize> = (0..bytes.len()).filter(|&i| bytes[i].is_ascii_digit()).collect();
        for k in 0..count {
            let i = digits[(pos + 97 * k) % digits.len()];
            bytes[i] = digit;
        }
        let _ = bristol::read_bytes(&bytes);
    }
}

fn our_aes() -> Circuit {
    let mut b = mpc_circuits::Builder::new(&["garbler", "evaluator"]);
    let key = b.input(mpc_circuits::PartyId(0), "key", 128);
    let block = b.input(mpc_circuits::PartyId(1), "block", 128);
    let out = mpc_circuits::gadgets::aes::aes128(&mut b, &key, &block);
    b.output("ciphertext", &out);
    b.finish().expect("the AES gadget builds a valid circuit")
}

fn our_sha256() -> Circuit {
    let mut b = mpc_circuits::Builder::new(&["garbler", "evaluator"]);
    let block = b.input(mpc_circuits::PartyId(0), "block", 512);
    let state = b.input(mpc_circuits::PartyId(1), "state", 256);
    let out = mpc_circuits::gadgets::sha256::sha256_compress(&mut b, &state, &block);
    b.output("next", &out);
    b.finish().expect("the SHA-256 gadget builds a valid circuit")
}

#[test]
fn our_aes_gadget_matches_the_published_vectors() {
    let c = our_aes();
    assert!(c.and_count() <= 6400);
    assert!(check_vectors("aes_128", &c) >= 2);
}

#[test]
fn our_sha256_gadget_matches_the_published_vectors() {
    let c = our_sha256();
    assert!(c.and_count() <= 22573);
    assert!(check_vectors("sha256", &c) >= 3);
}

#[test]
fn our_aes_written_to_bristol_and_read_back() {
    let c = our_aes();
    let back = bristol::read(&bristol::write_fashion(&c)).unwrap();
    assert_eq!(back.and_count(), c.and_count());
    check_vectors("aes_128", &back);
}
