/* h5io.c: schema validation and collective, size-limited block transfers. */
#include "attn/h5io.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attn/partition.h"

int64_t attn_io_max_bytes(void) {
  const char *e = getenv("ATTN_IO_MAX_BYTES");
  if (e && *e) {
    long long v = atoll(e);
    if (v >= 4 && v <= (1LL << 30)) return v;
  }
  return 1LL << 30;
}

attn_err_t attn_h5_open_read(MPI_Comm comm, const char *path, hid_t *file) {
  hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
  if (fapl < 0) return attn_fail(ATTN_ERR_INTERNAL, "H5Pcreate failed");
  H5Pset_fapl_mpio(fapl, comm, MPI_INFO_NULL);
  H5Pset_all_coll_metadata_ops(fapl, 1);
  *file = H5Fopen(path, H5F_ACC_RDONLY, fapl);
  H5Pclose(fapl);
  if (*file < 0)
    return attn_fail(ATTN_ERR_IO,
                     "cannot open input '%s' as an HDF5 file (not HDF5, truncated or unreadable)",
                     path);
  return ATTN_OK;
}

int attn_h5_exists(hid_t file, const char *name) { return H5Lexists(file, name, H5P_DEFAULT) > 0; }

/* ---- attributes ---------------------------------------------------------- */

/* Open attribute `name` if present; *a < 0 when absent. Checks it holds one value. */
static attn_err_t attr_open(hid_t file, const char *name, hid_t *a) {
  *a = -1;
  htri_t ex = H5Aexists(file, name);
  if (ex < 0) return attn_fail(ATTN_ERR_INPUT, "cannot query attribute %s", name);
  if (!ex) return ATTN_OK;
  *a = H5Aopen(file, name, H5P_DEFAULT);
  if (*a < 0) return attn_fail(ATTN_ERR_INPUT, "cannot open attribute %s", name);
  hid_t sp = H5Aget_space(*a);
  hssize_t np = sp >= 0 ? H5Sget_simple_extent_npoints(sp) : -1;
  if (sp >= 0) H5Sclose(sp);
  if (np != 1) {
    H5Aclose(*a);
    *a = -1;
    return attn_fail(ATTN_ERR_INPUT, "attribute %s must hold a single value (it holds %lld)", name,
                     (long long)np);
  }
  return ATTN_OK;
}

static const char *class_name(H5T_class_t c) {
  switch (c) {
  case H5T_INTEGER: return "an integer";
  case H5T_FLOAT: return "a float";
  case H5T_STRING: return "a string";
  case H5T_ENUM: return "an enum";
  case H5T_COMPOUND: return "a compound";
  case H5T_ARRAY: return "an array";
  default: return "a non-numeric value";
  }
}

static H5T_class_t attr_class(hid_t a) {
  hid_t t = H5Aget_type(a);
  H5T_class_t c = H5Tget_class(t);
  H5Tclose(t);
  return c;
}

/* Integer attribute; *present = 0 and *v untouched when absent. */
static attn_err_t attr_int(hid_t file, const char *name, long long *v, int *present) {
  hid_t a;
  *present = 0;
  ATTN_TRY(attr_open(file, name, &a));
  if (a < 0) return ATTN_OK;
  H5T_class_t c = attr_class(a);
  attn_err_t err = ATTN_OK;
  if (c == H5T_ENUM) {
    /* An enum over an integer type, as h5py writes numpy booleans: take its
     * integer value (HDF5 converts no enum to integers, so read it in the
     * enum's native form and convert the base type). */
    hid_t ft = H5Aget_type(a), mt = H5Tget_native_type(ft, H5T_DIR_ASCEND), sup = H5Tget_super(mt);
    unsigned char buf[sizeof(long long)] = {0};
    if (H5Tget_class(sup) != H5T_INTEGER || H5Tget_size(mt) > sizeof buf ||
        H5Aread(a, mt, buf) < 0 || H5Tconvert(sup, H5T_NATIVE_LLONG, 1, buf, NULL, H5P_DEFAULT) < 0)
      err = attn_fail(ATTN_ERR_INPUT, "attribute %s must be an integer (it is an enum)", name);
    else
      memcpy(v, buf, sizeof *v);
    H5Tclose(sup);
    H5Tclose(mt);
    H5Tclose(ft);
  } else if (c != H5T_INTEGER) {
    err = attn_fail(ATTN_ERR_INPUT, "attribute %s must be an integer (it is %s)", name,
                    class_name(c));
  } else if (H5Aread(a, H5T_NATIVE_LLONG, v) < 0) {
    err = attn_fail(ATTN_ERR_INPUT, "cannot read attribute %s as an integer", name);
  }
  H5Aclose(a);
  *present = err == ATTN_OK;
  return err;
}

