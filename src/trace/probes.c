// SPDX-License-Identifier: MIT
/* probes.c - the table of probed allocator functions. */
#include <linux/types.h>

#include "allocsnoop.h"
#include "trace/probes.h"
#include "trace/probesite.h"

/*
 * malloc/calloc/realloc/free are required: a library without them is not
 * an allocator. The rest are optional (a library may lack them) and
 * several are aliases in glibc (memalign == aligned_alloc), which the
 * tracer attaches once.
 */
static const struct as_probe_def defs[] = {
    {"malloc", AS_FN_MALLOC, AS_REG_RDI, true, true},
    {"calloc", AS_FN_CALLOC, AS_REG_RDI | AS_REG_RSI, true, true},
    {"realloc", AS_FN_REALLOC, AS_REG_RDI | AS_REG_RSI, true, true},
    {"free", AS_FN_FREE, AS_REG_RDI, true, false},
    {"reallocarray", AS_FN_REALLOCARRAY, AS_REG_RDI | AS_REG_RSI | AS_REG_RDX,
     false, true},
    {"posix_memalign", AS_FN_POSIX_MEMALIGN,
     AS_REG_RDI | AS_REG_RSI | AS_REG_RDX, false, true},
    {"aligned_alloc", AS_FN_ALIGNED_ALLOC, AS_REG_RDI | AS_REG_RSI, false,
     true},
    {"memalign", AS_FN_MEMALIGN, AS_REG_RDI | AS_REG_RSI, false, true},
    {"valloc", AS_FN_VALLOC, AS_REG_RDI, false, true},
    {"pvalloc", AS_FN_PVALLOC, AS_REG_RDI, false, true},
};

const struct as_probe_def *probes__defs(size_t *n)
{
	*n = sizeof(defs) / sizeof(defs[0]);
	return defs;
}
