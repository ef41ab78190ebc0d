//! `Decision`: everything the engine says about one context, as a typed value
//! (`decision.md` §1–§2). It borrows the configuration's records from the engine
//! (`'e`), so building one copies no name, id or settings. `Serialize` renders
//! the contract's JSON; the batch writer (`write.rs`) writes the same bytes
//! without building it.

use super::decide::Pick;
use crate::config::{Group, List, PostureRule, Profile, RuleAt};
use crate::program::Tri;
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

pub use super::apps::AllowBlocked;
pub use super::apps::outcome::{
    AccessOutcome, AppOutcome, AppResult, CheckedPolicy, Decider, Unmatched, Verdict,
};

/// The JSON Schema of a decision (`zt-eval schema decision`): written by hand
/// beside the renderer, and checked against every corpus decision
/// (tests/schema.rs).
pub fn json_schema() -> serde_json::Value {
    serde_json::from_str(include_str!("../../schemas/decision.schema.json")).unwrap_or_default()
}

/// The pool a device gets when no IP profile matches (`config.md` §6).
pub const DEFAULT_IP_POOL: &str = "100.96.0.0/12";

/// One context's decision. A part whose resource kind the configuration does
/// not have is `None` (and absent from the JSON).
#[derive(Debug, Clone)]
pub struct Decision<'e> {
    /// The context's `id`, echoed so that batch output joins back to its input.
    pub id: Option<ContextId>,
    /// The device settings profile that applies.
    pub device_profile: Option<ProfileOutcome<'e>>,
    /// The IP profile that applies.
    pub ip_profile: Option<ProfileOutcome<'e>>,
    /// The Access groups the context is a member of.
    pub access_groups: Option<GroupsOutcome<'e>>,
    /// Posture rule results, by rule id.
    pub posture: Option<PostureOutcome>,
    /// Every Access application's answer, in input order.
    pub applications: Option<Vec<super::apps::outcome::AppOutcome<'e>>>,
    /// The application protecting the context's request (`request.url` or
    /// `request.destination`), when it names one.
    pub access: Option<super::apps::outcome::AccessOutcome<'e>>,
    /// Every unknown input behind an undetermined part of the decision
    /// (`config.md` §9); empty when the decision is fully determined.
    pub unknown: Vec<UnknownInput<'e>>,
    /// Warnings about the context (e.g. an unknown OS name).
    pub warnings: Vec<String>,
    /// The context was read from Cloudflare's identity record (`context.md`).
    pub from_identity_record: bool,
}

/// An input that cannot be known offline and that a part of the decision read.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum UnknownInput<'e> {
    /// A posture rule whose result the context neither gives nor lets zt-eval
    /// compute; `reason` says what the context lacks.
    Posture {
        /// The rule.
        rule: &'e PostureRule,
        /// What the context lacks.
        reason: String,
    },
    /// A list some of whose items are not known, read with a value not among
    /// the known ones.
    List(&'e List),
    /// A `cloudflare_account_member` rule.
    AccountMember,
    /// IdP group rules on a context whose groups are not known (`unknown`:
    /// an identity record without groups, a population without a source).
    IdentityGroups,
    /// A service token given by its Client ID that no `access_service_tokens`
    /// entry translates.
    ServiceToken(String),
    /// A Terraform value known only after apply (`address.attribute`).
    AfterApply(String),
}

/// The same input: the same record (by address) and reason.
impl PartialEq for UnknownInput<'_> {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (
                UnknownInput::Posture { rule: a, reason: x },
                UnknownInput::Posture { rule: b, reason: y },
            ) => std::ptr::eq(*a, *b) && x == y,
            (UnknownInput::List(a), UnknownInput::List(b)) => std::ptr::eq(*a, *b),
            (UnknownInput::AccountMember, UnknownInput::AccountMember) => true,
            (UnknownInput::IdentityGroups, UnknownInput::IdentityGroups) => true,
            (UnknownInput::ServiceToken(a), UnknownInput::ServiceToken(b))
            | (UnknownInput::AfterApply(a), UnknownInput::AfterApply(b)) => a == b,
            _ => false,
        }
    }
}

