/* kernel.c: tiled online-softmax attention (the "mirror") and its naive twin. */
#include "attn/kernel.h"

#include <blis.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

/* The softmax row work and the tile products are written with GCC/Clang
 * generic vectors as wide as the target's registers (AVX-512: 16 floats,
 * AVX: 8, otherwise 4), because the NaN-honouring max and the exponential do
 * not auto-vectorise without -ffast-math, which this file must not use.
 * NREG is the number of vector registers, which sets the register blocking. */
#if defined(__AVX512F__)
#define VL 16
#define NREG 32
#define SPLAT(a)                                                                                   \
  { a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a }
#elif defined(__AVX__)
#define VL 8
#define NREG 16
#define SPLAT(a)                                                                                   \
  { a, a, a, a, a, a, a, a }
#else
#define VL 4
#define NREG 16
#define SPLAT(a)                                                                                   \
  { a, a, a, a }
#endif
typedef float vf_t __attribute__((vector_size(VL * sizeof(float))));
typedef int32_t vi_t __attribute__((vector_size(VL * sizeof(int32_t))));

static inline vf_t vsplat(float a) {
  /* A lane-by-lane loop here compiles to masked inserts; the literal is one broadcast. */
  return (vf_t)SPLAT(a);
}

static inline vf_t vload(const float *p) {
  vf_t v;
  memcpy(&v, p, sizeof v);
  return v;
}

static inline void vstore(float *p, vf_t v) { memcpy(p, &v, sizeof v); }

/* mask ? a : b, mask from a vector comparison (all ones or zero per lane). */
static inline vf_t vselect(vi_t mask, vf_t a, vf_t b) {
  return (vf_t)(((vi_t)a & mask) | ((vi_t)b & ~mask));
}

/* exp(x) for x <= 0 (and -inf), 16 lanes: Cody-Waite reduction to
 * r in [-ln2/2, ln2/2] (rounding by the 1.5*2^23 trick), a degree-6 Taylor
 * polynomial, and the power of two built in the exponent bits. Measured
 * error below 2.5e-7 relative (about 2 ulp). Inputs below -87 (including
 * -inf) give exactly 0; NaN stays NaN. */
static inline vf_t vexp_nonpos(vf_t x) {
  const vf_t lo = vsplat(-87.0f), magic = vsplat(12582912.0f);
  const vi_t under = x < lo;
  const vf_t xc = vselect(under, lo, x);
  const vf_t t = xc * vsplat(1.44269504088896341f) + magic;
  const vf_t n = t - magic;
  const vi_t ni = (vi_t)t - (vi_t)magic;
  vf_t r = xc - n * vsplat(0.693145751953125f);
  r = r - n * vsplat(1.428606765330187e-6f);
  vf_t p = vsplat(1.0f / 720.0f);
  p = p * r + vsplat(1.0f / 120.0f);
  p = p * r + vsplat(1.0f / 24.0f);
  p = p * r + vsplat(1.0f / 6.0f);
  p = p * r + vsplat(0.5f);
  p = p * r + vsplat(1.0f);
  p = p * r + vsplat(1.0f);
  const vf_t scale = (vf_t)((ni + 127) << 23);
  return vselect(under, vsplat(0.0f), p * scale);
}

static inline float exp_nonpos(float x) {
  float buf[VL] = {0};
  buf[0] = x;
  vf_t v = vexp_nonpos(vload(buf));
  return v[0];
}

void attn_softmax_init(float *m, float *l, float *acc, int64_t rows, int64_t Hl, int64_t D) {
  for (int64_t i = 0; i < rows * Hl; i++) {
    m[i] = -INFINITY;
    l[i] = 0.0f;
  }
  memset(acc, 0, (size_t)(rows * Hl * D) * sizeof(float));
}

