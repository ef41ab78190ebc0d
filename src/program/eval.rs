//! (`&Program`, `&Context`, `&mut Scratch`) -> bool. The hot path: one forward
//! loop per block, slots read by `FieldId`, nothing allocated once `Scratch` has
//! grown to its working size (the allocation test in tests/alloc.rs checks it).

use crate::expr::ast::CmpOp;
use crate::program::{AtomId, BlockId, Body, Inst, Lhs, ListSet, Operand, Program, QuantId, Test};
use crate::value::{Context, Value};
use std::cmp::Ordering;
use std::net::IpAddr;
use std::ops::ControlFlow;

use super::scratch::Scratch;
use super::val::{Elems, Got, count_leaves, eval_val, for_each_base, nth_leaf, walk};
use crate::expr::cond::MAX_SOURCES;

/// The lazy-DFA caches of a program's regexes.
type Caches = [Option<regex_automata::hybrid::dfa::Cache>];

impl Program {
    /// Runs a root block: the condition's value for this context.
    #[inline]
    pub fn run(&self, block: BlockId, ctx: &Context, scratch: &mut Scratch) -> bool {
        self.run_block(block, ctx, scratch, &[])
    }

    #[inline]
    fn run_block(&self, block: BlockId, ctx: &Context, s: &mut Scratch, elems: &Elems<'_>) -> bool {
        let Some(range) = self.blocks.get(block.0 as usize) else {
            return false;
        };
        // A one-atom block is the common case (`identity.email == "…"`): skip the loop.
        if range.end - range.start == 1
            && let Some(Inst::Atom(a)) = self.code.get(range.start as usize)
        {
            return self.atom(*a, ctx, s, elems);
        }
        let mut pc = range.start;
        let mut acc = false;
        // Invariant 1: jumps only go forward within the block, so this terminates.
        while pc < range.end {
            let Some(inst) = self.code.get(pc as usize) else {
                break;
            };
            match *inst {
                Inst::Atom(a) => acc = self.atom(a, ctx, s, elems),
                Inst::Quant(q) => acc = self.quant(q, ctx, s),
                Inst::Memo(q) => acc = s.memo(q),
                Inst::Shared(a) => acc = self.shared(a, ctx, s, elems),
                Inst::Branch {
                    operand,
                    negate,
                    on,
                    target,
                } => {
                    acc = self.operand(operand, ctx, s, elems) ^ negate;
                    if acc == on {
                        pc = target;
                        continue;
                    }
                }
                Inst::Const(b) => acc = b,
                Inst::Not => acc = !acc,
                Inst::JumpIfFalse(t) if !acc => {
                    pc = t;
                    continue;
                }
                Inst::JumpIfTrue(t) if acc => {
                    pc = t;
                    continue;
                }
                Inst::JumpIfFalse(_) | Inst::JumpIfTrue(_) => {}
                Inst::Store(r) => set(&mut s.regs, r, acc),
                Inst::XorInto(r) => {
                    let old = s.regs.get(r as usize).copied().unwrap_or(false);
                    set(&mut s.regs, r, old ^ acc);
                }
                Inst::Load(r) => acc = s.regs.get(r as usize).copied().unwrap_or(false),
                Inst::Block(b) => acc = s.block(b),
            }
            pc += 1;
        }
        acc
    }

    /// An operand's value outside any quantifier (a group's rule literal). Memo,
    /// group and known shared-atom reads are inline; the rest is a call, so the
    /// caller's loop keeps few registers live (a group is a handful of these).
    #[inline(always)]
    pub fn operand_value(&self, op: Operand, ctx: &Context, s: &mut Scratch) -> bool {
        match op {
            Operand::Memo(q) => s.memo(q),
            Operand::Block(b) => s.block(b),
            Operand::Shared(a) => match s.shared_memo(a) {
                Some(r) => r,
                None => self.operand_out_of_line(op, ctx, s),
            },
            Operand::Atom(_) | Operand::Quant(_) => self.operand_out_of_line(op, ctx, s),
        }
    }

    #[inline(never)]
    fn operand_out_of_line(&self, op: Operand, ctx: &Context, s: &mut Scratch) -> bool {
        self.operand(op, ctx, s, &[])
    }

    #[inline]
    fn operand(&self, op: Operand, ctx: &Context, s: &mut Scratch, elems: &Elems<'_>) -> bool {
        // A memo read needs no dispatch: the commonest operand of a configuration.
        if let Operand::Memo(q) = op {
            return s.memo(q);
        }
        match op {
            Operand::Memo(q) => s.memo(q),
            Operand::Shared(a) => self.shared(a, ctx, s, elems),
            Operand::Block(b) => s.block(b),
            Operand::Atom(a) => self.atom(a, ctx, s, elems),
            Operand::Quant(q) => self.quant(q, ctx, s),
        }
    }

