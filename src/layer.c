/* layer.c: the distributed forward pass. Rank (hg, sb) of the PH x PS grid
 * holds head group hg (G/PH key/value heads and their H/PH query heads) and
 * sequence block sb (its token rows, zigzag-split when causal). Phases:
 * read -> project (BLIS) -> ring attention (K/V blocks travel around the PS
 * ranks of the head group, double-buffered, overlapping the kernel) ->
 * combine (reduce-scatter of the partial output projections over the PH head
 * groups) -> residual + norm on complete rows. */
#include "attn/layer.h"

#include <blis.h>
#include <limits.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "attn/fault.h"
#include "attn/kernel.h"
#include "attn/norm.h"
#include "attn/partition.h"

attn_err_t attn_grid_setup(MPI_Comm world, int PH, int PS, int threads, attn_grid_t *g) {
  memset(g, 0, sizeof *g);
  g->world = world;
  g->ring = g->heads = MPI_COMM_NULL;
  ATTN_MPI(MPI_Comm_rank(world, &g->rank));
  ATTN_MPI(MPI_Comm_size(world, &g->size));
  g->PH = PH;
  g->PS = PS;
  g->hg = g->rank / PS;
  g->sb = g->rank % PS;
  g->threads = threads;
  /* Both splits are collective: make both before checking either. */
  int rc1 = MPI_Comm_split(world, g->hg, g->sb, &g->ring);
  int rc2 = MPI_Comm_split(world, g->sb, g->hg, &g->heads);
  ATTN_MPI(rc1);
  ATTN_MPI(rc2);
  ATTN_MPI(MPI_Comm_set_errhandler(g->ring, MPI_ERRORS_RETURN));
  ATTN_MPI(MPI_Comm_set_errhandler(g->heads, MPI_ERRORS_RETURN));
  return ATTN_OK;
}

void attn_grid_free(attn_grid_t *g) {
  if (g->ring != MPI_COMM_NULL) MPI_Comm_free(&g->ring);
  if (g->heads != MPI_COMM_NULL) MPI_Comm_free(&g->heads);
}

void attn_result_free(attn_result_t *r) {
  attn_free(r->y);
  attn_free(r->blk);
  memset(r, 0, sizeof *r);
}

/* Largest element count of one MPI message piece: 2^30 by default, lowered
 * by the environment variable ATTN_MPI_MAX_COUNT (tests of the split path). */
static int64_t mpi_max_count(void) {
  const char *e = getenv("ATTN_MPI_MAX_COUNT");
  if (e && *e) {
    long long v = atoll(e);
    if (v >= 1 && v <= (1LL << 30)) return v;
  }
  return 1LL << 30;
}

/* y[m, n] = alpha * (a[m, k] w[n, k]^T + bias[n]); bias may be NULL.
 * The GEMM is outside any parallel region, so BLIS gets all nt threads. */
static void gemm_nt(float *y, int64_t ldy, const float *a, int64_t lda, const float *w, int64_t ldw,
                    const float *bias, float alpha, int64_t m, int64_t n, int64_t k, int nt) {
  if (m == 0 || n == 0) return;
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < m; i++)
    for (int64_t j = 0; j < n; j++)
      y[i * ldy + j] = bias ? alpha * bias[j] : 0.0f;
  rntm_t rntm = BLIS_RNTM_INITIALIZER;
  bli_rntm_set_num_threads(nt, &rntm);
  float one = 1.0f;
  bli_sgemm_ex(BLIS_NO_TRANSPOSE, BLIS_TRANSPOSE, m, n, k, &alpha, (float *)a, lda, 1, (float *)w,
               ldw, 1, &one, y, ldy, 1, NULL, &rntm);
}

/* Read an optional vector dataset's columns [c0, c0+n), or fill with `fill`. */
static attn_err_t read_vec(MPI_Comm comm, hid_t file, const char *name, int present, int64_t c0,
                           int64_t n, float fill, float *out) {
  if (!present) {
    for (int64_t i = 0; i < n; i++)
      out[i] = fill;
    return ATTN_OK;
  }
  attn_block_t b = {0, 1, c0, n};
  return attn_h5_read_blocks(comm, file, name, &b, 1, out);
}

