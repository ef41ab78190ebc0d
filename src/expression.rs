//! One expression end to end: text -> `Expr` -> `Cond`, with every diagnostic.

use crate::ast::Expr;
use crate::check::check_with;
use crate::cond::Cond;
use crate::diag::Diagnostic;
use crate::parse::{Limits, parse_with};
use crate::scheme::Scheme;

/// A parsed and checked expression.
#[derive(Debug, Clone)]
pub struct Checked {
    /// The tree as written.
    pub expr: Expr,
    /// What it means.
    pub cond: Cond,
}

impl Checked {
    /// The canonical text.
    pub fn canonical(&self) -> String {
        self.expr.to_string()
    }
}

/// Parses and checks `src` against `scheme`.
///
/// # Errors
/// The syntax error, or every type error.
pub fn check_expression(
    src: &str,
    scheme: &Scheme,
    limits: &Limits,
) -> Result<Checked, Vec<Diagnostic>> {
    let expr = parse_with(src, limits).map_err(|d| vec![d])?;
    let cond = check_with(&expr, scheme, limits)?;
    Ok(Checked { expr, cond })
}
