//! Operands: fields, index steps, function calls and quantifiers -> typed values
//! or conditions.

use super::{Checked, Checker, FUNCTIONS, Operandish, TVal, has_each};
use crate::diag::did_you_mean;
use crate::diag::{Diagnostic, ErrorKind};
use crate::expr::ast::{Arg, Base, Expr, ExprKind, Ident, LitKind, Operand, Step, StepKind};
use crate::expr::cond::{Atom, AtomOp, Cond, PathStep, Quant, Source, Val};
use crate::scheme::Type;

impl Checker<'_> {
    pub(super) fn operand(&mut self, op: &Operand) -> Option<Operandish> {
        if let Some(direct) = index_of_mapped_call(op) {
            return self.operand(&direct);
        }
        let base = match &op.base {
            Base::Field(id) => Operandish::Value(self.field(id)?),
            Base::Call { name, args } => self.call(op, name, args)?,
        };
        if op.steps.is_empty() {
            return Some(base);
        }
        match base {
            Operandish::Value(v) => self.steps(v, &op.steps).map(Operandish::Value),
            Operandish::Cond(_) => {
                let span = op.steps.first().map_or(op.span, |s| s.span);
                self.error(Diagnostic::new(
                    ErrorKind::TypeMismatch,
                    span,
                    "a boolean cannot be indexed",
                ));
                None
            }
        }
    }

    fn field(&mut self, id: &Ident) -> Option<TVal> {
        if let Some(f) = self.scheme.field(&id.name) {
            let (_, ty) = self.scheme.field_info(f)?;
            return Some(TVal {
                val: Val::Field(f),
                ty: ty.clone(),
                mapped: false,
                pending: false,
            });
        }
        let d = Diagnostic::new(
            ErrorKind::UnknownField,
            id.span,
            format!("unknown field `{}`", id.name),
        );
        let d = if let Some(why) = self.scheme.unavailable_reason(&id.name) {
            Diagnostic::new(
                ErrorKind::UnknownField,
                id.span,
                format!("field `{}` cannot be used here: {why}", id.name),
            )
        } else if FUNCTIONS.contains(&&*id.name) {
            d.with_help(format!(
                "`{}` is a function: call it, `{}(…)`",
                id.name, id.name
            ))
        } else if let Some(s) = did_you_mean(&id.name, self.scheme.field_names()) {
            d.with_help(format!("did you mean `{s}`?"))
        } else {
            d
        };
        self.error(d);
        None
    }

    fn steps(&mut self, mut v: TVal, steps: &[Step]) -> Option<TVal> {
        for (i, step) in steps.iter().enumerate() {
            match &step.kind {
                StepKind::Each if v.pending => v.pending = false,
                StepKind::Each => return self.source(v, steps.get(i..).unwrap_or(&[])),
                StepKind::Index(_) | StepKind::Key(_) if v.pending => {
                    self.error(Diagnostic::new(
                        ErrorKind::TypeMismatch,
                        step.span,
                        "a function applied to `[*]` gives an array that only `[*]` can step into",
                    ));
                    return None;
                }
                StepKind::Index(n) => {
                    let Type::Array(t) = v.ty else {
                        return self.bad_step(&v.ty, step);
                    };
                    v = TVal {
                        val: Val::Index(Box::new(v.val), *n),
                        ty: *t,
                        ..v
                    };
                }
                StepKind::Key(k) => {
                    let Type::Map(t) = v.ty else {
                        return self.bad_step(&v.ty, step);
                    };
                    v = TVal {
                        val: Val::Key(Box::new(v.val), k.clone()),
                        ty: *t,
                        ..v
                    };
                }
            }
        }
        Some(v)
    }

    fn bad_step(&mut self, ty: &Type, step: &Step) -> Option<TVal> {
        let what = match (&step.kind, ty) {
            (StepKind::Index(_), Type::Map(_)) => {
                "a map is indexed by key, `[\"key\"]`, not by position".to_string()
            }
            (StepKind::Key(_), Type::Array(_)) => {
                "an array is indexed by position, `[0]`, not by key".to_string()
            }
            _ => format!("a value of type `{ty}` cannot be indexed"),
        };
        self.error(Diagnostic::new(ErrorKind::TypeMismatch, step.span, what));
        None
    }

    /// `base[*]…`: registers a source with the innermost quantifier and returns its element.
    fn source(&mut self, v: TVal, steps: &[Step]) -> Option<TVal> {
        if v.mapped {
            let span = steps.first().map_or_else(Default::default, |s| s.span);
            self.error(Diagnostic::new(
                ErrorKind::TypeMismatch,
                span,
                "`[*]` on a value that is already per element is not supported",
            ));
            return None;
        }
        let mut ty = v.ty;
        let mut path = Vec::with_capacity(steps.len());
        for step in steps {
            let (next, p) = match (&step.kind, &ty) {
                (StepKind::Each, Type::Array(t) | Type::Map(t)) => ((**t).clone(), PathStep::Each),
                (StepKind::Index(n), Type::Array(t)) => ((**t).clone(), PathStep::Index(*n)),
                (StepKind::Key(k), Type::Map(t)) => ((**t).clone(), PathStep::Key(k.clone())),
                _ => return self.bad_step(&ty, step),
            };
            ty = next;
            path.push(p);
        }
        let source = Source {
            base: v.val,
            steps: path.into_boxed_slice(),
        };
        let Some(frame) = self.frames.last_mut() else {
            let span = steps.first().map_or_else(Default::default, |s| s.span);
            self.error(Diagnostic::new(
                ErrorKind::UnquantifiedArray,
                span,
                "`[*]` can only be used inside `any(…)` or `all(…)`",
            ));
            return None;
        };
        let k = match frame.iter().position(|s| *s == source) {
            Some(k) => k,
            None if frame.len() < crate::expr::cond::MAX_SOURCES => {
                frame.push(source);
                frame.len() - 1
            }
            None => {
                let span = steps.first().map_or_else(Default::default, |s| s.span);
                self.error(Diagnostic::new(
                    ErrorKind::InvalidArgument,
                    span,
                    format!(
                        "one quantifier may iterate at most {} different `[*]` sources",
                        crate::expr::cond::MAX_SOURCES
                    ),
                ));
                return None;
            }
        };
        Some(TVal {
            val: Val::Elem(u16::try_from(k).unwrap_or(u16::MAX)),
            ty,
            mapped: true,
            pending: false,
        })
    }

    fn call(&mut self, op: &Operand, name: &Ident, args: &[Arg]) -> Option<Operandish> {
        let arity = |n: usize| (n, n);
        let (min, max) = match &*name.name {
            "any" | "all" | "lower" | "upper" | "len" => arity(1),
            "starts_with" | "ends_with" => arity(2),
            "concat" => (2, usize::MAX),
            _ => {
                self.unknown_function(name, args);
                return None;
            }
        };
        if args.len() < min || args.len() > max {
            let expected = if min == max {
                min.to_string()
            } else {
                format!("at least {min}")
            };
            self.error(Diagnostic::new(
                ErrorKind::WrongArgumentCount,
                op.span,
                format!(
                    "`{}` takes {expected} argument{}, found {}",
                    name.name,
                    if min == 1 { "" } else { "s" },
                    args.len()
                ),
            ));
            return None;
        }
        for arg in args.iter().skip(1) {
            if let Arg::Expr(Expr {
                kind: ExprKind::Test(inner),
                span,
            }) = arg
                && has_each(inner)
            {
                self.error(Diagnostic::new(
                    ErrorKind::InvalidArgument,
                    *span,
                    "only the first argument of a function may use `[*]`",
                ));
                return None;
            }
        }
        let first = args.first()?;
        match &*name.name {
            "any" | "all" => self.quantifier(op, name, first),
            "starts_with" | "ends_with" => {
                let v = self.value_arg(first, name)?;
                self.expect_type(&v, &Type::Bytes, first, name)?;
                let lit = self.literal_bytes(args.get(1)?, name)?;
                let atom_op = if &*name.name == "starts_with" {
                    AtomOp::StartsWith(lit)
                } else {
                    AtomOp::EndsWith(lit)
                };
                Some(Operandish::Cond(Checked {
                    cond: Cond::Atom {
                        atom: Atom {
                            lhs: v.val,
                            op: atom_op,
                        },
                        label: self.label(op.span, false, || op.to_string()),
                    },
                    mapped: v.mapped,
                }))
            }
            "lower" | "upper" => {
                let v = self.value_arg(first, name)?;
                self.expect_type(&v, &Type::Bytes, first, name)?;
                let val = if &*name.name == "lower" {
                    Val::Lower(Box::new(v.val))
                } else {
                    Val::Upper(Box::new(v.val))
                };
                Some(Operandish::Value(TVal {
                    val,
                    ty: Type::Bytes,
                    mapped: v.mapped,
                    pending: v.mapped,
                }))
            }
            "len" => {
                let v = self.value_arg(first, name)?;
                if v.pending || !matches!(v.ty, Type::Bytes | Type::Array(_)) {
                    self.arg_type_error(first, name, "`Bytes` or an array", &v);
                    return None;
                }
                Some(Operandish::Value(TVal {
                    val: Val::Len(Box::new(v.val)),
                    ty: Type::Int,
                    mapped: v.mapped,
                    pending: v.mapped,
                }))
            }
            _ => self.concat(args, name),
        }
    }

    fn concat(&mut self, args: &[Arg], name: &Ident) -> Option<Operandish> {
        let first_arg = args.first()?;
        let first = self.value_arg(first_arg, name)?;
        if first.pending || !matches!(first.ty, Type::Bytes | Type::Array(_)) {
            self.arg_type_error(first_arg, name, "`Bytes` or an array", &first);
            return None;
        }
        let mut parts = vec![first.val];
        for arg in args.iter().skip(1) {
            let part = match arg {
                Arg::Lit(_) if first.ty == Type::Bytes => {
                    Val::Bytes(self.literal_bytes(arg, name)?)
                }
                _ => {
                    let v = self.value_arg(arg, name)?;
                    if v.ty != first.ty || v.pending || v.mapped {
                        self.arg_type_error(
                            arg,
                            name,
                            &format!("`{}` like the first argument", first.ty),
                            &v,
                        );
                        return None;
                    }
                    v.val
                }
            };
            parts.push(part);
        }
        Some(Operandish::Value(TVal {
            val: Val::Concat(parts.into_boxed_slice()),
            ty: first.ty,
            mapped: first.mapped,
            pending: first.mapped,
        }))
    }

    fn quantifier(&mut self, op: &Operand, name: &Ident, arg: &Arg) -> Option<Operandish> {
        let all = &*name.name == "all";
        let Arg::Expr(e) = arg else {
            self.error(
                Diagnostic::new(
                    ErrorKind::InvalidArgument,
                    arg_span(arg),
                    format!("`{}` needs a condition over `[*]`", name.name),
                )
                .with_help(format!(
                    "e.g. `{}(identity.groups.name[*] == \"eng\")`",
                    name.name
                )),
            );
            return None;
        };
        // `any(flags)` on an `Array<Bool>` value is `any(flags[*])`.
        if let ExprKind::Test(inner) = &e.kind
            && !has_each(inner)
        {
            self.frames.push(Vec::new());
            let got = self.operand(inner);
            self.frames.pop();
            match got {
                Some(Operandish::Value(TVal {
                    val,
                    ty: Type::Array(t),
                    mapped: false,
                    pending: false,
                })) if *t == Type::Bool => {
                    let quant = Quant {
                        all,
                        sources: vec![Source {
                            base: val,
                            steps: Box::new([PathStep::Each]),
                        }],
                        body: Box::new(Cond::Atom {
                            atom: Atom {
                                lhs: Val::Elem(0),
                                op: AtomOp::IsTrue,
                            },
                            label: self.label(inner.span, true, || format!("{inner}[*]")),
                        }),
                        nil_is_false: true,
                    };
                    return Some(Operandish::Cond(Checked {
                        cond: Cond::Quant {
                            quant,
                            label: self.label(op.span, false, || op.to_string()),
                        },
                        mapped: false,
                    }));
                }
                None => return None,
                Some(_) => {}
            }
        }
        self.frames.push(Vec::new());
        let body = self.cond(e);
        let sources = self.frames.pop().unwrap_or_default();
        let body = body?;
        if !body.mapped {
            self.error(
                Diagnostic::new(
                    ErrorKind::InvalidArgument,
                    e.span,
                    format!(
                        "`{e}` is a single boolean; `{}` needs one per element",
                        name.name
                    ),
                )
                .with_help(format!(
                    "use `[*]` inside, e.g. `{}(identity.groups.name[*] == \"eng\")`, or drop `{}`",
                    name.name, name.name
                )),
            );
            return None;
        }
        let quant = Quant {
            all,
            sources,
            body: Box::new(body.cond),
            nil_is_false: false,
        };
        Some(Operandish::Cond(Checked {
            cond: Cond::Quant {
                quant,
                label: self.label(op.span, false, || op.to_string()),
            },
            mapped: false,
        }))
    }

    fn value_arg(&mut self, arg: &Arg, name: &Ident) -> Option<TVal> {
        match arg {
            Arg::Expr(Expr {
                kind: ExprKind::Test(inner),
                ..
            }) => match self.operand(inner)? {
                Operandish::Value(v) => Some(v),
                Operandish::Cond(_) => {
                    self.error(Diagnostic::new(
                        ErrorKind::InvalidArgument,
                        inner.span,
                        format!(
                            "`{}` takes a value here, not the boolean `{inner}`",
                            name.name
                        ),
                    ));
                    None
                }
            },
            _ => {
                self.error(Diagnostic::new(
                    ErrorKind::InvalidArgument,
                    arg_span(arg),
                    format!("`{}` takes a field or function call here", name.name),
                ));
                None
            }
        }
    }

    fn literal_bytes(&mut self, arg: &Arg, name: &Ident) -> Option<Box<[u8]>> {
        match arg {
            Arg::Lit(lit) if matches!(lit.kind, LitKind::Str(_) | LitKind::Raw { .. }) => {
                self.bytes(lit).map(Box::from)
            }
            _ => {
                self.error(Diagnostic::new(
                    ErrorKind::InvalidArgument,
                    arg_span(arg),
                    format!("`{}` takes a string literal here", name.name),
                ));
                None
            }
        }
    }

    fn expect_type(&mut self, v: &TVal, ty: &Type, arg: &Arg, name: &Ident) -> Option<()> {
        if v.ty == *ty && !v.pending {
            return Some(());
        }
        self.arg_type_error(arg, name, &format!("`{ty}`"), v);
        None
    }

    fn arg_type_error(&mut self, arg: &Arg, name: &Ident, expected: &str, v: &TVal) {
        let found = if v.pending {
            format!("Array<{}>", v.ty)
        } else {
            v.ty.to_string()
        };
        let d = Diagnostic::new(
            ErrorKind::TypeMismatch,
            arg_span(arg),
            format!("`{}` expects {expected}, found `{found}`", name.name),
        );
        let d = if v.ty.is_container() && !v.pending {
            d.with_help(format!(
                "apply it to each element with `[*]`: `{}({}[*])`",
                name.name,
                arg_text(arg)
            ))
        } else {
            d
        };
        self.error(d);
    }

    fn unknown_function(&mut self, name: &Ident, args: &[Arg]) {
        let d = Diagnostic::new(
            ErrorKind::UnknownFunction,
            name.span,
            format!("unknown function `{}`", name.name),
        );
        let method = name
            .name
            .rsplit_once('.')
            .filter(|(recv, f)| FUNCTIONS.contains(f) && self.scheme.field(recv).is_some());
        let lower = name.name.to_ascii_lowercase();
        let d = if let Some((recv, f)) = method {
            let call: Vec<String> = std::iter::once(recv.to_string())
                .chain(args.iter().map(arg_text))
                .collect();
            d.with_help(format!(
                "functions are not methods: write `{f}({})`",
                call.join(", ")
            ))
        } else if lower == "not" {
            d.with_help("keywords are lowercase: `not`")
        } else if FUNCTIONS.contains(&lower.as_str()) {
            d.with_help(format!("function names are lowercase: `{lower}`"))
        } else if let Some(s) = did_you_mean(&name.name, FUNCTIONS.iter().copied()) {
            d.with_help(format!("did you mean `{s}`?"))
        } else {
            d.with_help(format!(
                "the functions are {}",
                FUNCTIONS
                    .iter()
                    .map(|f| format!("`{f}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        };
        self.error(d);
    }
}

fn arg_span(arg: &Arg) -> crate::diag::Span {
    match arg {
        Arg::Expr(e) => e.span,
        Arg::Lit(l) => l.span,
    }
}

fn arg_text(arg: &Arg) -> String {
    match arg {
        Arg::Expr(e) => e.to_string(),
        Arg::Lit(l) => l.to_string(),
    }
}

/// `f(x[*], …)[n]` is `f(x[n], …)`: the call maps the elements of its first
/// argument one by one, so element `n` of its result comes from element `n`
/// (wirefilter types the call as an array and indexes it; both are nil when
/// `x` has no element `n`). `None` unless `op` has that shape.
pub(super) fn index_of_mapped_call(op: &Operand) -> Option<Operand> {
    let Base::Call { name, args } = &op.base else {
        return None;
    };
    if matches!(&*name.name, "any" | "all") {
        return None;
    }
    let first_step = op.steps.first()?;
    let StepKind::Index(n) = first_step.kind else {
        return None;
    };
    let Some(Arg::Expr(Expr {
        kind: ExprKind::Test(inner),
        span,
    })) = args.first()
    else {
        return None;
    };
    let mut eaches = inner.steps.iter().filter(|s| s.kind == StepKind::Each);
    let (Some(_), None) = (eaches.next(), eaches.next()) else {
        return None;
    };
    let mut inner = inner.clone();
    for s in &mut inner.steps {
        if s.kind == StepKind::Each {
            s.kind = StepKind::Index(n);
        }
    }
    let mut args = args.clone();
    if let Some(first) = args.first_mut() {
        *first = Arg::Expr(Expr {
            kind: ExprKind::Test(inner),
            span: *span,
        });
    }
    Some(Operand {
        base: Base::Call {
            name: name.clone(),
            args,
        },
        steps: op.steps.get(1..).unwrap_or(&[]).to_vec(),
        span: op.span,
    })
}
