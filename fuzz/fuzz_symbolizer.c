// SPDX-License-Identifier: MIT
/*
 * fuzz_symbolizer.c - libFuzzer target for the symbolizer's ELF/DWARF
 * input.
 *
 * The input is the bytes of an object file. It is put in a memfd and
 * resolved at a few file offsets taken from its own program headers (so
 * that mutated files still hit code and DWARF) plus some fixed edge
 * offsets, as return addresses and as plain ones. Each input gets a new
 * symbolizer, so the result cache never hides a second parse, and every
 * line handed back is read in full so that ASan checks its strings.
 *
 * libdw and libelf are not instrumented, so coverage cannot guide the
 * fuzzer through them; most byte mutations would instead break the ELF
 * headers. A custom mutator therefore usually mutates the bytes of one
 * section in place (mostly DWARF and symbol tables), keeping the file's
 * layout valid.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "symbolize/procmaps.h"
#include "symbolize/symbolizer.h"

#define MAX_OFFSETS 24

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size,
			       unsigned int seed);

static void fail(const char *what, uint64_t off)
{
	fprintf(stderr, "fuzz_symbolizer: %s (offset 0x%llx)\n", what,
		(unsigned long long)off);
	abort();
}

static uint64_t get(const uint8_t *data, size_t size, size_t at, size_t n)
{
	uint64_t v = 0;

	if (at > size || n > size - at)
		return 0;
	for (size_t i = 0; i < n; i++) /* ELF64 little-endian (x86-64) */
		v |= (uint64_t)data[at + i] << (8 * i);
	return v;
}

/*
 * Offsets inside each PT_LOAD with file bytes (start, middle, last byte,
 * one past the end) and where e_entry falls; parsed with bounds checks
 * here so that the harness itself cannot be what crashes.
 */
static size_t pick_offsets(const uint8_t *data, size_t size, uint64_t *offs)
{
	uint64_t phoff, entry;
	size_t n = 0, phnum, phentsize;

	offs[n++] = 0;
	offs[n++] = size ? size - 1 : 0;
	offs[n++] = UINT64_MAX;
	if (size < 64 || memcmp(data, "\177ELF", 4) != 0 || data[4] != 2)
		return n;
	entry = get(data, size, 24, 8);
	phoff = get(data, size, 32, 8);
	phentsize = get(data, size, 54, 2);
	phnum = get(data, size, 56, 2);
	if (phentsize < 56)
		return n;
	for (size_t i = 0; i < phnum && n + 5 <= MAX_OFFSETS; i++) {
		size_t ph;
		uint64_t off, vaddr, filesz;

		if (phoff > size || i * phentsize > size - phoff)
			break;
		ph = (size_t)phoff + i * phentsize;
		if (get(data, size, ph, 4) != 1) /* PT_LOAD */
			continue;
		off = get(data, size, ph + 8, 8);
		vaddr = get(data, size, ph + 16, 8);
		filesz = get(data, size, ph + 32, 8);
		if (!filesz)
			continue;
		offs[n++] = off;
		offs[n++] = off + filesz / 2;
		offs[n++] = off + filesz - 1;
		offs[n++] = off + filesz;
		if (entry >= vaddr && entry - vaddr < filesz)
			offs[n++] = off + (entry - vaddr);
	}
	return n;
}

static void check_symbol(const struct as_symbol *sym, uint64_t off)
{
	volatile size_t sink = 0;

	if (sym->nlines && !sym->lines)
		fail("lines counted but not returned", off);
	for (uint32_t i = 0; i < sym->nlines; i++) {
		const struct as_line *l = &sym->lines[i];

		if (l->function)
			sink += strlen(l->function);
		if (l->file)
			sink += strlen(l->file);
		/* model.h: a line number, or 0 when unknown */
		if (l->line < 0) {
			fprintf(stderr, "line %u: %s %s:%lld\n", i,
				l->function ? l->function : "?",
				l->file ? l->file : "?", (long long)l->line);
			fail("negative line number", off);
		}
	}
	(void)sink;
}

/*
 * The symbolizer dups the descriptor it is given and libdwfl owns the
 * copy: after symbolizer__free() the lowest free descriptor must be back
 * where it was, or each object file would leak one.
 */
