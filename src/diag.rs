//! Spans and diagnostics: `Span` (byte offsets) -> line:column and caret rendering.
//!
//! Every parse and type error is a [`Diagnostic`]: a kind, a one-line message, the
//! byte span of the offending text and optional help. Line and column are computed
//! only when rendering and are counted in characters, so carets stay aligned on
//! non-ASCII input (wirefilter counts bytes and misaligns there).

use serde::Serialize;
use std::fmt::{self, Write as _};

/// A byte range `start..end` in an expression's source text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
pub struct Span {
    /// First byte.
    pub start: u32,
    /// One past the last byte.
    pub end: u32,
}

impl Span {
    /// The span `start..end`; offsets past `u32::MAX` saturate (inputs are limited to 64 KiB).
    pub fn new(start: usize, end: usize) -> Span {
        let clamp = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        Span {
            start: clamp(start),
            end: clamp(end.max(start)),
        }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    /// The text this span covers, or `""` when it does not fit `src`.
    pub fn text(self, src: &str) -> &str {
        src.get(self.start as usize..self.end as usize)
            .unwrap_or("")
    }
}

/// What went wrong; `as_str` is the stable JSON `kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// `os.name ==` (input ends where something was expected)
    UnexpectedEnd,
    /// `os.name == "a" )` or `os.name == "mac" AND x`
    UnexpectedToken,
    /// `"abc`
    UnterminatedString,
    /// `"\q"`
    InvalidEscape,
    /// `09`, `99999999999999999999`
    InvalidInt,
    /// `windows` where a value was expected, `10.0.0.256`
    InvalidLiteral,
    /// `10.0.0.1/8` (host bits set), `10.0.0.1/33`
    InvalidCidr,
    /// `1..0`, `10.0.0.1..::1`
    InvalidRange,
    /// `x[]`, `x[-1]`
    InvalidIndex,
    /// `{"a", "b"}`
    CommaInSet,
    /// `'mac'`
    SingleQuote,
    /// `not in`, `=`, `===`, `!~`
    UnknownOperator,
    /// `$Bad.` list name
    InvalidListName,
    /// more than the nesting limit of parentheses, `not`, calls
    NestingTooDeep,
    /// more than the expression length limit
    ExpressionTooLong,
    /// more than the set size limit
    TooManySetItems,
    /// `identity.emial`
    UnknownField,
    /// `lowr(x)`
    UnknownFunction,
    /// `identity.email == 5`, `os.name & 1`
    TypeMismatch,
    /// `identity.groups.name == "eng"`
    ArrayAsScalar,
    /// `any(x[*] == 1)` outside a quantifier, `x[*] == 1` alone
    UnquantifiedArray,
    /// `len()`, `starts_with(x)`
    WrongArgumentCount,
    /// `starts_with(x, y)` where `y` is not a literal, `[*]` in a later argument
    InvalidArgument,
    /// `matches "("`
    InvalidRegex,
    /// a regex over the compiled size limit
    RegexTooLarge,
    /// `wildcard "a**"`
    InvalidWildcard,
    /// `in $nope`
    UnknownList,
    /// `ip.src in $emails` (a list of another type)
    ListTypeMismatch,
    /// `os.name` as a whole expression
    NotBoolean,
}

