//! `Config` -> `Engine`: every group's rules and every profile's `match` compiled
//! into one `Program` (atoms shared across the whole configuration, groups in
//! topological order), then `decide` per context: one forward pass over the groups,
//! first match over the profiles.

mod build;
mod decide;
mod gate;
mod slots;
mod validate;
mod write;

pub use decide::{Decision, EngineScratch, Outcome, Prepared};

use crate::config::{Config, Problem, Severity};
use crate::program::{BlockId, Program};
use std::path::Path;

/// A loaded, validated and compiled configuration: load once, decide many.
/// `Engine` is `Send + Sync`; each thread uses its own `EngineScratch`.
#[derive(Debug)]
pub struct Engine {
    config: Config,
    warnings: Vec<Problem>,
    program: Program,
    /// Per group, in input order.
    groups: Vec<GroupCode>,
    /// Group indices in evaluation order (references before referrers).
    order: Vec<usize>,
    /// Which groups can be skipped until something opens them.
    gates: gate::Gates,
    /// Enabled and disabled custom device profiles, in the order they are checked.
    device: Vec<ProfileCode>,
    /// The default device profile's index, if the input has one.
    device_default: Option<usize>,
    /// IP profiles in the order they are checked.
    ip: Vec<ProfileCode>,
    /// The decision's configuration-only parts, serialized once.
    fragments: write::Fragments,
    /// Where each context value goes.
    slots: slots::Slots,
}

#[derive(Debug, Clone)]
struct GroupCode {
    block: BlockId,
    /// One block per rule, for explanations only.
    include: Vec<BlockId>,
    require: Vec<BlockId>,
    exclude: Vec<BlockId>,
    /// What a decision evaluates: the require, exclude and include rules as clauses.
    plan: [Vec<Clause>; 3],
}

/// One rule as a decision evaluates it.
#[derive(Debug, Clone)]
enum Clause {
    /// All of these operands (`true`: negated); the shape of nearly every rule, read
    /// with no bytecode to interpret.
    All(Box<[(crate::program::Operand, bool)]>),
    /// A rule of another shape: its block.
    Block(BlockId),
}

#[derive(Debug, Clone, Copy)]
struct ProfileCode {
    /// Index into the configuration's profile list.
    index: usize,
    block: BlockId,
}

/// Why a configuration could not be used: every problem found (errors and warnings).
#[derive(Debug, Clone, thiserror::Error)]
#[error("the configuration has {} error(s)", .problems.iter().filter(|p| p.severity == Severity::Error).count())]
pub struct ConfigError {
    /// Errors and warnings, in the order found.
    pub problems: Vec<Problem>,
}

impl Engine {
    /// Loads a bundle file or a folder of per-kind files.
    ///
    /// # Errors
    /// Every problem, when any of them is an error.
    pub fn from_path(path: &Path) -> Result<Engine, ConfigError> {
        let (config, problems) = crate::config::load_path(path);
        Engine::from_config(config, problems)
    }

    /// Loads a bundle from JSON text; `file` names it in problems.
    ///
    /// # Errors
    /// Every problem, when any of them is an error.
    pub fn from_json(text: &str, file: &str) -> Result<Engine, ConfigError> {
        let (config, problems) = crate::config::load_str(text, file);
        Engine::from_config(config, problems)
    }

    /// Validates and compiles a configuration read earlier.
    ///
    /// # Errors
    /// Every problem, when any of them is an error.
    pub fn from_config(config: Config, problems: Vec<Problem>) -> Result<Engine, ConfigError> {
        build::build(config, problems)
    }

    /// The warnings found while loading (errors make loading fail).
    pub fn warnings(&self) -> &[Problem] {
        &self.warnings
    }

    /// The configuration as loaded.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The compiled program (`{:?}` prints a disassembly).
    pub fn program(&self) -> &Program {
        &self.program
    }

    /// Scratch space for decisions; make one per thread and reuse it.
    pub fn scratch(&self) -> EngineScratch {
        EngineScratch::new(&self.program, self.groups.len())
    }
}

/// Validates a configuration: every error and warning (`zt-eval check`).
pub fn check_path(path: &Path) -> Vec<Problem> {
    match Engine::from_path(path) {
        Ok(engine) => engine.warnings,
        Err(e) => e.problems,
    }
}

// Invariant 4: an engine is shared by reference between threads.
const _: fn() = || {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Engine>();
};
