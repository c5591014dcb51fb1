/* norm.h: the "normalization escort": layernorm, rmsnorm or identity over C. */
#ifndef ATTN_NORM_H
#define ATTN_NORM_H

#include <stdint.h>

#include "attn/config.h"

/* y[rows, C] = Norm(u[rows, C]) with weight w[C] and bias beta[C] (beta may
 * be NULL: no bias). y may equal u. Statistics are accumulated in double.
 * OpenMP-parallel over rows. */
void attn_norm_rows(float *y, const float *u, int64_t rows, int64_t C, attn_norm_t norm, double eps,
                    const float *w, const float *beta);

#endif
