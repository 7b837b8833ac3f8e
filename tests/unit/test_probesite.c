// SPDX-License-Identifier: MIT
/*
 * Unit tests for probesite: hand-assembled functions for each rule, then
 * the real allocator functions of this machine's glibc (2.36, Debian).
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <gnu/libc-version.h>
#include <link.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "symbolize/elfsym.h"
#include "trace/probesite.h"

#define START 0x1000

static struct as_probe_site site_of(const uint8_t *code, size_t len,
				    uint32_t regs)
{
	struct as_probe_site s;

	assert_int_equal(probesite__choose_code(code, len, START, regs, &s), 0);
	return s;
}

#define SITE(regs, ...)                                                        \
	({                                                                     \
		static const uint8_t c_[] = {__VA_ARGS__};                     \
		site_of(c_, sizeof(c_), (regs));                               \
	})

static void assert_site(const struct as_probe_site *s, uint64_t rel,
			uint32_t words, const char *insn, const char *reason)
{
	assert_int_equal(s->offset, START + rel);
	assert_int_equal(s->pushed_words, words);
	assert_string_equal(s->insn, insn);
	assert_string_equal(s->reason, reason);
}

static void test_emulated_at_entry(void **state)
{
	struct as_probe_site s;

	(void)state;
	s = SITE(AS_REG_RDI, 0x55, 0xc3); /* push rbp; ret */
	assert_site(&s, 0, 0, "push rbp",
		    "first emulated instruction (push rbp) at +0");
	s = SITE(AS_REG_RDI, 0x53, 0x41, 0x54, 0xc3); /* push rbx; push r12 */
	assert_site(&s, 0, 0, "push rbx",
		    "first emulated instruction (push rbx) at +0");
	s = SITE(AS_REG_RDI, 0x90, 0x53, 0xc3); /* nop; push rbx */
	assert_site(&s, 0, 0, "nop", "first emulated instruction (nop) at +0");
	/* nopl 0x0(%rax,%rax,1), one of the kernel's x86_nops[] */
	s = SITE(AS_REG_RDI, 0x0f, 0x1f, 0x44, 0x00, 0x00, 0xc3);
	assert_site(&s, 0, 0, "nop dword ptr [rax + rax]",
		    "first emulated instruction (nop dword ptr [rax + rax]) at "
		    "+0");
	s = SITE(AS_REG_RDI, 0x74, 0x00, 0xc3); /* je +2 */
	assert_site(&s, 0, 0, "je 0x1002",
		    "first emulated instruction (je 0x1002) at +0");
	/* An indirect jmp later does not matter for +0. */
	s = SITE(AS_REG_RDI, 0x53, 0xff, 0xe0); /* push rbx; jmp rax */
	assert_site(&s, 0, 0, "push rbx",
		    "first emulated instruction (push rbx) at +0");
}

static void test_after_test_rdi(void **state)
{
	struct as_probe_site s;

	(void)state;
	/* test rdi, rdi; je +1; ret; ret  (free's shape) */
	s = SITE(AS_REG_RDI, 0x48, 0x85, 0xff, 0x74, 0x01, 0xc3, 0xc3);
	assert_site(&s, 3, 0, "je 0x1006",
		    "+3: je emulated; +0 'test rdi, rdi' needs single-step");
	/* test rdi, rdi; call +0 (target = end of function) */
	s = SITE(AS_REG_RDI, 0x48, 0x85, 0xff, 0xe8, 0x00, 0x00, 0x00, 0x00);
	assert_site(&s, 3, 0, "call 0x1008",
		    "+3: call emulated; +0 'test rdi, rdi' needs single-step");
}

static void test_rip_cmp_then_push(void **state)
{
	struct as_probe_site s;

	(void)state;
	/* cmp byte ptr [rip + 0x10], 0; push r12; ret */
	s = SITE(AS_REG_RDI | AS_REG_RSI | AS_REG_RDX, 0x80, 0x3d, 0x10, 0x00,
		 0x00, 0x00, 0x00, 0x41, 0x54, 0xc3);
	assert_site(&s, 7, 0, "push r12",
		    "+7: push emulated; +0 'cmp byte ptr [rip + 0x10], 0' "
		    "needs single-step");
}

