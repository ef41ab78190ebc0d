//! An inverted index over membership quantifiers: at build time, each constant
//! maps to the `any(field[*] == c)` / `any(field[*] in {…})` quantifiers that test
//! it; per context, each indexed array is walked once and the quantifiers it hits
//! are marked. A configuration with hundreds of IdP-group rules then costs one
//! walk of the identity's groups, not one walk per rule.
//!
//! A field's constants are split by guard (`guard.rs`): the constants only
//! guarded quantifiers test are looked up only where their guard holds, so a
//! user of one IdP is not looked up in the other IdPs' groups.

use super::code::{AtomCode, QuantCode, QuantId, Test};
use super::guard::{Guard, KeyGuards};
use crate::expr::ast::CmpOp;
use crate::scheme::FieldId;
use crate::sets::StrSet;
use crate::value::{Context, Value};
use rustc_hash::{FxHashMap, FxHasher};
use std::hash::Hasher;
use std::ops::Range;

/// One constant and where its quantifiers are in `QuantIndex::postings`. The full
/// hash is kept, so a lookup compares bytes only on a real match.
#[derive(Debug, Clone)]
struct Entry {
    hash: u64,
    key: Box<[u8]>,
    quants: Range<u32>,
}

fn hash(bytes: &[u8]) -> u64 {
    let mut h = FxHasher::default();
    h.write(bytes);
    h.finish()
}

/// Tables this small are scanned: comparing a few lengths is cheaper than hashing.
const SCANNED: usize = 4;

/// The constants of one field under one guard.
#[derive(Debug, Clone)]
enum Keys {
    Scanned(Vec<Entry>),
    Hashed(hashbrown::HashTable<Entry>),
}

impl Keys {
    fn new(entries: Vec<Entry>) -> Keys {
        if entries.len() <= SCANNED {
            return Keys::Scanned(entries);
        }
        let mut table = hashbrown::HashTable::with_capacity(entries.len());
        for e in entries {
            table.insert_unique(e.hash, e, |e| e.hash);
        }
        Keys::Hashed(table)
    }

    #[inline]
    fn get(&self, key: &[u8]) -> Option<&Entry> {
        match self {
            Keys::Scanned(entries) => entries.iter().find(|e| crate::bytes::eq(&e.key, key)),
            Keys::Hashed(table) => {
                let h = hash(key);
                table.find(h, |e| e.hash == h && crate::bytes::eq(&e.key, key))
            }
        }
    }
}

/// The constants of one field looked up together: those under one guard, or
/// those under none.
#[derive(Debug, Clone)]
struct Table {
    field: FieldId,
    /// Looked up only in contexts where this `field == "c"` holds.
    guard: Option<Guard>,
    keys: Keys,
}

/// The quantifiers answered by the index, grouped by the field they iterate.
#[derive(Debug, Clone, Default)]
pub struct QuantIndex {
    tables: Vec<Table>,
    /// Every entry's quantifiers, each entry's contiguous.
    postings: Vec<QuantId>,
    /// Per quantifier: answered by the index.
    pub(crate) indexed: Vec<bool>,
}

impl QuantIndex {
    /// Indexes every fused `any` whose test is byte equality or byte-set
    /// membership. `guards` must have seen every condition of the program
    /// (invariant 6).
    pub fn build(quants: &[QuantCode], atoms: &[AtomCode], guards: &KeyGuards) -> QuantIndex {
        let mut by_field: FxHashMap<FieldId, FxHashMap<Box<[u8]>, Vec<QuantId>>> =
            FxHashMap::default();
        let mut indexed = vec![false; quants.len()];
        for (i, q) in quants.iter().enumerate() {
            let (false, Some((field, atom))) = (q.all, q.fused) else {
                continue;
            };
            let Some(test) = atoms.get(atom.0 as usize).map(|a| &a.test) else {
                continue;
            };
            let keys: Vec<&[u8]> = match test {
                Test::Bytes(CmpOp::Eq, c) => vec![&**c],
                Test::InBytes(StrSet::Small(items)) => items.iter().map(|b| &**b).collect(),
                Test::InBytes(StrSet::Hashed(set)) => set.iter().collect(),
                _ => continue,
            };
            let id = QuantId(u32::try_from(i).unwrap_or(u32::MAX));
            let map = by_field.entry(field).or_default();
            for k in keys {
                map.entry(k.into()).or_default().push(id);
            }
            if let Some(slot) = indexed.get_mut(i) {
                *slot = true;
            }
        }
        let mut postings = Vec::new();
        let mut tables = Vec::new();
        for (field, map) in by_field {
            let mut by_guard: FxHashMap<Option<Guard>, Vec<Entry>> = FxHashMap::default();
            for (key, quants) in map {
                let guard = guards.guard(field, &key).cloned();
                let start = u32::try_from(postings.len()).unwrap_or(u32::MAX);
                postings.extend(quants);
                let end = u32::try_from(postings.len()).unwrap_or(u32::MAX);
                by_guard.entry(guard).or_default().push(Entry {
                    hash: hash(&key),
                    key,
                    quants: start..end,
                });
            }
            tables.extend(by_guard.into_iter().map(|(guard, entries)| Table {
                field,
                guard,
                keys: Keys::new(entries),
            }));
        }
        tables.sort_by(|a, b| (a.field, &a.guard).cmp(&(b.field, &b.guard)));
        QuantIndex {
            tables,
            postings,
            indexed,
        }
    }

