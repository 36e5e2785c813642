//! Writing circuits in Rust.
//!
//! A [`Builder`] hands out [`Bit`]s and [`Word`]s (bit vectors, least significant bit
//! first) and records gates as they are asked for. Every gate constructor folds
//! constants and hashes structurally, so these cost nothing:
//! - any gate with a constant input (`x & 0 = 0`, `x & 1 = x`, `x ^ 1 = !x`, ...);
//! - `x ^ x = 0`, `x & x = x`, `x ^ !x = 1`, `x & !x = 0`, `!!x = x`;
//! - a gate identical to an earlier one (inputs in either order) returns the earlier
//!   gate's wire.
//!
//! Constants never become wires while building; [`Builder::finish`] adds an `EQ` gate
//! only for a constant bit that is an output. Input wires are numbered first at
//! `finish`, in declaration order, whatever order inputs and gates were added in, so
//! the result satisfies every invariant of [`Circuit`].

use std::collections::HashMap;

use crate::circuit::{Circuit, CircuitError, Gate, InputGroup, OutputGroup, PartyId, Reveal, WireId};
use crate::ty::ValueType;

/// One bit while building: a known constant or a wire.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Bit {
    /// A constant, folded away by the gate constructors.
    Const(bool),
    /// A wire, by its builder-internal number.
    Wire(u32),
}

impl Bit {
    /// The constant 0.
    pub const ZERO: Bit = Bit::Const(false);
    /// The constant 1.
    pub const ONE: Bit = Bit::Const(true);

    /// The constant value, if the bit is one.
    pub fn as_const(self) -> Option<bool> {
        match self {
            Bit::Const(v) => Some(v),
            Bit::Wire(_) => None,
        }
    }
}

/// A bit vector, bit 0 least significant.
#[derive(Clone, PartialEq, Eq, Hash, Debug, Default)]
pub struct Word {
    bits: Vec<Bit>,
}

impl Word {
    /// A word from its bits, least significant first.
    pub fn from_bits(bits: Vec<Bit>) -> Word {
        Word { bits }
    }

    /// The constant `value` truncated to `width` bits (bits above 128 are 0).
    pub fn constant(value: u128, width: usize) -> Word {
        Word { bits: (0..width).map(|i| Bit::Const(i < 128 && (value >> i) & 1 == 1)).collect() }
    }

    /// The constant with the given bits, least significant first.
    pub fn constant_bits(bits: &[bool]) -> Word {
        Word { bits: bits.iter().map(|&b| Bit::Const(b)).collect() }
    }

    /// The bits, least significant first.
    pub fn bits(&self) -> &[Bit] {
        &self.bits
    }

    /// The bits, mutable.
    pub fn bits_mut(&mut self) -> &mut Vec<Bit> {
        &mut self.bits
    }

    /// Consumes the word into its bits.
    pub fn into_bits(self) -> Vec<Bit> {
        self.bits
    }

    /// Width in bits.
    pub fn width(&self) -> usize {
        self.bits.len()
    }

    /// Bit `i` (panics if out of range, like slice indexing).
    pub fn bit(&self, i: usize) -> Bit {
        self.bits[i]
    }

    /// The most significant bit (panics on an empty word).
    pub fn msb(&self) -> Bit {
        self.bits[self.bits.len() - 1]
    }

    /// Bits `range` as a new word.
    pub fn slice(&self, range: std::ops::Range<usize>) -> Word {
        Word { bits: self.bits[range].to_vec() }
    }

    /// `self` in the low bits, `high` above it.
    pub fn concat(&self, high: &Word) -> Word {
        let mut bits = self.bits.clone();
        bits.extend_from_slice(&high.bits);
        Word { bits }
    }

    /// Zero-extends or truncates to `width`.
    pub fn zext(&self, width: usize) -> Word {
        let mut bits = self.bits.clone();
        bits.resize(width, Bit::ZERO);
        Word { bits }
    }

