#!/bin/bash
# attn_weak.sh: weak-scaling study of attn_hpc through Slurm. Run it on the
# login node (it calls sbatch; it is not itself a batch job):
#
#   jobs/attn_weak.sh           submit and return (prints the job ids)
#   jobs/attn_weak.sh --wait    also wait for the study; exit code of the collect job
#
# The sequence length T grows with the rank count P (baseline P0 = the first
# entry of RANKS, T0 = T at P0):
#   WEAK_MODE=memory  T = T0 * P/P0        constant memory per rank (rows per rank fixed);
#                                          attention work per rank still grows like P
#   WEAK_MODE=work    T = T0 * sqrt(P/P0)  constant attention work per rank (T^2/P fixed)
# T is rounded to a multiple of T_ROUND. Every point job makes its own input
# with attn_gen inside the job (GEN_ARGS + -T), runs it REPEATS times and
# deletes it. Then a collect job writes STUDY_DIR/weak.csv,
# weak_{speedup,efficiency,breakdown}.png and weak.md; speedup there is the
# scaled speedup (throughput ratio), efficiency = scaled speedup / (P/P0).
# Logs of every job: STUDY_DIR/logs/%x-%j.out.
#
# ============================== edit me =====================================
# (each line can also be overridden from the environment: T0=512 jobs/attn_weak.sh)
ATTN_BIN=${ATTN_BIN:-$HOME/attn_hpc/build}   # folder with attn_hpc and attn_gen
RANKS=${RANKS:-"1 2 4 8 16 32 64 128"}       # MPI rank counts to sweep (first = baseline)
RANKS_PER_NODE=${RANKS_PER_NODE:-32}         # ranks per node: nodes = ceil(ranks / this)
THREADS=${THREADS:-1}                        # cores per rank (--cpus-per-task; OpenMP + BLIS threads)
T0=${T0:-4096}                               # tokens at the baseline rank count
WEAK_MODE=${WEAK_MODE:-memory}               # memory (T ~ P) or work (T ~ sqrt P)
T_ROUND=${T_ROUND:-64}                       # round T to a multiple of this
GEN_ARGS=${GEN_ARGS:-"-B 1 -C 1024 -H 16 -G 16"}  # attn_gen shape options except -T
GEN_SEED=${GEN_SEED:-1}
GRIDS=${GRIDS:-}                             # optional grids per rank count, e.g. "4=2x2 8=2x4"
REPEATS=${REPEATS:-3}                        # runs per point (the plots use the median)
ATTN_ARGS=${ATTN_ARGS:-}                     # more attn_hpc options, e.g. --causal
STUDY_DIR=${STUDY_DIR:-weak-$(date +%Y%m%d-%H%M%S)}  # on a file system all nodes see
TIME=${TIME:-00:30:00}                       # time limit per point
PARTITION=${PARTITION:-}
ACCOUNT=${ACCOUNT:-}
EXCLUSIVE=${EXCLUSIVE:-1}                    # 1: whole nodes per point (clean timings)
LAUNCHER=${LAUNCHER:-srun}                   # srun (--mpi=pmix) or mpirun
BIND=${BIND:-cores}                          # cores or none
PHYS_CORES=${PHYS_CORES:-}                   # only for oversubscribed test clusters: real core count
PYTHON=${PYTHON:-}                           # python3 with matplotlib for the collect job; empty: search
SBATCH_EXTRA=${SBATCH_EXTRA:-}               # more sbatch options for every job
# ============================================================================

set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ATTN_SCRIPTS=${ATTN_SCRIPTS:-$(cd "$HERE/../scripts" && pwd)}
WAIT=0
case "${1:-}" in
  --wait) WAIT=1 ;;
  "") ;;
  -h | --help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "attn_weak: error: unknown option '$1' (only --wait)" >&2; exit 2 ;;
esac

die() { echo "attn_weak: error: $*" >&2; exit 1; }
[ -x "$ATTN_BIN/attn_hpc" ] || die "$ATTN_BIN/attn_hpc not found (edit ATTN_BIN)"
[ -x "$ATTN_BIN/attn_gen" ] || die "$ATTN_BIN/attn_gen not found (edit ATTN_BIN)"
command -v sbatch >/dev/null || die "sbatch not found"
case "$WEAK_MODE" in memory | work) ;; *) die "WEAK_MODE must be memory or work" ;; esac
mkdir -p "$STUDY_DIR/logs" "$STUDY_DIR/timing" || die "cannot create $STUDY_DIR"
STUDY_DIR=$(cd "$STUDY_DIR" && pwd)

