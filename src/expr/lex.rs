//! Lexemes of the expression language: `&str` -> (rest, token), built from nom 8
//! combinators. Knows nothing of the grammar's layers (parse.rs) or of types (check.rs).

use nom::{
    IResult, Parser,
    bytes::complete::{take_while, take_while1},
    character::complete::satisfy,
    combinator::recognize,
    multi::many0_count,
};

type Lexed<'s, T> = IResult<&'s str, T>;

/// Skips whitespace: space, TAB, CR, LF.
pub fn ws(i: &str) -> &str {
    // Byte by byte: every whitespace character is ASCII, so no decoding is needed.
    let n = i
        .bytes()
        .take_while(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
        .count();
    i.get(n..).unwrap_or("")
}

fn is_word_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

/// A character that continues a word: a keyword must not be followed by one.
pub fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

fn segment(i: &str) -> Lexed<'_, &str> {
    recognize((satisfy(is_word_start), take_while(is_word_char))).parse(i)
}

/// A dotted name: `identity.groups.name`.
pub fn ident(i: &str) -> Lexed<'_, &str> {
    recognize((
        segment,
        many0_count((nom::character::complete::char('.'), segment)),
    ))
    .parse(i)
}

/// One word (letters, digits, `_`), for messages about what was found.
pub fn word(i: &str) -> Lexed<'_, &str> {
    take_while1(is_word_char).parse(i)
}

/// `kw` at the start of `i`, ending at a word boundary.
pub fn keyword<'s>(i: &'s str, kw: &str) -> Option<&'s str> {
    let rest = i.strip_prefix(kw)?;
    // Word characters are ASCII: the first byte decides.
    let word_byte = |b: &u8| b.is_ascii_alphanumeric() || *b == b'_';
    match rest.as_bytes().first() {
        Some(b) if word_byte(b) && kw.as_bytes().iter().all(word_byte) => None,
        _ => Some(rest),
    }
}

/// A list name after `$`: `[A-Za-z0-9_.-]+`.
pub fn list_name(i: &str) -> Lexed<'_, &str> {
    take_while1(|c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')).parse(i)
}

/// An unquoted literal token: int, IP, CIDR or hex bytes. Stops before `..`, which
/// separates the ends of a range.
pub fn token(i: &str) -> Option<(&str, &str)> {
    let bytes = i.as_bytes();
    let mut end = 0;
    while let Some(&b) = bytes.get(end) {
        let ok = b.is_ascii_alphanumeric() || matches!(b, b'_' | b':' | b'-' | b'/' | b'.');
        if !ok || (b == b'.' && bytes.get(end + 1) == Some(&b'.')) {
            break;
        }
        end += 1;
    }
    (end > 0).then(|| (i.get(end..).unwrap_or(""), i.get(..end).unwrap_or("")))
}

/// The next token's text, for "found `…`" in messages.
pub fn describe(i: &str) -> String {
    let i = ws(i);
    if i.is_empty() {
        return "end of input".to_string();
    }
    if let Ok((_, w)) = word(i) {
        return format!("`{w}`");
    }
    match i.chars().next() {
        Some(c) => format!("`{c}`"),
        None => "end of input".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyword_needs_boundary() {
        assert_eq!(keyword("not(x)", "not"), Some("(x)"));
        assert_eq!(keyword("notify", "not"), None);
        assert_eq!(keyword("&&x", "&&"), Some("x"));
    }

    #[test]
    fn token_stops_at_range() {
        assert_eq!(
            token("10.0.0.1..10.0.0.9}"),
            Some(("..10.0.0.9}", "10.0.0.1"))
        );
        assert_eq!(token("1..5"), Some(("..5", "1")));
        assert_eq!(ident("a.b_c.d[*]"), Ok(("[*]", "a.b_c.d")));
        assert_eq!(ident("a.b.[*]"), Ok((".[*]", "a.b")));
        assert_eq!(ident("a.1b"), Ok((".1b", "a")));
        assert_eq!(ident("a..b"), Ok(("..b", "a")));
        assert_eq!(ident("_x.y9 == 1"), Ok((" == 1", "_x.y9")));
        assert!(ident("1a").is_err());
        assert!(ident(".a").is_err());
    }
}

/// Why a string literal could not be read, with the byte range (relative to the
/// literal's start) of the offending text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StrError {
    /// No closing quote before the end of input.
    Unterminated,
    /// An escape other than `\"` `\\` `\xHH` `\OOO`, at this range.
    BadEscape(usize, usize),
    /// More than 255 `#` around a raw string.
    TooManyHashes,
}

/// How a quoted string's backslashes are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Escapes {
    /// `\"` `\\` `\xHH` `\OOO`; anything else is an error.
    Bytes,
    /// `\"` is `"`; every other backslash pair passes through to the regex engine.
    Regex,
}

