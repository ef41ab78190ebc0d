//! Context JSON -> `Prepared` -> `Outcome` -> `Decision` (`decision.md` §1).
//! Slots are filled once from the normalised subject; groups run in order, each
//! once, their results kept in scratch for references; profiles are checked in
//! precedence order. Explanations are `why.rs`'s.

use super::code::{Clause, GroupCode, ProfileCode};
use super::compiled::Engine;
use super::decision::{
    ContextId, Decision, GroupsOutcome, PostureOutcome, ProfileKind, ProfileOutcome, Selected,
};
use crate::config::Profile;
use crate::engine::posture::{self, PostureResult};
use crate::program::Program;
use crate::program::Scratch;
use crate::subject::{ContextError, Subject};
use crate::value::Context;
use serde_json::Value as J;

/// Per-thread working memory for decisions.
#[derive(Debug, Clone)]
pub struct EngineScratch {
    eval: Scratch,
    /// The include rules that triggers fired in this context (`gate.rs`).
    fired: super::gate::Fired,
}

impl EngineScratch {
    pub(super) fn new(program: &Program, groups: usize) -> EngineScratch {
        EngineScratch {
            eval: Scratch::new(program),
            fired: super::gate::Fired::new(groups),
        }
    }
}

/// A context read and normalised for one configuration: slots and posture results.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub(super) subject: Subject,
    ctx: Context,
    pub(super) passed: Vec<String>,
    pub(super) failed: Vec<String>,
    pub(super) unknown: Vec<String>,
    warnings: Vec<String>,
}

/// The decision proper, as indices into the configuration's lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    /// The first matching enabled custom device profile; `None` means the default.
    pub device_profile: Option<usize>,
    /// The first matching enabled IP profile; `None` means the default pool.
    pub ip_profile: Option<usize>,
}

impl Engine {
    /// Scratch space for decisions; make one per thread and reuse it.
    pub fn scratch(&self) -> EngineScratch {
        EngineScratch::new(&self.program, self.groups.len())
    }

    /// Reads a context (`context.md`) into slots and posture results: the part of a
    /// decision that depends only on the input.
    ///
    /// # Errors
    /// The context's first problem, with its JSON path.
    pub fn prepare(&self, json: &J) -> Result<Prepared, ContextError> {
        let (subject, warnings) = Subject::from_json(json)?;
        Ok(self.prepare_subject(subject, warnings))
    }

    /// Like `prepare`, from JSON text.
    ///
    /// # Errors
    /// Malformed JSON or the context's first problem, with its JSON path.
    pub fn prepare_str(&self, text: &str) -> Result<Prepared, ContextError> {
        let (subject, warnings) = Subject::from_text(text)?;
        Ok(self.prepare_subject(subject, warnings))
    }

    fn prepare_subject(&self, subject: Subject, warnings: Vec<String>) -> Prepared {
        // Posture: given results win, then computed ones, else unknown.
        let mut passed: Vec<String> = subject
            .device
            .posture
            .as_ref()
            .map(|p| p.passed.clone())
            .unwrap_or_default();
        let mut failed: Vec<String> = subject
            .device
            .posture
            .as_ref()
            .map(|p| p.failed.clone())
            .unwrap_or_default();
        let mut unknown = Vec::new();
        let lists = &self.config.lists;
        let find = |id: &str| lists.iter().find(|l| l.id == id);
        for rule in &self.config.posture_rules {
            match posture::evaluate(rule, &subject, &find) {
                PostureResult::Passed if !passed.contains(&rule.id) => passed.push(rule.id.clone()),
                PostureResult::Failed if !failed.contains(&rule.id) => failed.push(rule.id.clone()),
                PostureResult::Unknown => unknown.push(rule.id.clone()),
                _ => {}
            }
        }
        let ctx = self.slots.context(&subject, &passed, &failed);
        Prepared {
            subject,
            ctx,
            passed,
            failed,
            unknown,
            warnings,
        }
    }

