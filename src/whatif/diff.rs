//! Two configurations over one population -> what changed, per context, and a
//! summary with a count per kind of change (`decision.md` §4): the blast radius of
//! a change before it ships.

use crate::engine::{ContextId, Decision, Engine, ProfileOutcome};
use crate::hash::{TextMap, TextSet};
use crate::whatif::simulate::{Record, decide_line};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// The diff of a population.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DiffReport {
    /// Contexts evaluated (non-blank lines).
    pub contexts: usize,
    /// Contexts whose decision changed.
    pub changed: usize,
    /// Lines that could not be decided under either configuration.
    pub errors: usize,
    /// The first of those lines' numbers (at most `ERROR_LINES_KEPT`), so a
    /// person can find them.
    pub error_lines: Vec<usize>,
    /// Change kind -> count, e.g. `("device_profile", "Developers", "Default") -> 300`.
    pub changes: BTreeMap<(String, String, String), usize>,
    /// The first changed contexts, in input order: as many as were asked to
    /// be kept (the counts above cover them all).
    pub changed_contexts: Vec<ContextChange>,
}

/// An application whose decision changed for one context.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AppChange {
    /// The application's name.
    pub name: String,
    /// `allow`, `deny`, `bypass`, `non_identity`, `unknown`, or `absent`.
    pub before: &'static str,
    /// The same, after.
    pub after: &'static str,
    /// The policy that decided before, if one did.
    pub policy_before: Option<String>,
    /// The policy that decides after, if one does.
    pub policy_after: Option<String>,
}

impl AppChange {
    fn shown(word: &str, policy: &Option<String>) -> String {
        match policy {
            Some(p) => format!("{word} by {p}"),
            None => word.to_string(),
        }
    }
}

/// `, N could not be decided (line 2, 9, …; …)` for a report's text.
pub(crate) fn undecided(errors: usize, kept: &[usize]) -> String {
    let lines: Vec<String> = kept.iter().map(ToString::to_string).collect();
    let more = if errors > kept.len() { ", …" } else { "" };
    format!(
        ", {errors} could not be decided (line {}{more}; `zt-eval batch` says why)",
        lines.join(", ")
    )
}

/// How many undecidable line numbers a report keeps.
pub const ERROR_LINES_KEPT: usize = 100;

/// What changed for one context.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ContextChange {
    /// The context's id.
    pub id: Option<ContextId>,
    /// Device profile name before and after.
    pub device_profile: Option<(String, String)>,
    /// IP profile name (or `default pool`) before and after.
    pub ip_profile: Option<(String, String)>,
    /// Groups the context became a member of.
    pub gained: Vec<String>,
    /// Groups the context is no longer a member of.
    pub lost: Vec<String>,
    /// Posture rules passed, before and after.
    pub posture: Option<(Vec<String>, Vec<String>)>,
    /// Who the context is, for a person: its `identity.email`, else its
    /// `identity.name`.
    pub who: Option<String>,
    /// Posture rules whose result changed: `(rule name, before, after)`.
    pub posture_rules: Vec<(String, &'static str, &'static str)>,
    /// Groups whose membership became or stopped being unknown:
    /// `(group, before, after)` with `member`, `not a member`, `unknown`.
    pub membership: Vec<(String, &'static str, &'static str)>,
    /// Applications whose decision changed: `(application, before, after)`
    /// with `allow`, `deny`, `bypass`, `non_identity`, `unknown`, or `absent`
    /// when the application is in one configuration only.
    pub applications: Vec<AppChange>,
    /// The request's answer, before and after (`Grafana: allow`, `deny`,
    /// `not_protected`), when it changed.
    pub access: Option<(String, String)>,
    /// Per gained or lost group, the rules whose result flipped: `(group,
    /// "require[0] {\"geo\":…}", "true -> false")`.
    pub flipped: Vec<(String, String, String)>,
}

impl ContextChange {
    /// `id (email)`, or whichever of the two there is.
    pub fn label(&self) -> String {
        let id = self.id.as_ref().map(ToString::to_string);
        match (id, &self.who) {
            (Some(id), Some(w)) => format!("{id} ({w})"),
            (Some(id), None) => id,
            (None, Some(w)) => w.clone(),
            (None, None) => "(context without id)".into(),
        }
    }