/* Post the pieces of one message (count floats) as non-blocking sends or
 * receives; returns the number of requests posted into req. */
static int post_pieces(int sending, float *buf, int64_t count, int peer, MPI_Comm comm,
                       MPI_Request *req, int64_t max_count, attn_err_t *err) {
  int n = 0;
  for (int64_t off = 0, tag = 0; off < count || (count == 0 && tag == 0); off += max_count, tag++) {
    int c = (int)(count - off < max_count ? count - off : max_count);
    int rc = sending ? MPI_Isend(buf + off, c, MPI_FLOAT, peer, (int)tag, comm, &req[n])
                     : MPI_Irecv(buf + off, c, MPI_FLOAT, peer, (int)tag, comm, &req[n]);
    if (rc != MPI_SUCCESS && *err == ATTN_OK)
      *err =
          attn_fail(ATTN_ERR_INTERNAL, "MPI %s of a K/V block failed", sending ? "Isend" : "Irecv");
    n++;
    if (count == 0) break;
  }
  return n;
}

typedef struct {
  /* Partition */
  attn_seqblock_t own;
  int64_t n, rows, nmax, Hl, Gl, D, C;
  /* Owned buffers */
  float *x, *xn, *q, *kv[2], *acc, *m, *l, *op, *wq, *wk, *wv, *wo, *bq, *bk, *bv, *bo, *nw, *nb;
  int64_t *qpos, *kpos;
} layer_state_t;

static void state_free(layer_state_t *s) {
  float **bufs[] = {&s->x,  &s->xn, &s->q,  &s->kv[0], &s->kv[1], &s->acc, &s->m,
                    &s->l,  &s->op, &s->wq, &s->wk,    &s->wv,    &s->wo,  &s->bq,
                    &s->bk, &s->bv, &s->bo, &s->nw,    &s->nb};
  for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) {
    attn_free(*bufs[i]);
    *bufs[i] = NULL;
  }
  attn_free(s->qpos);
  attn_free(s->kpos);
  s->qpos = s->kpos = NULL;
}

/* Phase 1: collective reads of this rank's rows of /x and its heads' weights. */
static attn_err_t alloc_read(const attn_config_t *cfg, layer_state_t *s) {
  const int64_t C = cfg->C, HlD = s->Hl * cfg->D, GlD = s->Gl * cfg->D;
  ATTN_ALLOC(s->x, s->rows * C > 0 ? s->rows * C : 1);
  ATTN_ALLOC(s->wq, HlD * C);
  ATTN_ALLOC(s->wk, GlD * C);
  ATTN_ALLOC(s->wv, GlD * C);
  ATTN_ALLOC(s->wo, C * HlD);
  ATTN_ALLOC(s->bq, HlD);
  ATTN_ALLOC(s->bk, GlD);
  ATTN_ALLOC(s->bv, GlD);
  ATTN_ALLOC(s->bo, C);
  ATTN_ALLOC(s->nw, C);
  ATTN_ALLOC(s->nb, C);
  return ATTN_OK;
}

/* Phase 1: collective reads of this rank's rows of /x and its heads' weights.
 * Like every phase, it ends with the ranks agreeing on its status. */
