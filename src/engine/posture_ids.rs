//! A prepared context's posture results, as references rather than copies: a
//! result is a configuration rule's (its index) or one the context names (its
//! place in `device.posture`). Preparing a context copied every id into new
//! strings and deduplicated them through a hash set of copies: a tenth of a
//! batch record's allocations.

use crate::config::PostureRule;
use crate::subject::Subject;

/// One posture rule id, by reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum PostureId {
    /// `config.posture_rules[i]`
    Rule(u32),
    /// `device.posture.passed[i]`
    GivenPassed(u32),
    /// `device.posture.failed[i]`
    GivenFailed(u32),
}

/// The results of one context: passed, failed and unknown, in the order the
/// decision lists them (given ones first, as given, each once; then computed
/// ones in configuration order).
#[derive(Debug, Clone, Default)]
pub(super) struct PostureIds {
    pub(super) passed: Vec<PostureId>,
    pub(super) failed: Vec<PostureId>,
    /// Configuration rules whose result is unknown.
    pub(super) unknown: Vec<u32>,
}

/// What a `PostureId` refers into.
#[derive(Clone, Copy)]
pub(super) struct Names<'a> {
    rules: &'a [PostureRule],
    given_passed: &'a [String],
    given_failed: &'a [String],
}

impl<'a> Names<'a> {
    pub(super) fn new(rules: &'a [PostureRule], s: &'a Subject) -> Names<'a> {
        let given = s.device.posture.as_ref();
        Names {
            rules,
            given_passed: given.map_or(&[], |p| &p.passed),
            given_failed: given.map_or(&[], |p| &p.failed),
        }
    }

    /// The id `id` refers to (empty if it refers to nothing, which the
    /// lists built by `given` and `push` never do).
    pub(super) fn of(&self, id: PostureId) -> &'a str {
        let (list, i): (&'a [String], u32) = match id {
            PostureId::Rule(i) => {
                return self.rules.get(i as usize).map_or("", |r| r.id.as_str());
            }
            PostureId::GivenPassed(i) => (self.given_passed, i),
            PostureId::GivenFailed(i) => (self.given_failed, i),
        };
        list.get(i as usize).map_or("", String::as_str)
    }

    /// The ids of `list`, in order.
    pub(super) fn all(&self, list: &'a [PostureId]) -> impl Iterator<Item = &'a str> + Clone {
        let names = *self;
        list.iter().map(move |&id| names.of(id))
    }

    /// The ids of unknown rules `list`, in order.
    pub(super) fn rules(&self, list: &'a [u32]) -> impl Iterator<Item = &'a str> + Clone {
        let names = *self;
        list.iter().map(move |&i| names.of(PostureId::Rule(i)))
    }

    /// The context's given results, each id once (the first place it is named).
    pub(super) fn given(&self) -> PostureIds {
        // Room for every configuration rule's result too: no growth after.
        let room = self.rules.len();
        let once = |list: &[String], make: fn(u32) -> PostureId| -> Vec<PostureId> {
            let mut out = Vec::with_capacity(list.len() + room);
            // A long list is deduplicated through a set of borrowed ids; a
            // short one by comparing with what came before.
            let mut seen = std::collections::HashSet::new();
            let long = list.len() > 16;
            for (i, id) in (0u32..).zip(list) {
                let first = if long {
                    seen.insert(id.as_str())
                } else {
                    !list
                        .get(..i as usize)
                        .is_some_and(|before| before.contains(id))
                };
                if first {
                    out.push(make(i));
                }
            }
            out
        };
        PostureIds {
            passed: once(self.given_passed, PostureId::GivenPassed),
            failed: once(self.given_failed, PostureId::GivenFailed),
            unknown: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each id once, where first named, for a short list and for a long one
    /// (deduplicated through a set).
    #[test]
    fn given_results_are_each_listed_once_in_order() {
        for n in [5usize, 40] {
            let ids: Vec<String> = (0..n).map(|i| format!("r{}", i % 3 + i / 6)).collect();
            let mut s = Subject::default();
            s.device.posture = Some(crate::subject::Posture {
                passed: ids.clone(),
                failed: vec!["f".into(), "f".into()],
                timestamps: None,
            });
            let names = Names::new(&[], &s);
            let given = names.given();
            let got: Vec<&str> = names.all(&given.passed).collect();
            let mut want: Vec<&str> = Vec::new();
            for id in &ids {
                if !want.contains(&id.as_str()) {
                    want.push(id);
                }
            }
            assert_eq!(got, want, "{n} ids");
            assert_eq!(names.all(&given.failed).collect::<Vec<_>>(), ["f"]);
        }
    }
}
