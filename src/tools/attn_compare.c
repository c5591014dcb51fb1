/* attn_compare.c: compares one dataset (default /y) of two HDF5 files
 * element by element against |a - b| <= atol + rtol*|b| (contract section 4).
 *
 * A is the result under test, B the reference: relative figures divide by
 * |b|. Both datasets are read as double (any integer or floating type) in
 * blocks of leading-dimension rows, so two files of any size are compared in
 * bounded memory. NaN in either file counts as outside the tolerance; equal
 * infinities count as equal.
 *
 * Exit status: 0 within tolerance, 1 different (shape mismatch included),
 * 2 error (bad arguments, missing file or dataset, unreadable data). */
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
#include <unistd.h>

#ifndef ATTN_VERSION
#define ATTN_VERSION "0.1.0"
#endif

enum { EXIT_SAME = 0, EXIT_DIFFERENT = 1, EXIT_ERROR = 2 };

/* Elements read per file per block. */
#define CMP_BLOCK_ELEMS ((size_t)1 << 20)

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...) {
  va_list ap;
  fputs("attn_compare: error: ", stderr);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  exit(EXIT_ERROR);
}

static char h5_reason_buf[256];

static herr_t h5_walk_cb(unsigned n, const H5E_error2_t *e, void *data) {
  (void)n;
  (void)data;
  if (e && e->desc && e->desc[0]) snprintf(h5_reason_buf, sizeof h5_reason_buf, "%s", e->desc);
  return 0;
}

/* The deepest HDF5 error description of the current stack. */
static const char *h5_reason(void) {
  h5_reason_buf[0] = '\0';
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, h5_walk_cb, NULL);
  return h5_reason_buf[0] ? h5_reason_buf : "unknown HDF5 error";
}

typedef struct {
  const char *path;
  hid_t file, dset, space;
  int rank;
  hsize_t dims[H5S_MAX_RANK];
} cmp_src_t;

static void src_open(cmp_src_t *s, const char *path, const char *name) {
  s->path = path;
  if (access(path, R_OK) != 0) die("cannot read '%s': %s", path, strerror(errno));
  htri_t is = H5Fis_hdf5(path);
  if (is <= 0) die("'%s' is not an HDF5 file", path);
  s->file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (s->file < 0) die("cannot open '%s': %s", path, h5_reason());
  s->dset = H5Dopen2(s->file, name, H5P_DEFAULT);
  if (s->dset < 0) die("no dataset '%s' in '%s'", name, path);
  hid_t t = H5Dget_type(s->dset);
  H5T_class_t cls = t < 0 ? H5T_NO_CLASS : H5Tget_class(t);
  if (t >= 0) H5Tclose(t);
  if (cls != H5T_FLOAT && cls != H5T_INTEGER)
    die("dataset '%s' in '%s' is not numeric (integer or floating point)", name, path);
  s->space = H5Dget_space(s->dset);
  s->rank = s->space < 0 ? -1 : H5Sget_simple_extent_ndims(s->space);
  if (s->rank < 0 || H5Sget_simple_extent_dims(s->space, s->dims, NULL) < 0)
    die("cannot read the shape of '%s' in '%s': %s", name, path, h5_reason());
}

static void src_close(cmp_src_t *s) {
  H5Sclose(s->space);
  H5Dclose(s->dset);
  H5Fclose(s->file);
}

static void print_shape(FILE *f, int rank, const hsize_t *dims) {
  fputc('[', f);
  for (int i = 0; i < rank; i++)
    fprintf(f, "%s%llu", i ? "," : "", (unsigned long long)dims[i]);
  fputc(']', f);
}

/* Prints a linear index as a multi-index in the given shape. */
static void print_index(FILE *f, uint64_t idx, int rank, const hsize_t *dims) {
  uint64_t sub[H5S_MAX_RANK];
  for (int i = rank - 1; i >= 0; i--) {
    sub[i] = dims[i] ? idx % dims[i] : 0;
    idx = dims[i] ? idx / dims[i] : 0;
  }
  fputc('[', f);
  for (int i = 0; i < rank; i++)
    fprintf(f, "%s%llu", i ? "," : "", (unsigned long long)sub[i]);
  fputc(']', f);
}

