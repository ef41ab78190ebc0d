//! Context JSON -> `Decision` (`decision.md` §1–§2). Slots are filled once from the
//! normalised subject; groups run in order, each once, their results kept in
//! scratch for references; profiles are checked in precedence order.

use super::Engine;
use crate::config::Profile;
use crate::eval::Scratch;
use crate::posture::{self, PostureResult};
use crate::program::{BlockId, Program};
use crate::subject::{Subject, SubjectError};
use crate::value::Context;
use serde_json::{Value as J, json};

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

/// Everything the engine says about one context, as the JSON of `decision.md`.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// The decision object.
    pub json: J,
    /// Warnings about the context (e.g. an unknown OS name).
    pub warnings: Vec<String>,
}

impl Engine {
    /// Reads a context (`context.md`) into slots and posture results: the part of a
    /// decision that depends only on the input.
    ///
    /// # Errors
    /// The context's first problem, with its JSON path.
    pub fn prepare(&self, json: &J) -> Result<Prepared, SubjectError> {
        let (subject, warnings) = Subject::from_json(json)?;
        Ok(self.prepare_subject(subject, warnings))
    }

    /// Like `prepare`, from JSON text.
    ///
    /// # Errors
    /// Malformed JSON or the context's first problem, with its JSON path.
    pub fn prepare_str(&self, text: &str) -> Result<Prepared, SubjectError> {
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
        let first = |codes: &[super::ProfileCode], list: &[Profile], s: &mut Scratch| {
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
    fn group_value(&self, g: &super::GroupCode, ctx: &Context, s: &mut Scratch) -> bool {
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
        g: &super::GroupCode,
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
    fn clause(&self, c: &super::Clause, ctx: &Context, s: &mut Scratch) -> bool {
        match c {
            super::Clause::All(all) => all
                .iter()
                .all(|&(op, negated)| self.program.operand_value(op, ctx, s) != negated),
            super::Clause::Block(b) => self.program.run(*b, ctx, s),
        }
    }

    /// Whether the last `decide_prepared` with this scratch found the context a
    /// member of group `index` (input order).
    pub fn is_member(&self, scratch: &EngineScratch, index: usize) -> bool {
        self.groups
            .get(index)
            .is_some_and(|g| scratch.eval.block(g.block))
    }

    /// Decides one context given as JSON (`context.md`) and renders the decision.
    ///
    /// # Errors
    /// The context's first problem, with its JSON path.
    pub fn decide(
        &self,
        json: &J,
        scratch: &mut EngineScratch,
        explain: bool,
    ) -> Result<Decision, SubjectError> {
        let prepared = self.prepare(json)?;
        Ok(self.render(&prepared, scratch, explain))
    }

    /// Decides one context given as JSON text and renders the decision.
    ///
    /// # Errors
    /// Malformed JSON or the context's first problem, with its JSON path.
    pub fn decide_str(
        &self,
        text: &str,
        scratch: &mut EngineScratch,
        explain: bool,
    ) -> Result<Decision, SubjectError> {
        let prepared = self.prepare_str(text)?;
        Ok(self.render(&prepared, scratch, explain))
    }

    /// Decides a prepared context and renders the decision JSON.
    pub fn render(
        &self,
        prepared: &Prepared,
        scratch: &mut EngineScratch,
        explain: bool,
    ) -> Decision {
        let outcome = self.decide_prepared(prepared, scratch);
        let ctx = &prepared.ctx;
        let s = &mut scratch.eval;
        let mut out = serde_json::Map::new();
        out.insert("id".into(), prepared.subject.id.clone().unwrap_or(J::Null));
        if self.config.present.device_profiles {
            out.insert(
                "device_profile".into(),
                self.device_profile(outcome.device_profile, ctx, s, explain),
            );
        }
        if self.config.present.ip_profiles {
            out.insert(
                "ip_profile".into(),
                self.ip_profile(outcome.ip_profile, ctx, s, explain),
            );
        }
        if self.config.present.groups {
            let members: Vec<J> = self
                .config
                .groups
                .iter()
                .zip(&self.groups)
                .filter(|(_, code)| s.block(code.block))
                .map(|(g, _)| group_json(g))
                .collect();
            out.insert("access_groups".into(), J::Array(members));
            if explain {
                out.insert(
                    "access_groups_why".into(),
                    self.groups_why(&prepared.subject, ctx, s),
                );
            }
        }
        if self.config.present.posture_rules {
            out.insert("posture".into(), json!({"passed": prepared.passed, "failed": prepared.failed, "unknown": prepared.unknown}));
        }
        Decision {
            json: J::Object(out),
            warnings: prepared.warnings.clone(),
        }
    }

    /// `v` with `"why": {"checked": …}` added (`decision.md` §2).
    fn with_why(
        &self,
        mut v: J,
        codes: &[super::ProfileCode],
        list: &[Profile],
        ctx: &Context,
        s: &mut Scratch,
    ) -> J {
        let checked = self.checked(codes, list, ctx, s);
        if let Some(obj) = v.as_object_mut() {
            obj.insert("why".into(), json!({"checked": checked}));
        }
        v
    }

    /// The profiles checked, in order, up to and including the first match.
    fn checked(
        &self,
        codes: &[super::ProfileCode],
        list: &[Profile],
        ctx: &Context,
        s: &mut Scratch,
    ) -> Vec<J> {
        let mut checked = Vec::new();
        for code in codes {
            let Some(p) = list.get(code.index) else {
                continue;
            };
            if !p.enabled {
                checked.push(json!({"id": p.id, "name": p.name, "precedence": prec(p.precedence), "result": "disabled"}));
                continue;
            }
            let e = self.program.explain(code.block, ctx, s);
            let result = if e.result { "match" } else { "no_match" };
            checked.push(json!({"id": p.id, "name": p.name, "precedence": prec(p.precedence), "result": result, "because": e.because}));
            if e.result {
                break;
            }
        }
        checked
    }

    fn device_profile(
        &self,
        hit: Option<usize>,
        ctx: &Context,
        s: &mut Scratch,
        explain: bool,
    ) -> J {
        let v = self.device_profile_json(hit);
        if explain {
            self.with_why(v, &self.device, &self.config.device_profiles, ctx, s)
        } else {
            v
        }
    }

    /// The `device_profile` object for a match on custom profile `hit`, or the
    /// default when there is none.
    pub(super) fn device_profile_json(&self, hit: Option<usize>) -> J {
        let list = &self.config.device_profiles;
        match hit.or(self.device_default).and_then(|i| list.get(i)) {
            Some(p) => {
                json!({"id": p.id, "name": p.name, "precedence": prec(p.precedence), "default": hit.is_none(), "settings": p.settings})
            }
            None => {
                json!({"id": null, "name": "Default", "precedence": null, "default": true, "settings": {}})
            }
        }
    }

    fn ip_profile(&self, hit: Option<usize>, ctx: &Context, s: &mut Scratch, explain: bool) -> J {
        let v = self.ip_profile_json(hit);
        if explain {
            self.with_why(v, &self.ip, &self.config.ip_profiles, ctx, s)
        } else {
            v
        }
    }

    /// The `ip_profile` object for a match on profile `hit`, or the default pool.
    pub(super) fn ip_profile_json(&self, hit: Option<usize>) -> J {
        match hit.and_then(|i| self.config.ip_profiles.get(i)) {
            Some(p) => {
                json!({"id": p.id, "name": p.name, "precedence": prec(p.precedence), "subnet_id": p.subnet_id, "default": false})
            }
            None => json!({"default": true, "subnet": "100.96.0.0/12"}),
        }
    }

    fn groups_why(&self, subject: &Subject, ctx: &Context, s: &mut Scratch) -> J {
        let rules = |blocks: &[BlockId],
                     rules: &[crate::config::RuleAt],
                     s: &mut Scratch,
                     missing: &mut Vec<&'static str>|
         -> Vec<J> {
            rules
                .iter()
                .zip(blocks)
                .map(|(r, b)| {
                    let result = self.program.run(*b, ctx, s);
                    for need in needs(&r.rule) {
                        if absent(subject, need) && !missing.contains(need) {
                            missing.push(need);
                        }
                    }
                    json!({"path": r.path, "rule": r.json, "result": result})
                })
                .collect()
        };
        let mut out = Vec::new();
        for (g, code) in self.config.groups.iter().zip(&self.groups) {
            let mut missing = Vec::new();
            let include = rules(&code.include, &g.include, s, &mut missing);
            let require = rules(&code.require, &g.require, s, &mut missing);
            let exclude = rules(&code.exclude, &g.exclude, s, &mut missing);
            out.push(
                json!({"id": g.id, "name": g.name, "member": s.block(code.block),
                "include": include, "require": require, "exclude": exclude, "missing": missing}),
            );
        }
        J::Array(out)
    }
}

/// A group as `access_groups` lists it.
pub(super) fn group_json(g: &crate::config::Group) -> J {
    json!({"id": g.id, "name": g.name})
}

/// The context values a rule reads.
fn needs(rule: &crate::config::Rule) -> &'static [&'static str] {
    use crate::config::Rule::*;
    match rule {
        Everyone | Group(_) => &[],
        Email(_) | EmailDomain(_) | EmailList(_) => &["identity.email"],
        Ip(_) | IpList(_) => &["request.ip"],
        Geo(_) => &["request.country"],
        Certificate => &["request.certificate"],
        CommonName(_) => &["request.certificate.common_name"],
        ServiceToken(_) | AnyValidServiceToken => &["request.service_token"],
        AuthMethod(_) => &["identity.amr"],
        LoginMethod(_) => &["identity.idp.id"],
        Okta(_) | AzureAd(_) | Gsuite(_) => &["identity.idp.id", "identity.groups"],
        Github(_) => &["identity.idp.id", "identity.github"],
        Saml(_) => &["identity.idp.id", "identity.saml_attributes"],
        Oidc(_) => &["identity.idp.id", "identity.oidc_claims"],
        AuthContext(_) => &["identity.idp.id", "identity.auth_contexts"],
        DevicePosture(_) => &["device.posture"],
        UserRiskScore(_) => &["identity.risk_score"],
        ExternalEvaluation(_) => &["request.external_evaluation"],
        LinkedAppToken(_) => &["request.linked_app_token"],
    }
}

fn absent(s: &Subject, need: &str) -> bool {
    let i = &s.identity;
    match need {
        "identity.email" => i.email.is_none(),
        "request.ip" => s.request.ip.is_none(),
        "request.country" => s.request.country.is_none(),
        "request.certificate" => s.request.certificate.is_none(),
        "request.certificate.common_name" => s
            .request
            .certificate
            .as_ref()
            .is_none_or(|c| c.common_name.is_none()),
        "request.service_token" => s.request.service_token.is_none(),
        "identity.amr" => i.amr.is_empty(),
        "identity.idp.id" => i.idp.as_ref().is_none_or(|p| p.id.is_none()),
        "identity.groups" => i.groups.is_empty(),
        "identity.github" => i.github.is_empty(),
        "identity.saml_attributes" => i.saml_attributes.is_empty(),
        "identity.oidc_claims" => i.oidc_claims.is_empty(),
        "identity.auth_contexts" => i.auth_contexts.is_empty(),
        "device.posture" => {
            s.device.posture.is_none()
                && s.device.facts.firewall.is_none()
                && s.device.facts.disk_encrypted.is_none()
        }
        "identity.risk_score" => i.risk_score.is_none(),
        "request.external_evaluation" => s.request.external_evaluation.is_empty(),
        "request.linked_app_token" => s.request.linked_app_token.is_none(),
        _ => false,
    }
}

/// A precedence as the API writes it: an integer when it is one.
fn prec(p: Option<f64>) -> J {
    match p {
        Some(x) if x.fract() == 0.0 && x.abs() < 9.0e15 => J::from(x as i64),
        Some(x) => J::from(x),
        None => J::Null,
    }
}
