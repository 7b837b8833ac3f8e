// SPDX-License-Identifier: MIT
/*
 * Unit tests for unwind: hand-written .cfi directives with known rules,
 * a compiled frame-pointer-less library, and this machine's libc and
 * libstdc++, every entry checked against binutils' independent reading of
 * the same CFI (readelf --debug-dump=frames-interp).
 */
#include <errno.h>
#include <fcntl.h>
#include <gnu/libc-version.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <capstone/capstone.h>
#include <cmocka.h>

#include "symbolize/elfsym.h"
#include "unwind/cfi_table.h"

#define LIBC	  "/usr/lib/x86_64-linux-gnu/libc.so.6"
#define LIBSTDCXX "/usr/lib/x86_64-linux-gnu/libstdc++.so.6"

/* ---- a scratch directory for compiled test objects ---- */

struct scratch {
	char dir[64];
	char path[8][128];
	int n;
};

static void scratch_init(struct scratch *s)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->dir, sizeof(s->dir), "/tmp/test_unwind.XXXXXX");
	assert_non_null(mkdtemp(s->dir));
}

/* The path of @name in the scratch directory, removed at scratch_end. */
static const char *scratch_file(struct scratch *s, const char *name)
{
	assert_true(s->n < 8);
	snprintf(s->path[s->n], sizeof(s->path[0]), "%s/%s", s->dir, name);
	return s->path[s->n++];
}

static const char *scratch_write(struct scratch *s, const char *name,
				 const char *text)
{
	const char *path = scratch_file(s, name);
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	return path;
}

static void scratch_end(struct scratch *s)
{
	int i;

	for (i = 0; i < s->n; i++)
		unlink(s->path[i]);
	rmdir(s->dir);
}

static void run(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (system(cmd) != 0)
		fail_msg("command failed: %s", cmd);
}

/* ---- the table ---- */

static const struct as_cfi_entry *find(const struct as_cfi_entry *v, size_t n,
				       uint64_t ret_offset)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v[mid].ret_offset == ret_offset)
			return &v[mid];
		if (v[mid].ret_offset < ret_offset)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static void assert_well_formed(const struct as_cfi_entry *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (i)
			assert_true(v[i - 1].ret_offset < v[i].ret_offset);
		assert_true(v[i].cfa_reg == AS_UNWIND_CFA_RSP ||
			    v[i].cfa_reg == AS_UNWIND_CFA_RBP);
		assert_int_equal(v[i].pad, 0);
	}
}

/* File offset of the (function-typed) label @name in @path. */
static uint64_t label(const char *path, const char *name)
{
	struct as_elfsym sym;

	assert_int_equal(elfsym__lookup(path, name, &sym), 0);
	return sym.file_offset;
}

static void assert_entry(const struct as_cfi_entry *v, size_t n,
			 const char *path, const char *ret_label, int cfa_reg,
			 int cfa_off, int rbp_off)
{
	const struct as_cfi_entry *e = find(v, n, label(path, ret_label));

	if (!e)
		fail_msg("no entry for %s", ret_label);
	assert_int_equal(e->cfa_reg, cfa_reg);
	assert_int_equal(e->cfa_off, cfa_off);
	assert_int_equal(e->rbp_off, rbp_off);
}

static void assert_no_entry(const struct as_cfi_entry *v, size_t n,
			    const char *path, const char *ret_label)
{
	if (find(v, n, label(path, ret_label)))
		fail_msg("unexpected entry for %s", ret_label);
}

/* ---- readelf's reading of .eh_frame ---- */

struct rf_row {
	uint64_t loc;
	char cfa[24]; /* "rsp+32", "rbp+16", "exp", "r10+0" */
	char rbp[16]; /* "c-16", "u" or "" (no column) */
};

/* An FDE, or a CIE whose initial row serves FDEs without a table. */
struct rf_fde {
	uint64_t start, end; /* pc range; CIEs: 0, 0 */
	uint32_t self, cie;  /* offsets in .eh_frame */
	size_t first, nrows; /* in rf.rows */
};

