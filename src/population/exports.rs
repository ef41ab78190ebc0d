//! The exports a team can pull from the Cloudflare API in minutes, read into
//! typed items: the Zero Trust user list, the devices lists (the older
//! `GET …/devices`, `…/devices/physical-devices` and `…/devices/registrations`)
//! and the SCIM `Users` / `Groups` an identity provider pushed
//! (`…/identity_providers/{id}/scim/users|groups`). Shapes from the API
//! reference and cloudflare-go (cited in the corpus cases). Fields no rule
//! needs are ignored, as the API adds fields; a field of the wrong JSON type is
//! an error at its JSON path, never a silent default.

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// One problem of an export file: where (JSON path) and what.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportError {
    /// `$.result[3].email`
    pub path: String,
    /// What was expected.
    pub message: String,
}

/// `{id, email, name}`: the user a device or registration names.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct UserRef {
    /// The Zero Trust user id.
    #[serde(default)]
    pub id: Option<String>,
    /// The user's email.
    #[serde(default)]
    pub email: Option<String>,
    /// The user's name.
    #[serde(default)]
    pub name: Option<String>,
}

/// One user of `GET …/access/users`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AccessUser {
    /// The user id (`user_uuid` of their identity record).
    #[serde(default)]
    pub id: Option<String>,
    /// Email.
    #[serde(default)]
    pub email: Option<String>,
    /// Name.
    #[serde(default)]
    pub name: Option<String>,
}

/// A device's own facts, from whichever devices export has them.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct DeviceItem {
    /// The device id (a registration's `device.id`).
    pub id: String,
    /// Its name.
    #[serde(default)]
    pub name: Option<String>,
    /// `windows`, `mac`, `linux`, `android`, `ios`, `chromeos`.
    #[serde(default)]
    pub device_type: Option<String>,
    /// `14.5.0`
    #[serde(default)]
    pub os_version: Option<String>,
    /// Serial number.
    #[serde(default)]
    pub serial_number: Option<String>,
    /// The older list's user.
    #[serde(default, deserialize_with = "crate::json::object::optional_object")]
    pub user: Option<UserRef>,
    /// `physical-devices`: the last user to use the device.
    #[serde(default, deserialize_with = "crate::json::object::optional_object")]
    pub last_seen_user: Option<UserRef>,
    /// Set when the device was deleted or revoked: it is left out.
    #[serde(default)]
    pub deleted_at: Option<String>,
    /// The older list: deleted.
    #[serde(default)]
    pub deleted: Option<bool>,
    /// The older list: revoked.
    #[serde(default)]
    pub revoked_at: Option<String>,
}

/// `{id, name}` of a registration's device.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct DeviceRef {
    /// The device id.
    pub id: String,
    /// Its name.
    #[serde(default)]
    pub name: Option<String>,
}

/// One registration of `…/devices/registrations`: a user on a device.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Registration {
    /// Registration id.
    #[serde(default)]
    pub id: Option<String>,
    /// The device.
    #[serde(deserialize_with = "crate::json::object::object")]
    pub device: DeviceRef,
    /// The user (absent for a service-token registration).
    #[serde(default, deserialize_with = "crate::json::object::optional_object")]
    pub user: Option<UserRef>,
    /// Set when deleted: left out.
    #[serde(default)]
    pub deleted_at: Option<String>,
    /// Set when revoked: left out.
    #[serde(default)]
    pub revoked_at: Option<String>,
}

/// `{value, primary}` of a SCIM user's `emails`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ScimEmail {
    /// The address.
    #[serde(default)]
    pub value: Option<String>,
    /// The primary address.
    #[serde(default)]
    pub primary: Option<bool>,
}

/// `{value, display}`: a SCIM reference to a user or a group.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ScimRef {
    /// The referenced resource's SCIM `id`.
    #[serde(default)]
    pub value: Option<String>,
    /// Its display name.
    #[serde(default)]
    pub display: Option<String>,
}

/// One SCIM `User` resource.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScimUser {
    /// SCIM id (not the Zero Trust user id).
    #[serde(default)]
    pub id: Option<String>,
    /// `userName`: usually the email.
    #[serde(default)]
    pub user_name: Option<String>,
    /// Email addresses.
    #[serde(default, deserialize_with = "crate::json::object::objects")]
    pub emails: Vec<ScimEmail>,
    /// `false`: a deprovisioned user, left out.
    #[serde(default)]
    pub active: Option<bool>,
    /// Groups the user is in, when the provider lists them on the user
    /// (absent: not said, which is not "none").
    #[serde(default, deserialize_with = "crate::json::object::optional_objects")]
    pub groups: Option<Vec<ScimRef>>,
}

/// One SCIM `Group` resource.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScimGroup {
    /// SCIM id.
    #[serde(default)]
    pub id: Option<String>,
    /// The name Okta-style rules compare (`okta.name`, `saml` group names).
    #[serde(default)]
    pub display_name: Option<String>,
    /// The id Azure-style rules compare (`azure_ad.id`).
    #[serde(default)]
    pub external_id: Option<String>,
    /// Members, when the provider lists them on the group.
    #[serde(default, deserialize_with = "crate::json::object::optional_objects")]
    pub members: Option<Vec<ScimRef>>,
}

/// Which export a devices file is, told by its items' fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DevicesKind {
    /// `…/devices/registrations`: items have a `device` object.
    Registrations,
    /// `…/devices/physical-devices` or the older `…/devices`.
    Devices,
}

