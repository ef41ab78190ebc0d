//! Hash maps and sets keyed by configuration text (ids, names) while a
//! configuration is loaded and compiled: ahash, seeded per map from the
//! operating system's randomness (so a hostile configuration cannot choose
//! colliding keys ahead of time, as with std's SipHash), at a fraction of
//! SipHash's cost, which was a twentieth of loading 1,000 groups.

/// `std::collections::HashMap` with the faster seeded hasher.
pub(crate) type TextMap<K, V> = std::collections::HashMap<K, V, ahash::RandomState>;

/// `std::collections::HashSet` with the faster seeded hasher.
pub(crate) type TextSet<K> = std::collections::HashSet<K, ahash::RandomState>;