impl std::fmt::Display for UnknownInput<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UnknownInput::Posture { rule, reason } => {
                write!(f, "posture rule {} ({}): {reason}", rule.name, rule.id)
            }
            UnknownInput::List(l) => write!(
                f,
                "list {} ({}) is incomplete: {}",
                l.name,
                l.id,
                list_reason(l)
            ),
            UnknownInput::AccountMember => {
                f.write_str("a `cloudflare_account_member` rule cannot be known offline")
            }
            UnknownInput::IdentityGroups => f.write_str("the context's IdP groups are not known"),
            UnknownInput::AfterApply(what) => {
                write!(f, "`{what}` is known only after apply")
            }
            UnknownInput::ServiceToken(c) => write!(
                f,
                "the service token `{c}` is a Client ID that no `access_service_tokens` entry names"
            ),
        }
    }
}

fn list_reason(l: &List) -> String {
    format!(
        "{} of {} items known",
        l.items.len(),
        l.count.unwrap_or(l.items.len())
    )
}

/// A context's `id`: a string or a number, as written.
#[derive(Debug, Clone, PartialEq)]
pub enum ContextId {
    /// `"id": "alice-laptop"`
    Text(String),
    /// `"id": 17`
    Number(serde_json::Number),
}

impl ContextId {
    /// The id of a context's JSON value (a string or a number; else none).
    pub fn of(v: &serde_json::Value) -> Option<ContextId> {
        match v {
            serde_json::Value::String(s) => Some(ContextId::Text(s.clone())),
            serde_json::Value::Number(n) => Some(ContextId::Number(n.clone())),
            _ => None,
        }
    }
}

impl std::fmt::Display for ContextId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ContextId::Text(s) => f.write_str(s),
            ContextId::Number(n) => write!(f, "{n}"),
        }
    }
}

/// Device profiles and IP profiles render their defaults differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProfileKind {
    /// A device settings profile: the default is a profile (explicit or implicit).
    Device,
    /// An IP profile: the default is the default pool.
    Ip,
}

/// Which profile of a kind applies.
#[derive(Debug, Clone)]
pub enum Selected<'e> {
    /// The first enabled custom profile whose `match` holds.
    Match(&'e Profile),
    /// None matched: the default profile (`None`: the implicit `Default`
    /// device profile, or the default IP pool).
    Default(Option<&'e Profile>),
    /// A `match` was unknown before the first true one (`config.md` §9): any
    /// of these could apply, in order.
    Undetermined(Vec<Selected<'e>>),
}

impl<'e> Selected<'e> {
    /// The device profile for a match on custom profile `hit` (an index into
    /// `profiles`), else the default at `default`, else the implicit one.
    pub fn device(
        profiles: &'e [Profile],
        default: Option<usize>,
        hit: Option<usize>,
    ) -> Selected<'e> {
        match hit.and_then(|i| profiles.get(i)) {
            Some(p) => Selected::Match(p),
            None => Selected::Default(default.and_then(|i| profiles.get(i))),
        }
    }

    /// The IP profile for a match on profile `hit`, else the default pool.
    pub fn ip(profiles: &'e [Profile], hit: Option<usize>) -> Selected<'e> {
        match hit.and_then(|i| profiles.get(i)) {
            Some(p) => Selected::Match(p),
            None => Selected::Default(None),
        }
    }

    /// The selection a `Pick` names, by `one` (`device` or `ip` above).
    pub(crate) fn of_pick(
        pick: &Pick,
        one: impl Fn(Option<usize>) -> Selected<'e>,
    ) -> Selected<'e> {
        match pick {
            Pick::One(hit) => one(*hit),
            Pick::Undetermined(candidates) => {
                Selected::Undetermined(candidates.iter().map(|c| one(*c)).collect())
            }
        }
    }

    /// The selected profile's name: the default's name, `Default` for the
    /// implicit device profile, `None` for the default IP pool.
    pub fn name(&self, kind: ProfileKind) -> Option<&'e str> {
        match (self, kind) {
            (Selected::Match(p) | Selected::Default(Some(p)), _) => Some(&p.name),
            (Selected::Default(None), ProfileKind::Device) => Some("Default"),
            (Selected::Default(None), ProfileKind::Ip) | (Selected::Undetermined(_), _) => None,
        }
    }

    /// How a person reads it: the name, `default pool`, or `undetermined: A | B`.
    pub fn label(&self, kind: ProfileKind) -> String {
        match self {
            Selected::Undetermined(candidates) => format!(
                "undetermined: {}",
                candidates
                    .iter()
                    .map(|c| c.label(kind))
                    .collect::<Vec<_>>()
                    .join(" | ")
            ),
            other => other.name(kind).unwrap_or("default pool").to_string(),
        }
    }
}

