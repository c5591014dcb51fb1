/* config.h: the resolved layer configuration (contract sections 1 and 2). */
#ifndef ATTN_CONFIG_H
#define ATTN_CONFIG_H

#include <stdint.h>

#include "attn/error.h"

typedef enum { ATTN_NORM_LAYERNORM = 0, ATTN_NORM_RMSNORM, ATTN_NORM_NONE } attn_norm_t;
typedef enum { ATTN_POS_POST = 0, ATTN_POS_PRE } attn_pos_t;

/* Shapes use the contract's letters: B batch, T tokens, C width, H query
 * heads, G key/value heads, D head dimension. */
typedef struct {
  int64_t B, T, C, H, G, D;
  int x_rank; /* rank of /x in the file: 2 ([T,C], B = 1) or 3 */
  int causal;
  attn_norm_t norm;
  attn_pos_t position;
  double eps;
  int residual;
  double scale;
  /* Which optional datasets exist (absent ones take their defaults). */
  int has_bq, has_bk, has_bv, has_bo, has_norm_weight, has_norm_bias;
} attn_config_t;

const char *attn_norm_name(attn_norm_t n);
const char *attn_pos_name(attn_pos_t p);
/* Parse a norm or placement string; ATTN_ERR_INPUT naming the attribute when unknown. */
attn_err_t attn_norm_parse(const char *s, attn_norm_t *out);
attn_err_t attn_pos_parse(const char *s, attn_pos_t *out);

/* Useful floating-point operations of the layer (contract section 6). */
double attn_config_flops(const attn_config_t *cfg);

#endif