float attn_softmax_fold(float *s, int64_t n, float *m, float *l) {
  /* Row maximum. A NaN score makes the comparison false and is carried on
   * into the exponential (and so the output), never silently dropped. */
  vf_t vmx = vsplat(-INFINITY);
  int64_t j = 0;
  for (; j + VL <= n; j += VL) {
    vf_t v = vload(s + j);
    vmx = vselect(v > vmx, v, vmx);
  }
  float mx = *m;
  for (int i = 0; i < VL; i++)
    mx = vmx[i] > mx ? vmx[i] : mx;
  for (; j < n; j++)
    mx = s[j] > mx ? s[j] : mx;
  if (mx == -INFINITY) { /* nothing visible yet: the state stays empty */
    memset(s, 0, (size_t)n * sizeof(float));
    return 1.0f;
  }
  /* The accumulator's factor: 1 while the maximum holds (the common case
   * after the first tiles, no rescaling), 0 for a row that had seen nothing. */
  const float alpha = mx == *m ? 1.0f : expf(*m - mx);
  const vf_t vm = vsplat(mx);
  vf_t vsum = vsplat(0.0f);
  for (j = 0; j + VL <= n; j += VL) {
    vf_t e = vexp_nonpos(vload(s + j) - vm);
    vstore(s + j, e);
    vsum += e;
  }
  float sum = 0.0f;
  for (int i = 0; i < VL; i++)
    sum += vsum[i];
  for (; j < n; j++) {
    s[j] = exp_nonpos(s[j] - mx);
    sum += s[j];
  }
  *l = *l * alpha + sum;
  *m = mx;
  return alpha;
}

void attn_softmax_finish(float *acc, const float *l, int64_t rows, int64_t Hl, int64_t D) {
  for (int64_t i = 0; i < rows * Hl; i++) {
    float inv = l[i] > 0.0f ? 1.0f / l[i] : 0.0f;
    for (int64_t d = 0; d < D; d++)
      acc[i * D + d] *= inv;
  }
}

/* Tiles of a position list: runs of consecutive positions cut to at most
 * `size` entries, so each tile is a contiguous token range. */
typedef struct {
  int64_t first, count;
} tile_t;

static int64_t make_tiles(tile_t *out, const int64_t *pos, int64_t n, int64_t size) {
  int64_t nt = 0, i = 0;
  while (i < n) {
    int64_t j = i + 1;
    while (j < n && j - i < size && pos[j] == pos[j - 1] + 1)
      j++;
    out[nt].first = i;
    out[nt].count = j - i;
    nt++;
    i = j;
  }
  return nt;
}

/* ---- register-blocked tile products (D a multiple of 16, D <= 128) ----
 * BLIS packs both operands on every call; for the small, repeated tile
 * products of attention that packing (above all of P, a fresh tq x tk
 * matrix each time) costs as much as a quarter of the time. These products
 * read P straight from the score buffer, and K and V from copies made once
 * per visiting block and shared by all query tiles: kT [B, Gl, D, ldkt]
 * (transposed) and vP [B, Gl, nk, D] (head-major). The copies matter: in
 * the [rows, Gl*D] layout consecutive rows of a head are Gl*D floats apart,
 * often 4 KiB, so a tile of them falls into a few L1 sets and thrashes. The
 * query tile is copied to a contiguous [tq, D] block per task likewise. */

/* Register blocking: accumulators + one row of the other operand + a
 * broadcast must fit in the NREG vector registers. */
#if NREG >= 32
#define QK_MR 6   /* query rows per block of S */
#define QK_NV 4   /* key vectors per block of S */
#define PV_ACC 16 /* accumulator vectors of a block of O */
#else
#define QK_MR 4
#define QK_NV 2
#define PV_ACC 8
#endif

/* S[r, 0:VL*QK_NV) = sum_d q[r, d] * kT[d, 0:VL*QK_NV) for QK_MR rows (or 1). */
static inline __attribute__((always_inline)) void qk_block(float *S, int64_t lds, const float *q,
                                                           int64_t ldq, const float *kT,
                                                           int64_t ldkt, int64_t D, int rows) {
  vf_t c[QK_MR][QK_NV];
  for (int r = 0; r < rows; r++)
    for (int v = 0; v < QK_NV; v++)
      c[r][v] = vsplat(0.0f);
  for (int64_t d = 0; d < D; d++) {
    vf_t bv[QK_NV];
    for (int v = 0; v < QK_NV; v++) {
      bv[v] = vload(kT + d * ldkt + v * VL);
      __asm__("" : "+v"(bv[v])); /* in a register, as in pv_block */
    }
    for (int r = 0; r < rows; r++) {
      const vf_t a = vsplat(q[r * ldq + d]);
      for (int v = 0; v < QK_NV; v++)
        c[r][v] += a * bv[v];
    }
  }
  for (int r = 0; r < rows; r++)
    for (int v = 0; v < QK_NV; v++)
      vstore(S + r * lds + v * VL, c[r][v]);
}

