/* SPDX-License-Identifier: MIT */
/*
 * probes.h - the allocator functions allocsnoop probes, as data.
 *
 * Owned by the probes module. Each entry says which BPF-side function
 * kind it is, which argument registers its entry probe reads (so the
 * probe-site chooser keeps them intact), whether a library must have it,
 * and whether it needs a return probe.
 */
#ifndef ALLOCSNOOP_PROBES_H
#define ALLOCSNOOP_PROBES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct as_probe_def {
	const char *name;
	uint32_t fn;	    /* enum as_fn */
	uint32_t regs_read; /* AS_REG_* mask, see probesite.h */
	bool required;
	bool has_return;
};

/* The table, in attach order; *n receives its length. */
const struct as_probe_def *probes__defs(size_t *n);

#endif
