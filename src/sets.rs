//! Constant sets of `in {…}` and lists: byte strings sorted and deduplicated, ints
//! and IPs as sorted, merged, inclusive ranges searched by binary search (as
//! wirefilter's `range_set.rs`). Built once at check time.

use std::net::IpAddr;

/// Sorted, deduplicated byte strings, packed into one buffer and shared: a set
/// of twenty strings is two allocations however often it is cloned.
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct BytesSet(std::sync::Arc<Packed>);

#[derive(PartialEq, Eq, Hash, Default)]
struct Packed {
    bytes: Box<[u8]>,
    /// Each item's `start..end` in `bytes`, in sorted order.
    spans: Box<[(usize, usize)]>,
}

impl BytesSet {
    /// The set of these items.
    pub fn new<'a>(items: impl IntoIterator<Item = &'a [u8]>) -> BytesSet {
        let mut items: Vec<&[u8]> = items.into_iter().collect();
        items.sort_unstable();
        items.dedup();
        let mut bytes = Vec::with_capacity(items.iter().map(|i| i.len()).sum());
        let mut spans = Vec::with_capacity(items.len());
        for item in items {
            let start = bytes.len();
            bytes.extend_from_slice(item);
            spans.push((start, bytes.len()));
        }
        BytesSet(std::sync::Arc::new(Packed {
            bytes: bytes.into(),
            spans: spans.into(),
        }))
    }

    /// How many items.
    pub fn len(&self) -> usize {
        self.0.spans.len()
    }

    /// The items, sorted.
    pub fn iter(&self) -> impl Iterator<Item = &[u8]> {
        self.0
            .spans
            .iter()
            .map(|&(start, end)| self.0.bytes.get(start..end).unwrap_or_default())
    }
}

impl std::fmt::Debug for BytesSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set()
            .entries(self.iter().map(String::from_utf8_lossy))
            .finish()
    }
}

/// Inclusive ranges of `T`, sorted and merged so that they neither overlap nor touch.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Ranges<T>(Box<[(T, T)]>);

/// Int set.
pub type IntRanges = Ranges<i64>;

/// A value that has a successor, so adjacent ranges can merge.
pub trait Step: Copy + Ord {
    /// The next value, `None` at the maximum.
    fn next(self) -> Option<Self>;
}

impl Step for i64 {
    fn next(self) -> Option<i64> {
        self.checked_add(1)
    }
}

impl Step for u32 {
    fn next(self) -> Option<u32> {
        self.checked_add(1)
    }
}

impl Step for u128 {
    fn next(self) -> Option<u128> {
        self.checked_add(1)
    }
}

impl<T: Step> Ranges<T> {
    /// The union of these inclusive ranges (each with `low <= high`).
    pub fn new(mut ranges: Vec<(T, T)>) -> Ranges<T> {
        ranges.sort_unstable();
        let mut merged: Vec<(T, T)> = Vec::with_capacity(ranges.len());
        for (low, high) in ranges {
            match merged.last_mut() {
                Some(last) if last.1.next().is_none_or(|n| n >= low) => {
                    last.1 = last.1.max(high);
                }
                _ => merged.push((low, high)),
            }
        }
        Ranges(merged.into_boxed_slice())
    }

    /// Whether `v` is in one of the ranges.
    #[inline]
    pub fn contains(&self, v: T) -> bool {
        // A few ranges (typical CIDR sets) are faster to scan than to bisect.
        if self.0.len() <= 4 {
            return self.0.iter().any(|&(low, high)| low <= v && v <= high);
        }
        // The first range whose high end is >= v is the only candidate.
        let at = self.0.partition_point(|&(_, high)| high < v);
        self.0.get(at).is_some_and(|&(low, _)| low <= v)
    }

