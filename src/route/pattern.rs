//! An application's destinations as patterns (`config.md` §7): a public URI
//! (host with wildcard labels, optional path with `*`), a private destination
//! (CIDR or hostname, port range, protocol, virtual network), what each
//! covers, and how specific it is, so that the most specific application
//! protects a request.

use super::url::{RequestUrl, pattern_path};
use ipnet::IpNet;
use std::cmp::Ordering;
use std::net::IpAddr;

/// One label of a host pattern.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Label {
    /// `example`
    Lit(String),
    /// `*`: exactly one label.
    Star,
    /// `*test`, `a*b`: a label that starts and ends with these.
    Around(String, String),
}

/// A host pattern: labels, each literal or with one `*`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HostPattern {
    labels: Box<[Label]>,
    /// Without a wildcard: the host it matches, its labels joined. A host
    /// matches such a pattern exactly when it is this text (labels hold no
    /// dot, so joining them loses nothing), so it is compared whole.
    joined: Option<Box<str>>,
}

impl HostPattern {
    /// Reads a host as a destination writes it (lowercased, trailing dot
    /// dropped).
    ///
    /// # Errors
    /// An empty label, or two `*` in one label.
    pub fn parse(text: &str) -> Result<HostPattern, String> {
        let lower = text.trim_end_matches('.').to_ascii_lowercase();
        if lower.is_empty() {
            return Err("an empty host".into());
        }
        let mut labels = Vec::new();
        for label in lower.split('.') {
            // Labels compare as a request URL's host is written: IDN as
            // punycode (the `url` crate's IDNA); a label with `*` must be
            // plain ASCII.
            let ascii;
            let plain = label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'*'));
            let label = if plain {
                label
            } else if label.contains('*') || label.is_ascii() {
                return Err(format!("host `{text}`: label `{label}` is not a host name"));
            } else {
                ascii = match url::Host::parse(label) {
                    Ok(url::Host::Domain(d)) => d,
                    Ok(other) => other.to_string(),
                    Err(_) => {
                        return Err(format!("host `{text}`: label `{label}` is not a host name"));
                    }
                };
                ascii.as_str()
            };
            labels.push(match label.matches('*').count() {
                _ if label.is_empty() => {
                    return Err(format!("host `{text}` has an empty label"));
                }
                0 => Label::Lit(label.to_string()),
                1 if label == "*" => Label::Star,
                1 => {
                    let (a, b) = label.split_once('*').unwrap_or_default();
                    Label::Around(a.to_string(), b.to_string())
                }
                _ => {
                    return Err(format!(
                        "host `{text}`: label `{label}` has two `*`; a label takes at most one"
                    ));
                }
            });
        }
        let labels: Box<[Label]> = labels.into();
        let joined = joined(&labels);
        Ok(HostPattern { labels, joined })
    }

    /// Whether the host (lowercase, no trailing dot) fits the pattern.
    pub fn matches(&self, host: &str) -> bool {
        if let Some(joined) = &self.joined {
            return host == &**joined;
        }
        let mut labels = host.split('.');
        for want in &self.labels {
            let Some(got) = labels.next() else {
                return false;
            };
            let ok = match want {
                Label::Lit(l) => l == got,
                Label::Star => !got.is_empty(),
                Label::Around(a, b) => {
                    got.len() >= a.len() + b.len()
                        && got.starts_with(a.as_str())
                        && got.ends_with(b.as_str())
                }
            };
            if !ok {
                return false;
            }
        }
        labels.next().is_none()
    }

    /// The host it matches, when it has no wildcard: its labels joined.
    pub fn exact(&self) -> Option<String> {
        self.joined.as_deref().map(str::to_string)
    }

    /// No wildcard.
    pub fn is_exact(&self) -> bool {
        self.labels.iter().all(|l| matches!(l, Label::Lit(_)))
    }

    /// Literal characters (dots included), for specificity.
    fn literal_len(&self) -> usize {
        let chars: usize = self
            .labels
            .iter()
            .map(|l| match l {
                Label::Lit(s) => s.len(),
                Label::Star => 0,
                Label::Around(a, b) => a.len() + b.len(),
            })
            .sum();
        chars + self.labels.len().saturating_sub(1)
    }
}

