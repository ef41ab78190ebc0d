//! `Checked` -> `Compiled`: one expression compiled on its own, with direct paths
//! for the commonest shapes (one atom; one `Fast` test with its constant
//! preloaded; a conjunction of disjunctions of atoms, read as clauses).

use crate::expr::Checked;
use crate::expr::ast::CmpOp;
use crate::program::{AtomId, Test, Why};
use crate::scheme::{FieldId, Scheme};
use crate::sets::IpRanges;
use crate::sets::StrSet;
use crate::value::{Context, Value};

/// A checked expression compiled to a program, ready to evaluate many contexts.
#[derive(Debug, Clone)]
pub struct Compiled {
    program: crate::program::Program,
    root: crate::program::BlockId,
    /// The root is one atom (`identity.email == "…"`): evaluate it without the block loop.
    single_atom: Option<crate::program::AtomId>,
    /// The root is one of the commonest single tests: done here, with no dispatch.
    fast: Option<Fast>,
    /// The root is a conjunction of disjunctions of (negated) atoms: evaluated
    /// clause by clause with each test preloaded, with no bytecode to interpret.
    clauses: Option<Box<[Box<[Lit]>]>>,
}

/// One (negated) atom of a clause.
#[derive(Debug, Clone)]
struct Lit {
    test: LitTest,
    negated: bool,
}

#[derive(Debug, Clone)]
enum LitTest {
    Fast(Fast),
    Atom(crate::program::AtomId),
}

/// A whole expression that is one test of one field, the shapes profiles use most.
#[derive(Debug, Clone)]
enum Fast {
    /// `field == "constant"`
    BytesEq(FieldId, crate::bytes::Exact),
    /// `field in {"a" "b" …}`
    BytesIn(FieldId, StrSet),
    /// `field in {10.0.0.0/8 …}`
    IpIn(FieldId, IpRanges),
    /// `field in {…}` of at most four IPv4 ranges: compared unrolled, inline. The
    /// unused slots are empty ranges (low above high).
    Ip4In(FieldId, [(u32, u32); 4]),
    /// `field matches "^corp-[a-z0-9]+$"`, when one forward pass runs it.
    Matches(FieldId, std::sync::Arc<crate::matcher::seq::Seq>),
    /// `any(field[*] == "constant")`
    AnyBytesEq(FieldId, Box<[u8]>),
    /// `any(field[*] in {"a" "b" …})`
    AnyBytesIn(FieldId, StrSet),
}

/// Whether any element (of an array) or value (of a map) is bytes that pass
/// `test`; false on nil and on a scalar, as a fused `any` is.
#[inline]
fn any_bytes(v: Option<&Value>, test: impl Fn(&[u8]) -> bool) -> bool {
    let pass = |v: &Value| matches!(v, Value::Bytes(b) if test(b));
    match v {
        Some(Value::Array(items)) => items.iter().any(pass),
        Some(Value::Map(entries)) => entries.iter().any(|(_, v)| pass(v)),
        _ => false,
    }
}

impl Fast {
    fn of(program: &crate::program::Program, root: crate::program::BlockId) -> Option<Fast> {
        if let Some(a) = program.single_atom(root) {
            return Fast::of_atom(program, a);
        }
        Some(match program.fused_any(root)? {
            (f, Test::Bytes(CmpOp::Eq, c)) => Fast::AnyBytesEq(f, c),
            (f, Test::InBytes(set)) => Fast::AnyBytesIn(f, set),
            _ => return None,
        })
    }

    /// The atom's test in a form with no dispatch, for the commonest tests.
    fn of_atom(program: &crate::program::Program, a: crate::program::AtomId) -> Option<Fast> {
        Some(match program.field_test(a)? {
            (f, Test::Bytes(CmpOp::Eq, c)) => Fast::BytesEq(f, crate::bytes::Exact::new(c)),
            (f, Test::InBytes(set)) => Fast::BytesIn(f, set),
            (f, Test::InIps(ranges)) => match ranges.v4_only_few() {
                Some(few) => Fast::Ip4In(f, few),
                None => Fast::IpIn(f, ranges),
            },
            (f, Test::Matches(i)) => match program.regexes.get(i as usize) {
                Some(crate::matcher::Matcher::Seq(seq)) => Fast::Matches(f, seq.clone()),
                _ => return None,
            },
            _ => return None,
        })
    }

