//! `Engine`: a configuration loaded, validated and compiled, with the parts a
//! decision reads. Building it is `build.rs`'s; deciding, `decide.rs`'s.

use super::code::{GroupCode, ProfileCode, UnknownInputs};
use super::fragments::Fragments;
use super::gate::Gates;
use super::slots::Slots;
use crate::config::{Config, Problem, Severity};
use crate::program::Program;

/// A loaded, validated and compiled configuration: load once, decide many.
/// `Engine` is `Send + Sync`; each thread uses its own `EngineScratch`.
#[derive(Debug)]
pub struct Engine {
    pub(super) config: Config,
    pub(super) warnings: Vec<Problem>,
    pub(super) program: Program,
    /// Per group, in input order.
    pub(super) groups: Vec<GroupCode>,
    /// Group indices in evaluation order (references before referrers).
    pub(super) order: Vec<usize>,
    /// Per group: the fields its rules read, when nothing else can make it
    /// unknown (`undetermined.rs`): with none of them unknown, a three-valued
    /// decision decides it two-valued. Found on the first three-valued
    /// decision: a load for two-valued ones (a what-if tool's reload) does
    /// not pay for it (a twentieth of loading 1,000 groups).
    pub(super) group_reads: std::sync::OnceLock<Vec<Option<super::undetermined::Reads>>>,
    /// Per device and IP profile code: what its `match` reads, likewise.
    pub(super) device_reads: Vec<Option<super::undetermined::Reads>>,
    pub(super) ip_reads: Vec<Option<super::undetermined::Reads>>,
    /// Which groups can be skipped until something opens them.
    pub(super) gates: Gates,
    /// Enabled and disabled custom device profiles, in the order they are checked.
    pub(super) device: Vec<ProfileCode>,
    /// The default device profile's index, if the input has one.
    pub(super) device_default: Option<usize>,
    /// IP profiles in the order they are checked.
    pub(super) ip: Vec<ProfileCode>,
    /// The decision's configuration-only parts, serialized once, for the
    /// first decision written (`Engine::fragments`): a load that writes none
    /// does not pay for them.
    pub(super) fragments: std::sync::OnceLock<Fragments>,
    /// Where each context value goes.
    pub(super) slots: Slots,
    /// The unknown inputs the program reads.
    pub(super) inputs: UnknownInputs,
    /// Per posture rule (input order): what deciding it needs of it alone.
    pub(super) posture_plans: Vec<super::posture::Plan>,
    /// Posture rule id -> its index (ids are unique in an engine): a
    /// context's given results are matched to rules once each, not searched
    /// for every rule (`prepare.rs`).
    pub(super) posture_index: crate::hash::TextMap<String, u32>,
    /// List id -> its index, for posture rules that name a list (the first
    /// of an id, as a search in order finds it).
    pub(super) list_index: crate::hash::TextMap<String, u32>,
    /// Per list (input order): a set of its items, made on the first
    /// posture decision that looks a serial number up in a list of more than
    /// a few (`list_ref`): a search of a list of 5,000 serials per context
    /// was most of a decision.
    pub(super) item_sets: Vec<std::sync::OnceLock<crate::hash::TextSet<String>>>,
    /// Access group id -> its index (the first of an id, as a search in
    /// order finds it), for the unknown groups a `group` rule names: made
    /// on the first three-valued decision that names one (`group_index`),
    /// so a load that never does pays nothing for it.
    pub(super) group_index: std::sync::OnceLock<crate::hash::TextMap<String, u32>>,
    /// Service token Client ID -> its token's index (the first of a Client
    /// ID), for identity records, which name a token by its Client ID.
    pub(super) token_by_client: crate::hash::TextMap<String, u32>,
    /// Access applications and their policies.
    pub(super) apps: super::apps::Apps,
}

