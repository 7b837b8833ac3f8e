// SPDX-License-Identifier: MIT
/*
 * probesite.c - choose the entry uprobe site of a function with capstone.
 *
 * Which instructions the kernel emulates is read from Linux 6.18's
 * arch/x86/kernel/uprobes.c: arch_uprobe_analyze_insn() tries
 * branch_setup_xol_ops() (the x86_nops[] forms, opcode 0x90 with any
 * prefixes, jmp rel8/rel32, call rel32, jcc rel8/rel32, none with a 0x66
 * prefix) and push_setup_xol_ops() (push r64: 50-57 alone, or 41 50-57),
 * after uprobe_init_insn() has refused any instruction with a
 * cs/ds/es/ss segment or lock prefix. Everything else is single-stepped.
 *
 * A site S > +0 is used only when the code in [+0, S) is straight-line and
 * every call executes it once and then reaches S with what the probe reads
 * intact. So no direct branch of the function may land in (+0, S]:
 * landing inside the prefix would skip pushes (wrong pushed_words) or
 * re-run it, and landing on S itself fires the probe a second time for one
 * call. A branch to +0 is harmless: it is a new pass through the whole
 * prefix, just as a probe at +0 would fire again. Indirect jumps (switch
 * tables) hide their targets, so with one in the function only +0 is
 * used. Branches from other symbols (e.g. a "fn.cold" part jumping back)
 * are not looked for; compilers return from those past the prologue.
 */
#include <elf.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <capstone/capstone.h>

#include "symbolize/elfsym.h"
#include "trace/probesite.h"

/* Linux's x86-64 x86_nops[1..8]; its 9- to 11-byte forms carry a cs
 * prefix, which uprobe_init_insn() refuses before looking them up. */
static const uint8_t kernel_nops[8][8] = {
    {0x90},
    {0x66, 0x90},
    {0x0f, 0x1f, 0x00},
    {0x0f, 0x1f, 0x40, 0x00},
    {0x0f, 0x1f, 0x44, 0x00, 0x00},
    {0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00},
    {0x0f, 0x1f, 0x80, 0x00, 0x00, 0x00, 0x00},
    {0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00},
};

/* What the decode of the whole body found. */
struct body_scan {
	uint64_t min_target; /* lowest direct branch target in (0, len) */
	uint64_t min_target_from;
	bool indirect; /* an indirect jmp: targets unknown */
	uint64_t indirect_at;
	bool stopped; /* capstone could not decode up to the end */
	uint64_t stopped_at;
};

/* Does Linux 6.18 emulate (not single-step) the uprobe'd instruction? */
static bool kernel_emulates(const uint8_t *b, size_t n)
{
	bool opsize = false;
	uint8_t rex = 0, op;
	size_t i;

	for (i = 0; i < n; i++) {
		switch (b[i]) {
		case 0x26:
		case 0x2e:
		case 0x36:
		case 0x3e:
		case 0xf0:
			return false; /* refused: no probe possible at all */
		case 0x66:
			opsize = true;
			continue;
		case 0x64:
		case 0x65:
		case 0x67:
		case 0xf2:
		case 0xf3:
			continue;
		}
		break;
	}
	if (i < n && (b[i] & 0xf0) == 0x40)
		rex = b[i++];
	if (i >= n)
		return false;
	if (n <= 8 && memcmp(b, kernel_nops[n - 1], n) == 0)
		return true;
	op = b[i];
	/* The kernel skips any 0x90 as a nop; with REX.B it is really
	 * "xchg r8, rax", which a probe there would silently drop. */
	if (op == 0x90)
		return !(rex & 0x01);
	if (op == 0xe8 || op == 0xe9 || op == 0xeb ||
	    (op >= 0x70 && op <= 0x7f))
		return !opsize;
	if (op == 0x0f && i + 1 < n && b[i + 1] >= 0x80 && b[i + 1] <= 0x8f)
		return !opsize;
	if (n == 1 && b[0] >= 0x50 && b[0] <= 0x57)
		return true;
	return n == 2 && b[0] == 0x41 && b[1] >= 0x50 && b[1] <= 0x57;
}