    /// A shared atom's result: computed on first use in the primed context.
    #[inline]
    fn shared(&self, a: AtomId, ctx: &Context, s: &mut Scratch, elems: &Elems<'_>) -> bool {
        if let Some(r) = s.shared_memo(a) {
            return r;
        }
        let r = self.atom(a, ctx, s, elems);
        let stamp = s.generation << 1;
        if let Some(m) = s.atom_memo.get_mut(a.0 as usize) {
            *m = stamp | u32::from(r);
        }
        r
    }

    /// One atom's result.
    #[inline]
    pub(crate) fn atom(
        &self,
        a: AtomId,
        ctx: &Context,
        s: &mut Scratch,
        elems: &Elems<'_>,
    ) -> bool {
        let Some(atom) = self.atoms.get(a.0 as usize) else {
            return false;
        };
        // The common case first: a field compared with a constant.
        if let Lhs::Field(f) = atom.lhs {
            return self.test_value(&atom.test, ctx.get(f), s);
        }
        let value = match &atom.lhs {
            Lhs::Field(f) => ctx.get(*f),
            Lhs::Elem(k) => elems.get(usize::from(*k)).copied().flatten(),
            Lhs::Val(val) => {
                s.buf.clear();
                return match eval_val(val, ctx, elems, &mut s.buf) {
                    Got::Nil => atom.test.on_nil(),
                    Got::Ref(v) => self.test(&atom.test, v, &mut s.regex_caches),
                    Got::Int(n) => test_int(&atom.test, n, self),
                    Got::Lit(b) => test_bytes(&atom.test, b, self, &mut s.regex_caches),
                    Got::Buf(r) => test_bytes(
                        &atom.test,
                        s.buf.get(r).unwrap_or(&[]),
                        self,
                        &mut s.regex_caches,
                    ),
                };
            }
        };
        match value {
            Some(v) => self.test(&atom.test, v, &mut s.regex_caches),
            None => atom.test.on_nil(),
        }
    }

    /// `test` on a field's value (nil included).
    #[inline]
    pub(crate) fn test_value(&self, test: &Test, v: Option<&Value>, s: &mut Scratch) -> bool {
        match v {
            Some(Value::Bytes(b)) => match test {
                // The commonest atom of all, `field == "constant"`, without a call.
                Test::Bytes(CmpOp::Eq, c) => crate::bytes::eq(b, c),
                test => test_bytes(test, b, self, &mut s.regex_caches),
            },
            Some(v) => self.test(test, v, &mut s.regex_caches),
            None => test.on_nil(),
        }
    }

    #[inline]
    fn test(&self, test: &Test, v: &Value, caches: &mut Caches) -> bool {
        match v {
            Value::Bytes(b) => test_bytes(test, b, self, caches),
            Value::Int(n) => test_int(test, *n, self),
            Value::Ip(ip) => test_ip(test, *ip, self),
            Value::Bool(b) => matches!(test, Test::IsTrue) && *b,
            Value::Array(_) | Value::Map(_) => false,
        }
    }

    /// Answers every indexed quantifier for `ctx` (one walk per indexed array). Must
    /// precede running blocks of a program built with `finish_indexed`.
    pub fn prime(&self, ctx: &Context, scratch: &mut Scratch) {
        scratch.generation += 1;
        if scratch.generation >= 1 << 31 {
            // Stamps must not wrap onto old ones (atom stamps keep 31 bits): start afresh.
            scratch.quant_memo.fill(0);
            scratch.atom_memo.fill(0);
            scratch.blocks.fill(0);
            scratch.generation = 1;
        }
        scratch.hits.clear();
        if let Some(index) = &self.index {
            index.mark(
                ctx,
                &mut scratch.quant_memo,
                scratch.generation,
                &mut scratch.hits,
            );
        }
    }

    /// One quantifier's result, as a two-valued run reads it: an indexed one
    /// from the index, which skips the keys of a guard that does not hold
    /// (`guard.rs`), so it reads false there even when the quantifier holds.
    /// No two-valued result can tell; an explanation or a three-valued
    /// evaluation can, and reads `quant_scan`.
    pub(crate) fn quant(&self, q: QuantId, ctx: &Context, s: &mut Scratch) -> bool {
        if let Some(index) = &self.index
            && index.indexed.get(q.0 as usize) == Some(&true)
        {
            return s.memo(q);
        }
        self.quant_scan(q, ctx, s)
    }

