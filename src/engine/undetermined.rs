//! Decisions with unknown inputs (`config.md` §9): the three-valued path a
//! context takes only when it has an unknown input the configuration reads.
//! Groups are decided in order, each by Kleene logic over its rules; a
//! first-match selection that meets an unknown match before a true one is
//! undetermined, with its candidates. This file also names the unknown inputs
//! behind each undetermined part.

use super::code::{Clause, GroupCode, ProfileCode};
use super::compiled::Engine;
use super::decide::{EngineScratch, Outcome, Pick};
use super::decision::UnknownInput;
use super::input_set::InputSet;
use super::posture::{self, PostureResult};
use super::prepare::Prepared;
use crate::config::{Profile, Rule, RuleAt};
use crate::program::{BlockId, Program, Scratch, Tri, Unknowns};
use crate::scheme::FieldId;
use crate::value::Context;

/// What a group's rules or a profile's `match` read (`Engine::group_reads`,
/// `Engine::profile_reads`), when nothing else can make them unknown.
#[derive(Debug, Clone)]
pub(super) struct Reads {
    /// Context fields.
    fields: Box<[FieldId]>,
    /// Groups' results.
    groups: Box<[BlockId]>,
}

impl Reads {
    fn new(mut fields: Vec<FieldId>, mut groups: Vec<BlockId>) -> Reads {
        fields.sort_unstable();
        fields.dedup();
        groups.sort_unstable_by_key(|b| b.0);
        groups.dedup();
        Reads {
            fields: fields.into_boxed_slice(),
            groups: groups.into_boxed_slice(),
        }
    }

    /// None of it is unknown in this context (groups read are decided
    /// before their readers): the two-valued value is the three-valued one.
    fn known(&self, u: &Unknowns, s: &Scratch) -> bool {
        self.fields.iter().all(|f| u.extras(*f).is_none())
            && self.groups.iter().all(|b| s.block_tri(*b) != Tri::Unknown)
    }
}

impl Engine {
    /// The decision proper, three-valued: every group in order (no gates: a
    /// rule a gate would skip as false may be unknown), then the selections.
    pub(super) fn decide_unknown(
        &self,
        p: &Prepared,
        u: &Unknowns,
        scratch: &mut EngineScratch,
    ) -> Outcome {
        let s = &mut scratch.eval;
        // A new generation: block stamps of the previous context go stale.
        self.program.prime(&p.ctx, s);
        let group_reads = self
            .group_reads
            .get_or_init(|| Engine::group_reads(&self.program, &self.groups));
        // Invariant 1 across blocks: `order` puts referenced groups first.
        for &gi in &self.order {
            if let Some(g) = self.groups.get(gi) {
                // A group whose rules read none of the unknown inputs has its
                // two-valued value, at the two-valued cost.
                let known = group_reads
                    .get(gi)
                    .and_then(Option::as_ref)
                    .is_some_and(|reads| reads.known(u, s));
                let r = if known {
                    Tri::from(self.group_value(g, &p.ctx, s))
                } else {
                    self.group_tri(g, &p.ctx, s, u)
                };
                s.set_block_tri(g.block, r);
            }
        }
        let outcome = Outcome {
            device_profile: self.pick_tri(
                &self.device,
                &self.device_reads,
                &self.config.device_profiles,
                &p.ctx,
                s,
                u,
            ),
            ip_profile: self.pick_tri(
                &self.ip,
                &self.ip_reads,
                &self.config.ip_profiles,
                &p.ctx,
                s,
                u,
            ),
        };
        self.decide_apps(p, s, &mut scratch.apps);
        outcome
    }

    /// Per group: the context fields and group results its rules read, or
    /// `None` when a rule can be unknown otherwise
    /// (`Program::operand_fields`) or is a block.
    pub(super) fn group_reads(program: &Program, groups: &[GroupCode]) -> Vec<Option<Reads>> {
        groups
            .iter()
            .map(|g| {
                let (mut fields, mut blocks) = (Vec::new(), Vec::new());
                for clause in g.plan.iter().flatten() {
                    let Clause::All(all) = clause else {
                        return None;
                    };
                    for &(op, _) in all.iter() {
                        if !program.operand_fields(op, &mut fields, &mut blocks) {
                            return None;
                        }
                    }
                }
                Some(Reads::new(fields, blocks))
            })
            .collect()
    }

