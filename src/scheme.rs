//! The field table: name -> `FieldId` + `Type`, and list declarations: name ->
//! `ListId`. The only name -> id map of the crate; nothing after check.rs sees a
//! field name. Holds the built-in device-profile and IP-profile schemes and reads
//! custom schemes from JSON.

use rustc_hash::FxHashMap as HashMap;
use std::fmt;

/// A value type of the expression language.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Type {
    /// `warp.enabled`
    Bool,
    /// signed 64-bit
    Int,
    /// IPv4 or IPv6 address
    Ip,
    /// byte string
    Bytes,
    /// `Array<T>`
    Array(Box<Type>),
    /// `Map<T>` with byte-string keys
    Map(Box<Type>),
}

impl Type {
    /// Reads `Bool`, `Int`, `Ip`, `Bytes`, `Array<T>`, `Map<T>`.
    pub fn parse(s: &str) -> Option<Type> {
        let s = s.trim();
        Some(match s {
            "Bool" => Type::Bool,
            "Int" => Type::Int,
            "Ip" => Type::Ip,
            "Bytes" => Type::Bytes,
            _ => {
                let inner = |prefix: &str| {
                    s.strip_prefix(prefix)
                        .and_then(|r| r.strip_suffix('>'))
                        .and_then(Type::parse)
                };
                if let Some(t) = inner("Array<") {
                    Type::Array(Box::new(t))
                } else {
                    Type::Map(Box::new(inner("Map<")?))
                }
            }
        })
    }

    /// `Array` or `Map`.
    pub fn is_container(&self) -> bool {
        matches!(self, Type::Array(_) | Type::Map(_))
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::Bool => f.write_str("Bool"),
            Type::Int => f.write_str("Int"),
            Type::Ip => f.write_str("Ip"),
            Type::Bytes => f.write_str("Bytes"),
            Type::Array(t) => write!(f, "Array<{t}>"),
            Type::Map(t) => write!(f, "Map<{t}>"),
        }
    }
}

/// Index of a field in its scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct FieldId(u32);

impl FieldId {
    /// The index into a context's slots.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// Index of a list in its scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ListId(u32);

impl ListId {
    /// The index into the scheme's lists.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// A declared list: its element type and items as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListDef {
    /// `office_ips`
    pub name: Box<str>,
    /// Element type: Bytes, Int or Ip.
    pub ty: Type,
    /// Items as written (`"10.0.0.0/8"`, `"HQ-Wifi"`).
    pub items: Vec<String>,
    /// Some items are not known (`config.md` §3): a value not among `items`
    /// may still be in the list.
    pub incomplete: bool,
}

/// Fields and lists an expression may use.
#[derive(Debug, Clone, Default)]
pub struct Scheme {
    fields: Vec<(Box<str>, Type)>,
    field_index: HashMap<Box<str>, FieldId>,
    lists: Vec<ListDef>,
    list_index: HashMap<Box<str>, ListId>,
    /// Names that exist elsewhere but not here, with why (e.g. `os.name` in an IP profile).
    unavailable: Vec<(&'static str, &'static str)>,
}

/// The device-profile fields of `expressions.md` §8, identity fields first.
const DEVICE_FIELDS: &[(&str, &str)] = &[
    ("identity.email", "Bytes"),
    ("identity.name", "Bytes"),
    ("identity.groups.id", "Array<Bytes>"),
    ("identity.groups.name", "Array<Bytes>"),
    ("identity.groups.email", "Array<Bytes>"),
    ("identity.saml_attributes", "Array<Bytes>"),
    ("identity.oidc_claims", "Array<Bytes>"),
    ("identity.service_token_uuid", "Bytes"),
    ("network", "Bytes"),
    ("os.name", "Bytes"),
    ("os.version", "Bytes"),
    ("device_posture.checks.passed", "Array<Bytes>"),
    ("device_posture.checks.failed", "Array<Bytes>"),
];

/// Fields Cloudflare does not offer in IP profiles.
const NOT_IN_IP_PROFILES: &[&str] = &[
    "identity.service_token_uuid",
    "network",
    "os.name",
    "os.version",
    "device_posture.checks.passed",
    "device_posture.checks.failed",
];

/// Why a custom scheme could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SchemeError {
    /// The JSON is malformed or has the wrong shape.
    #[error("invalid scheme: {0}")]
    Json(String),
    /// A type name is not one of the language's types.
    #[error("field `{field}` has unknown type `{ty}`")]
    UnknownType {
        /// The field.
        field: String,
        /// The type as written.
        ty: String,
    },
    /// A name is declared twice.
    #[error("`{0}` is declared twice")]
    Duplicate(String),
    /// A list item is not a value of the list's type.
    #[error("list `{list}`: item `{item}` is not a valid `{ty}`")]
    BadListItem {
        /// The list.
        list: String,
        /// The item as written.
        item: String,
        /// The list's type.
        ty: String,
    },
    /// A list's element type is not Bytes, Int or Ip.
    #[error("list `{0}` must have type `Bytes`, `Int` or `Ip`")]
    BadListType(String),
}