    /// One quantifier's own value, computed from the context.
    pub(crate) fn quant_scan(&self, q: QuantId, ctx: &Context, s: &mut Scratch) -> bool {
        let Some(quant) = self.quants.get(q.0 as usize) else {
            return false;
        };
        let all = quant.all;
        if let Some((field, a)) = quant.fused {
            let Some(test) = self.atoms.get(a.0 as usize).map(|atom| &atom.test) else {
                return false;
            };
            // `any` looks for a true element, `all` for a false one.
            return match ctx.get(field) {
                Some(Value::Array(items)) => {
                    items
                        .iter()
                        .any(|v| self.test(test, v, &mut s.regex_caches) != all)
                        != all
                }
                Some(Value::Map(entries)) => {
                    entries
                        .iter()
                        .any(|(_, v)| self.test(test, v, &mut s.regex_caches) != all)
                        != all
                }
                Some(_) => all,
                None => all && !quant.nil_is_false,
            };
        }
        let body = |s: &mut Scratch, elems: &Elems<'_>| match quant.body {
            Body::Atom(a) => self.atom(a, ctx, s, elems),
            Body::Block(b) => self.run_block(b, ctx, s, elems),
        };
        let mut seen_base = false;
        let flow = match &*quant.sources {
            [one] => for_each_base(&one.base, ctx, &mut |base| {
                seen_base = true;
                walk(base, &one.steps, &mut |elem| {
                    if body(s, &[Some(elem)]) == all {
                        ControlFlow::Continue(())
                    } else {
                        ControlFlow::Break(())
                    }
                })
            }),
            many => {
                let n = many
                    .iter()
                    .map(|src| count_leaves(src, ctx))
                    .min()
                    .unwrap_or(0);
                seen_base = true;
                let mut flow = ControlFlow::Continue(());
                for i in 0..n {
                    let mut elems: [Option<&Value>; MAX_SOURCES] = [None; MAX_SOURCES];
                    for (slot, src) in elems.iter_mut().zip(many) {
                        *slot = nth_leaf(src, ctx, i);
                    }
                    if body(s, elems.get(..many.len()).unwrap_or(&[])) != all {
                        flow = ControlFlow::Break(());
                        break;
                    }
                }
                flow
            }
        };
        if quant.nil_is_false && !seen_base {
            return false;
        }
        // `any` stops at the first true element, `all` at the first false one.
        flow.is_break() != all
    }
}

fn set(regs: &mut [bool], r: u32, v: bool) {
    if let Some(slot) = regs.get_mut(r as usize) {
        *slot = v;
    }
}

#[inline]
fn ordered(op: CmpOp, ord: Ordering) -> bool {
    match op {
        CmpOp::Eq => ord == Ordering::Equal,
        CmpOp::Ne => ord != Ordering::Equal,
        CmpOp::Lt => ord == Ordering::Less,
        CmpOp::Le => ord != Ordering::Greater,
        CmpOp::Gt => ord == Ordering::Greater,
        CmpOp::Ge => ord != Ordering::Less,
        _ => false,
    }
}

#[inline]
fn test_bytes(test: &Test, v: &[u8], p: &Program, caches: &mut Caches) -> bool {
    match test {
        Test::Bytes(CmpOp::Eq, c) => v == &**c,
        Test::Bytes(CmpOp::Ne, c) => v != &**c,
        Test::Bytes(op, c) => ordered(*op, v.cmp(c)),
        Test::Contains(f) => f.find(v).is_some(),
        Test::StartsWith(c) => v.starts_with(c),
        Test::EndsWith(c) => v.ends_with(c),
        Test::Matches(i) => p
            .regexes
            .get(*i as usize)
            .is_some_and(|m| m.is_match(v, caches.get_mut(*i as usize).and_then(Option::as_mut))),
        Test::Wildcard(g) => g.is_match(v),
        Test::InBytes(set) => set.contains(v),
        Test::InList(i) => {
            matches!(p.lists.get(*i as usize), Some(ListSet::Bytes(set)) if set.contains(v))
        }
        _ => false,
    }
}

#[inline]
fn test_int(test: &Test, v: i64, p: &Program) -> bool {
    match test {
        Test::Int(op, c) => ordered(*op, v.cmp(c)),
        Test::BitAnd(c) => v & c != 0,
        Test::InInts(r) => r.contains(v),
        Test::InList(i) => {
            matches!(p.lists.get(*i as usize), Some(ListSet::Ints(r)) if r.contains(v))
        }
        _ => false,
    }
}

#[inline]
fn test_ip(test: &Test, v: IpAddr, p: &Program) -> bool {
    match test {
        Test::Ip(op, c) => match (v, c) {
            (IpAddr::V4(a), IpAddr::V4(b)) => ordered(*op, a.cmp(b)),
            (IpAddr::V6(a), IpAddr::V6(b)) => ordered(*op, a.cmp(b)),
            // IPv4 and IPv6 are never ordered against each other: only `!=` holds.
            _ => *op == CmpOp::Ne,
        },
        Test::InIps(r) => r.contains(v),
        Test::InList(i) => {
            matches!(p.lists.get(*i as usize), Some(ListSet::Ips(r)) if r.contains(v))
        }
        _ => false,
    }
}
