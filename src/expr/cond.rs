//! `Cond`: a checked expression. Fields are `FieldId`s, literals are typed
//! constants (sorted sets, compiled regexes), and every `[*]` has been resolved
//! into a quantifier's source. `Expr` is what the user wrote; `Cond` is what it
//! means, and is what both the compiled program and the reference interpreter run.

use crate::expr::ast::{CmpOp, LogicOp};
use crate::matcher::Glob;
use crate::scheme::{FieldId, ListId};
use crate::sets::{BytesSet, IntRanges, IpRanges};
use std::hash::{Hash, Hasher};
use std::net::IpAddr;

/// Most sources one quantifier may zip (check.rs rejects more).
pub const MAX_SOURCES: usize = 8;

/// A checked boolean condition.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Cond {
    /// Always true or always false.
    Const(bool),
    /// `and`, `or`, `xor` of two or more conditions, evaluated left to right.
    Logic(LogicOp, Vec<Cond>),
    /// `not c`
    Not(Box<Cond>),
    /// One comparison of one value with one constant.
    Atom {
        /// What is compared.
        atom: Atom,
        /// Its canonical text, for explanations.
        label: crate::expr::label::Label,
    },
    /// The result of an earlier root block of the same program: a group reference.
    Ref {
        /// The block's index.
        block: u32,
        /// The group's name, for explanations.
        label: crate::expr::label::Label,
    },
    /// `any(…)` / `all(…)` over the elements of one or more sources.
    Quant {
        /// The quantifier.
        quant: Quant,
        /// Its canonical text, for explanations.
        label: crate::expr::label::Label,
    },
}

/// `value op constant`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Atom {
    /// The value read from the context.
    pub lhs: Val,
    /// The test applied to it.
    pub op: AtomOp,
}

/// A value computed from the context.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Val {
    /// A field's slot.
    Field(FieldId),
    /// `v[3]`; nil when out of range.
    Index(Box<Val>, u32),
    /// `v["key"]`; nil when absent.
    Key(Box<Val>, Box<[u8]>),
    /// The current element of the enclosing quantifier's source `k`.
    Elem(u16),
    /// A byte-string constant (a literal argument of `concat`).
    Bytes(Box<[u8]>),
    /// `lower(v)`: ASCII lowercase.
    Lower(Box<Val>),
    /// `upper(v)`: ASCII uppercase.
    Upper(Box<Val>),
    /// `len(v)`: bytes of a string, elements of an array.
    Len(Box<Val>),
    /// `concat(a, b, …)`: bytes or arrays joined; nil arguments are skipped, all nil is nil.
    Concat(Box<[Val]>),
}

impl Val {
    /// Calls `f` with every field the value reads.
    pub fn for_each_field(&self, f: &mut impl FnMut(FieldId)) {
        match self {
            Val::Field(id) => f(*id),
            Val::Elem(_) | Val::Bytes(_) => {}
            Val::Index(v, _) | Val::Key(v, _) | Val::Lower(v) | Val::Upper(v) | Val::Len(v) => {
                v.for_each_field(f);
            }
            Val::Concat(parts) => parts.iter().for_each(|p| p.for_each_field(f)),
        }
    }

    /// True when the value depends on a quantifier's element, not only on the context.
    pub fn reads_elements(&self) -> bool {
        match self {
            Val::Elem(_) => true,
            Val::Field(_) | Val::Bytes(_) => false,
            Val::Index(v, _) | Val::Key(v, _) | Val::Lower(v) | Val::Upper(v) | Val::Len(v) => {
                v.reads_elements()
            }
            Val::Concat(parts) => parts.iter().any(Val::reads_elements),
        }
    }
}

/// What a quantifier iterates: `base[*]` followed by more steps (which may include
/// further `[*]`, flattening). A step that misses skips that element.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Source {
    /// The array or map before the first `[*]`.
    pub base: Val,
    /// The steps from the first `[*]` on; the first is always `Each`.
    pub steps: Box<[PathStep]>,
}

/// A step of a source path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PathStep {
    /// `[*]`: every element of an array, every value of a map (in key order)
    Each,
    /// `[3]`
    Index(u32),
    /// `["key"]`
    Key(Box<[u8]>),
}

/// `any(body)` or `all(body)`: the body is evaluated once per position, with
/// `Val::Elem(k)` bound to the element of source `k` at that position. Sources
/// are zipped and the shortest decides the length (wirefilter's rule).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Quant {
    /// `all` when true, `any` when false.
    pub all: bool,
    /// What is iterated.
    pub sources: Vec<Source>,
    /// The per-element condition.
    pub body: Box<Cond>,
    /// `any(arr)` on an `Array<Bool>` written without `[*]`: nil gives false for both.
    pub nil_is_false: bool,
}

/// A scalar constant.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Scalar {
    /// `42`
    Int(i64),
    /// `"abc"`
    Bytes(Box<[u8]>),
    /// `10.0.0.1`
    Ip(IpAddr),
}

