//! From picks to the typed decision's application parts, and with explanation
//! each policy checked, rule by rule (`decision.md` §2).

use super::Entry;
use super::decide::AppPick;
use super::outcome::{
    AccessOutcome, AppOutcome, AppResult, CheckedPolicy, Decider, Unmatched, Verdict,
};
use crate::config::{Application, PolicyDecision};
use crate::engine::compiled::Engine;
use crate::engine::prepare::Prepared;
use crate::program::{Scratch, Tri};

impl Engine {
    /// The policy an entry runs, with the entry.
    pub(in crate::engine) fn decider<'e>(
        &'e self,
        app: &'e Application,
        e: &Entry,
    ) -> Option<Decider<'e>> {
        let entry = app.policies.get(e.entry as usize)?;
        let policy = match entry.reusable {
            Some(i) => self.config.policies.get(i)?,
            None => entry.body.as_ref()?,
        };
        Some(Decider { policy, entry })
    }

    /// The verdict of application `index` for the entry at `pos` in its order.
    pub(in crate::engine) fn verdict(&self, index: usize, pos: Option<u32>) -> Verdict<'_> {
        let by = pos.and_then(|pos| {
            let app = self.config.applications.get(index)?;
            let e = self.apps.apps.get(index)?.order.get(pos as usize)?;
            self.decider(app, e)
        });
        Verdict {
            decision: by.map_or(PolicyDecision::Deny, |d| d.policy.decision),
            by,
            global_session: self.apps.org.session_duration.as_deref(),
        }
    }

    /// An application's answer from its pick.
    pub(in crate::engine) fn app_result(&self, index: usize, pick: &AppPick) -> AppResult<'_> {
        match pick {
            AppPick::One(pos) => AppResult::One(self.verdict(index, *pos)),
            AppPick::Undetermined(c) => {
                AppResult::Undetermined(c.iter().map(|pos| self.verdict(index, *pos)).collect())
            }
        }
    }

    /// Every application's outcome, explained on request.
    pub(in crate::engine) fn app_outcomes<'e>(
        &'e self,
        p: &Prepared,
        s: &mut Scratch,
        picks: &[AppPick],
        explain: bool,
    ) -> Vec<AppOutcome<'e>> {
        self.config
            .applications
            .iter()
            .zip(picks)
            .enumerate()
            .filter(|(i, _)| self.apps.is_shown(*i))
            .map(|(i, (app, pick))| AppOutcome {
                app,
                result: self.app_result(i, pick),
                why: explain.then(|| self.app_checked(i, p, s)),
            })
            .collect()
    }

    /// The policies an application checked, in order, up to the deciding one
    /// (an unknown match does not stop the walk).
    fn app_checked<'e>(
        &'e self,
        index: usize,
        p: &Prepared,
        s: &mut Scratch,
    ) -> Vec<CheckedPolicy<'e>> {
        let (Some(app), Some(code)) = (
            self.config.applications.get(index),
            self.apps.apps.get(index),
        ) else {
            return Vec::new();
        };
        let blocked = self.apps.allow_blocked(code, self.apps.gate(&p.subject));
        let mut out = Vec::new();
        for e in &code.order {
            let Some(decider) = self.decider(app, e) else {
                continue;
            };
            if e.decision == PolicyDecision::Allow && blocked.is_some() {
                out.push(CheckedPolicy {
                    decider,
                    result: None,
                    skipped: blocked,
                    include: Vec::new(),
                    require: Vec::new(),
                    exclude: Vec::new(),
                    missing: Vec::new(),
                });
                continue;
            }
            let Some(pc) = self.apps.policies.get(e.policy as usize) else {
                continue;
            };
            let result = match &p.unknowns {
                Some(u) => self.group_tri(&pc.code, &p.ctx, s, u),
                None => Tri::from(self.group_value(&pc.code, &p.ctx, s)),
            };
            let mut missing = Vec::new();
            let mut unknown = Vec::new();
            let policy = decider.policy;
            let include = self.rules_why(
                &pc.code.include,
                &policy.include,
                p,
                s,
                &mut missing,
                &mut unknown,
            );
            let require = self.rules_why(
                &pc.code.require,
                &policy.require,
                p,
                s,
                &mut missing,
                &mut unknown,
            );
            let exclude = self.rules_why(
                &pc.code.exclude,
                &policy.exclude,
                p,
                s,
                &mut missing,
                &mut unknown,
            );
            out.push(CheckedPolicy {
                decider,
                result: Some(result),
                skipped: None,
                include,
                require,
                exclude,
                missing,
            });
            if result == Tri::True {
                break;
            }
        }
        out
    }

    /// The request's protecting application and its answer, when the context
    /// names a request.
    pub(in crate::engine) fn access_outcome<'e>(
        &'e self,
        p: &Prepared,
        picks: &[AppPick],
    ) -> Option<AccessOutcome<'e>> {
        let found = self.protecting(p)?;
        // With `--app`, the request is shown only when one of those protects it.
        if !self.apps.shown.is_empty() && !found.is_some_and(|i| self.apps.is_shown(i)) {
            return None;
        }
        let (key, request) = match (&p.subject.request.url, &p.subject.request.destination) {
            (Some(url), _) => ("url", serde_json::Value::from(url.as_str())),
            (None, Some(d)) => ("destination", destination_json(d)),
            (None, None) => return None,
        };
        let protected = match found {
            Some(i) => match (self.config.applications.get(i), picks.get(i)) {
                (Some(app), Some(pick)) => Ok((app, self.app_result(i, pick))),
                _ => Err(Unmatched::NotProtected),
            },
            None => Err(self.unmatched(p)),
        };
        Some(AccessOutcome {
            request,
            key,
            protected,
        })
    }

    /// The unknown inputs behind an undetermined application: those its
    /// unknown candidate policies read.
    pub(in crate::engine) fn app_unknown_inputs<'e>(
        &'e self,
        index: usize,
        candidates: &[Option<u32>],
        p: &Prepared,
        out: &mut crate::engine::input_set::InputSet<'e>,
    ) {
        let Some(code) = self.apps.apps.get(index) else {
            return;
        };
        for pos in candidates.iter().flatten() {
            if let Some(e) = code.order.get(*pos as usize)
                && let Some(pc) = self.apps.policies.get(e.policy as usize)
            {
                self.block_unknowns(pc.code.block, p, out);
            }
        }
    }

    /// What a request no application covers gets.
    pub(in crate::engine) fn unmatched(&self, p: &Prepared) -> Unmatched {
        let org = &self.apps.org;
        let exempt = p
            .subject
            .request
            .target
            .as_ref()
            .and_then(|t| t.host())
            .is_some_and(|h| crate::route::in_zones(h, &org.exempted_zones));
        if org.deny_unmatched_requests && !exempt {
            Unmatched::Deny
        } else {
            Unmatched::NotProtected
        }
    }
}

fn destination_json(d: &crate::subject::Destination) -> serde_json::Value {
    let mut m = serde_json::Map::new();
    if let Some(ip) = &d.ip {
        m.insert("ip".into(), ip.clone().into());
    }
    if let Some(port) = d.port {
        m.insert("port".into(), port.into());
    }
    if let Some(p) = &d.protocol {
        m.insert("protocol".into(), p.clone().into());
    }
    if let Some(h) = &d.hostname {
        m.insert("hostname".into(), h.clone().into());
    }
    if let Some(v) = &d.vnet_id {
        m.insert("vnet_id".into(), v.clone().into());
    }
    serde_json::Value::Object(m)
}
