//! Sessions of programs (a body called in a loop over a wire memory): outputs against
//! a plain computation and `eval_program`, and programs that differ only in their
//! instructions are refused by the hello digest.

use std::time::Duration;

use mpc_circuits::gadgets::{arith, mul};
use mpc_circuits::{
    eval_program, Affine, Builder, Circuit, InputGroup, Instr, Operand, PartyId, Program, ProgramOutput,
    Region, Reveal, ValueType,
};
use mpc_net::MemoryChannel;
use mpc_runtime::{
    program_digest, run_evaluator_program, run_garbler_program, run_local_program, SessionError,
    SessionOptions,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// `acc + a * b` on u16.
fn mac() -> Circuit {
    let mut b = Builder::new(&["p"]);
    let acc = b.input(PartyId(0), "acc", 16);
    let x = b.input(PartyId(0), "a", 16);
    let y = b.input(PartyId(0), "b", 16);
    let p = mul::mul(&mut b, &x, &y);
    let s = arith::add(&mut b, &acc, &p);
    b.output("s", &s);
    b.finish().unwrap()
}

/// The dot product of `a: [u16; n] @alice` and `b: [u16; n] @bob` over the first
/// `upto` elements, with the count `i` added in through a register operand.
fn dot(n: u32, upto: i64) -> Program {
    let w = 16;
    let acc = 2 * n * w;
    let r = Affine::reg(0);
    let code = vec![Instr::Loop {
        reg: 0,
        from: 0,
        to: upto,
        code: vec![
            Instr::Call {
                body: 0,
                args: vec![
                    Operand::Mem(Region { addr: Affine::constant(i64::from(acc)), width: w }),
                    Operand::Mem(Region { addr: r.scale(i64::from(w)).unwrap(), width: w }),
                    Operand::Mem(Region {
                        addr: r.scale(i64::from(w)).unwrap().offset(i64::from(n * w)).unwrap(),
                        width: w,
                    }),
                ],
                results: vec![Region { addr: Affine::constant(i64::from(acc)), width: w }],
            },
            // acc += i * 1 (a register operand as public constant bits).
            Instr::Call {
                body: 0,
                args: vec![
                    Operand::Mem(Region { addr: Affine::constant(i64::from(acc)), width: w }),
                    Operand::Reg { value: r.clone(), width: w },
                    Operand::Reg { value: Affine::constant(1), width: w },
                ],
                results: vec![Region { addr: Affine::constant(i64::from(acc)), width: w }],
            },
        ],
    }];
    let arr = ValueType::Array(Box::new(ValueType::UInt(16)), n);
    let inputs = vec![
        InputGroup { name: "a".into(), party: PartyId(0), ty: arr.clone() },
        InputGroup { name: "b".into(), party: PartyId(1), ty: arr },
    ];
    let outputs = vec![ProgramOutput {
        name: "dot".into(),
        ty: ValueType::UInt(16),
        reveal: Reveal::All,
        region: Region { addr: Affine::constant(i64::from(acc)), width: w },
    }];
    Program::new(vec!["alice".into(), "bob".into()], inputs, outputs, vec![mac()], code, acc + w, 1).unwrap()
}

fn bits(v: &[u16]) -> Vec<bool> {
    v.iter().flat_map(|x| (0..16).map(move |i| x >> i & 1 == 1)).collect()
}

#[test]
fn dot_product_program_between_two_parties() {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    for n in [1u32, 5] {
        let p = dot(n, i64::from(n));
        let a: Vec<u16> = (0..n).map(|_| rng.gen()).collect();
        let b: Vec<u16> = (0..n).map(|_| rng.gen()).collect();
        let want =
            (0..n as usize).fold(0u16, |s, i| s.wrapping_add(a[i].wrapping_mul(b[i])).wrapping_add(i as u16));
        let inputs = vec![bits(&a), bits(&b)];
        assert_eq!(eval_program(&p, &inputs).unwrap(), vec![bits(&[want])]);
        let out = run_local_program(&p, &inputs, &SessionOptions::default()).unwrap();
        assert_eq!(out.outputs, vec![bits(&[want])], "n = {n}");
        let ands = u64::try_from(p.stats().and).unwrap();
        assert_eq!(out.garbler.and_gates, ands);
        assert!(out.garbler.bytes_sent >= 32 * ands, "tables are sent");
    }
}

#[test]
fn a_dot_product_of_100_elements_runs_over_softspoken() {
    // 1,600 evaluator input bits: the session chooses SoftSpoken (at least 257 OTs).
    let n = 100u32;
    let p = dot(n, i64::from(n));
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let a: Vec<u16> = (0..n).map(|_| rng.gen()).collect();
    let b: Vec<u16> = (0..n).map(|_| rng.gen()).collect();
    let want =
        (0..n as usize).fold(0u16, |s, i| s.wrapping_add(a[i].wrapping_mul(b[i])).wrapping_add(i as u16));
    let inputs = vec![bits(&a), bits(&b)];
    let out = run_local_program(&p, &inputs, &SessionOptions::default()).unwrap();
    assert_eq!(out.outputs, vec![bits(&[want])]);
    // IKNP's extension alone would be 16 bytes per OT; SoftSpoken's is 5.4 plus the
    // 2,720 bytes of tree sums, and the evaluator sends little else.
    let iknp_extension = 16 * 16 * u64::from(n);
    assert!(out.evaluator.bytes_sent < iknp_extension, "{} bytes", out.evaluator.bytes_sent);
}

#[test]
fn programs_differing_in_their_instructions_are_refused() {
    let (p, q) = (dot(4, 4), dot(4, 3));
    assert_ne!(program_digest(&p), program_digest(&q));
    assert_eq!(program_digest(&p), program_digest(&dot(4, 4)));
    let (mut a, mut b) = MemoryChannel::pair_with_timeout(Duration::from_secs(5));
    let (g, e) = std::thread::scope(|s| {
        let g = s.spawn(|| run_garbler_program(&mut a, &p, &[bits(&[1; 4])], &SessionOptions::default()));
        let e = run_evaluator_program(&mut b, &q, &[bits(&[2; 4])], &SessionOptions::default());
        drop(b);
        (g.join().unwrap(), e)
    });
    for err in [g.unwrap_err(), e.unwrap_err()] {
        assert!(matches!(err, SessionError::Mismatch(_)), "{err}");
        assert!(err.to_string().contains("different circuits"), "{err}");
    }
}
