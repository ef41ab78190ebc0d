//! zt-eval: offline evaluation of Zero Trust access configuration.
#![deny(missing_docs)]

pub mod ast;
pub mod check;
pub mod compile;
pub mod cond;
pub mod diag;
pub mod eval;
pub mod explain;
pub mod expression;
mod lex;
pub mod literal;
pub mod parse;
pub mod program;
pub mod reference;
pub mod scheme;
pub mod sets;
pub mod value;
