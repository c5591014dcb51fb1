#!/usr/bin/env bash
# run_valgrind.sh: valgrind memcheck on a 1-rank run of a small input (GQA,
# causal, B = 2). Valgrind 3.19 cannot execute AVX-512, so this uses a build
# without -march=native (build-vg/) and BLIS's AVX2 kernels (BLIS_ARCH_TYPE=3,
# haswell). Exit 0 when memcheck reports no error and no definite leak beyond
# Open MPI's own (tests/valgrind.supp and Open MPI's shipped suppressions).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${ATTN_VG_BUILD_DIR:-$root/build-vg}
command -v valgrind >/dev/null || { apt-get install -y -qq valgrind >/dev/null; }
ATTN_BUILD_DIR=$build "$root/scripts/setup.sh" -DATTN_NATIVE=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 HDF5_USE_FILE_LOCKING=FALSE
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$build/attn_gen" -o "$work/in.h5" -B 2 -T 37 -C 32 -H 4 -G 2 --causal 1 --norm rmsnorm --seed 5 >/dev/null
# Components stay loaded so that their frames have names the suppressions match.
export OMPI_MCA_mca_base_component_disable_dlclose=1
BLIS_ARCH_TYPE=3 OMP_NUM_THREADS=1 mpirun -n 1 valgrind -q --error-exitcode=99 --num-callers=50 \
  --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite \
  --suppressions=/usr/share/openmpi/openmpi-valgrind.supp \
  --suppressions="$root/tests/valgrind.supp" \
  "$build/attn_hpc" -q -o "$work/out.h5" "$work/in.h5"
echo "valgrind memcheck on a 1-rank run: clean"
echo "memcheck: 1 passed, 0 failed"
