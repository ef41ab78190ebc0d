//! The test oracle: a plain tree-walking interpreter over `Cond`, written for
//! clarity and read straight from `expressions.md` §3–§7. It builds owned values
//! freely and is never on the hot path; the binary never calls it. tests/agree.rs
//! checks that the compiled `Program` gives the same answers.

use crate::expr::ast::{CmpOp, LogicOp};
use crate::expr::cond::{AtomOp, Cond, PathStep, Quant, Scalar, Val};
use crate::literal::parse_int;
use crate::literal::parse_ip_item;
use crate::program::Tri;
use crate::scheme::FieldId;
use crate::scheme::{ListId, Scheme, Type};
use crate::value::{Context, Value};
use std::cmp::Ordering;

/// Evaluates a checked expression. `scheme` supplies the items of `$lists`.
pub fn eval(checked: &crate::expr::Checked, ctx: &Context, scheme: &Scheme) -> bool {
    eval_cond(&checked.cond, ctx, scheme)
}

/// Evaluates a checked condition. `scheme` supplies the items of `$lists`.
pub(crate) fn eval_cond(cond: &Cond, ctx: &Context, scheme: &Scheme) -> bool {
    Reference {
        ctx,
        scheme,
        elems: Vec::new(),
    }
    .cond(cond)
}

/// A field a context does not fully know: it may hold these elements beyond
/// its value (`None`: anything).
pub type UnknownField = (FieldId, Option<Vec<Value>>);

/// Evaluates a checked expression three-valued (`config.md` §9, Kleene's
/// logic), read straight from the contract: an atom that reads an unknown
/// field is unknown; `any`/`all` over `field[*]` take each possible extra
/// element as present-or-not (so it can make the answer unknown, never decide
/// it); a value that is not among the known items of an incomplete list (the
/// scheme's `incomplete`) may or may not be in it. Any other quantifier over an
/// unknown input is unknown.
pub fn eval_tri(
    checked: &crate::expr::Checked,
    ctx: &Context,
    scheme: &Scheme,
    unknown: &[UnknownField],
) -> Tri {
    let mut r = Reference {
        ctx,
        scheme,
        elems: Vec::new(),
    };
    r.cond_tri(&checked.cond, unknown)
}

struct Reference<'a> {
    ctx: &'a Context,
    scheme: &'a Scheme,
    /// The current element of each source of the innermost quantifier.
    elems: Vec<Option<Value>>,
}

