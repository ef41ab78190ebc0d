//! Context JSON -> `Prepared` -> `Outcome` -> `Decision` (`decision.md` §1).
//! Slots are filled once from the normalised subject; groups run in order, each
//! once, their results kept in scratch for references; profiles are checked in
//! precedence order. Explanations are `why.rs`'s.

use super::code::{Clause, GroupCode, ProfileCode};
use super::compiled::Engine;
use super::decision::{
    ContextId, Decision, GroupsOutcome, PostureOutcome, ProfileKind, ProfileOutcome, Selected,
    UnknownGroup,
};
use super::gate::{Fire, Fired, Gates};
use super::input_set::InputSet;
use super::prepare::Prepared;
use crate::config::Profile;
use crate::program::Program;
use crate::program::Scratch;
use crate::program::Tri;
use crate::subject::ContextError;
use crate::value::Context;
use serde_json::Value as J;

/// Per-thread working memory for decisions.
#[derive(Debug, Clone)]
pub struct EngineScratch {
    pub(super) eval: Scratch,
    /// The include rules that triggers fired in this context (`gate.rs`).
    fired: Fired,
    /// Each policy's result and each application's pick.
    pub(super) apps: super::apps::AppScratch,
}

impl EngineScratch {
    pub(super) fn new(program: &Program, gates: &Gates, apps: &super::apps::Apps) -> EngineScratch {
        EngineScratch {
            eval: Scratch::new(program),
            fired: Fired::new(gates),
            apps: super::apps::AppScratch::new(apps),
        }
    }
}

/// The decision proper, as indices into the configuration's lists; group
/// results stay in the scratch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The device profile that applies.
    pub device_profile: Pick,
    /// The IP profile that applies.
    pub ip_profile: Pick,
}

/// The result of a first-match selection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pick {
    /// The first enabled custom profile whose `match` holds (an index into the
    /// configuration's profiles), or `None`: the default.
    One(Option<usize>),
    /// A `match` was unknown before the first true one (`config.md` §9): any of
    /// these could apply, in order (`None`: the default).
    Undetermined(Vec<Option<usize>>),
}

impl Engine {
    /// Scratch space for decisions; make one per thread and reuse it.
    pub fn scratch(&self) -> EngineScratch {
        EngineScratch::new(&self.program, &self.gates, &self.apps)
    }

    /// The decision proper: every group that can be a member decided once (an
    /// eager one where its rule fires, the others in order, `gate.rs`), then
    /// the first matching device and IP profiles. Allocates nothing; group results stay in `scratch`.
    pub fn decide_prepared(&self, p: &Prepared, scratch: &mut EngineScratch) -> Outcome {
        if let Some(u) = &p.unknowns {
            return self.decide_unknown(p, u, scratch);
        }
        let s = &mut scratch.eval;
        let fired = &mut scratch.fired;
        self.program.prime(&p.ctx, s);
        let generation = s.generation();
        fired.start(&self.gates, generation);
        if let Some(index) = &self.program.index {
            // Taken out for the firings, which evaluate operands; put back after,
            // so its buffer is reused.
            let hits = s.take_hits();
            for hit in &hits {
                for &q in index.postings(hit.clone()) {
                    fired.push_trigger(self.gates.by_quant(q));
                }
            }
            s.put_hits(hits);
            self.fire(&p.ctx, s, fired);
        }
        // Invariant 1 across blocks: `order` puts referenced groups first, so every
        // `Inst::Block` reads a result written earlier in this pass, and a group
        // fires only groups after it. Groups never visited (nor decided on
        // firing, `gate.rs`) read as non-members.
        while let Some(pos) = fired.next_position() {
            let Some(&gi) = self.order.get(pos) else {
                continue;
            };
            let Some(g) = self.groups.get(gi) else {
                continue;
            };
            let cond = self.gates.cond_of(gi);
            let [_, _, include] = &g.plan;
            let r = if self.gates.is_gated(gi) {
                // Fired rules first: few fire, and a fired rule often fails on
                // its other operand (another IdP's group), sparing the condition.
                let mut any = false;
                for i in fired.rules(gi, generation) {
                    if include.get(i).is_some_and(|c| self.clause(c, &p.ctx, s)) {
                        any = true;
                        break;
                    }
                }
                any && self.condition(cond, &p.ctx, s, fired)
            } else {
                self.condition(cond, &p.ctx, s, fired)
                    && include.iter().any(|c| self.clause(c, &p.ctx, s))
            };
            if r {
                s.set_block(g.block, true);
                fired.push_trigger(self.gates.by_group(gi));
                self.fire(&p.ctx, s, fired);
            }
        }
        let first = |codes: &[ProfileCode], list: &[Profile], s: &mut Scratch| {
            codes
                .iter()
                .filter(|c| list.get(c.index).is_some_and(|p| p.enabled))
                .find(|c| self.program.run(c.block, &p.ctx, s))
                .map(|c| c.index)
        };
        let outcome = Outcome {
            device_profile: Pick::One(first(&self.device, &self.config.device_profiles, s)),
            ip_profile: Pick::One(first(&self.ip, &self.config.ip_profiles, s)),
        };
        self.decide_apps(p, s, &mut scratch.apps);
        outcome
    }

