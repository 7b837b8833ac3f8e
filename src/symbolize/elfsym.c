// SPDX-License-Identifier: MIT
/*
 * elfsym.c - function symbol lookup with libelf/gelf.
 *
 * The file offset of a symbol comes from the PT_LOAD segment that holds
 * its address, not from the section headers: that is how the loader maps
 * the file, and therefore what a uprobe's offset means.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <elfutils/libdwelf.h>

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

static bool is_type(const GElf_Sym *sym, int type)
{
	return GELF_ST_TYPE(sym->st_info) == type;
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
				   int type, GElf_Sym *best)
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
		    (rank == best_rank && is_type(&sym, type) &&
		     !is_type(best, type))) {
			best_rank = rank;
			*best = sym;
		}
	}
	return best_rank != MATCH_NONE && is_type(best, type) ? best_rank
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

static int lookup(const char *path, const char *name, int type,
		  struct as_elfsym *out)
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
		rank =
		    scan_symtab(elf, dynsym, versym, name, false, type, &sym);
	if (rank == MATCH_NONE && symtab)
		rank = scan_symtab(elf, symtab, NULL, name, true, type, &sym);
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

/* Opens the ELF file @path: 0 with *@fd and *@elf (the caller ends both),
 * -errno of open(), or -ENOEXEC when it is not ELF. */
static int open_elf(const char *path, int *fd, Elf **elf)
{
	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0)
		return -errno;
	elf_version(EV_CURRENT);
	*elf = elf_begin(*fd, ELF_C_READ_MMAP, NULL);
	if (*elf && elf_kind(*elf) == ELF_K_ELF)
		return 0;
	if (*elf)
		elf_end(*elf);
	*elf = NULL;
	close(*fd);
	*fd = -1;
	return -ENOEXEC;
}

/* Is @symname "@name.lto_priv.N", N decimal? */
static bool is_lto_copy(const char *symname, const char *name, size_t len)
{
	static const char tag[] = ".lto_priv.";

	if (strncmp(symname, name, len) != 0 ||
	    strncmp(symname + len, tag, sizeof(tag) - 1) != 0)
		return false;
	symname += len + sizeof(tag) - 1;
	if (!*symname)
		return false;
	while (isdigit((unsigned char)*symname))
		symname++;
	return !*symname;
}

/*
 * The local function copy of @name in @elf's .symtab: 0 with *@out, or
 * -ENOENT when there is none or several (two copies of one name are two
 * functions: neither is probed).
 */
static int scan_lto(Elf *elf, const char *name, GElf_Sym *out)
{
	size_t len = strlen(name), i, found = 0;
	Elf_Scn *scn = NULL;
	const char *symname;
	GElf_Shdr shdr;
	Elf_Data *d;
	GElf_Sym sym;

	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &shdr) || shdr.sh_type != SHT_SYMTAB ||
		    !(d = elf_getdata(scn, NULL)) || !shdr.sh_entsize)
			continue;
		for (i = 0; i < shdr.sh_size / shdr.sh_entsize; i++) {
			if (!gelf_getsym(d, (int)i, &sym) ||
			    !is_type(&sym, STT_FUNC) ||
			    GELF_ST_BIND(sym.st_info) != STB_LOCAL ||
			    sym.st_shndx == SHN_UNDEF)
				continue;
			symname = elf_strptr(elf, shdr.sh_link, sym.st_name);
			if (!symname || !is_lto_copy(symname, name, len) ||
			    (found && out->st_value == sym.st_value))
				continue;
			*out = sym;
			found++;
		}
	}
	return found == 1 ? 0 : -ENOENT;
}

/* Opens the separate debug file of @elf, by its build-id, as Debian's
 * -dbg packages install it (/usr/lib/debug/.build-id/xx/yyyy.debug). */
static int open_debug_file(Elf *elf, int *fd, Elf **out)
{
	char path[64 + 2 * 64];
	const unsigned char *id;
	ssize_t n, i;
	int len;

	n = dwelf_elf_gnu_build_id(elf, (const void **)&id);
	if (n < 2 || n > 64)
		return -ENOENT;
	len = snprintf(path, sizeof(path), "/usr/lib/debug/.build-id/%02x/",
		       id[0]);
	for (i = 1; i < n; i++)
		len += snprintf(path + len, sizeof(path) - (size_t)len, "%02x",
				id[i]);
	snprintf(path + len, sizeof(path) - (size_t)len, ".debug");
	return open_elf(path, fd, out);
}

int elfsym__lookup_lto(const char *path, const char *name,
		       struct as_elfsym *out)
{
	Elf *elf = NULL, *dbg = NULL;
	int fd, dfd = -1, err;
	GElf_Sym sym;

	if (!path || !name || !*name || !out)
		return -EINVAL;
	err = open_elf(path, &fd, &elf);
	if (err)
		return err;
	err = scan_lto(elf, name, &sym);
	if (err == -ENOENT && !open_debug_file(elf, &dfd, &dbg))
		err = scan_lto(dbg, name, &sym);
	if (err)
		goto cleanup;
	out->vaddr = sym.st_value;
	out->size = sym.st_size;
	/* the stripped file's own segments: where the code is mapped */
	err = vaddr_to_offset(elf, sym.st_value, &out->file_offset);
cleanup:
	if (dbg)
		elf_end(dbg);
	if (dfd >= 0)
		close(dfd);
	elf_end(elf);
	close(fd);
	return err;
}

/* The section of @elf holding @vaddr, and its header. */
int elfsym__lookup(const char *path, const char *name, struct as_elfsym *out)
{
	return lookup(path, name, STT_FUNC, out);
}