/* General register (encoding number + 1) of each capstone register name. */
static const uint8_t gpr_plus1[X86_REG_ENDING] = {
    [X86_REG_RAX] = 1,	 [X86_REG_EAX] = 1,   [X86_REG_AX] = 1,
    [X86_REG_AH] = 1,	 [X86_REG_AL] = 1,    [X86_REG_RCX] = 2,
    [X86_REG_ECX] = 2,	 [X86_REG_CX] = 2,    [X86_REG_CH] = 2,
    [X86_REG_CL] = 2,	 [X86_REG_RDX] = 3,   [X86_REG_EDX] = 3,
    [X86_REG_DX] = 3,	 [X86_REG_DH] = 3,    [X86_REG_DL] = 3,
    [X86_REG_RBX] = 4,	 [X86_REG_EBX] = 4,   [X86_REG_BX] = 4,
    [X86_REG_BH] = 4,	 [X86_REG_BL] = 4,    [X86_REG_RSP] = 5,
    [X86_REG_ESP] = 5,	 [X86_REG_SP] = 5,    [X86_REG_SPL] = 5,
    [X86_REG_RBP] = 6,	 [X86_REG_EBP] = 6,   [X86_REG_BP] = 6,
    [X86_REG_BPL] = 6,	 [X86_REG_RSI] = 7,   [X86_REG_ESI] = 7,
    [X86_REG_SI] = 7,	 [X86_REG_SIL] = 7,   [X86_REG_RDI] = 8,
    [X86_REG_EDI] = 8,	 [X86_REG_DI] = 8,    [X86_REG_DIL] = 8,
    [X86_REG_R8] = 9,	 [X86_REG_R8D] = 9,   [X86_REG_R8W] = 9,
    [X86_REG_R8B] = 9,	 [X86_REG_R9] = 10,   [X86_REG_R9D] = 10,
    [X86_REG_R9W] = 10,	 [X86_REG_R9B] = 10,  [X86_REG_R10] = 11,
    [X86_REG_R10D] = 11, [X86_REG_R10W] = 11, [X86_REG_R10B] = 11,
    [X86_REG_R11] = 12,	 [X86_REG_R11D] = 12, [X86_REG_R11W] = 12,
    [X86_REG_R11B] = 12, [X86_REG_R12] = 13,  [X86_REG_R12D] = 13,
    [X86_REG_R12W] = 13, [X86_REG_R12B] = 13, [X86_REG_R13] = 14,
    [X86_REG_R13D] = 14, [X86_REG_R13W] = 14, [X86_REG_R13B] = 14,
    [X86_REG_R14] = 15,	 [X86_REG_R14D] = 15, [X86_REG_R14W] = 15,
    [X86_REG_R14B] = 15, [X86_REG_R15] = 16,  [X86_REG_R15D] = 16,
    [X86_REG_R15W] = 16, [X86_REG_R15B] = 16,
};

/* The general register (encoding number) that @r is part of, or -1. */
static int gpr_of(unsigned int r)
{
	return r < X86_REG_ENDING ? (int)gpr_plus1[r] - 1 : -1;
}

static const char *const gpr_names[16] = {
    "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
    "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15",
};

static bool in_group(const cs_insn *insn, uint8_t group)
{
	uint8_t i;

	for (i = 0; i < insn->detail->groups_count; i++)
		if (insn->detail->groups[i] == group)
			return true;
	return false;
}

