/* SPDX-License-Identifier: MIT */
/*
 * helpers.h - what several unit tests ask the system: a shell command, the
 * entries of a directory, an ELF file's build-id as readelf prints it and
 * the file offset of a virtual address. The expected values come from
 * tools other than the code under test.
 *
 * Include after <cmocka.h> (the helpers assert). Functions are static
 * inline: a test that uses some of them does not warn about the others.
 */
#ifndef ALLOCSNOOP_TEST_HELPERS_H
#define ALLOCSNOOP_TEST_HELPERS_H

#include <dirent.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Runs the shell command formatted from @fmt; returns system()'s status. */
static inline int helpers__run(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static inline int helpers__run(const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

/* Entries of @dir but "." and "..". */
static inline size_t helpers__count_entries(const char *dir)
{
	struct dirent *de;
	size_t n = 0;
	DIR *d = opendir(dir);

	assert_non_null(d);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

/* Build-id as `readelf -n` prints it, or NULL. */
static inline char *helpers__readelf_build_id(const char *path)
{
	char cmd[PATH_MAX + 32], line[512], id[256];
	char *out = NULL;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "readelf -n '%s'", path);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p))
		if (sscanf(line, " Build ID: %255s", id) == 1 && !out)
			out = strdup(id);
	pclose(p);
	return out;
}

/* File offset of virtual address @vaddr, from the PT_LOAD that holds it. */
static inline uint64_t helpers__vaddr_to_offset(const char *path,
						uint64_t vaddr)
{
	uint64_t off = UINT64_MAX;
	size_t phnum;
	int fd = open(path, O_RDONLY);
	Elf *elf;

	assert_true(fd >= 0);
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	assert_non_null(elf);
	assert_int_equal(elf_getphdrnum(elf, &phnum), 0);
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr mem, *ph = gelf_getphdr(elf, (int)i, &mem);

		if (ph && ph->p_type == PT_LOAD && vaddr >= ph->p_vaddr &&
		    vaddr < ph->p_vaddr + ph->p_filesz)
			off = vaddr - ph->p_vaddr + ph->p_offset;
	}
	elf_end(elf);
	close(fd);
	assert_true(off != UINT64_MAX);
	return off;
}

#endif
