//! `Expr` + `Scheme` -> `Cond` | every type error found. Resolves names to ids,
//! reads literals as the left-hand side's type, compiles regexes under the size
//! limit, and turns each `[*]` inside `any(…)`/`all(…)` into a quantifier source.

use crate::diag::{Diagnostic, ErrorKind};
use crate::expr::ast::{Arg, Base, CmpOp, Expr, ExprKind, Operand, Rhs, StepKind};
use crate::expr::cond::{Atom, AtomOp, Cond, Source, Val};
use crate::expr::label::Label;
use crate::expr::parse::Limits;
use crate::scheme::{Scheme, Type};

/// The functions of `expressions.md` §6.
pub const FUNCTIONS: &[&str] = &[
    "any",
    "all",
    "lower",
    "upper",
    "len",
    "starts_with",
    "ends_with",
    "concat",
];

/// Checks an expression against a scheme.
///
/// # Errors
/// Every independent type error, each with its span.
pub fn check_with(expr: &Expr, scheme: &Scheme, limits: &Limits) -> Result<Cond, Vec<Diagnostic>> {
    check_labelled(expr, None, scheme, limits)
}

/// Checks an expression parsed from `src`, whose labels are then rendered
/// from `src` when first asked for rather than printed now.
///
/// # Errors
/// Every independent type error, each with its span.
pub fn check_source(
    expr: &Expr,
    src: &str,
    scheme: &Scheme,
    limits: &Limits,
) -> Result<Cond, Vec<Diagnostic>> {
    check_labelled(expr, Some(src.into()), scheme, limits)
}

fn check_labelled(
    expr: &Expr,
    src: Option<std::sync::Arc<str>>,
    scheme: &Scheme,
    limits: &Limits,
) -> Result<Cond, Vec<Diagnostic>> {
    let mut c = Checker {
        scheme,
        limits,
        src,
        errors: Vec::new(),
        frames: Vec::new(),
    };
    let cond = c.cond(expr);
    match cond {
        Some(cond) if c.errors.is_empty() => {
            if cond.mapped {
                return Err(vec![unquantified(expr)]);
            }
            Ok(cond.cond)
        }
        _ => Err(c.errors),
    }
}

/// A checked condition and whether it is per element (an `Array<Bool>` inside a quantifier).
struct Checked {
    cond: Cond,
    mapped: bool,
}

/// A value with its type. `mapped`: it is per element of a quantifier source.
/// `pending`: a function applied to `[*]` produced an array that still needs `[*]`.
struct TVal {
    val: Val,
    ty: Type,
    mapped: bool,
    pending: bool,
}

/// What an operand stands for: a value, or a condition (`any(…)`, `starts_with(…)`).
enum Operandish {
    Value(TVal),
    Cond(Checked),
}

struct Checker<'a> {
    scheme: &'a Scheme,
    limits: &'a Limits,
    errors: Vec<Diagnostic>,
    /// One frame of sources per enclosing quantifier; `[*]` adds to the innermost.
    frames: Vec<Vec<Source>>,
    /// The text the expression parsed from, when known: labels are then
    /// rendered from it lazily.
    src: Option<std::sync::Arc<str>>,
}

impl Checker<'_> {
    /// The label of the node at `span`: lazy when the source is known, else
    /// `text` now (a tree built by hand has no source to point into).
    fn label(&self, span: crate::diag::Span, each: bool, text: impl FnOnce() -> String) -> Label {
        match &self.src {
            Some(src) => Label::of_source(src, span, each),
            None => Label::text(text()),
        }
    }
}

fn unquantified(expr: &Expr) -> Diagnostic {
    Diagnostic::new(
        ErrorKind::UnquantifiedArray,
        expr.span,
        format!("`{expr}` is an array of booleans, not a boolean"),
    )
    .with_help(format!("reduce it with `any({expr})` or `all({expr})`"))
}

