/* output.c: atomic parallel-HDF5 output with the resolved configuration and
 * the /provenance group. */
#define _GNU_SOURCE
#include "attn/output.h"

#include "attn/fault.h"
#include "attn/platform.h"

#include <errno.h>
#include <fcntl.h>
#include <hdf5.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

/* Folder part of a path ("." when it has none). */
static void dir_of(const char *path, char *out, size_t cap) {
  const char *slash = strrchr(path, '/');
  if (!slash)
    snprintf(out, cap, ".");
  else if (slash == path)
    snprintf(out, cap, "/");
  else
    snprintf(out, cap, "%.*s", (int)(slash - path), path);
}

/* The folder of `path` must exist and be writable; `what` names the file. */
static attn_err_t check_folder(const char *path, const char *what) {
  char dir[PATH_MAX];
  dir_of(path, dir, sizeof dir);
  struct stat sd;
  if (stat(dir, &sd) != 0)
    return attn_fail(ATTN_ERR_IO, "%s folder '%s' does not exist", what, dir);
  if (!S_ISDIR(sd.st_mode))
    return attn_fail(ATTN_ERR_IO, "%s folder '%s' is not a folder", what, dir);
  if (access(dir, W_OK | X_OK) != 0)
    return attn_fail(ATTN_ERR_IO, "%s folder '%s' is not writable: %s", what, dir, strerror(errno));
  return ATTN_OK;
}

/* A path with its folder resolved (the file itself need not exist). */
static void canon_path(const char *path, char *out, size_t cap) {
  char dir[PATH_MAX], real[PATH_MAX];
  dir_of(path, dir, sizeof dir);
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  if (realpath(dir, real))
    snprintf(out, cap, "%s/%s", real, base);
  else
    snprintf(out, cap, "%s", path);
}

attn_err_t attn_paths_check(const char *input, const char *output, const char *timing, int force) {
  struct stat si, so;
  if (stat(input, &si) != 0)
    return attn_fail(ATTN_ERR_IO, "cannot open input '%s': %s", input, strerror(errno));
  if (S_ISDIR(si.st_mode))
    return attn_fail(ATTN_ERR_IO, "input '%s' is a folder, not an HDF5 file", input);
  if (!S_ISREG(si.st_mode))
    return attn_fail(ATTN_ERR_IO, "input '%s' is not a regular file", input);
  if (si.st_size == 0)
    return attn_fail(ATTN_ERR_IO, "input '%s' is empty, not an HDF5 file", input);
  if (access(input, R_OK) != 0)
    return attn_fail(ATTN_ERR_IO, "input '%s' is not readable: %s", input, strerror(errno));

  ATTN_TRY(check_folder(output, "output"));
  if (stat(output, &so) == 0) {
    if (so.st_dev == si.st_dev && so.st_ino == si.st_ino)
      return attn_fail(ATTN_ERR_USAGE, "the output '%s' is the input file; choose another -o",
                       output);
    if (S_ISDIR(so.st_mode)) return attn_fail(ATTN_ERR_IO, "output '%s' is a folder", output);
    if (!force)
      return attn_fail(ATTN_ERR_IO, "output '%s' exists; use --force to replace it", output);
  }
  if (timing) {
    char ct[2 * PATH_MAX], co[2 * PATH_MAX];
    canon_path(timing, ct, sizeof ct);
    canon_path(output, co, sizeof co);
    if (strcmp(ct, co) == 0)
      return attn_fail(ATTN_ERR_USAGE, "the timing report '%s' and the output are the same file",
                       timing);
    ATTN_TRY(check_folder(timing, "timing report"));
    if (stat(timing, &so) == 0 && S_ISDIR(so.st_mode))
      return attn_fail(ATTN_ERR_IO, "timing report '%s' is a folder", timing);
    if (stat(timing, &so) == 0 && so.st_dev == si.st_dev && so.st_ino == si.st_ino)
      return attn_fail(ATTN_ERR_USAGE, "the timing report '%s' is the input file", timing);
  }
  return ATTN_OK;
}

