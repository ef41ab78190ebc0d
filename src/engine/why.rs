//! Explanations (`decision.md` §2): which profiles a selection checked and the
//! atoms that decided each, and every group's rules with their results and the
//! context values they missed. Plain decisions never come here.

use super::code::ProfileCode;
use super::compiled::Engine;
use super::decision::{CheckedProfile, GroupWhy, ProfileResult, RuleResult};
use super::prepare::Prepared;
use crate::config::{Profile, RuleAt};
use crate::program::{BlockId, Scratch, Tri};
use crate::subject::Subject;

impl Engine {
    /// The profiles checked, in order, up to and including the first match
    /// (three-valued when the context has unknown inputs: an unknown match does
    /// not stop the walk).
    pub(super) fn checked<'e>(
        &'e self,
        codes: &[ProfileCode],
        list: &'e [Profile],
        p: &Prepared,
        s: &mut Scratch,
    ) -> Vec<CheckedProfile<'e>> {
        let mut checked = Vec::new();
        for code in codes {
            let Some(profile) = list.get(code.index) else {
                continue;
            };
            if !profile.enabled {
                checked.push(CheckedProfile {
                    profile,
                    result: ProfileResult::Disabled,
                    because: Vec::new(),
                });
                continue;
            }
            let (result, because) = match &p.unknowns {
                Some(u) => self.program.explain_tri(code.block, &p.ctx, s, u),
                None => {
                    let e = self.program.explain(code.block, &p.ctx, s);
                    (Tri::from(e.result), e.because)
                }
            };
            checked.push(CheckedProfile {
                profile,
                result: match result {
                    Tri::True => ProfileResult::Match,
                    Tri::False => ProfileResult::NoMatch,
                    Tri::Unknown => ProfileResult::Unknown,
                },
                because,
            });
            if result == Tri::True {
                break;
            }
        }
        checked
    }

    /// Every group, rule by rule.
    pub(super) fn groups_why<'e>(&'e self, p: &Prepared, s: &mut Scratch) -> Vec<GroupWhy<'e>> {
        let mut out = Vec::new();
        for (i, (group, code)) in self.config.groups.iter().zip(&self.groups).enumerate() {
            let mut missing = Vec::new();
            let mut unknown = Vec::new();
            let mut rules = |blocks: &[BlockId], rules| {
                self.rules_why(blocks, rules, p, s, &mut missing, &mut unknown)
            };
            let include = rules(&code.include, &group.include);
            let require = rules(&code.require, &group.require);
            let exclude = rules(&code.exclude, &group.exclude);
            out.push(GroupWhy {
                group,
                member: self.membership(s, i),
                include,
                require,
                exclude,
                missing,
                unknown,
            });
        }
        out
    }

    /// Each rule's result, noting the context values a rule needed and lacked
    /// and, for an unknown rule, the unknown inputs behind it.
    pub(super) fn rules_why<'e>(
        &'e self,
        blocks: &[BlockId],
        rules: &'e [RuleAt],
        p: &Prepared,
        s: &mut Scratch,
        missing: &mut Vec<&'static str>,
        unknown: &mut Vec<String>,
    ) -> Vec<RuleResult<'e>> {
        rules
            .iter()
            .zip(blocks)
            .map(|(rule, b)| {
                let result = self.rule_tri(*b, p, s);
                for need in needs(&rule.rule) {
                    if absent(&p.subject, need) && !missing.contains(need) {
                        missing.push(need);
                    }
                }
                if result == Tri::Unknown {
                    for why in self.rule_because(rule, p, s) {
                        if !unknown.contains(&why) {
                            unknown.push(why);
                        }
                    }
                }
                RuleResult { rule, result }
            })
            .collect()
    }

    /// The unknown inputs and unknown groups behind an unknown rule, as text.
    pub(super) fn rule_because(&self, rule: &RuleAt, p: &Prepared, s: &Scratch) -> Vec<String> {
        let (mut inputs, mut groups) = (super::input_set::InputSet::default(), Vec::new());
        self.rule_unknowns(rule, p, s, &mut inputs, &mut groups);
        let mut out: Vec<String> = inputs.iter().map(ToString::to_string).collect();
        out.append(&mut groups);
        out
    }
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
        AccountMember | AfterApply(_) => &[],
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
