//! (`&Program`, `&Context`, `&mut Scratch`) -> bool. The hot path: one forward
//! loop per block, slots read by `FieldId`, nothing allocated once `Scratch` has
//! grown to its working size (the allocation test in tests/alloc.rs checks it).

use crate::ast::CmpOp;
use crate::cond::{PathStep, Val};
use crate::program::{AtomId, BlockId, Body, Inst, Lhs, ListSet, Operand, Program, QuantId, Test};
use crate::value::{Context, Value};
use std::cmp::Ordering;
use std::net::IpAddr;
use std::ops::{ControlFlow, Range};

/// Most sources one quantifier may zip (check.rs rejects more).
pub const MAX_SOURCES: usize = 8;

/// Per-thread working memory, made once and reused for every context.
#[derive(Debug, Clone)]
pub struct Scratch {
    regs: Vec<bool>,
    /// Blocks found true in this context (group references read them): the
    /// generation when true, so a block not decided in this context reads false.
    blocks: Vec<u32>,
    buf: Vec<u8>,
    /// One lazy-DFA cache per regex of the program.
    regex_caches: Vec<Option<regex_automata::hybrid::dfa::Cache>>,
    /// Indexed quantifiers' results for the primed context: true where the stamp
    /// equals `generation`, so priming a context never clears the whole table.
    quant_memo: Vec<u32>,
    /// Shared atoms' results for the primed context: `generation << 1 | result`.
    atom_memo: Vec<u32>,
    generation: u32,
    /// The indexed quantifiers that hold for the primed context (repeats possible),
    /// for whoever they wake (`engine/gate.rs`): ranges of the index's postings.
    hits: Vec<Range<u32>>,
}

impl Scratch {
    /// Scratch sized for `program`.
    pub fn new(program: &Program) -> Scratch {
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

    /// An indexed quantifier's result for the primed context.
    #[inline]
    fn memo(&self, q: QuantId) -> bool {
        self.quant_memo.get(q.0 as usize) == Some(&self.generation)
    }

    /// A shared atom's result, if already computed in the primed context.
    #[inline(always)]
    fn shared_memo(&self, a: AtomId) -> Option<bool> {
        match self.atom_memo.get(a.0 as usize) {
            Some(&m) if m & !1 == self.generation << 1 => Some(m & 1 == 1),
            _ => None,
        }
    }

    /// The primed context's generation: stamps equal to it are this context's.
    pub(crate) fn generation(&self) -> u32 {
        self.generation
    }

    /// The indexed quantifiers that hold for the primed context, as ranges of the
    /// index's postings (`QuantIndex::postings`).
    pub(crate) fn hits(&self) -> &[Range<u32>] {
        &self.hits
    }

    /// A block result recorded in this context; false if none was.
    #[inline]
    pub(crate) fn block(&self, block: BlockId) -> bool {
        self.blocks.get(block.0 as usize) == Some(&self.generation)
    }
}

/// The lazy-DFA caches of a program's regexes.
type Caches = [Option<regex_automata::hybrid::dfa::Cache>];

/// Element bindings of the enclosing quantifier, one per source.
type Elems<'a> = [Option<&'a Value>];

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

    /// One quantifier's result.
    pub(crate) fn quant(&self, q: QuantId, ctx: &Context, s: &mut Scratch) -> bool {
        if let Some(index) = &self.index
            && index.indexed.get(q.0 as usize) == Some(&true)
        {
            return s.memo(q);
        }
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

/// A computed value: borrowed from the context or program, an int, or bytes built in
/// the scratch buffer.
enum Got<'a> {
    Nil,
    Ref(&'a Value),
    Lit(&'a [u8]),
    Int(i64),
    Buf(Range<usize>),
}

impl<'a> Got<'a> {
    /// Bytes borrowed from the context or the program.
    fn bytes(&self) -> Option<&'a [u8]> {
        match self {
            Got::Ref(Value::Bytes(b)) => Some(b),
            Got::Lit(b) => Some(b),
            _ => None,
        }
    }
}

/// Evaluates a value expression. Results that must be built (`lower`, `concat`) are
/// appended to `buf`, always at its end, so nested results are already in place.
fn eval_val<'a>(val: &'a Val, ctx: &'a Context, elems: &Elems<'a>, buf: &mut Vec<u8>) -> Got<'a> {
    let as_ref = |v: Option<&'a Value>| v.map_or(Got::Nil, Got::Ref);
    match val {
        Val::Field(f) => as_ref(ctx.get(*f)),
        Val::Elem(k) => as_ref(elems.get(usize::from(*k)).copied().flatten()),
        Val::Index(inner, i) if matches!(**inner, Val::Concat(_)) => {
            // An element of joined arrays: count through the parts, nil ones skipped.
            let Val::Concat(parts) = &**inner else {
                return Got::Nil;
            };
            let mut i = *i as usize;
            for part in parts {
                if let Got::Ref(Value::Array(items)) = eval_val(part, ctx, elems, buf) {
                    match items.get(i) {
                        Some(v) => return Got::Ref(v),
                        None => i -= items.len(),
                    }
                }
            }
            Got::Nil
        }
        Val::Index(inner, i) => match eval_val(inner, ctx, elems, buf) {
            Got::Ref(v) => as_ref(v.get_index(*i)),
            _ => Got::Nil,
        },
        Val::Key(inner, k) => match eval_val(inner, ctx, elems, buf) {
            Got::Ref(v) => as_ref(v.get_key(k)),
            _ => Got::Nil,
        },
        Val::Bytes(b) => Got::Lit(b),
        Val::Lower(inner) | Val::Upper(inner) => {
            let lower = matches!(val, Val::Lower(_));
            let range = match eval_val(inner, ctx, elems, buf) {
                Got::Buf(r) => r,
                other => match other.bytes() {
                    Some(b) => {
                        let start = buf.len();
                        buf.extend_from_slice(b);
                        start..buf.len()
                    }
                    None => return Got::Nil,
                },
            };
            if let Some(bytes) = buf.get_mut(range.clone()) {
                if lower {
                    bytes.make_ascii_lowercase();
                } else {
                    bytes.make_ascii_uppercase();
                }
            }
            Got::Buf(range)
        }
        Val::Len(inner) => match &**inner {
            Val::Concat(parts) => {
                let mut total = None;
                for part in parts {
                    if let Some(n) = len_of(eval_val(part, ctx, elems, buf)) {
                        total = Some(total.unwrap_or(0) + n);
                    }
                }
                total.map_or(Got::Nil, Got::Int)
            }
            other => len_of(eval_val(other, ctx, elems, buf)).map_or(Got::Nil, Got::Int),
        },
        Val::Concat(parts) => {
            let start = buf.len();
            let mut any = false;
            for part in parts {
                let cursor = buf.len();
                match eval_val(part, ctx, elems, buf) {
                    Got::Buf(r) if r.start != cursor => {
                        let len = r.len();
                        buf.copy_within(r, cursor);
                        buf.truncate(cursor + len);
                    }
                    Got::Buf(_) => {}
                    other => match other.bytes() {
                        Some(b) => {
                            buf.truncate(cursor);
                            buf.extend_from_slice(b);
                        }
                        None => {
                            buf.truncate(cursor);
                            continue;
                        }
                    },
                }
                any = true;
            }
            if any {
                Got::Buf(start..buf.len())
            } else {
                Got::Nil
            }
        }
    }
}

