//! Byte-string equality for the hot path. Most strings a decision compares (group
//! names, emails, IdP ids, regex literals) are under 32 bytes; `==` on slices calls libc's
//! `memcmp`, whose call and dispatch cost more than the comparison itself at
//! these lengths. Two overlapping loads per side compare them inline.

/// `a == b`.
#[inline]
pub fn eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let n = a.len();
    match n {
        8..=16 => word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8),
        17..=32 => {
            word(a, 0) == word(b, 0)
                && word(a, 8) == word(b, 8)
                && word(a, n - 16) == word(b, n - 16)
                && word(a, n - 8) == word(b, n - 8)
        }
        4..=7 => half(a, 0) == half(b, 0) && half(a, n - 4) == half(b, n - 4),
        0..=3 => a.iter().zip(b).all(|(x, y)| x == y),
        _ => a == b,
    }
}

/// A constant to compare values with, its words loaded once: a comparison with
/// a constant of 8 to 32 bytes reads only the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exact {
    bytes: Box<[u8]>,
    /// For 8..=16 bytes, the first and last word; for 17..=32, the words at 0, 8,
    /// n - 16 and n - 8.
    words: [u64; 4],
}

impl Exact {
    /// The constant `bytes`.
    pub fn new(bytes: Box<[u8]>) -> Exact {
        let n = bytes.len();
        let words = match n {
            8..=16 => [word(&bytes, 0), word(&bytes, n - 8), 0, 0],
            17..=32 => [
                word(&bytes, 0),
                word(&bytes, 8),
                word(&bytes, n - 16),
                word(&bytes, n - 8),
            ],
            _ => [0; 4],
        };
        Exact { bytes, words }
    }

    /// `value == constant`.
    #[inline]
    pub fn matches(&self, value: &[u8]) -> bool {
        let n = self.bytes.len();
        if value.len() != n {
            return false;
        }
        let [w0, w1, w2, w3] = self.words;
        match n {
            8..=16 => word(value, 0) == w0 && word(value, n - 8) == w1,
            17..=32 => {
                word(value, 0) == w0
                    && word(value, 8) == w1
                    && word(value, n - 16) == w2
                    && word(value, n - 8) == w3
            }
            _ => eq(value, &self.bytes),
        }
    }
}

/// The 4 bytes at `at` (callers keep `at + 4 <= len`).
#[inline(always)]
fn half(s: &[u8], at: usize) -> u32 {
    s.get(at..at + 4)
        .and_then(|w| <[u8; 4]>::try_from(w).ok())
        .map_or(0, u32::from_le_bytes)
}

/// The 8 bytes at `at` (callers keep `at + 8 <= len`).
#[inline(always)]
fn word(s: &[u8], at: usize) -> u64 {
    s.get(at..at + 8)
        .and_then(|w| <[u8; 8]>::try_from(w).ok())
        .map_or(0, u64::from_le_bytes)
}

#[cfg(test)]
mod tests {
    use super::{Exact, eq};
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn agrees_with_slice_equality(a in prop::collection::vec(0u8..3, 0..40),
                                      b in prop::collection::vec(0u8..3, 0..40)) {
            prop_assert_eq!(eq(&a, &b), a == b);
            prop_assert!(eq(&a, &a.clone()));
            prop_assert_eq!(Exact::new(b.clone().into()).matches(&a), a == b);
            prop_assert!(Exact::new(a.clone().into()).matches(&a));
        }
    }
}