common=(--parsable --kill-on-invalid-dep=yes --time="$TIME" --output="$STUDY_DIR/logs/%x-%j.out")
[ -n "$PARTITION" ] && common+=(--partition="$PARTITION")
[ -n "$ACCOUNT" ] && common+=(--account="$ACCOUNT")
# shellcheck disable=SC2206
[ -n "$SBATCH_EXTRA" ] && common+=($SBATCH_EXTRA)
exported="ALL,ATTN_BIN=$ATTN_BIN,STUDY_DIR=$STUDY_DIR,REPEATS=$REPEATS,LAUNCHER=$LAUNCHER,BIND=$BIND,GEN_SEED=$GEN_SEED"

grid_for() {
  local kv
  for kv in $GRIDS; do
    [ "${kv%%=*}" = "$1" ] && { echo "${kv#*=}"; return; }
  done
}

# tokens P: T for P ranks
p0=${RANKS%% *}
tokens() {
  awk -v t0="$T0" -v p="$1" -v p0="$p0" -v mode="$WEAK_MODE" -v r="$T_ROUND" 'BEGIN {
    t = (mode == "memory") ? t0 * p / p0 : t0 * sqrt(p / p0)
    t = int(t / r + 0.5) * r; if (t < r) t = r; print t }'
}

echo "attn_weak: study in $STUDY_DIR, T0=$T0 at $p0 rank(s), mode $WEAK_MODE, shape $GEN_ARGS"
prev="" expect="" ids=""
for p in $RANKS; do
  nodes=$(((p + RANKS_PER_NODE - 1) / RANKS_PER_NODE))
  per_node=$((p < RANKS_PER_NODE ? p : RANKS_PER_NODE))
  t=$(tokens "$p")
  dep=()
  [ -n "$prev" ] && dep=(--dependency="afterany:$prev")
  excl=()
  [ "$EXCLUSIVE" = 1 ] && excl=(--exclusive)
  # GEN_ARGS and ATTN_ARGS hold spaces: pass them through the environment.
  id=$(GEN_T=$t GEN_ARGS=$GEN_ARGS GRID=$(grid_for "$p") ATTN_ARGS=$ATTN_ARGS \
    sbatch "${common[@]}" "${dep[@]}" "${excl[@]}" \
    --job-name="attn-weak-p$p" --nodes="$nodes" --ntasks="$p" \
    --ntasks-per-node="$per_node" --cpus-per-task="$THREADS" \
    --export="$exported" "$HERE/attn_point.sbatch") || die "sbatch of the $p-rank point failed"
  id=${id%%;*}
  echo "attn_weak: $p ranks x $THREADS threads on $nodes node(s), T=$t: job $id"
  prev=$id ids="$ids $id" expect="$expect p$p-t$THREADS-T$t"
done
[ -n "$prev" ] || die "RANKS is empty"

collect=(--job-name=attn-weak-collect --ntasks=1 --cpus-per-task=1
  --dependency="afterany:$prev"
  --export="ALL,ATTN_SCRIPTS=$ATTN_SCRIPTS,STUDY_DIR=$STUDY_DIR,STUDY=weak,PHYS_CORES=$PHYS_CORES,PYTHON=$PYTHON")
if [ $WAIT = 1 ]; then
  echo "attn_weak: collect job waits for$ids; waiting (sbatch --wait)"
  EXPECT_POINTS=${expect# } sbatch "${common[@]}" "${collect[@]}" --wait "$HERE/attn_collect.sbatch"
  rc=$?
  echo "attn_weak: study finished with exit $rc: $STUDY_DIR/weak.csv"
  exit $rc
fi
id=$(EXPECT_POINTS=${expect# } sbatch "${common[@]}" "${collect[@]}" "$HERE/attn_collect.sbatch") ||
  die "sbatch of the collect job failed"
echo "attn_weak: collect job ${id%%;*}; results will be in $STUDY_DIR"
