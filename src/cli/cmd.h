/* SPDX-License-Identifier: MIT */
/*
 * cmd.h - the subcommands main() dispatches to.
 *
 * Owned by the cmd modules (cmd_trace.c, cmd_show.c, cmd_diff.c,
 * cmd_report.c). Each
 * takes the arguments from its own name on (argv[0] is the subcommand
 * name) and returns the process exit status: 0 ok, 1 runtime error, 2
 * usage error.
 */
#ifndef ALLOCSNOOP_CMD_H
#define ALLOCSNOOP_CMD_H

/* allocsnoop [-p PID | -c CMD] [OPTIONS] [interval [count]] */
int cmd__trace(int argc, char **argv);
/* allocsnoop show FILE [--pid PID]... [OPTIONS] */
int cmd__show(int argc, char **argv);
/* allocsnoop diff OLD NEW [--pid PID]... [OPTIONS] */
int cmd__diff(int argc, char **argv);
/* allocsnoop report FILE | OLD NEW [-o OUT] [OPTIONS] */
int cmd__report(int argc, char **argv);

#endif
