//! The compiled forms of a configuration's resources: a group's blocks and
//! its rules as clauses, a profile's block.

use crate::program::{BlockId, Operand};
use crate::scheme::FieldId;

/// A group or policy: its block, a block per rule (for explanations), and its
/// rules as a decision evaluates them.
#[derive(Debug, Clone)]
pub(super) struct GroupCode {
    /// Where its result is kept, which references read. A policy's block is
    /// its whole condition (explanations of undetermined policies walk it); an
    /// Access group's only holds its result (`build::access_group_code`).
    pub(super) block: BlockId,
    /// One block per rule, for explanations only.
    pub(super) include: Vec<BlockId>,
    pub(super) require: Vec<BlockId>,
    pub(super) exclude: Vec<BlockId>,
    /// What a decision evaluates: the require, exclude and include rules as clauses.
    pub(super) plan: [Vec<Clause>; 3],
}

/// One rule as a decision evaluates it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) enum Clause {
    /// All of these operands (`true`: negated); the shape of nearly every rule, read
    /// with no bytecode to interpret.
    All(Box<[(Operand, bool)]>),
    /// A rule of another shape: its block.
    Block(BlockId),
}

/// A custom profile.
#[derive(Debug, Clone, Copy)]
pub(super) struct ProfileCode {
    /// Index into the configuration's profile list.
    pub(super) index: usize,
    pub(super) block: BlockId,
}

/// Which unknown inputs (`config.md` §9) the compiled configuration reads, so
/// that only a context with one of them takes the three-valued path.
#[derive(Debug, Clone, Default)]
pub(super) struct UnknownInputs {
    /// Per posture rule (input order): some rule or profile reads its result.
    pub(super) posture_read: Vec<bool>,
    /// `device_posture.checks.passed` and `.failed` in the unified scheme, when
    /// read.
    pub(super) posture_fields: [Option<FieldId>; 2],
    /// The field that is always unknown (a `cloudflare_account_member` rule
    /// reads it), when read.
    pub(super) unknown_field: Option<FieldId>,
    /// Every decision is three-valued: the program reads an incomplete list or
    /// an always-unknown input.
    pub(super) always: bool,
    /// The IdP group fields (`identity.groups.id`, `.name`, `.email`), when
    /// read: unknown for an identity record without groups.
    pub(super) group_fields: Vec<FieldId>,
    /// The service-token fields, when read: unknown for an identity record
    /// whose token's Client ID the configuration cannot translate.
    pub(super) token_fields: Vec<FieldId>,
}
