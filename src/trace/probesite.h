/* SPDX-License-Identifier: MIT */
/*
 * probesite.h - where in an allocator function to put its entry uprobe.
 *
 * Owned by the probesite module. A uprobe on an instruction the kernel
 * emulates (push reg, jmp/jcc/call rel, nop) costs about 1 us a hit; on
 * any other instruction the kernel single-steps a copy, about 12 us. This
 * module decodes the start of a function (capstone) and picks the first
 * emulated instruction that every call reaches exactly once, with the
 * argument registers the probe reads, rsp (but for pushes) and rbp still
 * as they were at entry. When in doubt it answers offset +0.
 *
 * The return address is at [rsp + 8 * pushed_words] at the chosen site.
 * A return probe (uretprobe) hijacks [rsp], so it may share the site only
 * when pushed_words is 0; otherwise it belongs at the function's entry.
 */
#ifndef ALLOCSNOOP_PROBESITE_H
#define ALLOCSNOOP_PROBESITE_H

#include <stddef.h>
#include <stdint.h>

#include "symbolize/elfsym.h"

/* General registers, by their x86 encoding number. */
#define AS_REG_RAX (1u << 0)
#define AS_REG_RCX (1u << 1)
#define AS_REG_RDX (1u << 2)
#define AS_REG_RBX (1u << 3)
#define AS_REG_RSP (1u << 4)
#define AS_REG_RBP (1u << 5)
#define AS_REG_RSI (1u << 6)
#define AS_REG_RDI (1u << 7)
#define AS_REG_R8  (1u << 8)
#define AS_REG_R9  (1u << 9)
#define AS_REG_R10 (1u << 10)
#define AS_REG_R11 (1u << 11)
#define AS_REG_R12 (1u << 12)
#define AS_REG_R13 (1u << 13)
#define AS_REG_R14 (1u << 14)
#define AS_REG_R15 (1u << 15)

/* How many leading instructions are examined for a site. */
#define AS_PROBESITE_MAX_INSNS 16
/* Longest function body decoded to find the branch targets. */
#define AS_PROBESITE_MAX_CODE (64 * 1024)

struct as_probe_site {
	uint64_t offset;       /* file offset where the entry probe goes */
	uint32_t pushed_words; /* 8-byte pushes executed before it: return
				  address at [rsp + 8*pushed_words] */
	char insn[64];	  /* the instruction at the site, e.g. "push r12" */
	char reason[160]; /* why this site, or why offset 0 */
};

/*
 * Chooses the entry probe site of @fn in @path. @regs_read is the AS_REG_*
 * mask of argument registers the probe reads; rsp and rbp are always kept
 * (a return probe at the site needs [rsp] to be the return address, and
 * the return half walks frame pointers).
 *
 * Returns 0 with *out filled (out->offset is fn->file_offset when no
 * better site is safe, and out->reason says why), or a negative errno
 * when the function's bytes cannot be read.
 */
int probesite__choose(const char *path, const struct as_elfsym *fn,
		      uint32_t regs_read, struct as_probe_site *out);

/*
 * The same on bytes in memory: @code holds the whole function (@len
 * bytes), which starts at file offset @start_offset. Returns 0, or
 * -EINVAL for bad arguments, -ENOMEM, or -ENOTSUP when capstone cannot be
 * opened.
 */
int probesite__choose_code(const uint8_t *code, size_t len,
			   uint64_t start_offset, uint32_t regs_read,
			   struct as_probe_site *out);

#endif