/// The outcome of a first-match selection, with the profiles checked on the way
/// when explanation was asked for.
#[derive(Debug, Clone)]
pub struct ProfileOutcome<'e> {
    /// Device or IP.
    pub kind: ProfileKind,
    /// The profile that applies.
    pub selected: Selected<'e>,
    /// With explanation: each profile checked, in order, up to the first match.
    pub checked: Option<Vec<CheckedProfile<'e>>>,
}

/// One profile as a selection checked it (`decision.md` §2).
#[derive(Debug, Clone)]
pub struct CheckedProfile<'e> {
    /// The profile.
    pub profile: &'e Profile,
    /// What its check gave.
    pub result: ProfileResult,
    /// The atoms that decided its `match` (empty when disabled).
    pub because: Vec<String>,
}

/// What checking one profile gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProfileResult {
    /// Not enabled: skipped.
    Disabled,
    /// Its `match` holds.
    Match,
    /// Its `match` does not hold.
    NoMatch,
    /// Its `match` reads an unknown input and could be either.
    Unknown,
}

impl ProfileResult {
    /// The JSON spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ProfileResult::Disabled => "disabled",
            ProfileResult::Match => "match",
            ProfileResult::NoMatch => "no_match",
            ProfileResult::Unknown => "unknown",
        }
    }
}

/// Group membership.
#[derive(Debug, Clone)]
pub struct GroupsOutcome<'e> {
    /// Every group the context is a member of, in input order.
    pub members: Vec<&'e Group>,
    /// Every group whose membership cannot be known (`config.md` §9), with why.
    pub unknown: Vec<UnknownGroup<'e>>,
    /// With explanation: every group, rule by rule.
    pub why: Option<Vec<GroupWhy<'e>>>,
}

/// A group whose membership cannot be known.
#[derive(Debug, Clone)]
pub struct UnknownGroup<'e> {
    /// The group.
    pub group: &'e Group,
    /// The unknown inputs (and unknown groups) its rules read.
    pub because: Vec<String>,
}

/// Why a context is or is not a member of one group (`decision.md` §2).
#[derive(Debug, Clone)]
pub struct GroupWhy<'e> {
    /// The group.
    pub group: &'e Group,
    /// Whether the context is a member (or unknown).
    pub member: Tri,
    /// Each `include` rule's result.
    pub include: Vec<RuleResult<'e>>,
    /// Each `require` rule's result.
    pub require: Vec<RuleResult<'e>>,
    /// Each `exclude` rule's result.
    pub exclude: Vec<RuleResult<'e>>,
    /// Context values that were absent and that a rule needed.
    pub missing: Vec<&'static str>,
    /// The unknown inputs (and unknown groups) behind an unknown rule.
    pub unknown: Vec<String>,
}

/// One rule and its result for the context.
#[derive(Debug, Clone)]
pub struct RuleResult<'e> {
    /// The rule, with its path and JSON as written.
    pub rule: &'e RuleAt,
    /// Whether it holds (or is unknown).
    pub result: Tri,
}

/// Posture rule results, by rule id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PostureOutcome {
    /// Rules that pass (given by the context or computed from its facts).
    pub passed: Vec<String>,
    /// Rules that fail.
    pub failed: Vec<String>,
    /// Rules whose result is unknown.
    pub unknown: Vec<String>,
}

impl<'e> Decision<'e> {
    /// The device profile's name, when the configuration has device profiles.
    pub fn device_profile_name(&self) -> Option<&'e str> {
        let p = self.device_profile.as_ref()?;
        p.selected.name(p.kind)
    }

    /// The IP profile's name (`None` also for the default pool).
    pub fn ip_profile_name(&self) -> Option<&'e str> {
        let p = self.ip_profile.as_ref()?;
        p.selected.name(p.kind)
    }

    /// The names of the groups the context is a member of, in input order.
    pub fn member_names(&self) -> Vec<&'e str> {
        self.access_groups
            .iter()
            .flat_map(|g| g.members.iter().map(|g| g.name.as_str()))
            .collect()
    }
}

