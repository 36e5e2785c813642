//! [`Counting`]: an engine wrapper that counts the gates a program run executes, for
//! progress counters ([`crate::RunOptions::progress`], `mpc compile -o`'s bar).

use std::sync::atomic::{AtomicU64, Ordering};

use mpc_circuits::{Circuit, Engine, ExecError};

/// Wraps an engine and counts the gates it runs into `done` (for the progress bar).
#[derive(Debug)]
pub struct Counting<'a, E> {
    /// The engine that does the work.
    pub inner: E,
    /// Gates run so far.
    pub done: &'a AtomicU64,
}

impl<E: Engine> Engine for Counting<'_, E> {
    type Label = E::Label;

    fn constant(&mut self, bit: bool) -> E::Label {
        self.inner.constant(bit)
    }

    fn call(
        &mut self,
        index: usize,
        body: &Circuit,
        inputs: &[E::Label],
        outputs: &mut Vec<E::Label>,
    ) -> Result<(), ExecError> {
        self.inner.call(index, body, inputs, outputs)?;
        self.done.fetch_add(body.gates().len() as u64, Ordering::Relaxed);
        Ok(())
    }
}
