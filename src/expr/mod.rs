//! Text -> `Expr` -> `Cond`: the first stage of the expression pipeline.
//!
//! ```text
//! text --lex--> lexemes --parse--> Expr (as written, a Span per node)
//!      --check(Scheme)--> Cond (names resolved to FieldIds, literals typed,
//!                               regexes compiled, every `[*]` a quantifier source)
//! ```
//!
//! `Expr` is what the user wrote, so errors and canonical printing refer to the
//! source; `Cond` is what it means, so the compiler and the reference interpreter
//! never see a name or a span. Labels (`label.rs`) give a `Cond` atom its
//! canonical text, printed lazily from a span of the source. This stage knows no
//! runtime value: evaluation is `program/`'s.

pub mod ast;
pub(crate) mod check;
pub(crate) mod cond;
pub(crate) mod label;
mod lex;
pub(crate) mod parse;

use crate::diag::Diagnostic;
use crate::scheme::Scheme;
use ast::Expr;
use cond::Cond;
pub use parse::{Limits, parse};
use std::fmt;

/// A parsed and checked expression.
#[derive(Debug, Clone)]
pub struct Checked {
    /// The tree as written.
    pub expr: Expr,
    /// What it means.
    pub(crate) cond: Cond,
}

impl Checked {
    /// The canonical text.
    pub fn canonical(&self) -> String {
        self.expr.to_string()
    }
}

/// Every diagnostic of an expression that did not check: the syntax error, or
/// every type error. Indexes like a slice of `Diagnostic`s.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl std::ops::Deref for Diagnostics {
    type Target = [Diagnostic];

    fn deref(&self) -> &[Diagnostic] {
        &self.0
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.as_slice() {
            [] => f.write_str("invalid expression"),
            [one] => write!(f, "{one}"),
            [first, rest @ ..] => write!(f, "{first} (and {} more)", rest.len()),
        }
    }
}

impl std::error::Error for Diagnostics {}

/// Parses and checks `src` against `scheme`.
///
/// # Errors
/// The syntax error, or every type error.
pub fn check_expression(
    src: &str,
    scheme: &Scheme,
    limits: &Limits,
) -> Result<Checked, Diagnostics> {
    let expr = parse::parse_with(src, limits).map_err(|d| Diagnostics(vec![d]))?;
    let cond = check::check_source(&expr, src, scheme, limits).map_err(Diagnostics)?;
    Ok(Checked { expr, cond })
}