struct rf {
	struct rf_row *rows;
	size_t nrows, caprows;
	struct rf_fde *fdes;
	size_t nfdes, capfdes;
};

static void *grow(void *v, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return v;
	*cap = need * 2;
	v = realloc(v, *cap * size);
	assert_non_null(v);
	return v;
}

static int fde_cmp(const void *a, const void *b)
{
	const struct rf_fde *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start ? 1 : 0;
}

static void rf_load(const char *path, struct rf *rf)
{
	char cmd[512], *line = NULL, *tok, *save;
	struct rf_fde *cur = NULL;
	int rbp_col = -1;
	size_t cap = 0;
	FILE *p;

	memset(rf, 0, sizeof(*rf));
	snprintf(cmd, sizeof(cmd),
		 "readelf --debug-dump=frames-interp '%s' 2>/dev/null", path);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (getline(&line, &cap, p) > 0) {
		unsigned long long start, end, len, self, cie, id;
		bool fde = false;
		struct rf_row *r;
		int col;

		if ((fde = sscanf(line,
				  "%llx %llx %llx FDE cie=%llx "
				  "pc=%llx..%llx",
				  &self, &len, &id, &cie, &start, &end) == 6) ||
		    (strstr(line, " CIE ") &&
		     sscanf(line, "%llx %llx %llx", &self, &len, &id) == 3)) {

			rf->fdes = grow(rf->fdes, &rf->capfdes, rf->nfdes + 1,
					sizeof(*rf->fdes));
			cur = &rf->fdes[rf->nfdes++];
			*cur = (struct rf_fde){
			    fde ? start : 0, fde ? end : 0,
			    (uint32_t)self,  (uint32_t)(fde ? cie : self),
			    rf->nrows,	     0};
			rbp_col = -1;
			continue;
		}
		if (!cur)
			continue;
		if (strncmp(line, "   LOC", 6) == 0) {
			strtok_r(line, " \n", &save);
			for (col = 0; (tok = strtok_r(NULL, " \n", &save));
			     col++)
				if (strcmp(tok, "rbp") == 0)
					rbp_col = col;
			continue;
		}
		if (strlen(line) < 17 || line[16] != ' ' ||
		    strspn(line, "0123456789abcdef") != 16)
			continue;
		rf->rows = grow(rf->rows, &rf->caprows, rf->nrows + 1,
				sizeof(*rf->rows));
		r = &rf->rows[rf->nrows++];
		memset(r, 0, sizeof(*r));
		r->loc = strtoull(strtok_r(line, " \n", &save), NULL, 16);
		/* A register rule is printed "r10 (r10)": the name in
		 * parentheses belongs to the column before it. */
		for (col = 0; (tok = strtok_r(NULL, " \n", &save)); col++) {
			if (tok[0] == '(')
				col--;
			else if (col == 0)
				snprintf(r->cfa, sizeof(r->cfa), "%s", tok);
			else if (col == rbp_col)
				snprintf(r->rbp, sizeof(r->rbp), "%s", tok);
		}
		cur->nrows++;
	}
	free(line);
	/* readelf exits 1 on libc.so.6 with nothing on stderr (binutils
	 * 2.40): the FDE count below is what shows the dump was read. */
	pclose(p);
	assert_true(rf->nfdes > 0);
	qsort(rf->fdes, rf->nfdes, sizeof(*rf->fdes), fde_cmp);
}

static void rf_free(struct rf *rf)
{
	free(rf->rows);
	free(rf->fdes);
}

