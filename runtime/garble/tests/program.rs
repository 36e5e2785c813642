//! Garbling programs (bodies called by loops over a wire memory) with
//! `ProgramGarbler`/`ProgramEvaluator`: decoded outputs against the plaintext
//! executor (`mpc_circuits::eval_program`) on random inputs, tables of a one-body
//! program byte-identical to garbling its circuit directly, tweaks never repeating
//! across calls, and errors (not panics) on short table streams.

use mpc_circuits::{
    eval_program, Affine, Bit, Builder, Circuit, InputGroup, Instr, Operand, PartyId, Program, ProgramOutput,
    Region, Reveal, ValueType, Word,
};
use mpc_crypto::{Block, Delta, Prg};
use mpc_garble::{
    decode, decode_returned, encode, evaluate_program, evaluate_program_with, garble_program,
    garble_program_with, program_tweaks_used, GarbleError, Garbler, ProgramEvaluator, ProgramGarbler,
    ProgramPlans, Scheme,
};
use proptest::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha12Rng;

fn add(b: &mut Builder, x: &[Bit], y: &[Bit]) -> Vec<Bit> {
    let mut carry: Option<Bit> = None;
    let mut out = Vec::new();
    for (&a, &c) in x.iter().zip(y) {
        let t = b.xor(a, c);
        match carry {
            None => {
                out.push(t);
                carry = Some(b.and(a, c));
            }
            Some(k) => {
                out.push(b.xor(t, k));
                let ab = b.and(a, c);
                let kt = b.and(k, t);
                carry = Some(b.xor(ab, kt));
            }
        }
    }
    out
}

/// `acc + (x & spread(k))` where `k` is 4 bits repeated twice.
fn body_step() -> Circuit {
    let mut b = Builder::new(&["p"]);
    let acc = b.input(PartyId(0), "acc", 8);
    let x = b.input(PartyId(0), "x", 8);
    let k = b.input(PartyId(0), "k", 4);
    let masked: Vec<Bit> = (0..8).map(|i| b.and(x.bit(i), k.bit(i % 4))).collect();
    let accb: Vec<Bit> = (0..8).map(|i| acc.bit(i)).collect();
    let s = add(&mut b, &accb, &masked);
    b.output("s", &Word::from_bits(s));
    b.finish().unwrap()
}

/// `(p & rot(q)) ^ !p`, and `p + q`.
fn body_mix() -> Circuit {
    let mut b = Builder::new(&["p"]);
    let p = b.input(PartyId(0), "p", 8);
    let q = b.input(PartyId(0), "q", 8);
    let m: Vec<Bit> = (0..8)
        .map(|i| {
            let a = b.and(p.bit(i), q.bit((i + 3) % 8));
            let n = b.inv(p.bit(i));
            b.xor(a, n)
        })
        .collect();
    let pb: Vec<Bit> = (0..8).map(|i| p.bit(i)).collect();
    let qb: Vec<Bit> = (0..8).map(|i| q.bit(i)).collect();
    let s = add(&mut b, &pb, &qb);
    b.output("m", &Word::from_bits(m));
    b.output("s", &Word::from_bits(s));
    b.finish().unwrap()
}

fn at(c: i64, w: u32) -> Region {
    Region { addr: Affine::constant(c), width: w }
}

/// Memory: x 0..8, y 8..16, acc 16..24, arr 24..48 (3 bytes), spare 48..56, out
/// 56..64. Loops, a copy, register operands, two results per call.
fn hand_program() -> Program {
    let r0 = Affine::reg(0);
    let r1 = Affine::reg(1);
    let inner = Instr::Loop {
        reg: 1,
        from: 0,
        to: 3,
        code: vec![Instr::Call {
            body: 1,
            args: vec![Operand::Mem(at(16, 8)), Operand::Mem(at(8, 8))],
            results: vec![Region { addr: r1.scale(8).unwrap().offset(24).unwrap(), width: 8 }, at(48, 8)],
        }],
    };
    let outer = Instr::Loop {
        reg: 0,
        from: 0,
        to: 5,
        code: vec![
            Instr::Call {
                body: 0,
                args: vec![
                    Operand::Mem(at(16, 8)),
                    Operand::Mem(at(0, 8)),
                    Operand::Reg { value: r0.scale(3).unwrap().offset(1).unwrap(), width: 4 },
                ],
                results: vec![at(16, 8)],
            },
            inner,
        ],
    };
    let code = vec![
        Instr::Copy { dst: at(16, 8), src: at(8, 8) },
        outer,
        Instr::Call {
            body: 1,
            args: vec![Operand::Mem(at(24, 8)), Operand::Mem(at(40, 8))],
            results: vec![at(56, 8), at(48, 8)],
        },
    ];
    let inputs = vec![
        InputGroup { name: "x".into(), party: PartyId(0), ty: ValueType::UInt(8) },
        InputGroup { name: "y".into(), party: PartyId(1), ty: ValueType::UInt(8) },
    ];
    let outputs = vec![
        ProgramOutput { name: "acc".into(), ty: ValueType::UInt(8), reveal: Reveal::All, region: at(16, 8) },
        ProgramOutput {
            name: "m".into(),
            ty: ValueType::UInt(8),
            reveal: Reveal::To(PartyId(1)),
            region: at(56, 8),
        },
        ProgramOutput { name: "s".into(), ty: ValueType::UInt(8), reveal: Reveal::All, region: at(48, 8) },
    ];
    Program::new(vec!["a".into(), "b".into()], inputs, outputs, vec![body_step(), body_mix()], code, 64, 2)
        .unwrap()
}

