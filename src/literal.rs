//! Unquoted literal tokens -> typed values: ints (decimal, `0x` hex, leading-`0`
//! octal), IP addresses, CIDRs and hex bytes. parse.rs uses `validate` so that a
//! token that is nothing at all is a syntax error; check.rs reads the token as the
//! left-hand side's type.

use ipnet::IpNet;
use std::net::IpAddr;

/// Why a token is not a value of the wanted kind. Messages follow the diagnostic style.
pub type TokenError = String;

/// True when the token has the shape of an int (`-`? digits, or `0x` hex digits).
pub fn looks_like_int(t: &str) -> bool {
    let digits = t.strip_prefix('-').unwrap_or(t);
    if let Some(hex) = digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        return !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit());
    }
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// Reads a signed 64-bit int: decimal, `0x` hex, or octal when it starts with `0`.
///
/// # Errors
/// When the token is not an int, has a non-octal digit after a leading `0`, or
/// does not fit in 64 bits.
pub fn parse_int(t: &str) -> Result<i64, TokenError> {
    if !looks_like_int(t) {
        return Err(format!("expected an integer, found `{t}`"));
    }
    let (negative, digits) = match t.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, t),
    };
    let (radix, body) = if let Some(h) = digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        (16, h)
    } else if digits.len() > 1 && digits.starts_with('0') {
        (8, digits.get(1..).unwrap_or(""))
    } else {
        (10, digits)
    };
    if radix == 8 && body.bytes().any(|b| b > b'7') {
        return Err(format!(
            "invalid octal integer `{t}`: a leading `0` means octal"
        ));
    }
    let magnitude = u64::from_str_radix(body, radix)
        .map_err(|_| format!("integer `{t}` does not fit in 64 bits"))?;
    let value = if negative {
        0i64.checked_sub_unsigned(magnitude)
    } else {
        i64::try_from(magnitude).ok()
    };
    value.ok_or_else(|| format!("integer `{t}` does not fit in 64 bits"))
}

/// Reads an IPv4 or IPv6 address (no leading-zero octets).
///
/// # Errors
/// When the token is not an address.
pub fn parse_ip(t: &str) -> Result<IpAddr, TokenError> {
    match t.parse::<IpAddr>() {
        Ok(ip) => Ok(normalize_ip(ip)),
        Err(_) if leading_zero_ipv4(t).is_some() => Err(format!(
            "invalid ip address `{t}`: an octet has a leading zero (Cloudflare rejects it in a single address)"
        )),
        Err(_) => Err(format!("invalid ip address `{t}`")),
    }
}

/// `1.1.1.01`: four decimal octets, some with leading zeros, read as decimal
/// the way wirefilter reads a set item (its `cidr` parser falls back to
/// per-octet `u8` parsing). `None` for anything else.
pub fn leading_zero_ipv4(t: &str) -> Option<std::net::Ipv4Addr> {
    let mut octets = [0u8; 4];
    let mut parts = t.split('.');
    let mut zero_led = false;
    for o in &mut octets {
        let p = parts.next()?;
        if p.is_empty() || p.len() > 3 || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        zero_led |= p.len() > 1 && p.starts_with('0');
        *o = p.parse().ok()?;
    }
    (parts.next().is_none() && zero_led).then(|| std::net::Ipv4Addr::from(octets))
}

/// An IPv4-mapped IPv6 network (`::ffff:10.0.0.0/104`) with a prefix of at
/// least 96 is the IPv4 network (`10.0.0.0/8`), as a mapped address is its
/// IPv4 address everywhere in zt-eval (contexts, rules, lists, literals).
pub fn normalize_net(net: IpNet) -> IpNet {
    match net {
        IpNet::V6(v6) if v6.prefix_len() >= 96 => match v6.addr().to_ipv4_mapped() {
            Some(v4) => ipnet::Ipv4Net::new(v4, v6.prefix_len() - 96).map_or(net, IpNet::V4),
            None => net,
        },
        other => other,
    }
}

/// Reads a CIDR whose host bits are zero.
///
/// # Errors
/// When the token is not a CIDR, its prefix is too long, or host bits are set.
pub fn parse_net(t: &str) -> Result<IpNet, TokenError> {
    let net: IpNet = t.parse().map_err(|_| format!("invalid cidr `{t}`"))?;
    if net.trunc() != net {
        return Err(format!("cidr `{t}` has host bits set"));
    }
    Ok(normalize_net(net))
}

/// For a CIDR with host bits set, the network it probably means.
fn net_help(t: &str) -> Option<String> {
    let net: IpNet = t.parse().ok()?;
    (net.trunc() != net).then(|| format!("did you mean `{}`?", net.trunc()))
}

/// True when the token starts like a hex, octal or binary int (`0x`, `0o`, `0b`, with
/// an optional `-`) and is one word: `0x`, `0o17`, `0b101`, `0xfg`.
pub fn has_radix_prefix(t: &str) -> bool {
    let digits = t.strip_prefix('-').unwrap_or(t);
    let mut b = digits.bytes();
    b.next() == Some(b'0')
        && b.next().is_some_and(|p| b"xXoObB".contains(&p))
        && digits.bytes().all(|c| c.is_ascii_alphanumeric())
}

