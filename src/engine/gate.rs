//! Gates: the groups a context can be a member of, pushed from the few facts that
//! hold instead of pulled from every rule (the counting idea of Rete and of
//! Cedar-style policy indexes). A group is gated when each of its include rules
//! needs a trigger: an indexed membership quantifier (`index.rs`) or membership
//! of another group. Priming lists the quantifiers that hold; a group found a
//! member fires the rules that reference it. Each firing links the rule into its
//! group's list for this context, so a gated group reads only the include rules
//! that can hold: none when nothing fired (not a member, not even visited), else
//! the fired ones, then its require and exclude rules as usual. A gate only ever
//! skips rules whose answer is known to be false.
//!
//! A decision visits groups through a worklist of positions in evaluation order
//! (`Fired::todo`, a bitset): every ungated group, and each gated group once
//! something fires it. Firing only ever sets positions after the one being
//! decided (a group references groups decided before it), so one ascending
//! sweep visits every group that can be a member, in order.

use super::code::{Clause, GroupCode};
use crate::program::{BlockId, Operand, QuantId};
use rustc_hash::FxHashMap;
use std::ops::Range;

/// Marks the end of a group's list of fired rules.
const END: u32 = u32::MAX;

#[derive(Debug, Clone, Default)]
pub(super) struct Gates {
    /// Per group (input order): decided by its fired include rules only.
    gated: Vec<bool>,
    /// Per group: its position in evaluation order.
    position: Vec<u32>,
    /// The positions of ungated groups: the worklist every decision starts from.
    ungated: Vec<u64>,
    /// Per quantifier: the range of `fires` it fires when it holds.
    by_quant: Vec<Range<u32>>,
    /// Per group: the range of `fires` it fires when the context is a member.
    by_group: Vec<Range<u32>>,
    /// (group, index of the rule in the group's include plan), each trigger's
    /// contiguous.
    fires: Vec<(u32, u32)>,
}

/// Per-context state of the gates, reused from one context to the next.
#[derive(Debug, Clone, Default)]
pub(super) struct Fired {
    /// Per group: the context generation of its first firing, then the head of its
    /// list in `links`. A stale generation means nothing fired.
    head: Vec<(u32, u32)>,
    /// (include rule index, next link or `END`).
    links: Vec<(u32, u32)>,
    /// Positions (in evaluation order) of the groups left to decide.
    todo: Vec<u64>,
    /// The word of `todo` the sweep is at: words before it are empty.
    cursor: usize,
}

impl Fired {
    pub(super) fn new(groups: usize) -> Fired {
        Fired {
            head: vec![(0, END); groups],
            links: Vec::new(),
            todo: Vec::new(),
            cursor: 0,
        }
    }

    /// Starts a context: the previous context's firings are forgotten (their
    /// stamps go stale by themselves, unless generations started afresh).
    pub(super) fn start(&mut self, gates: &Gates, generation: u32) {
        if generation == 1 {
            self.head.fill((0, END));
        }
        self.links.clear();
        self.todo.clear();
        self.todo.extend_from_slice(&gates.ungated);
        self.cursor = 0;
    }

    /// Takes the next group position to decide, in ascending order.
    #[inline]
    pub(super) fn next_position(&mut self) -> Option<usize> {
        loop {
            let word = self.todo.get_mut(self.cursor)?;
            if *word != 0 {
                let bit = word.trailing_zeros() as usize;
                *word &= *word - 1;
                return Some(self.cursor * 64 + bit);
            }
            self.cursor += 1;
        }
    }

    /// The include rules of group `g` fired in the context of `generation`.
    pub(super) fn rules(&self, g: usize, generation: u32) -> FiredRules<'_> {
        let next = match self.head.get(g) {
            Some(&(stamp, first)) if stamp == generation => first,
            _ => END,
        };
        FiredRules { fired: self, next }
    }
}

/// Iterator over a group's fired include rules (most recent first; repeats possible).
pub(super) struct FiredRules<'a> {
    fired: &'a Fired,
    next: u32,
}

impl Iterator for FiredRules<'_> {
    type Item = usize;

    #[inline]
    fn next(&mut self) -> Option<usize> {
        let &(rule, next) = self.fired.links.get(self.next as usize)?;
        self.next = next;
        Some(rule as usize)
    }
}

/// What must hold for an include rule to hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Trigger {
    Quant(QuantId),
    Group(usize),
}

