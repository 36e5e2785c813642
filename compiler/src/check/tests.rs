//! Unit tests of the checker: small sources to the types it records and the
//! diagnostics it reports (message, position, help). The corpus in
//! `tests/diagnostics/` covers whole programs; these pin one rule each.

use super::{check, Checked};
use crate::ast::{Item, Program, Stmt};
use crate::diag::{line_col, Diagnostic};
use crate::parser::parse;
use crate::types::Ty;

/// Parses (which must succeed without errors) and checks `src`.
fn checked(src: &str) -> (Program, Checked, Vec<Diagnostic>) {
    let (prog, diags) = parse(src);
    assert!(diags.is_empty(), "parse errors: {diags:?}");
    let prog = prog.expect("parsed");
    let (ck, diags) = check(&prog);
    (prog, ck, diags)
}

/// The types recorded for the values of `main`'s `let` statements, by name, in order.
fn let_types(src: &str) -> Vec<(String, Ty)> {
    let (prog, ck, diags) = checked(src);
    assert!(diags.is_empty(), "unexpected diagnostics: {diags:?}");
    let main = prog
        .items
        .iter()
        .find_map(|i| match i {
            Item::Fn(f) if f.name.name == "main" => Some(f),
            _ => None,
        })
        .expect("a main");
    main.body
        .stmts
        .iter()
        .filter_map(|s| match s {
            Stmt::Let { name, value, .. } => Some((name.name.clone(), ck.ty(value))),
            _ => None,
        })
        .collect()
}

/// The single error of `src`: (line, column, message, help).
fn error(src: &str) -> (usize, usize, String, String) {
    let (_, _, diags) = checked(src);
    let errors: Vec<&Diagnostic> = diags.iter().filter(|d| d.is_error()).collect();
    assert_eq!(errors.len(), 1, "expected exactly one error, got {diags:?}");
    let d = errors[0];
    let (line, col) = line_col(src, d.span.lo);
    (line, col, d.message.clone(), d.help.clone().unwrap_or_default())
}

const HEAD: &str = "party a;\nparty b;\n";

fn prog(body: &str) -> String {
    format!("{HEAD}fn main(x: u8 @a, y: u8 @b) -> u8 {{\n{body}\n}}\n")
}

#[test]
fn literals_take_the_type_of_the_other_operand() {
    let t = let_types(&prog("let s = x + 3;\nlet c = 3 + 4;\nlet w = 3u16 * 2;\ns"));
    assert_eq!(t, [("s".into(), Ty::UInt(8)), ("c".into(), Ty::Int), ("w".into(), Ty::UInt(16))]);
}

#[test]
fn comparisons_are_bool_and_casts_name_their_type() {
    let t = let_types(&prog("let c = x < y;\nlet w = x as i32;\nlet e = x == 1;\nx"));
    assert_eq!(t, [("c".into(), Ty::Bool), ("w".into(), Ty::SInt(32)), ("e".into(), Ty::Bool)]);
}

#[test]
fn an_untyped_accumulator_takes_its_first_typed_assignment() {
    let t = let_types(&prog("let mut s = 0;\nfor i in 0..4 { s += x; }\nlet r = s;\nr"));
    assert_eq!(t.last(), Some(&("r".into(), Ty::UInt(8))));
}

#[test]
fn arrays_tuples_and_builtins_have_their_types() {
    let t = let_types(&prog(
        "let xs = [x, y, 3];\nlet p = (x, true);\nlet m = min(x, 7);\nlet n = popcount(x);\n\
         let w = mul_wide(x, y);\nlet l = xs.len();\nlet b = x.bit(2);\nx",
    ));
    let arr = Ty::Array(Box::new(Ty::UInt(8)), 3);
    let want = [
        ("xs", arr),
        ("p", Ty::Tuple(vec![Ty::UInt(8), Ty::Bool])),
        ("m", Ty::UInt(8)),
        ("n", Ty::UInt(32)),
        ("w", Ty::UInt(16)),
        ("l", Ty::Int),
        ("b", Ty::Bool),
    ];
    let want: Vec<(String, Ty)> = want.into_iter().map(|(n, t)| (n.to_string(), t)).collect();
    assert_eq!(t, want);
}

#[test]
fn generic_calls_make_one_instance_per_length() {
    let src = format!(
        "{HEAD}fn sum<const N: usize>(v: [u8; N]) -> u8 {{ let mut s = 0u8; for i in 0..N {{ s += v[i]; }} s }}\n\
         fn main(x: [u8; 3] @a, y: [u8; 4] @b) -> u8 {{ sum(x) + sum(y) + sum(x) }}\n"
    );
    let (_, ck, diags) = checked(&src);
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(ck.instances.len(), 2);
    assert_eq!(ck.call_targets.len(), 3);
}

