//! Gates for policies, the counterpart of the groups' (`engine/gate.rs`): a
//! policy whose every include rule needs a trigger can only match when one of
//! its triggers holds, so a decision pushes from the few triggers that hold to
//! the policies they open, instead of evaluating every policy. Triggers are a
//! rule's first non-negated operand: a field equal to a constant (looked up in
//! a hash table per field: one lookup opens every policy naming that value),
//! or any other operand (a group's membership, an indexed quantifier, an IP
//! range), evaluated once per context however many policies share it. A gate
//! only ever skips a policy whose answer is known to be false. Three-valued
//! decisions take no gates: an unknown input may hold where a trigger does not.

use super::PolicyCode;
use crate::engine::code::Clause;
use crate::expr::ast::CmpOp;
use crate::program::{Operand, Program, Scratch, Test};
use crate::scheme::FieldId;
use crate::sets::{IpRanges, Step};
use crate::value::{Context, Value};
use rustc_hash::FxHashMap;
use std::net::IpAddr;

/// What must hold for one include rule to hold.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Trigger {
    /// `field == "constant"`.
    Eq(FieldId, Box<[u8]>),
    /// An address field in ranges (`ip` rules, IP lists compile to lists).
    Ips(FieldId, IpRanges),
    /// Any other operand.
    Op(Operand),
}

/// Policies, by index (with `REQUIRE` marking a require rule's signal).
type Opens = Box<[u32]>;
/// A field's constants -> the policies each opens.
type EqTable = FxHashMap<Box<[u8]>, Opens>;

/// Per-context state of the gates.
#[derive(Debug, Clone, Default)]
pub(in crate::engine) struct Opened {
    /// Per policy: 0 to evaluate, 1 false (`decide.rs`'s states).
    pub(in crate::engine) states: Vec<u8>,
    /// Per application: some entry may match.
    walk: Vec<bool>,
    /// The applications to walk, each once.
    pub(in crate::engine) walk_list: Vec<u32>,
    /// Per policy: the signals received.
    got: Vec<u8>,
}

impl Opened {
    pub(in crate::engine) fn new(policies: usize, apps: usize) -> Opened {
        Opened {
            states: vec![0; policies],
            walk: vec![true; apps],
            walk_list: Vec::with_capacity(apps),
            got: vec![0; policies],
        }
    }
}

/// Marks a watcher entry as a require rule's (else an include rule's).
const REQUIRE: u32 = 1 << 31;

/// The policies each trigger opens.
#[derive(Debug, Clone, Default)]
pub(in crate::engine) struct PolicyGates {
    /// Per policy, the state a decision starts from: false (`1`) for a gated
    /// policy, not yet evaluated (`0`) for the others.
    initial: Vec<u8>,
    /// Per policy: the signals that open it (0: not gated).
    need: Vec<u8>,
    /// Per application: walked in every context (an entry is not gated).
    walk_always: Vec<bool>,
    /// The same, as a list of application indices.
    walk_always_list: Vec<u32>,
    /// Per policy: the applications whose entries name it.
    apps_of: Vec<Box<[u32]>>,
    /// Per field: constant -> the policies it opens.
    eq: Vec<(FieldId, EqTable)>,
    /// Per address field: the policies each address opens.
    ips: Vec<(FieldId, Stab<u32>, Stab<u128>)>,
    /// Other operands, each with the policies it opens.
    ops: Vec<(Operand, Box<[u32]>)>,
}

/// Ranges stabbed by one value: the value's segment lists the policies of
/// every range that covers it (one binary search, however many ranges).
#[derive(Debug, Clone, Default)]
struct Stab<T> {
    /// Segment starts, ascending; segment `i` is `[bounds[i], bounds[i+1])`.
    bounds: Vec<T>,
    lists: Vec<Box<[u32]>>,
}

impl<T: Step> Stab<T> {
    fn new(ranges: &[((T, T), &[u32])]) -> Stab<T> {
        let mut bounds: Vec<T> = Vec::new();
        for ((lo, hi), _) in ranges {
            bounds.push(*lo);
            if let Some(next) = hi.next() {
                bounds.push(next);
            }
        }
        bounds.sort_unstable();
        bounds.dedup();
        let lists = bounds
            .iter()
            .map(|b| {
                let mut list: Vec<u32> = ranges
                    .iter()
                    .filter(|((lo, hi), _)| lo <= b && b <= hi)
                    .flat_map(|(_, ps)| ps.iter().copied())
                    .collect();
                // Not deduplicated: each range is one trigger, and a policy
                // counts each of its require triggers (`open`).
                list.sort_unstable();
                list.into_boxed_slice()
            })
            .collect();
        Stab { bounds, lists }
    }

