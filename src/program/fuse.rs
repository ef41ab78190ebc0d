//! A peephole pass over one block: `operand [Not] JumpIf…` becomes one
//! `Inst::Branch`, so the commonest shape of an `and`/`or` operand is one dispatch.

use super::{Inst, Operand};

/// Fuses `operand [Not] JumpIf…` into one `Inst::Branch` within a block whose jump
/// targets are block-relative, and renumbers the targets. A run is fused only when
/// no jump lands inside it, so every jump still lands where it did.
pub(super) fn fuse(code: Vec<Inst>) -> Vec<Inst> {
    // Nothing to fuse without a jump (a group's result block, a rule of one
    // atom): returned as it is, without the pass and its three vectors (a
    // third of the blocks of 1,000 groups).
    if !code
        .iter()
        .any(|i| matches!(i, Inst::JumpIfFalse(_) | Inst::JumpIfTrue(_)))
    {
        return code;
    }
    let target = |inst: &Inst| match inst {
        Inst::JumpIfFalse(t) | Inst::JumpIfTrue(t) | Inst::Branch { target: t, .. } => {
            Some(*t as usize)
        }
        _ => None,
    };
    let mut landed = vec![false; code.len() + 1];
    for t in code.iter().filter_map(target) {
        if let Some(l) = landed.get_mut(t) {
            *l = true;
        }
    }
    let landed_at = |i: usize| landed.get(i).copied().unwrap_or(true);
    let mut out = Vec::with_capacity(code.len());
    // Old index -> new index, for every old index a jump may name.
    let mut new_index = vec![0u32; code.len() + 1];
    let mut i = 0;
    while let Some(&inst) = code.get(i) {
        let here = u32::try_from(out.len()).unwrap_or(u32::MAX);
        if let Some(slot) = new_index.get_mut(i) {
            *slot = here;
        }
        let negated = matches!(code.get(i + 1), Some(Inst::Not)) && !landed_at(i + 1);
        let jump_at = if negated { i + 2 } else { i + 1 };
        let jump = match code.get(jump_at) {
            Some(Inst::JumpIfFalse(t)) if !landed_at(jump_at) => Some((false, *t)),
            Some(Inst::JumpIfTrue(t)) if !landed_at(jump_at) => Some((true, *t)),
            _ => None,
        };
        match (Operand::of(inst), jump) {
            (Some(operand), Some((on, t))) => {
                out.push(Inst::Branch {
                    operand,
                    negate: negated,
                    on,
                    target: t,
                });
                for skipped in i + 1..=jump_at {
                    if let Some(slot) = new_index.get_mut(skipped) {
                        *slot = here;
                    }
                }
                i = jump_at + 1;
            }
            _ => {
                out.push(inst);
                i += 1;
            }
        }
    }
    if let Some(slot) = new_index.get_mut(code.len()) {
        *slot = u32::try_from(out.len()).unwrap_or(u32::MAX);
    }
    for inst in &mut out {
        match inst {
            Inst::JumpIfFalse(t) | Inst::JumpIfTrue(t) | Inst::Branch { target: t, .. } => {
                *t = new_index.get(*t as usize).copied().unwrap_or(*t);
            }
            _ => {}
        }
    }
    out
}
