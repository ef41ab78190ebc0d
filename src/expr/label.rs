//! `Label`: the canonical text of an atom, quantifier or group reference, for
//! explanations. An expression's labels are rendered from its source only when
//! first asked for: printing every atom at check time cost a sixth of compiling
//! an expression, and most atoms are never explained.

use crate::diag::Span;
use std::sync::{Arc, OnceLock};

/// Canonical text, rendered once on first use and shared by every clone.
///
/// Labels take no part in comparing or hashing conditions: two conditions that
/// mean the same are equal however they were written.
#[derive(Clone)]
pub struct Label(Arc<Inner>);

struct Inner {
    text: OnceLock<Box<str>>,
    source: Option<Piece>,
}

/// A span of the expression's text whose canonical form is the label.
struct Piece {
    src: Arc<str>,
    span: Span,
    /// `[*]` follows (`any(flags)` over an `Array<Bool>` names its element so).
    each: bool,
}

impl Label {
    /// A label whose text is known.
    pub fn text(text: impl Into<Box<str>>) -> Label {
        Label(Arc::new(Inner {
            text: OnceLock::from(text.into()),
            source: None,
        }))
    }

    /// The canonical form of `src[span]`, with `[*]` after it when `each`.
    /// `span` must cover a whole operand or comparison of an expression that
    /// parsed from `src`.
    pub fn of_source(src: &Arc<str>, span: Span, each: bool) -> Label {
        Label(Arc::new(Inner {
            text: OnceLock::new(),
            source: Some(Piece {
                src: Arc::clone(src),
                span,
                each,
            }),
        }))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        self.0.text.get_or_init(|| match &self.0.source {
            Some(piece) => piece.render(),
            None => Box::default(),
        })
    }
}

impl Piece {
    fn render(&self) -> Box<str> {
        let text = self
            .src
            .get(self.span.start as usize..self.span.end as usize)
            .unwrap_or_default();
        // The piece parsed as part of the whole, so it parses alone, within any
        // limits the whole met; printing it is what the label is.
        let limits = crate::expr::parse::Limits {
            max_len: usize::MAX,
            max_depth: u32::MAX,
            max_set_items: usize::MAX,
            max_regex_size: usize::MAX,
        };
        let canonical = match crate::expr::parse::parse_with(text, &limits) {
            Ok(expr) => expr.to_string(),
            Err(_) => text.to_string(),
        };
        if self.each {
            format!("{canonical}[*]").into()
        } else {
            canonical.into()
        }
    }
}

impl std::fmt::Display for Label {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Debug for Label {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.as_str(), f)
    }
}

impl PartialEq for Label {
    fn eq(&self, _: &Label) -> bool {
        true
    }
}

impl Eq for Label {}

impl std::hash::Hash for Label {
    fn hash<H: std::hash::Hasher>(&self, _: &mut H) {}
}
