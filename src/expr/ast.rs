//! `Expr`: a match expression as the user wrote it, with a `Span` on every node.
//!
//! `Display` is the canonical printer and the inverse of `parse`:
//! `parse(&expr.to_string())` gives the same tree, spans aside (see
//! [`Expr::erase_spans`]). Canonical text uses single spaces, symbolic comparison
//! operators (`==`, `!=`, `<`, `&`, `~` is printed `matches`), word logic
//! operators (`not`, `and`, `xor`, `or`) and only the parentheses the tree needs.
//! Literals keep their written form (`0x10` stays `0x10`) so that a literal that
//! could be read two ways (hex bytes `10.20.30.40` or an IPv4 address) is read the
//! same way after a round trip.

use crate::diag::Span;
use std::fmt::{self, Write as _};

/// A logical operator, declared from the loosest binding to the tightest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LogicOp {
    /// `or`, `||`
    Or,
    /// `xor`, `^^`
    Xor,
    /// `and`, `&&`
    And,
}

impl LogicOp {
    /// Every spelling, canonical first.
    pub fn spellings(self) -> &'static [&'static str] {
        match self {
            LogicOp::Or => &["or", "||"],
            LogicOp::Xor => &["xor", "^^"],
            LogicOp::And => &["and", "&&"],
        }
    }

    /// The canonical spelling.
    pub fn as_str(self) -> &'static str {
        self.spellings().first().copied().unwrap_or("")
    }
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CmpOp {
    /// `==`, `eq`
    Eq,
    /// `!=`, `ne`
    Ne,
    /// `<`, `lt`
    Lt,
    /// `<=`, `le`
    Le,
    /// `>`, `gt`
    Gt,
    /// `>=`, `ge`
    Ge,
    /// `&`, `bitwise_and`: `(lhs & rhs) != 0`
    BitAnd,
    /// `contains`
    Contains,
    /// `matches`, `~`
    Matches,
    /// `wildcard`: whole-value glob ignoring ASCII case
    Wildcard,
    /// `strict wildcard`: whole-value glob, case-sensitive
    StrictWildcard,
    /// `in`
    In,
}

impl CmpOp {
    /// Every operator, for tables and generators.
    pub const ALL: [CmpOp; 12] = [
        CmpOp::Eq,
        CmpOp::Ne,
        CmpOp::Lt,
        CmpOp::Le,
        CmpOp::Gt,
        CmpOp::Ge,
        CmpOp::BitAnd,
        CmpOp::Contains,
        CmpOp::Matches,
        CmpOp::Wildcard,
        CmpOp::StrictWildcard,
        CmpOp::In,
    ];

    /// Every spelling, canonical first. Word spellings need a word boundary.
    pub fn spellings(self) -> &'static [&'static str] {
        match self {
            CmpOp::Eq => &["==", "eq"],
            CmpOp::Ne => &["!=", "ne"],
            CmpOp::Lt => &["<", "lt"],
            CmpOp::Le => &["<=", "le"],
            CmpOp::Gt => &[">", "gt"],
            CmpOp::Ge => &[">=", "ge"],
            CmpOp::BitAnd => &["&", "bitwise_and"],
            CmpOp::Contains => &["contains"],
            CmpOp::Matches => &["matches", "~"],
            CmpOp::Wildcard => &["wildcard"],
            CmpOp::StrictWildcard => &["strict wildcard"],
            CmpOp::In => &["in"],
        }
    }

    /// The canonical spelling.
    pub fn as_str(self) -> &'static str {
        self.spellings().first().copied().unwrap_or("")
    }

    /// `<`, `<=`, `>`, `>=`.
    pub fn is_ordering(self) -> bool {
        matches!(self, CmpOp::Lt | CmpOp::Le | CmpOp::Gt | CmpOp::Ge)
    }
}

/// A boolean expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expr {
    /// What it is.
    pub kind: ExprKind,
    /// Where it was written (parentheses excluded).
    pub span: Span,
}