typedef struct {
  uint64_t total, outside, nonfinite, finite, nonzero_b;
  double max_abs, max_rel, sum_sq, sum_sq_b;
  uint64_t at_abs, at_rel;
  double a_abs, b_abs, a_rel, b_rel;
} cmp_stats_t;

static void accumulate(cmp_stats_t *st, const double *a, const double *b, size_t n, uint64_t base,
                       double rtol, double atol) {
  for (size_t i = 0; i < n; i++) {
    double x = a[i], y = b[i];
    st->total++;
    if (!isfinite(x) || !isfinite(y)) {
      if (x == y) continue; /* the same infinity */
      st->outside++;
      st->nonfinite++;
      continue;
    }
    double d = fabs(x - y);
    st->finite++;
    st->sum_sq += d * d;
    st->sum_sq_b += y * y;
    if (d > st->max_abs || st->finite == 1) {
      st->max_abs = d;
      st->at_abs = base + i;
      st->a_abs = x;
      st->b_abs = y;
    }
    if (y != 0.0) {
      double r = d / fabs(y);
      if (r > st->max_rel || st->nonzero_b == 0) {
        st->max_rel = r;
        st->at_rel = base + i;
        st->a_rel = x;
        st->b_rel = y;
      }
      st->nonzero_b++;
    }
    if (!(d <= atol + rtol * fabs(y))) st->outside++;
  }
}

static void read_block(cmp_src_t *s, int rank, const hsize_t *start, const hsize_t *count,
                       double *buf, size_t n) {
  hsize_t m = (hsize_t)n;
  hid_t mspace = H5Screate_simple(1, &m, NULL);
  int ok = mspace >= 0;
  if (ok && rank > 0)
    ok = H5Sselect_hyperslab(s->space, H5S_SELECT_SET, start, NULL, count, NULL) >= 0;
  if (ok)
    ok = H5Dread(s->dset, H5T_NATIVE_DOUBLE, mspace, rank > 0 ? s->space : H5S_ALL, H5P_DEFAULT,
                 buf) >= 0;
  if (mspace >= 0) H5Sclose(mspace);
  if (!ok) die("cannot read '%s': %s", s->path, h5_reason());
}

static double parse_tol(const char *opt, const char *s) {
  char *end = NULL;
  errno = 0;
  double v = strtod(s, &end);
  if (errno || end == s || *end != '\0' || !isfinite(v) || v < 0)
    die("%s: expected a finite number >= 0, got '%s'", opt, s);
  return v;
}

static void print_help(void) {
  printf("Usage: attn_compare A.h5 B.h5 [--rtol R] [--atol A] [--dataset NAME]\n"
         "Compare dataset NAME (default /y) of A (under test) and B (reference):\n"
         "an element passes when |a - b| <= atol + rtol*|b|; NaN never passes.\n"
         "\n"
         "  --rtol R          relative tolerance (default 1e-4)\n"
         "  --atol A          absolute tolerance (default 1e-5)\n"
         "  --dataset NAME    dataset to compare (default /y)\n"
         "  -h, --help        show this help\n"
         "  --version         show the version\n"
         "\n"
         "Prints the maximum absolute error, the maximum relative error\n"
         "|a-b|/|b| over elements with b != 0, the RMS error and the number of\n"
         "elements outside the tolerance.\n"
         "Exit status: 0 within tolerance, 1 different (or shapes differ), 2 error.\n");
}

