//! Rule conditions -> code: a block per rule (for explanations and
//! three-valued reads), a clause per rule (for decisions), the guards the
//! index needs (invariant 6).
//!
//! Rules repeat across groups and policies: one country, one posture check,
//! one IdP group in many groups. Each distinct condition is compiled once and
//! its block and clause shared, so a configuration of 1,000 groups compiles its
//! few hundred distinct rules, not its ten thousand rule entries. Sharing is
//! sound because a rule's block is a pure function of its condition, which
//! holds everything the rule reads (a referenced group by its block) and its
//! labels; what differs between two uses of one rule (the group, the rule's
//! path) is kept beside the block (`GroupCode`, `RuleAt`), never in it.
//!
//! An Access group's rule is looked up as the configuration wrote it
//! (`RuleCodes::rule`), which spares even its translation into a condition:
//! a rule's condition depends only on the rule and on the lists, which are
//! fixed before any group is compiled; a `group` rule, which reads the groups
//! compiled so far, is not kept. A policy's rule, translated by its
//! decision's mode, is looked up by its condition (`RuleCodes::code`).

use super::code::{Clause, GroupCode};
use super::rules::RuleCompiler;
use crate::config::Rule;
use crate::expr::cond::Cond;
use crate::program::BlockId;
use crate::program::compile::Builder;
use crate::program::guard::KeyGuards;

/// What every rule condition compiled so far gave, and the guards of all of
/// them.
#[derive(Debug, Default)]
pub(super) struct RuleCodes<'c> {
    /// Every condition compiled into the program (invariant 6).
    pub(super) guards: KeyGuards,
    /// A policy rule's condition -> its block and clause. Seeded hashes, here
    /// and below: the keys are the configuration's.
    compiled: hashbrown::HashMap<Cond, (BlockId, Clause)>,
    /// Access group rule, as written -> its block and clause.
    rules: hashbrown::HashMap<&'c Rule, (BlockId, Clause)>,
    /// A block once per use of its rule beyond the first: the program counts
    /// its atoms' uses as if each use had a block of its own, as it had before
    /// rules were shared (an atom read more than once is memoized per context).
    pub(super) reused: Vec<BlockId>,
}

impl<'c> RuleCodes<'c> {
    /// The block and clause of an Access group's rule; `cond` translates it
    /// (`None`: it has no condition, nothing is compiled), on first sight only.
    pub(super) fn rule(
        &mut self,
        builder: &mut Builder<'_>,
        rule: &'c Rule,
        cond: impl FnOnce() -> Option<Cond>,
    ) -> Option<(BlockId, Clause)> {
        if let Some((block, clause)) = self.rules.get(rule) {
            self.reused.push(*block);
            return Some((*block, clause.clone()));
        }
        let code = self.compile(builder, &cond()?);
        if !matches!(rule, Rule::Group(_)) {
            self.rules.insert(rule, code.clone());
        }
        Some(code)
    }

    /// The block and clause of a policy rule's condition, compiled on first
    /// sight.
    fn code(&mut self, builder: &mut Builder<'_>, cond: &Cond) -> (BlockId, Clause) {
        if let Some((block, clause)) = self.compiled.get(cond) {
            self.reused.push(*block);
            return (*block, clause.clone());
        }
        let code = self.compile(builder, cond);
        self.compiled.insert(cond.clone(), code.clone());
        code
    }

    /// A condition's block and clause, compiled (its guards added): the
    /// clause is its conjunction of operands, or its block when it has another
    /// shape. The conjunction reads only operands the block interned, so
    /// compiling the two together numbers atoms and quantifiers as compiling
    /// every block of a group first did.
    fn compile(&mut self, builder: &mut Builder<'_>, cond: &Cond) -> (BlockId, Clause) {
        self.guards.add(cond);
        let block = builder.add_unexplained(cond);
        let clause = match builder.conjunction_of(block, cond) {
            Some(all) => Clause::All(all.into()),
            None => Clause::Block(block),
        };
        (block, clause)
    }
}

/// A group-like block (a group, a policy) from its rules' conditions: a block
/// per rule (for explanations), the rules as clauses (for decisions), and the
/// whole as one block (for references).
pub(super) fn group_code(
    builder: &mut Builder<'_>,
    compiler: &RuleCompiler<'_>,
    conds: [Vec<Cond>; 3],
    codes: &mut RuleCodes<'_>,
) -> GroupCode {
    let code = rules_code(builder, &conds, codes);
    let [include, require, exclude] = conds;
    let group_cond = compiler.group(include, require, exclude);
    // Not added to the guards: its quantifiers are the rules' (added above),
    // and `Cond::and` only flattens, so each sits under at least the guards it
    // had in its rule.
    let block = builder.add_unexplained(&group_cond);
    GroupCode { block, ..code }
}

/// An Access group's code from its rules' blocks and clauses (`rule`), and a
/// block that only holds its result. No one runs or explains a group's
/// block: a decision sets it (`decide.rs`, `undetermined.rs`) and
/// explanations go rule by rule (`why.rs`), so compiling every rule a second
/// time into it would only cost loading time. It is `false` if run.
pub(super) fn access_group_code(
    builder: &mut Builder<'_>,
    rules: [Vec<(BlockId, Clause)>; 3],
) -> GroupCode {
    // Split by hand into vectors sized once (`unzip` grows both by pushes).
    let [include, require, exclude] = rules.map(|r| {
        let mut blocks = Vec::with_capacity(r.len());
        let mut clauses = Vec::with_capacity(r.len());
        for (block, clause) in r {
            blocks.push(block);
            clauses.push(clause);
        }
        (blocks, clauses)
    });
    GroupCode {
        block: builder.add_unexplained(&Cond::Const(false)),
        include: include.0,
        require: require.0,
        exclude: exclude.0,
        plan: [require.1, exclude.1, include.1],
    }
}

/// The blocks and clauses of a group's or policy's rules; `block` is left for
/// the caller.
fn rules_code(
    builder: &mut Builder<'_>,
    conds: &[Vec<Cond>; 3],
    codes: &mut RuleCodes<'_>,
) -> GroupCode {
    let [include, require, exclude] = conds;
    let mut code = |cs: &[Cond]| -> (Vec<BlockId>, Vec<Clause>) {
        cs.iter().map(|c| codes.code(builder, c)).unzip()
    };
    let (include_blocks, include_clauses) = code(include);
    let (require_blocks, require_clauses) = code(require);
    let (exclude_blocks, exclude_clauses) = code(exclude);
    GroupCode {
        block: BlockId(u32::MAX),
        include: include_blocks,
        require: require_blocks,
        exclude: exclude_blocks,
        plan: [require_clauses, exclude_clauses, include_clauses],
    }
}
