/* error.h: error codes, the status record and the check macros.
 *
 * Every fallible function returns attn_err_t. On failure it also fills the
 * rank-local status record (attn_status) with a message naming the culprit,
 * through attn_fail(). Only the driver turns an error into an exit, after the
 * ranks have agreed on it (attn_agree), so all ranks stop together and one
 * message is printed. */
#ifndef ATTN_ERROR_H
#define ATTN_ERROR_H

#include <mpi.h>

#include "attn/mem.h"

/* Error classes. The numeric value of each is the process exit status. */
typedef enum {
  ATTN_OK = 0,
  ATTN_ERR_USAGE = 2,    /* bad command line or option combination */
  ATTN_ERR_INPUT = 3,    /* the input file breaks the schema */
  ATTN_ERR_IO = 4,       /* cannot open, read, write or rename a file */
  ATTN_ERR_INTERNAL = 5, /* MPI failure, out of memory, internal error */
} attn_err_t;

#define ATTN_MSG_MAX 512

/* Record the first failure of this rank: its class and a formatted message.
 * Later failures are ignored so that the root cause is reported. Returns err. */
attn_err_t attn_fail(attn_err_t err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The message recorded by attn_fail on this rank ("" if none). */
const char *attn_last_message(void);

/* Collective over comm: every rank passes its local status, every rank gets
 * the worst one (highest class). The message of the lowest-numbered failing
 * rank is copied to all ranks (readable through attn_last_message). Never
 * fails itself: if MPI cannot agree, returns ATTN_ERR_INTERNAL. */
attn_err_t attn_agree(MPI_Comm comm, attn_err_t local);

/* Check macros: on failure they record where and return upward. */
#define ATTN_TRY(expr)                                                                             \
  do {                                                                                             \
    attn_err_t attn_e_ = (expr);                                                                   \
    if (attn_e_ != ATTN_OK) return attn_e_;                                                        \
  } while (0)

#define ATTN_MPI(call)                                                                             \
  do {                                                                                             \
    int attn_mpi_rc_ = (call);                                                                     \
    if (attn_mpi_rc_ != MPI_SUCCESS) {                                                             \
      char attn_mpi_s_[MPI_MAX_ERROR_STRING];                                                      \
      int attn_mpi_n_ = 0;                                                                         \
      MPI_Error_string(attn_mpi_rc_, attn_mpi_s_, &attn_mpi_n_);                                   \
      return attn_fail(ATTN_ERR_INTERNAL, "MPI call %s failed (%s:%d): %s", #call, __FILE__,       \
                       __LINE__, attn_mpi_s_);                                                     \
    }                                                                                              \
  } while (0)

/* Zeroed array of count elements from attn_alloc (release with attn_free). */
#define ATTN_ALLOC(ptr, count)                                                                     \
  do {                                                                                             \
    size_t attn_n_ = (size_t)(count);                                                              \
    (ptr) = attn_n_ ? attn_alloc(attn_n_ * sizeof(*(ptr))) : NULL;                                 \
    if (attn_n_ && !(ptr))                                                                         \
      return attn_fail(ATTN_ERR_INTERNAL, "out of memory allocating %zu bytes (%s:%d)",            \
                       attn_n_ * sizeof(*(ptr)), __FILE__, __LINE__);                              \
  } while (0)

#endif
