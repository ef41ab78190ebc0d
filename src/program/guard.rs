//! Guarded index constants. An IdP rule reads as `any(identity.groups.id[*] ==
//! "…") and identity.idp.id == "idp-azure"`: when the user signed in through
//! another provider, the membership cannot matter. If every quantifier testing
//! a constant sits inside a conjunction that also requires one same
//! `field == "constant"` atom, the index (`index.rs`) needs to look that
//! constant up only in contexts where the atom holds. Elsewhere it reads as false, which no reader can observe: a
//! conjunction that contains a false atom is false whatever its other items
//! are, and so is every condition built on it (`not` of it included, since the
//! conjunction's value is the same either way). No two-valued reader, that
//! is: an explanation names each atom's value, and a three-valued decision can
//! have the guard's field unknown (an untranslated service token), where the
//! conjunction is no longer false; both read the quantifier's own value
//! (`Program::quant_scan`). Organisations with several IdPs save the lookups
//! of the providers a user did not use.

use crate::expr::ast::{CmpOp, LogicOp};
use crate::expr::cond::{Atom, AtomOp, Cond, PathStep, Quant, Scalar, Val};
use crate::scheme::FieldId;
use rustc_hash::{FxHashMap, FxHashSet};

/// `field == "constant"`: the only atom shape used as a guard.
pub type Guard = (FieldId, Box<[u8]>);

fn as_guard(c: &Cond) -> Option<(FieldId, &[u8])> {
    match c {
        Cond::Atom {
            atom:
                Atom {
                    lhs: Val::Field(f),
                    op: AtomOp::Cmp(CmpOp::Eq, Scalar::Bytes(b)),
                },
            ..
        } => Some((*f, &**b)),
        _ => None,
    }
}

/// The guards in scope where a condition is read, borrowed from the conditions.
type Scope<'c> = Vec<(FieldId, &'c [u8])>;

/// Per indexed constant of an array field (`any(field[*] == "c")`,
/// `any(field[*] in {…})`): the guards that enclose every quantifier testing it
/// (empty when some read is unguarded). A field with any other quantifier over
/// it is never guarded: the index may answer that quantifier from keys this
/// analysis does not see.
#[derive(Debug, Default)]
pub struct KeyGuards {
    keys: FxHashMap<FieldId, FxHashMap<Box<[u8]>, Vec<Guard>>>,
    unguarded: FxHashSet<FieldId>,
}

impl KeyGuards {
    /// Records every quantifier read in `cond`. Every condition compiled into a
    /// program must be added, or a constant may be skipped that something reads
    /// unguarded (invariant 6).
    pub fn add(&mut self, cond: &Cond) {
        self.walk(cond, &mut Vec::new());
    }

    fn walk<'c>(&mut self, cond: &'c Cond, scope: &mut Scope<'c>) {
        match cond {
            Cond::Const(_) | Cond::Atom { .. } | Cond::Ref { .. } => {}
            Cond::Not(inner) => self.walk(inner, scope),
            Cond::Logic(op, items) => {
                let depth = scope.len();
                if *op == LogicOp::And {
                    scope.extend(items.iter().filter_map(as_guard));
                }
                for item in items {
                    self.walk(item, scope);
                }
                scope.truncate(depth);
            }
            Cond::Quant { quant, .. } => {
                match membership(quant) {
                    Some((field, keys)) => {
                        let map = self.keys.entry(field).or_default();
                        for key in keys {
                            match map.get_mut(key) {
                                Some(guards) => guards.retain(|(f, b)| {
                                    scope.iter().any(|(sf, sb)| sf == f && **b == **sb)
                                }),
                                None => {
                                    let owned = scope.iter().map(|(f, b)| (*f, Box::from(*b)));
                                    map.insert(key.into(), owned.collect());
                                }
                            }
                        }
                    }
                    None => {
                        for source in &quant.sources {
                            source.base.for_each_field(&mut |f| {
                                self.unguarded.insert(f);
                            });
                        }
                    }
                }
                self.walk(&quant.body, scope);
            }
        }
    }

    /// The guard of `key` in `field`'s index, if every read of it is guarded.
    pub fn guard(&self, field: FieldId, key: &[u8]) -> Option<&Guard> {
        if self.unguarded.contains(&field) {
            return None;
        }
        self.keys.get(&field)?.get(key)?.first()
    }
}

/// `any(field[*] == "c")` or `any(field[*] in {…})`: the field and its constants.
fn membership(q: &Quant) -> Option<(FieldId, Vec<&[u8]>)> {
    let ([source], false) = (q.sources.as_slice(), q.all) else {
        return None;
    };
    let (Val::Field(field), [PathStep::Each]) = (&source.base, &*source.steps) else {
        return None;
    };
    let Cond::Atom { atom, .. } = &*q.body else {
        return None;
    };
    if atom.lhs != Val::Elem(0) {
        return None;
    }
    let keys = match &atom.op {
        AtomOp::Cmp(CmpOp::Eq, Scalar::Bytes(c)) => vec![&**c],
        AtomOp::InBytes(set) => set.iter().collect(),
        _ => return None,
    };
    Some((*field, keys))
}
