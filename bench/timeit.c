// SPDX-License-Identifier: MIT
/*
 * timeit - runs a program nobody here wrote (sqlite3, jq, python3) as a
 * benchmark: `timeit [--wait] CMD ARGS...` forks, execs CMD with its
 * output thrown away, waits, and prints bench.h's result line for one op,
 * the whole run. CPU and peak RSS are its own and CMD's (tracers run it
 * with --follow-forks, so both are traced; timeit allocates nothing while
 * CMD runs).
 */
#include <fcntl.h>
#include <sys/wait.h>

#include "bench.h"

static double cpu_of(const struct rusage *ru)
{
	return (double)(ru->ru_utime.tv_sec + ru->ru_stime.tv_sec) +
	       (double)(ru->ru_utime.tv_usec + ru->ru_stime.tv_usec) / 1e6;
}

int main(int argc, char **argv)
{
	struct rusage self, kids;
	struct timespec t1;
	struct bench b;
	int status, fd;
	double s;
	pid_t pid;

	bench_init(&b, &argc, &argv);
	if (argc < 2) {
		fprintf(stderr, "usage: timeit [--wait] CMD ARGS...\n");
		return 2;
	}
	bench_start(&b);
	pid = fork();
	if (pid == 0) {
		fd = open("/dev/null", O_WRONLY);
		if (fd >= 0)
			dup2(fd, 1);
		execvp(argv[1], argv + 1);
		perror(argv[1]);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid) {
		perror("timeit");
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "timeit: %s failed (status 0x%x)\n", argv[1],
			status);
		return 1;
	}
	s = (double)(t1.tv_sec - b.t0.tv_sec) +
	    (double)(t1.tv_nsec - b.t0.tv_nsec) / 1e9;
	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &kids);
	printf("bench: ops=1 ns_per_op=%.1f seconds=%.6f cpu_s=%.3f "
	       "maxrss_kib=%ld\n",
	       s * 1e9, s, cpu_of(&self) + cpu_of(&kids),
	       self.ru_maxrss > kids.ru_maxrss ? self.ru_maxrss
					       : kids.ru_maxrss);
	bench_end(&b);
	return 0;
}