static void check_fds(void)
{
	static int baseline = -1;
	int fd = dup(STDERR_FILENO);

	if (fd < 0) {
		perror("fuzz_symbolizer: dup");
		abort();
	}
	close(fd);
	if (baseline < 0)
		baseline = fd;
	else if (fd > baseline + 8)
		fail("file descriptors leak", (uint64_t)fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct as_module_file file = {.path = "fuzz.elf", .fd = -1};
	struct as_symbolizer *s = NULL;
	uint64_t offs[MAX_OFFSETS];
	size_t noffs, done = 0;
	struct stat st;

	file.fd = memfd_create("fuzz.elf", MFD_CLOEXEC);
	if (file.fd < 0) {
		perror("fuzz_symbolizer: memfd_create");
		abort();
	}
	while (done < size) {
		ssize_t w = write(file.fd, data + done, size - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			perror("fuzz_symbolizer: write to memfd");
			abort();
		}
		done += (size_t)w;
	}
	if (fstat(file.fd, &st) != 0) {
		perror("fuzz_symbolizer: fstat");
		abort();
	}
	file.dev = st.st_dev;
	file.ino = st.st_ino;
	if (symbolizer__new(&s) != 0)
		abort();

	noffs = pick_offsets(data, size, offs);
	for (size_t i = 0; i < noffs; i++) {
		for (int ret_addr = 0; ret_addr < 2; ret_addr++) {
			struct as_symbol sym;
			int ret = symbolizer__resolve(s, &file, offs[i],
						      ret_addr, &sym);

			if (ret > 0)
				fail("positive return value", offs[i]);
			check_symbol(&sym, offs[i]);
		}
	}
	/* A second pass answers from the cache: it must agree. */
	for (size_t i = 0; i < noffs; i++) {
		struct as_symbol a, b;

		symbolizer__resolve(s, &file, offs[i], true, &a);
		symbolizer__resolve(s, &file, offs[i], true, &b);
		if (a.nlines != b.nlines || a.lines != b.lines)
			fail("cached result differs", offs[i]);
	}
	symbolizer__free(s);
	close(file.fd);
	check_fds();
	return 0;
}

/* --- section-aware mutation ------------------------------------------- */

#define MAX_SECTIONS 64

struct section {
	size_t off, size;
	bool preferred; /* .debug_*, symbol and string tables, notes */
};

/* The sections with file bytes, bounds-checked against @size. */
static size_t sections(const uint8_t *data, size_t size, struct section *out)
{
	uint64_t shoff, stroff = 0, strsize = 0;
	size_t shnum, shentsize, shstrndx, n = 0;

	if (size < 64 || memcmp(data, "\177ELF", 4) != 0 || data[4] != 2)
		return 0;
	shoff = get(data, size, 40, 8);
	shentsize = get(data, size, 58, 2);
	shnum = get(data, size, 60, 2);
	shstrndx = get(data, size, 62, 2);
	if (shentsize < 64 || shoff > size ||
	    shnum > (size - shoff) / shentsize)
		return 0;
	if (shstrndx < shnum) {
		size_t sh = (size_t)shoff + shstrndx * shentsize;

		stroff = get(data, size, sh + 24, 8);
		strsize = get(data, size, sh + 32, 8);
		if (stroff > size || strsize > size - stroff)
			strsize = 0;
	}
	for (size_t i = 1; i < shnum && n < MAX_SECTIONS; i++) {
		size_t sh = (size_t)shoff + i * shentsize;
		uint64_t name = get(data, size, sh, 4);
		uint64_t type = get(data, size, sh + 4, 4);
		uint64_t off = get(data, size, sh + 24, 8);
		uint64_t sz = get(data, size, sh + 32, 8);
		const char *nm = "";

		if (type == 8 /* SHT_NOBITS */ || !sz || off > size ||
		    sz > size - off)
			continue;
		/* a name only when its NUL lies inside .shstrtab */
		if (name < strsize &&
		    memchr(data + stroff + name, '\0', strsize - name))
			nm = (const char *)data + stroff + name;
		out[n++] = (struct section){
		    .off = off,
		    .size = sz,
		    .preferred = strncmp(nm, ".debug", 6) == 0 ||
				 strncmp(nm, ".zdebug", 7) == 0 ||
				 strcmp(nm, ".symtab") == 0 ||
				 strcmp(nm, ".strtab") == 0 ||
				 strcmp(nm, ".dynsym") == 0 ||
				 strcmp(nm, ".dynstr") == 0 ||
				 strncmp(nm, ".note", 5) == 0 ||
				 strcmp(nm, ".gnu_debuglink") == 0,
		};
	}
	return n;
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size,
			       unsigned int seed)
{
	struct section secs[MAX_SECTIONS], *sec;
	size_t n, npref = 0, pick, len;
	uint8_t *copy;

	n = sections(data, size, secs);
	/* A quarter of the time, and for what is no ELF: the whole file. */
	if (!n || seed % 4 == 0)
		return LLVMFuzzerMutate(data, size, max_size);
	for (size_t i = 0; i < n; i++)
		npref += secs[i].preferred;
	seed /= 4;
	if (npref && seed % 4 != 0) {
		pick = (seed / 4) % npref;
		for (sec = secs; !sec->preferred || pick--; sec++)
			;
	} else {
		sec = &secs[(seed / 4) % n];
	}
	/* The section keeps its size: what the mutation shortens keeps its
	 * old bytes at the end. */
	copy = malloc(sec->size);
	if (!copy)
		return LLVMFuzzerMutate(data, size, max_size);
	memcpy(copy, data + sec->off, sec->size);
	len = LLVMFuzzerMutate(copy, sec->size, sec->size);
	memcpy(data + sec->off, copy, len);
	free(copy);
	return size;
}
