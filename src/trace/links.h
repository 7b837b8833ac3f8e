/* SPDX-License-Identifier: MIT */
/*
 * links.h - uprobe session links (BPF_TRACE_UPROBE_SESSION, Linux >=
 * 6.13), made with the raw bpf(BPF_LINK_CREATE) command because Debian's
 * libbpf 1.1.2 has no API for them.
 *
 * Owned by the links module. A session runs one program at a function's
 * entry and, unless the entry returned 1, again at its return; the program
 * must be loaded as BPF_PROG_TYPE_KPROBE with expected attach type
 * AS_BPF_TRACE_UPROBE_SESSION. The kernel hijacks the return address at
 * [rsp] when the probe hits, so a probe must sit where nothing was pushed.
 */
#ifndef ALLOCSNOOP_SESSION_H
#define ALLOCSNOOP_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* enum bpf_attach_type values, newer than the installed linux/bpf.h */
#define AS_BPF_TRACE_UPROBE_MULTI   48
#define AS_BPF_TRACE_UPROBE_SESSION 57

/*
 * Attaches program @prog_fd, loaded with expected attach type
 * AS_BPF_TRACE_UPROBE_MULTI (Linux >= 6.6), as one uprobe_multi link to
 * the @n probes in @path (return probes when @ret), like links__session.
 * One link for many probes also detaches with one RCU wait, not one each.
 */
int links__uprobe_multi(int prog_fd, bool ret, const char *path,
			const uint64_t *offsets, const uint64_t *cookies,
			size_t n, pid_t pid);

/* True when the running kernel has uprobe_multi links (Linux >= 6.6). */
bool links__multi_supported(void);

/*
 * Attaches program @prog_fd as one session link to @n probes in the object
 * file @path: file offsets @offsets[i], BPF cookies @cookies[i] (NULL for
 * none). @pid limits it to one process, 0 = every process. Returns the
 * link fd (the caller closes it to detach) or a negative errno.
 */
int links__session(int prog_fd, const char *path, const uint64_t *offsets,
		   const uint64_t *cookies, size_t n, pid_t pid);

/*
 * True when @err from links__session means the kernel has no uprobe
 * sessions, as opposed to a failure that would hit classic uprobes too.
 */
bool links__session_unsupported(int err);

#endif
