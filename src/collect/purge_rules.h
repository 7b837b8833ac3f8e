/* SPDX-License-Identifier: MIT */
/*
 * purge_rules.h - which records of which process image a purge removes.
 *
 * Owned by the collector, alive as long as it is. Every record in the BPF
 * maps (a per-stack counter, a live block, a table slot) carries the pid
 * and the generation (exec count) of the process image that made it.
 * This module keeps, per pid, the generation of its current image (as the
 * last collect read it), so that reports skip the records of images a
 * process has exec'd away from, and the bound below which the next purge
 * removes a pid's records: its current generation after an exec, every
 * generation after an exit. It touches no map: the collector asks it
 * about each record while it walks them.
 */
#ifndef ALLOCSNOOP_PURGE_RULES_H
#define ALLOCSNOOP_PURGE_RULES_H

#include <stdbool.h>
#include <stdint.h>

#include <linux/types.h>

#include "allocsnoop.h"

struct as_purge_rules;

int purge_rules__new(struct as_purge_rules **out);
void purge_rules__free(struct as_purge_rules *pr);

/* Forgets the current generations (a collect reads them all again). */
void purge_rules__clear_gens(struct as_purge_rules *pr);
/* Process @pid now runs its image @gen. Returns 0 or -ENOMEM. */
int purge_rules__set_gen(struct as_purge_rules *pr, uint32_t pid, uint32_t gen);
/*
 * True when a record of @pid's image @gen is of an image the process
 * has since left by exec (not yet purged): reports skip it. False when
 * the current generation of @pid is unknown.
 */
bool purge_rules__replaced(const struct as_purge_rules *pr, uint32_t pid,
			   uint32_t gen);

/* @pid exec'd into image @gen: the next purge removes its older images'
 * records. Returns 0 or -ENOMEM. */
int purge_rules__mark_exec(struct as_purge_rules *pr, uint32_t pid,
			   uint32_t gen);
/* @pid exited: the next purge removes all its records. */
int purge_rules__mark_exit(struct as_purge_rules *pr, uint32_t pid);
/* True when the next purge has anything to remove. */
bool purge_rules__pending(const struct as_purge_rules *pr);
/* After a purge: nothing is left to remove. */
void purge_rules__done(struct as_purge_rules *pr);

/* True when the next purge removes a record of @pid's image @gen. */
bool purge_rules__doomed(const struct as_purge_rules *pr, uint32_t pid,
			 uint32_t gen);
/* The same for a per-stack counter and a live block. */
bool purge_rules__stat_doomed(const struct as_purge_rules *pr,
			      const struct as_stat_key *k);
bool purge_rules__alloc_doomed(const struct as_purge_rules *pr,
			       const struct as_alloc_key *k,
			       const struct as_alloc_val *v);

#endif
