/* norm.c: row normalisation (layernorm with biased variance, rmsnorm, none). */
#include "attn/norm.h"

#include <math.h>
#include <string.h>

void attn_norm_rows(float *y, const float *u, int64_t rows, int64_t C, attn_norm_t norm, double eps,
                    const float *w, const float *beta) {
  if (norm == ATTN_NORM_NONE) {
    if (y != u) memmove(y, u, (size_t)(rows * C) * sizeof(float));
    return;
  }
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; r++) {
    const float *ur = u + r * C;
    float *yr = y + r * C;
    double mean = 0.0, ms = 0.0;
    if (norm == ATTN_NORM_LAYERNORM) {
      for (int64_t c = 0; c < C; c++)
        mean += ur[c];
      mean /= (double)C;
    }
    for (int64_t c = 0; c < C; c++) {
      double d = ur[c] - mean;
      ms += d * d;
    }
    ms /= (double)C;
    const double inv = 1.0 / sqrt(ms + eps);
    for (int64_t c = 0; c < C; c++) {
      double v = (ur[c] - mean) * inv * w[c];
      if (beta) v += beta[c];
      yr[c] = (float)v;
    }
  }
}
