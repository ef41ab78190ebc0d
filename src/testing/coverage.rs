//! Coverage (`tests.md` §3): for every group rule, device and IP profile and
//! application policy, whether some decision made it true and some made it
//! false. Read off explained decisions, so it counts exactly what the
//! explanation shows: a profile after the first match, or a policy after the
//! deciding one, was never reached and counts as neither; so does an unknown.
//! Group membership is counted too (for `coverage --contexts`: the groups that
//! matched nobody or everybody) but is not part of the measure.

use crate::Decision;
use crate::config::Config;
use crate::decision::ProfileOutcome;
use crate::program::Tri;
use std::collections::HashMap;

/// What an item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    /// A group's include, require or exclude rule.
    Rule,
    /// A custom device settings profile's `match`.
    DeviceProfile,
    /// An IP profile's `match`.
    IpProfile,
    /// An application's policy.
    Policy,
    /// A group's membership (not in the measure).
    Group,
}

/// One item and how often it was true and false.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Item {
    /// What it is.
    pub kind: ItemKind,
    /// How a person finds it: `Engineering include[0] {"okta":…}`.
    pub name: String,
    /// Decisions in which it was true.
    #[serde(rename = "true")]
    pub true_count: usize,
    /// Decisions in which it was false.
    #[serde(rename = "false")]
    pub false_count: usize,
    /// Decisions in which it was unknown (an input not known offline): an
    /// item never true but sometimes unknown did not match nobody.
    #[serde(rename = "unknown")]
    pub unknown_count: usize,
}

/// Coverage of one configuration, accumulated over decisions.
#[derive(Debug, Clone)]
pub struct Coverage {
    items: Vec<Item>,
    /// Item by kind and record address: a rule by its own address, so a
    /// lookup builds no key text.
    at: HashMap<(ItemKind, usize), usize>,
    /// Decisions observed.
    pub decisions: usize,
}

/// An address that names a configuration record for as long as the
/// configuration lives: the key of its item.
fn addr<T>(x: &T) -> usize {
    std::ptr::from_ref(x) as usize
}

impl Coverage {
    /// Every item of `config`, none reached yet.
    pub fn new(config: &Config) -> Coverage {
        let mut c = Coverage {
            items: Vec::new(),
            at: HashMap::new(),
            decisions: 0,
        };
        for g in &config.groups {
            c.add(ItemKind::Group, addr(g), format!("group {}", g.name));
            for r in g.include.iter().chain(&g.require).chain(&g.exclude) {
                c.add(
                    ItemKind::Rule,
                    addr(r),
                    format!("group {} {} {}", g.name, r.path, r.json),
                );
            }
        }
        for (kind, profiles, what) in [
            (
                ItemKind::DeviceProfile,
                &config.device_profiles,
                "device profile",
            ),
            (ItemKind::IpProfile, &config.ip_profiles, "IP profile"),
        ] {
            for p in profiles.iter().filter(|p| !p.default && p.enabled) {
                c.add(kind, addr(p), format!("{what} {}", p.name));
            }
        }
        for a in &config.applications {
            for entry in &a.policies {
                let name = entry
                    .body
                    .as_ref()
                    .or_else(|| entry.reusable.and_then(|i| config.policies.get(i)))
                    .map_or("?", |p| p.name.as_str());
                c.add(
                    ItemKind::Policy,
                    addr(entry),
                    format!("application {}: policy {name}", a.name),
                );
            }
        }
        c
    }

    fn add(&mut self, kind: ItemKind, key: usize, name: String) {
        self.at.insert((kind, key), self.items.len());
        self.items.push(Item {
            kind,
            name,
            true_count: 0,
            false_count: 0,
            unknown_count: 0,
        });
    }

    /// Counts one result: `None` when not reached.
    fn saw(&mut self, kind: ItemKind, key: usize, result: Option<Tri>) {
        let Some(t) = result else { return };
        if let Some(&i) = self.at.get(&(kind, key))
            && let Some(item) = self.items.get_mut(i)
        {
            match t {
                Tri::True => item.true_count += 1,
                Tri::False => item.false_count += 1,
                Tri::Unknown => item.unknown_count += 1,
            }
        }
    }

    /// Adds what an explained decision shows.
    pub fn observe(&mut self, d: &Decision<'_>) {
        self.decisions += 1;
        if let Some(why) = d.access_groups.as_ref().and_then(|g| g.why.as_ref()) {
            for w in why {
                self.saw(ItemKind::Group, addr(w.group), Some(w.member));
                for r in w.include.iter().chain(&w.require).chain(&w.exclude) {
                    self.saw(ItemKind::Rule, addr(r.rule), Some(r.result));
                }
            }
        }
        for (kind, outcome) in [
            (ItemKind::DeviceProfile, &d.device_profile),
            (ItemKind::IpProfile, &d.ip_profile),
        ] {
            self.profiles(kind, outcome.as_ref());
        }
        for o in d.applications.iter().flatten() {
            for p in o.why.iter().flatten() {
                self.saw(ItemKind::Policy, addr(p.decider.entry), p.result);
            }
        }
    }

    fn profiles(&mut self, kind: ItemKind, outcome: Option<&ProfileOutcome<'_>>) {
        for p in outcome
            .and_then(|o| o.checked.as_ref())
            .into_iter()
            .flatten()
        {
            self.saw(kind, addr(p.profile), super::run::profile_hit(p.result));
        }
    }

    /// Every item, in configuration order.
    pub fn items(&self) -> &[Item] {
        &self.items
    }

    /// The items of the measure (all but group membership).
    pub fn measured(&self) -> impl Iterator<Item = &Item> {
        self.items.iter().filter(|i| i.kind != ItemKind::Group)
    }

    /// The share, in percent, of (item, true) and (item, false) pairs some
    /// decision reached; 100 when there is nothing to cover.
    pub fn percent(&self) -> f64 {
        let (mut reached, mut pairs) = (0usize, 0usize);
        for i in self.measured() {
            pairs += 2;
            reached += usize::from(i.true_count > 0) + usize::from(i.false_count > 0);
        }
        if pairs == 0 {
            100.0
        } else {
            reached as f64 * 100.0 / pairs as f64
        }
    }
}