int main(int argc, char **argv) {
  static const struct option longopts[] = {
      {"rtol", required_argument, NULL, 'r'},    {"atol", required_argument, NULL, 'a'},
      {"dataset", required_argument, NULL, 'd'}, {"help", no_argument, NULL, 'h'},
      {"version", no_argument, NULL, 'V'},       {NULL, 0, NULL, 0}};
  double rtol = 1e-4, atol = 1e-5;
  const char *name = "/y";
  opterr = 0;
  int c;
  while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
    switch (c) {
    case 'r': rtol = parse_tol("--rtol", optarg); break;
    case 'a': atol = parse_tol("--atol", optarg); break;
    case 'd': name = optarg; break;
    case 'h': print_help(); return 0;
    case 'V': printf("attn_compare %s\n", ATTN_VERSION); return 0;
    case ':': die("option '%s' needs a value", argv[optind - 1]);
    default: die("unknown option '%s' (see --help)", argv[optind - 1]);
    }
  }
  if (argc - optind != 2)
    die("expected two files, got %d (usage: attn_compare A.h5 B.h5 [--rtol R] "
        "[--atol A] [--dataset NAME])",
        argc - optind);
  if (!name[0]) die("--dataset: empty name");

  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  cmp_src_t A, B;
  src_open(&A, argv[optind], name);
  src_open(&B, argv[optind + 1], name);

  int same_shape = A.rank == B.rank;
  for (int i = 0; same_shape && i < A.rank; i++)
    same_shape = A.dims[i] == B.dims[i];
  if (!same_shape) {
    printf("attn_compare: shape mismatch in %s: ", name);
    print_shape(stdout, A.rank, A.dims);
    printf(" in %s vs ", A.path);
    print_shape(stdout, B.rank, B.dims);
    printf(" in %s\n", B.path);
    printf("attn_compare: FAIL (shapes differ)\n");
    src_close(&A);
    src_close(&B);
    H5close();
    return EXIT_DIFFERENT;
  }

  int rank = A.rank;
  hsize_t rows = rank > 0 ? A.dims[0] : 1, row = 1;
  for (int i = 1; i < rank; i++)
    row *= A.dims[i];
  hsize_t per = row ? (CMP_BLOCK_ELEMS / row ? CMP_BLOCK_ELEMS / row : 1) : rows;
  if (per > rows) per = rows;
  size_t cap = (size_t)(per * row);
  double *a = malloc((cap ? cap : 1) * sizeof *a), *b = malloc((cap ? cap : 1) * sizeof *b);
  if (!a || !b) die("out of memory (%zu elements per block)", cap);

  cmp_stats_t st;
  memset(&st, 0, sizeof st);
  hsize_t start[H5S_MAX_RANK] = {0}, count[H5S_MAX_RANK];
  for (int i = 0; i < rank; i++)
    count[i] = A.dims[i];
  for (hsize_t r0 = 0; row > 0 && r0 < rows; r0 += per) {
    hsize_t nr = rows - r0 < per ? rows - r0 : per;
    size_t n = (size_t)(nr * row);
    start[0] = r0;
    if (rank > 0) count[0] = nr;
    read_block(&A, rank, start, count, a, n);
    read_block(&B, rank, start, count, b, n);
    accumulate(&st, a, b, n, (uint64_t)(r0 * row), rtol, atol);
  }
  free(a);
  free(b);

  printf("attn_compare: %s: %s vs %s (reference), shape ", name, A.path, B.path);
  print_shape(stdout, rank, A.dims);
  printf(", %llu elements\n", (unsigned long long)st.total);
  printf("  max abs error: %.6g", st.max_abs);
  if (st.finite) {
    printf(" at ");
    print_index(stdout, st.at_abs, rank, A.dims);
    printf(" (a=%.9g, b=%.9g)", st.a_abs, st.b_abs);
  }
  printf("\n  max rel error: %.6g", st.max_rel);
  if (st.nonzero_b) {
    printf(" at ");
    print_index(stdout, st.at_rel, rank, A.dims);
    printf(" (a=%.9g, b=%.9g; over elements with b != 0)", st.a_rel, st.b_rel);
  }
  double rms = st.finite ? sqrt(st.sum_sq / (double)st.finite) : 0.0;
  double rms_b = st.finite ? sqrt(st.sum_sq_b / (double)st.finite) : 0.0;
  printf("\n  rms error:     %.6g (rms of b: %.6g)\n", rms, rms_b);
  if (st.nonfinite)
    printf("  non-finite:    %llu elements with NaN or unequal infinities\n",
           (unsigned long long)st.nonfinite);
  printf("  outside tolerance: %llu of %llu\n", (unsigned long long)st.outside,
         (unsigned long long)st.total);
  int pass = st.outside == 0;
  printf("attn_compare: %s (%llu of %llu elements outside |a-b| <= %g + %g*|b|)\n",
         pass ? "PASS" : "FAIL", (unsigned long long)st.outside, (unsigned long long)st.total, atol,
         rtol);

  src_close(&A);
  src_close(&B);
  H5close();
  return pass ? EXIT_SAME : EXIT_DIFFERENT;
}