/* The row readelf shows for @pc, or NULL when no FDE covers it. */
static const struct rf_row *rf_row_at(const struct rf *rf, uint64_t pc)
{
	const struct rf_fde *f;
	size_t lo = 0, hi = rf->nfdes, i;

	/* FDEs do not overlap: the last one starting at or below @pc, past
	 * any empty ones, is the only candidate. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (rf->fdes[mid].start <= pc)
			lo = mid + 1;
		else
			hi = mid;
	}
	while (lo > 0 && rf->fdes[lo - 1].start == rf->fdes[lo - 1].end)
		lo--;
	if (lo == 0 || pc >= rf->fdes[lo - 1].end)
		return NULL;
	f = &rf->fdes[lo - 1];
	if (f->nrows == 0) {
		/* No instructions of its own: the CIE's initial row. */
		for (i = 0; i < rf->nfdes; i++)
			if (rf->fdes[i].end == 0 && rf->fdes[i].self == f->cie)
				f = &rf->fdes[i];
		assert_int_not_equal(f->nrows, 0);
		return &rf->rows[f->first];
	}
	for (i = f->nrows; i > 1; i--)
		if (rf->rows[f->first + i - 1].loc <= pc)
			break;
	return &rf->rows[f->first + i - 1];
}

/*
 * Every entry must be what readelf says for the call instruction's row
 * (return address - 1). @delta is vaddr - file offset of the code.
 */
static void check_against_readelf(const char *path,
				  const struct as_cfi_entry *v, size_t n,
				  int64_t delta)
{
	size_t i, nrbp = 0, saved = 0;
	struct rf rf;

	rf_load(path, &rf);
	for (i = 0; i < n; i++) {
		uint64_t pc = v[i].ret_offset + delta - 1;
		const struct rf_row *r = rf_row_at(&rf, pc);
		char got_cfa[24];
		int want_rbp = 0;

		if (!r)
			fail_msg("%s: entry at %#llx, readelf has no FDE", path,
				 (unsigned long long)v[i].ret_offset);
		snprintf(got_cfa, sizeof(got_cfa), "%s%+d",
			 v[i].cfa_reg == AS_UNWIND_CFA_RSP ? "rsp" : "rbp",
			 v[i].cfa_off);
		/* readelf spells a register-based CFA as "rsp+8". */
		if (strcmp(got_cfa, r->cfa) != 0)
			fail_msg("%s: pc %#llx: CFA %s, readelf %s", path,
				 (unsigned long long)pc, got_cfa, r->cfa);
		if (r->rbp[0] == 'c')
			want_rbp = atoi(r->rbp + 1);
		else if (r->rbp[0] && strcmp(r->rbp, "u") != 0)
			fail_msg("%s: pc %#llx: readelf rbp rule %s kept", path,
				 (unsigned long long)pc, r->rbp);
		if (v[i].rbp_off != want_rbp)
			fail_msg("%s: pc %#llx: rbp_off %d, readelf %s", path,
				 (unsigned long long)pc, v[i].rbp_off, r->rbp);
		nrbp += v[i].cfa_reg == AS_UNWIND_CFA_RBP;
		saved += v[i].rbp_off != 0;
	}
	print_message("%s: %zu entries match readelf (%zu CFA=rbp+N, %zu "
		      "save rbp)\n",
		      path, n, nrbp, saved);
	rf_free(&rf);
}

/* Number of call instructions objdump finds in @path. */
static size_t objdump_calls(const char *path)
{
	char cmd[512];
	size_t n = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd),
		 "objdump -d --no-show-raw-insn '%s' | grep -cE "
		 "'^ +[0-9a-f]+:\\s+(bnd |notrack )?call '",
		 path);
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_int_equal(fscanf(p, "%zu", &n), 1);
	pclose(p);
	return n;
}

/* ---- hand-written CFI ---- */

