//! Bristol Fashion and old Bristol circuit files: a reader for both and a writer for
//! Bristol Fashion.
//!
//! # Bristol Fashion
//! ```text
//! ngates nwires
//! niv n1 n2 ...        input groups and their widths
//! nov m1 m2 ...        output groups and their widths
//!
//! 2 1 a b out XOR|AND      1 1 a out INV|NOT      1 1 v out EQ      1 1 a out EQW
//! 2k k a1..ak b1..bk o1..ok MAND
//! ```
//! Inputs are the first wires (group after group); outputs are the LAST
//! `m1 + m2 + ...` wires, group after group. Wire k of a group is bit k of its value.
//!
//! # Old Bristol
//! Two header lines `ngates nwires` and `n1 n2 nout`; the same gate lines. The two
//! inputs are wires `0..n1` and `n1..n1+n2`, the output the last `nout` wires. The
//! shared vectors' README says old-format bits are most significant first, but
//! evaluating the published `adder_32bit.txt` (emp-tool) shows its wires are least
//! significant first like Bristol Fashion (3 + 5 = 8 only reads that way; the test
//! `old_bristol_adder` checks 50 random sums), so the reader keeps the wire order.
//!
//! # Names, parties, types
//! Input groups are named `"0"`, `"1"`, ... and outputs `"0"`, `"1"`, ... by position.
//! The circuit always has two parties, `"p0"` and `"p1"`; input group `k` belongs to
//! party `k % 2` (so with two inputs, the usual case, input 0 is the first party's and
//! input 1 the second's; a one-input circuit belongs entirely to `p0`). A group of
//! width 1 has type `bool` (it prints as `true`/`false`); wider groups are unsigned
//! integers `uN`. All outputs are revealed to both parties.
//!
//! # Errors
//! Every malformed file gives a [`BristolError`] naming the 1-based line: truncated
//! files, wrong token counts, unknown gates, non-numeric tokens, wires out of range,
//! reads before writes, double writes, gate counts that disagree with the header.
//! The reader never panics and never allocates more than the file's own size
//! justifies: header counts are checked against what the file actually contains
//! before anything is sized by them.

use std::fmt::Write as _;

use crate::circuit::{Circuit, Gate, InputGroup, OutputGroup, PartyId, Reveal, WireId};
use crate::ty::ValueType;

/// What is wrong with a Bristol file, and on which line (1-based; 0 for "the file as
/// a whole", e.g. when it is empty).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {kind}")]
pub struct BristolError {
    /// The 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub kind: BristolErrorKind,
}

/// The kinds of [`BristolError`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BristolErrorKind {
    #[error("the file ends early: expected {0}")]
    UnexpectedEof(&'static str),
    #[error("`{0}` is not a number")]
    NotANumber(String),
    #[error("number {0} is too large")]
    TooLarge(String),
    #[error("expected {expected}, found {found} tokens")]
    TokenCount { expected: String, found: usize },
    #[error("unknown gate `{0}`")]
    UnknownGate(String),
    #[error(
        "gate {gate} needs {want_in} inputs and {want_out} outputs, the line says {got_in} and {got_out}"
    )]
    Arity { gate: String, want_in: usize, want_out: usize, got_in: usize, got_out: usize },
    #[error("wire {wire} is out of range (the circuit has {num_wires} wires)")]
    WireOutOfRange { wire: u64, num_wires: u32 },
    #[error("wire {0} is read before it is written")]
    ReadBeforeWrite(u32),
    #[error("wire {0} is written twice")]
    WrittenTwice(u32),
    #[error("EQ constant must be 0 or 1, found {0}")]
    BadConstant(u64),
    #[error("the header announces {header} gates but the file has {found}")]
    GateCount { header: u64, found: u64 },
    #[error("the header announces {header} wires, but the inputs and gates can write at most {possible}")]
    TooManyWires { header: u64, possible: u64 },
    #[error("inputs and outputs need {need} wires, but the header announces {num_wires}")]
    TooFewWires { need: u64, num_wires: u64 },
    #[error("output wire {0} is never written")]
    OutputNotWritten(u32),
    #[error("a group of width 0")]
    ZeroWidth,
    #[error("the file is not valid UTF-8")]
    NotUtf8,
    #[error("the circuit is invalid: {0}")]
    Invalid(String),
}

