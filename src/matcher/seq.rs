//! A matcher for the regexes policies are mostly written with: `^` followed by
//! literals, byte classes and repetitions of a class (`^corp-[a-z0-9]+-[0-9]+$`),
//! or a plain literal with or without `$` (`@example\.com$`). Such a pattern
//! runs as one forward pass with no automaton: every repetition is followed by
//! something it cannot consume, so taking as much as possible is the only way
//! to go on, and a wrong choice is never possible. A generic engine spends more
//! on setting up a search than these short hostnames and emails take to scan.
//! Anything else (alternation, look-around, a repetition that could give bytes
//! back) is left to the lazy DFA. tests/regex_seq.rs checks both against the
//! `regex` crate on random patterns and inputs.

use regex_syntax::hir::{Class, Hir, HirKind, Look};

/// The bytes a class accepts, one flag per byte: a scan step is one load.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Bytes(pub(crate) [bool; 256]);

impl std::fmt::Debug for Bytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let set: Vec<u8> = (0..=255u8).filter(|b| self.has(*b)).collect();
        write!(f, "Bytes({:?})", String::from_utf8_lossy(&set))
    }
}

impl Bytes {
    fn of(class: &Class) -> Option<Bytes> {
        let Class::Bytes(class) = class else {
            return None;
        };
        let mut flags = [false; 256];
        for r in class.ranges() {
            for b in r.start()..=r.end() {
                if let Some(flag) = flags.get_mut(usize::from(b)) {
                    *flag = true;
                }
            }
        }
        Some(Bytes(flags))
    }

    pub(crate) fn byte(b: u8) -> Bytes {
        let mut flags = [false; 256];
        if let Some(flag) = flags.get_mut(usize::from(b)) {
            *flag = true;
        }
        Bytes(flags)
    }

    #[inline(always)]
    pub(crate) fn has(&self, b: u8) -> bool {
        self.0.get(usize::from(b)).copied().unwrap_or(false)
    }

    fn meets(&self, other: &Bytes) -> bool {
        self.0.iter().zip(&other.0).any(|(a, b)| *a && *b)
    }
}

/// One step of an anchored pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// These bytes, next.
    Literal(Box<[u8]>),
    /// Between `min` and `max` bytes of the class, as many as there are.
    Run {
        /// The bytes accepted.
        class: Box<Bytes>,
        /// Fewest.
        min: u32,
        /// Most.
        max: u32,
    },
}

/// A pattern the forward pass runs.
#[derive(Debug, Clone)]
pub enum Seq {
    /// `^items` or `^items$`.
    Anchored {
        /// In order, from the start.
        items: Box<[Item]>,
        /// `$`: nothing may follow.
        end: bool,
    },
    /// `literal` anywhere.
    Contains(Box<memchr::memmem::Finder<'static>>),
    /// `literal$`.
    EndsWith(Box<[u8]>),
}

impl Seq {
    /// The pass for `hir`, if it has one of the shapes above and its tables fit
    /// in `size_limit` bytes (else the DFA path reports the pattern too big).
    pub fn new(hir: &Hir, size_limit: usize) -> Option<Seq> {
        let parts: Vec<&Hir> = match hir.kind() {
            HirKind::Concat(parts) => parts.iter().collect(),
            _ => vec![hir],
        };
        let (start, rest) = match parts.split_first() {
            Some((first, rest)) if matches!(first.kind(), HirKind::Look(Look::Start)) => {
                (true, rest)
            }
            _ => (false, parts.as_slice()),
        };
        let (end, body) = match rest.split_last() {
            Some((last, body)) if matches!(last.kind(), HirKind::Look(Look::End)) => (true, body),
            _ => (false, rest),
        };
        let items = body
            .iter()
            .map(|part| item(part))
            .collect::<Option<Vec<_>>>()?;
        Seq::of_items(start, items, end, size_limit)
    }

    /// The pass for `^`? `items` `$`?, if it has one of the shapes above.
    pub(crate) fn of_items(
        start: bool,
        items: Vec<Item>,
        end: bool,
        size_limit: usize,
    ) -> Option<Seq> {
        if items.len().saturating_mul(std::mem::size_of::<Bytes>()) > size_limit {
            return None;
        }
        if !start {
            // Unanchored: only a plain literal, found by memmem or at the end.
            let [Item::Literal(lit)] = items.as_slice() else {
                return None;
            };
            return Some(if end {
                Seq::EndsWith(lit.clone())
            } else {
                Seq::Contains(Box::new(memchr::memmem::Finder::new(&**lit).into_owned()))
            });
        }
        // A run of varying length must stop where the next item starts, or taking
        // all it can could be wrong.
        for pair in items.windows(2) {
            if let [Item::Run { class, min, max }, next] = pair
                && min != max
            {
                let stops = match next {
                    Item::Literal(lit) => lit.first().is_some_and(|b| !class.has(*b)),
                    Item::Run {
                        class: next, min, ..
                    } => *min > 0 && !class.meets(next),
                };
                if !stops {
                    return None;
                }
            }
        }
        Some(Seq::Anchored {
            items: items.into(),
            end,
        })
    }

    /// Whether the pattern matches `hay` (an unanchored search, as `matches` is).
    #[inline]
    pub fn is_match(&self, hay: &[u8]) -> bool {
        match self {
            Seq::Contains(finder) => finder.find(hay).is_some(),
            Seq::EndsWith(lit) => hay.ends_with(lit),
            Seq::Anchored { items, end } => {
                let mut pos = 0;
                for item in items.iter() {
                    match item {
                        Item::Literal(lit) => {
                            let Some(next) = hay.get(pos..pos + lit.len()) else {
                                return false;
                            };
                            if !crate::bytes::eq(next, lit) {
                                return false;
                            }
                            pos += lit.len();
                        }
                        Item::Run { class, min, max } => {
                            let rest = hay.get(pos..).unwrap_or_default();
                            let rest = rest.get(..*max as usize).unwrap_or(rest);
                            let taken = rest
                                .iter()
                                .position(|b| !class.has(*b))
                                .unwrap_or(rest.len());
                            if taken < *min as usize {
                                return false;
                            }
                            pos += taken;
                        }
                    }
                }
                !*end || pos == hay.len()
            }
        }
    }
}

/// One concatenated part: a literal, a class, or a repeated class or byte.
fn item(h: &Hir) -> Option<Item> {
    match h.kind() {
        HirKind::Literal(lit) => Some(Item::Literal(lit.0.clone())),
        HirKind::Class(c) => Some(Item::Run {
            class: Box::new(Bytes::of(c)?),
            min: 1,
            max: 1,
        }),
        HirKind::Capture(cap) => item(&cap.sub),
        HirKind::Repetition(rep) => {
            let class = match rep.sub.kind() {
                HirKind::Class(c) => Bytes::of(c)?,
                HirKind::Literal(lit) => match &*lit.0 {
                    [b] => Bytes::byte(*b),
                    _ => return None,
                },
                _ => return None,
            };
            Some(Item::Run {
                class: Box::new(class),
                min: rep.min,
                max: rep.max.unwrap_or(u32::MAX),
            })
        }
        _ => None,
    }
}
