//! Values an atom computes rather than reads from a slot: index steps, map keys,
//! `lower`/`upper`/`len`/`concat`, and the leaves a quantifier's sources reach.
//! Built bytes go into the scratch buffer, always appended at its end.

use super::code::SourceCode;
use crate::expr::cond::{PathStep, Val};
use crate::value::{Context, Value};
use std::ops::{ControlFlow, Range};

/// Element bindings of the enclosing quantifier, one per source.
pub(super) type Elems<'a> = [Option<&'a Value>];

/// A computed value: borrowed from the context or program, an int, or bytes built in
/// the scratch buffer.
pub(super) enum Got<'a> {
    Nil,
    Ref(&'a Value),
    Lit(&'a [u8]),
    Int(i64),
    Buf(Range<usize>),
}

impl<'a> Got<'a> {
    /// Bytes borrowed from the context or the program.
    fn bytes(&self) -> Option<&'a [u8]> {
        match self {
            Got::Ref(Value::Bytes(b)) => Some(b),
            Got::Lit(b) => Some(b),
            _ => None,
        }
    }
}

/// Evaluates a value expression. Results that must be built (`lower`, `concat`) are
/// appended to `buf`, always at its end, so nested results are already in place.
pub(super) fn eval_val<'a>(
    val: &'a Val,
    ctx: &'a Context,
    elems: &Elems<'a>,
    buf: &mut Vec<u8>,
) -> Got<'a> {
    let as_ref = |v: Option<&'a Value>| v.map_or(Got::Nil, Got::Ref);
    match val {
        Val::Field(f) => as_ref(ctx.get(*f)),
        Val::Elem(k) => as_ref(elems.get(usize::from(*k)).copied().flatten()),
        Val::Index(inner, i) if matches!(**inner, Val::Concat(_)) => {
            // An element of joined arrays: count through the parts, nil ones skipped.
            let Val::Concat(parts) = &**inner else {
                return Got::Nil;
            };
            let mut i = *i as usize;
            for part in parts {
                if let Got::Ref(Value::Array(items)) = eval_val(part, ctx, elems, buf) {
                    match items.get(i) {
                        Some(v) => return Got::Ref(v),
                        None => i -= items.len(),
                    }
                }
            }
            Got::Nil
        }
        Val::Index(inner, i) => match eval_val(inner, ctx, elems, buf) {
            Got::Ref(v) => as_ref(v.get_index(*i)),
            _ => Got::Nil,
        },
        Val::Key(inner, k) => match eval_val(inner, ctx, elems, buf) {
            Got::Ref(v) => as_ref(v.get_key(k)),
            _ => Got::Nil,
        },
        Val::Bytes(b) => Got::Lit(b),
        Val::Lower(inner) | Val::Upper(inner) => {
            let lower = matches!(val, Val::Lower(_));
            let range = match eval_val(inner, ctx, elems, buf) {
                Got::Buf(r) => r,
                other => match other.bytes() {
                    Some(b) => {
                        let start = buf.len();
                        buf.extend_from_slice(b);
                        start..buf.len()
                    }
                    None => return Got::Nil,
                },
            };
            if let Some(bytes) = buf.get_mut(range.clone()) {
                if lower {
                    bytes.make_ascii_lowercase();
                } else {
                    bytes.make_ascii_uppercase();
                }
            }
            Got::Buf(range)
        }
        Val::Len(inner) => match &**inner {
            Val::Concat(parts) => {
                let mut total = None;
                for part in parts {
                    if let Some(n) = len_of(eval_val(part, ctx, elems, buf)) {
                        total = Some(total.unwrap_or(0) + n);
                    }
                }
                total.map_or(Got::Nil, Got::Int)
            }
            other => len_of(eval_val(other, ctx, elems, buf)).map_or(Got::Nil, Got::Int),
        },
        Val::Concat(parts) => {
            let start = buf.len();
            let mut any = false;
            for part in parts {
                let cursor = buf.len();
                match eval_val(part, ctx, elems, buf) {
                    Got::Buf(r) if r.start != cursor => {
                        let len = r.len();
                        buf.copy_within(r, cursor);
                        buf.truncate(cursor + len);
                    }
                    Got::Buf(_) => {}
                    other => match other.bytes() {
                        Some(b) => {
                            buf.truncate(cursor);
                            buf.extend_from_slice(b);
                        }
                        None => {
                            buf.truncate(cursor);
                            continue;
                        }
                    },
                }
                any = true;
            }
            if any {
                Got::Buf(start..buf.len())
            } else {
                Got::Nil
            }
        }
    }
}

pub(super) fn len_of(got: Got<'_>) -> Option<i64> {
    let n = match got {
        Got::Ref(Value::Array(a)) => a.len(),
        Got::Buf(r) => r.len(),
        other => other.bytes()?.len(),
    };
    i64::try_from(n).ok()
}

/// Calls `f` with the container(s) a source's base names: one, or each non-nil part
/// of an array `concat`.
pub(super) fn for_each_base<'a>(
    base: &'a Val,
    ctx: &'a Context,
    f: &mut impl FnMut(&'a Value) -> ControlFlow<()>,
) -> ControlFlow<()> {
    if let Val::Concat(parts) = base {
        for part in parts {
            for_each_base(part, ctx, f)?;
        }
        return ControlFlow::Continue(());
    }
    let mut no_buf = Vec::new();
    match eval_val(base, ctx, &[], &mut no_buf) {
        Got::Ref(v) => f(v),
        _ => ControlFlow::Continue(()),
    }
}

/// Calls `f` on every leaf that `steps` reach from `v`; a step that misses skips.
pub(super) fn walk<'a>(
    v: &'a Value,
    steps: &[PathStep],
    f: &mut impl FnMut(&'a Value) -> ControlFlow<()>,
) -> ControlFlow<()> {
    let Some((step, rest)) = steps.split_first() else {
        return f(v);
    };
    match step {
        PathStep::Each => match v {
            Value::Array(items) => items.iter().try_for_each(|item| walk(item, rest, f)),
            Value::Map(entries) => entries.iter().try_for_each(|(_, item)| walk(item, rest, f)),
            _ => ControlFlow::Continue(()),
        },
        PathStep::Index(i) => v
            .get_index(*i)
            .map_or(ControlFlow::Continue(()), |item| walk(item, rest, f)),
        PathStep::Key(k) => v
            .get_key(k)
            .map_or(ControlFlow::Continue(()), |item| walk(item, rest, f)),
    }
}

pub(super) fn count_leaves(src: &SourceCode, ctx: &Context) -> usize {
    let mut n = 0;
    let _ = for_each_base(&src.base, ctx, &mut |base| {
        walk(base, &src.steps, &mut |_| {
            n += 1;
            ControlFlow::Continue(())
        })
    });
    n
}

pub(super) fn nth_leaf<'a>(src: &'a SourceCode, ctx: &'a Context, i: usize) -> Option<&'a Value> {
    let mut seen = 0;
    let mut found = None;
    let _ = for_each_base(&src.base, ctx, &mut |base| {
        walk(base, &src.steps, &mut |leaf| {
            if seen == i {
                found = Some(leaf);
                return ControlFlow::Break(());
            }
            seen += 1;
            ControlFlow::Continue(())
        })
    });
    found
}
