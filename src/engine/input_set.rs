//! The unknown inputs behind a part of a decision, in the order first found,
//! each once. A list searched before each addition cost inputs squared: 3,000
//! unknown posture results that a profile and 3,000 groups read made millions
//! of comparisons a decision. Up to eight inputs (nearly always) are
//! searched; past eight, they are hashed as well.

use super::decision::UnknownInput;
use std::hash::{Hash, Hasher};

/// Inputs searched before they are hashed.
const SCANNED: usize = 8;

/// Unknown inputs, each once, in the order first pushed.
#[derive(Default)]
pub(super) struct InputSet<'e> {
    list: Vec<UnknownInput<'e>>,
    /// Indexes into `list`, once it holds more than `SCANNED`.
    table: hashbrown::HashTable<u32>,
    hasher: Option<ahash::RandomState>,
}

impl<'e> InputSet<'e> {
    /// Adds `input` unless it is there already.
    pub(super) fn push(&mut self, input: UnknownInput<'e>) {
        let Some(hasher) = &self.hasher else {
            if self.list.contains(&input) {
                return;
            }
            self.list.push(input);
            if self.list.len() > SCANNED {
                self.index();
            }
            return;
        };
        let hash = hasher.hash_one(Key(&input));
        let list = &self.list;
        let found = self.table.find(hash, |&i| {
            list.get(i as usize).is_some_and(|there| *there == input)
        });
        if found.is_some() {
            return;
        }
        let Ok(at) = u32::try_from(self.list.len()) else {
            // Past 4G inputs: kept, but unindexed (never reached: each is
            // an input of the configuration or the context).
            self.list.push(input);
            return;
        };
        self.list.push(input);
        let list = &self.list;
        self.table.insert_unique(hash, at, |&i| {
            list.get(i as usize).map_or(0, |x| hasher.hash_one(Key(x)))
        });
    }

    fn index(&mut self) {
        let hasher = ahash::RandomState::new();
        self.table.clear();
        for (at, input) in (0u32..).zip(&self.list) {
            let hash = hasher.hash_one(Key(input));
            let list = &self.list;
            self.table.insert_unique(hash, at, |&i| {
                list.get(i as usize).map_or(0, |x| hasher.hash_one(Key(x)))
            });
        }
        self.hasher = Some(hasher);
    }

    /// The inputs, in the order first pushed.
    pub(super) fn iter(&self) -> std::slice::Iter<'_, UnknownInput<'e>> {
        self.list.iter()
    }

    /// The inputs, in the order first pushed.
    pub(super) fn into_vec(self) -> Vec<UnknownInput<'e>> {
        self.list
    }
}

/// An input hashed as `PartialEq` compares it: records by address.
struct Key<'a, 'e>(&'a UnknownInput<'e>);

impl Hash for Key<'_, '_> {
    fn hash<H: Hasher>(&self, h: &mut H) {
        std::mem::discriminant(self.0).hash(h);
        match self.0 {
            UnknownInput::Posture { rule, reason } => {
                std::ptr::hash(*rule, h);
                reason.hash(h);
            }
            UnknownInput::List(l) => std::ptr::hash(*l, h),
            UnknownInput::ServiceToken(s) | UnknownInput::AfterApply(s) => s.hash(h),
            UnknownInput::AccountMember | UnknownInput::IdentityGroups => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::InputSet;
    use crate::engine::decision::UnknownInput;

    #[test]
    fn each_once_in_first_order_past_the_scanned_few() {
        let mut set = InputSet::default();
        let names: Vec<String> = (0..40).map(|i| format!("t{i}")).collect();
        for round in 0..3 {
            for (i, n) in names.iter().enumerate() {
                if (i + round) % 2 == 0 {
                    set.push(UnknownInput::ServiceToken(n.clone()));
                }
                set.push(UnknownInput::AccountMember);
            }
        }
        let got: Vec<String> = set.iter().map(ToString::to_string).collect();
        let mut want = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for round in 0..3 {
            for (i, n) in names.iter().enumerate() {
                if (i + round) % 2 == 0 && seen.insert(n.clone()) {
                    want.push(UnknownInput::ServiceToken(n.clone()).to_string());
                }
                if seen.insert("account".into()) {
                    want.push(UnknownInput::AccountMember.to_string());
                }
            }
        }
        assert_eq!(got, want);
        assert_eq!(set.into_vec().len(), 41);
    }
}
