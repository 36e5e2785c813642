//! The diagnostics corpus: every `.mpc` file under `tests/diagnostics/` is one common
//! mistake, and its comments say exactly which diagnostics the compiler gives for it.
//!
//! Expectations are comment lines at the end of the file (after the code, so that
//! rewriting them never moves the code's line numbers):
//! - `// error@LINE:COL: TEXT` — an error at that 1-based line and column (in
//!   characters) whose message contains TEXT;
//! - `// warning@LINE:COL: TEXT` — the same for a warning;
//! - `// help: TEXT` — the diagnostic on the line above has a help line containing TEXT.
//!
//! The diagnostics must match the expectations one to one, in order: same count, same
//! kind, same position, messages and helps containing the texts. On top of that, the
//! corpus's rule: every file gives exactly one error (a `warn_*.mpc` file: no error and
//! at least one warning), and every diagnostic has a help line.
//!
//! Bless mode: `MPC_BLESS=1 cargo test -p mpc-compiler --test diagnostics` rewrites
//! each file's expectations from what the compiler says now (review the diff); the
//! corpus's rule is still checked.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use mpc_compiler::diag::line_col;
use mpc_compiler::{compile, Diagnostic, Options, Severity};

/// One expected or actual diagnostic.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Expect {
    warning: bool,
    line: usize,
    col: usize,
    message: String,
    help: Option<String>,
}

impl Expect {
    fn from_diag(d: &Diagnostic, source: &str) -> Expect {
        let (line, col) = line_col(source, d.span.lo);
        Expect {
            warning: d.severity == Severity::Warning,
            line,
            col,
            message: d.message.clone(),
            // Only the first line of a help is written into an expectation.
            help: d.help.as_ref().map(|h| h.lines().next().unwrap_or_default().to_string()),
        }
    }

    fn kind(&self) -> &'static str {
        if self.warning {
            "warning"
        } else {
            "error"
        }
    }

    /// The comment lines that state this expectation.
    fn write(&self, out: &mut String) {
        let _ = writeln!(out, "// {}@{}:{}: {}", self.kind(), self.line, self.col, self.message);
        if let Some(h) = &self.help {
            let _ = writeln!(out, "// help: {h}");
        }
    }
}

/// Whether a line is an expectation comment.
fn is_expectation(line: &str) -> bool {
    let t = line.trim_start();
    t.starts_with("// error@") || t.starts_with("// warning@") || t.starts_with("// help:")
}

/// Parses the expectation comments of `source`.
fn expectations(source: &str, file: &str) -> Result<Vec<Expect>, String> {
    let mut out: Vec<Expect> = Vec::new();
    for (n, line) in source.lines().enumerate() {
        let t = line.trim_start();
        if let Some(h) = t.strip_prefix("// help:") {
            let Some(last) = out.last_mut() else {
                return Err(format!("{file}:{}: `// help:` before any error or warning", n + 1));
            };
            last.help = Some(h.trim().to_string());
            continue;
        }
        let (warning, rest) = if let Some(r) = t.strip_prefix("// error@") {
            (false, r)
        } else if let Some(r) = t.strip_prefix("// warning@") {
            (true, r)
        } else {
            continue;
        };
        let bad = || format!("{file}:{}: expected `// error@LINE:COL: message`", n + 1);
        let (pos, message) = rest.split_once(": ").ok_or_else(bad)?;
        let (l, c) = pos.split_once(':').ok_or_else(bad)?;
        let line = l.trim().parse().map_err(|_| bad())?;
        let col = c.trim().parse().map_err(|_| bad())?;
        out.push(Expect { warning, line, col, message: message.trim().to_string(), help: None });
    }
    Ok(out)
}

/// The diagnostics the compiler gives for `source`.
fn actual(source: &str) -> Vec<Expect> {
    let (_, diags) = compile(source, &Options::default());
    diags.iter().map(|d| Expect::from_diag(d, source)).collect()
}

/// `source` with its expectation comments replaced by `got`.
fn blessed(source: &str, got: &[Expect]) -> String {
    let mut out: String = source.lines().filter(|l| !is_expectation(l)).map(|l| format!("{l}\n")).collect();
    while out.ends_with("\n\n") {
        out.pop();
    }
    for e in got {
        e.write(&mut out);
    }
    out
}

