//! Types of input and output groups.
//!
//! A group's wires hold its value flattened least-significant bit first: an integer's
//! bit k is wire k; an array's element i occupies wires `i*w .. (i+1)*w`; tuple and
//! struct fields follow each other in declaration order. Signed integers are two's
//! complement.

use std::fmt;

/// The type of a group of wires.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub enum ValueType {
    /// One bit, shown as `true`/`false`.
    Bool,
    /// An unsigned integer of the given width in bits (>= 1).
    UInt(u32),
    /// A two's-complement signed integer of the given width in bits (>= 1).
    SInt(u32),
    /// A fixed-length array.
    Array(Box<ValueType>, u32),
    /// A tuple; fields are named by position.
    Tuple(Vec<ValueType>),
    /// A struct with named fields.
    Struct { name: String, fields: Vec<(String, ValueType)> },
}

impl ValueType {
    /// Number of wires a value of this type occupies.
    pub fn width(&self) -> usize {
        match self {
            ValueType::Bool => 1,
            ValueType::UInt(w) | ValueType::SInt(w) => *w as usize,
            ValueType::Array(elem, n) => elem.width().saturating_mul(*n as usize),
            ValueType::Tuple(items) => items.iter().map(ValueType::width).sum(),
            ValueType::Struct { fields, .. } => fields.iter().map(|(_, t)| t.width()).sum(),
        }
    }
}

impl fmt::Display for ValueType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ValueType::Bool => f.write_str("bool"),
            ValueType::UInt(w) => write!(f, "u{w}"),
            ValueType::SInt(w) => write!(f, "i{w}"),
            ValueType::Array(elem, n) => write!(f, "[{elem}; {n}]"),
            ValueType::Tuple(items) => {
                f.write_str("(")?;
                for (i, t) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{t}")?;
                }
                if items.len() == 1 {
                    f.write_str(",")?;
                }
                f.write_str(")")
            }
            ValueType::Struct { name, .. } => f.write_str(name),
        }
    }
}
