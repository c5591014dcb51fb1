/* attn_bench.c: reference measurements for scripts/bench.sh.
 *
 *   attn_bench sgemm [-t THREADS] [-n N] [--reps R]
 *       BLIS sgemm, M = N = K = n, best (and median) of R timed calls after one
 *       warm-up call, on an rntm_t of THREADS threads.
 *   attn_bench naive [-t THREADS] [-B B] [-T T] [-C C] [-H H] [--causal] [--reps R]
 *       A deliberately naive attention layer (MHA, G = H, D = C/H, post-layernorm
 *       with residual) on seeded random data: it forms the full T x T score
 *       matrix of every (sequence, head) with BLIS, applies a plain row softmax
 *       and mixes the values with a second BLIS GEMM. Useful flops are counted
 *       as the contract's section 6 defines them.
 *   attn_bench arch [NAME]
 *       Without NAME: the BLIS sub-configuration in effect (BLIS_ARCH_TYPE or
 *       CPU detection). With NAME (e.g. skx, zen3, haswell): its numeric id,
 *       the value BLIS 0.9 expects in BLIS_ARCH_TYPE.
 *
 * Each subcommand ends with one machine-readable line:
 *   sgemm threads=.. n=.. reps=.. gflops=.. median_gflops=.. seconds=..
 *   naive threads=.. B=.. T=.. C=.. H=.. causal=.. flops=.. gflops=.. seconds=.. peak_rss_mib=..
 *   arch name=.. id=..
 * Exit status: 0 success, 2 usage error, 1 any other failure. */
#include <blis.h>
#include <errno.h>
#include <math.h>
#include <omp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "attn/platform.h"

