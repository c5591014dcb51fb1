#!/bin/bash
# local_study.sh: the scaling study of jobs/attn_strong.sh and jobs/attn_weak.sh
# without Slurm, on this machine with mpirun. Rank counts beyond the core count
# run oversubscribed (--oversubscribe, no binding, yielding ranks): those
# points check that the code is correct at that rank count, not its speed.
#
#   scripts/local_study.sh strong      fixed input (INPUT, or one made from GEN_ARGS + -T T0)
#   scripts/local_study.sh weak        T grows with the ranks (WEAK_MODE, as in attn_weak.sh)
#
# Settings (environment):
#   ATTN_BIN    folder with attn_hpc, attn_gen, attn_compare   (default: build)
#   RANKS       rank counts                                    (default "1 2 4 8")
#   THREADS     threads per rank                               (default 1)
#   GRIDS       grids per rank count, e.g. "4=2x2 8=2x4"       (default: engine's choice)
#   REPEATS     runs per point; the plots use the median       (default 3)
#   INPUT       strong: input file; empty: generate one        (default empty)
#   GEN_ARGS    attn_gen shape options except -T               (default "-B 1 -C 256 -H 8")
#   T0          tokens (strong) / tokens at the first rank count (weak)  (default 2048 / 1024)
#   WEAK_MODE   memory (T ~ P) or work (T ~ sqrt P)            (default memory)
#   ATTN_ARGS   more attn_hpc options, e.g. --causal
#   OUT         result folder                                  (default local-<study>)
#   CORES       physical cores (oversubscription threshold)    (default: nproc)
#   VERIFY      1: compare every point with a one-rank run     (default 1)
#   PYTHON      python3 with matplotlib                        (default: /usr/bin/python3 or python3)
#   MPIRUN      (default mpirun)
# Results: OUT/timing/*.json, OUT/<study>.csv, OUT/<study>_{speedup,efficiency,
# breakdown}.png, OUT/<study>.md (table) and OUT/verify.txt (one line per point).
# Exit status: 0 ok; 1 a run or a verification failed; 2 usage.
set -u
set -o pipefail

STUDY=${1:-}
case "$STUDY" in
  strong | weak) ;;
  -h | --help) sed -n '2,30p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "usage: local_study.sh strong|weak (settings in the environment; --help)" >&2; exit 2 ;;
esac

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ATTN_BIN=${ATTN_BIN:-$HERE/../build}
RANKS=${RANKS:-"1 2 4 8"}
THREADS=${THREADS:-1}
GRIDS=${GRIDS:-}
REPEATS=${REPEATS:-3}
INPUT=${INPUT:-}
GEN_ARGS=${GEN_ARGS:-"-B 1 -C 256 -H 8"}
WEAK_MODE=${WEAK_MODE:-memory}
ATTN_ARGS=${ATTN_ARGS:-}
OUT=${OUT:-local-$STUDY}
CORES=${CORES:-$(nproc)}
VERIFY=${VERIFY:-1}
MPIRUN=${MPIRUN:-mpirun}
if [ "$STUDY" = strong ]; then T0=${T0:-2048}; else T0=${T0:-1024}; fi
if [ -z "${PYTHON:-}" ]; then
  for p in /usr/bin/python3 python3; do
    if "$p" -c 'import matplotlib' 2>/dev/null; then PYTHON=$p; break; fi
  done
fi

# say, die, grid_for and weak_tokens: shared with the Slurm studies
PROG=local_study
# shellcheck source-path=SCRIPTDIR source=../jobs/study_common.sh
source "$HERE/../jobs/study_common.sh" || exit 1
for exe in attn_hpc attn_gen attn_compare; do
  [ -x "$ATTN_BIN/$exe" ] || die "$ATTN_BIN/$exe not found (set ATTN_BIN)"
