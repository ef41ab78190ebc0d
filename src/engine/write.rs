//! The decision JSON written straight to bytes: the batch path. What depends only
//! on the configuration comes from `fragments.rs`, serialized once; the rest is
//! written here, so the bytes equal the `Decision` serialized.

use super::apps::AppPick;
use super::compiled::Engine;
use super::decide::{EngineScratch, Pick};
use super::posture_ids::PostureId;
use super::prepare::Prepared;
use crate::program::Tri;
use serde_json::Value as J;

/// Appends `s` as a JSON string. Ids and names rarely need escaping: those that
/// do not are copied whole, the rest go through serde_json's escaper.
fn string(out: &mut Vec<u8>, s: &str) {
    // A fold, not `all`: no early exit, so it vectorizes.
    let plain = !s.bytes().fold(false, |bad, b| {
        bad | (b < 0x20) | (b == b'"') | (b == b'\\')
    });
    if plain {
        out.reserve(s.len() + 2);
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    } else {
        // Writing a string into a `Vec` cannot fail.
        let _ = serde_json::to_writer(&mut *out, s);
    }
}

/// Appends any serializable part.
fn ser(out: &mut Vec<u8>, v: &impl serde::Serialize) {
    // Serializing into memory cannot fail.
    let _ = serde_json::to_writer(&mut *out, v);
}

impl Engine {
    /// Decides a prepared context and appends the decision JSON (`decision.md` §1,
    /// without explanation) to `out`: the same bytes as the `Decision`
    /// serialized, without building it.
    pub fn write_decision(&self, p: &Prepared, scratch: &mut EngineScratch, out: &mut Vec<u8>) {
        let outcome = self.decide_prepared(p, scratch);
        if p.unknowns.is_none() {
            // Decided two-valued: one pick each.
            let app = |i: usize| {
                let pos = scratch.apps.first(i)?;
                Some((pos != super::apps::NONE).then_some(pos))
            };
            let member = |i: usize| self.is_member(scratch, i);
            self.write_picked(p, scratch, &outcome, &member, &app, out);
            return;
        }
        // Decided three-valued. When every part came out determined (the
        // unknown inputs decided nothing shown), the decision is written as
        // a two-valued one is: it has no undetermined part and names no
        // unknown input. Every application counts, shown or not, as the
        // typed decision names the inputs of hidden ones too.
        let picks = scratch.apps.picks();
        let determined = matches!(outcome.device_profile, Pick::One(_))
            && matches!(outcome.ip_profile, Pick::One(_))
            && (0..self.groups.len()).all(|i| self.membership(&scratch.eval, i) != Tri::Unknown)
            && picks.iter().all(|a| matches!(a, AppPick::One(_)));
        if !determined {
            drop(picks);
            self.write_undetermined(p, scratch, outcome, out);
            return;
        }
        let app = |i: usize| match picks.get(i)? {
            AppPick::One(pos) => Some(*pos),
            AppPick::Undetermined(_) => None,
        };
        let member = |i: usize| self.membership(&scratch.eval, i) == Tri::True;
        self.write_picked(p, scratch, &outcome, &member, &app, out);
    }

