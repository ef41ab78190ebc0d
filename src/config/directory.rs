//! The account's directory kinds: identity providers, managed networks and
//! service tokens (`config.md` §7); they name things in rules and
//! explanations and let validation find references to nothing.

use super::model::{IdentityProvider, ManagedNetwork, ServiceToken};
use super::reader::Reader;
use crate::json::tree::Value;

impl Reader<'_> {
    /// `GET …/access/identity_providers`: `id`, `name`, `type`.
    pub fn identity_provider(&mut self, v: &Value, path: &str) -> Option<IdentityProvider> {
        let obj = self.object(v, path)?;
        let id = self.string_in(obj, "id", path)?;
        let kind = self.string_in(obj, "type", path)?;
        let name = self
            .opt_string(obj, "name", path)
            .unwrap_or_else(|| id.clone());
        Some(IdentityProvider {
            id,
            name,
            kind,
            path: path.to_string(),
            file: self.file.clone(),
        })
    }

    /// `GET …/devices/networks`: `network_id`, `name`, `type`, `config`.
    pub fn managed_network(&mut self, v: &Value, path: &str) -> Option<ManagedNetwork> {
        let obj = self.object(v, path)?;
        let id = self
            .opt_string(obj, "network_id", path)
            .or_else(|| self.opt_string(obj, "id", path));
        let name = self.string_in(obj, "name", path)?;
        let kind = self.opt_string(obj, "type", path).unwrap_or_default();
        Some(ManagedNetwork {
            id: id.unwrap_or_else(|| name.clone()),
            name,
            kind,
            path: path.to_string(),
        })
    }

    /// `GET …/access/service_tokens`: `id`, `client_id`, `name`.
    pub fn service_token(&mut self, v: &Value, path: &str) -> Option<ServiceToken> {
        let obj = self.object(v, path)?;
        let id = self.string_in(obj, "id", path)?;
        let client_id = self.opt_string(obj, "client_id", path);
        let name = self
            .opt_string(obj, "name", path)
            .unwrap_or_else(|| id.clone());
        Some(ServiceToken {
            id,
            client_id,
            name,
            path: path.to_string(),
        })
    }
}
