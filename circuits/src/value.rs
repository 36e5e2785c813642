//! Typed values: parsing command-line text into input bits, and decoding output bits
//! back into values that print plainly or as JSON.
//!
//! # Text syntax (parsing)
//! - integers: decimal (`42`, `-7`), hexadecimal (`0x2a`, `-0x7`) or binary (`0b101`);
//!   `_` may separate digits. Any width works (arithmetic is on bit vectors, not
//!   `u128`). For a signed type a non-negative hex or binary literal may also be the
//!   raw two's-complement bit pattern (`0xff` is `-1` as an `i8`).
//! - `true` / `false` for `bool` (and `1`/`0`); `true`/`false` are also accepted for
//!   one-bit integers.
//! - arrays and tuples: `[v, v, ...]` (tuples also `(v, v)`).
//! - structs: `{"field": v, ...}` (JSON-like; field names may be unquoted), every
//!   field exactly once, in any order.
//!
//! # Guarantees
//! [`parse_value`] never panics; it returns a [`ValueError`] whose message is one
//! sentence ("value 300 does not fit in u8", "expected 3 elements, got 2").
//! [`Value::from_bits`] is total for bit vectors of the type's width; its `Display`
//! and [`Value::to_json`] follow the command-line contract: integers whose value fits
//! in 64 bits (`u64` for unsigned, `i64` for signed) are decimal numbers, wider
//! values are `0x` hex strings (`-0x...` for negative signed values), bits are
//! `true`/`false`, arrays and tuples are arrays, structs are objects.

use std::fmt;

use crate::ty::ValueType;

/// Why a value could not be parsed against its type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ValueError {
    #[error("unexpected {found} at column {column} (expected {expected})")]
    Syntax { column: usize, found: String, expected: &'static str },
    #[error("value {value} does not fit in {ty}")]
    DoesNotFit { value: String, ty: String },
    #[error("expected {want} elements, got {got}")]
    ElementCount { want: usize, got: usize },
    #[error("expected {expected}, got {got}")]
    WrongKind { expected: String, got: &'static str },
    #[error("struct {ty} has no field `{field}`")]
    UnknownField { ty: String, field: String },
    #[error("field `{field}` of {ty} is missing")]
    MissingField { ty: String, field: String },
    #[error("field `{field}` is given twice")]
    DuplicateField { field: String },
    #[error("values nested deeper than {0} levels are not accepted")]
    TooDeep(usize),
}

const MAX_DEPTH: usize = 64;

/// A decoded value of some [`ValueType`].
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Value {
    /// A bit.
    Bool(bool),
    /// An integer: its bits, least significant first; `signed` for two's complement.
    Int { signed: bool, bits: Vec<bool> },
    /// An array's elements.
    Array(Vec<Value>),
    /// A tuple's fields.
    Tuple(Vec<Value>),
    /// A struct's fields, in declaration order.
    Struct { name: String, fields: Vec<(String, Value)> },
}

impl Value {
    /// Decodes `bits` (least significant first, exactly `ty.width()` of them; missing
    /// bits read as 0, extra bits are ignored) as a value of `ty`.
    pub fn from_bits(ty: &ValueType, bits: &[bool]) -> Value {
        let mut pos = 0;
        decode(ty, bits, &mut pos)
    }

    /// The value's bits, least significant first (the inverse of [`Value::from_bits`]).
    pub fn to_bits(&self) -> Vec<bool> {
        let mut out = Vec::new();
        self.push_bits(&mut out);
        out
    }

    fn push_bits(&self, out: &mut Vec<bool>) {
        match self {
            Value::Bool(b) => out.push(*b),
            Value::Int { bits, .. } => out.extend_from_slice(bits),
            Value::Array(items) | Value::Tuple(items) => items.iter().for_each(|v| v.push_bits(out)),
            Value::Struct { fields, .. } => fields.iter().for_each(|(_, v)| v.push_bits(out)),
        }
    }

    /// The value as JSON, following the command-line contract (see the module docs).
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Int { signed, bits } => match int_repr(*signed, bits) {
                IntRepr::Unsigned(v) => serde_json::Value::from(v),
                IntRepr::Signed(v) => serde_json::Value::from(v),
                IntRepr::Wide(s) => serde_json::Value::String(s),
            },
            Value::Array(items) | Value::Tuple(items) => {
                serde_json::Value::Array(items.iter().map(Value::to_json).collect())
            }
            Value::Struct { fields, .. } => {
                let mut map = serde_json::Map::new();
                for (name, v) in fields {
                    map.insert(name.clone(), v.to_json());
                }
                serde_json::Value::Object(map)
            }
        }
    }

    /// For an integer of at most 128 bits, its value as `u128` (two's complement bits
    /// for signed values); `None` otherwise.
    pub fn as_u128(&self) -> Option<u128> {
        match self {
            Value::Int { bits, .. } if bits.len() <= 128 => {
                Some(bits.iter().rev().fold(0u128, |acc, &b| (acc << 1) | u128::from(b)))
            }
            _ => None,
        }
    }
}

