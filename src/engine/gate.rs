//! Gates: the groups a context can be a member of, pushed from the few facts that
//! hold instead of pulled from every rule (the counting idea of Rete and of
//! Cedar-style policy indexes). A group is gated when each of its include rules
//! needs a trigger: an indexed membership quantifier (`index.rs`) or membership
//! of another group. Priming lists the quantifiers that hold; a group found a
//! member fires the rules that reference it. A gate only ever skips rules whose
//! answer is known to be false.
//!
//! A firing is decided on the spot when it can be: when every include rule of
//! the group has at most one operand besides its trigger, and neither that
//! operand nor the group's condition (its require and exclude rules) reads a
//! group result, both can be evaluated at any moment of the decision, so the
//! group is found a member (or not) right there, and a member fires the rules
//! that reference it in turn. Such a group is *eager*: it is never visited.
//! A lookup that fails (no condition) never holds.
//! Conditions are hash-consed (a thousand groups requiring one of three
//! countries and one of five posture checks have fifteen conditions) and each
//! is evaluated at most once per context; a fired rule of a group whose
//! condition is false is dropped at once.
//!
//! The other gated groups link each fired rule into their list for this
//! context and are visited through a worklist of positions in evaluation order
//! (`Fired::todo`, a bitset), with every ungated group. Firing only ever sets
//! positions after the one being decided (a group references groups decided
//! before it), so one ascending sweep visits every group that can be a member,
//! in order, and reads only results that are final: an eager group's result is
//! final before the sweep passes its position, since everything that can fire
//! it is a quantifier (fired before the sweep) or a group before it.

use super::code::{Clause, GroupCode};
use crate::program::{BlockId, Operand, Program, QuantId};
use rustc_hash::FxHashMap;

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
    /// Per quantifier: its trigger (a range of `fires`; empty for none).
    by_quant: Vec<Trigger>,
    /// Per group: the trigger of its membership.
    by_group: Vec<Trigger>,
    /// Every trigger's firings, each trigger's contiguous: the eager ones,
    /// then the visits.
    fires: Vec<Fire>,
    /// Per group: its condition, an index into `conds`.
    cond_of: Vec<u32>,
    /// The distinct conditions (require and exclude rules) of the groups.
    conds: Vec<Condition>,
}

/// `all(require) and not any(exclude)`, shared by every group with these rules.
#[derive(Debug, Clone)]
pub(super) struct Condition {
    require: Vec<Clause>,
    exclude: Vec<Clause>,
    /// Reads no group result: can be evaluated at any moment of a decision.
    pure: bool,
}

/// No condition: what a failed lookup reads, and it never holds.
const NO_COND: u32 = u32::MAX;

/// A trigger, as what it fires: `Gates::fires[start..end]`, empty when
/// nothing waits for it. Kept as the range itself, not an id, so a trigger
/// that holds is fired without a lookup (a 1,000-group decision fires about
/// two hundred).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Trigger {
    start: u32,
    end: u32,
}

impl Trigger {
    /// Fires nothing.
    const NONE: Trigger = Trigger { start: 0, end: 0 };

    fn is_none(self) -> bool {
        self.start >= self.end
    }
}

/// What a trigger that holds does to one include rule. Aligned to 32 bytes
/// (an eager firing is 28): a trigger's firings are then found with shifts,
/// not a multiply by 28, which a 1,000-group decision does two hundred times
/// (26,581 against 27,674 instructions a decision at eb8af2b, `instructions
/// decide1000`).
#[derive(Debug, Clone)]
#[repr(align(32))]
pub(super) enum Fire {
    /// Decides an eager group on the spot.
    Eager(EagerFire),
    /// Links the rule for its group's visit.
    Visit(VisitFire),
}

/// An include rule of an eager group, fired: the group is a member when its
/// condition and the rule's other operand hold. Small (28 bytes, and a `Fire`
/// 32): a decision reads a few hundred of these at random.
#[derive(Debug, Clone)]
pub(super) struct EagerFire {
    /// The group's condition.
    pub(super) cond: u32,
    /// The group's block (its result).
    pub(super) block: BlockId,
    /// The group's own trigger: what its membership fires.
    pub(super) referrers: Trigger,
    /// The rule's operand besides the trigger, if it has one.
    pub(super) op: Option<(Operand, bool)>,
}

