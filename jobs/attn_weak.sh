#!/bin/bash
# attn_weak.sh: weak-scaling study of attn_hpc through Slurm. Run it on the
# login node (it calls sbatch; it is not itself a batch job):
#
#   jobs/attn_weak.sh           submit and return (prints the job ids)
#   jobs/attn_weak.sh --wait    also wait for the study; exit code of the collect job
#
# The sequence length T grows with the rank count P (baseline P0 = the first
# entry of RANKS, T0 = T at P0):
#   WEAK_MODE=memory  T = T0 * P/P0        constant memory per rank (rows per rank fixed);
#                                          attention work per rank still grows like P
#   WEAK_MODE=work    T = T0 * sqrt(P/P0)  constant attention work per rank (T^2/P fixed)
# T is rounded to a multiple of T_ROUND. Every point job makes its own input
# with attn_gen inside the job (GEN_ARGS + -T), runs it REPEATS times and
# deletes it. Then a collect job writes STUDY_DIR/weak.csv,
# weak_{speedup,efficiency,breakdown}.png and weak.md; speedup there is the
# scaled speedup (throughput ratio), efficiency = scaled speedup / (P/P0).
# Logs of every job: STUDY_DIR/logs/%x-%j.out.
#
# ============================== edit me =====================================
# (each line can also be overridden from the environment: T0=512 jobs/attn_weak.sh)
ATTN_BIN=${ATTN_BIN:-$HOME/attn_hpc/build}   # folder with attn_hpc and attn_gen
RANKS=${RANKS:-"1 2 4 8 16 32 64 128"}       # MPI rank counts to sweep (first = baseline)
RANKS_PER_NODE=${RANKS_PER_NODE:-32}         # ranks per node: nodes = ceil(ranks / this)
THREADS=${THREADS:-1}                        # cores per rank (--cpus-per-task; OpenMP + BLIS threads)
T0=${T0:-4096}                               # tokens at the baseline rank count
WEAK_MODE=${WEAK_MODE:-memory}               # memory (T ~ P) or work (T ~ sqrt P)
T_ROUND=${T_ROUND:-64}                       # round T to a multiple of this
GEN_ARGS=${GEN_ARGS:-"-B 1 -C 1024 -H 16 -G 16"}  # attn_gen shape options except -T
GEN_SEED=${GEN_SEED:-1}
GRIDS=${GRIDS:-}                             # optional grids per rank count, e.g. "4=2x2 8=2x4"
REPEATS=${REPEATS:-3}                        # runs per point (the plots use the median)
ATTN_ARGS=${ATTN_ARGS:-}                     # more attn_hpc options, e.g. --causal
STUDY_DIR=${STUDY_DIR:-weak-$(date +%Y%m%d-%H%M%S)}  # on a file system all nodes see
TIME=${TIME:-00:30:00}                       # time limit per point
PARTITION=${PARTITION:-}
ACCOUNT=${ACCOUNT:-}
EXCLUSIVE=${EXCLUSIVE:-1}                    # 1: whole nodes per point (clean timings)
LAUNCHER=${LAUNCHER:-srun}                   # srun (--mpi=pmix) or mpirun
BIND=${BIND:-cores}                          # cores or none
PHYS_CORES=${PHYS_CORES:-}                   # only for oversubscribed test clusters: real core count
PYTHON=${PYTHON:-}                           # python3 with matplotlib for the collect job; empty: search
SBATCH_EXTRA=${SBATCH_EXTRA:-}               # more sbatch options for every job
# ============================================================================

set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PROG=attn_weak STUDY=weak
# shellcheck source-path=SCRIPTDIR source=study_common.sh
source "$HERE/study_common.sh" || exit 1
study_args "$@"

study_need attn_hpc attn_gen
case "$WEAK_MODE" in memory | work) ;; *) die "WEAK_MODE must be memory or work" ;; esac
study_prepare
exported="ALL,ATTN_BIN=$ATTN_BIN,STUDY_DIR=$STUDY_DIR,REPEATS=$REPEATS,LAUNCHER=$LAUNCHER,BIND=$BIND,GEN_SEED=$GEN_SEED"

p0=${RANKS%% *}
say "study in $STUDY_DIR, T0=$T0 at $p0 rank(s), mode $WEAK_MODE, shape $GEN_ARGS"
for p in $RANKS; do
  t=$(weak_tokens "$T0" "$p" "$p0" "$WEAK_MODE" "$T_ROUND")
  # each point makes its own input: attn_gen $GEN_ARGS -T $t inside the job
  study_submit_point "$p" "-T$t" ", T=$t" GEN_T="$t" GEN_ARGS="$GEN_ARGS"
done
study_submit_collect