enum IntRepr {
    Unsigned(u64),
    Signed(i64),
    Wide(String),
}

fn int_repr(signed: bool, bits: &[bool]) -> IntRepr {
    let negative = signed && bits.last() == Some(&true);
    let magnitude: Vec<bool> = if negative { negate(bits) } else { bits.to_vec() };
    // For a negative value the magnitude's top bit may be set (the minimum value).
    let significant = magnitude.iter().rposition(|&b| b).map_or(0, |p| p + 1);
    if significant <= 64 {
        let m = magnitude.iter().take(64).rev().fold(0u64, |acc, &b| (acc << 1) | u64::from(b));
        if !signed {
            return IntRepr::Unsigned(m);
        }
        if !negative && m <= i64::MAX as u64 {
            return IntRepr::Signed(m as i64);
        }
        if negative && m <= 1u64 << 63 {
            // m in 1..=2^63, so -m fits in i64.
            return IntRepr::Signed((m as i64).wrapping_neg());
        }
    }
    let hex = to_hex(&magnitude);
    IntRepr::Wide(if negative { format!("-{hex}") } else { hex })
}

/// Two's-complement negation of a bit vector (same width).
fn negate(bits: &[bool]) -> Vec<bool> {
    let mut carry = true;
    bits.iter()
        .map(|&b| {
            let nb = !b;
            let s = nb ^ carry;
            carry &= nb;
            s
        })
        .collect()
}

fn to_hex(bits: &[bool]) -> String {
    let digits = bits.len().div_ceil(4).max(1);
    let mut s = String::from("0x");
    let mut started = false;
    for d in (0..digits).rev() {
        let mut nib = 0u32;
        for i in 0..4 {
            if bits.get(4 * d + i) == Some(&true) {
                nib |= 1 << i;
            }
        }
        if nib != 0 || started || d == 0 {
            started = true;
            // nib < 16, so from_digit succeeds.
            s.push(char::from_digit(nib, 16).unwrap_or('0'));
        }
    }
    s
}

/// Decimal text of an unsigned bit vector (schoolbook division by 10^9 on u32 limbs).
fn to_decimal(bits: &[bool]) -> String {
    let mut limbs: Vec<u32> = bits
        .chunks(32)
        .map(|c| c.iter().enumerate().fold(0u32, |acc, (i, &b)| acc | (u32::from(b) << i)))
        .collect();
    let mut groups = Vec::new();
    loop {
        while limbs.last() == Some(&0) {
            limbs.pop();
        }
        if limbs.is_empty() {
            break;
        }
        let mut rem = 0u64;
        for limb in limbs.iter_mut().rev() {
            let cur = (rem << 32) | u64::from(*limb);
            *limb = (cur / 1_000_000_000) as u32;
            rem = cur % 1_000_000_000;
        }
        groups.push(rem as u32);
    }
    match groups.split_last() {
        None => "0".to_string(),
        Some((top, rest)) => {
            let mut s = top.to_string();
            for g in rest.iter().rev() {
                s.push_str(&format!("{g:09}"));
            }
            s
        }
    }
}

