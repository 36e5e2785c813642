//! Python objects to and from [`mpc::Value`], guided by the program's types.
//!
//! Inputs: `bool` for a `bool`; an `int` (any width; also any object with
//! `__index__`, e.g. numpy integers) for an integer type, checked against the type's
//! range by the CLI's own value parser (`mpc_circuits::parse_value`), so an out-of-range
//! value is refused with the CLI's sentence; any sequence of the right length (list,
//! tuple, `bytes` for `u8` arrays, numpy arrays through `tolist()`) for an array or a
//! tuple; a `dict` with exactly the field names for a struct. A `bool` is not accepted
//! for an integer, nor an `int` for a `bool`: the types are the program's.
//!
//! Outputs: `bool`, `int` (signed types as negative numbers), `list` for arrays,
//! `tuple` for tuples, `dict` for structs.
//!
//! Nesting is bounded by the program's types (at most 64 levels, checked by the
//! compiler), so the recursion here is bounded too.

use mpc::{Value, ValueType};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyByteArray, PyBytes, PyDict, PyList, PyString, PyTuple};

/// Converts `obj` to a value of type `ty`; `path` names the place for messages
/// (`a`, `xs[3]`, `bid.amount`). The error is the sentence without the `input` prefix.
pub fn to_value(obj: &Bound<'_, PyAny>, ty: &ValueType, path: &str) -> Result<Value, String> {
    let obj = plain(obj).map_err(|e| format!("`{path}`: {e}"))?;
    match ty {
        ValueType::Bool => match obj.downcast::<PyBool>() {
            Ok(b) => Ok(Value::Bool(b.is_true())),
            Err(_) => Err(format!("`{path}`: expected a bool, got {}", describe(&obj))),
        },
        ValueType::UInt(_) | ValueType::SInt(_) => {
            if obj.is_instance_of::<PyBool>() {
                return Err(format!("`{path}`: expected an integer of type {ty}, got a bool"));
            }
            let index = obj
                .call_method0("__index__")
                .map_err(|_| format!("`{path}`: expected an integer of type {ty}, got {}", describe(&obj)))?;
            let text = index.str().map_err(|e| format!("`{path}`: {e}"))?;
            let text = text.to_cow().map_err(|e| format!("`{path}`: {e}"))?;
            let bits = mpc_circuits::parse_value(&text, ty).map_err(|e| format!("`{path}`: {e}"))?;
            Ok(Value::Int { signed: matches!(ty, ValueType::SInt(_)), bits })
        }
        ValueType::Array(elem, n) => {
            let items = sequence(&obj, path, ty)?;
            if items.len() != *n as usize {
                return Err(format!("`{path}`: expected {n} elements ({ty}), got {}", items.len()));
            }
            let values = items
                .iter()
                .enumerate()
                .map(|(i, item)| to_value(item, elem, &format!("{path}[{i}]")))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Value::Array(values))
        }
        ValueType::Tuple(tys) => {
            let items = sequence(&obj, path, ty)?;
            if items.len() != tys.len() {
                return Err(format!("`{path}`: expected {} fields ({ty}), got {}", tys.len(), items.len()));
            }
            let values = items
                .iter()
                .zip(tys)
                .enumerate()
                .map(|(i, (item, t))| to_value(item, t, &format!("{path}.{i}")))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Value::Tuple(values))
        }
        ValueType::Struct { name, fields } => {
            let dict = obj.downcast::<PyDict>().map_err(|_| {
                format!("`{path}`: expected a dict for struct {name}, got {}", describe(&obj))
            })?;
            for key in dict.keys() {
                let known = key.extract::<String>().is_ok_and(|k| fields.iter().any(|(f, _)| *f == k));
                if !known {
                    let names: Vec<&str> = fields.iter().map(|(f, _)| f.as_str()).collect();
                    return Err(format!(
                        "`{path}`: struct {name} has no field {} (its fields are {})",
                        key.repr().map_or_else(|_| "?".to_string(), |r| r.to_string()),
                        names.join(", ")
                    ));
                }
            }
            let mut values = Vec::with_capacity(fields.len());
            for (field, t) in fields {
                let item = dict
                    .get_item(field)
                    .map_err(|e| format!("`{path}`: {e}"))?
                    .ok_or_else(|| format!("`{path}`: missing field `{field}` ({t}) of struct {name}"))?;
                values.push((field.clone(), to_value(&item, t, &format!("{path}.{field}"))?));
            }
            Ok(Value::Struct { name: name.clone(), fields: values })
        }
    }
}

/// `obj.tolist()` for objects that have it and are not plain Python values (numpy
/// arrays and scalars), else `obj`.
fn plain<'py>(obj: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    let builtin = obj.is_instance_of::<PyBool>()
        || obj.is_instance_of::<pyo3::types::PyInt>()
        || obj.is_instance_of::<PyList>()
        || obj.is_instance_of::<PyTuple>()
        || obj.is_instance_of::<PyDict>();
    if !builtin && obj.hasattr("tolist")? {
        return obj.call_method0("tolist");
    }
    Ok(obj.clone())
}

/// The items of a sequence (not a string); `bytes`/`bytearray` give their byte values.
fn sequence<'py>(
    obj: &Bound<'py, PyAny>,
    path: &str,
    ty: &ValueType,
) -> Result<Vec<Bound<'py, PyAny>>, String> {
    let py = obj.py();
    if let Ok(b) = obj.downcast::<PyBytes>() {
        return Ok(b.as_bytes().iter().map(|x| x.into_py(py).into_bound(py)).collect());
    }
    if let Ok(b) = obj.downcast::<PyByteArray>() {
        return Ok(b.to_vec().iter().map(|x| x.into_py(py).into_bound(py)).collect());
    }
    if obj.is_instance_of::<PyString>() || obj.is_instance_of::<PyDict>() {
        return Err(format!("`{path}`: expected a sequence ({ty}), got {}", describe(obj)));
    }
    let iter =
        obj.iter().map_err(|_| format!("`{path}`: expected a sequence ({ty}), got {}", describe(obj)))?;
    iter.collect::<PyResult<Vec<_>>>().map_err(|e| format!("`{path}`: {e}"))
}

/// "the str 'abc'", "a float", for messages (never the whole of a long value).
fn describe(obj: &Bound<'_, PyAny>) -> String {
    let ty = obj.get_type().name().map_or_else(|_| "object".to_string(), |n| n.to_string());
    format!("a value of Python type {ty}")
}

/// The Python object for an output value.
pub fn to_py(py: Python<'_>, value: &Value) -> PyResult<PyObject> {
    Ok(match value {
        Value::Bool(b) => b.into_py(py),
        Value::Int { .. } => {
            // `to_decimal_string` is `Some` for every `Value::Int`.
            let text = value.to_decimal_string().unwrap_or_default();
            py.get_type_bound::<pyo3::types::PyInt>().call1((text,))?.unbind()
        }
        Value::Array(items) => {
            let items = items.iter().map(|v| to_py(py, v)).collect::<PyResult<Vec<_>>>()?;
            PyList::new_bound(py, items).into_any().unbind()
        }
        Value::Tuple(items) => {
            let items = items.iter().map(|v| to_py(py, v)).collect::<PyResult<Vec<_>>>()?;
            PyTuple::new_bound(py, items).into_any().unbind()
        }
        Value::Struct { fields, .. } => {
            let dict = PyDict::new_bound(py);
            for (name, v) in fields {
                dict.set_item(name, to_py(py, v)?)?;
            }
            dict.into_any().unbind()
        }
    })
}
