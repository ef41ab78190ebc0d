//! Running one test: its expectations checked against the decision
//! (`tests.md` §1–2). An undetermined result satisfies no expectation of a
//! determined one; a name the configuration lacks (or shares between two
//! resources) makes the test invalid, not failed.

use super::coverage::Coverage;
use super::suite::{TestCase, app_expect};
use crate::config::{Application, Config, Group, PostureRule, Profile};
use crate::decision::{AppResult, ProfileKind, ProfileResult, Selected};
use crate::program::Tri;
use crate::{Decision, Engine, EngineScratch};
use serde_json::{Value, json};

/// One expectation that did not hold.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    /// The expectation as written: `{"device_profile": "Developers"}`.
    pub expect: Value,
    /// What came out, in the same shape.
    pub got: Value,
    /// The explanation of the part that differed, line by line.
    pub why: Vec<String>,
}

/// What running a test gave.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Every expectation held.
    Passed,
    /// Some did not.
    Failed(Vec<Failure>),
    /// The test cannot be run: a name the configuration lacks, a bad context.
    Invalid(String),
}

/// Finds a resource by id, else by name (exactly, else without case), among
/// `items`; `what` names the kind in messages.
fn find<'c, T>(
    items: &'c [T],
    want: &str,
    what: &str,
    id: impl Fn(&T) -> Option<&str>,
    name: impl Fn(&T) -> &str,
) -> Result<&'c T, String> {
    if let Some(x) = items.iter().find(|x| id(x) == Some(want)) {
        return Ok(x);
    }
    for exact in [true, false] {
        let hits: Vec<&T> = items
            .iter()
            .filter(|x| {
                if exact {
                    name(x) == want
                } else {
                    name(x).eq_ignore_ascii_case(want)
                }
            })
            .collect();
        match hits.as_slice() {
            [one] => return Ok(one),
            [] => {}
            _ => {
                return Err(format!(
                    "{} {what}s are named `{want}`: name it by id",
                    hits.len()
                ));
            }
        }
    }
    Err(format!(
        "the configuration has no {what} `{want}`{}",
        crate::diag::names_hint(want, items.iter().map(&name))
    ))
}

/// Each name with what it names.
fn named<'a, 'c, T>(
    names: &'a [String],
    find: impl Fn(&str) -> Result<&'c T, String>,
) -> Result<Vec<(&'a String, &'c T)>, String> {
    names.iter().map(|w| find(w).map(|x| (w, x))).collect()
}

fn group<'c>(c: &'c Config, want: &str) -> Result<&'c Group, String> {
    find(
        &c.groups,
        want,
        "group",
        |g| Some(g.id.as_str()),
        |g| g.name.as_str(),
    )
}

fn posture<'c>(c: &'c Config, want: &str) -> Result<&'c PostureRule, String> {
    find(
        &c.posture_rules,
        want,
        "posture rule",
        |r| Some(r.id.as_str()),
        |r| r.name.as_str(),
    )
}

fn app<'c>(c: &'c Config, want: &str) -> Result<&'c Application, String> {
    find(
        &c.applications,
        want,
        "application",
        |a| a.id.as_deref(),
        |a| a.name.as_str(),
    )
}

/// `default`, or a profile of `profiles`.
fn profile<'c>(
    profiles: &'c [Profile],
    want: &str,
    what: &str,
) -> Result<Option<&'c Profile>, String> {
    if want == "default" {
        return Ok(None);
    }
    find(
        profiles,
        want,
        what,
        |p| p.id.as_deref(),
        |p| p.name.as_str(),
    )
    .map(Some)
}

