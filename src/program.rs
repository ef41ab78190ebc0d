//! `Program`: checked conditions compiled to flat, index-addressed data. Plain data
//! only (no closures, no trait objects); `Debug` prints a disassembly.
//!
//! A root condition is a *block*: a run of `Inst`s in `code` that leaves its
//! result in an accumulator. `and`/`or` short-circuit with forward jumps, `xor`
//! folds into a register, atoms and quantifiers are table entries shared by every
//! block that uses them.
//!
//! // Invariant 1: every jump target lies inside its own block and after the jump,
//! // so a block runs in one forward loop with no recursion.
//! // Invariant 2: each distinct `(value, test)` atom has exactly one `AtomId`, and
//! // each distinct quantifier one `QuantId`.
//! // Invariant 3: every `FieldId` is below the scheme's length, which equals the
//! // context's slot count.
//! // Invariant 4: a `Program` is immutable and `Send + Sync`; evaluation writes
//! // only into a `Scratch`.

use crate::ast::{CmpOp, LogicOp};
use crate::cond::{Glob, PathStep, Val};
use crate::scheme::FieldId;
use crate::sets::{IntRanges, IpRanges};
use std::fmt;
use std::net::IpAddr;
use std::ops::Range;

/// Index of an atom in `Program::atoms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AtomId(pub(crate) u32);

/// Index of a quantifier in `Program::quants`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct QuantId(pub(crate) u32);

/// Index of a block in `Program::blocks`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

/// A byte-string set: linear scan when small, hashed when large.
#[derive(Debug, Clone)]
pub enum StrSet {
    /// Few items, scanned: each its own (pointer, length), so a scan compares
    /// lengths without touching the bytes.
    Small(Box<[Box<[u8]>]>),
    /// Many items: FxHash lookup.
    Hashed(HashedStrs),
}

/// The items of a large set, concatenated, and a table of each one's place in
/// them by hash: two allocations however many items, and a lookup compares
/// lengths in the table before it touches any bytes.
#[derive(Debug, Clone)]
pub struct HashedStrs {
    /// Bit `n` is set when an item is `n` bytes long (bit 63: 63 or more): a
    /// value of no item's length is out without being hashed.
    lengths: u64,
    bytes: Box<[u8]>,
    /// (offset, length) in `bytes`.
    table: hashbrown::HashTable<(u32, u32)>,
}

impl HashedStrs {
    /// `None` when the items hold more than 4 GiB between them.
    fn new(set: &crate::sets::BytesSet) -> Option<HashedStrs> {
        let total = set.iter().map(<[u8]>::len).sum();
        u32::try_from(total).ok()?;
        let mut bytes = Vec::with_capacity(total);
        let mut table = hashbrown::HashTable::with_capacity(set.len());
        let mut lengths = 0;
        // The set's items are distinct already: each goes in once.
        for item in set.iter() {
            lengths |= length_bit(item);
            let place = (bytes.len() as u32, item.len() as u32);
            bytes.extend_from_slice(item);
            table.insert_unique(str_hash(item), place, |p| {
                slice(&bytes, *p).map_or(0, str_hash)
            });
        }
        Some(HashedStrs {
            lengths,
            bytes: bytes.into(),
            table,
        })
    }

    /// Every item, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &[u8]> {
        self.table.iter().filter_map(|p| slice(&self.bytes, *p))
    }

    #[inline(always)]
    fn contains(&self, v: &[u8]) -> bool {
        if self.lengths & length_bit(v) == 0 {
            return false;
        }
        self.table
            .find(str_hash(v), |&(at, len)| {
                len as usize == v.len()
                    && slice(&self.bytes, (at, len)).is_some_and(|s| crate::bytes::eq(s, v))
            })
            .is_some()
    }
}

#[inline(always)]
fn length_bit(v: &[u8]) -> u64 {
    1 << v.len().min(63)
}

