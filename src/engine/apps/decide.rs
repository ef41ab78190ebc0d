//! Per context, every application's first matching policy (`config.md` §7):
//! entries in execution order, `allow` gated by the context's identity, its
//! provider and strict service-token auth; each policy evaluated at most once
//! per context however many applications share it. Two-valued it allocates
//! nothing; three-valued an unknown match before the deciding one makes the
//! application undetermined, with its candidates (`config.md` §9).

use super::{AppCode, Apps};
use crate::config::PolicyDecision;
use crate::engine::compiled::Engine;
use crate::engine::prepare::Prepared;
use crate::program::{Scratch, Tri, Unknowns};

/// Which entry of an application decides (a position in its execution order;
/// `None`: no policy matched, deny by default).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppPick {
    /// This one.
    One(Option<u32>),
    /// A match was unknown before the first true one: any of these could.
    Undetermined(Vec<Option<u32>>),
}

/// Per-context memory for applications: each policy's result, each
/// application's pick.
#[derive(Debug, Clone, Default)]
pub(in crate::engine) struct AppScratch {
    /// The gates' state; its `states`: per policy, 0 not yet evaluated, else
    /// `1 + Tri as u8`.
    open: super::gate::Opened,
    /// Two-valued: per application, the deciding entry's position (`NONE`:
    /// default deny).
    first: Vec<u32>,
    /// Three-valued: per application, its pick.
    picks: Vec<AppPick>,
    /// Whether the last decision was three-valued (`picks` holds it).
    tri: bool,
}

/// No entry decided: deny by default.
pub(in crate::engine) const NONE: u32 = u32::MAX;

impl AppScratch {
    pub(in crate::engine) fn new(apps: &Apps) -> AppScratch {
        AppScratch {
            open: super::gate::Opened::new(apps.policies.len(), apps.apps.len()),
            first: vec![NONE; apps.apps.len()],
            picks: vec![AppPick::One(None); apps.apps.len()],
            tri: false,
        }
    }

    /// The last decision's picks, one per application.
    pub(in crate::engine) fn picks(&self) -> std::borrow::Cow<'_, [AppPick]> {
        if self.tri {
            std::borrow::Cow::Borrowed(&self.picks)
        } else {
            std::borrow::Cow::Owned(
                self.first
                    .iter()
                    .map(|&pos| AppPick::One((pos != NONE).then_some(pos)))
                    .collect(),
            )
        }
    }

    /// Two-valued, the deciding position of application `i` (`NONE`: none);
    /// `None` when the last decision was three-valued.
    #[inline]
    pub(in crate::engine) fn first(&self, i: usize) -> Option<u32> {
        if self.tri {
            None
        } else {
            self.first.get(i).copied()
        }
    }
}

const FALSE: u8 = 1;
const TRUE: u8 = 2;
const UNKNOWN: u8 = 3;

fn state(t: Tri) -> u8 {
    match t {
        Tri::False => FALSE,
        Tri::True => TRUE,
        Tri::Unknown => UNKNOWN,
    }
}

impl Engine {
    /// Every application's pick into `apps.picks`; group results must already
    /// be in `s` (policies reference them).
    pub(in crate::engine) fn decide_apps(
        &self,
        p: &Prepared,
        s: &mut Scratch,
        apps: &mut AppScratch,
    ) {
        if self.apps.apps.is_empty() {
            return;
        }
        let gate = self.apps.gate(&p.subject);
        // What blocks `allow` for every application; `allowed_idps` per one.
        let blocked_everywhere = self.apps.allow_blocked_everywhere(gate).is_some();
        let blocked = |code: &AppCode| {
            blocked_everywhere
                || code
                    .allowed_idps
                    .as_ref()
                    .is_some_and(|ids| !gate.idp.is_some_and(|i| ids.contains(&i)))
        };
        match &p.unknowns {
            None => {
                apps.tri = false;
                // Gated policies no trigger opens are false, unevaluated; an
                // application none of whose entries is open is not walked.
                self.apps
                    .gates
                    .open(&self.program, &p.ctx, s, &mut apps.open);
                apps.first.fill(NONE);
                let open = &mut apps.open;
                for &a in &open.walk_list {
                    let Some(code) = self.apps.apps.get(a as usize) else {
                        continue;
                    };
                    let hit = self.first_match(code, blocked(code), p, s, &mut open.states);
                    if let Some(slot) = apps.first.get_mut(a as usize) {
                        *slot = hit.unwrap_or(NONE);
                    }
                }
            }
            Some(u) => {
                apps.tri = true;
                let states = &mut apps.open.states;
                states.fill(0);
                for (code, pick) in self.apps.apps.iter().zip(apps.picks.iter_mut()) {
                    *pick = self.first_match_tri(code, blocked(code), p, s, u, states);
                }
            }
        }
    }

