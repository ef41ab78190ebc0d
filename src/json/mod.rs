//! Strict JSON text -> a JSON tree: a key given twice in one object is an
//! error with its JSON path, where serde_json alone would keep the last value
//! silently (a second `"exclude": []` would wipe the first). A configuration
//! is read into the crate's own tree (`tree.rs`, `parse_tree`), anything else
//! into serde_json's `Value` (`parse`).

mod locate;
pub(crate) mod object;
pub mod tree;

pub use locate::{locate_all, prefixes};

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use std::cell::RefCell;
use std::fmt;
use std::marker::PhantomData;

/// A JSON tree the strict reader builds.
trait Tree: Sized {
    /// An object being read.
    type Building;
    /// An object with no entry yet.
    fn building() -> Self::Building;
    fn null() -> Self;
    fn boolean(b: bool) -> Self;
    fn number(n: Number) -> Self;
    fn string(s: String) -> Self;
    fn array(items: Vec<Self>) -> Self;
    /// Whether the object being read already has `key`.
    fn has_key(o: &Self::Building, key: &str) -> bool;
    /// The keys of the object being read, when finding one among them is not
    /// already hashed (`has_key` compares them one by one).
    fn scanned_keys(o: &Self::Building) -> Option<Vec<&String>>;
    /// Adds an entry whose key the object does not have.
    fn insert(o: &mut Self::Building, key: String, value: Self);
    fn object(o: Self::Building) -> Self;
}

impl Tree for Value {
    type Building = Map<String, Value>;
    fn building() -> Self::Building {
        Map::new()
    }
    fn null() -> Self {
        Value::Null
    }
    fn boolean(b: bool) -> Self {
        Value::Bool(b)
    }
    fn number(n: Number) -> Self {
        Value::Number(n)
    }
    fn string(s: String) -> Self {
        Value::String(s)
    }
    fn array(items: Vec<Self>) -> Self {
        Value::Array(items)
    }
    fn has_key(o: &Self::Building, key: &str) -> bool {
        // Not hashed here and again on insert, for the few keys most have.
        field(o, key).is_some()
    }
    fn scanned_keys(_: &Self::Building) -> Option<Vec<&String>> {
        None
    }
    fn insert(o: &mut Self::Building, key: String, value: Self) {
        o.insert(key, value);
    }
    fn object(o: Self::Building) -> Self {
        Value::Object(o)
    }
}

/// Keys of one object compared one by one before they are hashed.
const SCANNED_KEYS: usize = 8;

impl Tree for tree::Value {
    type Building = Vec<(String, tree::Value)>;
    fn building() -> Self::Building {
        // Nothing before the first key: an empty object allocates nothing (a
        // file of `{}` must cost no more than its text; four entries up front
        // cost 224 bytes each).
        Vec::new()
    }
    fn null() -> Self {
        tree::Value::Null
    }
    fn boolean(b: bool) -> Self {
        tree::Value::Bool(b)
    }
    fn number(n: Number) -> Self {
        tree::Value::Number(n)
    }
    fn string(s: String) -> Self {
        tree::Value::String(s)
    }
    fn array(items: Vec<Self>) -> Self {
        tree::Value::Array(items)
    }
    fn has_key(o: &Self::Building, key: &str) -> bool {
        o.iter().any(|(k, _)| k == key)
    }
    fn scanned_keys(o: &Self::Building) -> Option<Vec<&String>> {
        Some(o.iter().map(|(k, _)| k).collect())
    }
    fn insert(o: &mut Self::Building, key: String, value: Self) {
        o.push((key, value));
    }
    fn object(o: Self::Building) -> Self {
        tree::Value::Object(tree::Map::from_entries(o))
    }
}

/// `locate` reads through values, building nothing.
impl Tree for serde::de::IgnoredAny {
    type Building = ();
    fn building() -> Self::Building {}
    fn null() -> Self {
        serde::de::IgnoredAny
    }
    fn boolean(_: bool) -> Self {
        serde::de::IgnoredAny
    }
    fn number(_: Number) -> Self {
        serde::de::IgnoredAny
    }
    fn string(_: String) -> Self {
        serde::de::IgnoredAny
    }
    fn array(_: Vec<Self>) -> Self {
        serde::de::IgnoredAny
    }
    fn has_key(_: &(), _: &str) -> bool {
        false
    }
    fn scanned_keys(_: &()) -> Option<Vec<&String>> {
        None
    }
    fn insert(_: &mut (), _: String, _: Self) {}
    fn object(_: ()) -> Self {
        serde::de::IgnoredAny
    }
}

