//! Three-valued evaluation (`config.md` §9): `Program` + `Context` + what the
//! context leaves unknown -> true, false or unknown, by Kleene's strong logic.
//!
//! The two-valued path (`eval.rs`) is untouched and stays the only one a
//! context without unknown inputs takes. This one walks each block's `Why` tree
//! (the engine keeps one for every block), so it needs no bytecode of its own:
//! an atom or quantifier that reads nothing unknown is evaluated exactly as the
//! two-valued path does; one that reads an unknown input is unknown, unless the
//! known part of its input already decides it (a known element that satisfies
//! `any`, a value among the known items of an incomplete list).
//!
//! Unknown inputs come in two kinds:
//! - a field a context does not fully know (`Unknowns`): its known elements are
//!   present, and more may be: a finite set of candidates (the posture rules
//!   whose results are unknown may be among `device_posture.checks.passed`) or
//!   anything at all (an identity record that says nothing about groups);
//! - an incomplete list (`config.md` §3): a value among its known items is in
//!   it, an absent value is not, any other value may or may not be.

use super::code::{AtomId, Body, Lhs, Operand, QuantId, Test, Why};
use super::scratch::Scratch;
use super::val::{Elems, Got, eval_val};
use super::{BlockId, Program};
use crate::expr::ast::{CmpOp, LogicOp};
use crate::expr::cond::{PathStep, Val};
use crate::scheme::FieldId;
use crate::value::{Context, Value};

/// A truth value that may be unknown. Ordered false < unknown < true, so `and`
/// is the minimum and `or` the maximum (Kleene's strong logic).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Tri {
    /// Known to be false.
    False,
    /// Either, depending on inputs that cannot be known.
    Unknown,
    /// Known to be true.
    True,
}

impl Tri {
    /// `self and other`.
    pub fn and(self, other: Tri) -> Tri {
        self.min(other)
    }

    /// `self or other`.
    pub fn or(self, other: Tri) -> Tri {
        self.max(other)
    }

    /// `not self`.
    #[expect(
        clippy::should_implement_trait,
        reason = "a method keeps call chains readable"
    )]
    pub fn not(self) -> Tri {
        match self {
            Tri::False => Tri::True,
            Tri::Unknown => Tri::Unknown,
            Tri::True => Tri::False,
        }
    }

    /// `self xor other`: unknown when either is.
    pub fn xor(self, other: Tri) -> Tri {
        match (self, other) {
            (Tri::Unknown, _) | (_, Tri::Unknown) => Tri::Unknown,
            (a, b) => Tri::from((a == Tri::True) != (b == Tri::True)),
        }
    }

    /// The JSON spelling: `true`, `false` or `"unknown"`.
    pub fn to_json(self) -> serde_json::Value {
        match self {
            Tri::False => false.into(),
            Tri::True => true.into(),
            Tri::Unknown => "unknown".into(),
        }
    }
}

impl std::fmt::Display for Tri {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(match self {
            Tri::False => "false",
            Tri::Unknown => "unknown",
            Tri::True => "true",
        })
    }
}

impl From<bool> for Tri {
    fn from(b: bool) -> Tri {
        if b { Tri::True } else { Tri::False }
    }
}

/// The elements an array field may hold beyond those the context gives.
#[derive(Debug, Clone, PartialEq)]
pub enum Extras {
    /// Some of these, or none: sorted by their bytes (any value that is not
    /// bytes first) and distinct, once `Unknowns::set` has them, so that a
    /// membership test finds its constants among them by bisection.
    Values(Vec<Value>),
    /// Anything.
    Any,
}

impl Extras {
    fn key(v: &Value) -> Option<&[u8]> {
        match v {
            Value::Bytes(b) => Some(b),
            _ => None,
        }
    }

    /// Every candidate is bytes (sorted: those that are not come first).
    fn all_bytes(values: &[Value]) -> bool {
        values.first().is_none_or(|v| Extras::key(v).is_some())
    }

    /// Where bytes `c` is among sorted candidates.
    fn position(values: &[Value], c: &[u8]) -> Result<usize, usize> {
        values.binary_search_by(|v| Extras::key(v).cmp(&Some(c)))
    }
}

