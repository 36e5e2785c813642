//! Differential tests of the garbling engine against the plaintext evaluator
//! (`mpc_circuits::eval`): random circuits, the published AES-128 and SHA-256 Bristol
//! circuits with their known answers, table sizes, batching/parallel invariance,
//! and error behaviour on truncated or corrupted data. Every test runs under both
//! garbling schemes ([`Scheme::ALL`]).

use mpc_circuits::{eval, Circuit, Gate, InputGroup, OutputGroup, PartyId, Reveal, ValueType, WireId};
use mpc_crypto::{Block, Delta, Prg};
use mpc_garble::{
    decode, encode, evaluate_many, garble_many, table_bytes, tweaks_used, CountingSink, Evaluator,
    GarbleError, GarbleJob, Garbler, Scheme, SlotPlan,
};
use proptest::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha12Rng;

struct Run {
    outputs: Vec<bool>,
    tables: Vec<u8>,
    returned: Vec<bool>,
}

/// `g` garbling under `scheme`; three-halves with a PRG seed fixed by `seed`, so that
/// the tables are reproducible.
fn under(g: Garbler<'_>, scheme: Scheme, seed: u64) -> Garbler<'_> {
    match scheme {
        Scheme::HalfGates => g,
        Scheme::ThreeHalves => g.with_three_halves_seed(Block::from_u128(u128::from(seed) << 1 | 1)),
    }
}

/// Garbles and evaluates `circuit` on `bits` (all input wires), like the protocol
/// would, with the given scheme, batch size and parallel flag.
fn garble_eval(
    scheme: Scheme,
    circuit: &Circuit,
    bits: &[bool],
    seed: u64,
    tweak_base: u64,
    batch: usize,
    par: bool,
) -> Run {
    let mut rng = ChaCha12Rng::seed_from_u64(seed);
    let delta = Delta::random(&mut rng);
    let mut prg = Prg::from_seed(rng.gen());
    let zero = prg.blocks(circuit.num_input_wires() as usize);
    let active = encode(&zero, &delta, bits).unwrap();
    let mut g = under(Garbler::new(circuit, &delta, zero, tweak_base).unwrap(), scheme, seed)
        .with_batch_size(batch)
        .with_parallel_levels(par);
    let mut tables = Vec::new();
    let decoding = g.garble(&mut tables).unwrap();
    let mut e = Evaluator::new(circuit, active, tweak_base)
        .unwrap()
        .with_scheme(scheme)
        .with_batch_size(batch)
        .with_parallel_levels(par);
    let mut src: &[u8] = &tables;
    let labels = e.evaluate(&mut src).unwrap();
    assert!(src.is_empty(), "the evaluator must consume exactly the table stream");
    let outputs = decode(&labels, &decoding).unwrap();
    let returned = g.decode_returned(&labels).unwrap();
    Run { outputs, tables, returned }
}

fn plain(circuit: &Circuit, bits: &[bool]) -> Vec<bool> {
    let lanes: Vec<u64> = bits.iter().map(|&b| u64::from(b)).collect();
    eval::eval_lanes(circuit, &lanes).unwrap().into_iter().map(|x| x & 1 == 1).collect()
}

/// A random circuit: two input groups, `n_gates` gates of every kind over random
/// earlier wires, gate outputs numbered in a random order, random output wires.
fn random_circuit(seed: u64, n_a: u32, n_b: u32, n_gates: usize, n_out: usize) -> Circuit {
    let mut rng = ChaCha12Rng::seed_from_u64(seed);
    let n_in = n_a + n_b;
    let num_wires = n_in + n_gates as u32;
    let mut fresh: Vec<u32> = (n_in..num_wires).collect();
    for i in (1..fresh.len()).rev() {
        fresh.swap(i, rng.gen_range(0..=i));
    }
    let mut written: Vec<u32> = (0..n_in).collect();
    let mut gates = Vec::with_capacity(n_gates);
    for out in fresh {
        let pick = |rng: &mut ChaCha12Rng, w: &Vec<u32>| {
            // Prefer recent wires so that chains of ANDs appear.
            let k = if rng.gen_bool(0.5) {
                w.len() - 1 - rng.gen_range(0..w.len().min(4))
            } else {
                rng.gen_range(0..w.len())
            };
            WireId(w[k])
        };
        let a = pick(&mut rng, &written);
        let b = pick(&mut rng, &written);
        let out = WireId(out);
        gates.push(match rng.gen_range(0..10) {
            0..=3 => Gate::And { a, b, out },
            4..=6 => Gate::Xor { a, b, out },
            7 => Gate::Inv { a, out },
            8 => Gate::Const { value: rng.gen(), out },
            _ => Gate::Copy { a, out },
        });
        written.push(out.0);
    }
    let wires = (0..n_out).map(|_| WireId(written[rng.gen_range(0..written.len())])).collect();
    Circuit::new(
        num_wires,
        vec!["alice".into(), "bob".into()],
        vec![
            InputGroup { name: "a".into(), party: PartyId(0), ty: ValueType::UInt(n_a) },
            InputGroup { name: "b".into(), party: PartyId(1), ty: ValueType::UInt(n_b) },
        ],
        vec![OutputGroup {
            name: "out".into(),
            ty: ValueType::UInt(n_out as u32),
            reveal: Reveal::All,
            wires,
        }],
        gates,
    )
    .unwrap()
}

fn random_bits(seed: u64, n: usize) -> Vec<bool> {
    let mut rng = ChaCha12Rng::seed_from_u64(seed);
    (0..n).map(|_| rng.gen()).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn random_circuits_match_plaintext(
        seed in any::<u64>(),
        n_a in 1u32..8,
        n_b in 1u32..8,
        n_gates in 0usize..300,
        n_out in 1usize..16,
        tweak_base in any::<u32>(),
    ) {
        let c = random_circuit(seed, n_a, n_b, n_gates, n_out);
        for (k, scheme) in (0..3).flat_map(|k| Scheme::ALL.map(|s| (k, s))) {
            let bits = random_bits(seed ^ (k + 1), c.num_input_wires() as usize);
            let want = plain(&c, &bits);
            let s = seed.wrapping_add(k);
            let r = garble_eval(scheme, &c, &bits, s, u64::from(tweak_base), 1024, false);
            prop_assert_eq!(&r.outputs, &want);
            prop_assert_eq!(&r.returned, &want);
            prop_assert_eq!(r.tables.len() as u64, scheme.table_bytes(c.and_count() as u64));
            // Batch size never changes the tables.
            let r3 = garble_eval(scheme, &c, &bits, s, u64::from(tweak_base), 3, false);
            prop_assert_eq!(&r3.tables, &r.tables);
            prop_assert_eq!(&r3.outputs, &want);
            // Nor does a precompiled schedule (used at the default batch size).
            let plan = SlotPlan::compiled(&c);
            let mut rng = ChaCha12Rng::seed_from_u64(s);
            let delta = Delta::random(&mut rng);
            let zero = Prg::from_seed(rng.gen()).blocks(c.num_input_wires() as usize);
            let active = encode(&zero, &delta, &bits).unwrap();
            let mut tables = Vec::new();
            let d = under(Garbler::new(&c, &delta, zero, u64::from(tweak_base)).unwrap(), scheme, s)
                .with_plan(&plan)
                .garble(&mut tables)
                .unwrap();
            prop_assert_eq!(&tables, &r.tables);
            let l = Evaluator::new(&c, active, u64::from(tweak_base))
                .unwrap()
                .with_scheme(scheme)
                .with_plan(&plan)
                .evaluate(&mut tables.as_slice())
                .unwrap();
            prop_assert_eq!(&decode(&l, &d).unwrap(), &want);
        }
    }
}

#[test]
fn tables_are_32_bytes_per_and_and_nothing_for_free_gates() {
    // 1000 free gates and exactly 7 ANDs.
    let mut gates = Vec::new();
    let mut next = 2u32;
    let mut last = WireId(0);
    for i in 0..1000 {
        let out = WireId(next);
        next += 1;
        gates.push(match i % 4 {
            0 => Gate::Xor { a: last, b: WireId(1), out },
            1 => Gate::Inv { a: last, out },
            2 => Gate::Copy { a: last, out },
            _ => Gate::Const { value: true, out },
        });
        last = out;
    }
    for _ in 0..7 {
        let out = WireId(next);
        next += 1;
        gates.push(Gate::And { a: last, b: WireId(1), out });
        last = out;
    }
    let c = Circuit::new(
        next,
        vec!["a".into(), "b".into()],
        vec![
            InputGroup { name: "x".into(), party: PartyId(0), ty: ValueType::Bool },
            InputGroup { name: "y".into(), party: PartyId(1), ty: ValueType::Bool },
        ],
        vec![OutputGroup { name: "o".into(), ty: ValueType::Bool, reveal: Reveal::All, wires: vec![last] }],
        gates,
    )
    .unwrap();
    assert_eq!(c.and_count(), 7);
    assert_eq!(table_bytes(&c), 7 * 32);
    assert_eq!(tweaks_used(&c), 14);
    // Three-halves: 24 bytes per AND plus one group of 5 control bytes.
    for (scheme, want) in [(Scheme::HalfGates, 7 * 32), (Scheme::ThreeHalves, 7 * 24 + 5)] {
        let mut sink = CountingSink::default();
        let delta = Delta::random(&mut ChaCha12Rng::seed_from_u64(5));
        let g = Garbler::new(&c, &delta, vec![Block::ZERO, Block::ONES], 0).unwrap();
        under(g, scheme, 1).garble(&mut sink).unwrap();
        assert_eq!(sink.bytes, want);
        assert_eq!(scheme.table_bytes(7), want);
        for x in [false, true] {
            for y in [false, true] {
                assert_eq!(garble_eval(scheme, &c, &[x, y], 9, 0, 1024, false).outputs, plain(&c, &[x, y]));
            }
        }
    }
}

#[test]
fn large_circuit_streams_in_chunks_and_parallel_levels_agree() {
    // Wide enough (about 3000 ANDs, many independent) to use several chunks and the
    // parallel hashing path.
    let c = random_circuit(77, 64, 64, 8000, 64);
    let bits = random_bits(78, 128);
    let want = plain(&c, &bits);
    for scheme in Scheme::ALL {
        let seq = garble_eval(scheme, &c, &bits, 1, 1 << 40, 4096, false);
        let par = garble_eval(scheme, &c, &bits, 1, 1 << 40, 4096, true);
        assert_eq!(seq.outputs, want);
        assert_eq!(par.outputs, want);
        assert_eq!(seq.tables, par.tables);
        let mut sink = CountingSink::default();
        let delta = Delta::random(&mut ChaCha12Rng::seed_from_u64(5));
        under(Garbler::new(&c, &delta, vec![Block::ONE; 128], 0).unwrap(), scheme, 2)
            .garble(&mut sink)
            .unwrap();
        let bytes = scheme.table_bytes(c.and_count() as u64);
        assert_eq!(sink.bytes, bytes);
        assert!(sink.chunks >= bytes / mpc_garble::CHUNK_BYTES as u64);
    }
}

#[test]
fn labels_live_in_reused_slots() {
    // A dependent chain of 5000 ANDs over 128 inputs needs about 130 label slots.
    let chain = mpc_garble::perf::and_chain(5000);
    let plan = SlotPlan::new(&chain);
    assert!(plan.num_slots() <= 130, "{} slots", plan.num_slots());
    // Level-scheduled random circuits (full batches, slots reused while a batch is
    // pending) still match the plaintext evaluator, and a shared plan changes nothing.
    for seed in 0..6 {
        let c = mpc_circuits::passes::schedule_levels(&random_circuit(100 + seed, 16, 16, 1500, 24));
        let plan = if seed % 2 == 0 { SlotPlan::new(&c) } else { SlotPlan::compiled(&c) };
        assert!(plan.num_slots() < c.num_wires() as usize);
        let bits = random_bits(seed, 32);
        let want = plain(&c, &bits);
        for (batch, scheme) in [1024, 5].into_iter().flat_map(|b| Scheme::ALL.map(|s| (b, s))) {
            let r = garble_eval(scheme, &c, &bits, seed, 0, batch, false);
            assert_eq!(r.outputs, want);
            assert_eq!(r.returned, want);
            let (delta, zero) = mpc_garble::perf::setup(&c);
            let mut t1 = Vec::new();
            under(Garbler::new(&c, &delta, zero.clone(), 0).unwrap(), scheme, seed).garble(&mut t1).unwrap();
            let mut t2 = Vec::new();
            let g2 = Garbler::new(&c, &delta, zero.clone(), 0).unwrap().with_plan(&plan);
            let d2 = under(g2, scheme, seed).garble(&mut t2).unwrap();
            assert_eq!(t1, t2);
            let l = Evaluator::new(&c, zero, 0)
                .unwrap()
                .with_scheme(scheme)
                .with_plan(&plan)
                .evaluate(&mut t2.as_slice())
                .unwrap();
            assert_eq!(decode(&l, &d2).unwrap().len(), want.len());
        }
    }
}

#[test]
fn slot_plan_of_another_circuit_is_an_error() {
    let c = random_circuit(1, 4, 4, 50, 4);
    let other = SlotPlan::new(&random_circuit(2, 4, 4, 60, 4));
    let delta = Delta::random(&mut ChaCha12Rng::seed_from_u64(9));
    let err =
        Garbler::new(&c, &delta, vec![Block::ONE; 8], 0).unwrap().with_plan(&other).garble(&mut Vec::new());
    assert!(matches!(err, Err(GarbleError::State(_))));
    let err = Evaluator::new(&c, vec![Block::ONE; 8], 0).unwrap().with_plan(&other).evaluate(&mut &[][..]);
    assert!(matches!(err, Err(GarbleError::State(_))));
}

#[test]
fn tweak_base_changes_tables() {
    let c = random_circuit(3, 8, 8, 200, 8);
    let bits = random_bits(4, 16);
    for scheme in Scheme::ALL {
        let a = garble_eval(scheme, &c, &bits, 1, 0, 1024, false);
        let b = garble_eval(scheme, &c, &bits, 1, tweaks_used(&c), 1024, false);
        assert_ne!(a.tables, b.tables);
        assert_eq!(a.outputs, b.outputs);
    }
}

#[test]
fn truncated_and_corrupted_inputs_are_errors_not_panics() {
    for scheme in Scheme::ALL {
        truncated_and_corrupted(scheme);
    }
}

fn truncated_and_corrupted(scheme: Scheme) {
    let c = random_circuit(11, 8, 8, 400, 16);
    let mut rng = ChaCha12Rng::seed_from_u64(12);
    let delta = Delta::random(&mut rng);
    let zero: Vec<Block> = (0..16).map(|_| Block::random(&mut rng)).collect();
    let bits = random_bits(13, 16);
    let active = encode(&zero, &delta, &bits).unwrap();
    let mut g = under(Garbler::new(&c, &delta, zero.clone(), 0).unwrap(), scheme, 3);
    let mut tables = Vec::new();
    let decoding = g.garble(&mut tables).unwrap();
    assert!(matches!(g.garble(&mut Vec::new()), Err(GarbleError::State(_))));
    assert!(c.and_count() > 10);

    // Every truncation point fails cleanly.
    for cut in [0, 1, 31, 32, tables.len() / 2, tables.len() - 1] {
        let mut src: &[u8] = &tables[..cut];
        let r = Evaluator::new(&c, active.clone(), 0).unwrap().with_scheme(scheme).evaluate(&mut src);
        assert!(matches!(r, Err(GarbleError::Truncated { .. })), "cut at {cut}");
    }
    // Wrong label counts.
    assert!(matches!(
        Evaluator::new(&c, active[1..].to_vec(), 0),
        Err(GarbleError::InputCount { want: 16, got: 15 })
    ));
    assert!(matches!(Garbler::new(&c, &delta, vec![], 0), Err(GarbleError::InputCount { .. })));

    // Flipped table bytes: evaluation completes; labels sent back are rejected.
    let want = plain(&c, &bits);
    let mut detected = 0;
    for pos in (0..tables.len()).step_by(97) {
        let mut bad = tables.clone();
        bad[pos] ^= 0x10;
        let mut src: &[u8] = &bad;
        let labels =
            Evaluator::new(&c, active.clone(), 0).unwrap().with_scheme(scheme).evaluate(&mut src).unwrap();
        let bits_out = decode(&labels, &decoding).unwrap();
        match g.decode_returned(&labels) {
            Ok(v) => assert_eq!(v, want, "accepted labels must decode correctly"),
            Err(GarbleError::InvalidOutputLabel { .. }) => detected += 1,
            Err(e) => panic!("unexpected error {e}"),
        }
        let _ = bits_out;
    }
    assert!(detected > 0, "some corruption must reach an output and be detected");
    // Wrong output-label count and bad decoding bytes.
    assert!(matches!(decode(&[], &decoding), Err(GarbleError::OutputCount { .. })));
    assert!(mpc_garble::OutputDecoding::from_bytes(&[0xff], 3).is_err());
    let bytes = decoding.to_bytes();
    assert_eq!(mpc_garble::OutputDecoding::from_bytes(&bytes, decoding.len()).unwrap(), decoding);
}

#[test]
fn many_instances_in_parallel() {
    let c = random_circuit(21, 16, 16, 500, 16);
    let mut rng = ChaCha12Rng::seed_from_u64(22);
    let mut jobs = Vec::new();
    let mut actives = Vec::new();
    let mut wants = Vec::new();
    for i in 0..6u64 {
        let delta = Delta::random(&mut rng);
        let zero: Vec<Block> = (0..32).map(|_| Block::random(&mut rng)).collect();
        let bits = random_bits(100 + i, 32);
        actives.push(encode(&zero, &delta, &bits).unwrap());
        wants.push(plain(&c, &bits));
        jobs.push(GarbleJob { delta, input_zero_labels: zero, tweak_base: i * tweaks_used(&c) });
    }
    let garbled: Vec<_> = garble_many(&c, jobs).into_iter().map(Result::unwrap).collect();
    let eval_jobs = actives
        .into_iter()
        .enumerate()
        .map(|(i, a)| (a, i as u64 * tweaks_used(&c), garbled[i].tables.as_slice()))
        .collect();
    for (i, labels) in evaluate_many(&c, eval_jobs).into_iter().enumerate() {
        assert_eq!(decode(&labels.unwrap(), &garbled[i].decoding).unwrap(), wants[i]);
    }
}

// ---- Bristol known-answer vectors ----

fn kat_bits(s: &serde_json::Value) -> Vec<bool> {
    s["bits"].as_str().unwrap().bytes().map(|b| b == b'1').collect()
}

fn check_bristol(file: &str, name: &str) {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/");
    let text = std::fs::read_to_string(format!("{dir}{file}")).unwrap();
    let c = mpc_circuits::bristol::read(&text).unwrap();
    let kat: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{dir}kat.json")).unwrap()).unwrap();
    let vectors = kat["circuits"][name]["vectors"].as_array().unwrap();
    assert!(!vectors.is_empty());
    for (i, v) in vectors.iter().enumerate() {
        let bits: Vec<bool> = v["inputs"].as_array().unwrap().iter().flat_map(kat_bits).collect();
        let want: Vec<bool> = v["outputs"].as_array().unwrap().iter().flat_map(kat_bits).collect();
        for scheme in Scheme::ALL {
            let r = garble_eval(scheme, &c, &bits, i as u64, 1000 * i as u64, 1024, false);
            assert_eq!(r.outputs, want, "{name} vector {i} {scheme}");
            assert_eq!(r.returned, want);
            assert_eq!(r.tables.len() as u64, scheme.table_bytes(c.and_count() as u64));
        }
    }
}

#[test]
fn aes_128_bristol_fips197() {
    check_bristol("aes_128.txt", "aes_128");
}

#[test]
fn sha256_bristol_kat() {
    check_bristol("sha256.txt", "sha256");
}
