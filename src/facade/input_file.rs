//! [`Inputs::set_from_file`]: inputs from a JSON or CSV file (`--inputs FILE`).
//!
//! - **JSON** (any name not ending in `.csv`): one object of input name to value. A
//!   value is what `--input NAME=VALUE` accepts, in JSON: integers as JSON numbers
//!   (those JSON holds exactly, up to 64 bits) or as strings in the `--input` syntax
//!   (`"340282366920938463463374607431768211455"`, `"0xff"`, `"-5"`), bools as `true` /
//!   `false`, arrays and tuples as JSON arrays, structs as objects of field to value. A
//!   string stands for the whole value in the `--input` syntax, so `"random"` draws a
//!   whole input's bits at random as `--input NAME=random` does.
//! - **CSV** (`.csv`): a header row naming array inputs, one column per input; the
//!   rows below give the elements in order (row 2 is element 0). A column ends at its
//!   first empty cell, so arrays of different lengths share one file. Fields are
//!   separated by commas; a field may be quoted (`"..."`, `""` for a quote) but not
//!   span lines. Elements are in the `--input` syntax of the element type.
//!
//! Invariants: nothing is set unless the whole file is good (inputs are set only after
//! every value parsed); every value is checked against its input's type and width,
//! and, for one party's inputs, belongs to that party. Errors are
//! [`Error::InputFile`]: the file, where (` line 3`, ` key `a``, ` column `xs``) and
//! the problem, in one sentence.

use std::path::Path;

use mpc_circuits::ValueType;
use serde_json::Value as Json;

use super::error::{Error, InputFileProblem as Problem};
use super::files::{read_path, PROGRAM_STREAM_LIMIT};
use super::program::Inputs;

/// A value parsed for input `k`: bits, or value text for [`Inputs::set_text`].
enum Parsed {
    Bits(Vec<bool>),
    Text(String),
}

impl Inputs {
    /// Sets inputs from the JSON or CSV file at `path` (see the formats below). Values
    /// replace those set before; [`Inputs::set_arg`] afterwards replaces the file's
    /// (so `--input` overrides `--inputs FILE`). Inputs the file does not name stay as
    /// they were. For one party's inputs ([`crate::Program::inputs`]) the file may
    /// name only that party's inputs.
    ///
    /// - **JSON**: an object of input name to value: integers as JSON numbers (up to
    ///   64 bits) or decimal / `0x` strings (any width), bools, arrays as JSON arrays,
    ///   structs as objects; a string is parsed as `--input` parses a value (`"random"`
    ///   included).
    /// - **CSV** (a `.csv` name): a header row naming array inputs; each column below
    ///   gives its input's elements in order, ending at the first empty cell.
    ///
    /// Errors are [`Error::InputFile`], naming the file, the line or key, and the
    /// problem; on error no input is changed.
    ///
    /// ```
    /// let p = mpc::Program::compile(
    ///     "party a; party b;
    ///      fn main(x: u8 @a, xs: [u16; 3] @a, ys: [u16; 2] @b) -> u16 { x as u16 + xs[2] + ys[1] }",
    /// ).unwrap();
    /// let dir = std::env::temp_dir().join(format!("mpc-inputs-doc-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir).unwrap();
    /// let json = dir.join("a.json");
    /// std::fs::write(&json, r#"{"x": 1, "xs": [10, "0x14", 30]}"#).unwrap();
    /// let csv = dir.join("b.csv");
    /// std::fs::write(&csv, "ys\n100\n200\n").unwrap();
    /// let mut inputs = p.all_inputs();
    /// inputs.set_from_file(&json).unwrap().set_from_file(&csv).unwrap();
    /// let out = p.eval(inputs).unwrap();
    /// assert_eq!(out.get::<u16>(&p.circuit().outputs()[0].name).unwrap(), 1 + 30 + 200);
    ///
    /// std::fs::write(&json, r#"{"x": 300}"#).unwrap();
    /// let err = p.all_inputs().set_from_file(&json).unwrap_err();
    /// assert!(matches!(err, mpc::Error::InputFile { .. }));
    /// assert!(err.to_string().ends_with("a.json` key `x`: input `x`: value 300 does not fit in u8"), "{err}");
    /// std::fs::write(&csv, "ys\n1\n2\n3\n").unwrap();
    /// let err = p.all_inputs().set_from_file(&csv).unwrap_err();
    /// assert!(err.to_string().ends_with("b.csv` line 4: input `ys` has 2 elements and the column gives more"), "{err}");
    /// // Bob's inputs cannot come from a file naming alice's.
    /// std::fs::write(&json, r#"{"x": 1}"#).unwrap();
    /// assert!(p.inputs("b").unwrap().set_from_file(&json).is_err());
    /// std::fs::remove_dir_all(&dir).unwrap();
    /// ```
    pub fn set_from_file(&mut self, path: impl AsRef<Path>) -> Result<&mut Inputs, Error> {
        let path = path.as_ref();
        let bytes = read_path(path, PROGRAM_STREAM_LIMIT)
            .map_err(|source| Error::Io { path: path.into(), source })?;
        let fail = |at: String, problem: Problem| Error::InputFile { path: path.into(), at, problem };
        let text = String::from_utf8(bytes).map_err(|_| fail(String::new(), Problem::NotText))?;
        // A byte-order mark (spreadsheets write one) is not part of the first name.
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
        let is_csv = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv"));
        let parsed = if is_csv { self.parse_csv(text) } else { self.parse_json(text) };
        let parsed = parsed.map_err(|(at, problem)| fail(at, problem))?;
        // Text values (`random` too) parse again here; they parsed once already, so
        // the error arm only guards against a future divergence.
        for (k, value) in parsed {
            match value {
                Parsed::Bits(bits) => self.set_bits(k, bits),
                Parsed::Text(t) => self.set_text(k, &t).map_err(|e| {
                    let at = format!(" key `{}`", self.program.inputs()[k].name);
                    fail(at, Problem::Input(Box::new(e)))
                })?,
            }
        }
        Ok(self)
    }