impl Scheme {
    /// An empty scheme.
    pub fn new() -> Scheme {
        Scheme::default()
    }

    /// The built-in device settings profile scheme.
    pub fn device() -> Scheme {
        let mut s = Scheme::new();
        for (name, ty) in DEVICE_FIELDS {
            if let Some(ty) = Type::parse(ty) {
                let _ = s.add_field(name, ty);
            }
        }
        s
    }

    /// The built-in IP profile scheme: the identity part of the device scheme.
    pub fn ip() -> Scheme {
        let mut s = Scheme::new();
        for (name, ty) in DEVICE_FIELDS {
            if NOT_IN_IP_PROFILES.contains(name) {
                s.unavailable
                    .push((name, "it is not available in IP profiles"));
            } else if let Some(ty) = Type::parse(ty) {
                let _ = s.add_field(name, ty);
            }
        }
        s
    }

    /// Reads a custom scheme (`expressions.md` §8).
    ///
    /// # Errors
    /// Malformed JSON, unknown types, duplicate names, lists of a container type.
    pub fn from_json(text: &str) -> Result<Scheme, SchemeError> {
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Raw {
            #[serde(default)]
            fields: indexmap_like::Ordered<String>,
            #[serde(default)]
            lists: indexmap_like::Ordered<Object<RawList>>,
        }
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct RawList {
            #[serde(rename = "type")]
            ty: String,
            #[serde(default)]
            items: Vec<String>,
        }
        // Objects only: serde's derive would read `[]` as an empty scheme.
        use crate::json::object::Object;
        let Object(raw): Object<Raw> =
            serde_json::from_str(text).map_err(|e| SchemeError::Json(e.to_string()))?;
        let mut s = Scheme::new();
        for (name, ty) in raw.fields.0 {
            let t = Type::parse(&ty).ok_or_else(|| SchemeError::UnknownType {
                field: name.clone(),
                ty: ty.clone(),
            })?;
            s.add_field(&name, t)?;
        }
        for (name, Object(list)) in raw.lists.0 {
            let t = Type::parse(&list.ty).ok_or_else(|| SchemeError::UnknownType {
                field: name.clone(),
                ty: list.ty.clone(),
            })?;
            s.add_list(&name, t, list.items)?;
        }
        Ok(s)
    }

    /// Adds a field.
    ///
    /// # Errors
    /// When the name is taken.
    pub fn add_field(&mut self, name: &str, ty: Type) -> Result<FieldId, SchemeError> {
        if self.field_index.contains_key(name) {
            return Err(SchemeError::Duplicate(name.to_string()));
        }
        let id = FieldId(u32::try_from(self.fields.len()).unwrap_or(u32::MAX));
        self.fields.push((name.into(), ty));
        self.field_index.insert(name.into(), id);
        Ok(id)
    }

    /// Declares a list of `ty` (Bytes, Int or Ip) with its items as written.
    ///
    /// # Errors
    /// When the name is taken or the type is a container or Bool.
    pub fn add_list(
        &mut self,
        name: &str,
        ty: Type,
        items: Vec<String>,
    ) -> Result<ListId, SchemeError> {
        if !matches!(ty, Type::Bytes | Type::Int | Type::Ip) {
            return Err(SchemeError::BadListType(name.to_string()));
        }
        if self.list_index.contains_key(name) {
            return Err(SchemeError::Duplicate(format!("${name}")));
        }
        for item in &items {
            let ok = match ty {
                Type::Int => crate::literal::parse_int(item.trim()).is_ok(),
                Type::Ip => crate::literal::parse_ip_item(item).is_some(),
                _ => true,
            };
            if !ok {
                return Err(SchemeError::BadListItem {
                    list: name.to_string(),
                    item: item.clone(),
                    ty: ty.to_string(),
                });
            }
        }
        let id = ListId(u32::try_from(self.lists.len()).unwrap_or(u32::MAX));
        self.lists.push(ListDef {
            name: name.into(),
            ty,
            items,
            incomplete: false,
        });
        self.list_index.insert(name.into(), id);
        Ok(id)
    }