    /// Per profile code: what its `match` reads (`Program::block_fields`).
    pub(super) fn profile_reads(program: &Program, codes: &[ProfileCode]) -> Vec<Option<Reads>> {
        codes
            .iter()
            .map(|c| {
                let (mut fields, mut blocks) = (Vec::new(), Vec::new());
                program
                    .block_fields(c.block, &mut fields, &mut blocks)
                    .then(|| Reads::new(fields, blocks))
            })
            .collect()
    }

    /// `all(require) and not any(exclude) and any(include)`, by Kleene logic.
    pub(super) fn group_tri(
        &self,
        g: &GroupCode,
        ctx: &Context,
        s: &mut Scratch,
        u: &Unknowns,
    ) -> Tri {
        let [require, exclude, include] = &g.plan;
        let mut acc = Tri::True;
        for c in require {
            acc = acc.and(self.clause_tri(c, ctx, s, u));
            if acc == Tri::False {
                return acc;
            }
        }
        let mut excluded = Tri::False;
        for c in exclude {
            excluded = excluded.or(self.clause_tri(c, ctx, s, u));
            if excluded == Tri::True {
                return Tri::False;
            }
        }
        acc = acc.and(excluded.not());
        let mut included = Tri::False;
        for c in include {
            included = included.or(self.clause_tri(c, ctx, s, u));
            if included == Tri::True {
                break;
            }
        }
        acc.and(included)
    }

    fn clause_tri(&self, c: &Clause, ctx: &Context, s: &mut Scratch, u: &Unknowns) -> Tri {
        match c {
            Clause::All(all) => {
                let mut acc = Tri::True;
                for &(op, negated) in all.iter() {
                    let v = self.program.tri_operand(op, ctx, s, u);
                    acc = acc.and(if negated { v.not() } else { v });
                    if acc == Tri::False {
                        break;
                    }
                }
                acc
            }
            Clause::Block(b) => self.program.run_tri(*b, ctx, s, u),
        }
    }

    /// First match over enabled profiles: unknown matches before the first true
    /// one make the selection undetermined.
    fn pick_tri(
        &self,
        codes: &[ProfileCode],
        reads: &[Option<Reads>],
        list: &[Profile],
        ctx: &Context,
        s: &mut Scratch,
        u: &Unknowns,
    ) -> Pick {
        let mut candidates = Vec::new();
        for (i, c) in codes.iter().enumerate() {
            if !list.get(c.index).is_some_and(|p| p.enabled) {
                continue;
            }
            let known = reads
                .get(i)
                .and_then(Option::as_ref)
                .is_some_and(|r| r.known(u, s));
            let r = if known {
                Tri::from(self.program.run(c.block, ctx, s))
            } else {
                self.program.run_tri(c.block, ctx, s, u)
            };
            match r {
                Tri::True if candidates.is_empty() => return Pick::One(Some(c.index)),
                Tri::True => {
                    candidates.push(Some(c.index));
                    return Pick::Undetermined(candidates);
                }
                Tri::Unknown => candidates.push(Some(c.index)),
                Tri::False => {}
            }
        }
        if candidates.is_empty() {
            Pick::One(None)
        } else {
            candidates.push(None);
            Pick::Undetermined(candidates)
        }
    }

    /// A group's membership as the last decision with this scratch found it.
    pub(super) fn membership(&self, s: &Scratch, index: usize) -> Tri {
        self.groups
            .get(index)
            .map_or(Tri::False, |g| s.block_tri(g.block))
    }

    /// A rule's value in the last decision (three-valued when the context has
    /// unknown inputs).
    pub(super) fn rule_tri(&self, b: BlockId, p: &Prepared, s: &mut Scratch) -> Tri {
        match &p.unknowns {
            Some(u) => self.program.run_tri(b, &p.ctx, s, u),
            None => Tri::from(self.program.run(b, &p.ctx, s)),
        }
    }