#[inline]
fn slice(bytes: &[u8], (at, len): (u32, u32)) -> Option<&[u8]> {
    bytes.get(at as usize..at as usize + len as usize)
}

#[inline]
fn str_hash(v: &[u8]) -> u64 {
    use std::hash::BuildHasher;
    rustc_hash::FxBuildHasher.hash_one(v)
}

impl StrSet {
    /// Sets up to this size are scanned.
    const SMALL: usize = 4;

    /// A set of these items.
    pub fn new<'a>(items: impl IntoIterator<Item = &'a [u8]>) -> StrSet {
        StrSet::of(&crate::sets::BytesSet::new(items))
    }

    /// The set of a checked `in {…}`.
    pub fn of(set: &crate::sets::BytesSet) -> StrSet {
        if set.len() > StrSet::SMALL
            && let Some(hashed) = HashedStrs::new(set)
        {
            return StrSet::Hashed(hashed);
        }
        StrSet::Small(set.iter().map(Box::from).collect())
    }

    /// Membership. Always inlined: it is the whole of the commonest tests, and
    /// a call's prologue cost a fifth of a lookup.
    #[inline(always)]
    pub fn contains(&self, v: &[u8]) -> bool {
        match self {
            StrSet::Small(items) => items.iter().any(|i| crate::bytes::eq(i, v)),
            StrSet::Hashed(set) => set.contains(v),
        }
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
    Atom(AtomId, crate::label::Label),
    /// A quantifier and its canonical text.
    Quant(QuantId, crate::label::Label),
    /// An earlier block (a group reference) and its name.
    Block(BlockId, crate::label::Label),
}

impl Program {
    /// The tree of an explained root (`Builder::add_root`).
    pub fn why_of(&self, root: BlockId) -> Option<&Why> {
        self.whys.get(root.0 as usize).and_then(Option::as_ref)
    }
}

/// The compiled program.
#[derive(Clone)]
pub struct Program {
    pub(crate) code: Vec<Inst>,
    pub(crate) blocks: Vec<Range<u32>>,
    pub(crate) whys: Vec<Option<Why>>,
    pub(crate) atoms: Vec<AtomCode>,
    pub(crate) quants: Vec<QuantCode>,
    pub(crate) lists: Vec<ListSet>,
    pub(crate) regexes: Vec<crate::matcher::Matcher>,
    pub(crate) registers: u32,
    /// Membership quantifiers answered per context by one walk of their array.
    pub(crate) index: Option<crate::index::QuantIndex>,
    /// Per atom: memoized per context (`Inst::Shared`), set by `finish_indexed`.
    pub(crate) shared_atoms: Vec<bool>,
}

impl Program {
    /// Number of distinct atoms.
    pub fn atom_count(&self) -> usize {
        self.atoms.len()
    }

    /// The atom a block consists of, when it is exactly one atom.
    pub fn single_atom(&self, block: BlockId) -> Option<AtomId> {
        let range = self.blocks.get(block.0 as usize)?;
        match self.code.get(range.start as usize..range.end as usize)? {
            [Inst::Atom(a)] => Some(*a),
            _ => None,
        }
    }

    /// Per field of a scheme of `len` fields: whether any atom or quantifier reads
    /// it. A context need not fill the others.
    pub fn fields_read(&self, len: usize) -> Vec<bool> {
        let mut read = vec![false; len];
        let mut mark = |f: FieldId| {
            if let Some(r) = read.get_mut(f.index()) {
                *r = true;
            }
        };
        for atom in &self.atoms {
            match &atom.lhs {
                Lhs::Field(f) => mark(*f),
                Lhs::Val(v) => v.for_each_field(&mut mark),
                Lhs::Elem(_) => {}
            }
        }
        for q in &self.quants {
            for src in &q.sources {
                src.base.for_each_field(&mut mark);
            }
        }
        read
    }