    /// The JSON form: `(input index, value)` pairs, or where and what is wrong.
    fn parse_json(&self, text: &str) -> Result<Vec<(usize, Parsed)>, (String, Problem)> {
        let doc: Entries = serde_json::from_str(text).map_err(|e| {
            let full = e.to_string();
            let suffix = format!(" at line {} column {}", e.line(), e.column());
            let what = full.strip_suffix(&suffix).unwrap_or(&full).to_string();
            // Syntax and end-of-file errors have a place; a data error here can only be
            // a top level that is not an object (values below are any JSON).
            if e.classify() == serde_json::error::Category::Data {
                return (String::new(), Problem::NotObject);
            }
            (format!(" line {} column {}", e.line(), e.column()), Problem::Json(what))
        })?;
        let mut out: Vec<(usize, Parsed)> = Vec::with_capacity(doc.0.len());
        for (name, value) in &doc.0 {
            let at = || format!(" key `{}`", name.escape_debug());
            let k = self.index(name).map_err(|e| (at(), Problem::Input(Box::new(e))))?;
            if out.iter().any(|(j, _)| *j == k) {
                return Err((at(), Problem::RepeatedKey(name.clone())));
            }
            let ty = &self.program.inputs()[k].ty;
            let parsed = match value {
                Json::String(s) => {
                    // Checked now so that a bad string fails before anything is set.
                    if s.trim() != super::program::RANDOM {
                        mpc_circuits::parse_value(s, ty).map_err(|e| {
                            (
                                at(),
                                Problem::Input(Box::new(Error::Type {
                                    name: name.clone(),
                                    message: e.to_string(),
                                })),
                            )
                        })?;
                    }
                    Parsed::Text(s.clone())
                }
                other => Parsed::Bits(json_bits(other, ty).map_err(|message| {
                    (at(), Problem::Input(Box::new(Error::Type { name: name.clone(), message })))
                })?),
            };
            out.push((k, parsed));
        }
        Ok(out)
    }