    /// The unknown inputs one rule reads for this context, and the unknown
    /// groups it references (as text).
    pub(super) fn rule_unknowns<'e>(
        &'e self,
        rule: &RuleAt,
        p: &Prepared,
        s: &Scratch,
        inputs: &mut InputSet<'e>,
        groups: &mut Vec<String>,
    ) {
        match &rule.rule {
            Rule::DevicePosture(uid) => {
                // Found by index, not by a search of every rule or unknown
                // result for each of thousands of groups.
                if let Some(&i) = self.posture_index.get(uid.as_str())
                    && p.posture.unknown.binary_search(&i).is_ok()
                    && let Some(input) = self.posture_input(i, p)
                {
                    inputs.push(input);
                }
            }
            Rule::EmailList(id) | Rule::IpList(id) => {
                if let Some(l) = self.list(id)
                    && l.is_incomplete()
                {
                    inputs.push(UnknownInput::List(l));
                }
            }
            Rule::AccountMember => inputs.push(UnknownInput::AccountMember),
            Rule::AfterApply(what) => inputs.push(UnknownInput::AfterApply(what.clone())),
            Rule::Okta(_) | Rule::AzureAd(_) | Rule::Gsuite(_) | Rule::Github(_)
                if p.groups_unknown =>
            {
                inputs.push(UnknownInput::IdentityGroups);
            }
            Rule::ServiceToken(_) | Rule::AnyValidServiceToken => {
                if let Some(c) = &p.token_unknown {
                    inputs.push(UnknownInput::ServiceToken(c.clone()));
                }
            }
            Rule::Group(id) => {
                if let Some(&i) = self.group_index().get(id.as_str())
                    && let Some(g) = self.config.groups.get(i as usize)
                    && self.membership(s, i as usize) == Tri::Unknown
                {
                    groups.push(format!("group {} ({}) is unknown", g.name, g.id));
                }
            }
            _ => {}
        }
    }

    /// The unknown inputs a block (a profile's `match`) reads for this context.
    pub(super) fn block_unknowns<'e>(
        &'e self,
        b: BlockId,
        p: &Prepared,
        inputs: &mut InputSet<'e>,
    ) {
        let Some(u) = &p.unknowns else {
            return;
        };
        let reads = self.program.unknown_reads(b, u);
        for (field, constants) in &reads.fields {
            if self.inputs.posture_fields.contains(&Some(*field)) {
                let unknown = &p.posture.unknown;
                let rules: Vec<u32> = match constants {
                    // The rules the constants name, in rule order: each
                    // constant looked up, not compared with every unknown
                    // result (3,000 of each were 9M comparisons).
                    Some(cs) => {
                        let mut named: Vec<u32> = cs
                            .iter()
                            .filter_map(|c| std::str::from_utf8(c).ok())
                            .filter_map(|c| self.posture_index.get(c).copied())
                            .filter(|i| unknown.binary_search(i).is_ok())
                            .collect();
                        named.sort_unstable();
                        named.dedup();
                        named
                    }
                    None => unknown.clone(),
                };
                for i in rules {
                    if let Some(input) = self.posture_input(i, p) {
                        inputs.push(input);
                    }
                }
            } else if Some(*field) == self.inputs.unknown_field {
                inputs.push(UnknownInput::AccountMember);
            } else if p.groups_unknown && self.inputs.group_fields.contains(field) {
                inputs.push(UnknownInput::IdentityGroups);
            } else if let Some(c) = &p.token_unknown
                && self.inputs.token_fields.contains(field)
            {
                inputs.push(UnknownInput::ServiceToken(c.clone()));
            }
        }
        for name in &reads.lists {
            if let Some(l) = self.list(name) {
                inputs.push(UnknownInput::List(l));
            }
        }
    }

    /// An unknown posture result, with why (computed again, with its reason).
    fn posture_input<'e>(&'e self, rule: u32, p: &Prepared) -> Option<UnknownInput<'e>> {
        let rule = self.config.posture_rules.get(rule as usize)?;
        let find = |id: &str| self.list_ref(id);
        let reason = match posture::evaluate(rule, &p.subject, &find, true).result {
            PostureResult::Unknown(reason) => reason,
            _ => return None,
        };
        Some(UnknownInput::Posture { rule, reason })
    }
}
