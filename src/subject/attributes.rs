//! SAML attributes and OIDC claims: name -> one string or a list of strings, read
//! straight into a list, without a JSON tree in between. A value of another shape
//! is kept as `Invalid`, so `Subject::normalise` reports it at its JSON path.

use serde::Deserialize;
use serde::de::{self, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::fmt;

/// name -> values, in input order. A name given twice is an error.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Attributes(Vec<(String, Values)>);

/// The values of one attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Values {
    Strings(Vec<String>),
    /// Neither a string nor an array of strings.
    Invalid,
}

impl Attributes {
    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Each name with its values (none for an invalid value).
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[String])> {
        self.0.iter().map(|(name, values)| {
            let values: &[String] = match values {
                Values::Strings(v) => v,
                Values::Invalid => &[],
            };
            (name.as_str(), values)
        })
    }

    /// The first name whose value is neither a string nor an array of strings.
    pub fn first_invalid(&self) -> Option<&str> {
        self.0
            .iter()
            .find(|(_, v)| *v == Values::Invalid)
            .map(|(name, _)| name.as_str())
    }
}

impl<'de> Deserialize<'de> for Attributes {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Attributes, D::Error> {
        struct Names;
        impl<'de> Visitor<'de> for Names {
            type Value = Attributes;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of strings or arrays of strings")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Attributes, A::Error> {
                let mut out: Vec<(String, Values)> = Vec::new();
                // A repeated name is found by a search while there are few,
                // then through a set: a context with 60,000 attributes took
                // 4 s to read, one search per name.
                let mut names: Option<crate::hash::TextSet<String>> = None;
                while let Some((name, values)) = map.next_entry::<String, Values>()? {
                    let repeated = match &mut names {
                        Some(set) => !set.insert(name.clone()),
                        None => out.iter().any(|(n, _)| *n == name),
                    };
                    if repeated {
                        return Err(de::Error::custom(format!(
                            "the key `{name}` is given twice in one object"
                        )));
                    }
                    out.push((name, values));
                    if names.is_none() && out.len() > 8 {
                        names = Some(out.iter().map(|(n, _)| n.clone()).collect());
                    }
                }
                Ok(Attributes(out))
            }
        }
        d.deserialize_map(Names)
    }
}

impl<'de> Deserialize<'de> for Values {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Values, D::Error> {
        Ok(match Shape::deserialize(d)? {
            Shape::String(s) => Values::Strings(vec![s]),
            Shape::Strings(v) => Values::Strings(v),
            Shape::Other => Values::Invalid,
        })
    }
}

/// Any JSON value, as much of it as an attribute needs: a string, an array of
/// strings, or something else (read through and dropped).
enum Shape {
    String(String),
    Strings(Vec<String>),
    Other,
}

impl<'de> Deserialize<'de> for Shape {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Shape, D::Error> {
        struct AnyValue;
        impl<'de> Visitor<'de> for AnyValue {
            type Value = Shape;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or an array of strings")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Shape, E> {
                Ok(Shape::String(v.to_string()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Shape, E> {
                Ok(Shape::String(v))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Shape, A::Error> {
                let mut strings = Vec::new();
                let mut all_strings = true;
                while let Some(item) = seq.next_element::<Shape>()? {
                    match item {
                        Shape::String(s) => strings.push(s),
                        _ => all_strings = false,
                    }
                }
                Ok(if all_strings {
                    Shape::Strings(strings)
                } else {
                    Shape::Other
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Shape, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Shape::Other)
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Shape, E> {
                Ok(Shape::Other)
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Shape, E> {
                Ok(Shape::Other)
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Shape, E> {
                Ok(Shape::Other)
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Shape, E> {
                Ok(Shape::Other)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Shape, E> {
                Ok(Shape::Other)
            }
            fn visit_none<E: de::Error>(self) -> Result<Shape, E> {
                Ok(Shape::Other)
            }
        }
        d.deserialize_any(AnyValue)
    }
}

/// A map in which a key given twice is an error (serde's maps keep the last).
pub fn unique_map<'de, D, V>(d: D) -> Result<std::collections::BTreeMap<String, V>, D::Error>
where
    D: de::Deserializer<'de>,
    V: Deserialize<'de>,
{
    struct Unique<V>(std::marker::PhantomData<V>);
    impl<'de, V: Deserialize<'de>> Visitor<'de> for Unique<V> {
        type Value = std::collections::BTreeMap<String, V>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = std::collections::BTreeMap::new();
            while let Some((k, v)) = map.next_entry::<String, V>()? {
                if out.contains_key(&k) {
                    return Err(de::Error::custom(format!(
                        "the key `{k}` is given twice in one object"
                    )));
                }
                out.insert(k, v);
            }
            Ok(out)
        }
    }
    d.deserialize_map(Unique(std::marker::PhantomData))
}

/// An object from a name to a string or an array of strings.
impl schemars::JsonSchema for Attributes {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Attributes".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "object",
            "additionalProperties": {
                "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Attributes;

    fn read(json: &str) -> Result<Attributes, String> {
        serde_json::from_str(json).map_err(|e| e.to_string())
    }

    #[test]
    fn strings_arrays_repeats_and_invalid_values() -> Result<(), String> {
        assert!(read(r#"{"dept": "Eng", "teams": ["a", "b"], "dept": ["Ops"]}"#).is_err());
        let a = read(r#"{"dept": ["Ops"], "teams": ["a", "b"]}"#)?;
        let got: Vec<(&str, Vec<&str>)> = a
            .iter()
            .map(|(n, v)| (n, v.iter().map(String::as_str).collect()))
            .collect();
        assert_eq!(got, vec![("dept", vec!["Ops"]), ("teams", vec!["a", "b"])]);
        assert_eq!(a.first_invalid(), None);
        for bad in [
            r#"{"x": 1}"#,
            r#"{"x": ["a", 2]}"#,
            r#"{"x": null}"#,
            r#"{"x": {"y": []}}"#,
        ] {
            assert_eq!(read(bad)?.first_invalid(), Some("x"), "{bad}");
        }
        assert!(
            read(r#"{"x": ["a", {"b": [1, 2]}]}"#)?
                .first_invalid()
                .is_some()
        );
        Ok(())
    }
}