fn err(line: usize, kind: BristolErrorKind) -> BristolError {
    BristolError { line, kind }
}

/// The two formats the reader understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Bristol Fashion (`niv n1 ...` / `nov m1 ...` header lines).
    Fashion,
    /// The old Bristol format (`n1 n2 nout`, bits most significant first).
    Old,
}

/// Non-empty lines with their 1-based numbers.
struct Lines<'a> {
    inner: std::iter::Enumerate<std::str::Lines<'a>>,
    last: usize,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Self {
        Lines { inner: text.lines().enumerate(), last: 0 }
    }

    fn next_tokens(&mut self) -> Option<(usize, Vec<&'a str>)> {
        for (i, line) in self.inner.by_ref() {
            self.last = i + 1;
            let toks: Vec<&str> = line.split_whitespace().collect();
            if !toks.is_empty() {
                return Some((i + 1, toks));
            }
        }
        None
    }

    fn expect(&mut self, what: &'static str) -> Result<(usize, Vec<&'a str>), BristolError> {
        self.next_tokens().ok_or_else(|| err(self.last + 1, BristolErrorKind::UnexpectedEof(what)))
    }
}

fn num(line: usize, tok: &str) -> Result<u64, BristolError> {
    if tok.is_empty() || !tok.bytes().all(|b| b.is_ascii_digit()) {
        return Err(err(line, BristolErrorKind::NotANumber(tok.chars().take(40).collect())));
    }
    tok.parse::<u64>().map_err(|_| err(line, BristolErrorKind::TooLarge(tok.chars().take(40).collect())))
}

fn wire_num(line: usize, tok: &str) -> Result<u64, BristolError> {
    num(line, tok)
}

/// Guesses the format from the header: old Bristol's second header line has exactly
/// three numbers and is followed by a gate line; Bristol Fashion's third header line
/// is all numbers (`nov m1 ...`).
pub fn detect_format(text: &str) -> Format {
    let mut lines = Lines::new(text);
    let _ = lines.next_tokens();
    let second = lines.next_tokens();
    let third = lines.next_tokens();
    match (second, third) {
        (Some((_, s)), Some((_, t))) if s.len() == 3 && t.iter().any(|x| x.parse::<u64>().is_err()) => {
            Format::Old
        }
        _ => Format::Fashion,
    }
}

/// Reads a Bristol Fashion or old Bristol file, detecting the format.
pub fn read(text: &str) -> Result<Circuit, BristolError> {
    match detect_format(text) {
        Format::Fashion => read_fashion(text),
        Format::Old => read_old(text),
    }
}

/// [`read`] from bytes; non-UTF-8 input is an error naming the line of the first bad byte.
pub fn read_bytes(bytes: &[u8]) -> Result<Circuit, BristolError> {
    match std::str::from_utf8(bytes) {
        Ok(text) => read(text),
        Err(e) => {
            let line = 1 + bytes[..e.valid_up_to()].iter().filter(|&&b| b == b'\n').count();
            Err(err(line, BristolErrorKind::NotUtf8))
        }
    }
}

struct Header {
    line: usize,
    ngates: u64,
    nwires: u64,
}

fn read_header(lines: &mut Lines<'_>) -> Result<Header, BristolError> {
    let (line, toks) = lines.expect("the header `ngates nwires`")?;
    if toks.len() != 2 {
        return Err(err(
            line,
            BristolErrorKind::TokenCount { expected: "2 numbers `ngates nwires`".into(), found: toks.len() },
        ));
    }
    let ngates = num(line, toks[0])?;
    let nwires = num(line, toks[1])?;
    if nwires > u64::from(u32::MAX) {
        return Err(err(line, BristolErrorKind::TooLarge(toks[1].to_string())));
    }
    Ok(Header { line, ngates, nwires })
}

