// SPDX-License-Identifier: MIT
/* links.c - uprobe session links through the raw bpf() syscall. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <linux/bpf.h>

#include "trace/links.h"

/* The kernel's own "not supported" errno, not in userspace headers. */
#define AS_ENOTSUPP 524

/*
 * The BPF_LINK_CREATE part of union bpf_attr with its uprobe_multi member
 * (Linux 6.6 UAPI; the installed linux/bpf.h predates it). The kernel
 * zero-fills what we do not pass, so this prefix is a complete attr.
 */
struct link_create_uprobe_multi {
	uint32_t prog_fd;
	uint32_t target_fd; /* must be 0 */
	uint32_t attach_type;
	uint32_t flags; /* must be 0 */
	uint64_t path;
	uint64_t offsets;
	uint64_t ref_ctr_offsets;
	uint64_t cookies;
	uint32_t cnt;
	uint32_t multi_flags; /* BPF_F_UPROBE_MULTI_RETURN: not for sessions */
	uint32_t pid;
};

_Static_assert(offsetof(struct link_create_uprobe_multi, path) == 16,
	       "uprobe_multi.path is at byte 16 of bpf_attr");
_Static_assert(offsetof(struct link_create_uprobe_multi, cnt) == 48,
	       "uprobe_multi.cnt is at byte 48 of bpf_attr");
_Static_assert(offsetof(struct link_create_uprobe_multi, pid) == 56,
	       "uprobe_multi.pid is at byte 56 of bpf_attr");

static int link_create(int prog_fd, uint32_t attach_type, uint32_t flags,
		       const char *path, const uint64_t *offsets,
		       const uint64_t *cookies, size_t n, pid_t pid)
{
	struct link_create_uprobe_multi attr;
	long fd;

	if (prog_fd < 0 || !path || !offsets || !n || n > UINT32_MAX || pid < 0)
		return -EINVAL;
	memset(&attr, 0, sizeof(attr));
	attr.prog_fd = (uint32_t)prog_fd;
	attr.attach_type = attach_type;
	attr.path = (uint64_t)(uintptr_t)path;
	attr.offsets = (uint64_t)(uintptr_t)offsets;
	attr.cookies = (uint64_t)(uintptr_t)cookies;
	attr.cnt = (uint32_t)n;
	attr.multi_flags = flags;
	attr.pid = (uint32_t)pid;
	fd = syscall(SYS_bpf, BPF_LINK_CREATE, &attr, sizeof(attr));
	return fd < 0 ? -errno : (int)fd;
}

int links__session(int prog_fd, const char *path, const uint64_t *offsets,
		   const uint64_t *cookies, size_t n, pid_t pid)
{
	return link_create(prog_fd, AS_BPF_TRACE_UPROBE_SESSION, 0, path,
			   offsets, cookies, n, pid);
}

int links__uprobe_multi(int prog_fd, bool ret, const char *path,
			const uint64_t *offsets, const uint64_t *cookies,
			size_t n, pid_t pid)
{
	/* BPF_F_UPROBE_MULTI_RETURN */
	return link_create(prog_fd, AS_BPF_TRACE_UPROBE_MULTI, ret ? 1 : 0,
			   path, offsets, cookies, n, pid);
}

bool links__multi_supported(void)
{
	struct utsname u;
	int major = 0, minor = 0;

	if (uname(&u) || sscanf(u.release, "%d.%d", &major, &minor) != 2)
		return false;
	return major > 6 || (major == 6 && minor >= 6);
}

bool links__session_unsupported(int err)
{
	/* Before 6.13 the attach type is unknown (EINVAL); without
	 * CONFIG_UPROBES or on 32-bit the multi link is EOPNOTSUPP. */
	return err == -EINVAL || err == -EOPNOTSUPP || err == -AS_ENOTSUPP;
}