static void test_argument_written(void **state)
{
	struct as_probe_site s;

	(void)state;
	/* mov rdi, rax; push r12; ret */
	s = SITE(AS_REG_RDI, 0x48, 0x89, 0xc7, 0x41, 0x54, 0xc3);
	assert_site(&s, 0, 0, "mov rdi, rax",
		    "+0 'mov rdi, rax' needs single-step: 'mov rdi, rax' at +0 "
		    "writes rdi, which the probe reads");
	/* the same when the probe does not read rdi */
	s = SITE(AS_REG_RSI, 0x48, 0x89, 0xc7, 0x41, 0x54, 0xc3);
	assert_site(&s, 3, 0, "push r12",
		    "+3: push emulated; +0 'mov rdi, rax' needs single-step");
	/* a 32-bit write clobbers the whole register: xor edi, edi */
	s = SITE(AS_REG_RDI, 0x31, 0xff, 0x53, 0xc3);
	assert_site(&s, 0, 0, "xor edi, edi",
		    "+0 'xor edi, edi' needs single-step: 'xor edi, edi' at +0 "
		    "writes rdi, which the probe reads");
}

/* reallocarray's shape: mov rax, rsi; mul rdx; mov rsi, rax; jo; jmp */
static void test_implicit_write(void **state)
{
	struct as_probe_site s;

	(void)state;
	s = SITE(AS_REG_RDI | AS_REG_RSI | AS_REG_RDX, 0x48, 0x89, 0xf0, 0x48,
		 0xf7, 0xe2, 0x48, 0x89, 0xc6, 0x70, 0x05, 0xe9, 0x00, 0x00,
		 0x00, 0x00, 0xc3);
	assert_site(&s, 0, 0, "mov rax, rsi",
		    "+0 'mov rax, rsi' needs single-step: 'mul rdx' at +3 "
		    "writes rdx, which the probe reads");
	/* reading rdi only, the jo at +9 is reachable */
	s = SITE(AS_REG_RDI, 0x48, 0x89, 0xf0, 0x48, 0xf7, 0xe2, 0x48, 0x89,
		 0xc6, 0x70, 0x05, 0xe9, 0x00, 0x00, 0x00, 0x00, 0xc3);
	assert_site(&s, 9, 0, "jo 0x1010",
		    "+9: jo emulated; 3 insns from +0 'mov rax, rsi' need "
		    "single-step");
}

static void test_stack_and_frame(void **state)
{
	struct as_probe_site s;

	(void)state;
	/* sub rsp, 8; push rbx */
	s = SITE(AS_REG_RDI, 0x48, 0x83, 0xec, 0x08, 0x53, 0xc3);
	assert_site(&s, 0, 0, "sub rsp, 8",
		    "+0 'sub rsp, 8' needs single-step: 'sub rsp, 8' at +0 "
		    "writes rsp, which holds the return address");
	/* mov rbp, rsp; push rbx */
	s = SITE(AS_REG_RDI, 0x48, 0x89, 0xe5, 0x53, 0xc3);
	assert_site(&s, 0, 0, "mov rbp, rsp",
		    "+0 'mov rbp, rsp' needs single-step: 'mov rbp, rsp' at +0 "
		    "writes rbp, the frame-pointer chain");
	/* mov qword ptr [rsp], rdi; push rbx: overwrites the return address */
	s = SITE(AS_REG_RSI, 0x48, 0x89, 0x3c, 0x24, 0x53, 0xc3);
	assert_site(&s, 0, 0, "mov qword ptr [rsp], rdi",
		    "+0 'mov qword ptr [rsp], rdi' needs single-step: 'mov "
		    "qword ptr [rsp], rdi' at +0 stores through rsp");
	/* pop rbx */
	s = SITE(AS_REG_RDI, 0x5b, 0x53, 0xc3);
	assert_site(&s, 0, 0, "pop rbx",
		    "+0 'pop rbx' needs single-step: 'pop rbx' at +0 writes "
		    "rsp, which holds the return address");
	/* push ax moves rsp by 2 */
	s = SITE(AS_REG_RDI, 0x66, 0x50, 0x53, 0xc3);
	assert_site(&s, 0, 0, "push ax",
		    "+0 'push ax' needs single-step: 'push ax' at +0 is not an "
		    "8-byte push");
}

