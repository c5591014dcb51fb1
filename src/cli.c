/* cli.c: command-line parsing for attn_hpc. */
#include "attn/cli.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "attn/partition.h"

void attn_cli_usage(FILE *out) {
  fprintf(out, "Usage: attn_hpc [OPTIONS] INPUT.h5\n"
               "Exact transformer self-attention layer, distributed over MPI ranks.\n"
               "\n"
               "  -o, --output PATH     output file (default: INPUT's base name with .h5\n"
               "                        replaced by .out.h5, in the current folder)\n"
               "      --grid PHxPS      process grid: PH head groups x PS sequence blocks,\n"
               "                        PH*PS = ranks, PH divides num_kv_heads (default: chosen)\n"
               "  -t, --threads N       threads per rank for BLIS and OpenMP\n"
               "                        (default: OMP_NUM_THREADS, else 1)\n"
               "      --causal          causal mask, overriding the file's attribute\n"
               "      --no-causal       no causal mask, overriding the file's attribute\n"
               "      --timing PATH     write the JSON timing report to PATH\n"
               "      --force           replace an existing output file\n"
               "  -q, --quiet           print nothing but errors\n"
               "  -v, --verbose         print configuration, progress and the phase table\n"
               "      --version         print the version and exit\n"
               "  -h, --help            print this help and exit\n"
               "\n"
               "Exit status: 0 success, 2 usage error, 3 bad input file, 4 I/O failure,\n"
               "5 internal or MPI failure.\n");
}

static int parse_count(const char *s, int *out) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || end == s || *end != '\0' || v < 1 || v > 4096) return 0;
  *out = (int)v;
  return 1;
}

/* Default output: the input's base name, ".h5" replaced by ".out.h5". */
static char *default_output(const char *input) {
  const char *base = strrchr(input, '/');
  base = base ? base + 1 : input;
  size_t n = strlen(base);
  if (n >= 3 && strcmp(base + n - 3, ".h5") == 0) n -= 3;
  char *out = malloc(n + 8);
  if (out) {
    memcpy(out, base, n);
    memcpy(out + n, ".out.h5", 8);
  }
  return out;
}

attn_err_t attn_cli_parse(int argc, char **argv, attn_cli_t *cli) {
  enum { OPT_GRID = 256, OPT_CAUSAL, OPT_NO_CAUSAL, OPT_TIMING, OPT_FORCE, OPT_VERSION };
  static const struct option opts[] = {{"output", required_argument, NULL, 'o'},
                                       {"grid", required_argument, NULL, OPT_GRID},
                                       {"threads", required_argument, NULL, 't'},
                                       {"causal", no_argument, NULL, OPT_CAUSAL},
                                       {"no-causal", no_argument, NULL, OPT_NO_CAUSAL},
                                       {"timing", required_argument, NULL, OPT_TIMING},
                                       {"force", no_argument, NULL, OPT_FORCE},
                                       {"quiet", no_argument, NULL, 'q'},
                                       {"verbose", no_argument, NULL, 'v'},
                                       {"version", no_argument, NULL, OPT_VERSION},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  memset(cli, 0, sizeof *cli);
  cli->causal = -1;
  cli->verbosity = 1;
  cli->threads = 1;
  const char *env = getenv("OMP_NUM_THREADS");
  if (env && *env) {
    char first[32];
    snprintf(first, sizeof first, "%s", env);
    first[strcspn(first, ",")] = '\0';
    if (!parse_count(first, &cli->threads))
      return attn_fail(ATTN_ERR_USAGE, "OMP_NUM_THREADS = '%s' is not a thread count", env);
  }
  const char *output = NULL;
  opterr = 0;
  optind = 1;
  int c;
  while ((c = getopt_long(argc, argv, ":o:t:qvh", opts, NULL)) != -1) {
    switch (c) {
    case 'o': output = optarg; break;
    case OPT_GRID: ATTN_TRY(attn_grid_parse(optarg, &cli->PH, &cli->PS)); break;
    case 't':
      if (!parse_count(optarg, &cli->threads))
        return attn_fail(ATTN_ERR_USAGE, "--threads '%s' must be an integer from 1 to 4096",
                         optarg);
      break;
    case OPT_CAUSAL: cli->causal = 1; break;
    case OPT_NO_CAUSAL: cli->causal = 0; break;
    case OPT_TIMING: cli->timing = optarg; break;
    case OPT_FORCE: cli->force = 1; break;
    case 'q': cli->verbosity = 0; break;
    case 'v': cli->verbosity = 2; break;
    case OPT_VERSION: cli->version = 1; break;
    case 'h': cli->help = 1; break;
    case ':': return attn_fail(ATTN_ERR_USAGE, "option '%s' needs a value", argv[optind - 1]);
    default: return attn_fail(ATTN_ERR_USAGE, "unknown option '%s' (see --help)", argv[optind - 1]);
    }
  }
  if (cli->help || cli->version) return ATTN_OK;
  if (optind >= argc) return attn_fail(ATTN_ERR_USAGE, "no input file given (see --help)");
  if (optind + 1 < argc)
    return attn_fail(ATTN_ERR_USAGE, "one input file expected, got also '%s'", argv[optind + 1]);
  cli->input = argv[optind];
  if (!*cli->input) return attn_fail(ATTN_ERR_USAGE, "the input path is empty");
  if (output && !*output) return attn_fail(ATTN_ERR_USAGE, "the output path is empty");
  cli->output = output ? strdup(output) : default_output(cli->input);
  if (!cli->output) return attn_fail(ATTN_ERR_INTERNAL, "out of memory");
  return ATTN_OK;
}

void attn_cli_free(attn_cli_t *cli) {
  free(cli->output);
  cli->output = NULL;
}