    fn get(&self, v: T) -> &[u32] {
        let i = self.bounds.partition_point(|b| *b <= v);
        match i.checked_sub(1) {
            Some(i) => self.lists.get(i).map_or(&[], |l| &**l),
            None => &[],
        }
    }
}

impl PolicyGates {
    /// Gates for `policies` of `apps`, over the finished `program` (operands
    /// resolved).
    pub(in crate::engine) fn new(
        policies: &[PolicyCode],
        apps: &[super::AppCode],
        program: &Program,
    ) -> PolicyGates {
        let trigger = |clause: &Clause| -> Option<Trigger> {
            let Clause::All(all) = clause else {
                return None;
            };
            let op = all
                .iter()
                .find(|(_, negated)| !negated)
                .map(|(op, _)| *op)?;
            if let Operand::Atom(a) | Operand::Shared(a) = op {
                match program.field_test(a) {
                    Some((field, Test::Bytes(CmpOp::Eq, bytes))) => {
                        return Some(Trigger::Eq(field, bytes));
                    }
                    Some((field, Test::InIps(ranges))) => return Some(Trigger::Ips(field, ranges)),
                    _ => {}
                }
            }
            Some(Trigger::Op(op))
        };
        // Per policy, how many signals open it: one for its include rules
        // (any of their triggers), one per distinct trigger of its require
        // rules (each must hold). A policy with none is always evaluated.
        let mut need = vec![0u8; policies.len()];
        let mut watchers: FxHashMap<Trigger, Vec<u32>> = FxHashMap::default();
        for (i, p) in policies.iter().enumerate() {
            let [require, _, include] = &p.code.plan;
            let i32 = u32::try_from(i).unwrap_or(u32::MAX);
            let mut n = 0u8;
            // An empty include matches nobody: rare, and simply evaluated.
            if !include.is_empty()
                && let Some(triggers) = include.iter().map(trigger).collect::<Option<Vec<_>>>()
            {
                n += 1;
                for t in triggers {
                    let list = watchers.entry(t).or_default();
                    if !list.contains(&i32) {
                        list.push(i32);
                    }
                }
            }
            let mut seen: Vec<Trigger> = Vec::new();
            for t in require.iter().filter_map(trigger) {
                // At most 127 signals (7 bits of `got`); a policy with more
                // require rules is gated by its first ones only.
                if seen.contains(&t) || n == 0x7f {
                    continue;
                }
                seen.push(t.clone());
                n += 1;
                watchers.entry(t).or_default().push(i32 | REQUIRE);
            }
            if let Some(slot) = need.get_mut(i) {
                *slot = n;
            }
        }
        let gated: Vec<bool> = need.iter().map(|n| *n > 0).collect();
        let mut eq: FxHashMap<FieldId, EqTable> = FxHashMap::default();
        let mut ips: FxHashMap<FieldId, Vec<(IpRanges, Vec<u32>)>> = FxHashMap::default();
        let mut ops = Vec::new();
        for (t, mut list) in watchers {
            // Include signals first, then require ones (`REQUIRE` is the top
            // bit): each list switches kind once, which branch prediction likes.
            list.sort_unstable();
            match t {
                Trigger::Eq(f, bytes) => {
                    eq.entry(f).or_default().insert(bytes, list.into());
                }
                Trigger::Ips(f, ranges) => ips.entry(f).or_default().push((ranges, list)),
                Trigger::Op(op) => ops.push((op, list.into_boxed_slice())),
            }
        }
        let mut ips: Vec<_> = ips
            .into_iter()
            .map(|(f, rs)| {
                let v4: Vec<((u32, u32), &[u32])> = rs
                    .iter()
                    .flat_map(|(r, l)| r.v4.ranges().iter().map(move |x| (*x, l.as_slice())))
                    .collect();
                let v6: Vec<((u128, u128), &[u32])> = rs
                    .iter()
                    .flat_map(|(r, l)| r.v6.ranges().iter().map(move |x| (*x, l.as_slice())))
                    .collect();
                (f, Stab::new(&v4), Stab::new(&v6))
            })
            .collect();
        ips.sort_by_key(|(f, _, _)| f.index());
        // A stable order: the same work, in the same order, every run (by
        // the operand itself: its text as the key formatted two per
        // comparison, a third of checking 20,000 groups and 5,000
        // applications).
        ops.sort_by_key(|(op, _)| *op);
        let mut eq: Vec<_> = eq.into_iter().collect();
        eq.sort_by_key(|(f, _)| f.index());
        let initial = gated.iter().map(|g| u8::from(*g)).collect();
        let mut apps_of: Vec<Vec<u32>> = vec![Vec::new(); policies.len()];
        let mut walk_always = Vec::with_capacity(apps.len());
        for (a, code) in apps.iter().enumerate() {
            let a = u32::try_from(a).unwrap_or(u32::MAX);
            let mut always = false;
            for e in &code.order {
                always |= gated.get(e.policy as usize) != Some(&true);
                if let Some(list) = apps_of.get_mut(e.policy as usize)
                    && list.last() != Some(&a)
                {
                    list.push(a);
                }
            }
            walk_always.push(always);
        }
        let walk_always_list = walk_always
            .iter()
            .enumerate()
            .filter(|(_, w)| **w)
            .filter_map(|(a, _)| u32::try_from(a).ok())
            .collect();
        PolicyGates {
            initial,
            need,
            walk_always_list,
            walk_always,
            apps_of: apps_of.into_iter().map(Vec::into_boxed_slice).collect(),
            eq,
            ips,
            ops,
        }
    }