static attn_err_t phase_read(const attn_grid_t *g, hid_t file, const attn_config_t *cfg,
                             layer_state_t *s) {
  const int64_t B = cfg->B, T = cfg->T, C = cfg->C;
  const int64_t HlD = s->Hl * cfg->D, GlD = s->Gl * cfg->D;
  attn_block_t *xblk = malloc((size_t)(2 * B) * sizeof *xblk);
  attn_err_t err = alloc_read(cfg, s);
  if (!xblk && err == ATTN_OK) err = attn_fail(ATTN_ERR_INTERNAL, "out of memory");
  err = attn_agree(g->world, err);
  if (err != ATTN_OK) {
    free(xblk);
    return err;
  }
  int nx = 0;
  for (int64_t b = 0; b < B; b++)
    for (int k = 0; k < s->own.nseg; k++) {
      attn_block_t blk = {b * T + s->own.start[k], s->own.len[k], 0, C};
      xblk[nx++] = blk;
    }
  err = attn_h5_read_blocks(g->world, file, "/x", xblk, nx, s->x);
  free(xblk);
  ATTN_TRY(attn_agree(g->world, err));

  /* Every rank makes every read, whatever failed before: the reads are
   * collective, and a non-finite value seen in one rank's slice must not
   * make that rank skip reads the others are making. The first error wins. */
  const int64_t qh0 = g->hg * HlD, kh0 = g->hg * GlD;
  attn_block_t bwq = {qh0, HlD, 0, C}, bwk = {kh0, GlD, 0, C}, bwo = {0, C, qh0, HlD};
  attn_err_t e[10];
  e[0] = attn_h5_read_blocks(g->world, file, "/wq", &bwq, 1, s->wq);
  e[1] = attn_h5_read_blocks(g->world, file, "/wk", &bwk, 1, s->wk);
  e[2] = attn_h5_read_blocks(g->world, file, "/wv", &bwk, 1, s->wv);
  e[3] = attn_h5_read_blocks(g->world, file, "/wo", &bwo, 1, s->wo);
  e[4] = read_vec(g->world, file, "/bq", cfg->has_bq, qh0, HlD, 0.0f, s->bq);
  e[5] = read_vec(g->world, file, "/bk", cfg->has_bk, kh0, GlD, 0.0f, s->bk);
  e[6] = read_vec(g->world, file, "/bv", cfg->has_bv, kh0, GlD, 0.0f, s->bv);
  e[7] = read_vec(g->world, file, "/bo", cfg->has_bo, 0, C, 0.0f, s->bo);
  e[8] = read_vec(g->world, file, "/norm_weight", cfg->has_norm_weight, 0, C, 1.0f, s->nw);
  e[9] = read_vec(g->world, file, "/norm_bias", cfg->has_norm_bias, 0, C, 0.0f, s->nb);
  for (int i = 0; i < 10 && err == ATTN_OK; i++)
    err = e[i];
  return attn_agree(g->world, err);
}

/* Phase 2: Q, K, V of the rank's rows and heads. Q is pre-multiplied by the
 * softmax scale; K and V go into the first ring buffer, K then V. */
static attn_err_t project(const attn_grid_t *g, const attn_config_t *cfg, layer_state_t *s) {
  const int64_t C = cfg->C, HlD = s->Hl * s->D, GlD = s->Gl * s->D;
  const float *xin = s->x;
  if (cfg->position == ATTN_POS_PRE) {
    ATTN_ALLOC(s->xn, s->rows * C);
    attn_norm_rows(s->xn, s->x, s->rows, C, cfg->norm, cfg->eps, s->nw,
                   cfg->has_norm_bias || cfg->norm == ATTN_NORM_LAYERNORM ? s->nb : NULL);
    xin = s->xn;
  }
  const int64_t kvmax = 2 * cfg->B * s->nmax * GlD;
  ATTN_ALLOC(s->q, s->rows * HlD);
  ATTN_ALLOC(s->kv[0], kvmax);
  if (g->PS > 1) ATTN_ALLOC(s->kv[1], kvmax);
  gemm_nt(s->q, HlD, xin, C, s->wq, C, s->bq, (float)cfg->scale, s->rows, HlD, C, g->threads);
  gemm_nt(s->kv[0], GlD, xin, C, s->wk, C, s->bk, 1.0f, s->rows, GlD, C, g->threads);
  gemm_nt(s->kv[0] + s->rows * GlD, GlD, xin, C, s->wv, C, s->bv, 1.0f, s->rows, GlD, C,
          g->threads);
  attn_free(s->xn);
  s->xn = NULL;
  attn_free(s->wq);
  attn_free(s->wk);
  attn_free(s->wv);
  s->wq = s->wk = s->wv = NULL;
  return ATTN_OK;
}