struct Run {
    outputs: Vec<bool>,
    returned: Vec<bool>,
    tables: Vec<u8>,
}

/// The program garbler of `scheme` (three-halves with a PRG seed fixed by `seed`).
fn garbler<S: mpc_garble::TableSink>(g: ProgramGarbler<S>, scheme: Scheme, seed: u64) -> ProgramGarbler<S> {
    match scheme {
        Scheme::HalfGates => g,
        Scheme::ThreeHalves => g.with_three_halves_seed(Block::from_u128(u128::from(seed) << 1 | 1)),
    }
}

fn garble_eval(scheme: Scheme, p: &Program, bits: &[bool], seed: u64) -> Run {
    let mut rng = ChaCha12Rng::seed_from_u64(seed);
    let delta = Delta::random(&mut rng);
    let mut prg = Prg::from_seed(rng.gen());
    let zero = prg.blocks(p.num_input_wires() as usize);
    let active = encode(&zero, &delta, bits).unwrap();
    let mut tables = Vec::new();
    let g = garbler(ProgramGarbler::new(&delta, 5, &mut tables), scheme, seed);
    let (decoding, out_zero) = garble_program_with(g, p, &zero).unwrap();
    let mut src: &[u8] = &tables;
    let labels =
        evaluate_program_with(ProgramEvaluator::new(5, &mut src).with_scheme(scheme), p, &active).unwrap();
    assert!(src.is_empty(), "the evaluator must consume exactly the table stream");
    let outputs = decode(&labels, &decoding).unwrap();
    let returned = decode_returned(&delta, &out_zero, &labels).unwrap();
    Run { outputs, returned, tables }
}

fn bits_of(v: u64, w: usize) -> Vec<bool> {
    (0..w).map(|i| v >> i & 1 == 1).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn hand_program_matches_plaintext(x in 0u64..256, y in 0u64..256, seed in any::<u64>()) {
        let p = hand_program();
        let groups = vec![bits_of(x, 8), bits_of(y, 8)];
        let want: Vec<bool> = eval_program(&p, &groups).unwrap().concat();
        let bits: Vec<bool> = groups.concat();
        for scheme in Scheme::ALL {
            let run = garble_eval(scheme, &p, &bits, seed);
            prop_assert_eq!(&run.outputs, &want);
            prop_assert_eq!(&run.returned, &want);
            prop_assert_eq!(run.tables.len() as u64, scheme.table_bytes(p.stats().and as u64));
        }
        prop_assert_eq!(program_tweaks_used(&p), 2 * p.stats().and);
    }
}

#[test]
fn one_body_program_gives_the_circuits_tables() {
    let aes = include_str!("vectors/aes_128.txt");
    let c = mpc_circuits::passes::schedule_levels(&mpc_circuits::bristol::read(aes).unwrap());
    for (c, scheme) in [c, body_mix()].into_iter().flat_map(|c| Scheme::ALL.map(|s| (c.clone(), s))) {
        let p = Program::from_circuit(&c).unwrap();
        let mut rng = ChaCha12Rng::seed_from_u64(9);
        let delta = Delta::random(&mut rng);
        let zero = Prg::from_seed(rng.gen()).blocks(c.num_input_wires() as usize);
        let mut direct = Vec::new();
        let mut g = Garbler::new(&c, &delta, zero.clone(), 77).unwrap();
        if scheme == Scheme::ThreeHalves {
            g = g.with_three_halves_seed(Block::from_u128(11));
        }
        let dec = g.garble(&mut direct).unwrap();
        let mut via = Vec::new();
        let (dec2, out_zero) = if scheme == Scheme::ThreeHalves {
            let pg = ProgramGarbler::new(&delta, 77, &mut via).with_three_halves_seed(Block::from_u128(11));
            garble_program_with(pg, &p, &zero).unwrap()
        } else {
            garble_program(&p, &delta, &zero, 77, &mut via).unwrap()
        };
        assert_eq!(direct, via, "tables differ");
        assert_eq!(dec, dec2);
        assert_eq!(g.output_zero_labels().unwrap(), &out_zero[..]);
    }
}