/// A precedence as the API writes it: an integer when it is one.
pub(super) fn precedence(p: Option<f64>) -> serde_json::Value {
    match p {
        Some(x) if x.fract() == 0.0 && x.abs() < 9.0e15 => serde_json::Value::from(x as i64),
        Some(x) => serde_json::Value::from(x),
        None => serde_json::Value::Null,
    }
}

impl Serialize for Decision<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("id", &self.id)?;
        if self.from_identity_record {
            m.serialize_entry("source", "identity_record")?;
        }
        if let Some(p) = &self.device_profile {
            m.serialize_entry("device_profile", p)?;
        }
        if let Some(p) = &self.ip_profile {
            m.serialize_entry("ip_profile", p)?;
        }
        if let Some(g) = &self.access_groups {
            m.serialize_entry("access_groups", &GroupList(&g.members))?;
            if !g.unknown.is_empty() {
                m.serialize_entry("access_groups_unknown", &g.unknown)?;
            }
            if let Some(why) = &g.why {
                m.serialize_entry("access_groups_why", why)?;
            }
        }
        if let Some(p) = &self.posture {
            m.serialize_entry("posture", p)?;
        }
        if let Some(apps) = &self.applications {
            m.serialize_entry("applications", apps)?;
        }
        if let Some(a) = &self.access {
            m.serialize_entry("access", a)?;
        }
        if let Some(apps) = &self.applications
            && apps.iter().any(|a| a.why.is_some())
        {
            let why: Vec<_> = apps.iter().map(super::apps::outcome::AppWhy).collect();
            m.serialize_entry("applications_why", &why)?;
        }
        if !self.unknown.is_empty() {
            m.serialize_entry("unknown", &self.unknown)?;
        }
        m.end()
    }
}

impl Serialize for ContextId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            ContextId::Text(t) => s.serialize_str(t),
            ContextId::Number(n) => n.serialize(s),
        }
    }
}

/// `{"id", "name"}` of each group.
pub(super) struct GroupList<'a, 'e>(pub &'a [&'e Group]);

impl Serialize for GroupList<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for g in self.0 {
            seq.serialize_element(&GroupRef(g))?;
        }
        seq.end()
    }
}

/// A group as `access_groups` lists it: `{"id", "name"}`.
pub(super) struct GroupRef<'e>(pub &'e Group);

impl Serialize for GroupRef<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("id", &self.0.id)?;
        m.serialize_entry("name", &self.0.name)?;
        m.end()
    }
}

impl Serialize for ProfileOutcome<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        match &self.selected {
            Selected::Undetermined(candidates) => {
                m.serialize_entry("undetermined", &true)?;
                let candidates: Vec<ProfileObject<'_, '_>> = candidates
                    .iter()
                    .map(|c| ProfileObject(self.kind, c))
                    .collect();
                m.serialize_entry("candidates", &candidates)?;
            }
            one => ProfileObject(self.kind, one).entries(&mut m)?,
        }
        if let Some(checked) = &self.checked {
            m.serialize_entry("why", &Checked(checked))?;
        }
        m.end()
    }
}

/// One profile as a decision renders it.
struct ProfileObject<'a, 'e>(ProfileKind, &'a Selected<'e>);

impl ProfileObject<'_, '_> {
    fn entries<M: SerializeMap>(&self, m: &mut M) -> Result<(), M::Error> {
        match (self.0, self.1) {
            (ProfileKind::Device, Selected::Match(p) | Selected::Default(Some(p))) => {
                m.serialize_entry("id", &p.id)?;
                m.serialize_entry("name", &p.name)?;
                m.serialize_entry("precedence", &precedence(p.precedence))?;
                m.serialize_entry("default", &matches!(self.1, Selected::Default(_)))?;
                m.serialize_entry("settings", &p.settings)?;
            }
            (ProfileKind::Device, Selected::Default(None)) => {
                m.serialize_entry("id", &None::<&str>)?;
                m.serialize_entry("name", "Default")?;
                m.serialize_entry("precedence", &None::<f64>)?;
                m.serialize_entry("default", &true)?;
                m.serialize_entry("settings", &serde_json::Map::new())?;
            }
            (ProfileKind::Ip, Selected::Match(p) | Selected::Default(Some(p))) => {
                m.serialize_entry("id", &p.id)?;
                m.serialize_entry("name", &p.name)?;
                m.serialize_entry("precedence", &precedence(p.precedence))?;
                m.serialize_entry("subnet_id", &p.subnet_id)?;
                m.serialize_entry("default", &false)?;
            }
            (ProfileKind::Ip, Selected::Default(None)) => {
                m.serialize_entry("default", &true)?;
                m.serialize_entry("subnet", DEFAULT_IP_POOL)?;
            }
            // Candidates are single profiles.
            (_, Selected::Undetermined(_)) => {}
        }
        Ok(())
    }
}