    /// What changed, in words, one part per kind of change.
    pub fn parts(&self) -> Vec<String> {
        let mut parts = Vec::new();
        for (key, change) in [
            ("device profile", &self.device_profile),
            ("ip profile", &self.ip_profile),
        ] {
            if let Some((b, a)) = change {
                parts.push(format!("{key}: {b} -> {a}"));
            }
        }
        if !self.gained.is_empty() {
            parts.push(format!("gained {}", self.gained.join(", ")));
        }
        if !self.lost.is_empty() {
            parts.push(format!("lost {}", self.lost.join(", ")));
        }
        for (g, b, a) in &self.membership {
            parts.push(format!("{g}: {b} -> {a}"));
        }
        for (r, b, a) in &self.posture_rules {
            parts.push(format!("posture {r}: {b} -> {a}"));
        }
        for (group, rule, change) in &self.flipped {
            parts.push(format!("{group}: {rule} {change}"));
        }
        for c in &self.applications {
            parts.push(format!(
                "{}: {} -> {}",
                c.name,
                AppChange::shown(c.before, &c.policy_before),
                AppChange::shown(c.after, &c.policy_after)
            ));
        }
        if let Some((b, a)) = &self.access {
            parts.push(format!("access: {b} -> {a}"));
        }
        parts
    }

    /// The JSON of `decision.md` §4.
    pub fn to_json(&self) -> Value {
        let mut out = serde_json::Map::new();
        out.insert(
            "id".into(),
            serde_json::to_value(&self.id).unwrap_or(Value::Null),
        );
        if let Some(w) = &self.who {
            out.insert("who".into(), w.clone().into());
        }
        for (key, change) in [
            ("device_profile", &self.device_profile),
            ("ip_profile", &self.ip_profile),
        ] {
            if let Some((b, a)) = change {
                out.insert(key.into(), json!({"before": b, "after": a}));
            }
        }
        if !self.gained.is_empty() || !self.lost.is_empty() {
            out.insert(
                "access_groups".into(),
                json!({"gained": self.gained, "lost": self.lost}),
            );
        }
        if let Some((b, a)) = &self.posture {
            out.insert(
                "posture".into(),
                json!({"passed_before": b, "passed_after": a}),
            );
        }
        if !self.posture_rules.is_empty() {
            let m: Vec<Value> = self
                .posture_rules
                .iter()
                .map(|(r, b, a)| json!({"rule": r, "before": b, "after": a}))
                .collect();
            out.insert("posture_rules".into(), Value::Array(m));
        }
        if !self.membership.is_empty() {
            let m: Vec<Value> = self
                .membership
                .iter()
                .map(|(g, b, a)| json!({"group": g, "before": b, "after": a}))
                .collect();
            out.insert("access_groups_membership".into(), Value::Array(m));
        }
        if !self.flipped.is_empty() {
            let m: Vec<Value> = self
                .flipped
                .iter()
                .map(|(g, r, c)| json!({"group": g, "rule": r, "change": c}))
                .collect();
            out.insert("access_group_rules".into(), Value::Array(m));
        }
        if !self.applications.is_empty() {
            let m: Vec<Value> = self
                .applications
                .iter()
                .map(|c| {
                    json!({"name": c.name, "before": c.before, "after": c.after,
                           "policy_before": c.policy_before, "policy_after": c.policy_after})
                })
                .collect();
            out.insert("applications".into(), Value::Array(m));
        }
        if let Some((b, a)) = &self.access {
            out.insert("access".into(), json!({"before": b, "after": a}));
        }
        Value::Object(out)
    }
}

/// A profile as a diff names it: its name, `default pool` for the default IP pool.
fn profile_name(p: Option<&ProfileOutcome<'_>>) -> String {
    match p {
        Some(p) => p
            .selected
            .name(p.kind)
            .unwrap_or("default pool")
            .to_string(),
        None => String::new(),
    }
}