static void die(int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("attn_bench: error: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(code);
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double peak_rss_mib(void) {
  struct rusage ru;
  if (getrusage(RUSAGE_SELF, &ru) != 0) return 0.0;
  return (double)ru.ru_maxrss / 1024.0; /* Linux: KiB */
}

/* Parse a positive integer option value in [1, max]. */
static int64_t parse_pos(const char *opt, const char *s, int64_t max) {
  if (!s) die(2, "option %s needs a value", opt);
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (errno || end == s || *end || v < 1 || v > max)
    die(2, "option %s: '%s' is not an integer in [1, %lld]", opt, s, (long long)max);
  return (int64_t)v;
}

static void *xmalloc(size_t n, size_t size, const char *what) {
  if (n != 0 && size > SIZE_MAX / n) die(1, "%s: size overflow", what);
  void *p = malloc(n * size > 0 ? n * size : 1);
  if (!p) die(1, "out of memory allocating %s (%.1f MiB)", what, (double)n * size / 1048576.0);
  return p;
}

/* Fill p[n] with uniform values in [-amp, amp) from a splitmix64 stream. */
static void fill_random(float *p, size_t n, float amp, uint64_t seed) {
  uint64_t s = seed * 0x9E3779B97F4A7C15ULL + 1;
  for (size_t i = 0; i < n; i++) {
    uint64_t z = (s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    p[i] = amp * (2.0f * (float)((double)(z >> 40) / 16777216.0) - 1.0f);
  }
}

/* c[m, n] (row stride ldc) = alpha * a[m, k] op(b) + beta * c, row-major,
 * op(b) = b[n, k]^T when tb, else b[k, n]; BLIS on nt threads. */
static void gemm(int tb, dim_t m, dim_t n, dim_t k, float alpha, const float *a, inc_t lda,
                 const float *b, inc_t ldb, float beta, float *c, inc_t ldc, int nt) {
  rntm_t rntm = BLIS_RNTM_INITIALIZER;
  bli_rntm_set_num_threads(nt, &rntm);
  bli_sgemm_ex(BLIS_NO_TRANSPOSE, tb ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE, m, n, k, &alpha,
               (float *)a, lda, 1, (float *)b, ldb, 1, &beta, c, ldc, 1, NULL, &rntm);
}

/* Name of the BLIS sub-configuration in effect. BLIS must be initialised
 * before the query when BLIS_ARCH_TYPE is set. */
static const char *arch_name(void) {
  bli_init();
  return bli_arch_string(bli_arch_query_id());
}

/* arch: print the BLIS sub-configuration in effect, or the id of `name`. */
static int run_arch(const char *name) {
  if (!name) {
    const char *s = arch_name(); /* initialises BLIS before the id query */
    printf("arch name=%s id=%d\n", s, (int)bli_arch_query_id());
    return 0;
  }
  for (int id = 0; id < (int)BLIS_NUM_ARCHS; id++)
    if (!strcmp(bli_arch_string((arch_t)id), name)) {
      printf("arch name=%s id=%d\n", name, id);
      return 0;
    }
  die(2, "unknown BLIS architecture '%s'", name);
  return 2;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* sgemm: A, B, Cm all [n, n]; Cm = A B. */
static int run_sgemm(int nt, int64_t n, int reps) {
  size_t nn = (size_t)n * (size_t)n;
  float *A = xmalloc(nn, sizeof(float), "A");
  float *B = xmalloc(nn, sizeof(float), "B");
  float *Cm = xmalloc(nn, sizeof(float), "C");
  double *t = xmalloc((size_t)reps, sizeof(double), "times");
  fill_random(A, nn, 1.0f, 1);
  fill_random(B, nn, 1.0f, 2);
  memset(Cm, 0, nn * sizeof(float));
  gemm(0, n, n, n, 1.0f, A, n, B, n, 0.0f, Cm, n, nt); /* warm-up */
  for (int r = 0; r < reps; r++) {
    double t0 = now();
    gemm(0, n, n, n, 1.0f, A, n, B, n, 0.0f, Cm, n, nt);
    t[r] = now() - t0;
  }
  qsort(t, (size_t)reps, sizeof *t, cmp_double);
  double flops = 2.0 * (double)n * (double)n * (double)n;
  double med = reps % 2 ? t[reps / 2] : 0.5 * (t[reps / 2 - 1] + t[reps / 2]);
  if (!isfinite(Cm[nn / 2])) die(1, "sgemm produced a non-finite value");
  printf("sgemm threads=%d n=%lld reps=%d arch=%s gflops=%.2f median_gflops=%.2f seconds=%.6f\n",
         nt, (long long)n, reps, arch_name(), flops / t[0] * 1e-9, flops / med * 1e-9, t[0]);
  free(A);
  free(B);
  free(Cm);
  free(t);
  return 0;
}

/* Plain softmax of the rows of s[T, T] in place, in sequence order, with
 * scores of j > i set to probability 0 when causal. OpenMP over rows. */
static void softmax_rows(float *s, int64_t T, int causal) {
#pragma omp parallel for schedule(dynamic, 16)
  for (int64_t i = 0; i < T; i++) {
    float *row = s + i * T;
    int64_t n = causal ? i + 1 : T; /* unmasked entries: j < n */
    float mx = -INFINITY;
    for (int64_t j = 0; j < n; j++)
      mx = row[j] > mx ? row[j] : mx;
    float sum = 0.0f;
    for (int64_t j = 0; j < n; j++) {
      row[j] = expf(row[j] - mx);
      sum += row[j];
    }
    float inv = 1.0f / sum;
    for (int64_t j = 0; j < n; j++)
      row[j] *= inv;
    for (int64_t j = n; j < T; j++)
      row[j] = 0.0f;
  }
}

/* y[rows, C] = layernorm(x + o) over C (biased variance, eps 1e-5, weight w,
 * bias beta); o is overwritten with the result. */
static void residual_layernorm(float *o, const float *x, const float *w, const float *beta,
                               int64_t rows, int64_t C) {
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < rows; i++) {
    float *u = o + i * C;
    const float *xi = x + i * C;
    double mean = 0.0, var = 0.0;
    for (int64_t c = 0; c < C; c++) {
      u[c] += xi[c];
      mean += u[c];
    }
    mean /= (double)C;
    for (int64_t c = 0; c < C; c++)
      var += ((double)u[c] - mean) * ((double)u[c] - mean);
    var /= (double)C;
    float rstd = (float)(1.0 / sqrt(var + 1e-5));
    for (int64_t c = 0; c < C; c++)
      u[c] = ((u[c] - (float)mean) * rstd) * w[c] + beta[c];
  }
}

/* Broadcast bias[n] into every row of y[m, n]. */
static void set_rows(float *y, const float *bias, int64_t m, int64_t n) {
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < m; i++)
    memcpy(y + i * n, bias, (size_t)n * sizeof(float));
}

/* Naive layer. Shapes (row-major, R = B*T rows, MHA so H*D = C):
 *   x, q, k, v, a, o [R, C]; wq, wk, wv, wo [C, C] ([out, in]); biases [C];
 *   s [T, T] (scores of one (b, h), reused). */
static int run_naive(int nt, int64_t B, int64_t T, int64_t C, int64_t H, int causal, int reps) {
  if (C % H) die(2, "-C %lld is not a multiple of -H %lld", (long long)C, (long long)H);
  const int64_t D = C / H, R = B * T;
  const size_t rc = (size_t)R * (size_t)C, cc = (size_t)C * (size_t)C;
  float *x = xmalloc(rc, sizeof(float), "x");
  float *q = xmalloc(rc, sizeof(float), "q");
  float *k = xmalloc(rc, sizeof(float), "k");
  float *v = xmalloc(rc, sizeof(float), "v");
  float *a = xmalloc(rc, sizeof(float), "a");
  float *o = xmalloc(rc, sizeof(float), "o");
  float *wq = xmalloc(cc, sizeof(float), "wq"), *wk = xmalloc(cc, sizeof(float), "wk");
  float *wv = xmalloc(cc, sizeof(float), "wv"), *wo = xmalloc(cc, sizeof(float), "wo");
  float *bias = xmalloc(6 * (size_t)C, sizeof(float), "biases");
  float *s = xmalloc((size_t)T * (size_t)T, sizeof(float), "scores");
  float *bq = bias, *bk = bias + C, *bv = bias + 2 * C, *bo = bias + 3 * C;
  float *nw = bias + 4 * C, *nb = bias + 5 * C;
  const float wamp = 1.0f / sqrtf((float)C);
  fill_random(x, rc, 1.0f, 11);
  fill_random(wq, cc, wamp, 12);
  fill_random(wk, cc, wamp, 13);
  fill_random(wv, cc, wamp, 14);
  fill_random(wo, cc, wamp, 15);
  fill_random(bias, 4 * (size_t)C, 0.1f, 16);
  for (int64_t c = 0; c < C; c++)
    nw[c] = 1.0f, nb[c] = 0.0f;
  const float scale = 1.0f / sqrtf((float)D);
  /* Touch every buffer once so page faults are not timed. */
  memset(q, 0, rc * sizeof(float));
  memset(k, 0, rc * sizeof(float));
  memset(v, 0, rc * sizeof(float));
  memset(a, 0, rc * sizeof(float));
  memset(o, 0, rc * sizeof(float));
  memset(s, 0, (size_t)T * (size_t)T * sizeof(float));
  { /* BLIS warm-up (memory pools, context) on a small product. */
    int64_t m = T < 256 ? T : 256;
    gemm(1, m, C < 256 ? C : 256, C, 1.0f, x, C, wq, C, 0.0f, q, C, nt);
  }

  double best = INFINITY;
  for (int r = 0; r < reps; r++) {
    double t0 = now();
    /* Projections: q, k, v [R, C] = x [R, C] W^T + b. */
    set_rows(q, bq, R, C);
    set_rows(k, bk, R, C);
    set_rows(v, bv, R, C);
    gemm(1, R, C, C, 1.0f, x, C, wq, C, 1.0f, q, C, nt);
    gemm(1, R, C, C, 1.0f, x, C, wk, C, 1.0f, k, C, nt);
    gemm(1, R, C, C, 1.0f, x, C, wv, C, 1.0f, v, C, nt);
    for (int64_t b = 0; b < B; b++)
      for (int64_t h = 0; h < H; h++) {
        const size_t off = (size_t)(b * T) * (size_t)C + (size_t)(h * D);
        /* s [T, T] = scale * q_bh [T, D] k_bh [T, D]^T */
        gemm(1, T, T, D, scale, q + off, C, k + off, C, 0.0f, s, T, nt);
        softmax_rows(s, T, causal);
        /* a_bh [T, D] = s [T, T] v_bh [T, D] */
        gemm(0, T, D, T, 1.0f, s, T, v + off, C, 0.0f, a + off, C, nt);
      }
    /* Output projection o [R, C] = a Wo^T + bo, then residual + layernorm. */
    set_rows(o, bo, R, C);
    gemm(1, R, C, C, 1.0f, a, C, wo, C, 1.0f, o, C, nt);
    residual_layernorm(o, x, nw, nb, R, C);
    double t = now() - t0;
    best = t < best ? t : best;
  }
  double sum = 0.0;
  for (size_t i = 0; i < rc; i++)
    sum += o[i];
  if (!isfinite(sum)) die(1, "naive layer produced a non-finite value");

  const double dB = (double)B, dT = (double)T, dC = (double)C, dH = (double)H, dD = (double)D;
  const double pairs = causal ? dT * (dT + 1.0) / 2.0 : dT * dT;
  const double flops = 2.0 * dB * dT * dC * (dH * dD + 2.0 * dH * dD) +
                       2.0 * dB * dT * dH * dD * dC + 4.0 * dB * dH * dD * pairs;
  const double rss = peak_rss_mib();
  printf("naive: B=%lld T=%lld C=%lld H=%lld D=%lld causal=%d threads=%d: %.4f s (best of %d), "
         "%.2f useful GFLOP/s, peak RSS %.1f MiB, checksum %.6e\n",
         (long long)B, (long long)T, (long long)C, (long long)H, (long long)D, causal, nt, best,
         reps, flops / best * 1e-9, rss, sum);
  printf("naive threads=%d B=%lld T=%lld C=%lld H=%lld causal=%d arch=%s flops=%.6e gflops=%.2f "
         "seconds=%.6f peak_rss_mib=%.1f\n",
         nt, (long long)B, (long long)T, (long long)C, (long long)H, causal, arch_name(), flops,
         flops / best * 1e-9, best, rss);
  free(x), free(q), free(k), free(v), free(a), free(o);
  free(wq), free(wk), free(wv), free(wo), free(bias), free(s);
  return 0;
}

static void usage(FILE *f) {
  fputs("Usage: attn_bench sgemm [-t THREADS] [-n N] [--reps R]\n"
        "       attn_bench naive [-t THREADS] [-B B] [-T T] [-C C] [-H H] [--causal] [--reps R]\n"
        "       attn_bench arch [NAME]\n"
        "  sgemm: BLIS sgemm M=N=K=N (default 2048), best of R (default 5) after a warm-up\n"
        "  naive: full-score attention layer baseline (default B=1 T=4096 C=1024 H=16,\n"
        "         best of R, default 1), useful GFLOP/s per the contract's section 6\n"
        "  arch:  BLIS sub-configuration in effect, or the BLIS_ARCH_TYPE id of NAME\n"
        "  -t THREADS defaults to 1.\n",
        f);
}

int main(int argc, char **argv) {
  attn_blis_select_arch(); /* the same BLIS kernel set as attn_hpc */
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  const char *cmd = argv[1];
  if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help")) {
    usage(stdout);
    return 0;
  }
  if (!strcmp(cmd, "arch")) {
    if (argc > 3) die(2, "arch takes at most one argument");
    return run_arch(argc == 3 ? argv[2] : NULL);
  }
  const int is_sgemm = !strcmp(cmd, "sgemm"), is_naive = !strcmp(cmd, "naive");
  if (!is_sgemm && !is_naive) {
    usage(stderr);
    die(2, "unknown subcommand '%s'", cmd);
  }
  int64_t nt = 1, n = 2048, B = 1, T = 4096, C = 1024, H = 16;
  int64_t reps = is_sgemm ? 5 : 1;
  int causal = 0;
  const int64_t big = (int64_t)1 << 20;
  for (int i = 2; i < argc; i++) {
    const char *o = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(o, "-h") || !strcmp(o, "--help")) {
      usage(stdout);
      return 0;
    } else if (!strcmp(o, "-t") || !strcmp(o, "--threads")) {
      nt = parse_pos(o, val, 1024), i++;
    } else if (!strcmp(o, "--reps")) {
      reps = parse_pos(o, val, 1000), i++;
    } else if (is_sgemm && !strcmp(o, "-n")) {
      n = parse_pos(o, val, 65536), i++;
    } else if (is_naive && !strcmp(o, "-B")) {
      B = parse_pos(o, val, big), i++;
    } else if (is_naive && !strcmp(o, "-T")) {
      T = parse_pos(o, val, 65536), i++;
    } else if (is_naive && !strcmp(o, "-C")) {
      C = parse_pos(o, val, 65536), i++;
    } else if (is_naive && !strcmp(o, "-H")) {
      H = parse_pos(o, val, 65536), i++;
    } else if (is_naive && !strcmp(o, "--causal")) {
      causal = 1;
    } else {
      die(2, "unknown or misplaced option '%s' for '%s' (see --help)", o, cmd);
    }
  }
  omp_set_num_threads((int)nt);
  omp_set_max_active_levels(1);
  return is_sgemm ? run_sgemm((int)nt, n, (int)reps)
                  : run_naive((int)nt, B, T, C, H, causal, (int)reps);
}
