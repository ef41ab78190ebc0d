//! Policies -> `PolicyCode`, applications -> `AppCode` (`config.md` §7).
//!
//! A policy is compiled as a group is, with one difference of meaning: bypass
//! and Service Auth policies are evaluated without the identity, so their
//! identity rules are `false`, inside the groups they reference too; allow and
//! deny policies never match a service-token rule, likewise. A referenced group
//! untouched by the difference stays a reference to the group's own block (one
//! evaluation, shared); one touched by it is inlined in its modified form.

use super::{AppCode, Apps, Entry, OrgSettings, PolicyCode};
use crate::config::{Config, Policy, PolicyDecision, Problem, Rule, Severity};
use crate::engine::rule_code::{RuleCodes, group_code};
use crate::engine::rules::RuleCompiler;
use crate::engine::validate_access::{is_identity_rule, is_service_token_rule};
use crate::expr::cond::Cond;
use crate::hash::TextMap as HashMap;
use crate::program::compile::Builder;

/// What a policy's decision removes from the context.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Mode {
    /// Bypass, Service Auth: identity rules never match.
    NoIdentity,
    /// Allow, deny: service-token rules never match.
    NoToken,
}

impl Mode {
    fn of(d: PolicyDecision) -> Mode {
        match d {
            PolicyDecision::Bypass | PolicyDecision::NonIdentity => Mode::NoIdentity,
            PolicyDecision::Allow | PolicyDecision::Deny => Mode::NoToken,
        }
    }

    fn removes(self, rule: &Rule) -> bool {
        match self {
            Mode::NoIdentity => is_identity_rule(rule),
            Mode::NoToken => is_service_token_rule(rule),
        }
    }
}

/// Rules in a mode; groups touched by the mode inlined, memoized.
struct Modal<'c, 'p> {
    config: &'c Config,
    compiler: &'c RuleCompiler<'c>,
    /// A rule as a group's (references resolve to the groups' blocks).
    plain: &'p mut dyn FnMut(&Rule) -> Option<Cond>,
    group_index: HashMap<&'c str, usize>,
    touched: HashMap<(usize, Mode), bool>,
    inlined: HashMap<(usize, Mode), Option<Cond>>,
    /// Groups being walked: a cycle (an error reported elsewhere) stops here.
    walking: Vec<usize>,
}

impl Modal<'_, '_> {
    fn rule(&mut self, rule: &Rule, mode: Mode) -> Option<Cond> {
        if mode.removes(rule) {
            return Some(Cond::Const(false));
        }
        if let Rule::Group(id) = rule
            && let Some(&gi) = self.group_index.get(id.as_str())
            && self.touched(gi, mode)
        {
            return self.inline(gi, mode);
        }
        (self.plain)(rule)
    }

    /// Whether the group (or a group it references) has a rule `mode` removes.
    fn touched(&mut self, gi: usize, mode: Mode) -> bool {
        if let Some(&t) = self.touched.get(&(gi, mode)) {
            return t;
        }
        if self.walking.contains(&gi) {
            return false;
        }
        self.walking.push(gi);
        let config = self.config;
        let mut t = false;
        if let Some(g) = config.groups.get(gi) {
            for r in g.include.iter().chain(&g.require).chain(&g.exclude) {
                t |= mode.removes(&r.rule)
                    || match &r.rule {
                        Rule::Group(id) => self
                            .group_index
                            .get(id.as_str())
                            .copied()
                            .is_some_and(|gj| self.touched(gj, mode)),
                        _ => false,
                    };
            }
        }
        self.walking.pop();
        self.touched.insert((gi, mode), t);
        t
    }

    fn inline(&mut self, gi: usize, mode: Mode) -> Option<Cond> {
        if let Some(c) = self.inlined.get(&(gi, mode)) {
            return c.clone();
        }
        if self.walking.contains(&gi) {
            return None;
        }
        self.walking.push(gi);
        let config = self.config;
        let cond = config.groups.get(gi).map(|g| {
            let mut slot = |rules: &[crate::config::RuleAt]| {
                rules
                    .iter()
                    .filter_map(|r| self.rule(&r.rule, mode))
                    .collect::<Vec<_>>()
            };
            let include = slot(&g.include);
            let require = slot(&g.require);
            let exclude = slot(&g.exclude);
            self.compiler.group(include, require, exclude)
        });
        self.walking.pop();
        self.inlined.insert((gi, mode), cond.clone());
        cond
    }
}

