#!/usr/bin/env bash
# Run attn_hpc on the malformed-input corpus and on bad command lines, and
# check the error contract: the exit code, exactly one `attn_hpc: error:` line
# naming the culprit, no output or temporary file left behind, the input
# untouched, and no hang.
#
# Usage: run_corpus.sh BUILD_DIR CORPUS_DIR RANKS...
#   BUILD_DIR   folder holding attn_hpc (or set ATTN_HPC to the binary)
#   CORPUS_DIR  folder written by make_corpus.py (manifest.tsv, valid.h5, ...)
#   RANKS       one or more rank counts, e.g. `1 3`
# Environment: MPIEXEC (default mpirun), MPIEXEC_NUMPROC_FLAG (default -n),
#   MPIEXEC_PREFLAGS, CASE_TIMEOUT (seconds, default 60), CORPUS_FILTER
#   (grep -E on case names), KEEP_TMP=1 keeps the scratch folder.
# Prints one PASS/FAIL/SKIP line per case and rank count, then
# `N passed, M failed`; exits 1 if any case failed.

set -u

if [ $# -lt 3 ]; then
  echo "usage: run_corpus.sh BUILD_DIR CORPUS_DIR RANKS..." >&2
  exit 2
fi
BUILD_DIR=$1
CORPUS=$(cd "$2" && pwd) || { echo "run_corpus: no corpus folder $2" >&2; exit 2; }
shift 2
RANK_LIST=("$@")

EXE=${ATTN_HPC:-$BUILD_DIR/attn_hpc}
case $EXE in /*) ;; *) EXE=$(pwd)/$EXE ;; esac
MPIEXEC=${MPIEXEC:-mpirun}
NPFLAG=${MPIEXEC_NUMPROC_FLAG:--n}
read -r -a PREFLAGS <<< "${MPIEXEC_PREFLAGS:-}"
CASE_TIMEOUT=${CASE_TIMEOUT:-60}
FILTER=${CORPUS_FILTER:-}

export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1
export OMP_NUM_THREADS=1 BLIS_NUM_THREADS=1
# When one rank exits non-zero, mpirun by default waits 1 s before it SIGKILLs
# the rest, which makes every failing case cost ~2 s. The ranks are expected
# to stop together anyway, so kill stragglers at once.
export OMPI_MCA_odls_base_sigkill_timeout=${OMPI_MCA_odls_base_sigkill_timeout:-0}

for f in "$CORPUS/manifest.tsv" "$CORPUS/valid.h5" "$CORPUS/valid_t2.h5"; do
  [ -f "$f" ] || { echo "run_corpus: missing $f (run make_corpus.py first)" >&2; exit 2; }
done
if [ ! -x "$EXE" ]; then
  echo "run_corpus: no executable $EXE" >&2
  exit 2
fi

SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/attn_corpus.XXXXXX")
if [ "${KEEP_TMP:-0}" != 1 ]; then
  trap 'rm -rf "$SCRATCH"' EXIT
else
  echo "scratch kept in $SCRATCH"
fi

PASSED=0
FAILED=0
SEQ=0
VALID_SHA=$(sha256sum "$CORPUS/valid.h5" | cut -d' ' -f1)
corpus_listing() { (cd "$CORPUS" && find . -print | LC_ALL=C sort); }
CORPUS_LISTING=$(corpus_listing)

sha() { if [ -f "$1" ]; then sha256sum "$1" | cut -d' ' -f1; else echo none; fi; }

# Per-case state, filled by new_case and run_engine, read by the checks.
CASE=""; WORK=""; LOG=""; RC=0; WHY=()

new_case() {  # new_case NAME RANKS: fresh empty working and output folder
  SEQ=$((SEQ + 1))
  CASE="$1 [np=$2]"
  WORK="$SCRATCH/$SEQ/work"
  LOG="$SCRATCH/$SEQ"
  mkdir -p "$WORK"
  WHY=()
}

run_engine() {  # run_engine RANKS ARGS...: runs in $WORK, logs kept outside it
  local np=$1; shift
  (cd "$WORK" && exec timeout -k 5 "$CASE_TIMEOUT" \
      "$MPIEXEC" "${PREFLAGS[@]}" "$NPFLAG" "$np" "$EXE" "$@") \
      > "$LOG/stdout" 2> "$LOG/stderr" < /dev/null
  RC=$?
  printf '%q ' "$MPIEXEC" "$NPFLAG" "$np" "$EXE" "$@" > "$LOG/cmd"
}

fail() { WHY+=("$*"); }

check_exit() {  # check_exit EXPECTED
  if grep -q 'was unable to launch the specified application' "$LOG/stderr"; then
    fail "mpirun could not launch $EXE (exit $RC; rebuilt during the run?)"
  elif [ "$RC" -ne "$1" ] && { [ "$RC" -eq 124 ] || [ "$RC" -eq 137 ]; }; then
    fail "TIMEOUT: no exit within ${CASE_TIMEOUT}s (hang; exit $RC), expected exit $1"
  elif [ "$RC" -gt 128 ]; then
    fail "killed by signal $((RC - 128)) (exit $RC), expected exit $1"
  elif [ "$RC" -ne "$1" ]; then
    fail "exit $RC, expected $1"
  fi
}

check_error_line() {  # check_error_line REGEX: exactly one error line, matching REGEX
  local n line
  n=$(grep -c '^attn_hpc: error:' "$LOG/stderr")
  if [ "$n" -eq 0 ]; then
    fail "no 'attn_hpc: error:' line on stderr"
  elif [ "$n" -gt 1 ]; then
    fail "$n 'attn_hpc: error:' lines on stderr, expected exactly 1"
  fi
  line=$(grep -m1 '^attn_hpc: error:' "$LOG/stderr")
  if [ "$n" -ge 1 ] && [ -n "$1" ] && ! printf '%s\n' "$line" | grep -Eq -- "$1"; then
    fail "error line does not match regex '$1': $line"
  fi
  if grep -q 'HDF5-DIAG' "$LOG/stderr"; then
    fail "HDF5 error stack printed on stderr (the contract allows one clear line)"
  fi
}

check_no_error_line() {
  if grep -q '^attn_hpc: error:' "$LOG/stderr"; then
    fail "unexpected error line: $(grep -m1 '^attn_hpc: error:' "$LOG/stderr")"
  fi
}

check_work_holds() {  # check_work_holds [NAME...]: $WORK holds exactly these entries
  local have want
  have=$(cd "$WORK" && ls -A | LC_ALL=C sort | tr '\n' ' ')
  want=$(printf '%s\n' "$@" | sed '/^$/d' | LC_ALL=C sort | tr '\n' ' ')
  if [ "$have" != "$want" ]; then
    fail "output folder holds [${have% }], expected [${want% }] (leftover output or temp file?)"
  fi
}

check_corpus_untouched() {
  if [ "$(corpus_listing)" != "$CORPUS_LISTING" ]; then
    fail "corpus folder changed (file created next to the input?): $(diff <(echo "$CORPUS_LISTING") <(corpus_listing) | grep '^[<>]' | tr '\n' ' ')"
    CORPUS_LISTING=$(corpus_listing)
  fi
}

check_sha() {  # check_sha FILE SHA
  local now
  now=$(sha "$1")
  [ "$now" = "$2" ] || fail "$(basename "$1") modified (sha256 $2 -> $now)"
}

finish() {
  if [ ${#WHY[@]} -eq 0 ]; then
    PASSED=$((PASSED + 1))
    echo "PASS $CASE"
  else
    FAILED=$((FAILED + 1))
    local why
    why=$(printf '%s; ' "${WHY[@]}")
    echo "FAIL $CASE: ${why%; }"
    echo "     command: $(cat "$LOG/cmd" 2>/dev/null) (cwd $WORK)"
    grep -v '^$' "$LOG/stderr" | head -n 4 | sed 's/^/     stderr: /'
  fi
}

skip() { echo "SKIP $1 [np=$2]: $3"; }

want() { [ -z "$FILTER" ] || printf '%s\n' "$1" | grep -Eq -- "$FILTER"; }

# ---------------------------------------------------------------------------
# Malformed inputs from the manifest.
run_manifest() {
  local np=$1 name path code regex input before
  while IFS=$'\t' read -r name path code regex; do
    case $name in ''|'#'*) continue ;; esac
    want "$name" || continue
    new_case "$name" "$np"
    input="$CORPUS/$path"
    before=$(sha "$input")
    run_engine "$np" -q -o "$WORK/out.h5" "$input"
    check_exit "$code"
    check_error_line "$regex"
    check_work_holds
    check_sha "$input" "$before"
    check_corpus_untouched
    finish
  done < "$CORPUS/manifest.tsv"
}

# ---------------------------------------------------------------------------
# Command-line and environment errors, all with a valid input.
usage_case() {  # usage_case NAME RANKS REGEX ARGS...: expect exit 2, nothing written
  local name=$1 np=$2 regex=$3; shift 3
  want "$name" || return 0
  new_case "$name" "$np"
  run_engine "$np" "$@"
  check_exit 2
  check_error_line "$regex"
  check_work_holds
  check_sha "$CORPUS/valid.h5" "$VALID_SHA"
  check_corpus_untouched
  finish
}

run_arguments() {
  local np=$1 v="$CORPUS/valid.h5" sha0 h5sig

  if want baseline_valid; then
    new_case baseline_valid "$np"
    run_engine "$np" -q -o "$WORK/out.h5" "$v"
    check_exit 0
    check_no_error_line
    check_work_holds out.h5
    check_sha "$v" "$VALID_SHA"
    finish
  fi

  usage_case grid_2x "$np" 'grid' -q --grid 2x -o "$WORK/out.h5" "$v"
  usage_case grid_0x1 "$np" 'grid' -q --grid 0x1 -o "$WORK/out.h5" "$v"
  usage_case grid_axb "$np" 'grid' -q --grid axb -o "$WORK/out.h5" "$v"
  usage_case grid_product_ne_ranks "$np" 'grid' -q --grid "1x$((np + 1))" -o "$WORK/out.h5" "$v"
  # PH must divide num_kv_heads (2 in valid.h5): needs an odd rank count > 1.
  if [ $((np % 2)) -eq 1 ] && [ "$np" -gt 1 ]; then
    usage_case grid_ph_not_dividing_kv_heads "$np" 'grid|num_kv_heads' \
      -q --grid "${np}x1" -o "$WORK/out.h5" "$v"
  else
    skip grid_ph_not_dividing_kv_heads "$np" "needs an odd rank count > 1"
  fi
  # More sequence blocks than tokens: valid_t2.h5 has T = 2.
  if [ "$np" -gt 2 ]; then
    usage_case grid_ps_above_tokens "$np" 'grid|token|sequence' \
      -q --grid "1x$np" -o "$WORK/out.h5" "$CORPUS/valid_t2.h5"
  else
    skip grid_ps_above_tokens "$np" "needs more than 2 ranks"
  fi

  usage_case grid_three_factors "$np" 'grid' -q --grid "1x1x$np" -o "$WORK/out.h5" "$v"
  usage_case unknown_option "$np" 'bogus' -q --bogus -o "$WORK/out.h5" "$v"
  usage_case missing_input "$np" '[Ii]nput|INPUT|[Uu]sage' -q -o "$WORK/out.h5"
  usage_case two_inputs "$np" '' -q -o "$WORK/out.h5" "$v" "$v"
  usage_case threads_0 "$np" 'thread' -q --threads 0 -o "$WORK/out.h5" "$v"
  usage_case threads_not_a_number "$np" 'thread|-t' -q -t abc -o "$WORK/out.h5" "$v"
  usage_case output_without_value "$np" 'output|-o' -q "$v" -o

  if want output_folder_missing; then
    new_case output_folder_missing "$np"
    run_engine "$np" -q -o "$WORK/nodir/out.h5" "$v"
    check_exit 4
    check_error_line 'nodir'
    check_work_holds
    check_sha "$v" "$VALID_SHA"
    finish
  fi

  if want output_folder_is_a_file; then
    new_case output_folder_is_a_file "$np"
    echo "plain file" > "$WORK/afile"
    sha0=$(sha "$WORK/afile")
    run_engine "$np" -q -o "$WORK/afile/out.h5" "$v"
    check_exit 4
    check_error_line 'afile'
    check_work_holds afile
    check_sha "$WORK/afile" "$sha0"
    finish
  fi

  if want output_folder_unwritable; then
    # Root ignores permission bits, but nobody can create files in /proc.
    new_case output_folder_unwritable "$np"
    run_engine "$np" -q -o /proc/attn_corpus_out.h5 "$v"
    check_exit 4
    check_error_line '/proc'
    check_work_holds
    finish
  fi

  if want output_exists_no_force; then
    new_case output_exists_no_force "$np"
    echo "existing output, must survive" > "$WORK/out.h5"
    sha0=$(sha "$WORK/out.h5")
    run_engine "$np" -q -o "$WORK/out.h5" "$v"
    check_exit 4
    check_error_line 'out\.h5|exist|force'
    check_work_holds out.h5
    check_sha "$WORK/out.h5" "$sha0"
    finish
  fi

  if want output_exists_force; then
    new_case output_exists_force "$np"
    echo "existing output, to be replaced" > "$WORK/out.h5"
    sha0=$(sha "$WORK/out.h5")
    run_engine "$np" -q --force -o "$WORK/out.h5" "$v"
    check_exit 0
    check_no_error_line
    check_work_holds out.h5
    h5sig=$(head -c 8 "$WORK/out.h5" | od -An -tx1 | tr -d ' \n')
    [ "$h5sig" = 894844460d0a1a0a ] || fail "out.h5 not replaced by an HDF5 file"
    finish
  fi

  if want output_is_a_folder_force; then
    # An existing folder at the output path must survive even --force.
    new_case output_is_a_folder_force "$np"
    mkdir "$WORK/out.h5"
    run_engine "$np" -q --force -o "$WORK/out.h5" "$v"
    check_exit 4
    check_error_line 'out\.h5'
    check_work_holds out.h5
    [ -d "$WORK/out.h5" ] && [ -z "$(ls -A "$WORK/out.h5")" ] \
      || fail "folder out.h5 was replaced or filled"
    finish
  fi

  if want timing_folder_missing; then
    # The timing report cannot be written: an I/O failure, so no output either.
    new_case timing_folder_missing "$np"
    run_engine "$np" -q --timing "$WORK/nodir/t.json" -o "$WORK/out.h5" "$v"
    check_exit 4
    check_error_line 'nodir|timing'
    check_work_holds
    finish
  fi

  # Default output name: INPUT's base name with .h5 -> .out.h5, in the cwd.
  if want default_output_name; then
    new_case default_output_name "$np"
    run_engine "$np" -q "$v"
    check_exit 0
    check_no_error_line
    check_work_holds valid.out.h5
    finish
  fi
  if want default_output_name_failure; then
    new_case default_output_name_failure "$np"
    run_engine "$np" -q "$CORPUS/cases/x_nan.h5"
    check_exit 3
    check_error_line '/x\b'
    check_work_holds
    finish
  fi

  # Output path equal to the input path: must refuse (exit 2), even with
  # --force and even when spelled differently; the input must survive.
  local variant
  for variant in same same_force alias_force; do
    want "output_is_input_$variant" || continue
    new_case "output_is_input_$variant" "$np"
    cp "$v" "$WORK/in.h5"
    case $variant in
      same) run_engine "$np" -q -o "$WORK/in.h5" "$WORK/in.h5" ;;
      same_force) run_engine "$np" -q --force -o "$WORK/in.h5" "$WORK/in.h5" ;;
      alias_force) run_engine "$np" -q --force -o in.h5 "$WORK/./in.h5" ;;
    esac
    check_exit 2
    check_error_line ''
    check_work_holds in.h5
    check_sha "$WORK/in.h5" "$VALID_SHA"
    finish
  done
}

for np in "${RANK_LIST[@]}"; do
  run_arguments "$np"
  run_manifest "$np"
done

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