    /// `all(require) and not any(exclude) and any(include)`, clause by clause.
    pub(super) fn group_value(&self, g: &GroupCode, ctx: &Context, s: &mut Scratch) -> bool {
        let [require, exclude, include] = &g.plan;
        require.iter().all(|c| self.clause(c, ctx, s))
            && !exclude.iter().any(|c| self.clause(c, ctx, s))
            && include.iter().any(|c| self.clause(c, ctx, s))
    }

    /// A group condition's value (`all(require) and not any(exclude)`),
    /// evaluated once per context.
    #[inline(always)]
    fn condition(&self, c: usize, ctx: &Context, s: &mut Scratch, fired: &mut Fired) -> bool {
        match fired.cond_memo(c) {
            Some(v) => v,
            None => self.evaluate_condition(c, ctx, s, fired),
        }
    }

    #[inline(never)]
    fn evaluate_condition(
        &self,
        c: usize,
        ctx: &Context,
        s: &mut Scratch,
        fired: &mut Fired,
    ) -> bool {
        // A condition that cannot be found never holds.
        let v = self.gates.condition(c).is_some_and(|(require, exclude)| {
            require.iter().all(|cl| self.clause(cl, ctx, s))
                && !exclude.iter().any(|cl| self.clause(cl, ctx, s))
        });
        fired.set_cond_memo(c, v);
        v
    }

    /// Fires the rules the pending triggers fire (`gate.rs`), until none is
    /// left: an eager group is decided on the spot (and a member's own trigger
    /// becomes pending), another linked for its visit. The order does not
    /// matter: an eager result depends only on which triggers hold.
    fn fire(&self, ctx: &Context, s: &mut Scratch, fired: &mut Fired) {
        let generation = s.generation();
        while let Some(trigger) = fired.pop_trigger() {
            for f in self.gates.fires(trigger) {
                match f {
                    // The condition first: shared by many groups, it is usually
                    // known, and it fails most often. The other operand (rare)
                    // is read even for a group already found a member: that
                    // spares a second bounds check of the block on every firing.
                    Fire::Eager(f) => {
                        if !self.condition(f.cond as usize, ctx, s, fired)
                            || f.op.is_some_and(|(op, negated)| {
                                self.program.operand_value(op, ctx, s) == negated
                            })
                        {
                            continue;
                        }
                        // A member fires its referrers once.
                        if s.set_block_once(f.block) {
                            fired.push_trigger(f.referrers);
                        }
                    }
                    Fire::Visit(f) => {
                        if f.pure && !self.condition(f.cond as usize, ctx, s, fired) {
                            continue;
                        }
                        self.gates.link(f.group, f.rule, fired, generation);
                    }
                }
            }
        }
    }

    /// A policy's match: `group_value`, inlined into the application loop.
    #[inline(always)]
    pub(super) fn policy_value(&self, g: &GroupCode, ctx: &Context, s: &mut Scratch) -> bool {
        let [require, exclude, include] = &g.plan;
        require.iter().all(|c| self.clause(c, ctx, s))
            && !exclude.iter().any(|c| self.clause(c, ctx, s))
            && include.iter().any(|c| self.clause(c, ctx, s))
    }

    #[inline(always)]
    fn clause(&self, c: &Clause, ctx: &Context, s: &mut Scratch) -> bool {
        match c {
            Clause::All(all) => all
                .iter()
                .all(|&(op, negated)| self.program.operand_value(op, ctx, s) != negated),
            Clause::Block(b) => self.program.run(*b, ctx, s),
        }
    }

    /// Whether the last `decide_prepared` with this scratch found the context a
    /// member of group `index` (input order).
    pub fn is_member(&self, scratch: &EngineScratch, index: usize) -> bool {
        self.groups
            .get(index)
            .is_some_and(|g| scratch.eval.block(g.block))
    }