/// True when the token has a `/`: it is meant as a CIDR.
pub fn looks_like_net(t: &str) -> bool {
    t.contains('/')
}

/// Reads hex bytes: two hex digits per byte, at least two bytes, one separator
/// (`:`, `-` or `.`) throughout.
///
/// # Errors
/// When the token is not hex bytes.
pub fn parse_hex_bytes(t: &str) -> Result<Vec<u8>, TokenError> {
    let bad = || format!("invalid hex bytes `{t}`");
    // As wirefilter: pairs of hex digits, each gap one of `:` `-` `.`, mixed
    // freely (`01:2e:f3-77.12`), at least two bytes.
    let mut out = Vec::new();
    for pair in t.split([':', '-', '.']) {
        if pair.len() != 2 {
            return Err(bad());
        }
        out.push(u8::from_str_radix(pair, 16).map_err(|_| bad())?);
    }
    if out.len() < 2 {
        return Err(bad());
    }
    Ok(out)
}

/// Checks that a token is at least one kind of value, so that `windows` or
/// `10.0.0.256` fail at parse time. Int-shaped tokens must be valid ints.
///
/// # Errors
/// The message and help for a token that is no value at all.
pub fn validate(t: &str) -> Result<(), (TokenError, Option<String>)> {
    if looks_like_int(t) {
        return parse_int(t).map(|_| ()).map_err(|m| (m, None));
    }
    if looks_like_net(t) {
        return parse_net(t).map(|_| ()).map_err(|m| (m, net_help(t)));
    }
    if parse_ip(t).is_ok() || parse_hex_bytes(t).is_ok() {
        return Ok(());
    }
    if has_radix_prefix(t) {
        return Err((
            format!("invalid integer `{t}`"),
            Some(
                "integers are decimal, hex with `0x` (`0x1f`) or octal with a leading `0` (`017`)"
                    .into(),
            ),
        ));
    }
    if t.contains('.') && t.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        // `1.2.0`, `1.5`, `10.0.0.256`: an unquoted version string, a fraction or a bad
        // address. Only the left-hand type tells which, so check.rs reports it.
        return Ok(());
    }
    if matches!(t, "true" | "false") {
        return Err((
            format!("`{t}` is not a value: there are no boolean literals"),
            Some("use a bool field alone: `warp.enabled` or `not warp.enabled`".into()),
        ));
    }
    let wordy = t
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
    // A word (`windows`, `example.com`) was probably meant as a string; a token that
    // starts with a digit (`1and`) may as well be a mistyped number, so no help.
    if wordy
        && !t.starts_with(|c: char| c.is_ascii_digit())
        && t.bytes()
            .any(|b| b.is_ascii_alphabetic() && !b.is_ascii_hexdigit())
    {
        let quoted = format!("strings are quoted: `\"{t}\"`");
        let help = if t.contains('.') && t.split('.').all(|s| !s.is_empty()) {
            format!("{quoted}; a field cannot be compared with another field")
        } else {
            quoted
        };
        return Err((format!("expected a value, found `{t}`"), Some(help)));
    }
    Err((format!("invalid literal `{t}`"), None))
}

/// Treats `::ffff:a.b.c.d` as `a.b.c.d`, so one address has one form.
pub fn normalize_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// An IP list item: an address or a CIDR (host bits masked off), as an inclusive range.
pub fn parse_ip_item(item: &str) -> Option<(IpAddr, IpAddr)> {
    let item = item.trim();
    if item.contains('/') {
        let net: IpNet = item.parse().ok()?;
        return Some(crate::sets::IpRanges::net_range(&normalize_net(
            net.trunc(),
        )));
    }
    let ip = normalize_ip(item.parse().ok()?);
    Some((ip, ip))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ints() {
        assert_eq!(parse_int("045205"), Ok(19077));
        assert_eq!(parse_int("0x1F"), Ok(31));
        assert_eq!(parse_int("-9223372036854775808"), Ok(i64::MIN));
        assert!(parse_int("9223372036854775808").is_err());
        assert!(parse_int("09").is_err());
        assert_eq!(parse_int("0"), Ok(0));
    }

    #[test]
    fn tokens() {
        assert_eq!(parse_hex_bytes("61:6c:69"), Ok(vec![0x61, 0x6c, 0x69]));
        assert_eq!(parse_hex_bytes("61:6c-69"), Ok(vec![0x61, 0x6c, 0x69]));
        assert_eq!(
            parse_hex_bytes("01:2e:f3-77.12"),
            Ok(vec![0x01, 0x2e, 0xf3, 0x77, 0x12])
        );
        assert!(parse_hex_bytes("61::6c").is_err());
        assert!(parse_hex_bytes("61").is_err());
        assert!(parse_net("10.0.0.1/8").is_err());
        assert!(validate("windows").is_err());
        // Read by the left-hand type: a bad address for an Ip, a version for Bytes.
        assert!(validate("10.0.0.256").is_ok());
        assert!(validate("1.2.0").is_ok());
        assert!(validate("0o17").is_err());
        assert!(validate("1and").is_err());
        assert!(validate("::ffff:1.2.3.4").is_ok());
    }
}
