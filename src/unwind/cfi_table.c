// SPDX-License-Identifier: MIT
/*
 * cfi_table.c - call sites from a capstone linear sweep, their frame rules
 * from libdw's reading of .eh_frame.
 *
 * libdw hands CFI rules back as DWARF expressions. What elfutils 0.188
 * produces (checked on glibc 2.36, libstdc++ and hand-written .cfi
 * directives): a "def_cfa reg, off" CFA as one DW_OP_bregx(reg, off), a
 * def_cfa_expression as its own ops (one DW_OP_bregN(off) when that is
 * all it is, which means the same); a register saved by "offset(N)" as
 * DW_OP_call_frame_cfa, DW_OP_plus_uconst N (N two's complement), or
 * DW_OP_call_frame_cfa alone for N = 0; val_offset as the same plus
 * DW_OP_stack_value; "register(R)" as DW_OP_regx R; same value as no ops
 * and a NULL pointer; undefined as no ops pointing at the caller's
 * buffer. Only bregN/bregx on rsp or rbp for the CFA, and offset(N) or
 * same value for rbp, are forms the BPF walker follows: other call sites
 * are left out.
 */
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <capstone/capstone.h>

#include "unwind/cfi_table.h"
#include "util/buf.h"

/* DWARF register numbers on x86-64. */
#define DWREG_RBP 6
#define DWREG_RSP 7
#define DWREG_RA  16

/* Why a call site's row is in the table or not. */
enum row_kind {
	ROW_OK,
	ROW_NO_FDE,    /* no FDE covers the call */
	ROW_SIGNAL,    /* a signal trampoline's frame */
	ROW_RA,	       /* return address not at CFA - 8 */
	ROW_CFA_EXPR,  /* CFA is a DWARF expression */
	ROW_CFA_REG,   /* CFA based on a register other than rsp/rbp */
	ROW_RBP_UNDEF, /* caller's rbp declared unrecoverable */
	ROW_RBP_RULE,  /* rbp kept in a register, as a value, by expression */
	ROW_OUT_RANGE, /* an offset does not fit the entry's field */
};

/* One stretch of code: link-time address, length, where it is in the file. */
struct region {
	uint64_t vaddr;
	uint64_t size;
	uint64_t file_off;
};

/* The last row read: call sites in one row share it. */
struct row_cache {
	bool valid;
	Dwarf_Addr start, end; /* [start, end) the row covers */
	enum row_kind kind;
	struct as_cfi_entry rule; /* ret_offset unused */
};

struct regions {
	struct region *v;
	size_t n, cap;
};

struct table {
	struct as_cfi_entry *v;
	size_t n, cap;
};

/* "CFA = reg + off" from a CFA expression. */
static bool cfa_of(const Dwarf_Op *ops, size_t nops, uint64_t *reg,
		   int64_t *off)
{
	if (nops != 1)
		return false;
	if (ops[0].atom == DW_OP_bregx) {
		*reg = ops[0].number;
		*off = (int64_t)ops[0].number2;
		return true;
	}
	if (ops[0].atom >= DW_OP_breg0 && ops[0].atom <= DW_OP_breg31) {
		*reg = ops[0].atom - DW_OP_breg0;
		*off = (int64_t)ops[0].number;
		return true;
	}
	return false;
}

/* "saved at CFA + off" from a register location. */
static bool saved_at_cfa(const Dwarf_Op *ops, size_t nops, int64_t *off)
{
	if (nops < 1 || ops[0].atom != DW_OP_call_frame_cfa)
		return false;
	if (nops == 1) {
		*off = 0;
		return true;
	}
	if (nops == 2 && ops[1].atom == DW_OP_plus_uconst) {
		*off = (int64_t)ops[1].number;
		return true;
	}
	return false;
}

/* The rule of @frame as an entry, or why it cannot be one. */
static enum row_kind rule_of(Dwarf_Frame *frame, struct as_cfi_entry *e)
{
	Dwarf_Op ops_mem[3], *ops;
	uint64_t reg;
	size_t nops;
	int64_t off;
	bool signal;

	if (dwarf_frame_info(frame, NULL, NULL, &signal) != DWREG_RA)
		return ROW_RA;
	if (signal)
		return ROW_SIGNAL;
	if (dwarf_frame_register(frame, DWREG_RA, ops_mem, &ops, &nops) ||
	    !saved_at_cfa(ops, nops, &off) || off != -8)
		return ROW_RA;

	if (dwarf_frame_cfa(frame, &ops, &nops) ||
	    !cfa_of(ops, nops, &reg, &off))
		return ROW_CFA_EXPR;
	if (reg != DWREG_RSP && reg != DWREG_RBP)
		return ROW_CFA_REG;
	if (off < INT32_MIN || off > INT32_MAX)
		return ROW_OUT_RANGE;
	e->cfa_reg = reg == DWREG_RSP ? AS_UNWIND_CFA_RSP : AS_UNWIND_CFA_RBP;
	e->cfa_off = (int32_t)off;