/// The fields a context does not fully know, by `FieldId`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Unknowns {
    fields: Vec<Option<Extras>>,
}

impl Unknowns {
    /// Marks `field` as holding possibly more than the context gives.
    pub fn set(&mut self, field: FieldId, extras: Extras) {
        let i = field.index();
        if self.fields.len() <= i {
            self.fields.resize(i + 1, None);
        }
        let mut extras = extras;
        if let Extras::Values(values) = &mut extras {
            values.sort_by(|a, b| Extras::key(a).cmp(&Extras::key(b)));
            values.dedup();
        }
        if let Some(slot) = self.fields.get_mut(i) {
            *slot = Some(extras);
        }
    }

    /// What `field` may hold beyond the context's value; `None` when known.
    pub fn extras(&self, field: FieldId) -> Option<&Extras> {
        self.fields.get(field.index()).and_then(Option::as_ref)
    }

    fn reads_unknown(&self, v: &Val) -> bool {
        let mut unknown = false;
        v.for_each_field(&mut |f| unknown |= self.extras(f).is_some());
        unknown
    }
}

impl Program {
    /// A block's value, three-valued. A block without a `Why` tree (none in an
    /// engine's program) is unknown: never a guess.
    pub(crate) fn run_tri(&self, b: BlockId, ctx: &Context, s: &mut Scratch, u: &Unknowns) -> Tri {
        self.tri_block(b, ctx, s, u, &[])
    }

    fn tri_block(
        &self,
        b: BlockId,
        ctx: &Context,
        s: &mut Scratch,
        u: &Unknowns,
        elems: &Elems<'_>,
    ) -> Tri {
        match self.why_of(b) {
            Some(why) => self.tri(why, ctx, s, u, elems),
            None => Tri::Unknown,
        }
    }

    /// A tree's value, three-valued.
    pub(crate) fn tri(
        &self,
        why: &Why,
        ctx: &Context,
        s: &mut Scratch,
        u: &Unknowns,
        elems: &Elems<'_>,
    ) -> Tri {
        match why {
            Why::Const(b) => Tri::from(*b),
            Why::Atom(a, _) => self.tri_atom(*a, ctx, s, u, elems),
            Why::Quant(q, _) => self.tri_quant(*q, ctx, s, u),
            Why::Block(b, _) => s.block_tri(*b),
            Why::Not(inner) => self.tri(inner, ctx, s, u, elems).not(),
            Why::Logic(LogicOp::And, items) => {
                let mut acc = Tri::True;
                for item in items {
                    acc = acc.and(self.tri(item, ctx, s, u, elems));
                    if acc == Tri::False {
                        break;
                    }
                }
                acc
            }
            Why::Logic(LogicOp::Or, items) => {
                let mut acc = Tri::False;
                for item in items {
                    acc = acc.or(self.tri(item, ctx, s, u, elems));
                    if acc == Tri::True {
                        break;
                    }
                }
                acc
            }
            Why::Logic(LogicOp::Xor, items) => {
                let mut values = items.iter().map(|i| self.tri(i, ctx, s, u, elems));
                let first = values.next().unwrap_or(Tri::False);
                values.fold(first, Tri::xor)
            }
        }
    }

    /// An operand's value, three-valued (a group's rule literal).
    pub(crate) fn tri_operand(
        &self,
        op: Operand,
        ctx: &Context,
        s: &mut Scratch,
        u: &Unknowns,
    ) -> Tri {
        match op {
            Operand::Atom(a) | Operand::Shared(a) => self.tri_atom(a, ctx, s, u, &[]),
            Operand::Quant(q) | Operand::Memo(q) => self.tri_quant(q, ctx, s, u),
            Operand::Block(b) => s.block_tri(b),
        }
    }

