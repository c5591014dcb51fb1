#!/bin/bash
# attn_strong.sh: strong-scaling study of attn_hpc through Slurm. Run it on the
# login node (it calls sbatch; it is not itself a batch job):
#
#   jobs/attn_strong.sh           submit and return (prints the job ids)
#   jobs/attn_strong.sh --wait    also wait for the study; exit code of the collect job
#
# One fixed INPUT; one job per rank count in RANKS, chained with
# --dependency=afterany so the points run one after another (no two points
# share nodes, one failed point does not stall the rest), then a collect job
# that writes STUDY_DIR/strong.csv, strong_{speedup,efficiency,breakdown}.png
# and strong.md. Logs of every job: STUDY_DIR/logs/%x-%j.out.
#
# ============================== edit me =====================================
# (each line can also be overridden from the environment: RANKS="1 2" jobs/attn_strong.sh)
ATTN_BIN=${ATTN_BIN:-$HOME/attn_hpc/build}   # folder with attn_hpc
INPUT=${INPUT:-input.h5}                     # the fixed input (make one: attn_gen -T 16384 -C 1024 -H 16 -o input.h5)
RANKS=${RANKS:-"1 2 4 8 16 32 64 128"}       # MPI rank counts to sweep
RANKS_PER_NODE=${RANKS_PER_NODE:-32}         # ranks per node: nodes = ceil(ranks / this)
THREADS=${THREADS:-1}                        # cores per rank (--cpus-per-task; OpenMP + BLIS threads)
GRIDS=${GRIDS:-}                             # optional grids per rank count, e.g. "4=2x2 8=2x4"
REPEATS=${REPEATS:-3}                        # runs per point (the plots use the median)
ATTN_ARGS=${ATTN_ARGS:-}                     # more attn_hpc options, e.g. --causal
STUDY_DIR=${STUDY_DIR:-strong-$(date +%Y%m%d-%H%M%S)}
TIME=${TIME:-00:30:00}                       # time limit per point
PARTITION=${PARTITION:-}                     # empty: the default partition
ACCOUNT=${ACCOUNT:-}                         # empty: the default account
EXCLUSIVE=${EXCLUSIVE:-1}                    # 1: whole nodes per point (clean timings)
LAUNCHER=${LAUNCHER:-srun}                   # srun (--mpi=pmix) or mpirun
BIND=${BIND:-cores}                          # cores or none
PHYS_CORES=${PHYS_CORES:-}                   # only for oversubscribed test clusters: real core count
PYTHON=${PYTHON:-}                           # python3 with matplotlib for the collect job; empty: search
SBATCH_EXTRA=${SBATCH_EXTRA:-}               # more sbatch options for every job, e.g. "--qos=short"
# ============================================================================

set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PROG=attn_strong STUDY=strong
# shellcheck source-path=SCRIPTDIR source=study_common.sh
source "$HERE/study_common.sh" || exit 1
study_args "$@"

study_need attn_hpc
[ -r "$INPUT" ] || die "input '$INPUT' not readable (edit INPUT)"
INPUT=$(cd "$(dirname "$INPUT")" && pwd)/$(basename "$INPUT")
study_prepare
exported="ALL,ATTN_BIN=$ATTN_BIN,STUDY_DIR=$STUDY_DIR,INPUT=$INPUT,REPEATS=$REPEATS,LAUNCHER=$LAUNCHER,BIND=$BIND"

say "study in $STUDY_DIR, input $INPUT"
for p in $RANKS; do
  study_submit_point "$p" "" ""
done
study_submit_collect