    /// The merged ranges.
    pub fn ranges(&self) -> &[(T, T)] {
        &self.0
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// IP set: IPv4 and IPv6 ranges kept apart, so the families never mix.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct IpRanges {
    /// IPv4 ranges.
    pub v4: Ranges<u32>,
    /// IPv6 ranges.
    pub v6: Ranges<u128>,
}

impl IpRanges {
    /// The union of inclusive address ranges (both ends of one family).
    pub fn new(ranges: impl IntoIterator<Item = (IpAddr, IpAddr)>) -> IpRanges {
        let mut v4 = Vec::new();
        let mut v6 = Vec::new();
        for (low, high) in ranges {
            match (low, high) {
                (IpAddr::V4(a), IpAddr::V4(b)) => v4.push((u32::from(a), u32::from(b))),
                (IpAddr::V6(a), IpAddr::V6(b)) => v6.push((u128::from(a), u128::from(b))),
                _ => {}
            }
        }
        IpRanges {
            v4: Ranges::new(v4),
            v6: Ranges::new(v6),
        }
    }

    /// The inclusive range a CIDR covers.
    pub fn net_range(net: &ipnet::IpNet) -> (IpAddr, IpAddr) {
        (net.network(), net.broadcast())
    }

    /// The IPv4 ranges, padded with empty ones to four, when the set has no
    /// IPv6 range and at most four IPv4 ones.
    pub fn v4_only_few(&self) -> Option<[(u32, u32); 4]> {
        let ranges = self.v4.ranges();
        if !self.v6.is_empty() || ranges.len() > 4 {
            return None;
        }
        let mut few = [(1, 0); 4];
        for (slot, r) in few.iter_mut().zip(ranges) {
            *slot = *r;
        }
        Some(few)
    }

    /// Whether `ip` is in the set.
    #[inline]
    pub fn contains(&self, ip: IpAddr) -> bool {
        match ip {
            IpAddr::V4(a) => self.v4.contains(u32::from(a)),
            IpAddr::V6(a) => self.v6.contains(u128::from(a)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_merge_and_search() {
        let r = Ranges::new(vec![
            (5i64, 9),
            (1, 3),
            (4, 4),
            (20, 30),
            (i64::MAX, i64::MAX),
        ]);
        assert_eq!(r.ranges(), &[(1, 9), (20, 30), (i64::MAX, i64::MAX)]);
        assert!(r.contains(4) && r.contains(20) && r.contains(i64::MAX));
        assert!(!r.contains(0) && !r.contains(10) && !r.contains(31));
    }
}

/// A byte-string set: linear scan when small, hashed when large.
#[derive(Debug, Clone)]
pub enum StrSet {
    /// Few items, scanned: each its own (pointer, length), so a scan compares
    /// lengths without touching the bytes.
    Small(Box<[Box<[u8]>]>),
    /// Many items: FxHash lookup.
    Hashed(HashedStrs),
}

/// The items of a large set, concatenated, and a table of each one's place in
/// them by hash: two allocations however many items, and a lookup compares
/// lengths in the table before it touches any bytes.
#[derive(Debug, Clone)]
pub struct HashedStrs {
    /// Bit `n` is set when an item is `n` bytes long (bit 63: 63 or more): a
    /// value of no item's length is out without being hashed.
    lengths: u64,
    bytes: Box<[u8]>,
    /// (offset, length) in `bytes`.
    table: hashbrown::HashTable<(u32, u32)>,
}

impl HashedStrs {
    /// `None` when the items hold more than 4 GiB between them.
    fn new(set: &BytesSet) -> Option<HashedStrs> {
        let total = set.iter().map(<[u8]>::len).sum();
        u32::try_from(total).ok()?;
        let mut bytes = Vec::with_capacity(total);
        let mut table = hashbrown::HashTable::with_capacity(set.len());
        let mut lengths = 0;
        // The set's items are distinct already: each goes in once.
        for item in set.iter() {
            lengths |= length_bit(item);
            let place = (bytes.len() as u32, item.len() as u32);
            bytes.extend_from_slice(item);
            table.insert_unique(str_hash(item), place, |p| {
                slice(&bytes, *p).map_or(0, str_hash)
            });
        }
        Some(HashedStrs {
            lengths,
            bytes: bytes.into(),
            table,
        })
    }

    /// Every item, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &[u8]> {
        self.table.iter().filter_map(|p| slice(&self.bytes, *p))
    }

    #[inline(always)]
    fn contains(&self, v: &[u8]) -> bool {
        if self.lengths & length_bit(v) == 0 {
            return false;
        }
        self.table
            .find(str_hash(v), |&(at, len)| {
                len as usize == v.len()
                    && slice(&self.bytes, (at, len)).is_some_and(|s| crate::bytes::eq(s, v))
            })
            .is_some()
    }
}

#[inline(always)]
fn length_bit(v: &[u8]) -> u64 {
    1 << v.len().min(63)
}

#[inline]
fn slice(bytes: &[u8], (at, len): (u32, u32)) -> Option<&[u8]> {
    bytes.get(at as usize..at as usize + len as usize)
}

#[inline]
fn str_hash(v: &[u8]) -> u64 {
    use std::hash::BuildHasher;
    rustc_hash::FxBuildHasher.hash_one(v)
}

impl StrSet {
    /// Sets up to this size are scanned.
    const SMALL: usize = 4;

    /// How many items.
    pub fn len(&self) -> usize {
        match self {
            StrSet::Small(items) => items.len(),
            StrSet::Hashed(set) => set.table.len(),
        }
    }

    /// Every item, in no particular order.
    pub fn iter(&self) -> Box<dyn Iterator<Item = &[u8]> + '_> {
        match self {
            StrSet::Small(items) => Box::new(items.iter().map(|b| &**b)),
            StrSet::Hashed(set) => Box::new(set.iter()),
        }
    }

    /// A set of these items.
    pub fn new<'a>(items: impl IntoIterator<Item = &'a [u8]>) -> StrSet {
        StrSet::of(&BytesSet::new(items))
    }

