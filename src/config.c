/* config.c: names, parsing and flop count of the layer configuration. */
#include "attn/config.h"

#include <string.h>

const char *attn_norm_name(attn_norm_t n) {
  switch (n) {
  case ATTN_NORM_LAYERNORM: return "layernorm";
  case ATTN_NORM_RMSNORM: return "rmsnorm";
  case ATTN_NORM_NONE: return "none";
  }
  return "?";
}

const char *attn_pos_name(attn_pos_t p) { return p == ATTN_POS_PRE ? "pre" : "post"; }

attn_err_t attn_norm_parse(const char *s, attn_norm_t *out) {
  static const attn_norm_t all[] = {ATTN_NORM_LAYERNORM, ATTN_NORM_RMSNORM, ATTN_NORM_NONE};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
    if (strcmp(s, attn_norm_name(all[i])) == 0) {
      *out = all[i];
      return ATTN_OK;
    }
  return attn_fail(ATTN_ERR_INPUT,
                   "attribute norm = \"%s\" is unknown (expected layernorm, rmsnorm or none)", s);
}

attn_err_t attn_pos_parse(const char *s, attn_pos_t *out) {
  if (strcmp(s, "post") == 0)
    *out = ATTN_POS_POST;
  else if (strcmp(s, "pre") == 0)
    *out = ATTN_POS_PRE;
  else
    return attn_fail(ATTN_ERR_INPUT,
                     "attribute norm_position = \"%s\" is unknown (expected post or pre)", s);
  return ATTN_OK;
}

double attn_config_flops(const attn_config_t *c) {
  double B = (double)c->B, T = (double)c->T, C = (double)c->C;
  double HD = (double)(c->H * c->D), GD = (double)(c->G * c->D);
  double proj = 2.0 * B * T * C * (HD + 2.0 * GD) + 2.0 * B * T * HD * C;
  double pairs = c->causal ? T * (T + 1.0) / 2.0 : T * T;
  return proj + 4.0 * B * HD * pairs;
}