/// Runs one test on its context (already read), deciding it with
/// explanation; every decision made is added to `coverage` when given.
pub fn run(
    engine: &Engine,
    scratch: &mut EngineScratch,
    case: &TestCase,
    context: &Value,
    mut coverage: Option<&mut Coverage>,
) -> Outcome {
    if let Some(problem) = &case.problem {
        return Outcome::Invalid(problem.clone());
    }
    let c = engine.config();
    let e = &case.expect;
    // Every name first: an invalid test is never half run.
    let names = (|| -> Result<_, String> {
        let device = match &e.device_profile {
            Some(w) => Some((w, profile(&c.device_profiles, w, "device profile")?)),
            None => None,
        };
        let ip = match &e.ip_profile {
            Some(w) => Some((w, profile(&c.ip_profiles, w, "IP profile")?)),
            None => None,
        };
        let mut apps = Vec::new();
        for (name, want) in &e.applications {
            let a = app(c, name)?;
            let want = app_expect(want)?;
            if let Some(p) = &want.policy {
                let known = a.policies.iter().any(|entry| {
                    let policy = entry
                        .body
                        .as_ref()
                        .or_else(|| entry.reusable.and_then(|i| c.policies.get(i)));
                    policy.is_some_and(|p2| {
                        p2.name == *p
                            || p2.id.as_deref() == Some(p)
                            || entry.id.as_deref() == Some(p)
                    })
                });
                if !known {
                    return Err(format!("application {} has no policy `{p}`", a.name));
                }
            }
            apps.push((name, a, want));
        }
        Ok((
            device,
            ip,
            named(&e.member_of, |w| group(c, w))?,
            named(&e.not_member_of, |w| group(c, w))?,
            named(&e.member_unknown, |w| group(c, w))?,
            named(&e.posture_passed, |w| posture(c, w))?,
            named(&e.posture_failed, |w| posture(c, w))?,
            named(&e.posture_unknown, |w| posture(c, w))?,
            apps,
        ))
    })();
    let (device, ip, member_of, not_member_of, member_unknown, passed, failed, unknown, apps) =
        match names {
            Ok(n) => n,
            Err(m) => return Outcome::Invalid(m),
        };
    let d = match engine.decide(context, scratch, true) {
        Ok(d) => d,
        Err(err) => return Outcome::Invalid(format!("the context is invalid: {err}")),
    };
    if let Some(cov) = coverage.as_deref_mut() {
        cov.observe(&d);
    }
    let mut failures = Vec::new();
    for (want, kind, outcome, key) in [
        (
            device,
            ProfileKind::Device,
            &d.device_profile,
            "device_profile",
        ),
        (ip, ProfileKind::Ip, &d.ip_profile, "ip_profile"),
    ] {
        if let Some((written, profile)) = want
            && let Some(f) = check_profile(written, profile, kind, outcome.as_ref(), key)
        {
            failures.push(f);
        }
    }
    let members = d.access_groups.as_ref();
    let is_member =
        |g: &Group| members.is_some_and(|m| m.members.iter().any(|x| std::ptr::eq(*x, g)));
    let is_unknown =
        |g: &Group| members.is_some_and(|m| m.unknown.iter().any(|x| std::ptr::eq(x.group, g)));
    let state = |g: &Group| {
        if is_member(g) {
            "member"
        } else if is_unknown(g) {
            "unknown"
        } else {
            "not a member"
        }
    };
    for (list, key, holds) in [
        (
            &member_of,
            "member_of",
            &(|g: &Group| is_member(g)) as &dyn Fn(&Group) -> bool,
        ),
        (&not_member_of, "not_member_of", &|g: &Group| {
            !is_member(g) && !is_unknown(g)
        }),
        (&member_unknown, "member_unknown", &|g: &Group| {
            is_unknown(g)
        }),
    ] {
        for (written, g) in list {
            if !holds(g) {
                failures.push(Failure {
                    expect: json!({ key: [written] }),
                    got: json!({ (g.name.as_str()): state(g) }),
                    why: group_why(&d, g),
                });
            }
        }
    }
    let posture_of = |r: &PostureRule| match d.posture.as_ref() {
        Some(p) if p.passed.contains(&r.id) => "passed",
        Some(p) if p.failed.contains(&r.id) => "failed",
        _ => "unknown",
    };
    for (list, key, word) in [
        (&passed, "posture_passed", "passed"),
        (&failed, "posture_failed", "failed"),
        (&unknown, "posture_unknown", "unknown"),
    ] {
        for (written, r) in list {
            let got = posture_of(r);
            if got != word {
                let why = d
                    .unknown
                    .iter()
                    .map(ToString::to_string)
                    .filter(|u| u.contains(&r.id))
                    .collect();
                failures.push(Failure {
                    expect: json!({ key: [written] }),
                    got: json!({ (r.name.as_str()): got }),
                    why,
                });
            }
        }
    }
    for (written, a, want) in &apps {
        let outcome = d
            .applications
            .iter()
            .flatten()
            .find(|o| std::ptr::eq(o.app, *a));
        let Some(o) = outcome else { continue };
        let (word, policy, requires) = match &o.result {
            AppResult::One(v) => (
                v.decision.as_str(),
                v.by.map(|b| {
                    (
                        b.policy.name.clone(),
                        b.policy.id.clone(),
                        b.entry.id.clone(),
                    )
                }),
                v.by.map(|b| b.requires()).unwrap_or_default(),
            ),
            AppResult::Undetermined(_) => ("unknown", None, Vec::new()),
        };
        let mut ok = word == want.decision;
        if let Some(p) = &want.policy {
            ok &= policy.as_ref().is_some_and(|(name, id, entry)| {
                name == p || id.as_deref() == Some(p) || entry.as_deref() == Some(p)
            });
        }
        if let Some(r) = &want.requires {
            let mut a: Vec<&str> = r.iter().map(String::as_str).collect();
            let mut b = requires.clone();
            a.sort_unstable();
            b.sort_unstable();
            ok &= a == b;
        }
        if !ok {
            let got =
                json!({"decision": word, "policy": policy.map(|p| p.0), "requires": requires});
            failures.push(Failure {
                expect: json!({"applications": {(written.as_str()): e.applications.get(written.as_str())}}),
                got: json!({"applications": {(a.name.as_str()): got}}),
                why: app_why(o),
            });
        }
    }
    // Each URL: the same context asking for it.
    for (url, want) in &e.access {
        let mut ctx = match crate::subject::record::record_of(context) {
            Some(r) => crate::subject::record::to_context(r),
            None => context.clone(),
        };
        if let Some(obj) = ctx.as_object_mut() {
            let req = obj.entry("request").or_insert_with(|| json!({}));
            if let Some(r) = req.as_object_mut() {
                r.shift_remove("destination");
                r.insert("url".into(), url.clone().into());
            }
        }
        let d = match engine.decide(&ctx, scratch, true) {
            Ok(d) => d,
            Err(err) => return Outcome::Invalid(format!("access {url}: {err}")),
        };
        if let Some(cov) = coverage.as_deref_mut() {
            cov.observe(&d);
        }
        let got = d.access.as_ref().map_or("not_protected", |a| a.word());
        if Some(got) != want.as_str() {
            let why = match d.access.as_ref().map(|a| &a.protected) {
                Some(Ok((app, _))) => {
                    let mut lines = vec![format!("application {} protects it", app.name)];
                    lines.extend(
                        d.applications
                            .iter()
                            .flatten()
                            .find(|o| std::ptr::eq(o.app, *app))
                            .map(app_why)
                            .unwrap_or_default(),
                    );
                    lines
                }
                Some(Err(crate::decision::Unmatched::Deny)) => vec![
                    "no application covers it, and the organization denies unmatched requests (`deny_unmatched_requests`)".into(),
                ],
                Some(Err(crate::decision::Unmatched::NotProtected)) | None => {
                    vec!["no application covers it".into()]
                }
            };
            failures.push(Failure {
                expect: json!({"access": {(url.as_str()): want}}),
                got: json!({"access": {(url.as_str()): got}}),
                why,
            });
        }
    }
    if failures.is_empty() {
        Outcome::Passed
    } else {
        Outcome::Failed(failures)
    }
}

