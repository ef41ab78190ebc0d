//! Policy tests and coverage (`tests.md`): expectations kept in git and
//! checked on every change, as `opa test` and `cedar run-tests` are used.
//! `suite.rs` reads a test file strictly; `run.rs` checks one test against an
//! explained decision; `coverage.rs` counts which rules, profiles and
//! policies decisions made true and false.

pub mod coverage;
pub mod run;
pub mod suite;

pub use coverage::{Coverage, Item, ItemKind};
pub use run::{Failure, Outcome, run};
pub use suite::{AppExpect, Expect, Suite, TestCase, json_schema, read_suite};
