//! `Config` -> `Engine` -> `Decision`: every group's rules and every profile's
//! `match` compiled into one `Program` (atoms shared across the whole
//! configuration, groups in topological order), then per context one forward
//! pass over the groups and a first match over the profiles.
//!
//! ```text
//! Config --validate--> problems
//!        --build (rules.rs: rule -> Cond; posture slots; gate.rs)--> Engine (compiled.rs, code.rs)
//! context JSON --Subject--> Prepared (posture.rs, slots.rs) --decide--> Outcome --> Decision (decision.rs)
//!                                                                     \--why.rs--> explanations
//!                                                                     \--write.rs--> JSON bytes (batch)
//! ```

pub mod apps;
mod build;
mod code;
mod compiled;
mod decide;
pub mod decision;
mod fragments;
mod gate;
mod input_set;
pub(crate) mod posture;
mod posture_ids;
mod prepare;
mod rule_code;
mod rules;
mod slots;
mod undetermined;
mod validate;
pub(crate) mod validate_access;
mod why;
mod write;

pub use compiled::{ConfigError, Engine};
pub use decide::{EngineScratch, Outcome, Pick};
pub use decision::{ContextId, Decision, ProfileOutcome};
pub use prepare::Prepared;
