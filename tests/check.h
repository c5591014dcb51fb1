/* check.h: assertion macros for the C unit tests. Each prints the expression
 * and both values, counts the failure and lets the test go on; main returns
 * check_report(), non-zero when anything failed. */
#ifndef ATTN_TEST_CHECK_H
#define ATTN_TEST_CHECK_H

#include <math.h>
#include <stdio.h>

static int check_failures = 0, check_count = 0;

#define CHECK(cond)                                                                                \
  do {                                                                                             \
    check_count++;                                                                                 \
    if (!(cond)) {                                                                                 \
      check_failures++;                                                                            \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);                     \
    }                                                                                              \
  } while (0)

#define CHECK_EQ_I(a, b)                                                                           \
  do {                                                                                             \
    long long check_a_ = (long long)(a), check_b_ = (long long)(b);                                \
    check_count++;                                                                                 \
    if (check_a_ != check_b_) {                                                                    \
      check_failures++;                                                                            \
      fprintf(stderr, "%s:%d: CHECK_EQ failed: %s = %lld, %s = %lld\n", __FILE__, __LINE__, #a,    \
              check_a_, #b, check_b_);                                                             \
    }                                                                                              \
  } while (0)

#define CHECK_NEAR(a, b, tol)                                                                      \
  do {                                                                                             \
    double check_a_ = (double)(a), check_b_ = (double)(b);                                         \
    check_count++;                                                                                 \
    if (!(fabs(check_a_ - check_b_) <= (tol))) {                                                   \
      check_failures++;                                                                            \
      fprintf(stderr, "%s:%d: CHECK_NEAR failed: %s = %.9g, %s = %.9g (tol %g)\n", __FILE__,       \
              __LINE__, #a, check_a_, #b, check_b_, (double)(tol));                                \
    }                                                                                              \
  } while (0)

static int check_report(const char *name) {
  printf("%s: %d checks, %d failed\n", name, check_count, check_failures);
  return check_failures ? 1 : 0;
}

#endif