/// Plans made ahead give the run without them, byte for byte; plans of another
/// program are an error.
#[test]
fn plans_made_ahead_change_nothing() {
    let p = hand_program();
    let bits: Vec<bool> = [bits_of(0xA5, 8), bits_of(0x3C, 8)].concat();
    let lazy = garble_eval(Scheme::HalfGates, &p, &bits, 4);
    let mut rng = ChaCha12Rng::seed_from_u64(4);
    let delta = Delta::random(&mut rng);
    let zero = Prg::from_seed(rng.gen()).blocks(p.num_input_wires() as usize);
    let active = encode(&zero, &delta, &bits).unwrap();
    let mut tables = Vec::new();
    let g = ProgramGarbler::new(&delta, 5, &mut tables).with_plans(ProgramPlans::new(&p));
    let (decoding, _) = garble_program_with(g, &p, &zero).unwrap();
    assert_eq!(tables, lazy.tables);
    let mut source = &tables[..];
    let e = ProgramEvaluator::new(5, &mut source).with_plans(ProgramPlans::new(&p));
    let labels = evaluate_program_with(e, &p, &active).unwrap();
    assert_eq!(decode(&labels, &decoding).unwrap(), lazy.outputs);
    let other = Program::from_circuit(&body_mix()).unwrap();
    let g = ProgramGarbler::new(&delta, 5, Vec::new()).with_plans(ProgramPlans::new(&other));
    let wrong = garble_program_with(g, &p, &zero);
    assert!(wrong.is_err());
}

/// A body called many times on the same labels: every call's tables differ (fresh
/// tweaks), and the compiled replay from the second call on agrees with plaintext.
#[test]
fn repeated_calls_use_fresh_tweaks() {
    let body = body_mix();
    let n = 4;
    let code = vec![Instr::Loop {
        reg: 0,
        from: 0,
        to: n,
        code: vec![Instr::Call {
            body: 0,
            args: vec![Operand::Mem(at(0, 8)), Operand::Mem(at(8, 8))],
            results: vec![at(16, 8), at(24, 8)],
        }],
    }];
    let inputs = vec![
        InputGroup { name: "x".into(), party: PartyId(0), ty: ValueType::UInt(8) },
        InputGroup { name: "y".into(), party: PartyId(1), ty: ValueType::UInt(8) },
    ];
    let outputs = vec![ProgramOutput {
        name: "m".into(),
        ty: ValueType::UInt(8),
        reveal: Reveal::All,
        region: at(16, 8),
    }];
    let p =
        Program::new(vec!["a".into(), "b".into()], inputs, outputs, vec![body.clone()], code, 32, 1).unwrap();
    let bits = bits_of(0xa5c3, 16);
    let want = eval_program(&p, &[bits_of(0xc3, 8), bits_of(0xa5, 8)]).unwrap().concat();
    for scheme in Scheme::ALL {
        let run = garble_eval(scheme, &p, &bits, 3);
        let ands = body.and_count() as u64 * n as u64;
        assert_eq!(run.tables.len() as u64, scheme.table_bytes(ands));
        assert_eq!(run.outputs, want);
        if scheme == Scheme::HalfGates {
            // Calls are whole 32-byte tables apart (three-halves groups gates by eight
            // across calls, so its calls do not split at fixed offsets).
            let per = 32 * body.and_count();
            let calls: Vec<&[u8]> = run.tables.chunks(per).collect();
            for i in 0..calls.len() {
                for j in 0..i {
                    assert_ne!(calls[i], calls[j], "calls {j} and {i} reused tweaks");
                }
            }
        }
    }
}

#[test]
fn short_table_stream_is_an_error() {
    let p = hand_program();
    let bits = bits_of(0x1234, 16);
    let active = vec![Block::ZERO; 16];
    for scheme in Scheme::ALL {
        let run = garble_eval(scheme, &p, &bits, 1);
        for cut in [0, 1, 31, 32, run.tables.len() / 2, run.tables.len() - 1] {
            let mut src: &[u8] = &run.tables[..cut];
            let e = ProgramEvaluator::new(5, &mut src).with_scheme(scheme);
            match evaluate_program_with(e, &p, &active) {
                Err(GarbleError::Truncated { .. }) => {}
                other => panic!("{scheme} cut at {cut}: {other:?}"),
            }
        }
    }
    let run = garble_eval(Scheme::HalfGates, &p, &bits, 1);
    match evaluate_program(&p, &active[..3], 5, &mut &run.tables[..]) {
        Err(GarbleError::InputCount { want: 16, got: 3 }) => {}
        other => panic!("{other:?}"),
    }
}
