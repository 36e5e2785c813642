//! `mpc.psi`: ECDH private set intersection on ristretto255 (`mpc_native::psi`,
//! semi-honest, DDH with the hash as a random oracle; each side learns the other's set
//! size). `intersect` runs one side against a peer over TCP or TLS (the listener is
//! the protocol's listener, whichever of `listen=`/`connect=` is given);
//! `intersect_local` runs both sides in this process over an in-memory channel. As
//! with `mpc psi`, plain TCP needs `insecure=True`: whoever connects first is the
//! peer and can probe the set.
//!
//! Items are `bytes` or `str` (UTF-8); results are sorted, without duplicates, and
//! come back as `str` when every item given was a `str`. `mode`: `"intersection"`
//! (both learn it), `"cardinality"` (both learn its size, an int), `"listener-only"`
//! (only the listener learns it; the connector gets `None`).

use mpc_native::psi::{self, Mode, PsiOutput, Role};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};

use crate::errors::{ChannelError, InputError, PsiError};
use crate::net::Peer;

/// Items as bytes, and whether every one was a `str`.
fn items(objs: &Bound<'_, PyAny>) -> PyResult<(Vec<Vec<u8>>, bool)> {
    let mut out = Vec::new();
    let mut all_text = true;
    for (i, obj) in objs.iter()?.enumerate() {
        let obj = obj?;
        if let Ok(s) = obj.downcast::<PyString>() {
            out.push(s.to_cow()?.as_bytes().to_vec());
        } else if let Ok(b) = obj.downcast::<PyBytes>() {
            all_text = false;
            out.push(b.as_bytes().to_vec());
        } else {
            return Err(InputError::new_err(format!("item {i}: expected bytes or str")));
        }
    }
    Ok((out, all_text))
}

fn mode(name: &str) -> PyResult<Mode> {
    match name {
        "intersection" => Ok(Mode::Intersection),
        "cardinality" => Ok(Mode::Cardinality),
        "listener-only" => Ok(Mode::ListenerOnly),
        other => Err(InputError::new_err(format!(
            "unknown PSI mode `{other}` (the modes are intersection, cardinality, listener-only)"
        ))),
    }
}

/// The Python result of one side.
fn result(py: Python<'_>, out: PsiOutput, text: bool) -> PyResult<PyObject> {
    Ok(match out {
        PsiOutput::Intersection(items) => {
            let list: Vec<PyObject> = items
                .iter()
                .map(|b| match (text, std::str::from_utf8(b)) {
                    (true, Ok(s)) => s.into_py(py),
                    _ => PyBytes::new_bound(py, b).into_any().unbind(),
                })
                .collect();
            list.into_py(py)
        }
        PsiOutput::Cardinality(n) => n.into_py(py),
        PsiOutput::Nothing => py.None(),
    })
}

/// One side of a PSI with the peer at `listen=`/`connect=` (`HOST:PORT`).
#[pyfunction]
#[pyo3(signature = (items, *, listen=None, connect=None, mode="intersection", timeout=30.0, tls_cert=None, tls_key=None, peer_cert=None, insecure=false))]
#[allow(clippy::too_many_arguments)] // the Python keyword arguments
fn intersect(
    py: Python<'_>,
    items: &Bound<'_, PyAny>,
    listen: Option<String>,
    connect: Option<String>,
    mode: &str,
    timeout: f64,
    tls_cert: Option<std::path::PathBuf>,
    tls_key: Option<std::path::PathBuf>,
    peer_cert: Option<std::path::PathBuf>,
    insecure: bool,
) -> PyResult<PyObject> {
    let (set, text) = self::items(items)?;
    let m = self::mode(mode)?;
    let peer = Peer::new(listen, connect, timeout, tls_cert, tls_key, peer_cert)?;
    if !peer.tls() && !insecure {
        return Err(InputError::new_err(
            "psi.intersect needs tls_cert, tls_key and peer_cert (TLS with a pinned peer), \
             or insecure=True for plain TCP, where anyone who connects first can probe the set",
        ));
    }
    let role = if peer.listens() { Role::Listener } else { Role::Connector };
    let out = py.allow_threads(move || -> Result<PsiOutput, PyErrLater> {
        let mut channel = peer.open().map_err(PyErrLater::Channel)?;
        let report =
            psi::run(channel.as_mut(), role, m, set, &mut rand_core::OsRng).map_err(PyErrLater::Psi)?;
        Ok(report.output)
    });
    match out {
        Ok(o) => result(py, o, text),
        Err(PyErrLater::Channel(msg)) => Err(ChannelError::new_err(msg)),
        Err(PyErrLater::Psi(e)) => Err(PsiError::new_err(e.to_string())),
    }
}

/// Both sides in this process (two threads, an in-memory channel, the real
/// protocol): `(listener's result, connector's result)`.
#[pyfunction]
#[pyo3(signature = (listener_items, connector_items, *, mode="intersection"))]
fn intersect_local(
    py: Python<'_>,
    listener_items: &Bound<'_, PyAny>,
    connector_items: &Bound<'_, PyAny>,
    mode: &str,
) -> PyResult<(PyObject, PyObject)> {
    let (a, text_a) = items(listener_items)?;
    let (b, text_b) = items(connector_items)?;
    let m = self::mode(mode)?;
    let (ra, rb) = py.allow_threads(move || {
        let (mut ch_a, mut ch_b) = mpc::MemoryChannel::pair();
        let other =
            std::thread::spawn(move || psi::run(&mut ch_b, Role::Connector, m, b, &mut rand_core::OsRng));
        let ra = psi::run(&mut ch_a, Role::Listener, m, a, &mut rand_core::OsRng);
        drop(ch_a);
        let rb = other
            .join()
            .unwrap_or_else(|_| Err(psi::PsiError::PeerMisbehaved("the peer thread panicked".into())));
        (ra, rb)
    });
    let fail = |e: psi::PsiError| PsiError::new_err(e.to_string());
    let (ra, rb) = (ra.map_err(fail)?, rb.map_err(fail)?);
    Ok((result(py, ra.output, text_a)?, result(py, rb.output, text_b)?))
}

/// An error made without the GIL, turned into an exception once it is held again.
enum PyErrLater {
    Channel(String),
    Psi(psi::PsiError),
}

/// The `mpc.psi` submodule.
pub fn module(py: Python<'_>) -> PyResult<Bound<'_, PyModule>> {
    let m = PyModule::new_bound(py, "psi")?;
    m.add_function(wrap_pyfunction!(intersect, &m)?)?;
    m.add_function(wrap_pyfunction!(intersect_local, &m)?)?;
    Ok(m)
}
