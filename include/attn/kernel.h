/* kernel.h: the tiled online-softmax attention kernel, its naive twin, and the
 * softmax pieces they are built from.
 *
 * Layouts (row-major, the contract's letters; Hl = query heads held locally,
 * Gl = key/value heads held locally, Hl / Gl query heads share a K/V head):
 *   q    [B, nq, Hl*D]   queries, already multiplied by the softmax scale
 *   k, v [B, nk, Gl*D]   one block of keys and values
 *   m, l [B, nq, Hl]     running maximum and running sum of online softmax
 *   acc  [B, nq, Hl*D]   running (unnormalised) output
 *   qpos [nq], kpos [nk] token positions, ascending (same for every b)
 */
#ifndef ATTN_KERNEL_H
#define ATTN_KERNEL_H

#include <stdint.h>

#include "attn/error.h"

typedef struct {
  int64_t B, nq, nk, Hl, Gl, D;
  int causal;
} attn_block_shape_t;

/* Tile sizes of the kernel (query rows x key rows). */
#define ATTN_TILE_Q 256
#define ATTN_TILE_K 256

/* Online-softmax state: m = -inf, l = 0, acc = 0 for rows x Hl heads. */
void attn_softmax_init(float *m, float *l, float *acc, int64_t rows, int64_t Hl, int64_t D);

/* Scores s[0..n) of one row (masked entries -inf) become exp(s - mt) in
 * place; returns mt = max(s) through *mt and the row sum through *lt.
 * A row with every entry masked gives mt = -inf, lt = 0 and all zeros. */
void attn_softmax_partial(float *s, int64_t n, float *mt, float *lt);

/* Merge a partial state (m2, l2, acc2[D]) into (m, l, acc[D]) so that the
 * result equals the state of all keys of both seen together. Either side may
 * be empty (m = -inf). */
void attn_softmax_merge(float *m, float *l, float *acc, float m2, float l2, const float *acc2,
                        int64_t D);

/* Divide acc by l (rows x Hl heads); rows that saw no key give zeros. */
void attn_softmax_finish(float *acc, const float *l, int64_t rows, int64_t Hl, int64_t D);

/* Fold one K/V block into the state. Runs an OpenMP team of the current
 * thread count over (b, head, query tile); each thread computes its tile
 * products itself (register-blocked vector loops for D = 1, 2, 4 or 8
 * vectors, single-threaded BLIS otherwise), so BLIS never starts threads
 * inside the team. Fully masked tiles are skipped; *tiles (if not NULL) is
 * increased by the number of (query tile, key tile, head, b) products done.
 * Never forms more than ATTN_TILE_Q x ATTN_TILE_K scores per thread. */
attn_err_t attn_attend_block(const attn_block_shape_t *s, float *acc, float *m, float *l,
                             const float *q, const float *k, const float *v, const int64_t *qpos,
                             const int64_t *kpos, int64_t *tiles);

/* Naive twin (the oracle in tests): the full softmax of each row in double
 * precision, no tiling. out [B, nq, Hl*D] receives the normalised output. */
void attn_attend_naive(const attn_block_shape_t *s, float *out, const float *q, const float *k,
                       const float *v, const int64_t *qpos, const int64_t *kpos);

#endif