/* Real attribute (float or integer class). */
static attn_err_t attr_real(hid_t file, const char *name, double *v, int *present) {
  hid_t a;
  *present = 0;
  ATTN_TRY(attr_open(file, name, &a));
  if (a < 0) return ATTN_OK;
  H5T_class_t c = attr_class(a);
  attn_err_t err = ATTN_OK;
  if (c != H5T_FLOAT && c != H5T_INTEGER)
    err =
        attn_fail(ATTN_ERR_INPUT, "attribute %s must be a number (it is %s)", name, class_name(c));
  else if (H5Aread(a, H5T_NATIVE_DOUBLE, v) < 0)
    err = attn_fail(ATTN_ERR_INPUT, "cannot read attribute %s as a number", name);
  H5Aclose(a);
  *present = err == ATTN_OK;
  return err;
}

/* String attribute, fixed or variable length, into out[cap]. */
static attn_err_t attr_str(hid_t file, const char *name, char *out, size_t cap, int *present) {
  hid_t a;
  *present = 0;
  ATTN_TRY(attr_open(file, name, &a));
  if (a < 0) return ATTN_OK;
  hid_t ft = H5Aget_type(a);
  attn_err_t err = ATTN_OK;
  if (H5Tget_class(ft) != H5T_STRING) {
    err = attn_fail(ATTN_ERR_INPUT, "attribute %s must be a string (it is %s)", name,
                    class_name(H5Tget_class(ft)));
  } else if (H5Tis_variable_str(ft) > 0) {
    hid_t mt = H5Tcopy(H5T_C_S1);
    H5Tset_size(mt, H5T_VARIABLE);
    H5Tset_cset(mt, H5Tget_cset(ft));
    char *s = NULL;
    if (H5Aread(a, mt, &s) < 0 || !s) {
      err = attn_fail(ATTN_ERR_INPUT, "cannot read attribute %s as a string", name);
    } else {
      snprintf(out, cap, "%s", s);
      H5free_memory(s);
    }
    H5Tclose(mt);
  } else {
    size_t n = H5Tget_size(ft);
    char *buf = calloc(n + 1, 1);
    hid_t mt = H5Tcopy(ft);
    if (!buf || H5Aread(a, mt, buf) < 0) {
      err = attn_fail(ATTN_ERR_INPUT, "cannot read attribute %s as a string", name);
    } else {
      buf[n] = '\0';
      /* Space-padded strings: drop the padding. */
      for (size_t i = strlen(buf); i > 0 && buf[i - 1] == ' '; i--)
        buf[i - 1] = '\0';
      snprintf(out, cap, "%s", buf);
    }
    H5Tclose(mt);
    free(buf);
  }
  H5Tclose(ft);
  H5Aclose(a);
  *present = err == ATTN_OK;
  return err;
}

/* ---- datasets ------------------------------------------------------------ */

static void format_dims(char *out, size_t cap, int nd, const hsize_t *d) {
  size_t o = (size_t)snprintf(out, cap, "[");
  for (int i = 0; i < nd && o < cap; i++)
    o += (size_t)snprintf(out + o, cap - o, "%s%llu", i ? ", " : "", (unsigned long long)d[i]);
  if (o < cap) snprintf(out + o, cap - o, "]");
}

