//! Per-call cost of garbling programs: a body of `w` independent AND gates (plus as
//! many XORs) called `n` times in a loop, garbled into a counting sink, for several
//! body widths; prints ns per call and AND/s. Run with
//! `cargo run --release -p mpc-garble --example program_calls`.

use std::time::Instant;

use mpc_circuits::{
    Affine, Builder, InputGroup, Instr, Operand, PartyId, Program, ProgramOutput, Region, Reveal, ValueType,
    Word,
};
use mpc_crypto::{Block, Delta};
use mpc_garble::{garble_program, CountingSink};

fn program(w: u32, n: i64) -> Program {
    let mut b = Builder::new(&["p"]);
    let x = b.input(PartyId(0), "x", w as usize);
    let y = b.input(PartyId(0), "y", w as usize);
    let bits: Vec<_> = (0..w as usize)
        .map(|i| {
            let a = b.and(x.bit(i), y.bit(i));
            b.xor(a, y.bit((i + 1) % w as usize))
        })
        .collect();
    b.output("z", &Word::from_bits(bits));
    let body = b.finish().expect("a valid body");
    let at = |c: u32| Region { addr: Affine::constant(i64::from(c)), width: w };
    let code = vec![Instr::Loop {
        reg: 0,
        from: 0,
        to: n,
        code: vec![Instr::Call {
            body: 0,
            args: vec![Operand::Mem(at(0)), Operand::Mem(at(w))],
            results: vec![at(0)],
        }],
    }];
    let ty = ValueType::UInt(w);
    let inputs = vec![
        InputGroup { name: "x".into(), party: PartyId(0), ty: ty.clone() },
        InputGroup { name: "y".into(), party: PartyId(1), ty: ty.clone() },
    ];
    let outputs = vec![ProgramOutput { name: "z".into(), ty, reveal: Reveal::All, region: at(0) }];
    Program::new(vec!["a".into(), "b".into()], inputs, outputs, vec![body], code, 2 * w, 1)
        .expect("a valid program")
}

fn main() {
    let delta = Delta::from_block(Block::from_u128(0x1234_5678_9abc_def1));
    for w in [1u32, 8, 64, 1024] {
        let n = (1 << 24) / i64::from(w);
        let p = program(w, n);
        let zero = vec![Block::from_u128(7); 2 * w as usize];
        let start = Instant::now();
        let mut sink = CountingSink::default();
        garble_program(&p, &delta, &zero, 0, &mut sink).expect("garbles");
        let secs = start.elapsed().as_secs_f64();
        println!(
            "body of {w:>4} AND: {n:>8} calls, {:>7.1} ns/call, {:>6.1}M AND/s, {} chunks",
            secs * 1e9 / n as f64,
            (n as f64 * f64::from(w)) / secs / 1e6,
            sink.chunks
        );
    }
}
