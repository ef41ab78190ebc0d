//! An inverted index over membership quantifiers: at build time, each constant
//! maps to the `any(field[*] == c)` / `any(field[*] in {…})` quantifiers that test
//! it; per context, each indexed array is walked once and the quantifiers it hits
//! are marked. A configuration with hundreds of IdP-group rules then costs one
//! walk of the identity's groups, not one walk per rule.

use crate::ast::CmpOp;
use crate::program::{Program, QuantId, StrSet, Test};
use crate::scheme::FieldId;
use crate::value::{Context, Value};
use rustc_hash::FxHashMap;

/// Constant -> the quantifiers it makes true.
type Postings = FxHashMap<Box<[u8]>, Vec<QuantId>>;

/// The quantifiers answered by the index, grouped by the field they iterate.
#[derive(Debug, Clone, Default)]
pub struct QuantIndex {
    fields: Vec<(FieldId, Postings)>,
    /// Per quantifier: answered by the index.
    pub(crate) indexed: Vec<bool>,
    /// Every indexed quantifier, to reset before marking.
    all: Vec<QuantId>,
}

impl QuantIndex {
    /// Indexes every fused `any` whose test is byte equality or byte-set membership.
    pub fn build(p: &Program) -> QuantIndex {
        let mut by_field: FxHashMap<FieldId, FxHashMap<Box<[u8]>, Vec<QuantId>>> =
            FxHashMap::default();
        let mut indexed = vec![false; p.quants.len()];
        let mut all = Vec::new();
        for (i, q) in p.quants.iter().enumerate() {
            let (false, Some((field, atom))) = (q.all, q.fused) else {
                continue;
            };
            let Some(test) = p.atoms.get(atom.0 as usize).map(|a| &a.test) else {
                continue;
            };
            let keys: Vec<&[u8]> = match test {
                Test::Bytes(CmpOp::Eq, c) => vec![&**c],
                Test::InBytes(StrSet::Small(items)) => items.iter().map(|b| &**b).collect(),
                Test::InBytes(StrSet::Hashed(set)) => set.iter().map(|b| &**b).collect(),
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
            all.push(id);
        }
        let mut fields: Vec<_> = by_field.into_iter().collect();
        fields.sort_by_key(|(f, _)| *f);
        QuantIndex {
            fields,
            indexed,
            all,
        }
    }

    /// Marks, in `memo`, every indexed quantifier that holds for `ctx`.
    pub fn mark(&self, ctx: &Context, memo: &mut [bool]) {
        for q in &self.all {
            if let Some(m) = memo.get_mut(q.0 as usize) {
                *m = false;
            }
        }
        for (field, map) in &self.fields {
            let items: &[Value] = match ctx.get(*field) {
                Some(Value::Array(items)) => items,
                _ => continue,
            };
            for item in items {
                let Value::Bytes(b) = item else { continue };
                for q in map.get(&**b).into_iter().flatten() {
                    if let Some(m) = memo.get_mut(q.0 as usize) {
                        *m = true;
                    }
                }
            }
        }
    }

    /// True when the index answers nothing.
    pub fn is_empty(&self) -> bool {
        self.all.is_empty()
    }
}