/// The forms of a boolean expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExprKind {
    /// `a and b and c`: one n-ary node per chain of one operator (two or more operands).
    Logic {
        /// The operator joining the operands.
        op: LogicOp,
        /// Two or more operands.
        operands: Vec<Expr>,
    },
    /// `not a`, `!a`
    Not(Box<Expr>),
    /// `lhs op rhs`, e.g. `os.name == "mac"`, `ip.src in {10.0.0.0/8}`
    Compare {
        /// The value compared.
        lhs: Operand,
        /// The operator.
        op: CmpOp,
        /// What it is compared with.
        rhs: Rhs,
    },
    /// A value used as a condition: `warp.enabled`, `any(…)`, `starts_with(x, "a")`.
    Test(Operand),
}

/// A value read from the context: a field or a function call, then index steps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operand {
    /// Field or call.
    pub base: Base,
    /// `[0]`, `["key"]`, `[*]`, in order.
    pub steps: Vec<Step>,
    /// From the base to the last step.
    pub span: Span,
}

/// Where an operand's value comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Base {
    /// `identity.email`
    Field(Ident),
    /// `lower(identity.email)`, `any(x[*] == "a")`
    Call {
        /// The function's name.
        name: Ident,
        /// The arguments, in order.
        args: Vec<Arg>,
    },
}

/// A dotted name with its span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ident {
    /// `identity.groups.name`
    pub name: Box<str>,
    /// Where it was written.
    pub span: Span,
}

/// One index step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// Which step.
    pub kind: StepKind,
    /// From `[` to `]`.
    pub span: Span,
}

/// The kinds of index step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepKind {
    /// `[3]`: array element
    Index(u32),
    /// `["key"]`: map value
    Key(Box<[u8]>),
    /// `[*]`: every element of an array or value of a map
    Each,
}

/// A function argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    /// A field, call or boolean expression: `identity.email`, `x[*] == "a"`.
    Expr(Expr),
    /// A literal: `"@example.com"`, `3`.
    Lit(Literal),
}

/// A literal as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Literal {
    /// Which form.
    pub kind: LitKind,
    /// Where it was written.
    pub span: Span,
}

/// The forms of a literal. Unquoted tokens are read by the left-hand type at check time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LitKind {
    /// `"a\x41\101"`: the bytes after escapes
    Str(Box<[u8]>),
    /// `r#"a"b"#`: the text and the number of `#`
    Raw {
        /// The characters between the quotes.
        text: Box<str>,
        /// How many `#` delimit it.
        hashes: u8,
    },
    /// The string after `matches`: `\"` is `"`, every other `\x` is kept for the regex engine
    Regex(Box<str>),
    /// An unquoted int, IP address, CIDR or hex bytes: `42`, `0x1f`, `10.0.0.0/8`, `61:62`
    Token(Box<str>),
}

/// The right-hand side of a comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rhs {
    /// A single literal.
    Lit(Literal),
    /// `{ a b 1..5 }`
    Set {
        /// The items, in source order.
        items: Vec<SetItem>,
        /// From `{` to `}`.
        span: Span,
    },
    /// `$name`
    List(Ident),
}

/// One item of a set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetItem {
    /// A single value (or CIDR).
    One(Literal),
    /// `low..high`, inclusive.
    Range(Literal, Literal),
}

impl Rhs {
    /// The single literals: the literal itself, or a set's items that are not ranges.
    pub fn literals(&self) -> Vec<&Literal> {
        match self {
            Rhs::Lit(l) => vec![l],
            Rhs::Set { items, .. } => items
                .iter()
                .filter_map(|i| match i {
                    SetItem::One(l) => Some(l),
                    SetItem::Range(..) => None,
                })
                .collect(),
            Rhs::List(_) => Vec::new(),
        }
    }

    /// Where it was written.
    pub fn span(&self) -> Span {
        match self {
            Rhs::Lit(l) => l.span,
            Rhs::Set { span, .. } => *span,
            Rhs::List(id) => id.span,
        }
    }
}