    /// The CSV form: `(input index, value)` pairs, or where and what is wrong.
    fn parse_csv(&self, text: &str) -> Result<Vec<(usize, Parsed)>, (String, Problem)> {
        let lines: Vec<&str> = text.lines().collect();
        // Blank lines at the end (a final newline, an editor's extra ones) end the file.
        let used = lines.iter().rposition(|l| !l.trim().is_empty()).map_or(0, |i| i + 1);
        let Some(header) = lines.first().filter(|_| used > 0) else {
            return Err((String::new(), Problem::NoHeader));
        };
        let names = split_record(header).map_err(|p| (" line 1".to_string(), p))?;
        struct Column<'a> {
            name: &'a str,
            k: usize,
            elem: &'a ValueType,
            len: usize,
            bits: Vec<bool>,
            got: usize,
            ended: bool,
        }
        let mut columns: Vec<Column<'_>> = Vec::with_capacity(names.len());
        for name in &names {
            let name = name.trim();
            if name.is_empty() {
                return Err((" line 1".into(), Problem::NoHeader));
            }
            let at = || format!(" line 1, column `{}`", name.escape_debug());
            let k = self.index(name).map_err(|e| (at(), Problem::Input(Box::new(e))))?;
            if columns.iter().any(|c| c.k == k) {
                return Err((at(), Problem::RepeatedColumn(name.into())));
            }
            let group = &self.program.inputs()[k];
            let ValueType::Array(elem, len) = &group.ty else {
                return Err((at(), Problem::NotArray { name: name.into(), ty: group.ty.to_string() }));
            };
            let len = *len as usize;
            let bits = Vec::with_capacity(len.saturating_mul(elem.width()).min(1 << 24));
            columns.push(Column { name, k, elem, len, bits, got: 0, ended: false });
        }
        for (i, line) in lines.iter().enumerate().take(used).skip(1) {
            let at = format!(" line {}", i + 1);
            let fields = split_record(line).map_err(|p| (at.clone(), p))?;
            if fields.len() != columns.len() {
                return Err((at, Problem::Ragged { want: columns.len(), got: fields.len() }));
            }
            for (c, cell) in columns.iter_mut().zip(&fields) {
                let cell = cell.trim();
                if cell.is_empty() {
                    c.ended = true;
                    continue;
                }
                if c.ended {
                    return Err((at, Problem::Gap(c.name.into())));
                }
                if c.got == c.len {
                    return Err((at, Problem::TooMany { name: c.name.into(), len: c.len }));
                }
                let bits = mpc_circuits::parse_value(cell, c.elem).map_err(|e| {
                    let message = format!("element {}: {e}", c.got);
                    let problem = Problem::Input(Box::new(Error::Type { name: c.name.into(), message }));
                    (format!("{at}, column `{}`", c.name), problem)
                })?;
                c.bits.extend(bits);
                c.got += 1;
            }
        }
        let mut out = Vec::with_capacity(columns.len());
        for c in columns {
            if c.got != c.len {
                let at = format!(" column `{}`", c.name);
                return Err((at, Problem::TooFew { name: c.name.into(), len: c.len, got: c.got }));
            }
            out.push((c.k, Parsed::Bits(c.bits)));
        }
        Ok(out)
    }
}

/// The top-level JSON object as its entries in file order, repeated keys kept (a
/// `serde_json::Map` would keep only the last, silently).
struct Entries(Vec<(String, Json)>);

impl<'de> serde::Deserialize<'de> for Entries {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Entries, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Entries;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object of input names to values")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Entries, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry::<String, Json>()? {
                    entries.push(entry);
                }
                Ok(Entries(entries))
            }
        }
        d.deserialize_map(Visit)
    }
}

/// The bits of JSON `value` (not a string at the top level: the caller parses those
/// whole) for type `ty`, or why it does not fit. Leaves go through the `--input`
/// parser, so a JSON value means what its text means on the command line.
fn json_bits(value: &Json, ty: &ValueType) -> Result<Vec<bool>, String> {
    let mut out = Vec::with_capacity(ty.width());
    encode(value, ty, &mut String::new(), &mut out)?;
    Ok(out)
}

fn encode(value: &Json, ty: &ValueType, at: &mut String, out: &mut Vec<bool>) -> Result<(), String> {
    let here = |at: &str, msg: String| if at.is_empty() { msg } else { format!("{at}: {msg}") };
    let leaf = |text: &str, at: &str, out: &mut Vec<bool>| {
        mpc_circuits::parse_value(text, ty).map(|b| out.extend(b)).map_err(|e| here(at, e.to_string()))
    };
    match (value, ty) {
        (Json::Null, _) => Err(here(at, "null is not a value".into())),
        (Json::Number(n), _) if n.is_u64() || n.is_i64() => leaf(&n.to_string(), at, out),
        (Json::Number(n), _) => Err(here(
            at,
            format!("{n} is not an integer that a JSON number holds exactly; write wide integers as strings"),
        )),
        (Json::Bool(b), _) => leaf(if *b { "true" } else { "false" }, at, out),
        (Json::String(s), _) => leaf(s, at, out),
        (Json::Array(items), ValueType::Array(elem, n)) => {
            if items.len() != *n as usize {
                return Err(here(at, format!("expected {n} elements, got {}", items.len())));
            }
            for (i, item) in items.iter().enumerate() {
                let len = at.len();
                at.push_str(&format!("[{i}]"));
                encode(item, elem, at, out)?;
                at.truncate(len);
            }
            Ok(())
        }
        (Json::Array(items), ValueType::Tuple(types)) => {
            if items.len() != types.len() {
                return Err(here(at, format!("expected {} elements, got {}", types.len(), items.len())));
            }
            for (i, (item, t)) in items.iter().zip(types).enumerate() {
                let len = at.len();
                at.push_str(&format!("[{i}]"));
                encode(item, t, at, out)?;
                at.truncate(len);
            }
            Ok(())
        }
        (Json::Object(map), ValueType::Struct { name, fields }) => {
            if let Some(f) = map.keys().find(|k| !fields.iter().any(|(g, _)| g == *k)) {
                return Err(here(at, format!("struct {name} has no field `{}`", f.escape_debug())));
            }
            for (f, t) in fields {
                let Some(v) = map.get(f) else {
                    return Err(here(at, format!("field `{f}` of {name} is missing")));
                };
                let len = at.len();
                at.push_str(&format!(".{f}"));
                encode(v, t, at, out)?;
                at.truncate(len);
            }
            Ok(())
        }
        (Json::Array(_), _) => Err(here(at, format!("expected a value of type {ty}, got an array"))),
        (Json::Object(_), _) => Err(here(at, format!("expected a value of type {ty}, got an object"))),
    }
}