attn_err_t attn_space_check(const char *output, int64_t bytes) {
  char dir[PATH_MAX];
  dir_of(output, dir, sizeof dir);
  struct statvfs sv;
  if (statvfs(dir, &sv) != 0) return ATTN_OK; /* cannot tell: let the write decide */
  const double avail = (double)sv.f_bavail * (double)sv.f_frsize;
  const double need = (double)bytes + 65536.0; /* data plus metadata */
  if (avail < need)
    return attn_fail(ATTN_ERR_IO,
                     "not enough space for the output in folder '%s': it needs about %.2f MiB, "
                     "%.2f MiB are free",
                     dir, need / 1048576.0, avail / 1048576.0);
  return ATTN_OK;
}

/* Collective attribute writers (every rank calls them with the same values). */
static herr_t put_int(hid_t loc, const char *name, long long v) {
  hid_t sp = H5Screate(H5S_SCALAR);
  hid_t a = H5Acreate2(loc, name, H5T_STD_I64LE, sp, H5P_DEFAULT, H5P_DEFAULT);
  herr_t rc = a < 0 ? -1 : H5Awrite(a, H5T_NATIVE_LLONG, &v);
  if (a >= 0) H5Aclose(a);
  H5Sclose(sp);
  return rc;
}

static herr_t put_real(hid_t loc, const char *name, double v) {
  hid_t sp = H5Screate(H5S_SCALAR);
  hid_t a = H5Acreate2(loc, name, H5T_IEEE_F64LE, sp, H5P_DEFAULT, H5P_DEFAULT);
  herr_t rc = a < 0 ? -1 : H5Awrite(a, H5T_NATIVE_DOUBLE, &v);
  if (a >= 0) H5Aclose(a);
  H5Sclose(sp);
  return rc;
}