#[test]
fn outputs_and_parties_are_recorded() {
    let src =
        format!("{HEAD}fn main(x: u8 @a, y: u8 @b) -> (lo: u8 @a, hi: u8) {{ (min(x, y), max(x, y)) }}\n");
    let (_, ck, diags) = checked(&src);
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(ck.parties, ["a", "b"]);
    assert_eq!(ck.input_parties, [0, 1]);
    let outs: Vec<(&str, Option<u8>)> = ck.outputs.iter().map(|o| (o.name.as_str(), o.party)).collect();
    assert_eq!(outs, [("lo", Some(0)), ("hi", None)]);
}

#[test]
fn mismatched_integer_types_are_one_error_with_help() {
    let (line, col, msg, help) =
        error(&format!("{HEAD}fn main(x: u8 @a, y: u16 @b) -> u16 {{\n    x + y\n}}\n"));
    assert_eq!((line, col), (4, 5));
    assert!(msg.contains("u8") && msg.contains("u16"), "{msg}");
    assert!(!help.is_empty());
}

#[test]
fn unknown_names_suggest_a_similar_one() {
    let (line, col, msg, help) = error(&prog("let total = x;\ntotl"));
    assert_eq!((line, col), (5, 1));
    assert_eq!(msg, "cannot find `totl` in this scope");
    assert!(help.contains("`total`"), "{help}");
}

#[test]
fn builtin_arity_and_argument_rules() {
    let (_, _, msg, _) = error(&prog("min(x)"));
    assert_eq!(msg, "`min` takes 2 argument(s) but 1 were given");
    let (_, _, msg, _) = error(&prog("let a = abs(x);\nx"));
    assert_eq!(msg, "`abs` needs a signed integer, found `u8`");
    let (_, _, msg, help) = error(&prog("let a = x.bit(true);\nx"));
    assert_eq!(msg, "a bit index must be unsigned, found `bool`");
    assert_eq!(help, "cast it: `i as u32`");
    let (_, _, msg, _) = error(&prog("let a = x.len();\nx"));
    assert!(msg.starts_with("`len()` needs an array"), "{msg}");
}

#[test]
fn builtins_cannot_be_redefined_or_called_unknown() {
    let (line, col, msg, _) =
        error(&format!("{HEAD}fn sort(v: u8) -> u8 {{ v }}\nfn main(x: u8 @a) -> u8 {{ x }}\n"));
    assert_eq!((line, col), (3, 4));
    assert_eq!(msg, "`sort` is a built-in function and cannot be redefined");
    let (_, _, msg, help) = error(&prog("frobnicate(x)"));
    assert_eq!(msg, "cannot find function `frobnicate`");
    assert!(help.contains("builtins: min, max, abs, popcount"), "{help}");
}

#[test]
fn loop_bounds_must_agree_and_loops_be_bounded() {
    let (_, _, msg, help) = error(&prog("for i in 0..true { }\nx"));
    assert!(msg.starts_with("loop bounds must be integers of one type"), "{msg}");
    assert_eq!(help, "write bounds like `0..N` with a constant N");
    let (_, _, msg, _) = error(&prog("let c = 0u8;\nfor i in c..4u16 { }\nx"));
    assert!(msg.contains("`u8` and `u16`"), "{msg}");
}

#[test]
fn recursion_is_reported_once() {
    let src = format!("{HEAD}fn f(v: u8) -> u8 {{ g(v) }}\nfn g(v: u8) -> u8 {{ f(v) }}\nfn main(x: u8 @a) -> u8 {{ f(x) }}\n");
    let (_, _, msg, help) = error(&src);
    assert!(msg.starts_with("recursive call"), "{msg}");
    assert!(help.contains("`for` loop"), "{help}");
}

#[test]
fn assignment_needs_mut() {
    let (_, _, msg, _) = error(&prog("let s = x;\ns = y;\ns"));
    assert!(msg.contains("`s`") && msg.contains("mut"), "{msg}");
}

#[test]
fn non_exhaustive_match_names_what_is_missing() {
    let src = format!(
        "{HEAD}enum E {{ A, B, C }}\nfn main(x: u8 @a) -> u8 {{\n    let e = if x > 1 {{ E::A }} else {{ E::B }};\n    \
         match e {{ E::A => 1u8, E::B => 2u8 }}\n}}\n"
    );
    let (_, _, msg, _) = error(&src);
    assert!(msg.starts_with("non-exhaustive `match`") && msg.contains("C"), "{msg}");
}

#[test]
fn errors_do_not_cascade() {
    // The bad operand makes the sum the error type; using it again reports nothing.
    let (_, _, diags) = checked(&prog("let s = x + true;\nlet t = s * 2;\nt"));
    assert_eq!(diags.iter().filter(|d| d.is_error()).count(), 1, "{diags:?}");
}
