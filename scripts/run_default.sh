#!/usr/bin/env bash
# run_default.sh: the README's first command. Sets up and builds, runs the
# default input on 4 ranks and on 1 rank, and compares the two outputs.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${ATTN_BUILD_DIR:-$root/build}
"$root/scripts/setup.sh"

export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1 HDF5_USE_FILE_LOCKING=FALSE
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
out=${ATTN_OUT_DIR:-$root/out}
mkdir -p "$out"
input=$root/inputs/default.h5

mpirun -n 4 "$build/attn_hpc" --grid 2x2 --force -o "$out/default.p4.h5" --timing "$out/default.p4.json" "$input"
mpirun -n 1 "$build/attn_hpc" --force -o "$out/default.p1.h5" "$input"
"$build/attn_compare" "$out/default.p4.h5" "$out/default.p1.h5"