/// The test an atom applies to its value. Every test is false on nil except `Ne`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AtomOp {
    /// A Bool value is true.
    IsTrue,
    /// `== != < <= > >=` with a constant of the value's type.
    Cmp(CmpOp, Scalar),
    /// `(v & n) != 0`
    BitAnd(i64),
    /// substring
    Contains(Box<[u8]>),
    /// `starts_with(v, "p")`
    StartsWith(Box<[u8]>),
    /// `ends_with(v, "s")`
    EndsWith(Box<[u8]>),
    /// unanchored regex search
    Matches(Pattern),
    /// whole-value glob
    Wildcard(Glob),
    /// `in {"a" "b"}`
    InBytes(BytesSet),
    /// `in {1 5..9}`
    InInts(IntRanges),
    /// `in {10.0.0.0/8 ::1}`
    InIps(IpRanges),
    /// `in $name`
    InList(ListId),
}

/// A compiled regex, compared and hashed by its source text.
#[derive(Debug, Clone)]
pub struct Pattern {
    /// The regex as written after `matches`.
    pub source: Box<str>,
    /// Compiled once at check time, byte-oriented with Unicode off.
    pub matcher: crate::matcher::Matcher,
}

impl PartialEq for Pattern {
    fn eq(&self, other: &Pattern) -> bool {
        self.source == other.source
    }
}

impl Eq for Pattern {}

impl Hash for Pattern {
    fn hash<H: Hasher>(&self, h: &mut H) {
        self.source.hash(h);
    }
}

impl Cond {
    /// Calls `f` with every field the condition reads, quantifier sources and
    /// bodies included.
    pub fn for_each_field(&self, f: &mut impl FnMut(FieldId)) {
        match self {
            Cond::Const(_) | Cond::Ref { .. } => {}
            Cond::Logic(_, items) => items.iter().for_each(|c| c.for_each_field(f)),
            Cond::Not(inner) => inner.for_each_field(f),
            Cond::Atom { atom, .. } => atom.lhs.for_each_field(f),
            Cond::Quant { quant, .. } => {
                for src in &quant.sources {
                    src.base.for_each_field(f);
                }
                quant.body.for_each_field(f);
            }
        }
    }

    /// Heap bytes of the compiled regexes it holds (the configuration's regex
    /// budget adds these up).
    pub fn regex_memory(&self) -> usize {
        match self {
            Cond::Const(_) | Cond::Ref { .. } => 0,
            Cond::Logic(_, items) => items.iter().map(Cond::regex_memory).sum(),
            Cond::Not(inner) => inner.regex_memory(),
            Cond::Atom { atom, .. } => match &atom.op {
                AtomOp::Matches(p) => p.matcher.memory_usage(),
                _ => 0,
            },
            Cond::Quant { quant, .. } => quant.body.regex_memory(),
        }
    }

    /// Calls `f` with every label, quantifier bodies included, in order.
    pub fn for_each_label(&self, f: &mut impl FnMut(&crate::expr::label::Label)) {
        match self {
            Cond::Const(_) => {}
            Cond::Logic(_, items) => items.iter().for_each(|c| c.for_each_label(f)),
            Cond::Not(inner) => inner.for_each_label(f),
            Cond::Atom { label, .. } | Cond::Ref { label, .. } => f(label),
            Cond::Quant { quant, label } => {
                f(label);
                quant.body.for_each_label(f);
            }
        }
    }

    /// `a and b …`, flattening nested `and`s and folding constants.
    pub fn and(items: Vec<Cond>) -> Cond {
        Cond::logic(LogicOp::And, items)
    }

    /// `a or b …`, flattening nested `or`s and folding constants.
    pub fn or(items: Vec<Cond>) -> Cond {
        Cond::logic(LogicOp::Or, items)
    }

    /// `not c`, removing double negation and folding constants.
    pub fn negate(c: Cond) -> Cond {
        match c {
            Cond::Const(b) => Cond::Const(!b),
            Cond::Not(inner) => *inner,
            c => Cond::Not(Box::new(c)),
        }
    }

    fn logic(op: LogicOp, items: Vec<Cond>) -> Cond {
        // `and` and `or` are associative and idempotent on constants; `xor` is kept as is.
        let (absorbing, neutral) = match op {
            LogicOp::And => (false, true),
            LogicOp::Or => (true, false),
            LogicOp::Xor => return Cond::Logic(op, items),
        };
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            match item {
                Cond::Const(b) if b == absorbing => return Cond::Const(absorbing),
                Cond::Const(_) => {}
                Cond::Logic(inner, nested) if inner == op => out.extend(nested),
                c => out.push(c),
            }
        }
        match out.len() {
            0 => Cond::Const(neutral),
            1 => out.pop().unwrap_or(Cond::Const(neutral)),
            _ => Cond::Logic(op, out),
        }
    }
}
