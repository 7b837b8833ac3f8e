/* SPDX-License-Identifier: MIT */
/*
 * elfsym.h - find a function symbol in an ELF file and where its code is.
 *
 * Owned by the elfsym module. It answers "at which file offset does the
 * function NAME of this object start, and how long is it" (what a uprobe
 * attach and the probe-site decoder need), and reads bytes at a file
 * offset. It keeps no state between calls.
 */
#ifndef ALLOCSNOOP_ELFSYM_H
#define ALLOCSNOOP_ELFSYM_H

#include <stddef.h>
#include <stdint.h>

struct as_elfsym {
	uint64_t vaddr;	      /* st_value: link-time virtual address */
	uint64_t size;	      /* st_size, 0 when the symbol has none */
	uint64_t file_offset; /* of the first byte, through its PT_LOAD */
};

/*
 * Looks up the defined GLOBAL or WEAK STT_FUNC symbol @name, first in
 * .dynsym, then in .symtab. In .dynsym, several versions of one name
 * (name@VER, name@@VER) are told apart by .gnu.version: the default one
 * (not marked hidden) wins. In .symtab a versioned "name@@VER" spelling
 * also matches. IFUNC resolvers and data symbols do not match.
 *
 * Returns 0; -ENOENT when there is no such symbol (or, from open(), no
 * such file); -ENOEXEC when @path is not an ELF file or the symbol lies in
 * no PT_LOAD segment; another negative errno when the file cannot be read.
 */
int elfsym__lookup(const char *path, const char *name, struct as_elfsym *out);

/*
 * Looks up the out-of-line copy that link-time optimisation left of the
 * static function @name: the one LOCAL STT_FUNC symbol "@name.lto_priv.N"
 * of @path's .symtab or, for a stripped file, of its separate debug file
 * (/usr/lib/debug/.build-id/, by its build-id). Its file offset is
 * through @path's own PT_LOAD segments. Returns as elfsym__lookup does;
 * -ENOENT also when there are several such copies.
 */
int elfsym__lookup_lto(const char *path, const char *name,
		       struct as_elfsym *out);

/* The same for a data symbol (STT_OBJECT: CPython's _PyRuntime). */
int elfsym__lookup_object(const char *path, const char *name,
			  struct as_elfsym *out);

/*
 * Reads exactly @len bytes at @file_offset of @path into @buf. Returns 0,
 * -EIO when the file ends first, or the negative errno of open/pread.
 */
int elfsym__read(const char *path, uint64_t file_offset, void *buf, size_t len);

/*
 * When the function @fn of @path is a forwarder, its first instruction a
 * direct jmp to another function (directly or through the PLT, e.g.
 * mimalloc's mi_free_size: jmp mi_free@plt), writes that function's
 * symbol name into @name. Returns 0; -ENOENT when @fn does not start so;
 * -ENOEXEC when @path is not ELF; the negative errno of open().
 */
int elfsym__forwarded_to(const char *path, const struct as_elfsym *fn,
			 char *name, size_t len);

#endif