/* Pushes the kernel does not emulate still move the return address. */
static void test_counted_pushes(void **state)
{
	struct as_probe_site s;

	(void)state;
	/* rex.w push rbx; push qword ptr [rip]; push r12 */
	s = SITE(AS_REG_RDI, 0x48, 0x53, 0xff, 0x35, 0x00, 0x00, 0x00, 0x00,
		 0x41, 0x54, 0xc3);
	assert_site(&s, 8, 2, "push r12",
		    "+8: push emulated; 2 insns from +0 'push rbx' need "
		    "single-step");
}

static void test_other_prefixes(void **state)
{
	struct as_probe_site s;

	(void)state;
	/* endbr64; push rbp */
	s = SITE(AS_REG_RDI, 0xf3, 0x0f, 0x1e, 0xfa, 0x55, 0xc3);
	assert_site(&s, 4, 0, "push rbp",
		    "+4: push emulated; +0 'endbr64' needs single-step");
	/* nopw cs:0x0(%rax,%rax,1): the cs prefix makes the kernel refuse
	 * it, so it is not a site; push rbx */
	s = SITE(AS_REG_RDI, 0x66, 0x2e, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00,
		 0x00, 0x00, 0x53, 0xc3);
	assert_site(&s, 10, 0, "push rbx",
		    "+10: push emulated; +0 'nop word ptr cs:[rax + rax]' "
		    "needs single-step");
	/* 41 90 is xchg r8d, eax, not a nop: never a site */
	s = SITE(AS_REG_RDI, 0x41, 0x90, 0x53, 0xc3);
	assert_site(&s, 2, 0, "push rbx",
		    "+2: push emulated; +0 'xchg eax, r8d' needs single-step");
	/* pause (f3 90) is emulated as a nop */
	s = SITE(AS_REG_RDI, 0xf3, 0x90, 0xc3);
	assert_site(&s, 0, 0, "pause",
		    "first emulated instruction (pause) at +0");
}

static void test_control_flow_before(void **state)
{
	struct as_probe_site s;

	(void)state;
	/* jmp rax; push rbx */
	s = SITE(AS_REG_RDI, 0xff, 0xe0, 0x53, 0xc3);
	assert_site(&s, 0, 0, "jmp rax",
		    "+0 'jmp rax' needs single-step: 'jmp rax' at +0 changes "
		    "control flow");
	/* ret; push rbx */
	s = SITE(AS_REG_RDI, 0xc3, 0x53);
	assert_site(&s, 0, 0, "ret",
		    "+0 'ret' needs single-step: 'ret' at +0 changes control "
		    "flow");
	/* syscall; push rbx */
	s = SITE(AS_REG_RDI, 0x0f, 0x05, 0x53, 0xc3);
	assert_site(&s, 0, 0, "syscall",
		    "+0 'syscall' needs single-step: 'syscall' at +0 changes "
		    "control flow");
}

/*
 * A branch may not land in (+0, site]: on the site it would fire the
 * probe twice for one call, inside the prefix it would skip part of it.
 * A branch to +0 re-runs everything and is fine.
 */