fn decode(ty: &ValueType, bits: &[bool], pos: &mut usize) -> Value {
    let take = |n: usize, pos: &mut usize| -> Vec<bool> {
        let v = (0..n).map(|i| bits.get(*pos + i).copied().unwrap_or(false)).collect();
        *pos += n;
        v
    };
    match ty {
        ValueType::Bool => Value::Bool(take(1, pos)[0]),
        ValueType::UInt(w) => Value::Int { signed: false, bits: take(*w as usize, pos) },
        ValueType::SInt(w) => Value::Int { signed: true, bits: take(*w as usize, pos) },
        ValueType::Array(elem, n) => Value::Array((0..*n).map(|_| decode(elem, bits, pos)).collect()),
        ValueType::Tuple(items) => Value::Tuple(items.iter().map(|t| decode(t, bits, pos)).collect()),
        ValueType::Struct { name, fields } => Value::Struct {
            name: name.clone(),
            fields: fields.iter().map(|(f, t)| (f.clone(), decode(t, bits, pos))).collect(),
        },
    }
}

impl fmt::Display for Value {
    /// Plain text: like the JSON form, but strings unquoted and struct fields as
    /// `{x: 1, y: 2}`; integers wider than 64 bits print as `0x` hex.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int { signed, bits } => match int_repr(*signed, bits) {
                IntRepr::Unsigned(v) => write!(f, "{v}"),
                IntRepr::Signed(v) => write!(f, "{v}"),
                IntRepr::Wide(s) => f.write_str(&s),
            },
            Value::Array(items) | Value::Tuple(items) => {
                f.write_str("[")?;
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{v}")?;
                }
                f.write_str("]")
            }
            Value::Struct { fields, .. } => {
                f.write_str("{")?;
                for (i, (name, v)) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{name}: {v}")?;
                }
                f.write_str("}")
            }
        }
    }
}

impl Value {
    /// The integer in decimal regardless of width (signed as signed).
    pub fn to_decimal_string(&self) -> Option<String> {
        match self {
            Value::Int { signed, bits } => {
                if *signed && bits.last() == Some(&true) {
                    Some(format!("-{}", to_decimal(&negate(bits))))
                } else {
                    Some(to_decimal(bits))
                }
            }
            _ => None,
        }
    }
}

// ---------------------------------------------------------------------------------
// Parsing

#[derive(Clone, Debug, PartialEq, Eq)]
enum Lit {
    /// An integer literal: sign, magnitude bits (LSB first), whether it was hex/binary.
    Int {
        negative: bool,
        magnitude: Vec<bool>,
        radix_literal: bool,
        text: String,
    },
    Bool(bool),
    List(Vec<Lit>),
    Map(Vec<(String, Lit)>),
}

impl Lit {
    fn kind(&self) -> &'static str {
        match self {
            Lit::Int { .. } => "an integer",
            Lit::Bool(_) => "a boolean",
            Lit::List(_) => "a list",
            Lit::Map(_) => "a struct literal",
        }
    }
}

struct Parser<'a> {
    s: &'a [u8],
    pos: usize,
    /// The widest integer (or bool) anywhere in the target type: an integer literal
    /// with more significant bits cannot fit anywhere, so its digits are checked but
    /// no longer accumulated (decimal conversion is quadratic in the digit count).
    max_bits: usize,
}

/// The widest integer in `ty` (1 for `bool`), which bounds every literal that can fit.
fn max_int_width(ty: &ValueType) -> usize {
    match ty {
        ValueType::Bool => 1,
        ValueType::UInt(w) | ValueType::SInt(w) => *w as usize,
        ValueType::Array(elem, _) => max_int_width(elem),
        ValueType::Tuple(items) => items.iter().map(max_int_width).max().unwrap_or(0),
        ValueType::Struct { fields, .. } => fields.iter().map(|(_, t)| max_int_width(t)).max().unwrap_or(0),
    }
}