/// Why a text is not acceptable JSON, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    /// 1-based line (0 when the text is empty).
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// JSON path of the value being read (`$` at the top).
    pub path: String,
    /// What is wrong, without the position.
    pub message: String,
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} at line {}, column {}",
            self.message, self.line, self.column
        )
    }
}

/// The message with its position: `malformed JSON at line L, column C: …`,
/// or for a repeated key `… (line L, column C)`.
pub fn located(e: &JsonError) -> String {
    if e.message.contains("given twice") {
        format!("{} (line {}, column {})", e.message, e.line, e.column)
    } else {
        format!(
            "malformed JSON at line {}, column {}: {}",
            e.line, e.column, e.message
        )
    }
}

/// `obj[key]` of a serde_json object. Most objects have a few keys: comparing
/// them costs less than hashing the key (every context reads every posture
/// rule's input); a large one is hashed.
pub fn field<'v>(obj: &'v Map<String, Value>, key: &str) -> Option<&'v Value> {
    if obj.len() <= 8 {
        obj.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    } else {
        obj.get(key)
    }
}

enum Seg {
    Key(String),
    Index(usize),
}

/// The path of the value being read; on an error it is left where it failed.
type Stack = RefCell<Vec<Seg>>;

/// Parses `text` as one JSON value, refusing duplicate keys.
pub fn parse(text: &str) -> Result<Value, JsonError> {
    parse_as(text)
}

/// Parses a configuration file's text into the crate's own tree, refusing
/// duplicate keys.
pub fn parse_tree(text: &str) -> Result<tree::Value, JsonError> {
    parse_as(text)
}

fn parse_as<T: Tree>(text: &str) -> Result<T, JsonError> {
    if text.trim().is_empty() {
        return Err(JsonError {
            line: 0,
            column: 0,
            path: "$".into(),
            message: "the file is empty (expected a JSON value)".into(),
        });
    }
    // Read first without following the path: only an error shows it, and
    // keeping it cost a push and a pop per value (a twentieth of reading a
    // 1,000-group configuration). A text that fails is read again, the same
    // way to the same error, this time with its path.
    let read = |stack: Option<&Stack>| {
        let mut de = serde_json::Deserializer::from_str(text);
        ValueSeed::<T> {
            stack,
            target: None,
            tree: PhantomData,
        }
        .deserialize(&mut de)
        .and_then(|v| de.end().map(|()| v))
    };
    if let Ok(v) = read(None) {
        return Ok(v);
    }
    let stack = Stack::default();
    read(Some(&stack)).map_err(|e| {
        let message = e.to_string();
        // serde_json appends " at line L column C"; keep the message alone.
        let message = match message.rfind(" at line ") {
            Some(i) => message[..i].to_string(),
            None => message,
        };
        JsonError {
            line: e.line(),
            column: e.column(),
            path: render(&stack.borrow()),
            message: tidy(&message),
        }
    })
}

/// serde_json's wording, for a reader who does not know serde.
fn tidy(message: &str) -> String {
    match message {
        "EOF while parsing a value"
        | "EOF while parsing an object"
        | "EOF while parsing a list"
        | "EOF while parsing a string" => {
            format!(
                "the text ends early ({})",
                message.trim_start_matches("EOF while ")
            )
        }
        "trailing characters" => "text after the JSON value".into(),
        m => m.to_string(),
    }
}

fn render(stack: &[Seg]) -> String {
    let mut out = String::from("$");
    for seg in stack {
        match seg {
            Seg::Key(k) => crate::diag::push_path_key(&mut out, k),
            Seg::Index(i) => crate::diag::push_path_index(&mut out, *i),
        }
    }
    out
}

struct ValueSeed<'s, T> {
    /// The path, when it is followed (`locate`, or a text being read again
    /// for its error's path).
    stack: Option<&'s Stack>,
    /// `locate`: the path whose value stops the reading where it starts.
    target: Option<&'s str>,
    tree: PhantomData<T>,
}

impl<'s, T> ValueSeed<'s, T> {
    fn next(&self) -> ValueSeed<'s, T> {
        ValueSeed {
            stack: self.stack,
            target: self.target,
            tree: PhantomData,
        }
    }
}

/// The error `locate` stops the reading with.
const FOUND: &str = "zt-eval: located";

