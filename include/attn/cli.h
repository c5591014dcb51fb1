/* cli.h: the attn_hpc command line (contract section 4). */
#ifndef ATTN_CLI_H
#define ATTN_CLI_H

#include <stdio.h>

#include "attn/error.h"

typedef struct {
  const char *input;
  char *output; /* resolved: -o or the default name (malloc'd) */
  const char *timing;
  int PH, PS;  /* 0 when --grid was not given */
  int threads; /* >= 1 */
  int causal;  /* -1 keep the file's attribute, 0 or 1 override */
  int force;
  int verbosity; /* 0 quiet, 1 normal, 2 verbose */
  int help, version;
} attn_cli_t;

/* Parse argv (pure: no MPI, no file access). ATTN_ERR_USAGE with a message
 * on any problem. */
attn_err_t attn_cli_parse(int argc, char **argv, attn_cli_t *cli);
void attn_cli_free(attn_cli_t *cli);
void attn_cli_usage(FILE *out);

#endif
