/* test_partition.c: token partition, zigzag layout, grid choice and the
 * transfer-splitting arithmetic, including sizes past 2^31. */
#include <stdint.h>
#include <string.h>

#include "attn/partition.h"
#include "check.h"

static void check_split(int64_t n, int64_t p) {
  int64_t next = 0, mn = INT64_MAX, mx = 0;
  for (int64_t i = 0; i < p; i++) {
    CHECK_EQ_I(attn_part_start(n, p, i), next);
    int64_t len = attn_part_len(n, p, i);
    next += len;
    mn = len < mn ? len : mn;
    mx = len > mx ? len : mx;
  }
  CHECK_EQ_I(next, n);
  CHECK(mx - mn <= 1);
}

/* Every token in exactly one block, ascending within each block; returns the
 * max/min ratio of causal work (sum of pos+1) over blocks. */
static double check_blocks(int64_t T, int64_t PS, int zig) {
  static unsigned char seen[4096];
  memset(seen, 0, sizeof seen);
  double wmin = 1e300, wmax = 0;
  int64_t total = 0;
  for (int64_t sb = 0; sb < PS; sb++) {
    attn_seqblock_t s;
    attn_seqblock(&s, T, PS, sb, zig);
    CHECK_EQ_I(s.n, s.len[0] + s.len[1]);
    double w = 0;
    for (int64_t i = 0; i < s.n; i++) {
      int64_t p = attn_seqblock_pos(&s, i);
      CHECK(p >= 0 && p < T);
      if (i) CHECK(p > attn_seqblock_pos(&s, i - 1));
      if (p >= 0 && p < T && T <= 4096) seen[p]++;
      w += (double)p + 1.0;
    }
    total += s.n;
    wmin = w < wmin ? w : wmin;
    wmax = w > wmax ? w : wmax;
    if (T >= PS) CHECK(s.n >= 1); /* no empty sequence block when PS <= T */
  }
  CHECK_EQ_I(total, T);
  if (T <= 4096)
    for (int64_t p = 0; p < T; p++)
      CHECK_EQ_I(seen[p], 1);
  return wmax / wmin;
}

int main(void) {
  for (int64_t n = 0; n < 40; n++)
    for (int64_t p = 1; p < 12; p++)
      check_split(n, p);
  check_split((1LL << 33) + 7, 7); /* past 2^31 elements */
  CHECK_EQ_I(attn_part_len((1LL << 33) + 7, 7, 0), ((1LL << 33) + 7) / 7 + 1);

  for (int64_t T = 1; T < 70; T++)
    for (int64_t PS = 1; PS <= 9 && PS <= T; PS++) {
      check_blocks(T, PS, 0);
      check_blocks(T, PS, 1);
    }
  /* Zigzag balances causal work: equal when 2*PS divides T, close otherwise;
   * the plain layout is badly unbalanced. */
  CHECK_NEAR(check_blocks(4096, 8, 1), 1.0, 1e-12);
  CHECK(check_blocks(4099, 8, 1) < 1.01);
  CHECK(check_blocks(4096, 8, 0) > 10.0);

  int PH = 0, PS = 0;
  CHECK_EQ_I(attn_grid_parse("2x3", &PH, &PS), ATTN_OK);
  CHECK_EQ_I(PH, 2);
  CHECK_EQ_I(PS, 3);
  const char *bad[] = {"", "2", "2x", "x3", "0x4", "2x0", "-1x2", "axb", "2x3x4", "2 x3", "2x3 "};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    CHECK_EQ_I(attn_grid_parse(bad[i], &PH, &PS), ATTN_ERR_USAGE);

  CHECK_EQ_I(attn_grid_check(6, 2, 3, 4, 100), ATTN_OK);
  CHECK_EQ_I(attn_grid_check(6, 3, 2, 4, 100), ATTN_ERR_USAGE); /* PH does not divide G */
  CHECK_EQ_I(attn_grid_check(6, 2, 2, 4, 100), ATTN_ERR_USAGE); /* product */
  CHECK_EQ_I(attn_grid_check(3, 1, 3, 4, 2), ATTN_ERR_USAGE);   /* PS > T */

  struct {
    int P;
    int64_t G, T;
    int PH, PS;
  } cases[] = {{1, 4, 10, 1, 1},  {7, 4, 100, 1, 7}, {6, 4, 100, 2, 3}, {4, 16, 100, 4, 1},
               {8, 2, 100, 2, 4}, {8, 8, 1, 8, 1},   {5, 5, 100, 5, 1}, {12, 8, 3, 4, 3}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    CHECK_EQ_I(attn_grid_choose(cases[i].P, cases[i].G, cases[i].T, &PH, &PS), ATTN_OK);
    CHECK_EQ_I(PH, cases[i].PH);
    CHECK_EQ_I(PS, cases[i].PS);
  }
  CHECK_EQ_I(attn_grid_choose(8, 2, 3, &PH, &PS), ATTN_ERR_USAGE); /* PS would exceed T */

  CHECK_EQ_I(attn_chunk_count(0, 100), 1);
  CHECK_EQ_I(attn_chunk_count(100, 100), 1);
  CHECK_EQ_I(attn_chunk_count(101, 100), 2);
  /* 3e9 floats (12 GB) in pieces of 2^28 floats (1 GiB): 12 pieces. */
  CHECK_EQ_I(attn_chunk_count(3000000000LL, 1LL << 28), 12);
  CHECK_EQ_I(attn_chunk_count((1LL << 40) + 1, 1LL << 30), 1025);
  return check_report("test_partition");
}
