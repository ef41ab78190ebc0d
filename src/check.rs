//! `Expr` + `Scheme` -> `Cond` | every type error found. Resolves names to ids,
//! reads literals as the left-hand side's type, compiles regexes under the size
//! limit, and turns each `[*]` inside `any(…)`/`all(…)` into a quantifier source.

use crate::ast::{
    Arg, Base, CmpOp, Expr, ExprKind, Ident, LitKind, Literal, Operand, Rhs, SetItem, StepKind,
};
use crate::cond::{Atom, AtomOp, Cond, Glob, Pattern, Scalar, Source, Val};
use crate::diag::{Diagnostic, ErrorKind};
use crate::label::Label;
use crate::literal;
use crate::parse::Limits;
use crate::scheme::{Scheme, Type, did_you_mean};
use crate::sets::{BytesSet, IntRanges, IpRanges};

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

/// Checks an expression against a scheme with the default limits.
///
/// # Errors
/// Every independent type error, each with its span.
pub fn check(expr: &Expr, scheme: &Scheme) -> Result<Cond, Vec<Diagnostic>> {
    check_with(expr, scheme, &Limits::default())
}

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

    fn scalar(&mut self, ty: &Type, lit: &Literal) -> Option<Scalar> {
        match ty {
            Type::Int => self.int(lit).map(Scalar::Int),
            Type::Bytes => self.bytes(lit).map(|b| Scalar::Bytes(b.into())),
            _ => self.ip(lit).map(Scalar::Ip),
        }
    }

    fn mismatch(&mut self, lit: &Literal, expected: &str, help: Option<String>) {
        let found = match &lit.kind {
            LitKind::Str(_) | LitKind::Raw { .. } | LitKind::Regex(_) => {
                format!("the string `{lit}`")
            }
            LitKind::Token(t) => format!("`{t}`"),
        };
        let d = Diagnostic::new(
            ErrorKind::TypeMismatch,
            lit.span,
            format!("expected {expected}, found {found}"),
        );
        self.error(match help {
            Some(h) => d.with_help(h),
            None => d,
        });
    }

    fn token_error(&mut self, lit: &Literal, kind: ErrorKind, message: String) {
        self.error(Diagnostic::new(kind, lit.span, message));
    }

    fn int(&mut self, lit: &Literal) -> Option<i64> {
        match &lit.kind {
            LitKind::Token(t) if literal::looks_like_int(t) => match literal::parse_int(t) {
                Ok(n) => Some(n),
                Err(m) => {
                    self.token_error(lit, ErrorKind::InvalidInt, m);
                    None
                }
            },
            _ => {
                self.mismatch(lit, "an integer", None);
                None
            }
        }
    }

    /// A literal as bytes: borrowed from the tree unless it is hex to decode.
    fn bytes<'l>(&mut self, lit: &'l Literal) -> Option<std::borrow::Cow<'l, [u8]>> {
        use std::borrow::Cow;
        match &lit.kind {
            LitKind::Str(b) => Some(Cow::Borrowed(b)),
            LitKind::Raw { text, .. } => Some(Cow::Borrowed(text.as_bytes())),
            LitKind::Regex(t) => Some(Cow::Borrowed(t.as_bytes())),
            // `10.15` or `10.20.30.40` on a string field is almost always a version or an
            // address meant as text; reading it as hex bytes would never match (differs
            // from wirefilter, which reads it as bytes silently).
            LitKind::Token(t)
                if t.contains('.')
                    && t.bytes().all(|b| b.is_ascii_digit() || b == b'.')
                    && literal::parse_hex_bytes(t).is_ok() =>
            {
                let d = Diagnostic::new(
                    ErrorKind::TypeMismatch,
                    lit.span,
                    format!("`{t}` would be read as hex bytes, not as the text `{t}`"),
                )
                .with_help(format!(
                    "quote it: `\"{t}\"`; write hex bytes with `:` (`{}`)",
                    t.replace('.', ":")
                ));
                self.error(d);
                None
            }
            LitKind::Token(t) => match literal::parse_hex_bytes(t) {
                Ok(b) => Some(Cow::Owned(b)),
                Err(_) => {
                    self.mismatch(lit, "a string", Some(format!("quote it: `\"{t}\"`")));
                    None
                }
            },
        }
    }

    fn ip(&mut self, lit: &Literal) -> Option<std::net::IpAddr> {
        match &lit.kind {
            LitKind::Token(t) if literal::looks_like_net(t) => {
                self.error(
                    Diagnostic::new(
                        ErrorKind::TypeMismatch,
                        lit.span,
                        format!("a cidr `{t}` is not a single address"),
                    )
                    .with_help(format!("test membership with a set: `in {{{t}}}`")),
                );
                None
            }
            LitKind::Token(t) => match literal::parse_ip(t) {
                Ok(ip) => Some(ip),
                Err(m) => {
                    self.token_error(lit, ErrorKind::InvalidLiteral, m);
                    None
                }
            },
            LitKind::Str(b) => {
                let text = String::from_utf8_lossy(b);
                let help = literal::parse_ip(&text)
                    .ok()
                    .map(|_| format!("addresses are not quoted: `{text}`"));
                self.mismatch(lit, "an ip address", help);
                None
            }
            _ => {
                self.mismatch(lit, "an ip address", None);
                None
            }
        }
    }

    fn set(&mut self, ty: &Type, items: &[SetItem]) -> Option<AtomOp> {
        let before = self.errors.len();
        let op = match ty {
            Type::Int => {
                let mut ranges = Vec::with_capacity(items.len());
                for item in items {
                    match item {
                        SetItem::One(l) => {
                            if let Some(n) = self.int(l) {
                                ranges.push((n, n));
                            }
                        }
                        SetItem::Range(a, b) => {
                            if let (Some(x), Some(y)) = (self.int(a), self.int(b)) {
                                if x > y {
                                    self.range_error(a, b, "the start must not be after the end");
                                } else {
                                    ranges.push((x, y));
                                }
                            }
                        }
                    }
                }
                AtomOp::InInts(IntRanges::new(ranges))
            }
            Type::Ip => {
                let mut ranges = Vec::with_capacity(items.len());
                for item in items {
                    match item {
                        SetItem::One(
                            l @ Literal {
                                kind: LitKind::Token(t),
                                ..
                            },
                        ) if literal::looks_like_net(t) => match literal::parse_net(t) {
                            Ok(net) => ranges.push(IpRanges::net_range(&net)),
                            Err(m) => self.token_error(l, ErrorKind::InvalidCidr, m),
                        },
                        SetItem::One(l) => {
                            if let Some(ip) = self.ip(l) {
                                ranges.push((ip, ip));
                            }
                        }
                        SetItem::Range(a, b) => {
                            if let Some(net) = [a, b].into_iter().find(|l| is_net(l)) {
                                self.error(
                                    Diagnostic::new(
                                        ErrorKind::InvalidRange,
                                        net.span,
                                        format!("a range runs between two addresses, not from or to the cidr `{net}`"),
                                    )
                                    .with_help(format!("use the cidr alone: `{net}`")),
                                );
                            } else if let (Some(x), Some(y)) = (self.ip(a), self.ip(b)) {
                                if x.is_ipv4() != y.is_ipv4() {
                                    self.range_error(a, b, "both ends must be of one ip family");
                                } else if x > y {
                                    self.range_error(a, b, "the start must not be after the end");
                                } else {
                                    ranges.push((x, y));
                                }
                            }
                        }
                    }
                }
                AtomOp::InIps(IpRanges::new(ranges))
            }
            _ => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    match item {
                        SetItem::One(l) => {
                            if let Some(b) = self.bytes(l) {
                                out.push(b);
                            }
                        }
                        SetItem::Range(a, b) => self.error(Diagnostic::new(
                            ErrorKind::InvalidRange,
                            a.span.to(b.span),
                            "ranges are for integers and ip addresses, not strings",
                        )),
                    }
                }
                AtomOp::InBytes(BytesSet::new(out.iter().map(|b| &**b)))
            }
        };
        (self.errors.len() == before).then_some(op)
    }

    fn range_error(&mut self, a: &Literal, b: &Literal, why: &str) {
        self.error(
            Diagnostic::new(
                ErrorKind::InvalidRange,
                a.span.to(b.span),
                format!("invalid range `{a}..{b}`"),
            )
            .with_help(why),
        );
    }

    fn list(&mut self, ty: &Type, name: &Ident) -> Option<AtomOp> {
        let Some(id) = self.scheme.list(&name.name) else {
            let d = Diagnostic::new(
                ErrorKind::UnknownList,
                name.span,
                format!("unknown list `${}`", name.name),
            );
            let same_but_case = self
                .scheme
                .list_names()
                .find(|n| n.eq_ignore_ascii_case(&name.name));
            let d = match same_but_case
                .or_else(|| did_you_mean(&name.name, self.scheme.list_names()))
            {
                Some(s) => d.with_help(format!("did you mean `${s}`?")),
                None => d,
            };
            self.error(d);
            return None;
        };
        let def = self.scheme.list_def(id)?;
        if def.ty != *ty {
            self.error(Diagnostic::new(
                ErrorKind::ListTypeMismatch,
                name.span,
                format!(
                    "list `${}` holds `{}` values, not `{ty}`",
                    name.name, def.ty
                ),
            ));
            return None;
        }
        Some(AtomOp::InList(id))
    }

    fn regex(&mut self, lit: &Literal) -> Option<AtomOp> {
        let source: Box<str> = match &lit.kind {
            LitKind::Regex(t) => t.clone(),
            LitKind::Raw { text, .. } => text.clone(),
            _ => {
                self.mismatch(lit, "a regex string", None);
                return None;
            }
        };
        let built = crate::matcher::Matcher::build(&source, self.limits.max_regex_size);
        match built {
            Ok(matcher) => Some(AtomOp::Matches(Pattern { source, matcher })),
            Err(regex::Error::CompiledTooBig(limit)) => {
                self.error(Diagnostic::new(
                    ErrorKind::RegexTooLarge,
                    lit.span,
                    format!("regex compiles to more than the limit of {limit} bytes"),
                ));
                None
            }
            Err(e) => {
                let text = e.to_string();
                let why = text
                    .lines()
                    .find_map(|l| l.trim().strip_prefix("error: "))
                    .unwrap_or(text.lines().last().unwrap_or("invalid regex"))
                    .to_string();
                self.error(Diagnostic::new(
                    ErrorKind::InvalidRegex,
                    lit.span,
                    format!("invalid regex: {why}"),
                ));
                None
            }
        }
    }

    fn glob(&mut self, lit: &Literal, fold_case: bool) -> Option<AtomOp> {
        let pattern = self.bytes(lit)?;
        match parse_glob(&pattern, fold_case) {
            Ok(g) => Some(AtomOp::Wildcard(g)),
            Err(why) => {
                self.error(Diagnostic::new(
                    ErrorKind::InvalidWildcard,
                    lit.span,
                    format!("invalid wildcard: {why}"),
                ));
                None
            }
        }
    }
}