/// Compiles every reusable and inline policy and orders every application's
/// entries; reads the organization's settings (their problems into `problems`).
pub(in crate::engine) fn compile(
    config: &Config,
    compiler: &RuleCompiler<'_>,
    plain: &mut dyn FnMut(&Rule) -> Option<Cond>,
    builder: &mut Builder<'_>,
    codes: &mut RuleCodes<'_>,
    problems: &mut Vec<Problem>,
) -> Apps {
    let mut modal = Modal {
        config,
        compiler,
        plain,
        group_index: config
            .groups
            .iter()
            .enumerate()
            .map(|(i, g)| (g.id.as_str(), i))
            .collect(),
        touched: HashMap::default(),
        inlined: HashMap::default(),
        walking: Vec::new(),
    };
    let mut policy = |p: &Policy, modal: &mut Modal<'_, '_>, builder: &mut Builder<'_>| {
        let mode = Mode::of(p.decision);
        let mut slot = |rules: &[crate::config::RuleAt]| {
            rules
                .iter()
                .filter_map(|r| modal.rule(&r.rule, mode))
                .collect::<Vec<_>>()
        };
        let conds = [slot(&p.include), slot(&p.require), slot(&p.exclude)];
        PolicyCode {
            code: group_code(builder, compiler, conds, codes),
        }
    };
    let mut policies: Vec<PolicyCode> = config
        .policies
        .iter()
        .map(|p| policy(p, &mut modal, builder))
        .collect();
    let mut idps: rustc_hash::FxHashMap<String, u32> = Default::default();
    let mut apps = Vec::new();
    for app in &config.applications {
        let mut order: Vec<(u8, f64, Entry)> = Vec::new();
        for (i, e) in app.policies.iter().enumerate() {
            let (index, record) = match (e.reusable, &e.body) {
                (Some(r), _) => (r, config.policies.get(r)),
                (None, Some(body)) => {
                    policies.push(policy(body, &mut modal, builder));
                    (policies.len() - 1, Some(body))
                }
                // An unknown id without a body: an error reported on load.
                (None, None) => continue,
            };
            let Some(record) = record else { continue };
            let class = match record.decision {
                PolicyDecision::Bypass | PolicyDecision::NonIdentity => 0,
                PolicyDecision::Allow | PolicyDecision::Deny => 1,
            };
            // The entry's precedence (a link's, or the inline policy's own);
            // a reusable policy's own field is no position in this
            // application (all or none of the entries have one: finish.rs).
            let precedence = e
                .precedence
                .map_or(i as f64, crate::config::precedence_order);
            order.push((
                class,
                precedence,
                Entry {
                    policy: u32::try_from(index).unwrap_or(u32::MAX),
                    entry: u32::try_from(i).unwrap_or(u32::MAX),
                    decision: record.decision,
                },
            ));
        }
        // Stable: equal precedences keep the order of the array.
        order.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
        let allowed_idps = app.allowed_idps.as_ref().map(|ids| {
            ids.iter()
                .map(|id| {
                    let next = u32::try_from(idps.len()).unwrap_or(u32::MAX);
                    *idps.entry(id.clone()).or_insert(next)
                })
                .collect()
        });
        let order: Vec<Entry> = order.into_iter().map(|(_, _, e)| e).collect();
        let packed = order
            .iter()
            .map(|e| {
                let allow = if e.decision == PolicyDecision::Allow {
                    super::ALLOW
                } else {
                    0
                };
                e.policy | allow
            })
            .collect();
        apps.push(AppCode {
            order,
            allowed_idps,
            packed,
        });
    }
    let routes: Vec<(u32, u32)> = config
        .applications
        .iter()
        .enumerate()
        .filter(|(_, a)| a.kind != "bookmark")
        .flat_map(|(a, app)| (0..app.destinations.len()).map(move |d| (a, d)))
        .filter_map(|(a, d)| Some((u32::try_from(a).ok()?, u32::try_from(d).ok()?)))
        .collect();
    let targets = routes.iter().map(|&(a, d)| {
        let app = config.applications.get(a as usize)?;
        Some(&app.destinations.get(d as usize)?.target)
    });
    let route_index = crate::route::RouteIndex::new(targets);
    Apps {
        policies,
        apps,
        idps,
        org: organization(config, problems),
        shown: Vec::new(),
        gates: Default::default(),
        routes,
        route_index,
    }
}

/// The organization's settings a decision reads; a value of the wrong type is
/// an error (a guess would decide requests).
fn organization(config: &Config, problems: &mut Vec<Problem>) -> OrgSettings {
    let Some(org) = &config.organization else {
        return OrgSettings::default();
    };
    let mut bad = |key: &str, want: &str| {
        problems.push(Problem {
            severity: Severity::Error,
            file: config.organization_file.clone(),
            path: format!("$.organization.{key}"),
            message: format!("expected {want}"),
            expr: None,
            position: None,
        });
    };
    let mut flag = |key: &str| match org.get(key) {
        None | Some(serde_json::Value::Null) => false,
        Some(serde_json::Value::Bool(b)) => *b,
        Some(_) => {
            bad(key, "true or false");
            false
        }
    };
    let strict_service_token_auth = flag("strict_service_token_auth");
    let deny_unmatched_requests = flag("deny_unmatched_requests");
    let exempted_zones = match org.get("deny_unmatched_requests_exempted_zone_names") {
        None | Some(serde_json::Value::Null) => Vec::new(),
        Some(serde_json::Value::Array(items)) if items.iter().all(|v| v.is_string()) => items
            .iter()
            .filter_map(|v| {
                v.as_str()
                    .map(|s| s.trim_end_matches('.').to_ascii_lowercase())
            })
            .collect(),
        Some(_) => {
            bad(
                "deny_unmatched_requests_exempted_zone_names",
                "an array of zone names",
            );
            Vec::new()
        }
    };
    let session_duration = match org.get("session_duration") {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(s)) => Some(s.clone()),
        Some(_) => {
            bad("session_duration", "a duration string (`24h`)");
            None
        }
    };
    OrgSettings {
        strict_service_token_auth,
        deny_unmatched_requests,
        exempted_zones,
        session_duration,
    }
}
