//! Posture rule + context -> passed, failed or unknown, and why (`config.md` §5).
//!
//! A result the context names (`device.posture`) wins. Otherwise the types that
//! can be computed from device facts are, reading **every** condition of the
//! rule's `input`: a condition the context cannot show (a Linux distribution,
//! `os_version_extra`, a disk by name, a value not among the known items of an
//! incomplete list) or one this reader does not know makes the result unknown,
//! never passed. Every other type is unknown unless the context names it.

use crate::config::{List, PostureRule};
use crate::subject::Subject;
use serde_json::Value;
use std::cmp::Ordering;

/// The outcome of one posture rule for one device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PostureResult {
    /// Passes.
    Passed,
    /// Fails.
    Failed,
    /// Cannot be known from the context; the reason names what it lacks.
    Unknown(String),
}

/// One posture rule's result and how it was reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostureCheck {
    /// Passed, failed or unknown (with the reason).
    pub result: PostureResult,
    /// `given` (named by the context), `computed` (from device facts) or
    /// `unknown`, and for a computed result, what it was computed from.
    pub how: String,
}

/// Builds results, with their reasons only when asked for: a decision without
/// explanation allocates no text per posture rule.
#[derive(Clone, Copy)]
struct Say(bool);

impl Say {
    fn text(self, f: impl FnOnce() -> String) -> String {
        if self.0 { f() } else { String::new() }
    }

    fn given(self, result: PostureResult) -> PostureCheck {
        PostureCheck {
            result,
            how: self.text(|| "given by the context's `device.posture`".into()),
        }
    }

    fn computed(self, passed: bool, from: impl FnOnce() -> String) -> PostureCheck {
        PostureCheck {
            result: if passed {
                PostureResult::Passed
            } else {
                PostureResult::Failed
            },
            how: self.text(from),
        }
    }

    fn unknown(self, why: impl FnOnce() -> String) -> PostureCheck {
        let why = self.text(why);
        PostureCheck {
            how: why.clone(),
            result: PostureResult::Unknown(why),
        }
    }
}

/// The posture types whose result can be computed from device facts, with the
/// `input` keys each reads. Any other key makes the result unknown.
const COMPUTED: &[(&str, Computed, &[&str])] = &[
    (
        "firewall",
        Computed::Firewall,
        &["enabled", "operating_system"],
    ),
    (
        "disk_encryption",
        Computed::DiskEncryption,
        &["requireAll", "checkDisks", "operating_system"],
    ),
    (
        "domain_joined",
        Computed::DomainJoined,
        &["domain", "operating_system"],
    ),
    (
        "serial_number",
        Computed::SerialNumber,
        &["id", "operating_system"],
    ),
    ("warp", Computed::Warp, &["operating_system"]),
    ("gateway", Computed::Gateway, &["operating_system"]),
    (
        "os_version",
        Computed::OsVersion,
        &[
            "version",
            "operator",
            "operating_system",
            "os_distro_name",
            "os_distro_revision",
            "os_version_extra",
        ],
    ),
];

/// Whether zt-eval computes a rule of this `type` from the context's device
/// facts; the others come from an integration and only the context's
/// `device.posture` can give their result.
pub fn is_computed(kind: &str) -> bool {
    COMPUTED.iter().any(|(k, ..)| *k == kind)
}

/// Why the context's given result for posture rule `id` cannot be trusted:
/// the context dates its results (`device.posture.timestamps`, as identity
/// records do) and this one is older than `expiration` when the identity was
/// issued (`identity.issued_at`), or its age cannot be told. Deterministic:
/// never relative to when zt-eval runs. `None`: fresh, not given, or nothing
/// to compare.
/// `given` says whether the context names the rule (found once by the
/// caller, not searched for here per rule).
fn stale(
    s: &Subject,
    id: &str,
    given: Given,
    expiration: Option<std::time::Duration>,
) -> Option<String> {
    let expiration = expiration?;
    let p = s.device.posture.as_ref()?;
    let times = p.timestamps.as_ref()?;
    if !(given.passed || given.failed) {
        return None;
    }
    let (Some(iat), Some(ts)) = (s.identity.issued_at, times.get(id)) else {
        return Some(
            "the context gives no `issued_at` (an identity record's `iat`) or no timestamp for the result, so its age against the rule's expiration cannot be told".into(),
        );
    };
    let Ok(at) = humantime::parse_rfc3339_weak(ts) else {
        return Some(format!("the result's timestamp cannot be read (`{ts}`)"));
    };
    let at = at
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    (iat - at > expiration.as_secs_f64()).then(|| {
        format!(
            "the result from {ts} is older than the rule's expiration ({}) when the identity was issued",
            humantime::format_duration(expiration)
        )
    })
}

