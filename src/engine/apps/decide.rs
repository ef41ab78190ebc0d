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
    /// Per policy: 0 not yet evaluated, else `1 + Tri as u8`.
    states: Vec<u8>,
    pub(in crate::engine) picks: Vec<AppPick>,
}

impl AppScratch {
    pub(in crate::engine) fn new(apps: &Apps) -> AppScratch {
        AppScratch {
            states: vec![0; apps.policies.len()],
            picks: vec![AppPick::One(None); apps.apps.len()],
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
        apps.states.fill(0);
        let gate = self.apps.gate(&p.subject);
        for (code, pick) in self.apps.apps.iter().zip(apps.picks.iter_mut()) {
            let blocked = self.apps.allow_blocked(code, gate).is_some();
            *pick = match &p.unknowns {
                None => AppPick::One(self.first_match(code, blocked, p, s, &mut apps.states)),
                Some(u) => self.first_match_tri(code, blocked, p, s, u, &mut apps.states),
            };
        }
    }

    fn first_match(
        &self,
        app: &AppCode,
        allow_blocked: bool,
        p: &Prepared,
        s: &mut Scratch,
        states: &mut [u8],
    ) -> Option<u32> {
        for (pos, e) in app.order.iter().enumerate() {
            if allow_blocked && e.decision == PolicyDecision::Allow {
                continue;
            }
            let Some(st) = states.get_mut(e.policy as usize) else {
                continue;
            };
            if *st == 0 {
                let v = self
                    .apps
                    .policies
                    .get(e.policy as usize)
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
        let targets = self
            .config
            .applications
            .iter()
            .enumerate()
            .filter(|(_, a)| a.kind != "bookmark")
            .flat_map(|(i, a)| {
                a.destinations
                    .iter()
                    .enumerate()
                    .map(move |(d, t)| (i, d, &t.target))
            });
        Some(crate::route::protecting(targets, target).map(|(app, _)| app))
    }
}
