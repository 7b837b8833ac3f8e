/* SPDX-License-Identifier: MIT */
/*
 * privs.h - do we hold the capabilities tracing needs?
 *
 * Owned by the privs module: it reads the effective capability set with
 * capget(2) and names what is missing, so the error can say what to grant.
 */
#ifndef ALLOCSNOOP_PRIVS_H
#define ALLOCSNOOP_PRIVS_H

#include <stddef.h>

/*
 * Returns 0 when CAP_BPF, CAP_PERFMON and CAP_SYS_PTRACE (or
 * CAP_SYS_ADMIN for the first two) are effective; otherwise -EPERM with
 * the missing names, comma separated, in @missing.
 */
int privs__check(char *missing, size_t len);

#endif