static const char asm_src[] =
    "	.macro	label name\n"
    "	.globl	\\name\n"
    "	.type	\\name, @function\n"
    "\\name:\n"
    "	.endm\n"
    "	.text\n"
    /* Two pushes and a sub: CFA = rsp + 32, rbp at CFA - 16. */
    "	label	f_rsp\n"
    "	.cfi_startproc\n"
    "	pushq	%rbp\n"
    "	.cfi_def_cfa_offset 16\n"
    "	.cfi_offset %rbp, -16\n"
    "	pushq	%rbx\n"
    "	.cfi_def_cfa_offset 24\n"
    "	.cfi_offset %rbx, -24\n"
    "	subq	$8, %rsp\n"
    "	.cfi_def_cfa_offset 32\n"
    "	call	ext@PLT\n"
    "	label	r_plt\n"
    "	call	*%rax\n"
    "	label	r_reg\n"
    "	call	*8(%rdi)\n"
    "	label	r_mem\n"
    "	call	local_fn\n"
    "	label	r_direct\n"
    "	lcall	*(%rax)\n"
    "	label	r_far\n"
    "	addq	$8, %rsp\n"
    "	.cfi_def_cfa_offset 24\n"
    "	popq	%rbx\n"
    "	.cfi_def_cfa_offset 16\n"
    "	popq	%rbp\n"
    "	.cfi_def_cfa_offset 8\n"
    "	ret\n"
    "	.cfi_endproc\n"
    /* A frame-pointer frame: CFA = rbp + 16. */
    "	label	f_rbp\n"
    "	.cfi_startproc\n"
    "	pushq	%rbp\n"
    "	.cfi_def_cfa_offset 16\n"
    "	.cfi_offset %rbp, -16\n"
    "	movq	%rsp, %rbp\n"
    "	.cfi_def_cfa_register %rbp\n"
    "	subq	$32, %rsp\n"
    "	call	ext@PLT\n"
    "	label	r_fp\n"
    "	leave\n"
    "	.cfi_def_cfa %rsp, 8\n"
    "	ret\n"
    "	.cfi_endproc\n"
    /* rbp untouched; an instruction capstone 4 cannot decode, which the
     * sweep skips byte by byte and resyncs on the nops. */
    "	label	f_small\n"
    "	.cfi_startproc\n"
    "	subq	$8, %rsp\n"
    "	.cfi_def_cfa_offset 16\n"
    "	vptestnmb %zmm1, %zmm1, %k4{%k1}\n"
    "	.fill	8, 1, 0x90\n"
    "	call	local_fn\n"
    "	label	r_small\n"
    "	addq	$8, %rsp\n"
    "	.cfi_def_cfa_offset 8\n"
    "	ret\n"
    "	.cfi_endproc\n"
    "local_fn:\n"
    "	.cfi_startproc\n"
    "	ret\n"
    "	.cfi_endproc\n"
    /* Rules the BPF walker cannot follow, one per call. */
    "	label	f_drops\n"
    "	.cfi_startproc\n"
    "	pushq	%rbp\n"
    "	.cfi_def_cfa_offset 16\n"
    "	.cfi_offset %rbp, 0\n"
    "	call	ext@PLT\n"
    "	label	d_off0\n"
    "	.cfi_offset %rbp, -40000\n"
    "	call	ext@PLT\n"
    "	label	d_big\n"
    "	.cfi_val_offset %rbp, -16\n"
    "	call	ext@PLT\n"
    "	label	d_val\n"
    "	.cfi_register %rbp, %rbx\n"
    "	call	ext@PLT\n"
    "	label	d_reg\n"
    "	.cfi_undefined %rbp\n"
    "	call	ext@PLT\n"
    "	label	d_undef\n"
    "	.cfi_offset %rbp, -16\n"
    /* DW_CFA_def_cfa_expression: DW_OP_breg7 8, DW_OP_deref */
    "	.cfi_escape 0x0f, 0x03, 0x77, 0x08, 0x06\n"
    "	call	ext@PLT\n"
    "	label	d_expr\n"
    "	.cfi_def_cfa %r10, 0\n"
    "	call	ext@PLT\n"
    "	label	d_r10\n"
    "	.cfi_def_cfa %rsp, 16\n"
    "	.cfi_undefined %rip\n"
    "	call	ext@PLT\n"
    "	label	d_ra\n"
    "	.cfi_offset %rip, -8\n"
    /* DW_CFA_def_cfa_expression: DW_OP_breg7 16 - just rsp + 16. */
    "	.cfi_escape 0x0f, 0x02, 0x77, 0x10\n"
    "	call	ext@PLT\n"
    "	label	k_bregexpr\n"
    "	popq	%rbp\n"
    "	ret\n"
    "	.cfi_endproc\n"
    /* A noreturn call ending a function: its return address is the next
     * function's first byte, whose own row is rsp + 8. */
    "	label	f_noreturn\n"
    "	.cfi_startproc\n"
    "	pushq	%rbp\n"
    "	.cfi_def_cfa_offset 16\n"
    "	.cfi_offset %rbp, -16\n"
    "	call	abort@PLT\n"
    "	.cfi_endproc\n"
    "	label	f_next\n"
    "	.cfi_startproc\n"
    "	pushq	%rbx\n"
    "	.cfi_def_cfa_offset 16\n"
    "	.cfi_offset %rbx, -16\n"
    "	call	ext@PLT\n"
    "	label	r_next\n"
    "	popq	%rbx\n"
    "	.cfi_def_cfa_offset 8\n"
    "	ret\n"
    "	.cfi_endproc\n"
    /* No FDE at all. */
    "	label	f_nocfi\n"
    "	call	ext@PLT\n"
    "	label	d_nocfi\n"
    "	ret\n";

