//! What a decision says about Access applications (`decision.md` §1, §2):
//! each application's verdict (decision, deciding policy, obligations,
//! session), the request's protecting application, and with explanation each
//! policy checked. Typed values borrowing the configuration; `Serialize` is
//! the contract's JSON.

use super::AllowBlocked;
use crate::config::{AppPolicy, Application, Policy, PolicyDecision};
use crate::engine::decision::{RuleResult, precedence};
use crate::program::Tri;
use serde::ser::{Serialize, SerializeMap, Serializer};

/// The default session when neither the policy nor the application sets one.
pub const DEFAULT_SESSION: &str = "24h";

/// The policy that decided, as the application runs it.
#[derive(Debug, Clone, Copy)]
pub struct Decider<'e> {
    /// The policy (reusable or the application's own).
    pub policy: &'e Policy,
    /// The application's entry for it (its precedence, its overrides).
    pub entry: &'e AppPolicy,
}

impl<'e> Decider<'e> {
    /// The precedence it runs at: the entry's (a link's, or an inline
    /// policy's own).
    pub fn precedence(&self) -> Option<f64> {
        self.entry.precedence
    }

    /// A setting: the entry's override, else the policy's own.
    fn setting(&self, key: &str) -> Option<&'e serde_json::Value> {
        self.entry
            .overrides
            .get(key)
            .or_else(|| self.policy.settings.get(key))
            .filter(|v| !v.is_null())
    }

    /// The obligations of an allow (`approval`, `purpose_justification`,
    /// `isolation`, `mfa`), in that order.
    pub fn requires(&self) -> Vec<&'static str> {
        let on = |key| self.setting(key).and_then(serde_json::Value::as_bool) == Some(true);
        let mut out = Vec::new();
        if on("approval_required") {
            out.push("approval");
        }
        if on("purpose_justification_required") {
            out.push("purpose_justification");
        }
        if on("isolation_required") {
            out.push("isolation");
        }
        if let Some(mfa) = self.setting("mfa_config").and_then(|v| v.as_object())
            && mfa.get("mfa_disable").and_then(serde_json::Value::as_bool) != Some(true)
        {
            out.push("mfa");
        }
        out
    }

    /// The session this policy gives on `app`: the policy's (or its
    /// override), else the application's, else 24h.
    pub fn session_duration(&self, app: &'e Application) -> &'e str {
        self.setting("session_duration")
            .and_then(serde_json::Value::as_str)
            .or(app.session_duration.as_deref())
            .unwrap_or(DEFAULT_SESSION)
    }
}

/// One possible answer for an application.
#[derive(Debug, Clone, Copy)]
pub struct Verdict<'e> {
    /// What it decides (`deny` when nothing matched).
    pub decision: PolicyDecision,
    /// The deciding policy; `None`: none matched, deny by default.
    pub by: Option<Decider<'e>>,
    /// The organization's global session duration, when it sets one.
    pub global_session: Option<&'e str>,
}

/// An application's answer.
#[derive(Debug, Clone)]
pub enum AppResult<'e> {
    /// Determined.
    One(Verdict<'e>),
    /// A policy's match was unknown before the deciding one: any of these.
    Undetermined(Vec<Verdict<'e>>),
}

impl AppResult<'_> {
    /// `allow`, `deny`, `bypass`, `non_identity`, or `unknown`.
    pub fn word(&self) -> &'static str {
        match self {
            AppResult::One(v) => v.decision.as_str(),
            AppResult::Undetermined(_) => "unknown",
        }
    }
}

/// One application in a decision.
#[derive(Debug, Clone)]
pub struct AppOutcome<'e> {
    /// The application.
    pub app: &'e Application,
    /// Its answer for the context.
    pub result: AppResult<'e>,
    /// With explanation: each policy checked, in order.
    pub why: Option<Vec<CheckedPolicy<'e>>>,
}

/// One policy as an application checked it (`decision.md` §2).
#[derive(Debug, Clone)]
pub struct CheckedPolicy<'e> {
    /// The policy and the application's entry for it.
    pub decider: Decider<'e>,
    /// Its match: true, false or unknown; `None` when skipped.
    pub result: Option<Tri>,
    /// Why an `allow` policy was skipped.
    pub skipped: Option<AllowBlocked>,
    /// Each rule's result.
    pub include: Vec<RuleResult<'e>>,
    /// Each `require` rule's result.
    pub require: Vec<RuleResult<'e>>,
    /// Each `exclude` rule's result.
    pub exclude: Vec<RuleResult<'e>>,
    /// Context values that were absent and that a rule needed.
    pub missing: Vec<&'static str>,
}

/// What no application covering a request means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unmatched {
    /// The organization denies unmatched requests.
    Deny,
    /// Nothing protects it.
    NotProtected,
}

/// The request's protecting application and its answer.
#[derive(Debug, Clone)]
pub struct AccessOutcome<'e> {
    /// `request.url` as given, or `request.destination` as given.
    pub request: serde_json::Value,
    /// `url` or `destination`.
    pub key: &'static str,
    /// The most specific application covering it, and its answer.
    pub protected: Result<(&'e Application, AppResult<'e>), Unmatched>,
}

impl AccessOutcome<'_> {
    /// The answer in one word.
    pub fn word(&self) -> &'static str {
        match &self.protected {
            Ok((_, r)) => r.word(),
            Err(Unmatched::Deny) => "deny",
            Err(Unmatched::NotProtected) => "not_protected",
        }
    }
}

/// `{"id", "name", "precedence"}` of a deciding policy.
struct PolicyRef<'a, 'e>(&'a Decider<'e>);

impl Serialize for PolicyRef<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(3))?;
        m.serialize_entry("id", &self.0.policy.id)?;
        m.serialize_entry("name", &self.0.policy.name)?;
        m.serialize_entry("precedence", &precedence(self.0.precedence()))?;
        m.end()
    }
}