/// The context's email, else its name.
fn who(text: &str) -> Option<String> {
    let v: Value = serde_json::from_str(text).ok()?;
    let identity = v.get("identity")?;
    ["email", "name"]
        .iter()
        .find_map(|k| identity.get(*k).and_then(Value::as_str))
        .map(str::to_string)
}

/// Each posture rule a decision reports, by id: `passed`, `failed` or
/// `unknown` (the first list that holds it, in that order); a rule it does
/// not report is `not checked`. A map, so that comparing two decisions is
/// linear in their rules, not rules x rules.
fn posture_states<'d>(d: &'d Decision<'_>) -> TextMap<&'d str, &'static str> {
    let mut states = TextMap::default();
    if let Some(p) = &d.posture {
        for (list, state) in [
            (&p.passed, "passed"),
            (&p.failed, "failed"),
            (&p.unknown, "unknown"),
        ] {
            for id in list {
                states.entry(id.as_str()).or_insert(state);
            }
        }
    }
    states
}

fn passed(d: &Decision<'_>) -> Vec<String> {
    d.posture
        .as_ref()
        .map(|p| p.passed.clone())
        .unwrap_or_default()
}

/// The groups whose membership is unknown.
fn unknown_names<'e>(d: &Decision<'e>) -> Vec<&'e str> {
    d.access_groups
        .iter()
        .flat_map(|g| g.unknown.iter().map(|u| u.group.name.as_str()))
        .collect()
}

/// A decision's groups by name: those it makes a member and those it leaves
/// unknown, looked up per group, not searched (a search per group cost
/// groups x members a context: with 1,000 groups, many times the decisions
/// themselves).
struct GroupStates<'e> {
    members: Vec<&'e str>,
    unknown: Vec<&'e str>,
    member_set: TextSet<&'e str>,
    unknown_set: TextSet<&'e str>,
}

impl<'e> GroupStates<'e> {
    fn of(d: &Decision<'e>) -> GroupStates<'e> {
        let members = d.member_names();
        let unknown = unknown_names(d);
        GroupStates {
            member_set: members.iter().copied().collect(),
            unknown_set: unknown.iter().copied().collect(),
            members,
            unknown,
        }
    }

    /// Member, not a member, or unknown (config.md §9); `absent` when the
    /// configuration (`names`: its groups' names) has no such group.
    fn state(&self, names: &TextSet<&str>, name: &str) -> &'static str {
        if !names.contains(name) {
            "absent"
        } else if self.member_set.contains(name) {
            "member"
        } else if self.unknown_set.contains(name) {
            "unknown"
        } else {
            "not a member"
        }
    }
}

/// A configuration's group names.
fn group_names(e: &Engine) -> TextSet<&str> {
    e.config().groups.iter().map(|g| g.name.as_str()).collect()
}

/// An application as a diff shows it: key (id, else name), name, decision
/// word, deciding policy.
type Shown = (String, String, &'static str, Option<String>);

/// Each key's first place in `items`.
fn first_at<'a, T>(items: &'a [T], key: impl Fn(&'a T) -> &'a str) -> TextMap<&'a str, usize> {
    let mut at: TextMap<&str, usize> = TextMap::default();
    for (i, x) in items.iter().enumerate() {
        at.entry(key(x)).or_insert(i);
    }
    at
}