impl Checker<'_> {
    fn error(&mut self, d: Diagnostic) {
        self.errors.push(d);
    }

    fn cond(&mut self, e: &Expr) -> Option<Checked> {
        match &e.kind {
            ExprKind::Logic { op, operands } => {
                let checked: Vec<Option<Checked>> = operands.iter().map(|o| self.cond(o)).collect();
                let checked: Vec<Checked> = checked.into_iter().collect::<Option<_>>()?;
                let mapped = checked.first().is_some_and(|c| c.mapped);
                if let Some((i, _)) = checked.iter().enumerate().find(|(_, c)| c.mapped != mapped) {
                    let (per_elem, single) = match (operands.first(), operands.get(i)) {
                        (Some(a), Some(b)) if mapped => (a, b),
                        (Some(a), Some(b)) => (b, a),
                        _ => return None,
                    };
                    self.error(
                        Diagnostic::new(
                            ErrorKind::TypeMismatch,
                            e.span,
                            format!(
                                "cannot combine the per-element `{per_elem}` with the single `{single}` using `{}`",
                                op.as_str()
                            ),
                        )
                        .with_help("keep only `[*]` conditions inside `any(…)`/`all(…)` and combine the rest outside"),
                    );
                    return None;
                }
                Some(Checked {
                    cond: Cond::Logic(*op, checked.into_iter().map(|c| c.cond).collect()),
                    mapped,
                })
            }
            ExprKind::Not(inner) => {
                let c = self.cond(inner)?;
                Some(Checked {
                    cond: Cond::Not(Box::new(c.cond)),
                    mapped: c.mapped,
                })
            }
            ExprKind::Test(operand) => self.test(e, operand),
            ExprKind::Compare { lhs, op, rhs } => self.compare(e, lhs, *op, rhs),
        }
    }

    fn test(&mut self, e: &Expr, operand: &Operand) -> Option<Checked> {
        if self.frames.is_empty() && has_each(operand) {
            self.error(unquantified(e));
            return None;
        }
        match self.operand(operand)? {
            Operandish::Cond(c) => Some(c),
            Operandish::Value(v) if v.ty == Type::Bool && !v.pending => Some(Checked {
                cond: Cond::Atom {
                    atom: Atom {
                        lhs: v.val,
                        op: AtomOp::IsTrue,
                    },
                    label: self.label(e.span, false, || e.to_string()),
                },
                mapped: v.mapped,
            }),
            // Inside `any`/`all`, an `Array<Bool>` is read element by element,
            // as wirefilter reads `any(not at)` and `any((at and af))`.
            Operandish::Value(v)
                if !self.frames.is_empty()
                    && !v.pending
                    && matches!(v.ty, Type::Array(ref t) if **t == Type::Bool) =>
            {
                let mut each = operand.clone();
                each.steps.push(crate::expr::ast::Step {
                    kind: StepKind::Each,
                    span: crate::diag::Span {
                        start: operand.span.end,
                        end: operand.span.end,
                    },
                });
                // The label stays what was written (`at`), not `at[*]`.
                match self.operand(&each)? {
                    Operandish::Cond(c) => Some(c),
                    Operandish::Value(v) => Some(Checked {
                        cond: Cond::Atom {
                            atom: Atom {
                                lhs: v.val,
                                op: AtomOp::IsTrue,
                            },
                            label: self.label(e.span, false, || e.to_string()),
                        },
                        mapped: v.mapped,
                    }),
                }
            }
            Operandish::Value(v) => {
                let d = if matches!(v.ty, Type::Array(ref t) if **t == Type::Bool)
                    || v.pending && v.ty == Type::Bool
                {
                    unquantified(e)
                } else {
                    let ty = if v.pending {
                        format!("Array<{}>", v.ty)
                    } else {
                        v.ty.to_string()
                    };
                    let help = if v.ty.is_container() || v.pending {
                        format!("compare each element, e.g. `any({operand}[*] == …)`")
                    } else {
                        format!("compare it with a value, e.g. `{operand} == …`")
                    };
                    Diagnostic::new(
                        ErrorKind::NotBoolean,
                        operand.span,
                        format!("`{operand}` is of type `{ty}`, not a boolean"),
                    )
                    .with_help(help)
                };
                self.error(d);
                None
            }
        }
    }

    fn compare(&mut self, e: &Expr, lhs: &Operand, op: CmpOp, rhs: &Rhs) -> Option<Checked> {
        if self.frames.is_empty() && has_each(lhs) {
            self.error(unquantified(e).with_help(format!("wrap it: `any({e})`")));
            return None;
        }
        let v = match self.operand(lhs)? {
            Operandish::Value(v) => v,
            Operandish::Cond(_) => {
                self.error(Diagnostic::new(
                    ErrorKind::TypeMismatch,
                    lhs.span,
                    format!(
                        "`{lhs}` is a boolean and cannot be compared with `{}`",
                        op.as_str()
                    ),
                ));
                return None;
            }
        };
        if v.pending || v.ty.is_container() {
            let ty = if v.pending {
                format!("Array<{}>", v.ty)
            } else {
                v.ty.to_string()
            };
            self.error(
                Diagnostic::new(
                    ErrorKind::ArrayAsScalar,
                    lhs.span,
                    format!("`{lhs}` is of type `{ty}` and cannot be compared as a single value"),
                )
                .with_help(format!(
                    "compare each element: `any({lhs}[*] {} {rhs})`",
                    op.as_str()
                )),
            );
            return None;
        }
        let atom_op = self.atom_op(&v.ty, lhs, op, rhs)?;
        Some(Checked {
            cond: Cond::Atom {
                atom: Atom {
                    lhs: v.val,
                    op: atom_op,
                },
                label: self.label(e.span, false, || e.to_string()),
            },
            mapped: v.mapped,
        })
    }

    fn atom_op(&mut self, ty: &Type, lhs: &Operand, op: CmpOp, rhs: &Rhs) -> Option<AtomOp> {
        let allowed = match op {
            CmpOp::Eq | CmpOp::Ne | CmpOp::Lt | CmpOp::Le | CmpOp::Gt | CmpOp::Ge | CmpOp::In => {
                matches!(ty, Type::Int | Type::Bytes | Type::Ip)
            }
            CmpOp::BitAnd => *ty == Type::Int,
            CmpOp::Contains | CmpOp::Matches | CmpOp::Wildcard | CmpOp::StrictWildcard => {
                *ty == Type::Bytes
            }
        };
        if !allowed {
            let help = if *ty == Type::Bool {
                format!("a boolean is tested alone: `{lhs}` or `not {lhs}`")
            } else {
                let ok: Vec<String> = CmpOp::ALL
                    .iter()
                    .filter(|o| op_accepts(**o, ty))
                    .map(|o| format!("`{}`", o.as_str()))
                    .collect();
                format!("`{ty}` accepts {}", ok.join(", "))
            };
            self.error(
                Diagnostic::new(
                    ErrorKind::TypeMismatch,
                    lhs.span.to(rhs.span()),
                    format!(
                        "`{}` cannot be applied to `{lhs}` of type `{ty}`",
                        op.as_str()
                    ),
                )
                .with_help(help),
            );
            return None;
        }
        match (op, rhs) {
            (CmpOp::In, Rhs::Set { items, .. }) => self.set(ty, items),
            (CmpOp::In, Rhs::List(name)) => self.list(ty, name),
            (_, Rhs::Lit(lit)) => match op {
                CmpOp::BitAnd => Some(AtomOp::BitAnd(self.int(lit)?)),
                CmpOp::Contains => Some(AtomOp::Contains(self.bytes(lit)?.into())),
                CmpOp::Matches => self.regex(lit),
                CmpOp::Wildcard | CmpOp::StrictWildcard => self.glob(lit, op == CmpOp::Wildcard),
                _ => Some(AtomOp::Cmp(op, self.scalar(ty, lit)?)),
            },
            _ => None,
        }
    }
}

fn op_accepts(op: CmpOp, ty: &Type) -> bool {
    match op {
        CmpOp::BitAnd => *ty == Type::Int,
        CmpOp::Contains | CmpOp::Matches | CmpOp::Wildcard | CmpOp::StrictWildcard => {
            *ty == Type::Bytes
        }
        _ => matches!(ty, Type::Int | Type::Bytes | Type::Ip),
    }
}

/// Whether an operand uses `[*]` outside a nested `any`/`all`.
fn has_each(op: &Operand) -> bool {
    if let Some(direct) = operand::index_of_mapped_call(op) {
        return has_each(&direct);
    }
    op.steps.iter().any(|s| s.kind == StepKind::Each)
        || match &op.base {
            Base::Field(_) => false,
            Base::Call { name, args } if !matches!(&*name.name, "any" | "all") => {
                match args.first() {
                    Some(Arg::Expr(Expr {
                        kind: ExprKind::Test(inner),
                        ..
                    })) => has_each(inner),
                    _ => false,
                }
            }
            Base::Call { .. } => false,
        }
}

mod operand;
mod rhs;
