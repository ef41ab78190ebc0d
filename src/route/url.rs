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
    // It has a host (a label at least).
    match plain(text) {
        Some(url) => Ok(url),
        None => parsed(text),
    }
}

/// `text` (trimmed, not empty) read by the WHATWG parser.
fn parsed(text: &str) -> Result<RequestUrl, String> {
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

/// The commonest request URLs, read without the WHATWG parser, which costs
/// more than the rest of a decision: `http://`, `https://` or no scheme; a
/// host of lowercase ASCII labels (`a-z`, `0-9`, `-`; none punycode, the last
/// not a number, so not an IPv4 address); a port of digits; a path of
/// characters the parser keeps as they are, with valid escapes and no dot
/// segment; then anything after `?` or `#`. `None` for anything else, which
/// the parser reads. The tests check both agree on random URLs.
fn plain(text: &str) -> Option<RequestUrl> {
    let rest = if let Some(rest) = text.strip_prefix("https://") {
        rest
    } else if let Some(rest) = text.strip_prefix("http://") {
        rest
    } else if text.contains("://") {
        return None;
    } else {
        text
    };
    let bytes = rest.as_bytes();
    let host_end = bytes
        .iter()
        .position(|&b| !(b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.'))
        .unwrap_or(bytes.len());
    let host = rest.get(..host_end)?;
    let mut last = "";
    for label in host.split('.') {
        if label.is_empty() || label.starts_with("xn--") {
            return None;
        }
        last = label;
    }
    // A last label of digits, or `0x…`, makes the host an IPv4 address.
    if last.bytes().all(|b| b.is_ascii_digit()) || last.starts_with("0x") {
        return None;
    }
    let mut i = host_end;
    if bytes.get(i) == Some(&b':') {
        let digits = bytes
            .get(i + 1..)?
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        let port = rest.get(i + 1..i + 1 + digits)?;
        // Leading zeros are allowed; the value must fit a port.
        if digits == 0
            || port.trim_start_matches('0').len() > 5
            || port.parse::<u32>().ok()? > 65535
        {
            return None;
        }
        i += 1 + digits;
    }
    // After the host and port: the path, a query, a fragment or nothing.
    if !matches!(bytes.get(i), None | Some(b'/' | b'?' | b'#')) {
        return None;
    }
    let path_start = i;
    let mut segment_start = true;
    let (mut escapes, mut doubled) = (false, false);
    while let Some(&b) = bytes.get(i) {
        match b {
            b'?' | b'#' => break,
            b'/' => {
                doubled |= i > path_start && bytes.get(i - 1) == Some(&b'/');
                segment_start = true;
                i += 1;
                continue;
            }
            // A segment that may be `.` or `..`, written or escaped, is the parser's.
            b'.' if segment_start => return None,
            b'%' => {
                let hex = bytes.get(i + 1..i + 3)?;
                if !hex.iter().all(u8::is_ascii_hexdigit)
                    || (segment_start && hex.eq_ignore_ascii_case(b"2e"))
                {
                    return None;
                }
                escapes = true;
            }
            _ if path_kept(b) => {}
            _ => return None,
        }
        segment_start = false;
        i += 1;
    }
    let path = rest.get(path_start..i)?;
    let path = if path.is_empty() {
        "/".to_string()
    } else if escapes || doubled {
        normalise_path(path)
    } else {
        path.to_string()
    };
    Some(RequestUrl {
        host: host.to_string(),
        path,
    })
}

/// The path characters the URL parser keeps as they are (besides `/`, `%`,
/// `?` and `#`, which `plain` reads itself).
fn path_kept(c: u8) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(
            c,
            b'-' | b'.'
                | b'_'
                | b'~'
                | b'!'
                | b'$'
                | b'&'
                | b'\''
                | b'('
                | b')'
                | b'*'
                | b'+'
                | b','
                | b';'
                | b'='
                | b':'
                | b'@'
        )
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
    use proptest::prelude::*;

    /// Pieces URLs are made of, the tricky ones included: dots and escaped
    /// dots, numbers, `0x`, punycode, ports, characters the parser encodes.
    fn piece() -> impl Strategy<Value = &'static str> {
        prop::sample::select(vec![
            "a",
            "b9",
            "-",
            ".",
            "..",
            "/",
            "//",
            ":",
            ":80",
            ":99999",
            ":0",
            "?",
            "#",
            "%",
            "%2e",
            "%2E",
            "%41",
            "%2f",
            "%zz",
            "xn--",
            "xn--bcher-kva",
            "0x",
            "0x1f",
            "1",
            "255",
            "A",
            "Z",
            "_",
            "~",
            "@",
            "'",
            "!",
            "*",
            "\\",
            " ",
            "\t",
            "^",
            "|",
            "{",
            "`",
            "ü",
            "https://",
            "http://",
            "ftp://",
            "HTTP://",
            "example",
            "com",
            ".com",
        ])
    }

    /// A URL shaped as requests are (scheme, labels, port, path, query),
    /// each part sometimes one of the tricky pieces.
    fn shaped() -> impl Strategy<Value = String> {
        let label = prop_oneof![
            4 => "[a-z0-9-]{1,6}",
            1 => piece().prop_map(str::to_string),
        ];
        let segment = prop_oneof![
            4 => "[a-zA-Z0-9._~!$&'()*+,;=:@%-]{0,6}",
            1 => piece().prop_map(str::to_string),
        ];
        (
            prop::sample::select(vec!["", "https://", "http://", "HTTPS://", "ws://"]),
            prop::collection::vec(label, 1..4),
            prop::option::of("[0-9]{0,6}"),
            prop::collection::vec(segment, 0..4),
            prop::option::of("[?#][a-z./%]{0,4}"),
        )
            .prop_map(|(scheme, labels, port, segments, query)| {
                let mut s = format!("{scheme}{}", labels.join("."));
                if let Some(p) = port {
                    s.push(':');
                    s.push_str(&p);
                }
                for seg in segments {
                    s.push('/');
                    s.push_str(&seg);
                }
                s.push_str(&query.unwrap_or_default());
                s
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(50_000))]
        /// Whenever `plain` reads a URL, the parser reads it the same.
        #[test]
        fn plain_agrees_with_the_parser(
            text in prop_oneof![
                shaped(),
                prop::collection::vec(piece(), 1..12).prop_map(|p| p.concat()),
            ]
        ) {
            if let Some(fast) = plain(&text) {
                prop_assert_eq!(Ok(fast), parsed(&text), "{}", text);
            }
        }
    }

    #[test]
    fn plain_reads_the_common_shapes() {
        for text in [
            "https://grafana.acme.com/d/abc?orgId=1",
            "wiki.acme.com",
            "http://a-b.example.net:8443/x/%41/y~z",
            "billing.acme.com/invoices/2024-01",
        ] {
            assert_eq!(plain(text), parsed(text).ok(), "{text}");
            assert!(plain(text).is_some(), "{text} should take the plain path");
        }
        for text in [
            "https://Grafana.acme.com/",
            "https://10.0.0.1/",
            "https://a.0x1f/",
            "https://xn--bcher-kva.example/",
            "https://a.example/./b",
            "https://a.example/%2e%2E/b",
            "https://u@a.example/",
            "ftp://a.example/",
            "https://a.example:99999/",
        ] {
            assert!(plain(text).is_none(), "{text} is the parser's");
        }
    }

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