/* S[tq, tk rounded up to VL*QK_NV) = Q[tq, D] K^T; columns past tk are scratch. */
static void qk_tile(float *S, int64_t lds, const float *q, int64_t ldq, const float *kT,
                    int64_t ldkt, int64_t D, int64_t tq, int64_t tk) {
  for (int64_t j = 0; j < tk; j += QK_NV * VL) {
    int64_t i = 0;
    for (; i + QK_MR <= tq; i += QK_MR)
      qk_block(S + i * lds + j, lds, q + i * ldq, ldq, kT + j, ldkt, D, QK_MR);
    for (; i < tq; i++)
      qk_block(S + i * lds + j, lds, q + i * ldq, ldq, kT + j, ldkt, D, 1);
  }
}

/* O[r, 0:VL*NV) += sum_j P[r, j] V[j, 0:VL*NV) for `rows` rows. */
static inline __attribute__((always_inline)) void pv_block(float *O, int64_t ldo, const float *P,
                                                           int64_t ldp, const float *V, int64_t ldv,
                                                           int64_t tk, int nv, int rows) {
  vf_t c[PV_ACC];
  for (int r = 0; r < rows; r++)
    for (int v = 0; v < nv; v++)
      c[r * nv + v] = vload(O + r * ldo + v * VL);
  for (int64_t j = 0; j < tk; j++) {
    vf_t bv[8];
    for (int v = 0; v < nv; v++) {
      bv[v] = vload(V + j * ldv + v * VL);
      /* Keep the row of V in a register: otherwise GCC folds the load into
       * every FMA that uses it, one load per row of the block. */
      __asm__("" : "+v"(bv[v]));
    }
    for (int r = 0; r < rows; r++) {
      const vf_t a = vsplat(P[r * ldp + j]);
      for (int v = 0; v < nv; v++)
        c[r * nv + v] += a * bv[v];
    }
  }
  for (int r = 0; r < rows; r++)
    for (int v = 0; v < nv; v++)
      vstore(O + r * ldo + v * VL, c[r * nv + v]);
}

/* O[tq, D] += P[tq, tk] V[tk, D] (O rows ldo apart: the running
 * accumulator itself), PV_ACC accumulator vectors per block. The keys go in
 * chunks of PV_KC so that the chunk of V stays in L1 while every row block
 * passes over it. */
#define PV_KC 64
#define PV_TILE(NV)                                                                                \
  static void pv_tile_##NV(float *O, int64_t ldo, const float *P, int64_t ldp, const float *V,     \
                           int64_t ldv, int64_t tq, int64_t tk) {                                  \
    enum { MR = PV_ACC / NV };                                                                     \
    for (int64_t jc = 0; jc < tk; jc += PV_KC) {                                                   \
      const int64_t kc = tk - jc < PV_KC ? tk - jc : PV_KC;                                        \
      const float *Pc = P + jc, *Vc = V + jc * ldv;                                                \
      int64_t i = 0;                                                                               \
      for (; i + MR <= tq; i += MR)                                                                \
        pv_block(O + i * ldo, ldo, Pc + i * ldp, ldp, Vc, ldv, kc, NV, MR);                        \
      for (; i < tq; i++)                                                                          \
        pv_block(O + i * ldo, ldo, Pc + i * ldp, ldp, Vc, ldv, kc, NV, 1);                         \
    }                                                                                              \
  }
PV_TILE(1)
PV_TILE(2)
PV_TILE(4)
#if PV_ACC >= 8
PV_TILE(8)
#endif

static void pv_tile(float *O, int64_t ldo, const float *P, int64_t ldp, const float *V, int64_t ldv,
                    int64_t D, int64_t tq, int64_t tk) {
  switch (D / VL) {
  case 1: pv_tile_1(O, ldo, P, ldp, V, ldv, tq, tk); break;
  case 2: pv_tile_2(O, ldo, P, ldp, V, ldv, tq, tk); break;
  case 4: pv_tile_4(O, ldo, P, ldp, V, ldv, tq, tk); break;
#if PV_ACC >= 8
  default: pv_tile_8(O, ldo, P, ldp, V, ldv, tq, tk); break;
#endif
  }
}

/* The register-blocked products serve D = VL, 2VL, 4VL and 8VL (16 to 128
 * with AVX-512); BLIS does the rest. */
static int fast_path(int64_t D) {
  return D % VL == 0 && (D / VL == 1 || D / VL == 2 || D / VL == 4 || D / VL == 8) &&
         D / VL <= PV_ACC;
}

