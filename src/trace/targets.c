// SPDX-License-Identifier: MIT
/* targets.c - the allocator files of a process, or of the system. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "symbolize/procmaps.h"
#include "trace/allocators.h"
#include "trace/targets.h"
#include "trace/tracer.h"

/*
 * The allocator files of a process: the library of each family it maps,
 * and its executable, which carries its own malloc when static.
 */
int targets__attach_process(struct as_tracer *t, pid_t pid, pid_t filter)
{
	const struct as_alloc_family *fams, *fam;
	const char *const *lib;
	char path[PATH_MAX];
	size_t nfams, i;
	int n, total = 0;

	fams = allocators__families(&nfams);
	for (i = 0; i < nfams; i++) {
		fam = &fams[i];
		for (lib = fam->libs; lib && *lib; lib++) {
			n = procmaps__find_lib(pid, *lib, path, sizeof(path));
			if (n == -ESRCH)
				return n;
			if (n)
				continue;
			/* glibc's libc is the C runtime too */
			if (fam == allocators__family("glibc"))
				tracer__add_runtime(t, pid, path);
			n = tracer__attach_lib(t, fam, path, filter);
			if (n < 0 && n != -ENOENT)
				return n;
			total += n > 0 ? n : 0;
		}
		if (fam->libs)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/exe", pid);
		n = tracer__attach_lib(t, fam, path, filter);
		if (n < 0 && n != -ENOENT)
			return n;
		total += n > 0 ? n : 0;
	}
	return total ? 0 : -ENOENT;
}

int targets__attach_system(struct as_tracer *t, const char *program,
			   pid_t filter)
{
	char libc[PATH_MAX];
	int err;

	/* the system's libc, found through our own */
	err = procmaps__find_lib(getpid(), "libc.so", libc, sizeof(libc));
	if (err) {
		fprintf(stderr,
			"allocsnoop: cannot find the system's libc in "
			"/proc/self/maps: %s\n",
			strerror(-err));
		return err;
	}
	tracer__add_runtime(t, 0, libc);
	err = tracer__attach_lib(t, allocators__family("glibc"), libc, filter);
	if (err < 0) {
		if (err == -ENOENT)
			fprintf(stderr,
				"allocsnoop: %s exports no malloc/free\n",
				libc);
		return err;
	}
	if (!program)
		return 0;
	/* a static command carries its own malloc */
	err = tracer__attach_lib(t, allocators__family("static"), program,
				 filter);
	return err < 0 && err != -ENOENT ? err : 0;
}
