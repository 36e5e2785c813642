//! `mpc compile --explain PROG.mpc [--json]`: where the AND gates go.
//!
//! Prints each source line that costs AND gates, heaviest first, with its AND gates
//! for the whole run, its share of the program's, its own AND depth (the longest
//! chain of its AND gates within one body call) and, for a line that runs more than
//! once (a loop body, an inlined function), its runs and AND gates per run; then the
//! functions the same way. The lines add up to the program's AND count
//! (`mpc_compiler::analysis`'s invariant; a line `(no source)` shows any remainder).
//! `--json` prints one object: `and_gates`, `lines` (`line`, `source`, `and_gates`,
//! `share`, `and_depth`, `runs`, `and_per_run`), `functions` (`name`, `line`,
//! `and_gates`, `share`, `and_depth`) and `unattributed`. Counts past `u64` are
//! decimal strings, as in `--stats`.

use std::path::Path;

use mpc_compiler::analysis::{explain, line_starts, Explanation};
use mpc_compiler::Options;

use super::program::count_json;
use super::{write_stdout, AlreadyReported};

/// Explains `source` (read from `path`); diagnostics go to stderr.
pub fn run(path: &Path, source: &str, options: &Options, json: bool) -> anyhow::Result<()> {
    let (e, diags) = explain(source, options);
    super::compile::report(&diags, path, source);
    let e = e.ok_or(AlreadyReported)?;
    let lines: Vec<&str> = source.lines().collect();
    if json {
        let text = serde_json::to_string_pretty(&to_json(&e, &lines, source))?;
        return write_stdout(format_args!("{text}\n"));
    }
    write_stdout(format_args!("{}", to_text(&e, &lines, source)))
}

fn share(part: u128, total: u128) -> f64 {
    if total == 0 {
        0.0
    } else {
        part as f64 * 100.0 / total as f64
    }
}

/// Line `n` (1-based) of the source, trimmed and cut to 60 characters.
fn source_line(lines: &[&str], n: usize) -> String {
    let text = lines.get(n.wrapping_sub(1)).map_or("", |l| l.trim());
    let mut cut: String = text.chars().take(60).collect();
    if cut.len() < text.len() {
        cut.push_str("...");
    }
    // A source line reaches the terminal: no control characters.
    cut.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

fn to_text(e: &Explanation, lines: &[&str], source: &str) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let _ = writeln!(s, "{} AND gates in the whole run", e.and_gates);
    let _ = writeln!(
        s,
        "{:>6} {:>14} {:>7} {:>6} {:>12} {:>14}  source",
        "line", "AND", "share", "depth", "runs", "AND/run"
    );
    for l in &e.lines {
        let (runs, per) = if l.runs > 1 {
            (l.runs.to_string(), format!("{:.1}", l.per_run()))
        } else {
            ("1".to_string(), l.and_gates.to_string())
        };
        let _ = writeln!(
            s,
            "{:>6} {:>14} {:>6.1}% {:>6} {:>12} {:>14}  {}",
            l.line,
            l.and_gates,
            share(l.and_gates, e.and_gates),
            l.depth,
            runs,
            per,
            source_line(lines, l.line)
        );
    }
    if e.unattributed > 0 {
        let _ = writeln!(
            s,
            "{:>6} {:>14} {:>6.1}%  (no source)",
            "-",
            e.unattributed,
            share(e.unattributed, e.and_gates)
        );
    }
    if !e.functions.is_empty() {
        let starts = line_starts(source);
        let _ = writeln!(s, "\n{:<20} {:>14} {:>7} {:>6}  line", "function", "AND", "share", "depth");
        for f in &e.functions {
            let _ = writeln!(
                s,
                "{:<20} {:>14} {:>6.1}% {:>6}  {}",
                f.name,
                f.and_gates,
                share(f.and_gates, e.and_gates),
                f.depth,
                mpc_compiler::analysis::line_of(&starts, f.span.lo)
            );
        }
    }
    s
}

fn to_json(e: &Explanation, lines: &[&str], source: &str) -> serde_json::Value {
    let starts = line_starts(source);
    let line_rows: Vec<serde_json::Value> = e
        .lines
        .iter()
        .map(|l| {
            serde_json::json!({
                "line": l.line,
                "source": source_line(lines, l.line),
                "and_gates": count_json(l.and_gates),
                "share": share(l.and_gates, e.and_gates),
                "and_depth": l.depth,
                "runs": count_json(l.runs.max(1)),
                "and_per_run": l.per_run(),
            })
        })
        .collect();
    let fn_rows: Vec<serde_json::Value> = e
        .functions
        .iter()
        .map(|f| {
            serde_json::json!({
                "name": f.name,
                "line": mpc_compiler::analysis::line_of(&starts, f.span.lo),
                "and_gates": count_json(f.and_gates),
                "share": share(f.and_gates, e.and_gates),
                "and_depth": f.depth,
            })
        })
        .collect();
    serde_json::json!({
        "and_gates": count_json(e.and_gates),
        "lines": line_rows,
        "functions": fn_rows,
        "unattributed": count_json(e.unattributed),
    })
}
