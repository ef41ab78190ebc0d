#!/usr/bin/env python3
"""Ports the expressions of cloudflare/wirefilter's unit tests into corpus/expr.

Input: cases.json, transcribed from wirefilter HEAD af1a1e960a8fdc44a1a154553470dfbb286afbe8
(each case: source test and line, scheme, expression, outcome, evaluations).
Output: corpus/expr/wirefilter_<module>.json, one file per test scheme, each case
citing its test. Cases that exercise a lexer fragment, a sub-expression API or a
test-only function are left out and counted in the summary at the end.

Outcomes as zt-eval reads them are checked by `cargo test` (tests/corpus.rs);
where zt-eval deliberately differs, the case records zt-eval's behaviour and a
`differs` note naming the reason (docs/expressions.md).

usage: python3 tools/port_wirefilter.py CASES.json
"""
import collections, json, os, re, sys

OURS = {"any", "all", "lower", "upper", "len", "starts_with", "ends_with", "concat"}
# Test schemes' functions whose semantics are not zt-eval's built-ins.
THEIRS_ONLY = {"echo", "lowercase", "concat_fields", "filter", "regex_replace", "array", "array2"}

# Where zt-eval deliberately differs: (test source, expression) -> what zt-eval
# does and why. Each is listed in docs/expressions.md.
DIFFERS = {
    ("engine/src/ast/field_expr.rs::test_bytes_compare_with_concat_function (line 1869)", "concat(http.host) == \"example.org\""):
        {"ours": "rejected", "reason": "the test scheme's `concat` has optional parameters; zt-eval's is wirefilter's built-in ConcatFunction, which needs at least 2 arguments"},
    ("engine/src/ast/field_expr.rs::test_map_each_on_map_with_function (line 2131)", "concat(http.headers[*], \"-cf\")[2] in {\"one-cf\" \"two-cf\" \"three-cf\"}"):
        {"ours": "rejected", "reason": "zt-eval does not index the values of a map by position: a map's values have no order a configuration should rely on"},
    ("engine/src/ast/logical_expr.rs::test (line 1056)", "!at"):
        {"ours": "rejected", "reason": "a sub-expression test (Array<Bool>); as a whole filter wirefilter rejects it too (the root must be Bool, ast/mod.rs)"},
    ("engine/src/ast/logical_expr.rs::test (line 1114)", "! (not !at)"):
        {"ours": "rejected", "reason": "a sub-expression test (Array<Bool>); as a whole filter wirefilter rejects it too (the root must be Bool, ast/mod.rs)"},
}

# Cases run under settings the corpus does not model.
SKIP = [
    ("max_nesting_depth", "a non-default nesting limit (limits are covered by their own cases)"),
    ("bytes [", "a context value that is not UTF-8 (contexts are JSON)"),
]
SKIP_TESTS = [("test_nil_not_equal_behavior_false", "a non-default scheme option (nil_not_equal_behavior = false)")]

def module(source):
    path = source.split("::")[0]
    return os.path.splitext(os.path.basename(path))[0]

def fields_type(t):
    return t.replace(" (optional)", "")

def main():
    cases = json.load(open(sys.argv[1]))
    cases = cases if isinstance(cases, list) else cases["cases"]
    differs = {f"{src} {expr}": v for (src, expr), v in DIFFERS.items()}
    out = collections.defaultdict(list)
    skipped = collections.Counter()
    schemes = {}
    for c in cases:
        notes = c.get("notes") or ""
        if notes.startswith("fragment:"):
            skipped["a lexer fragment (covered by whole expressions)"] += 1
            continue
        text = notes + json.dumps(c.get("eval") or [])
        why = next((w for k, w in SKIP if k in text), None) or next(
            (w for k, w in SKIP_TESTS if k in c["source"]), None)
        if why:
            skipped[why] += 1
            continue
        if c.get("api") not in (None, "Scheme::parse") or c.get("unparsed_rest"):
            skipped["a sub-expression API (lex_as, unparsed rest)"] += 1
            continue
        if not isinstance(c.get("scheme"), dict) or not c["scheme"]:
            skipped["no scheme"] += 1
            continue
        calls = set(re.findall(r"([a-z_][a-z0-9_]*)\s*\(", c["expr"]))
        if calls & THEIRS_ONLY or (calls - OURS - {"r"}):
            skipped["a test-only function (echo, lowercase, filter, ...)"] += 1
            continue
        if "$" in c["expr"]:
            skipped["a test-only list matcher ($even, AlwaysList)"] += 1
            continue
        scheme = {"fields": {k: fields_type(v) for k, v in c["scheme"].items()}, "lists": {}}
        key = (module(c["source"]), json.dumps(scheme, sort_keys=True))
        schemes[key] = scheme
        base = {"name": "wirefilter " + c["source"] + ": " + c["expr"], "expr": c["expr"]}
        note = differs.get(c["source"] + " " + c["expr"])
        if c["outcome"] != "ok":
            case = dict(base, rejected=True)
            if note:
                case = dict(base, differs=note["reason"])
                if note.get("ours") == "accepted":
                    pass
                else:
                    case["rejected"] = True
            out[key].append(case)
            continue
        evals = c.get("eval") or []
        if note and note.get("ours") == "rejected":
            out[key].append(dict(base, rejected=True, differs=note["reason"]))
            continue
        if not evals:
            out[key].append(dict(base, differs=note["reason"]) if note else base)
            continue
        for i, e in enumerate(evals):
            if not isinstance(e.get("result"), bool):
                skipped["a descriptive (non-boolean) result"] += 1
                continue
            ctx = {k: v for k, v in e["context"].items() if k in scheme["fields"]}
            case = dict(base, context=ctx, result=e["result"])
            case["name"] = base["name"] + f" [context {i + 1}]"
            if note:
                case["differs"] = note["reason"]
                if "result" in note:
                    case["result"] = note["result"]
            out[key].append(case)
    names = collections.Counter()
    for (mod, _), items in sorted(out.items()):
        names[mod] += 1
    written = collections.Counter()
    for (mod, skey), items in sorted(out.items()):
        written[mod] += 1
        suffix = "" if names[mod] == 1 else f"_{written[mod]}"
        path = f"corpus/expr/wirefilter_{mod}{suffix}.json"
        with open(path, "w") as f:
            f.write('{"scheme": ' + json.dumps(schemes[(mod, skey)]) + ',\n "cases": [\n')
            f.write(",\n".join("  " + json.dumps(c, ensure_ascii=False) for c in items))
            f.write("\n ]\n}\n")
        print(path, len(items))
    print("ported", sum(len(v) for v in out.values()), "cases; skipped:")
    for why, n in skipped.most_common():
        print(f"  {n:4} {why}")

main()
