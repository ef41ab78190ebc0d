//! The configuration's JSON tree: what `json::parse_tree` reads a
//! configuration file into and the readers (`config/`) walk. An object is a
//! list of entries in input order, not a hash map: a configuration's objects
//! have a few keys each, which comparing costs less than hashing, and
//! building one allocates no index (issue 20: serde_json's order-preserving
//! map was two fifths of loading 1,000 groups, `instructions load_flat1000`).
//! A key given twice never gets here (`json::parse_tree` refuses it), so
//! `get` finds the one entry a key has. The names mirror serde_json's
//! `Value` and `Map`, which parts of the public model still hold
//! (`Value::to_serde`).

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::Number;
use std::fmt;

/// A JSON value.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    /// `null`
    #[default]
    Null,
    /// `true`
    Bool(bool),
    /// `1`, `-2.5`
    Number(Number),
    /// `"x"`
    String(String),
    /// `[…]`
    Array(Vec<Value>),
    /// `{…}`
    Object(Map<String, Value>),
}

/// A JSON object: its entries in input order, each key once. Generic in
/// name only, as serde_json's is, so the readers' `Map<String, Value>` reads
/// the same; every method is for string keys.
#[derive(Debug, Clone)]
pub struct Map<K, V> {
    entries: Vec<(K, V)>,
}

impl<V: PartialEq> PartialEq for Map<String, V> {
    /// Equal as JSON objects: the same keys with equal values, in any order
    /// (as serde_json's map compares; an embedded policy body written with its
    /// keys in another order is the same body, `config/finish.rs`).
    fn eq(&self, other: &Self) -> bool {
        if self.len() != other.len() {
            return false;
        }
        if self.len() <= SCANNED {
            return self.iter().all(|(k, v)| other.get(k) == Some(v));
        }
        let theirs: std::collections::HashMap<&str, &V> =
            other.iter().map(|(k, v)| (k.as_str(), v)).collect();
        self.iter().all(|(k, v)| theirs.get(k.as_str()) == Some(&v))
    }
}

/// Objects up to this many entries are compared entry by entry.
const SCANNED: usize = 16;

impl<K, V> Default for Map<K, V> {
    fn default() -> Self {
        Map {
            entries: Vec::new(),
        }
    }
}

impl<V> Map<String, V> {
    /// An empty object.
    pub fn new() -> Self {
        Map::default()
    }

    /// From entries whose keys are distinct (`json::parse_tree` checks).
    pub(crate) fn from_entries(entries: Vec<(String, V)>) -> Self {
        Map { entries }
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&V> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// The value of `key`, to change or move out of.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut V> {
        self.entries
            .iter_mut()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    /// Whether `key` has a value.
    pub fn contains_key(&self, key: &str) -> bool {
        self.entries.iter().any(|(k, _)| k == key)
    }

    /// Sets `key`: in its place when it has one (the old value is returned),
    /// else last.
    pub fn insert(&mut self, key: String, value: V) -> Option<V> {
        match self.get_mut(&key) {
            Some(old) => Some(std::mem::replace(old, value)),
            None => {
                self.entries.push((key, value));
                None
            }
        }
    }

    /// Removes `key`, keeping the order of the others.
    pub fn remove(&mut self, key: &str) -> Option<V> {
        let i = self.entries.iter().position(|(k, _)| k == key)?;
        Some(self.entries.remove(i).1)
    }

    /// How many entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entries, in input order.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &V)> {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    /// The keys, in input order.
    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.entries.iter().map(|(k, _)| k)
    }
}

impl<'a, V> IntoIterator for &'a Map<String, V> {
    type Item = (&'a String, &'a V);
    type IntoIter = std::iter::Map<
        std::slice::Iter<'a, (String, V)>,
        fn(&'a (String, V)) -> (&'a String, &'a V),
    >;
    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter().map(|(k, v)| (k, v))
    }
}

impl Value {
    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The number as a `u64`, if it is one.
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Value::Number(n) => n.as_u64(),
            _ => None,
        }
    }

    /// The items, if this is an array.
    pub fn as_array(&self) -> Option<&Vec<Value>> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }

    /// The entries, if this is an object.
    pub fn as_object(&self) -> Option<&Map<String, Value>> {
        match self {
            Value::Object(o) => Some(o),
            _ => None,
        }
    }

    /// The entries, if this is an object, to change.
    pub fn as_object_mut(&mut self) -> Option<&mut Map<String, Value>> {
        match self {
            Value::Object(o) => Some(o),
            _ => None,
        }
    }

    /// `self[key]` of an object.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.as_object()?.get(key)
    }

    /// `self[key]` of an object, to change or move out of.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        self.as_object_mut()?.get_mut(key)
    }

    /// `null`?
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// What kind of JSON value this is, for messages: `an object`.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::Array(_) => "an array",
            Value::Object(_) => "an object",
        }
    }

    /// serde_json's value of the same JSON, for the parts of the public
    /// model that hold one (settings, posture inputs).
    pub fn to_serde(&self) -> serde_json::Value {
        match self {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Number(n) => serde_json::Value::Number(n.clone()),
            Value::String(s) => serde_json::Value::String(s.clone()),
            Value::Array(a) => serde_json::Value::Array(a.iter().map(Value::to_serde).collect()),
            Value::Object(o) => serde_json::Value::Object(
                o.iter().map(|(k, v)| (k.clone(), v.to_serde())).collect(),
            ),
        }
    }

    /// `to_serde` of an object's entries.
    pub fn object_to_serde(o: &Map<String, Value>) -> serde_json::Map<String, serde_json::Value> {
        o.iter().map(|(k, v)| (k.clone(), v.to_serde())).collect()
    }
}