/// The labels joined with dots, when every one is literal.
fn joined(labels: &[Label]) -> Option<Box<str>> {
    let mut host = String::new();
    for (i, label) in labels.iter().enumerate() {
        let Label::Lit(l) = label else { return None };
        if i > 0 {
            host.push('.');
        }
        host.push_str(l);
    }
    Some(host.into())
}

/// What part of the path space a public destination covers.
#[derive(Debug, Clone)]
enum PathPattern {
    /// No path, or `/*`: every path. `true`: written as `/*`.
    Any(bool),
    /// `/a`: `/a` and what is under it (`/a/b`), not `/ab`.
    Literal(String),
    /// With `*` (which may cross `/`), anchored; a pattern that ends in a
    /// literal also covers what is under it.
    Glob { text: String, regex: regex::Regex },
}

impl PathPattern {
    fn parse(path: &str, uri: &str) -> Result<PathPattern, String> {
        let path = pattern_path(path);
        if path == "/*" {
            return Ok(PathPattern::Any(true));
        }
        if path == "/" {
            return Ok(PathPattern::Any(false));
        }
        if let Some(seg) = path.split('/').find(|s| s.matches('*').count() > 1) {
            return Err(format!(
                "destination `{uri}`: path segment `{seg}` has two `*`; a segment takes at most one"
            ));
        }
        if !path.contains('*') {
            let trimmed = path.trim_end_matches('/');
            return Ok(PathPattern::Literal(trimmed.to_string()));
        }
        let mut re = String::from("^");
        let parts: Vec<&str> = path.split('*').collect();
        for (i, part) in parts.iter().enumerate() {
            if i > 0 {
                re.push_str(".*");
            }
            re.push_str(&regex::escape(part));
        }
        // What is under a pattern that ends in a literal: after its `/`, or
        // after a `/` that follows it.
        if path.ends_with('/') {
            re.push_str(".*");
        } else if !path.ends_with('*') {
            re.push_str("(?:/.*)?");
        }
        re.push('$');
        let regex = regex::Regex::new(&re).map_err(|e| format!("destination `{uri}`: {e}"))?;
        Ok(PathPattern::Glob { text: path, regex })
    }

    fn covers(&self, path: &str) -> bool {
        match self {
            PathPattern::Any(_) => true,
            PathPattern::Literal(p) => path
                .strip_prefix(p.as_str())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/')),
            PathPattern::Glob { regex, .. } => regex.is_match(path),
        }
    }

    fn literal_len(&self) -> usize {
        match self {
            PathPattern::Any(_) => 0,
            PathPattern::Literal(p) => p.len(),
            PathPattern::Glob { text, .. } => text.len() - text.matches('*').count(),
        }
    }

    fn has_wildcard(&self) -> bool {
        matches!(self, PathPattern::Any(true) | PathPattern::Glob { .. })
    }

    fn text(&self) -> &str {
        match self {
            PathPattern::Any(true) => "/*",
            PathPattern::Any(false) => "",
            PathPattern::Literal(p) | PathPattern::Glob { text: p, .. } => p,
        }
    }
}

/// A public destination: `grafana.example.com`, `*.example.com/api/*`.
#[derive(Debug, Clone)]
pub struct PublicDest {
    host: HostPattern,
    path: PathPattern,
    /// As normalised: the key two applications' destinations are compared by.
    canonical: String,
}

/// How specific a covering destination is; greater wins (`config.md` §7).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Rank {
    exact_host: bool,
    host_literal: usize,
    path_literal: usize,
    no_wildcard: bool,
}

impl PublicDest {
    /// Reads a URI as written in `destinations[].uri`, `domain` or
    /// `self_hosted_domains`: an optional scheme, a host (port dropped), an
    /// optional path (query dropped).
    ///
    /// # Errors
    /// A malformed host or path.
    pub fn parse(uri: &str) -> Result<PublicDest, String> {
        let rest = uri.trim();
        let rest = rest.split_once("://").map_or(rest, |(_, r)| r);
        let rest = rest.split(['?', '#']).next().unwrap_or_default();
        let (host, path) = match rest.find('/') {
            Some(i) => rest.split_at(i),
            None => (rest, ""),
        };
        let host = match host.rsplit_once(':') {
            Some((h, port)) if !h.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => h,
            _ => host,
        };
        if host.is_empty() {
            return Err(format!("destination `{uri}` has no host"));
        }
        let host_pattern =
            HostPattern::parse(host).map_err(|e| format!("destination `{uri}`: {e}"))?;
        let path = if path.is_empty() {
            PathPattern::Any(false)
        } else {
            PathPattern::parse(path, uri)?
        };
        let canonical = format!(
            "{}{}",
            host.trim_end_matches('.').to_ascii_lowercase(),
            path.text()
        );
        Ok(PublicDest {
            host: host_pattern,
            path,
            canonical,
        })
    }