static void test_branch_targets(void **state)
{
	struct as_probe_site s;

	(void)state;
	/* +0 cmp [rip], 0; +7 push r12; +9 test rdi, rdi; +12 jne +7 */
	s = SITE(AS_REG_RDI, 0x80, 0x3d, 0x00, 0x00, 0x00, 0x00, 0x00, 0x41,
		 0x54, 0x48, 0x85, 0xff, 0x75, 0xf9, 0xc3);
	assert_site(&s, 0, 0, "cmp byte ptr [rip], 0",
		    "+0 'cmp byte ptr [rip], 0' needs single-step: +7 (push "
		    "r12) is emulated but the branch at +12 lands on +7");
	/* +0 mov rax, rsi; +3 mov rcx, rsi; +6 push rbx; +7 test rax, rax;
	 * +10 jne +3 */
	s = SITE(AS_REG_RDI, 0x48, 0x89, 0xf0, 0x48, 0x89, 0xf1, 0x53, 0x48,
		 0x85, 0xc0, 0x75, 0xf7, 0xc3);
	assert_site(&s, 0, 0, "mov rax, rsi",
		    "+0 'mov rax, rsi' needs single-step: +6 (push rbx) is "
		    "emulated but the branch at +10 lands on +3");
	/* the same loop back to +0 */
	s = SITE(AS_REG_RDI, 0x48, 0x89, 0xf0, 0x48, 0x89, 0xf1, 0x53, 0x48,
		 0x85, 0xc0, 0x75, 0xf4, 0xc3);
	assert_site(&s, 6, 0, "push rbx",
		    "+6: push emulated; 2 insns from +0 'mov rax, rsi' need "
		    "single-step");
	/* a branch past the site is fine: +7 push r12; +9 jne +14; +11... */
	s = SITE(AS_REG_RDI, 0x80, 0x3d, 0x00, 0x00, 0x00, 0x00, 0x00, 0x41,
		 0x54, 0x75, 0x03, 0x48, 0x85, 0xff, 0xc3);
	assert_site(&s, 7, 0, "push r12",
		    "+7: push emulated; +0 'cmp byte ptr [rip], 0' needs "
		    "single-step");
	/* an indirect jmp anywhere hides targets: only +0 is safe */
	s = SITE(AS_REG_RDI, 0x80, 0x3d, 0x00, 0x00, 0x00, 0x00, 0x00, 0x41,
		 0x54, 0xff, 0xe0);
	assert_site(&s, 0, 0, "cmp byte ptr [rip], 0",
		    "+0 'cmp byte ptr [rip], 0' needs single-step: +7 (push "
		    "r12) is emulated but the indirect jmp at +9 hides branch "
		    "targets");
	/* undecodable bytes after the site: targets unknown */
	s = SITE(AS_REG_RDI, 0x80, 0x3d, 0x00, 0x00, 0x00, 0x00, 0x00, 0x41,
		 0x54, 0x06);
	assert_site(&s, 0, 0, "cmp byte ptr [rip], 0",
		    "+0 'cmp byte ptr [rip], 0' needs single-step: +7 (push "
		    "r12) is emulated but the body cannot be decoded past +9");
}

static void test_no_site(void **state)
{
	uint8_t code[18 * 3];
	struct as_probe_site s;
	size_t i;

	(void)state;
	/* 15 x mov rax, rax then push rbx: the 16th instruction is used */
	for (i = 0; i < 15; i++)
		memcpy(code + 3 * i, "\x48\x89\xc0", 3);
	code[45] = 0x53;
	code[46] = 0xc3;
	s = site_of(code, 47, AS_REG_RDI);
	assert_site(&s, 45, 0, "push rbx",
		    "+45: push emulated; 15 insns from +0 'mov rax, rax' need "
		    "single-step");
	/* 16 x mov rax, rax then push rbx: too far */
	for (i = 0; i < 16; i++)
		memcpy(code + 3 * i, "\x48\x89\xc0", 3);
	code[48] = 0x53;
	code[49] = 0xc3;
	s = site_of(code, 50, AS_REG_RDI);
	assert_site(&s, 0, 0, "mov rax, rax",
		    "+0 'mov rax, rax' needs single-step: no emulated "
		    "instruction in the first 16");
	/* the function ends first */
	s = SITE(AS_REG_RDI, 0x48, 0x85, 0xff);
	assert_site(
	    &s, 0, 0, "test rdi, rdi",
	    "+0 'test rdi, rdi' needs single-step: the function ends at "
	    "+3 before any emulated instruction");
	/* undecodable */
	s = SITE(AS_REG_RDI, 0x06, 0x53);
	assert_site(&s, 0, 0, "", "+0: cannot decode the instruction at +0");
	s = SITE(AS_REG_RDI, 0x48, 0x85, 0xff, 0x06, 0x53);
	assert_site(&s, 0, 0, "test rdi, rdi",
		    "+0 'test rdi, rdi' needs single-step: cannot decode the "
		    "instruction at +3");
}