impl From<serde_json::Value> for Value {
    /// A tree from serde_json's (a Terraform bundle, an overlay): its
    /// objects' keys are already distinct.
    fn from(v: serde_json::Value) -> Value {
        match v {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(b),
            serde_json::Value::Number(n) => Value::Number(n),
            serde_json::Value::String(s) => Value::String(s),
            serde_json::Value::Array(a) => Value::Array(a.into_iter().map(Value::from).collect()),
            serde_json::Value::Object(o) => Value::Object(Map::from_entries(
                o.into_iter().map(|(k, v)| (k, Value::from(v))).collect(),
            )),
        }
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Null => s.serialize_unit(),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Number(n) => n.serialize(s),
            Value::String(v) => s.serialize_str(v),
            Value::Array(a) => {
                let mut seq = s.serialize_seq(Some(a.len()))?;
                for item in a {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Value::Object(o) => {
                let mut map = s.serialize_map(Some(o.len()))?;
                for (k, v) in o {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

impl fmt::Display for Value {
    /// Compact JSON text, as serde_json's `Value` displays.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = serde_json::to_string(self).map_err(|_| fmt::Error)?;
        f.write_str(&text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_serde_json_in_order() {
        let text = r#"{"z": 1, "a": [true, null, "x", {"k": -2.5}], "m": {}}"#;
        let serde: serde_json::Value = serde_json::from_str(text).unwrap_or_default();
        let tree = Value::from(serde.clone());
        assert_eq!(tree.to_serde(), serde);
        assert_eq!(tree.to_string(), serde.to_string());
        let keys: Vec<&String> = tree
            .as_object()
            .map(|o| o.keys().collect())
            .unwrap_or_default();
        assert_eq!(keys, ["z", "a", "m"]);
    }

    #[test]
    fn objects_are_equal_whatever_their_order() {
        let parse =
            |t: &str| Value::from(serde_json::from_str::<serde_json::Value>(t).unwrap_or_default());
        assert_eq!(
            parse(r#"{"a": 1, "b": {"c": 2, "d": 3}}"#),
            parse(r#"{"b": {"d": 3, "c": 2}, "a": 1}"#)
        );
        assert_ne!(parse(r#"{"a": 1, "b": 2}"#), parse(r#"{"a": 1, "b": 3}"#));
        assert_ne!(parse(r#"{"a": 1}"#), parse(r#"{"a": 1, "b": 2}"#));
        assert_ne!(parse(r#"[1, 2]"#), parse(r#"[2, 1]"#));
        // Past the entries compared one by one.
        let big: Vec<String> = (0..40).map(|i| format!("\"k{i}\": {i}")).collect();
        let mut reversed = big.clone();
        reversed.reverse();
        let a = parse(&format!("{{{}}}", big.join(",")));
        assert_eq!(a, parse(&format!("{{{}}}", reversed.join(","))));
        let mut changed = big.clone();
        if let Some(entry) = changed.get_mut(7) {
            *entry = "\"k7\": 0".into();
        }
        assert_ne!(a, parse(&format!("{{{}}}", changed.join(","))));
    }

    #[test]
    fn insert_replaces_in_place_and_remove_keeps_order() {
        let mut m = Map::new();
        m.insert("a".into(), 1);
        m.insert("b".into(), 2);
        m.insert("c".into(), 3);
        assert_eq!(m.insert("a".into(), 10), Some(1));
        assert_eq!(m.remove("b"), Some(2));
        let entries: Vec<(&String, &i32)> = m.iter().collect();
        assert_eq!(entries, [(&"a".to_string(), &10), (&"c".to_string(), &3)]);
        assert_eq!(m.get("c"), Some(&3));
        assert!(!m.contains_key("b"));
    }

    /// An empty object allocates nothing: a file of `{}` costs no more than
    /// its text (four entries allocated up front were 224 bytes each, and a
    /// 256 MiB file of them some 20 GB).
    #[test]
    fn an_empty_object_allocates_nothing() {
        let v = crate::json::parse_tree(r#"[{}, {"a": {}}]"#);
        let items = match &v {
            Ok(Value::Array(items)) => items.as_slice(),
            _ => &[],
        };
        assert_eq!(items.len(), 2, "{v:?}");
        let capacities: Vec<usize> = items
            .iter()
            .filter_map(|v| match v {
                Value::Object(m) => Some(m),
                _ => None,
            })
            .flat_map(|m| {
                let inner = m
                    .get("a")
                    .and_then(Value::as_object)
                    .map(|o| o.entries.capacity());
                std::iter::once(m.entries.capacity()).chain(inner)
            })
            .collect();
        assert_eq!(capacities.first(), Some(&0));
        assert_eq!(capacities.get(2), Some(&0), "{capacities:?}");
    }
}