impl<'de, T: Tree> DeserializeSeed<'de> for ValueSeed<'_, T> {
    type Value = T;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<T, D::Error> {
        if let (Some(t), Some(stack)) = (self.target, self.stack)
            && render(&stack.borrow()) == t
        {
            return Err(de::Error::custom(FOUND));
        }
        d.deserialize_any(self)
    }
}

/// Where the value at JSON path `path` (`$.access_groups[3].include[0]`)
/// starts in `text`: 1-based line and column, when the text has it.
pub fn locate(text: &str, path: &str) -> Option<(usize, usize)> {
    let stack = Stack::default();
    let mut de = serde_json::Deserializer::from_str(text);
    let e = ValueSeed::<serde::de::IgnoredAny> {
        stack: Some(&stack),
        target: Some(path),
        tree: PhantomData,
    }
    .deserialize(&mut de)
    .err()?;
    // serde_json's column is the last character read, the one before the value.
    // The root has no position worth showing (line 0).
    (e.to_string().starts_with(FOUND) && e.line() > 0).then(|| (e.line(), e.column() + 1))
}

impl<'de, T: Tree> Visitor<'de> for ValueSeed<'_, T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<T, E> {
        Ok(T::boolean(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<T, E> {
        Ok(T::number(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<T, E> {
        Ok(T::number(v.into()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<T, E> {
        Ok(Number::from_f64(v).map_or_else(T::null, T::number))
    }
    fn visit_str<E>(self, v: &str) -> Result<T, E> {
        Ok(T::string(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<T, E> {
        Ok(T::string(v))
    }
    fn visit_unit<E>(self) -> Result<T, E> {
        Ok(T::null())
    }
    fn visit_none<E>(self) -> Result<T, E> {
        Ok(T::null())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<T, A::Error> {
        let mut out = Vec::new();
        loop {
            if let Some(stack) = self.stack {
                stack.borrow_mut().push(Seg::Index(out.len()));
            }
            // On an error the index stays on the path: where it failed.
            let item = seq.next_element_seed(self.next())?;
            if let Some(stack) = self.stack {
                stack.borrow_mut().pop();
            }
            match item {
                Some(v) => out.push(v),
                None => return Ok(T::array(out)),
            }
        }
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
        let mut out = T::building();
        // Past `SCANNED_KEYS`, the keys of an object whose tree does not hash
        // them are hashed here, so a hostile object of many keys costs no
        // quadratic time.
        let mut hashed: Option<crate::hash::TextSet<String>> = None;
        let mut count = 0usize;
        while let Some(key) = map.next_key::<String>()? {
            let twice = match &mut hashed {
                Some(keys) => !keys.insert(key.clone()),
                None if count < SCANNED_KEYS => T::has_key(&out, &key),
                None => match T::scanned_keys(&out) {
                    Some(scanned) => {
                        let mut keys: crate::hash::TextSet<String> =
                            scanned.into_iter().cloned().collect();
                        let twice = !keys.insert(key.clone());
                        hashed = Some(keys);
                        twice
                    }
                    None => T::has_key(&out, &key),
                },
            };
            count += 1;
            if twice {
                let message = format!(
                    "the key `{key}` is given twice in one object (the last would silently win)"
                );
                if let Some(stack) = self.stack {
                    stack.borrow_mut().push(Seg::Key(key));
                }
                return Err(de::Error::custom(message));
            }
            let Some(stack) = self.stack else {
                let v = map.next_value_seed(self.next())?;
                T::insert(&mut out, key, v);
                continue;
            };
            // The key waits on the path while its value is read: no copy.
            stack.borrow_mut().push(Seg::Key(key));
            let v = map.next_value_seed(self.next())?;
            if let Some(Seg::Key(key)) = stack.borrow_mut().pop() {
                T::insert(&mut out, key, v);
            }
        }
        Ok(T::object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> JsonError {
        let r = parse(text);
        assert!(r.is_err(), "{text} parsed as {r:?}");
        r.err().unwrap_or(JsonError {
            line: 0,
            column: 0,
            path: String::new(),
            message: String::new(),
        })
    }

    #[test]
    fn duplicate_key_has_its_path_and_position() {
        let e = err("{\"a\": [{\"x\": 1},\n {\"exclude\": [], \"exclude\": [1]}]}");
        assert_eq!(e.path, "$.a[1].exclude");
        assert_eq!(e.line, 2);
        assert!(e.message.contains("given twice"), "{e}");
    }

    #[test]
    fn locates_a_path() {
        let text = "{\"a\": [1,\n  {\"b\": \"x\"}]}";
        assert_eq!(locate(text, "$.a[1].b"), Some((2, 9)));
        assert_eq!(locate(text, "$.a[0]"), Some((1, 8)));
        assert_eq!(locate(text, "$.nope"), None);
    }

    #[test]
    fn same_key_in_sibling_objects_is_fine() {
        let v = parse(r#"[{"a": 1}, {"a": 2}]"#);
        assert_eq!(v, Ok(serde_json::json!([{"a": 1}, {"a": 2}])));
    }

    #[test]
    fn empty_and_truncated_and_trailing() {
        assert!(err("  \n").message.contains("empty"));
        let e = err("{\"a\": [1, 2");
        assert_eq!(e.path, "$.a[2]");
        assert!(e.message.contains("ends early"), "{e}");
        assert!(err("{} x").message.contains("after the JSON value"));
    }

    #[test]
    fn a_key_twice_in_a_large_object_is_found_in_either_tree() {
        // Past the keys compared one by one: the hashed check.
        let keys: Vec<String> = (0..12).map(|i| format!("\"k{i}\": {i}")).collect();
        let text = format!("{{\"a\": {{{}, \"k3\": 0}}}}", keys.join(", "));
        let e = err(&text);
        assert_eq!(e.path, "$.a.k3");
        assert!(e.message.contains("`k3` is given twice"), "{e}");
        assert_eq!(parse_tree(&text).err(), Some(e));
        let distinct = format!("{{{}}}", keys.join(", "));
        assert!(parse_tree(&distinct).is_ok());
    }

    /// The configuration's tree and serde_json's agree on every text: the
    /// same values in the same order, or the same error.
    fn agree(text: &str) {
        let tree = parse_tree(text).map(|t| t.to_serde());
        assert_eq!(tree, parse(text), "{text}");
        if let Ok(t) = parse_tree(text) {
            assert_eq!(t.to_string(), parse(text).unwrap_or_default().to_string());
        }
    }

    #[test]
    fn the_trees_agree_on_edge_cases() {
        for text in [
            r#"{"z": 1, "a": [true, null, "x", {"k": -2.5}], "m": {}}"#,
            r#"[1, -0, 1e400, 18446744073709551615, -9223372036854775808, 0.1]"#,
            r#"{"s": "\u00e9\ud83d\ude00", "e": "", "n": null}"#,
            r#"{"a": 1, "a": 2}"#,
            r#"{"a": [1, 2"#,
            "",
            "{} x",
            r#""\ud800""#,
        ] {
            agree(text);
        }
    }

    proptest::proptest! {
        #[test]
        fn the_trees_agree_on_generated_json(text in json_text()) {
            agree(&text);
        }
    }

    /// JSON text, duplicate keys included (small key alphabet), and now and
    /// then cut short.
    fn json_text() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just("null".to_string()),
            any::<bool>().prop_map(|b| b.to_string()),
            any::<i64>().prop_map(|n| n.to_string()),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(|f| f.to_string()),
            "[a-c\\\\\"é]{0,4}".prop_map(|s| serde_json::Value::String(s).to_string()),
        ];
        let value = leaf.prop_recursive(4, 48, 10, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6)
                    .prop_map(|v| format!("[{}]", v.join(","))),
                prop::collection::vec(("[a-k]", inner), 0..12).prop_map(|entries| {
                    let e: Vec<String> = entries
                        .iter()
                        .map(|(k, v)| format!("\"{k}\":{v}"))
                        .collect();
                    format!("{{{}}}", e.join(","))
                }),
            ]
        });
        (value, 0usize..40).prop_map(|(text, cut)| {
            // One text in forty cut short, at a character boundary.
            if cut == 0 {
                let end = text
                    .char_indices()
                    .map(|(i, _)| i)
                    .nth(text.chars().count() / 2)
                    .unwrap_or(0);
                text[..end].to_string()
            } else {
                text
            }
        })
    }

    #[test]
    fn agrees_with_serde_json_when_no_key_repeats() {
        let text = r#"{"n": [1, -2, 3.5, 18446744073709551615], "s": "\u00e9", "z": null, "b": true, "o": {}}"#;
        assert_eq!(parse(text).ok(), serde_json::from_str::<Value>(text).ok());
        let big = "[1e400]";
        assert_eq!(
            parse(big).is_ok(),
            serde_json::from_str::<Value>(big).is_ok()
        );
    }
}