/// Splits a wildcard pattern into its literal pieces. `\*` is a literal star, `\\` a
/// backslash; `**` and other escapes are errors.
pub fn parse_glob(pattern: &[u8], fold_case: bool) -> Result<Glob, String> {
    let mut pieces = Vec::new();
    let mut cur = Vec::new();
    let mut bytes = pattern.iter().copied().peekable();
    let mut last_star = false;
    let mut star_start = false;
    while let Some(b) = bytes.next() {
        match b {
            b'*' => {
                if last_star {
                    return Err("`**` is not allowed; one `*` matches any run".into());
                }
                if pieces.is_empty() && cur.is_empty() {
                    star_start = true;
                } else {
                    pieces.push(std::mem::take(&mut cur).into_boxed_slice());
                }
                last_star = true;
                continue;
            }
            b'\\' => match bytes.next() {
                Some(e @ (b'*' | b'\\')) => cur.push(e),
                _ => return Err("only `\\*` and `\\\\` may be escaped".into()),
            },
            b => cur.push(b),
        }
        last_star = false;
    }
    let star_end = last_star;
    if !cur.is_empty() || (!star_end && pieces.is_empty() && !star_start) {
        pieces.push(cur.into_boxed_slice());
    }
    pieces.retain(|p| !p.is_empty());
    Ok(Glob {
        pieces: pieces.into_boxed_slice(),
        star_start,
        star_end,
        fold_case,
    })
}

/// An unquoted CIDR such as `10.0.0.0/8`.
fn is_net(lit: &Literal) -> bool {
    matches!(&lit.kind, LitKind::Token(t) if literal::looks_like_net(t))
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
