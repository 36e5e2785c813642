//! The built-in functions and methods, one table.
//!
//! Every builtin is one [`Builtin`] entry in [`BUILTINS`]: its name, whether it is
//! called as `f(args)` or as a method `x.f(args)`, its arity, its type rule (run by
//! the checker), its lowering to IR (run by lowering), and, when it has an IR
//! operation of its own, that operation's rules ([`OpRule`]: printed name, operand
//! widths, gates, cost estimate). The rest of the compiler knows builtins only
//! through this table: the checker and lowering dispatch on [`lookup`], the IR holds a
//! builtin's own operation as [`crate::ir::Op::Builtin`] (the entry's index and its
//! compile-time parameters) and asks the entry how to print, verify, blast and cost
//! it, and loop rolling asks [`Builtin::roll_blocker`].
//!
//! # To add a builtin
//! 1. Write its entry as a `pub(super) const` [`Builtin`] in the file of its subject
//!    (or a new file here): `usage` shows how it is called (for a function, exactly
//!    the code of its docs row); `check` computes the call's type from the argument
//!    expressions (reporting errors with a span and a help line, returning
//!    [`Ty::Error`] after one); `lower` builds the IR from the arguments' values (the
//!    checker has accepted the call, so `lower` re-checks only what needs values).
//! 2. If no existing IR operation computes it, give it an [`OpRule`] (`op: Some(..)`):
//!    `lower` then makes nodes with [`op`] and `blast` turns one node into gates
//!    through `mpc_circuits::gadgets`. The IR folds constants by running `blast`, so
//!    folding and the circuit agree by construction.
//! 3. Add the entry to [`BUILTINS`] and a row to the built-ins table of
//!    docs/language.md (a unit test checks that every builtin documented there has an
//!    entry and every function entry is documented).
//!
//! Nothing else changes: no other file matches on builtin names (the one name
//! outside this module is the parser's rewrite of `for x in xs`, which calls `len`),
//! and the help lines that list builtins ("cannot find function", "no method") are
//! made from this table.
//!
//! *Invariants:* names are unique per [`Form`]; the order of [`Form::Function`]
//! entries is the order the "cannot find function" help lists them in; an entry's
//! index is its [`BuiltinId`], which IR nodes hold only within one compilation (it
//! is never printed or stored: IR text shows the entry's `show` name).

mod arith;
mod crypto;
mod dp_noise;
mod methods;
mod sort;

use mpc_circuits::{Builder, Word};

use crate::ast::{Expr, Span};
use crate::check::Checker;
use crate::diag::Diagnostic;
use crate::ir::{NodeId, Op};
use crate::lower::{Lower, Val};
use crate::types::Ty;

/// How a builtin is called.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Form {
    /// `name(args)`.
    Function,
    /// `receiver.name(args)`.
    Method,
}

/// A call of a builtin as the checker sees it.
pub(crate) struct CheckCall<'e> {
    /// The builtin's name.
    pub(crate) name: &'static str,
    /// The whole call expression.
    pub(crate) expr: &'e Expr,
    /// A method's receiver and its type (already checked); `None` for a function.
    pub(crate) recv: Option<(&'e Expr, Ty)>,
    /// The arguments (their number is the entry's arity).
    pub(crate) args: &'e [Expr],
    /// The type the context expects, if any (a hint for literals).
    pub(crate) expected: Option<&'e Ty>,
}

/// A call of a builtin as lowering sees it.
pub(crate) struct LowerCall<'e> {
    /// The entry's id (for [`op`]).
    pub(crate) id: BuiltinId,
    /// The whole call expression.
    pub(crate) expr: &'e Expr,
    /// A method's receiver (not yet lowered); `None` for a function.
    pub(crate) recv: Option<&'e Expr>,
    /// The argument expressions.
    pub(crate) args: &'e [Expr],
    /// For a function: the values of the arguments that are not closures, in order
    /// (a closure is lowered by the builtin that takes it). Empty for a method.
    pub(crate) vals: Vec<Val>,
    /// The call's checked type.
    pub(crate) ty: Ty,
}

/// Lowering's result type.
pub(crate) type R<T> = Result<T, Box<Diagnostic>>;

