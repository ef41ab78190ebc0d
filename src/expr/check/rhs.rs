//! Right-hand sides read as the left-hand side's type: literals, sets (merged
//! ranges, packed byte strings), `$lists`, regexes (compiled under the size
//! limit) and wildcard patterns.

use super::Checker;
use crate::diag::{Diagnostic, ErrorKind, did_you_mean};
use crate::expr::ast::{Ident, LitKind, Literal, SetItem};
use crate::expr::cond::{AtomOp, Pattern, Scalar};
use crate::literal;
use crate::matcher::Glob;
use crate::scheme::Type;
use crate::sets::{BytesSet, IntRanges, IpRanges};

impl Checker<'_> {
    pub(super) fn scalar(&mut self, ty: &Type, lit: &Literal) -> Option<Scalar> {
        match ty {
            Type::Int => self.int(lit).map(Scalar::Int),
            Type::Bytes => self.bytes(lit).map(|b| Scalar::Bytes(b.into())),
            _ => self.ip(lit).map(Scalar::Ip),
        }
    }

    pub(super) fn mismatch(&mut self, lit: &Literal, expected: &str, help: Option<String>) {
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

    pub(super) fn token_error(&mut self, lit: &Literal, kind: ErrorKind, message: String) {
        self.error(Diagnostic::new(kind, lit.span, message));
    }

    pub(super) fn int(&mut self, lit: &Literal) -> Option<i64> {
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
    pub(super) fn bytes<'l>(&mut self, lit: &'l Literal) -> Option<std::borrow::Cow<'l, [u8]>> {
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

    pub(super) fn ip(&mut self, lit: &Literal) -> Option<std::net::IpAddr> {
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

    pub(super) fn set(&mut self, ty: &Type, items: &[SetItem]) -> Option<AtomOp> {
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
                        // `1.1.1.01` in a set is `1.1.1.1`, as wirefilter reads
                        // it (a lint warns; docs/expressions.md).
                        SetItem::One(Literal {
                            kind: LitKind::Token(t),
                            ..
                        }) if literal::leading_zero_ipv4(t).is_some() => {
                            if let Some(v4) = literal::leading_zero_ipv4(t) {
                                let ip = std::net::IpAddr::V4(v4);
                                ranges.push((ip, ip));
                            }
                        }
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

    pub(super) fn range_error(&mut self, a: &Literal, b: &Literal, why: &str) {
        self.error(
            Diagnostic::new(
                ErrorKind::InvalidRange,
                a.span.to(b.span),
                format!("invalid range `{a}..{b}`"),
            )
            .with_help(why),
        );
    }

    pub(super) fn list(&mut self, ty: &Type, name: &Ident) -> Option<AtomOp> {
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

    pub(super) fn regex(&mut self, lit: &Literal) -> Option<AtomOp> {
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

    pub(super) fn glob(&mut self, lit: &Literal, fold_case: bool) -> Option<AtomOp> {
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
pub(super) fn is_net(lit: &Literal) -> bool {
    matches!(&lit.kind, LitKind::Token(t) if literal::looks_like_net(t))
}
