//! Expression text -> `ast::Expr` | `Diagnostic`. One function per precedence layer
//! (or < xor < and < not < comparison), lexemes from lex.rs. Knows no scheme: whether
//! a name is a field and which literal kinds fit is check.rs's job.

use crate::ast::{
    Arg, Base, CmpOp, Expr, ExprKind, Ident, LitKind, Literal, LogicOp, Operand, Rhs, SetItem,
    Step, StepKind,
};
use crate::diag::{Diagnostic, ErrorKind, Span};
use crate::lex::{self, Escapes, StrError, describe, keyword, ws};
use crate::literal;
use crate::scheme::did_you_mean;

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
                let (r, args) = self.args(args_start)?;
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

    fn args(&mut self, i: &'s str) -> PResult<'s, Vec<Arg>> {
        let mut args = Vec::new();
        let mut i = ws(i);
        if let Some(rest) = i.strip_prefix(')') {
            return Ok((rest, args));
        }
        loop {
            let (rest, arg) = self.arg(ws(i))?;
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

    fn arg(&mut self, i: &'s str) -> PResult<'s, Arg> {
        let literal_start = i.starts_with(['"', '-', '\''])
            || i.starts_with(|c: char| c.is_ascii_digit())
            || lex::raw(i).is_some();
        if literal_start {
            let (rest, lit) = self.literal(i, Escapes::Bytes)?;
            return Ok((rest, Arg::Lit(lit)));
        }
        let (rest, e) = self.expr(i)?;
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

    /// A comparison operator at `i`, if there is one. `&&`, `and` and the like are
    /// not: they end the comparison. Misspellings are errors with help.
    fn cmp_op(&self, i: &'s str) -> Result<Option<(CmpOp, &'s str)>, Diagnostic> {
        let bad = |len: usize, text: &str, help: &str| {
            Err(Diagnostic::new(
                ErrorKind::UnknownOperator,
                self.span_len(i, len),
                format!("unknown operator `{text}`"),
            )
            .with_help(help.to_string()))
        };
        // Every operator and every misspelling below starts with one of these.
        if !i.starts_with(|c: char| c.is_ascii_alphabetic() || "=!<>&~".contains(c)) {
            return Ok(None);
        }
        if i.starts_with("===") {
            return bad(3, "===", "use `==`");
        }
        if i.starts_with("!~") {
            return bad(2, "!~", "use `not (x matches \"…\")`");
        }
        if i.starts_with("=~") {
            return bad(2, "=~", "use `matches` or `~`");
        }
        if i.starts_with('=') && !i.starts_with("==") {
            return bad(1, "=", "use `==`");
        }
        if i.starts_with("&&") {
            return Ok(None);
        }
        if let Some(rest) = keyword(i, "not")
            && let Some(end) = keyword(ws(rest), "in")
        {
            return bad(
                self.off(end) - self.off(i),
                "not in",
                "use `not (x in {…})`",
            );
        }
        if let Some(rest) = keyword(i, "strict") {
            return match keyword(ws(rest), "wildcard") {
                Some(r) => Ok(Some((CmpOp::StrictWildcard, r))),
                None => Err(self.unexpected(rest, "`wildcard` after `strict`")),
            };
        }
        // Symbolic spellings are prefixes of each other: `<=` before `<`.
        for (s, op) in [("<=", CmpOp::Le), (">=", CmpOp::Ge)] {
            if let Some(rest) = i.strip_prefix(s) {
                return Ok(Some((op, rest)));
            }
        }
        // A word is an operator only as a whole word; a symbol needs no boundary.
        let word = lex::word(i).ok();
        let spelled = |s: &str| match word {
            Some((rest, w)) => (w == s).then_some(rest),
            None => i.strip_prefix(s),
        };
        for op in CmpOp::ALL {
            for s in op.spellings() {
                if let Some(rest) = spelled(s) {
                    return Ok(Some((op, rest)));
                }
            }
        }
        if let Some((_, w)) = word {
            let lower = w.to_ascii_lowercase();
            let is_op_word = CmpOp::ALL
                .iter()
                .any(|op| op.spellings().contains(&lower.as_str()));
            if w != lower && is_op_word {
                return Err(Diagnostic::new(
                    ErrorKind::UnexpectedToken,
                    self.span_len(i, w.len()),
                    format!("unknown operator `{w}`"),
                )
                .with_help(format!("keywords are lowercase: `{lower}`")));
            }
        }
        Ok(None)
    }

    fn rhs(&mut self, i: &'s str, op: CmpOp, op_at: &'s str) -> PResult<'s, Rhs> {
        let op_text = op_at.get(..op_at.len() - i.len()).unwrap_or("").trim_end();
        match op {
            CmpOp::In => {
                if let Some(inner) = i.strip_prefix('{') {
                    return self.set(inner, i);
                }
                if let Some(name_start) = i.strip_prefix('$') {
                    return self.list(name_start, i);
                }
                Err(self.unexpected(i, "a set `{…}` or a list `$name` after `in`"))
            }
            CmpOp::Matches => {
                if !(i.starts_with(['"', '\'']) || lex::raw(i).is_some()) {
                    return Err(self.unexpected(i, &format!("a regex string after `{op_text}`")));
                }
                let (rest, lit) = self.literal(i, Escapes::Regex)?;
                Ok((rest, Rhs::Lit(lit)))
            }
            _ => {
                if let Some(name_start) = i.strip_prefix('$') {
                    let name = lex::list_name(name_start).map_or("", |(_, n)| n);
                    return Err(Diagnostic::new(
                        ErrorKind::UnexpectedToken,
                        self.span_len(i, 1 + name.len()),
                        format!("a list can only be used with `in`, not `{op_text}`"),
                    )
                    .with_help(format!("write `in ${name}`")));
                }
                // Contains and wildcard take Bytes: a string or hex bytes (`61:62`).
                let what = match op {
                    CmpOp::Contains | CmpOp::Wildcard | CmpOp::StrictWildcard => "a string",
                    _ => "a value",
                };
                if ws(i).is_empty()
                    || lex::token(i).is_none()
                        && !i.starts_with(['"', '\''])
                        && lex::raw(i).is_none()
                {
                    return Err(self.unexpected(i, &format!("{what} after `{op_text}`")));
                }
                // `a & b` meant as `a && b`: a word that is no value at all after `&`.
                let stray_word = lex::raw(i).is_none()
                    && i.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                    && lex::token(i).is_some_and(|(_, t)| literal::validate(t).is_err());
                if op == CmpOp::BitAnd && stray_word {
                    let len = lex::word(i).map_or(1, |(_, w)| w.len());
                    let d = Diagnostic::new(
                        ErrorKind::UnexpectedToken,
                        self.span_len(i, len),
                        format!(
                            "expected an integer after `{op_text}`, found {}",
                            describe(i)
                        ),
                    );
                    return Err(match op_text {
                        "&" => d.with_help("`&` is bitwise and; the logical and is `&&` or `and`"),
                        _ => d,
                    });
                }
                let (rest, lit) = self.literal(i, Escapes::Bytes)?;
                Ok((rest, Rhs::Lit(lit)))
            }
        }
    }

    fn set(&mut self, i: &'s str, open: &'s str) -> PResult<'s, Rhs> {
        let mut items = Vec::with_capacity(8);
        let mut i = ws(i);
        loop {
            if let Some(rest) = i.strip_prefix('}') {
                return Ok((
                    rest,
                    Rhs::Set {
                        items,
                        span: self.span(open, rest),
                    },
                ));
            }
            if i.starts_with(',') {
                return Err(Diagnostic::new(
                    ErrorKind::CommaInSet,
                    self.span_len(i, 1),
                    "set items are not separated by commas",
                )
                .with_help("separate items with spaces: `{\"a\" \"b\"}`"));
            }
            if i.is_empty() {
                return Err(Diagnostic::new(
                    ErrorKind::UnexpectedEnd,
                    self.span_len(open, 1),
                    "unclosed set: expected `}`",
                ));
            }
            if items.len() >= self.limits.max_set_items {
                return Err(Diagnostic::new(
                    ErrorKind::TooManySetItems,
                    self.span(open, i),
                    format!(
                        "set has more than the limit of {} items",
                        self.limits.max_set_items
                    ),
                ));
            }
            let (rest, low) = self.literal(i, Escapes::Bytes)?;
            if let Some(high_start) = ws(rest).strip_prefix("..") {
                self.check_range_syntax(&low, rest, high_start)?;
            }
            let (rest, item) = match rest.strip_prefix("..") {
                Some(high_start) => {
                    if lex::token(high_start).is_none()
                        && !high_start.starts_with(['"', '\''])
                        && lex::raw(high_start).is_none()
                    {
                        return Err(self.unexpected(high_start, "the end of the range after `..`"));
                    }
                    let (rest, high) = self.literal(high_start, Escapes::Bytes)?;
                    (rest, SetItem::Range(low, high))
                }
                _ => (rest, SetItem::One(low)),
            };
            items.push(item);
            let next = ws(rest);
            if next.len() == rest.len() && !next.is_empty() && !next.starts_with(['}', ',']) {
                return Err(self.unexpected(next, "a space between set items"));
            }
            i = next;
        }
    }

    /// A `..` after the set item `low` (`rest` follows `low`, `high` follows `..`) has
    /// no spaces around it. Which ends fit the left-hand type is check.rs's job.
    fn check_range_syntax(&self, low: &Literal, rest: &str, high: &str) -> Result<(), Diagnostic> {
        let dots = ws(rest);
        if dots.len() != rest.len() || ws(high).len() != high.len() {
            let dots_span = self.span_len(dots, 2);
            let high = lex::token(ws(high)).map_or("…", |(_, t)| t);
            return Err(Diagnostic::new(
                ErrorKind::InvalidRange,
                dots_span,
                "a range has no spaces around `..`",
            )
            .with_help(format!("write `{low}..{high}`")));
        }
        Ok(())
    }

    fn list(&mut self, i: &'s str, dollar: &'s str) -> PResult<'s, Rhs> {
        let Ok((rest, name)) = lex::list_name(i) else {
            return Err(self.unexpected(i, "a list name after `$`"));
        };
        if name.starts_with('.') || name.ends_with('.') {
            return Err(Diagnostic::new(
                ErrorKind::InvalidListName,
                self.span(dollar, rest),
                format!("invalid list name `{name}`: it may not start or end with `.`"),
            ));
        }
        Ok((
            rest,
            Rhs::List(Ident {
                name: name.into(),
                span: self.span(dollar, rest),
            }),
        ))
    }

    fn literal(&mut self, i: &'s str, escapes: Escapes) -> PResult<'s, Literal> {
        if let Some(body) = i.strip_prefix('\'') {
            // Up to the closing `'`, or to the end of input when there is none.
            let (text, end) = match body.find('\'') {
                Some(n) => (body.get(..n).unwrap_or(""), n + 2),
                None => (body, i.len()),
            };
            return Err(Diagnostic::new(
                ErrorKind::SingleQuote,
                self.span_len(i, end),
                "strings use double quotes, not single quotes",
            )
            .with_help(format!("write `\"{text}\"`")));
        }
        if let Some(raw) = lex::raw(i) {
            let (rest, text, hashes) = raw.map_err(|e| self.str_error(i, e))?;
            return Ok((
                rest,
                Literal {
                    kind: LitKind::Raw {
                        text: text.into(),
                        hashes,
                    },
                    span: self.span(i, rest),
                },
            ));
        }
        if i.starts_with('"') {
            let (rest, bytes) = lex::quoted(i, escapes).map_err(|e| self.str_error(i, e))?;
            let kind = match escapes {
                // Regex text is what the user wrote (minus `\"`), so it is valid UTF-8.
                Escapes::Regex => LitKind::Regex(String::from_utf8_lossy(&bytes).into()),
                Escapes::Bytes => LitKind::Str(bytes.into()),
            };
            return Ok((
                rest,
                Literal {
                    kind,
                    span: self.span(i, rest),
                },
            ));
        }
        let Some((rest, text)) = lex::token(i) else {
            return Err(self.unexpected(i, "a value"));
        };
        if let Err((message, help)) = literal::validate(text) {
            let kind = if literal::looks_like_int(text) || literal::has_radix_prefix(text) {
                ErrorKind::InvalidInt
            } else if literal::looks_like_net(text) {
                ErrorKind::InvalidCidr
            } else {
                ErrorKind::InvalidLiteral
            };
            let d = Diagnostic::new(kind, self.span(i, rest), message);
            let help = match ws(rest).starts_with('(') {
                true => Some("the right-hand side is a literal, not a function call".to_string()),
                false => help,
            };
            return Err(match help {
                Some(h) => d.with_help(h),
                None => d,
            });
        }
        Ok((
            rest,
            Literal {
                kind: LitKind::Token(text.into()),
                span: self.span(i, rest),
            },
        ))
    }

    fn str_error(&self, at: &str, e: StrError) -> Diagnostic {
        let start = self.off(at);
        match e {
            StrError::Unterminated => Diagnostic::new(
                ErrorKind::UnterminatedString,
                Span::new(start, self.src.len()),
                "unterminated string",
            )
            .with_help("add the closing `\"`"),
            StrError::BadEscape(a, b) => {
                let text = at.get(a..b).unwrap_or("");
                Diagnostic::new(
                    ErrorKind::InvalidEscape,
                    Span::new(start + a, start + b),
                    format!("invalid escape `{text}`"),
                )
                .with_help("escapes are `\\\"`, `\\\\`, `\\xHH` and `\\OOO`; a raw string `r\"…\"` has none")
            }
            StrError::TooManyHashes => Diagnostic::new(
                ErrorKind::InvalidLiteral,
                self.span_len(at, 1),
                "a raw string may have at most 255 `#`",
            ),
        }
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
