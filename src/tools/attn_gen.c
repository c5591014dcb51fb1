/* attn_gen.c: writes a valid attn_hpc input file (contract section 2) filled
 * with seeded pseudo-random data.
 *
 * The data are a pure function of the seed and the shapes: every dataset
 * draws from its own splitmix64 stream, so adding or dropping optional
 * datasets (--no-bias, --norm-params) leaves the others unchanged, and only
 * integer arithmetic, multiplications and sqrt are used, so the same seed
 * gives the same bits on any IEEE-754 machine.
 *
 *   x            Irwin-Hall(4) rescaled: mean 0, variance 1, bell shaped
 *   wq, wk, wv   uniform(-1/sqrt(C), 1/sqrt(C))     like PyTorch nn.Linear
 *   wo           uniform(-1/sqrt(H*D), 1/sqrt(H*D))
 *   bq bk bv bo  uniform(-0.1, 0.1)
 *   norm_weight  uniform(0.9, 1.1);  norm_bias uniform(-0.1, 0.1)
 *
 * Serial HDF5 (default file access), no MPI_Init needed. The file is written
 * under a temporary name in the target folder and renamed into place. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <getopt.h>
#include <hdf5.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef ATTN_VERSION
#define ATTN_VERSION "0.1.0"
#endif

/* Exit statuses, the same classes as attn_hpc. */
enum { EXIT_USAGE = 2, EXIT_IO = 4, EXIT_INTERNAL = 5 };

/* Elements generated and written per hyperslab. */
#define GEN_BLOCK_ELEMS ((size_t)1 << 20)

typedef struct {
  const char *output;
  int64_t B, T, C, H, G, D;
  int has_B, has_G, has_D;
  int causal, has_causal;
  int residual, has_residual;
  const char *norm;          /* NULL: not written */
  const char *norm_position; /* NULL: not written */
  double eps, scale;
  int has_eps, has_scale;
  uint64_t seed;
  int f64, rank2, bias, norm_params, force, vlen_strings;
} gen_opts_t;

/* ---------------------------------------------------------------- errors */

static void die(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));

static void die(int code, const char *fmt, ...) {
  va_list ap;
  fputs("attn_gen: error: ", stderr);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  if (code == EXIT_USAGE) fputs("Try 'attn_gen --help' for more information.\n", stderr);
  exit(code);
}

/* The deepest HDF5 error description of the current stack, for messages. */
static char h5_reason_buf[256];

static herr_t h5_walk_cb(unsigned n, const H5E_error2_t *e, void *data) {
  (void)n;
  (void)data;
  if (e && e->desc && e->desc[0]) snprintf(h5_reason_buf, sizeof h5_reason_buf, "%s", e->desc);
  return 0;
}

static const char *h5_reason(void) {
  h5_reason_buf[0] = '\0';
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, h5_walk_cb, NULL);
  return h5_reason_buf[0] ? h5_reason_buf : "unknown HDF5 error";
}

/* ------------------------------------------------------------------- PRNG */

typedef struct {
  uint64_t state;
} gen_rng_t;

