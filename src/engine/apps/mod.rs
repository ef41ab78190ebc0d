//! Access applications and their policies (`config.md` §7): every policy
//! compiled into the engine's one program as a group-like block (atoms and
//! group references shared with the groups), each application's entries in
//! execution order, and per context a first match per application.
//!
//! ```text
//! build.rs   policies -> PolicyCode (bypass / Service Auth without the identity,
//!            allow / deny without service-token rules, referenced groups too)
//! decide.rs  Prepared -> AppPick per application (two- and three-valued)
//! outcome.rs AppPick -> AppOutcome, AccessOutcome (the typed decision)
//! why.rs     each policy checked, rule by rule
//! ```

mod build;
mod decide;
mod gate;
pub mod outcome;
mod why;

pub(super) use build::compile;
pub use decide::AppPick;
pub(super) use decide::{AppScratch, NONE};
pub(super) use gate::PolicyGates;

use super::code::GroupCode;
use crate::config::PolicyDecision;

/// A policy as a decision evaluates it: a group-like block.
#[derive(Debug, Clone)]
pub(super) struct PolicyCode {
    pub(super) code: GroupCode,
}

/// One entry of an application, in execution order.
#[derive(Debug, Clone, Copy)]
pub(super) struct Entry {
    /// Index into `Apps::policies`.
    pub(super) policy: u32,
    /// Index into the application's `policies` (as written).
    pub(super) entry: u32,
    pub(super) decision: PolicyDecision,
}

/// An application as a decision evaluates it.
#[derive(Debug, Clone)]
pub(super) struct AppCode {
    /// Bypass and Service Auth first, then allow and deny, each by precedence.
    pub(super) order: Vec<Entry>,
    /// `allowed_idps`, as indices into `Apps::idps`; `None`: any provider.
    pub(super) allowed_idps: Option<Vec<u32>>,
    /// `order` packed for the two-valued loop: the policy index, with `ALLOW`
    /// set for an allow policy.
    pub(super) packed: Box<[u32]>,
}

/// The bit of a packed entry that marks an allow policy.
pub(super) const ALLOW: u32 = 1 << 31;

/// The organization's settings a decision reads.
#[derive(Debug, Clone, Default)]
pub struct OrgSettings {
    /// A request with a service token is decided by bypass and Service Auth
    /// policies only.
    pub strict_service_token_auth: bool,
    /// A request no application covers is denied...
    pub deny_unmatched_requests: bool,
    /// ... unless its host is one of these zones or under one.
    pub exempted_zones: Vec<String>,
    /// The global session duration.
    pub session_duration: Option<String>,
}

/// Every application and policy, compiled.
#[derive(Debug, Clone, Default)]
pub(super) struct Apps {
    /// Reusable policies (input order), then each application's own.
    pub(super) policies: Vec<PolicyCode>,
    /// Per application, input order.
    pub(super) apps: Vec<AppCode>,
    /// Identity provider ids some `allowed_idps` names -> index.
    pub(super) idps: rustc_hash::FxHashMap<String, u32>,
    pub(super) org: OrgSettings,
    /// Per application: shown in decisions (`--app`); empty: all.
    pub(super) shown: Vec<bool>,
    /// Which policies only triggers can open.
    pub(super) gates: gate::PolicyGates,
    /// Every (application, destination) that may protect a request (not a
    /// bookmark's), in input order.
    pub(super) routes: Vec<(u32, u32)>,
    /// `routes` by what each can cover: the candidates a request is routed
    /// among.
    pub(super) route_index: crate::route::RouteIndex,
}

/// What a context says that gates `allow` policies, read once per context.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Gate {
    /// `identity.email` is given.
    pub(super) identity: bool,
    /// The provider's index in `Apps::idps`, if it is one some application names.
    pub(super) idp: Option<u32>,
    /// The request carries a service token.
    pub(super) token: bool,
}

/// Why an `allow` policy cannot authorize this context for this application.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AllowBlocked {
    /// No `identity.email`: a service-token or mTLS request.
    NoIdentity,
    /// The provider is not in the application's `allowed_idps`.
    IdpNotAllowed,
    /// The organization's strict service-token auth, and a token is present.
    StrictServiceToken,
}

impl AllowBlocked {
    /// In words.
    pub fn as_str(self) -> &'static str {
        match self {
            AllowBlocked::NoIdentity => {
                "an allow policy needs an identity; the context has no `identity.email`"
            }
            AllowBlocked::IdpNotAllowed => {
                "the identity provider is not among the application's `allowed_idps`"
            }
            AllowBlocked::StrictServiceToken => {
                "strict service-token auth: a request with a service token is decided by bypass and Service Auth policies only"
            }
        }
    }
}

impl Apps {
    /// Whether application `i` is shown in decisions.
    pub(super) fn is_shown(&self, i: usize) -> bool {
        self.shown.get(i).copied().unwrap_or(true)
    }

    /// What keeps `allow` policies from authorizing the context for every
    /// application.
    pub(super) fn allow_blocked_everywhere(&self, g: Gate) -> Option<AllowBlocked> {
        if !g.identity {
            return Some(AllowBlocked::NoIdentity);
        }
        if self.org.strict_service_token_auth && g.token {
            return Some(AllowBlocked::StrictServiceToken);
        }
        None
    }

    /// Whether `allow` policies may authorize the context for `app`.
    pub(super) fn allow_blocked(&self, app: &AppCode, g: Gate) -> Option<AllowBlocked> {
        if let Some(b) = self.allow_blocked_everywhere(g) {
            return Some(b);
        }
        if let Some(allowed) = &app.allowed_idps
            && !g.idp.is_some_and(|i| allowed.contains(&i))
        {
            return Some(AllowBlocked::IdpNotAllowed);
        }
        None
    }

    /// The gate of a subject.
    pub(super) fn gate(&self, s: &crate::subject::Subject) -> Gate {
        Gate {
            identity: s.identity.email.as_deref().is_some_and(|e| !e.is_empty()),
            idp: s
                .identity
                .idp
                .as_ref()
                .and_then(|i| i.id.as_deref())
                .and_then(|id| self.idps.get(id).copied()),
            // A token named by its Client ID counts even when the
            // configuration cannot translate it.
            token: s.request.service_token.is_some() || s.identity.service_token_uuid.is_some(),
        }
    }
}