    /// The decision proper: every group once, in order, then the first matching
    /// device and IP profiles. Allocates nothing; group results stay in `scratch`.
    pub fn decide_prepared(&self, p: &Prepared, scratch: &mut EngineScratch) -> Outcome {
        let s = &mut scratch.eval;
        let fired = &mut scratch.fired;
        self.program.prime(&p.ctx, s);
        let generation = s.generation();
        fired.start(&self.gates, generation);
        if let Some(index) = &self.program.index {
            for hit in s.hits() {
                for &q in index.postings(hit.clone()) {
                    self.gates.quant_holds(q, fired, generation);
                }
            }
        }
        // Invariant 1 across blocks: `order` puts referenced groups first, so every
        // `Inst::Block` reads a result written earlier in this pass, and a group
        // fires only groups after it. Groups never visited read as non-members.
        while let Some(pos) = fired.next_position() {
            let Some(&gi) = self.order.get(pos) else {
                continue;
            };
            let Some(g) = self.groups.get(gi) else {
                continue;
            };
            let r = if self.gates.is_gated(gi) {
                self.gated_value(g, fired.rules(gi, generation), &p.ctx, s)
            } else {
                self.group_value(g, &p.ctx, s)
            };
            if r {
                s.set_block(g.block, true);
                self.gates.member(gi, fired, generation);
            }
        }
        let first = |codes: &[ProfileCode], list: &[Profile], s: &mut Scratch| {
            codes
                .iter()
                .filter(|c| list.get(c.index).is_some_and(|p| p.enabled))
                .find(|c| self.program.run(c.block, &p.ctx, s))
                .map(|c| c.index)
        };
        Outcome {
            device_profile: first(&self.device, &self.config.device_profiles, s),
            ip_profile: first(&self.ip, &self.config.ip_profiles, s),
        }
    }

    /// `all(require) and not any(exclude) and any(include)`, clause by clause.
    fn group_value(&self, g: &GroupCode, ctx: &Context, s: &mut Scratch) -> bool {
        let [require, exclude, include] = &g.plan;
        require.iter().all(|c| self.clause(c, ctx, s))
            && !exclude.iter().any(|c| self.clause(c, ctx, s))
            && include.iter().any(|c| self.clause(c, ctx, s))
    }

    /// `group_value` of a gated group: of its include rules, only those fired can
    /// hold. They go first: few fire, and a fired rule often fails on its other
    /// operand (another IdP's group), sparing the require rules.
    fn gated_value(
        &self,
        g: &GroupCode,
        mut fired: super::gate::FiredRules<'_>,
        ctx: &Context,
        s: &mut Scratch,
    ) -> bool {
        let [require, exclude, include] = &g.plan;
        fired.any(|i| include.get(i).is_some_and(|c| self.clause(c, ctx, s)))
            && require.iter().all(|c| self.clause(c, ctx, s))
            && !exclude.iter().any(|c| self.clause(c, ctx, s))
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
        let present = &self.config.present;
        let ctx = &prepared.ctx;
        let s = &mut scratch.eval;
        let device_profile = present.device_profiles.then(|| ProfileOutcome {
            kind: ProfileKind::Device,
            selected: Selected::device(
                &self.config.device_profiles,
                self.device_default,
                outcome.device_profile,
            ),
            checked: explain
                .then(|| self.checked(&self.device, &self.config.device_profiles, ctx, s)),
        });
        let ip_profile = present.ip_profiles.then(|| ProfileOutcome {
            kind: ProfileKind::Ip,
            selected: Selected::ip(&self.config.ip_profiles, outcome.ip_profile),
            checked: explain.then(|| self.checked(&self.ip, &self.config.ip_profiles, ctx, s)),
        });
        let access_groups = present.groups.then(|| GroupsOutcome {
            members: self
                .config
                .groups
                .iter()
                .zip(&self.groups)
                .filter(|(_, code)| s.block(code.block))
                .map(|(g, _)| g)
                .collect(),
            why: explain.then(|| self.groups_why(&prepared.subject, ctx, s)),
        });
        let posture = present.posture_rules.then(|| PostureOutcome {
            passed: prepared.passed.clone(),
            failed: prepared.failed.clone(),
            unknown: prepared.unknown.clone(),
        });
        Decision {
            id: prepared.subject.id.as_ref().and_then(ContextId::of),
            device_profile,
            ip_profile,
            access_groups,
            posture,
            warnings: prepared.warnings.clone(),
        }
    }
}
