//! Which destinations can cover a request, found without trying each: a
//! public destination with an exact host only covers URLs of that host, so
//! those are found by the host; the rest (wildcard hosts, private
//! destinations of a request for one) are tried in turn. The index only
//! narrows: `protecting` still decides, over the candidates in their order,
//! so a request is routed exactly as by trying every destination.

use super::target::{RequestTarget, Target};
use std::collections::HashMap;

/// Destinations by what they can cover; a destination is its place in the
/// list the index was built from.
#[derive(Debug, Clone, Default)]
pub struct RouteIndex {
    /// Exact host -> the public destinations of that host, in order.
    /// Keyed by configuration text: std's hasher, seeded per process, so a
    /// configuration cannot choose colliding hosts.
    exact: HashMap<Box<str>, Vec<u32>>,
    /// Public destinations whose host has a wildcard, in order.
    wildcard: Vec<u32>,
    /// Private destinations, in order.
    private: Vec<u32>,
}

impl RouteIndex {
    /// The index of `targets`, numbered in order (`None` takes its number
    /// and is never a candidate).
    pub fn new<'a>(targets: impl Iterator<Item = Option<&'a Target>>) -> RouteIndex {
        let mut index = RouteIndex::default();
        for (i, t) in (0u32..).zip(targets) {
            match t {
                Some(Target::Public(p)) => match p.exact_host() {
                    Some(host) => index.exact.entry(host.into()).or_default().push(i),
                    None => index.wildcard.push(i),
                },
                Some(Target::Private(_)) => index.private.push(i),
                None => {}
            }
        }
        index
    }

    /// Every destination that may cover `request`, in ascending order (a
    /// superset of those that do).
    pub fn candidates(&self, request: &RequestTarget) -> impl Iterator<Item = u32> + '_ {
        let (first, second): (&[u32], &[u32]) = match request {
            RequestTarget::Url(u) => (
                self.exact.get(u.host.as_str()).map_or(&[], Vec::as_slice),
                &self.wildcard,
            ),
            RequestTarget::Destination(_) => (&self.private, &[]),
        };
        Merge {
            a: first.iter().copied().peekable(),
            b: second.iter().copied().peekable(),
        }
    }
}

/// Two ascending sequences as one.
struct Merge<A: Iterator<Item = u32>, B: Iterator<Item = u32>> {
    a: std::iter::Peekable<A>,
    b: std::iter::Peekable<B>,
}

impl<A: Iterator<Item = u32>, B: Iterator<Item = u32>> Iterator for Merge<A, B> {
    type Item = u32;
    fn next(&mut self) -> Option<u32> {
        match (self.a.peek(), self.b.peek()) {
            (Some(x), Some(y)) if x <= y => self.a.next(),
            (Some(_), Some(_)) | (None, _) => self.b.next(),
            (Some(_), None) => self.a.next(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::route::pattern::PublicDest;
    use crate::route::url::normalise;

    fn public(uri: &str) -> Target {
        Target::Public(PublicDest::parse(uri).unwrap_or_else(|e| unreachable!("{uri}: {e}")))
    }

    /// The candidates of a URL are the destinations of its host and every
    /// wildcard one, in order; a covering destination is never left out.
    #[test]
    fn candidates_are_the_hosts_and_the_wildcards_in_order() {
        let targets = [
            public("*.example.com"),
            public("a.example.com/x"),
            public("b.example.com"),
            public("A.Example.com."),
            public("*test.example.com/admin"),
        ];
        let index = RouteIndex::new(targets.iter().map(Some));
        let url =
            |u: &str| RequestTarget::Url(normalise(u).unwrap_or_else(|e| unreachable!("{e}")));
        let got: Vec<u32> = index.candidates(&url("https://a.example.com/x")).collect();
        assert_eq!(got, [0, 1, 3, 4]);
        let got: Vec<u32> = index.candidates(&url("other.org")).collect();
        assert_eq!(got, [0, 4]);
        for u in [
            "a.example.com/x",
            "b.example.com/",
            "xtest.example.com/admin",
        ] {
            let request = url(u);
            let RequestTarget::Url(r) = &request else {
                unreachable!()
            };
            let candidates: Vec<u32> = index.candidates(&request).collect();
            for (i, t) in (0u32..).zip(&targets) {
                if let Target::Public(p) = t
                    && p.covers(r)
                {
                    assert!(candidates.contains(&i), "{u}: destination {i} left out");
                }
            }
        }
    }
}
