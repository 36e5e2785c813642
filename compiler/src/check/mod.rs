//! The checker: names, types, parties, constants, recursion.
//!
//! Produces [`Checked`]: the struct table, every function's signature, the parties, the
//! type of every expression (after literal coercion, see [`Ty::Int`]) and the type
//! each cast or array repeat denotes. Lowering relies on these facts and on the
//! absence of errors; it re-checks nothing but compile-time values (array bounds, loop
//! bounds) which it reports itself.
//!
//! Rules (see docs/language.md): no implicit conversions between run-time integer
//! types; compile-time integers coerce to any integer type; shift amounts may be any
//! unsigned type; `==`/`!=` work on any type, ordering only on integers; `main`'s
//! parameters name a declared party; recursion is rejected.
//!
//! One [`Checker`] walks the program; its methods are split by concern:
//! [`items`] (the passes over the program, `main`, recursion), [`typing`] (types and
//! assignability), [`consts`] (compile-time integers), [`scopes`] (lookup and
//! inference of untyped `let mut`), [`stmts`], [`loops`], [`exprs`], [`enums`]
//! (variants and `match`), [`generics`] (instances), [`diagnostics`] (reporting).
//! Builtins are checked by their entries in `crate::builtins`.
//!
//! *Invariants:* the checker never panics and always terminates (nesting, struct
//! shapes, instances and inference passes are bounded); after an error the faulty
//! part has [`Ty::Error`], which no rule reports again, so each mistake gives one
//! error; with no error, every expression of `main` and of every function reachable
//! from it has a type in [`Checked::expr_types`].

mod consts;
mod diagnostics;
mod enums;
mod exprs;
mod generics;
mod items;
mod loops;
mod scopes;
mod stmts;
mod typing;

use std::collections::HashMap;

use crate::ast::*;
use crate::diag::Diagnostic;
use crate::types::{StructDef, Ty};

/// A function's checked signature.
#[derive(Clone, Debug)]
pub(crate) struct FnSig {
    /// Index into `Program::items`.
    pub item: usize,
    /// Parameter types.
    pub params: Vec<Ty>,
    /// Return type (unit when omitted).
    pub ret: Ty,
    /// For an instance of a generic function: its index in [`Checked::instances`]
    /// (whose body is the one to lower, not `item`'s).
    pub instance: Option<usize>,
}

/// An `enum`: the struct that holds its values (a `(tag)` field, then each variant's
/// payloads as fields `Variant.0`, `Variant.1`, ...) and its variants in order (the
/// tag of variant k is k).
#[derive(Clone, Debug)]
pub(crate) struct EnumDef {
    /// Index of the struct in [`Checked::structs`].
    pub strukt: usize,
    /// Variant names and payload types.
    pub variants: Vec<(String, Vec<Ty>)>,
}

/// One output of `main`: name, type, and the party that learns it (None = all).
#[derive(Clone, Debug)]
pub(crate) struct OutputSpec {
    /// The output group's name.
    pub name: String,
    /// Its type.
    pub ty: Ty,
    /// `Some(k)` when only party `k` learns it.
    pub party: Option<u8>,
}

/// Everything the checker learned.
#[derive(Clone, Debug, Default)]
pub(crate) struct Checked {
    /// Party names in declaration order.
    pub parties: Vec<String>,
    /// Struct definitions.
    pub structs: Vec<StructDef>,
    /// Struct name to index.
    pub struct_index: HashMap<String, usize>,
    /// Functions by name.
    pub fns: HashMap<String, FnSig>,
    /// Constants in order: name, item index, type.
    pub consts: Vec<(String, usize, Ty)>,
    /// Type of each expression by id (after coercion).
    pub expr_types: HashMap<ExprId, Ty>,
    /// Parties of `main`'s inputs, in parameter order.
    pub input_parties: Vec<u8>,
    /// The outputs of `main`.
    pub outputs: Vec<OutputSpec>,
    /// Whether `main` returns a tuple whose components are separate outputs.
    pub output_tuple: bool,
    /// Returned expressions given as the element of a one-element tuple return type
    /// (`x` for `-> (m: u8)`): their value is wrapped into that tuple.
    pub wrap_single: std::collections::HashSet<ExprId>,
    /// Enums by name.
    pub enums: HashMap<String, EnumDef>,
    /// Instances of generic functions (`dot<4>`): copies of the generic definition
    /// with the parameters replaced by their values and fresh expression ids.
    pub instances: Vec<FnDef>,
    /// Calls of generic functions: the instance (a key of `fns`) each one calls.
    pub call_targets: HashMap<ExprId, String>,
}

