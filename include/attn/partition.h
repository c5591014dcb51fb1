/* partition.h: how tokens and heads are split over the PH x PS process grid.
 * Pure arithmetic (no MPI, no allocation), 64-bit throughout. */
#ifndef ATTN_PARTITION_H
#define ATTN_PARTITION_H

#include <stdint.h>

#include "attn/error.h"

/* Balanced split of n items into p parts: part i starts at attn_part_start
 * and has n/p or n/p + 1 items (the first n % p parts get one more). */
int64_t attn_part_start(int64_t n, int64_t p, int64_t i);
int64_t attn_part_len(int64_t n, int64_t p, int64_t i);

/* The token positions one sequence block holds: one contiguous segment, or
 * two for the zigzag layout used by causal runs (block sb gets chunks sb and
 * 2*PS-1-sb of 2*PS, which gives every block the same causal work).
 * Segments are ascending and non-overlapping; n is their total length. */
typedef struct {
  int nseg;
  int64_t start[2], len[2];
  int64_t n;
} attn_seqblock_t;

void attn_seqblock(attn_seqblock_t *sbk, int64_t T, int64_t PS, int64_t sb, int zigzag);
/* Token position of local index i (0 <= i < n) of a block. */
int64_t attn_seqblock_pos(const attn_seqblock_t *sbk, int64_t i);

/* Parse "PHxPS". ATTN_ERR_USAGE with a message on malformed text. */
attn_err_t attn_grid_parse(const char *text, int *PH, int *PS);
/* Check a grid against P ranks, G key/value heads and T tokens. */
attn_err_t attn_grid_check(int P, int PH, int PS, int64_t G, int64_t T);
/* Choose a grid for P ranks: the largest PH that divides both P and G and
 * leaves PS = P / PH <= T. ATTN_ERR_USAGE if no valid grid exists. */
attn_err_t attn_grid_choose(int P, int64_t G, int64_t T, int *PH, int *PS);

/* Split count items into pieces of at most max_piece; returns the number of
 * pieces (>= 1 when count == 0 so collective callers still make one call). */
int64_t attn_chunk_count(int64_t count, int64_t max_piece);

#endif
