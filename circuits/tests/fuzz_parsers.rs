//! No-panic, no-hang properties of the parsers of untrusted text in this crate: the
//! Bristol Fashion / old Bristol reader ([`bristol::read_bytes`]) and the typed value
//! parser ([`parse_value`] / [`parse_typed`]).
//!
//! Inputs are (a) arbitrary bytes or strings and (b) mutations of valid inputs: the
//! crate's own small Bristol vectors with lines or tokens flipped, deleted, duplicated
//! or replaced by extreme numbers, and printed values with characters mutated. Every
//! call must return (`Ok` or `Err`); where a round trip exists it must give back
//! the same thing. Case counts are kept small so each test stays well under a second
//! in a debug build.

use mpc_circuits::bristol;
use mpc_circuits::eval::eval_groups;
use mpc_circuits::value::{parse_typed, parse_value, Value};
use mpc_circuits::ValueType;
use proptest::prelude::*;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/bristol");

/// The small published vectors (the large ones would make each case slow in debug).
const SMALL: &[&str] = &["adder64.txt", "neg64.txt", "sub64.txt", "zero_equal.txt", "old_adder_32bit.txt"];

fn vector(i: usize) -> String {
    let name = SMALL[i % SMALL.len()];
    std::fs::read_to_string(format!("{DIR}/{name}")).expect("vector file exists")
}

/// Tokens that stress the numeric and structural checks of the reader.
const BRISTOL_TOKENS: &[&str] = &[
    "0",
    "1",
    "2",
    "3",
    "4294967295",
    "4294967296",
    "18446744073709551615",
    "18446744073709551616",
    "99999999999999999999999",
    "-1",
    "XOR",
    "AND",
    "INV",
    "NOT",
    "EQ",
    "EQW",
    "MAND",
    "",
    "\n",
    "é",
];

/// Reads `bytes`; if that succeeds, the circuit must survive a write/read round trip
/// with the same behaviour on a fixed input.
fn read_and_round_trip(bytes: &[u8]) -> Result<(), TestCaseError> {
    if let Ok(c) = bristol::read_bytes(bytes) {
        let text = bristol::write_fashion(&c);
        let back = bristol::read(&text);
        prop_assert!(back.is_ok(), "written circuit does not read back: {:?}", back.err());
        let back = back.unwrap();
        let inputs: Vec<Vec<bool>> =
            c.inputs().iter().map(|g| (0..g.ty.width()).map(|i| i % 3 == 1).collect()).collect();
        let a = eval_groups(&c, &inputs).map(|v| v.concat());
        let b = eval_groups(&back, &inputs).map(|v| v.concat());
        prop_assert_eq!(a.ok(), b.ok());
    }
    Ok(())
}

fn arb_type() -> impl Strategy<Value = ValueType> {
    let leaf = prop_oneof![
        Just(ValueType::Bool),
        // Width 0 never comes out of the compiler or a Bristol file, but the parser
        // must not care.
        (0u32..=130).prop_map(ValueType::UInt),
        (0u32..=130).prop_map(ValueType::SInt),
    ];
    leaf.prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            (inner.clone(), 0u32..4).prop_map(|(t, n)| ValueType::Array(Box::new(t), n)),
            prop::collection::vec(inner.clone(), 0..3).prop_map(ValueType::Tuple),
            prop::collection::vec(inner, 0..3).prop_map(|ts| ValueType::Struct {
                name: "S".into(),
                fields: ts.into_iter().enumerate().map(|(i, t)| (format!("f{i}"), t)).collect(),
            }),
        ]
    })
}

