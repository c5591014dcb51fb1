/* main.c: the attn_hpc driver. Turns errors into exits only after the ranks
 * have agreed on them, so every rank stops together with one message. */
#include <blis.h>
#include <hdf5.h>
#include <limits.h>
#include <mpi.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "attn/cli.h"
#include "attn/config.h"
#include "attn/h5io.h"
#include "attn/layer.h"
#include "attn/output.h"
#include "attn/partition.h"
#include "attn/platform.h"
#include "attn/timing.h"

static char *join_args(int argc, char **argv) {
  size_t n = 1;
  for (int i = 0; i < argc; i++)
    n += strlen(argv[i]) + 1;
  char *s = malloc(n);
  if (!s) return NULL;
  s[0] = '\0';
  for (int i = 0; i < argc; i++) {
    if (i) strcat(s, " ");
    strcat(s, argv[i]);
  }
  return s;
}

static void print_config(const attn_config_t *c, const attn_grid_t *g, const char *in) {
  printf("attn_hpc: input %s: B=%lld T=%lld C=%lld H=%lld G=%lld D=%lld causal=%d\n", in,
         (long long)c->B, (long long)c->T, (long long)c->C, (long long)c->H, (long long)c->G,
         (long long)c->D, c->causal);
  printf("attn_hpc: norm=%s position=%s eps=%g residual=%d softmax_scale=%g\n",
         attn_norm_name(c->norm), attn_pos_name(c->position), c->eps, c->residual, c->scale);
  printf("attn_hpc: %d ranks, grid %dx%d (head groups x sequence blocks), %d threads per rank "
         "(OpenMP %d, BLIS %d per projection GEMM, 1 per attention tile GEMM)%s\n",
         g->size, g->PH, g->PS, g->threads, omp_get_max_threads(), g->threads,
         c->causal && g->PS > 1 ? ", zigzag causal layout" : "");
  printf("attn_hpc: BLIS %s, kernel set %s%s\n", bli_info_get_version_str(), attn_blis_arch_name(),
         getenv("BLIS_ARCH_TYPE") ? " (BLIS_ARCH_TYPE)" : "");
  fflush(stdout);
}

