# common.sh: sourced by the tests in tests/slurm. Arguments of every test:
#   CLUSTER_DIR WORK_DIR SOURCE_DIR ATTN_HPC ATTN_GEN ATTN_COMPARE [MODE]
# (CMake passes $<TARGET_FILE:...> of the three executables). The throwaway
# cluster in CLUSTER_DIR was started by the slurm_cluster_start fixture
# (scripts/slurm_cluster.sh). The job scripts want one folder with the
# executables (ATTN_BIN): WORK_DIR/bin, symbolic links to the three.

set -u
CLUSTER_DIR=$1 WORK_DIR=$2 SOURCE_DIR=$3 ATTN_HPC=$4 ATTN_GEN=$5 ATTN_COMPARE=$6
MODE=${7:-}
TEST_NAME=$(basename "$0" .sh)${MODE:+_$MODE}

fail() { echo "FAIL [$TEST_NAME]: $*" >&2; exit 1; }
ok() { echo "ok   [$TEST_NAME]: $*"; }
info() { echo "     [$TEST_NAME]: $*"; }

[ -f "$CLUSTER_DIR/env.sh" ] || fail "no cluster in $CLUSTER_DIR (did the slurm_cluster_start fixture run?)"
# shellcheck disable=SC1091
source "$CLUSTER_DIR/env.sh"
JOBS=$SOURCE_DIR/jobs
SCRIPTS=$SOURCE_DIR/scripts

# A python3 with matplotlib (Debian's /usr/bin/python3 first).
PYTHON=
for p in /usr/bin/python3 python3; do
  if "$p" -c 'import matplotlib' 2>/dev/null; then PYTHON=$p; break; fi
done
[ -n "$PYTHON" ] || fail "no python3 with matplotlib (apt-get install python3-matplotlib)"
export PYTHON

rm -rf "$WORK_DIR"
mkdir -p "$WORK_DIR/bin" || fail "cannot create $WORK_DIR"
cd "$WORK_DIR" || fail "cannot enter $WORK_DIR"
for exe in "$ATTN_HPC" "$ATTN_GEN" "$ATTN_COMPARE"; do
  [ -x "$exe" ] || fail "executable $exe missing (build first)"
done
ln -s "$ATTN_HPC" bin/attn_hpc && ln -s "$ATTN_GEN" bin/attn_gen &&
  ln -s "$ATTN_COMPARE" bin/attn_compare || fail "cannot link the executables"
BIN_DIR=$WORK_DIR/bin

# On failure, show the cluster's view and the job logs.
dump_logs() {
  echo "---- squeue / sinfo" >&2
  timeout 10 squeue >&2
  timeout 10 sinfo -N >&2
  local f
  for f in "$WORK_DIR"/*.out "$WORK_DIR"/*/logs/*.out; do
    [ -f "$f" ] && { echo "---- $f" >&2; tail -n 40 "$f" >&2; }
  done
}
trap 'rc=$?; [ $rc -ne 0 ] && dump_logs; exit $rc' EXIT

# is_png FILE: exists, PNG signature, not tiny
is_png() {
  [ -s "$1" ] && [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] &&
    [ "$(stat -c %s "$1")" -gt 5000 ]
}