static herr_t put_str(hid_t loc, const char *name, const char *v) {
  hid_t t = H5Tcopy(H5T_C_S1);
  H5Tset_size(t, H5T_VARIABLE);
  H5Tset_cset(t, H5T_CSET_UTF8);
  hid_t sp = H5Screate(H5S_SCALAR);
  hid_t a = H5Acreate2(loc, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
  herr_t rc = a < 0 ? -1 : H5Awrite(a, t, &v);
  if (a >= 0) H5Aclose(a);
  H5Sclose(sp);
  H5Tclose(t);
  return rc;
}

static herr_t put_config(hid_t f, const attn_config_t *c) {
  herr_t rc = 0;
  rc |= put_int(f, "num_heads", c->H);
  rc |= put_int(f, "num_kv_heads", c->G);
  rc |= put_int(f, "head_dim", c->D);
  rc |= put_int(f, "causal", c->causal);
  rc |= put_str(f, "norm", attn_norm_name(c->norm));
  rc |= put_str(f, "norm_position", attn_pos_name(c->position));
  rc |= put_real(f, "norm_eps", c->eps);
  rc |= put_int(f, "residual", c->residual);
  rc |= put_real(f, "softmax_scale", c->scale);
  return rc < 0 ? -1 : 0;
}

/* Root broadcasts a string; on return every rank holds a malloc'd copy. */
static attn_err_t bcast_str(MPI_Comm comm, const char *in, char **out) {
  int rank;
  ATTN_MPI(MPI_Comm_rank(comm, &rank));
  long long n = rank == 0 ? (long long)strlen(in) + 1 : 0;
  ATTN_MPI(MPI_Bcast(&n, 1, MPI_LONG_LONG, 0, comm));
  *out = malloc((size_t)n);
  /* Every rank learns whether any lacks memory before the second broadcast. */
  int bad = *out == NULL, any = 0;
  ATTN_MPI(MPI_Allreduce(&bad, &any, 1, MPI_INT, MPI_MAX, comm));
  if (any) {
    free(*out);
    *out = NULL;
    return attn_fail(ATTN_ERR_INTERNAL, "out of memory");
  }
  if (rank == 0) memcpy(*out, in, (size_t)n);
  ATTN_MPI(MPI_Bcast(*out, (int)n, MPI_CHAR, 0, comm));
  return ATTN_OK;
}

static herr_t put_provenance(hid_t f, const attn_prov_t *p, const char *when, const char *inabs,
                             const char *arch) {
  hid_t g = H5Gcreate2(f, "provenance", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  if (g < 0) return -1;
  char grid[64];
  snprintf(grid, sizeof grid, "%dx%d", p->PH, p->PS);
  herr_t rc = 0;
  rc |= put_str(g, "software", "attn_hpc");
  rc |= put_str(g, "version", ATTN_VERSION);
  rc |= put_str(g, "source_revision", ATTN_GIT_REV);
  rc |= put_str(g, "command_line", p->command_line);
  rc |= put_str(g, "utc_time", when);
  rc |= put_int(g, "ranks", p->ranks);
  rc |= put_str(g, "grid", grid);
  rc |= put_int(g, "threads_per_rank", p->threads); /* OpenMP and BLIS alike */
  rc |= put_str(g, "blis_kernel_set", arch);
  rc |= put_str(g, "input", inabs);
  rc |= put_str(g, "hdf5_version", H5_VERS_INFO);
  H5Gclose(g);
  return rc < 0 ? -1 : 0;
}

/* Everything between creating the temporary file and closing it. */
static attn_err_t write_file(MPI_Comm comm, const char *tmp, const attn_config_t *cfg,
                             const attn_prov_t *prov, const char *when, const char *inabs,
                             const char *arch, const attn_result_t *res) {
  hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
  H5Pset_fapl_mpio(fapl, comm, MPI_INFO_NULL);
  H5Pset_all_coll_metadata_ops(fapl, 1);
  H5Pset_coll_metadata_write(fapl, 1);
  hid_t f = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
  H5Pclose(fapl);
  attn_err_t err =
      attn_agree(comm, f < 0 ? attn_fail(ATTN_ERR_IO, "cannot create '%s'", tmp) : ATTN_OK);
  if (err != ATTN_OK) {
    if (f >= 0) H5Fclose(f);
    return err;
  }
  hsize_t dims[3] = {(hsize_t)cfg->B, (hsize_t)cfg->T, (hsize_t)cfg->C};
  hid_t sp =
      cfg->x_rank == 3 ? H5Screate_simple(3, dims, NULL) : H5Screate_simple(2, dims + 1, NULL);
  hid_t d = H5Dcreate2(f, "y", H5T_IEEE_F32LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Sclose(sp);
  if (d < 0)
    err = attn_fail(ATTN_ERR_IO, "cannot create dataset /y in '%s'", tmp);
  else if (put_config(f, cfg) < 0 || put_provenance(f, prov, when, inabs, arch) < 0)
    err = attn_fail(ATTN_ERR_IO, "cannot write the attributes of '%s'", tmp);
  err = attn_agree(comm, err);
  if (err == ATTN_OK)
    err = attn_agree(comm, attn_h5_write_blocks(comm, d, res->blk, res->nblk, res->y));
  if (d >= 0) H5Dclose(d);
  if (H5Fclose(f) < 0 && err == ATTN_OK) err = attn_fail(ATTN_ERR_IO, "cannot close '%s'", tmp);
  return attn_agree(comm, err);
}

attn_err_t attn_output_write(MPI_Comm comm, const char *output, const attn_config_t *cfg,
                             const attn_prov_t *prov, const attn_result_t *res, char *tmp_out,
                             size_t cap) {
  int rank;
  ATTN_MPI(MPI_Comm_rank(comm, &rank));
  char when0[64] = "", inabs0[PATH_MAX] = "";
  attn_err_t err = ATTN_OK;
  tmp_out[0] = '\0';
  if (rank == 0) err = attn_space_check(output, cfg->B * cfg->T * cfg->C * (int64_t)sizeof(float));
  if (rank == 0 && err == ATTN_OK) {
    char dir[PATH_MAX / 2];
    dir_of(output, dir, sizeof dir);
    const char *base = strrchr(output, '/');
    base = base ? base + 1 : output;
    int fd = -1;
    errno = ENAMETOOLONG;
    if ((size_t)snprintf(tmp_out, cap, "%s/.%.*s.tmp.XXXXXX", dir, PATH_MAX / 2, base) < cap)
      fd = mkstemp(tmp_out);
    if (fd < 0) {
      err = attn_fail(ATTN_ERR_IO, "cannot create a temporary file in '%s': %s", dir,
                      strerror(errno));
      tmp_out[0] = '\0';
    } else {
      attn_cleanup_arm(tmp_out);
      /* mkstemp makes the file 0600; the result should have the usual mode. */
      mode_t mask = umask(0);
      umask(mask);
      fchmod(fd, 0666 & ~mask);
      close(fd);
    }
    time_t now = time(NULL);
    struct tm tmv;
    strftime(when0, sizeof when0, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tmv));
    if (!realpath(prov->input, inabs0)) snprintf(inabs0, sizeof inabs0, "%s", prov->input);
  }
  err = attn_agree(comm, err);
  if (err != ATTN_OK) return err;
  /* Attribute values must be the same on every rank: rank 0's are sent. */
  char *tmp = NULL, *when = NULL, *inabs = NULL, *cmd = NULL, *arch = NULL;
  err = bcast_str(comm, tmp_out, &tmp);
  if (err == ATTN_OK) err = bcast_str(comm, when0, &when);
  if (err == ATTN_OK) err = bcast_str(comm, inabs0, &inabs);
  if (err == ATTN_OK) err = bcast_str(comm, prov->command_line, &cmd);
  if (err == ATTN_OK) err = bcast_str(comm, rank == 0 ? attn_blis_arch_name() : "", &arch);
  err = attn_agree(comm, err);
  attn_fault_point(rank, "write");
  if (err == ATTN_OK) {
    attn_prov_t p = *prov;
    p.command_line = cmd;
    err = write_file(comm, tmp, cfg, &p, when, inabs, arch, res);
  }
  if (err != ATTN_OK) attn_output_discard(comm, tmp_out);
  free(tmp);
  free(when);
  free(inabs);
  free(cmd);
  free(arch);
  return err;
}

void attn_output_discard(MPI_Comm comm, const char *tmp) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  if (rank == 0 && tmp[0]) unlink(tmp);
  if (rank == 0) attn_cleanup_disarm();
}

/* Move tmp to output without replacing an existing file. Where the file
 * system cannot rename that way (NFS and others answer EINVAL), a hard link
 * does the same: it fails when the name exists. */
static int move_noreplace(const char *tmp, const char *output) {
  if (renameat2(AT_FDCWD, tmp, AT_FDCWD, output, RENAME_NOREPLACE) == 0) return 0;
  if (errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP) return -1;
  if (link(tmp, output) != 0) return -1;
  unlink(tmp);
  return 0;
}

attn_err_t attn_output_commit(MPI_Comm comm, const char *tmp, const char *output, int force) {
  int rank;
  ATTN_MPI(MPI_Comm_rank(comm, &rank));
  attn_err_t err = ATTN_OK;
  if (rank == 0) {
    int rc = force ? rename(tmp, output) : move_noreplace(tmp, output);
    if (rc != 0)
      err = attn_fail(ATTN_ERR_IO, "cannot move the output into place as '%s': %s", output,
                      strerror(errno));
  }
  err = attn_agree(comm, err);
  if (err != ATTN_OK) attn_output_discard(comm, tmp);
  if (rank == 0) attn_cleanup_disarm();
  return err;
}