/// An include rule of another gated group, fired: linked for the group's visit.
#[derive(Debug, Clone)]
pub(super) struct VisitFire {
    pub(super) group: u32,
    /// The rule's index in the group's include plan.
    pub(super) rule: u32,
    /// The group's condition.
    pub(super) cond: u32,
    /// The condition reads no group result (a false one drops the firing).
    pub(super) pure: bool,
}

/// Per-context state of the gates, reused from one context to the next.
#[derive(Debug, Clone, Default)]
pub(super) struct Fired {
    /// Per group: the context generation of its first firing, then the head of its
    /// list in `links`. A stale generation means nothing fired.
    head: Vec<(u32, u32)>,
    /// The generation of the last context started.
    last_generation: u32,
    /// (include rule index, next link or `END`).
    links: Vec<(u32, u32)>,
    /// Positions (in evaluation order) of the groups left to decide.
    todo: Vec<u64>,
    /// The word of `todo` the sweep is at: words before it are empty.
    cursor: usize,
    /// Per condition: 0 not evaluated in this context, else 1 + its value.
    cond_state: Vec<u8>,
    /// The conditions evaluated in this context, to reset for the next.
    cond_touched: Vec<u32>,
    /// Triggers that hold, still to fire.
    pending: Vec<Trigger>,
}

impl Fired {
    pub(super) fn new(gates: &Gates) -> Fired {
        Fired {
            head: vec![(0, END); gates.gated.len()],
            last_generation: 0,
            links: Vec::new(),
            todo: Vec::new(),
            cursor: 0,
            cond_state: vec![0; gates.conds.len()],
            cond_touched: Vec::new(),
            pending: Vec::new(),
        }
    }

    /// Starts a context: the previous context's firings are forgotten (their
    /// stamps go stale by themselves, unless generations started afresh).
    pub(super) fn start(&mut self, gates: &Gates, generation: u32) {
        // Generations only grow, but for a wrap back to 1 (`Program::prime`),
        // which may happen on a three-valued decision that never calls this:
        // then old stamps could equal new generations.
        if generation <= self.last_generation {
            self.head.fill((0, END));
        }
        self.last_generation = generation;
        for &c in &self.cond_touched {
            if let Some(state) = self.cond_state.get_mut(c as usize) {
                *state = 0;
            }
        }
        self.cond_touched.clear();
        self.links.clear();
        self.todo.clear();
        self.todo.extend_from_slice(&gates.ungated);
        self.cursor = 0;
        self.pending.clear();
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
        FiredRules {
            links: &self.links,
            next,
        }
    }

    /// Condition `c`'s value in this context, if already evaluated.
    #[inline(always)]
    pub(super) fn cond_memo(&self, c: usize) -> Option<bool> {
        match self.cond_state.get(c) {
            Some(1) => Some(false),
            Some(2) => Some(true),
            _ => None,
        }
    }

    pub(super) fn set_cond_memo(&mut self, c: usize, value: bool) {
        if let Some(state) = self.cond_state.get_mut(c) {
            *state = 1 + u8::from(value);
            self.cond_touched.push(u32::try_from(c).unwrap_or(u32::MAX));
        }
    }

    /// Queues a trigger that holds: a quantifier found true, or a group found
    /// a member (`EagerFire::referrers`). An empty one fires nothing.
    #[inline]
    pub(super) fn push_trigger(&mut self, trigger: Trigger) {
        if !trigger.is_none() {
            self.pending.push(trigger);
        }
    }

    #[inline]
    pub(super) fn pop_trigger(&mut self) -> Option<Trigger> {
        self.pending.pop()
    }
}

/// Iterator over a group's fired include rules (most recent first; repeats possible).
pub(super) struct FiredRules<'a> {
    links: &'a [(u32, u32)],
    next: u32,
}

impl Iterator for FiredRules<'_> {
    type Item = usize;

    #[inline]
    fn next(&mut self) -> Option<usize> {
        let &(rule, next) = self.links.get(self.next as usize)?;
        self.next = next;
        Some(rule as usize)
    }
}

/// What must hold for an include rule to hold: the source of its trigger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Source {
    Quant(QuantId),
    Group(usize),
}

/// Where a firing goes while the gates are built: two slots per trigger,
/// quantifiers' first, then groups' (a fixed order, so a build is the same
/// every time), the eager firings' slot before the visits'.
/// A source out of range (which cannot be) gets the slot past every
/// trigger's, and its firing is dropped.
#[derive(Clone, Copy)]
struct Slots {
    quants: usize,
    groups: usize,
}