    /// Decides one context given as JSON (`context.md`).
    ///
    /// # Errors
    /// The context's problem, with its JSON path.
    pub fn decide(
        &self,
        json: &J,
        scratch: &mut EngineScratch,
        explain: bool,
    ) -> Result<Decision<'_>, ContextError> {
        let prepared = self.prepare(json)?;
        Ok(self.decision(&prepared, scratch, explain))
    }

    /// Decides one context given as JSON text.
    ///
    /// # Errors
    /// Malformed JSON or the context's problem, with its JSON path.
    pub fn decide_str(
        &self,
        text: &str,
        scratch: &mut EngineScratch,
        explain: bool,
    ) -> Result<Decision<'_>, ContextError> {
        let prepared = self.prepare_str(text)?;
        Ok(self.decision(&prepared, scratch, explain))
    }

    /// Decides a prepared context: the typed decision, explained on request.
    pub fn decision(
        &self,
        prepared: &Prepared,
        scratch: &mut EngineScratch,
        explain: bool,
    ) -> Decision<'_> {
        let outcome = self.decide_prepared(prepared, scratch);
        self.typed_decision_of(outcome, prepared, scratch, explain, true)
    }

    /// The typed decision for `outcome`, the last `decide_prepared` of
    /// `prepared` with this scratch; without `whole`, its posture and request
    /// answer are left out (the writer writes them from `prepared` and the
    /// picks).
    pub(super) fn typed_decision_of(
        &self,
        outcome: Outcome,
        prepared: &Prepared,
        scratch: &mut EngineScratch,
        explain: bool,
        whole: bool,
    ) -> Decision<'_> {
        let present = &self.config.present;
        let s = &mut scratch.eval;
        let mut unknown = InputSet::default();
        let profiles = &self.config.device_profiles;
        let device_profile = present.device_profiles.then(|| {
            self.undetermined_inputs(
                &outcome.device_profile,
                &self.device,
                prepared,
                &mut unknown,
            );
            ProfileOutcome {
                kind: ProfileKind::Device,
                selected: Selected::of_pick(&outcome.device_profile, |hit| {
                    Selected::device(profiles, self.device_default, hit)
                }),
                checked: explain.then(|| self.checked(&self.device, profiles, prepared, s)),
            }
        });
        let ip_profiles = &self.config.ip_profiles;
        let ip_profile = present.ip_profiles.then(|| {
            self.undetermined_inputs(&outcome.ip_profile, &self.ip, prepared, &mut unknown);
            ProfileOutcome {
                kind: ProfileKind::Ip,
                selected: Selected::of_pick(&outcome.ip_profile, |hit| {
                    Selected::ip(ip_profiles, hit)
                }),
                checked: explain.then(|| self.checked(&self.ip, ip_profiles, prepared, s)),
            }
        });
        let access_groups = present.groups.then(|| {
            let mut members = Vec::new();
            let mut undetermined = Vec::new();
            for (i, group) in self.config.groups.iter().enumerate() {
                match self.membership(s, i) {
                    Tri::True => members.push(group),
                    Tri::False => {}
                    Tri::Unknown => {
                        let mut groups = Vec::new();
                        let mut inputs = InputSet::default();
                        let code = self.groups.get(i);
                        let rules = group
                            .include
                            .iter()
                            .chain(&group.require)
                            .chain(&group.exclude);
                        let blocks = code
                            .into_iter()
                            .flat_map(|c| c.include.iter().chain(&c.require).chain(&c.exclude));
                        for (rule, b) in rules.zip(blocks) {
                            if self.rule_tri(*b, prepared, s) == Tri::Unknown {
                                self.rule_unknowns(rule, prepared, s, &mut inputs, &mut groups);
                            }
                        }
                        let mut because: Vec<String> =
                            inputs.iter().map(ToString::to_string).collect();
                        because.append(&mut groups);
                        for input in inputs.into_vec() {
                            unknown.push(input);
                        }
                        undetermined.push(UnknownGroup { group, because });
                    }
                }
            }
            GroupsOutcome {
                members,
                unknown: undetermined,
                why: explain.then(|| self.groups_why(prepared, s)),
            }
        });
        let picks = scratch.apps.picks();
        let picks = &picks[..];
        let applications = present.applications.then(|| {
            for (i, pick) in picks.iter().enumerate() {
                if let super::apps::AppPick::Undetermined(candidates) = pick {
                    self.app_unknown_inputs(i, candidates, prepared, &mut unknown);
                }
            }
            self.app_outcomes(prepared, s, picks, explain)
        });
        let access = (whole && present.applications)
            .then(|| self.access_outcome(prepared, picks))
            .flatten();
        let posture = (whole && present.posture_rules).then(|| {
            let names = prepared.posture_names(self);
            let owned = |ids: &mut dyn Iterator<Item = &str>| ids.map(String::from).collect();
            PostureOutcome {
                passed: owned(&mut names.all(&prepared.posture.passed)),
                failed: owned(&mut names.all(&prepared.posture.failed)),
                unknown: owned(&mut names.rules(&prepared.posture.unknown)),
            }
        });
        Decision {
            id: prepared.subject.id.as_ref().and_then(ContextId::of),
            device_profile,
            ip_profile,
            access_groups,
            posture,
            applications,
            access,
            unknown: unknown.into_vec(),
            warnings: prepared.warnings.clone(),
            from_identity_record: prepared.subject.from_record,
        }
    }

    /// The unknown inputs behind an undetermined selection: those its unknown
    /// candidates' `match` read.
    fn undetermined_inputs<'e>(
        &'e self,
        pick: &Pick,
        codes: &[ProfileCode],
        p: &Prepared,
        out: &mut InputSet<'e>,
    ) {
        let Pick::Undetermined(candidates) = pick else {
            return;
        };
        // Marked once, not searched for each profile (thousands of
        // undetermined candidates made profiles x candidates).
        let len = candidates.iter().flatten().max().map_or(0, |&m| m + 1);
        let mut candidate = vec![false; len];
        for &c in candidates.iter().flatten() {
            if let Some(m) = candidate.get_mut(c) {
                *m = true;
            }
        }
        for code in codes {
            if candidate.get(code.index) == Some(&true) {
                self.block_unknowns(code.block, p, out);
            }
        }
    }
}
