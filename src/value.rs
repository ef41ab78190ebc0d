//! Runtime values and `Context`: one slot per scheme field, addressed by `FieldId`.
//! Built once per context (strings and IPs normalised here, not per atom); the
//! evaluator only indexes slots.

use crate::scheme::{FieldId, Scheme, Type};
use std::net::IpAddr;

/// A value of a context field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// `true`
    Bool(bool),
    /// `19045`
    Int(i64),
    /// `10.1.2.3` (IPv4-mapped IPv6 addresses are stored as IPv4)
    Ip(IpAddr),
    /// `"mac"`
    Bytes(Box<[u8]>),
    /// `["eng", "ops"]`
    Array(Box<[Value]>),
    /// `{"crowdstrike": 85}`, sorted by key so `[*]` yields values in key order
    Map(Box<[(Box<[u8]>, Value)]>),
}

impl Value {
    /// The value at `key` of a map.
    pub fn get_key(&self, key: &[u8]) -> Option<&Value> {
        match self {
            Value::Map(entries) => entries
                .binary_search_by(|(k, _)| (**k).cmp(key))
                .ok()
                .and_then(|i| entries.get(i))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// Element `i` of an array.
    pub fn get_index(&self, i: u32) -> Option<&Value> {
        match self {
            Value::Array(items) => items.get(i as usize),
            _ => None,
        }
    }

    /// A map from its entries, sorted by key; a repeated key keeps the last value.
    pub fn map(mut entries: Vec<(Box<[u8]>, Value)>) -> Value {
        entries.reverse();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        entries.dedup_by(|a, b| a.0 == b.0);
        Value::Map(entries.into_boxed_slice())
    }
}

/// The field values of one evaluation, by `FieldId`. Absent fields are nil.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Context {
    slots: Box<[Option<Value>]>,
}

/// A context that could not be read (`context.md`, or a flat context of
/// `expressions.md`), with the JSON path of the problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextError {
    /// `$["os.build"]`, `$.request.ip`
    pub path: String,
    /// What is wrong.
    pub message: String,
    /// Every further error of the same context: `(JSON path, message)`.
    pub also: Vec<(String, String)>,
}

impl std::fmt::Display for ContextError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)?;
        for (path, message) in &self.also {
            write!(f, "\n{path}: {message}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ContextError {}

impl Context {
    /// A context for `scheme` with every field nil.
    pub fn new(scheme: &Scheme) -> Context {
        Context {
            slots: vec![None; scheme.len()].into_boxed_slice(),
        }
    }

    /// A context of `len` nil slots.
    pub fn with_len(len: usize) -> Context {
        Context {
            slots: vec![None; len].into_boxed_slice(),
        }
    }

    /// Sets a field; `None` makes it nil.
    pub fn set(&mut self, field: FieldId, value: Option<Value>) {
        if let Some(slot) = self.slots.get_mut(field.index()) {
            *slot = value;
        }
    }

    /// A field's value; nil is `None`.
    #[inline]
    pub fn get(&self, field: FieldId) -> Option<&Value> {
        self.slots.get(field.index()).and_then(Option::as_ref)
    }

    /// Number of slots.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// True when the scheme has no fields.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Reads the flat context of `context.md` ("A flat context for expressions"):
    /// field name -> JSON value of the field's type. Absent fields are nil; `null`
    /// is nil; unknown names are errors.
    ///
    /// # Errors
    /// An unknown field or a value of the wrong shape, with its path.
    pub fn from_flat_json(
        scheme: &Scheme,
        json: &serde_json::Value,
    ) -> Result<Context, ContextError> {
        let obj = json.as_object().ok_or_else(|| ContextError {
            path: "$".into(),
            message: "expected an object mapping field names to values".into(),
            also: Vec::new(),
        })?;
        let mut ctx = Context::new(scheme);
        for (name, v) in obj {
            let path = format!("$[{}]", serde_json::Value::from(name.as_str()));
            let field = scheme.field(name).ok_or_else(|| ContextError {
                path: path.clone(),
                message: match crate::diag::did_you_mean(name, scheme.field_names()) {
                    Some(s) => format!("unknown field `{name}` (did you mean `{s}`?)"),
                    None => format!("unknown field `{name}`"),
                },
                also: Vec::new(),
            })?;
            let (_, ty) = scheme.field_info(field).ok_or_else(|| ContextError {
                path: path.clone(),
                message: "field without a type".into(),
                also: Vec::new(),
            })?;
            let value = if v.is_null() {
                None
            } else {
                Some(value_from_json(ty, v, &path)?)
            };
            ctx.set(field, value);
        }
        Ok(ctx)
    }
}

/// Reads a JSON value as a value of `ty`.
///
/// # Errors
/// A value of the wrong shape, with its path.
pub(crate) fn value_from_json(
    ty: &Type,
    v: &serde_json::Value,
    path: &str,
) -> Result<Value, ContextError> {
    use serde_json::Value as J;
    let bad = |expected: &str| ContextError {
        path: path.to_string(),
        message: format!("expected {expected}, found {}", crate::diag::json_kind(v)),
        also: Vec::new(),
    };
    Ok(match (ty, v) {
        (Type::Bool, J::Bool(b)) => Value::Bool(*b),
        (Type::Bool, _) => return Err(bad("true or false")),
        (Type::Int, J::Number(n)) => Value::Int(n.as_i64().ok_or_else(|| bad("a 64-bit integer"))?),
        (Type::Int, _) => return Err(bad("an integer")),
        (Type::Bytes, J::String(s)) => Value::Bytes(s.as_bytes().into()),
        (Type::Bytes, _) => return Err(bad("a string")),
        (Type::Ip, J::String(s)) => {
            let ip: IpAddr = s.parse().map_err(|_| ContextError {
                path: path.to_string(),
                message: format!("invalid ip address `{s}`"),
                also: Vec::new(),
            })?;
            Value::Ip(crate::literal::normalize_ip(ip))
        }
        (Type::Ip, _) => return Err(bad("an ip address string")),
        (Type::Array(t), J::Array(items)) => Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| value_from_json(t, item, &format!("{path}[{i}]")))
                .collect::<Result<_, _>>()?,
        ),
        (Type::Array(_), _) => return Err(bad("an array")),
        (Type::Map(t), J::Object(entries)) => Value::map(
            entries
                .iter()
                .map(|(k, item)| {
                    let p = format!("{path}[{}]", serde_json::Value::from(k.as_str()));
                    Ok((k.as_bytes().into(), value_from_json(t, item, &p)?))
                })
                .collect::<Result<_, ContextError>>()?,
        ),
        (Type::Map(_), _) => return Err(bad("an object")),
    })
}