/* Look up a dataset: presence, floating-point class, rank and dimensions. */
static attn_err_t dataset_shape(hid_t file, const char *name, int required, int *present, int *nd,
                                hsize_t dims[H5S_MAX_RANK]) {
  *present = 0;
  if (!attn_h5_exists(file, name)) {
    if (required) return attn_fail(ATTN_ERR_INPUT, "required dataset %s is missing", name);
    return ATTN_OK;
  }
  H5O_info_t info;
  if (H5Oget_info_by_name(file, name, &info, H5P_DEFAULT) < 0 || info.type != H5O_TYPE_DATASET)
    return attn_fail(ATTN_ERR_INPUT, "%s is not a dataset", name);
  hid_t d = H5Dopen2(file, name, H5P_DEFAULT);
  if (d < 0) return attn_fail(ATTN_ERR_INPUT, "cannot open dataset %s", name);
  hid_t t = H5Dget_type(d), sp = H5Dget_space(d);
  H5T_class_t c = H5Tget_class(t);
  attn_err_t err = ATTN_OK;
  if (c != H5T_FLOAT) {
    err = attn_fail(ATTN_ERR_INPUT, "dataset %s must hold floating-point numbers (it holds %s)",
                    name, class_name(c));
  } else if (H5Sget_simple_extent_type(sp) != H5S_SIMPLE) {
    err = attn_fail(ATTN_ERR_INPUT, "dataset %s must be an array (it is scalar or empty)", name);
  } else {
    *nd = H5Sget_simple_extent_dims(sp, dims, NULL);
    if (*nd < 0) err = attn_fail(ATTN_ERR_INPUT, "cannot read the shape of dataset %s", name);
  }
  H5Sclose(sp);
  H5Tclose(t);
  H5Dclose(d);
  *present = err == ATTN_OK;
  return err;
}

/* An optional or required dataset that must have exactly the shape want[nw]. */
static attn_err_t dataset_expect(hid_t file, const char *name, int required, int nw,
                                 const int64_t *want, int *present) {
  int nd = 0;
  hsize_t dims[H5S_MAX_RANK];
  ATTN_TRY(dataset_shape(file, name, required, present, &nd, dims));
  if (!*present) return ATTN_OK;
  int ok = nd == nw;
  for (int i = 0; ok && i < nd; i++)
    ok = (int64_t)dims[i] == want[i];
  if (!ok) {
    char got[128], exp[128];
    hsize_t w[4];
    for (int i = 0; i < nw; i++)
      w[i] = (hsize_t)want[i];
    format_dims(got, sizeof got, nd, dims);
    format_dims(exp, sizeof exp, nw, w);
    return attn_fail(ATTN_ERR_INPUT, "dataset %s has shape %s but must be %s", name, got, exp);
  }
  return ATTN_OK;
}