/// `os_version` conditions a context cannot show: present, they make it unknown.
const UNSHOWABLE: &[&str] = &["os_distro_name", "os_distro_revision", "os_version_extra"];

/// The posture types zt-eval computes from device facts (`COMPUTED`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Computed {
    Firewall,
    DiskEncryption,
    DomainJoined,
    SerialNumber,
    Warp,
    Gateway,
    OsVersion,
}

/// What deciding a rule needs of the rule alone, worked out once per
/// configuration (`Plan::of`) rather than for every context: its type found
/// among `COMPUTED` and its `input` keys checked once, not compared as text
/// for each context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Plan {
    /// A computed type whose every `input` key is one it reads.
    Computed(Computed),
    /// Another type: only `device.posture` gives its result.
    Integration,
    /// A computed type with an `input` key (named) this reader cannot check.
    Uncheckable(String),
}

impl Plan {
    /// The plan of `rule`.
    pub(crate) fn of(rule: &PostureRule) -> Plan {
        let kind = rule.kind.as_str();
        let Some(&(_, computed, keys)) = COMPUTED.iter().find(|(k, ..)| *k == kind) else {
            return Plan::Integration;
        };
        if let Value::Object(obj) = &rule.input {
            for (key, v) in obj {
                if !keys.contains(&key.as_str()) && present(Some(v)).is_some() {
                    return Plan::Uncheckable(key.clone());
                }
            }
        }
        Plan::Computed(computed)
    }
}

/// A configuration list as a posture rule reads it: its items, and where the
/// engine has one, a set of them (`Engine::list_ref`), so a serial number is
/// found without a search of every item; the reference interpreter searches.
#[derive(Clone, Copy)]
pub(crate) struct ListRef<'c> {
    pub(crate) list: &'c List,
    pub(crate) items: Option<&'c crate::hash::TextSet<String>>,
}

impl ListRef<'_> {
    /// Whether `item` is one of the list's known items.
    fn contains(&self, item: &str) -> bool {
        match self.items {
            Some(set) => set.contains(item),
            None => self.list.items.iter().any(|i| i == item),
        }
    }
}

/// Decides one posture rule for one context. `list` finds a configuration list
/// by id. With `detail`, the result says how it was reached (and an unknown one
/// why); without, its texts are empty and nothing is allocated for them.
pub fn evaluate<'c>(
    rule: &PostureRule,
    s: &Subject,
    list: &dyn Fn(&str) -> Option<ListRef<'c>>,
    detail: bool,
) -> PostureCheck {
    evaluate_planned(rule, &Plan::of(rule), Given::of(rule, s), s, list, detail)
}

/// Whether the context's given results (`device.posture`) name a rule as
/// passed and as failed.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Given {
    pub(crate) passed: bool,
    pub(crate) failed: bool,
}

impl Given {
    /// Found by searching the context's lists: for one rule. A caller that
    /// decides every rule matches the lists to rules once (`prepare.rs`).
    pub(crate) fn of(rule: &PostureRule, s: &Subject) -> Given {
        s.device
            .posture
            .as_ref()
            .map_or(Given::default(), |p| Given {
                passed: p.passed.contains(&rule.id),
                failed: p.failed.contains(&rule.id),
            })
    }
}