    /// Sign-extends (copies the msb) or truncates to `width`; an empty word extends with 0.
    pub fn sext(&self, width: usize) -> Word {
        let fill = self.bits.last().copied().unwrap_or(Bit::ZERO);
        let mut bits = self.bits.clone();
        bits.resize(width, fill);
        Word { bits }
    }

    /// The constant value if every bit is constant (widths up to 128).
    pub fn as_const(&self) -> Option<u128> {
        if self.bits.len() > 128 {
            return None;
        }
        let mut v = 0u128;
        for (i, b) in self.bits.iter().enumerate() {
            if b.as_const()? {
                v |= 1 << i;
            }
        }
        Some(v)
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Key {
    Xor(u32, u32),
    And(u32, u32),
    Inv(u32),
}

/// Records a circuit gate by gate; see the module docs.
#[derive(Debug)]
pub struct Builder {
    parties: Vec<String>,
    inputs: Vec<(InputGroup, Vec<u32>)>,
    outputs: Vec<(String, ValueType, Reveal, Word)>,
    gates: Vec<Gate>,
    next_wire: u32,
    cache: HashMap<Key, u32>,
    /// `negation[w] = v` when `v = !w` is known (both directions).
    negation: HashMap<u32, u32>,
    and_count: usize,
    /// Gate limit ([`Builder::with_gate_limit`]); past it no gate is recorded.
    limit: usize,
    over_limit: bool,
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Key::Xor(a, b) => write!(f, "xor({a},{b})"),
            Key::And(a, b) => write!(f, "and({a},{b})"),
            Key::Inv(a) => write!(f, "inv({a})"),
        }
    }
}

impl Builder {
    /// A builder for a circuit among the named parties (party `k` is `PartyId(k)`).
    pub fn new<S: AsRef<str>>(parties: &[S]) -> Builder {
        Builder {
            parties: parties.iter().map(|p| p.as_ref().to_string()).collect(),
            inputs: Vec::new(),
            outputs: Vec::new(),
            gates: Vec::new(),
            next_wire: 0,
            cache: HashMap::new(),
            negation: HashMap::new(),
            and_count: 0,
            limit: usize::MAX,
            over_limit: false,
        }
    }

    /// Stops recording gates once `limit` gates exist: later gates become the constant
    /// 0 (so gadgets finish quickly without allocating), [`Builder::over_limit`] turns
    /// true and [`Builder::finish`] fails with `CircuitError::TooLarge`. For budgets on
    /// untrusted programs; a builder over its limit never yields a circuit.
    pub fn with_gate_limit(mut self, limit: usize) -> Builder {
        self.limit = limit;
        self
    }

    /// Whether a gate was refused because of the limit.
    pub fn over_limit(&self) -> bool {
        self.over_limit
    }

    /// An unsigned input of `width` bits supplied by `party`.
    pub fn input(&mut self, party: PartyId, name: &str, width: usize) -> Word {
        self.input_typed(party, name, ValueType::UInt(width as u32))
    }

    /// An input of type `ty` supplied by `party`; its wires hold the flattened value.
    pub fn input_typed(&mut self, party: PartyId, name: &str, ty: ValueType) -> Word {
        let width = ty.width();
        let wires: Vec<u32> = (0..width).map(|_| self.fresh()).collect();
        let word = Word { bits: wires.iter().map(|&w| Bit::Wire(w)).collect() };
        self.inputs.push((InputGroup { name: name.to_string(), party, ty }, wires));
        word
    }

    /// An unsigned output revealed to every party.
    pub fn output(&mut self, name: &str, word: &Word) {
        let ty = ValueType::UInt(word.width() as u32);
        self.output_typed(name, ty, Reveal::All, word);
    }

    /// An output of type `ty` (whose width must be the word's) revealed as `reveal` says.
    pub fn output_typed(&mut self, name: &str, ty: ValueType, reveal: Reveal, word: &Word) {
        self.outputs.push((name.to_string(), ty, reveal, word.clone()));
    }

    /// Number of AND gates recorded so far.
    pub fn and_count(&self) -> usize {
        self.and_count
    }

