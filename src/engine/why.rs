//! Explanations (`decision.md` §2): which profiles a selection checked and the
//! atoms that decided each, and every group's rules with their results and the
//! context values they missed. Plain decisions never come here.

use super::code::ProfileCode;
use super::compiled::Engine;
use super::decision::{CheckedProfile, GroupWhy, ProfileResult, RuleResult};
use crate::config::{Profile, RuleAt};
use crate::program::{BlockId, Scratch};
use crate::subject::Subject;
use crate::value::Context;

impl Engine {
    /// The profiles checked, in order, up to and including the first match.
    pub(super) fn checked<'e>(
        &'e self,
        codes: &[ProfileCode],
        list: &'e [Profile],
        ctx: &Context,
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
            let e = self.program.explain(code.block, ctx, s);
            let matched = e.result;
            checked.push(CheckedProfile {
                profile,
                result: if matched {
                    ProfileResult::Match
                } else {
                    ProfileResult::NoMatch
                },
                because: e.because,
            });
            if matched {
                break;
            }
        }
        checked
    }

    /// Every group, rule by rule.
    pub(super) fn groups_why(
        &self,
        subject: &Subject,
        ctx: &Context,
        s: &mut Scratch,
    ) -> Vec<GroupWhy<'_>> {
        let mut out = Vec::new();
        for (group, code) in self.config.groups.iter().zip(&self.groups) {
            let mut missing = Vec::new();
            let mut rules = |blocks: &[BlockId], rules| {
                self.rules_why(blocks, rules, subject, ctx, s, &mut missing)
            };
            let include = rules(&code.include, &group.include);
            let require = rules(&code.require, &group.require);
            let exclude = rules(&code.exclude, &group.exclude);
            out.push(GroupWhy {
                group,
                member: s.block(code.block),
                include,
                require,
                exclude,
                missing,
            });
        }
        out
    }

    /// Each rule's result, noting the context values a rule needed and lacked.
    fn rules_why<'e>(
        &self,
        blocks: &[BlockId],
        rules: &'e [RuleAt],
        subject: &Subject,
        ctx: &Context,
        s: &mut Scratch,
        missing: &mut Vec<&'static str>,
    ) -> Vec<RuleResult<'e>> {
        rules
            .iter()
            .zip(blocks)
            .map(|(rule, b)| {
                let result = self.program.run(*b, ctx, s);
                for need in needs(&rule.rule) {
                    if absent(subject, need) && !missing.contains(need) {
                        missing.push(need);
                    }
                }
                RuleResult { rule, result }
            })
            .collect()
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