impl Reference<'_> {
    fn cond(&mut self, cond: &Cond) -> bool {
        match cond {
            Cond::Const(b) => *b,
            Cond::Not(c) => !self.cond(c),
            Cond::Logic(LogicOp::And, items) => items.iter().all(|c| self.cond(c)),
            Cond::Logic(LogicOp::Or, items) => items.iter().any(|c| self.cond(c)),
            Cond::Logic(LogicOp::Xor, items) => {
                items.iter().fold(false, |acc, c| acc ^ self.cond(c))
            }
            Cond::Atom { atom, .. } => {
                let v = self.value(&atom.lhs);
                self.test(&atom.op, v.as_ref())
            }
            Cond::Quant { quant, .. } => self.quant(quant),
            // Group references are answered by the configuration-level reference.
            Cond::Ref { .. } => false,
        }
    }

    fn cond_tri(&mut self, cond: &Cond, unknown: &[UnknownField]) -> Tri {
        match cond {
            Cond::Const(b) => Tri::from(*b),
            Cond::Not(c) => self.cond_tri(c, unknown).not(),
            Cond::Logic(op, items) => {
                let values: Vec<Tri> = items.iter().map(|c| self.cond_tri(c, unknown)).collect();
                let first = values.first().copied().unwrap_or(Tri::False);
                values.into_iter().skip(1).fold(first, |acc, v| match op {
                    LogicOp::And => acc.and(v),
                    LogicOp::Or => acc.or(v),
                    LogicOp::Xor => acc.xor(v),
                })
            }
            Cond::Atom { atom, .. } => {
                if reads(&atom.lhs, unknown) {
                    return Tri::Unknown;
                }
                let v = self.value(&atom.lhs);
                let known = self.test(&atom.op, v.as_ref());
                match (&atom.op, v) {
                    (AtomOp::InList(id), Some(_)) if !known && self.incomplete(*id) => Tri::Unknown,
                    _ => Tri::from(known),
                }
            }
            Cond::Quant { quant, .. } => self.quant_tri(quant, unknown),
            Cond::Ref { .. } => Tri::False,
        }
    }

    fn incomplete(&self, id: ListId) -> bool {
        self.scheme.list_def(id).is_some_and(|d| d.incomplete)
    }

    fn quant_tri(&mut self, q: &Quant, unknown: &[UnknownField]) -> Tri {
        let unknown_source = q.sources.iter().any(|s| reads(&s.base, unknown));
        if !unknown_source && !self.body_incomplete(&q.body) {
            return Tri::from(self.quant(q));
        }
        let ([source], None) = (q.sources.as_slice(), None::<()>) else {
            return Tri::Unknown;
        };
        let (Val::Field(field), [PathStep::Each]) = (&source.base, &*source.steps) else {
            return Tri::Unknown;
        };
        let extras = unknown.iter().find(|(f, _)| f == field).map(|(_, e)| e);
        let value = self.ctx.get(*field).cloned();
        if value.is_none() && extras.is_none() {
            return Tri::from(q.all && !q.nil_is_false);
        }
        let known = value
            .map(|v| leaves_of(&v, &source.steps))
            .unwrap_or_default();
        let saved = std::mem::take(&mut self.elems);
        // Each known element is present; each possible extra one is present
        // or not: `presence and body`.
        let mut terms: Vec<Tri> = Vec::new();
        for v in known {
            self.elems = vec![Some(v)];
            terms.push(self.cond_tri(&q.body, unknown));
        }
        match extras {
            None => {}
            Some(None) => terms.push(Tri::Unknown),
            Some(Some(values)) => {
                for v in values {
                    self.elems = vec![Some(v.clone())];
                    let body = self.cond_tri(&q.body, unknown);
                    // `any`: present and body; `all`: absent or body.
                    terms.push(if q.all {
                        Tri::Unknown.not().or(body)
                    } else {
                        Tri::Unknown.and(body)
                    });
                }
            }
        }
        self.elems = saved;
        if q.all {
            terms.into_iter().fold(Tri::True, Tri::and)
        } else {
            terms.into_iter().fold(Tri::False, Tri::or)
        }
    }

    fn body_incomplete(&self, c: &Cond) -> bool {
        match c {
            Cond::Atom { atom, .. } => matches!(atom.op, AtomOp::InList(id) if self.incomplete(id)),
            Cond::Not(inner) => self.body_incomplete(inner),
            Cond::Logic(_, items) => items.iter().any(|i| self.body_incomplete(i)),
            Cond::Const(_) | Cond::Quant { .. } | Cond::Ref { .. } => false,
        }
    }

    fn quant(&mut self, q: &Quant) -> bool {
        let mut columns = Vec::new();
        let mut any_base = false;
        for source in &q.sources {
            let bases = self.bases(&source.base);
            any_base |= !bases.is_empty();
            let mut leaves = Vec::new();
            for base in &bases {
                leaves.extend(leaves_of(base, &source.steps));
            }
            columns.push(leaves);
        }
        if q.nil_is_false && !any_base {
            return false;
        }
        // Zip: the shortest source decides how many positions there are.
        let n = columns.iter().map(Vec::len).min().unwrap_or(0);
        let saved = std::mem::take(&mut self.elems);
        let mut results = Vec::new();
        for i in 0..n {
            self.elems = columns.iter().map(|c| c.get(i).cloned()).collect();
            results.push(self.cond(&q.body));
        }
        self.elems = saved;
        if q.all {
            results.iter().all(|r| *r)
        } else {
            results.iter().any(|r| *r)
        }
    }

    /// The containers a source iterates: the base's value, or each part of an array `concat`.
    fn bases(&mut self, base: &Val) -> Vec<Value> {
        match base {
            Val::Concat(parts) => parts.iter().flat_map(|p| self.bases(p)).collect(),
            other => self.value(other).into_iter().collect(),
        }
    }

    fn value(&mut self, val: &Val) -> Option<Value> {
        match val {
            Val::Field(f) => self.ctx.get(*f).cloned(),
            Val::Elem(k) => self.elems.get(usize::from(*k)).cloned().flatten(),
            Val::Index(inner, i) => match self.value(inner)? {
                Value::Array(items) => items.get(*i as usize).cloned(),
                _ => None,
            },
            Val::Key(inner, k) => match self.value(inner)? {
                Value::Map(entries) => entries
                    .iter()
                    .find(|(key, _)| key == k)
                    .map(|(_, v)| v.clone()),
                _ => None,
            },
            Val::Bytes(b) => Some(Value::Bytes(b.clone())),
            Val::Lower(inner) => match self.value(inner)? {
                Value::Bytes(b) => Some(Value::Bytes(b.to_ascii_lowercase().into())),
                _ => None,
            },
            Val::Upper(inner) => match self.value(inner)? {
                Value::Bytes(b) => Some(Value::Bytes(b.to_ascii_uppercase().into())),
                _ => None,
            },
            Val::Len(inner) => {
                let n = match self.value(inner)? {
                    Value::Bytes(b) => b.len(),
                    Value::Array(a) => a.len(),
                    _ => return None,
                };
                i64::try_from(n).ok().map(Value::Int)
            }
            Val::Concat(parts) => {
                // Nil parts are skipped; all nil is nil.
                let present: Vec<Value> = parts.iter().filter_map(|p| self.value(p)).collect();
                match present.first()? {
                    Value::Array(_) => Some(Value::Array(
                        present
                            .into_iter()
                            .flat_map(|v| match v {
                                Value::Array(items) => items.into_vec(),
                                _ => Vec::new(),
                            })
                            .collect(),
                    )),
                    _ => Some(Value::Bytes(
                        present
                            .into_iter()
                            .flat_map(|v| match v {
                                Value::Bytes(b) => b.into_vec(),
                                _ => Vec::new(),
                            })
                            .collect(),
                    )),
                }
            }
        }
    }

    fn test(&self, op: &AtomOp, v: Option<&Value>) -> bool {
        let Some(v) = v else {
            // Nil: every comparison is false except `!=`.
            return matches!(op, AtomOp::Cmp(CmpOp::Ne, _));
        };
        match (op, v) {
            (AtomOp::IsTrue, Value::Bool(b)) => *b,
            (AtomOp::Cmp(op, Scalar::Int(c)), Value::Int(x)) => compare(*op, Some(x.cmp(c))),
            (AtomOp::Cmp(op, Scalar::Bytes(c)), Value::Bytes(x)) => {
                compare(*op, Some((**x).cmp(&**c)))
            }
            (AtomOp::Cmp(op, Scalar::Ip(c)), Value::Ip(x)) => {
                let ord = if x.is_ipv4() == c.is_ipv4() {
                    Some(x.cmp(c))
                } else {
                    None
                };
                compare(*op, ord)
            }
            (AtomOp::BitAnd(c), Value::Int(x)) => x & c != 0,
            (AtomOp::Contains(c), Value::Bytes(x)) => {
                c.is_empty() || x.windows(c.len()).any(|w| w == &**c)
            }
            (AtomOp::StartsWith(c), Value::Bytes(x)) => x.starts_with(c),
            (AtomOp::EndsWith(c), Value::Bytes(x)) => x.ends_with(c),
            (AtomOp::Matches(p), Value::Bytes(x)) => regex::bytes::RegexBuilder::new(&p.source)
                .unicode(false)
                .build()
                .is_ok_and(|re| re.is_match(x)),
            (AtomOp::Wildcard(g), Value::Bytes(x)) => g.is_match(x),
            (AtomOp::InBytes(set), Value::Bytes(x)) => set.iter().any(|i| *i == **x),
            (AtomOp::InInts(r), Value::Int(x)) => {
                r.ranges().iter().any(|(lo, hi)| lo <= x && x <= hi)
            }
            (AtomOp::InIps(r), Value::Ip(ip)) => r.contains(*ip),
            (AtomOp::InList(id), v) => self.in_list(*id, v),
            _ => false,
        }
    }

    fn in_list(&self, id: ListId, v: &Value) -> bool {
        let Some(def) = self.scheme.list_def(id) else {
            return false;
        };
        def.items.iter().any(|item| match (&def.ty, v) {
            (Type::Bytes, Value::Bytes(x)) => item.as_bytes() == &**x,
            (Type::Int, Value::Int(x)) => parse_int(item.trim()).is_ok_and(|n| n == *x),
            (Type::Ip, Value::Ip(x)) => parse_ip_item(item)
                .is_some_and(|(lo, hi)| lo.is_ipv4() == x.is_ipv4() && lo <= *x && *x <= hi),
            _ => false,
        })
    }
}

