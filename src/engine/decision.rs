//! `Decision`: everything the engine says about one context, as a typed value
//! (`decision.md` §1–§2). It borrows the configuration's records from the engine
//! (`'e`), so building one copies no name, id or settings. `Serialize` renders
//! the contract's JSON; the batch writer (`write.rs`) writes the same bytes
//! without building it.

use crate::config::{Group, Profile, RuleAt};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

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
    /// Warnings about the context (e.g. an unknown OS name).
    pub warnings: Vec<String>,
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
#[derive(Debug, Clone, Copy)]
pub enum Selected<'e> {
    /// The first enabled custom profile whose `match` holds.
    Match(&'e Profile),
    /// None matched: the default profile (`None`: the implicit `Default`
    /// device profile, or the default IP pool).
    Default(Option<&'e Profile>),
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

    /// The selected profile's name: the default's name, `Default` for the
    /// implicit device profile, `None` for the default IP pool.
    pub fn name(&self, kind: ProfileKind) -> Option<&'e str> {
        match (self, kind) {
            (Selected::Match(p) | Selected::Default(Some(p)), _) => Some(&p.name),
            (Selected::Default(None), ProfileKind::Device) => Some("Default"),
            (Selected::Default(None), ProfileKind::Ip) => None,
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
}

impl ProfileResult {
    /// The JSON spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ProfileResult::Disabled => "disabled",
            ProfileResult::Match => "match",
            ProfileResult::NoMatch => "no_match",
        }
    }
}

/// Group membership.
#[derive(Debug, Clone)]
pub struct GroupsOutcome<'e> {
    /// Every group the context is a member of, in input order.
    pub members: Vec<&'e Group>,
    /// With explanation: every group, rule by rule.
    pub why: Option<Vec<GroupWhy<'e>>>,
}

/// Why a context is or is not a member of one group (`decision.md` §2).
#[derive(Debug, Clone)]
pub struct GroupWhy<'e> {
    /// The group.
    pub group: &'e Group,
    /// Whether the context is a member.
    pub member: bool,
    /// Each `include` rule's result.
    pub include: Vec<RuleResult<'e>>,
    /// Each `require` rule's result.
    pub require: Vec<RuleResult<'e>>,
    /// Each `exclude` rule's result.
    pub exclude: Vec<RuleResult<'e>>,
    /// Context values that were absent and that a rule needed.
    pub missing: Vec<&'static str>,
}

/// One rule and its result for the context.
#[derive(Debug, Clone)]
pub struct RuleResult<'e> {
    /// The rule, with its path and JSON as written.
    pub rule: &'e RuleAt,
    /// Whether it holds.
    pub result: bool,
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
        if let Some(p) = &self.device_profile {
            m.serialize_entry("device_profile", p)?;
        }
        if let Some(p) = &self.ip_profile {
            m.serialize_entry("ip_profile", p)?;
        }
        if let Some(g) = &self.access_groups {
            m.serialize_entry("access_groups", &GroupList(&g.members))?;
            if let Some(why) = &g.why {
                m.serialize_entry("access_groups_why", why)?;
            }
        }
        if let Some(p) = &self.posture {
            m.serialize_entry("posture", p)?;
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
        match (self.kind, self.selected) {
            (ProfileKind::Device, Selected::Match(p) | Selected::Default(Some(p))) => {
                m.serialize_entry("id", &p.id)?;
                m.serialize_entry("name", &p.name)?;
                m.serialize_entry("precedence", &precedence(p.precedence))?;
                m.serialize_entry("default", &matches!(self.selected, Selected::Default(_)))?;
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
        }
        if let Some(checked) = &self.checked {
            m.serialize_entry("why", &Checked(checked))?;
        }
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
        m.serialize_entry("member", &self.member)?;
        m.serialize_entry("include", &self.include)?;
        m.serialize_entry("require", &self.require)?;
        m.serialize_entry("exclude", &self.exclude)?;
        m.serialize_entry("missing", &self.missing)?;
        m.end()
    }
}

impl Serialize for RuleResult<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(3))?;
        m.serialize_entry("path", &self.rule.path)?;
        m.serialize_entry("rule", &self.rule.json)?;
        m.serialize_entry("result", &self.result)?;
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