    fn tri_atom(
        &self,
        a: AtomId,
        ctx: &Context,
        s: &mut Scratch,
        u: &Unknowns,
        elems: &Elems<'_>,
    ) -> Tri {
        let Some(atom) = self.atoms.get(a.0 as usize) else {
            return Tri::Unknown;
        };
        let unknown_input = match &atom.lhs {
            Lhs::Field(f) => u.extras(*f).is_some(),
            Lhs::Val(v) => u.reads_unknown(v),
            Lhs::Elem(_) => false,
        };
        if unknown_input {
            return Tri::Unknown;
        }
        let known = self.atom(a, ctx, s, elems);
        match atom.test {
            // Not among the known items of an incomplete list: unknown, unless
            // there is no value at all (nil is in no list).
            Test::InList(i) if !known && self.list_incomplete(i) => {
                let nil = match &atom.lhs {
                    Lhs::Field(f) => ctx.get(*f).is_none(),
                    Lhs::Elem(k) => elems.get(usize::from(*k)).copied().flatten().is_none(),
                    Lhs::Val(v) => {
                        s.buf.clear();
                        matches!(eval_val(v, ctx, elems, &mut s.buf), Got::Nil)
                    }
                };
                if nil { Tri::False } else { Tri::Unknown }
            }
            _ => Tri::from(known),
        }
    }

    /// Appends the context fields `op` reads to `out`, and the group result
    /// it reads to `blocks`. `false` when its three-valued value can be
    /// unknown for another reason than one of those being unknown: it reads an
    /// incomplete list, or has a block this analysis does not look into. An
    /// operand that returns `true`, reads no unknown field and no unknown
    /// group result has its two-valued value.
    pub(crate) fn operand_fields(
        &self,
        op: Operand,
        out: &mut Vec<FieldId>,
        blocks: &mut Vec<BlockId>,
    ) -> bool {
        match op {
            Operand::Atom(a) | Operand::Shared(a) => self.atom_fields(a, out),
            Operand::Quant(q) | Operand::Memo(q) => {
                let Some(quant) = self.quants.get(q.0 as usize) else {
                    return false;
                };
                for src in &quant.sources {
                    src.base.for_each_field(&mut |f| out.push(f));
                }
                match quant.body {
                    Body::Atom(a) => self.atom_fields(a, out),
                    Body::Block(_) => false,
                }
            }
            Operand::Block(b) => {
                blocks.push(b);
                true
            }
        }
    }

    /// `operand_fields` for a block (a profile's `match`), read from its
    /// tree: `false` without one.
    pub(crate) fn block_fields(
        &self,
        b: BlockId,
        out: &mut Vec<FieldId>,
        blocks: &mut Vec<BlockId>,
    ) -> bool {
        self.why_of(b)
            .is_some_and(|why| self.why_fields(why, out, blocks))
    }

    fn why_fields(&self, why: &Why, out: &mut Vec<FieldId>, blocks: &mut Vec<BlockId>) -> bool {
        match why {
            Why::Const(_) => true,
            Why::Atom(a, _) => self.atom_fields(*a, out),
            Why::Quant(q, _) => self.operand_fields(Operand::Quant(*q), out, blocks),
            Why::Block(b, _) => self.operand_fields(Operand::Block(*b), out, blocks),
            Why::Not(inner) => self.why_fields(inner, out, blocks),
            Why::Logic(_, items) => items.iter().all(|i| self.why_fields(i, out, blocks)),
        }
    }

    fn atom_fields(&self, a: AtomId, out: &mut Vec<FieldId>) -> bool {
        let Some(atom) = self.atoms.get(a.0 as usize) else {
            return false;
        };
        match &atom.lhs {
            Lhs::Field(f) => out.push(*f),
            Lhs::Val(v) => v.for_each_field(&mut |f| out.push(f)),
            Lhs::Elem(_) => {}
        }
        !matches!(atom.test, Test::InList(i) if self.list_incomplete(i))
    }

    fn list_incomplete(&self, i: u32) -> bool {
        self.lists_incomplete.get(i as usize) == Some(&true)
    }

    /// Whether a quantifier's per-element condition reads an incomplete list.
    fn body_reads_incomplete(&self, body: Body) -> bool {
        let atom_incomplete = |a: AtomId| {
            self.atoms
                .get(a.0 as usize)
                .is_some_and(|atom| matches!(atom.test, Test::InList(i) if self.list_incomplete(i)))
        };
        match body {
            Body::Atom(a) => atom_incomplete(a),
            Body::Block(b) => {
                let mut found = false;
                if let Some(why) = self.why_of(b) {
                    why.for_each_atom(&mut |a| found |= atom_incomplete(a));
                }
                found || self.why_of(b).is_none()
            }
        }
    }