/// Compares `got` with `want`; the first difference, if any.
fn compare(want: &[Expect], got: &[Expect]) -> Option<String> {
    for (i, (w, g)) in want.iter().zip(got).enumerate() {
        if w.warning != g.warning || (w.line, w.col) != (g.line, g.col) || !g.message.contains(&w.message) {
            return Some(format!(
                "diagnostic {}: expected {}@{}:{}: {}\n   got {}@{}:{}: {}",
                i + 1,
                w.kind(),
                w.line,
                w.col,
                w.message,
                g.kind(),
                g.line,
                g.col,
                g.message
            ));
        }
        if let Some(wh) = &w.help {
            if !g.help.as_ref().is_some_and(|gh| gh.contains(wh.as_str())) {
                return Some(format!("diagnostic {}: expected help `{wh}`, got {:?}", i + 1, g.help));
            }
        }
    }
    (want.len() != got.len()).then(|| format!("expected {} diagnostic(s), got {}", want.len(), got.len()))
}

/// The corpus's rule: exactly one error, or for a `warn_*.mpc` file none and at least
/// one warning; every diagnostic with a help line.
fn rule(name: &str, got: &[Expect]) -> Option<String> {
    if let Some(e) = got.iter().find(|e| e.help.is_none()) {
        return Some(format!("the {} at {}:{} has no help line", e.kind(), e.line, e.col));
    }
    let errors = got.iter().filter(|e| !e.warning).count();
    if name.starts_with("warn_") {
        let warnings = got.len() - errors;
        return (errors != 0 || warnings == 0).then(|| {
            format!("{errors} errors and {warnings} warnings where a warn_ file wants 0 and 1 or more")
        });
    }
    (errors != 1).then(|| format!("{errors} errors where the corpus wants exactly one"))
}

fn corpus() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/diagnostics");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/diagnostics exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "mpc"))
        .collect();
    files.sort();
    files
}

#[test]
fn diagnostics_corpus() {
    let bless = std::env::var_os("MPC_BLESS").is_some_and(|v| v != "0");
    let files = corpus();
    assert!(files.len() >= 20, "the corpus has {} programs, fewer than 20", files.len());
    let mut failures = Vec::new();
    for path in &files {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let source = std::fs::read_to_string(path).expect("read program");
        let got = actual(&source);
        if bless {
            let new = blessed(&source, &got);
            if new != source {
                std::fs::write(path, &new).expect("write blessed program");
            }
        } else {
            match expectations(&source, &name) {
                Err(e) => failures.push(e),
                Ok(want) if want.is_empty() => failures.push(format!("{name}: no expectations")),
                Ok(want) => {
                    if let Some(why) = compare(&want, &got) {
                        let mut text = String::new();
                        got.iter().for_each(|e| e.write(&mut text));
                        failures.push(format!("{name}: {why}\n  all diagnostics now:\n{text}"));
                    }
                }
            }
        }
        if let Some(why) = rule(&name, &got) {
            let mut text = String::new();
            got.iter().for_each(|e| e.write(&mut text));
            failures.push(format!("{name}: {why}\n{text}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} diagnostics programs failed (MPC_BLESS=1 rewrites expectations):\n\n{}",
        failures.len(),
        files.len(),
        failures.join("\n\n")
    );
}

/// The runner itself: parsing, comparing and blessing.
#[test]
fn expectation_format_round_trips() {
    let src = "party p;\nfn main() {}\n// error@2:4: no output\n// help: add one\n// warning@1:1: unused\n";
    let want = expectations(src, "t").expect("parses");
    assert_eq!(want.len(), 2);
    assert_eq!((want[0].line, want[0].col, want[0].help.as_deref()), (2, 4, Some("add one")));
    assert!(want[1].warning && want[1].help.is_none());
    // Blessing drops the old expectations and writes the new ones after the code.
    let got = vec![Expect { warning: false, line: 1, col: 2, message: "m".into(), help: Some("h".into()) }];
    let new = blessed(src, &got);
    assert_eq!(new, "party p;\nfn main() {}\n// error@1:2: m\n// help: h\n");
    assert_eq!(expectations(&new, "t").expect("parses"), got);
    // Substring matching; a wrong column or a missing help fails.
    let full =
        vec![Expect { warning: false, line: 1, col: 2, message: "long m".into(), help: Some("xh".into()) }];
    assert_eq!(compare(&got, &full), None);
    let moved = vec![Expect { col: 3, ..full[0].clone() }];
    assert!(compare(&got, &moved).is_some());
    assert!(compare(&got, &[Expect { help: None, ..full[0].clone() }]).is_some());
    assert!(compare(&got, &[]).is_some());
    assert!(rule("t.mpc", &[Expect { help: None, ..full[0].clone() }]).is_some());
    assert!(rule("t.mpc", &full).is_none());
    assert!(rule("warn_t.mpc", &full).is_some());
    assert!(rule("warn_t.mpc", &[Expect { warning: true, ..full[0].clone() }]).is_none());
    assert!(expectations("// help: x\n", "t").is_err());
}