/// The type rule of a builtin.
pub(crate) type CheckFn = fn(&mut Checker<'_>, &CheckCall<'_>) -> Ty;
/// The lowering of a builtin.
pub(crate) type LowerFn = fn(&mut Lower<'_>, LowerCall<'_>) -> R<Val>;

/// A builtin's own IR operation ([`Op::Builtin`]): `params` are its compile-time
/// parameters as the entry's `lower` made them (e.g. signedness as 0/1).
pub(crate) struct OpRule {
    /// The name printed in IR dumps.
    pub(crate) show: fn(&[u64]) -> String,
    /// Whether the two operands may be swapped (the IR orders them for sharing).
    pub(crate) commutative: bool,
    /// Whether operand widths `args` and result width `width` are well formed.
    pub(crate) valid: fn(args: &[u32], width: u32) -> bool,
    /// Gates for one node: operands `args`, result `width` bits.
    pub(crate) blast: fn(&mut Builder, params: &[u64], args: &[&Word], width: usize) -> Word,
    /// A rough gate count for a node of result width `width` (loop rolling's estimate).
    pub(crate) cost: fn(width: u64) -> u64,
}

/// One builtin.
pub(crate) struct Builtin {
    /// Its name.
    pub(crate) name: &'static str,
    /// Function or method.
    pub(crate) form: Form,
    /// How it is called, as the user writes it: for a function the code of its row
    /// in docs/language.md's built-ins table (a test holds them equal), for a method
    /// the receiver too (the unknown-method help lists these).
    pub(crate) usage: &'static str,
    /// The number of arguments (not counting a method's receiver).
    pub(crate) arity: usize,
    /// The type rule.
    pub(crate) check: CheckFn,
    /// The lowering.
    pub(crate) lower: LowerFn,
    /// Its own IR operation, if it has one.
    pub(crate) op: Option<OpRule>,
    /// Why a `for` loop whose body calls it cannot be rolled into a body compiled
    /// once, if it cannot (see `roll.rs`).
    pub(crate) roll_blocker: Option<&'static str>,
}

/// An entry's index in [`BUILTINS`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct BuiltinId(u8);

impl BuiltinId {
    /// The entry (every id is made from an index of [`BUILTINS`]).
    pub(crate) fn entry(self) -> &'static Builtin {
        &BUILTINS[usize::from(self.0)]
    }
}

/// Every builtin.
pub(crate) static BUILTINS: &[Builtin] = &[
    arith::MIN,
    arith::MAX,
    arith::ABS,
    arith::POPCOUNT,
    arith::HAMMING,
    sort::SORT,
    sort::SORT_BY_KEY,
    arith::MUL_WIDE,
    crypto::AES128,
    crypto::SHA256_COMPRESS,
    dp_noise::DP_NOISE,
    methods::LEN,
    methods::BIT,
];

/// The builtin called `name` in `form`.
pub(crate) fn lookup(name: &str, form: Form) -> Option<(BuiltinId, &'static Builtin)> {
    let i = BUILTINS.iter().position(|b| b.form == form && b.name == name)?;
    // At most 256 entries: the table is a literal well below that (see the test).
    let id = BuiltinId(u8::try_from(i).ok()?);
    Some((id, &BUILTINS[i]))
}

/// Whether `name` is a built-in function.
pub(crate) fn is_function(name: &str) -> bool {
    lookup(name, Form::Function).is_some()
}

/// The built-in functions' names, in table order.
pub(crate) fn function_names() -> impl Iterator<Item = &'static str> {
    BUILTINS.iter().filter(|b| b.form == Form::Function).map(|b| b.name)
}

/// The built-in methods as the unknown-method help lists them: "`len()` on arrays
/// and `bit(i)` on integers".
pub(crate) fn methods_help() -> String {
    let usages: Vec<&str> = BUILTINS.iter().filter(|b| b.form == Form::Method).map(|b| b.usage).collect();
    match usages.split_last() {
        None => "there are no methods".into(),
        Some((last, [])) => format!("the only method is {last}"),
        Some((last, rest)) => format!("methods are {} and {last}", rest.join(", ")),
    }
}

/// A node of builtin `id`'s own operation.
pub(crate) fn op(id: BuiltinId, params: Vec<u64>) -> Op {
    Op::Builtin { id, params }
}

