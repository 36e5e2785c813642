//! Types of checked programs and integer-literal parsing.
//!
//! [`Ty::Int`] is the type of compile-time integers (unsuffixed literals, loop
//! counters, constants declared without a type): they take the type their context
//! asks for and never exist at run time.

use mpc_circuits::ValueType;

/// Maximum integer width in bits.
pub(crate) const MAX_INT_WIDTH: u32 = 256;
/// Maximum array length.
pub(crate) const MAX_ARRAY_LEN: u64 = 1 << 20;
/// Maximum width of any value in bits.
pub(crate) const MAX_VALUE_BITS: u64 = 1 << 26;

/// Deepest nesting of a struct's fields (through other structs, arrays and tuples)
/// the checker accepts; the same as the runtime's limit on the types it exchanges.
pub const MAX_TYPE_DEPTH: usize = 64;
/// Most nodes the full expansion of a struct's type may have (an array's element
/// type counts once, not once per element).
pub(crate) const MAX_TYPE_NODES: u64 = 1 << 16;
/// Bounds of [`Ty::width`]'s walk: comfortably above what a type within the limits
/// above (plus the parser's nesting limit on written types) needs.
const WIDTH_DEPTH: usize = 1024;
const WIDTH_STEPS: usize = 1 << 20;

/// A checked type.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Ty {
    /// `bool`.
    Bool,
    /// `uN`.
    UInt(u32),
    /// `iN`.
    SInt(u32),
    /// A compile-time integer (see the module docs).
    Int,
    /// `[T; N]`.
    Array(Box<Ty>, u32),
    /// `(T, ...)`; the empty tuple is the unit type.
    Tuple(Vec<Ty>),
    /// A struct, by index into the program's struct table.
    Struct(usize),
    /// The type of an expression that already failed to check (suppresses cascades).
    Error,
}

/// A struct definition after checking.
#[derive(Clone, Debug)]
pub(crate) struct StructDef {
    /// Its name.
    pub name: String,
    /// Fields in declaration order.
    pub fields: Vec<(String, Ty)>,
}

impl Ty {
    /// The unit type `()`.
    pub(crate) fn unit() -> Ty {
        Ty::Tuple(Vec::new())
    }

    /// Whether this is a run-time integer type.
    pub(crate) fn is_int(&self) -> bool {
        matches!(self, Ty::UInt(_) | Ty::SInt(_))
    }

    /// Whether this is a run-time or compile-time integer type.
    pub(crate) fn is_integral(&self) -> bool {
        matches!(self, Ty::UInt(_) | Ty::SInt(_) | Ty::Int)
    }

    /// Whether the type contains [`Ty::Int`] anywhere.
    // `structs` stays in the signature (callers pass it everywhere) although struct
    // fields can no longer contain compile-time types and are not walked.
    #[allow(clippy::only_used_in_recursion)]
    pub(crate) fn has_comptime(&self, structs: &[StructDef]) -> bool {
        match self {
            Ty::Int => true,
            Ty::Array(t, _) => t.has_comptime(structs),
            Ty::Tuple(ts) => ts.iter().any(|t| t.has_comptime(structs)),
            // Struct fields are resolved from written types, which are never
            // compile-time integers (and not walking into structs keeps this cheap on
            // deep or exponentially large struct graphs).
            _ => false,
        }
    }

    /// Levels of nesting (a scalar is 1, `[u8; 4]` is 2), through structs. Only for
    /// checked types, whose structs are within [`MAX_TYPE_DEPTH`].
    pub(crate) fn depth(&self, structs: &[StructDef]) -> usize {
        match self {
            Ty::Array(t, _) => 1 + t.depth(structs),
            Ty::Tuple(ts) => 1 + ts.iter().map(|t| t.depth(structs)).max().unwrap_or(0),
            Ty::Struct(i) => {
                1 + structs
                    .get(*i)
                    .map_or(0, |s| s.fields.iter().map(|(_, t)| t.depth(structs)).max().unwrap_or(0))
            }
            _ => 1,
        }
    }

