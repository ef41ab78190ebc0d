//! Why a root came out as it did: the deciding atoms (`decision.md` §2), computed by
//! walking the root's `Why` tree beside the program. A separate path, so plain
//! evaluation pays nothing for it.

use crate::expr::ast::LogicOp;
use crate::program::Scratch;
use crate::program::{BlockId, Program, Why};
use crate::value::Context;

/// A result and the atoms that decided it, as `"<atom> is true|false"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explained {
    /// The condition's value.
    pub result: bool,
    /// The deciding atoms: for a true `and` all of them, for a false `and` the first
    /// false one, for a true `or` the first true one, for a false `or` all of them.
    pub because: Vec<String>,
}

impl Program {
    /// Evaluates a root block and says why.
    pub fn explain(&self, block: BlockId, ctx: &Context, scratch: &mut Scratch) -> Explained {
        match self.why_of(block) {
            Some(why) => self.why(why, ctx, scratch),
            None => Explained {
                result: self.run(block, ctx, scratch),
                because: Vec::new(),
            },
        }
    }

    fn why(&self, why: &Why, ctx: &Context, s: &mut Scratch) -> Explained {
        let leaf = |result: bool, label: &str| Explained {
            result,
            because: vec![format!("{label} is {result}")],
        };
        match why {
            Why::Const(b) => Explained {
                result: *b,
                because: Vec::new(),
            },
            Why::Atom(a, label) => leaf(self.atom(*a, ctx, s, &[]), label.as_str()),
            // Its own value: the index's can be false under a guard that
            // does not hold (`Program::quant`), which would misname the reason.
            Why::Quant(q, label) => leaf(self.quant_scan(*q, ctx, s), label.as_str()),
            Why::Block(b, label) => leaf(s.block(*b), label.as_str()),
            Why::Not(inner) => {
                let e = self.why(inner, ctx, s);
                Explained {
                    result: !e.result,
                    because: e.because,
                }
            }
            Why::Logic(op, items) => {
                // The value that decides early: false for `and`, true for `or`.
                let decisive = match op {
                    LogicOp::And => Some(false),
                    LogicOp::Or => Some(true),
                    LogicOp::Xor => None,
                };
                let mut all = Vec::new();
                let mut acc = false;
                for (i, item) in items.iter().enumerate() {
                    let e = self.why(item, ctx, s);
                    if Some(e.result) == decisive {
                        return e;
                    }
                    acc = if i == 0 { e.result } else { acc ^ e.result };
                    all.extend(e.because);
                }
                let result = match decisive {
                    Some(d) => !d,
                    None => acc,
                };
                Explained {
                    result,
                    because: all,
                }
            }
        }
    }
}
