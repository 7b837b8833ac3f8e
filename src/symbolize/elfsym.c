// SPDX-License-Identifier: MIT
/*
 * elfsym.c - function symbol lookup with libelf/gelf.
 *
 * The file offset of a symbol comes from the PT_LOAD segment that holds
 * its address, not from the section headers: that is how the loader maps
 * the file, and therefore what a uprobe's offset means.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "symbolize/elfsym.h"

/* .gnu.version: set on name@VER (non-default) definitions. */
#define VERSYM_HIDDEN 0x8000

enum match_rank {
	MATCH_NONE = 0,
	MATCH_HIDDEN,  /* a non-default version: used only when alone */
	MATCH_DEFAULT, /* the default version, or an unversioned name */
};

/* "name" or, in .symtab, the default-version spelling "name@@VER". */
static bool name_matches(const char *symname, const char *name, size_t len,
			 bool allow_versioned)
{
	if (strncmp(symname, name, len) != 0)
		return false;
	if (symname[len] == '\0')
		return true;
	return allow_versioned && symname[len] == '@' &&
	       symname[len + 1] == '@';
}

static bool is_defined_global(const GElf_Sym *sym)
{
	int bind = GELF_ST_BIND(sym->st_info);

	return (bind == STB_GLOBAL || bind == STB_WEAK) &&
	       sym->st_shndx != SHN_UNDEF;
}

static bool is_func(const GElf_Sym *sym)
{
	return GELF_ST_TYPE(sym->st_info) == STT_FUNC;
}

/*
 * Scans one symbol table. @versym (may be NULL) is .gnu.version, entry i
 * for symbol i. The best-ranked definition of the name is what the
 * dynamic linker binds; it counts only if it is a plain function (glibc's
 * default memcpy is an IFUNC next to an old plain-FUNC version). Returns
 * the rank of the function found and fills @best.
 */
static enum match_rank scan_symtab(Elf *elf, Elf_Scn *scn, Elf_Data *versym,
				   const char *name, bool allow_versioned,
				   GElf_Sym *best)
{
	enum match_rank best_rank = MATCH_NONE;
	size_t len = strlen(name), n, i;
	GElf_Shdr shdr;
	Elf_Data *data;

	if (!gelf_getshdr(scn, &shdr) || shdr.sh_entsize == 0)
		return MATCH_NONE;
	data = elf_getdata(scn, NULL);
	if (!data)
		return MATCH_NONE;
	n = shdr.sh_size / shdr.sh_entsize;
	for (i = 0; i < n; i++) {
		enum match_rank rank = MATCH_DEFAULT;
		const char *symname;
		GElf_Versym vs;
		GElf_Sym sym;

		if (!gelf_getsym(data, (int)i, &sym) ||
		    !is_defined_global(&sym))
			continue;
		symname = elf_strptr(elf, shdr.sh_link, sym.st_name);
		if (!symname ||
		    !name_matches(symname, name, len, allow_versioned))
			continue;
		if (versym && gelf_getversym(versym, (int)i, &vs) &&
		    (vs & VERSYM_HIDDEN))
			rank = MATCH_HIDDEN;
		if (rank > best_rank ||
		    (rank == best_rank && is_func(&sym) && !is_func(best))) {
			best_rank = rank;
			*best = sym;
		}
	}
	return best_rank != MATCH_NONE && is_func(best) ? best_rank
							: MATCH_NONE;
}

static int vaddr_to_offset(Elf *elf, uint64_t vaddr, uint64_t *off)
{
	size_t nphdr, i;

	if (elf_getphdrnum(elf, &nphdr) != 0)
		return -ENOEXEC;
	for (i = 0; i < nphdr; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		/* Only the file-backed part: bss has no file offset. */
		if (vaddr >= ph.p_vaddr && vaddr < ph.p_vaddr + ph.p_filesz) {
			*off = vaddr - ph.p_vaddr + ph.p_offset;
			return 0;
		}
	}
	return -ENOEXEC;
}

int elfsym__lookup(const char *path, const char *name, struct as_elfsym *out)
{
	Elf_Scn *scn = NULL, *dynsym = NULL, *symtab = NULL;
	Elf_Data *versym = NULL;
	enum match_rank rank;
	Elf *elf = NULL;
	GElf_Sym sym;
	int fd, err;

	if (!path || !name || !*name || !out)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (elf_version(EV_CURRENT) == EV_NONE) {
		err = -ENOTSUP;
		goto cleanup;
	}
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF) {
		err = -ENOEXEC;
		goto cleanup;
	}
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr shdr;

		if (!gelf_getshdr(scn, &shdr))
			continue;
		if (shdr.sh_type == SHT_DYNSYM && !dynsym)
			dynsym = scn;
		else if (shdr.sh_type == SHT_SYMTAB && !symtab)
			symtab = scn;
		else if (shdr.sh_type == SHT_GNU_versym && !versym)
			versym = elf_getdata(scn, NULL);
	}

	rank = MATCH_NONE;
	if (dynsym)
		rank = scan_symtab(elf, dynsym, versym, name, false, &sym);
	if (rank == MATCH_NONE && symtab)
		rank = scan_symtab(elf, symtab, NULL, name, true, &sym);
	if (rank == MATCH_NONE) {
		err = -ENOENT;
		goto cleanup;
	}
	out->vaddr = sym.st_value;
	out->size = sym.st_size;
	err = vaddr_to_offset(elf, sym.st_value, &out->file_offset);

cleanup:
	if (elf)
		elf_end(elf);
	close(fd);
	return err;
}

int elfsym__read(const char *path, uint64_t file_offset, void *buf, size_t len)
{
	size_t done = 0;
	int fd, err = 0;

	if (!path || (!buf && len))
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (done < len) {
		ssize_t n = pread(fd, (char *)buf + done, len - done,
				  (off_t)(file_offset + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			goto cleanup;
		}
		if (n == 0) {
			err = -EIO;
			goto cleanup;
		}
		done += (size_t)n;
	}

cleanup:
	close(fd);
	return err;
}