/// A `"…"` string at the start of `i` (which starts with `"`); returns the rest and
/// the decoded bytes.
pub fn quoted(i: &str, escapes: Escapes) -> Result<(&str, Vec<u8>), StrError> {
    if escapes == Escapes::Regex {
        return quoted_regex(i);
    }
    // Most strings have no escape: copy them in one go.
    let body = i.get(1..).unwrap_or("");
    if let Some(end) = memchr::memchr2(b'"', b'\\', body.as_bytes())
        && body.as_bytes().get(end) == Some(&b'"')
    {
        return Ok((
            body.get(end + 1..).unwrap_or(""),
            body.as_bytes().get(..end).unwrap_or(&[]).to_vec(),
        ));
    }
    let mut out = Vec::new();
    let mut chars = i.char_indices().skip(1);
    while let Some((at, c)) = chars.next() {
        match c {
            '"' => return Ok((i.get(at + 1..).unwrap_or(""), out)),
            '\\' => {
                let Some((_, e)) = chars.next() else {
                    return Err(StrError::Unterminated);
                };
                match (escapes, e) {
                    (_, '"') => out.push(b'"'),
                    (Escapes::Regex, e) => {
                        out.push(b'\\');
                        push_char(&mut out, e);
                    }
                    (Escapes::Bytes, '\\') => out.push(b'\\'),
                    (Escapes::Bytes, 'x') => {
                        let hex = i
                            .get(at + 2..at + 4)
                            .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()));
                        match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                            Some(b) => {
                                out.push(b);
                                chars.nth(1);
                            }
                            None => return Err(StrError::BadEscape(at, escape_end(i, at, 4))),
                        }
                    }
                    (Escapes::Bytes, '0'..='7') => {
                        let oct = i
                            .get(at + 1..at + 4)
                            .filter(|o| o.bytes().all(|b| (b'0'..=b'7').contains(&b)));
                        match oct.and_then(|o| u8::from_str_radix(o, 8).ok()) {
                            Some(b) => {
                                out.push(b);
                                chars.nth(1);
                            }
                            None => return Err(StrError::BadEscape(at, escape_end(i, at, 4))),
                        }
                    }
                    (Escapes::Bytes, e) => {
                        return Err(StrError::BadEscape(at, at + 1 + e.len_utf8()));
                    }
                }
            }
            c => push_char(&mut out, c),
        }
    }
    Err(StrError::Unterminated)
}

/// A quoted regex, read as wirefilter reads it since 0.6.1: outside a `[…]`
/// class `\"` is `"` and `"` ends the string; inside a class `"` is a literal
/// quote and `\"` keeps its backslash; every other backslash pair passes
/// through to the regex engine. A class ends at its first unescaped `]`.
fn quoted_regex(i: &str) -> Result<(&str, Vec<u8>), StrError> {
    let mut out = Vec::new();
    let mut in_class = false;
    let mut chars = i.char_indices().skip(1);
    while let Some((at, c)) = chars.next() {
        match c {
            '"' if !in_class => return Ok((i.get(at + 1..).unwrap_or(""), out)),
            '\\' => {
                let Some((_, e)) = chars.next() else {
                    return Err(StrError::Unterminated);
                };
                if e != '"' || in_class {
                    out.push(b'\\');
                }
                push_char(&mut out, e);
            }
            '[' if !in_class => {
                in_class = true;
                out.push(b'[');
            }
            ']' if in_class => {
                in_class = false;
                out.push(b']');
            }
            c => push_char(&mut out, c),
        }
    }
    Err(StrError::Unterminated)
}

/// The end of a bad escape starting at `at`: the backslash, the character after it,
/// and the letters and digits that follow, up to `len` bytes in all (`\x4"` ends
/// before the quote).
fn escape_end(i: &str, at: usize, len: usize) -> usize {
    let bytes = i.as_bytes();
    let mut end = (at + 2).min(i.len());
    while end < (at + len).min(i.len()) && bytes.get(end).is_some_and(u8::is_ascii_alphanumeric) {
        end += 1;
    }
    while !i.is_char_boundary(end) {
        end += 1;
    }
    end
}

fn push_char(out: &mut Vec<u8>, c: char) {
    let mut buf = [0u8; 4];
    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
}

/// A raw string `r"…"` or `r#"…"#` at the start of `i`; returns the rest, the text
/// and the number of `#`. `None` when `i` does not start a raw string.
pub fn raw(i: &str) -> Option<Result<(&str, &str, u8), StrError>> {
    let after_r = i.strip_prefix('r')?;
    let hashes = after_r.bytes().take_while(|&b| b == b'#').count();
    let body = after_r.get(hashes..)?.strip_prefix('"')?;
    let Ok(hashes_u8) = u8::try_from(hashes) else {
        return Some(Err(StrError::TooManyHashes));
    };
    let close = format!("\"{}", "#".repeat(hashes));
    Some(match body.find(&close) {
        Some(end) => Ok((
            body.get(end + close.len()..).unwrap_or(""),
            body.get(..end).unwrap_or(""),
            hashes_u8,
        )),
        None => Err(StrError::Unterminated),
    })
}