/// Compares two decisions of one context; `None` when nothing changed.
fn compare(
    before: &Decision<'_>,
    after: &Decision<'_>,
    posture_names: &std::collections::HashMap<&str, &str>,
    group_names: (&TextSet<&str>, &TextSet<&str>),
    report: &mut DiffReport,
) -> Option<ContextChange> {
    let mut change = ContextChange {
        id: after.id.clone(),
        ..ContextChange::default()
    };
    let mut kinds = Vec::new();
    for (key, b, a, slot) in [
        (
            "device_profile",
            before.device_profile.as_ref(),
            after.device_profile.as_ref(),
            &mut change.device_profile,
        ),
        (
            "ip_profile",
            before.ip_profile.as_ref(),
            after.ip_profile.as_ref(),
            &mut change.ip_profile,
        ),
    ] {
        let (b, a) = (profile_name(b), profile_name(a));
        if b != a {
            kinds.push((key.to_string(), b.clone(), a.clone()));
            *slot = Some((b, a));
        }
    }
    // Member, not a member, or unknown (config.md §9): a move to or from
    // unknown is its own kind of change, never a gain or a loss.
    // A group only one side has (created or deleted by the change) is
    // `absent` on the other, never "not a member".
    let (gb, ga) = (GroupStates::of(before), GroupStates::of(after));
    let mut seen: TextSet<&str> = TextSet::default();
    let names: Vec<&str> = gb
        .members
        .iter()
        .chain(&ga.members)
        .chain(&gb.unknown)
        .chain(&ga.unknown)
        .copied()
        .filter(|n| seen.insert(n))
        .collect();
    for name in names {
        match (gb.state(group_names.0, name), ga.state(group_names.1, name)) {
            (b, a) if b == a => {}
            ("not a member" | "absent", "member") => change.gained.push(name.to_string()),
            ("member", "not a member" | "absent") => change.lost.push(name.to_string()),
            (b, a) => change.membership.push((name.to_string(), b, a)),
        }
    }
    kinds.extend(change.membership.iter().map(|(g, b, a)| {
        (
            "access_group_membership".to_string(),
            g.clone(),
            format!("{b} -> {a}"),
        )
    }));
    kinds.extend(
        change
            .gained
            .iter()
            .map(|g| ("access_group_gained".to_string(), g.clone(), String::new())),
    );
    kinds.extend(
        change
            .lost
            .iter()
            .map(|g| ("access_group_lost".to_string(), g.clone(), String::new())),
    );
    let (pb, pa) = (passed(before), passed(after));
    if pb != pa {
        change.posture = Some((pb, pa));
    }
    // Per posture rule, by name: "Disk encrypted: passed -> failed".
    let (sb, sa) = (posture_states(before), posture_states(after));
    let mut seen: TextSet<&str> = TextSet::default();
    let mut ids: Vec<&str> = Vec::new();
    for d in [before, after] {
        if let Some(p) = &d.posture {
            for id in p.passed.iter().chain(&p.failed).chain(&p.unknown) {
                if seen.insert(id) {
                    ids.push(id);
                }
            }
        }
    }
    let state = |d: &Decision<'_>, states: &TextMap<&str, &'static str>, id: &str| match (
        &d.posture,
        states.get(id),
    ) {
        (Some(_), Some(s)) => *s,
        _ => "not checked",
    };
    for id in ids {
        let (b, a) = (state(before, &sb, id), state(after, &sa, id));
        if b != a {
            let name = posture_names.get(id).map_or(id, |n| n);
            kinds.push((
                "posture".to_string(),
                name.to_string(),
                format!("{b} -> {a}"),
            ));
            change.posture_rules.push((name.to_string(), b, a));
        }
    }
    // Per application, by id (else name): its decision in one word, and as
    // shown, with the policy that decided (`allow by Engineers`).
    let apps = |d: &Decision<'_>| -> Vec<(String, String, &'static str, Option<String>)> {
        d.applications
            .iter()
            .flatten()
            .map(|a| {
                let key = a.app.id.clone().unwrap_or_else(|| a.app.name.clone());
                let policy = match &a.result {
                    crate::engine::decision::AppResult::One(v) => {
                        v.by.as_ref().map(|by| by.policy.name.clone())
                    }
                    crate::engine::decision::AppResult::Undetermined(_) => None,
                };
                (key, a.app.name.clone(), a.result.word(), policy)
            })
            .collect()
    };
    let (ab, aa) = (apps(before), apps(after));
    // Each application's first entry by key, looked up, not searched for
    // each application.
    let (ib, ia) = (
        first_at(&ab, |x| x.0.as_str()),
        first_at(&aa, |x| x.0.as_str()),
    );
    let mut keys: Vec<(&str, &str)> = ab
        .iter()
        .map(|(k, n, _, _)| (k.as_str(), n.as_str()))
        .collect();
    let mut seen: TextSet<&str> = ib.keys().copied().collect();
    for (k, n, _, _) in &aa {
        if seen.insert(k) {
            keys.push((k, n));
        }
    }
    for (key, name) in keys {
        let find = |list: &[Shown], at: &TextMap<&str, usize>| {
            at.get(key).and_then(|&i| list.get(i)).cloned()
        };
        let (fb, fa) = (find(&ab, &ib), find(&aa, &ia));
        let word = |x: &Option<Shown>| x.as_ref().map_or("absent", |t| t.2);
        // A change of decision, shown with the policies that decided it.
        let policy = |x: &Option<Shown>| x.as_ref().and_then(|t| t.3.clone());
        if word(&fb) != word(&fa) {
            let c = AppChange {
                name: name.to_string(),
                before: word(&fb),
                after: word(&fa),
                policy_before: policy(&fb),
                policy_after: policy(&fa),
            };
            kinds.push((
                "application".to_string(),
                name.to_string(),
                format!(
                    "{} -> {}",
                    AppChange::shown(c.before, &c.policy_before),
                    AppChange::shown(c.after, &c.policy_after)
                ),
            ));
            change.applications.push(c);
        }
    }
    let access = |d: &Decision<'_>| {
        d.access.as_ref().map(|a| match &a.protected {
            Ok((app, r)) => format!("{}: {}", app.name, r.word()),
            Err(_) => a.word().to_string(),
        })
    };
    if let (Some(b), Some(a)) = (access(before), access(after))
        && b != a
    {
        kinds.push(("access".to_string(), b.clone(), a.clone()));
        change.access = Some((b, a));
    }
    if kinds.is_empty() {
        return None;
    }
    for k in kinds {
        *report.changes.entry(k).or_insert(0) += 1;
    }
    Some(change)
}

