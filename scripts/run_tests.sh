#!/usr/bin/env bash
# run_tests.sh: the README's second command. Sets up and builds, then runs
# the whole CTest suite (unit, tools, MPI end-to-end, corpus, Slurm).
# Extra arguments go to ctest, e.g. scripts/run_tests.sh -L unit
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${ATTN_BUILD_DIR:-$root/build}
# As root (CI, the README's fresh machine) the Slurm job-script tests are
# required, not skipped: a missing Slurm is then a configure error.
slurm=()
[ "$(id -u)" -eq 0 ] && slurm=(-DATTN_SLURM_TESTS=ON)
"$root/scripts/setup.sh" "${slurm[@]}"
cd "$build"
ctest --output-on-failure --timeout 1200 "$@"
