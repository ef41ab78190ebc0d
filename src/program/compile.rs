//! `Cond`s -> `Program`: atoms and quantifiers hash-consed into tables, each root
//! condition emitted as a block of jumps, lists compiled once.

use crate::expr::ast::LogicOp;
use crate::expr::cond::{Atom, AtomOp, Cond, PathStep, Quant, Scalar, Val};
use crate::literal;
use crate::program::{
    AtomCode, AtomId, BlockId, Body, Inst, Lhs, ListSet, Operand, Program, QuantCode, QuantId,
    SourceCode, Test, Why,
};
use crate::scheme::{ListDef, ListId, Scheme, Type};
use crate::sets::StrSet;
use crate::sets::{IntRanges, IpRanges};
use rustc_hash::FxHashMap as HashMap;

/// Builds one program from many root conditions, sharing atoms between them.
pub struct Builder<'s> {
    scheme: &'s Scheme,
    program: Program,
    atom_ids: HashMap<Atom, AtomId>,
    quant_ids: HashMap<Quant, QuantId>,
    list_ids: HashMap<ListId, u32>,
    /// Keep a `Why` tree for every block, not only explained roots: the engine
    /// evaluates blocks three-valued from their trees (`tri.rs`).
    trees: bool,
}

impl<'s> Builder<'s> {
    /// An empty program over `scheme` (whose lists `$name` atoms refer to).
    pub fn new(scheme: &'s Scheme) -> Builder<'s> {
        Builder {
            scheme,
            program: Program {
                code: Vec::new(),
                blocks: Vec::new(),
                whys: Vec::new(),
                // Room for a typical expression's atoms: no regrowth while compiling one.
                atoms: Vec::with_capacity(8),
                quants: Vec::new(),
                lists: Vec::new(),
                lists_incomplete: Vec::new(),
                lists_name: Vec::new(),
                regexes: Vec::new(),
                registers: 0,
                index: None,
                shared_atoms: Vec::new(),
            },
            atom_ids: HashMap::with_capacity_and_hasher(8, Default::default()),
            quant_ids: HashMap::default(),
            list_ids: HashMap::default(),
            trees: false,
        }
    }

    /// An empty program that keeps a `Why` tree for every block it compiles
    /// (the engine's: its blocks are also evaluated three-valued).
    pub fn with_trees(scheme: &'s Scheme) -> Builder<'s> {
        Builder {
            trees: true,
            ..Builder::new(scheme)
        }
    }

    /// Adds a root condition; its block can be run, and explained, by id.
    pub fn add_root(&mut self, cond: &Cond) -> BlockId {
        // The block is emitted from the `Why` tree: its operands are interned already.
        let why = self.why(cond);
        let id = self.block(&why);
        if let Some(slot) = self.program.whys.get_mut(index(id.0)) {
            *slot = Some(why);
        }
        id
    }

    /// Adds a root condition that is run but never explained atom by atom (an
    /// Access group or one of its rules): its `Why` tree is kept only when the
    /// builder keeps trees.
    pub fn add_unexplained(&mut self, cond: &Cond) -> BlockId {
        if self.trees {
            self.add_root(cond)
        } else {
            self.block(cond)
        }
    }

    /// The finished program.
    pub fn finish(self) -> Program {
        self.program
    }

    /// The finished program with its membership quantifiers indexed: each context
    /// must then be primed with `Program::prime` before its blocks run.
    /// `reused`: blocks that stand for more than one use (a rule compiled once
    /// and shared by several groups), once per use beyond the first; their
    /// atoms count as used that many times more.
    pub fn finish_indexed(self, guards: &super::guard::KeyGuards, reused: &[BlockId]) -> Program {
        let mut p = self.program;
        let index = super::index::QuantIndex::build(&p.quants, &p.atoms, guards);
        let mut uses = vec![0u32; p.atoms.len()];
        let reused_code = reused
            .iter()
            .filter_map(|b| p.blocks.get(b.0 as usize))
            .filter_map(|range| p.code.get(range.start as usize..range.end as usize));
        for inst in p.code.iter().chain(reused_code.flatten()) {
            if let Inst::Atom(a) = inst
                && let Some(n) = uses.get_mut(a.0 as usize)
            {
                *n += 1;
            }
        }
        let context_only = |a: AtomId| {
            p.atoms
                .get(a.0 as usize)
                .is_some_and(|atom| match &atom.lhs {
                    Lhs::Field(_) => true,
                    Lhs::Elem(_) => false,
                    Lhs::Val(v) => !v.reads_elements(),
                })
        };
        let shared: Vec<bool> = (0..p.atoms.len())
            .map(|i| {
                let a = AtomId(u32::try_from(i).unwrap_or(u32::MAX));
                uses.get(i).is_some_and(|n| *n > 1) && context_only(a)
            })
            .collect();
        p.index = (!index.is_empty()).then_some(index);
        p.shared_atoms = shared;
        // Indexed quantifiers become memo reads (no dispatch through `quant`), atoms
        // many blocks share are computed once per context.
        let mut code = std::mem::take(&mut p.code);
        for inst in &mut code {
            match inst {
                Inst::Branch { operand, .. } => *operand = p.resolve(*operand),
                other => {
                    if let Some(op) = Operand::of(*other) {
                        *other = p.resolve(op).into();
                    }
                }
            }
        }
        p.code = code;
        p
    }

    /// The clause of `block`, just added from `cond`: the condition as a
    /// conjunction of operands (each possibly negated), read from the block's
    /// `Why` tree, where every operand is interned already (none is hashed a
    /// second time); `None` when it is not one (an `or`, a nested `and` of
    /// `or`s, a constant false). `true` is the empty conjunction.
    pub fn conjunction_of(&mut self, block: BlockId, cond: &Cond) -> Option<Vec<(Operand, bool)>> {
        if let Some(why) = self
            .program
            .whys
            .get(index(block.0))
            .and_then(Option::as_ref)
        {
            return conjunction(why);
        }
        // A builder that keeps no trees: one is made for this reading.
        conjunction(&self.why(cond))
    }

    fn block<T: Tree>(&mut self, cond: &T) -> BlockId {
        let mut out = Vec::with_capacity(16);
        self.emit(cond, &mut out);
        let mut out = super::fuse::fuse(out);
        let base = u32::try_from(self.program.code.len()).unwrap_or(u32::MAX);
        // Jump targets were emitted relative to the block; make them absolute.
        // Invariant 1: every target is within [base, base + out.len()].
        for inst in &mut out {
            match inst {
                Inst::JumpIfFalse(t) | Inst::JumpIfTrue(t) | Inst::Branch { target: t, .. } => {
                    *t += base;
                }
                _ => {}
            }
        }
        self.program.code.extend(out);
        let end = u32::try_from(self.program.code.len()).unwrap_or(u32::MAX);
        self.program.blocks.push(base..end);
        self.program.whys.push(None);
        BlockId(u32::try_from(self.program.blocks.len() - 1).unwrap_or(u32::MAX))
    }

    fn emit<T: Tree>(&mut self, cond: &T, out: &mut Vec<Inst>) {
        match cond.node(self) {
            Node::Const(b) => out.push(Inst::Const(b)),
            Node::Operand(op) => out.push(op.into()),
            Node::Not(inner) => {
                self.emit(inner, out);
                out.push(Inst::Not);
            }
            Node::Logic(LogicOp::Xor, items) => {
                let reg = self.program.registers;
                self.program.registers += 1;
                for (i, item) in items.iter().enumerate() {
                    self.emit(item, out);
                    out.push(if i == 0 {
                        Inst::Store(reg)
                    } else {
                        Inst::XorInto(reg)
                    });
                }
                out.push(Inst::Load(reg));
            }
            Node::Logic(op, items) => {
                let mut patches = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    self.emit(item, out);
                    if i + 1 < items.len() {
                        patches.push(out.len());
                        out.push(Inst::Const(false));
                    }
                }
                let end = u32::try_from(out.len()).unwrap_or(u32::MAX);
                for at in patches {
                    if let Some(slot) = out.get_mut(at) {
                        *slot = if op == LogicOp::And {
                            Inst::JumpIfFalse(end)
                        } else {
                            Inst::JumpIfTrue(end)
                        };
                    }
                }
            }
        }
    }

    fn why(&mut self, cond: &Cond) -> Why {
        match cond {
            Cond::Const(b) => Why::Const(*b),
            Cond::Atom { atom, label } => Why::Atom(self.atom(atom), label.clone()),
            Cond::Quant { quant, label } => Why::Quant(self.quant(quant), label.clone()),
            Cond::Ref { block, label } => Why::Block(BlockId(*block), label.clone()),
            Cond::Not(inner) => Why::Not(Box::new(self.why(inner))),
            Cond::Logic(op, items) => Why::Logic(*op, items.iter().map(|c| self.why(c)).collect()),
        }
    }

    fn atom(&mut self, atom: &Atom) -> AtomId {
        if let Some(id) = self.atom_ids.get(atom) {
            return *id;
        }
        let lhs = match &atom.lhs {
            Val::Field(f) => Lhs::Field(*f),
            Val::Elem(k) => Lhs::Elem(*k),
            other => Lhs::Val(other.clone()),
        };
        let test = self.test(&atom.op);
        // Invariant 2: the map guarantees one id per distinct atom.
        let id = AtomId(u32::try_from(self.program.atoms.len()).unwrap_or(u32::MAX));
        self.program.atoms.push(AtomCode { lhs, test });
        self.atom_ids.insert(atom.clone(), id);
        id
    }

    fn test(&mut self, op: &AtomOp) -> Test {
        match op {
            AtomOp::IsTrue => Test::IsTrue,
            AtomOp::Cmp(op, Scalar::Int(n)) => Test::Int(*op, *n),
            AtomOp::Cmp(op, Scalar::Bytes(b)) => Test::Bytes(*op, b.clone()),
            AtomOp::Cmp(op, Scalar::Ip(ip)) => Test::Ip(*op, *ip),
            AtomOp::BitAnd(n) => Test::BitAnd(*n),
            AtomOp::Contains(b) => {
                Test::Contains(Box::new(memchr::memmem::Finder::new(&**b).into_owned()))
            }
            AtomOp::StartsWith(b) => Test::StartsWith(b.clone()),
            AtomOp::EndsWith(b) => Test::EndsWith(b.clone()),
            AtomOp::Matches(p) => {
                self.program.regexes.push(p.matcher.clone());
                Test::Matches(u32::try_from(self.program.regexes.len() - 1).unwrap_or(u32::MAX))
            }
            AtomOp::Wildcard(g) => Test::Wildcard(g.clone()),
            AtomOp::InBytes(set) => Test::InBytes(StrSet::of(set)),
            AtomOp::InInts(r) => Test::InInts(r.clone()),
            AtomOp::InIps(r) => Test::InIps(r.clone()),
            AtomOp::InList(id) => Test::InList(self.list(*id)),
        }
    }

    fn list(&mut self, id: ListId) -> u32 {
        if let Some(i) = self.list_ids.get(&id) {
            return *i;
        }
        let set = self
            .scheme
            .list_def(id)
            .map_or(ListSet::Bytes(StrSet::new([])), compile_list);
        let i = u32::try_from(self.program.lists.len()).unwrap_or(u32::MAX);
        self.program.lists.push(set);
        let def = self.scheme.list_def(id);
        self.program
            .lists_incomplete
            .push(def.is_some_and(|d| d.incomplete));
        self.program
            .lists_name
            .push(def.map_or_else(|| "".into(), |d| d.name.clone()));
        self.list_ids.insert(id, i);
        i
    }

    fn quant(&mut self, quant: &Quant) -> QuantId {
        if let Some(id) = self.quant_ids.get(quant) {
            return *id;
        }
        let body = match &*quant.body {
            Cond::Atom { atom, .. } if quant.sources.len() == 1 && atom.lhs == Val::Elem(0) => {
                Body::Atom(self.atom(atom))
            }
            other => Body::Block(self.add_unexplained(other)),
        };
        let sources = quant
            .sources
            .iter()
            .map(|s| SourceCode {
                base: s.base.clone(),
                steps: s.steps.clone(),
            })
            .collect();
        let fused = match (&*quant.sources, body) {
            ([only], Body::Atom(a)) => match (&only.base, &*only.steps) {
                (Val::Field(f), [PathStep::Each]) => Some((*f, a)),
                _ => None,
            },
            _ => None,
        };
        let id = QuantId(u32::try_from(self.program.quants.len()).unwrap_or(u32::MAX));
        self.program.quants.push(QuantCode {
            all: quant.all,
            nil_is_false: quant.nil_is_false,
            sources,
            body,
            fused,
        });
        self.quant_ids.insert(quant.clone(), id);
        id
    }
}

/// A list's items as a set of its type. Items were validated when the list was declared.
pub fn compile_list(def: &ListDef) -> ListSet {
    match def.ty {
        Type::Int => ListSet::Ints(IntRanges::new(
            def.items
                .iter()
                .filter_map(|i| literal::parse_int(i.trim()).ok())
                .map(|n| (n, n))
                .collect(),
        )),
        Type::Ip => ListSet::Ips(IpRanges::new(
            def.items
                .iter()
                .filter_map(|i| crate::literal::parse_ip_item(i)),
        )),
        _ => ListSet::Bytes(StrSet::new(def.items.iter().map(|i| i.as_bytes()))),
    }
}

/// One node of a condition tree, as `emit` sees it.
enum Node<'t, T> {
    Const(bool),
    Operand(Operand),
    Not(&'t T),
    Logic(LogicOp, &'t [T]),
}

/// A tree `emit` can compile: a `Cond` (operands interned on the way) or a
/// root's `Why` (interned when it was built).
trait Tree: Sized {
    fn node<'t>(&'t self, b: &mut Builder<'_>) -> Node<'t, Self>;
}

impl Tree for Cond {
    fn node<'t>(&'t self, b: &mut Builder<'_>) -> Node<'t, Cond> {
        match self {
            Cond::Const(v) => Node::Const(*v),
            Cond::Atom { atom, .. } => Node::Operand(Operand::Atom(b.atom(atom))),
            Cond::Quant { quant, .. } => Node::Operand(Operand::Quant(b.quant(quant))),
            Cond::Ref { block, .. } => Node::Operand(Operand::Block(BlockId(*block))),
            Cond::Not(inner) => Node::Not(inner),
            Cond::Logic(op, items) => Node::Logic(*op, items),
        }
    }
}

impl Tree for Why {
    fn node<'t>(&'t self, _: &mut Builder<'_>) -> Node<'t, Why> {
        match self {
            Why::Const(v) => Node::Const(*v),
            Why::Atom(a, _) => Node::Operand(Operand::Atom(*a)),
            Why::Quant(q, _) => Node::Operand(Operand::Quant(*q)),
            Why::Block(id, _) => Node::Operand(Operand::Block(*id)),
            Why::Not(inner) => Node::Not(inner),
            Why::Logic(op, items) => Node::Logic(*op, items),
        }
    }
}

/// A `Why` tree as a conjunction of operands, each possibly negated
/// (`Builder::conjunction_of`).
fn conjunction(why: &Why) -> Option<Vec<(Operand, bool)>> {
    let items: &[Why] = match why {
        Why::Const(true) => return Some(Vec::new()),
        Why::Logic(LogicOp::And, items) => items,
        leaf => std::slice::from_ref(leaf),
    };
    // Sized up front: the clause is kept as a boxed slice, which a collected
    // vector's spare room would make reallocate.
    let mut all = Vec::with_capacity(items.len());
    for item in items {
        all.push(match item {
            Why::Not(inner) => (inner.operand()?, true),
            leaf => (leaf.operand()?, false),
        });
    }
    Some(all)
}

fn index(n: u32) -> usize {
    n as usize
}

impl From<Operand> for Inst {
    fn from(op: Operand) -> Inst {
        match op {
            Operand::Atom(a) => Inst::Atom(a),
            Operand::Quant(q) => Inst::Quant(q),
            Operand::Memo(q) => Inst::Memo(q),
            Operand::Shared(a) => Inst::Shared(a),
            Operand::Block(b) => Inst::Block(b),
        }
    }
}