/// The entries of one verdict: decision, policy, obligations, session.
fn verdict_entries<M: SerializeMap>(
    m: &mut M,
    v: &Verdict<'_>,
    app: &Application,
    session: bool,
) -> Result<(), M::Error> {
    m.serialize_entry("decision", v.decision.as_str())?;
    match &v.by {
        Some(d) => m.serialize_entry("policy", &PolicyRef(d))?,
        None => m.serialize_entry("policy", &None::<()>)?,
    }
    let allow = v.decision == PolicyDecision::Allow;
    let requires = match (&v.by, allow) {
        (Some(d), true) => d.requires(),
        _ => Vec::new(),
    };
    m.serialize_entry("requires", &requires)?;
    if session
        && allow
        && let Some(d) = &v.by
    {
        m.serialize_entry("session_duration", d.session_duration(app))?;
        if let Some(global) = v.global_session {
            m.serialize_entry("global_session_duration", global)?;
        }
    }
    Ok(())
}

struct VerdictObject<'a, 'e>(&'a Verdict<'e>, &'e Application);

impl Serialize for VerdictObject<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        verdict_entries(&mut m, self.0, self.1, true)?;
        m.end()
    }
}

fn result_entries<M: SerializeMap>(
    m: &mut M,
    r: &AppResult<'_>,
    app: &Application,
) -> Result<(), M::Error> {
    match r {
        AppResult::One(v) => verdict_entries(m, v, app, true),
        AppResult::Undetermined(vs) => {
            m.serialize_entry("decision", "unknown")?;
            m.serialize_entry("undetermined", &true)?;
            let cs: Vec<VerdictObject<'_, '_>> = vs.iter().map(|v| VerdictObject(v, app)).collect();
            m.serialize_entry("candidates", &cs)
        }
    }
}

impl Serialize for AppOutcome<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("id", &self.app.id)?;
        m.serialize_entry("name", &self.app.name)?;
        m.serialize_entry("type", &self.app.kind)?;
        result_entries(&mut m, &self.result, self.app)?;
        m.end()
    }
}

/// `{"id", "name", "checked": [...]}`, one application's explanation.
pub(in crate::engine) struct AppWhy<'a, 'e>(pub &'a AppOutcome<'e>);

impl Serialize for AppWhy<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(3))?;
        m.serialize_entry("id", &self.0.app.id)?;
        m.serialize_entry("name", &self.0.app.name)?;
        m.serialize_entry("checked", self.0.why.as_deref().unwrap_or_default())?;
        m.end()
    }
}

impl Serialize for CheckedPolicy<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("policy", &PolicyRef(&self.decider))?;
        m.serialize_entry("decision", self.decider.policy.decision.as_str())?;
        match (self.result, self.skipped) {
            (_, Some(why)) => {
                m.serialize_entry("result", "skipped")?;
                m.serialize_entry("because", why.as_str())?;
            }
            (Some(t), None) => m.serialize_entry("result", &t.to_json())?,
            (None, None) => m.serialize_entry("result", &None::<()>)?,
        }
        if self.skipped.is_none() {
            m.serialize_entry("include", &self.include)?;
            m.serialize_entry("require", &self.require)?;
            m.serialize_entry("exclude", &self.exclude)?;
            m.serialize_entry("missing", &self.missing)?;
        }
        m.end()
    }
}

/// `{"id", "name"}` of the protecting application.
struct AppRef<'a>(&'a Application);

impl Serialize for AppRef<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("id", &self.0.id)?;
        m.serialize_entry("name", &self.0.name)?;
        m.end()
    }
}

/// The entries of an access answer after the request.
fn access_entries<M: SerializeMap>(
    m: &mut M,
    protected: &Result<(&Application, AppResult<'_>), Unmatched>,
) -> Result<(), M::Error> {
    match protected {
        Ok((app, r)) => {
            m.serialize_entry("application", &AppRef(app))?;
            result_entries(m, r, app)?;
        }
        Err(u) => {
            m.serialize_entry("application", &None::<()>)?;
            let word = match u {
                Unmatched::Deny => "deny",
                Unmatched::NotProtected => "not_protected",
            };
            m.serialize_entry("decision", word)?;
            m.serialize_entry("policy", &None::<()>)?;
            m.serialize_entry("requires", &[] as &[&str])?;
            if *u == Unmatched::Deny {
                m.serialize_entry(
                    "because",
                    "no application covers it and the organization denies unmatched requests",
                )?;
            }
        }
    }
    Ok(())
}

impl Serialize for AccessOutcome<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry(self.key, &self.request)?;
        access_entries(&mut m, &self.protected)?;
        m.end()
    }
}

/// An access answer without its request, serialized once per (application,
/// entry) for the batch writer: the object's entries after `{"url":…,`,
/// closing brace included.
pub(in crate::engine) struct AccessTail<'a, 'e>(
    pub &'a Result<(&'e Application, AppResult<'e>), Unmatched>,
);

impl AccessTail<'_, '_> {
    /// The bytes that follow the request entry.
    pub(in crate::engine) fn bytes(&self) -> Box<[u8]> {
        struct Whole<'b, 'a, 'e>(&'b AccessTail<'a, 'e>);
        impl Serialize for Whole<'_, '_, '_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut m = s.serialize_map(None)?;
                m.serialize_entry("r", &0)?;
                access_entries(&mut m, self.0.0)?;
                m.end()
            }
        }
        // `{"r":0,` is the stand-in for the request entry.
        let whole = serde_json::to_vec(&Whole(self)).unwrap_or_default();
        whole.get(7..).unwrap_or_default().into()
    }
}
