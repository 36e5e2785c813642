//! The plaintext evaluator: the reference every other implementation is tested against.
//!
//! Bit-sliced: each wire holds a `u64` whose bit `l` is the wire's value in input set
//! `l`, so one pass over the gates evaluates 64 independent input sets.

use crate::circuit::{Circuit, Gate};

/// Why an evaluation was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EvalError {
    #[error("expected {want} input groups, got {got}")]
    GroupCount { want: usize, got: usize },
    #[error("input `{name}` needs {want} bits, got {got}")]
    GroupWidth { name: String, want: usize, got: usize },
    #[error("expected {want} input wires, got {got}")]
    WireCount { want: usize, got: usize },
}

/// Evaluates 64 input sets at once. `inputs[w]` holds input wire `w` across the 64
/// lanes; the result holds every output bit (groups in order, bit 0 first).
pub fn eval_lanes(circuit: &Circuit, inputs: &[u64]) -> Result<Vec<u64>, EvalError> {
    let n_in = circuit.num_input_wires() as usize;
    if inputs.len() != n_in {
        return Err(EvalError::WireCount { want: n_in, got: inputs.len() });
    }
    let mut wires = vec![0u64; circuit.num_wires() as usize];
    wires[..n_in].copy_from_slice(inputs);
    for gate in circuit.gates() {
        // Indexing is in range: `Circuit::new` checked every wire against num_wires.
        match *gate {
            Gate::Xor { a, b, out } => wires[out.index()] = wires[a.index()] ^ wires[b.index()],
            Gate::And { a, b, out } => wires[out.index()] = wires[a.index()] & wires[b.index()],
            Gate::Inv { a, out } => wires[out.index()] = !wires[a.index()],
            Gate::Const { value, out } => wires[out.index()] = if value { u64::MAX } else { 0 },
            Gate::Copy { a, out } => wires[out.index()] = wires[a.index()],
        }
    }
    Ok(circuit.outputs().iter().flat_map(|g| g.wires.iter().map(|w| wires[w.index()])).collect())
}

/// Evaluates one input set given as one bit vector per input group (bit 0 first);
/// returns one bit vector per output group.
pub fn eval_groups(circuit: &Circuit, inputs: &[Vec<bool>]) -> Result<Vec<Vec<bool>>, EvalError> {
    if inputs.len() != circuit.inputs().len() {
        return Err(EvalError::GroupCount { want: circuit.inputs().len(), got: inputs.len() });
    }
    let mut lanes = Vec::with_capacity(circuit.num_input_wires() as usize);
    for (group, bits) in circuit.inputs().iter().zip(inputs) {
        if bits.len() != group.ty.width() {
            return Err(EvalError::GroupWidth {
                name: group.name.clone(),
                want: group.ty.width(),
                got: bits.len(),
            });
        }
        lanes.extend(bits.iter().map(|&b| u64::from(b)));
    }
    let out = eval_lanes(circuit, &lanes)?;
    let mut result = Vec::with_capacity(circuit.outputs().len());
    let mut pos = 0;
    for group in circuit.outputs() {
        result.push(out[pos..pos + group.wires.len()].iter().map(|&l| l & 1 == 1).collect());
        pos += group.wires.len();
    }
    Ok(result)
}

/// Convenience for tests and gadgets: inputs and outputs as `u128` integers (groups of
/// at most 128 bits).
pub fn eval_u128(circuit: &Circuit, inputs: &[u128]) -> Result<Vec<u128>, EvalError> {
    let bits: Vec<Vec<bool>> = circuit
        .inputs()
        .iter()
        .zip(inputs.iter().chain(std::iter::repeat(&0)))
        .map(|(g, &v)| (0..g.ty.width()).map(|i| i < 128 && (v >> i) & 1 == 1).collect())
        .collect();
    if inputs.len() != circuit.inputs().len() {
        return Err(EvalError::GroupCount { want: circuit.inputs().len(), got: inputs.len() });
    }
    let out = eval_groups(circuit, &bits)?;
    Ok(out
        .iter()
        .map(|bits| bits.iter().take(128).enumerate().fold(0u128, |acc, (i, &b)| acc | (u128::from(b) << i)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builder::Builder;
    use crate::circuit::PartyId;

    #[test]
    fn lanes_are_independent() {
        let mut b = Builder::new(&["a", "b"]);
        let x = b.input(PartyId(0), "x", 1);
        let y = b.input(PartyId(1), "y", 1);
        let and = b.and(x.bit(0), y.bit(0));
        let xor = b.xor(x.bit(0), y.bit(0));
        let nx = b.inv(x.bit(0));
        b.output("and", &crate::builder::Word::from_bits(vec![and]));
        b.output("xor", &crate::builder::Word::from_bits(vec![xor]));
        b.output("nx", &crate::builder::Word::from_bits(vec![nx]));
        let c = b.finish().unwrap();
        let out = eval_lanes(&c, &[0b1100, 0b1010]).unwrap();
        assert_eq!(out[0] & 0xf, 0b1000);
        assert_eq!(out[1] & 0xf, 0b0110);
        assert_eq!(out[2] & 0xf, 0b0011);
        assert_eq!(eval_u128(&c, &[1, 1]).unwrap(), vec![1, 0, 0]);
    }
}
