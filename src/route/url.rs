//! A request URL as Access compares it (`config.md` §7): scheme and port
//! dropped, host lowercased without a trailing dot (IDN as punycode), path
//! percent-decoded where unreserved, dot segments and `//` removed; query and
//! fragment ignored. Parsing is the `url` crate's (WHATWG URL, IDNA); this file
//! only adds what Access does beyond it.

/// A normalised request URL: what destination patterns are matched against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestUrl {
    /// Lowercase, punycode, no trailing dot.
    pub host: String,
    /// Starts with `/`; case kept.
    pub path: String,
}

impl std::fmt::Display for RequestUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}{}", self.host, self.path)
    }
}

/// Reads `text` (with or without a scheme) as a request URL.
///
/// # Errors
/// What is wrong with it, in one line.
pub fn normalise(text: &str) -> Result<RequestUrl, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("an empty URL".into());
    }
    // `/admin` or `https:///admin` has no host; the WHATWG parser would take
    // the first path segment for one.
    let rest = text.split_once("://").map_or(text, |(_, r)| r);
    if rest.is_empty() || rest.starts_with('/') || rest.starts_with('?') || rest.starts_with('#') {
        return Err(format!("invalid URL `{text}`: it has no host"));
    }
    let with_scheme = if text.contains("://") {
        std::borrow::Cow::Borrowed(text)
    } else {
        std::borrow::Cow::Owned(format!("https://{text}"))
    };
    let parsed = url::Url::parse(&with_scheme).map_err(|e| format!("invalid URL `{text}`: {e}"))?;
    let host = match parsed.host() {
        Some(url::Host::Domain(d)) => d.trim_end_matches('.').to_ascii_lowercase(),
        Some(url::Host::Ipv4(ip)) => ip.to_string(),
        Some(url::Host::Ipv6(ip)) => format!("[{ip}]"),
        None => return Err(format!("invalid URL `{text}`: it has no host")),
    };
    if host.is_empty() {
        return Err(format!("invalid URL `{text}`: it has no host"));
    }
    Ok(RequestUrl {
        host,
        path: normalise_path(parsed.path()),
    })
}

/// A destination's path written as a request's path is normalised (the `url`
/// crate's percent-encoding of spaces and non-ASCII, dot segments, then
/// `normalise_path`), so that the two compare; a `*` stays a wildcard.
pub fn pattern_path(path: &str) -> String {
    const STAR: &str = "zq9wildcardq9z";
    let marked = path.replace('*', STAR);
    let prefixed = if marked.starts_with('/') {
        marked
    } else {
        format!("/{marked}")
    };
    match url::Url::parse(&format!("https://h{prefixed}")) {
        Ok(u) => normalise_path(u.path()).replace(STAR, "*"),
        // A path the URL parser refuses: compared as written.
        Err(_) => normalise_path(path),
    }
}

/// `%41` -> `A` for unreserved characters, other escapes in upper case,
/// `//` -> `/`. The `url` crate has already removed dot segments (`%2e`
/// included) and encoded what needs it.
pub fn normalise_path(path: &str) -> String {
    let bytes = path.as_bytes();
    let mut out = String::with_capacity(path.len() + 1);
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%'
            && let (Some(h), Some(l)) = (bytes.get(i + 1), bytes.get(i + 2))
            && let (Some(h), Some(l)) = (hex(*h), hex(*l))
        {
            let c = h * 16 + l;
            if c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~') {
                push_byte(&mut out, c);
            } else {
                // `%2f` and `%2F` are one character.
                out.push('%');
                for nibble in [h, l] {
                    out.push(char::from(
                        HEX.get(usize::from(nibble)).copied().unwrap_or(b'0'),
                    ));
                }
            }
            i += 3;
            continue;
        }
        push_byte(&mut out, b);
        i += 1;
    }
    if !out.starts_with('/') {
        out.insert(0, '/');
    }
    out
}

const HEX: [u8; 16] = *b"0123456789ABCDEF";

fn push_byte(out: &mut String, b: u8) {
    // The url crate's path is ASCII (everything else is percent-encoded).
    if b == b'/' && out.ends_with('/') {
        return;
    }
    out.push(char::from(b));
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> String {
        normalise(s).map(|u| u.to_string()).unwrap_or_else(|e| e)
    }

    #[test]
    fn normalised_as_access_compares() {
        assert_eq!(
            n("https://Grafana.Example.COM./d/abc?orgId=1#x"),
            "grafana.example.com/d/abc"
        );
        assert_eq!(n("grafana.example.com:8443"), "grafana.example.com/");
        assert_eq!(
            n("http://a.example.com/x//y/./z/../w"),
            "a.example.com/x/y/w"
        );
        assert_eq!(
            n("a.example.com/%41%2Fb/%7euser"),
            "a.example.com/A%2Fb/~user"
        );
        assert_eq!(n("a.example.com/a/%2e%2e/b"), "a.example.com/b");
        assert_eq!(n("a.example.com/x%2fy"), "a.example.com/x%2Fy");
        assert_eq!(pattern_path("/管理/*"), "/%E7%AE%A1%E7%90%86/*");
        assert_eq!(pattern_path("/a b/../c"), "/c");
        assert_eq!(
            n("a.example.com/管理/x"),
            "a.example.com/%E7%AE%A1%E7%90%86/x"
        );
        assert_eq!(
            n("https://bücher.example/Path"),
            "xn--bcher-kva.example/Path"
        );
        assert!(n("").contains("empty"));
        assert!(n("https://").contains("invalid URL"));
        assert!(n("/admin").contains("no host"));
        assert!(n("https:///admin").contains("no host"));
    }
}
