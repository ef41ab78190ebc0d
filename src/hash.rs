//! Hash maps and sets keyed by configuration text (ids, names) while a
//! configuration is loaded and compiled: hashbrown's default hasher
//! (foldhash, randomly seeded like std's, so a configuration cannot choose
//! colliding keys ahead of time) instead of std's SipHash, which cost a
//! twentieth of loading 1,000 groups.

/// `std::collections::HashMap` with the faster seeded hasher.
pub(crate) type TextMap<K, V> = std::collections::HashMap<K, V, hashbrown::DefaultHashBuilder>;

/// `std::collections::HashSet` with the faster seeded hasher.
pub(crate) type TextSet<K> = std::collections::HashSet<K, hashbrown::DefaultHashBuilder>;