    /// Marks a list as incomplete: some of its items are not known.
    pub(crate) fn mark_incomplete(&mut self, id: ListId) {
        if let Some(def) = self.lists.get_mut(id.index()) {
            def.incomplete = true;
        }
    }

    /// The field of that name.
    pub fn field(&self, name: &str) -> Option<FieldId> {
        self.field_index.get(name).copied()
    }

    /// A field's name and type.
    pub fn field_info(&self, id: FieldId) -> Option<(&str, &Type)> {
        self.fields.get(id.index()).map(|(n, t)| (&**n, t))
    }

    /// Number of fields: the number of slots in a context.
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// True when there are no fields.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// Every field, in id order.
    pub fn fields(&self) -> impl Iterator<Item = (FieldId, &str, &Type)> {
        self.fields
            .iter()
            .enumerate()
            .map(|(i, (n, t))| (FieldId(u32::try_from(i).unwrap_or(u32::MAX)), &**n, t))
    }

    /// The list of that name.
    pub fn list(&self, name: &str) -> Option<ListId> {
        self.list_index.get(name).copied()
    }

    /// A list's declaration.
    pub fn list_def(&self, id: ListId) -> Option<&ListDef> {
        self.lists.get(id.index())
    }

    /// Every list, in id order.
    pub fn lists(&self) -> &[ListDef] {
        &self.lists
    }

    /// Why a name is not a field here although it exists in a sibling scheme.
    pub fn unavailable_reason(&self, name: &str) -> Option<&'static str> {
        self.unavailable
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, why)| *why)
    }

    /// The known field or list names, for "did you mean" suggestions.
    pub fn field_names(&self) -> impl Iterator<Item = &str> {
        self.fields
            .iter()
            .map(|(n, _)| &**n)
            .filter(|n| self.field_index.contains_key(*n))
    }

    /// The declared list names.
    pub fn list_names(&self) -> impl Iterator<Item = &str> {
        self.lists.iter().map(|l| &*l.name)
    }
}

/// A JSON object read as an ordered list of entries, so that field ids follow the
/// order of the file (serde_json's `preserve_order` keeps it).
mod indexmap_like {
    use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
    use std::fmt;
    use std::marker::PhantomData;

    pub struct Ordered<T>(pub Vec<(String, T)>);

    impl<T> Default for Ordered<T> {
        fn default() -> Self {
            Ordered(Vec::new())
        }
    }

    impl<'de, T: Deserialize<'de>> Deserialize<'de> for Ordered<T> {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V<T>(PhantomData<T>);
            impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
                type Value = Ordered<T>;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("an object")
                }
                fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                    let mut out = Vec::new();
                    while let Some((k, v)) = map.next_entry::<String, T>()? {
                        out.push((k, v));
                    }
                    Ok(Ordered(out))
                }
            }
            d.deserialize_map(V(PhantomData))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::did_you_mean;

    #[test]
    fn types_round_trip() {
        for t in ["Bool", "Array<Bytes>", "Map<Array<Int>>"] {
            assert_eq!(Type::parse(t).map(|t| t.to_string()).as_deref(), Some(t));
        }
        assert_eq!(Type::parse("Array<Nope>"), None);
    }

    #[test]
    fn suggestions() {
        let s = Scheme::device();
        assert_eq!(
            did_you_mean("identity.emial", s.field_names()),
            Some("identity.email")
        );
        assert_eq!(did_you_mean("zzz", s.field_names()), None);
        assert!(Scheme::ip().field("os.name").is_none());
    }

    #[test]
    fn a_custom_scheme_is_objects_not_arrays_by_position() {
        let good = Scheme::from_json(
            r#"{"fields": {"a": "Bytes"}, "lists": {"l": {"type": "Bytes", "items": ["x"]}}}"#,
        );
        assert!(good.is_ok_and(|s| s.field("a").is_some()));
        assert!(Scheme::from_json("[]").is_err());
        assert!(Scheme::from_json(r#"[{"a": "Bytes"}]"#).is_err());
        assert!(Scheme::from_json(r#"{"lists": {"l": ["Bytes", ["x"]]}}"#).is_err());
    }
}