impl Gates {
    /// Gates for `groups` (input order) of a program with `quants` quantifiers.
    pub(super) fn new(groups: &[GroupCode], order: &[usize], quants: usize) -> Gates {
        let group_of: FxHashMap<BlockId, usize> = groups
            .iter()
            .enumerate()
            .map(|(i, g)| (g.block, i))
            .collect();
        let trigger = |clause: &Clause| -> Option<Trigger> {
            let Clause::All(all) = clause else {
                return None;
            };
            // Any non-negated operand of a conjunction will do; the first is
            // taken, and rules put their rarest operand first (`rules.rs`).
            all.iter().find_map(|&(op, negated)| match op {
                _ if negated => None,
                Operand::Memo(q) => Some(Trigger::Quant(q)),
                Operand::Block(b) => group_of.get(&b).copied().map(Trigger::Group),
                _ => None,
            })
        };
        let mut gated = vec![false; groups.len()];
        let mut watchers: FxHashMap<Trigger, Vec<(u32, u32)>> = FxHashMap::default();
        for (g, code) in groups.iter().enumerate() {
            let [_, _, include] = &code.plan;
            let Some(triggers) = include.iter().map(trigger).collect::<Option<Vec<_>>>() else {
                continue;
            };
            if let Some(slot) = gated.get_mut(g) {
                *slot = true;
            }
            let g = u32::try_from(g).unwrap_or(u32::MAX);
            for (rule, t) in triggers.into_iter().enumerate() {
                let rule = u32::try_from(rule).unwrap_or(u32::MAX);
                watchers.entry(t).or_default().push((g, rule));
            }
        }
        let mut position = vec![u32::MAX; groups.len()];
        let mut ungated = vec![0u64; order.len().div_ceil(64)];
        for (pos, &g) in order.iter().enumerate() {
            if let Some(p) = position.get_mut(g) {
                *p = u32::try_from(pos).unwrap_or(u32::MAX);
            }
            if gated.get(g) == Some(&false)
                && let Some(word) = ungated.get_mut(pos / 64)
            {
                *word |= 1 << (pos % 64);
            }
        }
        let mut gates = Gates {
            gated,
            position,
            ungated,
            by_quant: vec![0..0; quants],
            by_group: vec![0..0; groups.len()],
            fires: Vec::new(),
        };
        for (t, list) in watchers {
            let start = u32::try_from(gates.fires.len()).unwrap_or(u32::MAX);
            gates.fires.extend(list);
            let range = start..u32::try_from(gates.fires.len()).unwrap_or(u32::MAX);
            let slot = match t {
                Trigger::Quant(q) => gates.by_quant.get_mut(q.0 as usize),
                Trigger::Group(g) => gates.by_group.get_mut(g),
            };
            if let Some(slot) = slot {
                *slot = range;
            }
        }
        gates
    }

    /// Whether group `g` is decided by its fired include rules only.
    #[inline]
    pub(super) fn is_gated(&self, g: usize) -> bool {
        self.gated.get(g) == Some(&true)
    }

    /// Fires the include rules quantifier `q` triggers.
    #[inline]
    pub(super) fn quant_holds(&self, q: QuantId, fired: &mut Fired, generation: u32) {
        if let Some(r) = self.by_quant.get(q.0 as usize) {
            self.fire(r.clone(), fired, generation);
        }
    }

    /// Fires the include rules membership of group `g` triggers.
    #[inline]
    pub(super) fn member(&self, g: usize, fired: &mut Fired, generation: u32) {
        if let Some(r) = self.by_group.get(g) {
            self.fire(r.clone(), fired, generation);
        }
    }

    #[inline]
    fn fire(&self, r: Range<u32>, fired: &mut Fired, generation: u32) {
        for &(g, rule) in self
            .fires
            .get(r.start as usize..r.end as usize)
            .unwrap_or_default()
        {
            let Some(head) = fired.head.get_mut(g as usize) else {
                continue;
            };
            let next = if head.0 == generation {
                head.1
            } else {
                // First firing in this context: the group goes on the worklist.
                let pos = self.position.get(g as usize).copied().unwrap_or(u32::MAX) as usize;
                // Invariant: a position behind the sweep would never be visited.
                debug_assert!(pos / 64 >= fired.cursor, "fired a group already passed");
                if let Some(word) = fired.todo.get_mut(pos / 64) {
                    *word |= 1 << (pos % 64);
                }
                END
            };
            let link = u32::try_from(fired.links.len()).unwrap_or(END);
            fired.links.push((rule, next));
            *head = (generation, link);
        }
    }
}
