//! The shapes sidecar of a compiled Bristol file: `aes.txt` plus `aes.txt.shapes.json`.
//!
//! A Bristol Fashion file records only gates and the widths of input and output
//! groups. Read alone, its inputs are named `0`, `1`, ... and belong to parties `p0`
//! and `p1` alternately, and every output is revealed to both parties
//! (`mpc_circuits::bristol`). A program compiled from `.mpc` may say otherwise
//! (`-> (ct: u128 @bob)`, two inputs of one party), and running its Bristol file
//! under the default convention would show bob's output to alice or take alice's
//! input from bob. So `mpc compile -o FILE` writes the program's shapes beside the
//! circuit, and [`apply`] puts them back when the circuit is loaded.
//!
//! The sidecar is one JSON object:
//! ```json
//! {"format": "mpc-shapes-v1",
//!  "circuit_sha256": "<hex SHA-256 of the Bristol file's bytes>",
//!  "parties": ["alice", "bob"],
//!  "inputs":  [{"name": "key", "party": "alice", "type": "u128"}, ...],
//!  "outputs": [{"name": "ciphertext", "reveal": "bob", "type": "u128"}, ...]}
//! ```
//! `reveal` is a party's name or `"all"`. A type is `"bool"`, `"uN"`, `"iN"`,
//! `{"array": T, "len": N}`, `{"tuple": [T, ...]}` or
//! `{"struct": NAME, "fields": [[NAME, T], ...]}`, nested at most 64 levels.
//!
//! Guarantees: a sidecar is applied only if it was written for exactly these bytes
//! (the hash), has as many groups of the same widths, and names parties that exist;
//! anything else is an error, never a silent fallback to the default convention.
//! Because parties, names, types and reveals are part of the circuit digest that the
//! session hello compares (`mpc_runtime::handshake`), a peer that runs the file
//! without its sidecar (or with another one) is refused by name.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context};
use mpc_circuits::{Circuit, InputGroup, OutputGroup, PartyId, Program, Reveal, ValueType};
use serde_json::{json, Value as Json};
use sha2::{Digest, Sha256};

const FORMAT: &str = "mpc-shapes-v1";
/// Types nest at most this deep (as `main`'s inputs and outputs in the compiler).
const MAX_TYPE_DEPTH: usize = 64;
/// The longest party, group or field name accepted.
const MAX_NAME_LEN: usize = 256;

/// The sidecar's path: the circuit's path with `.shapes.json` appended.
pub fn sidecar_path(circuit_path: &Path) -> PathBuf {
    let mut s = OsString::from(circuit_path.as_os_str());
    s.push(".shapes.json");
    PathBuf::from(s)
}

/// Whether running `circuit`'s Bristol file without its sidecar would change who
/// supplies or learns something: more or fewer than two parties, an input that does
/// not follow the `k % 2` rule, or an output revealed to one party only. (Names and
/// types are lost too, but losing them leaks nothing.)
#[cfg(test)]
pub fn needs_sidecar(circuit: &Circuit) -> bool {
    let reveals: Vec<Reveal> = circuit.outputs().iter().map(|g| g.reveal).collect();
    shapes_differ(circuit.parties(), circuit.inputs(), &reveals)
}

/// `needs_sidecar` for a program (the shapes of its expanded circuit).
pub fn program_needs_sidecar(p: &Program) -> bool {
    let reveals: Vec<Reveal> = p.outputs().iter().map(|o| o.reveal).collect();
    shapes_differ(p.parties(), p.inputs(), &reveals)
}

fn shapes_differ(parties: &[String], inputs: &[InputGroup], reveals: &[Reveal]) -> bool {
    let parties_differ = parties.len() != 2;
    let inputs_differ = inputs.iter().enumerate().any(|(k, g)| usize::from(g.party.0) != k % 2);
    let reveals_differ = reveals.iter().any(|r| *r != Reveal::All);
    parties_differ || inputs_differ || reveals_differ
}

/// The SHA-256 of a file, read in chunks (a Bristol file can be large).
pub fn file_sha256(path: &Path) -> anyhow::Result<[u8; 32]> {
    use std::io::Read as _;
    let mut f = std::fs::File::open(path).with_context(|| format!("cannot read `{}`", path.display()))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).with_context(|| format!("cannot read `{}`", path.display()))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize().into())
}

/// The sidecar text for `circuit`, whose Bristol Fashion text is `bristol`.
#[cfg(test)]
pub fn render(circuit: &Circuit, bristol: &[u8]) -> String {
    let outputs: Vec<(String, ValueType, Reveal)> =
        circuit.outputs().iter().map(|g| (g.name.clone(), g.ty.clone(), g.reveal)).collect();
    render_parts(circuit.parties(), circuit.inputs(), &outputs, &Sha256::digest(bristol).into())
}

