#!/usr/bin/env bash
# run_sanitize.sh: build with AddressSanitizer + UndefinedBehaviorSanitizer
# (build-asan/) and run the unit tests, the MPI tests at 1 to 4 ranks and the
# malformed-input corpus at 1 rank (its error paths under ASan; the 3-rank
# corpus run is left to the plain suite: under ASan it alone takes 4.5 min).
# Any sanitizer report fails the run (UBSan does not recover; ASan and LSan
# exit non-zero). Suppressions: tests/lsan.supp (Open MPI's own allocations).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${ATTN_ASAN_BUILD_DIR:-$root/build-asan}
ATTN_BUILD_DIR=$build "$root/scripts/setup.sh" -DATTN_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
export OMPI_MCA_mca_base_component_disable_dlclose=1
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=86
export LSAN_OPTIONS=suppressions=$root/tests/lsan.supp:print_suppressions=0:fast_unwind_on_malloc=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
cd "$build"
ctest --output-on-failure --timeout 1200 \
  -R "^(unit_|tools|e2e_setup|e2e_p2|e2e_p3|e2e_p4|e2e_(determinism|split|override|output)|corpus_generate|corpus_np1)"