    /// The first matching entry, two-valued: entries as packed words (the
    /// policy index, `ALLOW` set for an allow policy), one pass.
    fn first_match(
        &self,
        app: &AppCode,
        allow_blocked: bool,
        p: &Prepared,
        s: &mut Scratch,
        states: &mut [u8],
    ) -> Option<u32> {
        // A blocked context skips allow entries: the mask keeps their bit.
        let skip = if allow_blocked { super::ALLOW } else { 0 };
        for (pos, &word) in app.packed.iter().enumerate() {
            if word & skip != 0 {
                continue;
            }
            let policy = word & !super::ALLOW;
            let Some(st) = states.get_mut(policy as usize) else {
                continue;
            };
            if *st == FALSE {
                continue;
            }
            if *st == 0 {
                let v = self
                    .apps
                    .policies
                    .get(policy as usize)
                    .is_some_and(|c| self.policy_value(&c.code, &p.ctx, s));
                *st = if v { TRUE } else { FALSE };
            }
            if *st == TRUE {
                return u32::try_from(pos).ok();
            }
        }
        None
    }

    fn first_match_tri(
        &self,
        app: &AppCode,
        allow_blocked: bool,
        p: &Prepared,
        s: &mut Scratch,
        u: &Unknowns,
        states: &mut [u8],
    ) -> AppPick {
        let mut candidates = Vec::new();
        for (pos, e) in app.order.iter().enumerate() {
            if allow_blocked && e.decision == PolicyDecision::Allow {
                continue;
            }
            let pos = u32::try_from(pos).ok();
            let Some(st) = states.get_mut(e.policy as usize) else {
                continue;
            };
            if *st == 0 {
                *st = state(
                    self.apps
                        .policies
                        .get(e.policy as usize)
                        .map_or(Tri::False, |c| self.group_tri(&c.code, &p.ctx, s, u)),
                );
            }
            match *st {
                TRUE if candidates.is_empty() => return AppPick::One(pos),
                TRUE => {
                    candidates.push(pos);
                    return AppPick::Undetermined(candidates);
                }
                UNKNOWN => candidates.push(pos),
                _ => {}
            }
        }
        if candidates.is_empty() {
            AppPick::One(None)
        } else {
            candidates.push(None);
            AppPick::Undetermined(candidates)
        }
    }

    /// Which application protects the context's request: `None` when the
    /// context names no request; `Some(None)` when no application covers it.
    pub(in crate::engine) fn protecting(&self, p: &Prepared) -> Option<Option<usize>> {
        let target = p.subject.request.target.as_ref()?;
        let apps = &self.config.applications;
        // Only the destinations that can cover it, in order.
        let candidates = self.apps.route_index.candidates(target);
        let targets = candidates.filter_map(|r| {
            let &(a, d) = self.apps.routes.get(r as usize)?;
            let t = apps.get(a as usize)?.destinations.get(d as usize)?;
            Some((a as usize, d as usize, &t.target))
        });
        Some(crate::route::protecting(targets, target).map(|(app, _)| app))
    }
}