impl Expr {
    /// Calls `f` on this expression and every expression inside it, function
    /// arguments included, parents before children.
    pub fn walk<'e>(&'e self, f: &mut impl FnMut(&'e Expr)) {
        f(self);
        match &self.kind {
            ExprKind::Logic { operands, .. } => operands.iter().for_each(|o| o.walk(f)),
            ExprKind::Not(inner) => inner.walk(f),
            ExprKind::Compare { lhs: op, .. } | ExprKind::Test(op) => {
                if let Base::Call { args, .. } = &op.base {
                    for a in args {
                        if let Arg::Expr(inner) = a {
                            inner.walk(f);
                        }
                    }
                }
            }
        }
    }

    /// Sets every span to zero, so trees compare by structure alone (round-trip tests).
    pub fn erase_spans(&mut self) {
        self.span = Span::default();
        match &mut self.kind {
            ExprKind::Logic { operands, .. } => operands.iter_mut().for_each(Expr::erase_spans),
            ExprKind::Not(e) => e.erase_spans(),
            ExprKind::Compare { lhs, rhs, .. } => {
                lhs.erase_spans();
                match rhs {
                    Rhs::Lit(l) => l.span = Span::default(),
                    Rhs::Set { items, span } => {
                        *span = Span::default();
                        for item in items {
                            match item {
                                SetItem::One(l) => l.span = Span::default(),
                                SetItem::Range(a, b) => {
                                    a.span = Span::default();
                                    b.span = Span::default();
                                }
                            }
                        }
                    }
                    Rhs::List(id) => id.span = Span::default(),
                }
            }
            ExprKind::Test(op) => op.erase_spans(),
        }
    }
}

impl Operand {
    fn erase_spans(&mut self) {
        self.span = Span::default();
        match &mut self.base {
            Base::Field(id) => id.span = Span::default(),
            Base::Call { name, args } => {
                name.span = Span::default();
                for arg in args {
                    match arg {
                        Arg::Expr(e) => e.erase_spans(),
                        Arg::Lit(l) => l.span = Span::default(),
                    }
                }
            }
        }
        for step in &mut self.steps {
            step.span = Span::default();
        }
    }
}

/// Binding strength of a printed expression: a child binding looser than its
/// context gets parentheses.
fn strength(e: &Expr) -> u8 {
    match &e.kind {
        ExprKind::Logic { op, .. } => *op as u8,
        ExprKind::Not(_) | ExprKind::Compare { .. } | ExprKind::Test(_) => 3,
    }
}

fn write_child(f: &mut fmt::Formatter<'_>, e: &Expr, min: u8) -> fmt::Result {
    if strength(e) < min {
        write!(f, "({e})")
    } else {
        write!(f, "{e}")
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ExprKind::Logic { op, operands } => {
                // A child of the same operator is bracketed too: the parser would
                // flatten it into this chain, giving a different tree.
                let min = *op as u8 + 1;
                for (i, e) in operands.iter().enumerate() {
                    if i > 0 {
                        write!(f, " {} ", op.as_str())?;
                    }
                    write_child(f, e, min)?;
                }
                Ok(())
            }
            ExprKind::Not(e) => {
                f.write_str("not ")?;
                write_child(f, e, 3)
            }
            ExprKind::Compare { lhs, op, rhs } => write!(f, "{lhs} {} {rhs}", op.as_str()),
            ExprKind::Test(op) => write!(f, "{op}"),
        }
    }
}

