#!/bin/bash
# test_study.sh CLUSTER_DIR WORK_DIR SOURCE_DIR ATTN_HPC ATTN_GEN ATTN_COMPARE strong|weak
# Runs jobs/attn_strong.sh --wait (or attn_weak.sh --wait) on a small input at
# 1, 2 and 4 ranks (4 = 2 nodes x 2 ranks: oversubscribed on a 2-core
# machine), and checks the chained jobs' exit code, the CSV (one row per rank
# count, right shapes, positive times) and the three PNG plots.
# shellcheck disable=SC1091
source "$(dirname "$0")/common.sh"
STUDY=${MODE:-strong}
RANKS_LIST="1 2 4"

export ATTN_BIN=$BIN_DIR RANKS=$RANKS_LIST RANKS_PER_NODE=2 THREADS=1 REPEATS=1
export BIND=none LAUNCHER=srun STUDY_DIR=$WORK_DIR/study TIME=5 PHYS_CORES=2 GRIDS="4=2x2"
t0=$SECONDS
if [ "$STUDY" = strong ]; then
  "$BIN_DIR/attn_gen" -T 256 -C 64 -H 4 --seed 3 -o in.h5 >/dev/null || fail "attn_gen failed"
  INPUT=$WORK_DIR/in.h5 bash "$JOBS/attn_strong.sh" --wait
  rc=$?
else
  T0=64 WEAK_MODE=memory T_ROUND=16 GEN_ARGS="-B 1 -C 64 -H 4" bash "$JOBS/attn_weak.sh" --wait
  rc=$?
fi
info "$STUDY study finished with exit $rc after $((SECONDS - t0)) s"
[ "$rc" -eq 0 ] || fail "study exit code $rc, expected 0"
ok "chained jobs and the collect job succeeded"

csv=$STUDY_DIR/$STUDY.csv
[ -s "$csv" ] || fail "$csv missing"
"$PYTHON" - "$csv" "$STUDY" "$RANKS_LIST" <<'PY' || fail "$csv is wrong: $(cat "$csv")"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
study, ranks = sys.argv[2], [int(x) for x in sys.argv[3].split()]
got = sorted(int(r["ranks"]) for r in rows)
assert got == ranks, ("ranks", got)
for r in rows:
    assert r["study"] == study
    assert float(r["total_max"]) > 0 and float(r["gflops"]) > 0
    assert int(r["ph"]) * int(r["ps"]) == int(r["ranks"])
    assert r["oversubscribed"] == ("1" if int(r["ranks"]) > 2 else "0"), r["oversubscribed"]
    if int(r["ranks"]) == 4:
        assert (r["ph"], r["ps"]) == ("2", "2"), "GRIDS=4=2x2 not applied"
Ts = {int(r["ranks"]): int(r["T"]) for r in rows}
if study == "strong":
    assert set(Ts.values()) == {256}, Ts
else:
    assert Ts == {1: 64, 2: 128, 4: 256}, Ts
print("csv ok:", len(rows), "rows, T by ranks", Ts)
PY
ok "CSV $csv has one row per rank count ($RANKS_LIST)"
for kind in speedup efficiency breakdown; do
  png=$STUDY_DIR/${STUDY}_$kind.png
  is_png "$png" || fail "$png missing or not a PNG"
done
ok "plots ${STUDY}_{speedup,efficiency,breakdown}.png written"
[ -s "$STUDY_DIR/$STUDY.md" ] || fail "$STUDY_DIR/$STUDY.md missing"
cat "$STUDY_DIR/$STUDY.md"
if [ "$STUDY" = weak ]; then
  [ -z "$(ls "$STUDY_DIR/inputs")" ] || fail "generated inputs were not deleted"
  grep -q 'generated .*T=256' "$STUDY_DIR"/logs/attn-weak-p4-*.out || fail "the 4-rank job did not generate its input"
  ok "inputs made by attn_gen inside the jobs, and removed"
fi