/// `evaluate` with the rule's plan (`Plan::of`) worked out beforehand.
pub(crate) fn evaluate_planned<'c>(
    rule: &PostureRule,
    plan: &Plan,
    given: Given,
    s: &Subject,
    list: &dyn Fn(&str) -> Option<ListRef<'c>>,
    detail: bool,
) -> PostureCheck {
    let say = Say(detail);
    // A given result older than the rule allows (an identity record's) is unknown.
    if let Some(reason) = stale(s, &rule.id, given, rule.expiration) {
        return say.unknown(|| reason);
    }
    if given.passed {
        return say.given(PostureResult::Passed);
    }
    if given.failed {
        return say.given(PostureResult::Failed);
    }
    let kind = match plan {
        Plan::Computed(kind) => *kind,
        Plan::Integration => {
            return say.unknown(|| format!(
                "a `{}` result comes from its integration: the context's `device.posture` does not name it",
                rule.kind
            ));
        }
        Plan::Uncheckable(key) => {
            return say.unknown(|| format!("the rule's `input.{key}` cannot be checked offline"));
        }
    };
    let input = |k: &str| present(input_of(rule, k));
    let os = s.device.os.as_ref().and_then(|o| o.name.as_deref());
    // The platforms the rule applies to: `input.operating_system`, else its
    // `match` platforms (as the API usually has it for `os_version`).
    let explicit = input("operating_system").and_then(Value::as_str);
    let platforms = || explicit.map_or_else(|| rule.platforms.join(", "), str::to_string);
    let applies = |os: &str| match explicit {
        Some(one) => platform_matches(one, os),
        None => rule.platforms.iter().any(|p| platform_matches(p, os)),
    };
    if explicit.is_some() || !rule.platforms.is_empty() {
        match os {
            None => {
                return say.unknown(|| {
                    format!(
                        "the rule applies to {} and the context gives no `device.os.name`",
                        platforms()
                    )
                });
            }
            Some(os) if !applies(os) => {
                return say.computed(false, || {
                    format!("the rule applies to {}, not to {os}", platforms())
                });
            }
            Some(_) => {}
        }
    }
    let facts = &s.device.facts;
    let fact = |v: Option<bool>, name: &str, want: bool| match v {
        Some(have) => say.computed(have == want, || {
            format!("computed from `device.facts.{name}`: {have}")
        }),
        None => say.unknown(|| format!("the context gives no `device.facts.{name}`")),
    };
    match kind {
        Computed::Firewall => {
            let want = input("enabled").and_then(Value::as_bool).unwrap_or(true);
            fact(facts.firewall, "firewall", want)
        }
        Computed::Warp => fact(facts.warp, "warp", true),
        Computed::Gateway => fact(facts.gateway, "gateway", true),
        Computed::DiskEncryption => disk_encryption(say, rule, facts.disk_encrypted),
        Computed::DomainJoined => match (&facts.domain, input("domain").and_then(Value::as_str)) {
            (_, None) => say.unknown(|| "the rule's `input.domain` is missing".into()),
            (None, _) => say.unknown(|| "the context gives no `device.facts.domain`".into()),
            (Some(d), Some(want)) => say.computed(d.eq_ignore_ascii_case(want), || {
                format!("computed from `device.facts.domain`: {d}")
            }),
        },
        Computed::SerialNumber => serial_number(say, rule, s, list),
        Computed::OsVersion => os_version(say, rule, s, os),
    }
}

/// The rule's `input.<key>` (`json::field`: every context reads every rule's
/// input).
fn input_of<'r>(rule: &'r PostureRule, key: &str) -> Option<&'r Value> {
    match &rule.input {
        Value::Object(obj) => crate::json::field(obj, key),
        _ => None,
    }
}

/// A JSON value that says something: not null, not an empty string.
fn present(v: Option<&Value>) -> Option<&Value> {
    v.filter(|v| !v.is_null() && v.as_str() != Some(""))
}

/// `device.facts.disk_encrypted` says every disk is encrypted. A rule that
/// needs only some disks, or named ones, is unknown when it says not.
fn disk_encryption(say: Say, rule: &PostureRule, encrypted: Option<bool>) -> PostureCheck {
    let require_all = present(input_of(rule, "requireAll"))
        .and_then(Value::as_bool)
        .unwrap_or(true);
    let named = present(input_of(rule, "checkDisks"))
        .and_then(Value::as_array)
        .is_some_and(|d| !d.is_empty());
    match encrypted {
        None => say.unknown(|| "the context gives no `device.facts.disk_encrypted`".into()),
        Some(true) => say.computed(true, || "computed from `device.facts.disk_encrypted`: true".into()),
        Some(false) if named => say.unknown(|| "the rule checks named disks and the context says only that not every disk is encrypted".into()),
        Some(false) if !require_all => say.unknown(|| "the rule needs some disk encrypted and the context says only that not every disk is".into()),
        Some(false) => say.computed(false, || "computed from `device.facts.disk_encrypted`: false".into()),
    }
}

fn serial_number<'c>(
    say: Say,
    rule: &PostureRule,
    s: &Subject,
    list: &dyn Fn(&str) -> Option<ListRef<'c>>,
) -> PostureCheck {
    let Some(id) = present(input_of(rule, "id")).and_then(Value::as_str) else {
        return say.unknown(|| "the rule's `input.id` (a serial number list) is missing".into());
    };
    let Some(found) = list(id) else {
        return say.unknown(|| format!("the list `{id}` is not in the configuration"));
    };
    let Some(serial) = &s.device.serial_number else {
        return say.unknown(|| "the context gives no `device.serial_number`".into());
    };
    let l = found.list;
    if found.contains(serial) {
        return say.computed(true, || format!("`{serial}` is in the list {}", l.name));
    }
    match l.count {
        Some(count) if count > l.items.len() => say.unknown(|| format!(
            "`{serial}` is not among the {} known items of the incomplete list {} ({count} items)",
            l.items.len(),
            l.name
        )),
        _ => say.computed(false, || format!("`{serial}` is not in the list {}", l.name)),
    }
}