/// Splits one CSV line into fields: commas separate, a field may be quoted with `"`
/// (a doubled `""` inside is one quote).
fn split_record(line: &str) -> Result<Vec<String>, Problem> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.trim().is_empty() => {
                field.clear();
                quoted = true;
            }
            (false, ',') => fields.push(std::mem::take(&mut field)),
            (false, c) => field.push(c),
        }
    }
    if quoted {
        return Err(Problem::Unclosed);
    }
    fields.push(field);
    Ok(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn program(src: &str) -> crate::Program {
        crate::Program::compile(src).unwrap()
    }

    fn file(name: &str, text: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("mpc-input-file-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn csv_records_split_on_commas_and_quotes() {
        assert_eq!(split_record("a, b,c").unwrap(), ["a", " b", "c"]);
        assert_eq!(split_record(r#""x, y",2"#).unwrap(), ["x, y", "2"]);
        assert_eq!(split_record(r#""say ""hi""""#).unwrap(), [r#"say "hi""#]);
        assert_eq!(split_record("").unwrap(), [""]);
        assert!(matches!(split_record(r#""open"#), Err(Problem::Unclosed)));
    }

    #[test]
    fn json_values_of_every_shape() {
        let p = program(
            "party a; party b;
             struct P { x: u8, y: bool }
             fn main(w: u128 @a, s: i8 @a, t: (u8, bool) @a, ps: [P; 2] @b) -> u128 {
                 w + (s as u128) + (t.0 as u128) + (ps[1].x as u128)
             }",
        );
        let path = file(
            "shapes.json",
            r#"{"w": "340282366920938463463374607431768211455", "s": -2, "t": [3, true],
                "ps": [{"x": 1, "y": false}, {"y": true, "x": 7}]}"#,
        );
        let mut inputs = p.all_inputs();
        inputs.set_from_file(&path).unwrap();
        let out = p.eval(inputs).unwrap();
        // u128::MAX - 2 + 3 + 7, wrapping.
        assert_eq!(out.get::<u128>(&p.circuit().outputs()[0].name).unwrap(), 7);
    }

    #[test]
    fn json_errors_name_the_key_and_the_problem() {
        let p = program(
            "party a; party b; struct P { x: u8 } fn main(v: [u8; 2] @a, q: P @b) -> u8 { v[0] + q.x }",
        );
        let cases = [
            (r#"{"v": [1, 2, 3]}"#, " key `v`: input `v`: expected 2 elements, got 3"),
            (r#"{"v": [1, 256]}"#, " key `v`: input `v`: [1]: value 256 does not fit in u8"),
            (r#"{"v": [1, 2.5]}"#, " key `v`: input `v`: [1]: 2.5 is not an integer"),
            (r#"{"v": [1, 18446744073709551616]}"#, " key `v`: input `v`: [1]: "),
            (r#"{"q": {"x": 1, "z": 2}}"#, " key `q`: input `q`: struct P has no field `z`"),
            (r#"{"q": {}}"#, " key `q`: input `q`: field `x` of P is missing"),
            (r#"{"q": 5}"#, " key `q`: input `q`: "),
            (r#"{"v": null}"#, " key `v`: input `v`: null is not a value"),
            (r#"{"nope": 1}"#, " key `nope`: the circuit has no input named `nope`"),
            (r#"[1, 2]"#, ": it is not a JSON object of input names to values"),
            (r#""v""#, ": it is not a JSON object of input names to values"),
            (r#"{"v": [1, 2], "v": [3, 4]}"#, " key `v`: input `v` is named twice"),
            ("{\"v\": [1,\n 2", " line 2 column 2: it is not valid JSON (EOF while parsing a list)"),
        ];
        for (text, want) in cases {
            let path = file("bad.json", text);
            let mut inputs = p.all_inputs();
            inputs.set("v", "[9, 9]").unwrap();
            let err = inputs.set_from_file(&path).unwrap_err();
            let msg = err.to_string();
            assert!(matches!(err, Error::InputFile { .. }), "{msg}");
            assert!(msg.contains(want), "{text}: {msg} lacks {want}");
            assert!(!msg.contains('\n'), "{msg}");
        }
    }

    #[test]
    fn random_in_a_file_draws_fresh_bits() {
        let p = program("party a; party b; fn main(x: u64 @a, y: u64 @b) -> u64 { x ^ y }");
        let path = file("random.json", r#"{"x": " random ", "y": 0}"#);
        let draw = || {
            let mut inputs = p.all_inputs();
            inputs.set_from_file(&path).unwrap();
            p.eval(inputs).unwrap().get::<u64>(&p.circuit().outputs()[0].name).unwrap()
        };
        // Two 64-bit draws collide with probability 2^-64.
        assert_ne!(draw(), draw());
    }

    #[test]
    fn a_bad_file_sets_nothing() {
        let p = program("party a; party b; fn main(x: u8 @a, y: u8 @b) -> u8 { x + y }");
        let path = file("half.json", r#"{"x": 1, "y": 999}"#);
        let mut inputs = p.all_inputs();
        assert!(inputs.set_from_file(&path).is_err());
        assert!(matches!(inputs.check(), Err(Error::MissingInput { name, .. }) if name == "x"));
    }

    #[test]
    fn csv_columns_fill_arrays_of_different_lengths() {
        let p = program(
            "party a; party b; fn main(xs: [i8; 3] @a, ys: [u8; 1] @b) -> i8 { xs[0] + xs[2] + ys[0] as i8 }",
        );
        let path = file("cols.csv", "\u{feff}xs, \"ys\"\r\n-1,5\n2,\n\"-3\",\n\n");
        let mut inputs = p.all_inputs();
        inputs.set_from_file(&path).unwrap();
        let out = p.eval(inputs).unwrap();
        assert_eq!(out.get::<i8>(&p.circuit().outputs()[0].name).unwrap(), -1 - 3 + 5);
    }

    #[test]
    fn csv_errors_name_the_line_and_the_problem() {
        let p = program("party a; party b; fn main(xs: [u8; 2] @a, y: u8 @b) -> u8 { xs[0] + y }");
        let cases = [
            ("xs\n1\n2\n3\n", " line 4: input `xs` has 2 elements and the column gives more"),
            ("xs\n1\n", " column `xs`: input `xs` has 2 elements and the column gives 1"),
            ("xs\n1\n\n2\n", " line 4: column `xs` has a value after an empty cell"),
            ("xs\n1,2\n", " line 2: it has 2 fields, the header has 1"),
            ("xs\n1\n300\n", " line 3, column `xs`: input `xs`: element 1: value 300 does not fit in u8"),
            ("y\n1\n", " line 1, column `y`: input `y` is not an array (u8)"),
            ("xs,xs\n1,1\n", " line 1, column `xs`: column `xs` is named twice"),
            ("zs\n1\n", " line 1, column `zs`: the circuit has no input named `zs`"),
            ("\n\n", ": it has no header row"),
            ("xs\n\"1\n", " line 2: a quoted field is not closed"),
        ];
        for (text, want) in cases {
            let path = file("bad.csv", text);
            let msg = p.all_inputs().set_from_file(&path).unwrap_err().to_string();
            assert!(msg.contains(want), "{text:?}: {msg} lacks {want}");
            assert!(!msg.contains('\n'), "{msg}");
        }
    }

    #[test]
    fn files_respect_the_party() {
        let p = program("party a; party b; fn main(x: u8 @a, ys: [u8; 1] @b) -> u8 { x + ys[0] }");
        let json = file("party.json", r#"{"ys": [1]}"#);
        let err = p.inputs("a").unwrap().set_from_file(&json).unwrap_err().to_string();
        assert!(err.contains("input `ys` belongs to party b, not to this party (a)"), "{err}");
        let csv = file("party.csv", "ys\n1\n");
        assert!(p.inputs("a").unwrap().set_from_file(&csv).is_err());
        assert!(p.inputs("b").unwrap().set_from_file(&csv).is_ok());
    }
}