impl Slots {
    fn of(self, t: Source, eager: bool) -> usize {
        let trigger = match t {
            Source::Quant(q) if (q.0 as usize) < self.quants => q.0 as usize,
            Source::Group(g) if g < self.groups => self.quants + g,
            _ => return self.count(),
        };
        2 * trigger + usize::from(!eager)
    }

    /// How many slots there are.
    fn count(self) -> usize {
        2 * (self.quants + self.groups)
    }

    /// The firings (slot, group, firing) laid out by slot, in the order they
    /// came within one (a counting sort), and each trigger's range: per
    /// quantifier, per group, and the firings, an eager one's `referrers`
    /// set to its group's trigger.
    fn table(self, entries: Vec<(usize, u32, Fire)>) -> (Vec<Trigger>, Vec<Trigger>, Vec<Fire>) {
        let len = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        // starts[s]: where slot s begins; the slot past every trigger's is
        // dropped.
        let slots = self.count();
        let mut starts = vec![0usize; slots + 1];
        for &(slot, _, _) in &entries {
            if let Some(n) = starts.get_mut(slot + 1) {
                *n += 1;
            }
        }
        let mut total = 0;
        for n in &mut starts {
            total += *n;
            *n = total;
        }
        let trigger = |t: usize| Trigger {
            start: len(starts.get(2 * t).copied().unwrap_or(0)),
            end: len(starts.get(2 * t + 2).copied().unwrap_or(0)),
        };
        let by_quant: Vec<Trigger> = (0..self.quants).map(trigger).collect();
        let by_group: Vec<Trigger> = (0..self.groups).map(|g| trigger(self.quants + g)).collect();
        // Each slot's next free place, from its start.
        let mut next = starts;
        let mut placed: Vec<Option<Fire>> = vec![None; total];
        for (slot, g, mut fire) in entries {
            let Some(to) = next.get_mut(slot).filter(|_| slot < slots) else {
                continue;
            };
            if let Fire::Eager(f) = &mut fire {
                f.referrers = by_group.get(g as usize).copied().unwrap_or(Trigger::NONE);
            }
            if let Some(place) = placed.get_mut(*to) {
                *place = Some(fire);
            }
            *to += 1;
        }
        (by_quant, by_group, placed.into_iter().flatten().collect())
    }
}

fn reads_group(clause: &Clause) -> bool {
    match clause {
        Clause::All(all) => all.iter().any(|(op, _)| matches!(op, Operand::Block(_))),
        // A rule of another shape may read anything.
        Clause::Block(_) => true,
    }
}