    fn tri_quant(&self, q: QuantId, ctx: &Context, s: &mut Scratch, u: &Unknowns) -> Tri {
        let Some(quant) = self.quants.get(q.0 as usize) else {
            return Tri::Unknown;
        };
        let unknown_source = quant.sources.iter().any(|src| u.reads_unknown(&src.base));
        if !unknown_source && !self.body_reads_incomplete(quant.body) {
            // Its own value, not the index's: a guard field that is unknown
            // (an untranslated service token) skipped the index's lookup,
            // and an unknown guard no longer makes the skip unobservable.
            return Tri::from(self.quant_scan(q, ctx, s));
        }
        // Precisely only `field[*]` alone; any other shape over an unknown
        // input is unknown.
        let [src] = &*quant.sources else {
            return Tri::Unknown;
        };
        let (Val::Field(field), [PathStep::Each]) = (&src.base, &*src.steps) else {
            return Tri::Unknown;
        };
        let all = quant.all;
        let extras = u.extras(*field);
        // `any` looks for a true element, `all` for a false one.
        let combine = |acc: Tri, r: Tri| if all { acc.and(r) } else { acc.or(r) };
        let decided = |acc: Tri| acc == Tri::from(!all);
        let mut acc = Tri::from(all);
        let known: Vec<&Value> = match ctx.get(*field) {
            Some(Value::Array(items)) => items.iter().collect(),
            Some(Value::Map(entries)) => entries.iter().map(|(_, v)| v).collect(),
            Some(_) => Vec::new(),
            None if extras.is_none() => {
                return Tri::from(all && !quant.nil_is_false);
            }
            None => Vec::new(),
        };
        for v in known {
            acc = combine(acc, self.tri_body(quant.body, v, ctx, s, u));
            if decided(acc) {
                return acc;
            }
        }
        match extras {
            None => acc,
            Some(Extras::Any) => combine(acc, Tri::Unknown),
            Some(Extras::Values(values)) => {
                // A candidate may be absent: it can only make the answer
                // unknown, never decide it; so the first that does settles it.
                if acc == Tri::Unknown {
                    return acc;
                }
                let settles = match quant.body {
                    Body::Atom(a) => self.candidate_settles(a, all, values),
                    Body::Block(_) => None,
                };
                let settles = settles.unwrap_or_else(|| {
                    values
                        .iter()
                        .any(|v| self.tri_body(quant.body, v, ctx, s, u) != Tri::from(all))
                });
                if settles {
                    combine(acc, Tri::Unknown)
                } else {
                    acc
                }
            }
        }
    }

    /// Whether some candidate passes element test `a` (`any`) or fails it
    /// (`all`), found through the test's constants when it is a membership
    /// test of the element itself; `None` for any other test. Testing every
    /// candidate cost candidates x tests: 3,000 unknown posture results and
    /// 3,000 groups each naming one were 9M tests a context.
    fn candidate_settles(&self, a: AtomId, all: bool, values: &[Value]) -> Option<bool> {
        // No candidate settles anything (an unknown result set made for a
        // decision that has none: an incomplete list is read); `all` of the
        // known elements stands (helper-24's review: `== c` said some
        // candidate fails).
        if values.is_empty() {
            return Some(false);
        }
        let atom = self.atoms.get(a.0 as usize)?;
        if !matches!(atom.lhs, Lhs::Elem(0)) || !Extras::all_bytes(values) {
            return None;
        }
        let has = |c: &[u8]| Extras::position(values, c).is_ok();
        let bytes = Extras::key;
        Some(match (&atom.test, all) {
            (Test::Bytes(CmpOp::Eq, c), false) => has(c),
            // Candidates are distinct: more than one, or one other, fails.
            (Test::Bytes(CmpOp::Eq, c), true) => {
                values.len() > 1 || values.first().and_then(bytes) != Some(&**c)
            }
            (Test::InBytes(set), false) if set.len() < values.len() => set.iter().any(has),
            (Test::InBytes(set), false) => values
                .iter()
                .any(|v| bytes(v).is_some_and(|b| set.contains(b))),
            (Test::InBytes(set), true) if values.len() > set.len() => true,
            (Test::InBytes(set), true) => values
                .iter()
                .any(|v| bytes(v).is_none_or(|b| !set.contains(b))),
            _ => return None,
        })
    }