static void test_hand_written_cfi(void **state)
{
	static const char *const dropped[] = {
	    "r_far",   "d_off0", "d_big", "d_val", "d_reg",
	    "d_undef", "d_expr", "d_r10", "d_ra",  "d_nocfi",
	};
	struct as_cfi_entry *v = NULL;
	struct scratch s;
	const char *src, *so;
	size_t n, i;

	(void)state;
	scratch_init(&s);
	src = scratch_write(&s, "t.s", asm_src);
	so = scratch_file(&s, "t.so");
	run("cc -shared -nostdlib -o '%s' '%s'", so, src);

	assert_int_equal(cfi_table__build(so, &v, &n), 0);
	assert_well_formed(v, n);
	assert_entry(v, n, so, "r_plt", AS_UNWIND_CFA_RSP, 32, -16);
	assert_entry(v, n, so, "r_reg", AS_UNWIND_CFA_RSP, 32, -16);
	assert_entry(v, n, so, "r_mem", AS_UNWIND_CFA_RSP, 32, -16);
	assert_entry(v, n, so, "r_direct", AS_UNWIND_CFA_RSP, 32, -16);
	assert_entry(v, n, so, "r_fp", AS_UNWIND_CFA_RBP, 16, -16);
	assert_entry(v, n, so, "r_small", AS_UNWIND_CFA_RSP, 16, 0);
	assert_entry(v, n, so, "k_bregexpr", AS_UNWIND_CFA_RSP, 16, -16);
	assert_entry(v, n, so, "f_next", AS_UNWIND_CFA_RSP, 16, -16);
	assert_entry(v, n, so, "r_next", AS_UNWIND_CFA_RSP, 16, 0);
	for (i = 0; i < sizeof(dropped) / sizeof(dropped[0]); i++)
		assert_no_entry(v, n, so, dropped[i]);
	assert_int_equal(n, 9);
	free(v);
	scratch_end(&s);
}

/* ---- a compiled library without frame pointers ---- */

static const char c_src[] =
    "extern void *make(unsigned long);\n"
    "extern void sink(void *, void *);\n"
    "extern unsigned long pick(unsigned long (*)(unsigned long));\n"
    "static unsigned long twice(unsigned long x) { return 2 * x; }\n"
    "void *keep(unsigned long n)\n"
    "{\n"
    "	void *a = make(n), *b = make(n + 1), *c = make(n + 2);\n"
    "	sink(a, b);\n"
    "	sink(b, c);\n"
    "	return make(pick(twice));\n"
    "}\n"
    "unsigned long many(unsigned long (*f)(unsigned long), unsigned long n)\n"
    "{\n"
    "	unsigned long s = 0, i;\n"
    "	char buf[64];\n"
    "	for (i = 0; i < n; i++) {\n"
    "		buf[i & 63] = (char)f(i);\n"
    "		s += f(s) + buf[(s ^ i) & 63];\n"
    "	}\n"
    "	sink(buf, &s);\n"
    "	return s;\n"
    "}\n";

