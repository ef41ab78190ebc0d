//! `wildcard` / `strict wildcard` patterns: `*` matches any run of bytes, the
//! rest is literal; matched with no automaton, greedy leftmost placement.

/// A wildcard pattern: `*` matches any run of bytes; `\*` and `\\` are literal.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Glob {
    /// The literal pieces between stars, in order.
    pub pieces: Box<[Box<[u8]>]>,
    /// Whether the pattern starts with `*`.
    pub star_start: bool,
    /// Whether the pattern ends with `*`.
    pub star_end: bool,
    /// `wildcard` ignores ASCII case; `strict wildcard` does not.
    pub fold_case: bool,
}

impl Glob {
    /// Whether the whole of `v` matches.
    pub fn is_match(&self, v: &[u8]) -> bool {
        let eq = |a: &[u8], b: &[u8]| {
            if self.fold_case {
                a.eq_ignore_ascii_case(b)
            } else {
                a == b
            }
        };
        let pieces = &self.pieces;
        let (Some(first), Some(last)) = (pieces.first(), pieces.last()) else {
            // No pieces: the pattern is "" (only "" matches) or only stars.
            return self.star_start || v.is_empty();
        };
        if pieces.len() == 1 && !self.star_start && !self.star_end {
            return eq(v, first);
        }
        let mut rest = v;
        let mut middle = pieces.iter().as_slice();
        if !self.star_start {
            match rest.get(..first.len()) {
                Some(head) if eq(head, first) => rest = rest.get(first.len()..).unwrap_or(&[]),
                _ => return false,
            }
            middle = middle.get(1..).unwrap_or(&[]);
        }
        if !self.star_end {
            let Some(start) = rest.len().checked_sub(last.len()) else {
                return false;
            };
            match rest.get(start..) {
                Some(t) if eq(t, last) => {}
                _ => return false,
            }
            rest = rest.get(..start).unwrap_or(&[]);
            middle = middle.get(..middle.len().saturating_sub(1)).unwrap_or(&[]);
        }
        // Greedy leftmost placement of each middle piece is optimal for `*`-only globs.
        for piece in middle {
            match find(rest, piece, self.fold_case) {
                Some(at) => rest = rest.get(at + piece.len()..).unwrap_or(&[]),
                None => return false,
            }
        }
        true
    }
}

fn find(hay: &[u8], needle: &[u8], fold_case: bool) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    if !fold_case {
        return memchr::memmem::find(hay, needle);
    }
    hay.windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
}
