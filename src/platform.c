/* platform.c: BLIS kernel-set selection for CPUs the library does not know. */
#include "attn/platform.h"

#include <blis.h>
#include <stdio.h>
#include <stdlib.h>

#if defined(__x86_64__)
#include <cpuid.h>
#include <string.h>

/* BLIS 0.9 knows AMD families up to 0x19 (Zen 3/4) and Intel's by model. */
static int blis_knows_cpu(void) {
  unsigned a, b, c, d;
  if (!__get_cpuid(0, &a, &b, &c, &d)) return 1;
  char vendor[13];
  memcpy(vendor, &b, 4);
  memcpy(vendor + 4, &d, 4);
  memcpy(vendor + 8, &c, 4);
  vendor[12] = '\0';
  if (!__get_cpuid(1, &a, &b, &c, &d)) return 1;
  unsigned family = (a >> 8) & 0xf;
  if (family == 0xf) family += (a >> 20) & 0xff;
  if (strcmp(vendor, "AuthenticAMD") == 0) return family <= 0x19;
  return 1; /* leave other vendors to BLIS's own detection */
}
#endif

int attn_blis_select_arch(void) {
  if (getenv("BLIS_ARCH_TYPE")) return 0;
#if defined(__x86_64__)
  if (blis_knows_cpu()) return 0;
  __builtin_cpu_init();
  int id = -1;
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
      __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl"))
    id = BLIS_ARCH_SKX;
  else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    id = BLIS_ARCH_HASWELL;
  if (id < 0) return 0;
  char v[16];
  snprintf(v, sizeof v, "%d", id);
  setenv("BLIS_ARCH_TYPE", v, 0);
  return 1;
#else
  return 0;
#endif
}

const char *attn_blis_arch_name(void) {
  bli_init(); /* the query aborts on an uninitialised BLIS when BLIS_ARCH_TYPE is set */
  return bli_arch_string(bli_arch_query_id());
}
