/* error.c: the rank-local failure record and the collective agreement on it. */
#include "attn/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static attn_err_t g_err = ATTN_OK;
static char g_msg[ATTN_MSG_MAX];

attn_err_t attn_fail(attn_err_t err, const char *fmt, ...) {
  if (g_err == ATTN_OK) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g_msg, sizeof g_msg, fmt, ap);
    va_end(ap);
    g_err = err;
  }
  return err;
}

const char *attn_last_message(void) { return g_msg; }

/* Collective. The worst class wins; the lowest failing rank's message is
 * broadcast so that every rank (and so the printing rank) knows it. */
attn_err_t attn_agree(MPI_Comm comm, attn_err_t local) {
  int rank, size;
  if (MPI_Comm_rank(comm, &rank) != MPI_SUCCESS || MPI_Comm_size(comm, &size) != MPI_SUCCESS)
    return ATTN_ERR_INTERNAL;
  int in[2] = {(int)local, local != ATTN_OK ? rank : size};
  int worst = 0, first = size;
  if (MPI_Allreduce(&in[0], &worst, 1, MPI_INT, MPI_MAX, comm) != MPI_SUCCESS ||
      MPI_Allreduce(&in[1], &first, 1, MPI_INT, MPI_MIN, comm) != MPI_SUCCESS) {
    attn_fail(ATTN_ERR_INTERNAL, "MPI failed while the ranks agreed on an error");
    return ATTN_ERR_INTERNAL;
  }
  if (worst == ATTN_OK) return ATTN_OK;
  if (first < size) {
    char msg[ATTN_MSG_MAX];
    memcpy(msg, g_msg, sizeof msg);
    if (MPI_Bcast(msg, ATTN_MSG_MAX, MPI_CHAR, first, comm) == MPI_SUCCESS) {
      msg[ATTN_MSG_MAX - 1] = '\0';
      memcpy(g_msg, msg, sizeof g_msg);
    }
  }
  g_err = (attn_err_t)worst;
  return (attn_err_t)worst;
}
