//! Expression text -> `ast::Expr` | `Diagnostic`. One function per precedence layer
//! (or < xor < and < not < comparison), lexemes from lex.rs. Knows no scheme: whether
//! a name is a field and which literal kinds fit is check.rs's job.

use crate::diag::did_you_mean;
use crate::diag::{Diagnostic, ErrorKind, Span};
use crate::expr::ast::{
    Arg, Base, CmpOp, Expr, ExprKind, Ident, LitKind, LogicOp, Operand, Step, StepKind,
};
use crate::expr::lex::{self, Escapes, describe, keyword, ws};

/// Size limits of `expressions.md` §10. All are errors when exceeded, never crashes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Longest expression, in bytes.
    pub max_len: usize,
    /// Deepest nesting of parentheses, `not` and function calls.
    pub max_depth: u32,
    /// Most items in one `{…}` set.
    pub max_set_items: usize,
    /// Largest compiled regex, in bytes (checked by check.rs).
    pub max_regex_size: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_len: 64 * 1024,
            max_depth: 128,
            max_set_items: 100_000,
            max_regex_size: 10 * 1024 * 1024,
        }
    }
}

/// Parses an expression with the default limits.
///
/// # Errors
/// The first syntax error, with its span.
pub fn parse(src: &str) -> Result<Expr, Diagnostic> {
    parse_with(src, &Limits::default())
}

/// Parses an expression.
///
/// # Errors
/// The first syntax error, with its span; exceeding a limit is an error.
pub fn parse_with(src: &str, limits: &Limits) -> Result<Expr, Diagnostic> {
    if src.len() > limits.max_len {
        return Err(Diagnostic::new(
            ErrorKind::ExpressionTooLong,
            Span::new(limits.max_len, src.len()),
            format!(
                "expression is {} bytes long, more than the limit of {}",
                src.len(),
                limits.max_len
            ),
        ));
    }
    let mut p = Parser {
        src,
        depth: 0,
        limits,
    };
    let (rest, expr) = p.expr(src)?;
    let rest = ws(rest);
    if !rest.is_empty() {
        return Err(p.unexpected(rest, "`and`, `or`, `xor` or the end of the expression"));
    }
    Ok(expr)
}

type PResult<'s, T> = Result<(&'s str, T), Diagnostic>;

mod rhs;

struct Parser<'s> {
    src: &'s str,
    depth: u32,
    limits: &'s Limits,
}

/// Words that look like operators when written in the wrong case.
const KEYWORDS: &[&str] = &[
    "and",
    "or",
    "xor",
    "not",
    "in",
    "eq",
    "ne",
    "lt",
    "le",
    "gt",
    "ge",
    "contains",
    "matches",
    "wildcard",
    "strict",
    "bitwise_and",
];

impl<'s> Parser<'s> {
    fn off(&self, rest: &str) -> usize {
        self.src.len() - rest.len()
    }

    fn span(&self, from: &str, to: &str) -> Span {
        Span::new(self.off(from), self.off(to))
    }

    fn span_len(&self, at: &str, len: usize) -> Span {
        let start = self.off(at);
        Span::new(start, start + len)
    }

    /// "expected X, found Y" at the next token, with help for a keyword in the wrong case.
    fn unexpected(&self, at: &str, expected: &str) -> Diagnostic {
        let at = ws(at);
        if at.is_empty() {
            return Diagnostic::new(
                ErrorKind::UnexpectedEnd,
                self.span_len(at, 0),
                format!("expected {expected}, found end of input"),
            );
        }
        let len = lex::word(at).map_or_else(
            |_| at.chars().next().map_or(0, char::len_utf8),
            |(_, w)| w.len(),
        );
        let d = Diagnostic::new(
            ErrorKind::UnexpectedToken,
            self.span_len(at, len),
            format!("expected {expected}, found {}", describe(at)),
        );
        let found = at.get(..len).unwrap_or("");
        let lower = found.to_ascii_lowercase();
        if found != lower && KEYWORDS.contains(&lower.as_str()) {
            return d.with_help(format!("keywords are lowercase: `{lower}`"));
        }
        if at.starts_with('\'') {
            return d.with_help("strings use double quotes: `\"…\"`");
        }
        if at.starts_with('|') && !at.starts_with("||") {
            return d.with_help("the logical or is `||` or `or`");
        }
        d
    }