attn_err_t attn_h5_read_config(hid_t file, attn_config_t *cfg) {
  memset(cfg, 0, sizeof *cfg);
  int present, nd = 0;
  hsize_t dims[H5S_MAX_RANK];
  ATTN_TRY(dataset_shape(file, "/x", 1, &present, &nd, dims));
  if (nd != 2 && nd != 3) {
    char got[128];
    format_dims(got, sizeof got, nd, dims);
    return attn_fail(ATTN_ERR_INPUT, "dataset /x has shape %s but must be [B, T, C] or [T, C]",
                     got);
  }
  cfg->x_rank = nd;
  for (int i = 0; i < nd; i++)
    if (dims[i] > (hsize_t)1 << 56) {
      char got[128];
      format_dims(got, sizeof got, nd, dims);
      return attn_fail(ATTN_ERR_INPUT, "dataset /x has shape %s, too large to address", got);
    }
  cfg->B = nd == 3 ? (int64_t)dims[0] : 1;
  cfg->T = (int64_t)dims[nd - 2];
  cfg->C = (int64_t)dims[nd - 1];
  if (cfg->B <= 0 || cfg->T <= 0 || cfg->C <= 0) {
    char got[128];
    format_dims(got, sizeof got, nd, dims);
    return attn_fail(ATTN_ERR_INPUT, "dataset /x has an empty dimension (shape %s)", got);
  }

  long long iv;
  double dv;
  ATTN_TRY(attr_int(file, "num_heads", &iv, &present));
  if (!present) return attn_fail(ATTN_ERR_INPUT, "required attribute num_heads is missing");
  if (iv < 1) return attn_fail(ATTN_ERR_INPUT, "attribute num_heads = %lld must be >= 1", iv);
  cfg->H = iv;

  cfg->G = cfg->H;
  ATTN_TRY(attr_int(file, "num_kv_heads", &iv, &present));
  if (present) {
    if (iv < 1 || cfg->H % iv != 0)
      return attn_fail(ATTN_ERR_INPUT,
                       "attribute num_kv_heads = %lld must be >= 1 and divide num_heads = %lld", iv,
                       (long long)cfg->H);
    cfg->G = iv;
  }

  ATTN_TRY(attr_int(file, "head_dim", &iv, &present));
  if (present) {
    if (iv < 1) return attn_fail(ATTN_ERR_INPUT, "attribute head_dim = %lld must be >= 1", iv);
    cfg->D = iv;
  } else {
    if (cfg->C % cfg->H != 0)
      return attn_fail(ATTN_ERR_INPUT,
                       "attribute num_heads = %lld does not divide the width C = %lld of /x "
                       "(and no head_dim attribute is given)",
                       (long long)cfg->H, (long long)cfg->C);
    cfg->D = cfg->C / cfg->H;
  }

  ATTN_TRY(attr_int(file, "causal", &iv, &present));
  cfg->causal = 0;
  if (present) {
    if (iv != 0 && iv != 1)
      return attn_fail(ATTN_ERR_INPUT, "attribute causal = %lld must be 0 or 1", iv);
    cfg->causal = (int)iv;
  }
  ATTN_TRY(attr_int(file, "residual", &iv, &present));
  cfg->residual = 1;
  if (present) {
    if (iv != 0 && iv != 1)
      return attn_fail(ATTN_ERR_INPUT, "attribute residual = %lld must be 0 or 1", iv);
    cfg->residual = (int)iv;
  }

  char s[256];
  ATTN_TRY(attr_str(file, "norm", s, sizeof s, &present));
  cfg->norm = ATTN_NORM_LAYERNORM;
  if (present) ATTN_TRY(attn_norm_parse(s, &cfg->norm));
  ATTN_TRY(attr_str(file, "norm_position", s, sizeof s, &present));
  cfg->position = ATTN_POS_POST;
  if (present) ATTN_TRY(attn_pos_parse(s, &cfg->position));

  ATTN_TRY(attr_real(file, "norm_eps", &dv, &present));
  cfg->eps = 1e-5;
  if (present) {
    if (!isfinite(dv) || dv < 0.0)
      return attn_fail(ATTN_ERR_INPUT, "attribute norm_eps = %g must be finite and >= 0", dv);
    cfg->eps = dv;
  }
  ATTN_TRY(attr_real(file, "softmax_scale", &dv, &present));
  cfg->scale = 1.0 / sqrt((double)cfg->D);
  if (present) {
    if (!isfinite(dv))
      return attn_fail(ATTN_ERR_INPUT, "attribute softmax_scale = %g must be finite", dv);
    cfg->scale = dv;
  }

  /* Bounds that keep every size product in 64 bits: a crafted file (say
   * num_heads = 2^62 + 1, whose H*D wraps to a small number) is rejected
   * here instead of overflowing later. */
  const long long lim = 1LL << 24;
  if (cfg->H > lim || cfg->G > lim || cfg->D > lim)
    return attn_fail(ATTN_ERR_INPUT, "attribute %s = %lld is too large (at most %lld)",
                     cfg->H > lim   ? "num_heads"
                     : cfg->G > lim ? "num_kv_heads"
                                    : "head_dim",
                     (long long)(cfg->H > lim   ? cfg->H
                                 : cfg->G > lim ? cfg->G
                                                : cfg->D),
                     lim);
  int64_t bt, btc, bthd, hdc;
  if (__builtin_mul_overflow(cfg->B, cfg->T, &bt) || __builtin_mul_overflow(bt, cfg->C, &btc) ||
      __builtin_mul_overflow(bt, cfg->H * cfg->D, &bthd) ||
      __builtin_mul_overflow(cfg->H * cfg->D, cfg->C, &hdc) || btc > (1LL << 56) ||
      bthd > (1LL << 56) || hdc > (1LL << 56))
    return attn_fail(ATTN_ERR_INPUT,
                     "dataset /x [B=%lld, T=%lld, C=%lld] with num_heads * "
                     "head_dim = %lld is too large to address",
                     (long long)cfg->B, (long long)cfg->T, (long long)cfg->C,
                     (long long)(cfg->H * cfg->D));
  const int64_t HD = cfg->H * cfg->D, GD = cfg->G * cfg->D, C = cfg->C;
  const int64_t s_wq[2] = {HD, C}, s_wkv[2] = {GD, C}, s_wo[2] = {C, HD};
  ATTN_TRY(dataset_expect(file, "/wq", 1, 2, s_wq, &present));
  ATTN_TRY(dataset_expect(file, "/wk", 1, 2, s_wkv, &present));
  ATTN_TRY(dataset_expect(file, "/wv", 1, 2, s_wkv, &present));
  ATTN_TRY(dataset_expect(file, "/wo", 1, 2, s_wo, &present));
  ATTN_TRY(dataset_expect(file, "/bq", 0, 1, &HD, &cfg->has_bq));
  ATTN_TRY(dataset_expect(file, "/bk", 0, 1, &GD, &cfg->has_bk));
  ATTN_TRY(dataset_expect(file, "/bv", 0, 1, &GD, &cfg->has_bv));
  ATTN_TRY(dataset_expect(file, "/bo", 0, 1, &C, &cfg->has_bo));
  ATTN_TRY(dataset_expect(file, "/norm_weight", 0, 1, &C, &cfg->has_norm_weight));
  ATTN_TRY(dataset_expect(file, "/norm_bias", 0, 1, &C, &cfg->has_norm_bias));
  return ATTN_OK;
}