static void test_bad_arguments(void **state)
{
	static const uint8_t code[] = {0x55};
	struct as_probe_site s;
	struct as_elfsym fn = {0};

	(void)state;
	assert_int_equal(probesite__choose_code(NULL, 1, 0, 0, &s), -EINVAL);
	assert_int_equal(probesite__choose_code(code, 0, 0, 0, &s), -EINVAL);
	assert_int_equal(probesite__choose_code(code, 1, 0, 0, NULL), -EINVAL);
	assert_int_equal(probesite__choose("/nonexistent/lib.so", &fn, 0, &s),
			 -ENOENT);
}

/* A 32-bit ELF (class 1, EM_386) is not decoded as x86-64 code. */
static void test_not_x86_64(void **state)
{
	uint8_t file[64] = {0x7f, 'E', 'L', 'F', 1, 1, 1};
	char path[] = "/tmp/test_probesite.XXXXXX";
	struct as_elfsym fn = {.vaddr = 0, .size = 16, .file_offset = 48};
	struct as_probe_site s;
	int fd;

	(void)state;
	file[18] = 3; /* EM_386 */
	file[48] = 0x55;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, file, sizeof(file)), sizeof(file));
	close(fd);
	assert_int_equal(probesite__choose(path, &fn, AS_REG_RDI, &s), 0);
	assert_int_equal(s.offset, 48);
	assert_string_equal(s.insn, "");
	assert_string_equal(s.reason, "+0: not an x86-64 object, not decoded");
	/* the same header as x86-64 is decoded */
	file[4] = 2;
	file[18] = 62;
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, file, sizeof(file)), sizeof(file));
	close(fd);
	assert_int_equal(probesite__choose(path, &fn, AS_REG_RDI, &s), 0);
	assert_int_equal(s.offset, 48);
	assert_string_equal(s.insn, "push rbp");
	unlink(path);
}

/* The libc this test runs with, which is the machine's. */
static const char *libc_path(char *buf, size_t len)
{
	struct link_map *lm = NULL;
	Dl_info info;

	assert_int_not_equal(dladdr1((void *)gnu_get_libc_version, &info,
				     (void **)&lm, RTLD_DL_LINKMAP),
			     0);
	snprintf(buf, len, "%s", lm->l_name);
	return buf;
}

static void check_libc(const char *name, uint32_t regs, uint64_t rel,
		       const char *insn, const char *reason)
{
	struct as_probe_site s;
	struct as_elfsym fn;
	char path[4096];

	libc_path(path, sizeof(path));
	assert_int_equal(elfsym__lookup(path, name, &fn), 0);
	assert_int_equal(probesite__choose(path, &fn, regs, &s), 0);
	print_message("%-15s +%llu words=%u '%s': %s\n", name,
		      (unsigned long long)(s.offset - fn.file_offset),
		      s.pushed_words, s.insn, s.reason);
	assert_int_equal(s.offset, fn.file_offset + rel);
	assert_int_equal(s.pushed_words, 0);
	/* Branch targets in the text are absolute: compare the mnemonic. */
	assert_memory_equal(s.insn, insn, strlen(insn));
	if (reason)
		assert_string_equal(s.reason, reason);
}

