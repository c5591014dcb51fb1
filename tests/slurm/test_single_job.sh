#!/bin/bash
# test_single_job.sh CLUSTER_DIR WORK_DIR SOURCE_DIR ATTN_HPC ATTN_GEN ATTN_COMPARE MODE
# Submits jobs/attn_single.sbatch with `sbatch --wait` to the throwaway
# cluster and checks the job's exit code, its output file, its timing report
# and the verification verdict in its log. MODE:
#   srun    4 ranks on 2 nodes (2 per node), srun --mpi=pmix, grid 2x2, causal
#   hybrid  2 ranks on 2 nodes x 2 threads each (--cpus-per-task=2), srun
#   mpirun  the same with the documented mpirun launcher and core binding
#   error   a grid that does not fit the ranks: the job must fail with the
#           engine's usage exit code 2, no output, verification skipped
# shellcheck disable=SC1091
source "$(dirname "$0")/common.sh"
MODE=${MODE:-srun}

"$BIN_DIR/attn_gen" -B 2 -T 96 -C 64 -H 4 -G 2 -D 16 --seed 7 -o in.h5 >/dev/null ||
  fail "attn_gen failed"

case "$MODE" in
  srun)
    ranks=4 threads=1
    opts=(--nodes=2 --ntasks-per-node=2 --cpus-per-task=1)
    env_=(LAUNCHER=srun BIND=none GRID=2x2 ATTN_ARGS=--causal) ;;
  hybrid)
    ranks=2 threads=2
    opts=(--nodes=2 --ntasks-per-node=1 --cpus-per-task=2)
    env_=(LAUNCHER=srun BIND=none GRID= ATTN_ARGS=) ;;
  mpirun)
    ranks=2 threads=2
    opts=(--nodes=2 --ntasks-per-node=1 --cpus-per-task=2)
    env_=(LAUNCHER=mpirun BIND=cores GRID=1x2 ATTN_ARGS=) ;;
  error)
    ranks=2 threads=1
    opts=(--nodes=1 --ntasks-per-node=2 --cpus-per-task=1)
    env_=(LAUNCHER=srun BIND=none GRID=3x1 ATTN_ARGS=) ;;
  *) fail "unknown mode $MODE" ;;
esac

t0=$SECONDS
out=$(env "${env_[@]}" ATTN_BIN="$BIN_DIR" INPUT=in.h5 OUTDIR=results \
  sbatch --parsable --wait --job-name="single-$MODE" --time=5 "${opts[@]}" \
  "$JOBS/attn_single.sbatch")
rc=$?
id=$(printf '%s\n' "$out" | head -n1)
id=${id%%;*}
info "job $id ($MODE, $ranks ranks x $threads threads) finished with exit $rc after $((SECONDS - t0)) s"
[ -n "$id" ] || fail "sbatch printed no job id"
log=single-$MODE-$id.out
[ -f "$log" ] || fail "job log $log missing"
res=results/single-$MODE-$id.out.h5
json=results/single-$MODE-$id.timing.json

if [ "$MODE" = error ]; then
  [ "$rc" -eq 2 ] || fail "job exit code $rc, expected 2 (attn_hpc usage error)"
  grep -q 'attn_hpc: error:' "$log" || fail "no 'attn_hpc: error:' line in $log"
  [ "$(grep -c 'attn_hpc: error:' "$log")" -eq 1 ] || fail "the error line is printed more than once"
  grep -q 'verification SKIPPED' "$log" || fail "no 'verification SKIPPED' in $log"
  [ ! -e "$res" ] || fail "a failed run left its output $res"
  ok "failed run reported as job exit 2, one error line, no output"
  exit 0
fi

[ "$rc" -eq 0 ] || fail "job exit code $rc, expected 0"
ok "sbatch --wait returned the job's exit code 0"
[ -s "$res" ] || fail "output $res missing"
ok "output file $res written"
grep -q 'attn_compare: PASS' "$log" || fail "no 'attn_compare: PASS' in $log"
grep -q "verification PASS ($ranks ranks vs 1 rank" "$log" || fail "no verification PASS verdict in $log"
ok "verdict: $(grep 'verification' "$log")"
[ ! -e "results/single-$MODE-$id.ref.h5" ] || fail "reference output not cleaned up"

case "$MODE" in
  srun) want=2x2 ;;
  mpirun) want=1x2 ;;
  *) want= ;;
esac
"$PYTHON" - "$json" "$ranks" "$threads" "$want" <<'PY' || fail "timing report $json is wrong"
import json, sys
r = json.load(open(sys.argv[1]))
ranks, threads = int(sys.argv[2]), int(sys.argv[3])
assert r["software"] == "attn_hpc", r.get("software")
assert r["ranks"] == ranks, ("ranks", r["ranks"])
assert r["threads"] == threads, ("threads", r["threads"])
assert r["grid"][0] * r["grid"][1] == ranks, ("grid", r["grid"])
if sys.argv[4]:
    assert "%dx%d" % tuple(r["grid"]) == sys.argv[4], ("grid", r["grid"], "wanted", sys.argv[4])
assert len(r["bytes_sent"]) == ranks
assert r["shape"]["B"] == 2 and r["shape"]["T"] == 96
for p in ("read", "project", "attend", "ring_wait", "combine", "norm", "write", "total"):
    ph = r["phases"][p]
    eps = 1e-9 * ph["max"] + 1e-12  # rounding of the printed values
    assert 0 <= ph["min"] <= ph["mean"] + eps and ph["mean"] <= ph["max"] + eps, (p, ph)
assert r["gflops"] > 0
PY
ok "timing report $json: $ranks ranks, $threads threads${want:+, grid $want}, all phases"

# Independent check: the job's output against a one-rank run made here,
# outside Slurm (singleton MPI).
extra=()
[ "$MODE" = srun ] && extra=(--causal)
"$BIN_DIR/attn_hpc" -q "${extra[@]}" -o ref_here.h5 in.h5 || fail "local one-rank run failed"
"$BIN_DIR/attn_compare" "$res" ref_here.h5 --rtol 1e-4 --atol 1e-5 >compare.txt ||
  { cat compare.txt; fail "job output differs from a local one-rank run"; }
ok "job output matches a local one-rank run"
