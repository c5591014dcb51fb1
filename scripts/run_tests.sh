#!/usr/bin/env bash
# run_tests.sh: the README's second command. Sets up and builds, then runs
# the whole CTest suite (unit, tools, MPI end-to-end, corpus, Slurm).
# Extra arguments go to ctest, e.g. scripts/run_tests.sh -L unit
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${ATTN_BUILD_DIR:-$root/build}
"$root/scripts/setup.sh"
cd "$build"
ctest --output-on-failure --timeout 1200 "$@"
