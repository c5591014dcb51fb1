/* mem.h: zeroed allocations for the layer's arrays. Large ones are mapped
 * with transparent huge pages: a fresh 4 KiB-page buffer costs one page
 * fault per page on first touch, measured here as ~5 % of a T = 4096 run. */
#ifndef ATTN_MEM_H
#define ATTN_MEM_H

#include <stddef.h>

/* bytes of zeroed memory, 64-byte aligned, or NULL. Release with attn_free. */
void *attn_alloc(size_t bytes);
/* Release memory from attn_alloc (NULL is allowed). */
void attn_free(void *p);

#endif
