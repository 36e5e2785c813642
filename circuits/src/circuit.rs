//! The verified Boolean circuit.
//!
//! A [`Circuit`] can only be obtained through [`Circuit::new`], which checks every
//! invariant below; code that receives a `Circuit` may rely on them without checking.
//!
//! # Invariants
//! - Wires are numbered `0..num_wires`. Input wires come first: input group `k`
//!   occupies the contiguous range `offset_k .. offset_k + width_k`, groups in order,
//!   starting at wire 0 (the Bristol Fashion layout).
//! - Gates are topologically ordered: every gate reads only wires that are inputs or
//!   outputs of earlier gates, and writes a wire nobody wrote before (each wire is
//!   written exactly once).
//! - Every wire of every output group has been written (by an input or a gate).
//! - Group names are unique among inputs and among outputs; every width is the
//!   width of its group's [`ValueType`] and at least 1.
//!
//! # Memory
//! A [`Gate`] is 16 bytes (a tag and three `u32` wires), so 10^8 gates take 1.6 GB.

use std::collections::HashSet;

use crate::ty::ValueType;

/// A wire of a circuit, numbered from 0.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
#[repr(transparent)]
pub struct WireId(pub u32);

impl WireId {
    /// The wire number as an index.
    #[inline]
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// Index of a party in [`Circuit::parties`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct PartyId(pub u8);

/// One gate. `Const` is Bristol Fashion's `EQ`, `Copy` its `EQW`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Gate {
    /// `out = a ^ b` (free in garbling).
    Xor { a: WireId, b: WireId, out: WireId },
    /// `out = a & b` (two ciphertexts in half-gates).
    And { a: WireId, b: WireId, out: WireId },
    /// `out = !a` (free).
    Inv { a: WireId, out: WireId },
    /// `out = value` (Bristol `EQ`; free).
    Const { value: bool, out: WireId },
    /// `out = a` (Bristol `EQW`; free).
    Copy { a: WireId, out: WireId },
}

impl Gate {
    /// The wire this gate writes.
    #[inline]
    pub fn output(&self) -> WireId {
        match *self {
            Gate::Xor { out, .. }
            | Gate::And { out, .. }
            | Gate::Inv { out, .. }
            | Gate::Const { out, .. }
            | Gate::Copy { out, .. } => out,
        }
    }

    /// The wires this gate reads (zero, one or two).
    #[inline]
    pub fn inputs(&self) -> impl Iterator<Item = WireId> {
        let (a, b) = match *self {
            Gate::Xor { a, b, .. } | Gate::And { a, b, .. } => (Some(a), Some(b)),
            Gate::Inv { a, .. } | Gate::Copy { a, .. } => (Some(a), None),
            Gate::Const { .. } => (None, None),
        };
        a.into_iter().chain(b)
    }

    /// The Bristol Fashion name of the gate.
    pub fn name(&self) -> &'static str {
        match self {
            Gate::Xor { .. } => "XOR",
            Gate::And { .. } => "AND",
            Gate::Inv { .. } => "INV",
            Gate::Const { .. } => "EQ",
            Gate::Copy { .. } => "EQW",
        }
    }
}

/// A named input value that one party supplies.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct InputGroup {
    /// The name users pass values by (`a`, or `"0"` for Bristol files).
    pub name: String,
    /// The party that supplies it.
    pub party: PartyId,
    /// Its type; the group is `ty.width()` wires.
    pub ty: ValueType,
}

/// Who learns an output.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Reveal {
    /// Every party.
    All,
    /// Only this party.
    To(PartyId),
}

/// A named output value: the wires it is read from, least significant bit first.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct OutputGroup {
    /// The output's name.
    pub name: String,
    /// Its type; `wires.len() == ty.width()`.
    pub ty: ValueType,
    /// Who learns it.
    pub reveal: Reveal,
    /// The wires, bit 0 first.
    pub wires: Vec<WireId>,
}