    /// Number of gates recorded so far.
    pub fn gate_count(&self) -> usize {
        self.gates.len()
    }

    /// `a ^ b`.
    pub fn xor(&mut self, a: Bit, b: Bit) -> Bit {
        match (a, b) {
            (Bit::Const(x), Bit::Const(y)) => Bit::Const(x ^ y),
            (Bit::Const(false), x) | (x, Bit::Const(false)) => x,
            (Bit::Const(true), x) | (x, Bit::Const(true)) => self.inv(x),
            (Bit::Wire(x), Bit::Wire(y)) => {
                if x == y {
                    return Bit::ZERO;
                }
                if self.negation.get(&x) == Some(&y) {
                    return Bit::ONE;
                }
                let key = Key::Xor(x.min(y), x.max(y));
                self.gate(key, |out| Gate::Xor { a: WireId(x), b: WireId(y), out })
            }
        }
    }

    /// `a & b` (one AND gate unless folded).
    pub fn and(&mut self, a: Bit, b: Bit) -> Bit {
        match (a, b) {
            (Bit::Const(x), Bit::Const(y)) => Bit::Const(x & y),
            (Bit::Const(false), _) | (_, Bit::Const(false)) => Bit::ZERO,
            (Bit::Const(true), x) | (x, Bit::Const(true)) => x,
            (Bit::Wire(x), Bit::Wire(y)) => {
                if x == y {
                    return a;
                }
                if self.negation.get(&x) == Some(&y) {
                    return Bit::ZERO;
                }
                let key = Key::And(x.min(y), x.max(y));
                let before = self.gates.len();
                let bit = self.gate(key, |out| Gate::And { a: WireId(x), b: WireId(y), out });
                if self.gates.len() > before {
                    self.and_count += 1;
                }
                bit
            }
        }
    }

    /// `!a` (free).
    pub fn inv(&mut self, a: Bit) -> Bit {
        match a {
            Bit::Const(x) => Bit::Const(!x),
            Bit::Wire(x) => {
                if let Some(&y) = self.negation.get(&x) {
                    return Bit::Wire(y);
                }
                let bit = self.gate(Key::Inv(x), |out| Gate::Inv { a: WireId(x), out });
                if let Bit::Wire(y) = bit {
                    self.negation.insert(x, y);
                    self.negation.insert(y, x);
                }
                bit
            }
        }
    }

    /// `a | b` (one AND gate: `!(!a & !b)`).
    pub fn or(&mut self, a: Bit, b: Bit) -> Bit {
        let na = self.inv(a);
        let nb = self.inv(b);
        let n = self.and(na, nb);
        self.inv(n)
    }

    /// `if sel { t } else { f }` (one AND gate: `f ^ (sel & (t ^ f))`).
    pub fn mux(&mut self, sel: Bit, t: Bit, f: Bit) -> Bit {
        let d = self.xor(t, f);
        let m = self.and(sel, d);
        self.xor(f, m)
    }