impl ErrorKind {
    /// The stable snake_case name used as the JSON `kind`.
    pub fn as_str(self) -> &'static str {
        use ErrorKind::*;
        match self {
            UnexpectedEnd => "unexpected_end",
            UnexpectedToken => "unexpected_token",
            UnterminatedString => "unterminated_string",
            InvalidEscape => "invalid_escape",
            InvalidInt => "invalid_int",
            InvalidLiteral => "invalid_literal",
            InvalidCidr => "invalid_cidr",
            InvalidRange => "invalid_range",
            InvalidIndex => "invalid_index",
            CommaInSet => "comma_in_set",
            SingleQuote => "single_quote",
            UnknownOperator => "unknown_operator",
            InvalidListName => "invalid_list_name",
            NestingTooDeep => "nesting_too_deep",
            ExpressionTooLong => "expression_too_long",
            TooManySetItems => "too_many_set_items",
            UnknownField => "unknown_field",
            UnknownFunction => "unknown_function",
            TypeMismatch => "type_mismatch",
            ArrayAsScalar => "array_as_scalar",
            UnquantifiedArray => "unquantified_array",
            WrongArgumentCount => "wrong_argument_count",
            InvalidArgument => "invalid_argument",
            InvalidRegex => "invalid_regex",
            RegexTooLarge => "regex_too_large",
            InvalidWildcard => "invalid_wildcard",
            UnknownList => "unknown_list",
            ListTypeMismatch => "list_type_mismatch",
            NotBoolean => "not_boolean",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One error in one expression: kind, message, span and optional help.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// What went wrong.
    pub kind: ErrorKind,
    /// One lowercase line, user text in backticks, no final period.
    pub message: String,
    /// The offending text.
    pub span: Span,
    /// What to write instead, shown under the carets.
    pub help: Option<String>,
}

impl Diagnostic {
    /// A diagnostic without help.
    pub fn new(kind: ErrorKind, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            kind,
            message: message.into(),
            span,
            help: None,
        }
    }

    /// The same diagnostic with help text.
    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// The JSON form of `expressions.md` §11.
    pub fn to_json(&self, src: &str) -> serde_json::Value {
        let (line, column) = line_col(src, self.span.start as usize);
        let mut obj = serde_json::json!({
            "kind": self.kind.as_str(),
            "message": self.message,
            "span": self.span,
            "line": line,
            "column": column,
        });
        if let (Some(help), Some(map)) = (&self.help, obj.as_object_mut()) {
            map.insert("help".into(), help.clone().into());
        }
        obj
    }

