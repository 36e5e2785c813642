//! `Limits::check_bounds`: the `out_of_bounds` output flags a secret index out of
//! range on the path the run took, in the unrolled circuit and the program form alike.

use mpc_circuits::value::{parse_value, Value};
use mpc_circuits::{eval::eval_groups, eval_program, Circuit};
use mpc_compiler::{compile, compile_program, Options};

fn options(on: bool) -> Options {
    let mut o = Options::default();
    o.limits.check_bounds = on;
    o
}

fn circuit(src: &str, on: bool) -> Circuit {
    let (c, d) = compile(src, &options(on));
    c.unwrap_or_else(|| panic!("{d:?}"))
}

/// Every output's printed value for the named inputs, through the circuit and through
/// the program form (which must agree).
fn run(src: &str, inputs: &[(&str, &str)]) -> Vec<(String, String)> {
    let c = circuit(src, true);
    let (p, d) = compile_program(src, &options(true));
    let p = p.unwrap_or_else(|| panic!("{d:?}"));
    let bits: Vec<Vec<bool>> = c
        .inputs()
        .iter()
        .map(|g| {
            let (_, text) = inputs.iter().find(|(n, _)| *n == g.name).expect("input given");
            parse_value(text, &g.ty).expect("input parses")
        })
        .collect();
    let out = eval_groups(&c, &bits).expect("circuit evaluates");
    assert_eq!(eval_program(&p, &bits).expect("program evaluates"), out, "program form disagrees");
    c.outputs()
        .iter()
        .zip(out)
        .map(|(g, b)| (g.name.clone(), Value::from_bits(&g.ty, &b).to_string()))
        .collect()
}

fn flag(src: &str, inputs: &[(&str, &str)]) -> String {
    let out = run(src, inputs);
    let (name, v) = out.last().expect("an output").clone();
    assert_eq!(name, "out_of_bounds");
    v
}

const READ: &str = "party a; party b;
fn main(xs: [u8; 5] @a, i: u8 @b) -> u8 { xs[i] }";

#[test]
fn reads() {
    let xs = ("xs", "[10, 11, 12, 13, 14]");
    assert_eq!(flag(READ, &[xs, ("i", "4")]), "false");
    assert_eq!(flag(READ, &[xs, ("i", "5")]), "true");
    assert_eq!(flag(READ, &[xs, ("i", "255")]), "true");
    // The value itself is unchanged by the check.
    assert_eq!(run(READ, &[xs, ("i", "3")])[0].1, "13");
    // Without the option, there is no extra output.
    assert_eq!(circuit(READ, false).outputs().len(), 1);
    assert_eq!(circuit(READ, true).outputs().len(), 2);
}

#[test]
fn writes_and_the_path_taken() {
    // Only the index on the branch taken counts; loops and calls are covered.
    let src = "party a; party b;
fn get(xs: [u8; 3], k: u8) -> u8 { xs[k] }
fn main(c: bool @a, i: u8 @b, j: u8 @b) -> u8 {
    let mut ys = [0u8; 3];
    for t in 0..2 {
        if c { ys[i] = 1; } else { ys[0] = get(ys, j); }
    }
    ys[0]
}";
    assert_eq!(flag(src, &[("c", "true"), ("i", "7"), ("j", "0")]), "true");
    assert_eq!(flag(src, &[("c", "false"), ("i", "7"), ("j", "0")]), "false");
    assert_eq!(flag(src, &[("c", "false"), ("i", "0"), ("j", "3")]), "true");
    assert_eq!(flag(src, &[("c", "true"), ("i", "2"), ("j", "9")]), "false");
}

#[test]
fn indices_that_cannot_be_out_of_range_cost_nothing() {
    // A `u2` index into 4 elements: the flag is the constant `false`, no gate added.
    let src = "party a; party b;
fn main(xs: [u8; 4] @a, i: u2 @b) -> u8 { xs[i] }";
    assert_eq!(flag(src, &[("xs", "[1, 2, 3, 4]"), ("i", "3")]), "false");
    assert_eq!(circuit(src, true).and_count(), circuit(src, false).and_count());
}

#[test]
fn an_output_of_the_same_name_is_refused() {
    let src = "party a; fn main(x: u8 @a) -> (out_of_bounds: u8) { (x,) }";
    let (c, d) = compile(src, &options(true));
    assert!(c.is_none());
    assert!(d.iter().any(|d| d.message.contains("already has an output named `out_of_bounds`")), "{d:?}");
}
