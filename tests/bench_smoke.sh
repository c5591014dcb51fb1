#!/usr/bin/env bash
# bench_smoke.sh BUILD_DIR: run scripts/bench.sh --quick against BUILD_DIR and
# check that it exits 0 and prints the table and the ratios with numbers.
# A smoke test only: no timing assertions (PASS/FAIL of the targets is ignored).
set -euo pipefail
build=${1:?usage: bench_smoke.sh BUILD_DIR}
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/bench_smoke.XXXXXX")
trap 'rm -rf "$work"' EXIT

fail() { echo "bench_smoke: FAIL: $*" >&2; echo "--- bench.sh output ---" >&2; cat "$work/log" >&2; exit 1; }

if ! bash "$here/scripts/bench.sh" --quick --reps 1 --build "$build" --out "$work/out" >"$work/log" 2>&1; then
  fail "bench.sh --quick exited non-zero"
fi
num='[0-9]+(\.[0-9]+)?'
grep -Eq '^run +GFLOP/s tot +GFLOP/s cmp +seconds +RSS MiB$' "$work/log" || fail "no table header"
for r in "sgemm 1024\^3 \(best of [0-9]+ rounds\) +$num( +-)+" \
         "attn_hpc non-causal 1x[0-9]+ +$num +$num +$num +$num" \
         "attn_hpc causal 1x[0-9]+ +$num +$num +$num +$num" \
         "naive non-causal +$num +$num +$num +$num" \
         "naive causal +$num +$num +$num +$num" \
         "attn_hpc causal 2x[0-9]+ +$num +$num +$num +$num"; do
  grep -Eq "^$r\$" "$work/log" || fail "no table row matching '$r'"
done
for r in "layer/sgemm non-causal" "layer/sgemm causal" "layer/naive non-causal" \
         "layer/naive causal" "causal 2 ranks attend max/mean"; do
  grep -Eq "^$r +$num +target .* (PASS|FAIL)" "$work/log" || fail "no ratio line '$r'"
done
grep -Eq '^bench.sh: [0-9]+ PASS, [0-9]+ FAIL' "$work/log" || fail "no summary line"
echo "bench_smoke: PASS"
