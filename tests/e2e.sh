#!/usr/bin/env bash
# e2e.sh: end-to-end MPI runs of attn_hpc at one rank count over several
# grids and inputs. Each run is checked twice: against the single-rank output
# with attn_compare (the contract's |a-b| <= 1e-5 + 1e-4|b|) and against the
# independent NumPy float64 reference (|a-b| <= 2e-4 max(1, max|y|)).
#
#   e2e.sh setup BUILD WORK            generate the inputs and 1-rank outputs
#   e2e.sh run BUILD WORK P GRID...    GRID is PHxPS or "auto"
set -euo pipefail
mode=$1 build=$2 work=$3
shift 3
: "${PYTHON:=/usr/bin/python3}"
here=$(cd "$(dirname "$0")" && pwd)
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1 HDF5_USE_FILE_LOCKING=FALSE OMP_NUM_THREADS=1
MPIRUN=${MPIRUN:-mpirun}

# name | G | attn_gen options: causal, GQA, pre-norm rmsnorm with head_dim != C/H,
# rank-2 /x without residual/norm/biases, batch > 1, float64 data.
cases() {
  cat <<'LIST'
base|4|-B 1 -T 64 -C 64 -H 4 --seed 11
causal_gqa|2|-B 2 -T 37 -C 48 -H 6 -G 2 --causal 1 --seed 12
pre_rms|4|-B 1 -T 50 -C 32 -H 4 -D 12 --norm rmsnorm --norm-position pre --norm-params --scale 0.3 --dtype float64 --seed 13
rank2_plain|4|-T 41 -C 40 -H 8 -G 4 --rank2 --residual 0 --norm none --no-bias --seed 14
batch_causal|1|-B 3 -T 29 -C 32 -H 2 -G 1 --causal 1 --eps 1e-3 --norm-params --norm-position pre --seed 15
LIST
}

fail=0 pass=0
note() { printf '%s\n' "$*"; }
bad() { note "FAIL: $*"; fail=$((fail + 1)); }

case $mode in
setup)
  rm -rf "$work" && mkdir -p "$work"
  while IFS="|" read -r -u 3 name G opts; do
    # shellcheck disable=SC2086
    "$build/attn_gen" -o "$work/$name.h5" $opts >/dev/null
    "$MPIRUN" -n 1 "$build/attn_hpc" -q -o "$work/$name.p1.h5" "$work/$name.h5"
    if "$PYTHON" "$here/reference.py" "$work/$name.h5" --check "$work/$name.p1.h5" >"$work/$name.p1.log"; then
      pass=$((pass + 1))
    else
      cat "$work/$name.p1.log"; bad "$name: 1 rank vs reference"
    fi
  done 3< <(cases)
  ;;
run)
  P=$1
  shift
  for grid in "$@"; do
    while IFS="|" read -r -u 3 name G opts; do
      gopt=()
      if [ "$grid" != auto ]; then
        PH=${grid%x*}
        [ $((G % PH)) -eq 0 ] || continue # PH must divide num_kv_heads
        gopt=(--grid "$grid")
      fi
      out="$work/$name.p$P.$grid.h5"
      rm -f "$out"
      if ! timeout 300 "$MPIRUN" -n "$P" "$build/attn_hpc" -q "${gopt[@]}" --timing "$out.json" -o "$out" "$work/$name.h5"; then
        bad "$name: $P ranks grid $grid: attn_hpc exited non-zero"
        continue
      fi
      if "$build/attn_compare" "$out" "$work/$name.p1.h5" >"$out.cmp"; then
        if "$PYTHON" "$here/reference.py" "$work/$name.h5" --check "$out" >"$out.ref"; then
          pass=$((pass + 1))
          note "ok: $name, $P ranks, grid $grid"
        else
          cat "$out.ref"; bad "$name: $P ranks grid $grid vs reference"
        fi
      else
        cat "$out.cmp"; bad "$name: $P ranks grid $grid vs 1 rank"
      fi
    done 3< <(cases)
  done
  ;;
*) echo "usage: e2e.sh setup|run BUILD WORK [P GRID...]" >&2; exit 2 ;;
esac
echo "e2e: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