fn len_of(got: Got<'_>) -> Option<i64> {
    let n = match got {
        Got::Ref(Value::Array(a)) => a.len(),
        Got::Buf(r) => r.len(),
        other => other.bytes()?.len(),
    };
    i64::try_from(n).ok()
}

/// Calls `f` with the container(s) a source's base names: one, or each non-nil part
/// of an array `concat`.
fn for_each_base<'a>(
    base: &'a Val,
    ctx: &'a Context,
    f: &mut impl FnMut(&'a Value) -> ControlFlow<()>,
) -> ControlFlow<()> {
    if let Val::Concat(parts) = base {
        for part in parts {
            for_each_base(part, ctx, f)?;
        }
        return ControlFlow::Continue(());
    }
    let mut no_buf = Vec::new();
    match eval_val(base, ctx, &[], &mut no_buf) {
        Got::Ref(v) => f(v),
        _ => ControlFlow::Continue(()),
    }
}

/// Calls `f` on every leaf that `steps` reach from `v`; a step that misses skips.
fn walk<'a>(
    v: &'a Value,
    steps: &[PathStep],
    f: &mut impl FnMut(&'a Value) -> ControlFlow<()>,
) -> ControlFlow<()> {
    let Some((step, rest)) = steps.split_first() else {
        return f(v);
    };
    match step {
        PathStep::Each => match v {
            Value::Array(items) => items.iter().try_for_each(|item| walk(item, rest, f)),
            Value::Map(entries) => entries.iter().try_for_each(|(_, item)| walk(item, rest, f)),
            _ => ControlFlow::Continue(()),
        },
        PathStep::Index(i) => v
            .get_index(*i)
            .map_or(ControlFlow::Continue(()), |item| walk(item, rest, f)),
        PathStep::Key(k) => v
            .get_key(k)
            .map_or(ControlFlow::Continue(()), |item| walk(item, rest, f)),
    }
}

fn count_leaves(src: &crate::program::SourceCode, ctx: &Context) -> usize {
    let mut n = 0;
    let _ = for_each_base(&src.base, ctx, &mut |base| {
        walk(base, &src.steps, &mut |_| {
            n += 1;
            ControlFlow::Continue(())
        })
    });
    n
}

fn nth_leaf<'a>(
    src: &'a crate::program::SourceCode,
    ctx: &'a Context,
    i: usize,
) -> Option<&'a Value> {
    let mut seen = 0;
    let mut found = None;
    let _ = for_each_base(&src.base, ctx, &mut |base| {
        walk(base, &src.steps, &mut |leaf| {
            if seen == i {
                found = Some(leaf);
                return ControlFlow::Break(());
            }
            seen += 1;
            ControlFlow::Continue(())
        })
    });
    found
}