/// The items of an export: the API's envelope (`result`), a SCIM
/// `ListResponse` (`Resources`), or a bare array; each item at its path.
///
/// # Errors
/// A value that is none of those, or an item of the wrong shape.
pub fn items<T: DeserializeOwned>(v: &Value) -> Result<Vec<T>, ExportError> {
    let (list, base) = list_of(v)?;
    list.iter()
        .enumerate()
        .map(|(i, item)| item_at(item, &format!("{base}[{i}]")))
        .collect()
}

/// The array an export holds, and its path.
fn list_of(v: &Value) -> Result<(&Vec<Value>, &'static str), ExportError> {
    match v {
        Value::Array(a) => Ok((a, "$")),
        Value::Object(o) => match (o.get("result"), o.get("Resources")) {
            (Some(Value::Array(a)), _) => Ok((a, "$.result")),
            (_, Some(Value::Array(a))) => Ok((a, "$.Resources")),
            // An error response, as the API writes it.
            _ if o.get("success") == Some(&Value::Bool(false)) => Err(ExportError {
                path: "$.errors".into(),
                message: format!(
                    "the export is an error response from the API: {}",
                    o.get("errors").map(Value::to_string).unwrap_or_default()
                ),
            }),
            _ => Err(ExportError {
                path: "$".into(),
                message: "expected the API's response (an object with a `result` array), a SCIM list (`Resources`) or an array".into(),
            }),
        },
        other => Err(ExportError {
            path: "$".into(),
            message: format!(
                "expected the API's response, found {}",
                crate::diag::json_kind(other)
            ),
        }),
    }
}

fn item_at<T: DeserializeOwned>(item: &Value, base: &str) -> Result<T, ExportError> {
    // An item is an object, not an array read by position.
    serde_path_to_error::deserialize(item)
        .map(|o: crate::json::object::Object<T>| o.0)
        .map_err(|e| {
            let sub = e.path().to_string();
            ExportError {
                path: if sub == "." {
                    base.to_string()
                } else {
                    format!("{base}.{sub}")
                },
                message: crate::json::object::message(&e.inner().to_string()),
            }
        })
}

/// Which devices export `v` is: registrations have a `device` object.
///
/// # Errors
/// Not an export, or items that are not objects.
pub fn devices_kind(v: &Value) -> Result<DevicesKind, ExportError> {
    let (list, base) = list_of(v)?;
    let mut kind = None;
    for (i, item) in list.iter().enumerate() {
        let Some(o) = item.as_object() else {
            return Err(ExportError {
                path: format!("{base}[{i}]"),
                message: format!(
                    "expected a device or a registration, found {}",
                    crate::diag::json_kind(item)
                ),
            });
        };
        let this = if o.get("device").is_some_and(Value::is_object) {
            DevicesKind::Registrations
        } else {
            DevicesKind::Devices
        };
        match kind {
            None => kind = Some(this),
            Some(k) if k != this => {
                return Err(ExportError {
                    path: format!("{base}[{i}]"),
                    message: "a devices file mixes registrations (with a `device` object) and devices; give each export as its own file".into(),
                });
            }
            Some(_) => {}
        }
    }
    Ok(kind.unwrap_or(DevicesKind::Devices))
}

/// The device's OS as a context names it: the API's `device_type`.
pub fn os_name(device_type: &str) -> String {
    let t = device_type.to_ascii_lowercase();
    match t.as_str() {
        "macos" | "darwin" => "mac".into(),
        "chrome os" | "chromeos" => "chromeos".into(),
        _ => t,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn envelopes_lists_and_arrays() {
        let users: Vec<AccessUser> =
            items(&json!({"success": true, "result": [{"id": "u1", "email": "a@b.c"}]}))
                .unwrap_or_default();
        assert_eq!(
            users.first().and_then(|u| u.email.as_deref()),
            Some("a@b.c")
        );
        let groups: Vec<ScimGroup> =
            items(&json!({"Resources": [{"displayName": "Eng", "externalId": "x"}]}))
                .unwrap_or_default();
        assert_eq!(
            groups.first().and_then(|g| g.display_name.as_deref()),
            Some("Eng")
        );
        let e = items::<AccessUser>(&json!({"result": [{"email": 3}]})).err();
        assert_eq!(e.map(|e| e.path), Some("$.result[0].email".to_string()));
        assert!(
            items::<AccessUser>(&json!({"success": false, "errors": [{"code": 10000}]})).is_err()
        );
        // An array where an object belongs is an error at its path, not
        // read by position.
        let e = items::<AccessUser>(&json!({"result": [["u1", "a@b.c"]]})).err();
        assert_eq!(e.map(|e| e.path), Some("$.result[0]".to_string()));
        let e = items::<DeviceItem>(&json!([{"id": "d", "user": ["u1", "a@b.c"]}])).err();
        assert_eq!(e.map(|e| e.path), Some("$[0].user".to_string()));
        let e = items::<ScimUser>(&json!({"Resources": [{"emails": [["a@b.c", true]]}]})).err();
        assert_eq!(
            e.map(|e| e.path),
            Some("$.Resources[0].emails[0]".to_string())
        );
    }

    #[test]
    fn registrations_are_told_from_devices() {
        let r = json!({"result": [{"id": "r", "device": {"id": "d"}, "user": {"email": "a@b.c"}}]});
        assert_eq!(devices_kind(&r), Ok(DevicesKind::Registrations));
        let d = json!({"result": [{"id": "d", "device_type": "mac", "last_seen_user": {"email": "a@b.c"}}]});
        assert_eq!(devices_kind(&d), Ok(DevicesKind::Devices));
    }
}