/// The rules of each gained or lost group whose result differs between the
/// two configurations, by rule path (the rule as the after configuration
/// writes it).
fn flipped_rules(
    before: &Engine,
    after: &Engine,
    sb: &mut crate::engine::EngineScratch,
    sa: &mut crate::engine::EngineScratch,
    text: &str,
    change: &ContextChange,
) -> Vec<(String, String, String)> {
    let (Ok(b), Ok(a)) = (
        before.decide_str(text, sb, true),
        after.decide_str(text, sa, true),
    ) else {
        return Vec::new();
    };
    let empty = Vec::new();
    let wb = b
        .access_groups
        .as_ref()
        .and_then(|g| g.why.as_ref())
        .unwrap_or(&empty);
    let wa = a
        .access_groups
        .as_ref()
        .and_then(|g| g.why.as_ref())
        .unwrap_or(&empty);
    // Each name's first group, looked up (a search per gained or lost
    // group was groups x changes a context).
    let (nb, na) = (
        first_at(wb, |g| g.group.name.as_str()),
        first_at(wa, |g| g.group.name.as_str()),
    );
    let mut out = Vec::new();
    for name in change.gained.iter().chain(&change.lost) {
        let (Some(gb), Some(ga)) = (
            nb.get(name.as_str()).and_then(|&i| wb.get(i)),
            na.get(name.as_str()).and_then(|&i| wa.get(i)),
        ) else {
            continue;
        };
        let rules = |g: &crate::engine::decision::GroupWhy<'_>| {
            g.include
                .iter()
                .chain(&g.require)
                .chain(&g.exclude)
                .map(|r| (r.rule.path.clone(), r.rule.json.to_string(), r.result))
                .collect::<Vec<_>>()
        };
        let (rb, ra_all) = (rules(gb), rules(ga));
        for (path, json, ra) in ra_all.iter().cloned() {
            let was = rb
                .iter()
                .find(|(p, j, _)| *p == path && *j == json)
                .map(|(_, _, r)| *r);
            match was {
                Some(r) if r == ra => {}
                Some(r) => out.push((
                    name.clone(),
                    format!("{path} {json}"),
                    format!("{r} -> {ra}"),
                )),
                // A rule the change added or edited.
                None => out.push((
                    name.clone(),
                    format!("{path} {json}"),
                    format!("new rule, {ra}"),
                )),
            }
        }
        // Rules the change removed.
        for (path, json, r) in rb {
            if !ra_all.iter().any(|(p, j, _)| *p == path && *j == json) {
                out.push((
                    name.clone(),
                    format!("{path} {json}"),
                    format!("removed (was {r})"),
                ));
            }
        }
    }
    out
}