	if (dwarf_frame_register(frame, DWREG_RBP, ops_mem, &ops, &nops))
		return ROW_RBP_RULE;
	if (nops == 0) {
		if (ops)
			return ROW_RBP_UNDEF;
		e->rbp_off = 0;
		return ROW_OK;
	}
	if (!saved_at_cfa(ops, nops, &off))
		return ROW_RBP_RULE;
	/* 0 means "not saved" in the entry. */
	if (off == 0 || off < INT16_MIN || off > INT16_MAX)
		return ROW_OUT_RANGE;
	e->rbp_off = (int16_t)off;
	return ROW_OK;
}

/*
 * The rule for the call whose return address is @ret. The row that covers
 * the call instruction (at @ret - 1) is the caller's frame during the
 * call; the row at @ret can belong to the next function when the call is
 * a noreturn one at the end of this one.
 */
static enum row_kind row_at(Dwarf_CFI *cfi, struct row_cache *cache,
			    uint64_t ret, struct as_cfi_entry *e)
{
	Dwarf_Addr pc = ret - 1;
	Dwarf_Frame *frame;

	if (cache->valid && pc >= cache->start && pc < cache->end) {
		*e = cache->rule;
		return cache->kind;
	}
	cache->valid = false;
	if (dwarf_cfi_addrframe(cfi, pc, &frame))
		return ROW_NO_FDE;
	memset(&cache->rule, 0, sizeof(cache->rule));
	cache->kind = rule_of(frame, &cache->rule);
	dwarf_frame_info(frame, &cache->start, &cache->end, NULL);
	cache->valid = true;
	free(frame);
	*e = cache->rule;
	return cache->kind;
}

static int table_add(struct table *t, const struct as_cfi_entry *e)
{
	/* a runtime library has thousands of call sites */
	if (buf__reserve((void **)&t->v, &t->cap, t->n + 1, sizeof(*t->v),
			 4096))
		return -ENOMEM;
	t->v[t->n++] = *e;
	return 0;
}

/*
 * Finds every call in @r, and every syscall (a stack walked from a system
 * call, mmap's, starts at the instruction after it, inside the wrapper),
 * and adds the ones with an expressible rule.
 */
static int sweep(csh h, cs_insn *insn, Dwarf_CFI *cfi, const uint8_t *image,
		 const struct region *r, struct table *t)
{
	const uint8_t *p = image + r->file_off;
	struct row_cache cache = {0};
	uint64_t addr = r->vaddr;
	size_t left = r->size;
	int err;

	while (left) {
		struct as_cfi_entry e;
		uint64_t ret;

		if (!cs_disasm_iter(h, &p, &left, &addr, insn)) {
			/* Data or padding in the code: resync byte by byte. */
			p++;
			left--;
			addr++;
			continue;
		}
		/* Far calls (lcall) push cs too: not a frame we model. */
		if (insn->id != X86_INS_CALL && insn->id != X86_INS_SYSCALL)
			continue;
		ret = insn->address + insn->size;
		if (row_at(cfi, &cache, ret, &e) != ROW_OK)
			continue;
		e.ret_offset = r->file_off + (ret - r->vaddr);
		err = table_add(t, &e);
		if (err)
			return err;
	}
	return 0;
}

/* The PT_LOAD that maps [vaddr, vaddr + size) from the file, or NULL. */
static const GElf_Phdr *load_of(const GElf_Phdr *ph, size_t nph, uint64_t vaddr,
				uint64_t size)
{
	size_t i;

	for (i = 0; i < nph; i++)
		if (ph[i].p_type == PT_LOAD && vaddr >= ph[i].p_vaddr &&
		    vaddr - ph[i].p_vaddr <= ph[i].p_filesz &&
		    size <= ph[i].p_filesz - (vaddr - ph[i].p_vaddr))
			return &ph[i];
	return NULL;
}

static int region_add(struct regions *r, const GElf_Phdr *load, uint64_t vaddr,
		      uint64_t size, size_t fsize)
{
	uint64_t off = load->p_offset + (vaddr - load->p_vaddr);

	/* A truncated file: decode what is there. */
	if (off >= fsize || size == 0)
		return 0;
	if (size > fsize - off)
		size = fsize - off;
	if (BUF_RESERVE(r->v, r->cap, r->n + 1))
		return -ENOMEM;
	r->v[r->n++] = (struct region){vaddr, size, off};
	return 0;
}

/*
 * The executable code: SHF_EXECINSTR sections (so that .rodata or
 * .eh_frame sharing an R+X segment in older layouts is not decoded), or
 * the PF_X segments when there are no section headers.
 */
static int code_regions(Elf *elf, const GElf_Phdr *ph, size_t nph, size_t fsize,
			struct regions *r)
{
	Elf_Scn *scn = NULL;
	size_t nsh = 0, i;
	int err;

