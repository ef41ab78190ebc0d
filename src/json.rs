//! Strict JSON text -> `serde_json::Value`: a key given twice in one object is
//! an error with its JSON path, where serde_json alone would keep the last
//! value silently (a second `"exclude": []` would wipe the first).

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::cell::RefCell;
use std::fmt;

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

/// `obj[key]`. Most objects have a few keys: comparing them costs less than
/// hashing the key (a thousand groups' rules read ~14,000 fields, every
/// context reads every posture rule's input); a large one is hashed.
pub fn field<'v>(obj: &'v Map<String, Value>, key: &str) -> Option<&'v Value> {
    if obj.len() <= 8 {
        obj.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    } else {
        obj.get(key)
    }
}

/// `field`, to move the value out of.
pub fn field_mut<'v>(obj: &'v mut Map<String, Value>, key: &str) -> Option<&'v mut Value> {
    if obj.len() <= 8 {
        obj.iter_mut().find(|(k, _)| *k == key).map(|(_, v)| v)
    } else {
        obj.get_mut(key)
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
    if text.trim().is_empty() {
        return Err(JsonError {
            line: 0,
            column: 0,
            path: "$".into(),
            message: "the file is empty (expected a JSON value)".into(),
        });
    }
    let stack = Stack::default();
    let mut de = serde_json::Deserializer::from_str(text);
    let result = ValueSeed {
        stack: &stack,
        target: None,
    }
    .deserialize(&mut de)
    .and_then(|v| de.end().map(|()| v));
    result.map_err(|e| {
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
            Seg::Key(k) => out.push_str(&crate::diag::path_key(k)),
            Seg::Index(i) => {
                out.push('[');
                out.push_str(&i.to_string());
                out.push(']');
            }
        }
    }
    out
}

struct ValueSeed<'s> {
    stack: &'s Stack,
    /// `locate`: the path whose value stops the reading where it starts.
    target: Option<&'s str>,
}

/// The error `locate` stops the reading with.
const FOUND: &str = "zt-eval: located";

impl<'de> DeserializeSeed<'de> for ValueSeed<'_> {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        if let Some(t) = self.target
            && render(&self.stack.borrow()) == t
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
    let e = ValueSeed {
        stack: &stack,
        target: Some(path),
    }
    .deserialize(&mut de)
    .err()?;
    // serde_json's column is the last character read, the one before the value.
    // The root has no position worth showing (line 0).
    (e.to_string().starts_with(FOUND) && e.line() > 0).then(|| (e.line(), e.column() + 1))
}

impl<'de> Visitor<'de> for ValueSeed<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(v.into())
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(v.into())
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        loop {
            self.stack.borrow_mut().push(Seg::Index(out.len()));
            match seq.next_element_seed(ValueSeed {
                stack: self.stack,
                target: self.target,
            })? {
                Some(v) => out.push(v),
                None => {
                    self.stack.borrow_mut().pop();
                    return Ok(Value::Array(out));
                }
            }
            self.stack.borrow_mut().pop();
        }
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            // Not hashed here and again on insert, for the few keys most have.
            if field(&out, &key).is_some() {
                let message = format!(
                    "the key `{key}` is given twice in one object (the last would silently win)"
                );
                self.stack.borrow_mut().push(Seg::Key(key));
                return Err(de::Error::custom(message));
            }
            // The key waits on the path stack while its value is read: no copy.
            self.stack.borrow_mut().push(Seg::Key(key));
            let v = map.next_value_seed(ValueSeed {
                stack: self.stack,
                target: self.target,
            })?;
            if let Some(Seg::Key(key)) = self.stack.borrow_mut().pop() {
                out.insert(key, v);
            }
        }
        Ok(Value::Object(out))
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
