/* timing.c: reduce per-rank phase timers and write the JSON timing report. */
#include "attn/timing.h"

#include <stdlib.h>
#include <sys/resource.h>

static const char *const phase_names[ATTN_NPHASES] = {"read",    "project", "attend", "ring_wait",
                                                      "combine", "norm",    "write",  "total"};

const char *attn_phase_name(attn_phase_t p) { return phase_names[p]; }

int64_t attn_peak_rss(void) {
  struct rusage ru;
  if (getrusage(RUSAGE_SELF, &ru) != 0) return 0;
  return (int64_t)ru.ru_maxrss * 1024; /* Linux reports KiB */
}

attn_err_t attn_timing_report(MPI_Comm comm, const attn_stats_t *st, const attn_config_t *cfg,
                              int PH, int PS, int threads, const char *path, FILE *table) {
  int rank, size;
  ATTN_MPI(MPI_Comm_rank(comm, &rank));
  ATTN_MPI(MPI_Comm_size(comm, &size));
  double mn[ATTN_NPHASES], mx[ATTN_NPHASES], sum[ATTN_NPHASES];
  ATTN_MPI(MPI_Reduce(st->sec, mn, ATTN_NPHASES, MPI_DOUBLE, MPI_MIN, 0, comm));
  ATTN_MPI(MPI_Reduce(st->sec, mx, ATTN_NPHASES, MPI_DOUBLE, MPI_MAX, 0, comm));
  ATTN_MPI(MPI_Reduce(st->sec, sum, ATTN_NPHASES, MPI_DOUBLE, MPI_SUM, 0, comm));
  enum { NV = 3 };
  long long mine[NV] = {(long long)st->bytes_sent, (long long)st->tiles,
                        (long long)attn_peak_rss()};
  long long *all = rank == 0 ? malloc((size_t)size * NV * sizeof *all) : NULL;
  int bad = rank == 0 && !all; /* rank 0 tells the others before the gather */
  ATTN_MPI(MPI_Bcast(&bad, 1, MPI_INT, 0, comm));
  if (bad) return attn_fail(ATTN_ERR_INTERNAL, "out of memory for the timing report");
  ATTN_MPI(MPI_Gather(mine, NV, MPI_LONG_LONG, all, NV, MPI_LONG_LONG, 0, comm));
  if (rank != 0) return ATTN_OK;

  const double flops = attn_config_flops(cfg);
  const double total = mx[ATTN_PH_TOTAL];
  const double gflops = total > 0 ? flops / total * 1e-9 : 0.0;
  attn_err_t err = ATTN_OK;
  if (path) {
    FILE *f = fopen(path, "w");
    if (!f) {
      free(all);
      return attn_fail(ATTN_ERR_IO, "cannot write the timing report '%s'", path);
    }
    fprintf(f, "{\n  \"software\": \"attn_hpc\",\n  \"version\": \"%s\",\n", ATTN_VERSION);
    fprintf(f, "  \"ranks\": %d,\n  \"grid\": [%d, %d],\n  \"threads\": %d,\n", size, PH, PS,
            threads);
    fprintf(f,
            "  \"shape\": {\"B\": %lld, \"T\": %lld, \"C\": %lld, \"H\": %lld, \"G\": %lld, "
            "\"D\": %lld},\n",
            (long long)cfg->B, (long long)cfg->T, (long long)cfg->C, (long long)cfg->H,
            (long long)cfg->G, (long long)cfg->D);
    fprintf(f, "  \"causal\": %d,\n  \"flops\": %.6e,\n  \"phases\": {\n", cfg->causal, flops);
    for (int p = 0; p < ATTN_NPHASES; p++)
      fprintf(f, "    \"%s\": {\"min\": %.6e, \"mean\": %.6e, \"max\": %.6e}%s\n", phase_names[p],
              mn[p], sum[p] / size, mx[p], p + 1 < ATTN_NPHASES ? "," : "");
    fprintf(f, "  },\n  \"gflops\": %.3f,\n  \"bytes_sent\": [", gflops);
    for (int r = 0; r < size; r++)
      fprintf(f, "%s%lld", r ? ", " : "", all[NV * r]);
    fprintf(f, "],\n  \"tiles\": [");
    for (int r = 0; r < size; r++)
      fprintf(f, "%s%lld", r ? ", " : "", all[NV * r + 1]);
    fprintf(f, "],\n  \"peak_rss_bytes\": [");
    for (int r = 0; r < size; r++)
      fprintf(f, "%s%lld", r ? ", " : "", all[NV * r + 2]);
    fprintf(f, "]\n}\n");
    if (fclose(f) != 0) err = attn_fail(ATTN_ERR_IO, "cannot write the timing report '%s'", path);
  }
  if (table) {
    fprintf(table, "attn_hpc: %-9s %10s %10s %10s %8s\n", "phase", "min s", "mean s", "max s",
            "max/min");
    for (int p = 0; p < ATTN_NPHASES; p++)
      fprintf(table, "attn_hpc: %-9s %10.4f %10.4f %10.4f %8.2f\n", phase_names[p], mn[p],
              sum[p] / size, mx[p], mn[p] > 0 ? mx[p] / mn[p] : 1.0);
    long long tmin = all[1], tmax = all[1], tsum = 0, rss = 0;
    for (int r = 0; r < size; r++) {
      long long t = all[NV * r + 1];
      rss = all[NV * r + 2] > rss ? all[NV * r + 2] : rss;
      tmin = t < tmin ? t : tmin;
      tmax = t > tmax ? t : tmax;
      tsum += t;
    }
    fprintf(table, "attn_hpc: attention tiles per rank: min %lld, mean %.1f, max %lld\n", tmin,
            (double)tsum / size, tmax);
    fprintf(table, "attn_hpc: peak resident memory: %.1f MiB (largest rank)\n",
            (double)rss / 1048576.0);
  }
  free(all);
  return err;
}
