/* test_softmax.c: the online-softmax fold (rows where every key is masked,
 * tiles folded in any order) and its vectorised exponential. */
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

/* Fold scores s[0..n) with values v into the state (m, l, acc), the way the
 * kernel does: rescale acc by the returned factor, then add the weighted values. */
static void fold(float *m, float *l, float *acc, const float *s, const float (*v)[D], int n) {
  float *p = malloc((size_t)(n ? n : 1) * sizeof *p);
  memcpy(p, s, (size_t)n * sizeof *p);
  const float alpha = attn_softmax_fold(p, n, m, l);
  for (int d = 0; d < D; d++)
    acc[d] *= alpha;
  for (int j = 0; j < n; j++)
    for (int d = 0; d < D; d++)
      acc[d] += p[j] * v[j][d];
  free(p);
}

int main(void) {
  /* A fully masked tile on an empty row: the state stays empty, weights 0. */
  float s[40];
  for (int j = 0; j < 40; j++)
    s[j] = -INFINITY;
  float m = -INFINITY, l = 0;
  CHECK(attn_softmax_fold(s, 40, &m, &l) == 1.0f);
  CHECK(m == -INFINITY);
  CHECK(l == 0.0f);
  for (int j = 0; j < 40; j++)
    CHECK(s[j] == 0.0f);

  /* Exponential accuracy over [-100, 0]: within 4e-7 relative (about 3 ulp)
   * above -87, exactly 0 below; l is the float sum of the weights. */
  enum { NE = 4001 };
  float *e = malloc(NE * sizeof *e), ref[NE];
  e[0] = 0.0f; /* the maximum */
  for (int j = 1; j < NE; j++)
    e[j] = -100.0f * (float)j / (NE - 1);
  memcpy(ref, e, sizeof ref);
  m = -INFINITY, l = 0;
  CHECK(attn_softmax_fold(e, NE, &m, &l) == 0.0f); /* an empty row's accumulator is reset */
  CHECK(m == 0.0f);
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
  CHECK_NEAR(l, sum, 5e-6 * sum);
  free(e);

  /* The maximum holds: factor exactly 1, m unchanged. */
  float t[3] = {-1.0f, -2.0f, -0.5f};
  CHECK(attn_softmax_fold(t, 3, &m, &l) == 1.0f);
  CHECK(m == 0.0f);

  /* Any split of the keys, folded in any order, with masked runs (whole
   * tiles too), gives the full softmax. */
  srand(7);
  for (int trial = 0; trial < 300; trial++) {
    int n = 1 + rand() % 40;
    float sc[40], v[40][D];
    for (int j = 0; j < n; j++) {
      sc[j] = (float)(rand() % 2000 - 1000) / 37.0f;
      if (rand() % 4 == 0) sc[j] = -INFINITY; /* masked */
      for (int d = 0; d < D; d++)
        v[j][d] = (float)(rand() % 200 - 100) / 50.0f;
    }
    if (trial % 5 == 0) /* a fully masked head of the row */
      for (int j = 0; j < n / 2; j++)
        sc[j] = -INFINITY;
    double want[D];
    oracle(sc, (const float(*)[D])v, n, want);
    float mm = -INFINITY, ll = 0, acc[D] = {0};
    int cut = rand() % (n + 1), cut2 = cut + rand() % (n - cut + 1);
    /* Middle part first, then the tail, then the head. */
    fold(&mm, &ll, acc, sc + cut, (const float(*)[D])(v + cut), cut2 - cut);
    fold(&mm, &ll, acc, sc + cut2, (const float(*)[D])(v + cut2), n - cut2);
    fold(&mm, &ll, acc, sc, (const float(*)[D])v, cut);
    attn_softmax_finish(acc, &ll, 1, 1, D);
    for (int d = 0; d < D; d++)
      CHECK_NEAR(acc[d], want[d], 1e-5 * (1 + fabs(want[d])));
  }

  /* A row that saw no key at all finishes as zeros, not NaN. */
  float l0 = 0, a0[D] = {0};
  attn_softmax_finish(a0, &l0, 1, 1, D);
  for (int d = 0; d < D; d++)
    CHECK(a0[d] == 0.0f);
  return check_report("test_softmax");
}