    /// The set of a checked `in {…}`.
    pub fn of(set: &BytesSet) -> StrSet {
        if set.len() > StrSet::SMALL
            && let Some(hashed) = HashedStrs::new(set)
        {
            return StrSet::Hashed(hashed);
        }
        StrSet::Small(set.iter().map(Box::from).collect())
    }

    /// Membership. Always inlined: it is the whole of the commonest tests, and
    /// a call's prologue cost a fifth of a lookup.
    #[inline(always)]
    pub fn contains(&self, v: &[u8]) -> bool {
        match self {
            StrSet::Small(items) => items.iter().any(|i| crate::bytes::eq(i, v)),
            StrSet::Hashed(set) => set.contains(v),
        }
    }
}

#[cfg(test)]
mod str_set_tests {
    use super::StrSet;
    use proptest::prelude::*;

    fn member(set: &[Vec<u8>], v: &[u8]) -> bool {
        set.iter().any(|i| i.as_slice() == v)
    }

    proptest! {
        /// Scanned and hashed sets (lengths straddling the 63-byte bucket of the
        /// length filter) agree with plain membership.
        #[test]
        fn str_set_is_membership(
            items in prop::collection::vec(prop::collection::vec(b'a'..=b'c', 0..70), 0..12),
            probes in prop::collection::vec(prop::collection::vec(b'a'..=b'c', 0..70), 0..12),
        ) {
            let set = StrSet::new(items.iter().map(Vec::as_slice));
            prop_assert_eq!(matches!(set, StrSet::Hashed(_)), {
                let mut distinct = items.clone();
                distinct.sort();
                distinct.dedup();
                distinct.len() > 4
            });
            for v in items.iter().chain(&probes) {
                prop_assert_eq!(set.contains(v), member(&items, v), "{:?}", v);
            }
        }
    }

    #[test]
    fn long_items_share_the_last_length_bit() {
        let items: Vec<Vec<u8>> = [1, 5, 62, 63, 64, 100]
            .iter()
            .map(|n| vec![b'x'; *n])
            .collect();
        let set = StrSet::new(items.iter().map(Vec::as_slice));
        for n in 0..120 {
            assert_eq!(
                set.contains(&vec![b'x'; n]),
                [1, 5, 62, 63, 64, 100].contains(&n),
                "{n}"
            );
        }
    }
}
