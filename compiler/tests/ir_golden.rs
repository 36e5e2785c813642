//! IR golden tests: for every `tests/ir_golden/NAME.mpc`, the IR printed
//! (`Ir::to_text`) after lowering and after each pass (`compile_ir_traced`) must equal
//! `NAME.ir`, stage by stage (`== lower`, `== strength`, `== cleanup`). The IR is
//! checked by `Ir::verify` between the stages (debug builds) on the way.
//!
//! Bless mode: `MPC_BLESS=1 cargo test -p mpc-compiler --test ir_golden` rewrites the
//! `.ir` files from what the compiler prints now (review the diff).

use std::path::{Path, PathBuf};

use mpc_compiler::{compile_ir_traced, Options};

/// The printed IR after each stage, as the `.ir` file holds it.
fn stages(source: &str) -> String {
    let mut text = String::new();
    let (ir, diags) = compile_ir_traced(source, &Options::default(), &mut |stage, ir| {
        text.push_str(&format!("== {stage}\n{}", ir.to_text()));
    });
    assert!(ir.is_some(), "{diags:?}");
    text
}

fn corpus() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ir_golden");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/ir_golden exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "mpc"))
        .collect();
    files.sort();
    files
}

/// The first line where `want` and `got` differ, for the failure message.
fn first_difference(want: &str, got: &str) -> String {
    let (mut w, mut g) = (want.lines(), got.lines());
    for n in 1.. {
        match (w.next(), g.next()) {
            (None, None) => break,
            (a, b) if a != b => return format!("line {n}: expected {a:?}, got {b:?}"),
            _ => {}
        }
    }
    "no difference".into()
}

#[test]
fn ir_after_each_pass() {
    let bless = std::env::var_os("MPC_BLESS").is_some_and(|v| v != "0");
    let files = corpus();
    assert!(files.len() >= 5, "only {} golden programs", files.len());
    let mut failures = Vec::new();
    for path in &files {
        let source = std::fs::read_to_string(path).expect("read program");
        let got = stages(&source);
        for stage in ["== lower\n", "== strength\n", "== cleanup\n"] {
            assert!(got.contains(stage), "{}: no stage {stage}", path.display());
        }
        // The same source prints the same IR every time (node ids included).
        assert_eq!(got, stages(&source), "{}: IR printing is not deterministic", path.display());
        let golden = path.with_extension("ir");
        if bless {
            std::fs::write(&golden, &got).expect("write golden IR");
            continue;
        }
        match std::fs::read_to_string(&golden) {
            Ok(want) if want == got => {}
            Ok(want) => failures.push(format!("{}: {}", golden.display(), first_difference(&want, &got))),
            Err(e) => failures.push(format!("{}: {e}", golden.display())),
        }
    }
    assert!(failures.is_empty(), "IR differs (MPC_BLESS=1 rewrites the .ir files):\n{}", failures.join("\n"));
}

#[test]
fn differences_are_located() {
    assert_eq!(first_difference("a\nb\n", "a\nc\n"), "line 2: expected Some(\"b\"), got Some(\"c\")");
    assert_eq!(first_difference("a\n", "a\nb\n"), "line 2: expected None, got Some(\"b\")");
    assert_eq!(first_difference("a", "a"), "no difference");
}