    /// Consumes the builder into a verified circuit. Inputs take wires `0..n` in
    /// declaration order; constant output bits get `EQ` gates.
    pub fn finish(self) -> Result<Circuit, CircuitError> {
        if self.over_limit {
            return Err(CircuitError::TooLarge(format!("it needs more than {} gates", self.limit)));
        }
        let Builder { parties, inputs, outputs, gates, next_wire, .. } = self;
        const UNMAPPED: u32 = u32::MAX;
        let mut map = vec![UNMAPPED; next_wire as usize];
        let mut next: u32 = 0;
        let mut input_groups = Vec::with_capacity(inputs.len());
        for (group, wires) in inputs {
            for w in wires {
                map[w as usize] = next;
                next += 1;
            }
            input_groups.push(group);
        }
        let m = |w: WireId, map: &[u32]| WireId(map[w.index()]);
        let mut out_gates = Vec::with_capacity(gates.len() + 2);
        for gate in gates {
            let out = gate.output();
            map[out.index()] = next;
            let new_out = WireId(next);
            next += 1;
            out_gates.push(match gate {
                Gate::Xor { a, b, .. } => Gate::Xor { a: m(a, &map), b: m(b, &map), out: new_out },
                Gate::And { a, b, .. } => Gate::And { a: m(a, &map), b: m(b, &map), out: new_out },
                Gate::Inv { a, .. } => Gate::Inv { a: m(a, &map), out: new_out },
                Gate::Copy { a, .. } => Gate::Copy { a: m(a, &map), out: new_out },
                Gate::Const { value, .. } => Gate::Const { value, out: new_out },
            });
        }
        let mut const_wires: [Option<u32>; 2] = [None, None];
        let mut output_groups = Vec::with_capacity(outputs.len());
        for (name, ty, reveal, word) in outputs {
            let mut wires = Vec::with_capacity(word.width());
            for bit in word.bits {
                let w = match bit {
                    Bit::Wire(w) => map[w as usize],
                    Bit::Const(v) => *const_wires[usize::from(v)].get_or_insert_with(|| {
                        out_gates.push(Gate::Const { value: v, out: WireId(next) });
                        next += 1;
                        next - 1
                    }),
                };
                wires.push(WireId(w));
            }
            output_groups.push(OutputGroup { name, ty, reveal, wires });
        }
        Circuit::new(next, parties, input_groups, output_groups, out_gates)
    }

    fn fresh(&mut self) -> u32 {
        let w = self.next_wire;
        self.next_wire += 1;
        w
    }

    fn gate(&mut self, key: Key, make: impl FnOnce(WireId) -> Gate) -> Bit {
        if let Some(&w) = self.cache.get(&key) {
            return Bit::Wire(w);
        }
        if self.gates.len() >= self.limit {
            self.over_limit = true;
            return Bit::ZERO;
        }
        let out = self.fresh();
        self.gates.push(make(WireId(out)));
        self.cache.insert(key, out);
        Bit::Wire(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Past the limit no gate is recorded, the flag is set and `finish` refuses; a huge
    /// sort stops early instead of building its whole network.
    #[test]
    fn gate_limit_stops_recording_and_finish_refuses() {
        let mut b = Builder::new(&["p"]).with_gate_limit(100);
        let xs: Vec<Word> = (0..4096).map(|i| b.input(PartyId(0), &format!("x{i}"), 32)).collect();
        let sorted = crate::gadgets::sort::sort(&mut b, &xs, false, false);
        assert_eq!(sorted.len(), 4096);
        assert!(b.over_limit());
        assert!(b.gate_count() <= 100, "{}", b.gate_count());
        assert!(matches!(b.finish(), Err(CircuitError::TooLarge(_))));
        let mut small = Builder::new(&["p"]).with_gate_limit(100);
        let x = small.input(PartyId(0), "x", 8);
        let y = small.and(x.bit(0), x.bit(1));
        small.output("y", &Word::from_bits(vec![y]));
        assert!(!small.over_limit());
        assert!(small.finish().is_ok());
    }

    #[test]
    fn folds_and_hashes() {
        let mut b = Builder::new(&["a"]);
        let x = b.input(PartyId(0), "x", 2);
        let (p, q) = (x.bit(0), x.bit(1));
        assert_eq!(b.and(p, Bit::ZERO), Bit::ZERO);
        assert_eq!(b.and(p, Bit::ONE), p);
        assert_eq!(b.xor(p, p), Bit::ZERO);
        let r1 = b.and(p, q);
        let r2 = b.and(q, p);
        assert_eq!(r1, r2);
        let np = b.inv(p);
        assert_eq!(b.inv(np), p);
        assert_eq!(b.and(p, np), Bit::ZERO);
        assert_eq!(b.xor(np, p), Bit::ONE);
        assert_eq!(b.and_count(), 1);
        b.output("y", &Word::from_bits(vec![r1, Bit::ONE, Bit::ZERO, np]));
        let c = b.finish().unwrap();
        assert_eq!(c.and_count(), 1);
        assert_eq!(c.num_input_wires(), 2);
    }
}
