//! The code a `Program` is made of: ids, instructions, operands, atoms with their
//! tests, quantifiers, and the `Why` tree kept beside an explained root. Plain
//! data only (no closures, no trait objects).

use crate::expr::ast::{CmpOp, LogicOp};
use crate::expr::cond::{PathStep, Val};
use crate::matcher::Glob;
use crate::scheme::FieldId;
use crate::sets::StrSet;
use crate::sets::{IntRanges, IpRanges};
use std::net::IpAddr;

/// Index of an atom in `Program::atoms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AtomId(pub(crate) u32);

/// Index of a quantifier in `Program::quants`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct QuantId(pub(crate) u32);

/// Index of a block in `Program::blocks`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlockId(pub(crate) u32);

/// One instruction. The accumulator holds the latest boolean.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inst {
    /// acc = the atom's result
    Atom(AtomId),
    /// acc = the quantifier's result
    Quant(QuantId),
    /// acc = the indexed quantifier's result, marked by `prime` for this context
    Memo(QuantId),
    /// acc = the atom's result, computed once per primed context: an atom many
    /// blocks share (30 groups requiring the same country test it once)
    Shared(AtomId),
    /// acc = constant
    Const(bool),
    /// acc = !acc
    Not,
    /// if !acc, continue at the absolute index
    JumpIfFalse(u32),
    /// if acc, continue at the absolute index
    JumpIfTrue(u32),
    /// reg = acc
    Store(u32),
    /// reg ^= acc
    XorInto(u32),
    /// acc = reg
    Load(u32),
    /// acc = the result of an earlier block (a group reference), read from scratch
    Block(BlockId),
    /// acc = operand (negated if `negate`); if acc == `on`, continue at `target`.
    /// An operand, an optional `Not` and a conditional jump fused into one
    /// dispatch: the shape of every `and`/`or` operand but the last.
    Branch {
        /// What is tested.
        operand: Operand,
        /// `not operand`.
        negate: bool,
        /// Jump when the result is this.
        on: bool,
        /// Absolute index.
        target: u32,
    },
}

/// The value a fused `Inst::Branch` tests: the instructions that set acc alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Operand {
    /// As `Inst::Atom`.
    Atom(AtomId),
    /// As `Inst::Quant`.
    Quant(QuantId),
    /// As `Inst::Memo`.
    Memo(QuantId),
    /// As `Inst::Shared`.
    Shared(AtomId),
    /// As `Inst::Block`.
    Block(BlockId),
}

impl Operand {
    /// The operand an instruction computes, if it is one.
    pub fn of(inst: Inst) -> Option<Operand> {
        Some(match inst {
            Inst::Atom(a) => Operand::Atom(a),
            Inst::Quant(q) => Operand::Quant(q),
            Inst::Memo(q) => Operand::Memo(q),
            Inst::Shared(a) => Operand::Shared(a),
            Inst::Block(b) => Operand::Block(b),
            _ => return None,
        })
    }
}

/// A compiled atom: where the value comes from and what is tested.
#[derive(Debug, Clone)]
pub struct AtomCode {
    /// The value.
    pub lhs: Lhs,
    /// The test.
    pub test: Test,
}

/// Where an atom's value comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lhs {
    /// A field's slot: the fast path.
    Field(FieldId),
    /// The current element of quantifier source `k`.
    Elem(u16),
    /// Anything else (index steps, functions), evaluated into scratch.
    Val(Val),
}

/// A test on one value. Every test is false on nil, except `!=`.
#[derive(Debug, Clone)]
pub enum Test {
    /// The Bool value is true.
    IsTrue,
    /// Compare with an int.
    Int(CmpOp, i64),
    /// Compare with bytes.
    Bytes(CmpOp, Box<[u8]>),
    /// Compare with an address (families never order against each other).
    Ip(CmpOp, IpAddr),
    /// `(v & n) != 0`
    BitAnd(i64),
    /// Substring, with a searcher built once.
    Contains(Box<memchr::memmem::Finder<'static>>),
    /// Prefix.
    StartsWith(Box<[u8]>),
    /// Suffix.
    EndsWith(Box<[u8]>),
    /// Unanchored regex search with `Program::regexes[i]`.
    Matches(u32),
    /// Whole-value glob.
    Wildcard(Glob),
    /// Byte-string set membership.
    InBytes(StrSet),
    /// Int ranges membership.
    InInts(IntRanges),
    /// Address ranges membership.
    InIps(IpRanges),
    /// Membership in `Program::lists[i]`.
    InList(u32),
}

impl Test {
    /// The result on a nil value: only `!=` holds.
    pub fn on_nil(&self) -> bool {
        matches!(
            self,
            Test::Int(CmpOp::Ne, _) | Test::Bytes(CmpOp::Ne, _) | Test::Ip(CmpOp::Ne, _)
        )
    }
}

/// A compiled list (`$name`, or a rule's list).
#[derive(Debug, Clone)]
pub enum ListSet {
    /// Byte strings.
    Bytes(StrSet),
    /// Ints.
    Ints(IntRanges),
    /// Addresses and CIDRs.
    Ips(IpRanges),
}

/// What a quantifier iterates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceCode {
    /// The container before the first `[*]`.
    pub base: Val,
    /// From the first `[*]` on.
    pub steps: Box<[PathStep]>,
}

/// A compiled quantifier.
#[derive(Debug, Clone)]
pub struct QuantCode {
    /// `all` when true.
    pub all: bool,
    /// `any(arr)` without `[*]`: nil is false for `all` too.
    pub nil_is_false: bool,
    /// Zipped sources.
    pub sources: Box<[SourceCode]>,
    /// The per-element condition.
    pub body: Body,
    /// `any(field[*] op c)` / `all(…)`: one field iterated directly by one atom,
    /// with no closures or path walking.
    pub fused: Option<(FieldId, AtomId)>,
}

/// A quantifier's per-element condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body {
    /// One atom on the element: the fused fast path.
    Atom(AtomId),
    /// A block run once per element.
    Block(BlockId),
}

/// The condition tree of a root kept beside its block, so explanations can name
/// the deciding atoms without plain evaluation paying for it.
#[derive(Debug, Clone)]
pub enum Why {
    /// A constant.
    Const(bool),
    /// `and`/`or`/`xor`.
    Logic(LogicOp, Box<[Why]>),
    /// `not`.
    Not(Box<Why>),
    /// An atom and its canonical text.
    Atom(AtomId, crate::expr::label::Label),
    /// A quantifier and its canonical text.
    Quant(QuantId, crate::expr::label::Label),
    /// An earlier block (a group reference) and its name.
    Block(BlockId, crate::expr::label::Label),
}

impl Why {
    /// The operand a leaf stands for (an atom, a quantifier, a group
    /// reference); `None` for any other node.
    pub fn operand(&self) -> Option<Operand> {
        match self {
            Why::Atom(a, _) => Some(Operand::Atom(*a)),
            Why::Quant(q, _) => Some(Operand::Quant(*q)),
            Why::Block(b, _) => Some(Operand::Block(*b)),
            Why::Const(_) | Why::Not(_) | Why::Logic(..) => None,
        }
    }
}
