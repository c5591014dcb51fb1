/* layer.h: the distributed forward pass over the PH x PS process grid
 * (contract section 5): read, project, ring attention, combine, norm. */
#ifndef ATTN_LAYER_H
#define ATTN_LAYER_H

#include <hdf5.h>
#include <mpi.h>

#include "attn/config.h"
#include "attn/h5io.h"
#include "attn/timing.h"

typedef struct {
  MPI_Comm world; /* all ranks of the run */
  MPI_Comm ring;  /* the PS ranks of this head group, ordered by sequence block */
  MPI_Comm heads; /* the PH ranks holding this sequence block, ordered by head group */
  int rank, size, PH, PS, hg, sb;
  int threads; /* threads per rank for BLIS and OpenMP */
} attn_grid_t;

/* Collective over world: split it into the grid's communicators (rank r is
 * head group r / PS, sequence block r % PS) and set MPI_ERRORS_RETURN on them. */
attn_err_t attn_grid_setup(MPI_Comm world, int PH, int PS, int threads, attn_grid_t *g);
void attn_grid_free(attn_grid_t *g);

/* The rows of /y this rank finished: y [rows, C] in the order of the blocks
 * (in /x's coordinates seen as [B*T, C]). */
typedef struct {
  float *y;
  attn_block_t *blk;
  int nblk;
  int64_t rows;
} attn_result_t;

void attn_result_free(attn_result_t *r);

/* Collective over g->world: the whole layer from the open input file. Fills
 * st (read, project, attend, ring_wait, combine, norm) and res. `progress`
 * (may be NULL) receives one-line progress notes on this rank. */
attn_err_t attn_layer_forward(const attn_grid_t *g, hid_t file, const attn_config_t *cfg,
                              attn_result_t *res, attn_stats_t *st, FILE *progress);

#endif
