/* fault.h: fault injection for tests, and removal of the temporary output
 * when the process is terminated by a signal. */
#ifndef ATTN_FAULT_H
#define ATTN_FAULT_H

/* If the environment variable ATTN_FAULT_KILL is "RANK:PHASE" and this is
 * that MPI rank entering that phase (read, project, attend, combine, write),
 * the process kills itself with SIGKILL: a rank dying mid-run, for tests. */
void attn_fault_point(int rank, const char *phase);

/* While a temporary output exists, SIGTERM, SIGINT, SIGHUP and SIGUSR1/2
 * (what mpirun and Slurm send to the surviving ranks when one rank dies or
 * a job is cancelled) remove it before the process ends. */
void attn_cleanup_arm(const char *tmp_path);
void attn_cleanup_disarm(void);

#endif