	if (elf_getshdrnum(elf, &nsh) == 0 && nsh > 1) {
		while ((scn = elf_nextscn(elf, scn))) {
			const GElf_Phdr *load;
			GElf_Shdr sh;

			if (!gelf_getshdr(scn, &sh) ||
			    sh.sh_type == SHT_NOBITS ||
			    !(sh.sh_flags & SHF_EXECINSTR) ||
			    !(sh.sh_flags & SHF_ALLOC))
				continue;
			load = load_of(ph, nph, sh.sh_addr, sh.sh_size);
			if (!load)
				continue;
			err =
			    region_add(r, load, sh.sh_addr, sh.sh_size, fsize);
			if (err)
				return err;
		}
		return 0;
	}
	for (i = 0; i < nph; i++) {
		if (ph[i].p_type != PT_LOAD || !(ph[i].p_flags & PF_X))
			continue;
		err =
		    region_add(r, &ph[i], ph[i].p_vaddr, ph[i].p_filesz, fsize);
		if (err)
			return err;
	}
	return 0;
}

static int by_ret_offset(const void *a, const void *b)
{
	const struct as_cfi_entry *x = a, *y = b;

	return x->ret_offset < y->ret_offset   ? -1
	       : x->ret_offset > y->ret_offset ? 1
					       : 0;
}

/* Opens @path as a 64-bit little-endian x86-64 ELF file. */
static int open_elf(const char *path, int *fd, Elf **elf)
{
	GElf_Ehdr eh;

	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0)
		return -errno;
	*elf = elf_begin(*fd, ELF_C_READ_MMAP, NULL);
	if (!*elf || elf_kind(*elf) != ELF_K_ELF || !gelf_getehdr(*elf, &eh) ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_ident[EI_DATA] != ELFDATA2LSB || eh.e_machine != EM_X86_64)
		return -ENOEXEC;
	return 0;
}

/* The program headers of @elf, in one array the caller frees. */
static int read_phdrs(Elf *elf, GElf_Phdr **out, size_t *nph)
{
	GElf_Phdr *ph;
	size_t i;

	if (elf_getphdrnum(elf, nph))
		return -ENOEXEC;
	ph = calloc(*nph ? *nph : 1, sizeof(*ph));
	if (!ph)
		return -ENOMEM;
	for (i = 0; i < *nph; i++) {
		if (!gelf_getphdr(elf, (int)i, &ph[i])) {
			free(ph);
			return -ENOEXEC;
		}
	}
	*out = ph;
	return 0;
}

/* Sweeps every region of @r for calls into @t. */
static int sweep_regions(Dwarf_CFI *cfi, const uint8_t *image,
			 const struct regions *r, struct table *t)
{
	cs_insn *insn = NULL;
	csh h;
	size_t i;
	int err = 0;

	if (cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK)
		return -ENOTSUP;
	/* Detail stays off: the instruction id and length are all we use,
	 * and decoding operands costs 15-40% more time. */
	insn = cs_malloc(h);
	if (!insn) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (i = 0; i < r->n && !err; i++)
		err = sweep(h, insn, cfi, image, &r->v[i], t);
cleanup:
	if (insn)
		cs_free(insn, 1);
	cs_close(&h);
	return err;
}

/* Sorts @t by return address, one entry each, and hands it to @out. */
static void table_finish(struct table *t, struct as_cfi_entry **out, size_t *n)
{
	size_t i, j;

	qsort(t->v, t->n, sizeof(*t->v), by_ret_offset);
	for (i = j = 0; i < t->n; i++)
		if (j == 0 || t->v[i].ret_offset != t->v[j - 1].ret_offset)
			t->v[j++] = t->v[i];
	t->n = j;
	if (t->n == 0) {
		free(t->v);
		t->v = NULL;
	} else if (t->n < t->cap) {
		struct as_cfi_entry *v = realloc(t->v, t->n * sizeof(*v));

		if (v)
			t->v = v;
	}
	*out = t->v;
	*n = t->n;
	t->v = NULL;
}

int cfi_table__build(const char *path, struct as_cfi_entry **out, size_t *n)
{
	struct regions regions = {0};
	size_t nph = 0, fsize = 0;
	struct table t = {0};
	Dwarf_CFI *cfi = NULL;
	GElf_Phdr *ph = NULL;
	const uint8_t *image;
	Elf *elf = NULL;
	int fd = -1, err;

	if (!path || !out || !n)
		return -EINVAL;
	*out = NULL;
	*n = 0;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -ENOTSUP;
	err = open_elf(path, &fd, &elf);
	if (err)
		goto cleanup;
	image = (const uint8_t *)elf_rawfile(elf, &fsize);
	err = image ? read_phdrs(elf, &ph, &nph) : -ENOEXEC;
	if (err)
		goto cleanup;
	/* NULL: neither PT_GNU_EH_FRAME nor .eh_frame, so no rules. */
	cfi = dwarf_getcfi_elf(elf);
	if (!cfi)
		goto cleanup;
	err = code_regions(elf, ph, nph, fsize, &regions);
	err = err ?: sweep_regions(cfi, image, &regions, &t);
	if (!err)
		table_finish(&t, out, n);
cleanup:
	free(t.v);
	free(regions.v);
	if (cfi)
		dwarf_cfi_end(cfi);
	free(ph);
	if (elf)
		elf_end(elf);
	if (fd >= 0)
		close(fd);
	return err;
}
