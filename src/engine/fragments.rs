//! The parts of a decision that depend only on the configuration (a group's
//! `{"id", "name"}`, a profile's object with its settings), serialized once when
//! the engine is built, by the same `Serialize` impls a `Decision` uses, so the
//! batch writer's bytes equal the decision serialized.

use super::decision::{GroupRef, ProfileKind, ProfileOutcome, Selected};
use crate::config::Config;

/// Configuration-only parts of a decision, serialized once.
#[derive(Debug, Default)]
pub(super) struct Fragments {
    /// Per group, input order.
    pub(super) groups: Vec<Box<[u8]>>,
    /// Per device profile, as the match.
    pub(super) device: Vec<Box<[u8]>>,
    /// When no custom profile matches.
    pub(super) device_fallback: Box<[u8]>,
    /// Per IP profile, as the match.
    pub(super) ip: Vec<Box<[u8]>>,
    /// When no IP profile matches.
    pub(super) ip_fallback: Box<[u8]>,
    /// Per application, per position in its execution order, the object
    /// when that entry decides; last, the default deny.
    pub(super) apps: Vec<Vec<Box<[u8]>>>,
    /// The same as the request's answer, after its `{"url":…,` (`AccessTail`).
    pub(super) access: Vec<Vec<Box<[u8]>>>,
    /// No application covers the request: denied, not protected.
    pub(super) unmatched: [Box<[u8]>; 2],
    /// Per posture rule, its id as a JSON string.
    pub(super) posture_ids: Vec<Box<[u8]>>,
}

fn bytes(v: &impl serde::Serialize) -> Box<[u8]> {
    // Serializing these parts into memory cannot fail.
    serde_json::to_vec(v).unwrap_or_default().into_boxed_slice()
}

impl Fragments {
    /// The fragments of `config`, whose default device profile is at
    /// `device_default`.
    pub(super) fn new(config: &Config, device_default: Option<usize>) -> Fragments {
        let profile = |kind, selected| ProfileOutcome {
            kind,
            selected,
            checked: None,
        };
        let device = |hit| {
            let selected = Selected::device(&config.device_profiles, device_default, hit);
            bytes(&profile(ProfileKind::Device, selected))
        };
        let ip = |hit| {
            bytes(&profile(
                ProfileKind::Ip,
                Selected::ip(&config.ip_profiles, hit),
            ))
        };
        Fragments {
            groups: config.groups.iter().map(|g| bytes(&GroupRef(g))).collect(),
            device: (0..config.device_profiles.len())
                .map(|i| device(Some(i)))
                .collect(),
            device_fallback: device(None),
            ip: (0..config.ip_profiles.len()).map(|i| ip(Some(i))).collect(),
            ip_fallback: ip(None),
            apps: Vec::new(),
            access: Vec::new(),
            unmatched: Default::default(),
            posture_ids: config.posture_rules.iter().map(|r| bytes(&r.id)).collect(),
        }
    }

    /// Per application, per position in its execution order and last for
    /// the default deny, `render` of the application and that answer.
    fn per_entry<'e>(
        engine: &'e super::compiled::Engine,
        render: impl Fn(
            &'e crate::config::Application,
            super::apps::outcome::AppResult<'e>,
        ) -> Box<[u8]>,
    ) -> Vec<Vec<Box<[u8]>>> {
        use super::apps::outcome::AppResult;
        engine
            .config
            .applications
            .iter()
            .zip(&engine.apps.apps)
            .enumerate()
            .map(|(i, (app, code))| {
                let positions = (0..code.order.len()).map(|p| u32::try_from(p).ok());
                positions
                    .chain([None])
                    .map(|pos| render(app, AppResult::One(engine.verdict(i, pos))))
                    .collect()
            })
            .collect()
    }

    /// The request's answers of `engine`, per application and entry.
    pub(super) fn access(engine: &super::compiled::Engine) -> Vec<Vec<Box<[u8]>>> {
        use super::apps::outcome::AccessTail;
        Self::per_entry(engine, |app, result| AccessTail(&Ok((app, result))).bytes())
    }

    /// The request's answer when no application covers it.
    pub(super) fn unmatched() -> [Box<[u8]>; 2] {
        use super::apps::outcome::{AccessTail, Unmatched};
        [
            AccessTail(&Err(Unmatched::Deny)).bytes(),
            AccessTail(&Err(Unmatched::NotProtected)).bytes(),
        ]
    }

    /// The application fragments of `engine`.
    pub(super) fn apps(engine: &super::compiled::Engine) -> Vec<Vec<Box<[u8]>>> {
        use super::apps::outcome::AppOutcome;
        Self::per_entry(engine, |app, result| {
            bytes(&AppOutcome {
                app,
                result,
                why: None,
            })
        })
    }
}