    fn tri_body(&self, body: Body, v: &Value, ctx: &Context, s: &mut Scratch, u: &Unknowns) -> Tri {
        let elems = [Some(v)];
        match body {
            Body::Atom(a) => self.tri_atom(a, ctx, s, u, &elems),
            Body::Block(b) => self.tri_block(b, ctx, s, u, &elems),
        }
    }
}

/// An unknown field read, with the constants its elements are compared with
/// (`None`: the whole field matters).
pub type FieldRead = (FieldId, Option<Vec<Box<[u8]>>>);

/// The unknown inputs a block reads in one context: fields (with the
/// constants a membership test compares their elements with, when that is all
/// it does) and incomplete lists (by name).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UnknownReads {
    /// Unknown fields read, each with the constants its elements are compared
    /// with (`None`: the whole field matters).
    pub fields: Vec<FieldRead>,
    /// Names of the incomplete lists read.
    pub lists: Vec<Box<str>>,
}

impl Program {
    /// What a block reads of the unknown inputs `u` and of incomplete lists.
    pub(crate) fn unknown_reads(&self, b: BlockId, u: &Unknowns) -> UnknownReads {
        let mut out = UnknownReads::default();
        if let Some(why) = self.why_of(b) {
            self.reads_of(why, u, &mut out);
        }
        out
    }

    fn reads_of(&self, why: &Why, u: &Unknowns, out: &mut UnknownReads) {
        match why {
            Why::Const(_) | Why::Block(..) => {}
            Why::Not(inner) => self.reads_of(inner, u, out),
            Why::Logic(_, items) => items.iter().for_each(|i| self.reads_of(i, u, out)),
            Why::Atom(a, _) => self.atom_reads(*a, u, out),
            Why::Quant(q, _) => {
                let Some(quant) = self.quants.get(q.0 as usize) else {
                    return;
                };
                for (k, src) in (0u16..).zip(&quant.sources) {
                    let constants = match (&src.base, quant.body) {
                        (Val::Field(_), Body::Atom(a)) => self.constants(a, k),
                        _ => None,
                    };
                    src.base.for_each_field(&mut |f| {
                        if u.extras(f).is_some() {
                            out.fields.push((f, constants.clone()));
                        }
                    });
                }
                match quant.body {
                    Body::Atom(a) => self.atom_reads(a, u, out),
                    Body::Block(b) => {
                        if let Some(why) = self.why_of(b) {
                            self.reads_of(why, u, out);
                        }
                    }
                }
            }
        }
    }

    fn atom_reads(&self, a: AtomId, u: &Unknowns, out: &mut UnknownReads) {
        let Some(atom) = self.atoms.get(a.0 as usize) else {
            return;
        };
        let mut mark = |f: FieldId| {
            if u.extras(f).is_some() {
                out.fields.push((f, None));
            }
        };
        match &atom.lhs {
            Lhs::Field(f) => mark(*f),
            Lhs::Val(v) => v.for_each_field(&mut mark),
            Lhs::Elem(_) => {}
        }
        if let Test::InList(i) = atom.test
            && self.list_incomplete(i)
            && let Some(name) = self.lists_name.get(i as usize)
        {
            out.lists.push(name.clone());
        }
    }

    /// The constants an element test compares source `k`'s element with:
    /// `== c` or `in {…}`, of the element itself (`lower(x[*]) == c`
    /// compares another value).
    fn constants(&self, a: AtomId, k: u16) -> Option<Vec<Box<[u8]>>> {
        let atom = self.atoms.get(a.0 as usize)?;
        if !matches!(atom.lhs, Lhs::Elem(e) if e == k) {
            return None;
        }
        match &atom.test {
            Test::Bytes(crate::expr::ast::CmpOp::Eq, c) => Some(vec![c.clone()]),
            Test::InBytes(set) => Some(set.iter().map(Box::from).collect()),
            _ => None,
        }
    }
}