static bool changes_control_flow(const cs_insn *insn)
{
	switch (insn->id) {
	case X86_INS_SYSCALL:
	case X86_INS_SYSENTER:
	case X86_INS_SYSEXIT:
	case X86_INS_SYSRET:
	case X86_INS_UD0:
	case X86_INS_UD2:
	case X86_INS_UD2B:
	case X86_INS_HLT:
	case X86_INS_XABORT:
	case X86_INS_XBEGIN:
	case X86_INS_XEND:
		return true;
	default:
		break;
	}
	return in_group(insn, X86_GRP_JUMP) || in_group(insn, X86_GRP_CALL) ||
	       in_group(insn, X86_GRP_RET) || in_group(insn, X86_GRP_INT) ||
	       in_group(insn, X86_GRP_IRET) ||
	       in_group(insn, X86_GRP_PRIVILEGE) ||
	       in_group(insn, X86_GRP_BRANCH_RELATIVE);
}

static void insn_text(const cs_insn *insn, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s", insn->mnemonic, insn->op_str[0] ? " " : "",
		 insn->op_str);
}

/* Records every direct branch target and indirect jmp in the body. */
static void scan_body(csh h, cs_insn *insn, const uint8_t *code, size_t len,
		      uint64_t start, struct body_scan *scan)
{
	const uint8_t *p = code;
	uint64_t addr = start;
	size_t left = len;

	memset(scan, 0, sizeof(*scan));
	scan->min_target = UINT64_MAX;
	while (left && cs_disasm_iter(h, &p, &left, &addr, insn)) {
		const cs_x86 *x = &insn->detail->x86;
		uint64_t at = insn->address - start;

		if (in_group(insn, X86_GRP_BRANCH_RELATIVE) &&
		    x->op_count >= 1 && x->operands[0].type == X86_OP_IMM) {
			uint64_t t = (uint64_t)x->operands[0].imm - start;

			if (t > 0 && t < len && t < scan->min_target) {
				scan->min_target = t;
				scan->min_target_from = at;
			}
		} else if (in_group(insn, X86_GRP_JUMP) && !scan->indirect) {
			scan->indirect = true;
			scan->indirect_at = at;
		}
	}
	if (left) {
		scan->stopped = true;
		scan->stopped_at = len - left;
	}
}

/*
 * Why the not-emulated @insn at +@at may not precede the site, into @why;
 * false when it may. *@words is 1 for an 8-byte push.
 */
static bool blocks_site(csh h, const cs_insn *insn, uint64_t at, uint32_t keep,
			uint32_t *words, char *why, size_t whylen)
{
	const cs_x86 *x = &insn->detail->x86;
	uint8_t nread, nwrite, i;
	cs_regs rd, wr;
	bool push;
	char txt[64];

	insn_text(insn, txt, sizeof(txt));
	*words = 0;
	if (changes_control_flow(insn)) {
		snprintf(why, whylen, "'%s' at +%llu changes control flow", txt,
			 (unsigned long long)at);
		return true;
	}
	push = insn->id == X86_INS_PUSHFQ || insn->id == X86_INS_PUSH;
	if (insn->id == X86_INS_PUSH &&
	    (x->op_count != 1 || x->operands[0].size != 8)) {
		snprintf(why, whylen, "'%s' at +%llu is not an 8-byte push",
			 txt, (unsigned long long)at);
		return true;
	}
	if (cs_regs_access(h, insn, rd, &nread, wr, &nwrite) != CS_ERR_OK) {
		snprintf(why, whylen,
			 "cannot tell which registers '%s' at +%llu writes",
			 txt, (unsigned long long)at);
		return true;
	}
	for (i = 0; i < nwrite; i++) {
		int g = gpr_of(wr[i]);

		if (g < 0 || !(keep & (1u << g)))
			continue;
		if (push && g == 4)
			continue;
		snprintf(why, whylen, "'%s' at +%llu writes %s, %s", txt,
			 (unsigned long long)at, gpr_names[g],
			 g == 4	  ? "which holds the return address"
			 : g == 5 ? "the frame-pointer chain"
				  : "which the probe reads");
		return true;
	}
	for (i = 0; i < x->op_count; i++) {
		const cs_x86_op *op = &x->operands[i];
		int g;

		if (op->type != X86_OP_MEM || !(op->access & CS_AC_WRITE))
			continue;
		g = gpr_of(op->mem.base);
		if (g == 4 || g == 5) {
			snprintf(why, whylen, "'%s' at +%llu stores through %s",
				 txt, (unsigned long long)at, gpr_names[g]);
			return true;
		}
	}
	*words = push ? 1 : 0;
	return false;
}