impl Serialize for ProfileObject<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        self.entries(&mut m)?;
        m.end()
    }
}

/// `{"checked": [...]}`
struct Checked<'a, 'e>(&'a [CheckedProfile<'e>]);

impl Serialize for Checked<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(1))?;
        m.serialize_entry("checked", self.0)?;
        m.end()
    }
}

impl Serialize for CheckedProfile<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("id", &self.profile.id)?;
        m.serialize_entry("name", &self.profile.name)?;
        m.serialize_entry("precedence", &precedence(self.profile.precedence))?;
        m.serialize_entry("result", self.result.as_str())?;
        if self.result != ProfileResult::Disabled {
            m.serialize_entry("because", &self.because)?;
        }
        m.end()
    }
}

impl Serialize for GroupWhy<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("id", &self.group.id)?;
        m.serialize_entry("name", &self.group.name)?;
        m.serialize_entry("member", &self.member.to_json())?;
        m.serialize_entry("include", &self.include)?;
        m.serialize_entry("require", &self.require)?;
        m.serialize_entry("exclude", &self.exclude)?;
        m.serialize_entry("missing", &self.missing)?;
        if !self.unknown.is_empty() {
            m.serialize_entry("unknown", &self.unknown)?;
        }
        m.end()
    }
}

impl Serialize for RuleResult<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(3))?;
        m.serialize_entry("path", &self.rule.path)?;
        m.serialize_entry("rule", &self.rule.json)?;
        m.serialize_entry("result", &self.result.to_json())?;
        m.end()
    }
}

impl Serialize for PostureOutcome {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(3))?;
        m.serialize_entry("passed", &self.passed)?;
        m.serialize_entry("failed", &self.failed)?;
        m.serialize_entry("unknown", &self.unknown)?;
        m.end()
    }
}

impl Serialize for UnknownGroup<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(3))?;
        m.serialize_entry("id", &self.group.id)?;
        m.serialize_entry("name", &self.group.name)?;
        m.serialize_entry("because", &self.because)?;
        m.end()
    }
}

impl Serialize for UnknownInput<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        match self {
            UnknownInput::Posture { rule, reason } => {
                m.serialize_entry("kind", "posture_rule")?;
                m.serialize_entry("id", &rule.id)?;
                m.serialize_entry("name", &rule.name)?;
                m.serialize_entry("reason", reason)?;
            }
            UnknownInput::List(l) => {
                m.serialize_entry("kind", "list")?;
                m.serialize_entry("id", &l.id)?;
                m.serialize_entry("name", &l.name)?;
                m.serialize_entry("reason", &format!("incomplete: {}", list_reason(l)))?;
            }
            UnknownInput::AccountMember => {
                m.serialize_entry("kind", "rule")?;
                m.serialize_entry("rule", "cloudflare_account_member")?;
                m.serialize_entry("reason", "account membership cannot be known offline")?;
            }
            UnknownInput::IdentityGroups => {
                m.serialize_entry("kind", "context")?;
                m.serialize_entry("field", "identity.groups")?;
                m.serialize_entry(
                    "reason",
                    "the context's IdP groups are not known (an identity record without groups, or a population without a groups source)",
                )?;
            }
            UnknownInput::AfterApply(what) => {
                m.serialize_entry("kind", "terraform")?;
                m.serialize_entry("value", what)?;
                m.serialize_entry("reason", "known only after apply")?;
            }
            UnknownInput::ServiceToken(c) => {
                m.serialize_entry("kind", "context")?;
                m.serialize_entry("field", "request.service_token.client_id")?;
                m.serialize_entry("client_id", c)?;
                m.serialize_entry(
                    "reason",
                    "a service token Client ID that no `access_service_tokens` entry names",
                )?;
            }
        }
        m.end()
    }
}