/// Decides every line under both configurations and reports what changed,
/// keeping at most `keep` changed contexts as examples: memory stays bounded
/// whatever the population. A line that is not UTF-8 or not a valid context is
/// counted and named by its number; the others are decided.
pub fn diff<I, L>(before: &Engine, after: &Engine, lines: I, keep: usize) -> DiffReport
where
    I: IntoIterator<Item = L>,
    L: AsRef<[u8]>,
{
    let mut report = DiffReport::default();
    let (mut sb, mut sa) = (before.scratch(), after.scratch());
    let posture_names: std::collections::HashMap<&str, &str> = before
        .config()
        .posture_rules
        .iter()
        .chain(&after.config().posture_rules)
        .map(|r| (r.id.as_str(), r.name.as_str()))
        .collect();
    let (gnb, gna) = (group_names(before), group_names(after));
    for (i, bytes) in lines.into_iter().enumerate() {
        let line = i + 1;
        let bytes = bytes.as_ref();
        let Ok(text) = std::str::from_utf8(bytes) else {
            report.contexts += 1;
            report.error(line);
            continue;
        };
        let (Some(b), Some(a)) = (
            decide_line(before, &mut sb, line, text, false),
            decide_line(after, &mut sa, line, text, false),
        ) else {
            continue;
        };
        report.contexts += 1;
        match (b, a) {
            (Record::Decision(b), Record::Decision(a)) => {
                if let Some(mut c) = compare(&b, &a, &posture_names, (&gnb, &gna), &mut report) {
                    // A gained or lost group: which of its rules flipped,
                    // read again with explanations (changed contexts only).
                    if !c.gained.is_empty() || !c.lost.is_empty() {
                        c.flipped = flipped_rules(before, after, &mut sb, &mut sa, text, &c);
                        for (group, rule, change) in &c.flipped {
                            *report
                                .changes
                                .entry((
                                    "access_group_rule".to_string(),
                                    group.clone(),
                                    format!("{rule}: {change}"),
                                ))
                                .or_insert(0) += 1;
                        }
                    }
                    report.changed += 1;
                    if report.changed_contexts.len() < keep {
                        // Read again only for the examples kept.
                        c.who = who(text);
                        report.changed_contexts.push(c);
                    }
                }
            }
            _ => report.error(line),
        }
    }
    report
}

impl DiffReport {
    fn error(&mut self, line: usize) {
        self.errors += 1;
        if self.error_lines.len() < ERROR_LINES_KEPT {
            self.error_lines.push(line);
        }
    }

    /// The summary object of `decision.md` §4.
    pub fn summary_json(&self) -> Value {
        let changes: Vec<Value> = self
            .changes
            .iter()
            .map(|((kind, b, a), count)| match kind.as_str() {
                "access_group_gained" | "access_group_lost" => {
                    json!({"kind": kind, "group": b, "count": count})
                }
                "access_group_membership" => {
                    json!({"kind": kind, "group": b, "change": a, "count": count})
                }
                "posture" => json!({"kind": kind, "rule": b, "change": a, "count": count}),
                "access_group_rule" => {
                    json!({"kind": kind, "group": b, "rule_change": a, "count": count})
                }
                "application" => {
                    let (x, y) = a.split_once(" -> ").unwrap_or((a.as_str(), ""));
                    json!({"kind": kind, "application": b, "before": x, "after": y, "count": count})
                }
                _ => json!({"kind": kind, "before": b, "after": a, "count": count}),
            })
            .collect();
        json!({"contexts": self.contexts, "changed": self.changed, "errors": self.errors, "error_lines": self.error_lines, "changes": changes})
    }

