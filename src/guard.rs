//! Guarded index fields. An IdP rule reads as `any(identity.groups.id[*] == "…")
//! and identity.idp.id == "idp-azure"`: when the user signed in through another
//! provider, the membership cannot matter. If every quantifier over an indexed
//! array field sits inside a conjunction that also requires one same
//! `field == "constant"` atom, the field's values need looking up in the index
//! (`index.rs`) only for contexts where that atom holds. Elsewhere its
//! quantifiers read as false, which no reader can observe: a conjunction that
//! contains a false atom is false whatever its other items are, and so is every
//! condition built on it (`not` of it included, since the conjunction's value is
//! the same either way). Organisations with several IdPs save the lookups of the
//! providers a user did not use.

use crate::ast::{CmpOp, LogicOp};
use crate::cond::{Atom, AtomOp, Cond, Scalar, Val};
use crate::scheme::FieldId;
use std::collections::HashMap;

/// `field == "constant"`: the only atom shape used as a guard.
pub type Guard = (FieldId, Box<[u8]>);

fn as_guard(c: &Cond) -> Option<Guard> {
    match c {
        Cond::Atom {
            atom:
                Atom {
                    lhs: Val::Field(f),
                    op: AtomOp::Cmp(CmpOp::Eq, Scalar::Bytes(b)),
                },
            ..
        } => Some((*f, b.clone())),
        _ => None,
    }
}

/// Per array field read by a quantifier anywhere in `conds`: the guards that
/// enclose every such read (empty when some read is unguarded).
#[derive(Debug, Default)]
pub struct FieldGuards {
    fields: HashMap<FieldId, Vec<Guard>>,
}

impl FieldGuards {
    /// Records every quantifier read in `cond`. Every condition compiled into a
    /// program must be added, or a field may be skipped that something reads.
    pub fn add(&mut self, cond: &Cond) {
        self.walk(cond, &mut Vec::new());
    }

    fn walk(&mut self, cond: &Cond, scope: &mut Vec<Guard>) {
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
                for source in &quant.sources {
                    let mut fields = Vec::new();
                    source.base.for_each_field(&mut |f| fields.push(f));
                    for f in fields {
                        self.read(f, scope);
                    }
                }
                self.walk(&quant.body, scope);
            }
        }
    }

    /// A quantifier over `field` read with `scope` enclosing it.
    fn read(&mut self, field: FieldId, scope: &[Guard]) {
        match self.fields.get_mut(&field) {
            Some(guards) => guards.retain(|g| scope.contains(g)),
            None => {
                self.fields.insert(field, scope.to_vec());
            }
        }
    }

    /// The guard of each field all of whose quantifier reads are guarded.
    pub fn finish(self) -> HashMap<FieldId, Guard> {
        self.fields
            .into_iter()
            .filter_map(|(f, guards)| Some((f, guards.into_iter().next()?)))
            .collect()
    }
}