    /// A decision with one pick for each part: group `i` a member when
    /// `member(i)`, application `i` decided at position `app(i)` (`Some(None)`:
    /// by none), each part from its fragment.
    fn write_picked(
        &self,
        p: &Prepared,
        scratch: &EngineScratch,
        outcome: &super::Outcome,
        member: &dyn Fn(usize) -> bool,
        app: &dyn Fn(usize) -> Option<Option<u32>>,
        out: &mut Vec<u8>,
    ) {
        let one = |pick: &Pick| match pick {
            Pick::One(hit) => *hit,
            Pick::Undetermined(_) => None,
        };
        let (device, ip) = (one(&outcome.device_profile), one(&outcome.ip_profile));
        let f = self.fragments();
        let present = &self.config.present;
        out.extend_from_slice(b"{\"id\":");
        match &p.subject.id {
            Some(J::String(id)) => string(out, id),
            // Otherwise a number (checked on read).
            Some(id) => {
                let _ = serde_json::to_writer(&mut *out, id);
            }
            None => out.extend_from_slice(b"null"),
        }
        if p.subject.from_record {
            out.extend_from_slice(b",\"source\":\"identity_record\"");
        }
        if present.device_profiles {
            out.extend_from_slice(b",\"device_profile\":");
            let hit = device.and_then(|i| f.device.get(i));
            out.extend_from_slice(hit.unwrap_or(&f.device_fallback));
        }
        if present.ip_profiles {
            out.extend_from_slice(b",\"ip_profile\":");
            let hit = ip.and_then(|i| f.ip.get(i));
            out.extend_from_slice(hit.unwrap_or(&f.ip_fallback));
        }
        if present.groups {
            out.extend_from_slice(b",\"access_groups\":[");
            let mut first = true;
            for (i, frag) in f.groups.iter().enumerate() {
                if member(i) {
                    if !first {
                        out.push(b',');
                    }
                    first = false;
                    out.extend_from_slice(frag);
                }
            }
            out.push(b']');
        }
        if present.posture_rules {
            self.write_posture(p, out);
        }
        if present.applications {
            out.extend_from_slice(b",\"applications\":[");
            let mut first = true;
            for (i, frags) in f.apps.iter().enumerate() {
                if !self.apps.is_shown(i) {
                    continue;
                }
                if !first {
                    out.push(b',');
                }
                first = false;
                let frag = match app(i) {
                    Some(Some(pos)) => frags.get(pos as usize),
                    _ => frags.last(),
                };
                out.extend_from_slice(frag.map_or(&b"null"[..], |f| &f[..]));
            }
            out.push(b']');
            self.write_access(p, scratch, app, out);
        }
        out.push(b'}');
    }

    /// `,"posture":{…}`: the prepared results, as the decision lists them.
    fn write_posture(&self, p: &Prepared, out: &mut Vec<u8>) {
        let names = p.posture_names(self);
        let frags = &self.fragments().posture_ids;
        // A configuration rule's id from its fragment; a given one checked
        // for escapes.
        let list = |out: &mut Vec<u8>, ids: &mut dyn Iterator<Item = PostureId>| {
            out.push(b'[');
            for (k, id) in ids.enumerate() {
                if k > 0 {
                    out.push(b',');
                }
                match id {
                    PostureId::Rule(i) if let Some(f) = frags.get(i as usize) => {
                        out.extend_from_slice(f);
                    }
                    _ => string(out, names.of(id)),
                }
            }
            out.push(b']');
        };
        out.extend_from_slice(b",\"posture\":{\"passed\":");
        list(out, &mut p.posture.passed.iter().copied());
        out.extend_from_slice(b",\"failed\":");
        list(out, &mut p.posture.failed.iter().copied());
        out.extend_from_slice(b",\"unknown\":");
        list(
            out,
            &mut p.posture.unknown.iter().map(|&i| PostureId::Rule(i)),
        );
        out.push(b'}');
    }

    /// `,"access":{…}` for a context that names a request: the request as
    /// given, then its answer's fragment. `pick(i)` is application `i`'s
    /// deciding position (`Some(None)`: none decides), or `None` when it is
    /// undetermined: then the answer is the typed one, serialized.
    fn write_access(
        &self,
        p: &Prepared,
        scratch: &EngineScratch,
        pick: &dyn Fn(usize) -> Option<Option<u32>>,
        out: &mut Vec<u8>,
    ) {
        let Some(found) = self.protecting(p) else {
            return;
        };
        let f = self.fragments();
        let tail = match found {
            // With `--app`, the request is shown only when one of those protects it.
            _ if !self.apps.shown.is_empty() && !found.is_some_and(|i| self.apps.is_shown(i)) => {
                return;
            }
            Some(i) => {
                let frags = f.access.get(i);
                match pick(i) {
                    Some(Some(pos)) => frags.and_then(|x| x.get(pos as usize)),
                    Some(None) => frags.and_then(|x| x.last()),
                    None => None,
                }
            }
            None => match self.unmatched(p) {
                super::apps::outcome::Unmatched::Deny => f.unmatched.first(),
                super::apps::outcome::Unmatched::NotProtected => f.unmatched.get(1),
            },
        };
        let req = &p.subject.request;
        match (&req.url, &req.destination, tail) {
            (Some(url), _, Some(tail)) => {
                out.extend_from_slice(b",\"access\":{\"url\":");
                string(out, url);
                out.push(b',');
                out.extend_from_slice(tail);
            }
            // A destination is rare in batch, and an undetermined answer
            // rarer: written as the typed decision writes them.
            _ => {
                if let Some(access) = self.access_outcome(p, &scratch.apps.picks()) {
                    out.extend_from_slice(b",\"access\":");
                    ser(out, &access);
                }
            }
        }
    }

