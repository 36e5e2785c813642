//! The program form (loops compiled once) against the unrolled circuit, the test
//! oracle: same outputs on random inputs for every corpus program and example, with
//! loops rolled wherever the compiler can (threshold 0) and at the default threshold,
//! and AND counts within 2% at the default threshold.

mod common;

use mpc_circuits::{eval::eval_groups, eval_program, Circuit, Program};
use mpc_compiler::{compile, compile_program, Options};

/// A small deterministic generator (xorshift64*), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn bit(&mut self) -> bool {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 63) == 1
    }
}

fn random_inputs(c: &Circuit, rng: &mut Rng) -> Vec<Vec<bool>> {
    c.inputs().iter().map(|g| (0..g.ty.width()).map(|_| rng.bit()).collect()).collect()
}

fn both(src: &str, min_work: u64) -> Option<(Circuit, Program)> {
    let (c, _) = compile(src, &Options::default());
    let c = c?;
    let mut opts = Options::default();
    opts.limits.roll_min_work = min_work;
    if min_work == 0 {
        opts.limits.sort_stream_min = 0;
    }
    let (p, diags) = compile_program(src, &opts);
    let p =
        p.unwrap_or_else(|| panic!("the program form failed where the circuit compiled: {diags:?}\n{src}"));
    Some((c, p))
}

fn agree(src: &str, c: &Circuit, p: &Program, trials: usize) {
    assert_eq!(c.inputs(), p.inputs(), "{src}");
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..trials {
        let inputs = random_inputs(c, &mut rng);
        let want = eval_groups(c, &inputs).expect("circuit evaluates");
        let got = eval_program(p, &inputs).expect("program evaluates");
        assert_eq!(want, got, "outputs differ on inputs {inputs:?} for\n{src}");
    }
}

#[test]
fn every_loop_rolled_agrees_with_unrolled() {
    let mut rolled = 0;
    for src in common::sources() {
        let Some((c, p)) = both(&src, 0) else { continue };
        if p.bodies().len() > 1 {
            rolled += 1;
        }
        agree(&src, &c, &p, 8);
    }
    // The corpus has loops: some of them must actually be rolled.
    assert!(rolled >= 5, "only {rolled} programs had a loop rolled");
}

#[test]
fn default_threshold_agrees_and_costs_within_two_percent() {
    for src in common::sources() {
        let Some((c, p)) = both(&src, mpc_compiler::Limits::default().roll_min_work) else { continue };
        agree(&src, &c, &p, 4);
        if p.bodies().len() == 1 {
            // Nothing rolled: the one body is the unrolled circuit itself.
            assert_eq!(c.and_count() as u128, p.stats().and, "{src}");
        }
        let (a, b) = (c.and_count() as f64, p.stats().and as f64);
        assert!(
            (b - a).abs() <= 0.02 * a.max(1.0) + 0.5,
            "AND counts {a} (unrolled) vs {b} (program) for\n{src}"
        );
    }
}