/*
 * Whether every call reaches +@at exactly once, through [+0, +@at): no
 * branch lands in (+0, +@at] and no branch target is hidden. If not, says
 * why in @why.
 */
static bool site_is_safe(const struct body_scan *scan, const char *partial,
			 uint64_t at, char *why, size_t whylen)
{
	if (partial)
		snprintf(why, whylen, "%s", partial);
	else if (scan->stopped)
		snprintf(why, whylen, "the body cannot be decoded past +%llu",
			 (unsigned long long)scan->stopped_at);
	else if (scan->indirect)
		snprintf(why, whylen,
			 "the indirect jmp at +%llu hides branch targets",
			 (unsigned long long)scan->indirect_at);
	else if (scan->min_target <= at)
		snprintf(why, whylen, "the branch at +%llu lands on +%llu",
			 (unsigned long long)scan->min_target_from,
			 (unsigned long long)scan->min_target);
	else
		return true;
	return false;
}

/*
 * The chooser. @partial is NULL when @code is the whole function, else
 * why it is not (then only +0 can be checked to be safe).
 */
/* The decode of a function's first instructions, looking for a site. */
struct search {
	csh h;
	cs_insn *insn;
	struct body_scan scan;
	const char *partial; /* why branch targets are unknown, or NULL */
	uint64_t start;	     /* file offset of +0 */
	uint32_t keep;	     /* AS_REG_* the probe needs intact */
	char first[64];	     /* the instruction at +0 */
	char why[128];	     /* why +0, when it comes to that */
};

/* The site is the emulated instruction @txt at +@at, the @n-th. */
static void take_site(const struct search *se, uint64_t at, unsigned n,
		      uint32_t words, const char *txt,
		      struct as_probe_site *out)
{
	out->offset = se->start + at;
	out->pushed_words = words;
	memcpy(out->insn, txt, sizeof(out->insn));
	if (at == 0)
		snprintf(out->reason, sizeof(out->reason),
			 "first emulated instruction (%s) at +0", txt);
	else if (n == 1)
		snprintf(out->reason, sizeof(out->reason),
			 "+%llu: %s emulated; +0 '%s' needs single-step",
			 (unsigned long long)at, se->insn->mnemonic, se->first);
	else
		snprintf(out->reason, sizeof(out->reason),
			 "+%llu: %s emulated; %u insns from +0 '%s' need "
			 "single-step",
			 (unsigned long long)at, se->insn->mnemonic, n,
			 se->first);
}

/* +0 it is, for the reason in se->why. */
static void take_entry(const struct search *se, struct as_probe_site *out)
{
	out->offset = se->start;
	out->pushed_words = 0;
	memcpy(out->insn, se->first, sizeof(out->insn));
	if (se->first[0])
		snprintf(out->reason, sizeof(out->reason),
			 "+0 '%s' needs single-step: %s", se->first, se->why);
	else
		snprintf(out->reason, sizeof(out->reason), "+0: %s", se->why);
}

/*
 * Walks the first instructions of @code: fills @out with the first
 * emulated one that is safe, or with +0 and why.
 */
static void search_site(struct search *se, const uint8_t *code, size_t len,
			struct as_probe_site *out)
{
	const uint8_t *p = code;
	uint64_t addr = se->start, at;
	uint32_t words = 0, w;
	size_t left = len;
	char unsafe[64], txt[64];
	unsigned int n;