impl Checked {
    /// The type recorded for `e` (the error type if none was).
    pub(crate) fn ty(&self, e: &Expr) -> Ty {
        self.expr_types.get(&e.id).cloned().unwrap_or(Ty::Error)
    }
}

/// Most instances of generic functions one program may create.
const MAX_INSTANCES: usize = 10_000;

/// A variable in scope: its type and whether it may be assigned.
#[derive(Clone)]
pub(crate) struct Var {
    pub(crate) ty: Ty,
    pub(crate) mutable: bool,
    /// For an untyped `let mut` whose type holds compile-time integers: the start
    /// of its name, the key of [`Checker::inferred`].
    pub(crate) decl: Option<usize>,
}

/// How many times one function body is checked again after types were inferred for
/// its untyped `let mut`s (each pass may infer more; the rest keep their errors).
const MAX_INFER_PASSES: usize = 4;

/// The checker's state while it walks one program; its methods live in the
/// submodules by concern, and builtins' type rules (in `crate::builtins`) use
/// [`Checker::expr`], the reporting helpers and `out`/`scopes`.
pub(crate) struct Checker<'p> {
    prog: &'p Program,
    pub(crate) out: Checked,
    diags: Vec<Diagnostic>,
    pub(crate) scopes: Vec<HashMap<String, Var>>,
    const_values: HashMap<String, i128>,
    calls: HashMap<String, Vec<(String, Span)>>,
    current_fn: String,
    ret_ty: Ty,
    depth: usize,
    too_deep: bool,
    struct_too_big: bool,
    /// Types inferred for untyped `let mut` variables from their first typed
    /// assignment, by the start of the variable's name.
    inferred: HashMap<usize, Ty>,
    /// Whether the current pass over a body inferred a new type.
    inferred_new: bool,
    /// Generic functions by name: item index.
    generic_fns: HashMap<String, usize>,
    /// Instances whose bodies are still to be checked.
    pending: Vec<String>,
    /// Ids for the expressions of instances.
    ids: IdGen,
}

/// Deepest expression nesting the checker (and so the compiler) accepts.
pub const MAX_NESTING: usize = 256;

/// Checks a parsed program. Returns the facts and the diagnostics (errors mean the
/// facts must not be lowered).
pub(crate) fn check(prog: &Program) -> (Checked, Vec<Diagnostic>) {
    let mut c = Checker {
        prog,
        out: Checked::default(),
        diags: Vec::new(),
        scopes: Vec::new(),
        const_values: HashMap::new(),
        calls: HashMap::new(),
        current_fn: String::new(),
        ret_ty: Ty::unit(),
        depth: 0,
        too_deep: false,
        struct_too_big: false,
        inferred: HashMap::new(),
        inferred_new: false,
        generic_fns: HashMap::new(),
        pending: Vec::new(),
        ids: IdGen::starting_at(prog.next_id),
    };
    c.run();
    (c.out, c.diags)
}

/// Whether `t` is the type of compile-time integers (literals and constants before
/// coercion).
pub(crate) fn is_comptime(t: &Ty) -> bool {
    matches!(t, Ty::Int)
}

#[cfg(test)]
mod tests;