const LOOPS: &[&str] = &[
    // Multiply-accumulate over arrays indexed by the counter.
    "party alice; party bob;
     fn main(a: [u32; 40] @alice, b: [u32; 40] @bob) -> (s: u32) {
         let mut s = 0u32;
         for r in 0..3 { for i in 0..40 { s = s + a[i] * b[i] + r; } }
         (s,)
     }",
    // Matrix product with affine indices.
    "party alice; party bob;
     fn main(a: [[u8; 5]; 5] @alice, b: [[u8; 5]; 5] @bob) -> (c: [[u8; 5]; 5]) {
         let mut c = [[0u8; 5]; 5];
         for i in 0..5 { for j in 0..5 { for k in 0..5 { c[i][j] = c[i][j] + a[i][k] * b[k][j]; } } }
         (c,)
     }",
    // Edit distance with rolling rows and a counter written as data.
    "party alice; party bob;
     fn main(a: [u8; 6] @alice, b: [u8; 7] @bob) -> (d: u16) {
         let mut prev = [0u16; 8];
         for j in 0..8 { prev[j] = j as u16; }
         for i in 1..7 {
             let mut cur = [0u16; 8];
             cur[0] = i as u16;
             for j in 1..8 {
                 let cost = if a[i - 1] == b[j - 1] { 0u16 } else { 1u16 };
                 let x = min(prev[j] + 1, cur[j - 1] + 1);
                 cur[j] = min(x, prev[j - 1] + cost);
             }
             prev = cur;
         }
         (prev[7],)
     }",
    // Prefix sums in place, reads behind writes.
    "party alice; party bob;
     fn main(a: [u16; 12] @alice, k: u16 @bob) -> (p: [u16; 12]) {
         let mut p = a;
         for i in 1..12 { p[i] = p[i] + p[i - 1] + k; }
         (p,)
     }",
    // Secret condition and secret index inside a rolled loop.
    "party alice; party bob;
     fn main(a: [u8; 16] @alice, t: u8 @bob, ix: u4 @bob) -> (n: u8, m: u8) {
         let mut n = 0u8;
         let mut m = 0u8;
         for i in 0..16 { if a[i] > t { n = n + 1; } m = max(m, a[ix] ^ a[i]); }
         (n, m)
     }",
    // Reverse through a decreasing affine index, and a loop in a function.
    "party alice; party bob;
     fn rev(x: [u8; 9]) -> [u8; 9] { let mut y = x; for i in 0..9 { y[i] = x[8 - i]; } y }
     fn main(a: [u8; 9] @alice, b: u8 @bob) -> (r: [u8; 9]) {
         let mut r = rev(a);
         for i in 0..9 { r[i] = r[i] + b; }
         (r,)
     }",
    // Two writes to one element in an iteration, several iterations per body call:
    // the later write must win (outputs are written in program order).
    "party alice; party bob;
     fn main(a: [u8; 8] @alice, b: [u8; 8] @bob) -> (c: [u8; 8]) {
         let mut c = [0u8; 8];
         for j in 0..8 { c[j] = c[j] + a[j]; c[j] = c[j] * b[j]; }
         for j in 0..8 { for k in 0..4 { c[j] = c[j] + a[k]; } }
         (c,)
     }",
    // Sorts streamed as networks (every size, signed and unsigned, padded).
    "party alice; party bob;
     fn main(a: [u8; 7] @alice, b: [i6; 5] @bob, c: [u8; 16] @alice) -> (x: [u8; 7], y: [i6; 5], z: u8) {
         let s = sort(c);
         (sort(a), sort(b), s[8])
     }",
];

#[test]
fn rolled_loops_agree_with_unrolled() {
    for src in LOOPS {
        let (c, p) = both(src, 0).expect("compiles");
        assert!(p.bodies().len() > 1, "no loop was rolled in\n{src}\n{p:?}");
        agree(src, &c, &p, 24);
    }
}

/// Bits of unsigned `values` of `w` bits each, element 0 first, bit 0 first.
fn bits_of(values: &[u64], w: usize) -> Vec<bool> {
    values.iter().flat_map(|&v| (0..w).map(move |i| (v >> i) & 1 == 1)).collect()
}

fn value_of(bits: &[bool]) -> u64 {
    bits.iter().enumerate().fold(0, |acc, (i, &b)| acc | (u64::from(b) << i))
}

fn rolled_options() -> Options {
    let mut opts = Options::default();
    opts.limits.roll_min_work = 0;
    opts.limits.sort_stream_min = 0;
    opts
}