static attn_err_t phase_project(const attn_grid_t *g, const attn_config_t *cfg, layer_state_t *s) {
  return attn_agree(g->world, project(g, cfg, s));
}

static attn_err_t alloc_attend(layer_state_t *s) {
  ATTN_ALLOC(s->acc, s->rows * s->Hl * s->D > 0 ? s->rows * s->Hl * s->D : 1);
  ATTN_ALLOC(s->m, s->rows * s->Hl > 0 ? s->rows * s->Hl : 1);
  ATTN_ALLOC(s->l, s->rows * s->Hl > 0 ? s->rows * s->Hl : 1);
  ATTN_ALLOC(s->qpos, s->n > 0 ? s->n : 1);
  ATTN_ALLOC(s->kpos, s->nmax > 0 ? s->nmax : 1);
  return ATTN_OK;
}

/* Phase 3: ring attention. At step t this rank holds the K/V block that
 * started at sequence block (sb - t) mod PS; it forwards it to sb + 1 while
 * folding it into the online-softmax state, and receives the next one. */
static attn_err_t phase_attend(const attn_grid_t *g, const attn_config_t *cfg, layer_state_t *s,
                               attn_stats_t *st, FILE *progress) {
  const int64_t B = cfg->B, T = cfg->T, GlD = s->Gl * s->D;
  const int PS = g->PS, zig = cfg->causal && PS > 1;
  const int64_t max_count = mpi_max_count();
  const int right = (g->sb + 1) % PS, left = (g->sb + PS - 1) % PS;

  const int64_t per_msg = 2 * attn_chunk_count(2 * B * s->nmax * GlD, max_count) + 2;
  MPI_Request *req = malloc((size_t)per_msg * sizeof *req);
  attn_err_t err = alloc_attend(s);
  if (!req && err == ATTN_OK) err = attn_fail(ATTN_ERR_INTERNAL, "out of memory");
  err = attn_agree(g->world, err); /* everyone is ready to enter the ring */
  if (err != ATTN_OK) {
    free(req);
    return err;
  }
  for (int64_t i = 0; i < s->n; i++)
    s->qpos[i] = attn_seqblock_pos(&s->own, i);
  attn_softmax_init(s->m, s->l, s->acc, s->rows, s->Hl, s->D);

  int cur = 0;
  for (int t = 0; t < PS; t++) {
    const int origin = (g->sb - t + PS) % PS;
    attn_seqblock_t ob;
    attn_seqblock(&ob, T, PS, origin, zig);
    int nreq = 0;
    if (t < PS - 1) {
      attn_seqblock_t nb;
      attn_seqblock(&nb, T, PS, (origin - 1 + PS) % PS, zig);
      const int64_t send_count = 2 * B * ob.n * GlD, recv_count = 2 * B * nb.n * GlD;
      nreq +=
          post_pieces(0, s->kv[1 - cur], recv_count, left, g->ring, req + nreq, max_count, &err);
      nreq += post_pieces(1, s->kv[cur], send_count, right, g->ring, req + nreq, max_count, &err);
      st->bytes_sent += send_count * (long long)sizeof(float);
    }
    if (progress)
      fprintf(progress, "attn_hpc: attend: ring step %d of %d (K/V block of sequence block %d)\n",
              t + 1, PS, origin);
    for (int64_t j = 0; j < ob.n; j++)
      s->kpos[j] = attn_seqblock_pos(&ob, j);
    attn_block_shape_t shape = {B, s->n, ob.n, s->Hl, s->Gl, s->D, cfg->causal};
    const float *k = s->kv[cur], *v = s->kv[cur] + B * ob.n * GlD;
    attn_err_t kerr =
        attn_attend_block(&shape, s->acc, s->m, s->l, s->q, k, v, s->qpos, s->kpos, &st->tiles);
    if (kerr != ATTN_OK && err == ATTN_OK) err = kerr;
    double w0 = MPI_Wtime();
    if (nreq > 0 && MPI_Waitall(nreq, req, MPI_STATUSES_IGNORE) != MPI_SUCCESS && err == ATTN_OK)
      err = attn_fail(ATTN_ERR_INTERNAL, "MPI_Waitall on the K/V ring failed");
    st->sec[ATTN_PH_RING_WAIT] += MPI_Wtime() - w0;
    cur = 1 - cur;
  }
  free(req);
  attn_softmax_finish(s->acc, s->l, s->rows, s->Hl, s->D);
  attn_free(s->q);
  attn_free(s->kv[0]);
  attn_free(s->kv[1]);
  s->q = s->kv[0] = s->kv[1] = NULL;
  return attn_agree(g->world, err);
}

