/* test_kernel.c: the tiled online-softmax kernel against its naive twin, for
 * GQA, causal masks, ragged tiles and keys arriving in several blocks out of
 * order (as they do around the ring). */
#include <stdlib.h>
#include <string.h>

#include "attn/kernel.h"
#include "check.h"

static float frand(unsigned *st) {
  *st = *st * 1664525u + 1013904223u;
  return (float)((*st >> 8) & 0xffff) / 32768.0f - 1.0f;
}

/* nq queries at positions qpos; keys at kpos split into nblk blocks that are
 * folded in the order given by `order`. */
static void run_case(int64_t B, int64_t nq, int64_t nk, int64_t Hl, int64_t Gl, int64_t D,
                     int causal, int nblk, const int64_t *qpos, const int64_t *kpos, float qscale) {
  unsigned st = (unsigned)(B * 131 + nq * 7 + nk * 3 + Hl + causal);
  float *q = malloc((size_t)(B * nq * Hl * D) * sizeof *q);
  float *k = malloc((size_t)(B * nk * Gl * D) * sizeof *k);
  float *v = malloc((size_t)(B * nk * Gl * D) * sizeof *v);
  for (int64_t i = 0; i < B * nq * Hl * D; i++)
    q[i] = qscale * frand(&st);
  for (int64_t i = 0; i < B * nk * Gl * D; i++)
    k[i] = frand(&st), v[i] = frand(&st);

  attn_block_shape_t full = {B, nq, nk, Hl, Gl, D, causal};
  float *want = malloc((size_t)(B * nq * Hl * D) * sizeof *want);
  attn_attend_naive(&full, want, q, k, v, qpos, kpos);

  float *acc = malloc((size_t)(B * nq * Hl * D) * sizeof *acc);
  float *m = malloc((size_t)(B * nq * Hl) * sizeof *m),
        *l = malloc((size_t)(B * nq * Hl) * sizeof *l);
  attn_softmax_init(m, l, acc, B * nq, Hl, D);
  int64_t tiles = 0;
  /* Blocks folded last to first: later keys arrive before earlier ones. */
  for (int b = nblk - 1; b >= 0; b--) {
    int64_t j0 = nk * b / nblk, j1 = nk * (b + 1) / nblk, nb = j1 - j0;
    float *kb = malloc((size_t)(B * nb * Gl * D + 1) * sizeof *kb);
    float *vb = malloc((size_t)(B * nb * Gl * D + 1) * sizeof *vb);
    for (int64_t bb = 0; bb < B; bb++) {
      memcpy(kb + bb * nb * Gl * D, k + (bb * nk + j0) * Gl * D,
             (size_t)(nb * Gl * D) * sizeof(float));
      memcpy(vb + bb * nb * Gl * D, v + (bb * nk + j0) * Gl * D,
             (size_t)(nb * Gl * D) * sizeof(float));
    }
    attn_block_shape_t s = {B, nq, nb, Hl, Gl, D, causal};
    CHECK_EQ_I(attn_attend_block(&s, acc, m, l, q, kb, vb, qpos, kpos + j0, &tiles), ATTN_OK);
    free(kb);
    free(vb);
  }
  attn_softmax_finish(acc, l, B * nq, Hl, D);
  double worst = 0;
  for (int64_t i = 0; i < B * nq * Hl * D; i++) {
    double e = fabs(acc[i] - want[i]);
    worst = e > worst ? e : worst;
    CHECK(isfinite(acc[i]));
  }
  CHECK(worst < 2e-5);
  if (worst >= 2e-5)
    fprintf(stderr, "case B=%lld nq=%lld nk=%lld Hl=%lld Gl=%lld D=%lld causal=%d: max err %g\n",
            (long long)B, (long long)nq, (long long)nk, (long long)Hl, (long long)Gl, (long long)D,
            causal, worst);
  if (!causal) {
    /* every tile computed: B * Hl * ceil(nq/TQ) * sum over blocks ceil(nb/TK) */
    int64_t nkt = 0;
    for (int b = 0; b < nblk; b++) {
      int64_t nb = nk * (b + 1) / nblk - nk * b / nblk;
      nkt += (nb + ATTN_TILE_K - 1) / ATTN_TILE_K;
    }
    CHECK_EQ_I(tiles, B * Hl * ((nq + ATTN_TILE_Q - 1) / ATTN_TILE_Q) * nkt);
  }
  free(q), free(k), free(v), free(want), free(acc), free(m), free(l);
}

int main(void) {
  enum { N = 700 };
  int64_t pos[N], zig[N];
  for (int i = 0; i < N; i++)
    pos[i] = i;
  /* A zigzag-like query set: tokens 0..99 and 600..699. */
  for (int i = 0; i < 200; i++)
    zig[i] = i < 100 ? i : 500 + i;

  run_case(1, 1, 1, 1, 1, 1, 0, 1, pos, pos, 1.0f);
  run_case(2, 150, 300, 4, 2, 24, 0, 1, pos, pos, 1.0f); /* GQA, ragged tiles */
  run_case(2, 150, 300, 4, 2, 24, 0, 3, pos, pos, 1.0f); /* keys in three blocks */
  run_case(1, 300, 300, 2, 2, 16, 1, 1, pos, pos, 1.0f); /* causal, diagonal tiles */
  run_case(1, 300, 300, 3, 1, 16, 1, 4, pos, pos, 1.0f); /* causal, blocks out of order */
  run_case(1, 200, 700, 2, 1, 8, 1, 5, zig, pos, 1.0f);  /* zigzag queries, masked blocks */
  run_case(3, 65, 257, 1, 1, 64, 0, 2, pos, pos, 4.0f);  /* peaked softmax */
  run_case(1, 64, 64, 8, 8, 1, 1, 2, pos, pos, 1.0f);    /* D = 1 */
  return check_report("test_kernel");
}