/// Characters the value syntax gives meaning to, plus some it does not.
const VALUE_CHARS: &[u8] = b"[](){},:\"-+_0123456789abcdefxXbBtrufals \n\t\\";

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Arbitrary bytes, mostly not Bristol at all.
    #[test]
    fn bristol_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        read_and_round_trip(&bytes)?;
    }

    /// Arbitrary short files made only of Bristol tokens: these reach the header,
    /// width and gate checks far more often than random bytes do.
    #[test]
    fn bristol_token_soup(toks in prop::collection::vec((any::<prop::sample::Index>(), 0u8..4), 0..40)) {
        let mut s = String::new();
        for (t, sep) in toks {
            s.push_str(BRISTOL_TOKENS[t.index(BRISTOL_TOKENS.len())]);
            s.push(if sep == 0 { '\n' } else { ' ' });
        }
        read_and_round_trip(s.as_bytes())?;
    }

    /// Line-level mutations of valid files: delete, duplicate or swap lines, or
    /// replace one token of a line by an extreme number or another gate name.
    #[test]
    fn bristol_mutated_lines(
        file in 0usize..SMALL.len(),
        edits in prop::collection::vec(
            (0u8..4, any::<prop::sample::Index>(), any::<prop::sample::Index>(), any::<prop::sample::Index>()),
            1..5,
        ),
    ) {
        let text = vector(file);
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        for (op, at, other, tok) in edits {
            if lines.is_empty() {
                break;
            }
            // Bias toward the header, where the counts live.
            let i = if at.index(4) == 0 { at.index(lines.len()) } else { at.index(lines.len().min(4)) };
            match op {
                0 => { lines.remove(i); }
                1 => { let l = lines[i].clone(); lines.insert(i, l); }
                2 => { let j = other.index(lines.len()); lines.swap(i, j); }
                _ => {
                    let mut ts: Vec<String> = lines[i].split_whitespace().map(str::to_string).collect();
                    if !ts.is_empty() {
                        let k = other.index(ts.len());
                        ts[k] = BRISTOL_TOKENS[tok.index(BRISTOL_TOKENS.len())].to_string();
                    }
                    lines[i] = ts.join(" ");
                }
            }
        }
        read_and_round_trip(lines.join("\n").as_bytes())?;
    }

    /// Byte-level mutations of every small vector (the existing property test in
    /// bristol_kat.rs only mutates adder64.txt).
    #[test]
    fn bristol_mutated_bytes(
        file in 0usize..SMALL.len(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), 0u8..4, any::<u8>()), 1..6),
    ) {
        let mut bytes = vector(file).into_bytes();
        for (at, op, byte) in edits {
            let pos = at.index(bytes.len() + 1);
            match op {
                0 if pos < bytes.len() => bytes[pos] = byte,
                1 if pos < bytes.len() => { bytes.remove(pos); }
                2 => {
                    let end = (pos + usize::from(byte)).min(bytes.len());
                    let chunk = bytes[pos..end].to_vec();
                    bytes.splice(pos..pos, chunk);
                }
                _ => bytes.insert(pos, byte),
            }
        }
        read_and_round_trip(&bytes)?;
    }

    /// Arbitrary strings against arbitrary types: an error or bits of the right width.
    #[test]
    fn value_arbitrary_text(s in "\\PC{0,60}", ty in arb_type()) {
        if let Ok(bits) = parse_value(&s, &ty) {
            prop_assert_eq!(bits.len(), ty.width());
        }
        let _ = parse_typed(&s, &ty);
    }

    /// Strings over the value syntax's own characters against arbitrary types.
    #[test]
    fn value_syntax_soup(chars in prop::collection::vec(any::<prop::sample::Index>(), 0..60), ty in arb_type()) {
        let s: String = chars.iter().map(|i| char::from(VALUE_CHARS[i.index(VALUE_CHARS.len())])).collect();
        if let Ok(bits) = parse_value(&s, &ty) {
            prop_assert_eq!(bits.len(), ty.width());
        }
    }

    /// Printed values parse back to the same bits (plain and JSON text), and mutated
    /// printed values give an error or bits of the right width.
    #[test]
    fn value_round_trip_and_mutations(
        ty in arb_type(),
        seed in prop::collection::vec(any::<bool>(), 0..600),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<prop::sample::Index>(), 0u8..3), 0..4),
    ) {
        let bits: Vec<bool> = (0..ty.width()).map(|i| seed.get(i).copied().unwrap_or(i % 2 == 0)).collect();
        let v = Value::from_bits(&ty, &bits);
        let shown = v.to_string();
        prop_assert_eq!(parse_value(&shown, &ty), Ok(bits.clone()), "plain text `{}`", shown);
        let json = v.to_json().to_string();
        // Integers wider than 64 bits are JSON strings (`"0x..."`), which the value
        // syntax does not take; everything else in the JSON form parses back.
        if !json.contains("\"0x") && !json.contains("\"-0x") {
            prop_assert_eq!(parse_value(&json, &ty), Ok(bits.clone()), "JSON text `{}`", json);
        }
        prop_assert_eq!(parse_typed(&shown, &ty), Ok(v));
        let mut s = shown.into_bytes();
        for (at, c, op) in edits {
            let pos = at.index(s.len() + 1);
            let c = VALUE_CHARS[c.index(VALUE_CHARS.len())];
            match op {
                0 if pos < s.len() => { s.remove(pos); }
                1 if pos < s.len() => s[pos] = c,
                _ => s.insert(pos, c),
            }
        }
        let s = String::from_utf8_lossy(&s);
        if let Ok(b) = parse_value(&s, &ty) {
            prop_assert_eq!(b.len(), ty.width());
        }
    }
}
