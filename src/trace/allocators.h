/* SPDX-License-Identifier: MIT */
/*
 * allocators.h - everything allocsnoop knows about allocators, as data.
 *
 * Owned by the allocators module. One table of families (glibc, jemalloc,
 * tcmalloc, mimalloc, a static binary's own malloc): how each is
 * recognised, and each function's role and argument positions. The BPF
 * programs read a function's role and arguments from its probe's cookie
 * (allocators__cookie), so adding a function is adding a row. The same
 * file lists the C/C++ runtime: libraries whose frames are stepped
 * through and never named as an allocation site.
 */
#ifndef ALLOCSNOOP_ALLOCATORS_H
#define ALLOCSNOOP_ALLOCATORS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Most functions one family has, and sets of them. */
#define AS_MAX_FNS  64
#define AS_MAX_SETS 4

/* One allocator function. Argument numbers are 1-based, 0 = none. */
struct as_alloc_fn {
	const char *name;  /* without the family's symbol prefix */
	uint8_t role;	   /* enum as_role (allocsnoop.h) */
	uint8_t size_arg;  /* requested bytes */
	uint8_t count_arg; /* a count the size is multiplied by (calloc) */
	uint8_t ptr_arg;   /* the old (realloc) or freed pointer */
	uint8_t out_arg;   /* where the block is stored (posix_memalign) */
	uint8_t align_arg; /* the alignment: not counted, but the probe
			      site must leave it intact like the others */
	uint8_t flags;	   /* AS_FN_* for the BPF side */
	bool required;	   /* a file without it is not of this family */
	bool hot;	   /* called all the time: a uprobe session when
			      sampling, so unsampled calls skip the return */
	bool lto_copy;	   /* a static function, probed where link-time
			      optimisation left an out-of-line copy of it
			      (name.lto_priv.N, elfsym__lookup_lto) */
};

/* One family of allocators and how to recognise its files. */
struct as_alloc_family {
	const char *name;
	/* basename prefixes of its libraries ("libjemalloc.so"), NULL-
	 * terminated; NULL: the program's own executable (a static binary
	 * carries its own malloc) */
	const char *const *libs;
	/* symbol prefixes tried in order ("" for plain names, "je_") */
	const char *const *prefixes;
	/* its functions, in sets shared between families (the C ones, C++'s
	 * operator new and delete, its own API) */
	struct as_alloc_fn_set {
		const struct as_alloc_fn *fns;
		size_t n;
	} sets[AS_MAX_SETS];
};

/* Calls @fn(row, @ctx) for every function of @fam until it returns non-0,
 * which it then returns. */
int allocators__for_each_fn(const struct as_alloc_family *fam,
			    int (*fn)(const struct as_alloc_fn *row, void *ctx),
			    void *ctx);

/* A library of the C/C++ runtime. */
struct as_runtime_lib {
	const char *prefix; /* basename prefix: "libc.so", "ld-linux" */
	/* its file name next to the system's libc when its frames are
	 * stepped through with CFI, NULL when they are not */
	const char *soname;
};

/* The families, in the order a process's files are looked at. */
const struct as_alloc_family *allocators__families(size_t *n);

/* The family named @name ("glibc", "static", ...), NULL for none. */
const struct as_alloc_family *allocators__family(const char *name);

/* The family whose library @path (any directory) is, NULL for none. */
const struct as_alloc_family *allocators__family_of(const char *path);

/* The BPF cookie of @fn's probes: its role and argument numbers. */
uint64_t allocators__cookie(const struct as_alloc_fn *fn);

/* The AS_REG_* mask (probesite.h) of the registers @fn's arguments are
 * in: the probe site must leave them as they were at entry. */
uint32_t allocators__regs_read(const struct as_alloc_fn *fn);

/* True for free-like functions: probed at entry only. */
bool allocators__is_free(const struct as_alloc_fn *fn);

/* The runtime libraries. */
const struct as_runtime_lib *allocators__runtime_libs(size_t *n);

/*
 * True for a module of the C/C++ runtime (libc, libstdc++, the dynamic
 * loader, libgcc_s, libc++): frames there are skipped when finding the
 * allocation site.
 */
bool allocators__is_runtime_module(const char *path);

/*
 * True for source files of the C++ runtime's headers (libstdc++'s
 * .../include/c++/<version>/, libc++'s .../c++/v1/): template code from
 * them is inlined or instantiated into the program, but it is the
 * runtime's, so std::vector growth is charged to the line using it.
 */
bool allocators__is_runtime_source(const char *file);

#endif