/* ---- block transfers ----------------------------------------------------- */

/* Select a piece of a block in the dataset's own coordinates. */
static herr_t select_file(hid_t fsp, int nd, const hsize_t *dims, const attn_block_t *b) {
  hsize_t start[3], count[3];
  if (nd == 3) {
    start[0] = (hsize_t)(b->r0 / (int64_t)dims[1]);
    start[1] = (hsize_t)(b->r0 % (int64_t)dims[1]);
    start[2] = (hsize_t)b->c0;
    count[0] = 1;
    count[1] = (hsize_t)b->nr;
    count[2] = (hsize_t)b->nc;
  } else if (nd == 2) {
    start[0] = (hsize_t)b->r0;
    start[1] = (hsize_t)b->c0;
    count[0] = (hsize_t)b->nr;
    count[1] = (hsize_t)b->nc;
  } else {
    start[0] = (hsize_t)b->c0;
    count[0] = (hsize_t)b->nc;
  }
  return H5Sselect_hyperslab(fsp, H5S_SELECT_SET, start, NULL, count, NULL);
}

typedef struct {
  int blk;
  attn_block_t part; /* rows/cols relative to the dataset */
  int64_t mr0, mc0;  /* offset of the piece inside its block in memory */
} piece_t;

/* Pieces of all blocks, each at most max_bytes of float32. */
static int64_t count_pieces(const attn_block_t *blk, int nblk, int64_t max_elems) {
  int64_t n = 0;
  for (int i = 0; i < nblk; i++) {
    if (blk[i].nr <= 0 || blk[i].nc <= 0) continue;
    int64_t cols = blk[i].nc < max_elems ? blk[i].nc : max_elems;
    int64_t rows = max_elems / cols;
    n += attn_chunk_count(blk[i].nr, rows) * attn_chunk_count(blk[i].nc, cols);
  }
  return n;
}

static int nth_piece(const attn_block_t *blk, int nblk, int64_t max_elems, int64_t k, piece_t *p) {
  for (int i = 0; i < nblk; i++) {
    if (blk[i].nr <= 0 || blk[i].nc <= 0) continue;
    int64_t cols = blk[i].nc < max_elems ? blk[i].nc : max_elems;
    int64_t rows = max_elems / cols;
    int64_t nrp = attn_chunk_count(blk[i].nr, rows), ncp = attn_chunk_count(blk[i].nc, cols);
    if (k >= nrp * ncp) {
      k -= nrp * ncp;
      continue;
    }
    int64_t pr = k / ncp, pc = k % ncp;
    p->blk = i;
    p->mr0 = pr * rows;
    p->mc0 = pc * cols;
    p->part.r0 = blk[i].r0 + p->mr0;
    p->part.c0 = blk[i].c0 + p->mc0;
    p->part.nr = blk[i].nr - p->mr0 < rows ? blk[i].nr - p->mr0 : rows;
    p->part.nc = blk[i].nc - p->mc0 < cols ? blk[i].nc - p->mc0 : cols;
    return 1;
  }
  return 0;
}

