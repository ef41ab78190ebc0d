//! The patterns policies are mostly written with, read straight from their text
//! into the items of a forward pass. regex-syntax builds an AST and then a HIR
//! for every pattern, which costs more than all the rest of compiling a typical
//! expression; these few shapes need neither. The grammar taken is small:
//!
//! ```text
//! pattern = "^"? piece* "$"?
//! piece   = atom ("+" | "*" | "?" | "{n}" | "{n,}" | "{n,m}")?
//! atom    = literal | "\" meta | "\d" | "\w" | "." | "[" "^"? class-item+ "]"
//! ```
//!
//! Everything else (groups, alternation, flags, nested or lazy repetition,
//! set operations in classes, escapes beyond these, non-ASCII) returns `None`
//! and goes through regex-syntax, which stays the authority on syntax and
//! errors: anything it rejects is outside this grammar. tests/regex_seq.rs
//! checks that both readings give the same pass, and both against the regex crate.

use super::seq::{Bytes, Item, Seq};

/// Bytes that stand for themselves outside a class, with Unicode and the `x`
/// flag off.
fn plain(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b" _-@,:/=%!<>;'\"#&~`".contains(&b)
}

/// Bytes that stand for themselves inside a class (no `-`, `&`, `~`, `[`: ranges
/// and set operations are read apart).
fn plain_in_class(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b" _@,:/=%!<>;'\"#`.*+?$(){}|".contains(&b)
}

/// Characters `\` makes literal.
fn meta(b: u8) -> bool {
    b".+*?()|[]{}^$\\-/".contains(&b)
}

/// What one atom matches: one byte, or one byte of a class.
enum Atom {
    Byte(u8),
    Class(Box<Bytes>),
}

/// The forward pass for `pattern`, when it is in the grammar above and has a
/// shape `Seq` runs; `None` sends it to regex-syntax.
pub fn read(pattern: &str, size_limit: usize) -> Option<Seq> {
    let p = pattern.as_bytes();
    let (start, mut i) = match p.first() {
        Some(b'^') => (true, 1),
        _ => (false, 0),
    };
    let mut end = false;
    let mut items = Vec::new();
    let mut literal = Vec::new();
    while let Some(&c) = p.get(i) {
        let (atom, next) = match c {
            b'$' if i + 1 == p.len() => {
                end = true;
                break;
            }
            b'\\' => (escape(*p.get(i + 1)?)?, i + 2),
            b'.' => {
                let mut flags = [true; 256];
                if let Some(newline) = flags.get_mut(usize::from(b'\n')) {
                    *newline = false;
                }
                (Atom::Class(Box::new(Bytes(flags))), i + 1)
            }
            b'[' => class(p, i + 1)?,
            c if plain(c) => (Atom::Byte(c), i + 1),
            _ => return None,
        };
        let (min, max, next) = repetition(p, next)?;
        i = next;
        let atom = match atom {
            Atom::Class(bytes) => match only_byte(&bytes) {
                Some(b) => Atom::Byte(b),
                None => Atom::Class(bytes),
            },
            byte => byte,
        };
        match atom {
            Atom::Byte(b) if (min, max) == (1, 1) => literal.push(b),
            atom => {
                if !literal.is_empty() {
                    items.push(Item::Literal(std::mem::take(&mut literal).into()));
                }
                let class = match atom {
                    Atom::Byte(b) => Box::new(Bytes::byte(b)),
                    Atom::Class(bytes) => bytes,
                };
                items.push(Item::Run { class, min, max });
            }
        }
    }
    if !literal.is_empty() {
        items.push(Item::Literal(literal.into()));
    }
    Seq::of_items(start, items, end, size_limit)
}

fn escape(e: u8) -> Option<Atom> {
    Some(match e {
        b'd' => Atom::Class(Box::new(digits())),
        b'w' => Atom::Class(Box::new(word())),
        e if meta(e) => Atom::Byte(e),
        _ => return None,
    })
}

fn digits() -> Bytes {
    let mut flags = [false; 256];
    fill(&mut flags, b'0', b'9');
    Bytes(flags)
}