    /// Whether it covers the URL.
    pub fn covers(&self, url: &RequestUrl) -> bool {
        self.host.matches(&url.host) && self.path.covers(&url.path)
    }

    /// The host, when it has no wildcard: then the destination covers only
    /// URLs of exactly that host (labels compare whole, `matches`).
    pub fn exact_host(&self) -> Option<String> {
        self.host.exact()
    }

    /// Its specificity.
    pub fn rank(&self) -> Rank {
        Rank {
            exact_host: self.host.is_exact(),
            host_literal: self.host.literal_len(),
            path_literal: self.path.literal_len(),
            no_wildcard: !self.path.has_wildcard() && self.host.is_exact(),
        }
    }

    /// As normalised: host and path.
    pub fn canonical(&self) -> &str {
        &self.canonical
    }
}

/// A private destination: an omitted part matches all.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PrivateDest {
    /// `cidr` (a single IP is a /32).
    pub cidr: Option<IpNet>,
    /// `hostname`, with the wildcards of a public host.
    pub hostname: Option<HostPattern>,
    /// `port_range` (`443`, `8000-8099`), inclusive.
    pub ports: Option<(u16, u16)>,
    /// `l4_protocol` (`tcp`, `udp`), lowercase.
    pub protocol: Option<String>,
    /// `vnet_id`
    pub vnet: Option<String>,
}

/// What a request for a private destination names (`request.destination`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestDestination {
    /// Address.
    pub ip: Option<IpAddr>,
    /// Port.
    pub port: Option<u16>,
    /// `tcp`, `udp`.
    pub protocol: Option<String>,
    /// Lowercase, no trailing dot.
    pub hostname: Option<String>,
    /// Virtual network.
    pub vnet: Option<String>,
}

/// Specificity of a private destination; greater wins.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct PrivateRank {
    hostname: bool,
    exact_hostname: bool,
    hostname_literal: usize,
    prefix: u8,
    /// Narrower port ranges rank higher.
    port_narrowness: u32,
}

impl PrivateDest {
    /// Reads a port range: `443`, `8000-8099`.
    ///
    /// # Errors
    /// Not a port or a range of ports, or a range upside down.
    pub fn parse_ports(text: &str) -> Result<(u16, u16), String> {
        let port = |s: &str| {
            s.trim()
                .parse::<u16>()
                .map_err(|_| format!("`{text}` is not a port or a port range (`443`, `8000-8099`)"))
        };
        let (lo, hi) = match text.split_once('-') {
            Some((a, b)) => (port(a)?, port(b)?),
            None => {
                let p = port(text)?;
                (p, p)
            }
        };
        if lo > hi {
            return Err(format!("port range `{text}` runs backwards"));
        }
        Ok((lo, hi))
    }

    /// Whether it covers the request destination.
    pub fn covers(&self, d: &RequestDestination) -> bool {
        let part = |ok: Option<bool>| ok.unwrap_or(true);
        part(
            self.cidr
                .map(|net| d.ip.is_some_and(|ip| net.contains(&ip))),
        ) && part(
            self.hostname
                .as_ref()
                .map(|h| d.hostname.as_deref().is_some_and(|n| h.matches(n))),
        ) && part(
            self.ports
                .map(|(lo, hi)| d.port.is_some_and(|p| lo <= p && p <= hi)),
        ) && part(
            self.protocol
                .as_ref()
                .map(|want| d.protocol.as_deref() == Some(want.as_str())),
        ) && part(
            self.vnet
                .as_ref()
                .map(|want| d.vnet.as_deref() == Some(want.as_str())),
        )
    }

