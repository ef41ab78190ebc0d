//! Properties of the parser: print(parse(s)) parses to the same tree, and no input
//! makes parse or check panic.

use proptest::prelude::*;
use zt_eval::Scheme;
use zt_eval::Span;
use zt_eval::ast::{
    Arg, Base, CmpOp, Expr, ExprKind, Ident, LitKind, Literal, LogicOp, Operand, Rhs, SetItem,
    Step, StepKind,
};
use zt_eval::check_expression;
use zt_eval::{Limits, parse};

fn ident() -> impl Strategy<Value = Ident> {
    prop::collection::vec("[a-z_][a-z0-9_]{0,6}", 1..4)
        .prop_filter("keywords are not names", |segs| {
            let first = segs.first().map_or("", String::as_str);
            !matches!(first, "not" | "and" | "or" | "xor" | "in")
                && (segs.len() != 1 || first != "r")
        })
        .prop_map(|segs| Ident {
            name: segs.join(".").into(),
            span: Span::default(),
        })
}

fn token() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        any::<u32>().prop_map(|n| format!("0x{n:x}")),
        any::<u32>().prop_map(|n| std::net::Ipv4Addr::from(n).to_string()),
        any::<u128>().prop_map(|n| std::net::Ipv6Addr::from(n).to_string()),
        (any::<u32>(), 0u8..=32).prop_map(|(n, p)| ipnet::Ipv4Net::new(n.into(), p)
            .map(|n| n.trunc().to_string())
            .unwrap_or_default()),
        prop::collection::vec(any::<u8>(), 2..5).prop_map(|b| b
            .iter()
            .map(|x| format!("{x:02x}"))
            .collect::<Vec<_>>()
            .join(":")),
    ]
}

fn literal() -> impl Strategy<Value = Literal> {
    let lit = |kind| Literal {
        kind,
        span: Span::default(),
    };
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..8).prop_map(move |b| lit(LitKind::Str(b.into()))),
        ("[a-z \\\\.*]{0,6}", 0u8..3).prop_map(move |(t, hashes)| lit(LitKind::Raw {
            text: t.into(),
            hashes
        })),
        token().prop_map(move |t| lit(LitKind::Token(t.into()))),
    ]
}

fn regex_lit() -> impl Strategy<Value = Literal> {
    prop::collection::vec(
        prop_oneof![
            Just("a".to_string()),
            Just("\\.".to_string()),
            Just("\"".to_string()),
            Just("\\\\".to_string()),
            Just("[0-9]+".to_string()),
            // A `"` inside a class is the class's (wirefilter regex/mod.rs).
            Just("[a\"]".to_string()),
            Just("[\\]\"]".to_string())
        ],
        0..5,
    )
    .prop_map(|parts| Literal {
        kind: LitKind::Regex(parts.concat().into()),
        span: Span::default(),
    })
}

fn rhs_for(op: CmpOp) -> BoxedStrategy<Rhs> {
    match op {
        CmpOp::In => prop_oneof![
            prop::collection::vec(
                prop_oneof![
                    literal().prop_map(SetItem::One),
                    (any::<i32>(), any::<i32>()).prop_map(|(a, b)| {
                        let l = |n: i32| Literal {
                            kind: LitKind::Token(n.to_string().into()),
                            span: Span::default(),
                        };
                        SetItem::Range(l(a), l(b))
                    }),
                ],
                0..4
            )
            .prop_map(|items| Rhs::Set {
                items,
                span: Span::default()
            }),
            "[a-z0-9_][a-z0-9_.-]{0,8}[a-z0-9]".prop_map(|n| Rhs::List(Ident {
                name: n.into(),
                span: Span::default()
            })),
        ]
        .boxed(),
        CmpOp::Matches => regex_lit().prop_map(Rhs::Lit).boxed(),
        CmpOp::Contains | CmpOp::Wildcard | CmpOp::StrictWildcard => literal()
            .prop_filter("a string", |l| !matches!(l.kind, LitKind::Token(_)))
            .prop_map(Rhs::Lit)
            .boxed(),
        _ => literal().prop_map(Rhs::Lit).boxed(),
    }
}

fn operand(expr: BoxedStrategy<Expr>) -> impl Strategy<Value = Operand> {
    let step = prop_oneof![
        any::<u32>().prop_map(StepKind::Index),
        prop::collection::vec(any::<u8>(), 0..4).prop_map(|k| StepKind::Key(k.into())),
        Just(StepKind::Each),
    ]
    .prop_map(|kind| Step {
        kind,
        span: Span::default(),
    });
    let arg = prop_oneof![
        expr.prop_map(Arg::Expr),
        any::<i64>().prop_map(|n| Arg::Lit(Literal {
            kind: LitKind::Token(n.to_string().into()),
            span: Span::default()
        })),
        prop::collection::vec(any::<u8>(), 0..4).prop_map(|b| Arg::Lit(Literal {
            kind: LitKind::Str(b.into()),
            span: Span::default()
        })),
    ];
    let base = prop_oneof![
        3 => ident().prop_map(Base::Field),
        1 => (ident(), prop::collection::vec(arg.clone(), 0..3)).prop_map(|(name, args)| Base::Call { name, args }),
        // Quantifiers print their logic and bare `x[*]` arguments in doubled
        // parentheses, the only form wirefilter parses.
        1 => (prop::sample::select(vec!["any", "all"]), arg).prop_map(|(name, a)| Base::Call {
            name: Ident { name: name.into(), span: Span::default() },
            args: vec![a],
        }),
    ];
    (base, prop::collection::vec(step, 0..3)).prop_map(|(base, steps)| Operand {
        base,
        steps,
        span: Span::default(),
    })
}