fn word() -> Bytes {
    let mut flags = [false; 256];
    fill(&mut flags, b'0', b'9');
    fill(&mut flags, b'A', b'Z');
    fill(&mut flags, b'a', b'z');
    set(&mut flags, b'_');
    Bytes(flags)
}

fn fill(flags: &mut [bool; 256], lo: u8, hi: u8) {
    if let Some(range) = flags.get_mut(usize::from(lo)..=usize::from(hi)) {
        range.fill(true);
    }
}

fn set(flags: &mut [bool; 256], b: u8) {
    if let Some(flag) = flags.get_mut(usize::from(b)) {
        *flag = true;
    }
}

/// The one byte a class holds, if it holds one: regex-syntax reads `[a]` as `a`.
fn only_byte(bytes: &Bytes) -> Option<u8> {
    if bytes.0.iter().filter(|on| **on).count() != 1 {
        return None;
    }
    let b = bytes.0.iter().position(|on| *on)?;
    u8::try_from(b).ok()
}

/// `[…]` from just after the `[`: the class and where it ends.
fn class(p: &[u8], mut i: usize) -> Option<(Atom, usize)> {
    let mut flags = [false; 256];
    let negated = p.get(i) == Some(&b'^');
    if negated {
        i += 1;
    }
    let first = i;
    loop {
        let c = *p.get(i)?;
        match c {
            b']' if i > first => {
                i += 1;
                break;
            }
            // `-` is literal only first or last; elsewhere it makes a range.
            b'-' if i == first || p.get(i + 1) == Some(&b']') => {
                set(&mut flags, b'-');
                i += 1;
            }
            b'\\' => {
                match escape(*p.get(i + 1)?)? {
                    Atom::Byte(b) => set(&mut flags, b),
                    Atom::Class(bytes) => {
                        for (flag, on) in flags.iter_mut().zip(bytes.0.iter()) {
                            *flag |= *on;
                        }
                    }
                }
                i += 2;
            }
            lo if lo.is_ascii_alphanumeric() && p.get(i + 1) == Some(&b'-') => {
                let hi = *p.get(i + 2)?;
                if !hi.is_ascii_alphanumeric() || hi < lo {
                    return None;
                }
                fill(&mut flags, lo, hi);
                i += 3;
            }
            c if plain_in_class(c) => {
                set(&mut flags, c);
                i += 1;
            }
            _ => return None,
        }
    }
    if negated {
        for flag in &mut flags {
            *flag = !*flag;
        }
    }
    Some((Atom::Class(Box::new(Bytes(flags))), i))
}

/// The repetition after an atom (`1, 1` when there is none) and where it ends.
/// A second repetition operator (nested or lazy) is left to regex-syntax.
fn repetition(p: &[u8], i: usize) -> Option<(u32, u32, usize)> {
    let (min, max, next) = match p.get(i) {
        Some(b'+') => (1, u32::MAX, i + 1),
        Some(b'*') => (0, u32::MAX, i + 1),
        Some(b'?') => (0, 1, i + 1),
        Some(b'{') => {
            let (min, j) = number(p, i + 1)?;
            match p.get(j) {
                Some(b'}') => (min, min, j + 1),
                Some(b',') if p.get(j + 1) == Some(&b'}') => (min, u32::MAX, j + 2),
                Some(b',') => {
                    let (max, k) = number(p, j + 1)?;
                    if p.get(k) != Some(&b'}') || max < min {
                        return None;
                    }
                    (min, max, k + 1)
                }
                _ => return None,
            }
        }
        _ => return Some((1, 1, i)),
    };
    if max == 0 || matches!(p.get(next), Some(b'+' | b'*' | b'?' | b'{')) {
        return None;
    }
    Some((min, max, next))
}

/// One to three decimal digits.
fn number(p: &[u8], i: usize) -> Option<(u32, usize)> {
    let digits = p
        .get(i..)?
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count();
    if !(1..=3).contains(&digits) {
        return None;
    }
    let n = p
        .get(i..i + digits)?
        .iter()
        .fold(0u32, |n, d| n * 10 + u32::from(d - b'0'));
    Some((n, i + digits))
}
