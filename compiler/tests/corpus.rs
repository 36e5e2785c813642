//! The compiler's test corpus: every `.mpc` file under `tests/programs/` and the
//! workspace's `examples/`, driven through one [`check`] helper.
//!
//! Expectations live in the program's own comments:
//! - `//> a=1; b=[1, 2] => out=3; flag=true` runs the program on those inputs through
//!   the plaintext evaluator and compares each named output's printed value;
//! - `// error: TEXT` requires compilation to fail with TEXT in the rendered
//!   diagnostics (one line per expected message);
//! - `// ands: N` pins the AND-gate count, `// ands <= N` bounds it.
//!
//! A program with no expectation fails the test, so every file says what it checks.

use std::path::Path;

use mpc_circuits::value::{parse_value, Value};
use mpc_circuits::{bristol, eval::eval_groups, Circuit};
use mpc_compiler::{compile, render, Options};

mod common;

fn split_assignments(s: &str) -> Vec<(String, String)> {
    s.split(';')
        .filter(|p| !p.trim().is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or_else(|| panic!("bad assignment `{p}`"));
            (k.trim().to_string(), v.trim().to_string())
        })
        .collect()
}

fn run(c: &Circuit, inputs: &[(String, String)]) -> Vec<(String, String)> {
    let mut bits = Vec::new();
    for g in c.inputs() {
        let (_, text) = inputs
            .iter()
            .find(|(n, _)| n == &g.name)
            .unwrap_or_else(|| panic!("no value for input `{}`", g.name));
        bits.push(parse_value(text, &g.ty).unwrap_or_else(|e| panic!("input `{}`: {e}", g.name)));
    }
    let out = eval_groups(c, &bits).expect("evaluation");
    c.outputs()
        .iter()
        .zip(out)
        .map(|(g, b)| (g.name.clone(), Value::from_bits(&g.ty, &b).to_string()))
        .collect()
}

/// Checks one program against the expectations in its comments.
fn check(path: &Path) {
    let source = std::fs::read_to_string(path).expect("read program");
    let name = path.display().to_string();
    let (circuit, diags) = compile(&source, &Options::default());
    let rendered = render(&diags, &name, &source, false);
    let mut expectations = 0;
    for line in source.lines() {
        let line = line.trim();
        if let Some(text) = line.strip_prefix("// error:") {
            expectations += 1;
            assert!(circuit.is_none(), "{name}: expected an error, but it compiled");
            assert!(
                rendered.contains(text.trim()),
                "{name}: expected `{}` in diagnostics:\n{rendered}",
                text.trim()
            );
        }
    }
    if expectations > 0 {
        return;
    }
    let c = circuit.unwrap_or_else(|| panic!("{name}: compilation failed:\n{rendered}"));
    // The Bristol round trip must evaluate identically.
    let text = bristol::write_fashion(&c);
    let back = bristol::read(&text).unwrap_or_else(|e| panic!("{name}: Bristol round trip: {e}"));
    for line in source.lines() {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("// ands:") {
            expectations += 1;
            let want: usize = rest.trim().parse().expect("ands count");
            assert_eq!(c.and_count(), want, "{name}: AND count");
        } else if let Some(rest) = line.strip_prefix("// ands <=") {
            expectations += 1;
            let want: usize = rest.trim().parse().expect("ands bound");
            assert!(c.and_count() <= want, "{name}: {} AND > {want}", c.and_count());
        } else if let Some(case) = line.strip_prefix("//>") {
            expectations += 1;
            let (ins, outs) = case.split_once("=>").unwrap_or_else(|| panic!("{name}: bad case `{case}`"));
            let ins = split_assignments(ins);
            let want = split_assignments(outs);
            let got = run(&c, &ins);
            for (k, v) in &want {
                let g = got
                    .iter()
                    .find(|(n, _)| n == k)
                    .unwrap_or_else(|| panic!("{name}: no output `{k}` (have {got:?})"));
                assert_eq!(&g.1, v, "{name}: output `{k}` on {ins:?}");
            }
            // Bristol reader: same result on wires (names are positional there).
            let mut bits = Vec::new();
            for g in c.inputs() {
                let (_, text) = ins.iter().find(|(n, _)| n == &g.name).expect("input");
                bits.push(parse_value(text, &g.ty).expect("value"));
            }
            let flat: Vec<bool> = bits.concat();
            let mut pos = 0;
            let split: Vec<Vec<bool>> = back
                .inputs()
                .iter()
                .map(|g| {
                    let w = g.ty.width();
                    let v = flat[pos..pos + w].to_vec();
                    pos += w;
                    v
                })
                .collect();
            let a: Vec<bool> = eval_groups(&c, &bits).expect("eval").concat();
            let b: Vec<bool> = eval_groups(&back, &split).expect("eval bristol").concat();
            assert_eq!(a, b, "{name}: Bristol output differs");
        }
    }
    assert!(expectations > 0, "{name}: the program states no expectation");
}

#[test]
fn corpus() {
    let files = common::programs();
    assert!(!files.is_empty());
    let mut failures = Vec::new();
    for f in &files {
        if let Err(e) = std::panic::catch_unwind(|| check(f)) {
            let msg = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()));
            failures.push(msg.unwrap_or_else(|| f.display().to_string()));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} programs failed:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n---\n")
    );
}

/// A program whose circuit would exceed `max_gates` is refused with a diagnostic
/// (a small limit here stands in for the default 2*10^8, which protects memory).
#[test]
fn too_many_gates_is_a_diagnostic() {
    let src = "party a;\nparty b;\nfn main(x: u32 @a, y: u32 @b) -> u32 {\n    let mut s = x;\n    for i in 0..100 { s = s * y; }\n    s\n}\n";
    let mut opts = Options::default();
    opts.limits.max_gates = 10_000;
    let (circuit, diags) = compile(src, &opts);
    assert!(circuit.is_none());
    let text = render(&diags, "big.mpc", src, false);
    assert!(text.contains("the program is too large to compile"), "{text}");
    assert!(text.contains("more than 10000 gates"), "{text}");
    // The same program within the default limits compiles.
    assert!(compile(src, &Options::default()).0.is_some());
    // One huge IR node (a sort of 4096 words, ~1.2M comparators) stops at the limit
    // instead of building its whole network first.
    let sort = "party a;\nparty b;\nfn main(xs: [u32; 4096] @a, y: u32 @b) -> u32 {\n    let s = sort(xs);\n    s[0] + y\n}\n";
    let (circuit, diags) = compile(sort, &opts);
    assert!(circuit.is_none());
    let text = render(&diags, "sort.mpc", sort, false);
    assert!(text.contains("more than 10000 gates"), "{text}");
}
