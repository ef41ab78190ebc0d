//! One expression end to end: text -> `Expr` -> `Cond`, with every diagnostic.

use crate::ast::Expr;
use crate::check::check_with;
use crate::cond::Cond;
use crate::diag::Diagnostic;
use crate::parse::{Limits, parse_with};
use crate::scheme::Scheme;

/// A parsed and checked expression.
#[derive(Debug, Clone)]
pub struct Checked {
    /// The tree as written.
    pub expr: Expr,
    /// What it means.
    pub cond: Cond,
}

impl Checked {
    /// The canonical text.
    pub fn canonical(&self) -> String {
        self.expr.to_string()
    }
}

/// Parses and checks `src` against `scheme`.
///
/// # Errors
/// The syntax error, or every type error.
pub fn check_expression(
    src: &str,
    scheme: &Scheme,
    limits: &Limits,
) -> Result<Checked, Vec<Diagnostic>> {
    let expr = parse_with(src, limits).map_err(|d| vec![d])?;
    let cond = check_with(&expr, scheme, limits)?;
    Ok(Checked { expr, cond })
}

/// A checked expression compiled to a program, ready to evaluate many contexts.
#[derive(Debug, Clone)]
pub struct Compiled {
    program: crate::program::Program,
    root: crate::program::BlockId,
    /// The root is one atom (`identity.email == "…"`): evaluate it without the block loop.
    single_atom: Option<crate::program::AtomId>,
}

impl Checked {
    /// Compiles the condition; `scheme` must be the one it was checked against.
    pub fn compile(&self, scheme: &Scheme) -> Compiled {
        let mut builder = crate::compile::Builder::new(scheme);
        let root = builder.add_root(&self.cond);
        let program = builder.finish();
        let single_atom = program.single_atom(root);
        Compiled {
            program,
            root,
            single_atom,
        }
    }
}

impl Compiled {
    /// Scratch space for this expression; make one per thread and reuse it.
    pub fn scratch(&self) -> crate::eval::Scratch {
        crate::eval::Scratch::new(&self.program)
    }

    /// The expression's value for `ctx`.
    #[inline]
    pub fn eval(&self, ctx: &crate::value::Context, scratch: &mut crate::eval::Scratch) -> bool {
        match self.single_atom {
            Some(a) => self.program.atom(a, ctx, scratch, &[]),
            None => self.program.run(self.root, ctx, scratch),
        }
    }

    /// The value and the atoms that decided it.
    pub fn explain(
        &self,
        ctx: &crate::value::Context,
        scratch: &mut crate::eval::Scratch,
    ) -> crate::explain::Explained {
        self.program.explain(self.root, ctx, scratch)
    }

    /// The program, for inspection (`{:?}` prints a disassembly).
    pub fn program(&self) -> &crate::program::Program {
        &self.program
    }
}