fn os_version(say: Say, rule: &PostureRule, s: &Subject, os: Option<&str>) -> PostureCheck {
    for key in UNSHOWABLE {
        if present(input_of(rule, key)).is_some() {
            return say
                .unknown(|| format!("the rule's `input.{key}` cannot be shown by a context"));
        }
    }
    let input = |k: &str| present(input_of(rule, k)).and_then(Value::as_str);
    let (Some(want), Some(op)) = (input("version"), input("operator")) else {
        return say.unknown(|| "the rule's `input.version` or `input.operator` is missing".into());
    };
    if os.is_none() {
        return say.unknown(|| "the context gives no `device.os.name`".into());
    }
    let Some(have) = s.device.os.as_ref().and_then(|o| o.version.as_deref()) else {
        return say.unknown(|| "the context gives no `device.os.version`".into());
    };
    match (semver(have), semver(want), compare(op)) {
        (Some(a), Some(b), Some(test)) => say.computed(test(a.cmp(&b)), || {
            format!("computed from `device.os.version`: {have} {op} {want}")
        }),
        (None, _, _) => say.unknown(|| format!("`device.os.version` `{have}` is not a version")),
        (_, None, _) => say.unknown(|| format!("the rule's version `{want}` is not a version")),
        (_, _, None) => {
            say.unknown(|| format!("the rule's operator `{op}` is not one of < <= > >= =="))
        }
    }
}

/// Cloudflare names macOS `mac`; posture inputs may say `macos`.
fn platform_matches(platform: &str, os: &str) -> bool {
    platform.eq_ignore_ascii_case(os) || (platform.eq_ignore_ascii_case("macos") && os == "mac")
}

/// `1.2` -> `[1, 2, 0]`; a non-numeric component makes it no version.
pub fn semver(v: &str) -> Option<[u64; 3]> {
    let mut out = [0u64; 3];
    let mut parts = v.trim().split('.');
    for slot in &mut out {
        match parts.next() {
            Some(p) => *slot = p.parse().ok()?,
            None => break,
        }
    }
    parts.next().is_none().then_some(out)
}

fn compare(op: &str) -> Option<fn(Ordering) -> bool> {
    Some(match op {
        "<" => Ordering::is_lt,
        "<=" => Ordering::is_le,
        ">" => Ordering::is_gt,
        ">=" => Ordering::is_ge,
        "==" => Ordering::is_eq,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(kind: &str, input: Value) -> PostureRule {
        PostureRule {
            id: "r".into(),
            name: "r".into(),
            kind: kind.into(),
            input,
            platforms: Vec::new(),
            expiration: None,
            path: String::new(),
            file: String::new(),
        }
    }

    /// Each type's plan, and a computed type with a key it cannot check (an
    /// empty or null value says nothing, so it is no obstacle).
    #[test]
    fn plans() {
        use serde_json::json;
        assert_eq!(
            Plan::of(&rule("crowdstrike_s2s", json!({}))),
            Plan::Integration
        );
        assert_eq!(
            Plan::of(&rule("firewall", json!({"enabled": true}))),
            Plan::Computed(Computed::Firewall)
        );
        assert_eq!(
            Plan::of(&rule(
                "os_version",
                json!({"version": "1", "os_distro_name": ""})
            )),
            Plan::Computed(Computed::OsVersion)
        );
        assert_eq!(
            Plan::of(&rule(
                "firewall",
                json!({"enabled": true, "sensor_config": "x"})
            )),
            Plan::Uncheckable("sensor_config".into())
        );
        // Every computed type has its own plan: its table entry's, and no
        // two alike.
        let mut seen = Vec::new();
        for &(kind, computed, _) in COMPUTED {
            assert_eq!(
                Plan::of(&rule(kind, json!({}))),
                Plan::Computed(computed),
                "{kind}"
            );
            assert!(!seen.contains(&computed), "{kind} shares its plan");
            seen.push(computed);
        }
        for (kind, computed) in [
            ("disk_encryption", Computed::DiskEncryption),
            ("domain_joined", Computed::DomainJoined),
            ("serial_number", Computed::SerialNumber),
            ("warp", Computed::Warp),
            ("gateway", Computed::Gateway),
        ] {
            assert_eq!(Plan::of(&rule(kind, json!({}))), Plan::Computed(computed));
        }
        let s = Subject::default();
        let none = |_: &str| None;
        let check = evaluate(&rule("crowdstrike_s2s", json!({})), &s, &none, true);
        assert!(
            check.how.contains("comes from its integration"),
            "{check:?}"
        );
    }

    #[test]
    fn versions() {
        assert_eq!(semver("1.2"), Some([1, 2, 0]));
        assert_eq!(semver("14.5.0"), Some([14, 5, 0]));
        assert_eq!(semver("1.2.3.4"), None);
        assert_eq!(semver("x"), None);
    }
}