    /// The field and test of an atom on a field's value.
    pub fn field_test(&self, atom: AtomId) -> Option<(FieldId, Test)> {
        match self.atoms.get(atom.0 as usize)? {
            AtomCode {
                lhs: Lhs::Field(f),
                test,
            } => Some((*f, test.clone())),
            _ => None,
        }
    }

    /// The field and per-element test of a root that is one fused `any(field[*] …)`.
    pub fn fused_any(&self, block: BlockId) -> Option<(FieldId, Test)> {
        let range = self.blocks.get(block.0 as usize)?;
        let [Inst::Quant(q)] = self.code.get(range.start as usize..range.end as usize)? else {
            return None;
        };
        let quant = self.quants.get(q.0 as usize)?;
        match quant.fused {
            Some((field, atom)) if !quant.all => {
                Some((field, self.atoms.get(atom.0 as usize)?.test.clone()))
            }
            _ => None,
        }
    }

    /// The operand as this program evaluates it best: an indexed quantifier as its
    /// memo, a shared atom through its memo (after `finish_indexed`).
    pub fn resolve(&self, op: Operand) -> Operand {
        match op {
            Operand::Quant(q)
                if self
                    .index
                    .as_ref()
                    .is_some_and(|i| i.indexed.get(q.0 as usize) == Some(&true)) =>
            {
                Operand::Memo(q)
            }
            Operand::Atom(a) if self.shared_atoms.get(a.0 as usize) == Some(&true) => {
                Operand::Shared(a)
            }
            other => other,
        }
    }

    /// Number of blocks (roots, group bodies, quantifier bodies).
    pub fn block_count(&self) -> usize {
        self.blocks.len()
    }
}

impl fmt::Debug for Program {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, a) in self.atoms.iter().enumerate() {
            writeln!(f, "atom {i}: {:?} {:?}", a.lhs, a.test)?;
        }
        for (i, q) in self.quants.iter().enumerate() {
            let kind = if q.all { "all" } else { "any" };
            writeln!(
                f,
                "quant {i}: {kind} over {:?} body {:?}",
                q.sources, q.body
            )?;
        }
        for (b, range) in self.blocks.iter().enumerate() {
            writeln!(f, "block {b}:")?;
            for pc in range.clone() {
                if let Some(inst) = self.code.get(pc as usize) {
                    writeln!(f, "  {pc:4}  {inst:?}")?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::StrSet;
    use proptest::prelude::*;

    fn member(set: &[Vec<u8>], v: &[u8]) -> bool {
        set.iter().any(|i| i.as_slice() == v)
    }

    proptest! {
        /// Scanned and hashed sets (lengths straddling the 63-byte bucket of the
        /// length filter) agree with plain membership.
        #[test]
        fn str_set_is_membership(
            items in prop::collection::vec(prop::collection::vec(b'a'..=b'c', 0..70), 0..12),
            probes in prop::collection::vec(prop::collection::vec(b'a'..=b'c', 0..70), 0..12),
        ) {
            let set = StrSet::new(items.iter().map(Vec::as_slice));
            prop_assert_eq!(matches!(set, StrSet::Hashed(_)), {
                let mut distinct = items.clone();
                distinct.sort();
                distinct.dedup();
                distinct.len() > 4
            });
            for v in items.iter().chain(&probes) {
                prop_assert_eq!(set.contains(v), member(&items, v), "{:?}", v);
            }
        }
    }

    #[test]
    fn long_items_share_the_last_length_bit() {
        let items: Vec<Vec<u8>> = [1, 5, 62, 63, 64, 100]
            .iter()
            .map(|n| vec![b'x'; *n])
            .collect();
        let set = StrSet::new(items.iter().map(Vec::as_slice));
        for n in 0..120 {
            assert_eq!(
                set.contains(&vec![b'x'; n]),
                [1, 5, 62, 63, 64, 100].contains(&n),
                "{n}"
            );
        }
    }
}
