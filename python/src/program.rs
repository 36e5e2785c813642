//! `mpc.compile`, `mpc.load` and the `Program` class: statistics, plaintext `eval`,
//! `local` (both parties in this process, the real protocol) and `run` (one party
//! over TCP or TLS), over the Rust facade (`mpc::Program`). Inputs are a dict of name
//! to value (see [`crate::convert`]); outputs come back as a dict of the outputs the
//! party may see. `local` and `run` release the GIL while the protocol runs, so other
//! Python threads go on; a Ctrl-C is seen when the call returns (the `timeout` bounds
//! every wait for the peer).

use std::path::PathBuf;

use mpc::Value;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::convert::{to_py, to_value};
use crate::errors::{from_mpc, ChannelError, InputError};
use crate::net::Peer;

/// A compiled two-party program.
#[pyclass(name = "Program", module = "mpc", frozen)]
#[derive(Debug)]
pub struct PyProgram {
    inner: mpc::Program,
}

/// Compiles `.mpc` source; raises `CompileError` with the compiler's diagnostics.
#[pyfunction]
pub fn compile(py: Python<'_>, source: &str) -> PyResult<PyProgram> {
    let source = source.to_owned();
    let inner = py.allow_threads(move || mpc::Program::compile(&source)).map_err(from_mpc)?;
    Ok(PyProgram { inner })
}

/// Loads a program file: `.mpc` source (compiled) or a Bristol circuit.
#[pyfunction]
pub fn load(py: Python<'_>, path: PathBuf) -> PyResult<PyProgram> {
    let inner = py.allow_threads(move || mpc::Program::load(&path)).map_err(from_mpc)?;
    Ok(PyProgram { inner })
}

#[pymethods]
impl PyProgram {
    /// The party names in order (the first garbles, the second evaluates).
    #[getter]
    fn parties(&self) -> Vec<String> {
        self.inner.parties().to_vec()
    }

    /// The inputs: name -> (party, type as written in the source).
    #[getter]
    fn inputs(&self) -> Vec<(String, String, String)> {
        let c = self.inner.circuit();
        c.inputs()
            .iter()
            .map(|g| {
                let party = c.parties().get(usize::from(g.party.0)).cloned().unwrap_or_default();
                (g.name.clone(), party, g.ty.to_string())
            })
            .collect()
    }

    /// The outputs: (name, type, who sees it: a party name or "all").
    #[getter]
    fn outputs(&self) -> Vec<(String, String, String)> {
        let c = self.inner.circuit();
        c.outputs()
            .iter()
            .map(|o| {
                let to = match o.reveal {
                    mpc_circuits::Reveal::All => "all".to_string(),
                    mpc_circuits::Reveal::To(p) => {
                        c.parties().get(usize::from(p.0)).cloned().unwrap_or_default()
                    }
                };
                (o.name.clone(), o.ty.to_string(), to)
            })
            .collect()
    }