/// Adds a node of builtin `id`'s own operation to lowering's IR.
fn node(l: &mut Lower<'_>, id: BuiltinId, params: Vec<u64>, args: Vec<NodeId>, width: u32) -> NodeId {
    l.ir.node(op(id, params), args, width)
}

/// Operand `i` zero-extended or truncated to `w` bits (empty if absent): what every
/// gadget gets, so a front-end bug can never reach a gadget's width assertion.
fn operand(args: &[&Word], i: usize, w: usize) -> Word {
    match args.get(i) {
        Some(x) => crate::blast::fit(x, w),
        None => Word::constant(0, w),
    }
}

/// An error of lowering at `span`.
fn err<T>(span: Span, msg: impl Into<String>) -> R<T> {
    Err(Box::new(Diagnostic::error(span, msg)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_per_form_and_ids_fit() {
        assert!(BUILTINS.len() <= 256);
        for (i, b) in BUILTINS.iter().enumerate() {
            let (id, found) = lookup(b.name, b.form).expect("every entry is found by name");
            assert_eq!(usize::from(id.0), i, "`{}` is listed twice", b.name);
            assert!(std::ptr::eq(found, b));
        }
    }

    const LANGUAGE_DOC: &str = include_str!("../../../docs/language.md");

    /// The code spans of the first column of docs/language.md's built-ins table
    /// (`min(a, b)`, `max(a, b)`, ...), with the table's `\|` escapes undone.
    fn documented_usages() -> Vec<String> {
        let table =
            LANGUAGE_DOC.split("| built-in |").nth(1).expect("docs/language.md has the built-ins table");
        let mut out = Vec::new();
        for row in table.lines().skip(2).take_while(|l| l.starts_with('|')) {
            let first = row.split(" | ").next().unwrap_or_default().replace("\\|", "|");
            out.extend(first.split('`').skip(1).step_by(2).map(|c| format!("`{c}`")));
        }
        out
    }

    #[test]
    fn function_usages_are_the_documented_ones() {
        let mut documented = documented_usages();
        let mut ours: Vec<String> =
            BUILTINS.iter().filter(|b| b.form == Form::Function).map(|b| b.usage.to_string()).collect();
        documented.sort();
        ours.sort();
        assert_eq!(ours, documented);
    }

    #[test]
    fn the_methods_help_lists_every_method() {
        assert_eq!(methods_help(), "methods are `len()` on arrays and `bit(i)` on integers");
    }

    /// The built-in functions named in the first column of docs/language.md's
    /// built-ins table (`min(a, b)`, `max(a, b)` give `min` and `max`).
    fn documented_functions() -> Vec<String> {
        let table =
            LANGUAGE_DOC.split("| built-in |").nth(1).expect("docs/language.md has the built-ins table");
        let mut fns = Vec::new();
        for row in table.lines().skip(2).take_while(|l| l.starts_with('|')) {
            let first = row.split(" | ").next().unwrap_or_default();
            for code in first.split('`').skip(1).step_by(2) {
                if let Some((name, _)) = code.split_once('(') {
                    fns.push(name.to_string());
                }
            }
        }
        fns
    }

    #[test]
    fn every_documented_builtin_has_an_entry_and_every_entry_is_documented() {
        let fns = documented_functions();
        assert!(fns.len() >= 10, "the table parse found only {fns:?}");
        for f in &fns {
            assert!(lookup(f, Form::Function).is_some(), "docs/language.md names `{f}` but it has no entry");
        }
        for name in function_names() {
            assert!(fns.iter().any(|f| f == name), "`{name}` is not in docs/language.md's built-ins table");
        }
        for m in BUILTINS.iter().filter(|b| b.form == Form::Method) {
            let call = format!(".{}(", m.name);
            assert!(LANGUAGE_DOC.contains(&call), "docs/language.md never shows `{call}`");
        }
    }

    #[test]
    fn blocked_builtins_say_why() {
        let (_, dp) = lookup("dp_noise", Form::Function).expect("dp_noise");
        assert!(dp.roll_blocker.is_some());
        let (_, min) = lookup("min", Form::Function).expect("min");
        assert!(min.roll_blocker.is_none());
    }
}
