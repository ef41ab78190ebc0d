//! What is routed: an application's destination, typed, and what a request
//! is for. Their own file so that `index.rs` and `mod.rs` both read them
//! from a sibling, not a child from its parent.

use super::pattern::{PrivateDest, PublicDest, RequestDestination};
use super::url::RequestUrl;

/// One destination of an application, typed.
#[derive(Debug, Clone)]
pub enum Target {
    /// A public hostname with an optional path.
    Public(PublicDest),
    /// A private network destination.
    Private(PrivateDest),
}

/// What a request is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestTarget {
    /// `request.url`, normalised.
    Url(RequestUrl),
    /// `request.destination`.
    Destination(RequestDestination),
}

impl RequestTarget {
    /// The host a `deny_unmatched_requests` exemption is checked against.
    pub fn host(&self) -> Option<&str> {
        match self {
            RequestTarget::Url(u) => Some(&u.host),
            RequestTarget::Destination(d) => d.hostname.as_deref(),
        }
    }
}