/// Why a configuration could not be used: every problem found (errors and warnings).
#[derive(Debug, Clone, thiserror::Error)]
#[error("the configuration has {} error(s)", .problems.iter().filter(|p| p.severity == Severity::Error).count())]
pub struct ConfigError {
    /// Errors and warnings, in the order found.
    pub problems: Vec<Problem>,
}

impl Engine {
    /// The list of an id (the first of it, as a search in order finds it).
    pub(super) fn list(&self, id: &str) -> Option<&crate::config::List> {
        self.list_at(id).map(|(_, l)| l)
    }

    /// `list`, with the list's index.
    fn list_at(&self, id: &str) -> Option<(usize, &crate::config::List)> {
        let i = *self.list_index.get(id)? as usize;
        Some((i, self.config.lists.get(i)?))
    }

    /// The list of an id as a posture rule reads it: with a set of its items
    /// when it has more than a few (`item_sets`).
    pub(super) fn list_ref(&self, id: &str) -> Option<super::posture::ListRef<'_>> {
        let (i, list) = self.list_at(id)?;
        let items = (list.items.len() > 16)
            .then(|| self.item_sets.get(i))
            .flatten()
            .map(|set| set.get_or_init(|| list.items.iter().cloned().collect()));
        Some(super::posture::ListRef { list, items })
    }

    /// `group_index`, made on first use.
    pub(super) fn group_index(&self) -> &crate::hash::TextMap<String, u32> {
        self.group_index.get_or_init(|| {
            let mut index = crate::hash::TextMap::default();
            for (i, g) in (0u32..).zip(&self.config.groups) {
                index.entry(g.id.clone()).or_insert(i);
            }
            index
        })
    }

    /// The decision's configuration-only parts, serialized on first use.
    pub(super) fn fragments(&self) -> &Fragments {
        self.fragments.get_or_init(|| {
            let mut f = Fragments::new(&self.config, self.device_default);
            f.apps = Fragments::apps(self);
            f.access = Fragments::access(self);
            f.unmatched = Fragments::unmatched();
            f
        })
    }

    /// The warnings found while loading (errors make loading fail).
    pub fn warnings(&self) -> &[Problem] {
        &self.warnings
    }

    /// The configuration as loaded.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Keeps decisions to the applications named (or with the ids) in `want`
    /// (`--app`); an empty `want` shows every application.
    ///
    /// # Errors
    /// A name or id that is no application.
    pub fn keep_applications(&mut self, want: &[String]) -> Result<(), String> {
        if want.is_empty() {
            self.apps.shown.clear();
            return Ok(());
        }
        self.keep_applications_check(want)?;
        self.hide_applications_except(want);
        Ok(())
    }

    /// Whether every name or id in `want` is an application.
    ///
    /// # Errors
    /// The first that is not.
    pub fn keep_applications_check(&self, want: &[String]) -> Result<(), String> {
        let apps = &self.config.applications;
        if let Some(w) = want.iter().find(|w| !apps.iter().any(|a| a.is_named(w))) {
            return Err(if apps.is_empty() {
                "--app: the configuration has no `access_applications`".to_string()
            } else {
                format!(
                    "--app `{w}`: no application has that name or id{}",
                    crate::diag::names_hint(w, apps.iter().map(|a| a.name.as_str()))
                )
            });
        }
        Ok(())
    }

    /// Like `keep_applications`, without checking that each name is one: for
    /// a comparison where an application exists on one side only.
    pub fn hide_applications_except(&mut self, want: &[String]) {
        let apps = &self.config.applications;
        self.apps.shown = apps
            .iter()
            // As the check above names them: a name in any case (it once
            // compared exactly here, so `--app grafana` passed the check and
            // then hid every application).
            .map(|a| want.iter().any(|w| a.is_named(w)))
            .collect();
    }

    /// The compiled program's disassembly, one instruction per line.
    pub fn disassembly(&self) -> String {
        format!("{:?}", self.program)
    }
}

// Invariant 4: an engine is shared by reference between threads.
const _: fn() = || {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Engine>();
};
