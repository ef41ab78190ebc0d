//! Which Access application protects a request (`config.md` §7): request URLs
//! normalised (`url.rs`), destinations read as patterns (`pattern.rs`), and
//! the most specific covering application picked, ties to the earlier one.
//! A leaf: the configuration reader parses destinations with it, the engine
//! routes requests with it.

pub mod index;
pub mod pattern;
pub mod target;
pub mod url;

pub use index::RouteIndex;
pub use pattern::{HostPattern, PrivateDest, PublicDest, RequestDestination};
pub use target::{RequestTarget, Target};
pub use url::{RequestUrl, normalise};

/// The most specific of `targets` (application index, destination index,
/// target) covering the request: `(application, destination)`, ties to the
/// first.
pub fn protecting<'a>(
    targets: impl Iterator<Item = (usize, usize, &'a Target)>,
    request: &RequestTarget,
) -> Option<(usize, usize)> {
    match request {
        RequestTarget::Url(u) => pattern::best(targets.filter_map(|(a, d, t)| match t {
            Target::Public(p) if p.covers(u) => Some(((a, d), (p.rank(), Default::default()))),
            _ => None,
        })),
        RequestTarget::Destination(req) => pattern::best(targets.filter_map(|(a, d, t)| match t {
            Target::Private(p) if p.covers(req) => Some(((a, d), (Default::default(), p.rank()))),
            _ => None,
        })),
    }
    .map(|(at, _)| at)
}

/// Whether `host` is one of `zones` or under one of them.
pub fn in_zones(host: &str, zones: &[String]) -> bool {
    zones.iter().any(|z| {
        let z = z.trim_end_matches('.');
        host.eq_ignore_ascii_case(z)
            || (host.len() > z.len()
                && host
                    .get(host.len() - z.len()..)
                    .is_some_and(|tail| tail.eq_ignore_ascii_case(z))
                && host.as_bytes().get(host.len() - z.len() - 1) == Some(&b'.'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones() {
        let z = vec!["example.com".to_string()];
        assert!(in_zones("example.com", &z));
        assert!(in_zones("a.example.com", &z));
        assert!(!in_zones("badexample.com", &z));
    }
}