/* Shared engine of the collective reads and writes. */
static attn_err_t transfer_blocks(MPI_Comm comm, hid_t dset, const char *name, int writing,
                                  const attn_block_t *blk, int nblk, float *buf) {
  const int64_t max_elems = attn_io_max_bytes() / (int64_t)sizeof(float);
  int64_t *offset = malloc((size_t)(nblk + 1) * sizeof *offset);
  /* One all-reduce settles both the call count and whether anyone lacks
   * memory, so that either all ranks transfer or none does. */
  long long mine[2] = {count_pieces(blk, nblk, max_elems), offset == NULL}, most[2] = {0, 0};
  ATTN_MPI(MPI_Allreduce(mine, most, 2, MPI_LONG_LONG, MPI_MAX, comm));
  if (most[1]) {
    free(offset);
    return attn_fail(ATTN_ERR_INTERNAL, "out of memory for the transfer of %s", name);
  }
  offset[0] = 0;
  for (int i = 0; i < nblk; i++)
    offset[i + 1] = offset[i] + blk[i].nr * blk[i].nc;

  hid_t fsp = H5Dget_space(dset), dxpl = H5Pcreate(H5P_DATASET_XFER);
  hsize_t dims[H5S_MAX_RANK];
  int nd = H5Sget_simple_extent_dims(fsp, dims, NULL);
  H5Pset_dxpl_mpio(dxpl, H5FD_MPIO_COLLECTIVE);
  attn_err_t err = ATTN_OK;
  float dummy = 0.0f;
  /* Every rank makes `most` calls; errors are recorded but the loop goes on
   * so that no rank is left waiting in a collective transfer. */
  for (int64_t k = 0; k < most[0]; k++) {
    piece_t p;
    hid_t msp;
    float *base = &dummy;
    if (k < mine[0] && nth_piece(blk, nblk, max_elems, k, &p)) {
      hsize_t mdims[2] = {(hsize_t)blk[p.blk].nr, (hsize_t)blk[p.blk].nc};
      hsize_t mstart[2] = {(hsize_t)p.mr0, (hsize_t)p.mc0};
      hsize_t mcount[2] = {(hsize_t)p.part.nr, (hsize_t)p.part.nc};
      msp = H5Screate_simple(2, mdims, NULL);
      H5Sselect_hyperslab(msp, H5S_SELECT_SET, mstart, NULL, mcount, NULL);
      select_file(fsp, nd, dims, &p.part);
      base = buf + offset[p.blk];
    } else {
      hsize_t one = 1;
      msp = H5Screate_simple(1, &one, NULL);
      H5Sselect_none(msp);
      H5Sselect_none(fsp);
    }
    herr_t rc = writing ? H5Dwrite(dset, H5T_NATIVE_FLOAT, msp, fsp, dxpl, base)
                        : H5Dread(dset, H5T_NATIVE_FLOAT, msp, fsp, dxpl, base);
    if (rc < 0 && err == ATTN_OK)
      err = attn_fail(ATTN_ERR_IO, "cannot %s dataset %s", writing ? "write" : "read", name);
    H5Sclose(msp);
  }
  H5Pclose(dxpl);
  H5Sclose(fsp);
  free(offset);
  return err;
}

attn_err_t attn_h5_read_blocks(MPI_Comm comm, hid_t file, const char *name, const attn_block_t *blk,
                               int nblk, float *buf) {
  hid_t d = H5Dopen2(file, name, H5P_DEFAULT);
  if (d < 0) return attn_fail(ATTN_ERR_INPUT, "cannot open dataset %s", name);
  attn_err_t err = transfer_blocks(comm, d, name, 0, blk, nblk, buf);
  H5Dclose(d);
  if (err != ATTN_OK) return err;
  int64_t n = 0;
  for (int i = 0; i < nblk; i++)
    n += blk[i].nr * blk[i].nc;
  for (int64_t i = 0; i < n; i++)
    if (!isfinite(buf[i]))
      return attn_fail(ATTN_ERR_INPUT,
                       "dataset %s holds a non-finite value (NaN or Inf, or beyond float32 range)",
                       name);
  return ATTN_OK;
}

attn_err_t attn_h5_write_blocks(MPI_Comm comm, hid_t dset, const attn_block_t *blk, int nblk,
                                const float *buf) {
  return transfer_blocks(comm, dset, "/y", 1, blk, nblk, (float *)buf);
}