impl fmt::Display for Operand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.base {
            Base::Field(id) => f.write_str(&id.name)?,
            Base::Call { name, args } => {
                write!(f, "{}(", name.name)?;
                for (i, arg) in args.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    // wirefilter reads an argument as one comparison unless it
                    // starts with `(` or `not`: logic, and a bare `x[*]` under a
                    // quantifier, print in their own parentheses.
                    let own_parens = match arg {
                        Arg::Expr(Expr {
                            kind: ExprKind::Logic { .. },
                            ..
                        }) => true,
                        Arg::Expr(Expr {
                            kind: ExprKind::Test(op),
                            ..
                        }) => {
                            matches!(&*name.name, "any" | "all")
                                && op.steps.last().is_some_and(|s| s.kind == StepKind::Each)
                        }
                        _ => false,
                    };
                    match arg {
                        Arg::Expr(e) if own_parens => write!(f, "({e})")?,
                        Arg::Expr(e) => write!(f, "{e}")?,
                        Arg::Lit(l) => write!(f, "{l}")?,
                    }
                }
                f.write_char(')')?;
            }
        }
        for step in &self.steps {
            match &step.kind {
                StepKind::Index(i) => write!(f, "[{i}]")?,
                StepKind::Key(k) => {
                    f.write_char('[')?;
                    write_quoted(f, k)?;
                    f.write_char(']')?;
                }
                StepKind::Each => f.write_str("[*]")?,
            }
        }
        Ok(())
    }
}

impl fmt::Display for Rhs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rhs::Lit(l) => write!(f, "{l}"),
            Rhs::Set { items, .. } => {
                f.write_char('{')?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_char(' ')?;
                    }
                    match item {
                        SetItem::One(l) => write!(f, "{l}")?,
                        SetItem::Range(a, b) => write!(f, "{a}..{b}")?,
                    }
                }
                f.write_char('}')
            }
            Rhs::List(id) => write!(f, "${}", id.name),
        }
    }
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            LitKind::Str(bytes) => write_quoted(f, bytes),
            LitKind::Raw { text, hashes } => {
                let h = "#".repeat(usize::from(*hashes));
                write!(f, "r{h}\"{text}\"{h}")
            }
            LitKind::Regex(text) => {
                // The reverse of `lex::quoted_regex`: a `"` is escaped outside
                // a `[…]` class and written as is inside one.
                f.write_char('"')?;
                let mut in_class = false;
                let mut chars = text.chars();
                while let Some(c) = chars.next() {
                    match c {
                        '"' if in_class => f.write_char('"')?,
                        '"' => f.write_str("\\\"")?,
                        '[' if !in_class => {
                            in_class = true;
                            f.write_char('[')?;
                        }
                        ']' if in_class => {
                            in_class = false;
                            f.write_char(']')?;
                        }
                        // A backslash and the character after it pass through as a pair,
                        // so `\\"` is never read back as an escaped quote.
                        '\\' => {
                            f.write_char('\\')?;
                            if let Some(next) = chars.next() {
                                f.write_char(next)?;
                            }
                        }
                        c => f.write_char(c)?,
                    }
                }
                f.write_char('"')
            }
            LitKind::Token(t) => f.write_str(t),
        }
    }
}

/// Bytes as a quoted string literal.
pub(crate) fn quoted_text(bytes: &[u8]) -> String {
    let mut s = String::new();
    let _ = write_quoted(&mut s, bytes);
    s
}

/// Writes bytes as a quoted string: printable text as is, `"` and `\` escaped,
/// control characters and invalid UTF-8 as `\xHH`.
pub(crate) fn write_quoted(f: &mut impl fmt::Write, bytes: &[u8]) -> fmt::Result {
    // Plain printable ASCII needs no escaping: write it whole.
    if bytes
        .iter()
        .all(|b| (b' '..=b'~').contains(b) && *b != b'"' && *b != b'\\')
        && let Ok(text) = std::str::from_utf8(bytes)
    {
        f.write_char('"')?;
        f.write_str(text)?;
        return f.write_char('"');
    }
    f.write_char('"')?;
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '"' => f.write_str("\\\"")?,
                '\\' => f.write_str("\\\\")?,
                c if c.is_control() => {
                    let mut buf = [0u8; 4];
                    for b in c.encode_utf8(&mut buf).bytes() {
                        write!(f, "\\x{b:02x}")?;
                    }
                }
                c => f.write_char(c)?,
            }
        }
        for b in chunk.invalid() {
            write!(f, "\\x{b:02x}")?;
        }
    }
    f.write_char('"')
}