    /// Stamps, in `memo`, every indexed quantifier that holds for `ctx` with
    /// `generation` (a new one per context; the others read as false), and lists
    /// their postings in `hits` (one range of `postings` per matching value).
    pub fn mark(
        &self,
        ctx: &Context,
        memo: &mut [u32],
        generation: u32,
        hits: &mut Vec<Range<u32>>,
    ) {
        for t in &self.tables {
            if let Some((f, c)) = &t.guard
                && !matches!(ctx.get(*f), Some(Value::Bytes(b)) if crate::bytes::eq(b, c))
            {
                continue;
            }
            let items: &[Value] = match ctx.get(t.field) {
                Some(Value::Array(items)) => items,
                _ => continue,
            };
            for item in items {
                let Value::Bytes(b) = item else { continue };
                let Some(entry) = t.keys.get(b) else {
                    continue;
                };
                for q in self.postings(entry.quants.clone()) {
                    if let Some(m) = memo.get_mut(q.0 as usize) {
                        *m = generation;
                    }
                }
                hits.push(entry.quants.clone());
            }
        }
    }

    /// Per quantifier (of `count`): the guard every key it tests is looked up
    /// under, when there is one. Such a quantifier is marked only in contexts
    /// where its guard holds, so its being true implies the guard's atom.
    pub fn implied_guards(&self, count: usize) -> Vec<Option<&Guard>> {
        // None: no key seen yet; Some(None): keys under different guards or none.
        let mut seen: Vec<Option<Option<&Guard>>> = vec![None; count];
        for t in &self.tables {
            let entries: Box<dyn Iterator<Item = &Entry>> = match &t.keys {
                Keys::Scanned(entries) => Box::new(entries.iter()),
                Keys::Hashed(table) => Box::new(table.iter()),
            };
            for e in entries {
                for q in self.postings(e.quants.clone()) {
                    if let Some(slot) = seen.get_mut(q.0 as usize) {
                        *slot = match *slot {
                            None => Some(t.guard.as_ref()),
                            Some(g) if g == t.guard.as_ref() => Some(g),
                            Some(_) => Some(None),
                        };
                    }
                }
            }
        }
        seen.into_iter().map(Option::flatten).collect()
    }

    /// The quantifiers of one `hits` range.
    pub fn postings(&self, range: Range<u32>) -> &[QuantId] {
        self.postings
            .get(range.start as usize..range.end as usize)
            .unwrap_or_default()
    }

    /// True when the index answers nothing.
    pub fn is_empty(&self) -> bool {
        !self.indexed.contains(&true)
    }
}

#[cfg(test)]
mod tests {
    use crate::program::{AtomId, Operand, QuantId, compile::Builder, guard::KeyGuards};
    use crate::scheme::Scheme;

    /// The program of `sources` (device scheme), every condition guarded as the
    /// engine guards them.
    fn program(scheme: &Scheme, sources: &[&str]) -> crate::program::Program {
        let mut builder = Builder::new(scheme);
        let mut guards = KeyGuards::default();
        for src in sources {
            let checked = crate::check_expression(src, scheme, &Default::default());
            assert!(checked.is_ok(), "{src}: {checked:?}");
            if let Ok(checked) = checked {
                guards.add(&checked.cond);
                builder.add_root(&checked.cond);
            }
        }
        builder.finish_indexed(&guards, &[])
    }

    /// A quantifier implies its guard only when every key it tests is under
    /// that guard: a key some unguarded quantifier also tests is looked up in
    /// every context, so the quantifier can hold where the guard does not.
    #[test]
    fn implied_guard_needs_every_key_under_it() {
        let scheme = Scheme::device();
        let p = program(
            &scheme,
            &[
                r#"any(identity.groups.name[*] == "a") and os.name == "mac""#,
                r#"any(identity.groups.name[*] in {"b" "c"}) and os.name == "mac""#,
                r#"any(identity.groups.name[*] == "c")"#,
            ],
        );
        let guards = p
            .index
            .as_ref()
            .map(|index| index.implied_guards(p.quants.len()))
            .unwrap_or_default();
        let implied: Vec<bool> = guards.iter().map(Option::is_some).collect();
        // Quantifiers in order of first compilation: `== "a"`, `in {b c}`, `== "c"`.
        assert_eq!(implied, [true, false, false]);
        // And the engine's question: does the first quantifier imply the atom?
        let implies = p.quant_implies();
        let (a, b) = (QuantId(0), QuantId(1));
        let mac = (0..p.atoms.len())
            .map(|i| Operand::Atom(AtomId(u32::try_from(i).unwrap_or(0))))
            .find(|&op| implies(a, op));
        assert!(
            mac.is_some(),
            "`os.name == \"mac\"` is implied by `== \"a\"`"
        );
        assert!(mac.is_some_and(|op| !implies(b, op)), "not by `in {{b c}}`");
    }
}