    /// Each test is false on nil and on a value of another type.
    #[inline]
    fn eval(&self, ctx: &Context) -> bool {
        match self {
            Fast::BytesEq(f, c) => {
                matches!(ctx.get(*f), Some(Value::Bytes(b)) if c.matches(b))
            }
            Fast::BytesIn(f, set) => {
                matches!(ctx.get(*f), Some(Value::Bytes(b)) if set.contains(b))
            }
            Fast::IpIn(f, ranges) => {
                matches!(ctx.get(*f), Some(Value::Ip(ip)) if ranges.contains(*ip))
            }
            Fast::Ip4In(f, few) => match ctx.get(*f) {
                Some(Value::Ip(std::net::IpAddr::V4(a))) => {
                    let v = u32::from(*a);
                    few.iter().any(|&(low, high)| low <= v && v <= high)
                }
                _ => false,
            },
            Fast::Matches(f, seq) => {
                matches!(ctx.get(*f), Some(Value::Bytes(b)) if seq.is_match(b))
            }
            Fast::AnyBytesEq(f, c) => any_bytes(ctx.get(*f), |b| *b == **c),
            Fast::AnyBytesIn(f, set) => any_bytes(ctx.get(*f), |b| set.contains(b)),
        }
    }
}

/// A root's tree as clauses of (negated) atoms, when it is a conjunction of
/// disjunctions of them (or one of either); `None` for any other shape.
fn cnf(why: &Why) -> Option<Vec<Vec<(AtomId, bool)>>> {
    use crate::expr::ast::LogicOp;
    fn literal(w: &Why) -> Option<(AtomId, bool)> {
        match w {
            Why::Atom(a, _) => Some((*a, false)),
            Why::Not(inner) => match &**inner {
                Why::Atom(a, _) => Some((*a, true)),
                _ => None,
            },
            _ => None,
        }
    }
    let items = match why {
        Why::Logic(LogicOp::And, items) => &**items,
        other => std::slice::from_ref(other),
    };
    items
        .iter()
        .map(|item| match item {
            Why::Logic(LogicOp::Or, lits) => lits.iter().map(literal).collect(),
            lit => literal(lit).map(|l| vec![l]),
        })
        .collect()
}

impl Checked {
    /// Compiles the condition; `scheme` must be the one it was checked against.
    pub fn compile(&self, scheme: &Scheme) -> Compiled {
        let mut builder = crate::program::compile::Builder::new(scheme);
        let root = builder.add_root(&self.cond);
        let program = builder.finish();
        let atoms = program.why_of(root).and_then(cnf);
        let single_atom = program.single_atom(root);
        let fast = Fast::of(&program, root);
        let clauses = match (&fast, single_atom, atoms) {
            (None, None, Some(atoms)) => Some(
                atoms
                    .into_iter()
                    .map(|clause| {
                        clause
                            .into_iter()
                            .map(|(a, negated)| Lit {
                                test: Fast::of_atom(&program, a)
                                    .map_or(LitTest::Atom(a), LitTest::Fast),
                                negated,
                            })
                            .collect()
                    })
                    .collect(),
            ),
            _ => None,
        };
        Compiled {
            program,
            root,
            single_atom,
            fast,
            clauses,
        }
    }
}

impl Compiled {
    /// Scratch space for this expression; make one per thread and reuse it.
    pub fn scratch(&self) -> crate::program::Scratch {
        crate::program::Scratch::new(&self.program)
    }

    /// The expression's value for `ctx`.
    #[inline]
    pub fn eval(&self, ctx: &crate::value::Context, scratch: &mut crate::program::Scratch) -> bool {
        match &self.fast {
            Some(fast) => fast.eval(ctx),
            None => self.eval_general(ctx, scratch),
        }
    }

    /// Every root that is not one `Fast` test; out of line, so the one-test path
    /// stays a handful of instructions where it is inlined.
    #[inline(never)]
    fn eval_general(
        &self,
        ctx: &crate::value::Context,
        scratch: &mut crate::program::Scratch,
    ) -> bool {
        if let Some(clauses) = &self.clauses {
            return clauses.iter().all(|clause| {
                clause.iter().any(|lit| {
                    let v = match &lit.test {
                        LitTest::Fast(f) => f.eval(ctx),
                        LitTest::Atom(a) => self.program.atom(*a, ctx, scratch, &[]),
                    };
                    v != lit.negated
                })
            });
        }
        match self.single_atom {
            Some(a) => self.program.atom(a, ctx, scratch, &[]),
            None => self.program.run(self.root, ctx, scratch),
        }
    }

    /// The value and the atoms that decided it.
    pub fn explain(
        &self,
        ctx: &crate::value::Context,
        scratch: &mut crate::program::Scratch,
    ) -> crate::program::Explained {
        self.program.explain(self.root, ctx, scratch)
    }

    /// The compiled program's disassembly, one instruction per line.
    pub fn disassembly(&self) -> String {
        format!("{:?}", self.program)
    }
}
