//! Structs read from JSON objects only. serde's derived `Deserialize` also
//! reads a struct from a JSON array, by position: a context's `"idp": ["x",
//! "okta"]` would be `{"id": "x", "type": "okta"}` on the batch path, which
//! reads text straight into `Subject`, while `eval` (`subject/validate.rs`)
//! refuses it; a test's `"expect": []` would be a test that checks nothing.
//! Every struct-valued field of what the crate reads strictly goes through
//! these.

use serde::Deserialize;
use serde::de::value::MapAccessDeserializer;
use serde::de::{Deserializer, MapAccess, Visitor};
use std::fmt;
use std::marker::PhantomData;

/// A `T` read only from a JSON object.
#[repr(transparent)]
pub(crate) struct Object<T>(pub(crate) T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Only<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for Only<T> {
            type Value = Object<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Object<T>, A::Error> {
                T::deserialize(MapAccessDeserializer::new(map)).map(Object)
            }
        }
        d.deserialize_map(Only(PhantomData))
    }
}

/// A struct-valued field.
pub(crate) fn object<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<T, D::Error> {
    Object::deserialize(d).map(|o| o.0)
}

/// An optional struct-valued field (`null` is `None`).
pub(crate) fn optional_object<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<Object<T>>::deserialize(d).map(|o| o.map(|o| o.0))
}

/// An optional array of objects (`null` is `None`).
pub(crate) fn optional_objects<'de, D, T>(d: D) -> Result<Option<Vec<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<Vec<Object<T>>>::deserialize(d)
        .map(|o| o.map(|v| v.into_iter().map(|o| o.0).collect()))
}

/// An array of objects.
pub(crate) fn objects<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    // Collected in place: `Object<T>` is laid out as `T`.
    Vec::<Object<T>>::deserialize(d).map(|v| v.into_iter().map(|o| o.0).collect())
}

/// serde's message in the crate's words: `wrong type: …`, and an array
/// where an object belongs said as such (serde calls it a sequence).
pub(crate) fn message(serde: &str) -> String {
    match serde.strip_prefix("invalid type: ") {
        Some("sequence, expected an object") => "expected an object, found an array".into(),
        Some(rest) => format!("wrong type: {rest}"),
        None => serde.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Pair {
        a: Option<String>,
        b: Option<String>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Outer {
        #[serde(default, deserialize_with = "optional_object")]
        one: Option<Pair>,
        #[serde(default, deserialize_with = "objects")]
        many: Vec<Pair>,
    }

    #[test]
    fn an_object_is_read_and_an_array_refused() -> Result<(), serde_json::Error> {
        let o: Outer = serde_json::from_str(r#"{"one": {"a": "x"}, "many": [{"b": "y"}]}"#)?;
        assert_eq!(
            o.one,
            Some(Pair {
                a: Some("x".into()),
                b: None
            })
        );
        assert_eq!(
            o.many,
            [Pair {
                a: None,
                b: Some("y".into())
            }]
        );
        let null: Outer = serde_json::from_str(r#"{"one": null}"#)?;
        assert_eq!(null.one, None);
        // Derived, both would be read by position.
        assert!(serde_json::from_str::<Outer>(r#"{"one": ["x", "y"]}"#).is_err());
        assert!(serde_json::from_str::<Outer>(r#"{"many": [["x", "y"]]}"#).is_err());
        assert!(serde_json::from_str::<Pair>(r#"["x", "y"]"#).is_ok());
        Ok(())
    }
}
