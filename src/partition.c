/* partition.c: token and head partition arithmetic and process-grid choice. */
#include "attn/partition.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>

int64_t attn_part_start(int64_t n, int64_t p, int64_t i) {
  int64_t q = n / p, r = n % p;
  return i * q + (i < r ? i : r);
}

int64_t attn_part_len(int64_t n, int64_t p, int64_t i) { return n / p + (i < n % p ? 1 : 0); }

void attn_seqblock(attn_seqblock_t *s, int64_t T, int64_t PS, int64_t sb, int zigzag) {
  if (!zigzag || PS == 1) {
    s->nseg = 1;
    s->start[0] = attn_part_start(T, PS, sb);
    s->len[0] = attn_part_len(T, PS, sb);
    s->start[1] = s->start[0] + s->len[0];
    s->len[1] = 0;
  } else {
    int64_t lo = sb, hi = 2 * PS - 1 - sb;
    s->nseg = 2;
    s->start[0] = attn_part_start(T, 2 * PS, lo);
    s->len[0] = attn_part_len(T, 2 * PS, lo);
    s->start[1] = attn_part_start(T, 2 * PS, hi);
    s->len[1] = attn_part_len(T, 2 * PS, hi);
  }
  s->n = s->len[0] + s->len[1];
}

int64_t attn_seqblock_pos(const attn_seqblock_t *s, int64_t i) {
  return i < s->len[0] ? s->start[0] + i : s->start[1] + (i - s->len[0]);
}

static int parse_pos_int(const char *p, char **end, long *out) {
  if (!isdigit((unsigned char)*p)) return 0;
  errno = 0;
  *out = strtol(p, end, 10);
  return errno == 0 && *out > 0 && *out <= 1 << 24;
}

attn_err_t attn_grid_parse(const char *text, int *PH, int *PS) {
  char *end = NULL;
  long a, b;
  if (!parse_pos_int(text, &end, &a) || (*end != 'x' && *end != 'X') ||
      !parse_pos_int(end + 1, &end, &b) || *end != '\0')
    return attn_fail(ATTN_ERR_USAGE,
                     "--grid '%s' is malformed (expected PHxPS with positive integers, e.g. 2x4)",
                     text);
  *PH = (int)a;
  *PS = (int)b;
  return ATTN_OK;
}

attn_err_t attn_grid_check(int P, int PH, int PS, int64_t G, int64_t T) {
  if ((int64_t)PH * PS != P)
    return attn_fail(ATTN_ERR_USAGE, "--grid %dx%d has %lld ranks but the run has %d", PH, PS,
                     (long long)PH * PS, P);
  if (G % PH != 0)
    return attn_fail(ATTN_ERR_USAGE, "--grid %dx%d: PH = %d does not divide num_kv_heads = %lld",
                     PH, PS, PH, (long long)G);
  if (PS > T)
    return attn_fail(ATTN_ERR_USAGE, "--grid %dx%d: %d sequence blocks but only %lld tokens (T)",
                     PH, PS, PS, (long long)T);
  return ATTN_OK;
}

attn_err_t attn_grid_choose(int P, int64_t G, int64_t T, int *PH, int *PS) {
  for (int ph = P; ph >= 1; ph--) {
    if (P % ph != 0 || G % ph != 0) continue;
    if ((int64_t)(P / ph) > T) continue;
    *PH = ph;
    *PS = P / ph;
    return ATTN_OK;
  }
  return attn_fail(ATTN_ERR_USAGE,
                   "no process grid fits %d ranks with num_kv_heads = %lld and T = %lld "
                   "(need PH dividing both, and PS = ranks/PH <= T); use fewer ranks",
                   P, (long long)G, (long long)T);
}

int64_t attn_chunk_count(int64_t count, int64_t max_piece) {
  if (count <= 0) return 1;
  return (count + max_piece - 1) / max_piece;
}