fn expr() -> impl Strategy<Value = Expr> {
    let leaf = ident().prop_map(|id| Expr {
        kind: ExprKind::Test(Operand {
            base: Base::Field(id),
            steps: vec![],
            span: Span::default(),
        }),
        span: Span::default(),
    });
    leaf.prop_recursive(4, 24, 4, |inner| {
        let e = |kind| Expr {
            kind,
            span: Span::default(),
        };
        prop_oneof![
            (
                prop_oneof![Just(LogicOp::Or), Just(LogicOp::Xor), Just(LogicOp::And)],
                prop::collection::vec(inner.clone(), 2..4)
            )
                .prop_map(move |(op, operands)| e(ExprKind::Logic { op, operands })),
            inner
                .clone()
                .prop_map(move |x| e(ExprKind::Not(Box::new(x)))),
            (
                operand(inner.clone().boxed()),
                prop::sample::select(CmpOp::ALL.to_vec())
            )
                .prop_flat_map(|(lhs, op)| rhs_for(op).prop_map(move |rhs| (lhs.clone(), op, rhs)))
                .prop_map(move |(lhs, op, rhs)| e(ExprKind::Compare { lhs, op, rhs })),
            operand(inner.boxed()).prop_map(move |o| e(ExprKind::Test(o))),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn printed_trees_parse_back(tree in expr()) {
        let printed = tree.to_string();
        let mut reparsed = parse(&printed).map_err(|d| TestCaseError::fail(format!("`{printed}`: {}", d.message)))?;
        reparsed.erase_spans();
        prop_assert_eq!(&reparsed, &tree, "printed as `{}`", printed);
        prop_assert_eq!(reparsed.to_string(), printed);
    }

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        let src = String::from_utf8_lossy(&bytes);
        let _ = check_expression(&src, &Scheme::device(), &Limits::default());
    }

    #[test]
    fn random_token_soup_never_panics(parts in prop::collection::vec(prop::sample::select(vec![
        "identity.email", "identity.groups.name", "[*]", "[0]", "[\"k\"]", "any(", "all(", "lower(", "len(", "concat(", ")", "(",
        "==", "!=", "<", "in", "{", "}", "\"a\"", "r#\"x\"#", "1", "10.0.0.0/8", "::1", "..", "$l", "and", "or", "xor", "not",
        "!", "matches", "\"(\"", "wildcard", "strict", ",", "contains", "&", "-", "0x", "\\", "'", "\t",
    ]), 0..16)) {
        let src = parts.join(" ");
        let _ = check_expression(&src, &Scheme::device(), &Limits::default());
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    for open in ["(", "not ", "!", "any(", "lower("] {
        let src = format!("{}x", open.repeat(100_000));
        let r = parse(&src.chars().take(60_000).collect::<String>());
        assert!(r.is_err(), "{open}");
    }
    let ok = format!("{}os.name == \"a\"{}", "(".repeat(128), ")".repeat(128));
    assert!(parse(&ok).is_ok());
    for open in [
        "not ",
        "any(lower(identity.groups.name[*])[*] == \"a\" or not any(",
        "!(",
    ] {
        let close = if open == "not " { "" } else { ")" };
        let src = format!(
            "{}any(identity.groups.name[*] == \"a\"){}",
            open.repeat(40),
            close.repeat(40)
        );
        let checked = check_expression(&src, &Scheme::device(), &Limits::default());
        if let Ok(c) = checked {
            let _ = c.canonical();
        }
    }
    let too_deep = format!("{}os.name == \"a\"{}", "(".repeat(129), ")".repeat(129));
    assert_eq!(
        parse(&too_deep).map_err(|d| d.kind.as_str()).err(),
        Some("nesting_too_deep")
    );
}

/// Every expression of the corpus, as mutation seeds (read once).
static CORPUS: std::sync::LazyLock<Vec<String>> = std::sync::LazyLock::new(read_corpus_expressions);

fn read_corpus_expressions() -> Vec<String> {
    crate::corpus::expressions()
        .into_iter()
        .map(|(_, e)| e)
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2048, ..ProptestConfig::default() })]

    /// Corpus expressions with bytes deleted, inserted or replaced: parse and check
    /// always return, and a valid result still prints to text that parses back.
    #[test]
    fn mutated_corpus_expressions_never_panic(
        seed in any::<prop::sample::Index>(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), 0u8..3, prop::sample::select(
            vec![b'(', b')', b'[', b']', b'*', b'"', b'\\', b' ', b'\t', b'{', b'}', b'$', b',', b'.', b'0', b'a', b'!', b'=', b'~', b'&', b'|', 0xC3]
        )), 1..4),
    ) {
        let corpus = &*CORPUS;
        prop_assume!(!corpus.is_empty());
        let mut bytes = corpus.get(seed.index(corpus.len())).cloned().unwrap_or_default().into_bytes();
        for (at, kind, b) in edits {
            let i = at.index(bytes.len() + 1);
            match kind {
                0 if i < bytes.len() => { bytes.remove(i); }
                1 => bytes.insert(i, b),
                _ if i < bytes.len() => { if let Some(x) = bytes.get_mut(i) { *x = b; } }
                _ => {}
            }
        }
        let src = String::from_utf8_lossy(&bytes).into_owned();
        let scheme = Scheme::device();
        if let Ok(checked) = check_expression(&src, &scheme, &Limits::default()) {
            let printed = checked.canonical();
            prop_assert!(parse(&printed).is_ok(), "`{}` printed as `{}` does not parse", src, printed);
        }
    }
}