/// The sidecar text for the expanded circuit of `p`, whose Bristol text has SHA-256
/// `digest`.
pub fn render_program(p: &Program, digest: &[u8; 32]) -> String {
    let outputs: Vec<(String, ValueType, Reveal)> =
        p.outputs().iter().map(|o| (o.name.clone(), o.ty.clone(), o.reveal)).collect();
    render_parts(p.parties(), p.inputs(), &outputs, digest)
}

fn render_parts(
    parties: &[String],
    inputs: &[InputGroup],
    outputs: &[(String, ValueType, Reveal)],
    digest: &[u8; 32],
) -> String {
    // Input parties index `parties` (a `Circuit`/`Program` invariant); a reveal's party
    // is looked up.
    let party = |p: PartyId| parties.get(usize::from(p.0)).cloned().unwrap_or_else(|| format!("#{}", p.0));
    let inputs: Vec<Json> = inputs
        .iter()
        .map(|g| json!({"name": g.name, "party": party(g.party), "type": type_to_json(&g.ty)}))
        .collect();
    let outputs: Vec<Json> = outputs
        .iter()
        .map(|(name, ty, reveal)| {
            let reveal = match reveal {
                Reveal::All => "all".to_string(),
                Reveal::To(p) => party(*p),
            };
            json!({"name": name, "reveal": reveal, "type": type_to_json(ty)})
        })
        .collect();
    let doc = json!({
        "format": FORMAT,
        "circuit_sha256": hex::encode(digest),
        "parties": parties,
        "inputs": inputs,
        "outputs": outputs,
    });
    // A `serde_json::Value` always serialises.
    serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
}

/// Reads the sidecar of the Bristol file at `path` (whose bytes are `bristol` and
/// which read as `circuit`), if there is one, and returns the circuit with its
/// shapes. `Ok(None)`: there is no sidecar.
pub fn load(path: &Path, bristol: &[u8], circuit: &Circuit) -> anyhow::Result<Option<Circuit>> {
    let side = sidecar_path(path);
    let text = match super::files::read_path_text(&side, super::files::SMALL_FILE_LIMIT) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("cannot read `{}`", side.display())),
    };
    let shaped =
        apply(&text, bristol, circuit).with_context(|| format!("`{}` is unusable", side.display()))?;
    Ok(Some(shaped))
}

/// Applies sidecar `text` to `circuit` (read from the bytes `bristol`).
pub fn apply(text: &str, bristol: &[u8], circuit: &Circuit) -> anyhow::Result<Circuit> {
    let doc: Json = serde_json::from_str(text).context("it is not JSON")?;
    let obj = doc.as_object().ok_or_else(|| anyhow!("it is not a JSON object"))?;
    if obj.get("format").and_then(Json::as_str) != Some(FORMAT) {
        bail!("it is not an `{FORMAT}` sidecar");
    }
    let want = hex::encode(Sha256::digest(bristol));
    if obj.get("circuit_sha256").and_then(Json::as_str) != Some(want.as_str()) {
        bail!("it was written for another circuit (the Bristol file changed since `mpc compile -o`)");
    }
    let parties: Vec<String> =
        array(obj, "parties")?.iter().map(|p| name(p, "a party")).collect::<anyhow::Result<_>>()?;
    if parties.len() != circuit.parties().len() {
        bail!("it names {} parties, the circuit has {}", parties.len(), circuit.parties().len());
    }
    for (i, p) in parties.iter().enumerate() {
        if parties[..i].contains(p) || p == "all" {
            bail!("party name `{}` is repeated or reserved", p.escape_debug());
        }
    }
    let party_id = |v: Option<&Json>| -> anyhow::Result<PartyId> {
        let n = v.and_then(Json::as_str).ok_or_else(|| anyhow!("a group has no party"))?;
        let i = parties
            .iter()
            .position(|p| p == n)
            .ok_or_else(|| anyhow!("a group names an unknown party `{}`", n.escape_debug()))?;
        // `parties.len()` equals the circuit's, which `PartyId(u8)` indexes.
        Ok(PartyId(u8::try_from(i).map_err(|_| anyhow!("too many parties"))?))
    };

    let ins = groups(obj, "inputs", circuit.inputs().len())?;
    let mut inputs = Vec::with_capacity(ins.len());
    for (g, old) in ins.iter().zip(circuit.inputs()) {
        let (name, ty) = named_type(g, "input", old.ty.width())?;
        inputs.push(InputGroup { name, party: party_id(g.get("party"))?, ty });
    }

    let outs = groups(obj, "outputs", circuit.outputs().len())?;
    let mut outputs = Vec::with_capacity(outs.len());
    for (g, old) in outs.iter().zip(circuit.outputs()) {
        let (name, ty) = named_type(g, "output", old.wires.len())?;
        let reveal = match g.get("reveal").and_then(Json::as_str) {
            Some("all") => Reveal::All,
            Some(_) => Reveal::To(party_id(g.get("reveal"))?),
            None => bail!("output `{name}` does not say who learns it"),
        };
        outputs.push(OutputGroup { name, ty, reveal, wires: old.wires.clone() });
    }
    Circuit::new(circuit.num_wires(), parties, inputs, outputs, circuit.gates().to_vec())
        .context("its shapes do not fit the circuit")
}

