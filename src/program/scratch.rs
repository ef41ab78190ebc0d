//! `Scratch`: the per-thread working memory of evaluation, made once and reused
//! for every context. Results are stamped with the context's generation, so a
//! new context clears nothing.

use super::Program;
use super::code::{AtomId, BlockId, QuantId};
use std::ops::Range;

/// The stamp bit of an unknown block result. Generations stay below it
/// (invariant 5), so an unknown stamp never reads as true.
const UNKNOWN: u32 = 1 << 31;

/// Per-thread working memory, made once and reused for every context.
#[derive(Debug, Clone)]
pub struct Scratch {
    pub(super) regs: Vec<bool>,
    /// Blocks found true in this context (group references read them): the
    /// generation when true, so a block not decided in this context reads false.
    pub(super) blocks: Vec<u32>,
    pub(super) buf: Vec<u8>,
    /// One lazy-DFA cache per regex of the program.
    pub(super) regex_caches: Vec<Option<regex_automata::hybrid::dfa::Cache>>,
    /// Indexed quantifiers' results for the primed context: true where the stamp
    /// equals `generation`, so priming a context never clears the whole table.
    pub(super) quant_memo: Vec<u32>,
    /// Shared atoms' results for the primed context: `generation << 1 | result`.
    pub(super) atom_memo: Vec<u32>,
    pub(super) generation: u32,
    /// The indexed quantifiers that hold for the primed context (repeats possible),
    /// for whoever they wake (`engine/gate.rs`): ranges of the index's postings.
    pub(super) hits: Vec<Range<u32>>,
}

impl Scratch {
    /// Scratch sized for `program`.
    pub(crate) fn new(program: &Program) -> Scratch {
        Scratch {
            regs: vec![false; program.registers as usize],
            blocks: vec![0; program.blocks.len()],
            buf: Vec::with_capacity(256),
            regex_caches: program
                .regexes
                .iter()
                .map(crate::matcher::Matcher::cache)
                .collect(),
            quant_memo: vec![0; program.quants.len()],
            atom_memo: vec![0; program.atoms.len()],
            // Zeroed stamps never equal a generation's.
            generation: 1,
            hits: Vec::new(),
        }
    }

    /// Records a block's result for later `Inst::Block` reads in this context.
    #[inline]
    pub(crate) fn set_block(&mut self, block: BlockId, value: bool) {
        if let Some(slot) = self.blocks.get_mut(block.0 as usize) {
            *slot = if value { self.generation } else { 0 };
        }
    }

    /// Records a block as true in this context; whether it was not already
    /// (one bounds check for the read and the write of a firing, `gate.rs`).
    #[inline]
    pub(crate) fn set_block_once(&mut self, block: BlockId) -> bool {
        match self.blocks.get_mut(block.0 as usize) {
            Some(slot) if *slot != self.generation => {
                *slot = self.generation;
                true
            }
            _ => false,
        }
    }

    /// Records a block's three-valued result (`tri.rs`): the generation for
    /// true, the generation with the top bit for unknown.
    pub(crate) fn set_block_tri(&mut self, block: BlockId, value: super::tri::Tri) {
        use super::tri::Tri;
        if let Some(slot) = self.blocks.get_mut(block.0 as usize) {
            *slot = match value {
                Tri::True => self.generation,
                Tri::Unknown => self.generation | UNKNOWN,
                Tri::False => 0,
            };
        }
    }

    /// A block's three-valued result recorded in this context; false if none was.
    pub(crate) fn block_tri(&self, block: BlockId) -> super::tri::Tri {
        use super::tri::Tri;
        match self.blocks.get(block.0 as usize) {
            Some(&g) if g == self.generation => Tri::True,
            Some(&g) if g == self.generation | UNKNOWN => Tri::Unknown,
            _ => Tri::False,
        }
    }

    /// An indexed quantifier's result for the primed context.
    #[inline]
    pub(super) fn memo(&self, q: QuantId) -> bool {
        self.quant_memo.get(q.0 as usize) == Some(&self.generation)
    }

    /// A shared atom's result, if already computed in the primed context.
    #[inline(always)]
    pub(super) fn shared_memo(&self, a: AtomId) -> Option<bool> {
        match self.atom_memo.get(a.0 as usize) {
            Some(&m) if m & !1 == self.generation << 1 => Some(m & 1 == 1),
            _ => None,
        }
    }

    /// The primed context's generation: stamps equal to it are this context's.
    pub(crate) fn generation(&self) -> u32 {
        self.generation
    }

    /// Takes the hits out (for a caller that evaluates while reading them);
    /// `put_hits` gives the buffer back.
    pub(crate) fn take_hits(&mut self) -> Vec<Range<u32>> {
        std::mem::take(&mut self.hits)
    }

    /// Gives back the buffer `take_hits` took.
    pub(crate) fn put_hits(&mut self, hits: Vec<Range<u32>>) {
        self.hits = hits;
    }

    /// A block result recorded in this context; false if none was.
    #[inline]
    pub(crate) fn block(&self, block: BlockId) -> bool {
        self.blocks.get(block.0 as usize) == Some(&self.generation)
    }
}