static void test_compiled_library(void **state)
{
	struct as_cfi_entry *v = NULL;
	struct as_elfsym keep;
	struct scratch s;
	const char *src, *so;
	size_t n, i, in_keep = 0;

	(void)state;
	scratch_init(&s);
	src = scratch_write(&s, "c.c", c_src);
	so = scratch_file(&s, "c.so");
	run("cc -O2 -fomit-frame-pointer -fasynchronous-unwind-tables "
	    "-shared -fPIC -nostdlib -o '%s' '%s'",
	    so, src);

	assert_int_equal(cfi_table__build(so, &v, &n), 0);
	assert_well_formed(v, n);
	/* Every call has a plain rsp-based rule in such code. */
	assert_int_equal(n, objdump_calls(so));
	assert_int_equal(elfsym__lookup(so, "keep", &keep), 0);
	for (i = 0; i < n; i++)
		if (v[i].ret_offset > keep.file_offset &&
		    v[i].ret_offset <= keep.file_offset + keep.size) {
			in_keep++;
			assert_int_equal(v[i].cfa_reg, AS_UNWIND_CFA_RSP);
			assert_true(v[i].cfa_off > 8);
		}
	assert_true(in_keep >= 5);
	check_against_readelf(so, v, n,
			      (int64_t)(keep.vaddr - keep.file_offset));
	free(v);
	scratch_end(&s);
}

/* ---- this machine's runtime ---- */

/* The return addresses of the calls in @fn, decoded with capstone. */
static size_t calls_in(const char *path, const struct as_elfsym *fn,
		       uint64_t *rets, size_t max, char (*text)[64])
{
	uint8_t code[256];
	const uint8_t *p = code;
	uint64_t addr = fn->file_offset;
	size_t left = fn->size, n = 0, k = 0;
	cs_insn *insn;
	csh h;

	assert_true(fn->size <= sizeof(code));
	assert_int_equal(elfsym__read(path, fn->file_offset, code, fn->size),
			 0);
	assert_int_equal(cs_open(CS_ARCH_X86, CS_MODE_64, &h), CS_ERR_OK);
	insn = cs_malloc(h);
	assert_non_null(insn);
	while (left && cs_disasm_iter(h, &p, &left, &addr, insn)) {
		if (k < 8)
			snprintf(text[k++], 64, "%s%s%s", insn->mnemonic,
				 insn->op_str[0] ? " " : "", insn->op_str);
		if (insn->id == X86_INS_CALL && n < max)
			rets[n++] = insn->address + insn->size;
	}
	assert_int_equal(left, 0);
	cs_free(insn, 1);
	cs_close(&h);
	return n;
}

static void test_libc(void **state)
{
	static const char *const strdup_236[] = {
	    "push rbp", "push rbx",	      "mov rbx, rdi", "sub rsp, 8",
	    "call",	"lea rbp, [rax + 1]", "mov rdi, rbp", "call",
	};
	struct as_cfi_entry *v = NULL;
	const struct as_cfi_entry *e;
	char text[8][64] = {{0}};
	struct as_elfsym fn;
	uint64_t rets[4];
	size_t n, ncalls, i;

	(void)state;
	assert_int_equal(cfi_table__build(LIBC, &v, &n), 0);
	print_message("%s: %zu entries\n", LIBC, n);
	assert_true(n > 10000);
	assert_well_formed(v, n);

	assert_int_equal(elfsym__lookup(LIBC, "strdup", &fn), 0);
	ncalls = calls_in(LIBC, &fn, rets, 4, text);
	if (strcmp(gnu_get_libc_version(), "2.36") == 0) {
		/* push rbp; push rbx; mov rbx,rdi; sub rsp,8; call strlen;
		 * lea rbp,[rax+1]; mov rdi,rbp; call malloc: CFA is 8 (ret)
		 * + 8 (rbp) + 8 (rbx) + 8 (sub) above rsp, and rbp was
		 * pushed right below the return address, at CFA - 16. */
		for (i = 0; i < 8; i++)
			assert_memory_equal(text[i], strdup_236[i],
					    strlen(strdup_236[i]));
		assert_int_equal(ncalls, 2);
		for (i = 0; i < ncalls; i++) {
			e = find(v, n, rets[i]);
			assert_non_null(e);
			print_message("strdup call %zu: ret %#llx cfa %s%+d "
				      "rbp_off %d\n",
				      i, (unsigned long long)e->ret_offset,
				      e->cfa_reg ? "rbp" : "rsp", e->cfa_off,
				      e->rbp_off);
			assert_int_equal(e->cfa_reg, AS_UNWIND_CFA_RSP);
			assert_int_equal(e->cfa_off, 32);
			assert_int_equal(e->rbp_off, -16);
		}
	} else {
		print_message("glibc %s, not 2.36: strdup layout not checked\n",
			      gnu_get_libc_version());
		assert_true(ncalls >= 1);
		assert_non_null(find(v, n, rets[ncalls - 1]));
	}
	check_against_readelf(LIBC, v, n, (int64_t)(fn.vaddr - fn.file_offset));
	free(v);
}