/// A count line `n w1 w2 ... wn`.
fn read_counted(lines: &mut Lines<'_>, what: &'static str) -> Result<(usize, Vec<u64>), BristolError> {
    let (line, toks) = lines.expect(what)?;
    let n = num(line, toks[0])?;
    if n != toks.len() as u64 - 1 {
        return Err(err(
            line,
            BristolErrorKind::TokenCount {
                expected: format!("{n} widths after the count"),
                found: toks.len() - 1,
            },
        ));
    }
    let mut widths = Vec::with_capacity(toks.len() - 1);
    for t in &toks[1..] {
        let w = num(line, t)?;
        if w == 0 {
            return Err(err(line, BristolErrorKind::ZeroWidth));
        }
        widths.push(w);
    }
    Ok((line, widths))
}

/// Raw gate as read, wires not yet validated against write order.
struct RawGate {
    line: usize,
    gate: Gate,
}

fn read_gates(lines: &mut Lines<'_>, nwires: u64) -> Result<Vec<RawGate>, BristolError> {
    let mut gates = Vec::new();
    let w = |line: usize, tok: &str| -> Result<WireId, BristolError> {
        let v = wire_num(line, tok)?;
        if v >= nwires {
            return Err(err(line, BristolErrorKind::WireOutOfRange { wire: v, num_wires: nwires as u32 }));
        }
        Ok(WireId(v as u32))
    };
    while let Some((line, toks)) = lines.next_tokens() {
        if toks.len() < 3 {
            return Err(err(
                line,
                BristolErrorKind::TokenCount { expected: "a gate line".into(), found: toks.len() },
            ));
        }
        let nin = num(line, toks[0])?;
        let nout = num(line, toks[1])?;
        let name = toks[toks.len() - 1];
        if nin.saturating_add(nout).saturating_add(3) != toks.len() as u64 {
            return Err(err(
                line,
                BristolErrorKind::TokenCount {
                    expected: format!(
                        "{} tokens for {nin} inputs and {nout} outputs",
                        nin.saturating_add(nout).saturating_add(3)
                    ),
                    found: toks.len(),
                },
            ));
        }
        let (nin, nout) = (nin as usize, nout as usize);
        let arity = |want_in: usize, want_out: usize| -> Result<(), BristolError> {
            if nin != want_in || nout != want_out {
                return Err(err(
                    line,
                    BristolErrorKind::Arity {
                        gate: name.to_string(),
                        want_in,
                        want_out,
                        got_in: nin,
                        got_out: nout,
                    },
                ));
            }
            Ok(())
        };
        let args = &toks[2..toks.len() - 1];
        match name {
            "XOR" | "AND" => {
                arity(2, 1)?;
                let (a, b, out) = (w(line, args[0])?, w(line, args[1])?, w(line, args[2])?);
                let gate = if name == "XOR" { Gate::Xor { a, b, out } } else { Gate::And { a, b, out } };
                gates.push(RawGate { line, gate });
            }
            "INV" | "NOT" | "EQW" => {
                arity(1, 1)?;
                let (a, out) = (w(line, args[0])?, w(line, args[1])?);
                let gate = if name == "EQW" { Gate::Copy { a, out } } else { Gate::Inv { a, out } };
                gates.push(RawGate { line, gate });
            }
            "EQ" => {
                arity(1, 1)?;
                let v = num(line, args[0])?;
                if v > 1 {
                    return Err(err(line, BristolErrorKind::BadConstant(v)));
                }
                gates.push(RawGate { line, gate: Gate::Const { value: v == 1, out: w(line, args[1])? } });
            }
            "MAND" => {
                if nin != 2 * nout || nout == 0 {
                    return Err(err(
                        line,
                        BristolErrorKind::Arity {
                            gate: name.into(),
                            want_in: 2 * nout.max(1),
                            want_out: nout.max(1),
                            got_in: nin,
                            got_out: nout,
                        },
                    ));
                }
                for i in 0..nout {
                    let (a, b, out) =
                        (w(line, args[i])?, w(line, args[nout + i])?, w(line, args[2 * nout + i])?);
                    gates.push(RawGate { line, gate: Gate::And { a, b, out } });
                }
            }
            other => return Err(err(line, BristolErrorKind::UnknownGate(other.chars().take(40).collect()))),
        }
    }
    Ok(gates)
}