    /// Whether it is or contains the error type.
    pub(crate) fn has_error(&self) -> bool {
        match self {
            Ty::Error => true,
            Ty::Array(t, _) => t.has_error(),
            Ty::Tuple(ts) => ts.iter().any(Ty::has_error),
            _ => false,
        }
    }

    /// Width in bits of a run-time value (compile-time integers count 0).
    ///
    /// Struct definitions may form deep chains or DAGs whose full expansion is
    /// exponential in the program's size (`struct S1 { a: S2, b: S2 }` ...) before the
    /// checker has vetted them (it refuses such structs once all are defined, see
    /// [`MAX_TYPE_DEPTH`] and [`MAX_TYPE_NODES`]); so the walk here is bounded in
    /// depth and steps, and a type past either bound counts as `u64::MAX` bits, which
    /// every caller refuses as too large.
    pub(crate) fn width(&self, structs: &[StructDef]) -> u64 {
        let mut budget = WIDTH_STEPS;
        self.width_bounded(structs, 0, &mut budget)
    }

    fn width_bounded(&self, structs: &[StructDef], depth: usize, budget: &mut usize) -> u64 {
        if depth > WIDTH_DEPTH || *budget == 0 {
            *budget = 0;
            return u64::MAX;
        }
        *budget -= 1;
        let d = depth + 1;
        match self {
            Ty::Bool => 1,
            Ty::UInt(w) | Ty::SInt(w) => u64::from(*w),
            Ty::Int | Ty::Error => 0,
            Ty::Array(t, n) => t.width_bounded(structs, d, budget).saturating_mul(u64::from(*n)),
            Ty::Tuple(ts) => {
                ts.iter().map(|t| t.width_bounded(structs, d, budget)).fold(0, u64::saturating_add)
            }
            Ty::Struct(i) => structs
                .get(*i)
                .map(|s| {
                    s.fields
                        .iter()
                        .map(|(_, t)| t.width_bounded(structs, d, budget))
                        .fold(0, u64::saturating_add)
                })
                .unwrap_or(0),
        }
    }

    /// The wire type of a run-time value of this type (`None` for compile-time types).
    pub(crate) fn value_type(&self, structs: &[StructDef]) -> Option<ValueType> {
        Some(match self {
            Ty::Bool => ValueType::Bool,
            Ty::UInt(w) => ValueType::UInt(*w),
            Ty::SInt(w) => ValueType::SInt(*w),
            Ty::Int | Ty::Error => return None,
            Ty::Array(t, n) => ValueType::Array(Box::new(t.value_type(structs)?), *n),
            Ty::Tuple(ts) => {
                ValueType::Tuple(ts.iter().map(|t| t.value_type(structs)).collect::<Option<_>>()?)
            }
            Ty::Struct(i) => {
                let s = structs.get(*i)?;
                ValueType::Struct {
                    name: s.name.clone(),
                    fields: s
                        .fields
                        .iter()
                        .map(|(n, t)| Some((n.clone(), t.value_type(structs)?)))
                        .collect::<Option<_>>()?,
                }
            }
        })
    }

    /// The type as the user writes it.
    pub(crate) fn display(&self, structs: &[StructDef]) -> String {
        match self {
            Ty::Bool => "bool".into(),
            Ty::UInt(w) => format!("u{w}"),
            Ty::SInt(w) => format!("i{w}"),
            Ty::Int => "{integer}".into(),
            Ty::Error => "{error}".into(),
            Ty::Array(t, n) => format!("[{}; {n}]", t.display(structs)),
            Ty::Tuple(ts) => {
                let inner: Vec<String> = ts.iter().map(|t| t.display(structs)).collect();
                if ts.len() == 1 {
                    format!("({},)", inner[0])
                } else {
                    format!("({})", inner.join(", "))
                }
            }
            Ty::Struct(i) => structs.get(*i).map(|s| s.name.clone()).unwrap_or_else(|| "?".into()),
        }
    }
}