static void test_libstdcxx(void **state)
{
	struct as_cfi_entry *v = NULL;
	struct as_elfsym fn;
	size_t n;

	(void)state;
	assert_int_equal(cfi_table__build(LIBSTDCXX, &v, &n), 0);
	print_message("%s: %zu entries\n", LIBSTDCXX, n);
	assert_true(n > 10000);
	assert_well_formed(v, n);
	assert_int_equal(elfsym__lookup(LIBSTDCXX, "_Znwm", &fn), 0);
	check_against_readelf(LIBSTDCXX, v, n,
			      (int64_t)(fn.vaddr - fn.file_offset));
	free(v);
}

/* ---- files that have no table ---- */

static void test_no_eh_frame(void **state)
{
	struct as_cfi_entry *v = (struct as_cfi_entry *)&v;
	struct scratch s;
	const char *src, *so;
	size_t n = 99;

	(void)state;
	scratch_init(&s);
	src = scratch_write(&s, "n.s",
			    "	.text\n"
			    "	.globl f\n"
			    "	.type f, @function\n"
			    "f:	call ext@PLT\n"
			    "	call *%rax\n"
			    "	ret\n");
	so = scratch_file(&s, "n.so");
	run("cc -shared -nostdlib -o '%s' '%s'", so, src);
	assert_int_equal(objdump_calls(so), 2);
	assert_int_equal(cfi_table__build(so, &v, &n), 0);
	assert_int_equal(n, 0);
	assert_null(v);
	scratch_end(&s);
}

static void test_not_x86_64_elf(void **state)
{
	static const uint8_t aarch64 = 183; /* EM_AARCH64 */
	struct as_cfi_entry *v = NULL;
	const char *text, *empty, *so;
	struct scratch s;
	size_t n;
	int fd;

	(void)state;
	scratch_init(&s);
	text = scratch_write(&s, "text", "not an ELF file\n");
	empty = scratch_write(&s, "empty", "");
	assert_int_equal(cfi_table__build(text, &v, &n), -ENOEXEC);
	assert_int_equal(cfi_table__build(empty, &v, &n), -ENOEXEC);
	assert_int_equal(cfi_table__build("/nonexistent/x.so", &v, &n),
			 -ENOENT);
	assert_int_equal(cfi_table__build(NULL, &v, &n), -EINVAL);

	/* A valid x86-64 object with e_machine changed. */
	so = scratch_file(&s, "m.so");
	run("cp '%s' '%s'", LIBSTDCXX, so);
	fd = open(so, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, &aarch64, 1, 18), 1);
	close(fd);
	assert_int_equal(cfi_table__build(so, &v, &n), -ENOEXEC);
	assert_null(v);
	scratch_end(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_hand_written_cfi),
	    cmocka_unit_test(test_compiled_library),
	    cmocka_unit_test(test_libc),
	    cmocka_unit_test(test_libstdcxx),
	    cmocka_unit_test(test_no_eh_frame),
	    cmocka_unit_test(test_not_x86_64_elf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