/// Checks write order with line numbers (so errors name the line, not the gate index).
fn check_order(
    gates: &[RawGate],
    num_wires: u64,
    num_inputs: u64,
    header_line: usize,
) -> Result<Vec<bool>, BristolError> {
    // Every wire is an input or written by a gate; more wires than that cannot all be
    // meaningful and would let a tiny file request a huge allocation.
    let possible = num_inputs + gates.len() as u64;
    if num_wires > possible {
        return Err(err(header_line, BristolErrorKind::TooManyWires { header: num_wires, possible }));
    }
    let mut written = vec![false; num_wires as usize];
    written[..num_inputs as usize].fill(true);
    for g in gates {
        for a in g.gate.inputs() {
            if !written[a.index()] {
                return Err(err(g.line, BristolErrorKind::ReadBeforeWrite(a.0)));
            }
        }
        let out = g.gate.output();
        if written[out.index()] {
            return Err(err(g.line, BristolErrorKind::WrittenTwice(out.0)));
        }
        written[out.index()] = true;
    }
    Ok(written)
}

fn group_type(width: u64) -> ValueType {
    if width == 1 {
        ValueType::Bool
    } else {
        ValueType::UInt(width as u32)
    }
}

fn parties() -> Vec<String> {
    vec!["p0".to_string(), "p1".to_string()]
}

fn input_groups(widths: &[u64]) -> Vec<InputGroup> {
    widths
        .iter()
        .enumerate()
        .map(|(k, &w)| InputGroup { name: k.to_string(), party: PartyId((k % 2) as u8), ty: group_type(w) })
        .collect()
}

fn sum_widths(line: usize, widths: &[u64], num_wires: u64) -> Result<u64, BristolError> {
    let total = widths.iter().fold(0u64, |acc, &w| acc.saturating_add(w));
    if total > num_wires {
        return Err(err(line, BristolErrorKind::TooFewWires { need: total, num_wires }));
    }
    Ok(total)
}

fn check_gate_count(header: &Header, gates: &[RawGate]) -> Result<(), BristolError> {
    if gates.len() as u64 != header.ngates {
        // MAND lines expand into several gates; count lines for them.
        let lines = {
            let mut n = 0u64;
            let mut last = 0usize;
            for g in gates {
                if g.line != last {
                    n += 1;
                    last = g.line;
                }
            }
            n
        };
        if lines != header.ngates {
            return Err(err(
                header.line,
                BristolErrorKind::GateCount { header: header.ngates, found: lines },
            ));
        }
    }
    Ok(())
}

fn finish(
    header: &Header,
    gates: Vec<RawGate>,
    num_in: u64,
    inputs: Vec<InputGroup>,
    outputs: Vec<OutputGroup>,
) -> Result<Circuit, BristolError> {
    let written = check_order(&gates, header.nwires, num_in, header.line)?;
    for o in &outputs {
        for w in &o.wires {
            if !written[w.index()] {
                return Err(err(header.line, BristolErrorKind::OutputNotWritten(w.0)));
            }
        }
    }
    let gates = gates.into_iter().map(|g| g.gate).collect();
    Circuit::new(header.nwires as u32, parties(), inputs, outputs, gates)
        .map_err(|e| err(header.line, BristolErrorKind::Invalid(e.to_string())))
}