int elfsym__lookup_object(const char *path, const char *name,
			  struct as_elfsym *out)
{
	return lookup(path, name, STT_OBJECT, out);
}

static Elf_Scn *section_of(Elf *elf, uint64_t vaddr, GElf_Shdr *shdr)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(elf, scn)))
		if (gelf_getshdr(scn, shdr) && shdr->sh_addr &&
		    vaddr >= shdr->sh_addr &&
		    vaddr - shdr->sh_addr < shdr->sh_size)
			return scn;
	return NULL;
}

/* Up to @len bytes of code at @vaddr, from its section; returns how many. */
static size_t code_at(Elf *elf, uint64_t vaddr, uint8_t *buf, size_t len)
{
	GElf_Shdr shdr;
	Elf_Scn *scn = section_of(elf, vaddr, &shdr);
	Elf_Data *d = scn ? elf_getdata(scn, NULL) : NULL;
	size_t off;

	if (!d || !d->d_buf || shdr.sh_type != SHT_PROGBITS)
		return 0;
	off = vaddr - shdr.sh_addr;
	if (off >= d->d_size)
		return 0;
	if (len > d->d_size - off)
		len = d->d_size - off;
	memcpy(buf, (const uint8_t *)d->d_buf + off, len);
	return len;
}

/* Skips endbr64 (f3 0f 1e fa) and a bnd prefix (f2). */
static size_t skip_cet(const uint8_t *b, size_t n)
{
	size_t i = 0;

	if (n >= 4 && b[0] == 0xf3 && b[1] == 0x0f && b[2] == 0x1e &&
	    b[3] == 0xfa)
		i = 4;
	if (i < n && b[i] == 0xf2)
		i++;
	return i;
}

/* The target of a direct jmp (e9 rel32, eb rel8) at @vaddr, 0 if none. */
static uint64_t jmp_target(Elf *elf, uint64_t vaddr)
{
	uint8_t b[16];
	size_t n = code_at(elf, vaddr, b, sizeof(b)), i = skip_cet(b, n);
	int32_t rel;

	if (i + 5 <= n && b[i] == 0xe9) {
		memcpy(&rel, b + i + 1, 4);
		return vaddr + i + 5 + (int64_t)rel;
	}
	if (i + 2 <= n && b[i] == 0xeb)
		return vaddr + i + 2 + (int8_t)b[i + 1];
	return 0;
}

/* The GOT slot a PLT stub at @vaddr jumps through (ff 25 disp32), 0 if
 * it is no such stub. */
static uint64_t plt_slot(Elf *elf, uint64_t vaddr)
{
	uint8_t b[16];
	size_t n = code_at(elf, vaddr, b, sizeof(b)), i = skip_cet(b, n);
	int32_t disp;

	if (i + 6 > n || b[i] != 0xff || b[i + 1] != 0x25)
		return 0;
	memcpy(&disp, b + i + 2, 4);
	return vaddr + i + 6 + (int64_t)disp;
}

/* The name of the symbol whose PLT relocation fills GOT slot @slot. */
static const char *slot_symbol(Elf *elf, uint64_t slot)
{
	Elf_Scn *scn = NULL, *symscn;
	GElf_Shdr shdr, symhdr;
	GElf_Rela rela;
	GElf_Sym sym;
	Elf_Data *d, *syms;
	size_t i;

	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &shdr) || shdr.sh_type != SHT_RELA ||
		    !(d = elf_getdata(scn, NULL)) || !shdr.sh_entsize)
			continue;
		symscn = elf_getscn(elf, shdr.sh_link);
		if (!symscn || !gelf_getshdr(symscn, &symhdr) ||
		    !(syms = elf_getdata(symscn, NULL)))
			continue;
		for (i = 0; i < shdr.sh_size / shdr.sh_entsize; i++) {
			if (!gelf_getrela(d, (int)i, &rela) ||
			    rela.r_offset != slot ||
			    !gelf_getsym(syms, (int)GELF_R_SYM(rela.r_info),
					 &sym))
				continue;
			return elf_strptr(elf, symhdr.sh_link, sym.st_name);
		}
	}
	return NULL;
}

/* The name of a function symbol defined at @vaddr. */
static const char *function_at(Elf *elf, uint64_t vaddr)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr shdr;
	GElf_Sym sym;
	Elf_Data *d;
	size_t i;

	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &shdr) ||
		    (shdr.sh_type != SHT_DYNSYM &&
		     shdr.sh_type != SHT_SYMTAB) ||
		    !(d = elf_getdata(scn, NULL)) || !shdr.sh_entsize)
			continue;
		for (i = 0; i < shdr.sh_size / shdr.sh_entsize; i++)
			if (gelf_getsym(d, (int)i, &sym) &&
			    sym.st_value == vaddr && is_type(&sym, STT_FUNC) &&
			    is_defined_global(&sym))
				return elf_strptr(elf, shdr.sh_link,
						  sym.st_name);
	}
	return NULL;
}

int elfsym__forwarded_to(const char *path, const struct as_elfsym *fn,
			 char *name, size_t len)
{
	const char *target = NULL;
	uint64_t to, slot;
	Elf *elf = NULL;
	int fd, err = -ENOENT;

	if (!path || !fn || !name || !len)
		return -EINVAL;
	err = open_elf(path, &fd, &elf);
	if (err)
		return err;
	err = -ENOENT;
	to = jmp_target(elf, fn->vaddr);
	if (!to)
		goto cleanup;
	slot = plt_slot(elf, to);
	target = slot ? slot_symbol(elf, slot) : function_at(elf, to);
	if (target && *target) {
		snprintf(name, len, "%s", target);
		err = 0;
	}
cleanup:
	if (elf)
		elf_end(elf);
	close(fd);
	return err;
}