    /// A decision with unknown inputs: the typed decision, written with the
    /// fragments wherever a part is determined (a profile, a member group) and
    /// serialized only where it is not (candidates, unknown groups and inputs).
    fn write_undetermined(
        &self,
        p: &Prepared,
        scratch: &mut EngineScratch,
        outcome: super::Outcome,
        out: &mut Vec<u8>,
    ) {
        use super::decision::Selected;
        // Posture and the request's answer are written below, from the
        // prepared context and the picks: the typed decision leaves them out.
        let d = self.typed_decision_of(outcome, p, scratch, false, false);
        let f = self.fragments();
        out.extend_from_slice(b"{\"id\":");
        ser(out, &d.id);
        if d.from_identity_record {
            out.extend_from_slice(b",\"source\":\"identity_record\"");
        }
        for (key, outcome, list, hits, fallback) in [
            (
                &b",\"device_profile\":"[..],
                &d.device_profile,
                &self.config.device_profiles,
                &f.device,
                &f.device_fallback,
            ),
            (
                &b",\"ip_profile\":"[..],
                &d.ip_profile,
                &self.config.ip_profiles,
                &f.ip,
                &f.ip_fallback,
            ),
        ] {
            let Some(o) = outcome else { continue };
            out.extend_from_slice(key);
            match &o.selected {
                Selected::Match(profile) => {
                    match list
                        .iter()
                        .position(|q| std::ptr::eq(q, *profile))
                        .and_then(|i| hits.get(i))
                    {
                        Some(frag) => out.extend_from_slice(frag),
                        None => ser(out, o),
                    }
                }
                Selected::Default(_) => out.extend_from_slice(fallback),
                Selected::Undetermined(_) => ser(out, o),
            }
        }
        if let Some(g) = &d.access_groups {
            out.extend_from_slice(b",\"access_groups\":[");
            // Members are in input order: one walk pairs them with fragments.
            let mut members = g.members.iter().peekable();
            let mut first = true;
            for (group, frag) in self.config.groups.iter().zip(&f.groups) {
                if members.peek().is_some_and(|m| std::ptr::eq(**m, group)) {
                    members.next();
                    if !first {
                        out.push(b',');
                    }
                    first = false;
                    out.extend_from_slice(frag);
                }
            }
            out.push(b']');
            if !g.unknown.is_empty() {
                out.extend_from_slice(b",\"access_groups_unknown\":");
                ser(out, &g.unknown);
            }
        }
        if self.config.present.posture_rules {
            self.write_posture(p, out);
        }
        if let Some(apps) = &d.applications {
            // Determined applications from their fragments; undetermined ones
            // serialized. `apps` holds the shown applications, in order.
            out.extend_from_slice(b",\"applications\":[");
            let picks = scratch.apps.picks();
            let shown = (0..f.apps.len()).filter(|i| self.apps.is_shown(*i));
            for (k, (i, outcome)) in shown.zip(apps).enumerate() {
                if k > 0 {
                    out.push(b',');
                }
                let frags = f.apps.get(i);
                let frag = match picks.get(i) {
                    Some(AppPick::One(Some(pos))) => frags.and_then(|x| x.get(*pos as usize)),
                    Some(AppPick::One(None)) => frags.and_then(|x| x.last()),
                    _ => None,
                };
                match frag {
                    Some(frag) => out.extend_from_slice(frag),
                    None => ser(out, outcome),
                }
            }
            out.push(b']');
        }
        if self.config.present.applications {
            let picks = scratch.apps.picks();
            let pick = |i: usize| match picks.get(i)? {
                AppPick::One(pos) => Some(*pos),
                AppPick::Undetermined(_) => None,
            };
            self.write_access(p, scratch, &pick, out);
        }
        if !d.unknown.is_empty() {
            out.extend_from_slice(b",\"unknown\":");
            ser(out, &d.unknown);
        }
        out.push(b'}');
    }
}
