/* timing.h: per-phase wall-clock timers and the JSON timing report
 * (contract section 6). */
#ifndef ATTN_TIMING_H
#define ATTN_TIMING_H

#include <stdint.h>
#include <stdio.h>

#include "attn/config.h"

typedef enum {
  ATTN_PH_READ = 0,
  ATTN_PH_PROJECT,
  ATTN_PH_ATTEND,
  ATTN_PH_RING_WAIT,
  ATTN_PH_COMBINE,
  ATTN_PH_NORM,
  ATTN_PH_WRITE,
  ATTN_PH_TOTAL,
  ATTN_NPHASES
} attn_phase_t;

const char *attn_phase_name(attn_phase_t p);

/* What one rank measured. */
typedef struct {
  double sec[ATTN_NPHASES];
  int64_t bytes_sent; /* point-to-point and collective payload this rank sent */
  int64_t tiles;      /* attention tiles computed */
  int64_t peak_rss;   /* peak resident memory of the process, bytes (filled by the report) */
} attn_stats_t;

/* Peak resident set size of this process in bytes (getrusage). */
int64_t attn_peak_rss(void);

/* Collective over comm: reduce the ranks' stats to min/mean/max on rank 0
 * and, on rank 0, write the JSON report to path (if path is not NULL) and a
 * phase table to `table` (if not NULL). */
attn_err_t attn_timing_report(MPI_Comm comm, const attn_stats_t *st, const attn_config_t *cfg,
                              int PH, int PS, int threads, const char *path, FILE *table);

#endif