    /// Its specificity: a hostname before a CIDR, then the longer prefix, then
    /// the narrower port range.
    pub fn rank(&self) -> PrivateRank {
        let (lo, hi) = self.ports.unwrap_or((0, u16::MAX));
        PrivateRank {
            hostname: self.hostname.is_some(),
            exact_hostname: self.hostname.as_ref().is_some_and(HostPattern::is_exact),
            hostname_literal: self.hostname.as_ref().map_or(0, HostPattern::literal_len),
            prefix: self.cidr.map_or(0, |n| match n {
                // An IPv4 /32 and an IPv6 /128 are equally narrow.
                IpNet::V4(n) => n.prefix_len() + 96,
                IpNet::V6(n) => n.prefix_len(),
            }),
            port_narrowness: u32::from(u16::MAX) - u32::from(hi - lo),
        }
    }
}

/// Picks the best of candidates by rank, ties to the first.
pub fn best<T, R: Ord>(items: impl Iterator<Item = (T, R)>) -> Option<(T, R)> {
    let mut best: Option<(T, R)> = None;
    for (t, r) in items {
        match &best {
            Some((_, b)) if r.cmp(b) != Ordering::Greater => {}
            _ => best = Some((t, r)),
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::route::url::normalise;

    fn covers(dest: &str, url: &str) -> bool {
        let d = PublicDest::parse(dest).unwrap_or_else(|e| unreachable!("{e}"));
        let u = normalise(url).unwrap_or_else(|e| unreachable!("{e}"));
        d.covers(&u)
    }

    #[test]
    fn hosts() {
        assert!(covers("*.example.com", "a.example.com"));
        assert!(!covers("*.example.com", "example.com"));
        assert!(!covers("*.example.com", "a.b.example.com"));
        assert!(covers("*test.example.com", "test.example.com"));
        assert!(covers("*test.example.com", "alphatest.example.com"));
        assert!(!covers("*test.example.com", "alphatest.b.example.com"));
        assert!(covers("Example.COM.", "https://example.com:8443/x"));
        assert!(HostPattern::parse("a**b.example.com").is_err());
        assert!(covers(
            "bücher.example/x",
            "https://xn--bcher-kva.example/x"
        ));
        assert!(covers("10.0.0.5", "http://10.0.0.5:8080/"));
        assert!(covers("123.example.com", "123.example.com"));
        assert!(PublicDest::parse("a.:8443x.example.com").is_err());
        assert!(PublicDest::parse("example.com/a*b*c").is_err());
    }

    #[test]
    fn paths() {
        assert!(covers("example.com", "example.com/anything"));
        assert!(covers("example.com/*", "example.com/"));
        assert!(covers("example.com/a", "example.com/a"));
        assert!(covers("example.com/a", "example.com/a/b"));
        assert!(!covers("example.com/a", "example.com/ab"));
        assert!(covers("example.com/a/", "example.com/a"));
        assert!(covers("example.com/a/*", "example.com/a/b"));
        assert!(!covers("example.com/a/*", "example.com/a"));
        assert!(covers("example.com/a/*", "example.com/a/b/c"));
        assert!(covers(
            "example.com/api/*/users",
            "example.com/api/v1/users"
        ));
        assert!(covers(
            "example.com/api/*/users",
            "example.com/api/v1/x/users/7"
        ));
        assert!(!covers("example.com/Admin", "example.com/admin"));
        assert!(covers("example.com/admin", "example.com/admin?x=1"));
    }

    #[test]
    fn ranks() {
        let r = |d: &str| {
            PublicDest::parse(d)
                .map(|d| d.rank())
                .unwrap_or_else(|e| unreachable!("{e}"))
        };
        assert!(r("a.example.com") > r("*.example.com/admin/long/path"));
        assert!(r("*.b.example.com") > r("*.example.com"));
        assert!(r("example.com/a/b") > r("example.com/a"));
        assert!(r("example.com") > r("example.com/*"));
    }

    #[test]
    fn private() {
        let d = PrivateDest {
            cidr: Some("10.0.5.0/24".parse().unwrap_or_else(|_| unreachable!())),
            hostname: None,
            ports: Some((443, 443)),
            protocol: Some("tcp".into()),
            vnet: None,
        };
        let mut req = RequestDestination {
            ip: "10.0.5.7".parse().ok(),
            port: Some(443),
            protocol: Some("tcp".into()),
            ..Default::default()
        };
        assert!(d.covers(&req));
        req.port = Some(80);
        assert!(!d.covers(&req));
        assert_eq!(PrivateDest::parse_ports("8000-8099"), Ok((8000, 8099)));
        assert!(PrivateDest::parse_ports("99-1").is_err());
    }
}