/// Literal text as quoted in errors: long literals are cut.
fn clip(text: &[u8]) -> String {
    const MAX: usize = 40;
    let s = String::from_utf8_lossy(text);
    if s.chars().count() <= MAX {
        s.into_owned()
    } else {
        format!("{}...", s.chars().take(MAX).collect::<String>())
    }
}

impl Parser<'_> {
    fn skip_ws(&mut self) {
        while self.pos < self.s.len() && self.s[self.pos].is_ascii_whitespace() {
            self.pos += 1;
        }
    }

    fn err(&self, expected: &'static str) -> ValueError {
        let found = match self.s.get(self.pos) {
            None => "end of input".to_string(),
            Some(_) => {
                let rest = String::from_utf8_lossy(&self.s[self.pos..]);
                let c: String = rest.chars().take(1).collect();
                format!("`{c}`")
            }
        };
        ValueError::Syntax { column: self.pos + 1, found, expected }
    }

    fn eat(&mut self, c: u8) -> bool {
        self.skip_ws();
        if self.s.get(self.pos) == Some(&c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn word(&mut self) -> &str {
        let start = self.pos;
        while self.pos < self.s.len()
            && (self.s[self.pos].is_ascii_alphanumeric() || self.s[self.pos] == b'_')
        {
            self.pos += 1;
        }
        // The slice holds ASCII alphanumerics only, so it is valid UTF-8.
        std::str::from_utf8(&self.s[start..self.pos]).unwrap_or("")
    }

    fn value(&mut self, depth: usize) -> Result<Lit, ValueError> {
        if depth > MAX_DEPTH {
            return Err(ValueError::TooDeep(MAX_DEPTH));
        }
        self.skip_ws();
        match self.s.get(self.pos) {
            Some(b'[') | Some(b'(') => {
                let close = if self.s[self.pos] == b'[' { b']' } else { b')' };
                self.pos += 1;
                let mut items = Vec::new();
                if self.eat(close) {
                    return Ok(Lit::List(items));
                }
                loop {
                    items.push(self.value(depth + 1)?);
                    if self.eat(b',') {
                        if self.eat(close) {
                            return Ok(Lit::List(items));
                        }
                        continue;
                    }
                    if self.eat(close) {
                        return Ok(Lit::List(items));
                    }
                    return Err(self.err("`,` or a closing bracket"));
                }
            }
            Some(b'{') => {
                self.pos += 1;
                let mut fields = Vec::new();
                if self.eat(b'}') {
                    return Ok(Lit::Map(fields));
                }
                loop {
                    self.skip_ws();
                    let name = if self.eat(b'"') {
                        let start = self.pos;
                        while self.pos < self.s.len() && self.s[self.pos] != b'"' {
                            self.pos += 1;
                        }
                        if self.pos >= self.s.len() {
                            return Err(self.err("a closing `\"`"));
                        }
                        let name = String::from_utf8_lossy(&self.s[start..self.pos]).into_owned();
                        self.pos += 1;
                        name
                    } else {
                        let w = self.word().to_string();
                        if w.is_empty() {
                            return Err(self.err("a field name"));
                        }
                        w
                    };
                    if !self.eat(b':') {
                        return Err(self.err("`:`"));
                    }
                    let v = self.value(depth + 1)?;
                    fields.push((name, v));
                    if self.eat(b',') {
                        if self.eat(b'}') {
                            return Ok(Lit::Map(fields));
                        }
                        continue;
                    }
                    if self.eat(b'}') {
                        return Ok(Lit::Map(fields));
                    }
                    return Err(self.err("`,` or `}`"));
                }
            }
            Some(b'-') | Some(b'+') | Some(b'0'..=b'9') => self.integer(),
            Some(c) if c.is_ascii_alphabetic() => {
                let start = self.pos;
                match self.word() {
                    "true" => Ok(Lit::Bool(true)),
                    "false" => Ok(Lit::Bool(false)),
                    _ => {
                        self.pos = start;
                        Err(self.err("a value"))
                    }
                }
            }
            _ => Err(self.err("a value")),
        }
    }

    fn integer(&mut self) -> Result<Lit, ValueError> {
        let start = self.pos;
        let mut negative = false;
        if self.s[self.pos] == b'-' {
            negative = true;
            self.pos += 1;
        } else if self.s[self.pos] == b'+' {
            self.pos += 1;
        }
        let (radix, radix_literal) = match (self.s.get(self.pos), self.s.get(self.pos + 1)) {
            (Some(b'0'), Some(b'x' | b'X')) => (16u32, true),
            (Some(b'0'), Some(b'b' | b'B')) => (2u32, true),
            _ => (10u32, false),
        };
        if radix_literal {
            self.pos += 2;
        }
        let digits_start = self.pos;
        while self.pos < self.s.len()
            && (self.s[self.pos].is_ascii_alphanumeric() || self.s[self.pos] == b'_')
        {
            self.pos += 1;
        }
        let digits = &self.s[digits_start..self.pos];
        let mut any = false;
        // Magnitude as u32 limbs, least significant first; past `max_limbs` the value
        // cannot fit any integer of the type and only the digits are checked.
        let mut limbs: Vec<u32> = Vec::new();
        let max_limbs = self.max_bits / 32 + 2;
        let mut too_large = false;
        for (i, &c) in digits.iter().enumerate() {
            if c == b'_' {
                continue;
            }
            let Some(d) = char::from(c).to_digit(radix) else {
                self.pos = digits_start + i;
                return Err(self.err(match radix {
                    16 => "a hexadecimal digit",
                    2 => "a binary digit",
                    _ => "a decimal digit",
                }));
            };
            any = true;
            if too_large {
                continue;
            }
            let mut carry = u64::from(d);
            for limb in limbs.iter_mut() {
                let cur = u64::from(*limb) * u64::from(radix) + carry;
                *limb = cur as u32;
                carry = cur >> 32;
            }
            if carry != 0 {
                limbs.push(carry as u32);
                too_large = limbs.len() > max_limbs;
            }
        }
        if !any {
            return Err(self.err("digits"));
        }
        let magnitude: Vec<bool> = if too_large {
            // More significant bits than any integer of the type has: `encode`
            // refuses it as not fitting, whatever the position.
            vec![true; self.max_bits.max(1) + 1]
        } else {
            let mut m: Vec<bool> =
                limbs.iter().flat_map(|&l| (0..32).map(move |i| (l >> i) & 1 == 1)).collect();
            while m.last() == Some(&false) {
                m.pop();
            }
            m
        };
        let text = clip(&self.s[start..self.pos]);
        Ok(Lit::Int { negative, magnitude, radix_literal, text })
    }
}

/// Parses `text` as a value of type `ty`; returns its bits, least significant first
/// (`ty.width()` of them).
pub fn parse_value(text: &str, ty: &ValueType) -> Result<Vec<bool>, ValueError> {
    let mut p = Parser { s: text.as_bytes(), pos: 0, max_bits: max_int_width(ty) };
    let lit = p.value(0)?;
    p.skip_ws();
    if p.pos < p.s.len() {
        return Err(p.err("the end of the value"));
    }
    let mut out = Vec::with_capacity(ty.width());
    encode(&lit, ty, &mut out)?;
    Ok(out)
}

/// Parses `text` into a [`Value`] of type `ty`.
pub fn parse_typed(text: &str, ty: &ValueType) -> Result<Value, ValueError> {
    Ok(Value::from_bits(ty, &parse_value(text, ty)?))
}

fn encode(lit: &Lit, ty: &ValueType, out: &mut Vec<bool>) -> Result<(), ValueError> {
    match ty {
        ValueType::Bool => match lit {
            Lit::Bool(b) => out.push(*b),
            Lit::Int { negative: false, magnitude, .. } if magnitude.len() <= 1 => {
                out.push(magnitude.first() == Some(&true))
            }
            Lit::Int { text, .. } => {
                return Err(ValueError::DoesNotFit { value: text.clone(), ty: ty.to_string() })
            }
            other => return Err(ValueError::WrongKind { expected: "a boolean".into(), got: other.kind() }),
        },
        ValueType::UInt(w) | ValueType::SInt(w) => {
            let w = *w as usize;
            let signed = matches!(ty, ValueType::SInt(_));
            match lit {
                Lit::Bool(b) if w == 1 => out.push(*b),
                Lit::Int { negative, magnitude, radix_literal, text } => {
                    let zero = magnitude.is_empty();
                    let fits = if zero {
                        true
                    } else if !signed {
                        !*negative && magnitude.len() <= w
                    } else if *negative {
                        // -2^(w-1) <= -m  <=>  m <= 2^(w-1).
                        magnitude.len() < w
                            || (magnitude.len() == w
                                && magnitude.iter().take(w.saturating_sub(1)).all(|&b| !b))
                    } else {
                        magnitude.len() < w || (*radix_literal && magnitude.len() == w)
                    };
                    if !fits {
                        return Err(ValueError::DoesNotFit { value: text.clone(), ty: ty.to_string() });
                    }
                    let mut bits = magnitude.clone();
                    bits.resize(w, false);
                    if *negative {
                        bits = negate(&bits);
                    }
                    out.extend_from_slice(&bits);
                }
                other => {
                    return Err(ValueError::WrongKind {
                        expected: format!("an integer ({ty})"),
                        got: other.kind(),
                    })
                }
            }
        }
        ValueType::Array(elem, n) => match lit {
            Lit::List(items) => {
                if items.len() != *n as usize {
                    return Err(ValueError::ElementCount { want: *n as usize, got: items.len() });
                }
                for item in items {
                    encode(item, elem, out)?;
                }
            }
            other => {
                return Err(ValueError::WrongKind { expected: format!("an array ({ty})"), got: other.kind() })
            }
        },
        ValueType::Tuple(types) => match lit {
            Lit::List(items) => {
                if items.len() != types.len() {
                    return Err(ValueError::ElementCount { want: types.len(), got: items.len() });
                }
                for (item, t) in items.iter().zip(types) {
                    encode(item, t, out)?;
                }
            }
            other => {
                return Err(ValueError::WrongKind { expected: format!("a tuple ({ty})"), got: other.kind() })
            }
        },
        ValueType::Struct { name, fields } => match lit {
            Lit::Map(given) => {
                for (i, (f, _)) in given.iter().enumerate() {
                    if given[..i].iter().any(|(g, _)| g == f) {
                        return Err(ValueError::DuplicateField { field: f.clone() });
                    }
                    if !fields.iter().any(|(g, _)| g == f) {
                        return Err(ValueError::UnknownField { ty: name.clone(), field: f.clone() });
                    }
                }
                for (f, t) in fields {
                    let Some((_, v)) = given.iter().find(|(g, _)| g == f) else {
                        return Err(ValueError::MissingField { ty: name.clone(), field: f.clone() });
                    };
                    encode(v, t, out)?;
                }
            }
            other => {
                return Err(ValueError::WrongKind {
                    expected: format!("a struct ({name})"),
                    got: other.kind(),
                })
            }
        },
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn bits_of(v: u128, w: usize) -> Vec<bool> {
        (0..w).map(|i| i < 128 && (v >> i) & 1 == 1).collect()
    }

    #[test]
    fn parses_integers() {
        assert_eq!(parse_value("5", &ValueType::UInt(4)).unwrap(), bits_of(5, 4));
        assert_eq!(parse_value("0x0f", &ValueType::UInt(4)).unwrap(), bits_of(15, 4));
        assert_eq!(parse_value("-1", &ValueType::SInt(8)).unwrap(), bits_of(0xff, 8));
        assert_eq!(parse_value("-128", &ValueType::SInt(8)).unwrap(), bits_of(0x80, 8));
        assert_eq!(parse_value("0xff", &ValueType::SInt(8)).unwrap(), bits_of(0xff, 8));
        assert_eq!(parse_value(" 1_000 ", &ValueType::UInt(16)).unwrap(), bits_of(1000, 16));
        let e = parse_value("256", &ValueType::UInt(8)).unwrap_err();
        assert_eq!(e.to_string(), "value 256 does not fit in u8");
        assert!(parse_value("128", &ValueType::SInt(8)).is_err());
        assert!(parse_value("-129", &ValueType::SInt(8)).is_err());
        assert!(parse_value("-1", &ValueType::UInt(8)).is_err());
        assert!(parse_value("12x", &ValueType::UInt(8)).is_err());
        assert!(parse_value("", &ValueType::UInt(8)).is_err());
        assert!(parse_value("-", &ValueType::UInt(8)).is_err());
        assert!(parse_value("0x", &ValueType::UInt(8)).is_err());
    }

    #[test]
    fn wide_values() {
        let ty = ValueType::UInt(256);
        let text = "115792089237316195423570985008687907853269984665640564039457584007913129639935";
        let bits = parse_value(text, &ty).unwrap();
        assert!(bits.iter().all(|&b| b));
        let v = Value::from_bits(&ty, &bits);
        assert_eq!(v.to_decimal_string().unwrap(), text);
        assert_eq!(v.to_string(), format!("0x{}", "f".repeat(64)));
        assert!(parse_value(&format!("{text}0"), &ty).is_err());
        let neg = Value::from_bits(
            &ValueType::SInt(128),
            &parse_value("-0x10000000000000000", &ValueType::SInt(128)).unwrap(),
        );
        assert_eq!(neg.to_json(), serde_json::json!("-0x10000000000000000"));
        let min = Value::from_bits(&ValueType::SInt(64), &bits_of(1 << 63, 64));
        assert_eq!(min.to_json(), serde_json::json!(i64::MIN));
    }

    #[test]
    fn composite_values() {
        let ty = ValueType::Struct {
            name: "P".into(),
            fields: vec![
                ("x".into(), ValueType::SInt(8)),
                ("ok".into(), ValueType::Bool),
                ("v".into(), ValueType::Array(Box::new(ValueType::UInt(4)), 2)),
            ],
        };
        let bits = parse_value(r#"{"ok": true, x: -2, "v": [1, 0xf]}"#, &ty).unwrap();
        let v = Value::from_bits(&ty, &bits);
        assert_eq!(v.to_string(), "{x: -2, ok: true, v: [1, 15]}");
        assert_eq!(v.to_json(), serde_json::json!({"x": -2, "ok": true, "v": [1, 15]}));
        assert_eq!(v.to_bits(), bits);
        let e = parse_value("{x: 1, ok: true}", &ty).unwrap_err();
        assert_eq!(e.to_string(), "field `v` of P is missing");
        let e = parse_value("[1, 2]", &ValueType::Array(Box::new(ValueType::UInt(4)), 3)).unwrap_err();
        assert_eq!(e.to_string(), "expected 3 elements, got 2");
        let e = parse_value("[1", &ValueType::Array(Box::new(ValueType::UInt(4)), 1)).unwrap_err();
        assert!(matches!(e, ValueError::Syntax { .. }));
        let deep = "[".repeat(1000);
        assert!(matches!(parse_value(&deep, &ValueType::UInt(4)), Err(ValueError::TooDeep(_))));
        assert!(parse_value(&deep, &ValueType::UInt(4)).is_err());
        let tup = ValueType::Tuple(vec![ValueType::Bool, ValueType::UInt(3)]);
        assert_eq!(
            Value::from_bits(&tup, &parse_value("(false, 7)", &tup).unwrap()).to_string(),
            "[false, 7]"
        );
    }

    /// A literal of 10^5 digits took 0.34 s (10^6: half a minute): every digit
    /// multiplied all limbs so far, although a few limbs already rule out any fit.
    /// The error also quoted the whole literal.
    #[test]
    fn huge_literals_are_refused_quickly_and_quoted_short() {
        let digits = "9".repeat(1_000_000);
        for text in [digits.clone(), format!("0x{}", "f".repeat(1_000_000)), format!("-{digits}")] {
            let t = std::time::Instant::now();
            let e = parse_value(&text, &ValueType::SInt(256)).unwrap_err();
            assert!(t.elapsed() < std::time::Duration::from_secs(1), "{:?}", t.elapsed());
            assert!(matches!(e, ValueError::DoesNotFit { .. }), "{e}");
            assert!(e.to_string().len() < 80, "{}", e.to_string().len());
        }
        // In a bool, an array of u8: the same, wherever the literal sits.
        let e = parse_value(&digits, &ValueType::Bool).unwrap_err();
        assert!(matches!(e, ValueError::DoesNotFit { .. }), "{e}");
        let arr = ValueType::Array(Box::new(ValueType::UInt(8)), 2);
        let e = parse_value(&format!("[1, {digits}]"), &arr).unwrap_err();
        assert!(matches!(e, ValueError::DoesNotFit { .. }), "{e}");
        // Non-digits after many digits are still syntax errors.
        assert!(matches!(parse_value(&format!("{digits}z"), &arr), Err(ValueError::Syntax { .. })));
        // Values at the edge still parse.
        let max = "115792089237316195423570985008687907853269984665640564039457584007913129639935";
        assert!(parse_value(max, &ValueType::UInt(256)).unwrap().iter().all(|&b| b));
        assert!(parse_value(&format!("{max}0"), &ValueType::UInt(256)).is_err());
        assert!(parse_value(
            &format!("000000000000000000000000000000000000000000{max}"),
            &ValueType::UInt(256)
        )
        .is_ok());
    }

    /// `-0` against a zero-width signed type subtracted 1 from the width 0 (a debug
    /// build panicked with an overflow). No compiled program has such a type, but
    /// `parse_value` takes any `ValueType`.
    #[test]
    fn zero_width_types_do_not_panic() {
        assert_eq!(parse_value("-0", &ValueType::SInt(0)), Ok(vec![]));
        assert_eq!(parse_value("0", &ValueType::SInt(0)), Ok(vec![]));
        assert_eq!(parse_value("0", &ValueType::UInt(0)), Ok(vec![]));
        assert!(parse_value("-1", &ValueType::SInt(0)).is_err());
        assert!(parse_value("1", &ValueType::UInt(0)).is_err());
    }

    proptest! {
        #[test]
        fn round_trips_u128(v: u128, w in 1usize..=128) {
            let v = if w == 128 { v } else { v & ((1u128 << w) - 1) };
            let ty = ValueType::UInt(w as u32);
            let bits = parse_value(&v.to_string(), &ty).unwrap();
            prop_assert_eq!(&bits, &bits_of(v, w));
            let val = Value::from_bits(&ty, &bits);
            prop_assert_eq!(val.to_decimal_string().unwrap(), v.to_string());
            prop_assert_eq!(parse_value(&format!("{v:#x}"), &ty).unwrap(), bits.clone());
            let shown = val.to_string();
            prop_assert_eq!(parse_value(&shown, &ty).unwrap(), bits);
        }

        #[test]
        fn round_trips_i64(v: i64, w in 1usize..=64) {
            let ty = ValueType::SInt(w as u32);
            let min = -(1i128 << (w - 1));
            let max = (1i128 << (w - 1)) - 1;
            let r = parse_value(&v.to_string(), &ty);
            if i128::from(v) < min || i128::from(v) > max {
                prop_assert!(r.is_err());
            } else {
                let bits = r.unwrap();
                let val = Value::from_bits(&ty, &bits);
                prop_assert_eq!(val.to_json(), serde_json::json!(v));
                prop_assert_eq!(val.to_string(), v.to_string());
            }
        }

        #[test]
        fn never_panics(s in "\\PC{0,40}") {
            let ty = ValueType::Array(Box::new(ValueType::SInt(7)), 2);
            let _ = parse_value(&s, &ty);
        }
    }
}
