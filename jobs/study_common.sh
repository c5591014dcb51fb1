# shellcheck shell=bash disable=SC2034,SC2153,SC2154  # uses the sourcing script's variables
# study_common.sh: the parts jobs/attn_strong.sh and jobs/attn_weak.sh share.
# Not run by itself: both source it from their own folder, so keep it next to
# them when you copy jobs/ (it is not a user-facing script, nothing to edit).
# scripts/local_study.sh sources it too, for grid_for and weak_tokens.
# Sourcing it only defines functions; nothing runs.
#
# A submitting script sets its "edit me" variables and PROG (the name in its
# messages), then: study_args "$@"; its own checks; study_prepare; exported=...;
# study_submit_point per rank count; study_submit_collect.

say() { echo "$PROG: $*"; }
die() { echo "$PROG: error: $*" >&2; exit 1; }

# grid_for P: the grid GRIDS gives for P ranks ("4=2x2 8=2x4"), else nothing
grid_for() {
  local kv
  for kv in $GRIDS; do
    [ "${kv%%=*}" = "$1" ] && { echo "${kv#*=}"; return; }
  done
}

# weak_tokens T0 P P0 MODE ROUND: T for P ranks in a weak-scaling study with
# T0 tokens at P0 ranks; MODE memory: T = T0*P/P0, work: T = T0*sqrt(P/P0);
# rounded to a multiple of ROUND (at least ROUND).
weak_tokens() {
  awk -v t0="$1" -v p="$2" -v p0="$3" -v mode="$4" -v r="$5" 'BEGIN {
    t = (mode == "memory") ? t0 * p / p0 : t0 * sqrt(p / p0)
    t = int(t / r + 0.5) * r; if (t < r) t = r; print t }'
}

# ---- Slurm submission (attn_strong.sh, attn_weak.sh) -----------------------

# study_args "$@": the command line of a study script: --wait sets WAIT=1,
# --help prints the script's header comment (up to the "edit me" block).
study_args() {
  WAIT=0
  case "${1:-}" in
    --wait) WAIT=1 ;;
    "") ;;
    -h | --help)
      awk 'NR == 1 { next } /edit me/ { exit } { sub(/^# ?/, ""); s = s $0 "\n" }
        END { sub(/\n+$/, "\n", s); printf "%s", s }' "$0"
      exit 0 ;;
    *) echo "$PROG: error: unknown option '$1' (only --wait)" >&2; exit 2 ;;
  esac
}

# study_need EXE...: each must be an executable in ATTN_BIN
study_need() {
  local exe
  for exe in "$@"; do
    [ -x "$ATTN_BIN/$exe" ] || die "$ATTN_BIN/$exe not found (edit ATTN_BIN)"
  done
}

# study_prepare: sbatch present; STUDY_DIR (absolute) with logs/ and timing/;
# common = the sbatch options of every job; ATTN_SCRIPTS (collect_timing.py,
# plot_scaling.py) defaults to ../scripts next to jobs/.
study_prepare() {
  command -v sbatch >/dev/null || die "sbatch not found"
  mkdir -p "$STUDY_DIR/logs" "$STUDY_DIR/timing" || die "cannot create $STUDY_DIR"
  STUDY_DIR=$(cd "$STUDY_DIR" && pwd)
  ATTN_SCRIPTS=${ATTN_SCRIPTS:-$(cd "$HERE/../scripts" && pwd)}
  common=(--parsable --kill-on-invalid-dep=yes --time="$TIME" --output="$STUDY_DIR/logs/%x-%j.out")
  [ -n "$PARTITION" ] && common+=(--partition="$PARTITION")
  [ -n "$ACCOUNT" ] && common+=(--account="$ACCOUNT")
  # shellcheck disable=SC2206
  [ -n "$SBATCH_EXTRA" ] && common+=($SBATCH_EXTRA)
  prev="" expect="" ids=""
}

# study_submit_point P TAG_SUFFIX NOTE [VAR=VALUE...]: submit attn_point.sbatch
# for P ranks (ceil(P / RANKS_PER_NODE) nodes), after the previous point
# (afterany), with --export=$exported plus GRID, ATTN_ARGS and the VAR=VALUEs
# in its environment (they may hold spaces or commas, which --export cannot).
# Expects the timing tag p<P>-t<THREADS><TAG_SUFFIX>; NOTE goes into the message.
study_submit_point() {
  local p=$1 suffix=$2 note=$3 nodes per_node grid id dep=() excl=()
  shift 3
  grid=$(grid_for "$p")
  nodes=$(((p + RANKS_PER_NODE - 1) / RANKS_PER_NODE))
  per_node=$((p < RANKS_PER_NODE ? p : RANKS_PER_NODE))
  [ -n "$prev" ] && dep=(--dependency="afterany:$prev")
  [ "$EXCLUSIVE" = 1 ] && excl=(--exclusive)
  id=$(env GRID="$grid" ATTN_ARGS="$ATTN_ARGS" "$@" \
    sbatch "${common[@]}" "${dep[@]}" "${excl[@]}" \
      --job-name="attn-$STUDY-p$p" --nodes="$nodes" --ntasks="$p" \
      --ntasks-per-node="$per_node" --cpus-per-task="$THREADS" \
      --export="$exported" "$HERE/attn_point.sbatch") || die "sbatch of the $p-rank point failed"
  id=${id%%;*}
  say "$p ranks x $THREADS threads on $nodes node(s)$note: job $id"
  prev=$id ids="$ids $id" expect="$expect p$p-t$THREADS$suffix"
}

# study_submit_collect: the collect job after the last point. With WAIT=1 it
# waits for it and exits with its exit code.
study_submit_collect() {
  local id rc collect
  [ -n "$prev" ] || die "RANKS is empty"
  collect=(--job-name="attn-$STUDY-collect" --ntasks=1 --cpus-per-task=1
    --dependency="afterany:$prev"
    --export="ALL,ATTN_SCRIPTS=$ATTN_SCRIPTS,STUDY_DIR=$STUDY_DIR,STUDY=$STUDY,PHYS_CORES=$PHYS_CORES,PYTHON=$PYTHON")
  if [ "$WAIT" = 1 ]; then
    say "collect job waits for$ids; waiting (sbatch --wait)"
    EXPECT_POINTS=${expect# } sbatch "${common[@]}" "${collect[@]}" --wait "$HERE/attn_collect.sbatch"
    rc=$?
    say "study finished with exit $rc: $STUDY_DIR/$STUDY.csv"
    exit $rc
  fi
  id=$(EXPECT_POINTS=${expect# } sbatch "${common[@]}" "${collect[@]}" "$HERE/attn_collect.sbatch") ||
    die "sbatch of the collect job failed"
  say "collect job ${id%%;*}; results will be in $STUDY_DIR"
}