    /// Gate counts of the whole run, from the program without executing it:
    /// `and_gates`, `xor_gates`, `inv_gates`, `other_gates`, `gates`, `calls`
    /// (body calls), `bodies`, `input_bits`, `output_bits`.
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let c = self.inner.circuit();
        let s = c.stats();
        let d = PyDict::new_bound(py);
        d.set_item("and_gates", s.and)?;
        d.set_item("xor_gates", s.xor)?;
        d.set_item("inv_gates", s.inv)?;
        d.set_item("other_gates", s.other)?;
        d.set_item("gates", s.gates())?;
        d.set_item("calls", s.calls)?;
        d.set_item("bodies", c.bodies().len())?;
        d.set_item("input_bits", c.inputs().iter().map(|g| g.ty.width()).sum::<usize>())?;
        d.set_item("output_bits", c.outputs().iter().map(|o| o.ty.width()).sum::<usize>())?;
        Ok(d)
    }

    /// Evaluates in the clear (no protocol) with every party's inputs.
    fn eval<'py>(&self, py: Python<'py>, inputs: &Bound<'py, PyDict>) -> PyResult<Bound<'py, PyDict>> {
        let inputs = self.collect(None, inputs)?;
        let p = self.inner.clone();
        let out = py.allow_threads(move || p.eval(inputs)).map_err(from_mpc)?;
        outputs_dict(py, &out)
    }

    /// Runs both parties in this process (two threads, the full protocol) with every
    /// party's inputs; returns every output.
    fn local<'py>(&self, py: Python<'py>, inputs: &Bound<'py, PyDict>) -> PyResult<Bound<'py, PyDict>> {
        let inputs = self.collect(None, inputs)?;
        let p = self.inner.clone();
        let out = py.allow_threads(move || p.local(inputs)).map_err(from_mpc)?;
        outputs_dict(py, &out)
    }

    /// Runs party `party`'s side with its `inputs`, listening on or connecting to the
    /// peer (`HOST:PORT`); returns the outputs this party may see. Plain TCP unless
    /// the three TLS files are given: over a real network use TLS.
    #[pyo3(signature = (party, inputs, *, listen=None, connect=None, timeout=30.0, tls_cert=None, tls_key=None, peer_cert=None))]
    #[allow(clippy::too_many_arguments)] // the Python keyword arguments
    fn run<'py>(
        &self,
        py: Python<'py>,
        party: &str,
        inputs: &Bound<'py, PyDict>,
        listen: Option<String>,
        connect: Option<String>,
        timeout: f64,
        tls_cert: Option<PathBuf>,
        tls_key: Option<PathBuf>,
        peer_cert: Option<PathBuf>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let peer = Peer::new(listen, connect, timeout, tls_cert, tls_key, peer_cert)?;
        let inputs = self.collect(Some(party), inputs)?;
        let p = self.inner.clone();
        let party = party.to_owned();
        let out = py.allow_threads(move || -> Result<mpc::Outputs, PyErrLater> {
            let mut channel = peer.open().map_err(PyErrLater::Channel)?;
            p.run(&party, inputs, channel.as_mut()).map_err(PyErrLater::Mpc)
        });
        let out = match out {
            Ok(o) => o,
            Err(PyErrLater::Channel(msg)) => return Err(ChannelError::new_err(msg)),
            Err(PyErrLater::Mpc(e)) => return Err(from_mpc(e)),
        };
        outputs_dict(py, &out)
    }

    fn __repr__(&self) -> String {
        let s = self.inner.circuit().stats();
        format!("<mpc.Program {}: {} AND gates>", self.inner.parties().join(", "), s.and)
    }
}

/// An error made without the GIL, turned into an exception once it is held again.
enum PyErrLater {
    Channel(String),
    Mpc(mpc::Error),
}

impl PyProgram {
    /// The facade's inputs for `party` (or every party) from a dict; every input of
    /// that party must be present, and nothing else.
    fn collect(&self, party: Option<&str>, dict: &Bound<'_, PyDict>) -> PyResult<mpc::Inputs> {
        let mut inputs = match party {
            Some(p) => self.inner.inputs(p).map_err(from_mpc)?,
            None => self.inner.all_inputs(),
        };
        let c = self.inner.circuit();
        for (key, obj) in dict.iter() {
            let name: String =
                key.extract().map_err(|_| InputError::new_err("input names must be strings"))?;
            let Some(k) = c.input_index(&name) else {
                // The facade's sentence for an unknown name (it lists the inputs); `set`
                // of a name the program lacks always fails, the fallback is unreachable.
                let fallback = || InputError::new_err(format!("the program has no input named `{name}`"));
                return Err(inputs.set(&name, false).err().map_or_else(fallback, from_mpc));
            };
            let ty = &c.inputs()[k].ty;
            let value = to_value(&obj, ty, &name).map_err(|m| InputError::new_err(format!("input {m}")))?;
            inputs.set(&name, value).map_err(from_mpc)?;
        }
        let owner = party.and_then(|p| c.parties().iter().position(|q| q == p));
        for g in c.inputs() {
            let mine = owner.is_none_or(|o| usize::from(g.party.0) == o);
            if mine && !dict.contains(&g.name)? {
                return Err(InputError::new_err(format!(
                    "missing input `{}` ({}); pass it in the inputs dict",
                    g.name, g.ty
                )));
            }
        }
        Ok(inputs)
    }
}

/// The outputs a run revealed, as a dict in program order.
fn outputs_dict<'py>(py: Python<'py>, out: &mpc::Outputs) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new_bound(py);
    for name in out.names() {
        let v: Value = out.get(name).map_err(from_mpc)?;
        d.set_item(name, to_py(py, &v)?)?;
    }
    Ok(d)
}