/// Why a circuit was rejected by [`Circuit::new`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CircuitError {
    #[error("gate {gate} ({kind}) reads wire {wire}, which is not written before it")]
    ReadBeforeWrite { gate: usize, kind: &'static str, wire: u32 },
    #[error("gate {gate} ({kind}) writes wire {wire}, which was already written")]
    WrittenTwice { gate: usize, kind: &'static str, wire: u32 },
    #[error("gate {gate} ({kind}) uses wire {wire}, but the circuit has only {num_wires} wires")]
    WireOutOfRange { gate: usize, kind: &'static str, wire: u32, num_wires: u32 },
    #[error("output `{output}` reads wire {wire}, which is never written")]
    OutputNotWritten { output: String, wire: u32 },
    #[error("output `{output}` reads wire {wire}, but the circuit has only {num_wires} wires")]
    OutputOutOfRange { output: String, wire: u32, num_wires: u32 },
    #[error("{what} `{name}` has {got} wires but its type {ty} needs {want}")]
    WidthMismatch { what: &'static str, name: String, ty: String, got: usize, want: usize },
    #[error("{what} `{name}` has width 0")]
    ZeroWidth { what: &'static str, name: String },
    #[error("two {what}s are named `{name}`")]
    DuplicateName { what: &'static str, name: String },
    #[error("input `{name}` names party {party}, but the circuit has {num_parties} parties")]
    UnknownParty { name: String, party: u8, num_parties: usize },
    #[error("the inputs need {inputs} wires but the circuit has only {num_wires}")]
    TooFewWires { inputs: u64, num_wires: u32 },
    #[error("the circuit is too large: {0}")]
    TooLarge(String),
}

/// A verified Boolean circuit; see the module docs for its invariants.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Circuit {
    num_wires: u32,
    parties: Vec<String>,
    inputs: Vec<InputGroup>,
    input_offsets: Vec<u32>,
    num_input_wires: u32,
    outputs: Vec<OutputGroup>,
    gates: Vec<Gate>,
}

impl Circuit {
    /// Checks every invariant of the module docs and builds the circuit.
    pub fn new(
        num_wires: u32,
        parties: Vec<String>,
        inputs: Vec<InputGroup>,
        outputs: Vec<OutputGroup>,
        gates: Vec<Gate>,
    ) -> Result<Circuit, CircuitError> {
        check_names("input", inputs.iter().map(|g| g.name.as_str()))?;
        check_names("output", outputs.iter().map(|g| g.name.as_str()))?;
        let mut input_offsets = Vec::with_capacity(inputs.len());
        let mut total: u64 = 0;
        for group in &inputs {
            if usize::from(group.party.0) >= parties.len() {
                return Err(CircuitError::UnknownParty {
                    name: group.name.clone(),
                    party: group.party.0,
                    num_parties: parties.len(),
                });
            }
            if group.ty.width() == 0 {
                return Err(CircuitError::ZeroWidth { what: "input", name: group.name.clone() });
            }
            input_offsets.push(total as u32);
            total += group.ty.width() as u64;
            if total > u64::from(num_wires) {
                return Err(CircuitError::TooFewWires { inputs: total, num_wires });
            }
        }
        let num_input_wires = total as u32;

        let mut written = vec![false; num_wires as usize];
        written[..num_input_wires as usize].fill(true);
        for (index, gate) in gates.iter().enumerate() {
            let kind = gate.name();
            for wire in gate.inputs() {
                match written.get(wire.index()) {
                    None => {
                        return Err(CircuitError::WireOutOfRange {
                            gate: index,
                            kind,
                            wire: wire.0,
                            num_wires,
                        })
                    }
                    Some(false) => {
                        return Err(CircuitError::ReadBeforeWrite { gate: index, kind, wire: wire.0 })
                    }
                    Some(true) => {}
                }
            }
            let out = gate.output();
            match written.get_mut(out.index()) {
                None => {
                    return Err(CircuitError::WireOutOfRange { gate: index, kind, wire: out.0, num_wires })
                }
                Some(true) => return Err(CircuitError::WrittenTwice { gate: index, kind, wire: out.0 }),
                Some(slot) => *slot = true,
            }
        }
        for group in &outputs {
            let want = group.ty.width();
            if want == 0 {
                return Err(CircuitError::ZeroWidth { what: "output", name: group.name.clone() });
            }
            if group.wires.len() != want {
                return Err(CircuitError::WidthMismatch {
                    what: "output",
                    name: group.name.clone(),
                    ty: group.ty.to_string(),
                    got: group.wires.len(),
                    want,
                });
            }
            for wire in &group.wires {
                match written.get(wire.index()) {
                    None => {
                        return Err(CircuitError::OutputOutOfRange {
                            output: group.name.clone(),
                            wire: wire.0,
                            num_wires,
                        })
                    }
                    Some(false) => {
                        return Err(CircuitError::OutputNotWritten {
                            output: group.name.clone(),
                            wire: wire.0,
                        })
                    }
                    Some(true) => {}
                }
            }
        }
        Ok(Circuit { num_wires, parties, inputs, input_offsets, num_input_wires, outputs, gates })
    }

    /// Number of wires (inputs included).
    pub fn num_wires(&self) -> u32 {
        self.num_wires
    }

    /// The parties' names; [`PartyId`] indexes this list.
    pub fn parties(&self) -> &[String] {
        &self.parties
    }

    /// The input groups, in wire order.
    pub fn inputs(&self) -> &[InputGroup] {
        &self.inputs
    }

    /// The wires of input group `k`: `offset .. offset + width`.
    pub fn input_wires(&self, k: usize) -> std::ops::Range<u32> {
        let start = self.input_offsets[k];
        start..start + self.inputs[k].ty.width() as u32
    }

    /// Total number of input wires (they are wires `0..num_input_wires`).
    pub fn num_input_wires(&self) -> u32 {
        self.num_input_wires
    }

    /// The output groups.
    pub fn outputs(&self) -> &[OutputGroup] {
        &self.outputs
    }

    /// Total number of output bits over all groups.
    pub fn num_output_bits(&self) -> usize {
        self.outputs.iter().map(|g| g.wires.len()).sum()
    }

    /// The gates, in topological order.
    pub fn gates(&self) -> &[Gate] {
        &self.gates
    }

    /// Number of AND gates (the cost that matters for garbling).
    pub fn and_count(&self) -> usize {
        self.gates.iter().filter(|g| matches!(g, Gate::And { .. })).count()
    }

    /// Looks up an input group by name.
    pub fn input_index(&self, name: &str) -> Option<usize> {
        self.inputs.iter().position(|g| g.name == name)
    }

    /// Looks up a party by name.
    pub fn party_id(&self, name: &str) -> Option<PartyId> {
        self.parties.iter().position(|p| p == name).map(|i| PartyId(i as u8))
    }

    /// Takes the circuit apart (for passes that rebuild it through [`Circuit::new`]).
    pub fn into_parts(self) -> (u32, Vec<String>, Vec<InputGroup>, Vec<OutputGroup>, Vec<Gate>) {
        (self.num_wires, self.parties, self.inputs, self.outputs, self.gates)
    }
}

fn check_names<'a>(what: &'static str, names: impl Iterator<Item = &'a str>) -> Result<(), CircuitError> {
    let mut seen = HashSet::new();
    for name in names {
        if !seen.insert(name) {
            return Err(CircuitError::DuplicateName { what, name: name.to_string() });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(i: u32) -> WireId {
        WireId(i)
    }

    fn one_input(width: u32) -> Vec<InputGroup> {
        vec![InputGroup { name: "x".into(), party: PartyId(0), ty: ValueType::UInt(width) }]
    }

    #[test]
    fn gate_is_sixteen_bytes() {
        assert_eq!(std::mem::size_of::<Gate>(), 16);
    }

    #[test]
    fn rejects_read_before_write() {
        let gates = vec![Gate::And { a: w(0), b: w(3), out: w(2) }, Gate::Inv { a: w(2), out: w(3) }];
        let err = Circuit::new(4, vec!["p".into()], one_input(2), vec![], gates).unwrap_err();
        assert_eq!(err, CircuitError::ReadBeforeWrite { gate: 0, kind: "AND", wire: 3 });
    }

    #[test]
    fn rejects_double_write_and_out_of_range() {
        let gates = vec![Gate::Inv { a: w(0), out: w(1) }];
        let err = Circuit::new(2, vec!["p".into()], one_input(2), vec![], gates).unwrap_err();
        assert!(matches!(err, CircuitError::WrittenTwice { gate: 0, wire: 1, .. }));
        let gates = vec![Gate::Xor { a: w(0), b: w(9), out: w(2) }];
        let err = Circuit::new(3, vec!["p".into()], one_input(2), vec![], gates).unwrap_err();
        assert!(matches!(err, CircuitError::WireOutOfRange { wire: 9, .. }));
    }

    #[test]
    fn rejects_unwritten_output_and_bad_width() {
        let out = |wires: Vec<WireId>, width| OutputGroup {
            name: "y".into(),
            ty: ValueType::UInt(width),
            reveal: Reveal::All,
            wires,
        };
        let err =
            Circuit::new(3, vec!["p".into()], one_input(1), vec![out(vec![w(2)], 1)], vec![]).unwrap_err();
        assert!(matches!(err, CircuitError::OutputNotWritten { wire: 2, .. }));
        let err =
            Circuit::new(3, vec!["p".into()], one_input(1), vec![out(vec![w(0)], 2)], vec![]).unwrap_err();
        assert!(matches!(err, CircuitError::WidthMismatch { got: 1, want: 2, .. }));
    }
}