/// Reads a Bristol Fashion file.
pub fn read_fashion(text: &str) -> Result<Circuit, BristolError> {
    let mut lines = Lines::new(text);
    let header = read_header(&mut lines)?;
    let (in_line, in_widths) = read_counted(&mut lines, "the input line `niv n1 n2 ...`")?;
    let (out_line, out_widths) = read_counted(&mut lines, "the output line `nov m1 m2 ...`")?;
    let num_in = sum_widths(in_line, &in_widths, header.nwires)?;
    let num_out = sum_widths(out_line, &out_widths, header.nwires)?;
    let gates = read_gates(&mut lines, header.nwires)?;
    check_gate_count(&header, &gates)?;
    // Output groups: the last num_out wires, in order.
    let mut next = header.nwires - num_out;
    let mut outputs = Vec::with_capacity(out_widths.len());
    // Sizes are bounded by nwires, which check_order bounds by the file's contents;
    // check that first so that building the wire lists cannot be made huge.
    if header.nwires > num_in + gates.len() as u64 {
        return Err(err(
            header.line,
            BristolErrorKind::TooManyWires { header: header.nwires, possible: num_in + gates.len() as u64 },
        ));
    }
    for (k, &w) in out_widths.iter().enumerate() {
        let wires = (next..next + w).map(|x| WireId(x as u32)).collect();
        next += w;
        outputs.push(OutputGroup { name: k.to_string(), ty: group_type(w), reveal: Reveal::All, wires });
    }
    finish(&header, gates, num_in, input_groups(&in_widths), outputs)
}

/// Reads an old-format Bristol file (see the module docs for the bit order).
pub fn read_old(text: &str) -> Result<Circuit, BristolError> {
    let mut lines = Lines::new(text);
    let header = read_header(&mut lines)?;
    let (line, toks) = lines.expect("the line `n1 n2 nout`")?;
    if toks.len() != 3 {
        return Err(err(
            line,
            BristolErrorKind::TokenCount { expected: "3 numbers `n1 n2 nout`".into(), found: toks.len() },
        ));
    }
    let (n1, n2, nout) = (num(line, toks[0])?, num(line, toks[1])?, num(line, toks[2])?);
    if nout == 0 || n1 == 0 {
        return Err(err(line, BristolErrorKind::ZeroWidth));
    }
    let in_widths: Vec<u64> = if n2 == 0 { vec![n1] } else { vec![n1, n2] };
    let num_in = sum_widths(line, &in_widths, header.nwires)?;
    sum_widths(line, &[nout], header.nwires)?;
    let gates = read_gates(&mut lines, header.nwires)?;
    check_gate_count(&header, &gates)?;
    if header.nwires > num_in + gates.len() as u64 {
        return Err(err(
            header.line,
            BristolErrorKind::TooManyWires { header: header.nwires, possible: num_in + gates.len() as u64 },
        ));
    }
    // Output: the last nout wires, least significant first.
    let wires = (header.nwires - nout..header.nwires).map(|x| WireId(x as u32)).collect();
    let outputs = vec![OutputGroup { name: "0".into(), ty: group_type(nout), reveal: Reveal::All, wires }];
    finish(&header, gates, num_in, input_groups(&in_widths), outputs)
}

