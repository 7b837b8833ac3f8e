// SPDX-License-Identifier: MIT
/*
 * seed_prog.c - source of the symbolizer's seed ELF files (see
 * make-seeds.py): a freestanding program, so the binaries stay a few KiB,
 * with what the symbolizer decodes: functions in two CUs' worth of
 * scopes, an inlined call chain (DW_TAG_inlined_subroutine with call
 * sites), and a C++-mangled symbol name for the demangler.
 */
#include <stddef.h>

#define INLINE static inline __attribute__((always_inline))

static volatile unsigned long sink;

INLINE unsigned long leaf(unsigned long x)
{
	sink += x;
	return x * 3 + 1;
}

INLINE unsigned long middle(unsigned long x)
{
	return leaf(x) ^ leaf(x >> 1);
}

/* Named like the C++ function demo::step(unsigned long). */
__attribute__((noinline)) unsigned long
step(unsigned long x) __asm__("_ZN4demo4stepEm");
__attribute__((noinline)) unsigned long step(unsigned long x)
{
	return middle(x) + 7;
}

__attribute__((noinline)) static unsigned long loop(unsigned long n)
{
	unsigned long acc = 0;

	for (unsigned long i = 0; i < n; i++)
		acc += step(i);
	return acc;
}

__attribute__((noreturn)) void _start(void)
{
	long code = (long)(loop(sink + 10) & 1);

	__asm__ volatile("syscall"
			 :
			 : "a"(60), "D"(code)
			 : "rcx", "r11", "memory");
	__builtin_unreachable();
}