    /// The whole report as JSON, with at most `limit` changed contexts.
    pub fn to_json(&self, limit: usize) -> Value {
        json!({"summary": self.summary_json(), "changed": self.changed_contexts.iter().take(limit).map(ContextChange::to_json).collect::<Vec<_>>()})
    }

    /// Markdown for a pull-request comment: the summary, a table of changes
    /// by count, then up to `limit` examples.
    pub fn to_markdown(&self, limit: usize) -> String {
        use std::fmt::Write;
        let cell = |s: &str| s.replace('|', "\\|");
        let mut out = format!(
            "**zt-eval diff**: {} contexts, {} changed",
            self.contexts, self.changed
        );
        if self.errors > 0 {
            let _ = write!(out, ", {} could not be decided", self.errors);
        }
        out.push_str("\n\n");
        if self.changes.is_empty() {
            out.push_str("No decision changes.\n");
            return out;
        }
        out.push_str("| change | before | after | contexts |\n|---|---|---|---:|\n");
        let mut rows: Vec<(&(String, String, String), &usize)> = self.changes.iter().collect();
        rows.sort_by(|a, b| b.1.cmp(a.1));
        for ((kind, b, a), n) in rows {
            let (what, b, a) = match kind.as_str() {
                "access_group_gained" => (format!("gained group {b}"), "", ""),
                "access_group_lost" => (format!("lost group {b}"), "", ""),
                "access_group_membership" => {
                    let (x, y) = a.split_once(" -> ").unwrap_or((a.as_str(), ""));
                    (format!("group {b}"), x, y)
                }
                "posture" => {
                    let (x, y) = a.split_once(" -> ").unwrap_or((a.as_str(), ""));
                    (format!("posture {b}"), x, y)
                }
                "access_group_rule" => (format!("group {b}: {a}"), "", ""),
                "application" => {
                    let (x, y) = a.split_once(" -> ").unwrap_or((a.as_str(), ""));
                    (format!("application {b}"), x, y)
                }
                k => (k.replace('_', " "), b.as_str(), a.as_str()),
            };
            let _ = writeln!(out, "| {} | {} | {} | {n} |", cell(&what), cell(b), cell(a));
        }
        let shown: Vec<&ContextChange> = self.changed_contexts.iter().take(limit).collect();
        if !shown.is_empty() {
            let _ = writeln!(
                out,
                "\n<details><summary>{} example(s)</summary>\n",
                shown.len()
            );
            for c in shown {
                let id = c.label();
                let _ = writeln!(out, "- `{}`: {}", cell(&id), cell(&c.parts().join("; ")));
            }
            out.push_str("\n</details>\n");
        }
        out
    }

    /// The text form: the summary, the counts, then up to `limit` examples.
    pub fn to_text(&self, limit: usize) -> String {
        use std::fmt::Write;
        let mut out = format!("{} contexts, {} changed", self.contexts, self.changed);
        if self.errors > 0 {
            out.push_str(&undecided(self.errors, &self.error_lines));
        }
        out.push('\n');
        let mut rows: Vec<(&(String, String, String), &usize)> = self.changes.iter().collect();
        rows.sort_by(|a, b| b.1.cmp(a.1));
        for ((kind, b, a), n) in rows {
            let what = match kind.as_str() {
                "access_group_gained" => format!("gained group {b}"),
                "access_group_membership" => format!("group {b}: {a}"),
                "access_group_lost" => format!("lost group {b}"),
                "posture" => format!("posture {b}: {a}"),
                "access_group_rule" => format!("  group {b}: {a}"),
                "application" => format!("{b} {a}"),
                k => format!("{} {b} -> {a}", k.replace('_', " ")),
            };
            let _ = writeln!(out, "  {n:>7}  {what}");
        }
        if !self.changed_contexts.is_empty() && limit > 0 {
            let _ = writeln!(out, "examples:");
            for c in self.changed_contexts.iter().take(limit) {
                let id = c.label();
                let parts = c.parts();
                let _ = writeln!(out, "  {id}: {}", parts.join("; "));
            }
        }
        out
    }
}