    /// The caret rendering of `expressions.md` §11. `origin`, when given, is written
    /// before the line:column (`config.json: $.device_profiles[2].match`).
    pub fn render(&self, src: &str, origin: Option<&str>) -> String {
        let start = self.span.start as usize;
        let (line, column) = line_col(src, start);
        let mut out = format!("error: {}\n", self.message);
        match origin {
            Some(o) => {
                let _ = writeln!(out, " --> {o}, {line}:{column}");
            }
            None => {
                let _ = writeln!(out, " --> {line}:{column}");
            }
        }
        let line_text = src.lines().nth(line - 1).unwrap_or("");
        let number = line.to_string();
        let pad = " ".repeat(number.len());
        let _ = writeln!(out, "{pad} |");
        // The caret run covers the span's characters on its first line; an empty span
        // (the end of input) still gets one caret.
        let line_start = line_start(src, start);
        let line_end = line_start + line_text.len();
        let span_end = (self.span.end as usize).clamp(start, line_end);
        let width = src
            .get(start..span_end)
            .map_or(0, |s| s.chars().count())
            .max(1);
        // A long line (a 100 KB expression) shows a window around the error,
        // not the whole line and thousands of carets.
        let chars: Vec<char> = line_text
            .chars()
            .map(|c| if c == '\t' { ' ' } else { c })
            .collect();
        let from = if chars.len() > EXCERPT {
            (column - 1).saturating_sub(EXCERPT / 4)
        } else {
            0
        };
        let to = chars.len().min(from + EXCERPT);
        let head = if from > 0 { "…" } else { "" };
        let tail = if to < chars.len() { "…" } else { "" };
        let shown: String = chars.get(from..to).unwrap_or_default().iter().collect();
        let _ = writeln!(out, "{number} | {head}{shown}{tail}");
        let offset = column - 1 - from + head.chars().count();
        let width = width.min((to + 1).saturating_sub(column).max(1));
        let _ = write!(out, "{pad} | {}{}", " ".repeat(offset), "^".repeat(width));
        if let Some(help) = &self.help {
            let _ = write!(out, " {help}");
        }
        out.push('\n');
        out
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(help) = &self.help {
            write!(f, " ({help})")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostic {}

/// 1-based line and column (in characters) of byte offset `at`.
pub fn line_col(src: &str, at: usize) -> (usize, usize) {
    let at = floor_char_boundary(src, at);
    let before = src.get(..at).unwrap_or("");
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
    (line, column)
}

/// Byte offset of the start of `at`'s line.
fn line_start(src: &str, at: usize) -> usize {
    let at = floor_char_boundary(src, at);
    src.get(..at)
        .and_then(|before| before.rfind('\n'))
        .map_or(0, |i| i + 1)
}

fn floor_char_boundary(src: &str, at: usize) -> usize {
    let mut at = at.min(src.len());
    while !src.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// The most characters of one source line an error shows.
const EXCERPT: usize = 120;

/// Renders several diagnostics of one source, separated by blank lines.
pub fn render_all(diags: &[Diagnostic], src: &str, origin: Option<&str>) -> String {
    diags
        .iter()
        .map(|d| d.render(src, origin))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The name among `candidates` closest to `name`, if close enough to be a likely typo.
pub fn did_you_mean<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(2);
    candidates
        .map(|c| (strsim::levenshtein(name, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// ` (did you mean `X`?); the names are: A, B, …` for a name that is none of
/// `names` (at most 12 listed).
pub fn names_hint<'a>(name: &str, names: impl Iterator<Item = &'a str> + Clone) -> String {
    let lower = name.to_lowercase();
    let guess = did_you_mean(
        &lower,
        names
            .clone()
            .map(str::to_lowercase)
            .collect::<Vec<_>>()
            .iter()
            .map(String::as_str),
    )
    .and_then(|g| names.clone().find(|n| n.to_lowercase() == g));
    let all: Vec<String> = names.take(13).map(|n| format!("`{n}`")).collect();
    let mut out = String::new();
    if let Some(g) = guess {
        out.push_str(&format!(" (did you mean `{g}`?)"));
    }
    if !all.is_empty() {
        let more = if all.len() > 12 { ", …" } else { "" };
        out.push_str(&format!(
            "; the names are {}{more}",
            all.iter().take(12).cloned().collect::<Vec<_>>().join(", ")
        ));
    }
    out
}

/// "a string", "an array", … for messages.
pub(crate) fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// `.key` for simple keys, `["github-organization"]` for others.
pub fn path_key(k: &str) -> String {
    let mut s = String::with_capacity(k.len() + 1);
    push_path_key(&mut s, k);
    s
}

/// Appends `[i]` to `out`: by hand (`format!` was an eighth of loading 1,000
/// groups), as paths are built for every record and rule of a configuration.
pub fn push_path_index(out: &mut String, i: usize) {
    out.push('[');
    out.push_str(itoa::Buffer::new().format(i));
    out.push(']');
}

/// Appends `path_key(k)` to `out`: by hand, as paths are built for every
/// rule of a configuration.
pub fn push_path_key(out: &mut String, k: &str) {
    if k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') && !k.is_empty() {
        out.push('.');
        out.push_str(k);
    } else {
        out.push('[');
        out.push_str(&serde_json::Value::from(k).to_string());
        out.push(']');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caret_under_non_ascii() {
        let src = "identity.name == \"Zoë\" and bad";
        let d = Diagnostic::new(
            ErrorKind::UnknownField,
            Span::new(28, 31),
            "unknown field `bad`",
        );
        let r = d.render(src, None);
        assert!(r.contains(" --> 1:28"), "{r}");
        assert!(r.ends_with("  |                            ^^^\n"), "{r}");
    }

    #[test]
    fn empty_span_at_end_gets_one_caret() {
        let src = "a and";
        let d = Diagnostic::new(ErrorKind::UnexpectedEnd, Span::new(5, 5), "x");
        assert!(d.render(src, None).ends_with("|      ^\n"));
    }
}
