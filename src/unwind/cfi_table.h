/* SPDX-License-Identifier: MIT */
/*
 * cfi_table.h - per-call-site unwind rules of an x86-64 ELF file, from its
 * .eh_frame CFI.
 *
 * Owned by the cfi_table module. glibc and libstdc++ are built without frame
 * pointers, so a frame-pointer walk that starts inside them (strdup ->
 * malloc) loses the caller. This module computes, in userspace, one row
 * per return address in such a library: where the frame's CFA is and where
 * it saved the caller's rbp. The BPF side steps through runtime frames
 * with that table until it reaches code that keeps frame pointers. It
 * keeps no state between calls.
 */
#ifndef ALLOCSNOOP_UNWIND_H
#define ALLOCSNOOP_UNWIND_H

#include <stddef.h>
#include <stdint.h>

/* Values of as_cfi_entry.cfa_reg. */
#define AS_UNWIND_CFA_RSP 0
#define AS_UNWIND_CFA_RBP 1

/*
 * The frame of the function that holds a call instruction, while that call
 * is in progress. The frame's own return address is at CFA - 8 (entries
 * whose CFI says otherwise are not in the table).
 */
struct as_cfi_entry {
	uint64_t ret_offset; /* file offset of a return address (the
				instruction after a call), or of the
				instruction after a syscall */
	int32_t cfa_off;     /* CFA = base + cfa_off, base per cfa_reg below */
	int16_t rbp_off;     /* caller's rbp saved at CFA + rbp_off; 0 = rbp not
				saved by this frame (unchanged) */
	uint8_t cfa_reg;     /* AS_UNWIND_CFA_RSP: base = the stack address
				where this return address was found + 8 (i.e.
				rsp after the return); AS_UNWIND_CFA_RBP:
				base = current rbp */
	uint8_t pad;	     /* 0 */
};

/*
 * Builds the table for every call instruction (direct call rel32, indirect
 * call r/m, including calls through the PLT) in the executable code of the
 * ELF file at @path: sorted by ret_offset, no duplicates. Entries whose CFA
 * rule at the return address is not expressible as above (DWARF
 * expressions, other registers) are left out.
 *
 * Code is the SHF_EXECINSTR sections that lie in a PT_LOAD (the PF_X
 * PT_LOAD segments when the file has no section headers), decoded by a
 * linear sweep. The rule used for a call is the CFI row that covers the
 * call instruction itself (looked up at return address - 1): for a call
 * that returns it is the row at the return address, and for a noreturn
 * call that ends a function (abort, __stack_chk_fail) it is still this
 * function's row, not the next function's. Also left out: calls no FDE
 * covers, rows where the return address is not at CFA - 8, signal
 * frames, and rows where rbp is undefined or kept by any rule other than
 * "saved at CFA + N" (N != 0, fits int16).
 *
 * On success *@out is one malloc'd array the caller frees (NULL when
 * *@n is 0). A file without .eh_frame gives 0 entries, not an error.
 * Returns 0; -ENOEXEC when @path is not a 64-bit little-endian x86-64 ELF
 * file or its program headers are unreadable; -ENOMEM; -ENOTSUP when
 * libelf or capstone cannot be set up (x86 support missing); or the
 * negative errno of open().
 */
int cfi_table__build(const char *path, struct as_cfi_entry **out, size_t *n);

#endif
