//! The reference evaluators: straight readings of the contract, slow and
//! obviously correct, that the property tests compare the engine with. Never
//! used by the binary or on the decision path.

pub mod access;
pub mod config;
pub mod expr;

use crate::expr::check::{check_source, check_with};
use crate::expr::cond::Cond;
use crate::expr::{Limits, parse};
use crate::scheme::Scheme;

/// The labels of `src` checked against `scheme` two ways: rendered lazily from
/// the source (what `check_expression` does) and printed from the tree. They
/// must read the same. `None` when `src` does not check.
pub fn labels_both_ways(src: &str, scheme: &Scheme) -> Option<(Vec<String>, Vec<String>)> {
    let expr = parse(src).ok()?;
    let limits = Limits::default();
    let lazy = check_source(&expr, src, scheme, &limits).ok()?;
    let eager = check_with(&expr, scheme, &limits).ok()?;
    Some((labels(&lazy), labels(&eager)))
}

/// Every label of `cond`, as text, in order.
fn labels(cond: &Cond) -> Vec<String> {
    let mut out = Vec::new();
    cond.for_each_label(&mut |l| out.push(l.to_string()));
    out
}
pub use crate::literal::normalize_ip;
