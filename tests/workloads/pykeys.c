// SPDX-License-Identifier: MIT
/*
 * pykeys N SCRIPT [ARGS...]: makes N pthread keys, then runs Python
 * (Debian's libpython3.11, embedded) on SCRIPT, so that the
 * interpreter's own TSS key comes after them: key N, past glibc's first
 * block of 32 when N >= 32. The workload protocol is the script's.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include <Python.h>

int main(int argc, char **argv)
{
	pthread_key_t key;
	long n;

	if (argc < 3) {
		fprintf(stderr, "usage: pykeys N SCRIPT [ARGS...]\n");
		return 2;
	}
	n = strtol(argv[1], NULL, 10);
	for (long i = 0; i < n; i++)
		if (pthread_key_create(&key, NULL)) {
			perror("pykeys: pthread_key_create");
			return 1;
		}
	/* python SCRIPT ARGS...: the count left out */
	argv[1] = argv[0];
	return Py_BytesMain(argc - 1, argv + 1);
}