done
[ -n "${PYTHON:-}" ] || die "no python3 with matplotlib (apt-get install python3-matplotlib)"
command -v "$MPIRUN" >/dev/null || die "$MPIRUN not found"
mkdir -p "$OUT/timing" "$OUT/inputs" "$OUT/out" || die "cannot create $OUT"
rm -f "$OUT"/timing/*.json "$OUT/verify.txt"

ROOT_OPT=()
[ "$(id -u)" = 0 ] && ROOT_OPT=(--allow-run-as-root)
export HDF5_USE_FILE_LOCKING=FALSE OMP_NUM_THREADS=$THREADS BLIS_NUM_THREADS=$THREADS

p0=${RANKS%% *}
tokens() {
  if [ "$STUDY" = strong ]; then echo "$T0"; else weak_tokens "$T0" "$1" "$p0" "$WEAK_MODE" 64; fi
}

# run P OUTFILE INPUT [attn_hpc options...]
run() {
  local p=$1 out=$2 in=$3 over=0
  shift 3
  local opts=(-n "$p" "${ROOT_OPT[@]}")
  if [ $((p * THREADS)) -gt "$CORES" ]; then
    over=1
    opts+=(--oversubscribe --bind-to none --mca mpi_yield_when_idle 1)
  elif [ "$THREADS" -gt 1 ]; then
    opts+=(--map-by "slot:PE=$THREADS" --bind-to core)
  else
    opts+=(--map-by core --bind-to core)
  fi
  # shellcheck disable=SC2086
  "$MPIRUN" "${opts[@]}" -x OMP_NUM_THREADS -x BLIS_NUM_THREADS -x HDF5_USE_FILE_LOCKING \
    "$ATTN_BIN/attn_hpc" -q -t "$THREADS" "$@" --force -o "$out" $ATTN_ARGS "$in"
}

# busy_pct: percentage of the machine's CPU time used by anything during
# one second (sampled before each point, while this study is idle).
busy_pct() {
  local a b
  a=($(head -n1 /proc/stat 2>/dev/null)) || { echo "?"; return; }
  sleep 1
  b=($(head -n1 /proc/stat 2>/dev/null)) || { echo "?"; return; }
  awk -v a="${a[*]}" -v b="${b[*]}" 'BEGIN {
    n = split(a, x, " "); split(b, y, " "); tot = 0
    for (i = 2; i <= 9; i++) tot += y[i] - x[i]   # user .. steal (guest is inside user)
    idle = (y[5] - x[5]) + (y[6] - x[6])
    printf "%.0f%%", (tot > 0 ? 100 * (tot - idle) / tot : 0) }'
}

make_input() { # T PATH
  [ -s "$2" ] && return 0
  # shellcheck disable=SC2086
  "$ATTN_BIN/attn_gen" $GEN_ARGS -T "$1" --seed 1 --force -o "$2" >/dev/null
}

status=0
say "$STUDY study: ranks $RANKS x $THREADS threads, $CORES physical cores, $REPEATS repeats, results in $OUT"
for p in $RANKS; do
  T=$(tokens "$p")
  if [ "$STUDY" = strong ] && [ -n "$INPUT" ]; then
    in=$INPUT
  else
    in=$OUT/inputs/T$T.h5
    make_input "$T" "$in" || die "attn_gen failed for T=$T"
  fi
  grid=$(grid_for "$p")
  gopt=()
  [ -n "$grid" ] && gopt=(--grid "$grid")
  tag=p$p-t$THREADS
  [ "$in" = "${INPUT:-}" ] || tag=$tag-T$T
  busy=$(busy_pct)
  kind=real
  [ $((p * THREADS)) -gt "$CORES" ] && kind=oversubscribed
  for ((k = 1; k <= REPEATS; k++)); do
    if ! run "$p" "$OUT/out/$tag.h5" "$in" "${gopt[@]}" --timing "$OUT/timing/$tag-r$k.json"; then
      say "FAILED: $tag run $k"
      status=1
      continue
    fi
  done
  best=$("$PYTHON" -c 'import json,sys; print("%.4f" % min(json.load(open(f))["phases"]["total"]["max"] for f in sys.argv[1:]))' \
    "$OUT"/timing/"$tag"-r*.json 2>/dev/null || echo "?")
  verdict=-
  if [ "$VERIFY" = 1 ] && [ -s "$OUT/out/$tag.h5" ]; then
    ref=$OUT/out/ref-T$T.h5
    [ -s "$ref" ] || run 1 "$ref" "$in" || { say "FAILED: one-rank reference for T=$T"; status=1; }
    if "$ATTN_BIN/attn_compare" "$OUT/out/$tag.h5" "$ref" --rtol 1e-4 --atol 1e-5 >/dev/null; then
      verdict=PASS
    else
      verdict=FAIL
      status=1
    fi
  fi
  say "$p ranks ($kind, grid ${grid:-auto}, input $(basename "$in")): best total ${best} s, vs one rank: $verdict (machine busy before: $busy)"
  # busy: CPU use by other work just before the point; well above 0 % means
  # the cores were shared and that point's timings are pessimistic.
  echo "$tag $kind grid=${grid:-auto} verify=$verdict best_total=$best busy_before=$busy" >>"$OUT/verify.txt"
  rm -f "$OUT/out/$tag.h5"
done
rm -f "$OUT"/out/ref-*.h5
[ -n "$INPUT" ] || rm -f "$OUT"/inputs/*.h5

"$PYTHON" "$HERE/collect_timing.py" --study "$STUDY" --cores "$CORES" -o "$OUT/$STUDY.csv" "$OUT/timing" ||
  die "collect_timing failed"
"$PYTHON" "$HERE/plot_scaling.py" "$OUT/$STUDY.csv" --mode "$STUDY" -o "$OUT" --prefix "$STUDY" \
  --markdown "$OUT/$STUDY.md" >/dev/null || die "plot_scaling failed"
say "wrote $OUT/$STUDY.csv, $OUT/$STUDY.md and $OUT/${STUDY}_{speedup,efficiency,breakdown}.png"
exit $status
