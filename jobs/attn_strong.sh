#!/bin/bash
# attn_strong.sh: strong-scaling study of attn_hpc through Slurm. Run it on the
# login node (it calls sbatch; it is not itself a batch job):
#
#   jobs/attn_strong.sh           submit and return (prints the job ids)
#   jobs/attn_strong.sh --wait    also wait for the study; exit code of the collect job
#
# One fixed INPUT; one job per rank count in RANKS, chained with
# --dependency=afterany so the points run one after another (no two points
# share nodes, one failed point does not stall the rest), then a collect job
# that writes STUDY_DIR/strong.csv, strong_{speedup,efficiency,breakdown}.png
# and strong.md. Logs of every job: STUDY_DIR/logs/%x-%j.out.
#
# ============================== edit me =====================================
# (each line can also be overridden from the environment: RANKS="1 2" jobs/attn_strong.sh)
ATTN_BIN=${ATTN_BIN:-$HOME/attn_hpc/build}   # folder with attn_hpc
INPUT=${INPUT:-input.h5}                     # the fixed input (make one: attn_gen -T 16384 -C 1024 -H 16 -o input.h5)
RANKS=${RANKS:-"1 2 4 8 16 32 64 128"}       # MPI rank counts to sweep
RANKS_PER_NODE=${RANKS_PER_NODE:-32}         # ranks per node: nodes = ceil(ranks / this)
THREADS=${THREADS:-1}                        # cores per rank (--cpus-per-task; OpenMP + BLIS threads)
GRIDS=${GRIDS:-}                             # optional grids per rank count, e.g. "4=2x2 8=2x4"
REPEATS=${REPEATS:-3}                        # runs per point (the plots use the median)
ATTN_ARGS=${ATTN_ARGS:-}                     # more attn_hpc options, e.g. --causal
STUDY_DIR=${STUDY_DIR:-strong-$(date +%Y%m%d-%H%M%S)}
TIME=${TIME:-00:30:00}                       # time limit per point
PARTITION=${PARTITION:-}                     # empty: the default partition
ACCOUNT=${ACCOUNT:-}
EXCLUSIVE=${EXCLUSIVE:-1}                    # 1: whole nodes per point (clean timings)
LAUNCHER=${LAUNCHER:-srun}                   # srun (--mpi=pmix) or mpirun
BIND=${BIND:-cores}                          # cores or none
PHYS_CORES=${PHYS_CORES:-}                   # only for oversubscribed test clusters: real core count
PYTHON=${PYTHON:-}                           # python3 with matplotlib for the collect job; empty: search
SBATCH_EXTRA=${SBATCH_EXTRA:-}               # more sbatch options for every job, e.g. "--qos=short"
# ============================================================================

set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ATTN_SCRIPTS=${ATTN_SCRIPTS:-$(cd "$HERE/../scripts" && pwd)}
WAIT=0
case "${1:-}" in
  --wait) WAIT=1 ;;
  "") ;;
  -h | --help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "attn_strong: error: unknown option '$1' (only --wait)" >&2; exit 2 ;;
esac

die() { echo "attn_strong: error: $*" >&2; exit 1; }
[ -x "$ATTN_BIN/attn_hpc" ] || die "$ATTN_BIN/attn_hpc not found (edit ATTN_BIN)"
[ -r "$INPUT" ] || die "input '$INPUT' not readable (edit INPUT)"
command -v sbatch >/dev/null || die "sbatch not found"
INPUT=$(cd "$(dirname "$INPUT")" && pwd)/$(basename "$INPUT")
mkdir -p "$STUDY_DIR/logs" "$STUDY_DIR/timing" || die "cannot create $STUDY_DIR"
STUDY_DIR=$(cd "$STUDY_DIR" && pwd)

common=(--parsable --kill-on-invalid-dep=yes --time="$TIME" --output="$STUDY_DIR/logs/%x-%j.out")
[ -n "$PARTITION" ] && common+=(--partition="$PARTITION")
[ -n "$ACCOUNT" ] && common+=(--account="$ACCOUNT")
# shellcheck disable=SC2206
[ -n "$SBATCH_EXTRA" ] && common+=($SBATCH_EXTRA)
exported="ALL,ATTN_BIN=$ATTN_BIN,STUDY_DIR=$STUDY_DIR,INPUT=$INPUT,REPEATS=$REPEATS,LAUNCHER=$LAUNCHER,BIND=$BIND"

grid_for() {
  local kv
  for kv in $GRIDS; do
    [ "${kv%%=*}" = "$1" ] && { echo "${kv#*=}"; return; }
  done
}

echo "attn_strong: study in $STUDY_DIR, input $INPUT"
prev="" expect="" ids=""
for p in $RANKS; do
  nodes=$(((p + RANKS_PER_NODE - 1) / RANKS_PER_NODE))
  per_node=$((p < RANKS_PER_NODE ? p : RANKS_PER_NODE))
  dep=()
  [ -n "$prev" ] && dep=(--dependency="afterany:$prev")
  excl=()
  [ "$EXCLUSIVE" = 1 ] && excl=(--exclusive)
  # ATTN_ARGS may hold commas: pass it through the environment, not --export.
  id=$(GRID=$(grid_for "$p") ATTN_ARGS=$ATTN_ARGS sbatch "${common[@]}" "${dep[@]}" "${excl[@]}" \
    --job-name="attn-strong-p$p" --nodes="$nodes" --ntasks="$p" \
    --ntasks-per-node="$per_node" --cpus-per-task="$THREADS" \
    --export="$exported" "$HERE/attn_point.sbatch") || die "sbatch of the $p-rank point failed"
  id=${id%%;*}
  echo "attn_strong: $p ranks x $THREADS threads on $nodes node(s): job $id"
  prev=$id ids="$ids $id" expect="$expect p$p-t$THREADS"
done
[ -n "$prev" ] || die "RANKS is empty"

collect=(--job-name=attn-strong-collect --ntasks=1 --cpus-per-task=1
  --dependency="afterany:$prev"
  --export="ALL,ATTN_SCRIPTS=$ATTN_SCRIPTS,STUDY_DIR=$STUDY_DIR,STUDY=strong,PHYS_CORES=$PHYS_CORES,PYTHON=$PYTHON")
if [ $WAIT = 1 ]; then
  echo "attn_strong: collect job waits for$ids; waiting (sbatch --wait)"
  EXPECT_POINTS=${expect# } sbatch "${common[@]}" "${collect[@]}" --wait "$HERE/attn_collect.sbatch"
  rc=$?
  echo "attn_strong: study finished with exit $rc: $STUDY_DIR/strong.csv"
  exit $rc
fi
id=$(EXPECT_POINTS=${expect# } sbatch "${common[@]}" "${collect[@]}" "$HERE/attn_collect.sbatch") ||
  die "sbatch of the collect job failed"
echo "attn_strong: collect job ${id%%;*}; results will be in $STUDY_DIR"
