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

/* Fold one tile of keys into one row's online-softmax state (m, l): s[0..n)
 * are the row's scores for those keys (masked entries -inf). Afterwards m is
 * the maximum over all keys seen, l the sum of exp(score - m) over them, and
 * s holds this tile's weights exp(s - m). Returns the factor the row's
 * accumulator must be multiplied by before the tile's weighted values are
 * added: 1 while the maximum holds, 0 for a row that had seen no visible key.
 * A row whose keys so far are all masked keeps m = -inf, l = 0 and gets zero
 * weights. Folding tiles in any order gives the softmax of all of them. */
float attn_softmax_fold(float *s, int64_t n, float *m, float *l);

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