attn_err_t attn_attend_block(const attn_block_shape_t *s, float *acc, float *m, float *l,
                             const float *q, const float *k, const float *v, const int64_t *qpos,
                             const int64_t *kpos, int64_t *tiles) {
  const int64_t B = s->B, nq = s->nq, nk = s->nk, Hl = s->Hl, Gl = s->Gl, D = s->D;
  const int64_t group = Hl / Gl, ldq = Hl * D, ldk = Gl * D;
  if (nq == 0 || nk == 0) return ATTN_OK;
  const int fast = fast_path(D);
  /* kT rows are padded by one block of keys so a tile that starts anywhere
   * can read whole vectors. */
  const int64_t ldkt = nk + QK_NV * VL;

  tile_t *qt = malloc((size_t)nq * sizeof *qt), *ktl = malloc((size_t)nk * sizeof *ktl);
  float *kT = fast ? attn_alloc((size_t)(B * Gl * D * ldkt) * sizeof(float)) : NULL;
  float *vP = fast ? attn_alloc((size_t)(B * Gl * nk * D) * sizeof(float)) : NULL;
  if (!qt || !ktl || (fast && (!kT || !vP))) {
    free(qt);
    free(ktl);
    attn_free(kT);
    attn_free(vP);
    return attn_fail(ATTN_ERR_INTERNAL, "out of memory for the attention tile lists");
  }
  const int64_t nqt = make_tiles(qt, qpos, nq, ATTN_TILE_Q);
  const int64_t nkt = make_tiles(ktl, kpos, nk, ATTN_TILE_K);
  const int64_t ntask = B * Hl * nqt;
  int64_t done = 0;
  int failed = 0;

#pragma omp parallel reduction(+ : done)
  {
    if (fast) {
      /* kT[b, g, d, j] = k[b, j, g, d];  vP[b, g, j, d] = v[b, j, g, d] */
#pragma omp for schedule(static)
      for (int64_t bg = 0; bg < B * Gl; bg++) {
        const int64_t b = bg / Gl, g = bg % Gl;
        float *dst = kT + bg * D * ldkt;
        for (int64_t j = 0; j < nk; j++) {
          const float *src = k + (b * nk + j) * ldk + g * D;
          for (int64_t d = 0; d < D; d++)
            dst[d * ldkt + j] = src[d];
          memcpy(vP + (bg * nk + j) * D, v + (b * nk + j) * ldk + g * D, (size_t)D * sizeof(float));
        }
        for (int64_t d = 0; d < D; d++)
          memset(dst + d * ldkt + nk, 0, (size_t)(ldkt - nk) * sizeof(float));
      }
    }
    float *S = malloc((size_t)(ATTN_TILE_Q * ATTN_TILE_K + ATTN_TILE_Q * D) * sizeof(float));
    if (!S) {
#pragma omp atomic write
      failed = 1;
    }
    float *Qp = S + ATTN_TILE_Q * ATTN_TILE_K; /* contiguous copy of the query tile [tq, D] */
    rntm_t rntm = BLIS_RNTM_INITIALIZER;
    bli_rntm_set_num_threads(1, &rntm);
    float one = 1.0f, zero = 0.0f;

#pragma omp for schedule(dynamic, 1)
    for (int64_t task = 0; task < ntask; task++) {
      if (!S) continue;
      /* Query tiles last to first: with a causal mask the late tiles see the
       * most keys, and handing out the big tasks first keeps the dynamic
       * schedule from ending on one long task. */
      const int64_t b = task / (Hl * nqt), h = (task / nqt) % Hl, it = nqt - 1 - task % nqt;
      const int64_t g = h / group, i0 = qt[it].first, tq = qt[it].count;
      const int64_t qlo = qpos[i0], qhi = qpos[i0 + tq - 1];
      float *qp = (float *)q + (b * nq + i0) * ldq + h * D;
      /* The running state of this tile's rows: acc rows are Hl*D apart. */
      const int64_t r0 = (b * nq + i0) * Hl + h, lda = Hl * D;
      float *ap = acc + r0 * D;
      if (fast)
        for (int64_t i = 0; i < tq; i++)
          memcpy(Qp + i * D, qp + i * ldq, (size_t)D * sizeof(float));
      for (int64_t jt = 0; jt < nkt; jt++) {
        const int64_t j0 = ktl[jt].first, tk = ktl[jt].count;
        const int64_t klo = kpos[j0], khi = kpos[j0 + tk - 1];
        if (s->causal && klo > qhi) continue; /* every key is after every query */
        const int partial = s->causal && khi > qlo;
        float *kp = (float *)k + (b * nk + j0) * ldk + g * D;
        float *vp = (float *)v + (b * nk + j0) * ldk + g * D;
        /* S[tq, tk] = Q[tq, D] K[tk, D]^T */
        if (fast)
          qk_tile(S, ATTN_TILE_K, Qp, D, kT + (b * Gl + g) * D * ldkt + j0, ldkt, D, tq, tk);
        else
          bli_sgemm_ex(BLIS_NO_TRANSPOSE, BLIS_TRANSPOSE, tq, tk, D, &one, qp, ldq, 1, kp, ldk, 1,
                       &zero, S, ATTN_TILE_K, 1, NULL, &rntm);
        /* Fold the tile into each row's state; S becomes the weights P. */
        for (int64_t i = 0; i < tq; i++) {
          float *row = S + i * ATTN_TILE_K;
          if (partial) { /* tiles are runs of consecutive positions: mask a suffix */
            const int64_t first = qlo + i - klo + 1; /* first key after query i */
            for (int64_t j = first > 0 ? first : 0; j < tk; j++)
              row[j] = -INFINITY;
          }
          const int64_t r = r0 + i * Hl;
          const float alpha = attn_softmax_fold(row, tk, &m[r], &l[r]);
          if (alpha != 1.0f)
            for (int64_t d = 0; d < D; d++)
              ap[i * lda + d] *= alpha;
        }
        /* acc[tq, D] += P[tq, tk] V[tk, D] */
        if (fast)
          pv_tile(ap, lda, S, ATTN_TILE_K, vP + ((b * Gl + g) * nk + j0) * D, D, D, tq, tk);
        else
          bli_sgemm_ex(BLIS_NO_TRANSPOSE, BLIS_NO_TRANSPOSE, tq, D, tk, &one, S, ATTN_TILE_K, 1, vp,
                       ldk, 1, &one, ap, lda, 1, NULL, &rntm);
        done++;
      }
    }
    free(S);
  }
  free(qt);
  free(ktl);
  attn_free(kT);
  attn_free(vP);
  if (tiles) *tiles += done;
  if (failed) return attn_fail(ATTN_ERR_INTERNAL, "out of memory for the attention tile scratch");
  return ATTN_OK;
}