/// `None` is "not comparable" (IPv4 against IPv6): only `!=` holds.
fn compare(op: CmpOp, ord: Option<Ordering>) -> bool {
    let Some(ord) = ord else {
        return op == CmpOp::Ne;
    };
    match op {
        CmpOp::Eq => ord.is_eq(),
        CmpOp::Ne => ord.is_ne(),
        CmpOp::Lt => ord.is_lt(),
        CmpOp::Le => ord.is_le(),
        CmpOp::Gt => ord.is_gt(),
        CmpOp::Ge => ord.is_ge(),
        _ => false,
    }
}

/// The leaves `steps` reach from `v`; a step that misses skips that element.
fn leaves_of(v: &Value, steps: &[PathStep]) -> Vec<Value> {
    let Some((step, rest)) = steps.split_first() else {
        return vec![v.clone()];
    };
    let children: Vec<&Value> = match (step, v) {
        (PathStep::Each, Value::Array(items)) => items.iter().collect(),
        (PathStep::Each, Value::Map(entries)) => entries.iter().map(|(_, v)| v).collect(),
        (PathStep::Index(i), Value::Array(items)) => items.get(*i as usize).into_iter().collect(),
        (PathStep::Key(k), Value::Map(entries)) => entries
            .iter()
            .filter(|(key, _)| key == k)
            .map(|(_, v)| v)
            .collect(),
        _ => Vec::new(),
    };
    children
        .into_iter()
        .flat_map(|c| leaves_of(c, rest))
        .collect()
}

/// Whether a value reads one of the unknown fields.
fn reads(v: &Val, unknown: &[UnknownField]) -> bool {
    let mut hit = false;
    v.for_each_field(&mut |f| hit |= unknown.iter().any(|(u, _)| *u == f));
    hit
}
