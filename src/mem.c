/* mem.c: zeroed, aligned allocations; big ones on transparent huge pages. */
#define _DEFAULT_SOURCE
#include "attn/mem.h"

#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

enum { HEADER = 64, BIG = 4 << 20, HUGE_PAGE = 2 << 20 };

/* The header in front of each block: how it was obtained and its extent. */
typedef struct {
  void *base;
  size_t len; /* mapped length, 0 for a calloc block */
} block_t;

void *attn_alloc(size_t bytes) {
  if (bytes > SIZE_MAX - HEADER - HUGE_PAGE) return NULL;
  if (bytes < BIG) {
    unsigned char *base = calloc(1, bytes + HEADER + 64);
    if (!base) return NULL;
    /* Data on the first 64-byte boundary that leaves room for the header. */
    unsigned char *data = (unsigned char *)(((uintptr_t)base + sizeof(block_t) + 63) / 64 * 64);
    block_t *h = (block_t *)(void *)(data - sizeof(block_t));
    h->base = base;
    h->len = 0;
    return data;
  }
  /* Map one huge page more than needed and start the data on a huge-page
   * boundary (after one header's worth), so that madvise can back it all. */
  size_t len = bytes + HEADER + HUGE_PAGE;
  unsigned char *base = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (base == MAP_FAILED) return NULL;
  uintptr_t start = ((uintptr_t)base + HEADER + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
  madvise((void *)start, bytes, MADV_HUGEPAGE); /* advice only: ignore failure */
  unsigned char *data = (unsigned char *)start;
  block_t *h = (block_t *)(void *)(data - sizeof(block_t));
  h->base = base;
  h->len = len;
  return data;
}

void attn_free(void *p) {
  if (!p) return;
  block_t *h = (block_t *)(void *)((unsigned char *)p - sizeof(block_t));
  if (h->len)
    munmap(h->base, h->len);
  else
    free(h->base);
}