impl Program {
    /// A root block's value, three-valued, and the atoms that decided it
    /// (`decision.md` §2): as `explain.rs` for a known result; for an unknown
    /// one, the unknown atoms (of an `and` with no false operand, an `or` with no
    /// true one).
    pub(crate) fn explain_tri(
        &self,
        b: BlockId,
        ctx: &Context,
        s: &mut Scratch,
        u: &Unknowns,
    ) -> (Tri, Vec<String>) {
        match self.why_of(b) {
            Some(why) => self.why_tri(why, ctx, s, u),
            None => (Tri::Unknown, Vec::new()),
        }
    }

    fn why_tri(
        &self,
        why: &Why,
        ctx: &Context,
        s: &mut Scratch,
        u: &Unknowns,
    ) -> (Tri, Vec<String>) {
        let leaf = |r: Tri, label: &str| {
            let word = match r {
                Tri::True => "true",
                Tri::False => "false",
                Tri::Unknown => "unknown",
            };
            (r, vec![format!("{label} is {word}")])
        };
        match why {
            Why::Const(b) => (Tri::from(*b), Vec::new()),
            Why::Atom(a, label) => leaf(self.tri_atom(*a, ctx, s, u, &[]), label.as_str()),
            Why::Quant(q, label) => leaf(self.tri_quant(*q, ctx, s, u), label.as_str()),
            Why::Block(b, label) => leaf(s.block_tri(*b), label.as_str()),
            Why::Not(inner) => {
                let (r, because) = self.why_tri(inner, ctx, s, u);
                (r.not(), because)
            }
            Why::Logic(op, items) => {
                let decisive = match op {
                    LogicOp::And => Some(Tri::False),
                    LogicOp::Or => Some(Tri::True),
                    LogicOp::Xor => None,
                };
                let mut known = Vec::new();
                let mut unknown = Vec::new();
                let mut acc: Option<Tri> = None;
                for item in items {
                    let (r, because) = self.why_tri(item, ctx, s, u);
                    if Some(r) == decisive {
                        return (r, because);
                    }
                    acc = Some(match (acc, op) {
                        (None, _) => r,
                        (Some(a), LogicOp::And) => a.and(r),
                        (Some(a), LogicOp::Or) => a.or(r),
                        (Some(a), LogicOp::Xor) => a.xor(r),
                    });
                    if r == Tri::Unknown {
                        unknown.extend(because);
                    } else {
                        known.extend(because);
                    }
                }
                let r = acc.unwrap_or(Tri::from(*op == LogicOp::And));
                if r == Tri::Unknown && decisive.is_some() {
                    (r, unknown)
                } else {
                    known.extend(unknown);
                    (r, known)
                }
            }
        }
    }
}

impl Why {
    /// Calls `f` with every atom of the tree (not inside quantifiers).
    pub(crate) fn for_each_atom(&self, f: &mut impl FnMut(AtomId)) {
        match self {
            Why::Atom(a, _) => f(*a),
            Why::Not(inner) => inner.for_each_atom(f),
            Why::Logic(_, items) => items.iter().for_each(|i| i.for_each_atom(f)),
            Why::Const(_) | Why::Quant(..) | Why::Block(..) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Tri::{self, False as F, True as T, Unknown as U};

    #[test]
    fn kleene_tables() {
        let all = [F, U, T];
        for a in all {
            for b in all {
                let and = if a == F || b == F {
                    F
                } else if a == U || b == U {
                    U
                } else {
                    T
                };
                let or = if a == T || b == T {
                    T
                } else if a == U || b == U {
                    U
                } else {
                    F
                };
                assert_eq!(a.and(b), and, "{a:?} and {b:?}");
                assert_eq!(a.or(b), or, "{a:?} or {b:?}");
                // De Morgan holds in Kleene's logic.
                assert_eq!(a.and(b).not(), a.not().or(b.not()));
            }
        }
        assert_eq!(U.not(), U);
        assert_eq!(T.xor(U), U);
        assert_eq!(T.xor(F), T);
        assert_eq!(Tri::from(true), T);
    }
}