/* The whole run; returns the agreed status. */
static attn_err_t run(int argc, char **argv, int rank, int size, attn_cli_t *cli) {
  MPI_Comm world = MPI_COMM_WORLD;
  attn_err_t err = attn_agree(world, attn_cli_parse(argc, argv, cli));
  if (err != ATTN_OK) return err;
  if (cli->help || cli->version) {
    if (rank == 0 && cli->help) attn_cli_usage(stdout);
    if (rank == 0 && cli->version)
      printf("attn_hpc %s (revision %s; HDF5 %s; BLIS %s)\n", ATTN_VERSION, ATTN_GIT_REV,
             H5_VERS_INFO, bli_info_get_version_str());
    return ATTN_OK;
  }
  const double t_start = MPI_Wtime();
  omp_set_num_threads(cli->threads);
  omp_set_max_active_levels(1);

  ATTN_TRY(attn_agree(world,
                      rank == 0 ? attn_paths_check(cli->input, cli->output, cli->timing, cli->force)
                                : ATTN_OK));
  hid_t file = -1;
  ATTN_TRY(attn_agree(world, attn_h5_open_read(world, cli->input, &file)));
  attn_config_t cfg;
  err = attn_agree(world, attn_h5_read_config(file, &cfg));
  if (err == ATTN_OK && cli->causal >= 0) cfg.causal = cli->causal;
  if (err == ATTN_OK)
    err = attn_agree(world, rank == 0 ? attn_space_check(cli->output, cfg.B * cfg.T * cfg.C *
                                                                          (int64_t)sizeof(float))
                                      : ATTN_OK);
  int PH = cli->PH, PS = cli->PS;
  if (err == ATTN_OK)
    err = attn_agree(world, PH ? attn_grid_check(size, PH, PS, cfg.G, cfg.T)
                               : attn_grid_choose(size, cfg.G, cfg.T, &PH, &PS));
  attn_grid_t grid;
  int have_grid = 0;
  if (err == ATTN_OK) {
    err = attn_agree(world, attn_grid_setup(world, PH, PS, cli->threads, &grid));
    have_grid = 1;
  }
  attn_stats_t st;
  memset(&st, 0, sizeof st);
  attn_result_t res;
  memset(&res, 0, sizeof res);
  FILE *progress =
      rank == 0 && (cli->verbosity >= 2 || (cli->verbosity >= 1 && isatty(2))) ? stderr : NULL;
  if (err == ATTN_OK) {
    if (rank == 0 && cli->verbosity >= 2) print_config(&cfg, &grid, cli->input);
    err = attn_layer_forward(&grid, file, &cfg, &res, &st, progress);
  }
  H5Fclose(file);
  /* Output and timing report are both written under temporary names and
   * moved into place only when both exist: a failed run leaves neither. */
  char tmp_out[PATH_MAX + 64] = "", tmp_timing[PATH_MAX + 64] = "";
  int written = 0;
  if (err == ATTN_OK) {
    char *cmd = join_args(argc, argv);
    attn_prov_t prov = {cmd ? cmd : argv[0], cli->input, size, PH, PS, cli->threads};
    if (progress) fprintf(progress, "attn_hpc: write\n");
    double t0 = MPI_Wtime();
    err = attn_output_write(world, cli->output, &cfg, &prov, &res, tmp_out, sizeof tmp_out);
    st.sec[ATTN_PH_WRITE] = MPI_Wtime() - t0;
    written = err == ATTN_OK;
    free(cmd);
  }
  attn_result_free(&res);
  if (err == ATTN_OK) {
    st.sec[ATTN_PH_TOTAL] = MPI_Wtime() - t_start;
    /* A regular file goes through a temporary name; a device or pipe
     * (/dev/stdout, a FIFO) is written directly: renaming over it would
     * replace the device node. */
    struct stat ts;
    int direct = cli->timing && stat(cli->timing, &ts) == 0 && !S_ISREG(ts.st_mode);
    if (rank == 0 && cli->timing && !direct)
      snprintf(tmp_timing, sizeof tmp_timing, "%s.tmp.%ld", cli->timing, (long)getpid());
    err = attn_agree(world, attn_timing_report(world, &st, &cfg, PH, PS, cli->threads,
                                               !cli->timing ? NULL
                                               : direct     ? cli->timing
                                                            : tmp_timing,
                                               rank == 0 && cli->verbosity >= 2 ? stdout : NULL));
  }
  if (err == ATTN_OK)
    err = attn_output_commit(world, tmp_out, cli->output, cli->force);
  else if (written)
    attn_output_discard(world, tmp_out);
  if (rank == 0 && tmp_timing[0]) {
    attn_err_t terr = ATTN_OK;
    if (err != ATTN_OK)
      unlink(tmp_timing);
    else if (rename(tmp_timing, cli->timing) != 0)
      terr =
          attn_fail(ATTN_ERR_IO, "cannot move the timing report into place as '%s'", cli->timing);
    if (terr != ATTN_OK) unlink(tmp_timing);
    if (err == ATTN_OK) err = terr;
  }
  err = attn_agree(world, err);
  if (err == ATTN_OK && rank == 0 && cli->verbosity >= 1) {
    double total = MPI_Wtime() - t_start;
    printf("attn_hpc: wrote %s: /y [%lld, %lld, %lld] in %.3f s, %.2f GFLOP/s, %d ranks (grid "
           "%dx%d), %d threads per rank\n",
           cli->output, (long long)cfg.B, (long long)cfg.T, (long long)cfg.C, total,
           attn_config_flops(&cfg) / total * 1e-9, size, PH, PS, cli->threads);
  }
  if (have_grid) attn_grid_free(&grid);
  return err;
}

int main(int argc, char **argv) {
  int provided = 0, rank = 0, size = 1;
  attn_blis_select_arch(); /* before any BLIS call */
  if (MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
    fprintf(stderr, "attn_hpc: error: MPI initialisation failed\n");
    return ATTN_ERR_INTERNAL;
  }
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL); /* our own messages name the culprit */
  attn_cli_t cli;
  memset(&cli, 0, sizeof cli);
  attn_err_t err = run(argc, argv, rank, size, &cli);
  if (err != ATTN_OK && rank == 0) {
    fprintf(stderr, "attn_hpc: error: %s\n", attn_last_message());
    fflush(stderr);
  }
  attn_cli_free(&cli);
  H5close();
  MPI_Finalize();
  return (int)err;
}