/* Phase 4: partial output projection of this head group, summed over the PH
 * head groups by reduce-scatter: head-group rank i keeps a balanced share of
 * the rows. Messages larger than the MPI piece limit go in several rounds. */
static attn_err_t alloc_combine(const attn_config_t *cfg, layer_state_t *s, attn_result_t *res,
                                int64_t nr, int PH) {
  ATTN_ALLOC(s->op, s->rows * cfg->C > 0 ? s->rows * cfg->C : 1);
  if (PH > 1) ATTN_ALLOC(res->y, nr * cfg->C > 0 ? nr * cfg->C : 1); /* else y is op itself */
  ATTN_ALLOC(res->blk, 2 * cfg->B);
  return ATTN_OK;
}

static attn_err_t phase_combine(const attn_grid_t *g, const attn_config_t *cfg, layer_state_t *s,
                                attn_result_t *res, attn_stats_t *st) {
  const int64_t C = cfg->C, HlD = s->Hl * s->D, PH = g->PH;
  const int64_t r0 = attn_part_start(s->rows, PH, g->hg), nr = attn_part_len(s->rows, PH, g->hg);
  /* A round's counts add up to PH * chunk_rows * C, which MPI sums in an int. */
  const int64_t chunk_rows = mpi_max_count() / (C * PH) > 0 ? mpi_max_count() / (C * PH) : 1;
  const int64_t rounds = attn_chunk_count(attn_part_len(s->rows, PH, 0), chunk_rows);
  int *counts = malloc((size_t)PH * sizeof *counts);
  float *pack = rounds > 1 ? malloc((size_t)(PH * chunk_rows * C) * sizeof(float)) : NULL;
  attn_err_t err = alloc_combine(cfg, s, res, nr, (int)PH);
  if ((!counts || (rounds > 1 && !pack)) && err == ATTN_OK)
    err = attn_fail(ATTN_ERR_INTERNAL, "out of memory");
  err = attn_agree(g->world, err);
  if (err != ATTN_OK) {
    free(counts);
    free(pack);
    return err;
  }
  res->rows = nr;
  gemm_nt(s->op, C, s->acc, HlD, s->wo, HlD, NULL, 1.0f, s->rows, C, HlD, g->threads);
  attn_free(s->acc);
  attn_free(s->wo);
  s->acc = s->wo = NULL;

  if (PH == 1) { /* one head group: the partial output is the whole output */
    res->y = s->op;
    s->op = NULL;
  } else {
    for (int64_t r = 0; r < rounds; r++) {
      float *send = s->op;
      int64_t off = 0;
      for (int64_t i = 0; i < PH; i++) {
        int64_t len = attn_part_len(s->rows, PH, i) - r * chunk_rows;
        len = len < 0 ? 0 : len > chunk_rows ? chunk_rows : len;
        counts[i] = (int)(len * C);
        if (rounds > 1)
          memcpy(pack + off, s->op + (attn_part_start(s->rows, PH, i) + r * chunk_rows) * C,
                 (size_t)(len * C) * sizeof(float));
        off += len * C;
      }
      if (rounds > 1) send = pack;
      float *recv = res->y + r * chunk_rows * C;
      if (MPI_Reduce_scatter(send, recv, counts, MPI_FLOAT, MPI_SUM, g->heads) != MPI_SUCCESS &&
          err == ATTN_OK)
        err = attn_fail(ATTN_ERR_INTERNAL, "MPI_Reduce_scatter of the head groups failed");
      st->bytes_sent += (off - counts[g->hg]) * (long long)sizeof(float);
    }
  }
  free(counts);
  free(pack);
  attn_free(s->op);
  s->op = NULL;

  /* Where the share's rows live in /x seen as [B*T, C]: cut the local rows
   * (ordered b, then segment) to [r0, r0 + nr). */
  res->nblk = 0;
  int64_t idx = 0;
  for (int64_t b = 0; b < cfg->B; b++)
    for (int k = 0; k < s->own.nseg; k++) {
      int64_t lo = idx > r0 ? idx : r0, hi = idx + s->own.len[k];
      if (hi > r0 + nr) hi = r0 + nr;
      if (hi > lo) {
        attn_block_t blk = {b * cfg->T + s->own.start[k] + (lo - idx), hi - lo, 0, C};
        res->blk[res->nblk++] = blk;
      }
      idx += s->own.len[k];
    }
  return attn_agree(g->world, err);
}