fn edit_distance(a: &[u64], b: &[u64]) -> u64 {
    let mut prev: Vec<u64> = (0..=b.len() as u64).collect();
    for i in 1..=a.len() {
        let mut cur = vec![i as u64; b.len() + 1];
        for j in 1..=b.len() {
            let cost = u64::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The rolled edit distance (rows in memory, three nested rolled loops) against a
/// plain implementation on random strings over a small alphabet (so that matches
/// happen), and against the unrolled circuit's AND count.
#[test]
fn edit_distance_in_the_program_form_matches_a_reference() {
    let n = 20;
    let src = format!(
        "party alice; party bob;
         fn main(a: [u8; {n}] @alice, b: [u8; {n}] @bob) -> (d: u16) {{
             let mut prev = [0u16; {m}];
             for j in 0..{m} {{ prev[j] = j as u16; }}
             for i in 1..{m} {{
                 let mut cur = [0u16; {m}];
                 cur[0] = i as u16;
                 for j in 1..{m} {{
                     let cost = if a[i - 1] == b[j - 1] {{ 0u16 }} else {{ 1u16 }};
                     let x = min(prev[j] + 1, cur[j - 1] + 1);
                     cur[j] = min(x, prev[j - 1] + cost);
                 }}
                 prev = cur;
             }}
             (prev[{n}],)
         }}",
        m = n + 1
    );
    let (p, diags) = compile_program(&src, &rolled_options());
    let p = p.unwrap_or_else(|| panic!("{diags:?}"));
    // Rolled: far fewer body gates than gates executed.
    let body_gates: usize = p.bodies().iter().map(|b| b.gates().len()).sum();
    assert!(p.stats().gates() > 10 * body_gates as u128, "the loops were not rolled");
    let mut rng = Rng(7);
    for _ in 0..12 {
        let mut pick =
            || (0..n).map(|_| u64::from(rng.bit()) + 2 * u64::from(rng.bit())).collect::<Vec<u64>>();
        let (a, b) = (pick(), pick());
        let out = eval_program(&p, &[bits_of(&a, 8), bits_of(&b, 8)]).expect("evaluates");
        assert_eq!(value_of(&out[0]), edit_distance(&a, &b), "a={a:?} b={b:?}");
    }
}

/// The median by a streamed `sort` (Batcher network as loops over one body) against
/// sorting in Rust, on random values with repeats.
#[test]
fn median_by_streamed_sort_matches_a_reference() {
    let src = "party alice; party bob;
         fn main(a: [u16; 40] @alice, b: [u16; 40] @bob) -> (m: u16, lo: u16, hi: u16) {
             let mut all = [0u16; 80];
             for i in 0..40 { all[i] = a[i]; all[40 + i] = b[i]; }
             let s = sort(all);
             (s[40], s[0], s[79])
         }";
    let (p, diags) = compile_program(src, &rolled_options());
    let p = p.unwrap_or_else(|| panic!("{diags:?}"));
    let mut rng = Rng(11);
    for _ in 0..10 {
        let mut pick =
            || (0..40).map(|_| (0..5).fold(0u64, |v, _| 2 * v + u64::from(rng.bit()))).collect::<Vec<u64>>();
        let (a, b) = (pick(), pick());
        let mut all: Vec<u64> = a.iter().chain(&b).copied().collect();
        all.sort_unstable();
        let out = eval_program(&p, &[bits_of(&a, 16), bits_of(&b, 16)]).expect("evaluates");
        let got: Vec<u64> = out.iter().map(|o| value_of(o)).collect();
        assert_eq!(got, vec![all[40], all[0], all[79]], "a={a:?} b={b:?}");
    }
}

/// Nested loops whose trip counts multiply past any integer compile at once and their
/// whole-run counts saturate instead of overflowing.
#[test]
fn huge_trip_counts_saturate_in_stats() {
    let src = "party alice; party bob;
         fn main(a: [u64; 4] @alice, b: u64 @bob) -> (s: [u64; 4]) {
             let mut s = a;
             for x in 0..1000000000000000000 { for y in 0..1000000000000000000 {
                 for z in 0..1000000000000000000 { for w in 0..4 { s[w] = s[w] * b + a[w]; } } } }
             (s,)
         }";
    let (p, diags) = compile_program(src, &Options::default());
    let p = p.unwrap_or_else(|| panic!("{diags:?}"));
    let st = p.stats();
    assert_eq!(st.and, u128::MAX);
    assert_eq!(st.gates(), u128::MAX);
}
