/* test_softmax.c: the online-softmax pieces: partial rows (including fully
 * masked ones), merging of partial states and the vectorised exponential. */
#include <stdlib.h>
#include <string.h>

#include "attn/kernel.h"
#include "check.h"

#define D 5

/* Full softmax-weighted sum of values in double: the oracle. */
static void oracle(const float *s, const float (*v)[D], int n, double *out) {
  double mx = -INFINITY, sum = 0;
  for (int j = 0; j < n; j++)
    mx = s[j] > mx ? s[j] : mx;
  for (int d = 0; d < D; d++)
    out[d] = 0;
  for (int j = 0; j < n; j++) {
    if (s[j] == -INFINITY) continue;
    double e = exp(s[j] - mx);
    sum += e;
    for (int d = 0; d < D; d++)
      out[d] += e * v[j][d];
  }
  for (int d = 0; d < D; d++)
    out[d] = sum > 0 ? out[d] / sum : 0;
}

/* Fold scores s[0..n) with values v into state (m, l, acc) via partial + merge. */
static void fold(float *m, float *l, float *acc, const float *s, const float (*v)[D], int n) {
  float *p = malloc((size_t)(n ? n : 1) * sizeof *p), mt, lt, at[D] = {0};
  memcpy(p, s, (size_t)n * sizeof *p);
  attn_softmax_partial(p, n, &mt, &lt);
  for (int j = 0; j < n; j++)
    for (int d = 0; d < D; d++)
      at[d] += p[j] * v[j][d];
  attn_softmax_merge(m, l, acc, mt, lt, at, D);
  free(p);
}

int main(void) {
  /* A fully masked row: empty partial state, zeros. */
  float s[8];
  for (int j = 0; j < 8; j++)
    s[j] = -INFINITY;
  float mt = 0, lt = -1;
  attn_softmax_partial(s, 8, &mt, &lt);
  CHECK(mt == -INFINITY);
  CHECK_EQ_I(lt, 0);
  for (int j = 0; j < 8; j++)
    CHECK(s[j] == 0.0f);

  /* Exponential accuracy over [-100, 0]: within 4e-7 relative (about 3 ulp)
   * above -87, exactly 0 below; the row sum is the float sum of the terms. */
  enum { NE = 4001 };
  float *e = malloc(NE * sizeof *e);
  e[0] = 0.0f; /* the maximum */
  for (int j = 1; j < NE; j++)
    e[j] = -100.0f * (float)j / (NE - 1);
  float ref[NE];
  memcpy(ref, e, sizeof ref);
  attn_softmax_partial(e, NE, &mt, &lt);
  CHECK(mt == 0.0f);
  double worst = 0, sum = 0;
  for (int j = 0; j < NE; j++) {
    double x = exp((double)ref[j]);
    sum += e[j];
    if (ref[j] >= -87.0f) {
      double r = fabs(e[j] - x) / x;
      worst = r > worst ? r : worst;
    } else {
      CHECK(e[j] == 0.0f);
    }
  }
  CHECK(worst < 4e-7);
  CHECK_NEAR(lt, sum, 5e-6 * sum);
  free(e);

  /* Merge: any split of the keys, in any order, with masked runs, gives the
   * full softmax. */
  srand(7);
  for (int trial = 0; trial < 200; trial++) {
    int n = 1 + rand() % 40;
    float sc[40], v[40][D];
    for (int j = 0; j < n; j++) {
      sc[j] = (float)(rand() % 2000 - 1000) / 37.0f;
      if (rand() % 4 == 0) sc[j] = -INFINITY; /* masked */
      for (int d = 0; d < D; d++)
        v[j][d] = (float)(rand() % 200 - 100) / 50.0f;
    }
    double want[D];
    oracle(sc, (const float(*)[D])v, n, want);
    float m = -INFINITY, l = 0, acc[D] = {0};
    int cut = rand() % (n + 1), cut2 = cut + rand() % (n - cut + 1);
    /* Fold the middle part first, then the tail, then the head. */
    fold(&m, &l, acc, sc + cut, (const float(*)[D])(v + cut), cut2 - cut);
    fold(&m, &l, acc, sc + cut2, (const float(*)[D])(v + cut2), n - cut2);
    fold(&m, &l, acc, sc, (const float(*)[D])v, cut);
    attn_softmax_finish(acc, &l, 1, 1, D);
    for (int d = 0; d < D; d++)
      CHECK_NEAR(acc[d], want[d], 1e-5 * (1 + fabs(want[d])));
  }

  /* Empty into empty stays empty; empty into full leaves it unchanged. */
  float m = -INFINITY, l = 0, acc[D] = {0}, zero[D] = {0};
  attn_softmax_merge(&m, &l, acc, -INFINITY, 0, zero, D);
  CHECK(m == -INFINITY);
  CHECK_EQ_I(l, 0);
  float one[D] = {1, 2, 3, 4, 5};
  attn_softmax_merge(&m, &l, acc, 0.5f, 2.0f, one, D);
  attn_softmax_merge(&m, &l, acc, -INFINITY, 0, zero, D);
  CHECK(m == 0.5f);
  CHECK(l == 2.0f);
  CHECK(acc[4] == 5.0f);
  /* A row that saw no key at all finishes as zeros, not NaN. */
  float m0 = -INFINITY, l0 = 0, a0[D] = {0};
  attn_softmax_finish(a0, &l0, 1, 1, D);
  (void)m0;
  for (int d = 0; d < D; d++)
    CHECK(a0[d] == 0.0f);
  return check_report("test_softmax");
}