fn array<'a>(obj: &'a serde_json::Map<String, Json>, key: &str) -> anyhow::Result<&'a Vec<Json>> {
    obj.get(key).and_then(Json::as_array).ok_or_else(|| anyhow!("it has no `{key}` list"))
}

/// The `key` list (`inputs` or `outputs`), which must describe the circuit's `count`
/// groups.
fn groups<'a>(
    obj: &'a serde_json::Map<String, Json>,
    key: &str,
    count: usize,
) -> anyhow::Result<&'a Vec<Json>> {
    let list = array(obj, key)?;
    if list.len() != count {
        bail!("it describes {} {key}, the circuit has {count}", list.len());
    }
    Ok(list)
}

/// The name and type of one group (`kind` is `input` or `output`), whose type must be
/// as wide as the circuit's group (`width` bits).
fn named_type(g: &Json, kind: &str, width: usize) -> anyhow::Result<(String, ValueType)> {
    let name = name(g.get("name").unwrap_or(&Json::Null), &format!("an {kind}"))?;
    let ty = type_from_json(g.get("type").unwrap_or(&Json::Null), 0)?;
    if ty.width() != width {
        bail!("{kind} `{name}` has type {ty} ({} bits) but the circuit's group has {width}", ty.width());
    }
    Ok((name, ty))
}

/// A name: a non-empty string of at most [`MAX_NAME_LEN`] bytes without control
/// characters (names reach the terminal and the peer).
fn name(v: &Json, what: &str) -> anyhow::Result<String> {
    let s = v.as_str().ok_or_else(|| anyhow!("{what} has no name"))?;
    if s.is_empty() || s.len() > MAX_NAME_LEN || s.chars().any(char::is_control) {
        bail!("{what} has an empty, overlong or unprintable name");
    }
    Ok(s.to_string())
}

fn type_to_json(ty: &ValueType) -> Json {
    match ty {
        ValueType::Bool | ValueType::UInt(_) | ValueType::SInt(_) => Json::String(ty.to_string()),
        ValueType::Array(elem, n) => json!({"array": type_to_json(elem), "len": n}),
        ValueType::Tuple(items) => json!({"tuple": items.iter().map(type_to_json).collect::<Vec<_>>()}),
        ValueType::Struct { name, fields } => json!({
            "struct": name,
            "fields": fields.iter().map(|(f, t)| json!([f, type_to_json(t)])).collect::<Vec<_>>(),
        }),
    }
}

fn type_from_json(v: &Json, depth: usize) -> anyhow::Result<ValueType> {
    if depth > MAX_TYPE_DEPTH {
        bail!("a type nests more than {MAX_TYPE_DEPTH} levels");
    }
    let bad = || anyhow!("`{}` is not a type", short(v));
    let width = |digits: &str| -> anyhow::Result<u32> {
        match digits.parse::<u32>() {
            Ok(w) if (1..=256).contains(&w) && !digits.starts_with('0') => Ok(w),
            _ => Err(bad()),
        }
    };
    match v {
        Json::String(s) if s == "bool" => Ok(ValueType::Bool),
        Json::String(s) => match (s.strip_prefix('u'), s.strip_prefix('i')) {
            (Some(w), _) => Ok(ValueType::UInt(width(w)?)),
            (_, Some(w)) => Ok(ValueType::SInt(width(w)?)),
            _ => Err(bad()),
        },
        Json::Object(o) => {
            if let Some(elem) = o.get("array") {
                let n = o
                    .get("len")
                    .and_then(Json::as_u64)
                    .and_then(|n| u32::try_from(n).ok())
                    .ok_or_else(bad)?;
                Ok(ValueType::Array(Box::new(type_from_json(elem, depth + 1)?), n))
            } else if let Some(items) = o.get("tuple").and_then(Json::as_array) {
                let items =
                    items.iter().map(|t| type_from_json(t, depth + 1)).collect::<anyhow::Result<_>>()?;
                Ok(ValueType::Tuple(items))
            } else if let Some(sname) = o.get("struct") {
                let sname = name(sname, "a struct")?;
                let fields = o.get("fields").and_then(Json::as_array).ok_or_else(bad)?;
                let fields = fields
                    .iter()
                    .map(|f| match f.as_array().map(Vec::as_slice) {
                        Some([fname, t]) => Ok((name(fname, "a field")?, type_from_json(t, depth + 1)?)),
                        _ => Err(bad()),
                    })
                    .collect::<anyhow::Result<_>>()?;
                Ok(ValueType::Struct { name: sname, fields })
            } else {
                Err(bad())
            }
        }
        _ => Err(bad()),
    }
}