/// Writes `circuit` as Bristol Fashion. Inputs keep wires `0..n`; gate outputs are
/// renumbered so that the output groups are the last wires, in order: a gate whose
/// result is (the first use of) an output bit writes that bit's wire directly, and an
/// `EQW` copy is added for an output bit that is an input wire or repeats another
/// output bit. Reading the result back gives a circuit with the same behaviour
/// (names, parties and types become the positional Bristol ones).
pub fn write_fashion(circuit: &Circuit) -> String {
    let num_in = circuit.num_input_wires();
    let gates = circuit.gates();
    let out_bits: Vec<WireId> = circuit.outputs().iter().flat_map(|g| g.wires.iter().copied()).collect();
    // Which gate writes each wire.
    let mut writer = vec![u32::MAX; circuit.num_wires() as usize];
    for (i, g) in gates.iter().enumerate() {
        writer[g.output().index()] = i as u32;
    }
    // Final position of each gate's output, if it is claimed by an output bit.
    let mut claimed = vec![u32::MAX; gates.len()];
    let mut copies: Vec<(WireId, usize)> = Vec::new(); // (source wire, output position)
    for (j, &w) in out_bits.iter().enumerate() {
        let gi = writer[w.index()];
        if gi != u32::MAX && claimed[gi as usize] == u32::MAX {
            claimed[gi as usize] = j as u32;
        } else {
            copies.push((w, j));
        }
    }
    let unclaimed = claimed.iter().filter(|&&c| c == u32::MAX).count() as u32;
    let base = num_in + unclaimed; // first output wire
    let num_wires = base + out_bits.len() as u32;
    let mut map = vec![u32::MAX; circuit.num_wires() as usize];
    for (i, m) in map.iter_mut().enumerate().take(num_in as usize) {
        *m = i as u32;
    }
    let mut next = num_in;
    let mut body = String::with_capacity(gates.len() * 16);
    for (i, g) in gates.iter().enumerate() {
        let out = if claimed[i] != u32::MAX {
            base + claimed[i]
        } else {
            next += 1;
            next - 1
        };
        map[g.output().index()] = out;
        let m = |w: WireId| map[w.index()];
        // Writing to a String cannot fail.
        let _ = match *g {
            Gate::Xor { a, b, .. } => writeln!(body, "2 1 {} {} {out} XOR", m(a), m(b)),
            Gate::And { a, b, .. } => writeln!(body, "2 1 {} {} {out} AND", m(a), m(b)),
            Gate::Inv { a, .. } => writeln!(body, "1 1 {} {out} INV", m(a)),
            Gate::Copy { a, .. } => writeln!(body, "1 1 {} {out} EQW", m(a)),
            Gate::Const { value, .. } => writeln!(body, "1 1 {} {out} EQ", u8::from(value)),
        };
    }
    for &(src, j) in &copies {
        let _ = writeln!(body, "1 1 {} {} EQW", map[src.index()], base + j as u32);
    }
    let mut s = String::with_capacity(body.len() + 64);
    let _ = writeln!(s, "{} {}", gates.len() + copies.len(), num_wires);
    let _ = write!(s, "{}", circuit.inputs().len());
    for g in circuit.inputs() {
        let _ = write!(s, " {}", g.ty.width());
    }
    let _ = write!(s, "\n{}", circuit.outputs().len());
    for g in circuit.outputs() {
        let _ = write!(s, " {}", g.ty.width());
    }
    s.push_str("\n\n");
    s.push_str(&body);
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builder::{Builder, Word};
    use crate::eval::eval_u128;

    const ADDER: &str = "3 7\n2 2 2\n1 1\n\n2 1 0 2 4 XOR\n2 1 0 2 5 AND\n2 1 1 3 6 XOR\n";

    #[test]
    fn reads_a_small_file() {
        // Output: the last wire, 6 = x1 ^ y1.
        let c = read(ADDER).unwrap();
        assert_eq!(c.inputs().len(), 2);
        assert_eq!(c.outputs()[0].wires, vec![WireId(6)]);
        assert_eq!(c.outputs()[0].ty, ValueType::Bool);
        assert_eq!(eval_u128(&c, &[2, 0]).unwrap(), vec![1]);
        assert_eq!(c.gates().len(), 3);
    }

    fn kind(text: &str) -> (usize, BristolErrorKind) {
        let e = read(text).unwrap_err();
        (e.line, e.kind)
    }

    #[test]
    fn malformed_files_name_the_line() {
        assert!(matches!(kind(""), (1, BristolErrorKind::UnexpectedEof(_))));
        assert!(matches!(kind("3 7\n2 2 2\n"), (3, BristolErrorKind::UnexpectedEof(_))));
        assert!(matches!(
            kind("3 7\n2 2 2\n1 1\n\n2 1 0 2 4 XOR\n"),
            (1, BristolErrorKind::GateCount { .. })
        ));
        assert!(matches!(
            kind("3 7\n2 2 2\n1 1\n\n2 1 0 2 4 XOR\n2 1 0 2 5 NAND\n2 1 1 3 6 XOR\n"),
            (6, BristolErrorKind::UnknownGate(_))
        ));
        assert!(matches!(
            kind("3 7\n2 2 2\n1 1\n\n2 1 0 9 4 XOR\n2 1 0 2 5 AND\n2 1 1 3 6 XOR\n"),
            (5, BristolErrorKind::WireOutOfRange { .. })
        ));
        assert!(matches!(
            kind("3 7\n2 2 2\n1 1\n\n2 1 0 5 4 XOR\n2 1 0 2 5 AND\n2 1 1 3 6 XOR\n"),
            (5, BristolErrorKind::ReadBeforeWrite(5))
        ));
        assert!(matches!(
            kind("3 7\n2 2 2\n1 1\n\n2 1 0 2 4 XOR\n2 1 0 2 4 AND\n2 1 1 3 6 XOR\n"),
            (6, BristolErrorKind::WrittenTwice(4))
        ));
        assert!(matches!(
            kind("3 7\n2 2 2\n1 1\n\n2 1 0 2 4 XOR\n2 1 0 x 5 AND\n2 1 1 3 6 XOR\n"),
            (6, BristolErrorKind::NotANumber(_))
        ));
        assert!(matches!(
            kind("3 7\n2 2 2\n1 1\n\n2 1 0 2 4 XOR\n2 1 0 5 AND\n2 1 1 3 6 XOR\n"),
            (6, BristolErrorKind::TokenCount { .. })
        ));
        assert!(matches!(kind("3 7\n3 2 1\n1 2\n"), (2, BristolErrorKind::TokenCount { .. })));
        assert!(matches!(
            kind("1 4000000000\n2 2 2\n1 1\n\n2 1 0 2 4 XOR\n"),
            (1, BristolErrorKind::TooManyWires { .. })
        ));
        assert!(matches!(kind("99999999999999999999 7\n"), (1, BristolErrorKind::TooLarge(_))));
        assert!(matches!(
            kind("1 3\n1 1\n1 1\n\n1 1 0 2 INV\n1 1 0 1 INV\n"),
            (1, BristolErrorKind::GateCount { .. })
        ));
        assert!(matches!(kind("1 3\n1 1\n1 1\n\n1 1 7 2 EQ\n"), (5, BristolErrorKind::BadConstant(7))));
    }

    #[test]
    fn writer_round_trips_with_copies_and_constants() {
        let mut b = Builder::new(&["a", "b"]);
        let x = b.input(PartyId(0), "x", 4);
        let y = b.input(PartyId(1), "y", 4);
        let bits: Vec<_> = (0..4).map(|i| b.and(x.bit(i), y.bit(i))).collect();
        let s = Word::from_bits(bits.clone());
        b.output("s", &s);
        b.output("again", &Word::from_bits(vec![bits[0], x.bit(1), crate::builder::Bit::ONE]));
        let c = b.finish().unwrap();
        let text = write_fashion(&c);
        let back = read(&text).unwrap();
        for (xv, yv) in [(0u128, 0u128), (15, 9), (6, 5), (3, 12)] {
            assert_eq!(eval_u128(&c, &[xv, yv]).unwrap(), eval_u128(&back, &[xv, yv]).unwrap());
        }
    }
}
