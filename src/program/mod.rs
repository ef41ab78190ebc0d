//! `Cond` -> `Program` -> bool: the second stage of the expression pipeline and
//! the engine's decision program.
//!
//! ```text
//! Cond --compile (Builder)--> blocks of Inst --fuse--> Program --finish_indexed--> + index, guards
//! Program + Context + Scratch --eval--> bool          --explain--> Explained (deciding atoms)
//! ```
//!
//! A root condition is a *block*: a run of `Inst`s in `code` that leaves its
//! result in an accumulator. `and`/`or` short-circuit with forward jumps, `xor`
//! folds into a register, atoms and quantifiers are table entries shared by every
//! block that uses them. `compiled.rs` runs one expression end to end (`Compiled`,
//! with direct paths for the commonest shapes); the engine builds one program for
//! a whole configuration.
//!
//! // Invariant 1: every jump target lies inside its own block and after the jump,
//! // so a block runs in one forward loop with no recursion.
//! // Invariant 2: each distinct `(value, test)` atom has exactly one `AtomId`, and
//! // each distinct quantifier one `QuantId`.
//! // Invariant 3: every `FieldId` is below the scheme's length, which equals the
//! // context's slot count.
//! // Invariant 4: a `Program` is immutable and `Send + Sync`; evaluation writes
//! // only into a `Scratch`.

mod code;
pub(crate) mod compile;
mod compiled;
mod eval;
mod explain;
mod fuse;
pub(crate) mod guard;
mod index;
mod scratch;
mod tri;
mod val;

pub(crate) use code::{
    AtomCode, AtomId, BlockId, Body, Inst, Lhs, ListSet, Operand, QuantCode, QuantId, SourceCode,
    Test, Why,
};
pub use compiled::Compiled;
pub use explain::Explained;
pub use scratch::Scratch;
pub use tri::Tri;
pub(crate) use tri::{Extras, Unknowns};

use crate::scheme::FieldId;
use std::fmt;
use std::ops::Range;

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
    /// Per list: some of its items are not known (`config.md` §3), so a value
    /// not among the known ones may or may not be in it (`tri.rs`).
    pub(crate) lists_incomplete: Vec<bool>,
    /// Per list: its name in the scheme (a configuration list's id).
    pub(crate) lists_name: Vec<Box<str>>,
    pub(crate) regexes: Vec<crate::matcher::Matcher>,
    pub(crate) registers: u32,
    /// Membership quantifiers answered per context by one walk of their array.
    pub(crate) index: Option<index::QuantIndex>,
    /// Per atom: memoized per context (`Inst::Shared`), set by `finish_indexed`.
    pub(crate) shared_atoms: Vec<bool>,
}

impl Program {
    /// Per quantifier: whether its being true implies `op` (read as given,
    /// not negated). True when the quantifier is indexed with every key under
    /// one guard (`guard.rs`) and `op` is that guard's atom: the index marks
    /// the quantifier only in contexts where the guard holds.
    pub fn quant_implies(&self) -> impl Fn(QuantId, Operand) -> bool + '_ {
        let guards = self
            .index
            .as_ref()
            .map(|i| i.implied_guards(self.quants.len()))
            .unwrap_or_default();
        move |q: QuantId, op: Operand| {
            let (Operand::Atom(a) | Operand::Shared(a)) = op else {
                return false;
            };
            let (Some(Some((field, c))), Some(atom)) =
                (guards.get(q.0 as usize), self.atoms.get(a.0 as usize))
            else {
                return false;
            };
            matches!((&atom.lhs, &atom.test),
                (code::Lhs::Field(f), code::Test::Bytes(crate::expr::ast::CmpOp::Eq, b))
                    if f == field && b == c)
        }
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