static uint64_t rng_next(gen_rng_t *r) {
  uint64_t z = (r->state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/* An independent stream per dataset: the state is a hash of (seed, id). */
static gen_rng_t rng_stream(uint64_t seed, uint64_t id) {
  gen_rng_t r = {seed};
  uint64_t a = rng_next(&r);
  gen_rng_t s = {a ^ (id * 0xD1B54A32D192ED03ull)};
  s.state = rng_next(&s);
  return s;
}

/* Uniform in [0, 1) with 53 random bits. */
static double rng_uniform(gen_rng_t *r) { return (double)(rng_next(r) >> 11) * 0x1.0p-53; }

/* Sum of four uniforms, centred and scaled to unit variance. */
static double rng_normalish(gen_rng_t *r) {
  double s = rng_uniform(r) + rng_uniform(r) + rng_uniform(r) + rng_uniform(r);
  return (s - 2.0) * sqrt(3.0);
}

/* ----------------------------------------------------------- HDF5 writes */

typedef enum { DIST_NORMAL, DIST_UNIFORM } gen_dist_t;

typedef struct {
  const char *name;
  uint64_t stream; /* fixed per dataset name, never reuse */
  gen_dist_t dist;
  double center, half; /* uniform: center + half*(2u-1) */
} gen_spec_t;

/* Writes one dataset of the given dims, generated in row-major order and
 * written in blocks of leading-dimension rows. Returns 0 or exits. */
static void write_dataset(hid_t file, const char *path, const gen_spec_t *spec, int rank,
                          const hsize_t *dims, hid_t ftype, uint64_t seed) {
  hsize_t row = 1;
  for (int i = 1; i < rank; i++)
    row *= dims[i];
  hsize_t rows_per_block = GEN_BLOCK_ELEMS / row ? GEN_BLOCK_ELEMS / row : 1;
  if (rows_per_block > dims[0]) rows_per_block = dims[0];
  size_t cap = (size_t)(rows_per_block * row);
  double *buf = malloc(cap * sizeof *buf);
  if (!buf) die(EXIT_INTERNAL, "out of memory generating /%s", spec->name);

  hid_t fspace = H5Screate_simple(rank, dims, NULL);
  hid_t dset = fspace < 0 ? -1
                          : H5Dcreate2(file, spec->name, ftype, fspace, H5P_DEFAULT, H5P_DEFAULT,
                                       H5P_DEFAULT);
  if (dset < 0) {
    free(buf);
    die(EXIT_IO, "cannot create dataset /%s in '%s': %s", spec->name, path, h5_reason());
  }

  gen_rng_t rng = rng_stream(seed, spec->stream);
  hsize_t start[H5S_MAX_RANK] = {0}, count[H5S_MAX_RANK];
  for (int i = 0; i < rank; i++)
    count[i] = dims[i];
  int ok = 1;
  for (hsize_t r0 = 0; ok && r0 < dims[0]; r0 += rows_per_block) {
    hsize_t nr = dims[0] - r0 < rows_per_block ? dims[0] - r0 : rows_per_block;
    size_t n = (size_t)(nr * row);
    for (size_t i = 0; i < n; i++)
      buf[i] = spec->dist == DIST_NORMAL
                   ? rng_normalish(&rng)
                   : spec->center + spec->half * (2.0 * rng_uniform(&rng) - 1.0);
    start[0] = r0;
    count[0] = nr;
    hsize_t mdim = (hsize_t)n;
    hid_t mspace = H5Screate_simple(1, &mdim, NULL);
    ok = mspace >= 0 &&
         H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, NULL, count, NULL) >= 0 &&
         H5Dwrite(dset, H5T_NATIVE_DOUBLE, mspace, fspace, H5P_DEFAULT, buf) >= 0;
    if (mspace >= 0) H5Sclose(mspace);
  }
  const char *why = ok ? NULL : h5_reason();
  free(buf);
  if (H5Dclose(dset) < 0 && ok) {
    ok = 0;
    why = h5_reason();
  }
  H5Sclose(fspace);
  if (!ok) die(EXIT_IO, "cannot write dataset /%s to '%s': %s", spec->name, path, why);
}

static int write_attr(hid_t file, const char *name, hid_t ftype, hid_t mtype, const void *value) {
  hid_t space = H5Screate(H5S_SCALAR);
  hid_t attr = space < 0 ? -1 : H5Acreate2(file, name, ftype, space, H5P_DEFAULT, H5P_DEFAULT);
  int ok = attr >= 0 && H5Awrite(attr, mtype, value) >= 0;
  if (attr >= 0 && H5Aclose(attr) < 0) ok = 0;
  if (space >= 0) H5Sclose(space);
  return ok ? 0 : -1;
}

static void attr_i64(hid_t file, const char *path, const char *name, int64_t v) {
  if (write_attr(file, name, H5T_STD_I64LE, H5T_NATIVE_INT64, &v) < 0)
    die(EXIT_IO, "cannot write attribute %s to '%s': %s", name, path, h5_reason());
}

static void attr_f64(hid_t file, const char *path, const char *name, double v) {
  if (write_attr(file, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &v) < 0)
    die(EXIT_IO, "cannot write attribute %s to '%s': %s", name, path, h5_reason());
}

/* Fixed-length (null-terminated, size strlen+1) or variable-length string. */
static void attr_str(hid_t file, const char *path, const char *name, const char *s, int vlen) {
  hid_t t = H5Tcopy(H5T_C_S1);
  int ok = t >= 0 && H5Tset_cset(t, H5T_CSET_ASCII) >= 0 &&
           H5Tset_strpad(t, H5T_STR_NULLTERM) >= 0 &&
           H5Tset_size(t, vlen ? H5T_VARIABLE : strlen(s) + 1) >= 0;
  if (ok) ok = write_attr(file, name, t, t, vlen ? (const void *)&s : (const void *)s) == 0;
  if (t >= 0) H5Tclose(t);
  if (!ok) die(EXIT_IO, "cannot write attribute %s to '%s': %s", name, path, h5_reason());
}

/* ------------------------------------------------------------- options */

static void print_help(void) {
  printf("Usage: attn_gen [OPTIONS] -o PATH\n"
         "Write an attn_hpc input file with seeded pseudo-random data.\n"
         "\n"
         "  -o, --output PATH       file to write (required)\n"
         "  -B, --batch N           batch size B (default 1)\n"
         "  -T, --tokens N          sequence length T (default 64)\n"
         "  -C, --width N           model width C (default 64)\n"
         "  -H, --heads N           query heads H (default 4)\n"
         "  -G, --kv-heads N        key/value heads G, divides H (attribute written\n"
         "                          only when given; default H)\n"
         "  -D, --head-dim N        head dimension D (attribute written only when\n"
         "                          given; default C/H, then H must divide C)\n"
         "      --causal 0|1        causal attribute\n"
         "      --norm NAME         layernorm, rmsnorm or none\n"
         "      --norm-position P   post or pre\n"
         "      --eps X             norm_eps attribute (>= 0)\n"
         "      --residual 0|1      residual attribute\n"
         "      --scale X           softmax_scale attribute (finite)\n"
         "      --seed N            random seed, unsigned 64-bit (default 1)\n"
         "      --dtype TYPE        float32 (default) or float64 datasets\n"
         "      --rank2             write /x as [T,C] (needs B = 1)\n"
         "      --no-bias           omit /bq, /bk, /bv, /bo\n"
         "      --norm-params       also write /norm_weight and /norm_bias\n"
         "      --vlen-strings      write string attributes as variable-length\n"
         "                          (default fixed-length)\n"
         "      --force             replace an existing output file\n"
         "  -h, --help              show this help\n"
         "      --version           show the version\n"
         "\n"
         "Attributes other than num_heads are written only when their option is\n"
         "given, so the engine's defaults apply otherwise.\n"
         "Exit status: 0 success, 2 usage error, 4 I/O error, 5 internal error.\n");
}

static int64_t parse_i64(const char *opt, const char *s, int64_t min) {
  char *end = NULL;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (errno || end == s || *end != '\0') die(EXIT_USAGE, "%s: '%s' is not an integer", opt, s);
  if (v < min) die(EXIT_USAGE, "%s: %s is out of range (minimum %lld)", opt, s, (long long)min);
  return (int64_t)v;
}

static int parse_bool(const char *opt, const char *s) {
  if (strcmp(s, "0") == 0) return 0;
  if (strcmp(s, "1") == 0) return 1;
  die(EXIT_USAGE, "%s: expected 0 or 1, got '%s'", opt, s);
}

/* A finite number; with nonneg, also >= 0 (the contract's range of norm_eps;
 * softmax_scale may be any finite number). */
static double parse_finite(const char *opt, const char *s, int nonneg) {
  char *end = NULL;
  errno = 0;
  double v = strtod(s, &end);
  if (errno || end == s || *end != '\0' || !isfinite(v))
    die(EXIT_USAGE, "%s: '%s' is not a finite number", opt, s);
  if (nonneg && v < 0.0) die(EXIT_USAGE, "%s: must be >= 0, got '%s'", opt, s);
  return v;
}

static const char *parse_choice(const char *opt, const char *s, const char *const *choices) {
  for (int i = 0; choices[i]; i++)
    if (strcmp(s, choices[i]) == 0) return choices[i];
  die(EXIT_USAGE, "%s: unknown value '%s'", opt, s);
}

/* a*b, or -1 when it would exceed INT64_MAX. Both operands are >= 1. */
static int64_t mul_checked(int64_t a, int64_t b) {
  if (a < 0 || b < 0 || a > INT64_MAX / b) return -1;
  return a * b;
}

enum {
  OPT_CAUSAL = 256,
  OPT_NORM,
  OPT_NORM_POS,
  OPT_EPS,
  OPT_RESIDUAL,
  OPT_SCALE,
  OPT_SEED,
  OPT_DTYPE,
  OPT_RANK2,
  OPT_NO_BIAS,
  OPT_NORM_PARAMS,
  OPT_FORCE,
  OPT_VERSION,
  OPT_VLEN
};

static void parse_args(int argc, char **argv, gen_opts_t *o) {
  static const struct option longopts[] = {{"output", required_argument, NULL, 'o'},
                                           {"batch", required_argument, NULL, 'B'},
                                           {"tokens", required_argument, NULL, 'T'},
                                           {"width", required_argument, NULL, 'C'},
                                           {"heads", required_argument, NULL, 'H'},
                                           {"kv-heads", required_argument, NULL, 'G'},
                                           {"head-dim", required_argument, NULL, 'D'},
                                           {"causal", required_argument, NULL, OPT_CAUSAL},
                                           {"norm", required_argument, NULL, OPT_NORM},
                                           {"norm-position", required_argument, NULL, OPT_NORM_POS},
                                           {"eps", required_argument, NULL, OPT_EPS},
                                           {"residual", required_argument, NULL, OPT_RESIDUAL},
                                           {"scale", required_argument, NULL, OPT_SCALE},
                                           {"seed", required_argument, NULL, OPT_SEED},
                                           {"dtype", required_argument, NULL, OPT_DTYPE},
                                           {"rank2", no_argument, NULL, OPT_RANK2},
                                           {"no-bias", no_argument, NULL, OPT_NO_BIAS},
                                           {"norm-params", no_argument, NULL, OPT_NORM_PARAMS},
                                           {"vlen-strings", no_argument, NULL, OPT_VLEN},
                                           {"force", no_argument, NULL, OPT_FORCE},
                                           {"help", no_argument, NULL, 'h'},
                                           {"version", no_argument, NULL, OPT_VERSION},
                                           {NULL, 0, NULL, 0}};
  static const char *const norms[] = {"layernorm", "rmsnorm", "none", NULL};
  static const char *const positions[] = {"post", "pre", NULL};
  static const char *const dtypes[] = {"float32", "float64", NULL};

  memset(o, 0, sizeof *o);
  o->B = 1;
  o->T = 64;
  o->C = 64;
  o->H = 4;
  o->seed = 1;
  o->bias = 1;

  opterr = 0;
  int c;
  while ((c = getopt_long(argc, argv, ":o:B:T:C:H:G:D:h", longopts, NULL)) != -1) {
    switch (c) {
    case 'o': o->output = optarg; break;
    case 'B':
      o->B = parse_i64("--batch", optarg, 1);
      o->has_B = 1;
      break;
    case 'T': o->T = parse_i64("--tokens", optarg, 1); break;
    case 'C': o->C = parse_i64("--width", optarg, 1); break;
    case 'H': o->H = parse_i64("--heads", optarg, 1); break;
    case 'G':
      o->G = parse_i64("--kv-heads", optarg, 1);
      o->has_G = 1;
      break;
    case 'D':
      o->D = parse_i64("--head-dim", optarg, 1);
      o->has_D = 1;
      break;
    case OPT_CAUSAL:
      o->causal = parse_bool("--causal", optarg);
      o->has_causal = 1;
      break;
    case OPT_NORM: o->norm = parse_choice("--norm", optarg, norms); break;
    case OPT_NORM_POS: o->norm_position = parse_choice("--norm-position", optarg, positions); break;
    case OPT_EPS:
      o->eps = parse_finite("--eps", optarg, 1);
      o->has_eps = 1;
      break;
    case OPT_RESIDUAL:
      o->residual = parse_bool("--residual", optarg);
      o->has_residual = 1;
      break;
    case OPT_SCALE:
      o->scale = parse_finite("--scale", optarg, 0);
      o->has_scale = 1;
      break;
    case OPT_SEED: {
      char *end = NULL;
      errno = 0;
      unsigned long long v = strtoull(optarg, &end, 0);
      if (errno || end == optarg || *end != '\0' || optarg[0] == '-')
        die(EXIT_USAGE, "--seed: '%s' is not an unsigned integer", optarg);
      o->seed = (uint64_t)v;
      break;
    }
    case OPT_DTYPE: o->f64 = parse_choice("--dtype", optarg, dtypes) == dtypes[1]; break;
    case OPT_RANK2: o->rank2 = 1; break;
    case OPT_NO_BIAS: o->bias = 0; break;
    case OPT_NORM_PARAMS: o->norm_params = 1; break;
    case OPT_VLEN: o->vlen_strings = 1; break;
    case OPT_FORCE: o->force = 1; break;
    case 'h': print_help(); exit(0);
    case OPT_VERSION: printf("attn_gen %s\n", ATTN_VERSION); exit(0);
    case ':': die(EXIT_USAGE, "option '%s' needs a value", argv[optind - 1]);
    default: die(EXIT_USAGE, "unknown option '%s'", argv[optind - 1]);
    }
  }
  if (optind < argc) die(EXIT_USAGE, "unexpected argument '%s'", argv[optind]);
  if (!o->output || !o->output[0]) die(EXIT_USAGE, "no output file (use -o PATH)");

  if (!o->has_G) o->G = o->H;
  if (o->H % o->G != 0)
    die(EXIT_USAGE, "--kv-heads %lld does not divide --heads %lld", (long long)o->G,
        (long long)o->H);
  if (!o->has_D) {
    if (o->C % o->H != 0)
      die(EXIT_USAGE, "--heads %lld does not divide --width %lld (give --head-dim to choose D)",
          (long long)o->H, (long long)o->C);
    o->D = o->C / o->H;
  }
  if (o->rank2 && o->B != 1) die(EXIT_USAGE, "--rank2 needs --batch 1, got %lld", (long long)o->B);
  int64_t n_x = mul_checked(mul_checked(o->B, o->T), o->C);
  int64_t hd = mul_checked(o->H, o->D);
  int64_t n_w = mul_checked(hd, o->C);
  if (n_x < 0 || hd < 0 || n_w < 0) die(EXIT_USAGE, "sizes too large (B*T*C or H*D*C overflows)");
}

/* -------------------------------------------------------------- main */

static void write_file(hid_t file, const char *path, const gen_opts_t *o) {
  /* Stream ids are fixed per dataset so each one is independent of the rest. */
  const double wc = 1.0 / sqrt((double)o->C);
  const double wo = 1.0 / sqrt((double)(o->H * o->D));
  const gen_spec_t x = {"x", 1, DIST_NORMAL, 0, 0};
  const gen_spec_t sq = {"wq", 2, DIST_UNIFORM, 0, wc};
  const gen_spec_t sk = {"wk", 3, DIST_UNIFORM, 0, wc};
  const gen_spec_t sv = {"wv", 4, DIST_UNIFORM, 0, wc};
  const gen_spec_t so = {"wo", 5, DIST_UNIFORM, 0, wo};
  const gen_spec_t bq = {"bq", 6, DIST_UNIFORM, 0, 0.1};
  const gen_spec_t bk = {"bk", 7, DIST_UNIFORM, 0, 0.1};
  const gen_spec_t bv = {"bv", 8, DIST_UNIFORM, 0, 0.1};
  const gen_spec_t bo = {"bo", 9, DIST_UNIFORM, 0, 0.1};
  const gen_spec_t nw = {"norm_weight", 10, DIST_UNIFORM, 1.0, 0.1};
  const gen_spec_t nb = {"norm_bias", 11, DIST_UNIFORM, 0, 0.1};

  hid_t ft = o->f64 ? H5T_IEEE_F64LE : H5T_IEEE_F32LE;
  hsize_t HD = (hsize_t)(o->H * o->D), GD = (hsize_t)(o->G * o->D), C = (hsize_t)o->C;

  if (o->rank2) {
    hsize_t d[2] = {(hsize_t)o->T, C};
    write_dataset(file, path, &x, 2, d, ft, o->seed);
  } else {
    hsize_t d[3] = {(hsize_t)o->B, (hsize_t)o->T, C};
    write_dataset(file, path, &x, 3, d, ft, o->seed);
  }
  hsize_t dq[2] = {HD, C}, dkv[2] = {GD, C}, dout[2] = {C, HD};
  write_dataset(file, path, &sq, 2, dq, ft, o->seed);
  write_dataset(file, path, &sk, 2, dkv, ft, o->seed);
  write_dataset(file, path, &sv, 2, dkv, ft, o->seed);
  write_dataset(file, path, &so, 2, dout, ft, o->seed);
  if (o->bias) {
    write_dataset(file, path, &bq, 1, &HD, ft, o->seed);
    write_dataset(file, path, &bk, 1, &GD, ft, o->seed);
    write_dataset(file, path, &bv, 1, &GD, ft, o->seed);
    write_dataset(file, path, &bo, 1, &C, ft, o->seed);
  }
  if (o->norm_params) {
    write_dataset(file, path, &nw, 1, &C, ft, o->seed);
    write_dataset(file, path, &nb, 1, &C, ft, o->seed);
  }

  attr_i64(file, path, "num_heads", o->H);
  if (o->has_G) attr_i64(file, path, "num_kv_heads", o->G);
  if (o->has_D) attr_i64(file, path, "head_dim", o->D);
  if (o->has_causal) attr_i64(file, path, "causal", o->causal);
  if (o->norm) attr_str(file, path, "norm", o->norm, o->vlen_strings);
  if (o->norm_position) attr_str(file, path, "norm_position", o->norm_position, o->vlen_strings);
  if (o->has_eps) attr_f64(file, path, "norm_eps", o->eps);
  if (o->has_residual) attr_i64(file, path, "residual", o->residual);
  if (o->has_scale) attr_f64(file, path, "softmax_scale", o->scale);
}

/* The temporary file, removed by the exit handler unless renamed into place. */
static char *g_tmp_path = NULL;
static hid_t g_tmp_file = -1;

static void cleanup_tmp(void) {
  if (g_tmp_file >= 0) H5Fclose(g_tmp_file);
  g_tmp_file = -1;
  if (g_tmp_path) remove(g_tmp_path);
}

int main(int argc, char **argv) {
  gen_opts_t o;
  parse_args(argc, argv, &o);
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);

  struct stat st;
  if (stat(o.output, &st) == 0) {
    if (S_ISDIR(st.st_mode)) die(EXIT_IO, "'%s' is a directory", o.output);
    if (!o.force) die(EXIT_IO, "'%s' already exists (use --force to replace it)", o.output);
  }

  size_t n = strlen(o.output) + 32;
  char *tmp = malloc(n);
  if (!tmp) die(EXIT_INTERNAL, "out of memory");
  snprintf(tmp, n, "%s.tmp.%ld", o.output, (long)getpid());

  hid_t file = H5Fcreate(tmp, H5F_ACC_EXCL, H5P_DEFAULT, H5P_DEFAULT);
  if (file < 0)
    die(EXIT_IO, "cannot create '%s' (as temporary '%s'): %s", o.output, tmp, h5_reason());
  g_tmp_path = tmp;
  g_tmp_file = file;
  atexit(cleanup_tmp);

  write_file(file, tmp, &o);

  g_tmp_file = -1;
  if (H5Fclose(file) < 0) die(EXIT_IO, "cannot close '%s': %s", tmp, h5_reason());

  if (o.force) {
    if (rename(tmp, o.output) != 0)
      die(EXIT_IO, "cannot rename '%s' to '%s': %s", tmp, o.output, strerror(errno));
  } else {
    /* link() fails if the output appeared meanwhile: never clobber it. */
    if (link(tmp, o.output) != 0) {
      if (errno == EEXIST)
        die(EXIT_IO, "'%s' already exists (use --force to replace it)", o.output);
      if (access(o.output, F_OK) == 0)
        die(EXIT_IO, "'%s' already exists (use --force to replace it)", o.output);
      if (rename(tmp, o.output) != 0)
        die(EXIT_IO, "cannot rename '%s' to '%s': %s", tmp, o.output, strerror(errno));
    }
  }
  remove(tmp); /* after link(); a no-op after rename() */
  g_tmp_path = NULL;
  free(tmp);

  printf("attn_gen: wrote %s (B=%lld T=%lld C=%lld H=%lld G=%lld D=%lld, %s%s, seed %llu)\n",
         o.output, (long long)o.B, (long long)o.T, (long long)o.C, (long long)o.H, (long long)o.G,
         (long long)o.D, o.f64 ? "float64" : "float32", o.rank2 ? ", /x rank 2" : "",
         (unsigned long long)o.seed);
  return 0;
}