/* Phase 5: bias, residual and norm on the finished rows. */
static void phase_norm(const attn_config_t *cfg, layer_state_t *s, attn_result_t *res, int64_t r0) {
  const int64_t C = cfg->C;
  float *y = res->y;
  const float *x = s->x + r0 * C;
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < res->rows; i++)
    for (int64_t c = 0; c < C; c++)
      y[i * C + c] += s->bo[c] + (cfg->residual ? x[i * C + c] : 0.0f);
  if (cfg->position == ATTN_POS_POST)
    attn_norm_rows(y, y, res->rows, C, cfg->norm, cfg->eps, s->nw,
                   cfg->has_norm_bias || cfg->norm == ATTN_NORM_LAYERNORM ? s->nb : NULL);
}

attn_err_t attn_layer_forward(const attn_grid_t *g, hid_t file, const attn_config_t *cfg,
                              attn_result_t *res, attn_stats_t *st, FILE *progress) {
  layer_state_t s;
  memset(&s, 0, sizeof s);
  memset(res, 0, sizeof *res);
  const int zig = cfg->causal && g->PS > 1;
  attn_seqblock(&s.own, cfg->T, g->PS, g->sb, zig);
  s.n = s.own.n;
  s.rows = cfg->B * s.n;
  s.C = cfg->C;
  s.D = cfg->D;
  s.Hl = cfg->H / g->PH;
  s.Gl = cfg->G / g->PH;
  s.nmax = 0;
  for (int o = 0; o < g->PS; o++) {
    attn_seqblock_t ob;
    attn_seqblock(&ob, cfg->T, g->PS, o, zig);
    if (ob.n > s.nmax) s.nmax = ob.n;
  }

  attn_err_t err;
  double t0 = MPI_Wtime(), t1;
#define PHASE(ph, call)                                                                            \
  do {                                                                                             \
    if (progress) fprintf(progress, "attn_hpc: %s\n", attn_phase_name(ph));                        \
    attn_fault_point(g->rank, attn_phase_name(ph));                                                \
    err = (call); /* each phase ends with the ranks' agreement */                                  \
    t1 = MPI_Wtime();                                                                              \
    st->sec[ph] += t1 - t0;                                                                        \
    t0 = t1;                                                                                       \
    if (err != ATTN_OK) goto done;                                                                 \
  } while (0)
  PHASE(ATTN_PH_READ, phase_read(g, file, cfg, &s));
  PHASE(ATTN_PH_PROJECT, phase_project(g, cfg, &s));
  PHASE(ATTN_PH_ATTEND, phase_attend(g, cfg, &s, st, progress));
  PHASE(ATTN_PH_COMBINE, phase_combine(g, cfg, &s, res, st));
  phase_norm(cfg, &s, res, attn_part_start(s.rows, g->PH, g->hg));
  st->sec[ATTN_PH_NORM] += MPI_Wtime() - t0;
#undef PHASE
done:
  state_free(&s);
  if (err != ATTN_OK) attn_result_free(res);
  return err;
}