static void test_glibc_2_36(void **state)
{
	const uint32_t rdi = AS_REG_RDI, two = AS_REG_RDI | AS_REG_RSI,
		       three = AS_REG_RDI | AS_REG_RSI | AS_REG_RDX;

	(void)state;
	if (strcmp(gnu_get_libc_version(), "2.36") != 0) {
		print_message("glibc %s, not 2.36: skipped\n",
			      gnu_get_libc_version());
		skip();
	}
	check_libc("malloc", rdi, 0, "push r12",
		   "first emulated instruction (push r12) at +0");
	check_libc("calloc", two, 0, "push r13",
		   "first emulated instruction (push r13) at +0");
	check_libc("realloc", two, 0, "push r15",
		   "first emulated instruction (push r15) at +0");
	check_libc("free", rdi, 3, "je ",
		   "+3: je emulated; +0 'test rdi, rdi' needs single-step");
	check_libc("reallocarray", three, 0, "mov rax, rsi",
		   "+0 'mov rax, rsi' needs single-step: 'mul rdx' at +3 "
		   "writes rdx, which the probe reads");
	check_libc("posix_memalign", three, 7, "push r12", NULL);
	check_libc("aligned_alloc", two, 7, "je ", NULL);
	check_libc("memalign", two, 7, "je ", NULL);
	check_libc("valloc", rdi, 7, "push rbx", NULL);
	check_libc("pvalloc", rdi, 7, "push rbx", NULL);
}

/* Without the whole body, only +0 can be shown safe. */
static void test_glibc_2_36_partial_body(void **state)
{
	struct as_probe_site s;
	struct as_elfsym fn;
	char path[4096];

	(void)state;
	if (strcmp(gnu_get_libc_version(), "2.36") != 0)
		skip();
	libc_path(path, sizeof(path));
	assert_int_equal(elfsym__lookup(path, "free", &fn), 0);
	fn.size = 0;
	assert_int_equal(probesite__choose(path, &fn, AS_REG_RDI, &s), 0);
	assert_int_equal(s.offset, fn.file_offset);
	assert_string_equal(s.reason,
			    "+0 'test rdi, rdi' needs single-step: +3 (je "
			    "0x98fb8) is emulated but the symbol has no size");
	fn.size = AS_PROBESITE_MAX_CODE + 1;
	assert_int_equal(probesite__choose(path, &fn, AS_REG_RDI, &s), 0);
	assert_int_equal(s.offset, fn.file_offset);
	assert_string_equal(s.reason,
			    "+0 'test rdi, rdi' needs single-step: +3 (je "
			    "0x98fb8) is emulated but the function is too long "
			    "to check its branches");
	assert_int_equal(elfsym__lookup(path, "malloc", &fn), 0);
	fn.size = 0;
	assert_int_equal(probesite__choose(path, &fn, AS_REG_RDI, &s), 0);
	assert_int_equal(s.offset, fn.file_offset);
	assert_string_equal(s.insn, "push r12");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_emulated_at_entry),
	    cmocka_unit_test(test_after_test_rdi),
	    cmocka_unit_test(test_rip_cmp_then_push),
	    cmocka_unit_test(test_argument_written),
	    cmocka_unit_test(test_implicit_write),
	    cmocka_unit_test(test_stack_and_frame),
	    cmocka_unit_test(test_counted_pushes),
	    cmocka_unit_test(test_other_prefixes),
	    cmocka_unit_test(test_control_flow_before),
	    cmocka_unit_test(test_branch_targets),
	    cmocka_unit_test(test_no_site),
	    cmocka_unit_test(test_bad_arguments),
	    cmocka_unit_test(test_not_x86_64),
	    cmocka_unit_test(test_glibc_2_36),
	    cmocka_unit_test(test_glibc_2_36_partial_body),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