void attn_attend_naive(const attn_block_shape_t *s, float *out, const float *q, const float *k,
                       const float *v, const int64_t *qpos, const int64_t *kpos) {
  const int64_t B = s->B, nq = s->nq, nk = s->nk, Hl = s->Hl, Gl = s->Gl, D = s->D;
  const int64_t group = Hl / Gl;
  double *w = malloc((size_t)(nk > 0 ? nk : 1) * sizeof(double));
  double *o = malloc((size_t)D * sizeof(double));
  if (!w || !o) abort(); /* test oracle only */
  for (int64_t b = 0; b < B; b++)
    for (int64_t i = 0; i < nq; i++)
      for (int64_t h = 0; h < Hl; h++) {
        const float *qi = q + (b * nq + i) * Hl * D + h * D;
        const int64_t g = h / group;
        double mx = -INFINITY, sum = 0.0;
        for (int64_t j = 0; j < nk; j++) {
          if (s->causal && kpos[j] > qpos[i]) {
            w[j] = -INFINITY;
            continue;
          }
          const float *kj = k + (b * nk + j) * Gl * D + g * D;
          double dot = 0.0;
          for (int64_t d = 0; d < D; d++)
            dot += (double)qi[d] * kj[d];
          w[j] = dot;
          if (dot > mx) mx = dot;
        }
        for (int64_t d = 0; d < D; d++)
          o[d] = 0.0;
        for (int64_t j = 0; j < nk; j++) {
          if (w[j] == -INFINITY) continue;
          double e = exp(w[j] - mx);
          sum += e;
          const float *vj = v + (b * nk + j) * Gl * D + g * D;
          for (int64_t d = 0; d < D; d++)
            o[d] += e * vj[d];
        }
        float *oi = out + (b * nq + i) * Hl * D + h * D;
        for (int64_t d = 0; d < D; d++)
          oi[d] = sum > 0.0 ? (float)(o[d] / sum) : 0.0f;
      }
  free(w);
  free(o);
}
