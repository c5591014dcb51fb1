/* output.h: path checks and the atomic, collective write of the output file
 * (contract section 3). */
#ifndef ATTN_OUTPUT_H
#define ATTN_OUTPUT_H

#include <mpi.h>
#include <stddef.h>

#include "attn/config.h"
#include "attn/layer.h"

/* Run details stored in the /provenance group. */
typedef struct {
  const char *command_line;
  const char *input;
  int ranks, PH, PS, threads;
} attn_prov_t;

/* Local (call on one rank): the input must be a non-empty regular file; the
 * output must not be the input, its folder must exist and be writable, and
 * it may exist only with force; the timing report (may be NULL) must be
 * writable, so that a finished run does not fail on it. */
attn_err_t attn_paths_check(const char *input, const char *output, const char *timing, int force);

/* Local: is there room for an output of `bytes` data bytes (plus metadata)
 * in the output's folder? Checked before the run and again before the write:
 * an MPI-IO write that fails for lack of space can leave parallel HDF5's
 * collective close waiting forever, so it must not be attempted. */
attn_err_t attn_space_check(const char *output, int64_t bytes);

/* Collective over comm: write /y (rows of res on each rank), the resolved
 * configuration and /provenance to a temporary file in the output's folder,
 * whose name rank 0 receives in tmp_out[cap]. On failure nothing is left. */
attn_err_t attn_output_write(MPI_Comm comm, const char *output, const attn_config_t *cfg,
                             const attn_prov_t *prov, const attn_result_t *res, char *tmp_out,
                             size_t cap);

/* Collective: rename the temporary file into place (replacing an existing
 * output only with force); on failure the temporary file is removed. */
attn_err_t attn_output_commit(MPI_Comm comm, const char *tmp, const char *output, int force);

/* Collective in effect (rank 0 acts): remove the temporary file, if any. */
void attn_output_discard(MPI_Comm comm, const char *tmp);

#endif