/// At most 40 characters of a JSON value, for messages.
fn short(v: &Json) -> String {
    let s = v.to_string();
    match s.char_indices().nth(40) {
        Some((i, _)) => format!("{}...", &s[..i]),
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mpc_circuits::{Builder, Word};
    use proptest::prelude::*;

    /// Two parties, an input of each plus a second one of alice's, a struct-typed
    /// output for bob and a bool for both: a circuit that needs its sidecar.
    fn circuit() -> Circuit {
        let mut b = Builder::new(&["alice", "bob"]);
        let x = b.input(PartyId(0), "x", 4);
        let y = b.input(PartyId(0), "y", 2);
        let z = b.input(PartyId(1), "z", 4);
        let s: Vec<_> = (0..4).map(|i| b.and(x.bit(i), z.bit(i))).collect();
        let t = b.xor(y.bit(0), y.bit(1));
        let pt = ValueType::Struct {
            name: "P".into(),
            fields: vec![("a".into(), ValueType::SInt(2)), ("b".into(), ValueType::UInt(2))],
        };
        b.output_typed("s", pt, Reveal::To(PartyId(1)), &Word::from_bits(s));
        b.output_typed("t", ValueType::Bool, Reveal::All, &Word::from_bits(vec![t]));
        b.finish().expect("a valid circuit")
    }

    #[test]
    fn a_sidecar_restores_what_the_bristol_file_lost() {
        let c = circuit();
        assert!(needs_sidecar(&c));
        let text = mpc_circuits::bristol::write_fashion(&c);
        let bare = mpc_circuits::bristol::read(&text).expect("the written file reads back");
        assert_eq!(bare.inputs()[1].party, PartyId(1), "the convention gives input 1 to p1");
        let side = render(&c, text.as_bytes());
        let shaped = apply(&side, text.as_bytes(), &bare).expect("the sidecar applies");
        assert_eq!(shaped.parties(), c.parties());
        assert_eq!(shaped.inputs(), c.inputs());
        for (a, b) in shaped.outputs().iter().zip(c.outputs()) {
            assert_eq!((&a.name, &a.ty, a.reveal), (&b.name, &b.ty, b.reveal));
        }
        // Other bytes (one more newline) are refused.
        let err = apply(&side, format!("{text}\n").as_bytes(), &bare).unwrap_err().to_string();
        assert!(err.contains("another circuit"), "{err}");
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        /// A sidecar with bytes changed, inserted or cut gives a circuit or an error,
        /// never a panic; when it applies, the result is a valid `Circuit` with the
        /// file's gates.
        #[test]
        fn mutated_sidecars_never_panic(
            edits in prop::collection::vec((0u8..3, any::<prop::sample::Index>(), any::<u8>()), 1..4),
        ) {
            let c = circuit();
            let text = mpc_circuits::bristol::write_fashion(&c);
            let bare = mpc_circuits::bristol::read(&text).expect("the written file reads back");
            let mut side = render(&c, text.as_bytes()).into_bytes();
            for (op, at, byte) in edits {
                let i = at.index(side.len() + 1);
                match op {
                    0 if i < side.len() => side[i] = byte,
                    1 => side.insert(i, byte),
                    _ => side.truncate(i),
                }
            }
            if let Ok(side) = std::str::from_utf8(&side) {
                if let Ok(shaped) = apply(side, text.as_bytes(), &bare) {
                    prop_assert_eq!(shaped.gates(), bare.gates());
                }
            }
        }
    }

    #[test]
    fn types_round_trip_through_json() {
        let point = ValueType::Struct {
            name: "Point".into(),
            fields: vec![("x".into(), ValueType::SInt(8)), ("y".into(), ValueType::Bool)],
        };
        let ty = ValueType::Tuple(vec![ValueType::Array(Box::new(point), 3), ValueType::UInt(256)]);
        assert_eq!(type_from_json(&type_to_json(&ty), 0).unwrap(), ty);
        for bad in [json!("u0"), json!("u257"), json!("u08"), json!("x"), json!({"array": "u8"}), json!(3)] {
            assert!(type_from_json(&bad, 0).is_err(), "{bad}");
        }
        let mut deep = json!("bool");
        for _ in 0..100 {
            deep = json!({"array": deep, "len": 1});
        }
        assert!(type_from_json(&deep, 0).is_err());
    }
}