    /// One more level of nesting, opened by the `len` bytes at `at` (`(`, `not`, `!`).
    fn enter(&mut self, at: &str, len: usize) -> Result<(), Diagnostic> {
        self.depth += 1;
        if self.depth > self.limits.max_depth {
            return Err(Diagnostic::new(
                ErrorKind::NestingTooDeep,
                self.span_len(at, len),
                format!(
                    "expression nests deeper than the limit of {} levels",
                    self.limits.max_depth
                ),
            ));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    /// A chain of unaries joined by `or`/`xor`/`and`, read in one loop and grouped by
    /// precedence without recursion, so each nesting level costs few stack frames.
    fn expr(&mut self, i: &'s str) -> PResult<'s, Expr> {
        let (mut i, first) = self.unary(i)?;
        let mut operands = Vec::with_capacity(4);
        operands.push(first);
        let mut ops = Vec::with_capacity(3);
        loop {
            let j = ws(i);
            // Every spelling of `or`, `xor`, `and` starts with one of these.
            if !j.starts_with(['o', '|', 'x', '^', 'a', '&']) {
                break;
            }
            let found = [LogicOp::Or, LogicOp::Xor, LogicOp::And]
                .into_iter()
                .find_map(|op| {
                    op.spellings()
                        .iter()
                        .find_map(|s| keyword(j, s))
                        .map(|rest| (op, rest))
                });
            let Some((op, after_op)) = found else {
                break;
            };
            if ws(after_op).is_empty() {
                return Err(Diagnostic::new(
                    ErrorKind::UnexpectedEnd,
                    self.span(j, after_op),
                    format!(
                        "expected an expression after `{}`",
                        j.get(..j.len() - after_op.len()).unwrap_or("")
                    ),
                ));
            }
            let (rest, e) = self.unary(after_op)?;
            ops.push(op);
            operands.push(e);
            i = rest;
        }
        Ok((i, group(operands, &ops, LogicOp::Or)))
    }

    fn unary(&mut self, i: &'s str) -> PResult<'s, Expr> {
        let i = ws(i);
        let after_not = keyword(i, "not").or_else(|| {
            i.strip_prefix('!')
                .filter(|r| !r.starts_with('=') && !r.starts_with('~'))
        });
        if let Some(rest) = after_not {
            self.enter(i, i.len() - rest.len())?;
            let (rest, inner) = self.unary(rest)?;
            self.leave();
            let span = self.span(i, rest);
            return Ok((
                rest,
                Expr {
                    kind: ExprKind::Not(Box::new(inner)),
                    span,
                },
            ));
        }
        self.primary(i)
    }

    fn primary(&mut self, i: &'s str) -> PResult<'s, Expr> {
        if let Some(inner) = i.strip_prefix('(') {
            self.enter(i, 1)?;
            let (rest, e) = self.expr(inner)?;
            let rest = ws(rest);
            let Some(rest) = rest.strip_prefix(')') else {
                return Err(self.unexpected(rest, "`)`"));
            };
            self.leave();
            return Ok((rest, e));
        }
        let (rest, lhs) = self.operand(i)?;
        let j = ws(rest);
        let Some((op, after_op)) = self.cmp_op(j)? else {
            if let Some(d) = self.stray_word(&lhs, j) {
                return Err(d);
            }
            let span = lhs.span;
            return Ok((
                rest,
                Expr {
                    kind: ExprKind::Test(lhs),
                    span,
                },
            ));
        };
        let (rest, rhs) = self.rhs(ws(after_op), op, j)?;
        let span = lhs.span.to(rhs.span());
        Ok((
            rest,
            Expr {
                kind: ExprKind::Compare { lhs, op, rhs },
                span,
            },
        ))
    }

    fn operand(&mut self, i: &'s str) -> PResult<'s, Operand> {
        let Ok((rest, name)) = lex::ident(i) else {
            let d = self.unexpected(i, "a field, a function call, `not` or `(`");
            if i.starts_with(['"', '\'', '-']) || i.starts_with(|c: char| c.is_ascii_digit()) {
                return Err(d.with_help("a comparison starts with the field: `field == value`"));
            }
            return Err(d);
        };
        if matches!(name, "and" | "or" | "xor" | "in") {
            return Err(self.unexpected(i, "a field, a function call, `not` or `(`"));
        }
        let ident = Ident {
            name: name.into(),
            span: self.span(i, rest),
        };
        let (mut rest, base) = match ws(rest).strip_prefix('(') {
            Some(args_start) => {
                self.enter(ws(rest), 1)?;
                let (r, args) = self.args(args_start, name)?;
                self.leave();
                (r, Base::Call { name: ident, args })
            }
            None => (rest, Base::Field(ident)),
        };
        let mut steps = Vec::new();
        while let Some(inner) = ws(rest).strip_prefix('[') {
            let open = ws(rest);
            let (r, kind) = self.step(ws(inner), open)?;
            steps.push(Step {
                kind,
                span: self.span(open, r),
            });
            rest = r;
        }
        Ok((
            rest,
            Operand {
                base,
                steps,
                span: self.span(i, rest),
            },
        ))
    }

    /// `NOT x`, `x eqx 1`, `a notify`: a word after an operand that is not an operator.
    /// Without this the error would name the word as if `and`/`or` were the only choice.
    fn stray_word(&self, lhs: &Operand, j: &str) -> Option<Diagnostic> {
        let (_, word) = lex::word(j).ok()?;
        const LOGIC_WORDS: [&str; 3] = ["and", "or", "xor"];
        if LOGIC_WORDS.contains(&word) {
            return None;
        }
        if let (Base::Field(id), true) = (&lhs.base, lhs.steps.is_empty())
            && id.name.eq_ignore_ascii_case("not")
            && lex::ident(j).is_ok()
        {
            return Some(
                Diagnostic::new(
                    ErrorKind::UnexpectedToken,
                    id.span,
                    format!("`{}` is not a keyword", id.name),
                )
                .with_help("keywords are lowercase: `not`"),
            );
        }
        let d = Diagnostic::new(
            ErrorKind::UnexpectedToken,
            self.span_len(j, word.len()),
            format!(
                "expected a comparison operator, `and`, `or`, `xor` or the end of the expression, found `{word}`"
            ),
        );
        let words = CmpOp::ALL
            .iter()
            .flat_map(|op| op.spellings().iter().copied())
            .chain(LOGIC_WORDS)
            .filter(|w| w.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'));
        let lower = word.to_ascii_lowercase();
        Some(if word != lower && KEYWORDS.contains(&lower.as_str()) {
            d.with_help(format!("keywords are lowercase: `{lower}`"))
        } else if let Some(w) = did_you_mean(word, words).filter(|_| word.len() > 2) {
            // (A two-letter word is near every two-letter operator: no guess for those.)
            d.with_help(format!("did you mean `{w}`?"))
        } else {
            d
        })
    }

    fn args(&mut self, i: &'s str, call: &str) -> PResult<'s, Vec<Arg>> {
        let mut args = Vec::new();
        let mut i = ws(i);
        if let Some(rest) = i.strip_prefix(')') {
            return Ok((rest, args));
        }
        loop {
            let (rest, arg) = self.arg(ws(i), call)?;
            args.push(arg);
            let rest = ws(rest);
            if let Some(r) = rest.strip_prefix(',') {
                i = r;
            } else if let Some(r) = rest.strip_prefix(')') {
                return Ok((r, args));
            } else {
                return Err(self.unexpected(rest, "`,` or `)`"));
            }
        }
    }

    /// One argument, read as wirefilter reads it: a literal; a whole logical
    /// expression when it starts with `(` or `not`; otherwise one operand with
    /// at most one comparison, so that logic inside a call needs its own
    /// parentheses (`any((a[*] == "x" or a[*] == "y"))`), as Cloudflare requires.
    fn arg(&mut self, i: &'s str, call: &str) -> PResult<'s, Arg> {
        let literal_start = i.starts_with(['"', '-', '\''])
            || i.starts_with(|c: char| c.is_ascii_digit())
            || lex::raw(i).is_some();
        if literal_start {
            let (rest, lit) = self.literal(i, Escapes::Bytes)?;
            return Ok((rest, Arg::Lit(lit)));
        }
        let logical = i.starts_with('(')
            || keyword(i, "not").is_some()
            || i.starts_with('!') && !i.starts_with("!=");
        if logical {
            let (rest, e) = self.expr(i)?;
            return Ok((rest, Arg::Expr(e)));
        }
        let (rest, e) = self.primary(i)?;
        let j = ws(rest);
        let logic_follows = [LogicOp::Or, LogicOp::Xor, LogicOp::And]
            .iter()
            .flat_map(|op| op.spellings().iter())
            .any(|s| keyword(j, s).is_some());
        if logic_follows {
            // Read the whole expression only to show the accepted form.
            let whole = self
                .expr(i)
                .ok()
                .map(|(r, _)| i.get(..i.len() - r.len()).unwrap_or(i).trim_end());
            let d = Diagnostic::new(
                ErrorKind::UnexpectedToken,
                self.span(i, whole.map_or(j, |w| i.get(w.len()..).unwrap_or(""))),
                "logic inside a function call needs its own parentheses",
            );
            return Err(match whole {
                Some(w) => d.with_help(format!(
                    "write `{call}(({w}))`, the form Cloudflare accepts"
                )),
                None => d,
            });
        }
        if matches!(call, "any" | "all")
            && let ExprKind::Test(op) = &e.kind
            && op.steps.last().is_some_and(|s| s.kind == StepKind::Each)
        {
            let text = i.get(..i.len() - rest.len()).unwrap_or("").trim_end();
            return Err(Diagnostic::new(
                ErrorKind::TypeMismatch,
                e.span,
                format!("`{text}` alone is not a condition inside `{call}(…)`"),
            )
            .with_help(format!(
                "compare each element, e.g. `{call}({text} == …)`; for an array of booleans write `{call}(({text}))`"
            )));
        }
        Ok((rest, Arg::Expr(e)))
    }

    /// The inside of `[…]`, `open` pointing at `[`.
    fn step(&mut self, i: &'s str, open: &'s str) -> PResult<'s, StepKind> {
        // Past the `]` that closes a bad index, for its span.
        let after_close = || i.find(']').map_or("", |n| i.get(n + 1..).unwrap_or(""));
        let (rest, kind) = if let Some(r) = i.strip_prefix('*') {
            (r, StepKind::Each)
        } else if i.starts_with('"') {
            let (r, lit) = self.literal(i, Escapes::Bytes)?;
            match lit.kind {
                LitKind::Str(b) => (r, StepKind::Key(b)),
                _ => return Err(self.bad_index(open, r)),
            }
        } else if let Ok((r, digits)) =
            nom::character::complete::digit1::<_, nom::error::Error<&str>>(i)
        {
            if r.starts_with(lex::is_word_char) {
                // `[0x1]`, `[1st]`
                return Err(self.bad_index(open, after_close()));
            }
            match digits.parse::<u32>() {
                Ok(n) => (r, StepKind::Index(n)),
                Err(_) => {
                    let end = ws(r).strip_prefix(']').unwrap_or(r);
                    return Err(Diagnostic::new(
                        ErrorKind::InvalidIndex,
                        self.span(open, end),
                        format!("index `{digits}` is too large"),
                    )
                    .with_help(format!("the largest index is `{}`", u32::MAX)));
                }
            }
        } else {
            return Err(self.bad_index(open, after_close()));
        };
        let rest = ws(rest);
        match rest.strip_prefix(']') {
            Some(r) => Ok((r, kind)),
            None => Err(self.unexpected(rest, "`]`")),
        }
    }

    fn bad_index(&self, open: &str, end: &str) -> Diagnostic {
        let text = open.get(..open.len() - end.len()).unwrap_or("");
        Diagnostic::new(
            ErrorKind::InvalidIndex,
            self.span(open, end),
            format!("`{text}` is not an index"),
        )
        .with_help(
            "write `[*]` for every element, `[0]` for the first, `[\"key\"]` for a map value",
        )
    }
}

/// Groups `operands[0] ops[0] operands[1] …` at `level` and tighter: splits at
/// every `level` operator, then groups each run at the next tighter level.
fn group(mut operands: Vec<Expr>, ops: &[LogicOp], level: LogicOp) -> Expr {
    // The common case, one operator throughout (or none), is one node as it stands.
    match ops.split_first() {
        None if operands.len() == 1 => {
            if let Some(only) = operands.pop() {
                return only;
            }
        }
        Some((&op, rest)) if rest.iter().all(|&o| o == op) => {
            let span = match (operands.first(), operands.last()) {
                (Some(a), Some(b)) => a.span.to(b.span),
                _ => Span::default(),
            };
            return Expr {
                kind: ExprKind::Logic { op, operands },
                span,
            };
        }
        _ => {}
    }
    let mut runs: Vec<(Vec<Expr>, Vec<LogicOp>)> = vec![(Vec::new(), Vec::new())];
    for (k, e) in operands.into_iter().enumerate() {
        if let Some(run) = runs.last_mut() {
            run.0.push(e);
        }
        match ops.get(k) {
            Some(&op) if op == level => runs.push((Vec::new(), Vec::new())),
            Some(&op) => {
                if let Some(run) = runs.last_mut() {
                    run.1.push(op);
                }
            }
            None => {}
        }
    }
    let tighter = match level {
        LogicOp::Or => Some(LogicOp::Xor),
        LogicOp::Xor => Some(LogicOp::And),
        LogicOp::And => None,
    };
    let mut grouped: Vec<Expr> = runs
        .into_iter()
        .map(|(es, os)| match tighter {
            Some(t) => group(es, &os, t),
            // At the tightest level a run has no operators left: one operand.
            None => es.into_iter().next().unwrap_or(Expr {
                kind: ExprKind::Logic {
                    op: level,
                    operands: vec![],
                },
                span: Span::default(),
            }),
        })
        .collect();
    if grouped.len() == 1 {
        return grouped.remove(0);
    }
    let span = match (grouped.first(), grouped.last()) {
        (Some(a), Some(b)) => a.span.to(b.span),
        _ => Span::default(),
    };
    Expr {
        kind: ExprKind::Logic {
            op: level,
            operands: grouped,
        },
        span,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(s: &str) -> String {
        match parse(s) {
            Ok(e) => e.to_string(),
            Err(d) => format!("error {}: {}", d.kind, d.message),
        }
    }

    #[test]
    fn precedence_and_printing() {
        assert_eq!(canon("a or b and c xor d"), "a or b and c xor d");
        assert_eq!(canon("(a or b) and c"), "(a or b) and c");
        assert_eq!(canon("not a and b"), "not a and b");
        assert_eq!(canon("!(a && b)"), "not (a and b)");
        assert_eq!(canon("x eq 1"), "x == 1");
        assert_eq!(canon("x\t==\t\"a\""), "x == \"a\"");
    }

    #[test]
    fn errors() {
        assert!(canon("notify").starts_with("notify"));
        assert!(canon("os.name eqx 1").starts_with("error unexpected_token"));
        assert!(canon("a not in {1}").starts_with("error unknown_operator"));
    }
}