impl Gates {
    /// Gates for `groups` (input order) of a program with `quants` quantifiers.
    pub(super) fn new(groups: &[GroupCode], order: &[usize], program: &Program) -> Gates {
        let quants = program.quants.len();
        let implies = program.quant_implies();
        let group_of: FxHashMap<BlockId, usize> = groups
            .iter()
            .enumerate()
            .map(|(i, g)| (g.block, i))
            .collect();
        // Any non-negated operand of a conjunction will do; the first is taken,
        // and rules put their rarest operand first (`rules.rs`).
        let trigger = |clause: &Clause| -> Option<(usize, Source)> {
            let Clause::All(all) = clause else {
                return None;
            };
            all.iter()
                .enumerate()
                .find_map(|(i, &(op, negated))| match op {
                    _ if negated => None,
                    Operand::Memo(q) => Some((i, Source::Quant(q))),
                    Operand::Block(b) => group_of.get(&b).copied().map(|g| (i, Source::Group(g))),
                    _ => None,
                })
        };
        let mut cond_ids: FxHashMap<(&[Clause], &[Clause]), u32> = FxHashMap::default();
        let mut conds = Vec::new();
        let mut cond_of = Vec::with_capacity(groups.len());
        for code in groups {
            let [require, exclude, _] = &code.plan;
            let next = u32::try_from(conds.len()).unwrap_or(NO_COND);
            let id = *cond_ids
                .entry((&require[..], &exclude[..]))
                .or_insert_with(|| {
                    conds.push(Condition {
                        require: require.clone(),
                        exclude: exclude.clone(),
                        pure: !require.iter().chain(exclude).any(reads_group),
                    });
                    next
                });
            cond_of.push(id);
        }
        let mut gated = vec![false; groups.len()];
        // Every firing, with the slot of its trigger (`Slots`) and its group.
        let slots = Slots {
            quants,
            groups: groups.len(),
        };
        // At most one per include rule: sized once, not grown.
        let mut entries: Vec<(usize, u32, Fire)> = Vec::with_capacity(
            groups
                .iter()
                .map(|g| g.plan.last().map_or(0, Vec::len))
                .sum(),
        );
        // Per group, reused: its include rules' triggers and other operands.
        let mut triggers: Vec<(usize, Source)> = Vec::new();
        let mut others: Vec<Option<Option<(Operand, bool)>>> = Vec::new();
        for (g, code) in groups.iter().enumerate() {
            let [_, _, include] = &code.plan;
            triggers.clear();
            if !include
                .iter()
                .all(|clause| trigger(clause).map(|t| triggers.push(t)).is_some())
            {
                continue;
            }
            if let Some(slot) = gated.get_mut(g) {
                *slot = true;
            }
            let cond = cond_of.get(g).copied().unwrap_or(NO_COND);
            let pure = conds.get(cond as usize).is_some_and(|c| c.pure);
            // The operand each rule has besides its trigger (`Some(None)`: none),
            // if the rule has at most one (nearly every rule: an IdP group and
            // its IdP).
            others.clear();
            others.extend(
                include
                    .iter()
                    .zip(&triggers)
                    .map(|(clause, &(at, trigger))| match clause {
                        Clause::All(all) if all.len() <= 2 => Some(
                            all.iter()
                                .enumerate()
                                .find(|&(i, _)| i != at)
                                .map(|(_, &op)| op)
                                // An operand the trigger implies (an IdP group's IdP,
                                // when the index looks its groups up only for that
                                // IdP) need not be read again.
                                .filter(|&(op, negated)| match trigger {
                                    Source::Quant(q) => negated || !implies(q, op),
                                    Source::Group(_) => true,
                                }),
                        ),
                        _ => None,
                    }),
            );
            // Eager when nothing the firing evaluates reads a group result.
            let eager = pure
                && others
                    .iter()
                    .all(|o| o.is_some_and(|op| !matches!(op, Some((Operand::Block(_), _)))));
            let g32 = u32::try_from(g).unwrap_or(u32::MAX);
            for (rule, (&(_, t), &other)) in triggers.iter().zip(&others).enumerate() {
                let fire = if eager {
                    Fire::Eager(EagerFire {
                        cond,
                        block: code.block,
                        // Set once every trigger's range is known.
                        referrers: Trigger::NONE,
                        op: other.flatten(),
                    })
                } else {
                    Fire::Visit(VisitFire {
                        group: g32,
                        rule: u32::try_from(rule).unwrap_or(u32::MAX),
                        cond,
                        pure,
                    })
                };
                entries.push((slots.of(t, eager), g32, fire));
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
        let (by_quant, by_group, fires) = slots.table(entries);
        Gates {
            gated,
            position,
            ungated,
            by_quant,
            by_group,
            fires,
            cond_of,
            conds,
        }
    }

    /// Whether group `g` is decided by its fired include rules only.
    #[inline]
    pub(super) fn is_gated(&self, g: usize) -> bool {
        self.gated.get(g) == Some(&true)
    }

    /// Group `g`'s condition: an index into `conds` (`NO_COND` for no group,
    /// which never holds).
    #[inline]
    pub(super) fn cond_of(&self, g: usize) -> usize {
        self.cond_of.get(g).copied().unwrap_or(NO_COND) as usize
    }

    /// A condition's rules: (require, exclude); `None` for no condition, which
    /// never holds.
    #[inline]
    pub(super) fn condition(&self, c: usize) -> Option<(&[Clause], &[Clause])> {
        self.conds.get(c).map(|c| (&c.require[..], &c.exclude[..]))
    }

    /// The trigger of quantifier `q` (empty: nothing waits for it).
    #[inline]
    pub(super) fn by_quant(&self, q: QuantId) -> Trigger {
        self.by_quant
            .get(q.0 as usize)
            .copied()
            .unwrap_or(Trigger::NONE)
    }

    /// The trigger of membership of group `g`.
    #[inline]
    pub(super) fn by_group(&self, g: usize) -> Trigger {
        self.by_group.get(g).copied().unwrap_or(Trigger::NONE)
    }

    /// What trigger `t` fires.
    #[inline]
    pub(super) fn fires(&self, t: Trigger) -> &[Fire] {
        self.fires
            .get(t.start as usize..t.end as usize)
            .unwrap_or_default()
    }

    /// Links rule `rule` of group `g` for its visit, putting the group on the
    /// worklist on its first firing in this context.
    #[inline]
    pub(super) fn link(&self, g: u32, rule: u32, fired: &mut Fired, generation: u32) {
        let Some(head) = fired.head.get_mut(g as usize) else {
            return;
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A decision reads a few hundred firings at random: a `Fire` is kept
    /// small, and its size a power of two.
    #[test]
    fn a_fire_is_small() {
        assert_eq!(std::mem::size_of::<EagerFire>(), 28);
        assert_eq!(std::mem::size_of::<Fire>(), 32);
    }

    /// The counting sort lays firings out by slot (each trigger's eager ones,
    /// then its visits; quantifiers' triggers, then groups'), keeps the order
    /// they came in within a slot, gives each trigger its range, and points an
    /// eager firing's `referrers` at its group's trigger.
    #[test]
    fn the_firing_table_is_laid_out_by_slot() {
        let eager = |cond| {
            Fire::Eager(EagerFire {
                cond,
                block: BlockId(cond),
                referrers: Trigger::NONE,
                op: None,
            })
        };
        let visit = |cond| {
            Fire::Visit(VisitFire {
                group: 0,
                rule: 0,
                cond,
                pure: true,
            })
        };
        let slots = Slots {
            quants: 2,
            groups: 2,
        };
        let q1 = Source::Quant(QuantId(1));
        let g0 = Source::Group(0);
        let g1 = Source::Group(1);
        // (slot, group, firing), in the order a build meets them.
        let entries = vec![
            (slots.of(g0, true), 1, eager(10)),
            (slots.of(q1, false), 0, visit(11)),
            (slots.of(q1, true), 0, eager(12)),
            (slots.of(g0, true), 0, eager(13)),
            (slots.of(q1, true), 1, eager(14)),
            // Out of range: dropped, not filed under some group's trigger.
            (slots.of(Source::Quant(QuantId(2)), true), 0, eager(15)),
            (slots.of(Source::Group(2), false), 0, visit(16)),
        ];
        let (by_quant, by_group, fires) = slots.table(entries);
        let conds: Vec<u32> = fires
            .iter()
            .map(|f| match f {
                Fire::Eager(e) => e.cond,
                Fire::Visit(v) => v.cond,
            })
            .collect();
        assert_eq!(conds, [12, 14, 11, 10, 13]);
        assert_eq!(by_quant, [Trigger::NONE, Trigger { start: 0, end: 3 }]);
        assert!(by_quant.first().is_some_and(|t| t.is_none()));
        assert_eq!(by_group.first(), Some(&Trigger { start: 3, end: 5 }));
        assert!(
            by_group.get(1).is_some_and(|t| t.is_none()),
            "{g1:?} fires nothing"
        );
        let referrers: Vec<Trigger> = fires
            .iter()
            .filter_map(|f| match f {
                Fire::Eager(e) => Some(e.referrers),
                Fire::Visit(_) => None,
            })
            .collect();
        // Group 0's eager firings point at group 0's trigger; group 1's at its
        // empty one.
        assert_eq!(
            referrers,
            [
                Trigger { start: 3, end: 5 },
                Trigger { start: 5, end: 5 },
                Trigger { start: 5, end: 5 },
                Trigger { start: 3, end: 5 },
            ]
        );
    }

    /// Generations wrap back to 1 (`Program::prime`), possibly on a
    /// three-valued decision that never starts the gates: a stamp from before
    /// the wrap must not read as this context's, or a fired group would be
    /// taken as already on the worklist and never decided (a skipped group
    /// reads as a non-member, and an `exclude` of it would then hold).
    #[test]
    fn stamps_from_before_a_wrap_are_forgotten() {
        let group = GroupCode {
            block: BlockId(0),
            include: Vec::new(),
            require: Vec::new(),
            exclude: Vec::new(),
            plan: [Vec::new(), Vec::new(), Vec::new()],
        };
        let scheme = crate::scheme::Scheme::device();
        let program = crate::program::compile::Builder::new(&scheme).finish();
        let gates = Gates::new(&[group], &[0], &program);
        let mut fired = Fired::new(&gates);
        fired.start(&gates, 7);
        gates.link(0, 0, &mut fired, 7);
        assert_eq!(fired.next_position(), Some(0));
        fired.start(&gates, 8);
        // A wrap to 1 on a decision that did not start the gates, then 2..7.
        for generation in 2..=7 {
            fired.start(&gates, generation);
        }
        gates.link(0, 0, &mut fired, 7);
        assert_eq!(
            fired.next_position(),
            Some(0),
            "the group is on the worklist"
        );
        assert_eq!(
            fired.rules(0, 7).count(),
            1,
            "one fired rule, this context's"
        );
    }
}