    /// Sets `states` (per policy: 0 to evaluate, 1 false) for a context:
    /// every gated policy false unless a trigger that holds opens it; and
    /// `walk` (per application): whether any of its entries may match.
    pub(in crate::engine) fn open(
        &self,
        program: &Program,
        ctx: &Context,
        s: &mut Scratch,
        opened: &mut Opened,
    ) {
        let Opened {
            states,
            walk,
            walk_list,
            got,
        } = opened;
        walk_list.clear();
        if states.len() == self.initial.len() {
            states.copy_from_slice(&self.initial);
        }
        if walk.len() == self.walk_always.len() {
            walk.copy_from_slice(&self.walk_always);
        }
        walk_list.extend_from_slice(&self.walk_always_list);
        // `got`: the low 7 bits count down the signals still missing, the top
        // bit says the include signal came (it counts once, however many
        // include triggers hold). A policy opens when its count reaches 0.
        if got.len() == self.need.len() {
            got.copy_from_slice(&self.need);
        }
        let apps_of = &self.apps_of;
        let mut stamp = |list: &[u32]| {
            for &w in list {
                let p = (w & !REQUIRE) as usize;
                let Some(g) = got.get_mut(p) else { continue };
                if w & REQUIRE != 0 {
                    *g = g.wrapping_sub(1);
                } else if *g & 0x80 == 0 {
                    *g = g.wrapping_sub(1) | 0x80;
                } else {
                    continue;
                }
                if *g & 0x7f != 0 {
                    continue;
                }
                if let Some(o) = states.get_mut(p) {
                    *o = 0;
                }
                for &a in apps_of.get(p).map_or(&[][..], |l| &**l) {
                    if let Some(w) = walk.get_mut(a as usize)
                        && !*w
                    {
                        *w = true;
                        walk_list.push(a);
                    }
                }
            }
        };
        for (field, table) in &self.eq {
            if let Some(Value::Bytes(b)) = ctx.get(*field)
                && let Some(list) = table.get(&**b)
            {
                stamp(list);
            }
        }
        for (field, v4, v6) in &self.ips {
            match ctx.get(*field) {
                Some(Value::Ip(IpAddr::V4(ip))) => stamp(v4.get(u32::from(*ip))),
                Some(Value::Ip(IpAddr::V6(ip))) => stamp(v6.get(u128::from(*ip))),
                _ => {}
            }
        }
        for (op, list) in &self.ops {
            if program.operand_value(*op, ctx, s) {
                stamp(list);
            }
        }
    }
}
