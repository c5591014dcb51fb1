/* fault.c: test-only fault injection and signal-time cleanup of the
 * temporary output file. */
#include "attn/fault.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void attn_fault_point(int rank, const char *phase) {
  const char *spec = getenv("ATTN_FAULT_KILL");
  if (!spec || !*spec) return;
  char want[64];
  int r = -1;
  if (sscanf(spec, "%d:%63s", &r, want) != 2) return;
  if (r == rank && strcmp(want, phase) == 0) {
    fprintf(stderr, "attn_hpc: fault injection: rank %d killed in phase %s\n", rank, phase);
    fflush(stderr);
    raise(SIGKILL);
  }
}

static char g_tmp[8192];
static volatile sig_atomic_t g_armed = 0;
static const int g_signals[] = {SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2};

static void on_signal(int sig) {
  if (g_armed) unlink(g_tmp); /* async-signal-safe */
  signal(sig, SIG_DFL);
  raise(sig);
}

void attn_cleanup_arm(const char *tmp_path) {
  snprintf(g_tmp, sizeof g_tmp, "%s", tmp_path);
  g_armed = 1;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  for (size_t i = 0; i < sizeof g_signals / sizeof g_signals[0]; i++)
    sigaction(g_signals[i], &sa, NULL);
}

void attn_cleanup_disarm(void) {
  g_armed = 0;
  for (size_t i = 0; i < sizeof g_signals / sizeof g_signals[0]; i++)
    signal(g_signals[i], SIG_DFL);
}