/// Parses a type name `uN`/`iN` into an integer type if it is one (any N; the caller
/// checks the range).
pub(crate) fn int_type_name(name: &str) -> Option<(bool, u64)> {
    let (signed, digits) = if let Some(d) = name.strip_prefix('u') {
        (false, d)
    } else if let Some(d) = name.strip_prefix('i') {
        (true, d)
    } else {
        return None;
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((signed, digits.parse::<u64>().unwrap_or(u64::MAX)))
}

/// An integer literal: its magnitude as little-endian bits (no leading zeros) and its
/// suffix type, if written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Literal {
    /// Magnitude, least significant bit first, without high zero bits.
    pub bits: Vec<bool>,
    /// `Some((signed, width))` for a suffix like `u8`.
    pub suffix: Option<(bool, u64)>,
}

impl Literal {
    /// The value as `i128` if it fits.
    pub(crate) fn as_i128(&self) -> Option<i128> {
        if self.bits.len() > 126 {
            return None;
        }
        Some(self.bits.iter().rev().fold(0i128, |acc, &b| (acc << 1) | i128::from(b)))
    }
}

/// Parses the text of an integer literal as the lexer accepted it.
pub(crate) fn parse_literal(text: &str) -> Result<Literal, String> {
    let (radix, body) = if let Some(r) = text.strip_prefix("0x") {
        (16u32, r)
    } else if let Some(r) = text.strip_prefix("0b") {
        (2, r)
    } else {
        (10, text)
    };
    // Split off a suffix: the first 'u' or 'i' (never a hex digit).
    let (digits, suffix) = match body.find(['u', 'i']) {
        Some(p) => (&body[..p], Some(&body[p..])),
        None => (body, None),
    };
    let suffix = match suffix {
        Some(s) => Some(int_type_name(s).ok_or_else(|| format!("invalid literal suffix `{s}`"))?),
        None => None,
    };
    // Little-endian base-2^32 limbs.
    let mut limbs: Vec<u64> = vec![0];
    let mut any = false;
    for c in digits.chars() {
        if c == '_' {
            continue;
        }
        let d = c.to_digit(radix).ok_or_else(|| format!("invalid digit `{c}` in literal"))?;
        any = true;
        let mut carry = u64::from(d);
        for limb in limbs.iter_mut() {
            let v = *limb * u64::from(radix) + carry;
            *limb = v & 0xffff_ffff;
            carry = v >> 32;
        }
        if carry > 0 {
            limbs.push(carry);
        }
        if limbs.len() > 64 {
            return Err("integer literal is too large (more than 2048 bits)".into());
        }
    }
    if !any {
        return Err("integer literal has no digits".into());
    }
    let mut bits: Vec<bool> = limbs.iter().flat_map(|&l| (0..32).map(move |i| (l >> i) & 1 == 1)).collect();
    while bits.last() == Some(&false) {
        bits.pop();
    }
    Ok(Literal { bits, suffix })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals() {
        assert_eq!(parse_literal("0x1_0").unwrap().as_i128(), Some(16));
        assert_eq!(parse_literal("0b101").unwrap().as_i128(), Some(5));
        let l = parse_literal("255u8").unwrap();
        assert_eq!(l.as_i128(), Some(255));
        assert_eq!(l.suffix, Some((false, 8)));
        assert_eq!(parse_literal("0").unwrap().bits.len(), 0);
        let big = parse_literal("0xffffffffffffffffffffffffffffffffffffffff").unwrap();
        assert_eq!(big.bits.len(), 160);
        assert!(big.as_i128().is_none());
        assert!(parse_literal("12x").is_err());
        assert!(parse_literal("0x").is_err());
        assert!(parse_literal("1u7x").is_err());
    }
}
