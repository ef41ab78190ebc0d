#!/usr/bin/env bash
# The CI job of docs/ci.md, run on the shipped fixtures instead of a live
# `terraform plan`: the same zt-eval commands, the same exit-code handling.
# Usage: ZT_EVAL=target/debug/zt-eval bash tests/ci_example.sh   (from the repository root)
set -uo pipefail
ZT_EVAL=${ZT_EVAL:-zt-eval}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# 1. terraform plan -out plan.bin && terraform show -json plan.bin > plan.json
plan=corpus/cli/fixtures/terraform/acme_plan.json

# 2. The plan's blast radius over the workforce, as a pull-request comment.
"$ZT_EVAL" diff --plan "$plan" --config corpus/examples/acme \
  --contexts corpus/cli/fixtures/population/population.jsonl \
  --format markdown --limit 10 > "$out/comment.md"
diff_code=$?
[ "$diff_code" -eq 0 ] || { echo "diff --plan exited $diff_code"; exit 1; }
grep -q '^\*\*plan: 7 resources change' "$out/comment.md" || { echo "no plan line in the comment"; cat "$out/comment.md"; exit 1; }
grep -q '| lost group Engineering |' "$out/comment.md" || { echo "the comment misses the lost group"; exit 1; }

# 3. The gate: a change that alters decisions fails the job when asked to.
"$ZT_EVAL" diff --plan "$plan" --config corpus/examples/acme \
  --contexts corpus/cli/fixtures/population/population.jsonl --fail-on-change > /dev/null
gate=$?
[ "$gate" -eq 4 ] || { echo "diff --fail-on-change exited $gate, expected 4"; exit 1; }

# 4. The team's expectations, as JUnit for the CI's test report.
"$ZT_EVAL" test corpus/examples/acme-tests --format junit > "$out/junit.xml"
test_code=$?
[ "$test_code" -eq 0 ] || { echo "zt-eval test exited $test_code"; exit 1; }
grep -q '<testsuites name="zt-eval" tests="6" skipped="0" failures="0" errors="0">' "$out/junit.xml" || { echo "unexpected JUnit"; cat "$out/junit.xml"; exit 1; }

# 5. The same tests against the broken configuration fail the job (exit 4).
"$ZT_EVAL" test corpus/examples/acme-tests --config corpus/cli/fixtures/tests/acme_broken.json > /dev/null
broken=$?
[ "$broken" -eq 4 ] || { echo "zt-eval test on a broken policy exited $broken, expected 4"; exit 1; }
echo "ci example: ok"
