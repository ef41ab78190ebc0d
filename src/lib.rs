//! zt-eval: offline evaluation of Zero Trust access configuration.
#![deny(missing_docs)]

pub mod ast;
pub mod diag;
mod lex;
pub mod literal;
pub mod parse;
