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
use super::posture::{self, PostureResult};
use super::prepare::Prepared;
use crate::config::{Profile, Rule, RuleAt};
use crate::program::{BlockId, Scratch, Tri, Unknowns};
use crate::value::Context;

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
        // Invariant 1 across blocks: `order` puts referenced groups first.
        for &gi in &self.order {
            if let Some(g) = self.groups.get(gi) {
                let r = self.group_tri(g, &p.ctx, s, u);
                s.set_block_tri(g.block, r);
            }
        }
        let outcome = Outcome {
            device_profile: self.pick_tri(&self.device, &self.config.device_profiles, &p.ctx, s, u),
            ip_profile: self.pick_tri(&self.ip, &self.config.ip_profiles, &p.ctx, s, u),
        };
        self.decide_apps(p, s, &mut scratch.apps);
        outcome
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
        list: &[Profile],
        ctx: &Context,
        s: &mut Scratch,
        u: &Unknowns,
    ) -> Pick {
        let mut candidates = Vec::new();
        for c in codes {
            if !list.get(c.index).is_some_and(|p| p.enabled) {
                continue;
            }
            match self.program.run_tri(c.block, ctx, s, u) {
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
        inputs: &mut Vec<UnknownInput<'e>>,
        groups: &mut Vec<String>,
    ) {
        match &rule.rule {
            Rule::DevicePosture(uid) if p.unknown.contains(uid) => {
                if let Some(input) = self.posture_input(uid, p) {
                    push(inputs, input);
                }
            }
            Rule::EmailList(id) | Rule::IpList(id) => {
                if let Some(l) = self.config.lists.iter().find(|l| &l.id == id)
                    && l.is_incomplete()
                {
                    push(inputs, UnknownInput::List(l));
                }
            }
            Rule::AccountMember => push(inputs, UnknownInput::AccountMember),
            Rule::AfterApply(what) => push(inputs, UnknownInput::AfterApply(what.clone())),
            Rule::Okta(_) | Rule::AzureAd(_) | Rule::Gsuite(_) | Rule::Github(_)
                if p.groups_unknown =>
            {
                push(inputs, UnknownInput::IdentityGroups);
            }
            Rule::ServiceToken(_) | Rule::AnyValidServiceToken => {
                if let Some(c) = &p.token_unknown {
                    push(inputs, UnknownInput::ServiceToken(c.clone()));
                }
            }
            Rule::Group(id) => {
                if let Some((i, g)) = self
                    .config
                    .groups
                    .iter()
                    .enumerate()
                    .find(|(_, g)| &g.id == id)
                    && self.membership(s, i) == Tri::Unknown
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
        inputs: &mut Vec<UnknownInput<'e>>,
    ) {
        let Some(u) = &p.unknowns else {
            return;
        };
        let reads = self.program.unknown_reads(b, u);
        for (field, constants) in &reads.fields {
            if self.inputs.posture_fields.contains(&Some(*field)) {
                for id in &p.unknown {
                    let named = constants
                        .as_ref()
                        .is_none_or(|cs| cs.iter().any(|c| **c == *id.as_bytes()));
                    if named && let Some(input) = self.posture_input(id, p) {
                        push(inputs, input);
                    }
                }
            } else if Some(*field) == self.inputs.unknown_field {
                push(inputs, UnknownInput::AccountMember);
            } else if p.groups_unknown && self.inputs.group_fields.contains(field) {
                push(inputs, UnknownInput::IdentityGroups);
            } else if let Some(c) = &p.token_unknown
                && self.inputs.token_fields.contains(field)
            {
                push(inputs, UnknownInput::ServiceToken(c.clone()));
            }
        }
        for name in &reads.lists {
            if let Some(l) = self.config.lists.iter().find(|l| *l.id == **name) {
                push(inputs, UnknownInput::List(l));
            }
        }
    }

    /// An unknown posture result, with why (computed again, with its reason).
    fn posture_input<'e>(&'e self, id: &str, p: &Prepared) -> Option<UnknownInput<'e>> {
        let rule = self.config.posture_rules.iter().find(|r| r.id == id)?;
        let lists = &self.config.lists;
        let find = |id: &str| lists.iter().find(|l| l.id == id);
        let reason = match posture::evaluate(rule, &p.subject, &find, true).result {
            PostureResult::Unknown(reason) => reason,
            _ => return None,
        };
        Some(UnknownInput::Posture { rule, reason })
    }
}

fn push<'e>(inputs: &mut Vec<UnknownInput<'e>>, input: UnknownInput<'e>) {
    if !inputs.contains(&input) {
        inputs.push(input);
    }
}
