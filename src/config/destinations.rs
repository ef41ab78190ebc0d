//! An application's `destinations`, legacy `domain` and `self_hosted_domains`
//! -> typed targets (`config.md` §7): what the application protects.

use super::model::Destination;
use super::reader::Reader;
use crate::json::tree::{Map, Value};
use crate::route::{HostPattern, PrivateDest, PublicDest, Target};

impl Reader<'_> {
    /// The targets of one application: its `destinations`, or with no public
    /// one, its `domain` and `self_hosted_domains`.
    pub fn destinations(&mut self, obj: &Map<String, Value>, path: &str) -> Vec<Destination> {
        let mut out = Vec::new();
        match obj.get("destinations") {
            None | Some(Value::Null) => {}
            Some(Value::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    let p = format!("{path}.destinations[{i}]");
                    if let Some(target) = self.destination(item, &p) {
                        out.push(Destination { path: p, target });
                    }
                }
            }
            Some(other) => self.error(
                &format!("{path}.destinations"),
                format!("expected an array of destinations, found {}", other.kind()),
            ),
        }
        if out.iter().any(|d| matches!(d.target, Target::Public(_))) {
            return out;
        }
        let mut legacy = Vec::new();
        if let Some(domain) = self.opt_string(obj, "domain", path) {
            legacy.push((format!("{path}.domain"), domain));
        }
        match obj.get("self_hosted_domains") {
            None | Some(Value::Null) => {}
            v => {
                let p = format!("{path}.self_hosted_domains");
                for (i, d) in self
                    .string_array(v, &p)
                    .unwrap_or_default()
                    .into_iter()
                    .enumerate()
                {
                    legacy.push((format!("{p}[{i}]"), d));
                }
            }
        }
        // A legacy domain already among the destinations is not added again:
        // each is parsed once and found in a set, not compared with all.
        let mut known: crate::hash::TextSet<String> = out
            .iter()
            .filter_map(|d| match &d.target {
                Target::Public(x) => Some(x.canonical().to_string()),
                _ => None,
            })
            .collect();
        for (p, uri) in legacy {
            match PublicDest::parse(&uri) {
                Ok(d) => {
                    if known.insert(d.canonical().to_string()) {
                        out.push(Destination {
                            path: p,
                            target: Target::Public(d),
                        });
                    }
                }
                Err(e) => self.error(&p, e),
            }
        }
        out
    }

    fn destination(&mut self, v: &Value, path: &str) -> Option<Target> {
        let obj = self.object(v, path)?;
        let kind = self
            .opt_string(obj, "type", path)
            .unwrap_or_else(|| "public".into());
        match kind.as_str() {
            "public" => {
                let uri = self.string_in(obj, "uri", path)?;
                match PublicDest::parse(&uri) {
                    Ok(d) => Some(Target::Public(d)),
                    Err(e) => {
                        self.error(&format!("{path}.uri"), e);
                        None
                    }
                }
            }
            "private" => {
                let mut bad = false;
                let cidr = self.opt_string(obj, "cidr", path).and_then(|c| {
                    // A single address is its /32 (or /128).
                    let net = if c.contains('/') {
                        crate::literal::parse_net(&c)
                    } else {
                        crate::literal::parse_ip(&c).map(ipnet::IpNet::from)
                    };
                    match net {
                        Ok(n) => Some(n),
                        Err(e) => {
                            self.error(&format!("{path}.cidr"), e);
                            bad = true;
                            None
                        }
                    }
                });
                let hostname = self.opt_string(obj, "hostname", path).and_then(|h| {
                    match HostPattern::parse(&h) {
                        Ok(p) => Some(p),
                        Err(e) => {
                            self.error(&format!("{path}.hostname"), e);
                            bad = true;
                            None
                        }
                    }
                });
                let ports = match obj.get("port_range") {
                    None | Some(Value::Null) => None,
                    Some(Value::Number(n)) => {
                        match n.as_u64().and_then(|p| u16::try_from(p).ok()) {
                            Some(p) => Some((p, p)),
                            None => {
                                self.error(
                                    &format!("{path}.port_range"),
                                    format!("`{n}` is not a port"),
                                );
                                bad = true;
                                None
                            }
                        }
                    }
                    Some(_) => self.opt_string(obj, "port_range", path).and_then(|r| {
                        match PrivateDest::parse_ports(&r) {
                            Ok(p) => Some(p),
                            Err(e) => {
                                self.error(&format!("{path}.port_range"), e);
                                bad = true;
                                None
                            }
                        }
                    }),
                };
                let protocol = self
                    .opt_string(obj, "l4_protocol", path)
                    .map(|p| p.to_ascii_lowercase());
                if let Some(p) = &protocol
                    && !matches!(p.as_str(), "tcp" | "udp" | "icmp")
                {
                    self.error(
                        &format!("{path}.l4_protocol"),
                        format!("unknown protocol `{p}`: expected `tcp` or `udp`"),
                    );
                    bad = true;
                }
                let vnet = self.opt_string(obj, "vnet_id", path);
                (!bad).then_some(Target::Private(PrivateDest {
                    cidr,
                    hostname,
                    ports,
                    protocol,
                    vnet,
                }))
            }
            // An MCP server behind a portal: it protects no URL of its own.
            "via_mcp_server_portal" => None,
            other => {
                self.error(
                    &format!("{path}.type"),
                    format!("unknown destination type `{other}`: expected `public` or `private` (what it protects cannot be known)"),
                );
                None
            }
        }
    }
}