/// A profile expectation: `None` when it holds.
fn check_profile(
    written: &str,
    want: Option<&Profile>,
    kind: ProfileKind,
    outcome: Option<&crate::decision::ProfileOutcome<'_>>,
    key: &str,
) -> Option<Failure> {
    let got = outcome.map(|o| &o.selected);
    let ok = match (got, want) {
        (Some(Selected::Match(p) | Selected::Default(Some(p))), Some(want)) => {
            std::ptr::eq(*p, want)
        }
        (Some(Selected::Default(_)), None) => true,
        _ => false,
    };
    if ok {
        return None;
    }
    let why = outcome
        .and_then(|o| o.checked.as_ref())
        .map(|checked| {
            checked
                .iter()
                .map(|p| {
                    let because = if p.because.is_empty() {
                        String::new()
                    } else {
                        format!(": {}", p.because.join("; "))
                    };
                    format!("{} ({}){because}", p.profile.name, p.result.as_str())
                })
                .collect()
        })
        .unwrap_or_default();
    Some(Failure {
        expect: json!({ key: written }),
        got: json!({ key: got.map_or_else(|| "none (no profiles)".to_string(), |s| s.label(kind)) }),
        why,
    })
}

/// A group's rules and their results, for a failure.
fn group_why(d: &Decision<'_>, g: &Group) -> Vec<String> {
    let Some(why) = d
        .access_groups
        .as_ref()
        .and_then(|m| m.why.as_ref())
        .and_then(|w| w.iter().find(|w| std::ptr::eq(w.group, g)))
    else {
        return Vec::new();
    };
    let mut out: Vec<String> = why
        .include
        .iter()
        .chain(&why.require)
        .chain(&why.exclude)
        .map(|r| format!("{} {}: {}", r.rule.path, r.rule.json, tri(r.result)))
        .collect();
    if !why.missing.is_empty() {
        out.push(format!("the context lacks {}", why.missing.join(", ")));
    }
    out.extend(why.unknown.iter().cloned());
    out
}

/// An application's policies as checked, for a failure.
fn app_why(o: &crate::decision::AppOutcome<'_>) -> Vec<String> {
    o.why
        .iter()
        .flatten()
        .map(|p| {
            let result = match (p.result, &p.skipped) {
                (Some(t), _) => tri(t).to_string(),
                (None, Some(s)) => format!("skipped ({s:?})"),
                (None, None) => "not reached".into(),
            };
            let rules: Vec<String> = p
                .include
                .iter()
                .chain(&p.require)
                .chain(&p.exclude)
                .map(|r| format!("{} {}: {}", r.rule.path, r.rule.json, tri(r.result)))
                .collect();
            format!(
                "policy {} ({}): {result}{}",
                p.decider.policy.name,
                p.decider.policy.decision.as_str(),
                if rules.is_empty() {
                    String::new()
                } else {
                    format!(" [{}]", rules.join("; "))
                }
            )
        })
        .collect()
}

fn tri(t: Tri) -> &'static str {
    match t {
        Tri::True => "true",
        Tri::False => "false",
        Tri::Unknown => "unknown",
    }
}

/// A checked profile's `match` as a three-valued result; `None`: disabled.
pub(super) fn profile_hit(r: ProfileResult) -> Option<Tri> {
    match r {
        ProfileResult::Match => Some(Tri::True),
        ProfileResult::NoMatch => Some(Tri::False),
        ProfileResult::Unknown => Some(Tri::Unknown),
        _ => None,
    }
}
