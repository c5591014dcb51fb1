/* platform.h: choices about the machine that must be made before the first
 * BLIS call. */
#ifndef ATTN_PLATFORM_H
#define ATTN_PLATFORM_H

/* Debian's BLIS 0.9 does not recognise CPUs newer than its release (AMD
 * family 0x1A, Zen 5, among them) and falls back to its slow generic kernels
 * (measured here: 30-40 GFLOP/s sgemm on one core instead of 150-180).
 * Unless the user set BLIS_ARCH_TYPE, pick the kernel set the CPU's
 * instruction set supports: skx for AVX-512 F/DQ/BW/VL, haswell for
 * AVX2 + FMA. Must run before any BLIS call; returns 1 when it chose. */
int attn_blis_select_arch(void);

/* The name of the BLIS kernel set in use (initialises BLIS). */
const char *attn_blis_arch_name(void);

#endif
