// SPDX-License-Identifier: MIT
/* privs.c - capability check through capget(2), without libcap. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/capability.h>

#include "trace/privs.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

static bool has_cap(const struct __user_cap_data_struct *d, int cap)
{
	return d[cap / 32].effective & (1u << (cap % 32));
}

int privs__check(char *missing, size_t len)
{
	struct __user_cap_header_struct hdr = {
	    .version = _LINUX_CAPABILITY_VERSION_3,
	    .pid = 0,
	};
	struct __user_cap_data_struct data[2];
	bool admin;
	size_t off = 0;

	memset(data, 0, sizeof(data));
	missing[0] = 0;
	if (syscall(SYS_capget, &hdr, data))
		return -errno;
	admin = has_cap(data, CAP_SYS_ADMIN);
	if (!has_cap(data, CAP_BPF) && !admin)
		off += snprintf(missing + off, len - off, "CAP_BPF");
	if (!has_cap(data, CAP_PERFMON) && !admin && off < len)
		off += snprintf(missing + off, len - off, "%sCAP_PERFMON",
				off ? ", " : "");
	if (!has_cap(data, CAP_SYS_PTRACE) && off < len)
		off += snprintf(missing + off, len - off, "%sCAP_SYS_PTRACE",
				off ? ", " : "");
	return off ? -EPERM : 0;
}
