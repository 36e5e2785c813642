//! Unit tests of lowering: small sources to the shape of the IR it builds (before
//! any pass), counted by printed operation name. The golden files in
//! `tests/ir_golden/` pin whole programs through every pass; these pin one rule each.

use std::collections::BTreeMap;

use crate::ir::Ir;
use crate::{compile_ir_traced, Options};

/// The IR right after lowering.
fn lowered(src: &str) -> Ir {
    let mut out = None;
    let (ir, diags) = compile_ir_traced(src, &Options::default(), &mut |stage, ir| {
        if stage == "lower" {
            out = Some(ir.clone());
        }
    });
    assert!(ir.is_some(), "{diags:?}");
    out.expect("a lowered IR")
}

/// How many nodes of each operation (the first word of its printed name) the lowered
/// IR of `src` has, leaving out inputs, outputs and constants.
fn shape(src: &str) -> BTreeMap<String, usize> {
    let ir = lowered(src);
    let mut counts = BTreeMap::new();
    for n in ir.graph.node_weights() {
        let name = n.op.name();
        let op = name.split(' ').next().unwrap_or_default().to_string();
        if op.starts_with("input#") || op.starts_with("output#") || op == "const" {
            continue;
        }
        *counts.entry(op).or_insert(0) += 1;
    }
    counts
}

fn counts(pairs: &[(&str, usize)]) -> BTreeMap<String, usize> {
    pairs.iter().map(|&(k, v)| (k.to_string(), v)).collect()
}

fn main_of(params: &str, ret: &str, body: &str) -> String {
    format!("party a;\nparty b;\nfn main({params}) -> {ret} {{\n{body}\n}}\n")
}

#[test]
fn constants_fold_away() {
    let src = main_of("x: u8 @a", "u8", "let k = (3 + 4) * 2;\nx + k");
    assert_eq!(shape(&src), counts(&[("add", 1)]));
    assert!(lowered(&src).to_text().contains("const 0x0e"), "{}", lowered(&src).to_text());
}

#[test]
fn a_secret_if_is_one_mux_per_value() {
    let src = main_of("x: u8 @a, y: u8 @b", "u8", "if x < y { x + 1 } else { y }");
    assert_eq!(shape(&src), counts(&[("add", 1), ("mux", 1), ("ult", 1)]));
}

#[test]
fn a_public_if_takes_one_branch() {
    let src = main_of("x: u8 @a, y: u8 @b", "u8", "const_if()");
    let src = src
        .replace("fn main", "const K: u8 = 2;\nfn const_if() -> u8 { if K > 1 { 5 } else { 6 } }\nfn main");
    assert_eq!(shape(&src), counts(&[]));
}

#[test]
fn loops_unroll_and_functions_inline() {
    let src = "party a;\nparty b;\nfn sq(v: u8) -> u8 { v * v }\n\
               fn main(x: [u8; 4] @a, y: u8 @b) -> u8 {\n let mut s = y;\n for i in 0..4 { s += sq(x[i]); }\n s\n}\n";
    assert_eq!(shape(src), counts(&[("add", 4), ("mul", 4), ("slice", 4)]));
}

#[test]
fn a_secret_index_read_is_a_mux_tree() {
    // Four elements: three muxes over the index's two low bits.
    let src = main_of("x: [u8; 4] @a, i: u2 @b", "u8", "x[i]");
    let s = shape(&src);
    assert_eq!(s.get("mux"), Some(&3), "{s:?}");
}

#[test]
fn builtins_with_their_own_operation_are_one_node() {
    let src = main_of(
        "x: u8 @a, y: u8 @b",
        "(u8, u8, u32, u32)",
        "(min(x, y), max(x, y), popcount(x), hamming(x, y))",
    );
    assert_eq!(shape(&src), counts(&[("hamming", 1), ("popcount", 1), ("umax", 1), ("umin", 1)]));
    let src = main_of("x: i8 @a, y: i8 @b", "(i8, i8)", "(min(x, y), abs(x))");
    assert_eq!(shape(&src), counts(&[("abs", 1), ("smin", 1)]));
}

#[test]
fn mul_wide_is_a_product_of_extensions() {
    let src = main_of("x: u32 @a, y: u32 @b", "u64", "mul_wide(x, y)");
    assert_eq!(shape(&src), counts(&[("mul", 1), ("zext", 2)]));
}

#[test]
fn sort_is_one_network_and_bits_are_slices() {
    let src = main_of("x: [u8; 4] @a, y: u8 @b", "([u8; 4], bool)", "(sort(x), y.bit(3))");
    assert_eq!(shape(&src), counts(&[("slice", 9), ("sort", 1)]));
}

#[test]
fn dp_noise_prints_its_parameters() {
    let src = main_of("v: i32 @a, ra: [u256; 2] @a, rb: [u256; 2] @b", "i32", "dp_noise(v, ra, rb, 2, 1, 1)");
    let text = lowered(&src).to_text();
    assert!(text.contains("dp_noise signed eps=2/1 sens=1"), "{text}");
}

#[test]
fn every_lowered_ir_verifies() {
    for src in [
        main_of("x: u8 @a, y: u8 @b", "u8", "if x < y { min(x, y) } else { x ^ y }"),
        main_of("x: [u8; 4] @a, i: u8 @b", "[u8; 4]", "let mut v = x;\nv[i] = 1;\nsort(v)"),
    ] {
        let ir = lowered(&src);
        assert_eq!(ir.verify(false), Ok(()), "{}", ir.to_text());
    }
}
