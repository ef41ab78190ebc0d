//! What a list's or a profile's own endpoint returns, attached to it:
//! `list_items` (`GET …/gateway/lists/{id}/items`), `split_tunnel_include`,
//! `split_tunnel_exclude` and `fallback_domains` (`GET …/devices/policy/{id}/…`,
//! `default` for the default profile), `config.md` §1, §3, §4.

use super::envelope::{Expect, Paging};
use super::model::Config;
use super::reader::Reader;
use crate::hash::TextMap;
use crate::json::tree::Value;

/// The lists and device profiles by id, found once for every attached value:
/// a search of every list for each value made a configuration of many lists,
/// each with its items attached, quadratic (40,000 lists: 3 s).
pub struct Targets {
    lists: TextMap<String, usize>,
    profiles: TextMap<String, usize>,
    default_profile: Option<usize>,
}

impl Targets {
    /// The first list and the first profile of each id, as a search in input
    /// order finds them (a repeated id is an error of its own).
    pub fn new(cfg: &Config) -> Targets {
        let mut lists = TextMap::default();
        for (i, l) in cfg.lists.iter().enumerate() {
            lists.entry(l.id.clone()).or_insert(i);
        }
        let mut profiles = TextMap::default();
        for (i, p) in cfg.device_profiles.iter().enumerate() {
            if let Some(id) = &p.id {
                profiles.entry(id.clone()).or_insert(i);
            }
        }
        Targets {
            lists,
            profiles,
            default_profile: cfg.device_profiles.iter().position(|p| p.default),
        }
    }
}

impl Reader<'_> {
    /// Attaches one endpoint's value for list or profile `id`.
    pub fn attach(
        &mut self,
        cfg: &mut Config,
        targets: &Targets,
        key: &str,
        id: &str,
        v: &mut Value,
        path: &str,
    ) {
        let expect = if key == "list_items" {
            Expect::Pages
        } else {
            Expect::Many
        };
        let mut paging = Paging::default();
        let Some(items) = self.records(v, path, expect, &mut paging) else {
            return;
        };
        if key == "list_items" {
            let list = targets.lists.get(id).and_then(|&i| cfg.lists.get_mut(i));
            let Some(list) = list else {
                self.warning(
                    path,
                    format!("items for list `{id}`, which is not among the lists; ignored"),
                );
                return;
            };
            let kind = list.kind.clone();
            let mut got = Vec::new();
            for (item, p) in items {
                if let Some(v) = self.list_item(item, &p, &kind) {
                    got.push(v);
                }
            }
            // A set of the items so far: a list of many items is not
            // compared item by item against all the others.
            let mut known: crate::hash::TextSet<String> = list.items.iter().cloned().collect();
            for v in got {
                if known.insert(v.clone()) {
                    list.items.push(v);
                }
            }
            return;
        }
        let setting = match key {
            "split_tunnel_include" => "include",
            "split_tunnel_exclude" => "exclude",
            _ => "fallback_domains",
        };
        let at = if id == "default" {
            targets.default_profile
        } else {
            targets.profiles.get(id).copied()
        };
        let profile = at.and_then(|i| cfg.device_profiles.get_mut(i));
        let Some(profile) = profile else {
            self.warning(
                path,
                format!("`{setting}` for device profile `{id}`, which is not among the profiles; ignored"),
            );
            return;
        };
        let list: Vec<serde_json::Value> = items.into_iter().map(|(v, _)| v.to_serde()).collect();
        if let Some(old) = profile.settings.get(setting)
            && old.as_array() != Some(&list)
        {
            self.warning(
                path,
                format!(
                    "device profile `{}` also has `{setting}` in its own body; the endpoint's list replaces it",
                    profile.name
                ),
            );
        }
        profile
            .settings
            .insert(setting.to_string(), serde_json::Value::Array(list));
    }
}
