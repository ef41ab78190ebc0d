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
    if n < 4 {
        return a.iter().zip(b).all(|(x, y)| x == y);
    }
    if n < 8 {
        return half(a, 0) == half(b, 0) && half(a, n - 4) == half(b, n - 4);
    }
    if (8..=16).contains(&n) {
        return word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8);
    }
    if (16..=32).contains(&n) {
        return word(a, 0) == word(b, 0)
            && word(a, 8) == word(b, 8)
            && word(a, n - 16) == word(b, n - 16)
            && word(a, n - 8) == word(b, n - 8);
    }
    a == b
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
    use super::eq;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn agrees_with_slice_equality(a in prop::collection::vec(0u8..3, 0..40),
                                      b in prop::collection::vec(0u8..3, 0..40)) {
            prop_assert_eq!(eq(&a, &b), a == b);
            prop_assert!(eq(&a, &a.clone()));
        }
    }
}
