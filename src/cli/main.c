// SPDX-License-Identifier: MIT
/* main.c - dispatch to a subcommand; tracing is the default. */
#include <argp.h>
#include <string.h>

#include "cli/cmd.h"

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
} cmds[] = {
    {"show", cmd__show},
    {"diff", cmd__diff},
    {"report", cmd__report},
    {"trace", cmd__trace},
};

int main(int argc, char **argv)
{
	size_t i;

	argp_err_exit_status = 2; /* usage errors exit 2, like most tools */
	if (argc > 1)
		for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
			if (strcmp(argv[1], cmds[i].name) == 0)
				return cmds[i].run(argc - 1, argv + 1);
	return cmd__trace(argc, argv);
}
