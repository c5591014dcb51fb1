/* h5io.h: parallel HDF5 input: schema validation and collective block reads,
 * plus the block-transfer helper the output writer shares.
 *
 * A "block" is a rectangle of a dataset seen as a 2-D matrix of rows x cols:
 * a rank-3 [B,T,C] dataset is seen as [B*T, C] (a block never crosses a
 * sequence), rank-2 as itself, rank-1 [N] as [1, N]. Blocks are transferred
 * into (out of) consecutive memory, in order. */
#ifndef ATTN_H5IO_H
#define ATTN_H5IO_H

#include <hdf5.h>
#include <stdint.h>

#include "attn/config.h"

typedef struct {
  int64_t r0, nr, c0, nc;
} attn_block_t;

/* Largest single MPI-IO transfer in bytes: 1 GiB by default (MPI-IO's limit
 * is 2 GiB); the environment variable ATTN_IO_MAX_BYTES lowers it (tests). */
int64_t attn_io_max_bytes(void);

/* Collective over comm: open an existing file read-only with the MPI-IO
 * driver. ATTN_ERR_IO naming the path when it cannot be opened. */
attn_err_t attn_h5_open_read(MPI_Comm comm, const char *path, hid_t *file);

/* Read and validate the schema (contract section 2): every dataset's
 * presence, class and shape and every attribute's type and range.
 * Collective in the HDF5 sense (all ranks call it alike). */
attn_err_t attn_h5_read_config(hid_t file, attn_config_t *cfg);

/* Collective over comm: read blocks of dataset `name` as float32 into buf and
 * check that every value is finite. Transfers larger than attn_io_max_bytes()
 * are split, and every rank makes the same number of H5Dread calls (ranks
 * with fewer pieces join with empty selections). */
attn_err_t attn_h5_read_blocks(MPI_Comm comm, hid_t file, const char *name, const attn_block_t *blk,
                               int nblk, float *buf);

/* Collective over comm: the write twin, for an open float32 dataset. */
attn_err_t attn_h5_write_blocks(MPI_Comm comm, hid_t dset, const attn_block_t *blk, int nblk,
                                const float *buf);

/* Does a link exist at the root (no error stack noise)? */
int attn_h5_exists(hid_t file, const char *name);

#endif
