//! Diagnostic helpers of the checker: errors with a span (and a help line), the
//! "did you mean" help for an unknown name, and types shown as the user writes them.
//!
//! *Invariant:* every error the checker reports goes through [`Checker::err`] or
//! [`Checker::err_help`] (so into `Checker::diags`, in the order found); a type is
//! always shown with struct names, never indices.

use super::Checker;
use crate::ast::*;
use crate::diag::Diagnostic;
use crate::types::Ty;

impl Checker<'_> {
    pub(crate) fn err(&mut self, span: Span, msg: impl Into<String>) {
        self.diags.push(Diagnostic::error(span, msg));
    }

    pub(crate) fn err_help(&mut self, span: Span, msg: impl Into<String>, help: impl Into<String>) {
        self.diags.push(Diagnostic::error(span, msg).with_help(help));
    }

    /// The help for an unknown name: a similar variable or constant, if any.
    pub(super) fn name_help(&self, name: &str) -> String {
        let vars = self.scopes.iter().flat_map(|s| s.keys()).map(String::as_str);
        let consts = self.out.consts.iter().map(|c| c.0.as_str());
        match crate::diag::similar(name, vars.chain(consts)) {
            Some(s) => format!("a variable with a similar name exists: `{s}`"),
            None => "declare it with `let` before this use, or as a parameter".into(),
        }
    }

    pub(crate) fn show(&self, t: &Ty) -> String {
        t.display(&self.out.structs)
    }
}