	for (n = 0; n < AS_PROBESITE_MAX_INSNS; n++) {
		at = len - left;
		if (!left) {
			snprintf(se->why, sizeof(se->why),
				 "the function ends at +%llu before any "
				 "emulated instruction",
				 (unsigned long long)at);
			break;
		}
		if (!cs_disasm_iter(se->h, &p, &left, &addr, se->insn)) {
			snprintf(se->why, sizeof(se->why),
				 "cannot decode the instruction at +%llu",
				 (unsigned long long)at);
			break;
		}
		insn_text(se->insn, txt, sizeof(txt));
		if (n == 0)
			memcpy(se->first, txt, sizeof(se->first));
		if (kernel_emulates(se->insn->bytes, se->insn->size)) {
			if (at && !site_is_safe(&se->scan, se->partial, at,
						unsafe, sizeof(unsafe))) {
				snprintf(se->why, sizeof(se->why),
					 "+%llu (%s) is emulated but %s",
					 (unsigned long long)at, txt, unsafe);
				break;
			}
			take_site(se, at, n, words, txt, out);
			return;
		}
		if (blocks_site(se->h, se->insn, at, se->keep, &w, se->why,
				sizeof(se->why)))
			break;
		words += w;
	}
	if (n == AS_PROBESITE_MAX_INSNS)
		snprintf(se->why, sizeof(se->why),
			 "no emulated instruction in the first %u",
			 AS_PROBESITE_MAX_INSNS);
	take_entry(se, out);
}

static int choose(const uint8_t *code, size_t len, uint64_t start,
		  uint32_t regs_read, const char *partial,
		  struct as_probe_site *out)
{
	struct search se = {.partial = partial,
			    .start = start,
			    .keep = regs_read | AS_REG_RSP | AS_REG_RBP};
	int err = 0;

	if (!code || !len || !out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->offset = start;
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &se.h) != CS_ERR_OK)
		return -ENOTSUP;
	if (cs_option(se.h, CS_OPT_DETAIL, CS_OPT_ON) != CS_ERR_OK) {
		err = -ENOTSUP;
		goto cleanup;
	}
	se.insn = cs_malloc(se.h);
	if (!se.insn) {
		err = -ENOMEM;
		goto cleanup;
	}
	scan_body(se.h, se.insn, code, len, start, &se.scan);
	search_site(&se, code, len, out);
cleanup:
	if (se.insn)
		cs_free(se.insn, 1);
	cs_close(&se.h);
	return err;
}

int probesite__choose_code(const uint8_t *code, size_t len,
			   uint64_t start_offset, uint32_t regs_read,
			   struct as_probe_site *out)
{
	return choose(code, len, start_offset, regs_read, NULL, out);
}

int probesite__choose(const char *path, const struct as_elfsym *fn,
		      uint32_t regs_read, struct as_probe_site *out)
{
	const char *partial = NULL;
	uint8_t *code = NULL, ehdr[20];
	size_t len;
	int err;

	if (!path || !fn || !out)
		return -EINVAL;
	/* The decoder and the emulation rules are x86-64's. */
	err = elfsym__read(path, 0, ehdr, sizeof(ehdr));
	if (err)
		return err;
	if (ehdr[EI_CLASS] != ELFCLASS64 || ehdr[EI_DATA] != ELFDATA2LSB ||
	    ehdr[18] != EM_X86_64 || ehdr[19] != 0) {
		memset(out, 0, sizeof(*out));
		out->offset = fn->file_offset;
		snprintf(out->reason, sizeof(out->reason),
			 "+0: not an x86-64 object, not decoded");
		return 0;
	}
	len = fn->size;
	if (len == 0) {
		/* Enough for the first instruction: only +0 is checkable. */
		len = 15;
		partial = "the symbol has no size";
	} else if (len > AS_PROBESITE_MAX_CODE) {
		len = AS_PROBESITE_MAX_CODE;
		partial = "the function is too long to check its branches";
	}
	code = malloc(len);
	if (!code)
		return -ENOMEM;
	err = elfsym__read(path, fn->file_offset, code, len);
	if (err)
		goto cleanup;
	err = choose(code, len, fn->file_offset, regs_read, partial, out);

cleanup:
	free(code);
	return err;
}
