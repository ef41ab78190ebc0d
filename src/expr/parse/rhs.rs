//! Comparison operators and right-hand sides: literals (quoted, raw, unquoted
//! tokens), sets with ranges, and `$lists`.

use super::{PResult, Parser};
use crate::diag::{Diagnostic, ErrorKind, Span};
use crate::expr::ast::{CmpOp, Ident, LitKind, Literal, Rhs, SetItem};
use crate::expr::lex::{self, Escapes, StrError, describe, keyword, ws};
use crate::literal;

impl<'s> Parser<'s> {
    /// A comparison operator at `i`, if there is one. `&&`, `and` and the like are
    /// not: they end the comparison. Misspellings are errors with help.
    pub(super) fn cmp_op(&self, i: &'s str) -> Result<Option<(CmpOp, &'s str)>, Diagnostic> {
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

    pub(super) fn rhs(&mut self, i: &'s str, op: CmpOp, op_at: &'s str) -> PResult<'s, Rhs> {
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
                // Wildcard patterns are strings only, as wirefilter has them.
                if matches!(op, CmpOp::Wildcard | CmpOp::StrictWildcard)
                    && !(i.starts_with(['"', '\'']) || lex::raw(i).is_some())
                {
                    let d =
                        self.unexpected(i, &format!("a quoted or raw string after `{op_text}`"));
                    return Err(match lex::token(i) {
                        Some((_, t)) if !t.is_empty() => {
                            let text = literal::parse_hex_bytes(t)
                                .ok()
                                .map(|b| String::from_utf8_lossy(&b).into_owned())
                                .unwrap_or_else(|| t.to_string());
                            d.with_help(format!(
                                "write the pattern as a string: `{op_text} {}`",
                                crate::expr::ast::quoted_text(text.as_bytes())
                            ))
                        }
                        _ => d,
                    });
                }
                // Contains takes Bytes: a string or hex bytes (`61:62`).
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

    pub(super) fn set(&mut self, i: &'s str, open: &'s str) -> PResult<'s, Rhs> {
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
            // As in wirefilter, a delimited item (`"a"`, `r"a"`) needs no space
            // before the next: `{"a""b"}`. Two unquoted tokens do.
            let delimited = matches!(
                &item,
                SetItem::One(Literal {
                    kind: LitKind::Str(_) | LitKind::Raw { .. },
                    ..
                }) | SetItem::Range(
                    _,
                    Literal {
                        kind: LitKind::Str(_) | LitKind::Raw { .. },
                        ..
                    }
                )
            );
            items.push(item);
            let next = ws(rest);
            if next.len() == rest.len()
                && !next.is_empty()
                && !next.starts_with(['}', ','])
                && !delimited
                && !next.starts_with('"')
                && lex::raw(next).is_none()
            {
                return Err(self.unexpected(next, "a space between set items"));
            }
            i = next;
        }
    }

    /// A `..` after the set item `low` (`rest` follows `low`, `high` follows `..`) has
    /// no spaces around it. Which ends fit the left-hand type is check.rs's job.
    pub(super) fn check_range_syntax(
        &self,
        low: &Literal,
        rest: &str,
        high: &str,
    ) -> Result<(), Diagnostic> {
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

    pub(super) fn list(&mut self, i: &'s str, dollar: &'s str) -> PResult<'s, Rhs> {
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

    pub(super) fn literal(&mut self, i: &'s str, escapes: Escapes) -> PResult<'s, Literal> {
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

    pub(super) fn str_error(&self, at: &str, e: StrError) -> Diagnostic {
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
